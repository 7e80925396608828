//! The one line a DPO acts on: what is wrong, counted in the units they fix — cookies stored
//! without consent, rows to add, rows out of date, rows that describe their cookie wrongly.
//!
//! Counted from the findings, so a site with any finding is never called clean; a clean site
//! with a crawl that was cut short says the verdict covers only the pages visited.

use cookie_audit_model::{DeclarationStatus, Finding, FindingCode, FindingKind, Report, Severity};
use serde::Serialize;

use super::{clean, count};

#[derive(Debug, Serialize)]
pub(crate) struct Verdict {
    /// No finding at all.
    pub clean: bool,
    /// "2 cookies that need consent are stored before a choice; 3 cookies need a row in your
    /// table, 1 row is out of date" — without the "Verdict:" label.
    pub text: String,
    /// "2 high, 5 medium", empty when clean.
    pub severities: String,
}

impl Verdict {
    /// "Verdict: … (2 high, 5 medium)."
    pub(crate) fn line(&self) -> String {
        format!("Verdict: {}", self.sentence())
    }

    /// The line without its label: "… (2 high, 5 medium)."
    pub(crate) fn sentence(&self) -> String {
        if self.severities.is_empty() {
            format!("{}.", self.text)
        } else {
            format!("{} ({}).", self.text, self.severities)
        }
    }

    pub(crate) fn of(report: &Report) -> Verdict {
        let findings = &report.findings;
        // A table never read is no clean bill: nothing was checked against it.
        if findings.is_empty() && report.declaration.status != DeclarationStatus::Unreadable {
            return Verdict {
                clean: true,
                text: clean_text(report),
                severities: String::new(),
            };
        }
        let groups: Vec<String> = [consent_parts(report), table_parts(report)]
            .into_iter()
            .filter(|parts| !parts.is_empty())
            .map(|parts| parts.join(", "))
            .collect();
        Verdict {
            clean: false,
            text: capitalise(&groups.join("; ")),
            severities: severities(findings),
        }
    }
}

fn clean_text(report: &Report) -> String {
    let mut text = "no problems found: the cookie table matches what the site sets".to_string();
    if let Some(limit) = report.crawl.limits_hit.first() {
        text.push_str(&format!(
            " on the {} visited (the crawl was cut short by {})",
            count(report.crawl.pages_visited, "page", "pages"),
            limit.limit
        ));
    }
    capitalise(&text)
}

