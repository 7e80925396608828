//! The scheduled audit job: every site of a plan (or of this worker's shard of it) is audited —
//! several at once, each with its own per-host rate limits — its report written to
//! `<out-dir>/<site>/`, its run kept in the history with what changed since the last complete
//! run, and its summary POSTed to the webhook. A site that fails is recorded and listed; the
//! others go on.
//!
//! Every job is a worker of an audit round (`--round`, or a new round of its own): it claims each
//! site in the round before auditing it, so workers sharing a round — an array job's, or a
//! scheduler's retry of one — audit each site once. It renews the claim's lease while auditing,
//! waits for sites another worker holds, and stops (exit 2) when the history database goes away,
//! so its scheduler retries it.
//!
//! - [`config`]: the audit config file, generic over the options struct the binary's flags fill.
//! - `claim`: winning a site in the round, or why not.
//! - `run`: one site won, start to end (the run's lifecycle in the history).
//! - [`shard`]: `--shard INDEX/COUNT`, which sites are this worker's.
//! - [`plan`]: `--dry-run`, what a worker would audit and how.
//! - `files`: the report files of a site and `last-run.json`.
//! - [`summary`]: what the job reports, per site and in all (a documented contract).
//! - [`webhook`]: the POST after each site.

mod claim;
pub mod config;
mod files;
pub mod plan;
mod run;
pub mod shard;
pub mod summary;
pub mod webhook;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::host_of;
use cookie_audit_store::{Lease, Location, RoundId, Store};
use tokio::sync::Semaphore;
use url::Url;

use crate::knowledge::{KnowledgeError, load_knowledge_base};
use crate::settings::ScanSettings;
pub use files::{LAST_RUN_FILE, last_run_file};
use run::Shared;
use shard::Shard;
use summary::{AuditSummary, SiteStatus, SiteSummary, WebhookFailure};
use webhook::Webhook;

/// The history database's file name when `--db` is not given: beside the config.
pub const DEFAULT_DB: &str = "cookie-audit.db";
/// The history database: `db` (`--db`, or `COOKIE_AUDIT_DB`) as a path or a `postgres://` URL,
/// else [`DEFAULT_DB`] beside the audit config, else in the working directory.
pub fn history_location(db: Option<&str>, config: Option<&Path>) -> Location {
    match (db, config) {
        (Some(db), _) => Location::parse(db),
        (None, Some(config)) => config
            .parent()
            .unwrap_or(Path::new(""))
            .join(DEFAULT_DB)
            .into(),
        (None, None) => PathBuf::from(DEFAULT_DB).into(),
    }
}

/// Where reports go when `--out-dir` is not given (relative to the working directory).
pub const DEFAULT_OUT_DIR: &str = "reports";
/// Sites audited at once when `--sites-concurrency` is not given.
pub const DEFAULT_SITES_CONCURRENCY: u32 = 4;
/// Runs of a site in one round, failed ones included, before workers leave it alone
/// (`--max-attempts`): the first try and two retries. A site whose failure is the site's (down,
/// or killing the browser) does not hold every retry of the round; one that failed because its
/// worker was stopped or lost the database gets two more chances.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// How this worker takes part in its audit round.
#[derive(Debug, Clone)]
pub struct RoundPlan {
    /// The round every worker of this audit shares.
    pub round: RoundId,
    /// This worker's name on its runs (see [`cookie_audit_store::worker_name`]).
    pub worker: String,
    /// A run whose heartbeat is older than this is abandoned (`--lease`).
    pub lease: Lease,
    /// Runs of a site in the round after which it is left alone (`--max-attempts`).
    pub max_attempts: u32,
}

