//! The browser engine's SSRF guard: an HTTP proxy on 127.0.0.1 through which Chromium makes
//! every connection.
//!
//! Chromium resolves names itself, so the HTTP client's guard never sees what it connects to.
//! Started with `--proxy-server` pointing here (and `<-loopback>` in its bypass list, so loopback
//! literals come here too), Chromium hands every name to this proxy unresolved, and the proxy
//! resolves and judges it with [`Guard`] — the same `--resolve` map, `--offline` rule,
//! `--allow-private` and address check as the HTTP client — before it connects:
//!
//! - `CONNECT host:port` (HTTPS, and WebSockets, which Chromium always tunnels through a proxy):
//!   a checked TCP connection, then bytes copied both ways; TLS stays end to end, so certificates
//!   are Chromium's business (`--insecure` works as before);
//! - `GET http://host/path` (plain HTTP, absolute form): each request goes to its own checked
//!   upstream — one keep-alive connection from Chromium may carry requests for many hosts — and
//!   the response comes back as the site sent it, byte for byte: a header line hyper could not
//!   pass on (a bare carriage return, a control character) reaches Chromium, which reads it its
//!   own way (`conn.rs` says how, and why not hyper). Only the lines the proxy owns are removed:
//!   hop-by-hop fields and [`VERDICT_HEADER`].
//!
//! A refused target gets `403` with the reason in [`VERDICT_HEADER`] and the body; any other
//! failure to connect gets `502` the same way. Refusals are logged for the report's
//! `crawl.errors` when a page asked for what was refused ([`Proxy::claim_refusals`]); the engine turns a verdict on a page's own document
//! into that page's error ([`Proxy::tunnel_failure`] for tunnels, which Chromium reports only as
//! `ERR_TUNNEL_CONNECTION_FAILED`).

mod conn;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cookie_audit_crawl::net::{DialError, Guard};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use url::Url;

/// The header carrying the proxy's own verdict on a request it did not forward. An upstream
/// response never carries it: the proxy removes it, so a site cannot fake a refusal.
pub(crate) const VERDICT_HEADER: &str = "x-cookie-audit-proxy";

/// Refusals listed in the report per crawl; a hostile page could make Chromium request millions
/// of refused URLs. Past this many the report says how many more there were.
pub(crate) const MAX_REFUSALS_LISTED: usize = 1_000;

/// Targets whose last failure is remembered for explaining a failed tunnel; the map is cleared
/// when it grows past this (only the latest failures matter).
const MAX_FAILURES_REMEMBERED: usize = 10_000;

/// What the proxy lists for the page that asked: a request the guard refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The URL for plain HTTP; `https://host:port/` for a tunnel (HTTPS or a WebSocket: the
    /// proxy only sees the host and port).
    pub url: Url,
    pub reason: String,
}

/// What the proxy saw go wrong, for the engine to report.
#[derive(Debug, Default)]
struct Log {
    /// Refusals not yet taken by the engine.
    pending: Vec<Refusal>,
    /// Refusals listed so far, never listed twice.
    listed: HashSet<(String, String)>,
    /// Refused requests once [`MAX_REFUSALS_LISTED`] were listed, repeats included (remembering
    /// which were repeats would cost the memory the cap is there to save).
    unlisted: u64,
    /// The last failure (refusal or not) per `host:port`.
    failures: HashMap<String, String>,
}

impl Log {
    /// Lists a problem for the page that asked, once, up to [`MAX_REFUSALS_LISTED`]; past that
    /// it is only counted.
    fn list(&mut self, url: Url, reason: String) {
        let key = (url.to_string(), reason);
        if self.listed.contains(&key) {
            return;
        }
        if self.listed.len() >= MAX_REFUSALS_LISTED {
            self.unlisted += 1;
            return;
        }
        let reason = key.1.clone();
        self.listed.insert(key);
        self.pending.push(Refusal { url, reason });
    }
}

/// What every connection handler shares.
#[derive(Debug)]
struct Shared {
    guard: Guard,
    connect_timeout: Duration,
    log: Mutex<Log>,
    /// Connection handlers and tunnels; aborted together when the proxy goes.
    tasks: Mutex<JoinSet<()>>,
}

impl Shared {
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        // Finished tasks stay in the set until joined: reap them so it does not grow.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    fn note_failure(&self, authority: &str, url: Url, error: &DialError) {
        let reason = cookie_audit_model::error_chain(error);
        tracing::debug!(%url, %reason, refused = error.is_refusal(), "the browser's proxy did not connect");
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.failures.len() >= MAX_FAILURES_REMEMBERED {
            log.failures.clear();
        }
        log.failures.insert(authority.to_string(), reason.clone());
        if error.is_refusal() {
            log.list(url, reason);
        }
    }
}

