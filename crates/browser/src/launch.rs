//! Starting Chromium so that it can never outlive us.
//!
//! Chromium is started in a process group of its own (every helper it forks stays in it) with a
//! fresh profile. A tiny watchdog shell, also in a group of its own so a terminal's Ctrl-C does
//! not reach it, holds the read end of a pipe whose write end only we hold. When we go away —
//! normal end, error, panic, Ctrl-C, even SIGKILL — the kernel closes that pipe, the watchdog's
//! `read` returns, and it kills the whole group and removes the profile. A normal shutdown uses
//! the same path: we close the pipe and wait. (A parent-death signal would need `unsafe`
//! `pre_exec`, which the workspace forbids, and it fires when the spawning *thread* exits.)

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::BrowserError;

/// How long Chromium may take to open its DevTools endpoint.
pub const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the browser is looked for when neither `--chrome` nor `$CHROME` says.
pub const CANDIDATES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
];

/// The profile preference that lets third-party cookies through, as in a visitor's Chrome.
/// Chromium 156 blocks them by default (blocked reason `UserPreferences`); the DevTools
/// `Network.setCookieControls` did not lift that, the profile preference does.
pub const PREFERENCES: &str = r#"{"profile":{"cookie_controls_mode":0}}"#;

/// An empty page in the profile. A `file:` page is a secure context, where Chromium shows its
/// client hints (`navigator.userAgentData`); about:blank is not.
pub const PROBE_PAGE: &str = "probe.html";

/// The environment variable every process of a launched browser carries: its profile path.
/// Tests and the benchmark find a browser's processes by it, even once they were orphaned.
pub const MARKER_ENV: &str = "COOKIE_AUDIT_BROWSER_PROFILE";

