//! The network edge: TLS, unreachable starts, the address guard end to end.

use cookie_audit_fixtures::council::{self, COUNCIL};

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
