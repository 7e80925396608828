//! The one HTTP client. Every request cookie-audit makes — pages, redirect hops, subresources,
//! robots.txt, sitemaps — goes through [`HttpClient`], which carries the SSRF guard, the
//! `--resolve` map, timeouts, the TLS policy and the user agent. `clippy.toml` forbids building a
//! `reqwest::Client` anywhere else. [`Guard`] is the same address policy and resolver for
//! connections reqwest does not make (the browser engine's proxy).

mod connector;
mod dial;
pub mod guard;
pub mod raw_body;
pub mod raw_head;
mod reread;
mod resolver;
mod shared;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Once};
use std::time::Duration;

use crate::options::NetworkOptions;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use cookie_audit_model::cookie_date::parse_cookie_date;
use cookie_audit_model::error_chain;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, DATE, LOCATION, RETRY_AFTER, SET_COOKIE};
use url::Url;

pub use dial::{DialError, Guard};
pub use guard::{AddressPolicy, ForbiddenAddress};
use reread::{RawBody, RawRequest, RawReread, RawResponse, reread};
use resolver::ReqwestResolver;
pub use resolver::ResolveError;

/// Why a request failed, in words a web editor can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The SSRF guard refused the address: private, loopback, link-local, … and not allowed by the
    /// user.
    #[error(transparent)]
    Forbidden(#[from] ForbiddenAddress),
    /// The name got no address: DNS failed, or `--offline` and no `--resolve` mapping.
    #[error("could not resolve {host}: {reason}")]
    Resolve {
        /// The URL's host.
        host: String,
        /// The resolver's reason.
        reason: String,
    },
    /// No complete answer within the request timeout.
    #[error("timed out after {secs}s")]
    Timeout {
        /// The timeout, in seconds.
        secs: u64,
    },
    /// The connection could not be made (refused, reset, unreachable); retried once.
    #[error("could not connect: {reason}")]
    Connect {
        /// What went wrong, in words ("connection refused: nothing answers on x.test:8080").
        reason: String,
    },
    /// The TLS handshake failed, usually on an invalid or self-signed certificate; `--insecure`
    /// accepts those.
    #[error("TLS error: {reason} (use --insecure for self-signed or staging certificates)")]
    Tls {
        /// The whole error chain, in one line.
        reason: String,
    },
    /// Anything else the client reported (a broken body, a protocol error, a client that could not
    /// be built); retried once like `Connect`.
    #[error("request failed: {reason}")]
    Other {
        /// The innermost cause, in one line (the chain's outer layers only repeat the URL).
        reason: String,
    },
    /// A port browsers refuse to connect to (the Fetch standard's "bad ports": 25, 6000, …):
    /// a visitor could not load the page, so neither engine does.
    #[error(
        "port {port} is one browsers refuse to connect to (net::ERR_UNSAFE_PORT), so a visitor could not load it"
    )]
    UnsafePort {
        /// The URL's port.
        port: u16,
    },
    /// A redirect led back to a URL already in the chain.
    #[error("redirect loop back to {url}")]
    RedirectLoop {
        /// The URL it led back to.
        url: String,
    },
    /// The chain was longer than `--max-redirects` (also listed as the `max_redirects` limit).
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// `--max-redirects`.
        max: u32,
    },
    /// A redirect's `Location` is not an http(s) URL that can be followed.
    #[error("invalid redirect target `{location}`")]
    BadRedirect {
        /// The `Location` header as sent.
        location: String,
    },
    /// Not an http or https URL: nothing else is ever fetched.
    #[error("`{scheme}:` URLs are not fetched")]
    Scheme {
        /// The URL's scheme, without the colon.
        scheme: String,
    },
    /// A response browsers refuse outright (a NUL byte in its headers).
    #[error("{reason}")]
    Refused {
        /// Why browsers refuse it, in words (with Chromium's `net::` error).
        reason: String,
    },
    /// Not sent, or abandoned while waiting: the host had timed out or refused connections
    /// too many times in a row, and the crawl gave it up (the `host_unresponsive` limit).
    #[error("not sent: {host} had stopped answering")]
    Unresponsive {
        /// The host given up.
        host: String,
    },
}

