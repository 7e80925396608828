//! Browser engine benchmark: crawls a generated fixture site on loopback and reports pages per
//! second and peak memory (PSS summed over Chromium's process group and this process).
//!
//! `scripts/bench-browser.sh` runs it in release mode. Options (all optional):
//! `--pages N` (40: pages crawled, `--max-pages`), `--tabs 1,4`, `--settle-ms 1500,500`,
//! `--chrome PATH`. The generated site has five times `--pages` pages (its links reach only
//! half of them), so the crawl stops at the page budget, breadth first.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cookie_audit_browser::procs::{group_members, total_pss_kib};
use cookie_audit_browser::{BrowserEngine, BrowserOptions, BrowserSettings, find_chrome};
use cookie_audit_crawl::{CrawlContext, CrawlOptions, Engine, NetworkOptions, NoProgress, crawl};
use cookie_audit_fixtures::bench;
use cookie_audit_model::{ResolveRule, Scope};

fn list(value: &str) -> Vec<u64> {
    value
        .split(',')
        .map(|v| v.trim().parse().expect("a number"))
        .collect()
}

#[tokio::main]
async fn main() {
    let mut pages = 40u64;
    let mut tabs = vec![1u64, 4];
    let mut settles = vec![1500u64, 500];
    let mut chrome = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--pages" => pages = value.parse().expect("a number of pages"),
            "--tabs" => tabs = list(&value),
            "--settle-ms" => settles = list(&value),
            "--chrome" => chrome = Some(std::path::PathBuf::from(value)),
            other => panic!("unknown option {other}"),
        }
    }
    let chrome = find_chrome(chrome.as_deref()).expect("Chromium (apt-get install chromium)");
    let server = bench::start(pages * 5)
        .await
        .expect("the bench site starts");
    let start = server.http_url(bench::BENCH_HOST, "/");
    println!(
        "browser engine benchmark: {pages} pages crawled (--max-pages) on loopback, + the start page read again as --privacy-url; {} cores; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::process::Command::new(&chrome)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    );
    println!("| tabs | --settle-ms | pages | seconds | pages/s | peak PSS (MiB) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for &settle in &settles {
        for &tab_count in &tabs {
            let config = CrawlOptions {
                max_pages: pages as u32,
                max_depth: 50,
                rate: 0.0,
                scope: Scope::Host,
                privacy_urls: vec![start.clone()],
                network: NetworkOptions {
                    resolve: vec![ResolveRule {
                        host: bench::BENCH_HOST.into(),
                        addr: "127.0.0.1".parse().expect("an address"),
                    }],
                    offline: true,
                    user_agent: "cookie-audit-bench".into(),
                    ..NetworkOptions::default()
                },
                ..CrawlOptions::default()
            };
            let settings = BrowserSettings {
                tabs: tab_count as u32,
                settle: Duration::from_millis(settle),
            };
            let engine = Arc::new(
                BrowserEngine::launch(BrowserOptions::new(chrome.clone(), &config, &settings))
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
            let url = cookie_audit_model::url_norm::parse_start_url(&start).expect("a URL");
            let ctx = Arc::new(
                CrawlContext::new(config, url, Box::new(NoProgress)).expect("a crawl context"),
            );
            let began = Instant::now();
            let outcome = crawl(engine.clone(), ctx).await;
            let seconds = began.elapsed().as_secs_f64();
            done.store(true, Ordering::Relaxed);
            let _ = sampler.await;
            engine.shutdown().await;
            let visited = outcome.stats.pages_visited;
            assert!(
                outcome.stats.errors.is_empty(),
                "{:#?}",
                outcome.stats.errors
            );
            println!(
                "| {tab_count} | {settle} | {visited} | {seconds:.1} | {:.2} | {:.0} |",
                f64::from(visited) / seconds,
                peak.load(Ordering::Relaxed) as f64 / 1024.0
            );
        }
    }
}
