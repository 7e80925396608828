//! The browser engine through the CLI: the engine choice, the two engines agreeing on HTTP
//! cookies, and no Chromium left behind — after a scan that errors, after SIGKILL and after
//! Ctrl-C (SIGINT) of cookie-audit. Real Chromium: these fail, never skip, when it is missing.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cookie_audit_browser::MARKER_ENV;
use cookie_audit_browser::procs::{
    ProcessInfo, all_processes, processes_with_env, processes_with_env_prefix,
};
use cookie_audit_fixtures::{FixtureServer, council};
use cookie_audit_model::{CookieSource, EngineKind, EvidenceKind, ObservedCookie, Report};

const BIN: &str = env!("CARGO_BIN_EXE_cookie-audit");

fn require_chromium() {
    cookie_audit_browser::find_chrome(None).unwrap_or_else(|e| {
        panic!("the browser tests need Chromium: {e}. On Debian/Ubuntu: `apt-get install chromium`")
    });
}

/// `cookie-audit scan` of the fixture council, offline, with its own TMPDIR: the browser's
/// profile goes under it, so its processes carry the marker with that prefix.
fn scan_command(server: &FixtureServer, tmp: &Path, engine: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("scan")
        .arg(server.http_url(council::COUNCIL, "/"))
        .args(["--engine", engine, "--offline", "--insecure", "--rate", "0"])
        .args(["--max-pages", "60", "--format", "json"])
        .args(extra)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null());
    for rule in server.resolve_args() {
        cmd.args(["--resolve", &rule]);
    }
    cmd
}

/// cookie-audit itself (it has TMPDIR) and every browser process: its profile is under TMPDIR,
/// and each process either carries the marker or names the profile on its command line
/// (Chromium's zygote starts renderers with an environment of its own).
fn ours(tmp: &Path) -> Vec<ProcessInfo> {
    let tmp = tmp.to_str().unwrap();
    let mut found = processes_with_env("TMPDIR", tmp);
    found.extend(processes_with_env_prefix(MARKER_ENV, tmp));
    found.extend(
        all_processes()
            .into_iter()
            .filter(|p| p.cmdline.contains(tmp)),
    );
    found.sort_by_key(|p| p.pid);
    found.dedup();
    found
}

