//! The scheduled audit job: every site of a plan is audited — several at once, each with its own
//! per-host rate limits — its report written to `<out-dir>/<site>/`, its run kept in the history
//! with what changed since the last complete run, and its summary POSTed to the webhook. A site
//! that fails is recorded and listed; the others go on.
//!
//! - `run`: one site, start to end (the run's lifecycle in the history).
//! - `files`: the report files of a site and `last-run.json`.
//! - [`summary`]: what the job reports, per site and in all (a documented contract).
//! - [`webhook`]: the POST after each site.

mod files;
mod run;
pub mod summary;
pub mod webhook;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::host_of;
use cookie_audit_store::Store;
use tokio::sync::Semaphore;
use url::Url;

use crate::knowledge::{KnowledgeError, load_knowledge_base};
use crate::settings::ScanSettings;
pub use files::LAST_RUN_FILE;
use run::Shared;
use summary::{AuditSummary, SiteStatus, SiteSummary, WebhookFailure};
use webhook::Webhook;

/// The history database's file name when `--db` is not given: beside the config.
pub const DEFAULT_DB: &str = "cookie-audit.db";
/// Where reports go when `--out-dir` is not given (relative to the working directory).
pub const DEFAULT_OUT_DIR: &str = "reports";
/// Sites audited at once when `--sites-concurrency` is not given.
pub const DEFAULT_SITES_CONCURRENCY: u32 = 4;

/// One site of an audit job.
#[derive(Debug, Clone)]
pub struct SiteJob {
    /// Its identity in history and its report folder: the `id` of its `[[site]]`, else its
    /// registrable domain.
    pub id: String,
    /// The start URL.
    pub url: Url,
    /// Who looks after it (copied into its summary).
    pub owner: Option<String>,
    /// Whom to tell (copied into its summary).
    pub contact: Option<String>,
    /// Labels for routing (copied into its summary).
    pub tags: Vec<String>,
    /// What its scan runs with.
    pub settings: ScanSettings,
    /// `--cookie-db` for this site.
    pub cookie_db: Option<PathBuf>,
}

impl SiteJob {
    /// Sites whose crawls reach the same hosts (one registrable domain) are never audited at
    /// the same time: each crawl keeps the rate limit, two at once would double it.
    pub fn politeness_key(&self) -> String {
        registrable_domain(&host_of(&self.url))
    }
}

/// What an audit job runs: its sites and where everything goes.
#[derive(Debug)]
pub struct AuditJob {
    /// The sites, in the order the summary lists them.
    pub sites: Vec<SiteJob>,
    /// Sites audited at once.
    pub sites_concurrency: usize,
    /// Where each site's reports go (`<out_dir>/<site id>/`) and `last-run.json`.
    pub out_dir: PathBuf,
    /// The config file, named in the summary.
    pub config_path: PathBuf,
    /// The history database's location, named in the summary.
    pub db_path: PathBuf,
    /// The history.
    pub store: Store,
    /// Where each site's summary is POSTed.
    pub webhook: Option<Webhook>,
}

/// Why a job could not start.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A `--cookie-db` could not be loaded.
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
    /// The output directory could not be made.
    #[error("could not create the output directory {}", path.display())]
    OutDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// How a job ended.
#[derive(Debug)]
pub enum AuditEnd {
    /// Every site was audited or failed on its own; `last-run.json` is written (or the summary
    /// says why not in `last_run_error`).
    Finished {
        /// The job's summary, as written to `last-run.json`.
        summary: AuditSummary,
        /// `last-run.json` could not be written.
        last_run_error: Option<String>,
    },
    /// Stopped by `stop` (a signal) before the end: the runs in progress were recorded as
    /// failed with `why`.
    Interrupted {
        /// What stopped it ("interrupted by SIGTERM …").
        why: String,
        /// Runs in progress, now recorded as failed.
        failed_runs: usize,
    },
}

