//! `cookie-audit audit --config FILE`: the scheduled job. Every `[[site]]` is audited — several
//! at once, each with its own per-host rate limits — its report written to
//! `<out-dir>/<site>/`, its run kept in the history database with what changed since the last
//! complete run, and its summary POSTed to `--webhook`. A site that fails is recorded and listed;
//! the others go on.
//!
//! - [`config`]: the TOML file, errors pointing at its lines.
//! - [`run`]: one site, start to end.
//! - [`summary`]: what the run reports, per site and in all.
//! - [`webhook`]: the POST after each site.

pub mod config;
mod run;
pub mod summary;
mod webhook;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_report::write_atomic;
use cookie_audit_store::Store;
use tokio::sync::Semaphore;

use crate::cli::{AuditArgs, ListFormat};
use crate::exit::Exit;
use crate::output::print;
use crate::pipeline::knowledge_base;
use config::Site;
use summary::{AuditSummary, SiteStatus, SiteSummary, WebhookFailure};

/// The history database's file name when `--db` is not given: beside the config.
pub const DEFAULT_DB: &str = "cookie-audit.db";
/// Where reports go when `--out-dir` is not given (relative to the working directory).
pub const DEFAULT_OUT_DIR: &str = "reports";

/// `cookie-audit audit`.
pub async fn audit(args: AuditArgs, quiet: bool) -> anyhow::Result<Exit> {
    let started_at = Utc::now();
    let config = config::load(&args.config, &args.options)?;
    let db_path = args
        .db
        .clone()
        .unwrap_or_else(|| beside(&args.config, DEFAULT_DB));
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT_DIR));
    std::fs::create_dir_all(&out_dir).with_context(|| {
        format!(
            "could not create the output directory {}",
            out_dir.display()
        )
    })?;
    // Absolute paths in summaries and webhooks: their readers do not share our working directory.
    let out_dir = std::fs::canonicalize(&out_dir).unwrap_or(out_dir);
    let store = Store::open(&db_path).await?;
    let webhook = match &args.webhook {
        Some(url) => Some(Arc::new(webhook::Webhook::new(url, &config.defaults)?)),
        None => None,
    };
    let kbs = knowledge_bases(&config.sites)?;

    let announce = !quiet && std::io::stderr().is_terminal();
    if announce {
        eprintln!(
            "Auditing {} site(s), {} at a time…",
            config.sites.len(),
            args.sites_concurrency
        );
    }
    let shared = Arc::new(run::Shared::new(store, out_dir.clone()));
    let permits = Arc::new(Semaphore::new(args.sites_concurrency as usize));
    let mut domain_locks: HashMap<String, Arc<tokio::sync::Mutex<()>>> = HashMap::new();
    let mut tasks = Vec::new();
    for site in &config.sites {
        let site = Arc::new(site.clone());
        let kb = kbs[&site.options.cookie_db].clone();
        let domain_lock = domain_locks
            .entry(site.politeness_key())
            .or_default()
            .clone();
        let (shared, permits, webhook) = (shared.clone(), permits.clone(), webhook.clone());
        let task_site = site.clone();
        let task = tokio::spawn(async move {
            let site = task_site;
            // Two entries on one registrable domain crawl the same hosts: one at a time, so
            // the rate limit each keeps is the rate the site sees.
            let domain = domain_lock.lock_owned().await;
            let permit = permits.acquire_owned().await.expect("never closed");
            let summary = run::audit_site(&shared, &site, kb).await;
            drop(permit);
            drop(domain);
            if announce {
                eprintln!("{}", progress_line(&summary));
            }
            let webhook_error = match &webhook {
                Some(hook) => hook.post(&summary).await.err(),
                None => None,
            };
            if let Some(error) = &webhook_error {
                tracing::warn!("webhook for {}: {error}", summary.site);
            }
            (summary, webhook_error)
        });
        tasks.push((site, task));
    }

    let collected = async {
        let mut sites = Vec::new();
        let mut webhook_failures = Vec::new();
        for (site, task) in tasks {
            match task.await {
                Ok((summary, webhook_error)) => {
                    if let Some(error) = webhook_error {
                        webhook_failures.push(WebhookFailure {
                            site: summary.site.clone(),
                            error,
                        });
                    }
                    sites.push(summary);
                }
                // A panic is a bug, but it stays this site's problem. Its run stays `running` in the
                // history, like a run whose process was killed: never anyone's "previous".
                Err(e) => sites.push(panicked(&site, &e.to_string())),
            }
        }
        (sites, webhook_failures)
    };
    // SIGTERM (systemd, a container stopping) or Ctrl-C: the runs in progress are recorded as
    // failed rather than left `running` for ever; the browser's watchdog takes Chromium with us.
    let (sites, webhook_failures) = tokio::select! {
        collected = collected => collected,
        signal = interrupted() => {
            let why = format!("interrupted by {signal} before the audit finished");
            let failed = shared.fail_in_flight(&why).await;
            eprintln!("error: {why}; {failed} run(s) in progress recorded as failed");
            return Ok(Exit::Error);
        }
    };

    let complete = sites
        .iter()
        .filter(|s| s.status == SiteStatus::Complete)
        .count();
    let exit = if complete == 0 {
        Exit::Error
    } else if sites.iter().any(|s| s.fails) {
        Exit::Findings
    } else {
        Exit::Clean
    };
    let summary = AuditSummary {
        started_at,
        finished_at: Utc::now(),
        config: std::fs::canonicalize(&args.config).unwrap_or(args.config.clone()),
        db: std::fs::canonicalize(&db_path).unwrap_or(db_path),
        out_dir: out_dir.clone(),
        complete,
        failed: sites.len() - complete,
        exit_code: exit as u8,
        sites,
        webhook_failures,
    };
    let json = serde_json::to_string_pretty(&summary)?;
    let last_run = out_dir.join("last-run.json");
    if let Err(e) = write_atomic(&last_run, json.as_bytes()) {
        eprintln!("error: could not write {}: {e}", last_run.display());
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    match format {
        ListFormat::Json => print(&json)?,
        ListFormat::Table => print(&summary.table())?,
    }
    report_failures(&summary);
    Ok(exit)
}

