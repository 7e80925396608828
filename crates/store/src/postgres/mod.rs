//! The PostgreSQL backend: one history shared by audit workers on many machines.
//!
//! tokio-postgres is the driver (async, pure Rust, pipelines statements on one connection) and
//! deadpool-postgres the pool over it: sites audited at once each take a connection, a broken
//! connection is dropped from the pool and the next operation opens a new one, so a database that
//! comes back after an outage is used again without restarting the worker.
//!
//! Nothing waits for ever. Connecting is bounded by the connect timeout (the URL's
//! `connect_timeout`, else [`OpenOptions::connect_timeout`]); every statement by the server's
//! `statement_timeout` and `lock_timeout`; a transaction left idle (a worker frozen mid-write) by
//! `idle_in_transaction_session_timeout`; and every operation as a whole, network included, by
//! [`OpenOptions::operation_timeout`] on our side — a server cut off by the network never answers,
//! so only a client-side bound can end that wait.
//!
//! Times the store stamps (heartbeats, leases, failures) come from the server's clock, so workers
//! whose clocks disagree still agree on whose lease has run out.

mod rounds;
pub(crate) mod schema;
mod tls;

use std::time::Duration;

use chrono::{DateTime, Utc};
use cookie_audit_model::{CookieKey, Coverage, FindingKey, Report, Summary};
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime, TimeoutType,
};

use crate::error::DbError;
use crate::record::{self, Placeholder};
use crate::sqlite::SUMMARY_COLUMNS;
use crate::{
    Location, OpenOptions, PreviousRun, RoundId, RunId, RunStatus, RunSummary, StoreError,
    finding_key_of_row,
};

/// An open PostgreSQL history: a pool of connections.
#[derive(Clone)]
pub(crate) struct Postgres {
    pool: Pool,
    location: Location,
    options: OpenOptions,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("location", &self.location)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Why an operation's body stopped: the driver, or the store's own verdict.
pub(crate) enum Failure {
    Db(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Failure {
        Failure::Db(e)
    }
}

impl Postgres {
    /// Connects, and brings the schema up to date: a database that is down is an error here, at
    /// the start, not at the first site.
    pub(crate) async fn open(url: String, options: OpenOptions) -> Result<Postgres, StoreError> {
        let location = Location::Postgres(url.clone());
        let bad_location = |reason| StoreError::BadLocation {
            location: location.clone(),
            reason,
        };
        let (config, tls) = driver_config(&url, &options).map_err(bad_location)?;
        let connector = tls::connector(&tls).map_err(bad_location)?;
        let connect_timeout = config
            .get_connect_timeout()
            .copied()
            .unwrap_or(options.connect_timeout);
        let manager = Manager::from_config(
            config,
            connector,
            ManagerConfig {
                // A connection the driver saw close is replaced; a live one is not pinged first.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .wait_timeout(Some(options.operation_timeout))
            // The driver bounds the TCP connect only; this bounds the whole handshake.
            .create_timeout(Some(connect_timeout))
            .recycle_timeout(Some(connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::BadLocation {
                location: location.clone(),
                reason: e.to_string(),
            })?;
        let store = Postgres {
            pool,
            location,
            options,
        };
        store.migrate().await?;
        Ok(store)
    }

    pub(crate) fn location(&self) -> &Location {
        &self.location
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let outcome = tokio::time::timeout(self.options.operation_timeout, async {
            let tx = client.transaction().await.map_err(|e| (0, e))?;
            let outcome = schema::migrate(&tx).await?;
            tx.commit().await.map_err(|e| (schema::LATEST, e))?;
            Ok::<_, (u32, tokio_postgres::Error)>(outcome)
        })
        .await;
        match outcome {
            Err(_) => {
                drop(Object::take(client));
                Err(self.timeout("migrate the schema"))
            }
            Ok(Err((version, source))) => Err(StoreError::Migrate {
                location: self.location.clone(),
                version,
                source: source.into(),
            }),
            Ok(Ok(schema::Outcome::TooNew { found })) => Err(StoreError::TooNew {
                location: self.location.clone(),
                found,
            }),
            Ok(Ok(schema::Outcome::Current)) => Ok(()),
        }
    }

    /// A connection from the pool, or why there is none.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(source) => StoreError::Connect {
                location: self.location.clone(),
                source: source.into(),
            },
            PoolError::Timeout(TimeoutType::Create | TimeoutType::Recycle) => {
                self.timeout_after("connect", self.options.connect_timeout)
            }
            PoolError::Timeout(TimeoutType::Wait) => {
                self.timeout("wait for a free connection of the pool")
            }
            PoolError::Closed => StoreError::Cancelled {
                location: self.location.clone(),
            },
            // No hooks are installed and the runtime is set: neither can happen.
            other => StoreError::BadLocation {
                location: self.location.clone(),
                reason: other.to_string(),
            },
        })
    }

