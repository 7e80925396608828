//! `--consent`, `--fail-on consent` and the audit config key `consent`, through the binary: the
//! runs a flag asks for are the runs the report holds, a site that ignores "Reject all" fails a
//! pipeline that asks it to, and the HTTP engine refuses a click it cannot make. Real Chromium and
//! the real consent fixtures (crates/fixtures/src/consent); never skipped.

use std::collections::BTreeSet;
use std::process::{Command, Output, Stdio};

use cookie_audit_fixtures::FixtureServer;
use cookie_audit_fixtures::consent::{self, ConsentCase};
use cookie_audit_model::{ConsentState, CookieCategory, FindingCode, Report, RunStatus};

use crate::audit::{Workspace, defaults, site};
use crate::support::{BIN, stderr};

fn consent_server() -> (tokio::runtime::Runtime, FixtureServer) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(consent::start()).unwrap();
    (runtime, server)
}

/// `cookie-audit scan` of one consent case with the browser engine and JSON on stdout.
fn scan_case(server: &FixtureServer, case: &ConsentCase, extra: &[&str]) -> (Output, Report) {
    let mut cmd = Command::new(BIN);
    cmd.arg("scan")
        .arg(server.http_url(case.host, case.start_path))
        .args([
            "--engine",
            "browser",
            "--offline",
            "--insecure",
            "--rate",
            "0",
        ])
        .args(["--max-pages", "12", "--format", "json"])
        .args(extra)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    for rule in server.resolve_args() {
        cmd.args(["--resolve", &rule]);
    }
    let output = cmd.output().expect("the binary runs");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: not a report ({e}): {}", case.id, stderr(&output)));
    (output, report)
}

fn run_states(report: &Report) -> BTreeSet<ConsentState> {
    report.consent.runs.iter().map(|r| r.state).collect()
}

fn names_in(report: &Report, code: FindingCode) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|f| f.code == code)
        .map(|f| f.cookie.clone())
        .collect()
}

#[test]
fn a_reject_that_is_ignored_fails_the_pipeline_with_fail_on_consent() {
    let (_rt, server) = consent_server();
    let case = consent::case("cookiebot_pixel_ignores_reject").unwrap();
    let (output, report) = scan_case(
        &server,
        case,
        &["--consent", "reject", "--fail-on", "consent"],
    );

    // Only the runs asked for: the visitor who has not chosen, and "Reject all".
    let none_and_reject = BTreeSet::from([ConsentState::None, ConsentState::Reject]);
    assert_eq!(
        run_states(&report),
        none_and_reject,
        "{:#?}",
        report.consent
    );
    assert_eq!(
        report.consent.run(ConsentState::Reject).map(|r| r.status),
        Some(RunStatus::Verified)
    );
    // Every non-essential cookie the case's own data says a rejection stores is reported as such.
    let stored_after_reject: BTreeSet<String> = case
        .cookies_set_in(ConsentState::Reject)
        .filter(|c| c.category != CookieCategory::StrictlyNecessary)
        .filter(|c| {
            !case
                .cookies_set_in(ConsentState::None)
                .any(|n| n.name == c.name)
        })
        .map(|c| c.name.to_string())
        .collect();
    assert!(
        !stored_after_reject.is_empty(),
        "the case stores something after reject"
    );
    let after_reject = names_in(&report, FindingCode::ConsentAfterReject);
    assert!(
        stored_after_reject.is_subset(&after_reject),
        "{stored_after_reject:?} not all in {after_reject:?}"
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn a_compliant_site_passes_and_its_accept_only_cookies_are_not_stale() {
    let (_rt, server) = consent_server();
    let case = consent::case("civic_compliant").unwrap();
    let (output, report) = scan_case(
        &server,
        case,
        &[
            "--consent",
            "accept",
            "--consent-pages",
            "3",
            "--fail-on",
            "consent",
        ],
    );

    let none_and_accept = BTreeSet::from([ConsentState::None, ConsentState::Accept]);
    assert_eq!(
        run_states(&report),
        none_and_accept,
        "{:#?}",
        report.consent
    );
    let accept = report.consent.run(ConsentState::Accept).unwrap();
    assert_eq!(accept.status, RunStatus::Verified, "{accept:#?}");
    assert_eq!(
        accept.pages_visited, 3,
        "--consent-pages 3, the cookie page included: {accept:#?}"
    );

    // The cookies only "Accept all" stores are observed in that run, so no row is stale for them.
    let accept_only: Vec<&str> = case
        .cookies_set_in(ConsentState::Accept)
        .filter(|c| {
            !case
                .cookies_set_in(ConsentState::None)
                .any(|n| n.name == c.name)
        })
        .map(|c| c.name)
        .collect();
    assert!(!accept_only.is_empty(), "the case has accept-only cookies");
    for name in &accept_only {
        let seen = report.observed.iter().find(|o| o.name == *name);
        let states = seen.map(|o| o.states.clone()).unwrap_or_default();
        assert_eq!(states, vec![ConsentState::Accept], "{name}");
    }
    let stale = names_in(&report, FindingCode::StaleNotObserved);
    assert!(
        accept_only.iter().all(|n| !stale.contains(*n)),
        "{stale:?} holds an accept-only cookie of {accept_only:?}"
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn the_http_engine_refuses_a_click_by_flag_and_by_config_key() {
    let (rt, server) = consent_server();
    let case = consent::case("civic_compliant").unwrap();
    let url = server.http_url(case.host, case.start_path);

    let output = Command::new(BIN)
        .args([
            "scan",
            &url,
            "--engine",
            "http",
            "--consent",
            "accept",
            "--offline",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--consent none"),
        "{}",
        stderr(&output)
    );

    let ws = Workspace::new();
    let resolve = server.resolve_args();
    ws.write_config(&format!(
        "{}{}",
        defaults(&resolve, "consent = \"reject\""),
        site(&url, "")
    ));
    let run = rt.block_on(ws.audit(&[]));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("consent"), "{run:?}");
}

#[test]
fn the_demo_runs_a_consent_council_and_names_the_councils_it_has() {
    let tmp = tempfile::tempdir().unwrap();
    let case = consent::case("cookiebot_pixel_ignores_reject").unwrap();
    let output = Command::new(BIN)
        .args([
            "demo",
            "--council",
            case.id,
            "--engine",
            "browser",
            "--format",
            "json",
        ])
        .args([
            "--consent",
            "reject",
            "--consent-pages",
            "3",
            "--max-pages",
            "8",
        ])
        .env("TMPDIR", tmp.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Report = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report.site.contains(case.host), "{}", report.site);
    assert_eq!(
        report.consent.cmp.as_ref().map(|c| c.id.as_str()),
        case.cmp.map(|c| c.rule_id())
    );
    assert!(
        !names_in(&report, FindingCode::ConsentAfterReject).is_empty(),
        "{:#?}",
        report.findings
    );

    let unknown = Command::new(BIN)
        .args(["demo", "--council", "nowhere-shire", "--engine", "http"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let message = stderr(&unknown);
    assert!(
        message.contains("exampleshire") && message.contains(case.id),
        "{message}"
    );
}
