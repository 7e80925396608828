//! The files of an audit job: per site `<out-dir>/<site>/<UTC time>.json`, `latest.json` and
//! `latest.html`; for the whole job `<out-dir>/last-run.json` (one per shard with `--shard`). Every file is written atomically,
//! so a reader never sees half a report.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use cookie_audit_model::Report;
use cookie_audit_report::{Format, render, to_json, write_atomic};

use crate::job::shard::Shard;
use crate::job::summary::AuditSummary;

/// The job's summary file in the output directory.
pub const LAST_RUN_FILE: &str = "last-run.json";

/// The files a complete site's audit wrote.
pub(crate) struct Written {
    pub(crate) json: PathBuf,
    pub(crate) html: PathBuf,
}

/// `<dir>/<UTC time>.json`, `latest.json` and `latest.html`, each written atomically; the dated
/// file first, so `latest.*` never name a run whose own file is missing.
pub(crate) fn write_reports(dir: &Path, report: &Report) -> Result<Written, String> {
    let json = to_json(report);
    let stamped = write_stamped(dir, report.started_at, &json)?;
    let latest = dir.join("latest.json");
    write_atomic(&latest, json.as_bytes()).map_err(|e| write_error(&latest, &e))?;
    let html_path = dir.join("latest.html");
    let html = render(report, Format::Html, &Default::default());
    write_atomic(&html_path, html.as_bytes()).map_err(|e| write_error(&html_path, &e))?;
    Ok(Written {
        json: stamped,
        html: html_path,
    })
}

/// `<dir>/20250602T090312Z.json`: basic ISO 8601 in UTC, so names sort in time order and hold no
/// `:`. A second run started in the same second gets `-2`, never overwriting the first.
pub(crate) fn write_stamped(dir: &Path, at: DateTime<Utc>, json: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
    let stem = at.format("%Y%m%dT%H%M%SZ").to_string();
    let mut path = dir.join(format!("{stem}.json"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem}-{n}.json"));
        n += 1;
    }
    write_atomic(&path, json.as_bytes()).map_err(|e| write_error(&path, &e))?;
    Ok(path)
}

fn write_error(path: &Path, error: &std::io::Error) -> String {
    format!("could not write {}: {error}", path.display())
}

/// The summary's file name: `last-run.json`, or with `--shard 1/3` `last-run-shard-1-of-3.json`,
/// so workers of one array job sharing an output directory each keep theirs.
pub fn last_run_file(shard: Option<Shard>) -> String {
    match shard {
        None => LAST_RUN_FILE.to_string(),
        Some(shard) => format!("last-run-shard-{}-of-{}.json", shard.index(), shard.count()),
    }
}

/// `<out_dir>/last-run.json` (see [`last_run_file`]): the job's summary, pretty JSON.
pub(crate) fn write_last_run(
    out_dir: &Path,
    shard: Option<Shard>,
    summary: &AuditSummary,
) -> Result<(), String> {
    let json = serde_json::to_string_pretty(summary).map_err(|e| e.to_string())?;
    let path = out_dir.join(last_run_file(shard));
    write_atomic(&path, json.as_bytes()).map_err(|e| write_error(&path, &e))
}
