//! The report as people read it: every renderer but JSON works from this one view, so a lifetime,
//! a piece of evidence or a count reads the same in the terminal, in Markdown and in HTML.
//!
//! Strings here are plain text, cleaned of control characters (a hostile site's cookie name must
//! not drive a terminal) but not escaped: each renderer escapes for its own output.

use chrono::{DateTime, Utc};
use cookie_audit_model::expiry::describe_seconds;
use cookie_audit_model::{
    Changes, CookieKey, DeclarationStatus, DeclaredCookie, Evidence, EvidenceKind, Finding,
    FindingKey, FindingKind, Lifetime, ObservedCookie, Report, SameSite, Severity, SuggestedRow,
    SuggestedStatus, Summary,
};
use serde::Serialize;

/// Kinds in the order the report lists them.
pub(crate) const KINDS: [FindingKind; 6] = [
    FindingKind::Consent,
    FindingKind::NoDeclaration,
    FindingKind::Undeclared,
    FindingKind::Stale,
    FindingKind::Misdescribed,
    FindingKind::CmpMismatch,
];

#[derive(Debug, Serialize)]
pub(crate) struct View {
    pub site: String,
    pub site_href: Option<String>,
    pub registrable_domain: String,
    pub engine: &'static str,
    pub tool: String,
    pub started_at: String,
    pub finished_at: String,
    pub show_values: bool,
    pub browser: Option<String>,
    pub limitations: Vec<String>,
    pub summary: Summary,
    /// Findings counted by kind (rows) and severity (columns).
    pub matrix: Vec<MatrixRow>,
    pub totals: MatrixRow,
    pub changes: Option<ChangesView>,
    /// One group per kind that has findings, in [`KINDS`] order.
    pub groups: Vec<FindingGroup>,
    pub declaration: DeclarationView,
    pub crawl: CrawlView,
    pub observed: Vec<ObservedRow>,
    pub declared: Vec<DeclaredRow>,
    pub suggested: Vec<SuggestedView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct MatrixRow {
    pub kind: &'static str,
    pub label: &'static str,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub total: u32,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChangesView {
    /// No earlier complete run to compare with.
    pub first_run: bool,
    pub previous_run_at: Option<String>,
    pub new_cookies: Vec<String>,
    pub gone_cookies: Vec<String>,
    pub new_findings: Vec<String>,
    pub resolved_findings: Vec<String>,
    pub declaration_changed: bool,
    /// Cookies set before a choice now that were not before.
    pub new_before_choice: Vec<String>,
    /// Previous cookies and findings on pages this run did not read again.
    pub not_rechecked: Vec<String>,
    /// "Read 11 of the previous audit's 14 pages again", when it did not read them all.
    pub coverage: Option<String>,
    /// Compared with an earlier run, and nothing differs.
    pub nothing: bool,
}

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

#[derive(Debug, Serialize)]
pub(crate) struct EvidenceView {
    /// "response (302)", "declared row (table 1, row 4)", …
    pub label: String,
    pub url: String,
    /// `url` when it is safe to link to (http or https); `None` shows it as text only.
    pub href: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct DeclarationView {
    pub found: bool,
    pub pages: Vec<DeclarationPageView>,
    pub warnings: Vec<String>,
    pub prose_mentions: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct DeclarationPageView {
    pub url: String,
    pub href: Option<String>,
    pub found_by: String,
    /// "1 table, 5 cookies".
    pub counts: String,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CrawlView {
    /// "42 pages visited, 1 failed, 17 resources fetched, 2 disallowed by robots.txt".
    pub summary: String,
    pub errors: Vec<CrawlErrorView>,
    pub limits_hit: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CrawlErrorView {
    pub url: String,
    pub href: Option<String>,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ObservedRow {
    pub name: String,
    pub domain: String,
    pub path: String,
    pub lifetime: String,
    /// "Secure, HttpOnly, SameSite=Lax, host-only": the attributes in one cell.
    pub flags: String,
    pub party: &'static str,
    pub source: &'static str,
    pub set_by_url: String,
    pub set_by_href: Option<String>,
    pub first_seen_page: String,
    pub first_seen_href: Option<String>,
    pub pages: u32,
    /// The value with `--show-values`, else its fingerprint.
    pub value: String,
    /// Rejections, parse errors and ignored attributes, in words.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct DeclaredRow {
    pub name: String,
    pub pattern: bool,
    pub provider: String,
    pub domain: String,
    pub purpose: String,
    pub category: String,
    pub expiry: String,
    pub source: String,
    pub source_url: String,
    pub source_href: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SuggestedView {
    pub name: String,
    pub provider: String,
    pub purpose: String,
    pub expiry: String,
    pub domain: String,
    pub category: String,
    pub status: &'static str,
    /// What to do with the row, for an editor: "add", "correct", "keep".
    pub action: &'static str,
}

impl View {
    pub(crate) fn of(report: &Report) -> View {
        let (matrix, totals) = matrix(&report.findings);
        View {
            site: clean(&report.site),
            site_href: href(&report.site),
            registrable_domain: clean(&report.registrable_domain),
            engine: report.engine.as_str(),
            tool: clean(&format!("{} {}", report.tool.name, report.tool.version)),
            started_at: when(report.started_at),
            finished_at: when(report.finished_at),
            show_values: report.config.show_values,
            browser: report
                .browser
                .as_ref()
                .map(|b| clean(&format!("{}, {}", b.version, b.cookie_policy))),
            limitations: report.limitations.iter().map(|l| clean(l)).collect(),
            summary: report.summary.clone(),
            matrix,
            totals,
            changes: report.changes.as_ref().map(changes),
            groups: groups(&report.findings),
            declaration: DeclarationView {
                found: report.declaration.status == DeclarationStatus::Found,
                pages: report
                    .declaration
                    .pages
                    .iter()
                    .map(|p| DeclarationPageView {
                        url: clean(&p.url),
                        href: href(&p.url),
                        found_by: clean(&p.found_by),
                        counts: format!(
                            "{}, {}",
                            count(p.tables, "table", "tables"),
                            count(p.cookies, "cookie", "cookies")
                        ),
                        error: p.error.as_deref().map(clean),
                    })
                    .collect(),
                warnings: report
                    .declaration
                    .warnings
                    .iter()
                    .map(|w| clean(w))
                    .collect(),
                prose_mentions: report
                    .declaration
                    .prose_mentions
                    .iter()
                    .map(|m| clean(&m.term))
                    .collect(),
            },
            crawl: CrawlView {
                summary: format!(
                    "{} visited, {} failed, {} fetched, {} by robots.txt",
                    count(report.crawl.pages_visited, "page", "pages"),
                    report.crawl.pages_failed,
                    count(report.crawl.resources_fetched, "resource", "resources"),
                    count(
                        report.crawl.robots_disallowed,
                        "page skipped",
                        "pages skipped"
                    ),
                ),
                errors: report
                    .crawl
                    .errors
                    .iter()
                    .map(|e| CrawlErrorView {
                        url: clean(&e.url),
                        href: href(&e.url),
                        error: clean(&e.error),
                    })
                    .collect(),
                limits_hit: report
                    .crawl
                    .limits_hit
                    .iter()
                    .map(|l| match &l.url {
                        Some(url) => clean(&format!("{}: {} ({url})", l.limit, l.detail)),
                        None => clean(&format!("{}: {}", l.limit, l.detail)),
                    })
                    .collect(),
            },
            observed: report.observed.iter().map(observed_row).collect(),
            declared: report.declared.iter().map(declared_row).collect(),
            suggested: report.suggested_table.iter().map(suggested).collect(),
        }
    }
}

/// "1 table", "5 tables".
pub(crate) fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Replaces what a terminal or a text editor would act on rather than show: control characters
/// (ESC starts colour and cursor sequences) and the bidirectional overrides that reorder text
/// (a name that reads `_ga` but is not). Newlines and tabs become spaces: every value is one line.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' => {
                '\u{FFFD}'
            }
            c => c,
        })
        .collect()
}

/// The URL when a link to it is harmless: http(s) only, so a report cannot smuggle a
/// `javascript:` or `data:` link into the page.
pub(crate) fn href(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme_end = url.find(':')?;
    let scheme = url[..scheme_end].to_ascii_lowercase();
    let has_control = url.chars().any(|c| c.is_control() || c.is_whitespace());
    ((scheme == "http" || scheme == "https")
        && url[scheme_end..].starts_with("://")
        && !has_control)
        .then(|| url.to_string())
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub(crate) fn lifetime_words(lifetime: &Lifetime) -> String {
    match lifetime.seconds {
        _ if lifetime.session => "Session".to_string(),
        None => "Persistent (unknown length)".to_string(),
        Some(s) if s <= 0 => "Deletes the cookie".to_string(),
        Some(s) => match lifetime.browser_capped_seconds {
            // Browsers state their cap in days (Chromium: 400), so the note does too.
            Some(cap) => format!(
                "{} (browsers keep it at most {} days)",
                describe_seconds(s),
                cap / cookie_audit_model::expiry::SECONDS_PER_DAY
            ),
            None => describe_seconds(s),
        },
    }
}

fn matrix(findings: &[Finding]) -> (Vec<MatrixRow>, MatrixRow) {
    let count = |kind: Option<FindingKind>, severity: Option<Severity>| -> u32 {
        findings
            .iter()
            .filter(|f| kind.is_none_or(|k| f.kind == k))
            .filter(|f| severity.is_none_or(|s| f.severity == s))
            .count() as u32
    };
    let row = |kind: Option<FindingKind>| MatrixRow {
        kind: kind.map_or("total", FindingKind::as_str),
        label: kind.map_or("Total", kind_title),
        high: count(kind, Some(Severity::High)),
        medium: count(kind, Some(Severity::Medium)),
        low: count(kind, Some(Severity::Low)),
        total: count(kind, None),
    };
    let rows = KINDS
        .iter()
        .map(|k| row(Some(*k)))
        // The site-level row only means something when the site has no table; the consent and
        // CMP rows only when the audit had something to say about them.
        .filter(|r| {
            let always = [
                FindingKind::Undeclared,
                FindingKind::Stale,
                FindingKind::Misdescribed,
            ];
            always.iter().any(|k| k.as_str() == r.kind) || r.total > 0
        })
        .collect();
    (rows, row(None))
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

fn groups(findings: &[Finding]) -> Vec<FindingGroup> {
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
    FindingView {
        code: f.code.as_str().to_string(),
        code_description: Some(f.code.description()),
        severity: f.severity.as_str(),
        cookie: clean(&f.cookie),
        domain: f.domain.as_deref().map(clean),
        message: clean(&f.message),
        declared: f.declared.as_deref().map(clean),
        observed: f.observed.as_deref().map(clean),
        evidence: f.evidence.iter().map(evidence).collect(),
        fix: f.fix.as_ref().map(suggested),
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
    EvidenceView {
        label,
        url: clean(&e.url),
        href: href(&e.url),
        note: e.note.as_deref().map(clean),
    }
}

fn changes(c: &Changes) -> ChangesView {
    let cookie = |k: &CookieKey| clean(&format!("{} ({}{})", k.name, k.domain, k.path));
    let finding = |k: &FindingKey| match &k.domain {
        Some(domain) => clean(&format!("{} {} ({domain})", k.code, k.cookie)),
        None => clean(&format!("{} {}", k.code, k.cookie)),
    };
    let first_run = c.previous_run_at.is_none();
    let view = ChangesView {
        first_run,
        previous_run_at: c.previous_run_at.map(when),
        new_cookies: c.new_cookies.iter().map(cookie).collect(),
        gone_cookies: c.gone_cookies.iter().map(cookie).collect(),
        new_findings: c.new_findings.iter().map(finding).collect(),
        resolved_findings: c.resolved_findings.iter().map(finding).collect(),
        declaration_changed: c.declaration_changed,
        new_before_choice: c.new_before_choice.iter().map(cookie).collect(),
        not_rechecked: (c.not_rechecked_cookies.iter().map(cookie))
            .chain(c.not_rechecked_findings.iter().map(finding))
            .collect(),
        coverage: c.coverage.filter(|c| !c.is_complete()).map(|c| {
            format!(
                "This audit read {} of the previous audit's {} pages again; what was seen only \
                 on the others is listed as not re-checked.",
                c.pages_revisited, c.previous_pages_visited
            )
        }),
        nothing: false,
    };
    let nothing = !first_run
        && view.new_cookies.is_empty()
        && view.gone_cookies.is_empty()
        && view.new_findings.is_empty()
        && view.resolved_findings.is_empty()
        && !view.declaration_changed
        && view.new_before_choice.is_empty()
        && view.not_rechecked.is_empty();
    ChangesView { nothing, ..view }
}

fn observed_row(o: &ObservedCookie) -> ObservedRow {
    let same_site = match o.same_site {
        Some(SameSite::Strict) => "Strict",
        Some(SameSite::Lax) => "Lax",
        Some(SameSite::None) => "None",
        None => "",
    };
    let mut flags = Vec::new();
    if o.secure {
        flags.push("Secure".to_string());
    }
    if o.http_only {
        flags.push("HttpOnly".to_string());
    }
    if !same_site.is_empty() {
        flags.push(format!("SameSite={same_site}"));
    }
    if o.partitioned {
        flags.push("Partitioned".to_string());
    }
    if o.host_only {
        flags.push("host-only".to_string());
    }
    let mut notes = Vec::new();
    if let Some(rejected) = &o.rejected {
        notes.push(clean(&format!(
            "rejected by browsers ({}): {}",
            rejected.reason.as_str(),
            rejected.message
        )));
    }
    if let Some(malformed) = &o.malformed {
        notes.push(clean(&format!(
            "malformed: {} — {}",
            malformed.error, malformed.raw
        )));
    }
    notes.extend(o.warnings.iter().map(|w| clean(w)));
    let value = match &o.value.value {
        Some(value) => clean(value),
        None => format!(
            "redacted ({}, sha256 {})",
            count(o.value.length as u32, "byte", "bytes"),
            clean(&o.value.sha256)
        ),
    };
    ObservedRow {
        // A blank cell reads as a rendering bug; nameless cookies are real (`Set-Cookie: abc`).
        name: if o.name.is_empty() {
            "(no name)".to_string()
        } else {
            clean(&o.name)
        },
        domain: clean(&o.domain),
        path: clean(&o.path),
        lifetime: lifetime_words(&o.lifetime),
        flags: flags.join(", "),
        party: o.party.as_str(),
        source: o.source.as_str(),
        set_by_url: clean(&o.set_by_url),
        set_by_href: href(&o.set_by_url),
        first_seen_page: clean(&o.first_seen_page),
        first_seen_href: href(&o.first_seen_page),
        pages: o.pages,
        value,
        notes,
    }
}

fn declared_row(d: &DeclaredCookie) -> DeclaredRow {
    let opt = |s: &Option<String>| s.as_deref().map(clean).unwrap_or_default();
    DeclaredRow {
        name: clean(&d.name),
        pattern: d.pattern,
        provider: opt(&d.provider),
        domain: opt(&d.domain),
        purpose: opt(&d.purpose),
        category: opt(&d.category),
        expiry: d
            .expiry
            .as_ref()
            .map(|e| clean(&e.text))
            .unwrap_or_default(),
        source: format!("table {}, row {}", d.source.table + 1, d.source.row + 1),
        source_url: clean(&d.source.url),
        source_href: href(&d.source.url),
    }
}

fn suggested(s: &SuggestedRow) -> SuggestedView {
    let opt = |v: &Option<String>| v.as_deref().map(clean).unwrap_or_default();
    let (status, action) = match s.status {
        SuggestedStatus::New => ("new", "add"),
        SuggestedStatus::Corrected => ("corrected", "correct"),
        SuggestedStatus::Kept => ("kept", "keep"),
    };
    SuggestedView {
        name: clean(&s.name),
        provider: opt(&s.provider),
        purpose: opt(&s.purpose),
        expiry: clean(&s.expiry),
        domain: clean(&s.domain),
        category: opt(&s.category),
        status,
        action,
    }
}

impl SuggestedView {
    /// The row in one line: "_ga · Google · 2 years · .barnet.gov.uk · Analytics — purpose".
    pub(crate) fn one_line(&self) -> String {
        let mut parts = vec![self.name.as_str()];
        for part in [&self.provider, &self.expiry, &self.domain, &self.category] {
            if !part.is_empty() {
                parts.push(part);
            }
        }
        let mut line = parts.join(" · ");
        if !self.purpose.is_empty() {
            line.push_str(" — ");
            line.push_str(&self.purpose);
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_defuses_terminal_and_bidi_controls() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\u{FFFD}[31mb");
        assert_eq!(clean("x\u{202E}y"), "x\u{FFFD}y");
        assert_eq!(clean("two\nlines"), "two lines");
        assert_eq!(clean("_ga"), "_ga");
    }

    #[test]
    fn only_http_urls_become_links() {
        assert_eq!(
            href("https://www.barnet.gov.uk/cookies").as_deref(),
            Some("https://www.barnet.gov.uk/cookies")
        );
        assert_eq!(href("HTTP://x.test/").as_deref(), Some("HTTP://x.test/"));
        assert_eq!(href("javascript:alert(1)"), None);
        assert_eq!(href(" JavaScript:alert(1)"), None);
        assert_eq!(href("data:text/html,<b>"), None);
        assert_eq!(href("http:alert"), None);
        assert_eq!(href("https://x.test/\u{0}"), None);
    }

    #[test]
    fn lifetimes_read_like_a_cookie_table() {
        assert_eq!(lifetime_words(&Lifetime::SESSION), "Session");
        assert_eq!(
            lifetime_words(&Lifetime::persistent(2 * 365 * 86_400)),
            "2 years (browsers keep it at most 400 days)"
        );
        assert_eq!(lifetime_words(&Lifetime::persistent(1800)), "30 minutes");
        assert_eq!(
            lifetime_words(&Lifetime::persistent(0)),
            "Deletes the cookie"
        );
    }
}
