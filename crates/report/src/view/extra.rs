//! The smaller parts of the view: the table to paste and what to finish before pasting it, web
//! storage keys, the pages crawled, and what each severity means.

use cookie_audit_model::{Report, Severity, StorageEntry, VisitedPage};
use serde::Serialize;

use super::{SuggestedView, clean, count, href, states_words, storage_kind_words, suggested};

/// The corrected table as it may go onto the site's cookie page (`html-table`, `csv`, the HTML
/// page's copy box), and what an editor must do first.
#[derive(Debug, Serialize)]
pub(crate) struct PasteView {
    /// `suggested_table` without rows that have no name: a nameless row on a public page says
    /// nothing, and the cookie is a server bug to fix (listed in `left_out`).
    pub rows: Vec<SuggestedView>,
    /// "consultation_seen: no purpose yet; ask whoever runs www.exampleshire.gov.uk what it does".
    pub to_complete: Vec<String>,
    /// Why a row of `suggested_table` is not in `rows`.
    pub left_out: Vec<String>,
}

impl PasteView {
    pub(crate) fn of(report: &Report) -> PasteView {
        let mut rows = Vec::new();
        let mut to_complete = Vec::new();
        let mut left_out = Vec::new();
        for row in &report.suggested_table {
            if row.name.trim().is_empty() {
                left_out.push(clean(&format!(
                    "a cookie without a name on {}: it cannot be declared by name, so have the \
                     server give it one (or stop setting it) rather than publish a nameless row",
                    row.domain
                )));
                continue;
            }
            let view = suggested(row);
            let mut missing = Vec::new();
            if view.purpose.is_empty() {
                missing.push("purpose");
            }
            if view.category.is_empty() {
                missing.push("category");
            }
            if !missing.is_empty() {
                let setter = setter_host(report, &row.name, &row.domain);
                to_complete.push(clean(&format!(
                    "{}: {} still to write{}",
                    row.name,
                    missing.join(" and "),
                    setter
                        .map(|h| format!(" (ask whoever runs {h}, which sets it)"))
                        .unwrap_or_default()
                )));
            }
            rows.push(view);
        }
        PasteView {
            rows,
            to_complete,
            left_out,
        }
    }
}

/// The host of the response or script that set the cookie a suggested row is for.
fn setter_host(report: &Report, name: &str, domain: &str) -> Option<String> {
    let domain = domain.trim_start_matches('.');
    let cookie = report
        .observed
        .iter()
        .find(|o| o.name == name && o.domain.eq_ignore_ascii_case(domain))?;
    let rest = cookie.set_by_url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // A port says nothing to an editor; an IPv6 literal keeps its brackets.
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(':') && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    (!host.is_empty()).then(|| host.to_string())
}

/// A key a page wrote to web storage.
#[derive(Debug, Serialize)]
pub(crate) struct StorageRow {
    /// "localStorage" or "sessionStorage".
    pub kind: &'static str,
    pub origin: String,
    pub key: String,
    pub set_by_url: String,
    pub set_by_href: Option<String>,
    pub first_seen_page: String,
    pub first_seen_href: Option<String>,
    /// The consent states that wrote it.
    pub states: String,
    /// The value with `--show-values`, else its fingerprint.
    pub value: String,
}

pub(crate) fn storage_row(s: &StorageEntry) -> StorageRow {
    StorageRow {
        kind: storage_kind_words(s.kind),
        origin: clean(&s.origin),
        key: clean(&s.key),
        set_by_url: clean(&s.set_by_url),
        set_by_href: href(&s.set_by_url),
        first_seen_page: clean(&s.first_seen_page),
        first_seen_href: href(&s.first_seen_page),
        states: states_words(&s.states),
        value: match &s.value.value {
            Some(value) => clean(value),
            None => format!(
                "redacted ({}, sha256 {})",
                count(s.value.length as u32, "byte", "bytes"),
                clean(&s.value.sha256)
            ),
        },
    }
}

/// A page the crawl visited.
#[derive(Debug, Serialize)]
pub(crate) struct PageRow {
    pub url: String,
    pub href: Option<String>,
    pub depth: u32,
    /// "200", or "no response".
    pub status: String,
}

pub(crate) fn page_row(p: &VisitedPage) -> PageRow {
    PageRow {
        url: clean(&p.url),
        href: href(&p.url),
        depth: p.depth,
        status: p
            .status
            .map_or("no response".to_string(), |s| s.to_string()),
    }
}

/// What a severity means, for the legend of every view.
#[derive(Debug, Serialize)]
pub(crate) struct SeverityNote {
    pub severity: &'static str,
    pub meaning: &'static str,
}

/// High first. The words follow docs/findings.md, which gives each code's severity.
pub(crate) fn severity_notes() -> Vec<SeverityNote> {
    [Severity::High, Severity::Medium, Severity::Low]
        .into_iter()
        .map(|s| SeverityNote {
            severity: s.as_str(),
            meaning: match s {
                Severity::High => {
                    "consent is bypassed or visitors are misled about tracking: advertising \
                     stored before a choice or after \"Reject all\", no way to reject, an \
                     undeclared third-party, analytics or advertising cookie"
                }
                Severity::Medium => {
                    "the cookie table is wrong about a cookie, or analytics runs before a choice"
                }
                Severity::Low => {
                    "worth correcting but misleads little: a row for a cookie the crawl may not \
                     have reached, a name's letter case, a cookie whose purpose nobody knows"
                }
            },
        })
        .collect()
}
