//! The consent rules against the released libraries set up the other ways sites set them up
//! (`cookie_audit_fixtures::consent::VARIANTS`): renamed consent cookies, modals, reject only in
//! the settings, vanilla-cookieconsent 2, Klaro in localStorage, a site's own banner. Each
//! variant's truth is its own data: the platform, whether reject sits beside accept, where the
//! choice is stored; what the runs must show follows from it. Real Chromium, never skipped.

use cookie_audit_audit::{ScanSettings, scan_site};
use cookie_audit_browser::BrowserSettings;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_fixtures::consent::{self, Variant};
use cookie_audit_model::{
    ConsentState, EngineChoice, FindingCode, Report, RunStatus, url_norm::parse_start_url,
};

async fn scan(v: &Variant) -> Report {
    let server = consent::start_variants().await.expect("the variants start");
    let mut crawl = server.crawl_options();
    crawl.max_pages = 5;
    let mut settings = ScanSettings {
        engine: EngineChoice::Browser,
        crawl,
        browser: BrowserSettings::default(),
        ..ScanSettings::default()
    };
    settings.consent.pages = 3;
    let start =
        parse_start_url(&server.http_url(consent::VARIANTS_HOST, &format!("/{}/", v.id))).unwrap();
    let result = scan_site(
        start,
        &settings,
        &KnowledgeBase::builtin(),
        Box::new(cookie_audit_crawl::NoProgress),
    )
    .await
    .expect("the browser starts");
    assert_eq!(result.start_error, None, "{}", v.id);
    result.report
}

fn states(report: &Report, name: &str) -> Vec<ConsentState> {
    report
        .observed
        .iter()
        .find(|o| o.name == name)
        .map(|o| o.states.clone())
        .unwrap_or_default()
}

async fn check(id: &str) {
    let v = consent::variant(id).unwrap_or_else(|| panic!("a variant {id}"));
    let report = scan(v).await;
    let consent = &report.consent;

    assert_eq!(
        consent.cmp.as_ref().map(|c| c.id.as_str()),
        Some(v.cmp),
        "{id}: the platform"
    );
    assert!(consent.banner.found, "{id}: a banner asks");
    assert_eq!(
        consent.banner.reject_on_first_layer,
        Some(v.reject_on_first_layer),
        "{id}: reject beside accept ({:?})",
        consent.banner
    );
    for state in [ConsentState::Accept, ConsentState::Reject] {
        let run = consent
            .run(state)
            .unwrap_or_else(|| panic!("{id}: a {state} run"));
        assert_eq!(
            run.status,
            RunStatus::Verified,
            "{id}: the {state} run: {run:#?}"
        );
    }

    // The trackers wait for "Accept all", and only then run.
    assert_eq!(
        states(&report, "_ga"),
        vec![ConsentState::Accept],
        "{id}: _ga"
    );
    let fbp = if v.marketing {
        vec![ConsentState::Accept]
    } else {
        Vec::new()
    };
    assert_eq!(states(&report, "_fbp"), fbp, "{id}: _fbp");

    // Where the choice is stored is the platform's own, renamed or not.
    if let Some(cookie) = v.consent_cookie {
        let seen = states(&report, cookie);
        assert!(
            seen.contains(&ConsentState::Accept) && seen.contains(&ConsentState::Reject),
            "{id}: {cookie} stored by both choices, seen in {seen:?}"
        );
        let cmp_cookies = &consent.cmp.as_ref().unwrap().cookies;
        assert!(
            cmp_cookies.iter().any(|c| c == cookie),
            "{id}: {cookie} not in {cmp_cookies:?}"
        );
    }

    // A compliant site: nothing before a choice or after a rejection; only a missing first-layer
    // reject is held against it.
    let codes: Vec<(FindingCode, &str)> = report
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("consent:"))
        .map(|f| (f.code, f.cookie.as_str()))
        .collect();
    let wanted: Vec<(FindingCode, &str)> = if v.reject_on_first_layer {
        Vec::new()
    } else {
        vec![(FindingCode::ConsentNoRejectOption, "")]
    };
    assert_eq!(codes, wanted, "{id}: consent findings");
}

macro_rules! variants {
    ($($id:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $id() {
                check(stringify!($id)).await;
            }
        )*

        /// Every variant of the fixtures has its test here.
        #[test]
        fn every_variant_is_tested() {
            let tested = [$(stringify!($id)),*];
            for v in consent::VARIANTS {
                assert!(tested.contains(&v.id), "{} has no test", v.id);
            }
        }
    };
}

variants!(
    van_bar_disable,
    van_reject_in_prefs,
    van_autoshow_false,
    vanilla_v2,
    vanilla_v2_settings_only,
    klaro_must,
    klaro_modal_notice,
    klaro_localstorage,
    osano_top_static,
    osano_custom_text,
    tac_middle,
    tac_popup_nodeny,
    tac_top_group,
    ceb_default,
    ceb_renamed,
    govuk_custom,
    generic_banner,
    generic_modal_settings,
    generic_welsh,
    generic_preticked,
);
