//! What an audit job tells its caller: one [`SiteSummary`] per site (also the webhook's body) and
//! the [`AuditSummary`] of the whole run (`<out-dir>/last-run.json`, printed by `cookie-audit
//! audit`).
//!
//! A contract like the report: documented field by field in docs/scheduling.md, its JSON Schema
//! in `docs/audit-summary-schema.json` (generated from these types, a test keeps it in sync),
//! read back as well as written. It grows by addition only.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use cookie_audit_model::{Changes, EngineKind, Summary};
use serde::{Deserialize, Serialize};

/// How one site's audit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    /// Audited; the report is written and the run is complete in the history.
    Complete,
    /// Not audited; `error` says why. Other sites are not affected.
    Failed,
    /// Left alone by this worker; `skipped` says why (complete in the round already, given up
    /// on, or not begun because the worker stopped). Not posted to the webhook.
    Skipped,
}

/// Why a worker left a site of its shard alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Complete in this round already: by an earlier attempt of this worker (a scheduler's
    /// retry), or by another worker given the same shard.
    AlreadyComplete,
    /// It failed `--max-attempts` times in this round: left alone, so a site that kills its
    /// worker every time does not take every retry of the round with it.
    GaveUp,
    /// Not begun: the worker stopped first, because the history database became unavailable.
    /// The scheduler's retry of the worker audits it.
    Stopped,
}

/// A site a worker left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Skipped {
    /// The reason, as a code.
    pub reason: SkipReason,
    /// The same in words, with the run or the last error.
    pub detail: String,
}

/// One site's outcome: a line of the run summary and the body of its webhook POST. Every field
/// is always present (null when it does not apply), so consumers see one shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SiteSummary {
    /// The site's id: its registrable domain, or the `id` of its `[[site]]`.
    pub site: String,
    /// The start URL audited.
    pub url: String,
    /// Who looks after the site (`owner` of its `[[site]]`).
    pub owner: Option<String>,
    /// Whom to tell (`contact` of its `[[site]]`).
    pub contact: Option<String>,
    /// The `tags` of its `[[site]]`.
    pub tags: Vec<String>,
    /// `complete`, `failed` or `skipped`.
    pub status: SiteStatus,
    /// The run in the history database (null when the database could not record it); for a
    /// site skipped as complete, the run that completed it.
    pub run_id: Option<i64>,
    /// Which attempt of the site in this round the run is (1 for the first; failed attempts
    /// count). Null when no run was begun.
    #[serde(default)]
    pub attempt: Option<u32>,
    /// Why this worker left the site alone (status `skipped`).
    #[serde(default)]
    pub skipped: Option<Skipped>,
    /// When this site's audit began (RFC 3339, UTC).
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Why the site failed.
    pub error: Option<String>,
    /// The engine that ran (null when the audit did not get that far).
    pub engine: Option<EngineKind>,
    /// Counts by kind and severity (the report's `summary`).
    pub counts: Option<Summary>,
    /// What changed since the previous complete run (the report's `changes`).
    pub changes: Option<Changes>,
    /// The JSON report of this run (a failed site's report too, when its crawl produced one).
    pub report: Option<PathBuf>,
    /// `latest.html` of the site, for a person to open.
    pub html: Option<PathBuf>,
    /// Findings at or above `--fail-on`: this site makes the audit exit 1.
    pub fails: bool,
}

/// A webhook that could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookFailure {
    /// The site whose summary was not delivered.
    pub site: String,
    /// Why, naming only the webhook's origin (its path may hold a secret).
    pub error: String,
}