impl FetchError {
    /// Connection-level failures worth one retry; HTTP statuses are not errors here.
    pub fn is_transient(&self) -> bool {
        matches!(self, FetchError::Connect { .. } | FetchError::Other { .. })
    }

    /// A sign the host is not answering at all: a timeout or a connection that could not be
    /// made. Enough of them in a row and the host is given up (`ratelimit.rs`).
    pub fn is_silence(&self) -> bool {
        matches!(
            self,
            FetchError::Timeout { .. } | FetchError::Connect { .. }
        )
    }
}

/// Options of the client, taken from the scan configuration.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole-request timeout, at least a second; connecting gets at most ten seconds of it.
    pub timeout: Duration,
    /// The `User-Agent` header of every request.
    pub user_agent: String,
    /// Accept invalid TLS certificates (`--insecure`).
    pub insecure: bool,
    /// Resolve only `resolve` names; anything else fails without a DNS query (`--offline`).
    pub offline: bool,
    /// Let the guard allow every address (`--allow-private`).
    pub allow_private: bool,
    /// `--resolve` mappings, host name to address; their targets are allowed addresses, and they
    /// answer on any port.
    pub resolve: HashMap<String, IpAddr>,
}

impl ClientOptions {
    /// The client a crawl with these network options and request timeout uses.
    pub fn new(network: &NetworkOptions, timeout: Duration) -> ClientOptions {
        ClientOptions {
            timeout: timeout.max(Duration::from_secs(1)),
            user_agent: network.user_agent.clone(),
            insecure: network.insecure,
            offline: network.offline,
            allow_private: network.allow_private,
            resolve: network
                .resolve
                .iter()
                .map(|r| (r.host.to_ascii_lowercase(), r.addr))
                .collect(),
        }
    }
}

/// Installs ring as the process's rustls crypto provider. One provider in the whole workspace:
/// reqwest is built without one, and the test fixtures' TLS server uses the same.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err only means another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Headers accepted in one HTTP/1 response. hyper refuses more than 100 by default, and a page
/// setting 200 cookies would fail outright; browsers accept far more.
pub const MAX_RESPONSE_HEADERS: usize = 1_000;
/// Size of one HTTP/2 response's header list, as Chromium allows (hyper's default, 16 KiB, fails
/// on a page with a few large cookies).
pub const MAX_HEADER_LIST_BYTES: u32 = 256 * 1024;

/// The guarded HTTP client. Cheap to clone; crawls with the same options share one
/// (`net/shared.rs`).
#[derive(Debug, Clone)]
pub struct HttpClient {
    parts: Arc<ClientParts>,
}

/// What a client is made of.
#[derive(Debug)]
struct ClientParts {
    inner: reqwest::Client,
    /// The same client, but skipping header lines hyper cannot parse (a Set-Cookie with a control
    /// character): used only to re-read a response the strict client refused.
    lenient: reqwest::Client,
    guard: Guard,
    timeout: Duration,
    /// For a response re-read raw (`reread`).
    user_agent: String,
}

impl HttpClient {
    /// The guarded client (and its lenient twin for unreadable header lines) for `options`: the
    /// one another crawl with the same options holds, or a new one. Fails only when reqwest
    /// cannot build a client, or the system has no root certificates.
    pub fn new(options: &ClientOptions) -> Result<HttpClient, FetchError> {
        install_crypto_provider();
        let parts = shared::shared_client(options, || {
            let guard = Guard::new(
                options.resolve.iter().map(|(h, a)| (h.clone(), *a)),
                options.offline,
                options.allow_private,
            );
            Ok(ClientParts {
                inner: build_client(options, &guard, false)?,
                lenient: build_client(options, &guard, true)?,
                guard,
                timeout: options.timeout,
                user_agent: options.user_agent.clone(),
            })
        })?;
        Ok(HttpClient { parts })
    }

