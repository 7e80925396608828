//! Winning a site in the round before auditing it. The claim is the store's (one transaction, so
//! two workers never both win a site); here is what a worker does with each answer:
//!
//! - won: audit it (`run`);
//! - complete in the round already, or given up on after `--max-attempts`: skip it;
//! - held by another worker with a fresh heartbeat: wait, and claim again. A worker ends only
//!   when each of its sites is complete, given up on, or failed by itself — so a scheduler's retry
//!   of a killed worker takes over the sites its predecessor held once their lease runs out,
//!   rather than leaving them to no one;
//! - the database did not answer: the worker stops (its scheduler retries it).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::error_chain;
use cookie_audit_store::{Claim, ClaimRequest};
use tokio::sync::{Mutex, Semaphore};

use crate::job::SiteJob;
use crate::job::run::{Shared, audit_won, not_yet_audited};
use crate::job::summary::{SiteStatus, SiteSummary, SkipReason, Skipped};

/// Waits between claims of a site another worker holds are at most this long, so a worker sees a
/// site finished elsewhere soon after (and at most a quarter lease, so it takes over a dead
/// worker's site soon after the lease runs out).
const MAX_WAIT: Duration = Duration::from_secs(30);

/// What a site waits for before it may be claimed: its registrable domain's turn (one crawl of a
/// domain at a time) and a place among the sites audited at once.
pub(crate) struct Turn {
    pub(crate) domain: Arc<Mutex<()>>,
    pub(crate) permits: Arc<Semaphore>,
}

/// Claims `site` in the round and audits it when won; says how it went. Never fails: a failure is
/// in the summary.
pub(crate) async fn claim_and_audit(
    shared: &Shared,
    site: &SiteJob,
    kb: &KnowledgeBase,
    turn: &Turn,
) -> SiteSummary {
    loop {
        let domain_turn = turn.domain.lock().await;
        let permit = turn.permits.acquire().await.expect("never closed");
        let started_at = Utc::now();
        let mut summary = not_yet_audited(site, started_at);
        if let Some(why) = shared.stopped() {
            return skipped(summary, SkipReason::Stopped, format!("not begun: {why}"));
        }
        let plan = &shared.plan;
        let request = ClaimRequest {
            round: plan.round.clone(),
            site_id: site.id.clone(),
            site_url: site.url.to_string(),
            worker: plan.worker.clone(),
            started_at,
            lease: plan.lease,
            max_attempts: plan.max_attempts,
        };
        let held_by = match shared.store.claim(&request).await {
            Ok(Claim::Won { run, attempt, .. }) => {
                return audit_won(shared, site, kb, run, attempt, summary).await;
            }
            Ok(Claim::AlreadyComplete { run }) => {
                summary.run_id = Some(run.0);
                let detail = format!("complete in round {} ({run})", plan.round);
                return skipped(summary, SkipReason::AlreadyComplete, detail);
            }
            Ok(Claim::GaveUp {
                attempts,
                last_error,
                ..
            }) => {
                let detail = format!(
                    "failed {attempts} time(s) in round {} (--max-attempts {}); last error: {}",
                    plan.round,
                    plan.max_attempts,
                    last_error.as_deref().unwrap_or("none recorded")
                );
                return skipped(summary, SkipReason::GaveUp, detail);
            }
            Ok(Claim::HeldElsewhere { worker, .. }) => worker,
            Err(e) => {
                let error = format!(
                    "the history database could not claim the site: {}",
                    error_chain(&e)
                );
                if e.is_unavailable() {
                    shared.stop(&error);
                }
                summary.error = Some(error);
                summary.finished_at = Utc::now();
                return summary;
            }
        };
        // Not ours yet: give the turn back while the holder works, and ask again.
        drop((permit, domain_turn));
        tracing::info!(
            "{} is held by worker {}; claiming it again later",
            site.id,
            held_by.as_deref().unwrap_or("unknown")
        );
        let wait = plan.lease.renew_every().min(MAX_WAIT);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = shared.until_stopped() => {}
        }
    }
}

fn skipped(mut summary: SiteSummary, reason: SkipReason, detail: String) -> SiteSummary {
    summary.status = SiteStatus::Skipped;
    summary.skipped = Some(Skipped { reason, detail });
    summary.finished_at = Utc::now();
    summary
}
