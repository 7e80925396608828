//! `cookie-audit audit --config FILE`: the scheduled job, run by the library
//! ([`cookie_audit_audit::run_audit`]). Here: the config file, the progress lines, the summary on
//! stdout, failures on stderr and the exit code.
//!
//! - [`config`]: the TOML file, errors pointing at its lines.
//! - [`summary`]: the job's summary as a terminal table.

pub(crate) mod config;
pub(crate) mod summary;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use cookie_audit_audit::job::{DEFAULT_DB, DEFAULT_OUT_DIR};
use cookie_audit_audit::{
    AuditEnd, AuditJob, AuditSummary, SiteStatus, SiteSummary, Webhook, run_audit,
};
use cookie_audit_store::Store;

use crate::cli::{AuditArgs, ListFormat};
use crate::exit::Exit;
use crate::output::print;
use crate::progress::interrupted;
use summary::{describe_changes, summary_table};

/// `cookie-audit audit`.
pub(crate) async fn audit(args: AuditArgs, quiet: bool) -> anyhow::Result<Exit> {
    let config = config::load(&args.config, &args.options)?;
    let db_path = args
        .db
        .clone()
        .unwrap_or_else(|| beside(&args.config, DEFAULT_DB));
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT_DIR));
    let store = Store::open(&db_path).await?;
    let webhook = match &args.webhook {
        Some(url) => Some(Webhook::new(
            url,
            &config.defaults.resolve_settings()?.crawl,
        )?),
        None => None,
    };
    let announce = !quiet && std::io::stderr().is_terminal();
    if announce {
        eprintln!(
            "Auditing {} site(s), {} at a time…",
            config.sites.len(),
            args.sites_concurrency
        );
    }
    let job = AuditJob {
        sites: config.sites,
        sites_concurrency: args.sites_concurrency as usize,
        out_dir,
        config_path: args.config.clone(),
        db_path,
        store,
        webhook,
    };
    let on_site = move |summary: &SiteSummary| {
        if announce {
            eprintln!("{}", progress_line(summary));
        }
    };
    // SIGTERM (systemd, a container stopping) or Ctrl-C: the runs in progress are recorded as
    // failed rather than left `running` for ever; the browser's watchdog takes Chromium with us.
    let stop = async {
        format!(
            "interrupted by {} before the audit finished",
            interrupted().await
        )
    };
    let (summary, last_run_error) = match run_audit(job, on_site, stop).await? {
        AuditEnd::Finished {
            summary,
            last_run_error,
        } => (summary, last_run_error),
        AuditEnd::Interrupted { why, failed_runs } => {
            eprintln!("error: {why}; {failed_runs} run(s) in progress recorded as failed");
            return Ok(Exit::Error);
        }
    };
    if let Some(error) = last_run_error {
        eprintln!("error: {error}");
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    match format {
        ListFormat::Json => print(&serde_json::to_string_pretty(&summary)?)?,
        ListFormat::Table => print(&summary_table(&summary))?,
    }
    report_failures(&summary);
    Ok(match summary.exit_code {
        0 => Exit::Clean,
        1 => Exit::Findings,
        _ => Exit::Error,
    })
}

fn beside(config: &Path, name: &str) -> PathBuf {
    config.parent().unwrap_or(Path::new("")).join(name)
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
