//! Every rule of docs/findings.md at its edges.

use cookie_audit_diff::{ClassificationSource, CookieCategory, KnowledgeBase};
use cookie_audit_model::{
    DeclaredCookie, Evidence, EvidenceKind, FindingField, Party, RejectReason, Rejection, Severity,
    SuggestedStatus,
};

use crate::support::*;

#[test]
fn a_correct_row_gives_no_finding_and_is_kept() {
    let declared = [DeclaredCookie {
        category: Some("Analytics".into()),
        domain: Some(".barnet.gov.uk".into()),
        ..declared_with("_ga", 0, "2 years")
    }];
    let out = run(
        &declared,
        &[observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR))],
    );
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(out.suggested_table.len(), 1);
    assert_eq!(out.suggested_table[0].status, SuggestedStatus::Kept);
    assert_eq!(out.suggested_table[0].expiry, "2 years");
}

#[test]
fn undeclared_severity_by_party_category_and_rejection() {
    let mut rejected = observed("tracker", "barnet.gov.uk", persistent(YEAR));
    rejected.name = "rejected_one".into();
    rejected.rejected = Some(Rejection {
        reason: RejectReason::PublicSuffixDomain,
        message: "Domain=gov.uk is a public suffix".into(),
    });
    let out = run(
        &[declared("something_else", 0)],
        &[
            observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
            observed("council_pref", "www.barnet.gov.uk", persistent(30 * DAY)),
            observed("unknown3p", ".example-vendor.com", session()),
            rejected,
        ],
    );
    let undeclared: Vec<(String, Severity)> = out
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "undeclared")
        .map(|f| (f.cookie.clone(), f.severity))
        .collect();
    assert_eq!(
        undeclared,
        vec![
            ("_ga".to_string(), Severity::High),
            ("council_pref".to_string(), Severity::Medium),
            ("rejected_one".to_string(), Severity::Low),
            ("unknown3p".to_string(), Severity::High),
        ]
    );
    let ga = out.findings.iter().find(|f| f.cookie == "_ga").unwrap();
    assert_eq!(
        ga.message,
        "_ga (a Google Analytics analytics cookie) is set on barnet.gov.uk but your cookie table does not list it."
    );
    let fix = ga.fix.as_ref().unwrap();
    assert_eq!(fix.status, SuggestedStatus::New);
    assert_eq!(fix.expiry, "2 years");
    assert_eq!(fix.provider.as_deref(), Some("Google Analytics"));
    assert_eq!(fix.category.as_deref(), Some("Analytics"));
    assert!(fix.purpose.as_deref().unwrap().ends_with('.'));
    let rejected = out
        .findings
        .iter()
        .find(|f| f.cookie == "rejected_one")
        .unwrap();
    assert!(
        rejected.message.contains("browsers refuse to store it"),
        "{}",
        rejected.message
    );
    assert!(
        rejected.fix.is_none(),
        "a browser never stores it: no row to add"
    );
    assert!(!out.suggested_table.iter().any(|r| r.name == "rejected_one"));
    let unknown = out
        .findings
        .iter()
        .find(|f| f.cookie == "council_pref")
        .unwrap();
    assert_eq!(unknown.fix.as_ref().unwrap().expiry, "1 month");
    // Regression (issue 15): the row is pasted onto the council's page, so a purpose nobody knows
    // stays empty instead of an instruction to the editor ("ask its supplier…").
    assert_eq!(unknown.fix.as_ref().unwrap().purpose, None);
    assert!(
        unknown
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::Response),
        "evidence names the response that set it"
    );
}

#[test]
fn cookies_that_only_delete_themselves_are_not_set() {
    let out = run(
        &[declared("old_pref", 0)],
        &[
            observed("old_pref", "www.barnet.gov.uk", persistent(-1)),
            observed("gone", "www.barnet.gov.uk", persistent(0)),
        ],
    );
    assert_eq!(codes(&out), vec!["stale:not_observed"]);
    let stale = only(&out, "stale:not_observed");
    assert!(
        stale.message.contains("only deleted it"),
        "{}",
        stale.message
    );
    assert_eq!(stale.observed.as_deref(), Some("only deleted"));
}

