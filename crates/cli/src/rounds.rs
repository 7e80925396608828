//! `cookie-audit rounds [ROUND]`: the audit rounds in the history, or where each site of one
//! round stands across the workers sharing it.

use std::io::IsTerminal;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cookie_audit_audit::{list_rounds, round_progress};
use cookie_audit_store::{Lease, RoundProgress, RoundSummary, SiteState};

use crate::audit::config;
use crate::cli::{ListFormat, RoundsArgs};
use crate::exit::Exit;
use crate::history::history_location;
use crate::options::ScanOptions;
use crate::output::print;

pub(crate) async fn rounds(args: RoundsArgs) -> anyhow::Result<Exit> {
    let db = history_location(args.db.as_deref(), args.config.as_deref());
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    let Some(round) = &args.round else {
        let listing = list_rounds(&db).await?;
        match format {
            ListFormat::Json => print(&serde_json::to_string_pretty(&listing)?)?,
            ListFormat::Table => print(&rounds_table(&listing.rounds))?,
        }
        return Ok(Exit::Clean);
    };
    // The config's sites are the round's list, so sites no worker has begun show as "left".
    let sites: Option<Vec<String>> = match &args.config {
        Some(path) => Some(
            config::load(path, &ScanOptions::default())?
                .sites
                .into_iter()
                .map(|s| s.id)
                .collect(),
        ),
        None => None,
    };
    let lease = Lease::new(Duration::from_secs(args.lease));
    let progress = round_progress(&db, round, sites.as_deref(), lease).await?;
    match format {
        ListFormat::Json => print(&serde_json::to_string_pretty(&progress)?)?,
        ListFormat::Table => print(&progress_table(&progress, sites.is_some()))?,
    }
    Ok(Exit::Clean)
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn rounds_table(rounds: &[RoundSummary]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
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

fn progress_table(progress: &RoundProgress, listed: bool) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
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
            site.error
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect(),
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

fn state_word(state: SiteState) -> &'static str {
    match state {
        SiteState::Complete => "complete",
        SiteState::Failed => "failed",
        SiteState::InProgress => "in progress",
        SiteState::Stalled => "stalled (lease run out)",
        SiteState::Left => "left",
    }
}
