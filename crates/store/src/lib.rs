//! cookie-audit's history: every audit run of every site, what it observed, what the site
//! declared, what it found, and so what changed since the previous complete run — in a SQLite
//! file (the embedded default) or a PostgreSQL database that audit workers on many machines
//! share. One API, [`Store`], over both; [`Store::open`] picks the backend from the
//! [`Location`]: a `postgres://` or `postgresql://` URL, else a file path.
//!
//! Life of a run: [`Store::begin_run`] (or, in a round shared by workers, [`Store::claim`])
//! records it as `running`; the audit happens; the caller asks [`Store::previous_complete`] and
//! [`changes`] for the report's `changes`; then [`Store::complete_run`] writes everything in one
//! transaction whose last write marks the run `complete` — or [`Store::fail_run`] records why it
//! failed. A run in a round carries a lease: its worker renews the heartbeat
//! ([`Store::keep_alive`]), and a run whose heartbeat is older than the lease is marked failed
//! ("abandoned: the worker stopped") by the next claimer of its site, who audits it again.
//!
//! Cookie values are never written, not even when the report carries them (`--show-values`):
//! the store keeps the fingerprint (length and short SHA-256) the report has anyway.
//!
//! Every operation is async and needs a tokio runtime: SQLite's run on the blocking pool,
//! PostgreSQL's on the network with bounded waits (see [`OpenOptions`]).
//!
//! **Architecture invariant:** this is the only crate that touches a database.

mod changes;
mod error;
mod heartbeat;
mod location;
mod postgres;
mod record;
mod round;
mod sqlite;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use cookie_audit_model::{CookieKey, Coverage, FindingCode, FindingKey, Report, Summary};
use serde::{Deserialize, Serialize};

pub use changes::{Sighting, Sightings, changes, declaration_hash, finding_key};
pub use error::{DbError, StoreError};
pub use heartbeat::{Heartbeat, LeaseLost};
pub use location::Location;
pub use round::{
    ABANDONED, Claim, ClaimRequest, Lease, RoundId, RoundProgress, RoundSummary, SiteProgress,
    SiteState, worker_name,
};

use postgres::Postgres;
use sqlite::Sqlite;

/// How long a SQLite writer waits for another to finish before giving up. Audits write once per
/// site and quickly; a wait this long means something is stuck.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema version this build creates and reads (the same in both backends).
pub const SCHEMA_VERSION: u32 = sqlite::schema::LATEST;

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
    /// `found`, `not_found` or `unreadable`, for complete runs.
    pub declaration_status: Option<String>,
    /// See [`declaration_hash`]; equal hashes mean an unchanged cookie table.
    pub declaration_hash: Option<String>,
    /// The round it was claimed in; `None` for a run begun outside any round.
    #[serde(default)]
    pub round: Option<RoundId>,
    /// The worker that claimed it (see [`worker_name`]).
    #[serde(default)]
    pub worker: Option<String>,
    /// How much of the previous complete run it read again (the report's `changes.coverage`);
    /// `None` for a site's first run and for runs recorded before schema version 3.
    #[serde(default)]
    pub coverage: Option<Coverage>,
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
    /// Where it looked and where each cookie was set, from its stored report: what tells a gone
    /// cookie from one on a page this run did not read again. `None` when the stored report could
    /// not be read (written by a newer cookie-audit, say): then `changes` compares the keys alone.
    pub sightings: Option<Sightings>,
}

impl PreviousRun {
    /// A complete run as a backend read it. Its cookies and findings are sorted here, in Rust's
    /// order, the one `changes` uses: databases order NULLs and text by their own rules (a
    /// PostgreSQL collation need not be byte order).
    fn from_stored(
        location: &Location,
        id: RunId,
        started_at: DateTime<Utc>,
        finished_at: Option<DateTime<Utc>>,
        declaration_hash: Option<String>,
        mut cookies: Vec<CookieKey>,
        mut findings: Vec<FindingKey>,
    ) -> Result<PreviousRun, StoreError> {
        let corrupt = |detail: &str| StoreError::Corrupt {
            location: location.clone(),
            run: id,
            detail: detail.to_string(),
        };
        let finished_at =
            finished_at.ok_or_else(|| corrupt("a complete run without finished_at"))?;
        let declaration_hash =
            declaration_hash.ok_or_else(|| corrupt("a complete run without declaration_hash"))?;
        cookies.sort();
        findings.sort();
        Ok(PreviousRun {
            id,
            started_at,
            finished_at,
            cookies,
            findings,
            declaration_hash,
            sightings: None,
        })
    }
}

