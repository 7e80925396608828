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
/// `:`. A second run started in the same second gets `-2`, never overwriting the first — even
/// when both write at the same moment: the full report goes to a temporary file, which is then
/// linked under the first free name in one step that fails if the name exists (tempfile's
/// `persist_noclobber`), so there is no gap between "is it free?" and "take it" and a reader
/// still never sees half a report.
pub(crate) fn write_stamped(dir: &Path, at: DateTime<Utc>, json: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
    let stem = at.format("%Y%m%dT%H%M%SZ").to_string();
    let mut tmp = temporary_report(dir, json)?;
    let mut n = 1;
    loop {
        let path = match n {
            1 => dir.join(format!("{stem}.json")),
            _ => dir.join(format!("{stem}-{n}.json")),
        };
        match tmp.persist_noclobber(&path) {
            Ok(_) => {
                sync_dir(dir)?;
                return Ok(path);
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                tmp = e.file;
                n += 1;
            }
            Err(e) => return Err(write_error(&path, &e.error)),
        }
    }
}

/// The report, written and synced to a hidden temporary file in `dir` with the mode any new file
/// gets (tempfile's default is owner-only; a web server publishing `reports/` must read it).
fn temporary_report(dir: &Path, json: &str) -> Result<tempfile::NamedTempFile, String> {
    use std::io::Write;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".report.").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| write_error(dir, &e))?;
    tmp.write_all(json.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| write_error(tmp.path(), &e))?;
    Ok(tmp)
}

/// Makes the new name durable (the rename or link is a change to the directory).
fn sync_dir(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| write_error(dir, &e))?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Barrier};

    use super::*;

    /// Two audits started in the same second once overwrote one dated report: both saw the
    /// name free, both renamed onto it. Writers released together must each keep their file.
    #[test]
    fn writers_of_the_same_second_never_overwrite_each_other() {
        const WRITERS: usize = 8;
        let at = DateTime::parse_from_rfc3339("2025-06-02T09:03:12Z")
            .unwrap()
            .with_timezone(&Utc);
        for _round in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let start = Arc::new(Barrier::new(WRITERS));
            let writers: Vec<_> = (0..WRITERS)
                .map(|i| {
                    let (dir, start) = (dir.path().to_path_buf(), start.clone());
                    std::thread::spawn(move || {
                        let json = format!("{{\"writer\": {i}}}\n");
                        start.wait();
                        (write_stamped(&dir, at, &json).unwrap(), json)
                    })
                })
                .collect();
            let mut names = BTreeSet::new();
            for writer in writers {
                let (path, json) = writer.join().unwrap();
                assert_eq!(std::fs::read_to_string(&path).unwrap(), json, "{path:?}");
                names.insert(path.file_name().unwrap().to_string_lossy().into_owned());
            }
            let expected: BTreeSet<String> = std::iter::once("20250602T090312Z.json".to_string())
                .chain((2..=WRITERS).map(|n| format!("20250602T090312Z-{n}.json")))
                .collect();
            assert_eq!(names, expected);
            let on_disk = std::fs::read_dir(dir.path()).unwrap().count();
            assert_eq!(on_disk, WRITERS, "no temporary file is left behind");
        }
    }
}
