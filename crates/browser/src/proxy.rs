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
//!   upstream — one keep-alive connection from Chromium may carry requests for many hosts —
//!   through a pooled HTTP/1 client whose connector is the guard. Bodies stream both ways and
//!   headers, `Set-Cookie` and `Cookie` included, pass unchanged (hop-by-hop headers aside) —
//!   except a header line with a control character, which hyper cannot pass on: a bodiless
//!   request is sent again leniently and the skip listed, as the HTTP engine lists it.
//!
//! A refused target gets `403` with the reason in [`VERDICT_HEADER`] and the body; any other
//! failure to connect gets `502` the same way. Refusals are logged for the report's
//! `crawl.errors` when a page asked for what was refused ([`Proxy::claim_refusals`]); the engine turns a verdict on a page's own document
//! into that page's error ([`Proxy::tunnel_failure`] for tunnels, which Chromium reports only as
//! `ERR_TUNNEL_CONNECTION_FAILED`).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use cookie_audit_crawl::net::{DialError, Guard, MAX_RESPONSE_HEADERS};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
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

/// Idle upstream connections of the plain-HTTP client are closed after this long.
const POOL_IDLE: Duration = Duration::from_secs(30);

/// Hop-by-hop headers (RFC 9110 §7.6.1, plus the non-standard `Proxy-Connection` Chromium
/// sends): they describe one connection, never the next one.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

type ProxyBody = Either<Incoming, Full<Bytes>>;

/// What the proxy lists for the page that asked: a request the guard refused, or a response
/// whose header lines were skipped.
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
    /// Refuses a response with a header line HTTP forbids, so the skip can be noted...
    client: Client<GuardConnector, ProxyBody>,
    /// ...and this one, for the retry of a bodiless request, drops such lines.
    lenient: Client<GuardConnector, ProxyBody>,
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

    /// A response to `url` had header lines hyper could not pass on: listed for the page that
    /// asked, in the HTTP engine's words.
    fn note_skipped_header_lines(&self, url: &Url) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.list(
            url.clone(),
            cookie_audit_crawl::fetch::SKIPPED_HEADER_LINES.to_string(),
        );
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
        let connector = GuardConnector {
            guard: guard.clone(),
            timeout: connect_timeout,
        };
        let client = |lenient: bool| {
            Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .pool_idle_timeout(POOL_IDLE)
                // Chromium sent a Host header; nothing is added to what it sent.
                .set_host(false)
                // As the HTTP client: pages setting hundreds of cookies must not fail.
                .http1_max_headers(MAX_RESPONSE_HEADERS)
                // Header names reach Chromium spelled as the site spelled them.
                .http1_preserve_header_case(true)
                // hyper cannot pass on a header line with a control character; the lenient
                // client drops it (Chromium would refuse such a cookie line anyway).
                .http1_ignore_invalid_headers_in_responses(lenient)
                .build(connector.clone())
        };
        let shared = Arc::new(Shared {
            guard,
            connect_timeout,
            client: client(false),
            lenient: client(true),
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
        let handler = shared.clone();
        shared.spawn(async move {
            let service = service_fn(move |request| {
                let shared = handler.clone();
                async move { Ok::<_, Infallible>(handle(shared, request).await) }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .max_headers(MAX_RESPONSE_HEADERS)
                .preserve_header_case(true)
                // The site's Date (or its absence) reaches Chromium, which reads Expires by it.
                .auto_date_header(false)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            if let Err(error) = served {
                tracing::trace!(%error, "a connection from Chromium ended");
            }
        });
    }
}

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Response<ProxyBody> {
    if request.method() == Method::CONNECT {
        tunnel(shared, request).await
    } else {
        forward(shared, request).await
    }
}

/// `CONNECT host:port`: connect through the guard, answer 200, then copy bytes both ways.
async fn tunnel(shared: Arc<Shared>, request: Request<Incoming>) -> Response<ProxyBody> {
    let Some((target, port)) = request
        .uri()
        .authority()
        .and_then(|a| Some((parse_target("https", a.as_str())?, a.port_u16()?)))
    else {
        return bad_request("CONNECT needs host:port");
    };
    let Some(host) = target.host() else {
        return bad_request("CONNECT needs a host");
    };
    let authority = authority_key(&target).unwrap_or_default();
    match shared
        .guard
        .connect(host, port, shared.connect_timeout)
        .await
    {
        Ok(mut upstream) => {
            shared.spawn(async move {
                match hyper::upgrade::on(request).await {
                    Ok(upgraded) => {
                        let mut client = TokioIo::new(upgraded);
                        // Either side closing ends the tunnel; errors are the peers' business.
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                    Err(error) => tracing::trace!(%error, "a CONNECT was not upgraded"),
                }
            });
            Response::new(Either::Right(Full::default()))
        }
        Err(error) => {
            shared.note_failure(&authority, target, &error);
            verdict_response(&error)
        }
    }
}

/// A plain-HTTP request in absolute form: forwarded to its own checked upstream.
async fn forward(shared: Arc<Shared>, mut request: Request<Incoming>) -> Response<ProxyBody> {
    let uri = request.uri();
    let target = match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(authority)) => parse_target("http", authority.as_str()),
        _ => None,
    };
    let Some(mut url) = target else {
        return bad_request("only absolute http:// requests and CONNECT are proxied");
    };
    if let Some(path_and_query) = uri.path_and_query() {
        // For the log only: the request itself goes out exactly as Chromium wrote it.
        url = url.join(path_and_query.as_str()).unwrap_or(url);
    }
    strip_hop_by_hop(request.headers_mut());
    let (parts, body) = request.into_parts();
    let bodiless = matches!(parts.method, Method::GET | Method::HEAD)
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
        && !parts.headers.contains_key(header::TRANSFER_ENCODING);
    let sent = if bodiless {
        // Strict first, so a skipped header line is noted as the HTTP engine notes it; then
        // again, leniently, which a request without a body allows.
        let again = Request::from_parts(parts.clone(), Either::Right(Full::default()));
        match shared
            .client
            .request(Request::from_parts(parts, Either::Right(Full::default())))
            .await
        {
            Err(error)
                if cookie_audit_model::error_chain(&error)
                    .contains("invalid HTTP header parsed") =>
            {
                shared.note_skipped_header_lines(&url);
                shared.lenient.request(again).await
            }
            other => other,
        }
    } else {
        shared
            .lenient
            .request(Request::from_parts(parts, Either::Left(body)))
            .await
    };
    match sent {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            parts.headers.remove(VERDICT_HEADER);
            Response::from_parts(parts, Either::Left(body))
        }
        Err(error) => {
            let dial = find_dial_error(&error);
            let error = dial.cloned().unwrap_or_else(|| DialError::Connect {
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                reason: cookie_audit_model::error_chain(&error),
            });
            if dial.is_some() {
                shared.note_failure(&authority_key(&url).unwrap_or_default(), url, &error);
                verdict_response(&error)
            } else {
                // Connected, then the upstream failed (reset, malformed response).
                let reason = format!(
                    "the request failed: {}",
                    cookie_audit_model::error_chain(&error)
                );
                tracing::debug!(%url, %reason, "the browser's proxy could not forward a request");
                text_response(StatusCode::BAD_GATEWAY, &reason)
            }
        }
    }
}