/// The running proxy. Dropping it stops it and closes every connection and tunnel.
#[derive(Debug)]
pub(crate) struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (an ephemeral port). `connect_timeout` bounds each upstream connect.
    pub(crate) async fn start(guard: Guard, connect_timeout: Duration) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            guard,
            connect_timeout,
            log: Mutex::default(),
            tasks: Mutex::new(JoinSet::new()),
        });
        let accepting = shared.clone();
        shared.spawn(async move { accept_loop(listener, accepting).await });
        Ok(Proxy { addr, shared })
    }

    /// The proxy's address, for `--proxy-server`.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Takes the refusals of requests to a `host:port` in `asked` (a page's own requests, see
    /// `Capture::asked_authorities`); the rest stay for the page that asked for them. The proxy
    /// serves every tab and Chromium's own background traffic alike, and only a page's requests
    /// belong in the site's report.
    pub(crate) fn claim_refusals(&self, asked: &HashSet<String>) -> Vec<Refusal> {
        let mut log = self.shared.log.lock().unwrap_or_else(|e| e.into_inner());
        let (claimed, left) = std::mem::take(&mut log.pending)
            .into_iter()
            .partition(|r| authority_key(&r.url).is_some_and(|key| asked.contains(&key)));
        log.pending = left;
        claimed
    }

    /// Takes every refusal no page claimed, and how many refused requests were past
    /// [`MAX_REFUSALS_LISTED`] (in all).
    pub(crate) fn take_unclaimed(&self) -> (Vec<Refusal>, u64) {
        let mut log = self.shared.log.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut log.pending), log.unlisted)
    }

    /// Why the proxy last failed to open a tunnel to `url`'s host and port, if it did.
    pub(crate) fn tunnel_failure(&self, url: &Url) -> Option<String> {
        let key = authority_key(url)?;
        let log = self.shared.log.lock().unwrap_or_else(|e| e.into_inner());
        log.failures.get(&key).cloned()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The accept loop holds the shared state, and the shared state holds the tasks: abort
        // them explicitly, the cycle ends with them.
        self.shared
            .tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abort_all();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of file descriptors, usually: wait rather than spin.
                tracing::debug!(%error, "the browser's proxy could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        shared.spawn(conn::serve(shared.clone(), stream));
    }
}

/// `scheme://authority/` parsed as a URL: the host canonical as the crawl writes it (numeric IPv4
/// forms as dotted decimal, names in lower case), the same form the guard judges.
fn parse_target(scheme: &str, authority: &str) -> Option<Url> {
    if authority.contains('@') {
        return None;
    }
    let url = Url::parse(&format!("{scheme}://{authority}/")).ok()?;
    url.host()?;
    Some(url)
}