#[test]
fn name_case_is_a_low_misdescription_with_the_right_spelling_as_fix() {
    let out = run(
        &[declared_with("ASP.NET_sessionID", 4, "Session")],
        &[observed(
            "ASP.NET_SessionId",
            "account.barnet.gov.uk",
            session(),
        )],
    );
    let f = only(&out, "misdescribed:name_case");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.field, Some(FindingField::NameCase));
    assert_eq!(f.fix.as_ref().unwrap().name, "ASP.NET_SessionId");
    assert_eq!(f.fix.as_ref().unwrap().status, SuggestedStatus::Corrected);
    assert_eq!(out.findings.len(), 1, "{:#?}", out.findings);
}

#[test]
fn persistence_both_ways() {
    let out = run(
        &[declared_with("sess_cookie", 0, "Session.")],
        &[observed(
            "sess_cookie",
            "www.barnet.gov.uk",
            persistent(YEAR),
        )],
    );
    let f = only(&out, "misdescribed:persistence");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.message,
        "sess_cookie is listed as a session cookie, but the site asks browsers to keep it for 1 year."
    );
    assert_eq!(f.fix.as_ref().unwrap().expiry, "1 year");

    let out = run(
        &[declared_with("kept_cookie", 0, "Persistent. 1 year.")],
        &[observed("kept_cookie", "www.barnet.gov.uk", session())],
    );
    let f = only(&out, "misdescribed:persistence");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.fix.as_ref().unwrap().expiry, "Session");
    assert!(
        !codes(&out).contains(&"misdescribed:expiry"),
        "a session cookie has no lifetime to compare"
    );
}

fn expiry_findings(declared_text: &str, asked: i64) -> Vec<Severity> {
    let out = run(
        &[declared_with("c", 0, declared_text)],
        &[observed("c", "www.barnet.gov.uk", persistent(asked))],
    );
    out.findings
        .iter()
        .filter(|f| f.code.as_str() == "misdescribed:expiry")
        .map(|f| f.severity)
        .collect()
}

#[test]
fn expiry_at_the_1_5_times_boundary() {
    assert_eq!(expiry_findings("10 days", 15 * DAY), vec![]);
    assert_eq!(
        expiry_findings("10 days", 15 * DAY + 1),
        vec![Severity::Medium]
    );
}

#[test]
fn expiry_at_the_one_day_boundary() {
    // Far over 1.5× but under a day longer: `_gat` declared "1 minute" that lasts an hour is
    // not worth an editor's time.
    assert_eq!(expiry_findings("1 minute", DAY + 59), vec![]);
    assert_eq!(
        expiry_findings("1 minute", DAY + MINUTE),
        vec![Severity::Medium]
    );
}

#[test]
fn expiry_shorter_than_half_is_low() {
    assert_eq!(expiry_findings("10 days", 5 * DAY), vec![]);
    assert_eq!(expiry_findings("10 days", 5 * DAY - 1), vec![Severity::Low]);
    assert_eq!(
        expiry_findings("Persistent", 5 * DAY),
        vec![],
        "no duration, nothing to compare"
    );
}

#[test]
fn expiry_compares_what_the_site_asked_for_not_the_browser_cap() {
    // A 2-year `_ga` is capped at 400 days by Chromium; the table saying 2 years is right.
    assert_eq!(expiry_findings("2 years", 2 * YEAR), vec![]);
    let out = run(
        &[declared_with("c", 0, "1 day")],
        &[observed("c", "www.barnet.gov.uk", persistent(2 * YEAR))],
    );
    let f = only(&out, "misdescribed:expiry");
    assert_eq!(f.declared.as_deref(), Some("1 day"));
    assert_eq!(f.observed.as_deref(), Some("2 years"));
    assert_eq!(
        f.message,
        "c is listed as lasting 1 day, but the site asks browsers to keep it for 2 years, far longer."
    );
}