impl RoundPlan {
    /// A new round of its own, as a job run without `--round` has: its sites are claimed by no
    /// one else.
    pub fn new_round() -> RoundPlan {
        RoundPlan {
            round: RoundId::generate(Utc::now()),
            worker: cookie_audit_store::worker_name(),
            lease: Lease::DEFAULT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

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
    /// The sites of the config, in the order the summary lists them.
    pub sites: Vec<SiteJob>,
    /// Only the sites of this shard are audited; `None`: all of them.
    pub shard: Option<Shard>,
    /// The round, the lease and the attempts allowed.
    pub round: RoundPlan,
    /// Sites audited at once.
    pub sites_concurrency: usize,
    /// Where each site's reports go (`<out_dir>/<site id>/`) and `last-run.json`.
    pub out_dir: PathBuf,
    /// The config file, named in the summary.
    pub config_path: PathBuf,
    /// The history database's location, named in the summary.
    pub db: Location,
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
        /// The job's summary, as written to `last-run.json` (boxed: it is much larger than the
        /// other variant).
        summary: Box<AuditSummary>,
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
    let sites: Vec<SiteJob> = match job.shard {
        Some(shard) => job
            .sites
            .into_iter()
            .filter(|s| shard.contains(&s.id))
            .collect(),
        None => job.sites,
    };
    let kbs = knowledge_bases(&sites)?;
    // Runs of the round whose workers stopped are failed now, so the round's progress shows them
    // as they are; a claim would do it site by site anyway.
    if let Err(e) = job
        .store
        .fail_abandoned(&job.round.round, job.round.lease)
        .await
    {
        tracing::warn!("could not mark the round's abandoned runs failed: {e}");
    }
    let plan = job.round.clone();
    let shared = Arc::new(Shared::new(job.store, out_dir.clone(), job.round));
    let webhook = job.webhook.map(Arc::new);
    let on_site = Arc::new(on_site);
    let permits = Arc::new(Semaphore::new(job.sites_concurrency.max(1)));
    let mut domain_locks: HashMap<String, Arc<tokio::sync::Mutex<()>>> = HashMap::new();
    let mut tasks = Vec::new();
    for site in sites {
        let kb = kbs[&site.cookie_db].clone();
        // Two entries on one registrable domain crawl the same hosts: one at a time, so the rate
        // limit each keeps is the rate the site sees.
        let turn = claim::Turn {
            domain: domain_locks
                .entry(site.politeness_key())
                .or_default()
                .clone(),
            permits: permits.clone(),
        };
        let (shared, webhook, on_site) = (shared.clone(), webhook.clone(), on_site.clone());
        let site = Arc::new(site);
        let task_site = site.clone();
        let task = tokio::spawn(async move {
            let summary = claim::claim_and_audit(&shared, &task_site, &kb, &turn).await;
            on_site(&summary);
            let webhook_error = announce(webhook.as_deref(), &summary).await;
            (summary, webhook_error)
        });
        tasks.push((site, task));
    }

    let collected = collect(tasks);
    let (sites, webhook_failures) = tokio::select! {
        collected = collected => collected,
        why = stop => {
            let failed_runs = shared.fail_in_flight(&why).await;
            return Ok(AuditEnd::Interrupted { why, failed_runs });
        }
    };
    let count = |status| sites.iter().filter(|s| s.status == status).count();
    let stopped = shared.stopped();
    let summary = AuditSummary {
        started_at,
        finished_at: Utc::now(),
        config: std::fs::canonicalize(&job.config_path).unwrap_or(job.config_path),
        db: match job.db.sqlite_path() {
            Some(path) => std::fs::canonicalize(path)
                .unwrap_or(path.to_path_buf())
                .display()
                .to_string(),
            None => job.db.to_string(),
        },
        out_dir: out_dir.clone(),
        round: plan.round.to_string(),
        worker: plan.worker.clone(),
        shard: job.shard.map(|s| s.to_string()),
        complete: count(SiteStatus::Complete),
        failed: count(SiteStatus::Failed),
        skipped: count(SiteStatus::Skipped),
        exit_code: exit_code(&sites, stopped.is_some()),
        stopped,
        sites,
        webhook_failures,
    };
    let last_run_error = files::write_last_run(&out_dir, job.shard, &summary).err();
    Ok(AuditEnd::Finished {
        summary: Box::new(summary),
        last_run_error,
    })
}

/// Posts a site's summary to the webhook, if there is one; the error, logged, when it fails.
/// A skipped site has nothing new to say: a retried worker would repeat every post.
async fn announce(webhook: Option<&Webhook>, summary: &SiteSummary) -> Option<String> {
    let hook = webhook.filter(|_| summary.status != SiteStatus::Skipped)?;
    let error = hook.post(summary).await.err()?;
    tracing::warn!("webhook for {}: {error}", summary.site);
    Some(error)
}

type SiteTask = tokio::task::JoinHandle<(SiteSummary, Option<String>)>;

/// Every site's summary in the config's order, and the webhooks that failed.
async fn collect(tasks: Vec<(Arc<SiteJob>, SiteTask)>) -> (Vec<SiteSummary>, Vec<WebhookFailure>) {
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
            // history, like a run whose process was killed, until its lease runs out.
            Err(e) => sites.push(panicked(&site, &e.to_string())),
        }
    }
    (sites, webhook_failures)
}

/// 2 when the worker stopped (the history database went away) or every site it tried to audit
/// failed; 1 when a site has findings at or above its `--fail-on`; else 0. Skipped sites do not
/// count: a worker whose shard is empty, or that finds its sites complete on a retry, is done.
fn exit_code(sites: &[SiteSummary], stopped: bool) -> u8 {
    let tried = || sites.iter().filter(|s| s.status != SiteStatus::Skipped);
    if stopped || (tried().next().is_some() && !tried().any(|s| s.status == SiteStatus::Complete)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn site(status: SiteStatus, fails: bool) -> SiteSummary {
        let job = SiteJob {
            id: "a.test".into(),
            url: "https://www.a.test/".parse().unwrap(),
            owner: None,
            contact: None,
            tags: vec![],
            settings: ScanSettings::default(),
            cookie_db: None,
        };
        SiteSummary {
            status,
            fails,
            ..run::not_yet_audited(&job, Utc::now())
        }
    }

    #[test]
    fn a_worker_exits_by_what_it_tried_and_2_when_it_stopped() {
        use SiteStatus::*;
        let exit = |sites: &[SiteSummary], stopped| exit_code(sites, stopped);
        assert_eq!(exit(&[site(Complete, false)], false), 0);
        assert_eq!(exit(&[site(Complete, true), site(Failed, false)], false), 1);
        assert_eq!(exit(&[site(Failed, false)], false), 2, "nothing audited");
        assert_eq!(exit(&[site(Failed, false), site(Skipped, false)], false), 2);
        // A retried worker that finds its sites complete, or an empty shard, is done.
        assert_eq!(exit(&[site(Skipped, false)], false), 0);
        assert_eq!(exit(&[], false), 0);
        // The database went away: the scheduler must retry it, whatever got done.
        assert_eq!(exit(&[site(Complete, false)], true), 2);
    }
}
