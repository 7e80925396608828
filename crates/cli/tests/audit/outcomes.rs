//! How an audit ends: failing sites, exit codes, config errors, default paths, `history` errors.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use cookie_audit_fixtures::postgres::{TestPostgres, url_for};
use cookie_audit_store::{Location, RunStatus, Store};

use super::sites::{self, CHANGING};
use super::{Workspace, defaults, entry, run, site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_site_is_recorded_and_the_audit_exits_by_the_findings_of_the_rest() {
    let server = sites::changing(Arc::new(AtomicBool::new(false))).await;
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}{}",
        defaults(&server.resolve_args(), ""),
        site(&server.http_url(CHANGING, "/"), ""),
        // Not resolved, and --offline: it fails at once, without a DNS query.
        site("http://www.nowhere.gov.uk/", "")
    ));

    // Changeshire has a stale row: a finding under --fail-on any.
    let run = ws.audit(&["--fail-on", "any"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let summary = run.json();
    assert_eq!(
        (summary["complete"].as_u64(), summary["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(summary["exit_code"], 1);
    let failed = entry(&summary, "nowhere.gov.uk");
    assert_eq!(failed["status"], "failed");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("could not be fetched"), "{error}");
    assert!(
        run.stderr.contains("1 of 2 site(s) could not be audited")
            && run
                .stderr
                .contains("nowhere.gov.uk (http://www.nowhere.gov.uk/): "),
        "{}",
        run.stderr
    );
    // Its thin report is kept for the record; latest.* are only ever complete audits.
    assert!(std::path::Path::new(failed["report"].as_str().unwrap()).is_file());
    assert!(!ws.out().join("nowhere.gov.uk/latest.json").exists());
    assert_eq!(entry(&summary, "changeshire.gov.uk")["fails"], true);

    let store = Store::open(&ws.db()).await.unwrap();
    let runs = store.history("nowhere.gov.uk").await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert!(
        runs[0]
            .error
            .as_deref()
            .unwrap()
            .contains("could not be fetched")
    );
    drop(store);

    // The same failure under --fail-on undeclared (Changeshire has no undeclared cookie): 0.
    let run = ws.audit(&["--fail-on", "undeclared"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["failed"], 1);
    // The last run's summary is on disk too.
    let last: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.out().join("last-run.json")).unwrap())
            .unwrap();
    assert_eq!(last, run.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_where_every_site_failed_exits_2_with_its_summary() {
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}{}",
        defaults(&[], ""),
        site("http://www.nowhere.gov.uk/", ""),
        site("http://www.neither.gov.uk/", "")
    ));
    let run = ws.audit(&[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    let summary = run.json();
    assert_eq!(
        (summary["complete"].as_u64(), summary["failed"].as_u64()),
        (Some(0), Some(2))
    );
    assert!(
        run.stderr.contains("2 of 2 site(s) could not be audited"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_error_exits_2_pointing_at_its_line_before_anything_runs() {
    let ws = Workspace::new();
    ws.write_config(
        "[defaults]\nrate = 1\n\n[[site]]\nurl = \"https://www.barnet.gov.uk/\"\nmax_page = 5\n",
    );
    let run = ws.audit(&[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    let config = ws.config();
    let expected = format!("error: {}:6:1: unknown field `max_page`", config.display());
    assert!(run.stderr.starts_with(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("6 | max_page = 5"), "{}", run.stderr);
    assert!(!ws.db().exists() && !ws.out().exists());

    let run = ws.audit(&["--rate=-2"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--rate"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_history_is_beside_the_config_and_reports_in_the_working_directory() {
    let server = sites::changing(Arc::new(AtomicBool::new(false))).await;
    let ws = Workspace::new();
    std::fs::create_dir(ws.path("conf")).unwrap();
    std::fs::write(
        ws.path("conf/audit.toml"),
        format!(
            "{}{}",
            defaults(&server.resolve_args(), ""),
            site(&server.http_url(CHANGING, "/"), "")
        ),
    )
    .unwrap();
    let args: Vec<String> = ["audit", "--config", "conf/audit.toml", "--engine", "http"]
        .map(String::from)
        .to_vec();
    let audit = run(&args, ws.dir.path()).await;
    assert_eq!(audit.code, 0, "{audit:?}");
    assert!(ws.path("conf/cookie-audit.db").is_file());
    assert!(ws.path("reports/changeshire.gov.uk/latest.json").is_file());
    assert!(ws.path("reports/changeshire.gov.uk/latest.html").is_file());

    let args: Vec<String> = [
        "history",
        "changeshire.gov.uk",
        "--config",
        "conf/audit.toml",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    let history = run(&args, ws.dir.path()).await;
    assert_eq!(history.code, 0, "{history:?}");
    assert_eq!(history.json()["runs"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_on_one_registrable_domain_keep_apart_and_take_turns() {
    let server = sites::changing(Arc::new(AtomicBool::new(false))).await;
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}{}",
        defaults(&server.resolve_args(), "rate = 20"),
        site(&server.http_url(CHANGING, "/"), ""),
        site(
            &server.http_url(CHANGING, "/about"),
            "id = \"changeshire-about\""
        )
    ));
    let run = ws.audit(&["--sites-concurrency", "4"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let summary = run.json();
    let a = entry(&summary, "changeshire.gov.uk");
    let b = entry(&summary, "changeshire-about");
    assert!(ws.out().join("changeshire-about/latest.json").is_file());
    let at = |v: &serde_json::Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    // One crawl of the domain at a time, so each keeps the rate it was given.
    assert!(
        at(&a["finished_at"]) <= at(&b["started_at"])
            || at(&b["finished_at"]) <= at(&a["started_at"]),
        "the two entries overlapped: {a:#} {b:#}"
    );
    for id in ["changeshire.gov.uk", "changeshire-about"] {
        let history = ws.history(id, "json").await.json();
        assert_eq!(history["runs"].as_array().unwrap().len(), 1, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_errors_name_the_database_and_its_sites() {
    let ws = Workspace::new();
    let missing = ws.history("barnet.gov.uk", "json").await;
    assert_eq!(missing.code, 2, "{missing:?}");
    assert!(
        missing.stderr.contains("no history database at"),
        "{}",
        missing.stderr
    );
    assert!(!ws.db().exists(), "a mistyped --db creates nothing");

    let store = Store::open(&ws.db()).await.unwrap();
    store
        .begin_run("barnet.gov.uk", "https://www.barnet.gov.uk/", Utc::now())
        .await
        .unwrap();
    drop(store);
    let unknown = ws.history("lbbd.gov.uk", "json").await;
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("its sites are: barnet.gov.uk"),
        "{}",
        unknown.stderr
    );
}

/// `history --db postgres://…` reads the history workers share; a server that is down is a
/// clear error, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_reads_a_postgresql_history_and_names_a_server_that_is_down() {
    let ws = Workspace::new();
    let url = tokio::task::spawn_blocking(|| TestPostgres::shared().fresh_database())
        .await
        .unwrap()
        .expect("a PostgreSQL database for the test");
    let store = Store::open(Location::parse(&url)).await.unwrap();
    let run_id = store
        .begin_run("barnet.gov.uk", "https://www.barnet.gov.uk/", Utc::now())
        .await
        .unwrap();
    store
        .fail_run(run_id, "start URL unreachable")
        .await
        .unwrap();
    drop(store);

    let args = |db: &str| -> Vec<String> {
        [
            "history",
            "https://www.barnet.gov.uk/",
            "--db",
            db,
            "--format",
            "json",
        ]
        .map(String::from)
        .into()
    };
    let shown = run(&args(&url), &ws.path("")).await;
    assert_eq!(shown.code, 0, "{shown:?}");
    let json = shown.json();
    assert_eq!(json["site"], "barnet.gov.uk");
    assert_eq!(json["db"], url);
    assert_eq!(json["runs"][0]["status"], "failed");
    assert_eq!(json["runs"][0]["error"], "start URL unreachable");

    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = nobody.local_addr().unwrap().port();
    drop(nobody);
    let down = url_for(port, "history").replace("postgres@", "audit:s3cret@");
    let refused = run(&args(&down), &ws.path("")).await;
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("cannot connect to the history database postgres://audit:***@127.0.0.1:"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("s3cret"), "{}", refused.stderr);
}
