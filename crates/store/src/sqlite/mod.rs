//! The SQLite backend: the embedded default, one file on a local disk.
//!
//! rusqlite is synchronous, so every operation runs on tokio's blocking pool holding the one
//! connection: a write may wait up to [`BUSY_TIMEOUT`] for another process's, and that wait must
//! not stall the async threads crawling sites. Several processes may share the file (WAL mode);
//! SQLite serialises their writers, and every claim is an immediate transaction, so it is the
//! only writer while it decides.

pub(crate) mod rounds;
pub(crate) mod schema;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use cookie_audit_model::{CookieKey, Coverage, Report, Summary};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::DbError;
use crate::record::{self, Placeholder};
use crate::{
    BUSY_TIMEOUT, Location, PreviousRun, RunId, RunStatus, RunSummary, StoreError,
    finding_key_of_row as finding_key, timestamp,
};

/// An open SQLite history: one connection, taken in turns.
#[derive(Clone, Debug)]
pub(crate) struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    location: Location,
}

impl Sqlite {
    pub(crate) async fn open(path: PathBuf) -> Result<Sqlite, StoreError> {
        let location = Location::Sqlite(path.clone());
        if path.as_os_str().is_empty() {
            return Err(StoreError::BadLocation {
                location,
                reason: "the path is empty".into(),
            });
        }
        let opened = {
            let location = location.clone();
            tokio::task::spawn_blocking(move || open_connection(&path, &location)).await
        };
        let conn = joined(opened, &location)??;
        Ok(Sqlite {
            conn: Arc::new(Mutex::new(conn)),
            location,
        })
    }

    pub(crate) fn location(&self) -> &Location {
        &self.location
    }

    /// Runs `op` with the connection on the blocking pool.
    pub(crate) async fn call<T: Send + 'static>(
        &self,
        op: impl FnOnce(&mut Connection, &Location) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        let location = self.location.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            op(&mut conn, &location)
        })
        .await;
        joined(outcome, &self.location)?
    }
}

/// A blocking task's result; its panic is ours (a bug), passed on as the panic it was.
fn joined<T>(
    outcome: Result<T, tokio::task::JoinError>,
    location: &Location,
) -> Result<T, StoreError> {
    match outcome {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(StoreError::Cancelled {
            location: location.clone(),
        }),
    }
}

