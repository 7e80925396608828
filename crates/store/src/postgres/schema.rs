//! The PostgreSQL schema: the same migrations as `crate::sqlite::schema`, one for one, with the
//! same tables and columns in the same order, in PostgreSQL's types: BIGINT for every integer
//! (SQLite's are 64-bit too), BOOLEAN for flags, TIMESTAMPTZ for times, an identity column for
//! run ids. A test compares the two schemas column by column.
//!
//! Migrations run in one transaction holding an advisory lock, so workers starting together on
//! a new database migrate it once; the others wait, then find it current.

use deadpool_postgres::Transaction;

/// Every migration, in order, as in `crate::sqlite::schema::MIGRATIONS`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: runs and what each complete run saw.
    r#"
    CREATE TABLE runs (
        -- An identity: ids only grow, so "before this run" is "a smaller id", and a crashed
        -- run's id is never handed out again.
        id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site_id            TEXT NOT NULL,
        site_url           TEXT NOT NULL,
        status             TEXT NOT NULL DEFAULT 'running'
                           CHECK (status IN ('running', 'complete', 'failed')),
        started_at         TIMESTAMPTZ NOT NULL,
        finished_at        TIMESTAMPTZ,
        error              TEXT,
        engine             TEXT,
        tool_version       TEXT,
        declaration_status TEXT,
        declaration_hash   TEXT,
        declared           BIGINT,
        observed           BIGINT,
        undeclared         BIGINT,
        stale              BIGINT,
        misdescribed       BIGINT,
        high               BIGINT,
        medium             BIGINT,
        low                BIGINT,
        report_json        TEXT
    );
    CREATE INDEX runs_by_site ON runs (site_id, id);

    CREATE TABLE observed_cookies (
        run_id          BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name            TEXT NOT NULL,
        domain          TEXT NOT NULL,
        path            TEXT NOT NULL,
        host_only       BOOLEAN NOT NULL,
        session         BOOLEAN NOT NULL,
        lifetime_seconds BIGINT,
        secure          BOOLEAN NOT NULL,
        http_only       BOOLEAN NOT NULL,
        same_site       TEXT,
        partitioned     BOOLEAN NOT NULL,
        party           TEXT NOT NULL,
        source          TEXT NOT NULL,
        set_by_url      TEXT NOT NULL,
        first_seen_page TEXT NOT NULL,
        pages           BIGINT NOT NULL,
        value_length    BIGINT NOT NULL,
        value_sha256    TEXT NOT NULL,
        rejected        TEXT,
        malformed       TEXT
    );
    CREATE INDEX observed_by_run ON observed_cookies (run_id);

    CREATE TABLE declared_cookies (
        run_id         BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position       BIGINT NOT NULL,
        name           TEXT NOT NULL,
        pattern        BOOLEAN NOT NULL,
        glob           TEXT,
        provider       TEXT,
        domain         TEXT,
        purpose        TEXT,
        category       TEXT,
        expiry_text    TEXT,
        expiry_session BOOLEAN,
        expiry_seconds BIGINT,
        source_url     TEXT NOT NULL,
        source_table   BIGINT NOT NULL,
        source_row     BIGINT NOT NULL
    );
    CREATE INDEX declared_by_run ON declared_cookies (run_id);

    CREATE TABLE findings (
        run_id   BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position BIGINT NOT NULL,
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
    ALTER TABLE runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
    -- At most one running or complete run of a site per round: two workers claiming the same
    -- site cannot both hold it, whatever the timing. Failed runs (retries) are outside it, and
    -- runs outside any round (round_id NULL) never conflict.
    CREATE UNIQUE INDEX runs_live_per_round_site ON runs (round_id, site_id)
        WHERE status IN ('running', 'complete');
    CREATE INDEX runs_by_round ON runs (round_id, site_id, id);
    "#,
    // 3: consent states per observed cookie, the consent counts, and each run's coverage of the
    // previous one. Rows written before have NULL states (their stored report has them); the
    // counts of complete runs are filled from their stored reports (always JSON: we wrote them).
    r#"
    ALTER TABLE observed_cookies ADD COLUMN state_none BOOLEAN;
    ALTER TABLE observed_cookies ADD COLUMN state_accept BOOLEAN;
    ALTER TABLE observed_cookies ADD COLUMN state_reject BOOLEAN;
    ALTER TABLE observed_cookies ADD COLUMN set_then_deleted BOOLEAN;
    ALTER TABLE observed_cookies ADD COLUMN stored_after_accept BOOLEAN;
    ALTER TABLE observed_cookies ADD COLUMN stored_after_reject BOOLEAN;
    ALTER TABLE runs ADD COLUMN consent BIGINT;
    ALTER TABLE runs ADD COLUMN cmp_mismatch BIGINT;
    ALTER TABLE runs ADD COLUMN coverage_pages BIGINT;
    ALTER TABLE runs ADD COLUMN coverage_previous_pages BIGINT;
    ALTER TABLE runs ADD COLUMN coverage_revisited BIGINT;
    UPDATE runs
    SET consent = COALESCE((report_json::jsonb -> 'summary' ->> 'consent')::BIGINT, 0),
        cmp_mismatch = COALESCE((report_json::jsonb -> 'summary' ->> 'cmp_mismatch')::BIGINT, 0)
    WHERE status = 'complete' AND report_json IS NOT NULL;
    "#,
];

/// The schema version this build writes; equal to SQLite's (a test checks).
pub(crate) const LATEST: u32 = MIGRATIONS.len() as u32;

/// Any constant will do, as long as it is ours: the key of the advisory lock migrations hold.
/// ("cookie-a" in ASCII.)
const MIGRATION_LOCK: i64 = 0x636f_6f6b_6965_2d61;

pub(crate) enum Outcome {
    Current,
    TooNew { found: u32 },
}

/// Brings the database to [`LATEST`] inside `tx` (the caller commits). Errors carry the version
/// being applied, 0 before any.
pub(crate) async fn migrate(tx: &Transaction<'_>) -> Result<Outcome, (u32, tokio_postgres::Error)> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| (0, e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL
         )",
    )
    .await
    .map_err(|e| (0, e))?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| (0, e))?;
    let current = u32::try_from(current).unwrap_or(u32::MAX);
    if current > LATEST {
        return Ok(Outcome::TooNew { found: current });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as u32 + 1;
        tx.batch_execute(sql).await.map_err(|e| (version, e))?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, now())",
            &[&i64::from(version)],
        )
        .await
        .map_err(|e| (version, e))?;
    }
    Ok(Outcome::Current)
}