    /// Whether two clients are one: crawls with the same options share it.
    pub fn same_as(&self, other: &HttpClient) -> bool {
        Arc::ptr_eq(&self.parts, &other.parts)
    }

    /// The address policy, for checks made before any request (links not followed).
    pub fn policy(&self) -> &AddressPolicy {
        self.parts.guard.policy()
    }

    /// One GET, no redirects followed. IP-literal hosts are judged here because they never reach
    /// the resolver; names are judged by the resolver after resolution.
    pub async fn get(
        &self,
        url: &Url,
        cookie_header: Option<&str>,
        accept: &str,
    ) -> Result<Response, FetchError> {
        self.get_with(url, cookie_header, accept, &[]).await
    }

    /// [`HttpClient::get`] with `--header`s (the caller gives them only for the site's hosts).
    pub async fn get_with(
        &self,
        url: &Url,
        cookie_header: Option<&str>,
        accept: &str,
        extra: &[crate::extras::ExtraHeader],
    ) -> Result<Response, FetchError> {
        self.check_target(url)?;
        let parts = &*self.parts;
        let mut request = parts
            .inner
            .get(url.clone())
            .header(http::header::ACCEPT, accept)
            .header(http::header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9");
        if let Some(cookie) = cookie_header {
            request = request.header(http::header::COOKIE, cookie);
        }
        for header in extra {
            request = request.header(header.name.as_str(), header.value.as_str());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) if is_invalid_header(&error) => {
                // Browsers read such a head their own way and keep the cookies in it: over plain
                // http the response is read again raw, as Chromium reads it.
                tracing::debug!(%url, "invalid header line; reading the response again");
                let raw = RawRequest {
                    url,
                    cookie_header,
                    extra,
                    accept,
                    user_agent: &parts.user_agent,
                    timeout: parts.timeout,
                };
                match reread(&parts.guard, raw).await {
                    Ok(raw) => return Ok(Response::raw(url, raw)),
                    Err(RawReread::Refused(error)) => return Err(error),
                    Err(RawReread::Unavailable(why)) => {
                        tracing::debug!(%url, %why, "not re-read raw; reading leniently");
                    }
                }
                // Otherwise hyper drops the lines it cannot read, and the fetch says so.
                let mut retry = parts
                    .lenient
                    .get(url.clone())
                    .header(http::header::ACCEPT, accept)
                    .header(http::header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9");
                if let Some(cookie) = cookie_header {
                    retry = retry.header(http::header::COOKIE, cookie);
                }
                for header in extra {
                    retry = retry.header(header.name.as_str(), header.value.as_str());
                }
                let response = retry.send().await.map_err(|e| self.classify(e, url))?;
                let mut response = self.response(url, response);
                response.invalid_headers_skipped = true;
                return Ok(response);
            }
            Err(error) => return Err(self.classify(error, url)),
        };
        Ok(self.response(url, response))
    }

    fn response(&self, url: &Url, response: reqwest::Response) -> Response {
        Response {
            url: url.clone(),
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            received_at: Utc::now(),
            invalid_headers_skipped: false,
            raw_set_cookie: None,
            inner: BodySource::Hyper {
                response,
                timeout_secs: self.parts.timeout.as_secs(),
            },
        }
    }

    /// One POST of a JSON body (the audit job's webhook), no redirects followed, judged by the
    /// same address policy as every GET. Returns the status; the response body is not read.
    pub async fn post_json(&self, url: &Url, json: Vec<u8>) -> Result<u16, FetchError> {
        self.check_target(url)?;
        let response = self
            .parts
            .inner
            .post(url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(json)
            .send()
            .await
            // A webhook's path often holds its secret: keep the URL out of the message.
            .map_err(|e| self.classify(e.without_url(), url))?;
        Ok(response.status().as_u16())
    }

    /// What every request checks before it is sent: an http(s) URL on a port browsers use, and
    /// for an IP-literal host (which never reaches the resolver) an allowed address.
    fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        if let Some(port) = url.port().filter(|p| is_unsafe_port(*p)) {
            return Err(FetchError::UnsafePort { port });
        }
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(FetchError::Scheme {
                    scheme: other.to_string(),
                });
            }
        }
        if let Some(ip) = ip_literal(url) {
            self.parts.guard.policy().check(ip)?;
        }
        Ok(())
    }

    fn classify(&self, error: reqwest::Error, url: &Url) -> FetchError {
        classify_error(error, url, self.parts.timeout.as_secs())
    }
}

