//! One site's audit once its claim is won: crawl while renewing the lease, compare with the
//! previous complete run, write the report files, and only then mark the run complete — or record
//! why it failed. Nothing here stops another site, except the history database going away: then
//! the worker stops, so its scheduler retries it.

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cookie_audit_crawl::NoProgress;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::error_chain;
use cookie_audit_report::to_json;
use cookie_audit_store::{LeaseLost, RunId, Store, StoreError, changes};
use tokio::sync::watch;

use crate::job::files::{write_reports, write_stamped};
use crate::job::summary::{SiteStatus, SiteSummary};
use crate::job::{RoundPlan, SiteJob};
use crate::scan::{fails, scan_site};

/// How long recording a failure may take once the database has gone away: it will most likely
/// fail too, and the worker must exit so its scheduler can retry it. A run left `running` is
/// taken over by the next claimer once its lease runs out.
const LAST_WORD: Duration = Duration::from_secs(10);

/// What every site's audit shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Shared by every site: SQLite's one connection, taken in turns (each site writes once, at
    /// its end, in one transaction), or PostgreSQL's pool.
    pub(crate) store: Store,
    pub(crate) out_dir: PathBuf,
    pub(crate) plan: RoundPlan,
    /// Runs begun and not yet completed or failed: what an interrupted audit records as failed.
    in_flight: Mutex<HashSet<RunId>>,
    /// Set once, with why, when the history database went away: the worker stops.
    stopped: watch::Sender<Option<String>>,
}

/// Why a won site was not completed.
enum SiteError {
    /// The site's own failure (start URL, browser, report files): recorded as the run's error.
    Site(String),
    /// The history database did not answer: the worker stops.
    Database(String),
    /// Another worker holds the site now; the run is not ours to finish.
    LeaseLost(String),
    /// The worker is stopping because the database went away during another site.
    Stopped(String),
}

impl Shared {
    pub(crate) fn new(store: Store, out_dir: PathBuf, plan: RoundPlan) -> Shared {
        Shared {
            store,
            out_dir,
            plan,
            in_flight: Mutex::default(),
            stopped: watch::Sender::new(None),
        }
    }

    /// Why the worker is stopping, once the history database went away.
    pub(crate) fn stopped(&self) -> Option<String> {
        self.stopped.borrow().clone()
    }

    /// Stops the worker: no site is begun after this, and sites being crawled end.
    pub(crate) fn stop(&self, why: &str) {
        self.stopped.send_if_modified(|stopped| {
            let first = stopped.is_none();
            if first {
                *stopped = Some(why.to_string());
            }
            first
        });
    }