#[test]
fn domain_finding_names_the_script_that_set_the_cookie() {
    // The browser engine saw Siteimprove's script write nmstat on the council's own domain.
    let declared = [DeclaredCookie {
        domain: Some("siteimprove.co.uk".into()),
        ..declared_with("nmstat", 2, "Persistent")
    }];
    let mut cookie = observed("nmstat", "www.barnet.gov.uk", persistent(1000 * DAY));
    cookie.evidence.push(Evidence::new(
        EvidenceKind::Script,
        "https://siteimproveanalytics.com/js/siteanalyze_6000.js",
    ));
    // An inline script of the council's own page names no third party.
    cookie.evidence.push(Evidence::new(
        EvidenceKind::Script,
        "https://www.barnet.gov.uk/",
    ));
    let out = run(&declared, &[cookie]);
    assert_eq!(
        out.findings[0].message,
        "nmstat is listed under siteimprove.co.uk, a third party, but a script from siteimproveanalytics.com sets it on your own domain www.barnet.gov.uk (a first-party cookie)."
    );
}

#[test]
fn domain_and_party_mismatch_is_one_domain_finding_naming_the_party() {
    // The nmstat case: declared as siteimprove.co.uk's, set by Siteimprove's script on the
    // council's own domain.
    let declared = [DeclaredCookie {
        domain: Some("siteimprove.co.uk".into()),
        ..declared_with("nmstat", 2, "Persistent")
    }];
    let out = run(
        &declared,
        &[observed("nmstat", ".barnet.gov.uk", persistent(1000 * DAY))],
    );
    assert_eq!(
        codes(&out),
        vec!["misdescribed:domain"],
        "{:#?}",
        out.findings
    );
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        f.message,
        "nmstat is listed under siteimprove.co.uk, a third party, but your own site sets it on barnet.gov.uk (a first-party cookie)."
    );
    assert_eq!(f.fix.as_ref().unwrap().domain, "barnet.gov.uk");
    let row = f
        .evidence
        .iter()
        .find(|e| e.kind == EvidenceKind::DeclaredRow)
        .expect("the declared row is evidence");
    assert_eq!((row.table, row.row), (Some(0), Some(2)));
    assert_eq!(row.url, COOKIE_PAGE);
}

#[test]
fn declared_first_party_but_set_by_a_third_party_is_high() {
    let declared = [DeclaredCookie {
        domain: Some("barnet.gov.uk".into()),
        ..declared("widget_id", 0)
    }];
    let out = run(
        &declared,
        &[observed(
            "widget_id",
            ".widgets.example.com",
            persistent(DAY),
        )],
    );
    let f = only(&out, "misdescribed:domain");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message
            .contains("a third party sets it on widgets.example.com"),
        "{}",
        f.message
    );
}

#[test]
fn party_claimed_in_words_without_a_domain() {
    // Barking & Dagenham's Incapsula rows: "An essential third party cookie", set first-party.
    let rows = [DeclaredCookie {
        provider: Some("Incapsula".into()),
        purpose: Some(
            "An essential third party cookie used to improve the security of the website.".into(),
        ),
        ..declared_with("visid_incap_913011", 0, "Persistent. 1 year.")
    }];
    let out = run(
        &rows,
        &[observed(
            "visid_incap_913011",
            ".lbbd.gov.uk",
            persistent(YEAR),
        )],
    );
    // lbbd.gov.uk is another site than SITE here, so make the observation first-party explicitly.
    let mut cookie = observed("visid_incap_913011", ".barnet.gov.uk", persistent(YEAR));
    cookie.party = Party::First;
    let out_first = run(&rows, &[cookie]);
    let f = only(&out_first, "misdescribed:party");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(
        f.message,
        "visid_incap_913011 is described as a third-party cookie, but your own site sets it on barnet.gov.uk."
    );
    assert!(
        !codes(&out).contains(&"misdescribed:party"),
        "third-party as claimed: {:#?}",
        out.findings
    );

    let rows = [DeclaredCookie {
        category: Some("First party".into()),
        ..declared("embed_pref", 0)
    }];
    let out = run(
        &rows,
        &[observed("embed_pref", ".video.example.com", session())],
    );
    assert_eq!(only(&out, "misdescribed:party").severity, Severity::High);
}