/// The whole run: printed on stdout and written to `<out-dir>/last-run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditSummary {
    /// When the audit began (RFC 3339, UTC).
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// The audit config file, absolute.
    pub config: PathBuf,
    /// The history database: a SQLite file (absolute), or a PostgreSQL URL without its password.
    pub db: String,
    /// Where the reports were written, absolute.
    pub out_dir: PathBuf,
    /// The audit round this worker took part in (`--round`, or the one made for this run).
    #[serde(default)]
    pub round: String,
    /// This worker's name in the round's runs (`host:pid`).
    #[serde(default)]
    pub worker: String,
    /// `INDEX/COUNT` with `--shard`; null when the worker audits every site of the config.
    #[serde(default)]
    pub shard: Option<String>,
    /// Sites audited.
    pub complete: usize,
    /// Sites that could not be audited.
    pub failed: usize,
    /// Sites left alone (complete in the round already, given up on, or not begun).
    #[serde(default)]
    pub skipped: usize,
    /// Why the worker stopped before its sites were done: the history database became
    /// unavailable. It exits 2 then, so its scheduler retries it.
    #[serde(default)]
    pub stopped: Option<String>,
    /// The exit status: 0 clean, 1 findings at or above `--fail-on`, 2 when the worker stopped
    /// or every site it tried to audit failed.
    pub exit_code: u8,
    /// One entry per `[[site]]` of this worker's shard (every site without `--shard`), in the
    /// config's order.
    pub sites: Vec<SiteSummary>,
    /// Webhooks that could not be delivered.
    pub webhook_failures: Vec<WebhookFailure>,
}

/// The JSON Schema (draft 2020-12) of [`AuditSummary`], as `docs/audit-summary-schema.json`
/// holds it: pretty, with a final newline.
pub fn json_schema_string() -> String {
    let schema = schemars::schema_for!(AuditSummary);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}

/// "2 new cookies, 1 gone, 1 new finding, table changed" — or "first run", "no change".
pub fn describe_changes(changes: &Changes) -> String {
    if changes.previous_run_at.is_none() {
        return "first run".into();
    }
    let mut parts = Vec::new();
    let mut count = |n: usize, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    count(changes.new_cookies.len(), "new cookie(s)");
    count(changes.new_before_choice.len(), "new before a choice");
    count(changes.gone_cookies.len(), "cookie(s) gone");
    count(changes.new_findings.len(), "new finding(s)");
    count(changes.resolved_findings.len(), "resolved");
    let unchecked = changes.not_rechecked_cookies.len() + changes.not_rechecked_findings.len();
    count(unchecked, "not re-checked");
    if changes.declaration_changed {
        parts.push("cookie table changed".into());
    }
    if let Some(coverage) = changes.coverage.filter(|c| !c.is_complete()) {
        parts.push(format!(
            "{} of {} pages re-read",
            coverage.pages_revisited, coverage.previous_pages_visited
        ));
    }
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cookie_audit_model::{CookieKey, Coverage, FindingCode, FindingKey};

    #[test]
    fn changes_in_words() {
        assert_eq!(describe_changes(&Changes::default()), "first run");
        let mut changes = Changes {
            previous_run_at: Some(Utc::now()),
            ..Changes::default()
        };
        assert_eq!(describe_changes(&changes), "no change");
        changes.new_cookies.push(CookieKey {
            name: "_ga".into(),
            domain: "barnet.gov.uk".into(),
            path: "/".into(),
        });
        changes.resolved_findings.push(FindingKey {
            code: FindingCode::StaleNotObserved,
            cookie: "old".into(),
            domain: None,
        });
        changes.declaration_changed = true;
        assert_eq!(
            describe_changes(&changes),
            "1 new cookie(s), 1 resolved, cookie table changed"
        );
        changes
            .new_before_choice
            .push(changes.new_cookies[0].clone());
        changes
            .not_rechecked_cookies
            .push(changes.new_cookies[0].clone());
        changes.coverage = Some(Coverage {
            pages_visited: 5,
            previous_pages_visited: 40,
            pages_revisited: 5,
        });
        assert_eq!(
            describe_changes(&changes),
            "1 new cookie(s), 1 new before a choice, 1 resolved, 1 not re-checked, \
             cookie table changed, 5 of 40 pages re-read"
        );
        // A run that read every page again says nothing of coverage.
        changes.coverage = Some(Coverage {
            pages_visited: 41,
            previous_pages_visited: 40,
            pages_revisited: 40,
        });
        assert!(!describe_changes(&changes).contains("re-read"));
    }
}
