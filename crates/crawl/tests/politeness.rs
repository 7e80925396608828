//! Retry-After, redirect loops and caps, per-host spacing: a small router of edge cases.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_fixtures::council::ResponseBuilder;
use http::{StatusCode, header};

use crate::support::{config, run};

const HOST: &str = "www.edge.gov.uk";

fn html(body: &str) -> Response {
    ResponseBuilder::new(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/html")
        .body(body.as_bytes().to_vec())
}

fn redirect(to: &str) -> Response {
    ResponseBuilder::new(StatusCode::FOUND)
        .header(header::LOCATION, to)
        .body(Vec::new())
}

async fn edge_site() -> FixtureServer {
    let busy = Arc::new(AtomicU32::new(0));
    FixtureServer::start(
        move |_ports| {
            Router::new().fallback(move |request: Request| {
                let busy = busy.clone();
                async move {
                    let path = request.uri().path().to_string();
                    match path.as_str() {
                        "/" => html(
                            r#"<a href="/busy">busy</a> <a href="/loop-a">loop</a> <a href="/chain/0">chain</a>
                               <a href="/p/1">1</a> <a href="/p/2">2</a> <a href="/p/3">3</a> <a href="/p/4">4</a>"#,
                        ),
                        // Busy once, then fine: honour Retry-After and come back.
                        "/busy" if busy.fetch_add(1, Ordering::SeqCst) == 0 => ResponseBuilder::new(StatusCode::TOO_MANY_REQUESTS)
                            .header(header::RETRY_AFTER, "1")
                            .body(Vec::new()),
                        "/busy" => ResponseBuilder::new(StatusCode::OK)
                            .header(header::CONTENT_TYPE, "text/html")
                            .cookie("after_retry=1; Path=/")
                            .body(b"<p>ok now</p>".to_vec()),
                        "/loop-a" => redirect("/loop-b"),
                        "/loop-b" => redirect("/loop-a"),
                        p if p.starts_with("/chain/") => {
                            let n: u32 = p.trim_start_matches("/chain/").parse().unwrap_or(0);
                            if n < 20 { redirect(&format!("/chain/{}", n + 1)) } else { html("<p>end of chain</p>") }
                        }
                        p if p.starts_with("/p/") => html("<p>a page</p>"),
                        _ => ResponseBuilder::new(StatusCode::NOT_FOUND).body(Vec::new()),
                    }
                }
            })
        },
        &[HOST],
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_once() {
    let server = edge_site().await;
    let outcome = run(&server.http_url(HOST, "/"), config(&server)).await;
    let hits: Vec<_> = server
        .log
        .all()
        .into_iter()
        .filter(|s| s.path_and_query == "/busy")
        .collect();
    assert_eq!(hits.len(), 2, "one 429, one retry");
    assert!(
        hits[1].at - hits[0].at >= Duration::from_millis(950),
        "waited for Retry-After"
    );
    assert!(outcome.observed.iter().any(|c| c.name == "after_retry"));
    let busy = outcome
        .stats
        .pages
        .iter()
        .find(|p| p.url.ends_with("/busy"))
        .unwrap();
    assert_eq!(busy.status, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loops_and_long_chains_are_cut_and_reported() {
    let server = edge_site().await;
    let outcome = run(&server.http_url(HOST, "/"), config(&server)).await;
    let errors = &outcome.stats.errors;
    assert!(
        errors
            .iter()
            .any(|e| e.url.ends_with("/loop-a") && e.error.contains("redirect loop")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.url.ends_with("/chain/0") && e.error.contains("more than 10 redirects")),
        "{errors:?}"
    );
    assert!(
        outcome
            .stats
            .limits_hit
            .iter()
            .any(|l| l.limit.as_str() == "max_redirects")
    );
    assert!(
        server.log.count(HOST, "/chain/") <= 12,
        "the chain was not followed to its end"
    );
    assert_eq!(server.log.count(HOST, "/chain/20"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_one_host_are_spaced_by_the_rate() {
    let server = edge_site().await;
    let mut cfg = config(&server);
    cfg.rate = 10.0;
    cfg.max_pages = 6;
    let _ = run(&server.http_url(HOST, "/"), cfg).await;
    let mut times: Vec<_> = server.log.all().into_iter().map(|s| s.at).collect();
    times.sort();
    assert!(times.len() >= 6);
    // 10 requests/s: sends are 100 ms apart. Arrival times carry scheduling jitter on a busy
    // machine, so judge the average gap over the whole run, not each pair.
    let span = *times.last().unwrap() - times[0];
    let gaps = (times.len() - 1) as u32;
    assert!(
        span >= Duration::from_millis(85) * gaps,
        "{} requests in {span:?}",
        times.len()
    );
}
