//! The consent findings: the ICO's three tests, an unconfirmed click, and the platform's own
//! cookie list against the page's table.

use cookie_audit_model::{
    Banner, Clicked, Cmp, Consent, ConsentRun, ConsentState, DeclaredSourceKind, Detection,
    RejectPath, RunStatus, Severity,
};

use crate::support::*;

fn run(state: ConsentState, status: RunStatus) -> ConsentRun {
    ConsentRun {
        state,
        status,
        verified_by: (status == RunStatus::Verified).then(|| "the OptanonConsent cookie".into()),
        clicked: (state != ConsentState::None).then(|| Clicked {
            text: if state == ConsentState::Accept {
                "Accept All"
            } else {
                "Reject All"
            }
            .into(),
            selector: "#button".into(),
            within: None,
            page: format!("https://{SITE}/"),
        }),
        reject_via: (state == ConsentState::Reject).then_some(RejectPath::FirstLayer),
        pages_visited: 10,
        error: (status == RunStatus::Unverified)
            .then(|| "OneTrust did not record \"reject\"".into()),
    }
}

fn consent(reject: RunStatus, reject_on_first_layer: bool) -> Consent {
    Consent {
        cmp: Some(Cmp {
            id: "onetrust".into(),
            name: "OneTrust".into(),
            detected_by: Detection::Rule,
            cookies: vec!["OptanonConsent".into()],
        }),
        banner: Banner {
            found: true,
            page: Some(format!("https://{SITE}/")),
            reject_on_first_layer: Some(reject_on_first_layer),
            accept_label: Some("Accept All".into()),
            reject_label: Some("Reject All".into()),
        },
        runs: vec![
            run(ConsentState::None, RunStatus::Complete),
            run(ConsentState::Accept, RunStatus::Verified),
            run(ConsentState::Reject, reject),
        ],
    }
}

fn seen(name: &str, domain: &str, states: &[ConsentState]) -> cookie_audit_model::ObservedCookie {
    let mut o = observed(name, domain, persistent(YEAR));
    o.states = states.to_vec();
    // In these tests a choice run's cookie was stored after its click.
    o.stored_after_click = states
        .iter()
        .copied()
        .filter(|s| *s != ConsentState::None)
        .collect();
    o
}

#[test]
fn advertising_before_a_choice_is_high_analytics_medium_and_the_consent_cookie_nothing() {
    use ConsentState::*;
    let observed = [
        seen("IDE", "doubleclick.net", &[None, Accept]),
        seen("_ga", "barnet.gov.uk", &[None, Accept, Reject]),
        seen(
            "OptanonConsent",
            "www.barnet.gov.uk",
            &[None, Accept, Reject],
        ),
        seen("mystery", "www.barnet.gov.uk", &[None]),
    ];
    let out = run_consent(
        &[declared("_ga", 0)],
        &observed,
        &consent(RunStatus::Verified, true),
    );
    let before: Vec<(&str, Severity)> = out
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "consent:before_choice")
        .map(|f| (f.cookie.as_str(), f.severity))
        .collect();
    assert!(before.contains(&("IDE", Severity::High)), "{before:?}");
    assert!(before.contains(&("_ga", Severity::Medium)), "{before:?}");
    assert!(before.contains(&("mystery", Severity::Low)), "{before:?}");
    assert!(!before.iter().any(|(c, _)| *c == "OptanonConsent"));
    let ga = out
        .findings
        .iter()
        .find(|f| f.code.as_str() == "consent:before_choice" && f.cookie == "_ga")
        .unwrap();
    assert!(
        ga.message.contains("your cookie table declares it"),
        "{}",
        ga.message
    );
    // _ga after a confirmed reject.
    let after = only(&out, "consent:after_reject");
    assert_eq!(after.cookie, "_ga");
}

#[test]
fn an_unconfirmed_reject_accuses_nothing_and_says_so() {
    use ConsentState::*;
    let observed = [seen("_ga", "barnet.gov.uk", &[Accept, Reject])];
    let out = run_consent(&[], &observed, &consent(RunStatus::Unverified, true));
    assert!(!codes(&out).contains(&"consent:after_reject"));
    let not_verified = only(&out, "consent:choice_not_verified");
    assert!(
        not_verified.message.contains("Reject All"),
        "{}",
        not_verified.message
    );
}

#[test]
fn no_reject_on_the_first_layer_is_high() {
    let mut c = consent(RunStatus::Verified, false);
    c.banner.reject_label = Some("Cookie settings".into());
    let out = run_consent(&[], &[], &c);
    let f = only(&out, "consent:no_reject_option");
    assert_eq!(f.severity, Severity::High);
    assert!(f.message.contains("Cookie settings"), "{}", f.message);
}

