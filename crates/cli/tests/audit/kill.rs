//! An audit killed with SIGKILL in the middle of a crawl.

use std::time::{Duration, Instant};

use cookie_audit_store::{RunStatus, Store};

use super::sites::{self, SLOW};
use super::{Workspace, binary, defaults, path_arg, site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_audit_leaves_a_history_the_next_audit_uses_without_counting_the_partial_run() {
    let (_server, ws, mut child) =
        audit_in_the_middle_of_a_crawl(std::process::Stdio::null()).await;
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    assert!(!ws.out().join("slowshire.gov.uk/latest.json").exists());

    {
        let store = Store::open(&ws.db())
            .await
            .expect("the database opens after the kill");
        store.integrity_check().await.expect("and is intact");
        let runs = store.history("slowshire.gov.uk").await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, RunStatus::Running);
        assert_eq!(
            store.latest_complete("slowshire.gov.uk").await.unwrap(),
            None
        );
    }

    // The next audit (a short one: the flag overrides the file) runs over the same database.
    let next = ws.audit(&["--max-pages", "2"]).await;
    assert_eq!(next.code, 0, "{next:?}");
    let report = ws.report("slowshire.gov.uk/latest.json");
    assert_eq!(report["config"]["max_pages"], 2);
    assert_eq!(
        report["changes"]["previous_run_at"],
        serde_json::Value::Null,
        "the killed run is nobody's previous run"
    );
    let history = ws.history("slowshire.gov.uk", "json").await.json();
    let statuses: Vec<&str> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["running", "complete"]);
    let table = ws.history("slowshire.gov.uk", "table").await;
    assert!(table.stdout.contains("interrupted"), "{}", table.stdout);
}

/// SIGTERM (systemd stopping the job) and Ctrl-C in the middle of a crawl: the run in progress
/// is recorded as failed, with the signal, not left `running`; the exit code is 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_audit_records_its_run_as_failed() {
    for signal in ["TERM", "INT"] {
        let (_server, ws, child) =
            audit_in_the_middle_of_a_crawl(std::process::Stdio::piped()).await;
        let pid = child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .expect("the audit stops promptly")
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains(&format!("interrupted by SIG{signal}")),
            "{stderr}"
        );

        let store = Store::open(&ws.db()).await.expect("the database opens");
        let runs = store.history("slowshire.gov.uk").await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, RunStatus::Failed, "SIG{signal}");
        assert_eq!(
            runs[0].error.as_deref(),
            Some(format!("interrupted by SIG{signal} before the audit finished").as_str())
        );
        // In the table the error is the run's status; the cookie-table column stays empty (it
        // read no table).
        let table = ws.history("slowshire.gov.uk", "table").await.stdout;
        let row = table
            .lines()
            .find(|l| l.contains("failed: interrupted"))
            .unwrap_or_else(|| panic!("no failed row in\n{table}"));
        // Cells are split by '┆' inside the table's '│' borders.
        let last_cell = row
            .trim_end()
            .trim_end_matches('│')
            .rsplit('┆')
            .next()
            .unwrap();
        assert_eq!(last_cell.trim(), "", "{row}");
    }
}

/// A slow site in a fresh workspace, and `cookie-audit audit` over it, returned once the crawl
/// has served a few pages: the run is begun and far from done.
async fn audit_in_the_middle_of_a_crawl(
    stderr: std::process::Stdio,
) -> (
    cookie_audit_fixtures::FixtureServer,
    Workspace,
    tokio::process::Child,
) {
    let server = sites::slow().await;
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}",
        defaults(&server.resolve_args(), "rate = 5\nmax_pages = 40"),
        site(&server.http_url(SLOW, "/"), "")
    ));
    let mut child = binary()
        .args([
            "audit",
            "--config",
            &path_arg(&ws.config()),
            "--out-dir",
            &path_arg(&ws.out()),
            "--db",
            &path_arg(&ws.db()),
            "--engine",
            "http",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start cookie-audit");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.log.count(SLOW, "/page/") < 3 {
        assert!(Instant::now() < deadline, "the crawl never started");
        assert!(child.try_wait().unwrap().is_none(), "the audit ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (server, ws, child)
}
