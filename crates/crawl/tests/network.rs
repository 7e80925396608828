//! The network edge: TLS, unreachable starts, the address guard end to end.

use std::time::Duration;

use cookie_audit_crawl::net::{ClientOptions, HttpClient};
use cookie_audit_fixtures::council::{self, COUNCIL};
use cookie_audit_fixtures::raw::{Behaviour, RawServer, Step, response};
use url::Url;

use crate::support::{config, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_start_needs_insecure_for_a_self_signed_certificate() {
    let server = council::start().await.unwrap();
    let url = server.https_url(COUNCIL, "/");
    let outcome = run(&url, config(&server)).await;
    assert_eq!(outcome.start_error, None);
    assert!(outcome.stats.pages_visited > 1);

    let mut strict = config(&server);
    strict.network.insecure = false;
    let outcome = run(&url, strict).await;
    let error = outcome
        .start_error
        .expect("a self-signed certificate is refused without --insecure");
    assert!(
        error.contains("TLS") || error.contains("certificate"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmapped_names_fail_without_dns_in_offline_mode() {
    let server = council::start().await.unwrap();
    let outcome = run("http://www.not-mapped.gov.uk/", config(&server)).await;
    let error = outcome.start_error.expect("no response at all");
    assert!(error.contains("offline"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_address_that_was_not_allowed_is_refused() {
    let server = council::start().await.unwrap();
    // 127.0.0.2 stands in for a metadata service: the user allowed 127.0.0.1 only.
    let outcome = run(
        &format!("http://127.0.0.2:{}/", server.http.port()),
        config(&server),
    )
    .await;
    let error = outcome.start_error.expect("refused");
    assert!(
        error.contains("127.0.0.2") && error.contains("loopback"),
        "{error}"
    );

    // The same name mapped to an allowed address is fine.
    let outcome = run(&server.http_url(COUNCIL, "/robots.txt"), config(&server)).await;
    assert_eq!(outcome.start_error, None);
}

/// A head hyper refuses: a bare carriage return (issue 18), a folded line, a control character.
fn odd_head(path: &str) -> Vec<Step> {
    let line: &[u8] = match path {
        "/nul" => b"Set-Cookie: a=b\x00c",
        _ => b"Set-Cookie: AAA=BB\rZYX\r\nSet-Cookie: folded=1\r\n b=2\r\nSet-Cookie: ctl=a\x01b",
    };
    vec![Step::Write(response(
        "200 OK",
        &[b"Content-Type: text/html", line, b"Set-Cookie: plain=1"],
        b"<p>odd</p>",
    ))]
}

/// Issue 18: the HTTP engine read `Set-Cookie: AAA=BB\rZYX` as nothing (hyper refuses the line)
/// where Chromium keeps `AAA=BB`. Over plain http the head is now read again as Chromium splits
/// it; a NUL byte fails the response, as in Chromium.
#[tokio::test]
async fn a_head_hyper_refuses_is_read_as_chromium_reads_it() {
    let site = RawServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Behaviour::Scripted(odd_head),
    )
    .await
    .unwrap();
    let client = HttpClient::new(&ClientOptions {
        timeout: Duration::from_secs(5),
        user_agent: "cookie-audit-test".into(),
        insecure: false,
        offline: true,
        allow_private: false,
        resolve: [("www.odd.gov.uk".to_string(), "127.0.0.1".parse().unwrap())].into(),
    })
    .unwrap();
    let url =
        |path: &str| Url::parse(&format!("http://www.odd.gov.uk:{}{path}", site.port())).unwrap();
    let response = client.get(&url("/odd"), None, "*/*").await.unwrap();
    assert_eq!(response.status, 200);
    assert!(!response.invalid_headers_skipped);
    assert_eq!(
        response.set_cookie_lines(),
        ["AAA=BB", "folded=1 b=2", "ctl=a\u{1}b", "plain=1"]
    );
    // The body still arrives (the lenient read).
    let body = response.read_body(1024).await.unwrap();
    assert_eq!(&body.bytes[..], b"<p>odd</p>");

    let error = client.get(&url("/nul"), None, "*/*").await.unwrap_err();
    assert!(error.to_string().contains("NUL byte"), "{error}");
}

/// Pages of a site whose server stops answering: the home page links to 40 pages, and every one
/// of them is accepted and never answered (a server out of file descriptors).
fn falls_silent(path: &str) -> Vec<Step> {
    if path.starts_with("/p/") {
        return vec![Step::Hold(Duration::from_secs(600))];
    }
    if path != "/" {
        return vec![Step::Write(response("404 Not Found", &[], b""))];
    }
    let links: String = (0..40)
        .map(|i| format!("<a href=\"/p/{i}\">{i}</a>"))
        .collect();
    vec![Step::Write(response(
        "200 OK",
        &[b"Content-Type: text/html"],
        format!("<html><body>{links}</body></html>").as_bytes(),
    ))]
}

/// Issue 17: a host that stops answering is given up after a few timeouts in a row, the crawl
/// records `host_unresponsive` with the pages it left, and the report is finished in a bounded
/// time instead of one `--timeout` per page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_stops_answering_is_given_up_and_the_crawl_ends() {
    const HOST: &str = "www.silent.gov.uk";
    let site = RawServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Behaviour::Scripted(falls_silent),
    )
    .await
    .unwrap();
    let options = cookie_audit_crawl::CrawlOptions {
        max_pages: 100,
        concurrency: 4,
        rate: 0.0,
        timeout: Duration::from_secs(1),
        network: cookie_audit_crawl::NetworkOptions {
            resolve: vec![cookie_audit_model::ResolveRule {
                host: HOST.into(),
                addr: "127.0.0.1".parse().unwrap(),
            }],
            offline: true,
            allow_private: false,
            insecure: false,
            user_agent: "cookie-audit-test".into(),
        },
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let outcome = run(&format!("http://{HOST}:{}/", site.port()), options).await;
    let elapsed = started.elapsed();
    // 40 pages one 1 s timeout each, 4 at a time, would be 10 s; the host is given up after the
    // first round of timeouts, and the declaration pages read afterwards are not sent either.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");

    let limit = outcome
        .stats
        .limits_hit
        .iter()
        .find(|l| l.limit == cookie_audit_model::LimitKind::HostUnresponsive)
        .unwrap_or_else(|| panic!("no host_unresponsive in {:?}", outcome.stats.limits_hit));
    assert!(limit.detail.contains(HOST), "{}", limit.detail);
    assert!(
        limit.url.as_deref().is_some_and(|u| u.contains("/p/")),
        "{limit:?}"
    );
    let left: u32 = limit
        .detail
        .split(" queued pages were not visited")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of pages left in {}", limit.detail));
    // Every page is either visited (the home page, the pages that timed out) or left.
    assert_eq!(outcome.stats.pages_visited + left, 41, "{limit:?}");
    assert!(left >= 30, "{left} left: {limit:?}");

    // Nothing more was sent once the host was given up: the first round of page requests
    // (at most --concurrency, plus what started while the timeouts came in) and no more.
    let page_requests = site
        .connections()
        .iter()
        .filter(|c| {
            c.request_line
                .as_deref()
                .is_some_and(|l| l.contains(" /p/"))
        })
        .count();
    assert!(
        (3..=8).contains(&page_requests),
        "{page_requests} page requests"
    );
}
