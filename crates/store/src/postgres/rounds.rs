//! Rounds, claims and leases on PostgreSQL.
//!
//! A claim is one transaction at READ COMMITTED. What makes it safe is the unique index of live
//! runs per (round, site): of two workers inserting a run for the same site at once, the second
//! waits for the first to commit, then inserts nothing (`ON CONFLICT DO NOTHING`), reads again,
//! and finds the site held. Abandoning a run re-checks its status and heartbeat in the UPDATE
//! itself, so a holder renewing at that moment keeps it (the UPDATE then changes nothing, and the
//! claimer reads again). Every pass reads afresh; a few passes always settle.

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;

use super::{Failure, Postgres, status_of};
use crate::round::{self, ABANDONED, Claim, ClaimRequest, Lease, Outcome, RoundRun, RoundSummary};
use crate::sqlite::rounds::ROUNDS_SQL;
use crate::{RoundId, RunId, RunStatus, StoreError};

/// Each pass that changes nothing was overtaken by a commit of another worker; three in a row
/// would need three workers committing on the same site in the same milliseconds.
const CLAIM_PASSES: usize = 3;

const RUN_COLUMNS: &str = "id, site_id, status, worker, heartbeat_at, error";

impl Postgres {
    pub(crate) async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError> {
        let action = format!("claim {} in round {}", request.site_id, request.round);
        self.with_client(action.clone(), async |c| {
            let tx = c.transaction().await?;
            let now: DateTime<Utc> = tx.query_one("SELECT now()", &[]).await?.try_get(0)?;
            for _ in 0..CLAIM_PASSES {
                let runs = runs_of_site(&tx, &request.round, &request.site_id).await?;
                let decision = round::decide(&runs, now, request.lease, request.max_attempts);
                if let Some(run) = decision.abandon
                    && abandon(&tx, run, request.lease, now).await? == 0
                {
                    continue;
                }
                let attempt = match decision.outcome {
                    Outcome::Answer(answer) => {
                        tx.commit().await?;
                        return Ok(answer);
                    }
                    Outcome::Begin { attempt } => attempt,
                };
                let inserted = tx
                    .query_opt(
                        "INSERT INTO runs (site_id, site_url, status, started_at, round_id,
                             worker, heartbeat_at)
                         VALUES ($1, $2, 'running', $3, $4, $5, now())
                         ON CONFLICT (round_id, site_id) WHERE status IN ('running', 'complete')
                         DO NOTHING
                         RETURNING id",
                        &[
                            &request.site_id,
                            &request.site_url,
                            &request.started_at,
                            &request.round.as_str(),
                            &request.worker,
                        ],
                    )
                    .await?;
                if let Some(row) = inserted {
                    tx.commit().await?;
                    return Ok(Claim::Won {
                        run: RunId(row.try_get(0)?),
                        attempt,
                        abandoned: decision.abandon,
                    });
                }
            }
            Err(Failure::Store(StoreError::Contended {
                location: self.location.clone(),
                action: action.clone(),
                tries: CLAIM_PASSES,
            }))
        })
        .await
    }

    pub(crate) async fn heartbeat(&self, run: RunId) -> Result<(), StoreError> {
        self.with_client(format!("renew the lease of {run}"), async |c| {
            let updated = c
                .execute(
                    "UPDATE runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'",
                    &[&run.0],
                )
                .await?;
            if updated == 1 {
                return Ok(());
            }
            let status = status_of(c, run).await?;
            Err(self.run_not_running(run, status))
        })
        .await
    }

    pub(crate) async fn fail_abandoned(
        &self,
        round: &RoundId,
        lease: Lease,
    ) -> Result<Vec<RunId>, StoreError> {
        let seconds = lease.duration().as_secs_f64();
        self.with_client(
            format!("fail the abandoned runs of round {round}"),
            async |c| {
                let rows = c
                    .query(
                        "UPDATE runs SET status = 'failed', error = $2, finished_at = now()
                         WHERE round_id = $1 AND status = 'running'
                           AND (heartbeat_at IS NULL
                                OR heartbeat_at < now() - make_interval(secs => $3))
                         RETURNING id",
                        &[&round.as_str(), &ABANDONED, &seconds],
                    )
                    .await?;
                let mut runs = rows
                    .iter()
                    .map(|r| r.try_get(0).map(RunId))
                    .collect::<Result<Vec<_>, _>>()?;
                runs.sort();
                Ok(runs)
            },
        )
        .await
    }

    /// Every run of the round, and the server's time to judge their leases by.
    pub(crate) async fn round_runs(
        &self,
        round: &RoundId,
    ) -> Result<(Vec<RoundRun>, DateTime<Utc>), StoreError> {
        self.with_client(format!("read round {round}"), async |c| {
            let now: DateTime<Utc> = c.query_one("SELECT now()", &[]).await?.try_get(0)?;
            let rows = c
                .query(
                    &format!("SELECT {RUN_COLUMNS} FROM runs WHERE round_id = $1 ORDER BY id"),
                    &[&round.as_str()],
                )
                .await?;
            let runs = rows.iter().map(round_run).collect::<Result<Vec<_>, _>>()?;
            Ok((runs, now))
        })
        .await
    }

    pub(crate) async fn rounds(&self) -> Result<Vec<RoundSummary>, StoreError> {
        self.with_client("list the rounds", async |c| {
            let rows = c.query(ROUNDS_SQL, &[]).await?;
            let mut rounds = Vec::with_capacity(rows.len());
            for r in &rows {
                let count = |i| super::count(r, i);
                let (sites, complete, running) = (count(3)?, count(4)?, count(5)?);
                rounds.push(RoundSummary {
                    round: RoundId::from_stored(r.try_get(0)?),
                    started_at: r.try_get(1)?,
                    last_activity_at: r.try_get(2)?,
                    sites,
                    complete,
                    running,
                    failed: sites.saturating_sub(complete + running),
                });
            }
            Ok(rounds)
        })
        .await
    }
}

async fn runs_of_site(
    tx: &Transaction<'_>,
    round: &RoundId,
    site: &str,
) -> Result<Vec<RoundRun>, tokio_postgres::Error> {
    tx.query(
        &format!("SELECT {RUN_COLUMNS} FROM runs WHERE round_id = $1 AND site_id = $2 ORDER BY id"),
        &[&round.as_str(), &site],
    )
    .await?
    .iter()
    .map(round_run)
    .collect()
}

fn round_run(r: &tokio_postgres::Row) -> Result<RoundRun, tokio_postgres::Error> {
    Ok(RoundRun {
        id: RunId(r.try_get(0)?),
        site_id: r.try_get(1)?,
        status: RunStatus::parse(r.try_get::<_, &str>(2)?),
        worker: r.try_get(3)?,
        heartbeat_at: r.try_get(4)?,
        error: r.try_get(5)?,
    })
}

/// Marks `run` failed as abandoned if it is still running with an expired lease; 0 when it is
/// not (its holder renewed it, or another worker settled it, meanwhile).
async fn abandon(
    tx: &Transaction<'_>,
    run: RunId,
    lease: Lease,
    now: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    tx.execute(
        "UPDATE runs SET status = 'failed', error = $2, finished_at = now()
         WHERE id = $1 AND status = 'running'
           AND (heartbeat_at IS NULL OR heartbeat_at < $3)",
        &[&run.0, &ABANDONED, &lease.cutoff(now)],
    )
    .await
}