fn severities(findings: &[Finding]) -> String {
    [Severity::High, Severity::Medium, Severity::Low]
        .into_iter()
        .filter_map(|s| {
            let n = findings.iter().filter(|f| f.severity == s).count();
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many distinct cookies (name and domain) the findings matching `keep` are about.
fn distinct(findings: &[Finding], keep: impl Fn(&Finding) -> bool) -> u32 {
    let mut seen: Vec<(&str, Option<&str>)> = Vec::new();
    for f in findings.iter().filter(|f| keep(f)) {
        let key = (f.cookie.as_str(), f.domain.as_deref());
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    seen.len() as u32
}

fn with_code(findings: &[Finding], code: FindingCode) -> u32 {
    distinct(findings, |f| f.code == code)
}

/// "2 cookies that need consent are stored before a choice", "1 … after \"Reject all\"", …
fn consent_parts(report: &Report) -> Vec<String> {
    let f = &report.findings;
    let mut parts = Vec::new();
    // "2 cookies that need consent are stored"
    let stored = |n: u32| {
        let (needs, are) = if n == 1 {
            ("needs", "is")
        } else {
            ("need", "are")
        };
        format!(
            "{} that {needs} consent {are} stored",
            count(n, "cookie", "cookies")
        )
    };
    // A cookie whose purpose nobody knows (low) is not said to need consent: counted apart.
    let needing = |code| distinct(f, |x| x.code == code && x.severity != Severity::Low);
    let before = needing(FindingCode::ConsentBeforeChoice);
    let after = needing(FindingCode::ConsentAfterReject);
    match (before, after) {
        (0, 0) => {}
        (b, 0) => parts.push(format!("{} before a choice", stored(b))),
        (0, a) => parts.push(format!("{} after \"Reject all\"", stored(a))),
        (b, a) => parts.push(format!(
            "{} before a choice and {a} after \"Reject all\"",
            stored(b)
        )),
    }
    let unknown = |code| distinct(f, |x| x.code == code && x.severity == Severity::Low);
    let unknown_stored = |n: u32| {
        let are = if n == 1 { "is" } else { "are" };
        format!(
            "{} of unknown purpose {are} stored",
            count(n, "cookie", "cookies")
        )
    };
    match (
        unknown(FindingCode::ConsentBeforeChoice),
        unknown(FindingCode::ConsentAfterReject),
    ) {
        (0, 0) => {}
        (b, 0) => parts.push(format!("{} before a choice", unknown_stored(b))),
        (0, a) => parts.push(format!("{} after \"Reject all\"", unknown_stored(a))),
        (b, a) => parts.push(format!(
            "{} before a choice and {a} after \"Reject all\"",
            unknown_stored(b)
        )),
    }
    if with_code(f, FindingCode::ConsentNoRejectOption) > 0 {
        parts.push("the banner has no reject button beside \"Accept\"".to_string());
    }
    let unconfirmed = f
        .iter()
        .filter(|x| x.code == FindingCode::ConsentChoiceNotVerified)
        .count() as u32;
    if unconfirmed > 0 {
        parts.push(format!(
            "{} on the banner could not be confirmed",
            count(unconfirmed, "click", "clicks")
        ));
    }
    parts
}

/// "3 cookies need a row in your table, 1 row is out of date, 2 rows are misdescribed", …
fn table_parts(report: &Report) -> Vec<String> {
    let f = &report.findings;
    let mut parts = Vec::new();
    if report.declaration.status == DeclarationStatus::Unreadable {
        parts.push(super::missing_words(&report.declaration));
    }
    if with_code(f, FindingCode::NoDeclaration) > 0 {
        parts.push("no cookie table could be read".to_string());
    }
    // A row can be written only for a cookie with a name that browsers store; the others are
    // fixed on the server.
    let server_side = |x: &Finding| on_server(report, x);
    let rows = distinct(f, |x| x.kind == FindingKind::Undeclared && !server_side(x));
    if rows > 0 {
        let need = if rows == 1 { "needs" } else { "need" };
        parts.push(format!(
            "{} {need} a row in your table",
            count(rows, "cookie", "cookies")
        ));
    }
    let server = distinct(f, |x| x.kind == FindingKind::Undeclared && server_side(x));
    if server > 0 {
        let need = if server == 1 { "needs" } else { "need" };
        parts.push(format!(
            "{} {need} fixing on the server",
            count(server, "cookie header", "cookie headers")
        ));
    }
    let retired = f
        .iter()
        .filter(|x| x.code == FindingCode::StaleRetired)
        .count() as u32;
    if retired > 0 {
        let is = if retired == 1 { "is" } else { "are" };
        parts.push(format!(
            "{} {is} out of date",
            count(retired, "row", "rows")
        ));
    }
    let unseen = f
        .iter()
        .filter(|x| x.code == FindingCode::StaleNotObserved)
        .count() as u32;
    if unseen > 0 {
        parts.push(format!(
            "{} the audit did not see",
            count(unseen, "row lists a cookie", "rows list cookies")
        ));
    }
    let misdescribed = distinct(f, |x| x.kind == FindingKind::Misdescribed);
    if misdescribed > 0 {
        let is = if misdescribed == 1 { "is" } else { "are" };
        parts.push(format!(
            "{} {is} misdescribed",
            count(misdescribed, "row", "rows")
        ));
    }
    let mismatched = distinct(f, |x| x.kind == FindingKind::CmpMismatch);
    if mismatched > 0 {
        let platform = report
            .consent
            .cmp
            .as_ref()
            .map_or("the consent platform".to_string(), |c| clean(&c.name));
        parts.push(format!(
            "{platform}'s list and your table disagree on {}",
            count(mismatched, "cookie", "cookies")
        ));
    }
    parts
}

/// An undeclared cookie the server must fix rather than the table declare: it has no name, or
/// browsers refuse it (docs/findings.md: no row is suggested for those).
fn on_server(report: &Report, f: &Finding) -> bool {
    f.cookie.is_empty()
        || report.observed.iter().any(|o| {
            o.name == f.cookie
                && Some(o.domain.as_str()) == f.domain.as_deref()
                && o.rejected.is_some()
        })
}

pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