#[test]
fn the_http_engine_has_no_consent_findings() {
    let observed = [seen("_ga", "barnet.gov.uk", &[ConsentState::None])];
    let out = run_consent(&[], &observed, &Consent::none_only(25, None));
    assert!(
        !codes(&out).iter().any(|c| c.starts_with("consent:")),
        "{:?}",
        codes(&out)
    );
}

#[test]
fn the_platform_list_and_the_table_are_compared_for_cookies_the_site_sets() {
    use ConsentState::*;
    let mut on_list = declared("_fbp", 0);
    on_list.source.kind = DeclaredSourceKind::Cmp;
    let mut ga_on_list = declared("_ga", 1);
    ga_on_list.source.kind = DeclaredSourceKind::Cmp;
    ga_on_list.category = Some("Performance".into());
    let mut ga_in_table = declared("_ga", 0);
    ga_in_table.category = Some("Functional".into());
    let ide_in_table = declared("IDE", 1);
    let observed = [
        seen("_fbp", "barnet.gov.uk", &[Accept]),
        seen("_ga", "barnet.gov.uk", &[Accept]),
        seen("IDE", "doubleclick.net", &[Accept]),
    ];
    let out = run_consent(
        &[ga_in_table, ide_in_table, on_list, ga_on_list],
        &observed,
        &consent(RunStatus::Verified, true),
    );
    assert_eq!(only(&out, "cmp_mismatch:not_in_table").cookie, "_fbp");
    let not_in_cmp = only(&out, "cmp_mismatch:not_in_cmp");
    assert_eq!(
        (not_in_cmp.cookie.as_str(), not_in_cmp.severity),
        ("IDE", Severity::High)
    );
    let category = only(&out, "cmp_mismatch:category");
    assert!(
        category.message.contains("\"Functional\"") && category.message.contains("\"Performance\""),
        "{}",
        category.message
    );
    // Its evidence points at the platform's list, not at a table and row of the page.
    let from_list = only(&out, "cmp_mismatch:not_in_table")
        .evidence
        .iter()
        .find(|e| e.kind == cookie_audit_model::EvidenceKind::DeclaredRow)
        .expect("the list's row as evidence");
    assert_eq!(
        (from_list.table, from_list.row),
        (Option::None, Option::None)
    );
    assert!(
        from_list
            .note
            .as_deref()
            .is_some_and(|n| n.contains("own cookie list")),
        "{from_list:?}"
    );
    // The platform's list is not the table: _fbp is still undeclared.
    assert!(
        out.findings
            .iter()
            .any(|f| f.code.as_str() == "undeclared" && f.cookie == "_fbp")
    );
}

#[test]
fn a_cookie_written_before_the_reject_click_and_kept_says_so() {
    use ConsentState::*;
    let mut ga = seen("_ga", "barnet.gov.uk", &[Reject]);
    // Written 574 ms before the click in the "Reject all" visit, and never after it.
    ga.stored_after_click.clear();
    for e in &mut ga.evidence {
        e.state = Some(Reject);
        e.at_ms = Some(-574);
    }
    let out = run_consent(&[], &[ga.clone()], &consent(RunStatus::Verified, true));
    let after = only(&out, "consent:after_reject");
    assert!(
        after
            .message
            .contains("574 ms before the visitor clicked \"Reject all\" and kept after it"),
        "{}",
        after.message
    );

    // Removed again (set then deleted) and never written after the click: the rejection
    // worked, and nothing is held against it.
    ga.set_then_deleted = true;
    let out = run_consent(&[], &[ga.clone()], &consent(RunStatus::Verified, true));
    assert!(
        !codes(&out).contains(&"consent:after_reject"),
        "{:?}",
        codes(&out)
    );

    // Written again after the click, even if deleted again: stored after "Reject all".
    ga.stored_after_click = vec![Reject];
    ga.evidence[0].at_ms = Some(1200);
    let out = run_consent(&[], &[ga], &consent(RunStatus::Verified, true));
    let after = only(&out, "consent:after_reject");
    assert!(after.message.contains("1.2 s after"), "{}", after.message);
}

#[test]
fn a_nameless_cookie_is_named_as_such() {
    use ConsentState::*;
    let observed = [seen("", "www.barnet.gov.uk", &[None])];
    let out = run_consent(&[], &observed, &consent(RunStatus::Verified, true));
    let before = only(&out, "consent:before_choice");
    assert_eq!(before.cookie, "");
    assert!(
        before.message.starts_with("A cookie with no name ("),
        "{}",
        before.message
    );
}