#[test]
fn category_contradicting_the_knowledge_base() {
    let rows = [DeclaredCookie {
        category: Some("Strictly necessary".into()),
        ..declared_with("_ga", 0, "2 years")
    }];
    let out = run(
        &rows,
        &[observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR))],
    );
    let f = only(&out, "misdescribed:category");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.message,
        "_ga is listed as Strictly necessary, but it is an analytics cookie (Google Analytics)."
    );
    assert!(f.evidence.iter().any(|e| e.kind == EvidenceKind::Reference));
    assert_eq!(
        f.fix.as_ref().unwrap().category.as_deref(),
        Some("Analytics")
    );

    // Stricter than needed: low.
    let rows = [DeclaredCookie {
        category: Some("Functional".into()),
        ..declared_with("CookieControl", 0, "90 days")
    }];
    let out = run(
        &rows,
        &[observed(
            "CookieControl",
            ".barnet.gov.uk",
            persistent(90 * DAY),
        )],
    );
    assert_eq!(only(&out, "misdescribed:category").severity, Severity::Low);

    // Marketing called analytics: consent is asked for either way, so medium.
    let rows = [DeclaredCookie {
        category: Some("Performance".into()),
        ..declared_with("_fbp", 0, "90 days")
    }];
    let out = run(
        &rows,
        &[observed("_fbp", ".barnet.gov.uk", persistent(90 * DAY))],
    );
    assert_eq!(
        only(&out, "misdescribed:category").severity,
        Severity::Medium
    );

    // A category the table does not clearly name is not compared.
    let rows = [DeclaredCookie {
        category: Some("Functional / Analytics".into()),
        ..declared_with("_ga", 0, "2 years")
    }];
    let out = run(
        &rows,
        &[observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR))],
    );
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn knowledge_base_families_pair_varying_ids() {
    let out = run(
        &[
            declared_with("incap_ses_459_913011", 0, "Session."),
            declared_with("_gat_UA-625217-47", 1, "Persistent. 1 minute."),
        ],
        &[
            observed("incap_ses_771_913011", ".barnet.gov.uk", session()),
            observed("_gat_UA-999-1", ".barnet.gov.uk", persistent(MINUTE)),
        ],
    );
    // Paired, so neither undeclared nor stale; the rows name one member each, so the fix names
    // the family, keeping the value the two share.
    assert_eq!(
        codes(&out),
        vec!["misdescribed:name_instance", "misdescribed:name_instance"]
    );
    let fixes: Vec<(&str, &str)> = out
        .findings
        .iter()
        .map(|f| (f.cookie.as_str(), f.fix.as_ref().unwrap().name.as_str()))
        .collect();
    assert_eq!(
        fixes,
        [
            ("_gat_UA-999-1", "_gat_UA-*"),
            ("incap_ses_771_913011", "incap_ses_*_913011")
        ]
    );
    let f = &out.findings[1];
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(f.field, Some(FindingField::NameInstance));
    assert_eq!(f.declared.as_deref(), Some("incap_ses_459_913011"));
    assert!(
        f.message.contains("List it as incap_ses_*_913011"),
        "{}",
        f.message
    );
    assert_eq!(f.fix.as_ref().unwrap().status, SuggestedStatus::Corrected);

    // A row that names the member the site set is right as it stands.
    let out = run(
        &[declared_with("incap_ses_771_913011", 0, "Session.")],
        &[observed(
            "incap_ses_771_913011",
            ".barnet.gov.uk",
            session(),
        )],
    );
    assert!(out.findings.is_empty(), "{:#?}", out.findings);

    // Typed placeholders keep families apart.
    let out = run(
        &[declared("_hjSession_12345", 0)],
        &[observed(
            "_hjSessionUser_12345",
            ".barnet.gov.uk",
            persistent(YEAR),
        )],
    );
    assert_eq!(codes(&out), vec!["undeclared", "stale:not_observed"]);
}

