//! Browser engine benchmark: crawls a fixture site on loopback and reports pages per second and
//! peak memory (PSS summed over Chromium's process group and this process).
//!
//! `scripts/bench-browser.sh` runs it in release mode. Every run is `--engine browser` at the
//! scan's default settings but `--rate 0` (no politeness delay) and `--max-pages`. Options (all
//! optional):
//! - `--site benchshire` (the default): a generated council with third parties
//!   (`cookie-audit-fixtures::benchshire`: home, ten sections of eight pages, Siteimprove's script
//!   on every page, YouTube iframes, Facebook's pixel), 90 pages;
//! - `--site exampleshire`: the demo council (`cookie-audit-fixtures::council`), its endless
//!   calendar followed deep enough to fill 90 pages: a narrow crawl, two pages a level for 28
//!   levels, so it measures the time of one visit more than the parallelism of the tabs;
//! - `--site bench`: the generated throughput site (`cookie-audit-fixtures::bench`) of five times
//!   `--pages` pages (its links reach only half of them), with the start page as `--privacy-url`,
//!   40 pages;
//! - `--pages N` (`--max-pages`), `--tabs 4` (a list: `1,4`), `--settle-ms default` (a list:
//!   `default,1500,500`), `--chrome PATH`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cookie_audit_browser::procs::{group_members, total_pss_kib};
use cookie_audit_browser::{BrowserEngine, BrowserOptions, BrowserSettings, find_chrome};
use cookie_audit_crawl::{CrawlContext, CrawlOptions, Engine, NoProgress, crawl};
use cookie_audit_fixtures::{FixtureServer, bench, benchshire, council};
use cookie_audit_model::Scope;

/// Which fixture site is crawled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    Benchshire,
    Exampleshire,
    Bench,
}

struct Args {
    site: Site,
    pages: Option<u64>,
    tabs: Vec<Option<u32>>,
    settles: Vec<Option<u64>>,
    chrome: Option<std::path::PathBuf>,
}

/// `default` stands for the engine's own default (the option left unset).
fn list<T: std::str::FromStr>(value: &str) -> Vec<Option<T>> {
    value
        .split(',')
        .map(|v| match v.trim() {
            "default" => None,
            number => Some(
                number
                    .parse()
                    .unwrap_or_else(|_| panic!("{number}: a number or `default`")),
            ),
        })
        .collect()
}

fn parse_args() -> Args {
    let mut parsed = Args {
        site: Site::Benchshire,
        pages: None,
        tabs: vec![None],
        settles: vec![None],
        chrome: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--site" => {
                parsed.site = match value.as_str() {
                    "benchshire" => Site::Benchshire,
                    "exampleshire" => Site::Exampleshire,
                    "bench" => Site::Bench,
                    other => panic!("unknown site {other}: benchshire, exampleshire or bench"),
                }
            }
            "--pages" => parsed.pages = Some(value.parse().expect("a number of pages")),
            "--tabs" => parsed.tabs = list(&value),
            "--settle-ms" => parsed.settles = list(&value),
            "--chrome" => parsed.chrome = Some(std::path::PathBuf::from(value)),
            other => panic!("unknown option {other}"),
        }
    }
    parsed
}

/// The crawl options of one run: the CLI's defaults, but no politeness delay.
fn crawl_options(site: Site, server: &FixtureServer, pages: u64, start: &str) -> CrawlOptions {
    let mut options = CrawlOptions {
        max_pages: pages as u32,
        timeout: CrawlOptions::DEFAULT_TIMEOUT,
        ..server.crawl_options()
    };
    options.network.user_agent = "cookie-audit-bench".into();
    match site {
        Site::Benchshire => options,
        // The council's calendar links each month to the next: followed deep enough (and with
        // enough query variants) it fills any page budget, as a real council's calendar does.
        Site::Exampleshire => CrawlOptions {
            max_depth: 1000,
            max_query_variants: 1000,
            ..options
        },
        Site::Bench => CrawlOptions {
            max_depth: 50,
            scope: Scope::Host,
            privacy_urls: vec![start.to_string()],
            ..options
        },
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let chrome = find_chrome(args.chrome.as_deref()).expect("Chromium (apt-get install chromium)");
    let (pages, server, start) = match args.site {
        Site::Benchshire => {
            let server = benchshire::start().await.expect("the fixture starts");
            let start = server.http_url(benchshire::BENCHSHIRE, "/");
            (args.pages.unwrap_or(90), server, start)
        }
        Site::Exampleshire => {
            let server = council::start().await.expect("the council fixture starts");
            let start = server.http_url(council::COUNCIL, "/");
            (args.pages.unwrap_or(90), server, start)
        }
        Site::Bench => {
            let pages = args.pages.unwrap_or(40);
            let server = bench::start(pages * 5)
                .await
                .expect("the bench site starts");
            let start = server.http_url(bench::BENCH_HOST, "/");
            (pages, server, start)
        }
    };
    println!(
        "browser engine benchmark, --engine browser: {:?} site, --max-pages {pages} on loopback, --rate 0; {} cores; {}",
        args.site,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::process::Command::new(&chrome)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    );
    println!("| tabs | --settle-ms | pages | errors | seconds | pages/s | peak PSS (MiB) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &settle in &args.settles {
        for &tabs in &args.tabs {
            let defaults = BrowserSettings::default();
            let settings = BrowserSettings {
                tabs: tabs.unwrap_or(defaults.tabs),
                settle: settle.map_or(defaults.settle, Duration::from_millis),
            };
            let crawl = crawl_options(args.site, &server, pages, &start);
            run(&crawl, &settings, &chrome, &start).await;
        }
    }
}

/// One crawl, with memory sampled every 100 ms; prints one table row.
async fn run(
    crawl_options: &CrawlOptions,
    settings: &BrowserSettings,
    chrome: &std::path::Path,
    start: &str,
) {
    let options = BrowserOptions::new(chrome.to_path_buf(), crawl_options, settings);
    let (tabs, settle_ms) = (options.tabs, options.settle.as_millis());
    let engine = Arc::new(
        BrowserEngine::launch(options)
            .await
            .expect("Chromium starts"),
    );
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (engine, peak, done) = (engine.clone(), peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(pid) = engine.browser_pid().await {
                    let mut pids = group_members(pid);
                    pids.push(std::process::id());
                    let pss = tokio::task::spawn_blocking(move || total_pss_kib(&pids))
                        .await
                        .unwrap_or_default();
                    peak.fetch_max(pss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let url = cookie_audit_model::url_norm::parse_start_url(start).expect("a URL");
    let ctx = Arc::new(
        CrawlContext::new(crawl_options.clone(), url, Box::new(NoProgress))
            .expect("a crawl context"),
    );
    let began = Instant::now();
    let outcome = crawl(engine.clone(), ctx).await;
    let seconds = began.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    engine.shutdown().await;
    let visited = outcome.stats.pages_visited;
    let stats = engine.visit_stats();
    eprintln!(
        "  visits: {} quiet, {} capped, {} load timed out; {} straight on from the previous page",
        stats.quiet, stats.capped, stats.load_timed_out, stats.straight_on
    );
    // The council has pages that fail on purpose (a 500): list what failed so a reader can
    // tell those from a slow engine's timeouts.
    for error in &outcome.stats.errors {
        eprintln!("  error: {} — {}", error.url, error.error);
    }
    println!(
        "| {tabs} | {settle_ms} | {visited} | {} | {seconds:.1} | {:.2} | {:.0} |",
        outcome.stats.errors.len(),
        f64::from(visited) / seconds,
        peak.load(Ordering::Relaxed) as f64 / 1024.0
    );
}
