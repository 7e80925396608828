//! `cookie-audit`: CLI and glue. The work happens in the library crates, in pipeline order:
//! crawl → declared → diff → report/store.
#![allow(
    rustdoc::invalid_html_tags,
    rustdoc::broken_intra_doc_links,
    reason = "doc comments on the clap arguments are --help text (`<site>`, `[[site]]`), not rustdoc"
)]

mod audit;
mod cli;
mod commands;
mod exit;
mod history;
mod options;
mod output;
mod progress;

use std::process::ExitCode;

use clap::FromArgMatches;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};
use crate::exit::Exit;

// jemalloc, not glibc's malloc: the crawl allocates and frees a few small buffers per link and
// page from several threads, and glibc's malloc, free and fastbin consolidation were 17% of a
// 50,000-page crawl's CPU; with jemalloc the crawl costs 0.12 instead of 0.15 CPU ms a page and
// its peak memory grows less with the site (docs/PERFORMANCE.md, issue 17).
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&cli::command().get_matches()).unwrap_or_else(|e| e.exit());
    init_logging(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return Exit::Error.code();
        }
    };
    let quiet = cli.quiet;
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Scan(args) => commands::scan(args, quiet).await,
            Command::Demo(args) => commands::demo(args, quiet).await,
            Command::Declared(args) => commands::declared(args).await,
            Command::Report(args) => commands::report(args),
            Command::Audit(args) => audit::audit(args, quiet).await,
            Command::History(args) => history::history(args).await,
            Command::Rounds(args) => history::rounds(args).await,
        }
    });
    // Background tasks (fixture listeners, idle connections) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(exit) => exit.code(),
        Err(error) => {
            eprintln!("error: {error:#}");
            Exit::Error.code()
        }
    }
}

/// Logs go to stderr: warnings by default, more with -v, only errors with -q; RUST_LOG wins.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        // Our crates at the chosen level; dependencies one notch quieter unless asked.
        let deps = if verbose >= 3 { "debug" } else { "warn" };
        // chromiumoxide warns for every DevTools event its generated types cannot decode; the
        // browser engine reads those events from raw JSON, so the warnings are noise.
        let cdp = if verbose >= 3 { "debug" } else { "error" };
        EnvFilter::new(format!("{deps},chromiumoxide={cdp},cookie_audit={level},cookie_audit_audit={level},cookie_audit_crawl={level},cookie_audit_browser={level},cookie_audit_declared={level},cookie_audit_diff={level},cookie_audit_report={level},cookie_audit_store={level}"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