/// Runs `job`. `on_site` hears each site as it finishes (a progress line); `stop` ends the job
/// early with its reason (SIGTERM, Ctrl-C), recording the runs in progress as failed rather than
/// leaving them `running` for ever.
pub async fn run_audit(
    job: AuditJob,
    on_site: impl Fn(&SiteSummary) + Send + Sync + 'static,
    stop: impl Future<Output = String>,
) -> Result<AuditEnd, AuditError> {
    let started_at = Utc::now();
    std::fs::create_dir_all(&job.out_dir).map_err(|source| AuditError::OutDir {
        path: job.out_dir.clone(),
        source,
    })?;
    // Absolute paths in summaries and webhooks: their readers do not share our working directory.
    let out_dir = std::fs::canonicalize(&job.out_dir).unwrap_or(job.out_dir.clone());
    let kbs = knowledge_bases(&job.sites)?;
    let shared = Arc::new(Shared::new(job.store, out_dir.clone()));
    let webhook = job.webhook.map(Arc::new);
    let on_site = Arc::new(on_site);
    let permits = Arc::new(Semaphore::new(job.sites_concurrency.max(1)));
    let mut domain_locks: HashMap<String, Arc<tokio::sync::Mutex<()>>> = HashMap::new();
    let mut tasks = Vec::new();
    for site in job.sites {
        let kb = kbs[&site.cookie_db].clone();
        let domain_lock = domain_locks
            .entry(site.politeness_key())
            .or_default()
            .clone();
        let (shared, permits) = (shared.clone(), permits.clone());
        let (webhook, on_site) = (webhook.clone(), on_site.clone());
        let site = Arc::new(site);
        let task_site = site.clone();
        let task = tokio::spawn(async move {
            // Two entries on one registrable domain crawl the same hosts: one at a time, so
            // the rate limit each keeps is the rate the site sees.
            let domain = domain_lock.lock_owned().await;
            let permit = permits.acquire_owned().await.expect("never closed");
            let summary = run::audit_site(&shared, &task_site, &kb).await;
            drop(permit);
            drop(domain);
            on_site(&summary);
            let webhook_error = match &webhook {
                Some(hook) => hook.post(&summary).await.err(),
                None => None,
            };
            if let Some(error) = &webhook_error {
                tracing::warn!("webhook for {}: {error}", summary.site);
            }
            (summary, webhook_error)
        });
        tasks.push((site, task));
    }

    let collected = async {
        let mut sites = Vec::new();
        let mut webhook_failures = Vec::new();
        for (site, task) in tasks {
            match task.await {
                Ok((summary, webhook_error)) => {
                    if let Some(error) = webhook_error {
                        webhook_failures.push(WebhookFailure {
                            site: summary.site.clone(),
                            error,
                        });
                    }
                    sites.push(summary);
                }
                // A panic is a bug, but it stays this site's problem. Its run stays `running` in the
                // history, like a run whose process was killed: never anyone's "previous".
                Err(e) => sites.push(panicked(&site, &e.to_string())),
            }
        }
        (sites, webhook_failures)
    };
    let (sites, webhook_failures) = tokio::select! {
        collected = collected => collected,
        why = stop => {
            let failed_runs = shared.fail_in_flight(&why).await;
            return Ok(AuditEnd::Interrupted { why, failed_runs });
        }
    };
    let summary = AuditSummary {
        started_at,
        finished_at: Utc::now(),
        config: std::fs::canonicalize(&job.config_path).unwrap_or(job.config_path),
        db: std::fs::canonicalize(&job.db_path).unwrap_or(job.db_path),
        out_dir: out_dir.clone(),
        complete: sites
            .iter()
            .filter(|s| s.status == SiteStatus::Complete)
            .count(),
        failed: sites
            .iter()
            .filter(|s| s.status == SiteStatus::Failed)
            .count(),
        exit_code: exit_code(&sites),
        sites,
        webhook_failures,
    };
    let last_run_error = files::write_last_run(&out_dir, &summary).err();
    Ok(AuditEnd::Finished {
        summary,
        last_run_error,
    })
}

/// 2 when no site could be audited, 1 when a site has findings at or above its `--fail-on`,
/// else 0.
fn exit_code(sites: &[SiteSummary]) -> u8 {
    if !sites.iter().any(|s| s.status == SiteStatus::Complete) {
        2
    } else if sites.iter().any(|s| s.fails) {
        1
    } else {
        0
    }
}

/// One knowledge base per distinct `cookie_db`, loaded before any site starts, so a bad file is
/// a usage error rather than every site failing.
fn knowledge_bases(
    sites: &[SiteJob],
) -> Result<HashMap<Option<PathBuf>, Arc<KnowledgeBase>>, KnowledgeError> {
    let mut kbs = HashMap::new();
    for site in sites {
        if !kbs.contains_key(&site.cookie_db) {
            let kb = load_knowledge_base(site.cookie_db.as_deref())?;
            kbs.insert(site.cookie_db.clone(), Arc::new(kb));
        }
    }
    Ok(kbs)
}

fn panicked(site: &SiteJob, error: &str) -> SiteSummary {
    SiteSummary {
        error: Some(format!("internal error: {error}")),
        ..run::not_yet_audited(site, Utc::now())
    }
}
