//! The SQLite schema as an ordered list of migrations. Migration N brings a database from
//! version N-1 to N; `schema_version` records which have run. Migrations are only ever appended:
//! a released one is never edited, so every database reaches the same schema by the same steps.
//! `crate::postgres::schema` expresses the same migrations for PostgreSQL: the same tables and
//! columns in the same order (a test compares them), in that dialect's types.

use rusqlite::{Connection, TransactionBehavior};

/// Every migration, in order. The schema version of a database is how many of these it has run.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: runs and what each complete run saw.
    r#"
    CREATE TABLE runs (
        -- AUTOINCREMENT: ids only grow, so "before this run" is "a smaller id" even after
        -- deletions, and a crashed run's id is never handed out again.
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        site_id            TEXT NOT NULL,
        site_url           TEXT NOT NULL,
        status             TEXT NOT NULL DEFAULT 'running'
                           CHECK (status IN ('running', 'complete', 'failed')),
        started_at         TEXT NOT NULL,
        finished_at        TEXT,
        error              TEXT,
        engine             TEXT,
        tool_version       TEXT,
        declaration_status TEXT,
        declaration_hash   TEXT,
        declared           INTEGER,
        observed           INTEGER,
        undeclared         INTEGER,
        stale              INTEGER,
        misdescribed       INTEGER,
        high               INTEGER,
        medium             INTEGER,
        low                INTEGER,
        report_json        TEXT
    );
    CREATE INDEX runs_by_site ON runs (site_id, id);

    CREATE TABLE observed_cookies (
        run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name            TEXT NOT NULL,
        domain          TEXT NOT NULL,
        path            TEXT NOT NULL,
        host_only       INTEGER NOT NULL,
        session         INTEGER NOT NULL,
        lifetime_seconds INTEGER,
        secure          INTEGER NOT NULL,
        http_only       INTEGER NOT NULL,
        same_site       TEXT,
        partitioned     INTEGER NOT NULL,
        party           TEXT NOT NULL,
        source          TEXT NOT NULL,
        set_by_url      TEXT NOT NULL,
        first_seen_page TEXT NOT NULL,
        pages           INTEGER NOT NULL,
        value_length    INTEGER NOT NULL,
        value_sha256    TEXT NOT NULL,
        rejected        TEXT,
        malformed       TEXT
    );
    CREATE INDEX observed_by_run ON observed_cookies (run_id);

    CREATE TABLE declared_cookies (
        run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position       INTEGER NOT NULL,
        name           TEXT NOT NULL,
        pattern        INTEGER NOT NULL,
        glob           TEXT,
        provider       TEXT,
        domain         TEXT,
        purpose        TEXT,
        category       TEXT,
        expiry_text    TEXT,
        expiry_session INTEGER,
        expiry_seconds INTEGER,
        source_url     TEXT NOT NULL,
        source_table   INTEGER NOT NULL,
        source_row     INTEGER NOT NULL
    );
    CREATE INDEX declared_by_run ON declared_cookies (run_id);

    CREATE TABLE findings (
        run_id   INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        code     TEXT NOT NULL,
        kind     TEXT NOT NULL,
        cookie   TEXT NOT NULL,
        domain   TEXT,
        field    TEXT,
        reason   TEXT,
        severity TEXT NOT NULL,
        message  TEXT NOT NULL,
        declared TEXT,
        observed TEXT
    );
    CREATE INDEX findings_by_run ON findings (run_id);
    "#,
    // 2: audit rounds shared by workers, claims and leases.
    r#"
    ALTER TABLE runs ADD COLUMN round_id TEXT;
    ALTER TABLE runs ADD COLUMN worker TEXT;
    ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
    -- At most one running or complete run of a site per round: two workers claiming the same
    -- site cannot both hold it, whatever the timing. Failed runs (retries) are outside it, and
    -- runs outside any round (round_id NULL) never conflict.
    CREATE UNIQUE INDEX runs_live_per_round_site ON runs (round_id, site_id)
        WHERE status IN ('running', 'complete');
    CREATE INDEX runs_by_round ON runs (round_id, site_id, id);
    "#,
    // 3: consent states per observed cookie, the consent counts, and each run's coverage of the
    // previous one. Rows written before have NULL states (their stored report has them); the
    // counts of complete runs are filled from their stored reports.
    r#"
    ALTER TABLE observed_cookies ADD COLUMN state_none INTEGER;
    ALTER TABLE observed_cookies ADD COLUMN state_accept INTEGER;
    ALTER TABLE observed_cookies ADD COLUMN state_reject INTEGER;
    ALTER TABLE observed_cookies ADD COLUMN set_then_deleted INTEGER;
    ALTER TABLE observed_cookies ADD COLUMN stored_after_accept INTEGER;
    ALTER TABLE observed_cookies ADD COLUMN stored_after_reject INTEGER;
    ALTER TABLE runs ADD COLUMN consent INTEGER;
    ALTER TABLE runs ADD COLUMN cmp_mismatch INTEGER;
    ALTER TABLE runs ADD COLUMN coverage_pages INTEGER;
    ALTER TABLE runs ADD COLUMN coverage_previous_pages INTEGER;
    ALTER TABLE runs ADD COLUMN coverage_revisited INTEGER;
    UPDATE runs
    SET consent = COALESCE(json_extract(report_json, '$.summary.consent'), 0),
        cmp_mismatch = COALESCE(json_extract(report_json, '$.summary.cmp_mismatch'), 0)
    WHERE status = 'complete' AND json_valid(report_json);
    "#,
];

/// The schema version this build writes.
pub(crate) const LATEST: u32 = MIGRATIONS.len() as u32;

pub(crate) enum Outcome {
    /// The database is at `LATEST` now.
    Current,
    /// A newer cookie-audit wrote it; this build must not touch it.
    TooNew { found: u32 },
}

/// Brings the database to [`LATEST`]. One immediate transaction: two processes opening a new
/// database at once run the migrations once, the second waiting on the busy timeout.
pub(crate) fn migrate(conn: &mut Connection) -> Result<Outcome, (u32, rusqlite::Error)> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| (0, e))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    INTEGER PRIMARY KEY,
             applied_at TEXT NOT NULL
         )",
    )
    .map_err(|e| (0, e))?;
    let current: u32 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(|e| (0, e))?;
    if current > LATEST {
        return Ok(Outcome::TooNew { found: current });
    }
    let now = crate::timestamp(chrono::Utc::now());
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as u32 + 1;
        tx.execute_batch(sql).map_err(|e| (version, e))?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, now],
        )
        .map_err(|e| (version, e))?;
    }
    tx.commit().map_err(|e| (LATEST, e))?;
    Ok(Outcome::Current)
}
