//! The seed situations, end to end: real councils' declarations (from `../shared/seeds/`) against
//! what their sites set.

use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::{DeclaredCookie, Severity};

use crate::support::*;

fn row(provider: &str, name: &str, purpose: &str, expiry: &str, n: u32) -> DeclaredCookie {
    DeclaredCookie {
        provider: Some(provider.into()),
        purpose: Some(purpose.into()),
        ..declared_with(name, n, expiry)
    }
}

fn has(out: &cookie_audit_diff::DiffOutput, code: &str, cookie: &str) -> bool {
    out.findings
        .iter()
        .any(|f| f.code.as_str() == code && f.cookie == cookie)
}

/// Barking & Dagenham (seed 003): Cookie | Name | Purpose | Expiry period.
#[test]
fn barking_and_dagenham() {
    const LBBD: &str = "www.lbbd.gov.uk";
    let third = "An essential third party cookie  used to improve the security of the website. Appears on a page with content inserted from an external website.";
    let declared = [
        row(
            "Civic UK",
            "HACIVIC",
            "Used by the server's load balancer.",
            "Session.",
            0,
        ),
        row(
            "Civic UK",
            "nmstat",
            "Used to help record visitors' use of the website.",
            "Persistent. 50 years.",
            1,
        ),
        row(
            "Siteimprove",
            "nmstat",
            "Used to collect statistics about site usage.",
            "Persistent. 50 years.",
            2,
        ),
        row(
            "Siteimprove",
            "siteimproveses",
            "Used purely to track the sequence of pages.",
            "Session.",
            4,
        ),
        row(
            "Siteimprove",
            "__cfduid",
            "Set by the CloudFlare service to identify trusted web traffic.",
            "Persistent. 1 month.",
            5,
        ),
        row(
            "My B&D",
            "MyB&DIdentificationBarking",
            "Used when you are logged into the My B&D service.",
            "Persistent. 20 years.",
            6,
        ),
        row(
            "Icasework data protection management",
            "JSESSIONID",
            "Preserves user state across page requests.",
            "Session.",
            10,
        ),
        row(
            "New Relic",
            "JSESSIONID",
            "JSESSIONID is a cookie in J2EE web applications.",
            "Session.",
            12,
        ),
        row(
            "Incapsula",
            "visid_incap_913011",
            third,
            "Persistent. 1 year.",
            13,
        ),
        row("Incapsula", "incap_ses_459_913011", third, "Session.", 14),
        row(
            "Youtube",
            "YSC",
            "We embed videos from YouTube.",
            "Session.",
            16,
        ),
        row(
            "Google Analytics",
            "_ga",
            "Used to help record visitors' use of the website.",
            "Persistent. 2 years.",
            23,
        ),
        row(
            "Google Analytics",
            "_gat_UA-625217-47",
            "Used to limit the amount of data recorded.",
            "Persistent. 1 minute.",
            24,
        ),
        row(
            "Google Analytics",
            "_gid",
            "Used to group user behaviour together for each user.",
            "Persistent. 1 day.",
            25,
        ),
    ];
    let observed = [
        observed_on(LBBD, "nmstat", ".lbbd.gov.uk", persistent(1000 * DAY)),
        observed_on(LBBD, "siteimproveses", ".lbbd.gov.uk", session()),
        observed_on(LBBD, "visid_incap_913011", ".lbbd.gov.uk", persistent(YEAR)),
        observed_on(LBBD, "incap_ses_771_913011", ".lbbd.gov.uk", session()),
        observed_on(LBBD, "_ga", ".lbbd.gov.uk", persistent(2 * YEAR)),
        observed_on(LBBD, "_gid", ".lbbd.gov.uk", persistent(DAY)),
        observed_on(LBBD, "JSESSIONID", "www.lbbd.gov.uk", session()),
        observed_on(LBBD, "CookieControl", ".lbbd.gov.uk", persistent(90 * DAY)),
    ];
    let out = run_site(
        LBBD,
        &found(),
        &declared,
        &observed,
        &KnowledgeBase::builtin(),
    );

    // The proxy number changed (459 → 771): the same cookie, so neither undeclared nor stale.
    assert!(
        !has(&out, "undeclared", "incap_ses_771_913011"),
        "{:#?}",
        out.findings
    );
    assert!(!has(&out, "stale:not_observed", "incap_ses_459_913011"));
    // "An essential third party cookie", set on the council's own domain.
    assert!(has(&out, "misdescribed:party", "visid_incap_913011"));
    assert!(has(&out, "misdescribed:party", "incap_ses_771_913011"));
    // Retired, with date and source.
    assert!(has(&out, "stale:retired", "__cfduid"));
    assert!(has(&out, "stale:retired", "_gat_UA-625217-47"));
    // Declared twice (Civic UK and Siteimprove; iCasework and New Relic): accounted for once.
    assert!(!has(&out, "stale:not_observed", "nmstat"));
    assert!(!has(&out, "stale:not_observed", "JSESSIONID"));
    // 50 years declared, 1000 days asked for: less than half, low.
    let nmstat = out
        .findings
        .iter()
        .find(|f| f.code.as_str() == "misdescribed:expiry" && f.cookie == "nmstat")
        .expect("nmstat expiry");
    assert_eq!(nmstat.severity, Severity::Low);
    // The consent tool's own cookie is missing from the table.
    let cc = out
        .findings
        .iter()
        .find(|f| f.cookie == "CookieControl")
        .unwrap();
    assert_eq!(
        (cc.code.as_str(), cc.severity),
        ("undeclared", Severity::Medium)
    );
    // Declared but not seen in this crawl.
    for name in ["HACIVIC", "MyB&DIdentificationBarking", "YSC"] {
        assert!(has(&out, "stale:not_observed", name), "{name}");
    }
    assert!(
        out.findings
            .iter()
            .all(|f| !f.message.is_empty() && f.message.ends_with('.'))
    );
    // `SHOW=1 cargo test -p cookie-audit-diff barking -- --nocapture` prints the messages and
    // the corrected table, to read them as a web editor would.
    if std::env::var_os("SHOW").is_some() {
        for f in &out.findings {
            eprintln!("{:<26} {:<7?} {}", f.code, f.severity, f.message);
        }
        for r in &out.suggested_table {
            eprintln!("{r:?}");
        }
    }
}

