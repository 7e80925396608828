//! Reports built with the model types, shaped like a real audit of a council site: the seeds'
//! situations (`_ga` on the council domain, `nmstat` declared for Siteimprove's domain, a retired
//! `__cfduid`, a YouTube embed) plus hostile strings a site could put in names and URLs.

use chrono::{DateTime, TimeZone, Utc};
use cookie_audit_model::expiry::{SECONDS_PER_DAY, SECONDS_PER_YEAR, parse_expiry_text};
use cookie_audit_model::redact::CookieValue;
use cookie_audit_model::*;

/// What a hostile site names a cookie to break an HTML report.
pub(crate) const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";
/// What breaks a Markdown table.
pub(crate) const PIPE_NAME: &str = "a|b";
/// A storage key that would be markup if a view forgot to escape it.
pub(crate) const HOSTILE_STORAGE_KEY: &str = "<script>alert('key')</script>";
/// A value no output may contain unless the report carries values.
pub(crate) const SECRET: &str = "s3cr3t-session-9f8e7d";

pub(crate) fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, h, m, s).unwrap()
}

fn config(show_values: bool) -> ScanConfig {
    ScanConfig {
        engine: EngineChoice::Http,
        max_pages: 200,
        max_depth: 6,
        concurrency: 8,
        rate: 2.0,
        timeout_secs: 20,
        max_resources: 500,
        max_body_bytes: 5 * 1024 * 1024,
        max_redirects: 10,
        max_query_variants: 10,
        scope: Scope::Registrable,
        privacy_urls: vec![],
        resolve: vec![],
        insecure: false,
        offline: false,
        allow_private: false,
        user_agent: "cookie-audit/0.1.0 (+https://github.com/cookie-audit/cookie-audit)".into(),
        ignore_robots: false,
        show_values,
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
    }
}

const SITE: &str = "https://www.barnet.gov.uk/";
const COOKIES_PAGE: &str = "https://www.barnet.gov.uk/cookies";

fn declared(
    name: &str,
    provider: Option<&str>,
    domain: Option<&str>,
    purpose: &str,
    category: &str,
    expiry: &str,
    row: u32,
) -> DeclaredCookie {
    let pattern = name.contains('*');
    DeclaredCookie {
        name: name.into(),
        pattern,
        glob: pattern.then(|| name.to_string()),
        suspicious_name: false,
        provider: provider.map(Into::into),
        domain: domain.map(Into::into),
        purpose: Some(purpose.into()),
        category: Some(category.into()),
        expiry: Some(parse_expiry_text(expiry)),
        source: DeclaredSource {
            url: COOKIES_PAGE.into(),
            table: 0,
            row,
            shape: Some(DeclarationShape::Table),
            kind: DeclaredSourceKind::Page,
            cmp: None,
        },
    }
}

struct Seen<'a> {
    name: &'a str,
    domain: &'a str,
    host_only: bool,
    lifetime: Lifetime,
    party: Party,
    set_by: &'a str,
    page: &'a str,
    pages: u32,
    value: &'a str,
}

fn observed(seen: Seen<'_>, show_values: bool) -> ObservedCookie {
    ObservedCookie {
        name: seen.name.into(),
        domain: seen.domain.into(),
        host_only: seen.host_only,
        path: "/".into(),
        lifetime: seen.lifetime,
        secure: true,
        http_only: seen.host_only,
        same_site: if seen.party == Party::Third {
            Some(SameSite::None)
        } else {
            Some(SameSite::Lax)
        },
        partitioned: false,
        party: seen.party,
        source: CookieSource::Http,
        set_by_url: seen.set_by.into(),
        first_seen_page: seen.page.into(),
        pages: seen.pages,
        value: CookieValue::new(seen.value, show_values),
        rejected: None,
        malformed: None,
        warnings: vec![],
        evidence: vec![
            Evidence::new(EvidenceKind::Page, seen.page),
            Evidence {
                status: Some(200),
                ..Evidence::new(EvidenceKind::Response, seen.set_by)
            },
        ],
        classification: None,
        states: vec![ConsentState::None],
        set_then_deleted: false,
        stored_after_click: Vec::new(),
    }
}

