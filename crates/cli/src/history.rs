//! `cookie-audit history <site>`: a site's audit runs over time, with counts by kind and how
//! much of the previous run each one read again.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use cookie_audit_audit::job::DEFAULT_DB;
use cookie_audit_audit::site_history;
use cookie_audit_store::{Location, RunStatus, RunSummary};

use crate::cli::{HistoryArgs, ListFormat};
use crate::exit::Exit;
use crate::output::print;

pub(crate) async fn history(args: HistoryArgs) -> anyhow::Result<Exit> {
    let db = history_location(args.db.as_deref(), args.config.as_deref());
    let history = site_history(&db, &args.site).await?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    match format {
        ListFormat::Json => print(&serde_json::to_string_pretty(&history)?)?,
        ListFormat::Table => print(&table(&history.site, &history.runs))?,
    }
    Ok(Exit::Clean)
}

/// The history database: `--db` (or `COOKIE_AUDIT_DB`) as a path or a `postgres://` URL, else
/// `cookie-audit.db` beside the audit config, else in the working directory.
pub(crate) fn history_location(db: Option<&str>, config: Option<&Path>) -> Location {
    match (db, config) {
        (Some(db), _) => Location::parse(db),
        (None, Some(config)) => config
            .parent()
            .unwrap_or(Path::new(""))
            .join(DEFAULT_DB)
            .into(),
        (None, None) => PathBuf::from(DEFAULT_DB).into(),
    }
}

fn table(site: &str, runs: &[RunSummary]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
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
        let n = |f: fn(&cookie_audit_model::Summary) -> u32| {
            counts.map(|c| f(c).to_string()).unwrap_or_default()
        };
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
                let error: String = run
                    .error
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                format!("failed: {error}")
            }
            RunStatus::Running => "in progress or interrupted".to_string(),
            RunStatus::Complete => run.status.to_string(),
        };
        table.add_row([
            run.id.0.to_string(),
            run.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
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
