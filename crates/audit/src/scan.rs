//! Scan one site, top to bottom: crawl → declared → diff → the report. `scan`, `demo` and the
//! audit job all call [`scan_site`], so they cannot disagree.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use cookie_audit_browser::consent::RulesError;
use cookie_audit_browser::{
    BrowserEngine, BrowserError, BrowserOptions, ConsentPlan, ConsentRules, find_chrome,
};
use cookie_audit_crawl::net::FetchError;
use cookie_audit_crawl::{
    CancellationToken, CrawlContext, CrawlOutcome, Engine, HttpEngine, Progress, crawl,
};
use cookie_audit_declared::read_declaration;
use cookie_audit_diff::{DiffInput, KnowledgeBase, diff};
use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::host_of;
use cookie_audit_model::{
    Consent, ConsentRun, ConsentRuns, ConsentState, DeclarationStatus, DeclaredCookie,
    EngineChoice, FailOn, FindingCode, FindingKind, ObservedCookie, Report, RunStatus,
    SCHEMA_VERSION, ScanConfig, Severity, StorageEntry, Summary,
};
use url::Url;

use crate::settings::ScanSettings;

/// A finished scan of one site.
#[derive(Debug)]
pub struct ScanResult {
    /// The report, complete for what could be crawled.
    pub report: Report,
    /// The start URL gave no response at all: the report is thin and nothing was audited.
    pub start_error: Option<String>,
    /// The scan was stopped before its end (the `cancel` of [`scan_site_until`]): the report
    /// covers what was visited, and `crawl.limits_hit` says `interrupted`.
    pub interrupted: bool,
    /// What the user should hear besides the report, in words: a cookie page that could not be
    /// read, ignore-file entries that expired or matched nothing.
    pub notes: Vec<String>,
}