#[test]
fn a_family_prefers_the_declaration_with_the_same_site_id() {
    let out = run(
        &[
            declared_with("incap_ses_459_111111", 0, "Session."),
            declared_with("incap_ses_459_913011", 1, "Session."),
        ],
        &[observed(
            "incap_ses_771_913011",
            ".barnet.gov.uk",
            session(),
        )],
    );
    let stale = only(&out, "stale:not_observed");
    assert_eq!(stale.cookie, "incap_ses_459_111111");
}

#[test]
fn declared_patterns_and_the_short_prefix_guard() {
    let glob = DeclaredCookie {
        pattern: true,
        glob: Some("_ga_*".into()),
        ..declared_with("_ga_<container-id>", 0, "2 years")
    };
    let out = run(
        &[glob],
        &[observed(
            "_ga_ABC123",
            ".barnet.gov.uk",
            persistent(2 * YEAR),
        )],
    );
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(
        out.suggested_table[0].name, "_ga_<container-id>",
        "the pattern row is kept"
    );

    let short = DeclaredCookie {
        pattern: true,
        glob: Some("_g*".into()),
        ..declared("_g*", 0)
    };
    let out = run(
        &[short],
        &[observed("_gid", ".barnet.gov.uk", persistent(DAY))],
    );
    assert_eq!(codes(&out), vec!["undeclared", "stale:not_observed"]);
    assert_eq!(out.warnings.len(), 1);
    assert!(
        out.warnings[0].contains("fewer than 3 characters"),
        "{}",
        out.warnings[0]
    );
}

#[test]
fn the_same_name_for_two_domains_is_two_declarations() {
    // Barnet lists _ga for .twitter.com and for .barnet.gov.uk.
    let declared = [
        DeclaredCookie {
            domain: Some(".twitter.com".into()),
            ..declared("_ga", 3)
        },
        DeclaredCookie {
            domain: Some(".barnet.gov.uk".into()),
            ..declared("_ga", 20)
        },
    ];
    let out = run(
        &declared,
        &[observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR))],
    );
    assert_eq!(
        codes(&out),
        vec!["stale:not_observed"],
        "{:#?}",
        out.findings
    );
    let stale = &out.findings[0];
    assert_eq!(stale.domain.as_deref(), Some("twitter.com"));
    assert_eq!(
        stale.message,
        "_ga is listed in your cookie table for twitter.com but was not set on any of the 25 pages crawled; it may be set only after login, consent or interaction, so check whether it is still used."
    );

    // Declared only for barnet.gov.uk: a `_ga` on twitter.com is another, undeclared cookie,
    // not a wrong domain for the row that already fits.
    let out = run(
        &declared[1..],
        &[
            observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
            observed("_ga", ".twitter.com", persistent(2 * YEAR)),
        ],
    );
    let f = only(&out, "undeclared");
    assert_eq!(f.domain.as_deref(), Some("twitter.com"));
    assert_eq!(out.findings.len(), 1, "{:#?}", out.findings);

    // Observed on both: each pairs with its own row.
    let out = run(
        &declared,
        &[
            observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
            observed("_ga", ".twitter.com", persistent(2 * YEAR)),
        ],
    );
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn retired_cookies_are_stale_with_date_and_source() {
    let out = run(
        &[
            declared_with("__cfduid", 0, "Persistent. 1 month."),
            declared_with("_gat_UA-625217-47", 1, "Persistent. 1 minute."),
            declared_with("__utmz", 2, "6 months"),
        ],
        &[],
    );
    assert_eq!(
        summary(&out),
        vec![
            (
                "stale:retired".to_string(),
                "__cfduid".to_string(),
                Severity::Medium
            ),
            (
                "stale:retired".to_string(),
                "__utmz".to_string(),
                Severity::Medium
            ),
            (
                "stale:retired".to_string(),
                "_gat_UA-625217-47".to_string(),
                Severity::Medium
            ),
        ]
    );
    let cf = &out.findings[0];
    assert_eq!(
        cf.message,
        "__cfduid is listed in your cookie table, but Cloudflare stopped setting this cookie on 10 May 2021; remove the row."
    );
    assert!(
        cf.evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::Reference && e.url.contains("cloudflare.com"))
    );
    assert!(out.findings[2].message.contains("1 July 2023"));
    assert!(
        out.suggested_table.is_empty(),
        "retired rows are dropped from the table"
    );
}

