//! `cookie-audit scan`: exit codes, outputs, the schema, redaction.

use cookie_audit_fixtures::council::COUNCIL;
use cookie_audit_model::Report;

use crate::support::{BIN, council, scan, stderr, stdout};

#[test]
fn json_report_on_stdout_validates_against_the_published_schema() {
    let (_rt, server) = council();
    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &["--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("stdout is JSON");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/report-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let report: Report = serde_json::from_value(json).unwrap();
    assert_eq!(report.schema_version, "1");
    assert_eq!(report.registrable_domain, "exampleshire.gov.uk");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code.as_str() == "undeclared" && f.cookie == "_ga")
    );
    assert_eq!(
        report.limitations,
        vec![
            "cookies set by JavaScript are not observed".to_string(),
            "the HTTP engine cannot see or click a consent banner: only the visitor who has not chosen was audited".to_string(),
        ]
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let (_rt, server) = council();
    let url = server.http_url(COUNCIL, "/");
    let output = scan(
        &server,
        &url,
        &["--fail-on", "undeclared", "--format", "json"],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "undeclared findings exist: {}",
        stderr(&output)
    );
    let output = scan(&server, &url, &["--fail-on", "none", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn unreachable_start_and_usage_errors_exit_2() {
    let (_rt, server) = council();
    let output = scan(
        &server,
        "http://www.not-mapped.gov.uk/",
        &["--format", "json"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("could not be fetched"),
        "{}",
        stderr(&output)
    );
    // The report is still written: it says what went wrong.
    let report: Report = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report.crawl.pages_failed, 1);

    for args in [
        vec!["scan"],
        vec!["scan", "https://x.test/", "--rate", "-1"],
        vec!["scan", "https://x.test/", "--resolve", "x.test"],
        vec!["scan", "ftp://x.test/"],
        vec!["scan", "https://x.test/", "--engine", "nope"],
    ] {
        let output = std::process::Command::new(BIN)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn out_writes_json_atomically_and_report_renders_it() {
    let (_rt, server) = council();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &["--out", path.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).is_empty(),
        "with --out and no terminal, stdout stays empty"
    );
    let saved: Report = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");

    for (format, needle) in [
        ("markdown", "| Severity"),
        ("html", "<!DOCTYPE html>"),
        ("html-table", "<table"),
        ("csv", "Cookie,Provider,Purpose,Expiry,Domain,Category\n"),
        ("table", "Verdict: "),
        ("json", "\"schema_version\""),
    ] {
        let rendered = std::process::Command::new(BIN)
            .args(["report", path.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        assert_eq!(
            rendered.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&rendered)
        );
        assert!(stdout(&rendered).contains(needle), "{format}");
    }
    // Piped, the default table is the compact view and `--long` today's detail: both whole
    // lines (no terminal, so no width), and only the long one lists every cookie.
    let table = |extra: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(["report", path.to_str().unwrap(), "--format", "table"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let (compact, long) = (table(&[]), table(&["--long"]));
    assert!(
        !compact.contains('…'),
        "piped output is never cut:\n{compact}"
    );
    assert!(long.lines().count() > compact.lines().count(), "{long}");
    for cookie in &saved.observed {
        assert!(long.contains(&cookie.name), "--long lists {}", cookie.name);
    }
    let round: Report = serde_json::from_str(&stdout(
        &std::process::Command::new(BIN)
            .args(["report", path.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap(),
    ))
    .unwrap();
    assert_eq!(
        round, saved,
        "report --format json gives the saved report back"
    );

    let unwritable = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &["--out", "/nonexistent-dir/r.json", "--max-pages", "1"],
    );
    assert_eq!(unwritable.status.code(), Some(2));
    // Found before the crawl (issue 15 item 3), naming the folder, not a temporary file.
    assert!(
        stderr(&unwritable).contains(
            "cannot write /nonexistent-dir/r.json: the folder /nonexistent-dir does not exist"
        ),
        "{}",
        stderr(&unwritable)
    );
}

#[test]
fn values_are_redacted_unless_asked() {
    let (_rt, server) = council();
    let url = server.http_url(COUNCIL, "/");
    // Values the fixture sets: a session id and a Google Analytics client id.
    let secrets = ["k3x9v2mfq0r1", "1234567890.1700000000"];
    let output = scan(&server, &url, &["--format", "json", "-vvv"]);
    for secret in secrets {
        assert!(!stdout(&output).contains(secret), "{secret} in the report");
        assert!(!stderr(&output).contains(secret), "{secret} in the logs");
    }
    let output = scan(&server, &url, &["--format", "json", "--show-values"]);
    assert!(stdout(&output).contains("k3x9v2mfq0r1"));
    let report: Report = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        report.config.show_values,
        "the report says values were kept"
    );
}

/// `--max-time`: past it no new page is visited, the limit says how many queued pages were
/// left, and the report is still complete (the declaration pages are read regardless).
#[test]
fn max_time_stops_visiting_and_says_what_was_left() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(cookie_audit_fixtures::bench::start(1000))
        .unwrap();
    let url = server.http_url(cookie_audit_fixtures::bench::BENCH_HOST, "/");
    let mut cmd = std::process::Command::new(BIN);
    cmd.arg("scan").arg(&url).args([
        "--engine",
        "http",
        "--offline",
        "--rate",
        "4",
        "--max-pages",
        "1000",
        "--max-time",
        "2",
        "--format",
        "json",
    ]);
    for r in server.resolve_args() {
        cmd.arg("--resolve").arg(r);
    }
    let output = cmd.env_remove("RUST_LOG").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Report = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report.config.max_time_secs, Some(2));
    // Four requests a second for two seconds (robots.txt and the sitemap among them), and the
    // pages in flight when time ran out: far fewer than the thousand the budget allowed.
    assert!(
        (1..=20).contains(&report.crawl.pages_visited),
        "{} pages",
        report.crawl.pages_visited
    );
    let limit = report
        .crawl
        .limits_hit
        .iter()
        .find(|l| l.limit.as_str() == "max_time")
        .unwrap_or_else(|| panic!("{:#?}", report.crawl.limits_hit));
    assert!(
        limit.detail.contains("--max-time 2s")
            && limit.detail.contains("queued pages were not visited"),
        "{}",
        limit.detail
    );
    assert!(
        !report
            .crawl
            .limits_hit
            .iter()
            .any(|l| l.limit.as_str() == "max_pages"),
        "time, not the page budget, stopped it"
    );
}
