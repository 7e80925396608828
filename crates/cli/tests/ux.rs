//! What a new user trips over (issue 15): each test would have caught one of the reported
//! failures, against the real binary on loopback.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cookie_audit_fixtures::council::COUNCIL;
use cookie_audit_model::{DeclarationStatus, FindingKind, LimitKind, Report, StorageKind};

use crate::support::{BIN, council, scan, stderr, stdout};

fn report_of(output: &Output) -> Report {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(output), stderr(output)))
}

/// Every finding is counted once in the summary: the kinds add up to the list.
fn assert_summary_counts_what_it_shows(report: &Report) {
    let s = &report.summary;
    let kinds = s.undeclared + s.stale + s.misdescribed + s.consent + s.cmp_mismatch;
    assert_eq!(
        (kinds + s.no_declaration) as usize,
        report.findings.len(),
        "{s:?}"
    );
    assert_eq!((s.high + s.medium + s.low) as usize, report.findings.len());
    assert_eq!(s.ignored as usize, report.ignored.len());
}

#[test]
fn a_cookie_page_that_fails_to_load_is_unreadable_not_a_missing_table() {
    let (_rt, server) = council();
    let missing = server.http_url(COUNCIL, "/no-such-cookie-page");
    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &[
            "--privacy-url",
            &missing,
            "--format",
            "json",
            "--max-pages",
            "5",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = report_of(&output);
    assert_eq!(report.declaration.status, DeclarationStatus::Unreadable);
    let reason = report.declaration.reason.clone().unwrap_or_default();
    assert!(reason.contains("HTTP 404"), "{reason}");
    assert!(
        !report.findings.iter().any(|f| matches!(
            f.kind,
            FindingKind::Undeclared | FindingKind::Stale | FindingKind::NoDeclaration
        )),
        "{:?}",
        report.findings
    );
    assert!(!report.observed.is_empty() && !report.suggested_table.is_empty());
    let err = stderr(&output);
    assert!(
        err.contains("warning:") && err.contains("HTTP 404"),
        "{err}"
    );
    assert_summary_counts_what_it_shows(&report);

    // A page that loads without a table is a real finding, and the summary counts it.
    let home = server.http_url(COUNCIL, "/about");
    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &[
            "--privacy-url",
            &home,
            "--format",
            "json",
            "--max-pages",
            "5",
        ],
    );
    let report = report_of(&output);
    assert_eq!(report.declaration.status, DeclarationStatus::NotFound);
    assert_eq!(report.summary.no_declaration, 1);
    assert_summary_counts_what_it_shows(&report);
}

#[test]
fn out_into_a_missing_folder_fails_before_the_crawl() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (addr, seen) = staging_site(&runtime);
    let output = Command::new(BIN)
        .arg("scan")
        .arg(format!("http://www.staging.test:{}/", addr.port()))
        .args([
            "--engine",
            "http",
            "--offline",
            "--resolve",
            "www.staging.test=127.0.0.1",
        ])
        .args(["--out", "/nonexistent-folder/report.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("the folder /nonexistent-folder does not exist"),
        "{err}"
    );
    assert!(!err.contains(".tmp"), "no temporary file's name: {err}");
    assert!(seen.lock().unwrap().is_empty(), "it crawled first");
}

/// Ctrl-C during a scan: no new page, the partial report where --out says, exit 2.
#[test]
fn ctrl_c_writes_the_partial_report_and_exits_2() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(cookie_audit_fixtures::bench::start(1000))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("partial.json");
    let mut cmd = Command::new(BIN);
    cmd.arg("scan")
        .arg(server.http_url(cookie_audit_fixtures::bench::BENCH_HOST, "/"))
        .args([
            "--engine",
            "http",
            "--offline",
            "--rate",
            "5",
            "-n",
            "1000",
            "-q",
        ])
        .arg("--out")
        .arg(&out);
    for r in server.resolve_args() {
        cmd.arg("--resolve").arg(r);
    }
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it stopped promptly"
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("interrupted after") && stderr(&output).contains("partial.json"),
        "{}",
        stderr(&output)
    );
    let report: Report = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(
        report
            .crawl
            .limits_hit
            .iter()
            .any(|l| l.limit == LimitKind::Interrupted),
        "{:?}",
        report.crawl.limits_hit
    );
    assert!((1..1000).contains(&report.crawl.pages_visited));
}

