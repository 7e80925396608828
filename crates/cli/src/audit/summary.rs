//! What an audit run tells its caller: one [`SiteSummary`] per site (also the webhook's payload)
//! and the [`AuditSummary`] of the whole run, as JSON or a terminal table.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use cookie_audit_model::{Changes, EngineKind, Summary};
use cookie_audit_store::RunId;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    /// Audited; the report is written and the run is complete in the history.
    Complete,
    /// Not audited; `error` says why. Other sites are not affected.
    Failed,
}

/// One site's outcome: a line of the run summary and the body of its webhook POST. Every field
/// is always present (null when it does not apply), so consumers see one shape.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    /// The site's id: its registrable domain, or the `id` of its `[[site]]`.
    pub site: String,
    pub url: String,
    pub owner: Option<String>,
    pub contact: Option<String>,
    pub tags: Vec<String>,
    pub status: SiteStatus,
    /// The run in the history database (null when the database could not record it).
    pub run_id: Option<RunId>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Why the site failed.
    pub error: Option<String>,
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
#[derive(Debug, Clone, Serialize)]
pub struct WebhookFailure {
    pub site: String,
    pub error: String,
}

/// The whole run: printed on stdout and written to `<out-dir>/last-run.json`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditSummary {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub config: PathBuf,
    pub db: PathBuf,
    pub out_dir: PathBuf,
    pub complete: usize,
    pub failed: usize,
    /// The exit status: 0 clean, 1 findings at or above `--fail-on`, 2 no site could be audited.
    pub exit_code: u8,
    pub sites: Vec<SiteSummary>,
    pub webhook_failures: Vec<WebhookFailure>,
}

impl AuditSummary {
    /// The summary for a terminal: one row per site.
    pub fn table(&self) -> String {
        let mut table = comfy_table::Table::new();
        table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header([
            "Site",
            "Status",
            "Observed",
            "Undeclared",
            "Stale",
            "Misdescribed",
            "Since last run",
        ]);
        for site in &self.sites {
            let counts = |f: fn(&Summary) -> u32| {
                site.counts
                    .as_ref()
                    .map(|c| f(c).to_string())
                    .unwrap_or_default()
            };
            let status = match site.status {
                SiteStatus::Complete if site.fails => "findings".to_string(),
                SiteStatus::Complete => "clean".to_string(),
                SiteStatus::Failed => "FAILED".to_string(),
            };
            table.add_row([
                site.site.clone(),
                status,
                counts(|c| c.observed),
                counts(|c| c.undeclared),
                counts(|c| c.stale),
                counts(|c| c.misdescribed),
                match (&site.changes, &site.error) {
                    (_, Some(error)) => error.chars().take(80).collect(),
                    (Some(changes), None) => describe_changes(changes),
                    (None, None) => String::new(),
                },
            ]);
        }
        format!(
            "{table}\n{} site(s) audited, {} failed; reports in {}\n",
            self.complete,
            self.failed,
            self.out_dir.display()
        )
    }
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
