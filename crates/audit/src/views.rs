//! The audit job's data as terminal tables: its summary, a site's history, the rounds and one
//! round's progress. The JSON of each is its serde form (documented contracts); these are the
//! views a person reads, kept beside the data as the report crate keeps the report's views, so
//! the binary only chooses between them.

use chrono::{DateTime, Utc};
use comfy_table::Table;
use cookie_audit_model::Summary;
use cookie_audit_store::{RoundProgress, RunStatus, SiteState};

use crate::history::{RoundsListing, SiteHistory};
use crate::job::plan::AuditPlan;
use crate::job::summary::{AuditSummary, SiteStatus, SiteSummary, describe_changes};

/// A table in the house style, with its header.
fn new_table<const N: usize>(header: [&str; N]) -> Table {
    let mut table = Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(header);
    table
}

/// At most `n` characters of `text`: an error in a table cell stays one readable line.
fn clip(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// The job's summary: one row per site.
pub fn summary_table(summary: &AuditSummary) -> String {
    let mut table = new_table([
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
                (Some(skipped), _, _) => clip(&skipped.detail, 80),
                (None, _, Some(error)) => clip(error, 80),
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

/// `audit --dry-run`: the sites this worker would audit, with the options that differ most
/// between sites (the JSON has them all).
pub fn plan_table(plan: &AuditPlan) -> String {
    let mut table = new_table([
        "Site",
        "URL",
        "Engine",
        "Max pages",
        "Consent runs",
        "Owner",
    ]);
    for site in &plan.sites {
        let choices: Vec<&str> = site
            .config
            .consent
            .unwrap_or_default()
            .choices()
            .iter()
            .map(|choice| choice.as_str())
            .collect();
        table.add_row([
            site.id.clone(),
            site.url.to_string(),
            site.config.engine.as_str().to_string(),
            site.config.max_pages.to_string(),
            if choices.is_empty() {
                "none".to_string()
            } else {
                choices.join(", ")
            },
            site.owner.clone().unwrap_or_default(),
        ]);
    }
    let shard = match &plan.shard {
        Some(shard) => format!(
            " (shard {shard}; {} left to other shards)",
            plan.other_shards
        ),
        None => String::new(),
    };
    let round = match &plan.round {
        Some(round) => format!("round {round}"),
        None => "a new round".to_string(),
    };
    format!(
        "{} checked: {} site(s) to audit{shard} in {round}.\nHistory in {}, reports in {}; \
         --dry-run: nothing fetched or written.\n{table}\n",
        plan.config.display(),
        plan.sites.len(),
        plan.db,
        plan.out_dir.display()
    )
}

/// One site done, for the progress lines on stderr: "✓ barnet.gov.uk: 14 cookies, 6 findings;
/// 1 new cookie(s) (3.2 s)".
pub fn progress_line(summary: &SiteSummary) -> String {
    let secs = (summary.finished_at - summary.started_at).num_milliseconds() as f64 / 1000.0;
    if let Some(skipped) = &summary.skipped {
        return format!("– {}: skipped, {}", summary.site, skipped.detail);
    }
    match (&summary.counts, &summary.error) {
        (Some(counts), None) => format!(
            "✓ {}: {} cookies, {} findings; {} ({secs:.1} s)",
            summary.site,
            counts.observed,
            counts.undeclared + counts.stale + counts.misdescribed,
            summary
                .changes
                .as_ref()
                .map(describe_changes)
                .unwrap_or_default(),
        ),
        (_, error) => format!(
            "✗ {}: {} ({secs:.1} s)",
            summary.site,
            error.as_deref().unwrap_or("failed")
        ),
    }
}

/// A site's runs, oldest first, with counts by kind and how much of the previous run each read
/// again.
pub fn history_table(history: &SiteHistory) -> String {
    let (site, runs) = (&history.site, &history.runs);
    let mut table = new_table([
        "Run",
        "Started (UTC)",
        "Status",
        "Engine",
        "Observed",
        "Declared",
        "Undeclared",
        "Stale",
        "Misdescribed",
        "Consent/CMP",
        "High/Med/Low",
        "Pages re-read",
        "Cookie table",
    ]);
    let mut previous_hash: Option<&str> = None;
    for run in runs {
        let counts = run.counts.as_ref();
        let n = |f: fn(&Summary) -> u32| counts.map(|c| f(c).to_string()).unwrap_or_default();
        let table_note = match (run.status, run.declaration_hash.as_deref()) {
            (RunStatus::Complete, Some(hash)) => {
                let note = match previous_hash {
                    None => "first",
                    Some(previous) if previous == hash => "same",
                    Some(_) => "changed",
                };
                previous_hash = Some(hash);
                note.to_string()
            }
            // A failed or unfinished run read no table: its error is its status, not a note on
            // the table (issue 15, item 11).
            (RunStatus::Failed | RunStatus::Running, _) | (RunStatus::Complete, None) => {
                String::new()
            }
        };
        let table_note = match run.declaration_status.as_deref() {
            Some("unreadable") => "unreadable".to_string(),
            _ => table_note,
        };
        let status = match run.status {
            RunStatus::Failed => {
                format!("failed: {}", clip(run.error.as_deref().unwrap_or(""), 60))
            }
            RunStatus::Running => "in progress or interrupted".to_string(),
            RunStatus::Complete => run.status.to_string(),
        };
        table.add_row([
            run.id.0.to_string(),
            when(run.started_at),
            status,
            run.engine.clone().unwrap_or_default(),
            n(|c| c.observed),
            n(|c| c.declared),
            n(|c| c.undeclared),
            n(|c| c.stale),
            n(|c| c.misdescribed),
            counts
                .map(|c| format!("{}/{}", c.consent, c.cmp_mismatch))
                .unwrap_or_default(),
            counts
                .map(|c| format!("{}/{}/{}", c.high, c.medium, c.low))
                .unwrap_or_default(),
            run.coverage
                .map(|c| format!("{} of {}", c.pages_revisited, c.previous_pages_visited))
                .unwrap_or_default(),
            table_note,
        ]);
    }
    format!("{site}: {} run(s)\n{table}\n", runs.len())
}

/// The rounds in the history, newest first.
pub fn rounds_table(listing: &RoundsListing) -> String {
    let rounds = &listing.rounds;
    let mut table = new_table([
        "Round",
        "Started (UTC)",
        "Last activity (UTC)",
        "Sites",
        "Complete",
        "Running",
        "Failed",
    ]);
    for round in rounds {
        table.add_row([
            round.round.to_string(),
            when(round.started_at),
            when(round.last_activity_at),
            round.sites.to_string(),
            round.complete.to_string(),
            round.running.to_string(),
            round.failed.to_string(),
        ]);
    }
    format!("{} round(s), newest first\n{table}\n", rounds.len())
}

/// Where each site of one round stands; `listed`: the config's sites were given, so sites no
/// worker has begun are counted.
pub fn round_table(progress: &RoundProgress, listed: bool) -> String {
    let mut table = new_table([
        "Site",
        "State",
        "Attempts",
        "Worker",
        "Heartbeat (UTC)",
        "Error",
    ]);
    for site in &progress.sites {
        table.add_row([
            site.site_id.clone(),
            state_word(site.state).to_string(),
            site.attempts.to_string(),
            site.worker.clone().unwrap_or_default(),
            site.heartbeat_at.map(when).unwrap_or_default(),
            clip(site.error.as_deref().unwrap_or(""), 60),
        ]);
    }
    let mut out = format!(
        "Round {}: {} complete, {} failed, {} in progress, {} stalled, {} left{}\n{table}\n",
        progress.round,
        progress.complete,
        progress.failed,
        progress.in_progress,
        progress.stalled,
        progress.left,
        if listed {
            ""
        } else {
            " (pass --config to count the sites no worker has begun)"
        },
    );
    if !progress.unlisted.is_empty() {
        out.push_str(&format!(
            "Also in the round but not in the config: {}\n",
            progress.unlisted.join(", ")
        ));
    }
    out
}

/// A time in the tables: UTC, to the second.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A site's state in a round, as the round table says it.
fn state_word(state: SiteState) -> &'static str {
    match state {
        SiteState::Complete => "complete",
        SiteState::Failed => "failed",
        SiteState::InProgress => "in progress",
        SiteState::Stalled => "stalled (lease run out)",
        SiteState::Left => "left",
    }
}
