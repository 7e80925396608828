//! The commands.

use std::io::IsTerminal;

use anyhow::Context;
use cookie_audit_audit::{load_knowledge_base, read_page, scan_site};
use cookie_audit_declared::extract_declarations;
use cookie_audit_model::DeclarationStatus;
use cookie_audit_model::url_norm::parse_start_url;
use cookie_audit_report::{DeclaredListing, read_report_file, render};

use crate::cli::{DeclaredArgs, DeclaredFormat, DemoArgs, ReportArgs, ScanArgs};
use crate::exit::Exit;
use crate::options::ScanOptions;
use crate::output::{emit, file_options, print, terminal_options, write_file};
use crate::progress;

/// `cookie-audit scan URL`.
pub(crate) async fn scan(args: ScanArgs, quiet: bool) -> anyhow::Result<Exit> {
    let start = parse_start_url(&args.url).with_context(|| args.url.clone())?;
    let settings = args.options.resolve_settings()?;
    let kb = load_knowledge_base(args.options.cookie_db.as_deref())?;
    let result = scan_site(start.clone(), &settings, &kb, progress::for_terminal(quiet)).await?;
    emit(&result.report, &args.output)?;
    if let Some(error) = result.start_error {
        eprintln!("error: {start} could not be fetched: {error}");
        return Ok(Exit::Error);
    }
    Ok(Exit::for_report(&result.report, settings.fail_on))
}

/// `cookie-audit demo`: the fixture council on loopback, scanned offline.
pub(crate) async fn demo(args: DemoArgs, quiet: bool) -> anyhow::Result<Exit> {
    let server = cookie_audit_fixtures::council::start()
        .await
        .context("could not start the fixture site on 127.0.0.1")?;
    let start_url = server.http_url(cookie_audit_fixtures::council::COUNCIL, "/");
    if !quiet {
        eprintln!("Serving the fixture council at {start_url} (loopback only) and scanning it…");
    }
    // The demo's own defaults: a quick, complete look at the fixture. The user's flags win, and
    // the fixture's host mappings are always there (the demo is offline by construction).
    let demo_defaults = ScanOptions {
        max_pages: Some(60),
        rate: Some(50.0),
        ..ScanOptions::default()
    };
    let mut options = args.options.merged_over(&demo_defaults);
    options.resolve.extend(server.resolve_args());
    options.offline = Some(true);
    options.insecure = Some(true);
    let settings = options.resolve_settings()?;
    let kb = load_knowledge_base(options.cookie_db.as_deref())?;
    let start = parse_start_url(&start_url)?;
    let result = scan_site(start, &settings, &kb, progress::for_terminal(quiet)).await?;
    if let Some(path) = &args.html {
        let html = render(
            &result.report,
            cookie_audit_report::Format::Html,
            &Default::default(),
        );
        write_file(path, html.as_bytes())?;
    }
    emit(&result.report, &args.output)?;
    Ok(Exit::for_report(&result.report, settings.fail_on))
}

/// `cookie-audit declared URL|FILE`.
pub(crate) async fn declared(args: DeclaredArgs) -> anyhow::Result<Exit> {
    let path = std::path::Path::new(&args.source);
    let (source_url, html) = if path.is_file() {
        let bytes =
            std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
        let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let url = url::Url::from_file_path(&absolute)
            .map_err(|()| anyhow::anyhow!("{} is not a usable path", path.display()))?;
        (url, cookie_audit_crawl::html::decode(&bytes, None))
    } else {
        let url = parse_start_url(&args.source)
            .with_context(|| format!("{} (not a file either)", args.source))?;
        let settings = args.options.resolve_settings()?;
        read_page(&url, &settings).await?
    };
    let extraction = extract_declarations(&html, &source_url);
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
        warnings: extraction.warnings,
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
