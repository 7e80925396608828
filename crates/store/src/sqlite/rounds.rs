//! Rounds, claims and leases on SQLite. Times are this machine's clock: every process sharing a
//! SQLite file runs on the machine that holds it.

use chrono::Utc;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::{Stamp, must_be_running, sql, status};
use crate::round::{self, ABANDONED, Claim, ClaimRequest, Lease, Outcome, RoundRun, RoundSummary};
use crate::{Location, RoundId, RunId, RunStatus, StoreError, timestamp};

/// A claim's decision can be overtaken only by another writer, and an immediate transaction has
/// none; the loop is for symmetry with PostgreSQL, and bounded all the same.
const CLAIM_PASSES: usize = 3;

pub(crate) fn claim(
    conn: &mut Connection,
    at: &Location,
    request: &ClaimRequest,
) -> Result<Claim, StoreError> {
    let site = request.site_id.as_str();
    let sql = |e| sql(at, format!("claim {site} in round {}", request.round), e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    for _ in 0..CLAIM_PASSES {
        let now = Utc::now();
        let runs = runs_of_site(&tx, &request.round, site).map_err(sql)?;
        let decision = round::decide(&runs, now, request.lease, request.max_attempts);
        if let Some(run) = decision.abandon
            && abandon(&tx, run, request.lease, now).map_err(sql)? == 0
        {
            continue;
        }
        let attempt = match decision.outcome {
            Outcome::Answer(answer) => {
                tx.commit().map_err(sql)?;
                return Ok(answer);
            }
            Outcome::Begin { attempt } => attempt,
        };
        let inserted: Option<i64> = tx
            .query_row(
                "INSERT INTO runs (site_id, site_url, status, started_at, round_id, worker,
                     heartbeat_at)
                 VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6)
                 ON CONFLICT (round_id, site_id) WHERE status IN ('running', 'complete')
                 DO NOTHING
                 RETURNING id",
                params![
                    site,
                    request.site_url,
                    timestamp(request.started_at),
                    request.round.as_str(),
                    request.worker,
                    timestamp(now),
                ],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(sql)?;
        if let Some(id) = inserted {
            tx.commit().map_err(sql)?;
            return Ok(Claim::Won {
                run: RunId(id),
                attempt,
                abandoned: decision.abandon,
            });
        }
    }
    Err(StoreError::Contended {
        location: at.clone(),
        action: format!("claim {site} in round {}", request.round),
        tries: CLAIM_PASSES,
    })
}

fn runs_of_site(
    tx: &Transaction<'_>,
    round: &RoundId,
    site: &str,
) -> rusqlite::Result<Vec<RoundRun>> {
    tx.prepare(
        "SELECT id, site_id, status, worker, heartbeat_at, error FROM runs
         WHERE round_id = ?1 AND site_id = ?2 ORDER BY id",
    )?
    .query_map(params![round.as_str(), site], round_run)?
    .collect()
}

fn round_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<RoundRun> {
    Ok(RoundRun {
        id: RunId(r.get(0)?),
        site_id: r.get(1)?,
        status: RunStatus::parse(&r.get::<_, String>(2)?),
        worker: r.get(3)?,
        heartbeat_at: r.get::<_, Option<Stamp>>(4)?.map(|s| s.0),
        error: r.get(5)?,
    })
}

/// Marks `run` failed as abandoned if it is still running with an expired lease; 0 when it is
/// not (its holder renewed it, or someone else finished it, meanwhile).
fn abandon(
    tx: &Transaction<'_>,
    run: RunId,
    lease: Lease,
    now: chrono::DateTime<Utc>,
) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE runs SET status = 'failed', error = ?2, finished_at = ?3
         WHERE id = ?1 AND status = 'running'
           AND (heartbeat_at IS NULL OR heartbeat_at < ?4)",
        params![
            run.0,
            ABANDONED,
            timestamp(now),
            timestamp(lease.cutoff(now))
        ],
    )
}

pub(crate) fn heartbeat(
    conn: &mut Connection,
    at: &Location,
    run: RunId,
) -> Result<(), StoreError> {
    let updated = conn
        .execute(
            "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1 AND status = 'running'",
            params![run.0, timestamp(Utc::now())],
        )
        .map_err(|e| sql(at, format!("renew the lease of {run}"), e))?;
    if updated == 1 {
        return Ok(());
    }
    let status = status(conn, at, run)?;
    must_be_running(at, run, status.map(RunStatus::as_str))
}

pub(crate) fn fail_abandoned(
    conn: &mut Connection,
    at: &Location,
    round: &RoundId,
    lease: Lease,
) -> Result<Vec<RunId>, StoreError> {
    let now = Utc::now();
    conn.prepare(
        "UPDATE runs SET status = 'failed', error = ?2, finished_at = ?3
         WHERE round_id = ?1 AND status = 'running'
           AND (heartbeat_at IS NULL OR heartbeat_at < ?4)
         RETURNING id",
    )
    .and_then(|mut s| {
        s.query_map(
            params![
                round.as_str(),
                ABANDONED,
                timestamp(now),
                timestamp(lease.cutoff(now))
            ],
            |r| r.get(0).map(RunId),
        )?
        .collect::<Result<Vec<_>, _>>()
    })
    .map(|mut runs| {
        runs.sort();
        runs
    })
    .map_err(|e| sql(at, format!("fail the abandoned runs of round {round}"), e))
}

/// Every run of the round, and the time to judge their leases by.
pub(crate) fn round_runs(
    conn: &mut Connection,
    at: &Location,
    round: &RoundId,
) -> Result<(Vec<RoundRun>, chrono::DateTime<Utc>), StoreError> {
    conn.prepare(
        "SELECT id, site_id, status, worker, heartbeat_at, error FROM runs
         WHERE round_id = ?1 ORDER BY id",
    )
    .and_then(|mut s| s.query_map([round.as_str()], round_run)?.collect())
    .map(|runs| (runs, Utc::now()))
    .map_err(|e| sql(at, format!("read round {round}"), e))
}

pub(crate) fn rounds(
    conn: &mut Connection,
    at: &Location,
) -> Result<Vec<RoundSummary>, StoreError> {
    conn.prepare(ROUNDS_SQL)
        .and_then(|mut s| {
            s.query_map([], |r| {
                let sites: u32 = r.get(3)?;
                let complete: u32 = r.get(4)?;
                let running: u32 = r.get(5)?;
                Ok(RoundSummary {
                    round: RoundId::from_stored(r.get(0)?),
                    started_at: r.get::<_, Stamp>(1)?.0,
                    last_activity_at: r.get::<_, Stamp>(2)?.0,
                    sites,
                    complete,
                    running,
                    failed: sites.saturating_sub(complete + running),
                })
            })?
            .collect()
        })
        .map_err(|e| sql(at, "list the rounds", e))
}

/// Per round: first start, last sign of life, and sites by state. A site's runs are at most one
/// complete or running (the unique index), so sites = complete + running + failed.
pub(crate) const ROUNDS_SQL: &str = "
    SELECT round_id, MIN(started_at),
           MAX(COALESCE(finished_at, heartbeat_at, started_at)),
           COUNT(DISTINCT site_id),
           COUNT(DISTINCT CASE WHEN status = 'complete' THEN site_id END),
           COUNT(DISTINCT CASE WHEN status = 'running' THEN site_id END)
    FROM runs WHERE round_id IS NOT NULL
    GROUP BY round_id
    ORDER BY MIN(started_at) DESC, round_id";