#[test]
fn not_observed_is_low_and_kept_in_the_table() {
    let out = run(&[declared_with("MyAccountLogin", 0, "Session")], &[]);
    let f = only(&out, "stale:not_observed");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(out.suggested_table[0].status, SuggestedStatus::Kept);

    let suspicious = DeclaredCookie {
        suspicious_name: true,
        ..declared("ASP.Net Session Id", 1)
    };
    let out = run(&[suspicious], &[]);
    assert!(
        only(&out, "stale:not_observed")
            .message
            .contains("does not look like a cookie name")
    );
}

#[test]
fn no_declaration_makes_every_cookie_undeclared_plus_one_summary() {
    let mut declaration = not_found();
    declaration
        .prose_mentions
        .push(vendor_mention("Google Analytics"));
    let out = run_with(
        &declaration,
        &[],
        &[
            observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
            observed("PHPSESSID", "www.barnet.gov.uk", session()),
        ],
        &KnowledgeBase::builtin(),
    );
    assert_eq!(
        codes(&out),
        vec!["undeclared", "undeclared", "no_declaration"]
    );
    let summary = only(&out, "no_declaration");
    assert_eq!(summary.severity, Severity::High);
    assert_eq!(summary.cookie, "");
    assert_eq!(
        summary.message,
        "No cookie table was found on the site's privacy or cookie pages, yet the site set 2 cookies (1 of them third-party, analytics or marketing), each reported as undeclared; your privacy page mentions Google Analytics (which set _ga) in its text but lists none of its cookies."
    );
    let ga = out.findings.iter().find(|f| f.cookie == "_ga").unwrap();
    assert_eq!(
        ga.message,
        "_ga (a Google Analytics analytics cookie) is set on barnet.gov.uk but no cookie table on the site lists it; your privacy page mentions Google Analytics in its text, but not this cookie."
    );
    assert!(ga.evidence.iter().any(|e| e.url == COOKIE_PAGE));

    let out = run_with(&not_found(), &[], &[], &KnowledgeBase::builtin());
    assert_eq!(only(&out, "no_declaration").severity, Severity::Low);
}

/// Issue 15: a 404 on the cookie page gave a high `no_declaration` and every cookie
/// "undeclared", judged against a table nobody read. Now nothing is judged by it; the suggested
/// table still lists what the site sets.
#[test]
fn an_unreadable_cookie_page_accuses_nothing() {
    let observed = [
        observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
        observed("PHPSESSID", "www.barnet.gov.uk", session()),
    ];
    let out = run_with(&unreadable(), &[], &observed, &KnowledgeBase::builtin());
    assert!(codes(&out).is_empty(), "{:?}", codes(&out));
    let names: Vec<&str> = out
        .suggested_table
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert!(
        names.contains(&"_ga") && names.contains(&"PHPSESSID"),
        "{names:?}"
    );
    // The same cookies with a page that loaded and had no table: that is a finding.
    let out = run_with(&not_found(), &[], &observed, &KnowledgeBase::builtin());
    assert!(codes(&out).contains(&"no_declaration"));
}

#[test]
fn prose_mentions_are_named_even_when_a_table_exists() {
    let mut declaration = found();
    declaration.prose_mentions.push(vendor_mention("YouTube"));
    let out = run_with(
        &declaration,
        &[declared_with("PHPSESSID", 0, "Session")],
        &[
            observed("PHPSESSID", "www.barnet.gov.uk", session()),
            observed("YSC", ".youtube.com", session()),
        ],
        &KnowledgeBase::builtin(),
    );
    let f = only(&out, "undeclared");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.message,
        "YSC (a YouTube marketing cookie) is set on youtube.com, a third party, but your cookie table does not list it; your privacy page mentions YouTube in its text, but not this cookie."
    );
}