/// The first SIGTERM or SIGINT, by name. Pending for ever if the handlers cannot be installed
/// (the default action then applies, as before).
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

fn beside(config: &Path, name: &str) -> PathBuf {
    config.parent().unwrap_or(Path::new("")).join(name)
}

/// One knowledge base per distinct `cookie_db`, loaded before any site starts, so a bad file is
/// a usage error rather than every site failing.
fn knowledge_bases(sites: &[Site]) -> anyhow::Result<HashMap<Option<PathBuf>, Arc<KnowledgeBase>>> {
    let mut kbs = HashMap::new();
    for site in sites {
        if !kbs.contains_key(&site.options.cookie_db) {
            let kb = knowledge_base(site.options.cookie_db.as_deref())?;
            kbs.insert(site.options.cookie_db.clone(), Arc::new(kb));
        }
    }
    Ok(kbs)
}

fn panicked(site: &Site, error: &str) -> SiteSummary {
    SiteSummary {
        error: Some(format!("internal error: {error}")),
        ..run::not_yet_audited(site, Utc::now())
    }
}

/// "✓ barnet.gov.uk: 14 cookies, 6 findings; 1 new cookie(s) (3.2 s)".
fn progress_line(summary: &SiteSummary) -> String {
    let secs = (summary.finished_at - summary.started_at).num_milliseconds() as f64 / 1000.0;
    match (&summary.counts, &summary.error) {
        (Some(counts), None) => format!(
            "✓ {}: {} cookies, {} findings; {} ({secs:.1} s)",
            summary.site,
            counts.observed,
            counts.undeclared + counts.stale + counts.misdescribed,
            summary
                .changes
                .as_ref()
                .map(summary::describe_changes)
                .unwrap_or_default(),
        ),
        (_, error) => format!(
            "✗ {}: {} ({secs:.1} s)",
            summary.site,
            error.as_deref().unwrap_or("failed")
        ),
    }
}

/// Failures go to stderr whatever the output format, so a cron mail or a journal shows them.
fn report_failures(summary: &AuditSummary) {
    let failed: Vec<&SiteSummary> = summary
        .sites
        .iter()
        .filter(|s| s.status == SiteStatus::Failed)
        .collect();
    if failed.is_empty() {
        return;
    }
    eprintln!(
        "error: {} of {} site(s) could not be audited:",
        failed.len(),
        summary.sites.len()
    );
    for site in failed {
        eprintln!(
            "  {} ({}): {}",
            site.site,
            site.url,
            site.error.as_deref().unwrap_or("failed")
        );
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    const SCHEDULING: &str = include_str!("../../../../docs/scheduling.md");

    /// Every `cookie-audit …` command line in the code blocks of docs/scheduling.md.
    fn documented_commands() -> Vec<Vec<String>> {
        let mut commands = Vec::new();
        let mut in_code = false;
        for line in SCHEDULING.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if !in_code {
                continue;
            }
            // `cd /srv/cookie-audit && cookie-audit audit …`: the program, not a directory.
            let Some(rest) = line
                .match_indices("cookie-audit ")
                .map(|(at, _)| &line[at + "cookie-audit ".len()..])
                .find(|rest| {
                    let word = rest.split_whitespace().next().unwrap_or("");
                    ["audit", "history", "report", "demo", "scan"].contains(&word)
                })
            else {
                continue;
            };
            let rest = rest.split(['>', '|']).next().unwrap_or("");
            let mut args = vec!["cookie-audit".to_string()];
            args.extend(rest.split_whitespace().map(str::to_string));
            commands.push(args);
        }
        commands
    }

    #[test]
    fn the_scheduling_guide_shows_commands_that_parse() {
        let commands = documented_commands();
        // The intro's two, history's two, cron, systemd and the screenshot's demo.
        assert_eq!(commands.len(), 7, "{commands:?}");
        for args in commands {
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!(
                    "docs/scheduling.md: `{}` does not parse: {e}",
                    args.join(" ")
                );
            }
        }
    }

    #[test]
    fn the_scheduling_guide_states_the_real_defaults() {
        let cli = Cli::try_parse_from(["cookie-audit", "audit", "--config", "a.toml"]).unwrap();
        let Command::Audit(args) = cli.command else {
            panic!("an audit command")
        };
        assert!(SCHEDULING.contains(&format!(
            "`--sites-concurrency` at a time (default {})",
            args.sites_concurrency
        )));
        assert!(SCHEDULING.contains(&format!(
            "default: {}/ in the working directory",
            super::DEFAULT_OUT_DIR
        )));
        assert!(SCHEDULING.contains(&format!("default: {} beside the config", super::DEFAULT_DB)));
        for (code, exit) in [
            (0, crate::exit::Exit::Clean),
            (1, crate::exit::Exit::Findings),
            (2, crate::exit::Exit::Error),
        ] {
            assert_eq!(exit as u8, code);
            assert!(
                SCHEDULING.contains(&format!("\n| {code} | ")),
                "exit {code}"
            );
        }
    }
}
