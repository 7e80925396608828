//! cookie-audit's history in SQLite: every audit run of every site, what it observed, what the
//! site declared, what it found, and so what changed since the previous complete run.
//!
//! Life of a run: [`Store::begin_run`] records it as `running`; the audit happens; the caller
//! asks [`Store::previous_complete`] and [`changes`] for the report's `changes`; then
//! [`Store::complete_run`] writes everything in one transaction whose last write marks the run
//! `complete` — or [`Store::fail_run`] records why it failed. A process killed in between leaves
//! the run `running` for ever, and such a run is never anyone's "previous".
//!
//! Cookie values are never written, not even when the report carries them (`--show-values`):
//! the store keeps the fingerprint (length and short SHA-256) the report has anyway.
//!
//! **Architecture invariant:** this is the only crate that touches SQLite.

mod changes;
mod record;
mod schema;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use cookie_audit_model::{CookieKey, FindingCode, FindingKey, Report, Summary};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

pub use changes::{changes, declaration_hash, finding_key};

/// How long a writer waits for another to finish before giving up. Audits write once per site
/// and quickly; a wait this long means something is stuck.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema version this build creates and reads.
pub const SCHEMA_VERSION: u32 = schema::LATEST;

/// A run's id: grows with every run begun in a database, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run {}", self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Begun and not finished: in progress, or its process died.
    Running,
    Complete,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> RunStatus {
        match s {
            "complete" => RunStatus::Complete,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Running,
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of `cookie-audit history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub site_id: String,
    pub site_url: String,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    /// When the report finished (complete) or the failure was recorded (failed).
    pub finished_at: Option<DateTime<Utc>>,
    /// Why a failed run failed.
    pub error: Option<String>,
    /// `http` or `browser`, for complete runs.
    pub engine: Option<String>,
    /// Counts by kind and severity, for complete runs.
    pub counts: Option<Summary>,
    /// `found` or `not_found`, for complete runs.
    pub declaration_status: Option<String>,
    /// See [`declaration_hash`]; equal hashes mean an unchanged cookie table.
    pub declaration_hash: Option<String>,
}

/// What [`changes`] needs of the previous complete run of a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousRun {
    pub id: RunId,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Observed cookies, sorted.
    pub cookies: Vec<CookieKey>,
    /// Findings, sorted.
    pub findings: Vec<FindingKey>,
    pub declaration_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the history database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the history database {} cannot use write-ahead logging (journal mode stays {mode}); \
         is it on a network file system?",
        path.display()
    )]
    NoWal { path: PathBuf, mode: String },
    #[error("cannot migrate the history database {} to schema version {version}", path.display())]
    Migrate {
        path: PathBuf,
        version: u32,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the history database {} has schema version {found}, newer than this cookie-audit \
         knows ({SCHEMA_VERSION}): upgrade cookie-audit, or use another --db",
        path.display()
    )]
    TooNew { path: PathBuf, found: u32 },
    #[error("history database {}: cannot {action}", path.display())]
    Sql {
        path: PathBuf,
        action: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("history database {}: no {run}", path.display())]
    RunNotFound { path: PathBuf, run: RunId },
    #[error("history database {}: {run} is already {status}", path.display())]
    RunNotRunning {
        path: PathBuf,
        run: RunId,
        status: RunStatus,
    },
    #[error("history database {}: the stored data of {run} is unreadable: {detail}", path.display())]
    Corrupt {
        path: PathBuf,
        run: RunId,
        detail: String,
    },
    #[error("history database {} failed its integrity check: {detail}", path.display())]
    Integrity { path: PathBuf, detail: String },
}

/// An open history database. One `Store` per thread; several processes may open the same file
/// (WAL: readers never block, writers take turns within [`BUSY_TIMEOUT`]).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating it if needed) the database at `path` and brings its schema up to date.
    /// Refuses a database written by a newer cookie-audit rather than guessing at it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
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
                path: path.to_path_buf(),
                mode,
            });
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_error)?;
        match schema::migrate(&mut conn) {
            Ok(schema::Outcome::Current) => {}
            Ok(schema::Outcome::TooNew { found }) => {
                return Err(StoreError::TooNew {
                    path: path.to_path_buf(),
                    found,
                });
            }
            Err((version, source)) => {
                return Err(StoreError::Migrate {
                    path: path.to_path_buf(),
                    version,
                    source,
                });
            }
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database (always [`SCHEMA_VERSION`] after `open`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .map_err(|e| self.sql("read the schema version", e))
    }

    /// Records the start of an audit of `site_id` (its registrable domain, or the `id` of its
    /// `[[site]]` entry). The run stays `running` until completed or failed.
    pub fn begin_run(
        &mut self,
        site_id: &str,
        site_url: &str,
        started_at: DateTime<Utc>,
    ) -> Result<RunId, StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (site_id, site_url, status, started_at)
                 VALUES (?1, ?2, 'running', ?3)",
                params![site_id, site_url, timestamp(started_at)],
            )
            .map_err(|e| self.sql(format!("begin a run of {site_id}"), e))?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Writes the run's observed and declared cookies, findings, counts, declaration hash and
    /// report (values removed), and marks it complete — all in one transaction, the mark last.
    /// Either all of it is in the database or none of it.
    pub fn complete_run(&mut self, run: RunId, report: &Report) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |action: &str, source| StoreError::Sql {
            path: path.clone(),
            action: format!("{action} of {run}"),
            source,
        };
        let stored = record::without_values(report);
        let report_json = serde_json::to_string(&stored).expect("a report always serialises");

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| sql("start the transaction", e))?;
        let status: Option<String> = tx
            .query_row("SELECT status FROM runs WHERE id = ?1", [run.0], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql("read the status", e))?;
        match status.as_deref().map(RunStatus::parse) {
            None => return Err(StoreError::RunNotFound { path, run }),
            Some(RunStatus::Running) => {}
            Some(status) => return Err(StoreError::RunNotRunning { path, run, status }),
        }
        record::insert_rows(&tx, run.0, &stored)
            .map_err(|e| sql("write the cookies and findings", e))?;
        record::mark_complete(&tx, run.0, &stored, &report_json)
            .map_err(|e| sql("mark complete", e))?;
        tx.commit().map_err(|e| sql("commit", e))
    }

    /// Records that the run failed, and why. A failed run is never anyone's "previous".
    pub fn fail_run(&mut self, run: RunId, error: &str) -> Result<(), StoreError> {
        let updated = self
            .conn
            .execute(
                "UPDATE runs SET status = 'failed', error = ?2, finished_at = ?3
                 WHERE id = ?1 AND status = 'running'",
                params![run.0, error, timestamp(Utc::now())],
            )
            .map_err(|e| self.sql(format!("mark {run} failed"), e))?;
        if updated == 1 {
            return Ok(());
        }
        match self.status(run)? {
            None => Err(StoreError::RunNotFound {
                path: self.path.clone(),
                run,
            }),
            Some(status) => Err(StoreError::RunNotRunning {
                path: self.path.clone(),
                run,
                status,
            }),
        }
    }

    /// The status of a run, `None` when there is no such run.
    pub fn status(&self, run: RunId) -> Result<Option<RunStatus>, StoreError> {
        self.conn
            .query_row("SELECT status FROM runs WHERE id = ?1", [run.0], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map(|s| s.as_deref().map(RunStatus::parse))
            .map_err(|e| self.sql(format!("read the status of {run}"), e))
    }

    /// The latest complete run of `site_id` begun before `before`: what `before`'s report
    /// compares with. Running (perhaps crashed) and failed runs are skipped. "Before" is by run
    /// id, the order runs were begun in, which a clock set back cannot reorder.
    pub fn previous_complete(
        &self,
        site_id: &str,
        before: RunId,
    ) -> Result<Option<PreviousRun>, StoreError> {
        self.latest_complete_before(site_id, before.0)
    }

    /// The latest complete run of `site_id`, for comparing a report that was not stored.
    pub fn latest_complete(&self, site_id: &str) -> Result<Option<PreviousRun>, StoreError> {
        self.latest_complete_before(site_id, i64::MAX)
    }

    fn latest_complete_before(
        &self,
        site_id: &str,
        before: i64,
    ) -> Result<Option<PreviousRun>, StoreError> {
        let row = self
            .conn
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
            .map_err(|e| self.sql(format!("find the previous run of {site_id}"), e))?;
        let Some((id, started_at, finished_at, hash)) = row else {
            return Ok(None);
        };
        let run = RunId(id);
        let finished_at =
            finished_at.ok_or_else(|| self.corrupt(run, "a complete run without finished_at"))?;
        let declaration_hash =
            hash.ok_or_else(|| self.corrupt(run, "a complete run without declaration_hash"))?;

        let cookies = self
            .conn
            .prepare(
                "SELECT DISTINCT name, domain, path FROM observed_cookies WHERE run_id = ?1
                 ORDER BY name, domain, path",
            )
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
            .map_err(|e| self.sql(format!("read the cookies of {run}"), e))?;
        let mut findings = self
            .conn
            .prepare("SELECT DISTINCT code, cookie, domain FROM findings WHERE run_id = ?1")
            .and_then(|mut s| {
                s.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql(format!("read the findings of {run}"), e))?
            .into_iter()
            // A code this version does not know (written by a newer one) cannot be compared.
            .filter_map(|(code, cookie, domain)| {
                Some(FindingKey {
                    code: FindingCode::parse(&code)?,
                    cookie,
                    domain,
                })
            })
            .collect::<Vec<_>>();
        // SQL orders NULL domains first too, but Rust's order is the one `changes` uses.
        findings.sort();
        Ok(Some(PreviousRun {
            id: run,
            started_at,
            finished_at,
            cookies,
            findings,
            declaration_hash,
        }))
    }

    /// Every run of `site_id` in the order they were begun (oldest first), with counts for the
    /// complete ones.
    pub fn history(&self, site_id: &str) -> Result<Vec<RunSummary>, StoreError> {
        self.conn
            .prepare(
                "SELECT id, site_id, site_url, status, started_at, finished_at, error, engine,
                        declaration_status, declaration_hash, declared, observed, undeclared,
                        stale, misdescribed, high, medium, low
                 FROM runs WHERE site_id = ?1 ORDER BY id",
            )
            .and_then(|mut s| {
                s.query_map([site_id], |r| {
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
                            ..Summary::default()
                        }),
                        None => None,
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
                    })
                })?
                .collect()
            })
            .map_err(|e| self.sql(format!("read the history of {site_id}"), e))
    }

    /// Every site with at least one run, sorted.
    pub fn sites(&self) -> Result<Vec<String>, StoreError> {
        self.conn
            .prepare("SELECT DISTINCT site_id FROM runs ORDER BY site_id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.sql("list the sites", e))
    }

    /// The stored report of a complete run (cookie values removed), `None` for other runs.
    pub fn report(&self, run: RunId) -> Result<Option<Report>, StoreError> {
        let json: Option<Option<String>> = self
            .conn
            .query_row("SELECT report_json FROM runs WHERE id = ?1", [run.0], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.sql(format!("read the report of {run}"), e))?;
        match json.flatten() {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| self.corrupt(run, &format!("stored report: {e}"))),
        }
    }

    /// SQLite's own check of the whole file: pages, indexes, constraints.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let results: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.sql("run the integrity check", e))?;
        if results == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Integrity {
                path: self.path.clone(),
                detail: results.join("; "),
            })
        }
    }

    fn sql(&self, action: impl Into<String>, source: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            action: action.into(),
            source,
        }
    }

    fn corrupt(&self, run: RunId, detail: &str) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            run,
            detail: detail.to_string(),
        }
    }
}

/// Timestamps are stored as RFC 3339 in UTC with a fixed width, so text order is time order.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A stored timestamp read back.
struct Stamp(DateTime<Utc>);

impl FromSql for Stamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Stamp> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Stamp(t.with_timezone(&Utc)))
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}
