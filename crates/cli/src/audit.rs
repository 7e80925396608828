//! `cookie-audit audit --config FILE`: the scheduled job, run by the library
//! ([`cookie_audit_audit::run_audit`], its config file read by [`config::load`] into the scan
//! options the flags fill). Here: the progress lines, the summary on stdout, failures on stderr
//! and the exit code.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use cookie_audit_audit::job::plan::{AuditPlan, PlanPlaces};
use cookie_audit_audit::job::{DEFAULT_OUT_DIR, config};
use cookie_audit_audit::views::{plan_table, progress_line, summary_table};
use cookie_audit_audit::{
    AuditEnd, AuditJob, AuditSummary, RoundPlan, SiteStatus, SiteSummary, Webhook,
    history_location, run_audit,
};
use cookie_audit_store::{Lease, RoundId, Store, worker_name};

use crate::cli::AuditArgs;
use crate::exit::Exit;
use crate::output::print_listing;
use crate::progress::interrupted;

/// `cookie-audit audit`.
pub(crate) async fn audit(args: AuditArgs, quiet: bool) -> anyhow::Result<Exit> {
    let config = config::load(&args.config, &args.options)?;
    let db = history_location(args.db.as_deref(), Some(&args.config));
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT_DIR));
    let webhook = match &args.webhook {
        Some(url) => Some(Webhook::new(
            url,
            &config.defaults.resolve_settings()?.crawl,
        )?),
        None => None,
    };
    if args.dry_run {
        let places = PlanPlaces {
            config: &args.config,
            db: &db,
            out_dir: &out_dir,
        };
        let plan = AuditPlan::new(&config.sites, args.shard, args.round.clone(), places);
        print_listing(&plan, args.format, plan_table)?;
        return Ok(Exit::Clean);
    }
    // A database that is down or unreadable now is a usage-level error (exit 2) before anything
    // is fetched, not a failure of every site.
    let store = Store::open(&db).await?;
    let round = round_plan(&args);
    let announce = !quiet && std::io::stderr().is_terminal();
    if announce {
        let share = match args.shard {
            Some(shard) => format!("shard {shard} of "),
            None => String::new(),
        };
        eprintln!(
            "Auditing {share}{} site(s), {} at a time, in round {}…",
            config.sites.len(),
            args.sites_concurrency,
            round.round
        );
    }
    let job = AuditJob {
        sites: config.sites,
        shard: args.shard,
        round,
        sites_concurrency: args.sites_concurrency as usize,
        out_dir,
        config_path: args.config.clone(),
        db,
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
        } => (*summary, last_run_error),
        AuditEnd::Interrupted { why, failed_runs } => {
            eprintln!("error: {why}; {failed_runs} run(s) in progress recorded as failed");
            return Ok(Exit::Error);
        }
    };
    if let Some(error) = last_run_error {
        eprintln!("error: {error}");
    }
    print_listing(&summary, args.format, summary_table)?;
    report_failures(&summary);
    if let Some(why) = &summary.stopped {
        eprintln!(
            "error: the worker stopped before its sites were done: {why}; run it again on round {} \
             (--round {}) to finish them",
            summary.round, summary.round
        );
    }
    Ok(match summary.exit_code {
        0 => Exit::Clean,
        1 => Exit::Findings,
        _ => Exit::Error,
    })
}

/// This worker's part in its round: `--round` (else a new one), `--lease`, `--max-attempts`.
fn round_plan(args: &AuditArgs) -> RoundPlan {
    RoundPlan {
        round: args
            .round
            .clone()
            .unwrap_or_else(|| RoundId::generate(chrono::Utc::now())),
        worker: worker_name(),
        lease: Lease::new(Duration::from_secs(args.lease)),
        max_attempts: args.max_attempts,
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