/// Builds a client: the one place a `reqwest::Client` is made (`clippy.toml` forbids others).
fn build_client(
    options: &ClientOptions,
    guard: &Guard,
    lenient: bool,
) -> Result<reqwest::Client, FetchError> {
    #[allow(
        clippy::disallowed_methods,
        reason = "this is the one place a client is built"
    )]
    let mut builder = reqwest::Client::builder();
    if !options.insecure {
        // The shared configuration: the root store is read once per process, not per client.
        // (`--insecure` takes reqwest's own, which reads no root store at all.)
        builder = builder.tls_backend_preconfigured(shared::verifying_tls()?);
    }
    builder
        // We follow redirects ourselves: every hop is rate limited, guarded and recorded.
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would bypass the address guard.
        .no_proxy()
        // Names are judged after resolution, by the resolver...
        .dns_resolver(Arc::new(ReqwestResolver(guard.resolver())))
        // ...and every connection again on the address it reached, names and IP literals alike.
        .connector_layer(connector::GuardLayer::new(guard.policy_arc()))
        .timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        .user_agent(options.user_agent.clone())
        .tls_danger_accept_invalid_certs(options.insecure)
        .http1_max_headers(MAX_RESPONSE_HEADERS)
        .http1_ignore_invalid_headers_in_responses(lenient)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
        .pool_max_idle_per_host(if lenient { 1 } else { 16 })
        .tcp_nodelay(true)
        .build()
        .map_err(|e| FetchError::Other {
            reason: error_chain(&e),
        })
}

/// hyper's error for a header line it cannot parse (a control character in a value).
fn is_invalid_header(error: &reqwest::Error) -> bool {
    error_chain(error).contains("invalid HTTP header parsed")
}

fn classify_error(error: reqwest::Error, url: &Url, timeout_secs: u64) -> FetchError {
    let chain = error_chain(&error);
    if let Some(forbidden) = find_source::<ForbiddenAddress>(&error) {
        return FetchError::Forbidden(forbidden.clone());
    }
    if let Some(resolve) = find_source::<ResolveError>(&error) {
        return FetchError::Resolve {
            host: url.host_str().unwrap_or_default().to_string(),
            reason: resolve.to_string(),
        };
    }
    if error.is_timeout() {
        return FetchError::Timeout { secs: timeout_secs };
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return FetchError::Tls { reason: chain };
    }
    if error.is_connect() {
        return FetchError::Connect {
            reason: connect_words(&error, url),
        };
    }
    FetchError::Other {
        reason: innermost(&error),
    }
}

/// A failed connection in words: what the operating system said, and where.
fn connect_words(error: &reqwest::Error, url: &Url) -> String {
    let target = format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    );
    match find_source::<std::io::Error>(error) {
        Some(io) => io_words(io, &target),
        None => format!("{} ({target})", innermost(error)),
    }
}