/// Barnet today (seed 001): Used for | Name | Domain, `_ga` for two domains.
#[test]
fn barnet_today() {
    let d = |name: &str, domain: &str, n: u32| DeclaredCookie {
        domain: Some(domain.into()),
        ..declared(name, n)
    };
    let declared = [
        DeclaredCookie {
            provider: Some("Add to any social media sharing".into()),
            ..d("__cfduid", ".addtoany.com", 0)
        },
        d("_ga", ".twitter.com", 3),
        d("_twitter_sess", ".twitter.com", 4),
        d("JSESSIONID", ".barnet.gov.uk", 20),
        d("cookie_consent_dismissed", ".barnet.gov.uk", 21),
        d("_ga", ".barnet.gov.uk", 22),
        d("_gat", ".barnet.gov.uk", 23),
        d("_gid", ".barnet.gov.uk", 24),
        d("googtrans", ".barnet.gov.uk", 25),
        d("ASP.NET_sessionID", ".account.barnet.gov.uk", 29),
        d("NID", ".google.com", 33),
    ];
    let observed = [
        observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
        observed("_gid", ".barnet.gov.uk", persistent(DAY)),
        observed("JSESSIONID", "www.barnet.gov.uk", session()),
        observed("ASP.NET_SessionId", "account.barnet.gov.uk", session()),
        observed("nmstat", ".barnet.gov.uk", persistent(1000 * DAY)),
    ];
    let out = run(&declared, &observed);

    let ga: Vec<_> = out.findings.iter().filter(|f| f.cookie == "_ga").collect();
    assert_eq!(ga.len(), 1, "{ga:#?}");
    assert_eq!(ga[0].code.as_str(), "stale:not_observed");
    assert_eq!(ga[0].domain.as_deref(), Some("twitter.com"));
    let retired = out
        .findings
        .iter()
        .find(|f| f.cookie == "__cfduid")
        .unwrap();
    assert_eq!(retired.code.as_str(), "stale:retired");
    assert_eq!(retired.domain.as_deref(), Some("addtoany.com"));
    assert!(has(&out, "misdescribed:name_case", "ASP.NET_SessionId"));
    let nmstat = out.findings.iter().find(|f| f.cookie == "nmstat").unwrap();
    assert_eq!(
        (nmstat.code.as_str(), nmstat.severity),
        ("undeclared", Severity::High)
    );
    assert!(
        nmstat
            .message
            .starts_with("nmstat (a Siteimprove analytics cookie)")
    );
    assert!(!has(&out, "undeclared", "_gid"));
}

/// Barnet 2014 (seed 000): nmstat declared as siteimprove.co.uk's, set on the council's domain.
#[test]
fn barnet_2014_nmstat() {
    let d = |name: &str, ty: &str, domain: &str, n: u32| DeclaredCookie {
        domain: Some(domain.into()),
        ..declared_with(name, n, ty)
    };
    let declared = [
        d("TestCookie", "Non-persistent", "barnet.gov.uk", 0),
        d("PHPSESSID", "Non-persistent", "barnet.gov.uk", 1),
        d("nmstat", "Persistent", "siteimprove.co.uk", 2),
        d("_utma", "Persistent", "google.com", 3),
        d("_utmz", "Persistent", "google.com", 3),
    ];
    let observed = [
        observed("nmstat", ".barnet.gov.uk", persistent(1000 * DAY)),
        observed("PHPSESSID", "www.barnet.gov.uk", session()),
        observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
    ];
    let out = run(&declared, &observed);
    let nmstat: Vec<_> = out
        .findings
        .iter()
        .filter(|f| f.cookie == "nmstat")
        .collect();
    assert_eq!(
        nmstat.len(),
        1,
        "one finding for domain and party: {nmstat:#?}"
    );
    assert_eq!(nmstat[0].code.as_str(), "misdescribed:domain");
    assert!(nmstat[0].message.contains("a third party"));
    assert!(nmstat[0].message.contains("your own site"));
    // `_ga` set but not declared.
    let ga = out.findings.iter().find(|f| f.cookie == "_ga").unwrap();
    assert_eq!(
        (ga.code.as_str(), ga.severity),
        ("undeclared", Severity::High)
    );
    // `_utma` (one underscore, as published) is not `__utma`: stale, not retired.
    assert!(has(&out, "stale:not_observed", "_utma"));
}