/// Waits until no process carrying `tmp` is alive; panics with what is left.
fn assert_all_gone(tmp: &Path, within: Duration) {
    let start = Instant::now();
    loop {
        let left = ours(tmp);
        if left.is_empty() {
            return;
        }
        if start.elapsed() > within {
            panic!("processes left behind after {within:?}: {left:#?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills cookie-audit if a test fails before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_chromium(tmp: &Path, child: &mut Child) {
    let start = Instant::now();
    while !ours(tmp)
        .iter()
        .any(|p| p.cmdline.contains("--type=renderer"))
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "cookie-audit ended before Chromium was seen"
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Chromium never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn report_of(output: &Output) -> Report {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not a report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn no_chromium_left_after_a_scan_that_errors() {
    require_chromium();
    let tmp = tempfile::tempdir().unwrap();
    // Offline and unmapped: the start page cannot load, so nothing can be audited (exit 2).
    let output = Command::new(BIN)
        .args([
            "scan",
            "http://www.unreachable.test/",
            "--engine",
            "browser",
            "--offline",
        ])
        .args(["--settle-ms", "300", "--format", "json", "-q"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let report = report_of(&output);
    assert_eq!(report.engine, EngineKind::Browser);
    assert_all_gone(tmp.path(), Duration::from_secs(5));
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "the browser profile was removed"
    );
}

#[test]
fn no_chromium_left_after_sigkill_or_ctrl_c_of_cookie_audit() {
    require_chromium();
    let rt = runtime();
    let server = rt.block_on(council::start()).unwrap();
    for signal in ["-KILL", "-INT"] {
        let tmp = tempfile::tempdir().unwrap();
        let child = scan_command(
            &server,
            tmp.path(),
            "browser",
            &["--settle-ms", "5000", "-q"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let mut child = KillOnDrop(child);
        wait_for_chromium(tmp.path(), &mut child.0);
        let child = &mut child.0;
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(!exit.success(), "{signal}: {exit:?}");
        assert_all_gone(tmp.path(), Duration::from_secs(10));
        // The watchdog removes the profile once Chromium is dead.
        let start = Instant::now();
        while std::fs::read_dir(tmp.path()).unwrap().count() > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{signal}: profile left in {:?}",
                tmp.path()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn auto_without_chromium_uses_http_and_says_so() {
    let rt = runtime();
    let server = rt.block_on(council::start()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let output = scan_command(&server, tmp.path(), "auto", &[])
        .env("CHROME", "/nonexistent/chromium")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = report_of(&output);
    assert_eq!(report.engine, EngineKind::Http);
    assert!(report.browser.is_none());
    assert_eq!(
        report.limitations,
        vec![
            "cookies set by JavaScript are not observed".to_string(),
            "the HTTP engine cannot see or click a consent banner: only the visitor who has not chosen was audited".to_string(),
        ]
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("using the HTTP engine"),
        "a warning on stderr: {stderr}"
    );
}

#[test]
fn browser_without_chromium_is_a_usage_failure() {
    let output = Command::new(BIN)
        .args([
            "scan",
            "http://www.unreachable.test/",
            "--engine",
            "browser",
        ])
        .args(["--chrome", "/nonexistent/chromium", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/chromium"));
}

/// What both engines must agree on for a cookie set by a Set-Cookie header.
fn http_view(observed: &[ObservedCookie]) -> Vec<String> {
    let mut view: Vec<String> = observed
        .iter()
        .filter(|c| c.source == CookieSource::Http)
        .map(|c| {
            format!(
                "{} {} {} host_only={} session={} secure={} http_only={} same_site={:?} party={:?} rejected={:?} set_by={} first_seen={} pages={}",
                c.name,
                c.domain,
                c.path,
                c.host_only,
                c.lifetime.session,
                c.secure,
                c.http_only,
                c.same_site,
                c.party,
                c.rejected.as_ref().map(|r| r.reason),
                c.set_by_url,
                c.first_seen_page,
                c.pages,
            )
        })
        .collect();
    view.sort();
    view
}

#[test]
fn both_engines_agree_on_http_set_cookies() {
    require_chromium();
    let rt = runtime();
    let server = rt.block_on(council::start()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let http = report_of(
        &scan_command(&server, tmp.path(), "http", &["-q"])
            .output()
            .unwrap(),
    );
    let browser = report_of(
        &scan_command(
            &server,
            tmp.path(),
            "browser",
            &["--settle-ms", "300", "-q"],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(http.engine, EngineKind::Http);
    assert_eq!(browser.engine, EngineKind::Browser);
    let browser_info = browser
        .browser
        .as_ref()
        .expect("browser version and policy");
    assert!(browser_info.version.starts_with("Chromium/"));
    // Cookies scripts also wrote (nmstat: Siteimprove's script refreshes it on every page) are
    // seen on more pages by the browser; the engines must agree on everything else.
    let scripted: Vec<(String, String, String)> = browser
        .observed
        .iter()
        .filter(|c| c.evidence.iter().any(|e| e.kind == EvidenceKind::Script))
        .map(|c| (c.name.clone(), c.domain.clone(), c.path.clone()))
        .collect();
    assert!(
        scripted.iter().any(|(name, _, _)| name == "nmstat"),
        "the browser saw Siteimprove's script write nmstat"
    );
    let header_only = |observed: &[ObservedCookie]| -> Vec<ObservedCookie> {
        observed
            .iter()
            .filter(|c| !scripted.contains(&(c.name.clone(), c.domain.clone(), c.path.clone())))
            .cloned()
            .collect()
    };
    assert_eq!(
        http_view(&header_only(&http.observed)),
        http_view(&header_only(&browser.observed))
    );
    // Lifetimes are what the site asked for; an Expires date counts from each response's Date,
    // and the two scans ran a few seconds apart.
    for c in browser
        .observed
        .iter()
        .filter(|c| c.source == CookieSource::Http)
    {
        let twin = http
            .observed
            .iter()
            .find(|h| (&h.name, &h.domain, &h.path) == (&c.name, &c.domain, &c.path))
            .unwrap();
        let (a, b) = (c.lifetime.seconds, twin.lifetime.seconds);
        assert!(
            a == b || a.zip(b).is_some_and(|(a, b)| (a - b).abs() <= 60),
            "{}: {a:?} vs {b:?}",
            c.name
        );
    }
}
