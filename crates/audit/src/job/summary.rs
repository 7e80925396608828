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
    /// `complete` or `failed`.
    pub status: SiteStatus,
    /// The run in the history database (null when the database could not record it).
    pub run_id: Option<i64>,
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
    /// The history database, absolute.
    pub db: PathBuf,
    /// Where the reports were written, absolute.
    pub out_dir: PathBuf,
    /// Sites audited.
    pub complete: usize,
    /// Sites that could not be audited.
    pub failed: usize,
    /// The exit status: 0 clean, 1 findings at or above `--fail-on`, 2 no site could be audited.
    pub exit_code: u8,
    /// One entry per `[[site]]`, in the config's order.
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
    count(changes.gone_cookies.len(), "cookie(s) gone");
    count(changes.new_findings.len(), "new finding(s)");
    count(changes.resolved_findings.len(), "resolved");
    if changes.declaration_changed {
        parts.push("cookie table changed".into());
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
    use cookie_audit_model::{CookieKey, FindingCode, FindingKey};

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
    }
}
