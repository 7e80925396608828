//! The commands.

use std::io::IsTerminal;

use anyhow::Context;
use cookie_audit_audit::{
    ScanResult, ScanSettings, check_writable, load_knowledge_base, local_path, read_file_page,
    read_page, scan_site_until,
};
use cookie_audit_crawl::CancellationToken;
use cookie_audit_declared::extract_declarations;
use cookie_audit_diff::KnowledgeBase;
use cookie_audit_model::DeclarationStatus;
use cookie_audit_model::url_norm::parse_start_url;
use cookie_audit_report::{DeclaredListing, read_report_file, render};
use url::Url;

use crate::cli::{DeclaredArgs, DeclaredFormat, DemoArgs, OutputArgs, ReportArgs, ScanArgs};
use crate::exit::Exit;
use crate::options::ScanOptions;
use crate::output::{emit, file_options, print, terminal_options, write_file};
use crate::progress;

/// `cookie-audit scan URL`.
pub(crate) async fn scan(args: ScanArgs, quiet: bool) -> anyhow::Result<Exit> {
    let start = parse_start_url(&args.url).with_context(|| args.url.clone())?;
    let settings = args.options.resolve_settings()?;
    let kb = load_knowledge_base(args.options.cookie_db.as_deref())?;
    if let Some(out) = &args.output.out {
        check_writable(out)?;
    }
    let result = scan_until_interrupted(start.clone(), &settings, &kb, quiet).await?;
    emit(&result.report, &args.output)?;
    if let Some(exit) = ended_early(&result, &args.output, quiet) {
        return Ok(exit);
    }
    if let Some(error) = result.start_error {
        eprintln!("error: {start} could not be fetched: {error}");
        return Ok(Exit::Error);
    }
    Ok(Exit::for_report(&result.report, settings.fail_on))
}

/// `cookie-audit demo`: the fixture council on loopback, scanned offline.
pub(crate) async fn demo(args: DemoArgs, quiet: bool) -> anyhow::Result<Exit> {
    // The demo's own defaults: a quick, complete look at the fixture. The user's flags win, and
    // the fixture's host mappings are always there (the demo is offline by construction).
    let demo_defaults = ScanOptions {
        max_pages: Some(60),
        rate: Some(50.0),
        ..ScanOptions::default()
    };
    let mut options = args.options.merged_over(&demo_defaults);
    options.offline = Some(true);
    options.insecure = Some(true);
    options.resolve_settings()?;
    let kb = load_knowledge_base(options.cookie_db.as_deref())?;
    for path in [&args.output.out, &args.html].into_iter().flatten() {
        check_writable(path)?;
    }
    let server = cookie_audit_fixtures::council::start()
        .await
        .context("could not start the fixture site on 127.0.0.1")?;
    let start_url = server.http_url(cookie_audit_fixtures::council::COUNCIL, "/");
    if !quiet {
        eprintln!("Serving the fixture council at {start_url} (loopback only) and scanning it…");
    }
    options.resolve.extend(server.resolve_args());
    let settings = options.resolve_settings()?;
    let start = parse_start_url(&start_url)?;
    let result = scan_until_interrupted(start, &settings, &kb, quiet).await?;
    if let Some(path) = &args.html {
        let html = render(
            &result.report,
            cookie_audit_report::Format::Html,
            &Default::default(),
        );
        write_file(path, html.as_bytes())?;
    }
    emit(&result.report, &args.output)?;
    if let Some(exit) = ended_early(&result, &args.output, quiet) {
        return Ok(exit);
    }
    Ok(Exit::for_report(&result.report, settings.fail_on))
}

/// A scan that the first Ctrl-C or SIGTERM stops (the report covers what was visited) and a
/// second one ends at once.
async fn scan_until_interrupted(
    start: Url,
    settings: &ScanSettings,
    kb: &KnowledgeBase,
    quiet: bool,
) -> anyhow::Result<ScanResult> {
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    let watcher = tokio::spawn(async move {
        let first = progress::interrupted().await;
        eprintln!(
            "\n{first}: stopping; the report will cover the pages visited so far (again to quit at once)"
        );
        stopper.cancel();
        let second = progress::interrupted().await;
        eprintln!("{second}: quitting without a report");
        // Still one of the documented codes: 2, nothing (more) could be audited.
        std::process::exit(Exit::Error as i32);
    });
    let bar = progress::for_terminal(quiet);
    let result = scan_site_until(start, settings, kb, bar, cancel).await;
    watcher.abort();
    Ok(result?)
}

/// Notes for the user, and the exit of an interrupted scan: 2, after saying where the partial
/// report went.
fn ended_early(result: &ScanResult, output: &OutputArgs, quiet: bool) -> Option<Exit> {
    if !quiet {
        for note in &result.notes {
            eprintln!("warning: {note}");
        }
        if result.report.summary.ignored > 0 {
            eprintln!(
                "note: {} finding(s) accepted by the ignore file are listed under `ignored`",
                result.report.summary.ignored
            );
        }
    }
    if !result.interrupted {
        return None;
    }
    let written = match &output.out {
        Some(path) => format!("the partial report is in {}", path.display()),
        None => "the partial report was written to stdout".to_string(),
    };
    eprintln!(
        "error: interrupted after {} pages; {written}",
        result.report.crawl.pages_visited
    );
    Some(Exit::Error)
}

/// `cookie-audit declared URL|FILE`.
pub(crate) async fn declared(args: DeclaredArgs) -> anyhow::Result<Exit> {
    let (source_url, html) = if let Some(path) = local_path(&args.source) {
        read_file_page(&path)?
    } else {
        let url = parse_start_url(&args.source)
            .with_context(|| format!("{} (not a file either)", args.source))?;
        let settings = args.options.scan_options().resolve_settings()?;
        read_page(&url, &settings).await?
    };
    let extraction = extract_declarations(&html, &source_url);
    let mut warnings = extraction.warnings;
    if !html.contains('<') {
        warnings.push("the file has no HTML markup: only its prose was read".into());
    }
    let output = DeclaredListing {
        source: source_url.to_string(),
        status: if extraction.cookies.is_empty() {
            DeclarationStatus::NotFound
        } else {
            DeclarationStatus::Found
        },
        tables: extraction.tables,
        cookies: extraction.cookies,
        prose_mentions: extraction.prose_mentions,
        warnings,
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        DeclaredFormat::Table
    } else {
        DeclaredFormat::Json
    });
    match format {
        DeclaredFormat::Json => print(&serde_json::to_string_pretty(&output)?)?,
        DeclaredFormat::Table => print(&output.table())?,
    }
    Ok(Exit::Clean)
}

/// `cookie-audit report FILE --format …`.
pub(crate) fn report(args: ReportArgs) -> anyhow::Result<Exit> {
    let report = read_report_file(&args.file)?;
    // A file gets no colour codes and no terminal's width.
    let options = match &args.out {
        Some(_) => file_options(args.long),
        None => terminal_options(args.long),
    };
    let rendered = render(&report, args.format.format(), &options);
    match &args.out {
        Some(path) => write_file(path, rendered.as_bytes())?,
        None => print(&rendered)?,
    }
    Ok(Exit::Clean)
}