fn open_connection(path: &std::path::Path, location: &Location) -> Result<Connection, StoreError> {
    let open_error = |source| StoreError::Open {
        location: location.clone(),
        source,
    };
    let mut conn = Connection::open(path).map_err(open_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    // WAL: an audit writing never blocks `history` reading, and a crash mid-transaction
    // leaves the last committed state intact. NORMAL synchronous is durable across process
    // crashes in WAL mode (only a power cut can lose the very last commits).
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(open_error)?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(StoreError::NoWal {
            location: location.clone(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_error)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(open_error)?;
    match schema::migrate(&mut conn) {
        Ok(schema::Outcome::Current) => Ok(conn),
        Ok(schema::Outcome::TooNew { found }) => Err(StoreError::TooNew {
            location: location.clone(),
            found,
        }),
        Err((version, source)) => Err(StoreError::Migrate {
            location: location.clone(),
            version,
            source: source.into(),
        }),
    }
}

pub(crate) fn sql(
    location: &Location,
    action: impl Into<String>,
    e: rusqlite::Error,
) -> StoreError {
    StoreError::Sql {
        location: location.clone(),
        action: action.into(),
        source: DbError::Sqlite(e),
    }
}

pub(crate) fn schema_version(conn: &mut Connection, at: &Location) -> Result<u32, StoreError> {
    conn.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .map_err(|e| sql(at, "read the schema version", e))
}

pub(crate) fn begin_run(
    conn: &mut Connection,
    at: &Location,
    site_id: &str,
    site_url: &str,
    started_at: DateTime<Utc>,
) -> Result<RunId, StoreError> {
    conn.execute(
        "INSERT INTO runs (site_id, site_url, status, started_at)
         VALUES (?1, ?2, 'running', ?3)",
        params![site_id, site_url, timestamp(started_at)],
    )
    .map_err(|e| sql(at, format!("begin a run of {site_id}"), e))?;
    Ok(RunId(conn.last_insert_rowid()))
}

/// Everything of a complete run in one immediate transaction, the mark last.
pub(crate) fn complete_run(
    conn: &mut Connection,
    at: &Location,
    run: RunId,
    stored: &Report,
    report_json: &str,
) -> Result<(), StoreError> {
    let sql = |action: &str, e| sql(at, format!("{action} of {run}"), e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| sql("start the transaction", e))?;
    let status: Option<String> = tx
        .query_row("SELECT status FROM runs WHERE id = ?1", [run.0], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| sql("read the status", e))?;
    must_be_running(at, run, status.as_deref())?;
    for (table, rows) in record::rows(run.0, stored) {
        let mut insert = tx
            .prepare(&table.insert(Placeholder::Sqlite))
            .map_err(|e| sql("write the cookies and findings", e))?;
        for row in rows {
            insert
                .execute(rusqlite::params_from_iter(row))
                .map_err(|e| sql("write the cookies and findings", e))?;
        }
    }
    tx.execute(
        &record::mark_complete_sql(Placeholder::Sqlite),
        rusqlite::params_from_iter(record::mark_complete_values(run.0, stored, report_json)),
    )
    .map_err(|e| sql("mark complete", e))?;
    tx.commit().map_err(|e| sql("commit", e))
}

/// `Ok` when `status` (as stored; `None`: no such run) is running, else the error saying why not.
pub(crate) fn must_be_running(
    at: &Location,
    run: RunId,
    status: Option<&str>,
) -> Result<(), StoreError> {
    match status.map(RunStatus::parse) {
        None => Err(StoreError::RunNotFound {
            location: at.clone(),
            run,
        }),
        Some(RunStatus::Running) => Ok(()),
        Some(status) => Err(StoreError::RunNotRunning {
            location: at.clone(),
            run,
            status,
        }),
    }
}

pub(crate) fn fail_run(
    conn: &mut Connection,
    at: &Location,
    run: RunId,
    error: &str,
) -> Result<(), StoreError> {
    let updated = conn
        .execute(
            "UPDATE runs SET status = 'failed', error = ?2, finished_at = ?3
             WHERE id = ?1 AND status = 'running'",
            params![run.0, error, timestamp(Utc::now())],
        )
        .map_err(|e| sql(at, format!("mark {run} failed"), e))?;
    if updated == 1 {
        return Ok(());
    }
    let status = status(conn, at, run)?;
    must_be_running(at, run, status.map(RunStatus::as_str))
}

pub(crate) fn status(
    conn: &mut Connection,
    at: &Location,
    run: RunId,
) -> Result<Option<RunStatus>, StoreError> {
    conn.query_row("SELECT status FROM runs WHERE id = ?1", [run.0], |r| {
        r.get::<_, String>(0)
    })
    .optional()
    .map(|s| s.as_deref().map(RunStatus::parse))
    .map_err(|e| sql(at, format!("read the status of {run}"), e))
}

/// The latest complete run of `site_id` with an id below `before`.
pub(crate) fn latest_complete_before(
    conn: &mut Connection,
    at: &Location,
    site_id: &str,
    before: i64,
) -> Result<Option<PreviousRun>, StoreError> {
    let row = conn
        .query_row(
            "SELECT id, started_at, finished_at, declaration_hash FROM runs
             WHERE site_id = ?1 AND status = 'complete' AND id < ?2
             ORDER BY id DESC LIMIT 1",
            params![site_id, before],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Stamp>(1)?.0,
                    r.get::<_, Option<Stamp>>(2)?.map(|s| s.0),
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )
        .optional()
        .map_err(|e| sql(at, format!("find the previous run of {site_id}"), e))?;
    let Some((id, started_at, finished_at, hash)) = row else {
        return Ok(None);
    };
    let run = RunId(id);
    let cookies = conn
        .prepare("SELECT DISTINCT name, domain, path FROM observed_cookies WHERE run_id = ?1")
        .and_then(|mut s| {
            s.query_map([id], |r| {
                Ok(CookieKey {
                    name: r.get(0)?,
                    domain: r.get(1)?,
                    path: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| sql(at, format!("read the cookies of {run}"), e))?;
    let findings = conn
        .prepare("SELECT DISTINCT code, cookie, domain FROM findings WHERE run_id = ?1")
        .and_then(|mut s| {
            s.query_map([id], |r| {
                Ok(finding_key(r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| sql(at, format!("read the findings of {run}"), e))?
        .into_iter()
        .flatten()
        .collect();
    PreviousRun::from_stored(at, run, started_at, finished_at, hash, cookies, findings).map(Some)
}

/// The columns of a [`RunSummary`], in [`summary_from_row`]'s order.
pub(crate) const SUMMARY_COLUMNS: &str = "id, site_id, site_url, status, started_at, finished_at, \
     error, engine, declaration_status, declaration_hash, declared, observed, undeclared, stale, \
     misdescribed, high, medium, low, round_id, worker, consent, cmp_mismatch, coverage_pages, \
     coverage_previous_pages, coverage_revisited";

fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    let counts = match r.get::<_, Option<u32>>(10)? {
        Some(declared) => Some(Summary {
            declared,
            observed: r.get(11)?,
            undeclared: r.get(12)?,
            stale: r.get(13)?,
            misdescribed: r.get(14)?,
            high: r.get(15)?,
            medium: r.get(16)?,
            low: r.get(17)?,
            // NULL only in a row written before schema version 3 whose report lacked them.
            consent: r.get::<_, Option<u32>>(20)?.unwrap_or(0),
            cmp_mismatch: r.get::<_, Option<u32>>(21)?.unwrap_or(0),
            // Counts of later kinds are in the stored report, not in columns of their own.
            ..Summary::default()
        }),
        None => None,
    };
    let coverage = match (r.get(22)?, r.get(23)?, r.get(24)?) {
        (Some(pages_visited), Some(previous_pages_visited), Some(pages_revisited)) => {
            Some(Coverage {
                pages_visited,
                previous_pages_visited,
                pages_revisited,
            })
        }
        _ => None,
    };
    Ok(RunSummary {
        id: RunId(r.get(0)?),
        site_id: r.get(1)?,
        site_url: r.get(2)?,
        status: RunStatus::parse(&r.get::<_, String>(3)?),
        started_at: r.get::<_, Stamp>(4)?.0,
        finished_at: r.get::<_, Option<Stamp>>(5)?.map(|s| s.0),
        error: r.get(6)?,
        engine: r.get(7)?,
        declaration_status: r.get(8)?,
        declaration_hash: r.get(9)?,
        counts,
        round: r
            .get::<_, Option<String>>(18)?
            .map(crate::RoundId::from_stored),
        worker: r.get(19)?,
        coverage,
    })
}

pub(crate) fn history(
    conn: &mut Connection,
    at: &Location,
    site_id: &str,
) -> Result<Vec<RunSummary>, StoreError> {
    conn.prepare(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM runs WHERE site_id = ?1 ORDER BY id"
    ))
    .and_then(|mut s| s.query_map([site_id], summary_from_row)?.collect())
    .map_err(|e| sql(at, format!("read the history of {site_id}"), e))
}

pub(crate) fn sites(conn: &mut Connection, at: &Location) -> Result<Vec<String>, StoreError> {
    conn.prepare("SELECT DISTINCT site_id FROM runs ORDER BY site_id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| sql(at, "list the sites", e))
}

pub(crate) fn report_json(
    conn: &mut Connection,
    at: &Location,
    run: RunId,
) -> Result<Option<String>, StoreError> {
    let json: Option<Option<String>> = conn
        .query_row("SELECT report_json FROM runs WHERE id = ?1", [run.0], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| sql(at, format!("read the report of {run}"), e))?;
    Ok(json.flatten())
}

pub(crate) fn integrity_check(conn: &mut Connection, at: &Location) -> Result<(), StoreError> {
    let results: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| sql(at, "run the integrity check", e))?;
    if results == ["ok"] {
        Ok(())
    } else {
        Err(StoreError::Integrity {
            location: at.clone(),
            detail: results.join("; "),
        })
    }
}

/// A stored timestamp read back.
pub(crate) struct Stamp(pub DateTime<Utc>);

impl FromSql for Stamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Stamp> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Stamp(t.with_timezone(&Utc)))
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}
