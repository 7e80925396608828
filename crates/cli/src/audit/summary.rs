//! The audit job's summary as a terminal table (the JSON is the library's contract).

use cookie_audit_audit::{AuditSummary, SiteStatus};
use cookie_audit_model::Summary;

pub(crate) use cookie_audit_audit::job::summary::describe_changes;

/// The job's summary for a terminal: one row per site.
pub(crate) fn summary_table(summary: &AuditSummary) -> String {
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
    for site in &summary.sites {
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
            SiteStatus::Skipped => "skipped".to_string(),
        };
        table.add_row([
            site.site.clone(),
            status,
            counts(|c| c.observed),
            counts(|c| c.undeclared),
            counts(|c| c.stale),
            counts(|c| c.misdescribed),
            match (&site.skipped, &site.changes, &site.error) {
                (Some(skipped), _, _) => skipped.detail.chars().take(80).collect(),
                (None, _, Some(error)) => error.chars().take(80).collect(),
                (None, Some(changes), None) => describe_changes(changes),
                (None, None, None) => String::new(),
            },
        ]);
    }
    let shard = match &summary.shard {
        Some(shard) => format!(", shard {shard}"),
        None => String::new(),
    };
    format!(
        "{table}\n{} site(s) audited, {} failed, {} skipped (round {}{shard}); reports in {}\n",
        summary.complete,
        summary.failed,
        summary.skipped,
        summary.round,
        summary.out_dir.display()
    )
}
