//! The store's one error type. Every variant names the database (a path, or a URL without its
//! password) and what the store was doing, so a line in a worker's log is enough to act on.

use std::time::Duration;

use crate::location::Location;
use crate::{RunId, RunStatus, SCHEMA_VERSION};

/// What the database driver said, from either backend.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
}

impl DbError {
    /// The connection is gone (server stopped, network cut): the operation may work again later,
    /// on a new connection.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            DbError::Sqlite(_) => false,
            // Closed or an I/O failure under the driver; or the server's own word that it is
            // going away (class 08, connection exception; class 57, operator intervention:
            // shutdown, or a statement cancelled by its timeout).
            DbError::Postgres(e) => {
                e.is_closed()
                    || e.code()
                        .is_some_and(|c| c.code().starts_with("08") || c.code().starts_with("57"))
                    || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use {location} as the history database: {reason}")]
    BadLocation { location: Location, reason: String },
    #[error("cannot open the history database {location}")]
    Open {
        location: Location,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot connect to the history database {location}")]
    Connect {
        location: Location,
        #[source]
        source: DbError,
    },
    #[error(
        "history database {location}: {action} took longer than {} s; is the database reachable?",
        after.as_secs_f64()
    )]
    Timeout {
        location: Location,
        action: String,
        after: Duration,
    },
    #[error(
        "the history database {location} cannot use write-ahead logging (journal mode stays \
         {mode}); is it on a network file system?"
    )]
    NoWal { location: Location, mode: String },
    #[error("cannot migrate the history database {location} to schema version {version}")]
    Migrate {
        location: Location,
        version: u32,
        #[source]
        source: DbError,
    },
    #[error(
        "the history database {location} has schema version {found}, newer than this \
         cookie-audit knows ({SCHEMA_VERSION}): upgrade cookie-audit, or use another --db"
    )]
    TooNew { location: Location, found: u32 },
    #[error("history database {location}: cannot {action}")]
    Sql {
        location: Location,
        action: String,
        #[source]
        source: DbError,
    },
    #[error("history database {location}: no {run}")]
    RunNotFound { location: Location, run: RunId },
    #[error("history database {location}: {run} is already {status}")]
    RunNotRunning {
        location: Location,
        run: RunId,
        status: RunStatus,
    },
    #[error("history database {location}: the stored data of {run} is unreadable: {detail}")]
    Corrupt {
        location: Location,
        run: RunId,
        detail: String,
    },
    #[error("history database {location} failed its integrity check: {detail}")]
    Integrity { location: Location, detail: String },
    #[error(
        "history database {location}: could not {action}: other workers changed it {tries} times in a row"
    )]
    Contended {
        location: Location,
        action: String,
        tries: usize,
    },
    #[error("history database {location}: the operation was cancelled (shutting down)")]
    Cancelled { location: Location },
    #[error("`{given}` is not a round id: {reason}")]
    BadRound { given: String, reason: &'static str },
}

impl StoreError {
    /// The database could not be reached, or stopped answering: not a fault of the data, and an
    /// operation retried later (or by another worker, via the lease) may succeed. A worker that
    /// meets this mid-round should stop and exit non-zero, so its scheduler retries it.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } | StoreError::Timeout { .. } => true,
            StoreError::Sql { source, .. } => source.is_connection_lost(),
            _ => false,
        }
    }

    /// A lease lost: the run is no longer `running`, because another worker judged it abandoned
    /// (or it was finished elsewhere). The holder must stop auditing it.
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, StoreError::RunNotRunning { .. })
    }
}