#[test]
fn declared_takes_a_path_as_a_file_and_refuses_what_is_not_html() {
    let run = |source: &str| {
        Command::new(BIN)
            .args(["declared", source, "--format", "json"])
            .output()
            .unwrap()
    };
    let missing = run("/nonexistent-folder/cookies.html");
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no such file"),
        "{}",
        stderr(&missing)
    );
    assert!(!stderr(&missing).contains("resolve"), "no DNS lookup");
    let relative = run("saved-page.htm");
    assert!(
        stderr(&relative).contains("no such file"),
        "{}",
        stderr(&relative)
    );

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("cookies.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n").unwrap();
    let empty = dir.path().join("empty.html");
    std::fs::write(&empty, b"  \n").unwrap();
    for (path, words) in [
        (pdf.to_str().unwrap(), "a PDF file (application/pdf)"),
        (empty.to_str().unwrap(), "the file is empty"),
        // The binary itself: a program, not a page (no `LS_COLORS` "mentions").
        (BIN, "not an HTML page"),
    ] {
        let output = run(path);
        assert_eq!(output.status.code(), Some(2), "{path}");
        assert!(
            stderr(&output).contains(words),
            "{path}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn help_and_usage_errors_say_what_is_true() {
    let run = |args: &[&str]| Command::new(BIN).args(args).output().unwrap();
    let words = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let demo = words(stdout(&run(&["demo", "--help"])));
    assert!(
        demo.contains("[default: 60 in the demo]") && demo.contains("[default: 50 in the demo]"),
        "{demo}"
    );
    let declared = stdout(&run(&["declared", "--help"]));
    for crawl_only in ["--max-pages", "--consent", "--fail-on", "--max-depth"] {
        assert!(
            !declared.contains(crawl_only),
            "declared --help lists {crawl_only}"
        );
    }
    let scan_help = stdout(&run(&["scan", "--help"]));
    assert!(scan_help.contains("Examples:") && scan_help.contains("Network and access:"));
    for (args, words) in [
        (&["scan", "x.test", "--rate", "-1"][..], "-1 is not a rate"),
        (
            &["scan", "x.test", "--timeout", "0"][..],
            "--timeout: must be at least 1",
        ),
        (&["scan", "htps://x.test/"][..], "did you mean `https://`?"),
        (
            &["scan", "x.test", "--exclude-path", "news"][..],
            "starts with /",
        ),
        (&["scan", "x.test", "-H", "Cookie: a=1"][..], "use --cookie"),
        (
            &["scan", "x.test", "--ignore-file", "/nonexistent.toml"][..],
            "could not read the ignore file",
        ),
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(words),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn format_md_is_markdown_and_ports_browsers_refuse_are_refused_in_words() {
    let (_rt, server) = council();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.json");
    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &["-n", "3", "-o", saved.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let md = Command::new(BIN)
        .args(["report", saved.to_str().unwrap(), "--format", "md"])
        .output()
        .unwrap();
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    assert!(stdout(&md).contains("| Severity"));

    let unsafe_port = format!("http://{COUNCIL}:6000/");
    let output = scan(&server, &unsafe_port, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("port 6000 is one browsers refuse to connect to (net::ERR_UNSAFE_PORT)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn exclude_and_include_paths_limit_the_crawl_not_the_cookie_page() {
    let (_rt, server) = council();
    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &[
            "--exclude-path",
            "/news",
            "--exclude-path",
            "/events",
            "--format",
            "json",
        ],
    );
    let report = report_of(&output);
    let paths: Vec<String> = report
        .crawl
        .pages
        .iter()
        .map(|p| url::Url::parse(&p.url).unwrap().path().to_string())
        .collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/news") || p.starts_with("/events")),
        "{paths:?}"
    );
    assert!(paths.contains(&"/services".to_string()));
    assert!(report.crawl.pages_excluded >= 2);
    assert_eq!(report.config.exclude_paths, ["/news", "/events"]);

    let output = scan(
        &server,
        &server.http_url(COUNCIL, "/"),
        &[
            "--include-path",
            "/services",
            "--exclude-path",
            "/cookies",
            "--format",
            "json",
        ],
    );
    let report = report_of(&output);
    for page in &report.crawl.pages {
        let path = url::Url::parse(&page.url).unwrap().path().to_string();
        assert!(path == "/" || path.starts_with("/services"), "{path}");
    }
    assert_eq!(
        report.declaration.status,
        DeclarationStatus::Found,
        "the cookie page is read whatever the patterns say"
    );
}

#[test]
fn an_ignore_file_accepts_findings_until_it_expires() {
    let (_rt, server) = council();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accepted.toml");
    std::fs::write(
        &file,
        r#"
[[ignore]]
code = "undeclared"
cookie = "_ga"
reason = "Declared on the analytics page"
expires = 2999-12-31

[[ignore]]
code = "stale:retired"
cookie = "__cfduid"
reason = "Row removed in the next release"
expires = 2000-01-01
"#,
    )
    .unwrap();
    let url = server.http_url(COUNCIL, "/");
    let output = scan(
        &server,
        &url,
        &["--ignore-file", file.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = report_of(&output);
    assert!(!report.findings.iter().any(|f| f.cookie == "_ga"));
    assert_eq!(report.ignored.len(), 1);
    assert_eq!(report.ignored[0].finding.cookie, "_ga");
    assert_eq!(report.ignored[0].reason, "Declared on the analytics page");
    assert!(
        report.findings.iter().any(|f| f.cookie == "__cfduid"),
        "an expired entry accepts nothing"
    );
    assert!(
        stderr(&output).contains("expired on 2000-01-01"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        report.config.ignore_file.as_deref(),
        Some(file.to_str().unwrap())
    );
    assert_summary_counts_what_it_shows(&report);

    // Every kind accepted: --fail-on any no longer fails.
    let all = dir.path().join("all.toml");
    let entries: String = ["undeclared", "stale", "misdescribed", "no_declaration"]
        .iter()
        .map(|k| format!("[[ignore]]\ncode = \"{k}\"\nreason = \"accepted\"\n"))
        .collect();
    std::fs::write(&all, entries).unwrap();
    let failing = scan(&server, &url, &["--fail-on", "any", "--format", "json"]);
    assert_eq!(failing.status.code(), Some(1));
    let accepted = scan(
        &server,
        &url,
        &[
            "--fail-on",
            "any",
            "--ignore-file",
            all.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(accepted.status.code(), Some(0), "{}", stderr(&accepted));
}

/// What the staging site saw of each request: its host, and the credentials it carried.
#[derive(Debug, Clone)]
struct Seen {
    host: String,
    path: String,
    key: Option<String>,
    cookie: Option<String>,
}

const PAGE: &str = r#"<!doctype html><html><head><title>Staging</title>
<script src="/store.js"></script></head>
<body><a href="/inner">Inner</a><img src="http://cdn.third.test:PORT/pixel.gif"></body></html>"#;

/// A staging site on loopback (`www.staging.test`) with a third party beside it
/// (`cdn.third.test`), recording every request.
fn staging_site(runtime: &tokio::runtime::Runtime) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let log = log.clone();
        async move {
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let host = header("host").unwrap_or_default();
            let path = request.uri().path().to_string();
            log.lock().unwrap().push(Seen {
                host: host.split(':').next().unwrap_or_default().to_string(),
                path: path.clone(),
                key: header("x-staging-key"),
                cookie: header("cookie"),
            });
            let (kind, body) = match path.as_str() {
                "/store.js" => (
                    "text/javascript",
                    "localStorage.setItem('ca_seen', '1'); sessionStorage.setItem('ca_tab', 'x');"
                        .to_string(),
                ),
                "/pixel.gif" => ("image/gif", String::new()),
                _ => ("text/html", PAGE.replace("PORT", &addr.port().to_string())),
            };
            ([(axum::http::header::CONTENT_TYPE, kind)], body)
        }
    });
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

fn scan_staging(addr: SocketAddr, engine: &str) -> Output {
    Command::new(BIN)
        .arg("scan")
        .arg(format!("http://www.staging.test:{}/", addr.port()))
        .args([
            "--engine",
            engine,
            "--consent",
            "none",
            "--offline",
            "--rate",
            "0",
        ])
        .args(["--resolve", "www.staging.test=127.0.0.1"])
        .args(["--resolve", "cdn.third.test=127.0.0.1"])
        .args([
            "-H",
            "X-Staging-Key: s3cret-key",
            "-b",
            "session=abc123secret",
        ])
        .args(["--timeout", "10", "--format", "json", "-q"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// `--header` and `--cookie` reach the site's own hosts and no one else, with either engine;
/// the report keeps neither value; the browser records what the page wrote to web storage.
#[test]
fn headers_and_cookies_go_to_the_site_only_and_storage_is_recorded() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for engine in ["http", "browser"] {
        let (addr, seen) = staging_site(&runtime);
        let output = scan_staging(addr, engine);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{engine}: {}",
            stderr(&output)
        );
        let seen = seen.lock().unwrap().clone();
        let site: Vec<&Seen> = seen
            .iter()
            .filter(|s| s.host == "www.staging.test")
            .collect();
        let third: Vec<&Seen> = seen.iter().filter(|s| s.host == "cdn.third.test").collect();
        assert!(
            site.iter().any(|s| s.path == "/inner") && !third.is_empty(),
            "{engine}: {seen:?}"
        );
        for request in &site {
            assert_eq!(
                request.key.as_deref(),
                Some("s3cret-key"),
                "{engine}: {request:?}"
            );
            assert!(
                request
                    .cookie
                    .as_deref()
                    .is_some_and(|c| c.contains("session=abc123secret")),
                "{engine}: {request:?}"
            );
        }
        for request in &third {
            assert!(
                request.key.is_none() && request.cookie.is_none(),
                "{engine}: a credential reached a third party: {request:?}"
            );
        }
        let json = stdout(&output);
        assert!(
            !json.contains("s3cret-key") && !json.contains("abc123secret"),
            "{engine}: a value in the report"
        );
        let report = report_of(&output);
        assert_eq!(report.config.headers[0].name, "X-Staging-Key");
        assert_eq!(report.config.cookies[0].name, "session");
        assert!(
            !report.observed.iter().any(|c| c.name == "session"),
            "{engine}: our own cookie is not the site's"
        );
        if engine == "browser" {
            let keys: Vec<(StorageKind, &str, &str)> = report
                .storage
                .iter()
                .map(|s| (s.kind, s.key.as_str(), s.set_by_url.as_str()))
                .collect();
            let script = format!("http://www.staging.test:{}/store.js", addr.port());
            assert!(
                keys.contains(&(StorageKind::Local, "ca_seen", script.as_str()))
                    && keys.contains(&(StorageKind::Session, "ca_tab", script.as_str())),
                "{keys:?}"
            );
            assert!(report.storage.iter().all(|s| s.value.value.is_none()));
        } else {
            assert!(report.storage.is_empty());
        }
    }
}
