//! The consent runs against every consent fixture council: real consent libraries (and
//! stand-ins for the SaaS ones) in the real Chromium, never skipped. Each case's truth is its own
//! data (`cookie_audit_fixtures::consent`): the platform, the banner, which cookies each visitor
//! stores; the expected findings follow from it, not from a list written for the test.

use std::collections::BTreeSet;

use cookie_audit_audit::{ScanSettings, scan_site};
use cookie_audit_browser::BrowserSettings;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_fixtures::consent::{self, Banner, Behaviour, ConsentCase};
use cookie_audit_model::{
    ConsentState, CookieCategory, EngineChoice, Report, RunStatus, url_norm::parse_start_url,
};

async fn scan(case: &ConsentCase) -> Report {
    let server = consent::start().await.expect("the consent fixtures start");
    let mut crawl = server.crawl_options();
    crawl.max_pages = 20;
    let settings = ScanSettings {
        engine: EngineChoice::Browser,
        crawl,
        browser: BrowserSettings::default(),
        ..ScanSettings::default()
    };
    let start = parse_start_url(&server.http_url(case.host, case.start_path)).unwrap();
    let result = scan_site(
        start,
        &settings,
        &KnowledgeBase::builtin(),
        Box::new(cookie_audit_crawl::NoProgress),
    )
    .await
    .expect("the browser starts");
    assert_eq!(result.start_error, None, "{}", case.id);
    result.report
}

fn run_status(report: &Report, state: ConsentState) -> RunStatus {
    report
        .consent
        .run(state)
        .unwrap_or_else(|| panic!("a {state} run"))
        .status
}

/// What each run should end as, from the case.
fn expected_status(case: &ConsentCase, state: ConsentState) -> RunStatus {
    if !matches!(case.banner, Banner::Shown { .. }) {
        return RunStatus::NoBanner;
    }
    if case.has(&Behaviour::BannerNeverCloses) {
        return RunStatus::Unverified;
    }
    if state == ConsentState::Reject && case.reject_path().is_none() {
        return RunStatus::Unverified;
    }
    RunStatus::Verified
}

async fn check(id: &str) {
    let case = consent::case(id).unwrap_or_else(|| panic!("a consent case {id}"));
    let report = scan(case).await;
    let consent = &report.consent;
    let shown = matches!(case.banner, Banner::Shown { .. });

    // The platform and the banner.
    assert_eq!(
        consent.cmp.as_ref().map(|c| c.id.as_str()),
        case.cmp.map(|c| c.rule_id()),
        "{id}: the platform"
    );
    assert_eq!(consent.banner.found, shown, "{id}: a banner asks");
    if shown {
        assert_eq!(
            consent.banner.reject_on_first_layer,
            Some(case.reject_on_first_layer()),
            "{id}: reject beside accept"
        );
        assert_eq!(
            consent.banner.accept_label.as_deref(),
            case.accept_label(),
            "{id}: the accept button's words"
        );
    }
    for state in [ConsentState::Accept, ConsentState::Reject] {
        assert_eq!(
            run_status(&report, state),
            expected_status(case, state),
            "{id}: the {state} run: {:?}",
            consent.run(state)
        );
    }
    if expected_status(case, ConsentState::Reject) == RunStatus::Verified {
        assert_eq!(
            consent.run(ConsentState::Reject).unwrap().reject_via,
            case.reject_path(),
            "{id}: where the reject was made"
        );
    }

    // Every cookie in exactly the runs that store it, set-then-deleted where the site deletes it.
    for expected in case.cookies {
        let observed = report.observed.iter().find(|o| {
            o.name == expected.name && o.domain == expected.domain && o.rejected.is_none()
        });
        let states: BTreeSet<ConsentState> = observed
            .map(|o| o.states.iter().copied().collect())
            .unwrap_or_default();
        let wanted: BTreeSet<ConsentState> = expected.set_in.iter().copied().collect();
        assert_eq!(
            states, wanted,
            "{id}: the runs that store {}",
            expected.name
        );
        if !expected.deleted_in.is_empty() {
            assert!(
                observed.is_some_and(|o| o.set_then_deleted),
                "{id}: {} is set then deleted",
                expected.name
            );
        }
    }

    // The findings the case calls for, and no others of their kinds.
    let codes: BTreeSet<&str> = report
        .findings
        .iter()
        .filter(|f| f.code.as_str().starts_with("consent:"))
        .map(|f| f.code.as_str())
        .collect();
    let needs_consent =
        |c: &&consent::ExpectedCookie| c.category != CookieCategory::StrictlyNecessary;
    let before = case
        .cookies
        .iter()
        .filter(needs_consent)
        .any(|c| c.set_in.contains(&ConsentState::None));
    let rejected_in_vain = expected_status(case, ConsentState::Reject) == RunStatus::Verified
        && case
            .cookies
            .iter()
            .filter(needs_consent)
            .any(|c| c.set_in.contains(&ConsentState::Reject));
    let mut wanted = BTreeSet::new();
    if before {
        wanted.insert("consent:before_choice");
    }
    if rejected_in_vain {
        wanted.insert("consent:after_reject");
    }
    if shown && !case.reject_on_first_layer() {
        wanted.insert("consent:no_reject_option");
    }
    let unverified = [ConsentState::Accept, ConsentState::Reject]
        .into_iter()
        .any(|s| run_status(&report, s) == RunStatus::Unverified && case.reject_path().is_some());
    if unverified {
        wanted.insert("consent:choice_not_verified");
    }
    assert_eq!(codes, wanted, "{id}: consent findings");
}

macro_rules! cases {
    ($($id:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $id() {
                check(stringify!($id)).await;
            }
        )*

        /// Every case of the fixtures has its test here.
        #[test]
        fn every_consent_case_is_tested() {
            let tested = [$(stringify!($id)),*];
            for case in consent::cases() {
                assert!(tested.contains(&case.id), "{} has no test", case.id);
            }
        }
    };
}

cases!(
    vanilla_compliant,
    klaro_compliant,
    osano_compliant,
    tarteaucitron_compliant,
    govuk_compliant,
    civic_compliant,
    onetrust_before_choice,
    cookiebot_pixel_ignores_reject,
    ecc_set_then_deleted,
    osano_info_only,
    klaro_reject_in_settings,
    vanilla_in_iframe,
    govuk_in_shadow_root,
    govuk_click_navigates,
    civic_never_shown,
    no_banner,
    onetrust_never_closes,
    osano_click_throws,
    klaro_script_404,
    ecc_reload_loop,
    onetrust_oversized_cookie,
);