fn row(
    name: &str,
    provider: &str,
    purpose: &str,
    expiry: &str,
    domain: &str,
    category: &str,
    status: SuggestedStatus,
) -> SuggestedRow {
    SuggestedRow {
        name: name.into(),
        provider: (!provider.is_empty()).then(|| provider.into()),
        purpose: (!purpose.is_empty()).then(|| purpose.into()),
        expiry: expiry.into(),
        domain: domain.into(),
        category: (!category.is_empty()).then(|| category.into()),
        status,
    }
}

struct Found<'a> {
    code: FindingCode,
    cookie: &'a str,
    domain: Option<&'a str>,
    severity: Severity,
    message: &'a str,
    declared: Option<&'a str>,
    observed: Option<&'a str>,
    evidence: Vec<Evidence>,
    fix: Option<SuggestedRow>,
}

fn finding(f: Found<'_>) -> Finding {
    Finding {
        code: f.code,
        kind: f.code.kind(),
        cookie: f.cookie.into(),
        domain: f.domain.map(Into::into),
        field: f.code.field(),
        reason: f.code.reason(),
        severity: f.severity,
        message: f.message.into(),
        declared: f.declared.map(Into::into),
        observed: f.observed.map(Into::into),
        evidence: f.evidence,
        fix: f.fix,
    }
}

fn declared_row_evidence(row: u32) -> Evidence {
    Evidence {
        table: Some(0),
        row: Some(row),
        ..Evidence::new(EvidenceKind::DeclaredRow, COOKIES_PAGE)
    }
}

/// An audit of a Barnet-like site, with everything a renderer has to show.
pub(crate) fn report() -> Report {
    report_with(false)
}

/// The same audit, run with `--show-values`.
pub(crate) fn report_with_values() -> Report {
    report_with(true)
}

