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