#[test]
fn observed_cookies_come_back_classified_with_their_source() {
    let out = run(
        &[declared("x", 0)],
        &[
            observed("_ga_XYZ", ".barnet.gov.uk", persistent(2 * YEAR)),
            observed("mystery", "www.barnet.gov.uk", session()),
        ],
    );
    let ga = out.observed.iter().find(|o| o.name == "_ga_XYZ").unwrap();
    let class = ga.classification.as_ref().unwrap();
    assert_eq!(class.source, ClassificationSource::Builtin);
    assert_eq!(class.category, CookieCategory::Analytics);
    assert_eq!(class.matched, "_ga_{id}");
    assert!(
        out.observed
            .iter()
            .any(|o| o.name == "mystery" && o.classification.is_none())
    );
}

#[test]
fn output_is_deterministic_whatever_the_input_order() {
    let declared = [
        declared_with("nmstat", 0, "Persistent. 50 years."),
        declared_with("__cfduid", 1, "1 month"),
        declared_with("sid", 2, "Session."),
    ];
    let mut cookies = vec![
        observed("nmstat", ".barnet.gov.uk", persistent(1000 * DAY)),
        observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
        observed("JSESSIONID", "www.barnet.gov.uk", session()),
        observed("JSESSIONID", "forms.barnet.gov.uk", session()),
        observed("YSC", ".youtube.com", session()),
    ];
    let first = run(&declared, &cookies);
    cookies.reverse();
    let second = run(&declared, &cookies);
    assert_eq!(first.findings, second.findings);
    assert_eq!(first.suggested_table, second.suggested_table);
    let keys: Vec<_> = first
        .findings
        .iter()
        .map(|f| (f.kind, f.cookie.clone(), f.domain.clone(), f.field))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "findings sorted by kind, cookie, domain, field"
    );
}

#[test]
fn the_same_cookie_on_several_paths_is_one_finding() {
    let mut a = observed("JSESSIONID", "www.barnet.gov.uk", session());
    let mut b = a.clone();
    a.path = "/app".into();
    b.path = "/forms".into();
    b.first_seen_page = "https://www.barnet.gov.uk/forms".into();
    b.evidence[0].url = b.first_seen_page.clone();
    let out = run(&[declared("other", 0)], &[a, b]);
    let f = only(&out, "undeclared");
    assert_eq!(
        f.evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Page)
            .count(),
        2,
        "evidence of both paths is kept"
    );
    assert_eq!(
        out.suggested_table
            .iter()
            .filter(|r| r.name == "JSESSIONID")
            .count(),
        1
    );
}

#[test]
fn suggested_table_groups_by_category_then_name() {
    let out = run(
        &[
            declared_with("siteimproveses", 0, "Session"),
            declared_with("__cfduid", 1, "1 month"),
            declared_with("MyB&DIdentificationBarking", 2, "Persistent. 20 years."),
        ],
        &[
            observed("siteimproveses", ".barnet.gov.uk", session()),
            observed("_ga", ".barnet.gov.uk", persistent(2 * YEAR)),
            observed("CookieControl", ".barnet.gov.uk", persistent(90 * DAY)),
            observed("YSC", ".youtube.com", session()),
        ],
    );
    let names: Vec<(&str, SuggestedStatus)> = out
        .suggested_table
        .iter()
        .map(|r| (r.name.as_str(), r.status))
        .collect();
    assert_eq!(
        names,
        vec![
            ("CookieControl", SuggestedStatus::New),
            ("_ga", SuggestedStatus::New),
            ("siteimproveses", SuggestedStatus::Kept),
            ("YSC", SuggestedStatus::New),
            ("MyB&DIdentificationBarking", SuggestedStatus::Kept),
        ]
    );
    let ysc = out
        .suggested_table
        .iter()
        .find(|r| r.name == "YSC")
        .unwrap();
    assert_eq!(ysc.expiry, "Session");
    assert_eq!(ysc.domain, "youtube.com");
}
