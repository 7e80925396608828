//! The diff end to end, on fixture councils that reproduce the seed notices' situations.

use cookie_audit_fixtures::council::{COUNCIL, NORTHFIELD};
use cookie_audit_model::{Finding, Report, Severity};

use crate::support::{council, scan, stderr, stdout};

fn report(url: &str, server: &cookie_audit_fixtures::FixtureServer) -> Report {
    let output = scan(server, url, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn finding<'a>(report: &'a Report, code: &str, cookie: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.code.as_str() == code && f.cookie == cookie)
        .unwrap_or_else(|| {
            let all: Vec<(&str, &str)> = report
                .findings
                .iter()
                .map(|f| (f.code.as_str(), f.cookie.as_str()))
                .collect();
            panic!("no {code} finding for {cookie}: {all:?}")
        })
}

fn no_finding_for(report: &Report, cookie: &str) {
    let found: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.cookie == cookie)
        .map(|f| f.code.as_str())
        .collect();
    assert!(
        found.is_empty(),
        "{cookie} should match its declaration, got {found:?}"
    );
}

#[test]
fn the_seed_situations_on_the_exampleshire_fixture() {
    let (_rt, server) = council();
    let report = report(&server.http_url(COUNCIL, "/"), &server);

    // `_ga` set but not declared: high (analytics), with the fix row, and the prose mention.
    let ga = finding(&report, "undeclared", "_ga");
    assert_eq!(ga.severity, Severity::High);
    assert!(ga.message.contains("Google Analytics"), "{}", ga.message);
    let fix = ga.fix.as_ref().expect("a row to add");
    assert_eq!(fix.expiry, "2 years");
    assert!(report.suggested_table.iter().any(|r| r.name == "_ga"));

    // `nmstat` declared under Siteimprove's domain but set on the council's own: one finding,
    // field domain, whose message names the party too.
    let nmstat = finding(&report, "misdescribed:domain", "nmstat");
    assert!(
        nmstat.message.contains("first-party") || nmstat.message.contains("your own site"),
        "{}",
        nmstat.message
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.cookie == "nmstat" && f.code.as_str() == "misdescribed:party")
    );

    // `__cfduid` still declared: retired by Cloudflare on 10 May 2021.
    let cfduid = finding(&report, "stale:retired", "__cfduid");
    assert_eq!(cfduid.severity, Severity::Medium);
    assert!(cfduid.message.contains("10 May 2021"), "{}", cfduid.message);

    // Declared `incap_ses_459_913011`, observed `incap_ses_771_913011`: the same family, so
    // neither undeclared nor stale; the row names one member, so the fix names the family.
    let incap = finding(
        &report,
        "misdescribed:name_instance",
        "incap_ses_771_913011",
    );
    assert_eq!(incap.severity, Severity::Low);
    assert_eq!(incap.fix.as_ref().unwrap().name, "incap_ses_*_913011");
    let incap_codes: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.cookie.starts_with("incap_ses_"))
        .map(|f| f.code.as_str())
        .collect();
    assert_eq!(incap_codes, ["misdescribed:name_instance"]);

    // Declared as a session cookie, kept for months: high.
    assert_eq!(
        finding(&report, "misdescribed:persistence", "VISITOR_INFO1_LIVE").severity,
        Severity::High
    );
    // Only set after login: not observed, low, and the message says how many pages were crawled.
    let aspxauth = finding(&report, "stale:not_observed", "ASPXAUTH");
    assert_eq!(aspxauth.severity, Severity::Low);
    assert!(
        aspxauth
            .message
            .contains(&report.crawl.pages_visited.to_string())
    );
    // Declared correctly: no finding.
    no_finding_for(&report, "ASP.NET_SessionId");
    no_finding_for(&report, "YSC");
}

#[test]
fn a_barnet_style_table_listing_ga_for_two_domains() {
    let (_rt, server) = council();
    let report = report(&server.http_url(NORTHFIELD, "/"), &server);
    assert_eq!(
        report.declared.iter().filter(|d| d.name == "_ga").count(),
        2,
        "two declarations, one per domain"
    );
    // The council-domain `_ga` pairs with the council-domain declaration.
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.cookie == "_ga" && f.code.as_str() != "stale:not_observed")
    );
    no_finding_for(&report, "_gid");
    // The Twitter declaration is a separate row the crawl never saw set.
    let twitter = report
        .findings
        .iter()
        .find(|f| f.cookie == "_ga" && f.code.as_str() == "stale:not_observed")
        .expect("the .twitter.com row is not observed");
    assert!(
        twitter.message.contains("twitter.com"),
        "{}",
        twitter.message
    );
    // A trailing full stop is not part of the name.
    assert!(
        report
            .declared
            .iter()
            .any(|d| d.name == "ASP.NET_sessionID")
    );
}
