//! The consent part of the view: the ICO's three tests answered in plain words, the banner and
//! its platform, each run's status, and the matrix of what was stored in which state.
//!
//! Everything here is read from the report (`consent`, the consent findings, `observed[].states`,
//! `stored_after_click` and `set_then_deleted`, `storage[].states`): the view concludes nothing
//! the diff did not. A
//! test the audit could not make says "not tested" and why, never "passed".

use cookie_audit_model::{
    ConsentRun, ConsentRuns, ConsentState, CookieCategory, DeclaredSourceKind, Detection,
    EngineKind, Finding, FindingCode, ObservedCookie, RejectPath, Report, RunStatus, Severity,
    StorageEntry,
};
use serde::Serialize;

use super::{clean, count, href, storage_kind_words};

/// The consent section of every human view.
#[derive(Debug, Serialize)]
pub(crate) struct ConsentView {
    /// A visit after "Accept all" or "Reject all" was made: the tests and the matrix mean
    /// something. When false, `not_visited` says why in one line and nothing else is shown.
    pub visited: bool,
    pub not_visited: Option<String>,
    /// "OneTrust, recognised by its rule".
    pub cmp: Option<String>,
    /// "OneTrust's own cookie list: 7 cookies, compared with your table".
    pub cmp_list: Option<String>,
    /// Where the banner was and what its buttons say, or that there was none.
    pub banner: String,
    pub banner_page: Option<String>,
    pub banner_href: Option<String>,
    /// The ICO's three tests, in the ICO's order.
    pub tests: Vec<IcoTest>,
    pub runs: Vec<RunLine>,
    /// The matrix's state columns: the none run, and each choice run that clicked and visited
    /// pages.
    pub columns: Vec<Column>,
    pub matrix: Vec<MatrixLine>,
    /// What the matrix's marks mean: only the marks it uses.
    pub legend: String,
}

/// One of the ICO's tests and its answer.
#[derive(Debug, Serialize)]
pub(crate) struct IcoTest {
    /// "Before a choice", "Reject as easy as accept", "After \"Reject all\"".
    pub question: &'static str,
    /// The answer in words, without the question: "2 cookies that need consent are stored …".
    pub answer: String,
    pub outcome: Outcome,
}

impl IcoTest {
    /// "Before a choice: 2 cookies that need consent are stored (1 advertising)."
    pub(crate) fn line(&self) -> String {
        format!("{}: {}.", self.question, self.answer)
    }
}

/// How a test came out. Serialised as a CSS class name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Pass,
    Fail,
    /// The audit could not answer (no banner to test, a click it could not confirm, no run).
    Untested,
}

impl Outcome {
    /// The mark the terminal shows before the test.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Outcome::Pass => "✓",
            Outcome::Fail => "✗",
            Outcome::Untested => "?",
        }
    }
}

/// A state column of the matrix.
#[derive(Debug, Serialize)]
pub(crate) struct Column {
    /// "Before a choice", "After \"Accept all\"", "After \"Reject all\"".
    pub heading: &'static str,
    /// The run's click was confirmed by the platform (always true for "before a choice"); an
    /// unconfirmed column may describe a visitor whose choice did not register.
    pub confirmed: bool,
}

/// One run, in a line.
#[derive(Debug, Serialize)]
pub(crate) struct RunLine {
    /// "before a choice", "after \"Accept all\"".
    pub state: &'static str,
    /// "complete", "verified", "unverified", "no banner", "failed".
    pub status: &'static str,
    /// By what it was verified, what was clicked, how many pages, what went wrong.
    pub detail: String,
}

/// One cookie (or storage key) across the states.
#[derive(Debug, Serialize)]
pub(crate) struct MatrixLine {
    pub name: String,
    /// The cookie's domain, or the storage key's origin.
    pub domain: String,
    /// "Analytics", "Marketing", …, "localStorage" for a storage key, "unknown" when nobody says.
    pub category: String,
    /// The same in one short word for the terminal: "necessary", "analytics", …
    pub category_short: &'static str,
    pub cells: Vec<Cell>,
}

/// A cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Cell {
    pub mark: Mark,
    pub symbol: &'static str,
    pub title: &'static str,
}

/// What a state did with a cookie. Serialised as a CSS class name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mark {
    Stored,
    /// Stored, and deleted again during a visit: a jar read at the end of the visit misses it.
    SetThenDeleted,
    /// Seen in a choice run, but stored only before its click (by the page that showed the
    /// banner): not something the choice let through, which is what the column is about.
    BeforeClick,
    NotStored,
}