/// Bounds on waiting for PostgreSQL (SQLite waits up to [`BUSY_TIMEOUT`] for a writer and never
/// for a network).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOptions {
    /// Opening a connection, handshake included, unless the URL sets `connect_timeout`.
    pub connect_timeout: Duration,
    /// The server's `statement_timeout`, `lock_timeout` and
    /// `idle_in_transaction_session_timeout`.
    pub statement_timeout: Duration,
    /// One whole operation as seen from here (waiting for a connection, the round trips, the
    /// commit): what ends the wait when the network, not the server, fails.
    pub operation_timeout: Duration,
    /// Connections at most; each site audited at once uses one for a moment.
    pub pool_size: usize,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(60),
            // Longer than the statement timeout, so the server's clearer error usually wins.
            operation_timeout: Duration::from_secs(90),
            pool_size: 8,
        }
    }
}

/// An open history database. Cheap to clone: clones share the connection (SQLite) or the pool
/// (PostgreSQL), so one `Store` serves every site audited at once.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// The SQLite call with owned arguments (it runs on another thread), or the PostgreSQL one.
macro_rules! on_backend {
    ($store:expr, sqlite: |$c:ident, $at:ident| $sqlite:expr, postgres: |$pg:ident| $postgres:expr $(,)?) => {
        match &$store.backend {
            Backend::Sqlite(s) => s.call(move |$c, $at| $sqlite).await,
            Backend::Postgres($pg) => $postgres.await,
        }
    };
}

impl Store {
    /// Opens the history at `location` with the default [`OpenOptions`]; see [`Store::open_with`].
    pub async fn open(location: impl Into<Location>) -> Result<Store, StoreError> {
        Store::open_with(location, OpenOptions::default()).await
    }

    /// Opens (creating a SQLite file if needed) the history at `location` and brings its schema
    /// up to date. Refuses a database written by a newer cookie-audit rather than guessing at it.
    /// A PostgreSQL server that cannot be reached is [`StoreError::Connect`] (or `Timeout`).
    pub async fn open_with(
        location: impl Into<Location>,
        options: OpenOptions,
    ) -> Result<Store, StoreError> {
        let backend = match location.into() {
            Location::Sqlite(path) => Backend::Sqlite(Sqlite::open(path).await?),
            Location::Postgres(url) => Backend::Postgres(Postgres::open(url, options).await?),
        };
        Ok(Store { backend })
    }

    /// Where the database is (a path, or a URL that displays without its password).
    pub fn location(&self) -> &Location {
        match &self.backend {
            Backend::Sqlite(s) => s.location(),
            Backend::Postgres(p) => p.location(),
        }
    }

