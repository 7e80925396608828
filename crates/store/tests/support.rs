//! Small reports for the store's tests, built with the model types.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::redact::CookieValue;
use cookie_audit_model::*;

/// A cookie value that must never reach the database.
pub(crate) const SECRET: &str = "s3cr3t-7c1d-session-value";

/// The page every support report visits, and where its cookies are first seen.
pub(crate) const HOME: &str = "https://www.council.test/";

/// A page the crawl read (status 200).
pub(crate) fn page(url: &str) -> VisitedPage {
    VisitedPage {
        url: url.into(),
        depth: u32::from(url != HOME),
        status: Some(200),
    }
}

pub(crate) fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 2, 0, 0).unwrap() + Duration::days(n)
}

pub(crate) fn observed(name: &str, domain: &str, show_values: bool) -> ObservedCookie {
    ObservedCookie {
        name: name.into(),
        domain: domain.into(),
        host_only: false,
        path: "/".into(),
        lifetime: Lifetime::persistent(86_400 * 365),
        secure: true,
        http_only: false,
        same_site: Some(SameSite::Lax),
        partitioned: false,
        party: Party::First,
        source: CookieSource::Http,
        set_by_url: format!("https://www.{domain}/"),
        first_seen_page: HOME.into(),
        pages: 1,
        value: CookieValue::new(SECRET, show_values),
        rejected: None,
        malformed: None,
        warnings: vec![],
        evidence: vec![],
        classification: None,
        states: vec![ConsentState::None],
        set_then_deleted: false,
        stored_after_click: Vec::new(),
    }
}

pub(crate) fn declared(name: &str, expiry: &str, row: u32) -> DeclaredCookie {
    DeclaredCookie {
        name: name.into(),
        pattern: false,
        glob: None,
        suspicious_name: false,
        provider: Some("Council".into()),
        domain: Some(".council.test".into()),
        purpose: Some(format!("What {name} is for.")),
        category: Some("Functional".into()),
        expiry: Some(parse_expiry_text(expiry)),
        source: DeclaredSource {
            url: "https://www.council.test/cookies".into(),
            table: 0,
            row,
            shape: None,
            kind: DeclaredSourceKind::Page,
            cmp: None,
        },
    }
}

pub(crate) fn undeclared(name: &str, domain: &str) -> Finding {
    Finding {
        code: FindingCode::Undeclared,
        kind: FindingKind::Undeclared,
        cookie: name.into(),
        domain: Some(domain.into()),
        field: None,
        reason: None,
        severity: Severity::Medium,
        message: format!("The site sets {name}, which the cookie table does not list."),
        declared: None,
        observed: Some("1 year".into()),
        evidence: vec![],
        fix: None,
    }
}

pub(crate) fn stale(name: &str) -> Finding {
    Finding {
        code: FindingCode::StaleNotObserved,
        kind: FindingKind::Stale,
        cookie: name.into(),
        domain: None,
        field: None,
        reason: Some(StaleReason::NotObserved),
        severity: Severity::Low,
        message: format!("The table lists {name}, which the crawl never saw set."),
        declared: Some("1 year".into()),
        observed: None,
        evidence: vec![],
        fix: None,
    }
}

/// A report of `council.test` finished on `finished`.
pub(crate) fn report(
    finished: DateTime<Utc>,
    declared: Vec<DeclaredCookie>,
    observed: Vec<ObservedCookie>,
    findings: Vec<Finding>,
) -> Report {
    let summary = Summary::tally(&declared, &observed, &findings);
    Report {
        schema_version: SCHEMA_VERSION.into(),
        tool: tool(),
        site: "https://www.council.test/".into(),
        registrable_domain: "council.test".into(),
        engine: EngineKind::Http,
        started_at: finished - Duration::minutes(3),
        finished_at: finished,
        config: ScanConfig {
            engine: EngineChoice::Http,
            max_pages: 50,
            max_depth: 6,
            concurrency: 4,
            rate: 0.0,
            timeout_secs: 20,
            max_resources: 100,
            max_body_bytes: 5 << 20,
            max_redirects: 10,
            max_query_variants: 10,
            scope: Scope::Registrable,
            privacy_urls: vec![],
            resolve: vec![],
            insecure: false,
            offline: true,
            allow_private: false,
            user_agent: "cookie-audit-test".into(),
            ignore_robots: false,
            show_values: observed.iter().any(|o| o.value.value.is_some()),
            fail_on: FailOn::None,
            tabs: None,
            settle_ms: None,
            max_time_secs: None,
            consent: None,
            consent_pages: None,
            include_paths: Vec::new(),
            exclude_paths: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            ignore_file: None,
        },
        limitations: vec![],
        browser: None,
        crawl: CrawlStats {
            pages_visited: 1,
            pages: vec![page(HOME)],
            ..CrawlStats::default()
        },
        declaration: Declaration {
            status: if declared.is_empty() {
                DeclarationStatus::NotFound
            } else {
                DeclarationStatus::Found
            },
            reason: None,
            pages: vec![],
            prose_mentions: vec![],
            warnings: vec![],
        },
        declared,
        observed,
        findings,
        summary,
        suggested_table: vec![],
        changes: None,
        consent: Consent::none_only(0, None),
        storage: Vec::new(),
        ignored: Vec::new(),
    }
}

/// The common case: `_ga` and `sid` observed and declared, nothing found.
pub(crate) fn clean_report(finished: DateTime<Utc>) -> Report {
    report(
        finished,
        vec![declared("_ga", "1 year", 0), declared("sid", "1 year", 1)],
        vec![
            observed("_ga", "council.test", false),
            observed("sid", "council.test", false),
        ],
        vec![],
    )
}