impl Mark {
    fn cell(self) -> Cell {
        let (symbol, title) = match self {
            Mark::Stored => ("✓", "stored"),
            Mark::SetThenDeleted => ("◐", "stored, then deleted again during a visit"),
            Mark::BeforeClick => ("(✓)", "written only before the click on the banner"),
            Mark::NotStored => ("—", "not stored"),
        };
        Cell {
            mark: self,
            symbol,
            title,
        }
    }
}

/// The legend under every matrix, one string so the views cannot word it differently.
pub(crate) const LEGEND: &str = "✓ stored · — not stored";
/// Added to [`LEGEND`] when a column's click was not confirmed.
pub(crate) const LEGEND_UNCONFIRMED: &str =
    "? our click was not confirmed: the column may show a visitor whose choice did not register";
/// Added to [`LEGEND`] when some cell is stored only before the click.
pub(crate) const LEGEND_BEFORE_CLICK: &str =
    "(✓) written in that visit only before the click on the banner (it may stay stored after it)";
/// Added to [`LEGEND`] when some cell is set-then-deleted.
pub(crate) const LEGEND_DELETED: &str = "◐ stored, then deleted again during a visit (in at least one of its states; a jar read at the end of the visit would miss it)";

impl ConsentView {
    pub(crate) fn of(report: &Report) -> ConsentView {
        let consent = &report.consent;
        let visited = consent.runs.iter().any(|r| r.state != ConsentState::None);
        let cmp = consent.cmp.as_ref().map(|cmp| match cmp.detected_by {
            Detection::Rule => clean(&format!("{}, recognised by its rule", cmp.name)),
            Detection::Heuristic => {
                "a banner no rule knows, found by the words on its buttons".to_string()
            }
        });
        let listed = report
            .declared
            .iter()
            .filter(|d| d.source.kind == DeclaredSourceKind::Cmp)
            .count() as u32;
        let cmp_list = (listed > 0).then(|| {
            let owner = consent
                .cmp
                .as_ref()
                .map_or("The consent platform".to_string(), |c| clean(&c.name));
            format!(
                "{owner}'s own cookie list: {}, compared with your table",
                count(listed, "cookie", "cookies")
            )
        });
        let states = columns(&consent.runs);
        let columns: Vec<Column> = states
            .iter()
            .map(|s| Column {
                heading: short_phrase(*s),
                confirmed: consent
                    .run(*s)
                    .is_none_or(|r| r.status != RunStatus::Unverified),
            })
            .collect();
        let matrix = matrix(report, &states);
        let uses = |mark: Mark| {
            matrix
                .iter()
                .any(|l| l.cells.iter().any(|c| c.mark == mark))
        };
        let legend = legend(
            uses(Mark::SetThenDeleted),
            uses(Mark::BeforeClick),
            columns.iter().any(|c| !c.confirmed),
        );
        ConsentView {
            visited,
            not_visited: (!visited).then(|| not_visited(report)),
            cmp,
            cmp_list,
            banner: banner_words(report),
            banner_page: consent.banner.page.as_deref().map(clean),
            banner_href: consent.banner.page.as_deref().and_then(href),
            tests: vec![
                before_choice(report),
                reject_as_easy(report),
                after_reject(report),
            ],
            runs: consent.runs.iter().map(run_line).collect(),
            matrix,
            legend,
            columns,
        }
    }
}

/// The legend a matrix needs: only the marks it uses.
fn legend(set_then_deleted: bool, before_click: bool, unconfirmed: bool) -> String {
    let mut legend = LEGEND.to_string();
    if set_then_deleted {
        legend.push_str(" · ");
        legend.push_str(LEGEND_DELETED);
    }
    if before_click {
        legend.push_str(" · ");
        legend.push_str(LEGEND_BEFORE_CLICK);
    }
    if unconfirmed {
        legend.push_str(" · ");
        legend.push_str(LEGEND_UNCONFIRMED);
    }
    legend
}

/// Column headings: "Before a choice", "After \"Accept all\"", "After \"Reject all\"".
fn short_phrase(state: ConsentState) -> &'static str {
    match state {
        ConsentState::None => "Before a choice",
        ConsentState::Accept => "After \"Accept all\"",
        ConsentState::Reject => "After \"Reject all\"",
    }
}