/// `host:port` of a URL (default port filled in): the key tunnel failures are remembered by.
pub(crate) fn authority_key(url: &Url) -> Option<String> {
    Some(format!(
        "{}:{}",
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

/// The proxy's answer when the guard or the network said no: `403` for a refusal, `502` for a
/// failure. `close`: Chromium's connection ends with it.
fn verdict_response(error: &DialError, close: bool) -> Vec<u8> {
    let reason = cookie_audit_model::error_chain(error);
    if error.is_refusal() {
        text_response(403, "Forbidden", &reason, close)
    } else {
        text_response(502, "Bad Gateway", &reason, close)
    }
}

/// The proxy's own answer: the reason in the body and in [`VERDICT_HEADER`], so the engine can
/// tell it from the site's.
fn text_response(status: u16, phrase: &str, reason: &str, close: bool) -> Vec<u8> {
    let body = format!("cookie-audit's browser proxy: {reason}\n");
    // Header values are visible ASCII: an OS error message in another language is not.
    let printable: String = reason
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    // A verdict is about this attempt: never cached as if the site had said it (`no-store`).
    let mut head = format!(
        "HTTP/1.1 {status} {phrase}\r\n\
         content-type: text/plain; charset=utf-8\r\n\
         cache-control: no-store\r\n\
         {VERDICT_HEADER}: {printable}\r\n\
         content-length: {}\r\n",
        body.len()
    );
    if close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cookie_audit_fixtures::raw::{Behaviour, RawServer, Step, response};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    fn guard(resolve: &[(&str, &str)], offline: bool) -> Guard {
        Guard::new(
            resolve
                .iter()
                .map(|(h, a)| (h.to_string(), a.parse().unwrap())),
            offline,
            false,
        )
    }

    fn site(path: &str) -> Vec<Step> {
        vec![Step::Write(response(
            "200 OK",
            &[
                b"Content-Type: text/html",
                b"Set-Cookie: a=1; Path=/",
                b"SET-COOKIE: b=2; Max-Age=60",
                b"X-Cookie-Audit-Proxy: forged by the site",
            ],
            path.as_bytes(),
        ))]
    }

    fn trap(_: &str) -> Vec<Step> {
        vec![Step::Write(response("200 OK", &[], b"leaked"))]
    }

    /// A new connection to the proxy, as Chromium opens one, with `head` sent and the answer
    /// read; the connection stays open (a tunnel goes on over it).
    async fn ask(proxy: &Proxy, head: &str) -> (TcpStream, String) {
        let mut chromium = TcpStream::connect(proxy.addr()).await.unwrap();
        chromium.write_all(head.as_bytes()).await.unwrap();
        let answer = read_response(&mut chromium).await;
        (chromium, answer)
    }

    /// Reads one response (headers and a Content-Length body) from a raw connection.
    async fn read_response(stream: &mut TcpStream) -> String {
        let mut buffer = Vec::new();
        loop {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buffer));
            buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buffer).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if buffer.len() >= end + 4 + length {
                    return text;
                }
            }
        }
    }

    #[tokio::test]
    async fn plain_http_goes_to_each_requests_own_checked_upstream() {
        let one = RawServer::start("127.0.0.1:0".parse().unwrap(), Behaviour::Scripted(site))
            .await
            .unwrap();
        let trap = RawServer::start("127.0.0.2:0".parse().unwrap(), Behaviour::Scripted(trap))
            .await
            .unwrap();
        let proxy = Proxy::start(
            guard(&[("www.a.test", "127.0.0.1")], false),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        let mut chromium = TcpStream::connect(proxy.addr()).await.unwrap();
        // One keep-alive connection, three targets: allowed, refused literal, refused by offline
        // rule... (not offline here: the literal and a decimal form of it).
        let requests = [
            format!("http://www.a.test:{}/first", one.port()),
            format!("http://127.0.0.2:{}/latest/meta-data/", trap.port()),
            format!("http://2130706434:{}/decimal", trap.port()),
            format!("http://www.a.test:{}/second", one.port()),
        ];
        let mut answers = Vec::new();
        for url in &requests {
            let host = url.trim_start_matches("http://").split('/').next().unwrap();
            chromium
                .write_all(
                    format!(
                        "GET {url} HTTP/1.1\r\nHost: {host}\r\nProxy-Connection: keep-alive\r\nCookie: s=secret\r\n\r\n"
                    )
                    .as_bytes(),
                )
                .await
                .unwrap();
            answers.push(read_response(&mut chromium).await);
        }
        let [first, literal, decimal, second] = &answers[..] else {
            unreachable!()
        };
        for ok in [first, second] {
            assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
            // Both Set-Cookie lines, in order and as spelled; the forged verdict is gone.
            let a = ok.find("Set-Cookie: a=1; Path=/").expect(ok);
            let b = ok.find("SET-COOKIE: b=2; Max-Age=60").expect(ok);
            assert!(a < b);
            assert!(!ok.to_ascii_lowercase().contains("forged"), "{ok}");
        }
        assert!(first.ends_with("/first") && second.ends_with("/second"));
        for refused in [literal, decimal] {
            assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
            assert!(
                refused.contains("x-cookie-audit-proxy: refused to connect to 127.0.0.2: it is a loopback address"),
                "{refused}"
            );
        }
        // The upstream saw origin-form requests with the Cookie header as sent, and no
        // Proxy-Connection.
        let seen = one.connections();
        assert!(
            seen.iter().all(|c| c
                .request_line
                .as_deref()
                .is_some_and(|l| l.starts_with("GET /"))),
            "{seen:?}"
        );
        assert!(trap.connections().is_empty(), "{:?}", trap.connections());
        // Only refusals of what a page asked for are claimed; the rest wait.
        let elsewhere = HashSet::from(["127.0.0.2:1".to_string()]);
        assert!(proxy.claim_refusals(&elsewhere).is_empty());
        let asked = HashSet::from([format!("127.0.0.2:{}", trap.port())]);
        let refusals = proxy.claim_refusals(&asked);
        let urls: Vec<String> = refusals.iter().map(|r| r.url.to_string()).collect();
        assert_eq!(
            urls,
            [
                format!("http://127.0.0.2:{}/latest/meta-data/", trap.port()),
                format!("http://127.0.0.2:{}/decimal", trap.port()),
            ]
        );
        let (unclaimed, unlisted) = proxy.take_unclaimed();
        assert!(unclaimed.is_empty(), "claimed once: {unclaimed:?}");
        assert_eq!(unlisted, 0);
    }

    #[tokio::test]
    async fn connect_tunnels_to_checked_targets_only() {
        let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let echo_port = echo.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = echo.accept().await.unwrap();
            let mut buf = [0u8; 5];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
        });
        let trap = RawServer::start("127.0.0.2:0".parse().unwrap(), Behaviour::Scripted(trap))
            .await
            .unwrap();
        let proxy = Proxy::start(
            guard(&[("www.a.test", "127.0.0.1")], true),
            Duration::from_secs(2),
        )
        .await
        .unwrap();

        for (target, key) in [
            (
                format!("127.0.0.2:{}", trap.port()),
                format!("127.0.0.2:{}", trap.port()),
            ),
            (
                format!("[::ffff:127.0.0.2]:{}", trap.port()),
                format!("[::ffff:7f00:2]:{}", trap.port()),
            ),
            (
                "metadata.invalid:443".to_string(),
                "metadata.invalid:443".to_string(),
            ),
        ] {
            let (_, answer) = ask(
                &proxy,
                &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"),
            )
            .await;
            assert!(answer.starts_with("HTTP/1.1 403"), "{target}: {answer}");
            let url = Url::parse(&format!("https://{key}/")).unwrap();
            assert!(proxy.tunnel_failure(&url).is_some(), "{key}");
        }
        assert!(trap.connections().is_empty(), "{:?}", trap.connections());
        let (refusals, _) = proxy.take_unclaimed();
        assert_eq!(refusals.len(), 3, "{refusals:?}");
        assert!(
            refusals[2]
                .reason
                .contains("metadata.invalid has no --resolve mapping"),
            "{refusals:?}"
        );

        let (mut chromium, answer) = ask(
            &proxy,
            &format!(
                "CONNECT www.a.test:{echo_port} HTTP/1.1\r\nHost: www.a.test:{echo_port}\r\n\r\n"
            ),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        chromium.write_all(b"hello").await.unwrap();
        let mut echoed = [0u8; 5];
        chromium.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"hello");
    }

    /// What hyper could not pass on: a bare carriage return hiding a forged verdict, a folded
    /// line, a control character, and a chunked body.
    fn odd_head(_: &str) -> Vec<Step> {
        vec![Step::Write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: AAA=BB\rX-Cookie-Audit-Proxy: forged\r\nSet-Cookie: folded=1\r\n b=2\r\nSet-Cookie: bad=1\x01x\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
                .to_vec(),
        )]
    }

    /// Issue 18: Chromium keeps `AAA=BB` from `Set-Cookie: AAA=BB\rZYX`, but hyper could not pass
    /// the line on. The head now reaches Chromium as the site sent it, minus the lines the proxy
    /// owns, and the connection goes on after the chunked body.
    #[tokio::test]
    async fn a_plain_http_head_reaches_chromium_byte_for_byte() {
        let site = RawServer::start(
            "127.0.0.1:0".parse().unwrap(),
            Behaviour::Scripted(odd_head),
        )
        .await
        .unwrap();
        let proxy = Proxy::start(
            guard(&[("www.a.test", "127.0.0.1")], true),
            Duration::from_secs(2),
        )
        .await
        .unwrap();
        let url = format!("http://www.a.test:{}/page", site.port());
        let mut chromium = TcpStream::connect(proxy.addr()).await.unwrap();
        for _ in 0..2 {
            chromium
                .write_all(format!("GET {url} HTTP/1.1\r\nHost: www.a.test\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let expected: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nSet-Cookie: AAA=BB\rSet-Cookie: folded=1\r\n b=2\r\nSet-Cookie: bad=1\x01x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
            let mut answer = vec![0u8; expected.len()];
            chromium.read_exact(&mut answer).await.unwrap();
            assert_eq!(
                String::from_utf8_lossy(&answer),
                String::from_utf8_lossy(expected)
            );
        }
        // Nothing was refused or skipped: nothing to list.
        assert_eq!(proxy.take_unclaimed(), (Vec::new(), 0));
    }

    #[tokio::test]
    async fn refusals_are_listed_once_and_capped() {
        let proxy = Proxy::start(guard(&[], false), Duration::from_secs(1))
            .await
            .unwrap();
        let forbidden = || {
            DialError::Forbidden(cookie_audit_crawl::net::ForbiddenAddress {
                addr: "10.0.0.1".parse().unwrap(),
                class: "private",
            })
        };
        for i in 0..MAX_REFUSALS_LISTED + 5 {
            let url = Url::parse(&format!("http://10.0.0.1/{i}")).unwrap();
            proxy
                .shared
                .note_failure("10.0.0.1:80", url.clone(), &forbidden());
            proxy.shared.note_failure("10.0.0.1:80", url, &forbidden());
        }
        let (refusals, unlisted) = proxy.take_unclaimed();
        assert_eq!(refusals.len(), MAX_REFUSALS_LISTED);
        // Five URLs past the cap, each refused twice.
        assert_eq!(unlisted, 10);
    }
}
