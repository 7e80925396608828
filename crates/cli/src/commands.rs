//! The commands.

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, bail};
use cookie_audit_browser::{BrowserEngine, BrowserOptions};
use cookie_audit_crawl::fetch::{ACCEPT_HTML, BodyPolicy, FetchRequest, fetch};
use cookie_audit_crawl::record::PageRef;
use cookie_audit_crawl::{CrawlContext, Engine, NoProgress, PageTask};
use cookie_audit_declared::extract_declarations;
use cookie_audit_model::url_norm::parse_start_url;
use cookie_audit_model::{DeclarationStatus, DeclaredCookie, ProseMention};
use cookie_audit_report::{read_report_file, render};
use serde::Serialize;

use crate::cli::{DeclaredArgs, DeclaredFormat, DemoArgs, ReportArgs, ScanArgs};
use crate::exit::Exit;
use crate::options::ScanOptions;
use crate::output::{emit, print, terminal_options, write_file};
use crate::pipeline::{PipelineError, ResolvedEngine, knowledge_base, resolve_engine, run_scan};
use crate::progress;

/// `cookie-audit scan URL`.
pub async fn scan(args: ScanArgs, quiet: bool) -> anyhow::Result<Exit> {
    let start = parse_start_url(&args.url).map_err(|e| UsageError(format!("{}: {e}", args.url)))?;
    let config = args
        .options
        .resolve_config()
        .map_err(|e| UsageError(e.to_string()))?;
    let kb = Arc::new(knowledge_base(args.options.cookie_db.as_deref())?);
    let fail_on = config.fail_on;
    let result = run_scan(
        start.clone(),
        config,
        args.options.chrome.as_deref(),
        kb,
        progress::for_terminal(quiet),
    )
    .await?;
    emit(&result.report, &args.output)?;
    if let Some(error) = result.start_error {
        eprintln!("error: {start} could not be fetched: {error}");
        return Ok(Exit::Error);
    }
    Ok(Exit::for_report(&result.report, fail_on))
}

/// `cookie-audit demo`: the fixture council on loopback, scanned offline.
pub async fn demo(args: DemoArgs, quiet: bool) -> anyhow::Result<Exit> {
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
    let config = options
        .resolve_config()
        .map_err(|e| UsageError(e.to_string()))?;
    let config_fail_on = config.fail_on;
    let kb = Arc::new(knowledge_base(options.cookie_db.as_deref())?);
    let start = parse_start_url(&start_url)?;
    let result = run_scan(
        start,
        config,
        options.chrome.as_deref(),
        kb,
        progress::for_terminal(quiet),
    )
    .await?;
    if let Some(path) = &args.html {
        let html = render(
            &result.report,
            cookie_audit_report::Format::Html,
            &Default::default(),
        );
        write_file(path, html.as_bytes())?;
    }
    emit(&result.report, &args.output)?;
    Ok(Exit::for_report(&result.report, config_fail_on))
}

/// What `cookie-audit declared` prints.
#[derive(Debug, Serialize)]
struct DeclaredOutput {
    source: String,
    status: DeclarationStatus,
    tables: u32,
    cookies: Vec<DeclaredCookie>,
    prose_mentions: Vec<ProseMention>,
    warnings: Vec<String>,
}

/// `cookie-audit declared URL|FILE`.
pub async fn declared(args: DeclaredArgs) -> anyhow::Result<Exit> {
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
            .map_err(|e| UsageError(format!("{}: {e} (and no such file)", args.source)))?;
        let config = args
            .options
            .resolve_config()
            .map_err(|e| UsageError(e.to_string()))?;
        let engine = resolve_engine(config.engine, args.options.chrome.as_deref())?;
        let ctx = CrawlContext::new(config.clone(), url.clone(), Box::new(NoProgress))?;
        match engine {
            ResolvedEngine::Http => fetch_declaration_page(&ctx, &url).await?,
            ResolvedEngine::Browser(chrome) => {
                render_declaration_page(&ctx, &url, BrowserOptions::from_config(&config, chrome))
                    .await?
            }
        }
    };
    let extraction = extract_declarations(&html, &source_url);
    let output = DeclaredOutput {
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
        DeclaredFormat::Table => print(&declared_table(&output))?,
    }
    Ok(Exit::Clean)
}

/// The page as served (HTTP engine).
async fn fetch_declaration_page(
    ctx: &CrawlContext,
    url: &url::Url,
) -> anyhow::Result<(url::Url, String)> {
    let fetched = fetch(
        ctx,
        FetchRequest {
            url,
            accept: ACCEPT_HTML,
            body: BodyPolicy::IfHtml,
            page: None,
        },
    )
    .await
    .map_err(|f| anyhow::anyhow!("{url} could not be fetched: {}", f.error))?;
    if fetched.status >= 400 {
        bail!("{url} answered HTTP {}", fetched.status);
    }
    let Some(body) = fetched.body else {
        bail!(
            "{url} is not an HTML page ({})",
            fetched.content_type.unwrap_or_default()
        );
    };
    Ok((
        fetched.final_url,
        cookie_audit_crawl::html::decode(&body.bytes, fetched.content_type.as_deref()),
    ))
}

/// The page as a visitor's browser renders it: a Cookiebot table exists only after its script.
async fn render_declaration_page(
    ctx: &CrawlContext,
    url: &url::Url,
    options: BrowserOptions,
) -> anyhow::Result<(url::Url, String)> {
    let engine = BrowserEngine::launch(options)
        .await
        .map_err(|e| PipelineError::Browser(e.to_string()))?;
    let task = PageTask {
        page: PageRef {
            url: url.clone(),
            depth: 0,
        },
        keep_html: true,
    };
    let visit = engine.visit(task, ctx).await;
    engine.shutdown().await;
    if let Some(problem) = visit.problem() {
        bail!("{url} could not be read: {problem}");
    }
    Ok((
        visit.final_url.unwrap_or_else(|| url.clone()),
        visit.html.unwrap_or_default(),
    ))
}

fn declared_table(output: &DeclaredOutput) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["Name", "Provider", "Domain", "Expiry", "Purpose"]);
    for c in &output.cookies {
        let clip = |s: &Option<String>, n: usize| {
            s.as_deref()
                .map(|v| v.chars().take(n).collect::<String>())
                .unwrap_or_default()
        };
        table.add_row([
            if c.pattern {
                format!("{} (pattern)", c.name)
            } else {
                c.name.clone()
            },
            clip(&c.provider, 30),
            clip(&c.domain, 30),
            c.expiry
                .as_ref()
                .map(|e| e.text.clone())
                .unwrap_or_default(),
            clip(&c.purpose, 60),
        ]);
    }
    let mut out = format!(
        "{}: {} cookie(s) in {} table(s)\n",
        output.source,
        output.cookies.len(),
        output.tables
    );
    if !output.cookies.is_empty() {
        out.push_str(&table.to_string());
        out.push('\n');
    }
    if !output.prose_mentions.is_empty() {
        let terms: Vec<&str> = output
            .prose_mentions
            .iter()
            .map(|m| m.term.as_str())
            .collect();
        out.push_str(&format!("Mentioned in prose: {}\n", terms.join(", ")));
    }
    out
}

/// `cookie-audit report FILE --format …`.
pub fn report(args: ReportArgs) -> anyhow::Result<Exit> {
    let report = read_report_file(&args.file)?;
    let rendered = render(&report, args.format.format(), &terminal_options());
    match &args.out {
        Some(path) => write_file(path, rendered.as_bytes())?,
        None => print(&rendered)?,
    }
    Ok(Exit::Clean)
}

/// A mistake in how the command was called: exit 2 with the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
