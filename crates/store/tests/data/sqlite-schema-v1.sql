-- The SQLite schema as released in schema version 1 (crates/store/src/schema.rs before
-- PostgreSQL and rounds): what a history database made by an earlier cookie-audit holds.
-- Never edit: the tests open such a database with today's build.
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
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
INSERT INTO schema_version (version, applied_at) VALUES (1, '2025-06-01T02:00:00.000000Z');