/// Why a scan could not run at all. A site that fails page by page is not an error: that is in
/// the report.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The HTTP client could not be built (TLS roots, options).
    #[error("could not set up the HTTP client")]
    Client(#[source] FetchError),
    /// Chromium could not be found or started.
    #[error("the browser engine is not available")]
    Browser(#[source] BrowserError),
    /// `--consent-rules` cannot be used.
    #[error("--consent-rules")]
    Rules(#[source] RulesError),
}

/// The engine that runs, after `auto` is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedEngine {
    /// The HTTP engine.
    Http,
    /// The browser engine with the Chromium to run.
    Browser(PathBuf),
}

/// Which engine runs: `auto` is the browser when Chromium is found, else the HTTP engine with a
/// warning (the report says what the HTTP engine cannot see in `limitations`).
pub fn resolve_engine(
    choice: EngineChoice,
    chrome: Option<&Path>,
) -> Result<ResolvedEngine, ScanError> {
    match choice {
        EngineChoice::Http => Ok(ResolvedEngine::Http),
        EngineChoice::Browser => find_chrome(chrome)
            .map(ResolvedEngine::Browser)
            .map_err(ScanError::Browser),
        EngineChoice::Auto => match find_chrome(chrome) {
            Ok(path) => Ok(ResolvedEngine::Browser(path)),
            Err(e) => {
                tracing::warn!(
                    "--engine auto: using the HTTP engine, so cookies set by JavaScript are not observed ({})",
                    cookie_audit_model::error_chain(&e)
                );
                Ok(ResolvedEngine::Http)
            }
        },
    }
}

/// Scans one site: crawls it with the engine the settings ask for, reads its cookie tables,
/// compares, and assembles the report.
pub async fn scan_site(
    start_url: Url,
    settings: &ScanSettings,
    kb: &KnowledgeBase,
    progress: Box<dyn Progress>,
) -> Result<ScanResult, ScanError> {
    scan_site_until(start_url, settings, kb, progress, CancellationToken::new()).await
}

/// [`scan_site`] that stops early when `cancel` is cancelled (Ctrl-C): no new page is visited,
/// no consent run starts, and the report covers what was visited (`ScanResult::interrupted`).
pub async fn scan_site_until(
    start_url: Url,
    settings: &ScanSettings,
    kb: &KnowledgeBase,
    progress: Box<dyn Progress>,
    cancel: CancellationToken,
) -> Result<ScanResult, ScanError> {
    let started_at = Utc::now();
    let engine = resolve_engine(settings.engine, settings.chrome.as_deref())?;
    if settings.crawl.ignore_robots {
        tracing::warn!("--ignore-robots: robots.txt is not honoured for this crawl");
    }
    let mut ctx = CrawlContext::new(settings.crawl.clone(), start_url.clone(), progress)
        .map_err(ScanError::Client)?;
    ctx.cancel = cancel;
    let ctx = Arc::new(ctx);
    let (mut outcome, consent) = match engine {
        ResolvedEngine::Http => {
            let outcome = crawl(Arc::new(HttpEngine), ctx.clone()).await;
            let why = (settings.consent.runs != ConsentRuns::None).then(|| {
                "the HTTP engine cannot see or click a consent banner: only the visitor who has not chosen was audited".to_string()
            });
            let consent = ConsentOutcome::none_only(&outcome, why);
            (outcome, consent)
        }
        ResolvedEngine::Browser(chrome) => {
            let mut options = BrowserOptions::new(chrome, &settings.crawl, &settings.browser);
            options.extras.site = Some(start_url.clone());
            browser_runs(options, settings, ctx.clone()).await?
        }
    };
    if let Some(why) = &consent.limitation {
        outcome.limitations.push(why.clone());
    }
    let interrupted = ctx.is_cancelled();
    let mut result = assemble(
        start_url,
        settings.record(),
        started_at,
        outcome,
        consent,
        ctx.storage.finish(),
        kb,
    );
    result.interrupted = interrupted;
    if let Some(list) = &settings.ignore {
        let today = Utc::now().date_naive();
        let report = &mut result.report;
        let out = list.apply(std::mem::take(&mut report.findings), today);
        report.findings = out.findings;
        report.ignored = out.ignored;
        report.summary = Summary::tally(&report.declared, &report.observed, &report.findings);
        report.summary.ignored = report.ignored.len() as u32;
        result.notes.extend(out.notes);
    }
    Ok(result)
}

/// What the consent runs give the report: the banner and runs, the cookies of the choice runs,
/// and the platform's own list.
struct ConsentOutcome {
    consent: Consent,
    observed: Vec<Vec<ObservedCookie>>,
    cmp_declared: Vec<DeclaredCookie>,
    limitation: Option<String>,
}

impl ConsentOutcome {
    fn none_only(outcome: &CrawlOutcome, why: Option<String>) -> ConsentOutcome {
        ConsentOutcome {
            consent: Consent::none_only(outcome.stats.pages_visited, None),
            observed: Vec::new(),
            cmp_declared: Vec::new(),
            limitation: why,
        }
    }
}

/// The browser's crawl (looking at the banner, never clicking), then a fresh browser per choice.
async fn browser_runs(
    mut options: BrowserOptions,
    settings: &ScanSettings,
    ctx: Arc<CrawlContext>,
) -> Result<(CrawlOutcome, ConsentOutcome), ScanError> {
    let rules = Arc::new(match &settings.consent.rules {
        Some(path) => ConsentRules::with_file(path).map_err(ScanError::Rules)?,
        None => ConsentRules::builtin(),
    });
    options.consent = Some(ConsentPlan {
        rules: rules.clone(),
        state: ConsentState::None,
    });
    let engine = Arc::new(
        BrowserEngine::launch(options.clone())
            .await
            .map_err(ScanError::Browser)?,
    );
    let outcome = crawl(engine.clone(), ctx.clone()).await;
    let look = engine.consent_look();
    engine.shutdown().await;
    let mut result = ConsentOutcome::none_only(&outcome, None);
    result.consent.cmp = look.cmp.clone();
    result.consent.banner = look.banner.clone();
    let mut list = look;
    let pages = crate::consent::choice_pages(&outcome, settings.consent.pages);
    let states = settings.consent.runs.choices();
    let choices = if ctx.is_cancelled() {
        // Stopped: no choice run starts, and none is reported as if it had failed.
        Vec::new()
    } else if outcome.start_error.is_some() || pages.is_empty() {
        for &state in states {
            result.consent.runs.push(ConsentRun {
                state,
                status: RunStatus::Failed,
                verified_by: None,
                clicked: None,
                reject_via: None,
                pages_visited: 0,
                error: Some("the start page could not be loaded".into()),
            });
        }
        Vec::new()
    } else {
        let plans = states
            .iter()
            .map(|&state| ConsentPlan {
                rules: rules.clone(),
                state,
            })
            .collect();
        crate::consent::choice_runs(&options, plans, &ctx, &pages).await
    };
    for choice in choices {
        // A banner the crawl missed (it appeared late) is the one the choice run saw.
        match (&mut result.consent.cmp, &choice.look.cmp) {
            (None, found) => result.consent.cmp = found.clone(),
            // A choice run learns where the choice is stored (a banner found by its words
            // says only when clicked): the platform's cookies are those of every run.
            (Some(cmp), Some(seen)) if cmp.id == seen.id => {
                for name in &seen.cookies {
                    if !cmp.cookies.contains(name) {
                        cmp.cookies.push(name.clone());
                    }
                }
            }
            _ => {}
        }
        if !result.consent.banner.found && choice.look.banner.found {
            result.consent.banner = choice.look.banner.clone();
        }
        if list.cmp_cookies.is_empty() && !choice.look.cmp_cookies.is_empty() {
            list = choice.look.clone();
        }
        result.observed.push(choice.observed);
        result.consent.runs.push(choice.run);
    }
    if let Some(cmp) = &list.cmp {
        let page = list
            .banner
            .page
            .clone()
            .unwrap_or_else(|| ctx.site.start_url.to_string());
        result.cmp_declared = crate::consent::cmp_declared(&cmp.id, &page, &list.cmp_cookies);
    }
    Ok((outcome, result))
}

/// The crawl's outcome, read and compared: the report.
fn assemble(
    start_url: Url,
    config: ScanConfig,
    started_at: chrono::DateTime<Utc>,
    outcome: CrawlOutcome,
    consent: ConsentOutcome,
    storage: Vec<StorageEntry>,
    kb: &KnowledgeBase,
) -> ScanResult {
    // In the order the pages were read (tables, rows, names within a cell): already deterministic.
    let (declaration, mut declared) = read_declaration(&outcome.declaration_sources);
    declared.extend(consent.cmp_declared);
    let site_host = host_of(&start_url);
    let observed = crate::consent::merge_runs(outcome.observed, consent.observed);
    let consent = consent.consent;
    let diffed = diff(
        DiffInput {
            site_host: &site_host,
            declaration: &declaration,
            declared: &declared,
            consent: &consent,
            observed,
            pages_crawled: outcome.stats.pages_visited,
        },
        kb,
    );
    let mut declaration = declaration;
    declaration.warnings.extend(diffed.warnings);
    let observed = diffed.observed;
    let findings = diffed.findings;
    let summary = Summary::tally(&declared, &observed, &findings);

    let report = Report {
        schema_version: SCHEMA_VERSION.to_string(),
        tool: cookie_audit_model::tool(),
        site: start_url.to_string(),
        registrable_domain: registrable_domain(&site_host),
        engine: outcome.engine,
        started_at,
        finished_at: Utc::now(),
        config,
        limitations: outcome.limitations,
        browser: outcome.browser,
        crawl: outcome.stats,
        declaration,
        declared,
        observed,
        findings,
        summary,
        suggested_table: diffed.suggested_table,
        changes: None,
        consent,
        storage,
        ignored: Vec::new(),
    };
    let mut notes = Vec::new();
    if report.declaration.status == DeclarationStatus::Unreadable {
        notes.push(format!(
            "{}; findings that depend on the cookie table (undeclared, stale, no_declaration) were not raised",
            report.declaration.reason.as_deref().unwrap_or("no cookie page could be read")
        ));
    }
    ScanResult {
        report,
        start_error: outcome.start_error,
        interrupted: false,
        notes,
    }
}

/// Whether a finished report has findings at or above `--fail-on` (exit status 1).
pub fn fails(report: &Report, fail_on: FailOn) -> bool {
    report.findings.iter().any(|f| match fail_on {
        FailOn::None => false,
        FailOn::Undeclared => {
            matches!(f.kind, FindingKind::Undeclared | FindingKind::NoDeclaration)
        }
        FailOn::Consent => {
            matches!(
                f.code,
                FindingCode::ConsentBeforeChoice
                    | FindingCode::ConsentAfterReject
                    | FindingCode::ConsentNoRejectOption
            ) && f.severity >= Severity::Medium
        }
        FailOn::Any => true,
    })
}
