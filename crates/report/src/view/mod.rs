//! The report as people read it: every renderer but JSON works from this one view, so a lifetime,
//! a piece of evidence or a count reads the same in the terminal, in Markdown and in HTML.
//!
//! Strings here are plain text, cleaned of control characters (a hostile site's cookie name must
//! not drive a terminal) but not escaped: each renderer escapes for its own output.

mod consent;
mod extra;
mod findings;
mod verdict;

use chrono::{DateTime, Utc};
use cookie_audit_model::expiry::describe_seconds;
use cookie_audit_model::{
    Changes, ConsentState, CookieKey, Declaration, DeclarationStatus, DeclaredCookie,
    DeclaredSourceKind, Finding, FindingKey, FindingKind, IgnoredFinding, Lifetime, ObservedCookie,
    Report, SameSite, Severity, StorageKind, SuggestedRow, SuggestedStatus, Summary,
};
use serde::Serialize;

pub(crate) use consent::ConsentView;
pub(crate) use extra::{PageRow, PasteView, SeverityNote, StorageRow};
pub(crate) use findings::{FindingGroup, FindingView};
use findings::{groups, kind_title};
pub(crate) use verdict::{Verdict, capitalise};

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
    /// Findings an ignore file accepted, one line each: "undeclared _hjid: reason (until
    /// 2027-01-01; entry 2)". Not counted anywhere else.
    pub ignored: Vec<String>,
    pub summary: Summary,
    /// The one line a DPO acts on.
    pub verdict: Verdict,
    /// The banner, the ICO's three tests and what each state stored.
    pub consent: ConsentView,
    /// What each severity means, high first.
    pub severities: Vec<SeverityNote>,
    /// Findings counted by kind (rows) and severity (columns).
    pub matrix: Vec<MatrixRow>,
    pub totals: MatrixRow,
    pub changes: Option<ChangesView>,
    /// One group per kind that has findings, in [`KINDS`] order.
    pub groups: Vec<FindingGroup>,
    pub declaration: DeclarationView,
    pub crawl: CrawlView,
    pub observed: Vec<ObservedRow>,
    /// localStorage and sessionStorage keys the pages wrote (browser engine).
    pub storage: Vec<StorageRow>,
    pub declared: Vec<DeclaredRow>,
    /// The corrected table as the report has it, every row.
    pub suggested: Vec<SuggestedView>,
    /// The corrected table as it may be pasted onto the site, and what is left to do first.
    pub paste: PasteView,
    /// The pages the crawl visited, in crawl order.
    pub pages: Vec<PageRow>,
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
pub(crate) struct DeclarationView {
    pub found: bool,
    /// What the views say when `found` is false: "no cookie table found", or that the cookie
    /// page could not be read and why (`declaration.status: unreadable`, issue 15 item 2).
    pub missing: String,
    /// The cookie page never loaded: nothing was checked against a table.
    pub unreadable: bool,
    /// "OneTrust's own cookie list: 7 cookies, compared with your table".
    pub cmp_list: Option<String>,
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
    /// The consent states that stored it: "before a choice, after \"Accept all\"".
    pub states: String,
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
        let consent = ConsentView::of(report);
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
            ignored: report.ignored.iter().map(ignored_line).collect(),
            summary: report.summary.clone(),
            verdict: Verdict::of(report),
            severities: extra::severity_notes(),
            matrix,
            totals,
            changes: report.changes.as_ref().map(changes),
            groups: groups(&report.findings),
            declaration: DeclarationView::of(report, &consent),
            crawl: CrawlView::of(report),
            observed: report.observed.iter().map(observed_row).collect(),
            storage: report.storage.iter().map(extra::storage_row).collect(),
            declared: report
                .declared
                .iter()
                .map(|d| declared_row(d, report))
                .collect(),
            suggested: report.suggested_table.iter().map(suggested).collect(),
            paste: PasteView::of(report),
            pages: report.crawl.pages.iter().map(extra::page_row).collect(),
            consent,
        }
    }
}

