//! spider-rs on the bench site: `spider-peer URL PAGES CONCURRENCY`. Crawls with spider's library
//! (robots.txt obeyed, page limit and concurrency as given), reads every page through
//! `subscribe` and counts its Set-Cookie headers, then prints `spider pages=N cookies=M`.

use spider::website::Website;
use tokio::sync::broadcast::error::RecvError;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: spider-peer URL PAGES CONCURRENCY";
    let url = args.next().expect(usage);
    let pages: u32 = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);

    let mut website = Website::new(&url);
    website
        .with_limit(pages)
        .with_concurrency_limit(Some(concurrency))
        .with_respect_robots_txt(true)
        .with_depth(0);
    // A deep buffer: a receiver that lags loses pages from its count, never the crawl's.
    let mut pages_rx = website.subscribe(16_384);
    let reader = tokio::spawn(async move {
        let (mut pages, mut cookies, mut lagged) = (0u64, 0u64, 0u64);
        loop {
            match pages_rx.recv().await {
                Ok(page) => {
                    pages += 1;
                    if let Some(headers) = &page.headers {
                        cookies += headers.get_all("set-cookie").iter().count() as u64;
                    }
                }
                Err(RecvError::Lagged(missed)) => lagged += missed,
                Err(RecvError::Closed) => break,
            }
        }
        (pages, cookies, lagged)
    });
    website.crawl().await;
    website.unsubscribe();
    let (read, cookies, lagged) = reader.await.expect("the reader does not panic");
    println!(
        "spider pages={} cookies={cookies} lagged={lagged} links={}",
        read + lagged,
        website.get_links().len()
    );
}