/// A socket error in words, the same for the HTTP engine's connections and the browser's (its
/// guard proxy dials with [`Guard`]): "connection refused: nothing answers on x.test:8080".
pub(crate) fn io_words(io: &std::io::Error, target: &str) -> String {
    use std::io::ErrorKind;
    match io.kind() {
        ErrorKind::ConnectionRefused => {
            format!("connection refused: nothing answers on {target}")
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            format!("{target} closed the connection")
        }
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            format!("{target} is unreachable from here (no route)")
        }
        ErrorKind::TimedOut => format!("{target} did not answer"),
        _ => format!("{io} ({target})"),
    }
}

/// The last error of a chain: reqwest's and hyper's outer layers ("error sending request for
/// url (…)", "client error (Connect)") say nothing a reader can act on.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// The Fetch standard's bad ports (fetch.spec.whatwg.org, "port blocking"), which Chromium
/// refuses with `net::ERR_UNSAFE_PORT`: the HTTP engine refuses them too, in the same words.
pub fn is_unsafe_port(port: u16) -> bool {
    const BAD_PORTS: [u16; 81] = [
        0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
        101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179,
        389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601,
        636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
        6665, 6666, 6667, 6668, 6669, 6679,
    ];
    BAD_PORTS.contains(&port) || matches!(port, 6697 | 10080)
}

fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The address of an IP-literal URL (`http://127.0.0.2/`, `http://[::1]/`); `None` for names.
pub fn ip_literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// A response whose headers have arrived; the body is read on demand, capped.
#[derive(Debug)]
pub struct Response {
    /// The URL that answered: one hop, since redirects are not followed here.
    pub url: Url,
    /// The HTTP status, whatever it is: statuses are not errors at this level.
    pub status: u16,
    /// Every header as received; the helpers below read from it.
    pub headers: HeaderMap,
    /// When the headers arrived: a cookie's lifetime counts from here, and so does a `Retry-After`
    /// date.
    pub received_at: DateTime<Utc>,
    /// Header lines hyper could not parse were skipped (the strict read failed on them), and
    /// could not be read raw either.
    pub invalid_headers_skipped: bool,
    /// The `Set-Cookie` lines as Chromium reads the head, when hyper refused it and the
    /// response was read again raw (their values may hold what `headers` cannot).
    raw_set_cookie: Option<Vec<String>>,
    inner: BodySource,
}

/// Where the body comes from.
#[derive(Debug)]
enum BodySource {
    Hyper {
        response: reqwest::Response,
        timeout_secs: u64,
    },
    /// Read raw, after a head hyper refused.
    Raw(RawBody),
}

/// A body read up to a cap.
#[derive(Debug)]
pub struct Body {
    /// The body after decompression, no longer than the cap.
    pub bytes: Bytes,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
}

impl Response {
    fn raw(url: &Url, raw: RawResponse) -> Response {
        Response {
            url: url.clone(),
            status: raw.status,
            headers: raw.headers,
            received_at: Utc::now(),
            invalid_headers_skipped: false,
            raw_set_cookie: Some(raw.set_cookie),
            inner: BodySource::Raw(raw.body),
        }
    }