fn report_with(show_values: bool) -> Report {
    let two_years = 2 * SECONDS_PER_YEAR;
    let declared = vec![
        declared(
            "_ga",
            Some("Google Analytics"),
            Some(".barnet.gov.uk"),
            "Distinguishes users so we can count visits.",
            "Analytics",
            "2 years",
            0,
        ),
        declared(
            "_gat_UA-*",
            Some("Google Analytics"),
            None,
            "Throttles the request rate.",
            "Analytics",
            "1 minute",
            1,
        ),
        declared(
            "__cfduid",
            Some("Cloudflare"),
            None,
            "Identifies trusted web traffic.",
            "Strictly necessary",
            "30 days",
            2,
        ),
        declared(
            "asp.net_sessionid",
            None,
            None,
            "Keeps your session while you fill in a form.",
            "Strictly necessary",
            "Session",
            3,
        ),
        declared(
            "nmstat",
            Some("Siteimprove"),
            Some("siteimprove.co.uk"),
            "Records how you use the site, <b>anonymously</b> & \"safely\".",
            "Analytics",
            "1000 days",
            4,
        ),
    ];

    let mut rejected = observed(
        Seen {
            name: "bad",
            domain: "gov.uk",
            host_only: false,
            lifetime: Lifetime::persistent(3600),
            party: Party::Third,
            set_by: "https://www.barnet.gov.uk/events?month=2025-06",
            page: "https://www.barnet.gov.uk/events?month=2025-06",
            pages: 1,
            value: "x",
        },
        show_values,
    );
    rejected.rejected = Some(Rejection {
        reason: RejectReason::PublicSuffixDomain,
        message: "Browsers refuse cookies for a public suffix such as gov.uk.".into(),
    });
    let mut malformed = observed(
        Seen {
            name: "",
            domain: "www.barnet.gov.uk",
            host_only: true,
            lifetime: Lifetime::SESSION,
            party: Party::First,
            set_by: "https://www.barnet.gov.uk/legacy",
            page: "https://www.barnet.gov.uk/legacy",
            pages: 1,
            value: "novalue-here",
        },
        show_values,
    );
    malformed.malformed = Some(Malformed {
        error: "the cookie has neither a name nor an `=`".into(),
        raw: "<redacted 12 bytes>; Path=/".into(),
    });
    malformed.warnings = vec!["unknown attribute `Priority=Ultra` ignored".into()];

    // Sorted by name, as the pipeline writes them: the nameless cookie first.
    let observed = vec![
        malformed,
        observed(
            Seen {
                name: HOSTILE_NAME,
                domain: "www.barnet.gov.uk",
                host_only: true,
                lifetime: Lifetime::SESSION,
                party: Party::First,
                set_by: "https://www.barnet.gov.uk/search?q=%3Cscript%3E",
                page: "https://www.barnet.gov.uk/search?q=%3Cscript%3E",
                pages: 2,
                value: "1",
            },
            show_values,
        ),
        observed(
            Seen {
                name: "ASP.NET_SessionId",
                domain: "www.barnet.gov.uk",
                host_only: true,
                lifetime: Lifetime::SESSION,
                party: Party::First,
                set_by: "https://www.barnet.gov.uk/login?return=/forms",
                page: SITE,
                pages: 42,
                value: SECRET,
            },
            show_values,
        ),
        observed(
            Seen {
                name: "YSC",
                domain: "youtube.com",
                host_only: false,
                lifetime: Lifetime::SESSION,
                party: Party::Third,
                set_by: "https://www.youtube.com/embed/dQw4w9WgXcQ",
                page: "https://www.barnet.gov.uk/news/council-meeting-video",
                pages: 3,
                value: "Yq2mX_0aBcD",
            },
            show_values,
        ),
        observed(
            Seen {
                name: "_ga",
                domain: "barnet.gov.uk",
                host_only: false,
                lifetime: Lifetime::persistent(two_years),
                party: Party::First,
                set_by: SITE,
                page: SITE,
                pages: 42,
                value: "GA1.3.1234567890.1717315200",
            },
            show_values,
        ),
        observed(
            Seen {
                name: PIPE_NAME,
                domain: "www.barnet.gov.uk",
                host_only: true,
                lifetime: Lifetime::persistent(30 * SECONDS_PER_DAY),
                party: Party::First,
                set_by: "https://www.barnet.gov.uk/bins",
                page: "https://www.barnet.gov.uk/bins",
                pages: 1,
                value: "1",
            },
            show_values,
        ),
        rejected,
        observed(
            Seen {
                name: "nmstat",
                domain: "barnet.gov.uk",
                host_only: false,
                lifetime: Lifetime::persistent(1000 * SECONDS_PER_DAY),
                party: Party::First,
                set_by: "https://siteimproveanalytics.com/js/siteanalyze_6003.js",
                page: SITE,
                pages: 42,
                value: "b0c8a1f2-3d4e",
            },
            show_values,
        ),
    ];

    let ysc_fix = row(
        "YSC",
        "YouTube",
        "Lets YouTube count views of embedded videos.",
        "Session",
        ".youtube.com",
        "Marketing",
        SuggestedStatus::New,
    );
    let hostile_fix = row(
        HOSTILE_NAME,
        "",
        "",
        "Session",
        "www.barnet.gov.uk",
        "",
        SuggestedStatus::New,
    );
    let pipe_fix = row(
        PIPE_NAME,
        "",
        "",
        "30 days",
        "www.barnet.gov.uk",
        "",
        SuggestedStatus::New,
    );
    let nmstat_fix = row(
        "nmstat",
        "Siteimprove",
        "Records how you use the site, anonymously.",
        "2 years 9 months",
        ".barnet.gov.uk",
        "Analytics",
        SuggestedStatus::Corrected,
    );
    let session_fix = row(
        "ASP.NET_SessionId",
        "",
        "Keeps your session while you fill in a form.",
        "Session",
        "www.barnet.gov.uk",
        "Strictly necessary",
        SuggestedStatus::Corrected,
    );

    let findings = vec![
        finding(Found {
            code: FindingCode::Undeclared,
            cookie: HOSTILE_NAME,
            domain: Some("www.barnet.gov.uk"),
            severity: Severity::Medium,
            message: "The site sets <img src=x onerror=alert(1)> but the cookie table does not list it.",
            declared: None,
            observed: Some("session cookie on www.barnet.gov.uk"),
            evidence: vec![
                Evidence::new(
                    EvidenceKind::Page,
                    "https://www.barnet.gov.uk/search?q=%3Cscript%3E",
                ),
                Evidence {
                    note: Some("a hostile evidence URL must not become a link".into()),
                    ..Evidence::new(EvidenceKind::Script, "javascript:alert(document.cookie)")
                },
            ],
            fix: Some(hostile_fix.clone()),
        }),
        finding(Found {
            code: FindingCode::Undeclared,
            cookie: "YSC",
            domain: Some("youtube.com"),
            severity: Severity::High,
            message: "YouTube sets YSC through the video embedded on a news page, and the cookie table does not list it.",
            declared: None,
            observed: Some("third-party session cookie on youtube.com"),
            evidence: vec![
                Evidence::new(
                    EvidenceKind::Page,
                    "https://www.barnet.gov.uk/news/council-meeting-video",
                ),
                Evidence {
                    status: Some(200),
                    ..Evidence::new(
                        EvidenceKind::Response,
                        "https://www.youtube.com/embed/dQw4w9WgXcQ",
                    )
                },
            ],
            fix: Some(ysc_fix.clone()),
        }),
        finding(Found {
            code: FindingCode::Undeclared,
            cookie: PIPE_NAME,
            domain: Some("www.barnet.gov.uk"),
            severity: Severity::Medium,
            message: "The site sets a|b on the bins page, and the cookie table does not list it.",
            declared: None,
            observed: Some("30 days"),
            evidence: vec![Evidence {
                status: Some(200),
                ..Evidence::new(EvidenceKind::Response, "https://www.barnet.gov.uk/bins")
            }],
            fix: Some(pipe_fix.clone()),
        }),
        finding(Found {
            code: FindingCode::Undeclared,
            cookie: "bad",
            domain: Some("gov.uk"),
            severity: Severity::Low,
            message: "The site tries to set bad for all of gov.uk; browsers refuse it, but the header should go.",
            declared: None,
            observed: Some("rejected: public suffix domain"),
            evidence: vec![Evidence {
                status: Some(200),
                note: Some("redirect hop 1 of 2".into()),
                ..Evidence::new(
                    EvidenceKind::Response,
                    "https://www.barnet.gov.uk/events?month=2025-06",
                )
            }],
            fix: None,
        }),
        finding(Found {
            code: FindingCode::StaleRetired,
            cookie: "__cfduid",
            domain: None,
            severity: Severity::Medium,
            message: "The table lists __cfduid, which Cloudflare stopped setting on 10 May 2021.",
            declared: Some("30 days"),
            observed: None,
            evidence: vec![declared_row_evidence(2)],
            fix: None,
        }),
        finding(Found {
            code: FindingCode::StaleNotObserved,
            cookie: "_gat_UA-*",
            domain: None,
            severity: Severity::Low,
            message: "The table lists _gat_UA-*, which none of the 42 pages crawled set; it may be set only after consent.",
            declared: Some("1 minute"),
            observed: None,
            evidence: vec![declared_row_evidence(1)],
            fix: None,
        }),
        finding(Found {
            code: FindingCode::MisdescribedNameCase,
            cookie: "ASP.NET_SessionId",
            domain: Some("www.barnet.gov.uk"),
            severity: Severity::Low,
            message: "The table spells ASP.NET_SessionId as asp.net_sessionid.",
            declared: Some("asp.net_sessionid"),
            observed: Some("ASP.NET_SessionId"),
            evidence: vec![
                declared_row_evidence(3),
                Evidence {
                    status: Some(302),
                    ..Evidence::new(
                        EvidenceKind::Response,
                        "https://www.barnet.gov.uk/login?return=/forms",
                    )
                },
            ],
            fix: Some(session_fix.clone()),
        }),
        finding(Found {
            code: FindingCode::MisdescribedDomain,
            cookie: "nmstat",
            domain: Some("barnet.gov.uk"),
            severity: Severity::Medium,
            message: "The table says nmstat is a siteimprove.co.uk cookie, but Siteimprove's script sets it on barnet.gov.uk, which makes it first-party.",
            declared: Some("siteimprove.co.uk"),
            observed: Some("barnet.gov.uk"),
            evidence: vec![
                declared_row_evidence(4),
                Evidence::new(
                    EvidenceKind::Script,
                    "https://siteimproveanalytics.com/js/siteanalyze_6003.js",
                ),
            ],
            fix: Some(nmstat_fix.clone()),
        }),
    ];

    let suggested_table = vec![
        hostile_fix,
        session_fix,
        ysc_fix,
        row(
            "_ga",
            "Google Analytics",
            "Distinguishes users so we can count visits.",
            "2 years",
            ".barnet.gov.uk",
            "Analytics",
            SuggestedStatus::Kept,
        ),
        pipe_fix,
        nmstat_fix,
    ];

    let summary = Summary::tally(&declared, &observed, &findings);
    Report {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool {
            name: "cookie-audit".into(),
            version: "0.1.0".into(),
        },
        site: SITE.into(),
        registrable_domain: "barnet.gov.uk".into(),
        engine: EngineKind::Http,
        started_at: at(9, 0, 0),
        finished_at: at(9, 3, 12),
        config: config(show_values),
        limitations: vec![
            "Cookies set by JavaScript are not observed: the HTTP engine runs no scripts.".into(),
        ],
        browser: None,
        crawl: CrawlStats {
            pages_visited: 42,
            pages_failed: 1,
            resources_fetched: 17,
            robots_disallowed: 2,
            pages_excluded: 0,
            errors: vec![CrawlError {
                url: "https://www.barnet.gov.uk/planning/broken".into(),
                error: "HTTP 500 Internal Server Error".into(),
            }],
            limits_hit: vec![LimitHit {
                limit: LimitKind::MaxQueryVariants,
                detail: "10 distinct query strings followed; 31 more skipped".into(),
                url: Some("https://www.barnet.gov.uk/events".into()),
            }],
            pages: vec![
                VisitedPage {
                    url: SITE.into(),
                    depth: 0,
                    status: Some(200),
                },
                VisitedPage {
                    url: COOKIES_PAGE.into(),
                    depth: 1,
                    status: Some(200),
                },
            ],
        },
        declaration: Declaration {
            status: DeclarationStatus::Found,
            reason: None,
            pages: vec![DeclarationPage {
                url: COOKIES_PAGE.into(),
                found_by: "link text \"Cookies\" on https://www.barnet.gov.uk/".into(),
                tables: 1,
                cookies: 5,
                error: None,
            }],
            prose_mentions: vec![ProseMention {
                term: "Google Analytics".into(),
                kind: MentionKind::Vendor,
                url: COOKIES_PAGE.into(),
            }],
            warnings: vec!["table 2 has no header row; read as name, purpose, expiry".into()],
        },
        declared,
        observed,
        findings,
        summary,
        suggested_table,
        changes: Some(Changes {
            previous_run_at: Some(at(9, 0, 0) - chrono::Duration::days(7)),
            new_cookies: vec![CookieKey {
                name: "YSC".into(),
                domain: "youtube.com".into(),
                path: "/".into(),
            }],
            gone_cookies: vec![CookieKey {
                name: "__utma".into(),
                domain: "barnet.gov.uk".into(),
                path: "/".into(),
            }],
            new_findings: vec![FindingKey {
                code: FindingCode::Undeclared,
                cookie: "YSC".into(),
                domain: Some("youtube.com".into()),
            }],
            resolved_findings: vec![FindingKey {
                code: FindingCode::StaleNotObserved,
                cookie: "__utmz".into(),
                domain: None,
            }],
            declaration_changed: true,
            new_before_choice: vec![CookieKey {
                name: "YSC".into(),
                domain: "youtube.com".into(),
                path: "/".into(),
            }],
            not_rechecked_cookies: vec![CookieKey {
                name: "_hjSessionUser_123".into(),
                domain: "barnet.gov.uk".into(),
                path: "/".into(),
            }],
            not_rechecked_findings: vec![],
            coverage: Some(Coverage {
                pages_visited: 12,
                previous_pages_visited: 14,
                pages_revisited: 11,
            }),
        }),
        consent: Consent::none_only(12, None),
        storage: vec![
            StorageEntry {
                kind: StorageKind::Local,
                origin: "https://www.barnet.gov.uk".into(),
                key: "_grecaptcha".into(),
                set_by_url: "https://www.gstatic.com/recaptcha/releases/api.js".into(),
                first_seen_page: "https://www.barnet.gov.uk/contact".into(),
                states: vec![ConsentState::None],
                value: CookieValue::new("09AJx-recaptcha-token", show_values),
            },
            StorageEntry {
                kind: StorageKind::Session,
                origin: "https://www.barnet.gov.uk".into(),
                key: HOSTILE_STORAGE_KEY.into(),
                set_by_url: SITE.into(),
                first_seen_page: SITE.into(),
                states: vec![ConsentState::None],
                value: CookieValue::new("1", show_values),
            },
        ],
        ignored: Vec::new(),
    }
}

