//! Builders for realistic inputs, as the crawler and the table extractor would hand them over.

use cookie_audit_diff::{DiffInput, DiffOutput, KnowledgeBase, diff};
use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::redact::CookieValue;
use cookie_audit_model::{
    Consent, ConsentState, CookieSource, Declaration, DeclarationPage, DeclarationStatus,
    DeclaredCookie, DeclaredSource, DeclaredSourceKind, Evidence, EvidenceKind, Finding, Lifetime,
    MentionKind, ObservedCookie, Party, ProseMention, Severity,
};

pub(crate) const SITE: &str = "www.barnet.gov.uk";
pub(crate) const COOKIE_PAGE: &str = "https://www.barnet.gov.uk/privacy";
pub(crate) const PAGES: u32 = 25;

pub(crate) const MINUTE: i64 = 60;
pub(crate) const DAY: i64 = 86_400;
pub(crate) const YEAR: i64 = 365 * DAY;

/// A cookie set by an HTTP response while visiting the home page of [`SITE`].
pub(crate) fn observed(name: &str, domain: &str, lifetime: Lifetime) -> ObservedCookie {
    observed_on(SITE, name, domain, lifetime)
}

/// A cookie set while auditing `site`.
pub(crate) fn observed_on(
    site: &str,
    name: &str,
    domain: &str,
    lifetime: Lifetime,
) -> ObservedCookie {
    let host = domain.trim_start_matches('.');
    let set_by = format!("https://{host}/");
    let page = format!("https://{site}/");
    ObservedCookie {
        name: name.to_string(),
        domain: host.to_string(),
        host_only: false,
        path: "/".to_string(),
        lifetime,
        secure: true,
        http_only: false,
        same_site: None,
        partitioned: false,
        party: Party::of(host, site),
        source: CookieSource::Http,
        set_by_url: set_by.clone(),
        first_seen_page: page.clone(),
        pages: 3,
        value: CookieValue::new("value", false),
        rejected: None,
        malformed: None,
        warnings: Vec::new(),
        evidence: vec![
            Evidence::new(EvidenceKind::Page, page),
            Evidence::new(EvidenceKind::Response, set_by),
        ],
        classification: None,
        states: vec![ConsentState::None],
        set_then_deleted: false,
        stored_after_click: Vec::new(),
    }
}

pub(crate) fn persistent(seconds: i64) -> Lifetime {
    Lifetime::persistent(seconds)
}

pub(crate) fn session() -> Lifetime {
    Lifetime::SESSION
}

/// A declared row with just a name; fill the rest with struct update syntax.
pub(crate) fn declared(name: &str, row: u32) -> DeclaredCookie {
    DeclaredCookie {
        name: name.to_string(),
        pattern: false,
        glob: None,
        suspicious_name: false,
        provider: None,
        domain: None,
        purpose: None,
        category: None,
        expiry: None,
        source: DeclaredSource {
            url: COOKIE_PAGE.to_string(),
            table: 0,
            row,
            shape: Some(cookie_audit_model::DeclarationShape::Table),
            kind: DeclaredSourceKind::Page,
            cmp: None,
        },
    }
}

/// A declared row with an expiry cell.
pub(crate) fn declared_with(name: &str, row: u32, expiry: &str) -> DeclaredCookie {
    DeclaredCookie {
        expiry: Some(parse_expiry_text(expiry)),
        ..declared(name, row)
    }
}

pub(crate) fn found() -> Declaration {
    Declaration {
        status: DeclarationStatus::Found,
        reason: None,
        pages: vec![DeclarationPage {
            url: COOKIE_PAGE.to_string(),
            found_by: "footer link \"Privacy\"".to_string(),
            tables: 1,
            cookies: 1,
            error: None,
        }],
        prose_mentions: Vec::new(),
        warnings: Vec::new(),
    }
}

pub(crate) fn not_found() -> Declaration {
    Declaration {
        status: DeclarationStatus::NotFound,
        reason: None,
        pages: Vec::new(),
        prose_mentions: Vec::new(),
        warnings: Vec::new(),
    }
}

/// The cookie page failed to load (a 404 on `--privacy-url`).
pub(crate) fn unreadable() -> Declaration {
    Declaration {
        status: DeclarationStatus::Unreadable,
        reason: Some(format!(
            "the cookie page could not be read: {COOKIE_PAGE} (HTTP 404)"
        )),
        pages: vec![DeclarationPage {
            url: COOKIE_PAGE.to_string(),
            found_by: "--privacy-url".to_string(),
            tables: 0,
            cookies: 0,
            error: Some("HTTP 404".to_string()),
        }],
        prose_mentions: Vec::new(),
        warnings: Vec::new(),
    }
}

pub(crate) fn vendor_mention(term: &str) -> ProseMention {
    ProseMention {
        term: term.to_string(),
        kind: MentionKind::Vendor,
        url: COOKIE_PAGE.to_string(),
    }
}

pub(crate) fn run_with(
    declaration: &Declaration,
    declared: &[DeclaredCookie],
    observed: &[ObservedCookie],
    kb: &KnowledgeBase,
) -> DiffOutput {
    run_site(SITE, declaration, declared, observed, kb)
}

pub(crate) fn run_site(
    site: &str,
    declaration: &Declaration,
    declared: &[DeclaredCookie],
    observed: &[ObservedCookie],
    kb: &KnowledgeBase,
) -> DiffOutput {
    diff(
        DiffInput {
            site_host: site,
            declaration,
            declared,
            consent: &Consent::default(),
            observed: observed.to_vec(),
            pages_crawled: PAGES,
        },
        kb,
    )
}

pub(crate) fn run(declared: &[DeclaredCookie], observed: &[ObservedCookie]) -> DiffOutput {
    let declaration = if declared.is_empty() {
        not_found()
    } else {
        found()
    };
    run_with(&declaration, declared, observed, &KnowledgeBase::builtin())
}

/// `(code, cookie, severity)` of every finding, in report order.
pub(crate) fn summary(out: &DiffOutput) -> Vec<(String, String, Severity)> {
    out.findings
        .iter()
        .map(|f| (f.code.as_str().to_string(), f.cookie.clone(), f.severity))
        .collect()
}

pub(crate) fn only<'a>(out: &'a DiffOutput, code: &str) -> &'a Finding {
    let hits: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| f.code.as_str() == code)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "one {code} finding expected in {:#?}",
        out.findings
    );
    hits[0]
}

pub(crate) fn codes(out: &DiffOutput) -> Vec<&str> {
    out.findings.iter().map(|f| f.code.as_str()).collect()
}

/// The diff of a browser audit with consent runs: `consent` as the engine reported it.
pub(crate) fn run_consent(
    declared: &[DeclaredCookie],
    observed: &[ObservedCookie],
    consent: &Consent,
) -> DiffOutput {
    let declaration = if declared.is_empty() {
        not_found()
    } else {
        found()
    };
    diff(
        DiffInput {
            site_host: SITE,
            declaration: &declaration,
            declared,
            consent,
            observed: observed.to_vec(),
            pages_crawled: PAGES,
        },
        &KnowledgeBase::builtin(),
    )
}