    /// The schema version of the open database (always [`SCHEMA_VERSION`] after `open`).
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        on_backend!(self,
            sqlite: |c, at| sqlite::schema_version(c, at),
            postgres: |p| p.schema_version())
    }

    /// Records the start of an audit of `site_id` (its registrable domain, or the `id` of its
    /// `[[site]]` entry) outside any round. The run stays `running` until completed or failed.
    pub async fn begin_run(
        &self,
        site_id: &str,
        site_url: &str,
        started_at: DateTime<Utc>,
    ) -> Result<RunId, StoreError> {
        let (site, url) = (site_id.to_string(), site_url.to_string());
        on_backend!(self,
            sqlite: |c, at| sqlite::begin_run(c, at, &site, &url, started_at),
            postgres: |p| p.begin_run(site_id, site_url, started_at))
    }

    /// Writes the run's observed and declared cookies, findings, counts, declaration hash and
    /// report (values removed), and marks it complete — all in one transaction, the mark last.
    /// Either all of it is in the database or none of it. A run no longer `running` (failed,
    /// perhaps as abandoned by another worker) is [`StoreError::RunNotRunning`].
    pub async fn complete_run(&self, run: RunId, report: &Report) -> Result<(), StoreError> {
        let stored = record::without_values(report);
        let json = serde_json::to_string(&stored).expect("a report always serialises");
        on_backend!(self,
            sqlite: |c, at| sqlite::complete_run(c, at, run, &stored, &json),
            postgres: |p| p.complete_run(run, &stored, &json))
    }

    /// Records that the run failed, and why. A failed run is never anyone's "previous".
    pub async fn fail_run(&self, run: RunId, error: &str) -> Result<(), StoreError> {
        let owned = error.to_string();
        on_backend!(self,
            sqlite: |c, at| sqlite::fail_run(c, at, run, &owned),
            postgres: |p| p.fail_run(run, error))
    }

    /// The status of a run, `None` when there is no such run.
    pub async fn status(&self, run: RunId) -> Result<Option<RunStatus>, StoreError> {
        on_backend!(self,
            sqlite: |c, at| sqlite::status(c, at, run),
            postgres: |p| p.status(run))
    }

    /// The latest complete run of `site_id` begun before `before`: what `before`'s report
    /// compares with. Running (perhaps crashed) and failed runs are skipped. "Before" is by run
    /// id, the order runs were begun in, which a clock set back cannot reorder.
    pub async fn previous_complete(
        &self,
        site_id: &str,
        before: RunId,
    ) -> Result<Option<PreviousRun>, StoreError> {
        self.latest_complete_before(site_id, before.0).await
    }

    /// The latest complete run of `site_id`, for comparing a report that was not stored.
    pub async fn latest_complete(&self, site_id: &str) -> Result<Option<PreviousRun>, StoreError> {
        self.latest_complete_before(site_id, i64::MAX).await
    }

    async fn latest_complete_before(
        &self,
        site_id: &str,
        before: i64,
    ) -> Result<Option<PreviousRun>, StoreError> {
        let site = site_id.to_string();
        let previous = on_backend!(self,
            sqlite: |c, at| sqlite::latest_complete_before(c, at, &site, before),
            postgres: |p| p.latest_complete_before(site_id, before))?;
        let Some(mut previous) = previous else {
            return Ok(None);
        };
        // The pages and each cookie's pages are in the stored report, not in columns: a list of
        // every page per cookie would be the largest table by far, for one comparison per run.
        previous.sightings = match self.report(previous.id).await {
            Ok(Some(report)) => Some(Sightings::of(&report)),
            Ok(None) => None,
            Err(e) if e.is_unavailable() => return Err(e),
            Err(e) => {
                tracing::warn!("{e}: comparing with {} by its cookies alone", previous.id);
                None
            }
        };
        Ok(Some(previous))
    }

    /// Every run of `site_id` in the order they were begun (oldest first), with counts for the
    /// complete ones.
    pub async fn history(&self, site_id: &str) -> Result<Vec<RunSummary>, StoreError> {
        let site = site_id.to_string();
        on_backend!(self,
            sqlite: |c, at| sqlite::history(c, at, &site),
            postgres: |p| p.history(site_id))
    }

    /// Every site with at least one run, sorted.
    pub async fn sites(&self) -> Result<Vec<String>, StoreError> {
        on_backend!(self,
            sqlite: |c, at| sqlite::sites(c, at),
            postgres: |p| p.sites())
    }

    /// The stored report of a complete run (cookie values removed), `None` for other runs.
    pub async fn report(&self, run: RunId) -> Result<Option<Report>, StoreError> {
        let json = on_backend!(self,
            sqlite: |c, at| sqlite::report_json(c, at, run),
            postgres: |p| p.report_json(run))?;
        let Some(json) = json else {
            return Ok(None);
        };
        serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                location: self.location().clone(),
                run,
                detail: format!("stored report: {e}"),
            })
    }

    /// SQLite: its own check of the whole file (pages, indexes, constraints). PostgreSQL, which
    /// keeps its files consistent itself: that the server answers and holds this build's schema.
    pub async fn integrity_check(&self) -> Result<(), StoreError> {
        on_backend!(self,
            sqlite: |c, at| sqlite::integrity_check(c, at),
            postgres: |p| p.integrity_check())
    }

    /// Claims a site in a round, in one transaction: begins a run for it unless it is complete
    /// in the round, another worker holds it with a fresh heartbeat, or it has run
    /// `max_attempts` times. A running run whose heartbeat is older than the lease is marked
    /// failed ([`ABANDONED`]) first, and the site claimed again. Two workers claiming the same
    /// site at the same moment get one [`Claim::Won`] between them.
    pub async fn claim(&self, request: &ClaimRequest) -> Result<Claim, StoreError> {
        let owned = request.clone();
        on_backend!(self,
            sqlite: |c, at| sqlite::rounds::claim(c, at, &owned),
            postgres: |p| p.claim(request))
    }

    /// Renews a claimed run's heartbeat. [`StoreError::RunNotRunning`] means the lease is lost:
    /// another worker marked the run abandoned, so this worker must stop auditing the site.
    pub async fn heartbeat(&self, run: RunId) -> Result<(), StoreError> {
        on_backend!(self,
            sqlite: |c, at| sqlite::rounds::heartbeat(c, at, run),
            postgres: |p| p.heartbeat(run))
    }

    /// Renews `run`'s heartbeat in the background, every [`Lease::renew_every`], until the
    /// returned [`Heartbeat`] is dropped; it says when the lease is lost.
    pub fn keep_alive(&self, run: RunId, lease: Lease) -> Heartbeat {
        Heartbeat::start(self.clone(), run, lease)
    }

    /// Marks every running run of `round` whose heartbeat is older than `lease` failed
    /// ([`ABANDONED`]); returns them. Claims do this site by site anyway; a worker starting on a
    /// round may do it for all at once, so the round's progress shows them as failed.
    pub async fn fail_abandoned(
        &self,
        round: &RoundId,
        lease: Lease,
    ) -> Result<Vec<RunId>, StoreError> {
        let owned = round.clone();
        on_backend!(self,
            sqlite: |c, at| sqlite::rounds::fail_abandoned(c, at, &owned, lease),
            postgres: |p| p.fail_abandoned(round, lease))
    }

    /// Where each of `site_ids` stands in `round` — complete, failed, in progress, stalled (a
    /// heartbeat older than `lease`) or left — across every worker. The caller lists the sites
    /// (its audit config), since "left" means "in the list and not begun".
    pub async fn round_progress(
        &self,
        round: &RoundId,
        site_ids: &[String],
        lease: Lease,
    ) -> Result<RoundProgress, StoreError> {
        let owned = round.clone();
        let (runs, now) = on_backend!(self,
            sqlite: |c, at| sqlite::rounds::round_runs(c, at, &owned),
            postgres: |p| p.round_runs(round))?;
        Ok(round::progress(round, site_ids, runs, now, lease))
    }

    /// Every round, newest first, with its sites by state.
    pub async fn rounds(&self) -> Result<Vec<RoundSummary>, StoreError> {
        on_backend!(self,
            sqlite: |c, at| sqlite::rounds::rounds(c, at),
            postgres: |p| p.rounds())
    }
}

/// A stored finding's identity, `None` for a code this version does not know (written by a newer
/// one): it cannot be compared, so `changes` leaves it out rather than failing.
pub(crate) fn finding_key_of_row(
    code: String,
    cookie: String,
    domain: Option<String>,
) -> Option<FindingKey> {
    Some(FindingKey {
        code: FindingCode::parse(&code)?,
        cookie,
        domain,
    })
}

/// Timestamps are stored as RFC 3339 in UTC with a fixed width in SQLite, so text order is time
/// order.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
