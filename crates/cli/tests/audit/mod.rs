//! `cookie-audit audit` and `cookie-audit history`, end to end: the built binary against fixture
//! sites on 127.0.0.1, a config file, an output directory and a history database in a temporary
//! directory.

mod changes;
mod config;
mod kill;
mod many;
mod outcomes;
mod rounds;
mod sites;
mod webhook;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

/// A temporary directory holding the config, the reports and the database of one test.
pub(crate) struct Workspace {
    pub dir: tempfile::TempDir,
}

/// A finished run of the binary.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl Workspace {
    pub(crate) fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn config(&self) -> PathBuf {
        self.path("audit.toml")
    }

    pub(crate) fn out(&self) -> PathBuf {
        self.path("reports")
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.path("history.db")
    }

    pub(crate) fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).expect("write the config");
    }

    /// `cookie-audit audit` with this workspace's config, reports and database, the HTTP engine,
    /// JSON on stdout, and `extra` flags.
    pub(crate) async fn audit(&self, extra: &[&str]) -> Run {
        let mut args: Vec<String> = vec![
            "audit".into(),
            "--config".into(),
            path_arg(&self.config()),
            "--out-dir".into(),
            path_arg(&self.out()),
            "--db".into(),
            path_arg(&self.db()),
            "--engine".into(),
            "http".into(),
            "--format".into(),
            "json".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        run(&args, self.dir.path()).await
    }

    pub(crate) async fn history(&self, site: &str, format: &str) -> Run {
        run(
            &[
                "history".into(),
                site.into(),
                "--db".into(),
                path_arg(&self.db()),
                "--format".into(),
                format.into(),
            ],
            self.dir.path(),
        )
        .await
    }

    /// The JSON file at `path` under the output directory.
    pub(crate) fn report(&self, path: &str) -> Value {
        let text = std::fs::read_to_string(self.out().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).expect("a JSON report")
    }

    /// Every byte the audit left on disk: reports, summary, database and its journal.
    pub(crate) fn all_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut dirs = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
                }
            }
        }
        files
    }
}

pub(crate) fn path_arg(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temporary path").to_string()
}

pub(crate) fn binary() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cookie-audit"));
    command
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

pub(crate) async fn run(args: &[String], cwd: &Path) -> Run {
    let output = binary()
        .args(args)
        .current_dir(cwd)
        .output()
        .await
        .expect("run cookie-audit");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A `[defaults]` table for fixture sites: every host resolved to 127.0.0.1, nothing else
/// resolved at all, and unless `extra` says otherwise a fast rate and a small crawl.
pub(crate) fn defaults(resolve: &[String], extra: &str) -> String {
    let rules: Vec<String> = resolve.iter().map(|r| format!("\"{r}\"")).collect();
    let mut table = format!(
        "[defaults]\noffline = true\nresolve = [{}]\n{extra}\n",
        rules.join(", ")
    );
    for (key, value) in [("rate", "50"), ("max_pages", "10")] {
        if !extra.lines().any(|l| l.starts_with(&format!("{key} ="))) {
            table.push_str(&format!("{key} = {value}\n"));
        }
    }
    table
}

pub(crate) fn site(url: &str, extra: &str) -> String {
    format!("\n[[site]]\nurl = \"{url}\"\n{extra}\n")
}

/// The summary entry of `site` in an audit's JSON summary.
pub(crate) fn entry<'a>(summary: &'a Value, site: &str) -> &'a Value {
    summary["sites"]
        .as_array()
        .expect("a sites array")
        .iter()
        .find(|s| s["site"] == site)
        .unwrap_or_else(|| panic!("no {site} in {summary:#}"))
}