/// The guard's verdict inside a connector error from the client, if that is what failed.
fn find_dial_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a DialError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<DialError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
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

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers a `Connection` header names are hop-by-hop too.
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

fn verdict_response(error: &DialError) -> Response<ProxyBody> {
    let status = if error.is_refusal() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_GATEWAY
    };
    text_response(status, &cookie_audit_model::error_chain(error))
}

fn bad_request(reason: &str) -> Response<ProxyBody> {
    text_response(StatusCode::BAD_REQUEST, reason)
}

/// The proxy's own answer: the reason in the body and in [`VERDICT_HEADER`], so the engine can
/// tell it from the site's.
fn text_response(status: StatusCode, reason: &str) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(format!(
        "cookie-audit's browser proxy: {reason}\n"
    )))));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // A verdict is about this attempt: never cached as if the site had said it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
    if let Ok(value) = HeaderValue::from_str(&printable) {
        headers.insert(VERDICT_HEADER, value);
    }
    response
}

/// The plain-HTTP client's connector: every new upstream connection is made by the guard.
#[derive(Debug, Clone)]
struct GuardConnector {
    guard: Guard,
    timeout: Duration,
}

/// The client asked for a URI without a host: never happens for the requests `forward` sends.
#[derive(Debug, thiserror::Error)]
#[error("no host to connect to in {0}")]
struct NoHost(String);

impl tower::Service<Uri> for GuardConnector {
    type Response = TokioIo<TcpStream>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let guard = self.guard.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            let target = uri
                .authority()
                .and_then(|a| parse_target("http", a.as_str()))
                .ok_or_else(|| NoHost(uri.to_string()))?;
            let host = target.host().ok_or_else(|| NoHost(uri.to_string()))?;
            let port = target.port_or_known_default().unwrap_or(80);
            let stream = guard.connect(host, port, timeout).await?;
            Ok(TokioIo::new(stream))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cookie_audit_fixtures::raw::{Behaviour, RawServer, Step, response};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    fn control_character(_: &str) -> Vec<Step> {
        vec![Step::Write(response(
            "200 OK",
            &[
                b"Content-Type: text/html",
                b"Set-Cookie: bad=1\x01x",
                b"Set-Cookie: good=1",
            ],
            b"ok",
        ))]
    }

    /// A header line hyper cannot pass on is dropped, the rest of the response goes through, and
    /// the skip is listed for the page in the HTTP engine's words.
    #[tokio::test]
    async fn a_header_line_with_a_control_character_is_skipped_and_noted() {
        let site = RawServer::start(
            "127.0.0.1:0".parse().unwrap(),
            Behaviour::Scripted(control_character),
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
        let (_, answer) = ask(
            &proxy,
            &format!("GET {url} HTTP/1.1\r\nHost: www.a.test\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("Set-Cookie: good=1"), "{answer}");
        assert!(!answer.contains("bad=1"), "{answer}");
        assert!(answer.ends_with("ok"), "{answer}");
        let asked = HashSet::from([format!("www.a.test:{}", site.port())]);
        let notes = proxy.claim_refusals(&asked);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].url.as_str(), url);
        assert_eq!(
            notes[0].reason,
            cookie_audit_crawl::fetch::SKIPPED_HEADER_LINES
        );
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