/// The none run, and each choice run that clicked and visited pages: a column for a run that saw
/// no banner, clicked nothing or failed would read "not stored" for cookies nobody looked for.
fn columns(runs: &[ConsentRun]) -> Vec<ConsentState> {
    let mut states = vec![ConsentState::None];
    states.extend(
        runs.iter()
            .filter(|r| r.state != ConsentState::None)
            .filter(|r| {
                r.status == RunStatus::Verified
                    || (r.status == RunStatus::Unverified && r.clicked.is_some())
            })
            .filter(|r| r.pages_visited > 0)
            .map(|r| r.state),
    );
    states
}

fn not_visited(report: &Report) -> String {
    let why = if report.engine == EngineKind::Http {
        "the HTTP engine cannot see or click a consent banner; run with --engine browser"
    } else if report.config.consent == Some(ConsentRuns::None) {
        "only the visitor who has not chosen was asked for (--consent none)"
    } else if report.consent.runs.is_empty() {
        "this report has no consent runs (it was written before they existed)"
    } else {
        "no visit after a choice was recorded"
    };
    format!("Consent states not visited: {why}.")
}

fn banner_words(report: &Report) -> String {
    let banner = &report.consent.banner;
    if !banner.found {
        return "no consent banner was seen".to_string();
    }
    let accept = banner.accept_label.as_deref().map(quoted);
    let reject = banner.reject_label.as_deref().map(quoted);
    let buttons = match (accept, reject, banner.reject_on_first_layer) {
        (Some(a), Some(r), Some(true)) => format!("{a} and {r} side by side"),
        (Some(a), Some(r), _) => format!("{a} on the banner, {r} to refuse"),
        (Some(a), None, _) => format!("{a}, and no button to refuse"),
        (None, Some(r), _) => format!("{r} to refuse"),
        (None, None, _) => "buttons the audit could not read".to_string(),
    };
    format!("a consent banner with {buttons}")
}

fn quoted(label: &str) -> String {
    format!("\"{}\"", clean(label.trim()))
}

/// The distinct cookies (name, domain) of the findings with `code`.
fn cookies_with(report: &Report, code: FindingCode) -> Vec<&Finding> {
    let mut seen: Vec<(&str, Option<&str>)> = Vec::new();
    report
        .findings
        .iter()
        .filter(|f| f.code == code)
        .filter(|f| {
            let key = (f.cookie.as_str(), f.domain.as_deref());
            let new = !seen.contains(&key);
            seen.push(key);
            new
        })
        .collect()
}