/// A report the real engine wrote against a consent fixture council
/// (`fixture-server consent`), trimmed: `tests/data/<name>.json`.
pub(crate) fn recorded(name: &str) -> Report {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format!("{name}.json"));
    cookie_audit_report::read_report_file(&path).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

/// Every recorded report: OneTrust with analytics before a choice and after "Reject all"; EU
/// Cookie Compliance deleting what a tag set (set-then-deleted); an information-only banner
/// (no way to reject); a banner whose clicks do nothing (unconfirmed runs).
pub(crate) const RECORDED: [&str; 4] = [
    "consent-onetrust",
    "consent-set-then-deleted",
    "consent-info-only",
    "consent-unconfirmed",
];

/// A first audit with no cookie table found, run by the browser engine: the other branches.
pub(crate) fn bare_report() -> Report {
    let observed = vec![observed(
        Seen {
            name: "PHPSESSID",
            domain: "www.example-council.gov.uk",
            host_only: true,
            lifetime: Lifetime::SESSION,
            party: Party::First,
            set_by: "https://www.example-council.gov.uk/",
            page: "https://www.example-council.gov.uk/",
            pages: 1,
            value: SECRET,
        },
        false,
    )];
    let findings = vec![finding(Found {
        code: FindingCode::Undeclared,
        cookie: "PHPSESSID",
        domain: Some("www.example-council.gov.uk"),
        severity: Severity::Medium,
        message: "No cookie table was found, so PHPSESSID is undeclared.",
        declared: None,
        observed: Some("Session"),
        evidence: vec![],
        fix: None,
    })];
    let summary = Summary::tally(&[], &observed, &findings);
    Report {
        schema_version: SCHEMA_VERSION.into(),
        tool: Tool {
            name: "cookie-audit".into(),
            version: "0.1.0".into(),
        },
        site: "https://www.example-council.gov.uk/".into(),
        registrable_domain: "example-council.gov.uk".into(),
        engine: EngineKind::Browser,
        started_at: at(22, 0, 0),
        finished_at: at(22, 0, 30),
        config: ScanConfig {
            engine: EngineChoice::Browser,
            tabs: Some(4),
            settle_ms: Some(1500),
            max_time_secs: None,
            consent: None,
            consent_pages: None,
            include_paths: Vec::new(),
            exclude_paths: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            ignore_file: None,
            ..config(false)
        },
        limitations: vec![],
        browser: Some(BrowserInfo {
            version: "Chromium/137.0.7151.55".into(),
            cookie_policy: "third-party cookies allowed".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36".into(),
        }),
        crawl: CrawlStats {
            pages_visited: 1,
            ..CrawlStats::default()
        },
        declaration: Declaration {
            status: DeclarationStatus::NotFound,
            reason: None,
            pages: vec![DeclarationPage {
                url: "https://www.example-council.gov.uk/privacy".into(),
                found_by: "link text \"Privacy\"".into(),
                tables: 0,
                cookies: 0,
                error: Some("HTTP 404".into()),
            }],
            prose_mentions: vec![],
            warnings: vec![],
        },
        declared: vec![],
        observed,
        findings,
        summary,
        suggested_table: vec![],
        changes: Some(Changes::default()),
        consent: Consent::none_only(12, None),
        storage: Vec::new(),
        ignored: Vec::new(),
    }
}