/// Finds the browser: `explicit` (from `--chrome`), then `$CHROME`, then the usual names on PATH.
pub fn find_chrome(explicit: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(path) = explicit {
        return checked(path.to_path_buf(), "--chrome");
    }
    if let Some(path) = std::env::var_os("CHROME").filter(|p| !p.is_empty()) {
        return checked(PathBuf::from(path), "$CHROME");
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    for name in CANDIDATES {
        for dir in std::env::split_paths(&path_var) {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
    }
    Err(BrowserError::NotFound)
}

fn checked(path: PathBuf, origin: &'static str) -> Result<PathBuf, BrowserError> {
    // A bare name ("chromium") is looked up on PATH like a shell would.
    if path.components().count() == 1 && !path.exists() {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        for dir in std::env::split_paths(&path_var) {
            let candidate = dir.join(&path);
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
    }
    if is_executable(&path) {
        Ok(path)
    } else {
        Err(BrowserError::NotExecutable { path, origin })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What Chromium is started with.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    pub chrome: PathBuf,
    /// Certificate errors are ignored only when asked (`--insecure`).
    pub insecure: bool,
    /// The guard proxy (`crate::proxy`): every connection Chromium makes goes through it.
    pub proxy: SocketAddr,
}

/// Chromium's own resolver answers nothing but the proxy's address: names go to the proxy
/// unresolved, and the proxy resolves them with the guard (`--resolve`, `--offline`). Anything
/// that tried to bypass the proxy would find no address, and makes no DNS query.
pub fn host_resolver_rules(proxy: SocketAddr) -> String {
    format!("MAP * ~NOTFOUND, EXCLUDE {}", proxy.ip())
}

/// The command line, without the program. Every flag is explained in docs/browser.md.
pub fn chrome_args(options: &LaunchOptions, profile: &Path, as_root: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "--headless",
        "--remote-debugging-port=0",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-gpu",
        "--disable-breakpad",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--metrics-recording-only",
        "--password-store=basic",
        "--use-mock-keychain",
        "--mute-audio",
        "--hide-scrollbars",
        "--window-size=1280,800",
        "--lang=en-GB",
        "--accept-lang=en-GB,en",
        // Tabs work in parallel: none of them may be throttled as a background tab.
        "--disable-background-timer-throttling",
        "--disable-backgrounding-occluded-windows",
        "--disable-renderer-backgrounding",
        // Requests made inside cross-site iframes are only reported to the page's DevTools
        // session when the iframe runs in the page's process.
        "--disable-site-isolation-trials",
        // A visitor's Chrome: `navigator.webdriver` is true in a browser driven over DevTools,
        // and consent libraries hide their banner from it (vanilla-cookieconsent does).
        "--disable-blink-features=AutomationControlled",
        // Site isolation off (see above); no HTTPS upgrade of the URLs the crawl chose.
        "--disable-features=IsolateOrigins,site-per-process,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,Translate,MediaRouter,OptimizationHints,NetworkTimeServiceQuerying",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    if as_root {
        // Chromium's sandbox refuses to run as root; as any other user it stays on.
        args.push("--no-sandbox".into());
    }
    if options.insecure {
        args.push("--ignore-certificate-errors".into());
    }
    // Every connection through the guard proxy, loopback included (Chromium bypasses proxies
    // for loopback addresses unless `<-loopback>` removes that rule); WebRTC may not send UDP
    // around the proxy (QUIC is off above).
    args.push(format!("--proxy-server=http://{}", options.proxy));
    args.push("--proxy-bypass-list=<-loopback>".into());
    args.push("--force-webrtc-ip-handling-policy=disable_non_proxied_udp".into());
    args.push(format!(
        "--host-resolver-rules={}",
        host_resolver_rules(options.proxy)
    ));
    args.push("about:blank".into());
    args
}

/// The watchdog: waits for its stdin to close, then kills the browser's process group and
/// removes the profile. It ignores the signals a terminal or a parent's death may send.
/// Chromium's crash handlers daemonise out of the group (and `--disable-crashpad-for-testing`
/// crashes Chromium 156's network service), so processes carrying the marker or naming the
/// profile on their command line are killed too.
const WATCHDOG: &str = r#"trap '' INT HUP TERM QUIT PIPE
while read -r _ignored; do :; done
kill -KILL -- "-$1" 2>/dev/null
for p in /proc/[0-9]*; do
  [ "${p#/proc/}" = "$$" ] && continue
  if grep -qxz -- "$3=$2" "$p/environ" 2>/dev/null || grep -qzF -- "$2" "$p/cmdline" 2>/dev/null; then
    kill -KILL "${p#/proc/}" 2>/dev/null
  fi
done
sleep 0.2
rm -rf -- "$2" 2>/dev/null || { sleep 0.5; rm -rf -- "$2"; }
"#;

/// A running Chromium with its watchdog and profile.
#[derive(Debug)]
pub struct ChromeProcess {
    child: Child,
    pid: u32,
    watchdog: Option<std::process::Child>,
    profile: PathBuf,
    ws_url: String,
    path: PathBuf,
}

impl ChromeProcess {
    /// Starts Chromium with a fresh profile under the system temp dir.
    pub async fn start(options: &LaunchOptions) -> Result<ChromeProcess, BrowserError> {
        let profile = fresh_profile()?;
        match Self::start_in(options, profile.clone()).await {
            Ok(p) => Ok(p),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                Err(e)
            }
        }
    }

    async fn start_in(
        options: &LaunchOptions,
        profile: PathBuf,
    ) -> Result<ChromeProcess, BrowserError> {
        let args = chrome_args(options, &profile, crate::procs::running_as_root());
        tracing::debug!(chrome = %options.chrome.display(), ?args, "starting Chromium");
        let child = Command::new(&options.chrome)
            .args(&args)
            .env(MARKER_ENV, &profile)
            // Crash reports, if any, stay in the profile and go with it (not in $HOME).
            .env("BREAKPAD_DUMP_LOCATION", profile.join("crashpad"))
            // Chromium's own temporary files too: after a SIGKILL nobody else removes them.
            .env("TMPDIR", profile.join("t"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| BrowserError::Spawn {
                path: options.chrome.clone(),
                source,
            })?;
        let pid = child.id().unwrap_or_default();
        let watchdog = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("cookie-audit-watchdog")
            .arg(pid.to_string())
            .arg(&profile)
            .arg(MARKER_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        let watchdog = match watchdog {
            Ok(w) => Some(w),
            Err(e) => {
                // Without a shell the browser still dies with a normal shutdown, just not on
                // SIGKILL of this process: say so rather than refuse to run.
                tracing::warn!(error = %e, "could not start the browser watchdog (/bin/sh); Chromium may outlive a killed cookie-audit");
                None
            }
        };
        let mut process = ChromeProcess {
            child,
            pid,
            watchdog,
            profile,
            ws_url: String::new(),
            path: options.chrome.clone(),
        };
        let stderr = process.child.stderr.take().expect("stderr is piped above");
        match wait_for_endpoint(&mut process.child, stderr).await {
            Ok(url) => {
                process.ws_url = url;
                Ok(process)
            }
            Err(last_words) => {
                process.kill().await;
                Err(BrowserError::NoEndpoint {
                    path: process.path.clone(),
                    secs: LAUNCH_TIMEOUT.as_secs(),
                    stderr: last_words,
                })
            }
        }
    }

    /// The browser's DevTools websocket URL.
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// The browser process id; it leads the process group of all its helpers.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn profile(&self) -> &Path {
        &self.profile
    }

    /// Whether the browser process has exited (crashed or killed).
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the browser's whole process group, reaps it, and removes the profile.
    pub async fn kill(&mut self) {
        // Closing the watchdog's stdin makes it kill the group and remove the profile.
        if let Some(mut watchdog) = self.watchdog.take() {
            drop(watchdog.stdin.take());
            let _ = self.child.kill().await;
            let _ = tokio::task::spawn_blocking(move || watchdog.wait()).await;
        } else {
            let _ = self.child.kill().await;
            kill_group_fallback(self.pid);
        }
        let _ = self.child.wait().await;
        if self.profile.exists() {
            let _ = std::fs::remove_dir_all(&self.profile);
        }
    }
}

impl Drop for ChromeProcess {
    fn drop(&mut self) {
        // The synchronous path (a panic unwinding, an engine dropped without shutdown): closing
        // the pipe is enough, the watchdog does the rest on its own.
        if let Some(mut watchdog) = self.watchdog.take() {
            drop(watchdog.stdin.take());
            std::thread::spawn(move || watchdog.wait());
        }
    }
}

/// Without a watchdog: `kill -KILL -PGID` by the `kill` program (no `unsafe` here).
fn kill_group_fallback(pgid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn fresh_profile() -> Result<PathBuf, BrowserError> {
    // Short: Chromium puts a Unix socket under it, and socket paths end at 108 bytes.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let profile = std::env::temp_dir().join(format!("cab-{}-{nanos:x}", std::process::id()));
    let default = profile.join("Default");
    let err = |source| BrowserError::Profile {
        path: profile.clone(),
        source,
    };
    std::fs::create_dir_all(&default).map_err(err)?;
    std::fs::create_dir_all(profile.join("t")).map_err(err)?;
    std::fs::write(default.join("Preferences"), PREFERENCES).map_err(err)?;
    std::fs::write(
        profile.join(PROBE_PAGE),
        "<!DOCTYPE html><title>probe</title>",
    )
    .map_err(err)?;
    Ok(profile)
}

/// Reads stderr until "DevTools listening on ws://…", then keeps draining it in the background
/// (a full pipe would block Chromium). On failure — Chromium exited, or took longer than
/// [`LAUNCH_TIMEOUT`] — returns the last lines it wrote.
async fn wait_for_endpoint(
    child: &mut Child,
    stderr: tokio::process::ChildStderr,
) -> Result<String, String> {
    let mut lines = BufReader::new(stderr).lines();
    let mut last: Vec<String> = Vec::new();
    let deadline = tokio::time::sleep(LAUNCH_TIMEOUT);
    tokio::pin!(deadline);
    let mut exited = None;
    loop {
        tokio::select! {
            biased;
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    if let Some((_, url)) = line.split_once("DevTools listening on ")
                        && url.starts_with("ws://")
                    {
                        let url = url.trim().to_string();
                        tokio::spawn(async move {
                            while let Ok(Some(line)) = lines.next_line().await {
                                tracing::trace!(target: "cookie_audit_browser::chromium", "{line}");
                            }
                        });
                        return Ok(url);
                    }
                    if !line.contains("dbus") {
                        if last.len() == 5 {
                            last.remove(0);
                        }
                        last.push(line);
                    }
                }
                _ => break,
            },
            // Its helpers may keep stderr open after the browser itself died.
            status = child.wait(), if exited.is_none() => {
                exited = Some(status);
                // Whatever it wrote before dying is still in the pipe: read a little more.
                deadline.as_mut().reset(tokio::time::Instant::now() + Duration::from_millis(200));
            }
            _ = &mut deadline => {
                if exited.is_none() {
                    last.push(format!("(no DevTools endpoint after {}s)", LAUNCH_TIMEOUT.as_secs()));
                }
                break;
            }
        }
    }
    if let Some(status) = exited {
        last.push(format!("(Chromium exited: {status:?})"));
    }
    Err(last.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_connection_goes_through_the_proxy() {
        let options = LaunchOptions {
            chrome: "/usr/bin/chromium".into(),
            insecure: false,
            proxy: "127.0.0.1:4321".parse().unwrap(),
        };
        let args = chrome_args(&options, Path::new("/tmp/p"), false);
        for expected in [
            "--proxy-server=http://127.0.0.1:4321",
            "--proxy-bypass-list=<-loopback>",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--disable-quic",
        ] {
            assert!(args.iter().any(|a| a == expected), "{expected}: {args:?}");
        }
        assert!(!args.iter().any(|a| a == "--no-proxy-server"));
    }

    #[test]
    fn sandbox_off_only_as_root_and_certificates_only_with_insecure() {
        let options = LaunchOptions {
            chrome: "/usr/bin/chromium".into(),
            insecure: false,
            proxy: "127.0.0.1:4321".parse().unwrap(),
        };
        let args = chrome_args(&options, Path::new("/tmp/p"), false);
        assert!(!args.iter().any(|a| a == "--no-sandbox"));
        assert!(!args.iter().any(|a| a.contains("ignore-certificate")));
        assert!(args.iter().any(|a| a == "--disable-quic"));
        let args = chrome_args(
            &LaunchOptions {
                insecure: true,
                ..options
            },
            Path::new("/tmp/p"),
            true,
        );
        assert!(args.iter().any(|a| a == "--no-sandbox"));
        assert!(args.iter().any(|a| a == "--ignore-certificate-errors"));
    }
}