    /// Every `Set-Cookie` header, raw. Non-UTF-8 bytes are replaced, never dropped.
    pub fn set_cookie_lines(&self) -> Vec<String> {
        if let Some(lines) = &self.raw_set_cookie {
            return lines.clone();
        }
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// The `Date` header: `Expires` is taken relative to it.
    pub fn server_date(&self) -> Option<DateTime<Utc>> {
        let value = self.headers.get(DATE)?.to_str().ok()?;
        parse_cookie_date(value)
    }

    /// The `Content-Type` header, when present and readable as text.
    pub fn content_type(&self) -> Option<String> {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The `Location` header as sent (non-UTF-8 bytes replaced), to resolve against
    /// [`Response::url`].
    pub fn location(&self) -> Option<String> {
        self.headers
            .get(LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// A status that redirects (301, 302, 303, 307, 308); the fetch follows it when there is a
    /// `Location`.
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }

    /// `Retry-After` in seconds (delta-seconds or an HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = parse_cookie_date(value)?;
        let secs = (at - self.received_at).num_seconds().max(0) as u64;
        Some(Duration::from_secs(secs))
    }

    /// Reads the body, stopping at `cap` bytes (after decompression, so a gzip bomb costs at most
    /// `cap` bytes of memory).
    pub async fn read_body(self, cap: u64) -> Result<Body, FetchError> {
        let (mut inner, timeout_secs) = match self.inner {
            BodySource::Hyper {
                response,
                timeout_secs,
            } => (response, timeout_secs),
            BodySource::Raw(raw) => return raw.read(cap).await,
        };
        let mut buffer = BytesMut::new();
        let url = self.url;
        loop {
            match inner.chunk().await {
                Ok(Some(chunk)) => {
                    let room = cap.saturating_sub(buffer.len() as u64) as usize;
                    if chunk.len() > room {
                        buffer.extend_from_slice(&chunk[..room]);
                        return Ok(Body {
                            bytes: buffer.freeze(),
                            truncated: true,
                        });
                    }
                    buffer.extend_from_slice(&chunk);
                }
                Ok(None) => {
                    return Ok(Body {
                        bytes: buffer.freeze(),
                        truncated: false,
                    });
                }
                Err(e) => return Err(classify_error(e, &url, timeout_secs)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(resolve: &[(&str, &str)]) -> HttpClient {
        HttpClient::new(&ClientOptions {
            timeout: Duration::from_secs(2),
            user_agent: "cookie-audit-test".into(),
            insecure: false,
            offline: true,
            allow_private: false,
            resolve: resolve
                .iter()
                .map(|(h, a)| (h.to_string(), a.parse().unwrap()))
                .collect(),
        })
        .unwrap()
    }

    // An audit job's sites and a scan's consent runs build their clients from the same options:
    // they get one client, so the root store is read and parsed once, not once per site.
    #[test]
    fn crawls_with_the_same_options_share_one_client() {
        let first = client(&[("a.share.test", "127.0.0.1"), ("b.share.test", "127.0.0.2")]);
        let second = client(&[("b.share.test", "127.0.0.2"), ("a.share.test", "127.0.0.1")]);
        assert!(
            first.same_as(&second),
            "the order of --resolve does not matter"
        );
        let other = client(&[("a.share.test", "127.0.0.1")]);
        assert!(!first.same_as(&other), "other options, another client");
        drop((first, second));
        // Once no crawl holds it, the client is gone and a new one is built.
        let again = client(&[("a.share.test", "127.0.0.1"), ("b.share.test", "127.0.0.2")]);
        assert!(!again.same_as(&other));
    }

    // The webhook goes through the same guard as the crawl: a loopback or private address the
    // user did not allow is refused before any connection is attempted.
    #[tokio::test]
    async fn post_json_refuses_addresses_the_user_did_not_allow() {
        let client = client(&[]);
        for url in [
            // Not port 9: browsers refuse that port, which is refused first, for its own reason.
            "http://127.0.0.1:8080/hook",
            "http://[::ffff:10.0.0.5]/hook",
            "http://169.254.169.254/latest",
        ] {
            let error = client
                .post_json(&Url::parse(url).unwrap(), b"{}".to_vec())
                .await
                .unwrap_err();
            assert!(matches!(error, FetchError::Forbidden(_)), "{url}: {error}");
        }
        let error = client
            .post_json(&Url::parse("ftp://hooks.test/").unwrap(), b"{}".to_vec())
            .await
            .unwrap_err();
        assert!(matches!(error, FetchError::Scheme { .. }), "{error}");
    }

    #[tokio::test]
    async fn post_json_resolves_only_mapped_names_when_offline() {
        let client = client(&[("hooks.test", "127.0.0.1")]);
        let error = client
            .post_json(&Url::parse("http://other.test/").unwrap(), b"{}".to_vec())
            .await
            .unwrap_err();
        assert!(matches!(error, FetchError::Resolve { .. }), "{error}");
    }
}
