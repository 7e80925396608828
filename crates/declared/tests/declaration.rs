//! `read_declaration`: several pages into the report's `Declaration`.

use cookie_audit_declared::read_declaration;
use cookie_audit_model::DeclarationSource;
use cookie_audit_model::{DeclarationStatus, MentionKind};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(crate::fixtures::testdata().join(name)).expect("fixture")
}

fn page(url: &str, found_by: &str, html: Option<String>, error: Option<&str>) -> DeclarationSource {
    DeclarationSource {
        url: url::Url::parse(url).expect("valid URL"),
        found_by: found_by.to_string(),
        html,
        error: error.map(str::to_string),
    }
}

#[test]
fn pages_in_order_with_their_counts() {
    let pages = [
        page(
            "https://www.barnet.gov.uk/privacy-notices#cookies",
            "link text \"Privacy\"",
            Some(fixture("seed001_barnet.html")),
            None,
        ),
        page(
            "https://www.lbbd.gov.uk/general-privacy-notice",
            "--privacy-url",
            Some(fixture("seed003_barking_dagenham.html")),
            None,
        ),
    ];
    let (declaration, cookies) = read_declaration(&pages);
    assert_eq!(declaration.status, DeclarationStatus::Found);
    assert_eq!(declaration.pages.len(), 2);
    // The fragment is not part of the page's identity.
    assert_eq!(
        declaration.pages[0].url,
        "https://www.barnet.gov.uk/privacy-notices"
    );
    assert_eq!(declaration.pages[0].found_by, "link text \"Privacy\"");
    assert_eq!(
        (declaration.pages[0].tables, declaration.pages[0].cookies),
        (1, 42)
    );
    assert_eq!(
        (declaration.pages[1].tables, declaration.pages[1].cookies),
        (1, 32)
    );
    assert_eq!(cookies.len(), 74);
    assert_eq!(
        cookies[0].source.url,
        "https://www.barnet.gov.uk/privacy-notices"
    );
    assert_eq!(
        cookies[42].source.url,
        "https://www.lbbd.gov.uk/general-privacy-notice"
    );
    // Barnet declares `_ga` for two domains: two declarations.
    let barnet_ga: Vec<_> = cookies[..42].iter().filter(|c| c.name == "_ga").collect();
    assert_eq!(barnet_ga.len(), 2);
    assert!(
        declaration
            .prose_mentions
            .iter()
            .any(|m| m.term == "Siteimprove"
                && m.kind == MentionKind::Vendor
                && m.url == "https://www.lbbd.gov.uk/general-privacy-notice")
    );
}

#[test]
fn the_same_table_on_two_pages_is_declared_once() {
    let html = fixture("seed000_barnet_2014.html");
    let pages = [
        page(
            "https://www.barnet.gov.uk/privacy",
            "start page footer",
            Some(html.clone()),
            None,
        ),
        page(
            "https://www.barnet.gov.uk/cookies",
            "link from privacy page",
            Some(html),
            None,
        ),
    ];
    let (declaration, cookies) = read_declaration(&pages);
    assert_eq!(cookies.len(), 7);
    assert!(
        cookies
            .iter()
            .all(|c| c.source.url == "https://www.barnet.gov.uk/privacy")
    );
    // Each page still says what it declared itself.
    assert_eq!(declaration.pages[1].cookies, 7);
}

#[test]
fn failed_and_prose_only_pages() {
    let pages = [
        page(
            "https://www.buckscc.gov.uk/privacy-policy",
            "link text \"Privacy\"",
            Some(fixture("seed004_buckinghamshire.html")),
            None,
        ),
        page(
            "https://www.buckscc.gov.uk/cookies",
            "link text \"Cookies\"",
            None,
            Some("HTTP 404"),
        ),
        page(
            "https://www.buckscc.gov.uk/terms",
            "link text \"Terms\"",
            None,
            None,
        ),
    ];
    let (declaration, cookies) = read_declaration(&pages);
    assert!(cookies.is_empty());
    assert_eq!(declaration.status, DeclarationStatus::NotFound);
    assert_eq!(declaration.pages[0].tables, 0);
    assert_eq!(declaration.pages[1].error.as_deref(), Some("HTTP 404"));
    assert!(declaration.pages[2].error.is_some());
    let terms: Vec<&str> = declaration
        .prose_mentions
        .iter()
        .map(|m| m.term.as_str())
        .collect();
    assert_eq!(terms, ["Google Analytics"]);
}

#[test]
fn no_pages_is_not_found() {
    let (declaration, cookies) = read_declaration(&[]);
    assert_eq!(declaration.status, DeclarationStatus::NotFound);
    assert!(declaration.pages.is_empty() && cookies.is_empty());
}

#[test]
fn warnings_name_their_page() {
    let pages = [page(
        "https://www.anytown.gov.uk/cookie-policy",
        "--privacy-url",
        Some(fixture("cookiebot_declaration.html")),
        None,
    )];
    let (declaration, _) = read_declaration(&pages);
    assert!(!declaration.warnings.is_empty());
    assert!(
        declaration
            .warnings
            .iter()
            .all(|w| w.starts_with("https://www.anytown.gov.uk/cookie-policy: table "))
    );
}

/// Issue 15: a 404 on `--privacy-url` read as "no cookie table", and every cookie undeclared.
/// A page that never loaded is not a page without a table.
#[test]
fn every_page_failing_is_unreadable_with_the_reason() {
    let pages = [
        page(
            "https://www.anytown.gov.uk/cookies",
            "--privacy-url",
            None,
            Some("HTTP 404"),
        ),
        page(
            "https://www.anytown.gov.uk/privacy",
            "--privacy-url",
            None,
            Some("timed out after 20s"),
        ),
    ];
    let (declaration, cookies) = read_declaration(&pages);
    assert!(cookies.is_empty());
    assert_eq!(declaration.status, DeclarationStatus::Unreadable);
    let reason = declaration.reason.expect("the reason is given");
    assert!(
        reason.contains("https://www.anytown.gov.uk/cookies (HTTP 404)")
            && reason.contains("timed out after 20s"),
        "{reason}"
    );
    // One page read without a table is a real "not found": the site published no table there.
    let mut some_read = pages.to_vec();
    some_read.push(page(
        "https://www.anytown.gov.uk/terms",
        "link text \"Terms\"",
        Some("<p>No cookies here.</p>".to_string()),
        None,
    ));
    let (declaration, _) = read_declaration(&some_read);
    assert_eq!(declaration.status, DeclarationStatus::NotFound);
    assert_eq!(declaration.reason, None);
}