    /// Runs an operation's body under the operation timeout. `body` gets the connection; a
    /// connection that timed out or broke is dropped rather than returned to the pool.
    pub(crate) async fn with_client<T>(
        &self,
        action: impl Into<String>,
        body: impl AsyncFnOnce(&mut Object) -> Result<T, Failure>,
    ) -> Result<T, StoreError> {
        let action = action.into();
        let mut client = self.client().await?;
        let outcome = tokio::time::timeout(self.options.operation_timeout, body(&mut client)).await;
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failure::Store(e))) => Err(e),
            Ok(Err(Failure::Db(source))) => {
                let source = DbError::Postgres(source);
                if source.is_connection_lost() {
                    drop(Object::take(client));
                }
                Err(StoreError::Sql {
                    location: self.location.clone(),
                    action,
                    source,
                })
            }
            Err(_elapsed) => {
                drop(Object::take(client));
                Err(self.timeout(&action))
            }
        }
    }

    fn timeout(&self, action: &str) -> StoreError {
        self.timeout_after(action, self.options.operation_timeout)
    }

    fn timeout_after(&self, action: &str, after: Duration) -> StoreError {
        StoreError::Timeout {
            location: self.location.clone(),
            action: action.to_string(),
            after,
        }
    }

    pub(crate) fn run_not_running(&self, run: RunId, status: Option<RunStatus>) -> Failure {
        Failure::Store(match status {
            None => StoreError::RunNotFound {
                location: self.location.clone(),
                run,
            },
            Some(status) => StoreError::RunNotRunning {
                location: self.location.clone(),
                run,
                status,
            },
        })
    }

    pub(crate) async fn schema_version(&self) -> Result<u32, StoreError> {
        self.with_client("read the schema version", async |c| {
            let version: Option<i64> = c
                .query_one("SELECT MAX(version) FROM schema_version", &[])
                .await?
                .try_get(0)?;
            Ok(version.and_then(|v| u32::try_from(v).ok()).unwrap_or(0))
        })
        .await
    }

    pub(crate) async fn begin_run(
        &self,
        site_id: &str,
        site_url: &str,
        started_at: DateTime<Utc>,
    ) -> Result<RunId, StoreError> {
        self.with_client(format!("begin a run of {site_id}"), async |c| {
            let row = c
                .query_one(
                    "INSERT INTO runs (site_id, site_url, status, started_at)
                     VALUES ($1, $2, 'running', $3) RETURNING id",
                    &[&site_id, &site_url, &started_at],
                )
                .await?;
            Ok(RunId(row.try_get(0)?))
        })
        .await
    }

    /// Everything of a complete run in one transaction, the mark last. The run's row is locked
    /// first, so a concurrent failure or abandonment of it waits, then finds it complete.
    pub(crate) async fn complete_run(
        &self,
        run: RunId,
        stored: &Report,
        report_json: &str,
    ) -> Result<(), StoreError> {
        self.with_client(format!("complete {run}"), async |c| {
            let tx = c.transaction().await?;
            let status = tx
                .query_opt(
                    "SELECT status FROM runs WHERE id = $1 FOR UPDATE",
                    &[&run.0],
                )
                .await?
                .map(|row| row.try_get::<_, String>(0))
                .transpose()?;
            let status = status.as_deref().map(RunStatus::parse);
            if status != Some(RunStatus::Running) {
                return Err(self.run_not_running(run, status));
            }
            for (table, rows) in record::rows(run.0, stored) {
                if rows.is_empty() {
                    continue;
                }
                let insert = tx
                    .prepare_cached(&table.insert(Placeholder::Postgres))
                    .await?;
                // Sent together, answered together: one round trip per table, not per row.
                futures::future::try_join_all(
                    rows.iter().map(|row| tx.execute_raw(&insert, row.iter())),
                )
                .await?;
            }
            let values = record::mark_complete_values(run.0, stored, report_json);
            tx.execute_raw(
                &record::mark_complete_sql(Placeholder::Postgres),
                values.iter(),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn fail_run(&self, run: RunId, error: &str) -> Result<(), StoreError> {
        self.with_client(format!("mark {run} failed"), async |c| {
            let updated = c
                .execute(
                    "UPDATE runs SET status = 'failed', error = $2, finished_at = now()
                     WHERE id = $1 AND status = 'running'",
                    &[&run.0, &error],
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

    pub(crate) async fn status(&self, run: RunId) -> Result<Option<RunStatus>, StoreError> {
        self.with_client(format!("read the status of {run}"), async |c| {
            Ok(status_of(c, run).await?)
        })
        .await
    }

    pub(crate) async fn latest_complete_before(
        &self,
        site_id: &str,
        before: i64,
    ) -> Result<Option<PreviousRun>, StoreError> {
        self.with_client(format!("find the previous run of {site_id}"), async |c| {
            let Some(row) = c
                .query_opt(
                    "SELECT id, started_at, finished_at, declaration_hash FROM runs
                     WHERE site_id = $1 AND status = 'complete' AND id < $2
                     ORDER BY id DESC LIMIT 1",
                    &[&site_id, &before],
                )
                .await?
            else {
                return Ok(None);
            };
            let run = RunId(row.try_get(0)?);
            let (cookies, findings) = keys_of_run(c, run).await?;
            PreviousRun::from_stored(
                &self.location,
                run,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                cookies,
                findings,
            )
            .map(Some)
            .map_err(Failure::Store)
        })
        .await
    }

    pub(crate) async fn history(&self, site_id: &str) -> Result<Vec<RunSummary>, StoreError> {
        self.with_client(format!("read the history of {site_id}"), async |c| {
            let rows = c
                .query(
                    &format!("SELECT {SUMMARY_COLUMNS} FROM runs WHERE site_id = $1 ORDER BY id"),
                    &[&site_id],
                )
                .await?;
            Ok(rows
                .iter()
                .map(summary_from_row)
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub(crate) async fn sites(&self) -> Result<Vec<String>, StoreError> {
        self.with_client("list the sites", async |c| {
            let rows = c
                .query("SELECT DISTINCT site_id FROM runs ORDER BY site_id", &[])
                .await?;
            let mut sites = rows
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<Vec<String>, _>>()?;
            // The server's collation may not be byte order; SQLite's is. Agree on Rust's.
            sites.sort();
            Ok(sites)
        })
        .await
    }

    pub(crate) async fn report_json(&self, run: RunId) -> Result<Option<String>, StoreError> {
        self.with_client(format!("read the report of {run}"), async |c| {
            let json: Option<Option<String>> = c
                .query_opt("SELECT report_json FROM runs WHERE id = $1", &[&run.0])
                .await?
                .map(|row| row.try_get(0))
                .transpose()?;
            Ok(json.flatten())
        })
        .await
    }

    /// The server keeps its own files consistent (write-ahead log, checksummed pages when
    /// enabled); what we can check is that it answers and holds this build's schema.
    pub(crate) async fn integrity_check(&self) -> Result<(), StoreError> {
        let version = self.schema_version().await?;
        if version == schema::LATEST {
            return Ok(());
        }
        Err(StoreError::Integrity {
            location: self.location.clone(),
            detail: format!("schema version {version}, expected {}", schema::LATEST),
        })
    }
}

/// The driver's configuration: the URL's, with our timeouts where it sets none, and the
/// server-side limits that keep a stuck statement or transaction from holding on for ever.
fn driver_config(
    url: &str,
    options: &OpenOptions,
) -> Result<(tokio_postgres::Config, tls::TlsSettings), String> {
    let (url, tls) = tls::split_url(url)?;
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
    config.ssl_mode(tls.mode.driver_mode());
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(options.connect_timeout);
    }
    if config.get_application_name().is_none() {
        // Shown in pg_stat_activity, so a DBA can tell our connections apart.
        config.application_name("cookie-audit");
    }
    let statement_ms = options.statement_timeout.as_millis();
    let ours = format!(
        "-c statement_timeout={statement_ms} -c lock_timeout={statement_ms} \
         -c idle_in_transaction_session_timeout={statement_ms} -c TimeZone=UTC"
    );
    // Ours first: settings the URL gives win, as they come later.
    let combined = match config.get_options() {
        Some(theirs) => format!("{ours} {theirs}"),
        None => ours,
    };
    config.options(combined);
    // Notice a dead peer in about a minute rather than the kernel's two hours.
    config.keepalives_idle(Duration::from_secs(30));
    Ok((config, tls))
}

/// The cookies and findings of a run, by the identities `changes` compares.
async fn keys_of_run(
    c: &Object,
    run: RunId,
) -> Result<(Vec<CookieKey>, Vec<FindingKey>), tokio_postgres::Error> {
    let cookies = c
        .query(
            "SELECT DISTINCT name, domain, path FROM observed_cookies WHERE run_id = $1",
            &[&run.0],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(CookieKey {
                name: r.try_get(0)?,
                domain: r.try_get(1)?,
                path: r.try_get(2)?,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    let findings = c
        .query(
            "SELECT DISTINCT code, cookie, domain FROM findings WHERE run_id = $1",
            &[&run.0],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(finding_key_of_row(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
            ))
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok((cookies, findings))
}

async fn status_of(c: &Object, run: RunId) -> Result<Option<RunStatus>, tokio_postgres::Error> {
    let status: Option<String> = c
        .query_opt("SELECT status FROM runs WHERE id = $1", &[&run.0])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    Ok(status.as_deref().map(RunStatus::parse))
}

/// A count column: BIGINT in PostgreSQL, a u32 in the report.
fn count(row: &tokio_postgres::Row, index: usize) -> Result<u32, tokio_postgres::Error> {
    let n: i64 = row.try_get(index)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// A count column that may be NULL.
fn optional_count(
    row: &tokio_postgres::Row,
    index: usize,
) -> Result<Option<u32>, tokio_postgres::Error> {
    let n: Option<i64> = row.try_get(index)?;
    Ok(n.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
}

fn summary_from_row(r: &tokio_postgres::Row) -> Result<RunSummary, tokio_postgres::Error> {
    let counts = match r.try_get::<_, Option<i64>>(10)? {
        Some(_) => Some(Summary {
            declared: count(r, 10)?,
            observed: count(r, 11)?,
            undeclared: count(r, 12)?,
            stale: count(r, 13)?,
            misdescribed: count(r, 14)?,
            high: count(r, 15)?,
            medium: count(r, 16)?,
            low: count(r, 17)?,
            // NULL only in a row written before schema version 3 whose report lacked them.
            consent: optional_count(r, 20)?.unwrap_or(0),
            cmp_mismatch: optional_count(r, 21)?.unwrap_or(0),
            // Counts of later kinds are in the stored report, not in columns of their own.
            ..Summary::default()
        }),
        None => None,
    };
    let coverage = match (
        optional_count(r, 22)?,
        optional_count(r, 23)?,
        optional_count(r, 24)?,
    ) {
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
        id: RunId(r.try_get(0)?),
        site_id: r.try_get(1)?,
        site_url: r.try_get(2)?,
        status: RunStatus::parse(r.try_get::<_, &str>(3)?),
        started_at: r.try_get(4)?,
        finished_at: r.try_get(5)?,
        error: r.try_get(6)?,
        engine: r.try_get(7)?,
        declaration_status: r.try_get(8)?,
        declaration_hash: r.try_get(9)?,
        counts,
        round: r
            .try_get::<_, Option<String>>(18)?
            .map(RoundId::from_stored),
        worker: r.try_get(19)?,
        coverage,
    })
}
