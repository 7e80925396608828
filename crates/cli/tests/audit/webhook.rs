//! `--webhook`: each site's summary POSTed as JSON; a failing webhook never fails the audit.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::sites::{self, CHANGING, HOOKS, SECRET};
use super::{Workspace, defaults, site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sites_summary_is_posted_to_the_webhook() {
    let council = cookie_audit_fixtures::council::start().await.unwrap();
    let changing = sites::changing(Arc::new(AtomicBool::new(false))).await;
    let hooks = sites::hooks(204).await;
    let ws = Workspace::new();
    let resolve: Vec<String> = [
        council.resolve_args(),
        changing.resolve_args(),
        hooks.server.resolve_args(),
    ]
    .concat();
    ws.write_config(&format!(
        "{}{}{}",
        // The receiver is on loopback: allowed because `--resolve` maps its name there.
        defaults(&resolve, "insecure = true"),
        site(
            &council.http_url(cookie_audit_fixtures::council::COUNCIL, "/"),
            "contact = \"web@exampleshire.test\""
        ),
        site(&changing.http_url(CHANGING, "/"), "")
    ));
    let hook_url = hooks.server.http_url(HOOKS, "/hooks/T0KEN-in-path");

    let run = ws.audit(&["--webhook", &hook_url]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let received = hooks.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "{received:#?}");
    let summary = run.json();
    for hook in &received {
        assert_eq!(hook.path, "/hooks/T0KEN-in-path");
        assert_eq!(hook.content_type, "application/json");
        let body = &hook.body;
        let site = body["site"].as_str().unwrap();
        // The POST is the site's line of the run summary.
        assert_eq!(body, super::entry(&summary, site), "{body:#}");
        assert_eq!(body["status"], "complete");
        for field in [
            "declared",
            "observed",
            "undeclared",
            "stale",
            "misdescribed",
            "high",
            "medium",
            "low",
        ] {
            assert!(body["counts"][field].is_u64(), "{field} in {body:#}");
        }
        assert!(body["changes"]["new_cookies"].is_array());
        let report = body["report"].as_str().unwrap();
        assert!(
            std::path::Path::new(report).is_absolute() && std::path::Path::new(report).is_file()
        );
        assert!(!body.to_string().contains(SECRET));
    }
    let exampleshire = received
        .iter()
        .find(|h| h.body["site"] == "exampleshire.gov.uk")
        .expect("a POST for exampleshire.gov.uk");
    assert_eq!(exampleshire.body["contact"], "web@exampleshire.test");
    assert!(exampleshire.body["counts"]["undeclared"].as_u64().unwrap() > 0);
    assert_eq!(summary["webhook_failures"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_is_logged_and_the_audit_goes_on() {
    let changing = sites::changing(Arc::new(AtomicBool::new(false))).await;
    let hooks = sites::hooks(500).await;
    let ws = Workspace::new();
    let resolve = [changing.resolve_args(), hooks.server.resolve_args()].concat();
    ws.write_config(&format!(
        "{}{}",
        defaults(&resolve, ""),
        site(&changing.http_url(CHANGING, "/"), "")
    ));

    // A receiver that answers 500.
    let run = ws
        .audit(&[
            "--webhook",
            &hooks.server.http_url(HOOKS, "/hook/S3CRET-T0KEN"),
        ])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(hooks.received.lock().unwrap().len(), 1);
    assert!(run.stderr.contains("webhook"), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 500"), "{}", run.stderr);
    let failures = &run.json()["webhook_failures"];
    assert_eq!(failures.as_array().unwrap().len(), 1, "{failures:#}");
    assert!(ws.out().join("changeshire.gov.uk/latest.json").is_file());

    // Nothing listening, and a name nobody resolves: still a clean audit.
    let mut closed = hooks.server;
    closed.stop();
    for url in [
        closed.http_url(HOOKS, "/hook/S3CRET-T0KEN"),
        "http://unresolved.test/hook/S3CRET-T0KEN".to_string(),
    ] {
        let run = ws.audit(&["--webhook", &url]).await;
        assert_eq!(run.code, 0, "{url}: {run:?}");
        assert!(run.stderr.contains("webhook"), "{}", run.stderr);
        assert_eq!(run.json()["sites"][0]["status"], "complete");
        // The webhook's secret path is never printed.
        assert!(
            !run.stderr.contains("S3CRET") && !run.stdout.contains("S3CRET"),
            "{run:?}"
        );
    }

    let history = ws.history("changeshire.gov.uk", "json").await.json();
    assert_eq!(history["runs"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_on_an_address_nobody_allowed_is_refused_by_the_guard() {
    let changing = sites::changing(Arc::new(AtomicBool::new(false))).await;
    let hooks = sites::hooks(204).await;
    let ws = Workspace::new();
    // The site's own `resolve` allows 127.0.0.1 for its crawl only; the webhook client is built
    // from [defaults] and the command line, which allow nothing.
    let rules: Vec<String> = changing
        .resolve_args()
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect();
    ws.write_config(&format!(
        "{}{}",
        defaults(&[], ""),
        site(
            &changing.http_url(CHANGING, "/"),
            &format!("resolve = [{}]", rules.join(", "))
        )
    ));
    let run = ws
        .audit(&[
            "--webhook",
            &format!("http://127.0.0.1:{}/hook", hooks.server.http.port()),
        ])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("loopback"), "{}", run.stderr);
    assert!(hooks.received.lock().unwrap().is_empty());
    assert!(
        hooks.server.log.all().is_empty(),
        "no connection reached the receiver"
    );
}
