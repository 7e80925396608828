//! One site's audit, start to end: begin the run in the history, crawl, compare with the previous
//! complete run, write the report files, and only then mark the run complete — or record why it
//! failed. Nothing here stops another site: every failure becomes the site's `error`.

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use cookie_audit_crawl::NoProgress;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::error_chain;
use cookie_audit_report::to_json;
use cookie_audit_store::{RunId, Store, StoreError, changes};

use crate::job::SiteJob;
use crate::job::files::{write_reports, write_stamped};
use crate::job::summary::{SiteStatus, SiteSummary};
use crate::scan::{fails, scan_site};

/// What every site's audit shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Shared by every site: SQLite's one connection, taken in turns (each site writes once, at
    /// its end, in one transaction), or PostgreSQL's pool.
    pub(crate) store: Store,
    pub(crate) out_dir: PathBuf,
    /// Runs begun and not yet completed or failed: what an interrupted audit records as failed.
    pub(crate) in_flight: Mutex<HashSet<RunId>>,
}

impl Shared {
    pub(crate) fn new(store: Store, out_dir: PathBuf) -> Shared {
        Shared {
            store,
            out_dir,
            in_flight: Mutex::default(),
        }
    }

    /// Records every run still in progress as failed with `why`; returns how many. Called when
    /// the audit is stopped by a signal, so those runs do not stay `running` for ever.
    pub(crate) async fn fail_in_flight(&self, why: &str) -> usize {
        let runs: Vec<RunId> = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
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

/// Audits one site and says how it went. Never fails: a failure is in the summary.
pub(crate) async fn audit_site(shared: &Shared, site: &SiteJob, kb: &KnowledgeBase) -> SiteSummary {
    let started_at = Utc::now();
    let mut summary = not_yet_audited(site, started_at);
    let (id, url) = (site.id.clone(), site.url.to_string());
    let run = match db(shared.store.begin_run(&id, &url, started_at)).await {
        Ok(run) => run,
        Err(e) => {
            summary.error = Some(format!("the history database could not begin a run: {e}"));
            summary.finished_at = Utc::now();
            return summary;
        }
    };
    summary.run_id = Some(run.0);
    shared
        .in_flight
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(run);
    let outcome = audit_and_write(shared, site, kb, run, &mut summary).await;
    shared
        .in_flight
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&run);
    match outcome {
        Ok(()) => summary.status = SiteStatus::Complete,
        Err(mut error) => {
            let message = error.clone();
            if let Err(e) = db(shared.store.fail_run(run, &message)).await {
                error.push_str(&format!(" (and the failure could not be recorded: {e})"));
            }
            summary.error = Some(error);
        }
    }
    summary.finished_at = Utc::now();
    summary
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
) -> Result<(), String> {
    let scan = scan_site(site.url.clone(), &site.settings, kb, Box::new(NoProgress))
        .await
        .map_err(|e| error_chain(&e))?;
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
        return Err(format!("{} could not be fetched: {error}", site.url));
    }

    let id = site.id.clone();
    let previous = db(shared.store.previous_complete(&id, run))
        .await
        .map_err(|e| format!("the history database could not find the previous run: {e}"))?;
    report.changes = Some(changes(previous.as_ref(), &report));
    let report = Arc::new(report);
    let written = {
        let report = report.clone();
        blocking(move || write_reports(&dir, &report)).await?
    };
    {
        let report = report.clone();
        db(shared.store.complete_run(run, &report))
            .await
            .map_err(|e| format!("the history database could not complete the run: {e}"))?;
    }
    summary.counts = Some(report.summary.clone());
    summary.changes = report.changes.clone();
    summary.fails = fails(&report, site.settings.fail_on);
    summary.report = Some(written.json);
    summary.html = Some(written.html);
    Ok(())
}

/// A database call, its error as the site's message. (The store keeps SQLite's waits off the
/// async threads itself.)
async fn db<T>(op: impl Future<Output = Result<T, StoreError>>) -> Result<T, String> {
    op.await.map_err(|e| error_chain(&e))
}

/// File writes sync to disk: off the async threads too.
async fn blocking<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(op)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}