    /// Resolves once the worker is stopping.
    pub(crate) async fn until_stopped(&self) -> String {
        let mut watch = self.stopped.subscribe();
        // The guard is dropped here: a future holding it would not be `Send`.
        let why = watch.wait_for(Option::is_some).await.map(|why| why.clone());
        match why {
            Ok(why) => why.unwrap_or_default(),
            Err(_) => std::future::pending().await,
        }
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashSet<RunId>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records every run still in progress as failed with `why`; returns how many. Called when
    /// the audit is stopped by a signal, so those runs do not stay `running` for ever.
    pub(crate) async fn fail_in_flight(&self, why: &str) -> usize {
        let runs: Vec<RunId> = self.in_flight().drain().collect();
        let mut failed = 0;
        for run in runs {
            match self.store.fail_run(run, why).await {
                Ok(()) => failed += 1,
                // It completed or failed on its own meanwhile.
                Err(e) => tracing::debug!("{run}: {e}"),
            }
        }
        failed
    }
}

/// Audits a site whose claim this worker won, as `run`, attempt `attempt` of the round.
pub(crate) async fn audit_won(
    shared: &Shared,
    site: &SiteJob,
    kb: &KnowledgeBase,
    run: RunId,
    attempt: u32,
    mut summary: SiteSummary,
) -> SiteSummary {
    summary.run_id = Some(run.0);
    summary.attempt = Some(attempt);
    shared.in_flight().insert(run);
    let outcome = audit_and_write(shared, site, kb, run, &mut summary).await;
    shared.in_flight().remove(&run);
    match outcome {
        Ok(()) => summary.status = SiteStatus::Complete,
        Err(SiteError::LeaseLost(error)) => summary.error = Some(error),
        Err(SiteError::Site(error)) => {
            summary.error = Some(record_failure(shared, run, error).await)
        }
        Err(SiteError::Database(error)) => {
            shared.stop(&error);
            summary.error = Some(record_failure(shared, run, error).await);
        }
        Err(SiteError::Stopped(why)) => {
            let error = format!("stopped before the end: {why}");
            summary.error = Some(record_failure(shared, run, error).await);
        }
    }
    summary.finished_at = Utc::now();
    summary
}

/// Marks the run failed with `error`; says so in the message when even that did not reach the
/// database (then its lease runs out and the next claimer of the site fails it and audits again).
async fn record_failure(shared: &Shared, run: RunId, mut error: String) -> String {
    let failed = tokio::time::timeout(LAST_WORD, shared.store.fail_run(run, &error)).await;
    let why = match failed {
        Ok(Ok(())) => return error,
        Ok(Err(e)) => {
            if e.is_unavailable() {
                shared.stop(&format!(
                    "the history database is unavailable: {}",
                    error_chain(&e)
                ));
            }
            error_chain(&e)
        }
        Err(_) => format!("no answer in {} s", LAST_WORD.as_secs()),
    };
    error.push_str(&format!(
        " (and the failure could not be recorded: {why}; the run is failed by the next claimer \
         once its lease runs out)"
    ));
    error
}

/// A site's summary before anything is known: failed until proven complete.
pub(crate) fn not_yet_audited(site: &SiteJob, at: DateTime<Utc>) -> SiteSummary {
    SiteSummary {
        site: site.id.clone(),
        url: site.url.to_string(),
        owner: site.owner.clone(),
        contact: site.contact.clone(),
        tags: site.tags.clone(),
        status: SiteStatus::Failed,
        run_id: None,
        attempt: None,
        skipped: None,
        started_at: at,
        finished_at: at,
        error: None,
        engine: None,
        counts: None,
        changes: None,
        report: None,
        html: None,
        fails: false,
    }
}

async fn audit_and_write(
    shared: &Shared,
    site: &SiteJob,
    kb: &KnowledgeBase,
    run: RunId,
    summary: &mut SiteSummary,
) -> Result<(), SiteError> {
    // The lease is renewed while the site is crawled; the crawl ends early when it is lost (the
    // site is another worker's now) or the worker stops. The writes below are not cut short: a
    // transaction is never abandoned half way, and completing a run whose lease was lost is
    // refused by the store.
    let mut heartbeat = shared.store.keep_alive(run, shared.plan.lease);
    let scan = tokio::select! {
        scan = scan_site(site.url.clone(), &site.settings, kb, Box::new(NoProgress)) => scan,
        lost = heartbeat.until_lost() => return Err(lease_lost(lost)),
        why = shared.until_stopped() => return Err(SiteError::Stopped(why)),
    };
    let scan = scan.map_err(|e| SiteError::Site(error_chain(&e)))?;
    // What `scan` prints as warnings (a cookie page that could not be read, ignore-file entries
    // expired or unused) must reach a scheduled job's log too.
    for note in &scan.notes {
        tracing::warn!("{}: {note}", site.id);
    }
    let mut report = scan.report;
    summary.engine = Some(report.engine);
    let dir = shared.out_dir.join(&site.id);
    if let Some(error) = scan.start_error {
        // Nothing to compare or keep in the history, but the thin report says what the crawl met.
        // `latest.*` keep showing the last audit that worked.
        let json = to_json(&report);
        summary.report = blocking(move || write_stamped(&dir, report.started_at, &json))
            .await
            .ok();
        return Err(SiteError::Site(format!(
            "{} could not be fetched: {error}",
            site.url
        )));
    }

    let previous = db(
        "find the previous run",
        shared.store.previous_complete(&site.id, run),
    )
    .await?;
    report.changes = Some(changes(previous.as_ref(), &report));
    let report = Arc::new(report);
    let written = {
        let report = report.clone();
        blocking(move || write_reports(&dir, &report))
            .await
            .map_err(SiteError::Site)?
    };
    db("complete the run", shared.store.complete_run(run, &report)).await?;
    drop(heartbeat);
    summary.counts = Some(report.summary.clone());
    summary.changes = report.changes.clone();
    summary.fails = fails(&report, site.settings.fail_on);
    summary.report = Some(written.json);
    summary.html = Some(written.html);
    Ok(())
}

fn lease_lost(lost: LeaseLost) -> SiteError {
    match lost {
        LeaseLost::Taken { .. } => SiteError::LeaseLost(format!(
            "{lost}: another worker took the site over, so this one stopped auditing it"
        )),
        // No heartbeat got through for a whole lease: the database is away.
        LeaseLost::Expired { .. } => SiteError::Database(lost.to_string()),
    }
}

/// A database call; its error as the site's. A database that does not answer stops the worker;
/// a run no longer ours (another worker judged it abandoned) is a lost lease.
async fn db<T>(
    action: &str,
    op: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, SiteError> {
    op.await.map_err(|e| {
        let message = format!(
            "the history database could not {action}: {}",
            error_chain(&e)
        );
        if e.is_unavailable() {
            SiteError::Database(message)
        } else if e.is_lease_lost() {
            SiteError::LeaseLost(format!(
                "{message}: another worker took the site over after this one's lease ran out"
            ))
        } else {
            SiteError::Site(message)
        }
    })
}

/// File writes sync to disk: off the async threads too.
async fn blocking<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(op)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}
