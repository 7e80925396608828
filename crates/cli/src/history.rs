//! `cookie-audit history <site>`: a site's audit runs over time, with counts by kind.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::{host_of, parse_start_url};
use cookie_audit_store::{Location, RunStatus, RunSummary, Store};
use serde::Serialize;

use crate::audit::DEFAULT_DB;
use crate::cli::{HistoryArgs, ListFormat};
use crate::commands::UsageError;
use crate::exit::Exit;
use crate::output::print;

#[derive(Debug, Serialize)]
struct HistoryOutput<'a> {
    site: &'a str,
    /// A path, or a PostgreSQL URL without its password.
    db: String,
    /// Oldest first.
    runs: &'a [RunSummary],
}

pub async fn history(args: HistoryArgs) -> anyhow::Result<Exit> {
    let db = match (&args.db, &args.config) {
        // A path, or the URL of a PostgreSQL history shared by workers.
        (Some(db), _) => match db.to_str() {
            Some(given) => Location::parse(given),
            None => db.clone().into(),
        },
        (None, Some(config)) => config
            .parent()
            .unwrap_or(Path::new(""))
            .join(DEFAULT_DB)
            .into(),
        (None, None) => PathBuf::from(DEFAULT_DB).into(),
    };
    // Opening creates a SQLite file; a mistyped path must not leave an empty one behind.
    if let Some(path) = db.sqlite_path()
        && !path.is_file()
    {
        return Err(UsageError(format!(
            "no history database at {}: pass --db PATH, or --config FILE of the audit (the \
             database is beside it)",
            path.display()
        ))
        .into());
    }
    let store = Store::open(&db).await?;
    let known = store.sites().await?;
    let Some(site) = pick_site(&args.site, &known) else {
        let list = if known.is_empty() {
            "it has no runs yet".to_string()
        } else {
            format!("its sites are: {}", known.join(", "))
        };
        return Err(UsageError(format!("no runs of `{}` in {db}: {list}", args.site,)).into());
    };
    let runs = store.history(&site).await?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    match format {
        ListFormat::Json => print(&serde_json::to_string_pretty(&HistoryOutput {
            site: &site,
            db: db.to_string(),
            runs: &runs,
        })?)?,
        ListFormat::Table => print(&table(&site, &runs))?,
    }
    Ok(Exit::Clean)
}

/// The site as stored: its id as given, else the registrable domain of a URL or host name
/// (`https://www.barnet.gov.uk/` finds `barnet.gov.uk`).
fn pick_site(given: &str, known: &[String]) -> Option<String> {
    if known.iter().any(|k| k == given) {
        return Some(given.to_string());
    }
    let url = parse_start_url(given).ok()?;
    let domain = registrable_domain(&host_of(&url));
    known.iter().find(|k| **k == domain).cloned()
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
        "High/Med/Low",
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
            (RunStatus::Failed, _) => run
                .error
                .as_deref()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect(),
            (RunStatus::Running, _) => "in progress or interrupted".into(),
            (RunStatus::Complete, None) => String::new(),
        };
        table.add_row([
            run.id.0.to_string(),
            run.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            run.status.to_string(),
            run.engine.clone().unwrap_or_default(),
            n(|c| c.observed),
            n(|c| c.declared),
            n(|c| c.undeclared),
            n(|c| c.stale),
            n(|c| c.misdescribed),
            counts
                .map(|c| format!("{}/{}/{}", c.high, c.medium, c.low))
                .unwrap_or_default(),
            table_note,
        ]);
    }
    format!("{site}: {} run(s)\n{table}\n", runs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_found_by_id_url_or_host() {
        let known = vec!["barnet-libraries".to_string(), "barnet.gov.uk".to_string()];
        assert_eq!(
            pick_site("barnet-libraries", &known).as_deref(),
            Some("barnet-libraries")
        );
        assert_eq!(
            pick_site("https://www.barnet.gov.uk/council", &known).as_deref(),
            Some("barnet.gov.uk")
        );
        assert_eq!(
            pick_site("forms.barnet.gov.uk", &known).as_deref(),
            Some("barnet.gov.uk")
        );
        assert_eq!(pick_site("lbbd.gov.uk", &known), None);
    }
}