impl DeclarationView {
    /// The cookie pages read and what came of them; the platform's own list from `consent`.
    fn of(report: &Report, consent: &ConsentView) -> DeclarationView {
        DeclarationView {
            found: report.declaration.status == DeclarationStatus::Found,
            missing: missing_words(&report.declaration),
            unreadable: report.declaration.status == DeclarationStatus::Unreadable,
            cmp_list: consent.cmp_list.clone(),
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
        }
    }
}

impl CrawlView {
    /// The crawl's counts in words, its errors and the limits it hit.
    fn of(report: &Report) -> CrawlView {
        CrawlView {
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
        }
    }
}

/// "1 table", "5 tables".
/// "no cookie table found", or "the cookie page could not be read (HTTP 404 …), so no cookie was
/// checked against a table".
pub(crate) fn missing_words(d: &Declaration) -> String {
    match d.status {
        DeclarationStatus::Unreadable => format!(
            "the cookie page could not be read ({}), so no cookie was checked against a table",
            d.reason
                .as_deref()
                .map_or("no reason recorded".to_string(), clean)
        ),
        _ => "no cookie table found".to_string(),
    }
}

fn ignored_line(i: &IgnoredFinding) -> String {
    let until = i.expires.map_or(String::new(), |d| format!("until {d}; "));
    let cookie = if i.finding.cookie.is_empty() {
        String::new()
    } else {
        format!(" {}", display_name(&i.finding.cookie))
    };
    clean(&format!(
        "{}{cookie}: {} ({until}entry {})",
        i.finding.code.as_str(),
        i.reason,
        i.entry
    ))
}

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

/// A cookie's name for people: nameless cookies are real (`Set-Cookie: abc`), and a blank cell
/// or `****` in Markdown reads as a rendering bug.
pub(crate) fn display_name(name: &str) -> String {
    if name.is_empty() {
        "(no name)".to_string()
    } else {
        clean(name)
    }
}

/// "before a choice, after \"Accept all\"": the states in report order.
pub(crate) fn states_words(states: &[ConsentState]) -> String {
    ConsentState::ALL
        .into_iter()
        .filter(|s| states.contains(s))
        .map(ConsentState::phrase)
        .collect::<Vec<_>>()
        .join(", ")
}

/// "before a choice, before the click on \"Reject all\"": the runs that saw a cookie, saying
/// which choice runs stored it only before their click.
fn observed_states_words(o: &ObservedCookie) -> String {
    ConsentState::ALL
        .into_iter()
        .filter_map(|s| match consent::cookie_stored(o, s) {
            consent::Stored::AfterClick => Some(s.phrase().to_string()),
            consent::Stored::BeforeClickOnly => Some(match s {
                ConsentState::Accept => "before the click on \"Accept all\"".to_string(),
                _ => "before the click on \"Reject all\"".to_string(),
            }),
            consent::Stored::No => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn storage_kind_words(kind: StorageKind) -> &'static str {
    match kind {
        StorageKind::Local => "localStorage",
        StorageKind::Session => "sessionStorage",
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
    if o.set_then_deleted {
        notes.push(
            "stored, then deleted again during a visit (a jar read at the end would miss it)"
                .to_string(),
        );
    }
    let value = match &o.value.value {
        Some(value) => clean(value),
        None => format!(
            "redacted ({}, sha256 {})",
            count(o.value.length as u32, "byte", "bytes"),
            clean(&o.value.sha256)
        ),
    };
    ObservedRow {
        name: display_name(&o.name),
        states: observed_states_words(o),
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

fn declared_row(d: &DeclaredCookie, report: &Report) -> DeclaredRow {
    let opt = |s: &Option<String>| s.as_deref().map(clean).unwrap_or_default();
    let source = match d.source.kind {
        DeclaredSourceKind::Page => {
            format!("table {}, row {}", d.source.table + 1, d.source.row + 1)
        }
        // The platform's list is read from its scripts: no table a person could count.
        DeclaredSourceKind::Cmp => {
            let platform = report
                .consent
                .cmp
                .as_ref()
                .filter(|c| d.source.cmp.as_deref().is_none_or(|id| id == c.id))
                .map(|c| c.name.clone())
                .or_else(|| d.source.cmp.clone())
                .unwrap_or_else(|| "the consent platform".to_string());
            clean(&format!("{platform}'s own list"))
        }
    };
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
        source,
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