/// "1 advertising, 1 analytics": what the stored cookies are, by the severity the diff gave
/// them (advertising is high, analytics and functional medium, unknown low; docs/findings.md)
/// and the knowledge base's category where it tells analytics from functional.
fn breakdown(report: &Report, findings: &[&Finding]) -> String {
    let mut counts: Vec<(&'static str, u32)> = Vec::new();
    for f in findings {
        let classified = report
            .observed
            .iter()
            .find(|o| o.name == f.cookie && Some(o.domain.as_str()) == f.domain.as_deref())
            .and_then(|o| o.classification.as_ref())
            .map(|c| c.category);
        let word = match (f.severity, classified) {
            (Severity::High, _) => "advertising",
            (Severity::Low, _) => "of unknown purpose",
            (Severity::Medium, Some(CookieCategory::Functional)) => "functional",
            (Severity::Medium, Some(CookieCategory::Analytics)) => "analytics",
            (Severity::Medium, _) => "analytics or functional",
        };
        match counts.iter_mut().find(|(w, _)| *w == word) {
            Some((_, n)) => *n += 1,
            None => counts.push((word, 1)),
        }
    }
    let order = [
        "advertising",
        "analytics",
        "functional",
        "analytics or functional",
        "of unknown purpose",
    ];
    counts.sort_by_key(|(w, _)| order.iter().position(|o| o == w));
    counts
        .iter()
        .map(|(w, n)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The answer of a test that counts stored cookies, or `None` when none was stored. A cookie whose
/// purpose nobody knows (a low finding, docs/findings.md) is counted apart: the audit cannot say
/// it needs consent, so it alone does not fail the test.
fn stored_answer(report: &Report, findings: &[&Finding], verb: &str) -> Option<(String, Outcome)> {
    let (unknown, needing): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.severity == Severity::Low);
    let unknown_n = unknown.len() as u32;
    match (needing.is_empty(), unknown_n) {
        (true, 0) => None,
        (false, 0) => Some((stored_sentence(report, &needing, verb), Outcome::Fail)),
        (false, n) => Some((
            format!(
                "{}, and {} of unknown purpose",
                stored_sentence(report, &needing, verb),
                count(n, "cookie", "cookies")
            ),
            Outcome::Fail,
        )),
        (true, n) => {
            let (is, it) = if n == 1 {
                ("is", "it needs")
            } else {
                ("are", "they need")
            };
            Some((
                format!(
                    "{} of unknown purpose {is} {verb}: find out what they do to know whether \
                     {it} consent",
                    count(n, "cookie", "cookies")
                ),
                Outcome::Untested,
            ))
        }
    }
}

/// "2 cookies that need consent are stored (1 advertising, 1 analytics)".
fn stored_sentence(report: &Report, findings: &[&Finding], verb: &str) -> String {
    let n = findings.len() as u32;
    let are = if n == 1 { "is" } else { "are" };
    format!(
        "{} that {} consent {are} {verb} ({})",
        count(n, "cookie", "cookies"),
        if n == 1 { "needs" } else { "need" },
        breakdown(report, findings)
    )
}

fn before_choice(report: &Report) -> IcoTest {
    let question = "Before a choice";
    if report.consent.run(ConsentState::None).is_none() {
        return IcoTest {
            question,
            answer: "not tested: the report has no visit before a choice".to_string(),
            outcome: Outcome::Untested,
        };
    }
    let stored = cookies_with(report, FindingCode::ConsentBeforeChoice);
    match stored_answer(report, &stored, "stored") {
        None => IcoTest {
            question,
            answer: "no cookie that needs consent is stored".to_string(),
            outcome: Outcome::Pass,
        },
        Some((answer, outcome)) => IcoTest {
            question,
            answer,
            outcome,
        },
    }
}

fn reject_as_easy(report: &Report) -> IcoTest {
    let question = "Reject as easy as accept";
    let banner = &report.consent.banner;
    let accept = banner.accept_label.as_deref().map(quoted);
    let reject = banner.reject_label.as_deref().map(quoted);
    let (answer, outcome) = if !banner.found {
        let needs_consent = cookies_with(report, FindingCode::ConsentBeforeChoice)
            .iter()
            .any(|f| f.severity != Severity::Low);
        if !needs_consent {
            (
                "no banner was seen, and none is needed while nothing that needs consent is stored before a choice".to_string(),
                Outcome::Pass,
            )
        } else {
            (
                "no: there is no consent banner, so visitors cannot refuse".to_string(),
                Outcome::Fail,
            )
        }
    } else {
        match (banner.reject_on_first_layer, reject) {
            (Some(true), Some(r)) => (
                format!(
                    "yes — {r} beside {}",
                    accept.unwrap_or_else(|| "the accept button".into())
                ),
                Outcome::Pass,
            ),
            (Some(true), None) => (
                "yes — a reject button on the banner itself".to_string(),
                Outcome::Pass,
            ),
            (Some(false), Some(r)) => (format!("no: reject only behind {r}"), Outcome::Fail),
            (Some(false), _) => (
                format!(
                    "no: the banner offers no way to reject ({} only)",
                    accept.unwrap_or_else(|| "an accept button".into())
                ),
                Outcome::Fail,
            ),
            (None, _) => (
                "not tested: the banner's buttons could not be read".to_string(),
                Outcome::Untested,
            ),
        }
    };
    IcoTest {
        question,
        answer,
        outcome,
    }
}

fn after_reject(report: &Report) -> IcoTest {
    let question = "After \"Reject all\"";
    let untested = |why: String| IcoTest {
        question,
        answer: format!("not tested: {why}"),
        outcome: Outcome::Untested,
    };
    let Some(run) = report.consent.run(ConsentState::Reject) else {
        let why = match report.config.consent {
            Some(ConsentRuns::Accept) => "only \"Accept all\" was asked for (--consent accept)",
            _ if report.engine == EngineKind::Http => "the HTTP engine cannot click a banner",
            _ => "no visit after \"Reject all\" was made",
        };
        return untested(why.to_string());
    };
    let error = || run.error.as_deref().map(clean);
    match run.status {
        RunStatus::Verified => {
            let stored = cookies_with(report, FindingCode::ConsentAfterReject);
            match stored_answer(report, &stored, "still stored") {
                None => IcoTest {
                    question,
                    answer: "no cookie that needs consent is stored".to_string(),
                    outcome: Outcome::Pass,
                },
                Some((answer, outcome)) => IcoTest {
                    question,
                    answer,
                    outcome,
                },
            }
        }
        // No click at all (nothing to reject with): the reason is the whole answer.
        RunStatus::Unverified if run.clicked.is_none() => {
            untested(error().unwrap_or_else(|| "there was nothing to click".to_string()))
        }
        RunStatus::Unverified => untested(match error() {
            Some(e) => format!("our click could not be confirmed — {e}"),
            None => "our click could not be confirmed".to_string(),
        }),
        RunStatus::NoBanner => untested("no banner appeared to reject".to_string()),
        RunStatus::Failed => untested(match error() {
            Some(e) => format!("the visit failed — {e}"),
            None => "the visit failed".to_string(),
        }),
        RunStatus::Complete => untested("the run made no click".to_string()),
    }
}

fn run_line(run: &ConsentRun) -> RunLine {
    let status = match run.status {
        RunStatus::Complete => "complete",
        RunStatus::Verified => "verified",
        RunStatus::Unverified => "unverified",
        RunStatus::NoBanner => "no banner",
        RunStatus::Failed => "failed",
    };
    let mut parts: Vec<String> = Vec::new();
    match run.status {
        RunStatus::Complete => parts.push("no clicks".to_string()),
        RunStatus::Verified => {
            if let Some(by) = &run.verified_by {
                parts.push(clean(&format!("confirmed by {by}")));
            }
        }
        RunStatus::NoBanner => parts.push("no banner appeared, so nothing was clicked".to_string()),
        RunStatus::Unverified | RunStatus::Failed => {}
    }
    if let Some(clicked) = &run.clicked {
        let via = match run.reject_via {
            Some(RejectPath::Settings) => " (through the banner's settings)",
            _ => "",
        };
        parts.push(clean(&format!(
            "clicked \"{}\"{via} on {}",
            clicked.text.trim(),
            clicked.page
        )));
    }
    if let Some(error) = &run.error {
        parts.push(clean(error));
    }
    parts.push(count(run.pages_visited, "page visited", "pages visited"));
    RunLine {
        state: run.state.phrase(),
        status,
        detail: parts.join("; "),
    }
}

fn matrix(report: &Report, columns: &[ConsentState]) -> Vec<MatrixLine> {
    let cookies = report
        .observed
        .iter()
        // A cookie a browser refuses is stored in no state.
        .filter(|o| o.rejected.is_none())
        .map(|o| cookie_line(o, columns));
    let storage = report.storage.iter().map(|s| storage_line(s, columns));
    cookies.chain(storage).collect()
}

fn cookie_line(o: &ObservedCookie, columns: &[ConsentState]) -> MatrixLine {
    let stored = if o.set_then_deleted {
        Mark::SetThenDeleted
    } else {
        Mark::Stored
    };
    MatrixLine {
        name: super::display_name(&o.name),
        domain: clean(&o.domain),
        category: o
            .classification
            .as_ref()
            .map_or("unknown", |c| c.category.label())
            .to_string(),
        category_short: match o.classification.as_ref().map(|c| c.category) {
            Some(CookieCategory::StrictlyNecessary) => "necessary",
            Some(CookieCategory::Functional) => "functional",
            Some(CookieCategory::Analytics) => "analytics",
            Some(CookieCategory::Marketing) => "marketing",
            None => "unknown",
        },
        cells: columns
            .iter()
            .map(|&s| match cookie_stored(o, s) {
                Stored::AfterClick => stored.cell(),
                Stored::BeforeClickOnly => Mark::BeforeClick.cell(),
                Stored::No => Mark::NotStored.cell(),
            })
            .collect(),
    }
}

fn storage_line(s: &StorageEntry, columns: &[ConsentState]) -> MatrixLine {
    MatrixLine {
        name: clean(&s.key),
        domain: clean(&s.origin),
        category: storage_kind_words(s.kind).to_string(),
        category_short: storage_kind_words(s.kind),
        cells: columns
            .iter()
            .map(|state| {
                if s.states.contains(state) {
                    Mark::Stored.cell()
                } else {
                    Mark::NotStored.cell()
                }
            })
            .collect(),
    }
}

/// Whether and when a cookie was stored in a state's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Stored in the run (for a choice run: from its click on).
    AfterClick,
    /// A choice run saw it, but only before its click.
    BeforeClickOnly,
    No,
}

/// `states` lists the runs that saw a cookie at all; `stored_after_click` the choice runs that
/// stored it from their click on (docs/consent.md). The none run makes no click: every cookie it
/// saw counts.
pub(crate) fn cookie_stored(o: &ObservedCookie, state: ConsentState) -> Stored {
    if !o.states.contains(&state) {
        Stored::No
    } else if state == ConsentState::None || o.stored_after_click.contains(&state) {
        Stored::AfterClick
    } else {
        Stored::BeforeClickOnly
    }
}
