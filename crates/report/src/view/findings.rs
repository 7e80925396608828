//! Findings for people: grouped by kind, most urgent first, each with its evidence labelled by
//! the visit and the time from the click, and a fix only when it is a row that can be pasted.

use cookie_audit_model::{ConsentState, Evidence, EvidenceKind, Finding, FindingKind};
use serde::Serialize;

use super::{KINDS, SuggestedView, clean, display_name, href, suggested};

#[derive(Debug, Serialize)]
pub(crate) struct FindingGroup {
    pub kind: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FindingView {
    pub code: String,
    /// What the code means in one line, when it is a code this build knows.
    pub code_description: Option<&'static str>,
    pub severity: &'static str,
    pub cookie: String,
    pub domain: Option<String>,
    pub message: String,
    pub declared: Option<String>,
    pub observed: Option<String>,
    pub evidence: Vec<EvidenceView>,
    pub fix: Option<SuggestedView>,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub(crate) struct EvidenceView {
    /// "response (302)", "declared row (table 1, row 4)", …
    pub label: String,
    pub url: String,
    /// `url` when it is safe to link to (http or https); `None` shows it as text only.
    pub href: Option<String>,
    pub note: Option<String>,
}

pub(crate) fn kind_title(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Undeclared => "Undeclared",
        FindingKind::Stale => "Stale",
        FindingKind::Misdescribed => "Misdescribed",
        FindingKind::NoDeclaration => "No cookie table",
        FindingKind::Consent => "Consent",
        FindingKind::CmpMismatch => "CMP list vs table",
    }
}

fn kind_blurb(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Undeclared => "Cookies the site sets that its cookie table does not list.",
        FindingKind::Stale => {
            "Cookies the table lists that the audit never saw set, or that their vendor retired."
        }
        FindingKind::Misdescribed => {
            "Cookies the table lists, but describes differently from what the site does."
        }
        FindingKind::NoDeclaration => "The site publishes no cookie table the audit could read.",
        FindingKind::Consent => {
            "What the consent banner lets happen: cookies before a choice or after \"Reject all\", no way to reject."
        }
        FindingKind::CmpMismatch => {
            "The consent platform's own cookie list and the cookie table disagree."
        }
    }
}

pub(super) fn groups(findings: &[Finding]) -> Vec<FindingGroup> {
    KINDS
        .iter()
        .filter_map(|&kind| {
            let mut of_kind: Vec<&Finding> = findings.iter().filter(|f| f.kind == kind).collect();
            // Most urgent first; the report's own order (cookie, field) within a severity.
            of_kind.sort_by_key(|f| std::cmp::Reverse(f.severity));
            (!of_kind.is_empty()).then(|| FindingGroup {
                kind: kind.as_str(),
                title: kind_title(kind),
                blurb: kind_blurb(kind),
                findings: of_kind.into_iter().map(finding).collect(),
            })
        })
        .collect()
}

fn finding(f: &Finding) -> FindingView {
    // A site-level finding (no table, no reject button) names no cookie and no domain; a nameless
    // cookie names its domain.
    let cookie = match (f.cookie.is_empty(), &f.domain) {
        (true, None) => SITE_LEVEL.to_string(),
        _ => display_name(&f.cookie),
    };
    let mut lines: Vec<EvidenceView> = Vec::new();
    for e in f
        .evidence
        .iter()
        .filter(|e| !has_timed_twin(e, &f.evidence))
    {
        // The runs may record the same page or script more than once: one line is enough.
        let line = evidence(e);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    FindingView {
        code: f.code.as_str().to_string(),
        code_description: Some(f.code.description()),
        severity: f.severity.as_str(),
        cookie,
        domain: f.domain.as_deref().map(clean),
        message: clean(&f.message),
        declared: f.declared.as_deref().map(clean),
        observed: f.observed.as_deref().map(clean),
        evidence: lines,
        // A row with no name is no fix: the paste view says what to do about a nameless cookie.
        fix: f
            .fix
            .as_ref()
            .filter(|row| !row.name.trim().is_empty())
            .map(suggested),
    }
}

/// Evidence the crawl recorded without a state, which a run recorded again with its state (the
/// crawl is the run before a choice): the stateful line says more, so the bare one is dropped.
fn has_timed_twin(e: &Evidence, all: &[Evidence]) -> bool {
    e.state.is_none()
        && e.at_ms.is_none()
        && all.iter().any(|other| {
            other.state.is_some()
                && other.kind == e.kind
                && other.url == e.url
                && other.status == e.status
                && other.table == e.table
                && other.row == e.row
                && other.note == e.note
        })
}

/// What a finding about the whole site shows where others show a cookie.
pub(crate) const SITE_LEVEL: &str = "(whole site)";

/// "912 ms after the click", "5.0 s before the click".
fn from_click(ms: i64) -> String {
    let size = ms.unsigned_abs();
    let amount = if size < 1000 {
        format!("{size} ms")
    } else {
        format!("{:.1} s", size as f64 / 1000.0)
    };
    if ms < 0 {
        format!("{amount} before the click")
    } else {
        format!("{amount} after the click")
    }
}

fn evidence(e: &Evidence) -> EvidenceView {
    let label = match e.kind {
        EvidenceKind::Page => "page".to_string(),
        EvidenceKind::Response => match e.status {
            Some(status) => format!("response ({status})"),
            None => "response".to_string(),
        },
        EvidenceKind::Script => "script".to_string(),
        EvidenceKind::Reference => "reference".to_string(),
        EvidenceKind::DeclaredRow => match (e.table, e.row) {
            // People count tables and rows from 1; the report counts from 0.
            (Some(t), Some(r)) => format!("declared row (table {}, row {})", t + 1, r + 1),
            (Some(t), None) => format!("declared row (table {})", t + 1),
            _ => "declared row".to_string(),
        },
    };
    let mut label = label;
    if let Some(state) = e.state {
        // A choice run records writes from before its click too: name the visit, and let the
        // time say which side of the click the write fell.
        label.push_str(match state {
            ConsentState::None => ", before a choice",
            ConsentState::Accept => ", in the \"Accept all\" visit",
            ConsentState::Reject => ", in the \"Reject all\" visit",
        });
    }
    if let Some(ms) = e.at_ms {
        label.push_str(", ");
        label.push_str(&from_click(ms));
    }
    EvidenceView {
        label,
        url: clean(&e.url),
        href: href(&e.url),
        note: e.note.as_deref().map(clean),
    }
}
