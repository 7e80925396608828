//! The pipeline, top to bottom: crawl → declared → diff → report. `scan`, `demo` and `audit` all
//! run a site through here, so they cannot disagree.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use cookie_audit_browser::{BrowserEngine, BrowserOptions, find_chrome};
use cookie_audit_crawl::{CrawlContext, CrawlOutcome, Engine, HttpEngine, Progress, crawl};
use cookie_audit_declared::{DeclaredPage, read_declaration};
use cookie_audit_diff::{DiffInput, KnowledgeBase, diff};
use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::host_of;
use cookie_audit_model::{EngineChoice, Report, SCHEMA_VERSION, ScanConfig, Summary};
use url::Url;

/// A finished audit of one site.
#[derive(Debug)]
pub struct ScanResult {
    pub report: Report,
    /// The start URL gave no response at all: the report is thin and the exit code is 2.
    pub start_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
    #[error("the browser engine is not available: {0}")]
    Browser(String),
}

/// The engine that runs, after `auto` is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedEngine {
    Http,
    /// The browser engine with the Chromium to run.
    Browser(PathBuf),
}

/// Which engine runs: `auto` is the browser when Chromium is found, else the HTTP engine with a
/// warning on stderr (the report says what the HTTP engine cannot see in `limitations`).
pub fn resolve_engine(
    choice: EngineChoice,
    chrome: Option<&Path>,
) -> Result<ResolvedEngine, PipelineError> {
    match choice {
        EngineChoice::Http => Ok(ResolvedEngine::Http),
        EngineChoice::Browser => find_chrome(chrome)
            .map(ResolvedEngine::Browser)
            .map_err(|e| PipelineError::Browser(e.to_string())),
        EngineChoice::Auto => match find_chrome(chrome) {
            Ok(path) => Ok(ResolvedEngine::Browser(path)),
            Err(e) => {
                tracing::warn!(
                    "--engine auto: using the HTTP engine, so cookies set by JavaScript are not observed ({e})"
                );
                Ok(ResolvedEngine::Http)
            }
        },
    }
}

/// Audits one site. `chrome` is `--chrome` (else `$CHROME`, else PATH).
pub async fn run_scan(
    start_url: Url,
    config: ScanConfig,
    chrome: Option<&Path>,
    kb: Arc<KnowledgeBase>,
    progress: Box<dyn Progress>,
) -> Result<ScanResult, PipelineError> {
    let started_at = Utc::now();
    let engine = resolve_engine(config.engine, chrome)?;
    if config.ignore_robots {
        tracing::warn!("--ignore-robots: robots.txt is not honoured for this crawl");
    }
    let ctx = Arc::new(
        CrawlContext::new(config.clone(), start_url.clone(), progress)
            .map_err(|e| PipelineError::Client(e.to_string()))?,
    );
    let outcome = match engine {
        ResolvedEngine::Http => crawl(Arc::new(HttpEngine), ctx).await,
        ResolvedEngine::Browser(chrome) => {
            let engine = BrowserEngine::launch(BrowserOptions::from_config(&config, chrome))
                .await
                .map_err(|e| PipelineError::Browser(e.to_string()))?;
            let engine = Arc::new(engine);
            let outcome = crawl(engine.clone(), ctx).await;
            engine.shutdown().await;
            outcome
        }
    };
    let report = assemble(start_url, config, started_at, outcome, &kb);
    Ok(report)
}

fn assemble(
    start_url: Url,
    config: ScanConfig,
    started_at: chrono::DateTime<Utc>,
    outcome: CrawlOutcome,
    kb: &KnowledgeBase,
) -> ScanResult {
    let pages: Vec<DeclaredPage> = outcome
        .declaration_sources
        .into_iter()
        .map(|s| DeclaredPage {
            url: s.url,
            found_by: s.found_by,
            html: s.html,
            error: s.error,
        })
        .collect();
    // In the order the pages were read (tables, rows, names within a cell): already deterministic.
    let (declaration, declared) = read_declaration(&pages);
    drop(pages);
    let site_host = host_of(&start_url);
    let diffed = diff(
        &DiffInput {
            site_host: &site_host,
            declaration: &declaration,
            declared: &declared,
            observed: &outcome.observed,
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
    };
    ScanResult {
        report,
        start_error: outcome.start_error,
    }
}

/// Loads the knowledge base: built-in entries plus an optional Open Cookie Database CSV.
pub fn knowledge_base(cookie_db: Option<&std::path::Path>) -> anyhow::Result<KnowledgeBase> {
    let mut kb = KnowledgeBase::builtin();
    if let Some(path) = cookie_db {
        let stats = kb
            .load_cookie_db(path)
            .map_err(|e| anyhow::anyhow!("--cookie-db {}: {e}", path.display()))?;
        tracing::info!(?stats, "loaded the cookie database");
    }
    Ok(kb)
}
