//! The one HTTP client. Every request cookie-audit makes — pages, redirect hops, subresources,
//! robots.txt, sitemaps — goes through [`HttpClient`], which carries the SSRF guard, the
//! `--resolve` map, timeouts, the TLS policy and the user agent. `clippy.toml` forbids building a
//! `reqwest::Client` anywhere else. [`Guard`] is the same address policy and resolver for
//! connections reqwest does not make (the browser engine's proxy).

mod connector;
mod dial;
pub mod guard;
mod resolver;

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
use resolver::ReqwestResolver;
pub use resolver::ResolveError;

/// Why a request failed, in words a web editor can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Forbidden(#[from] ForbiddenAddress),
    #[error("could not resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("timed out after {secs}s")]
    Timeout { secs: u64 },
    #[error("connection failed: {reason}")]
    Connect { reason: String },
    #[error("TLS error: {reason} (use --insecure for self-signed or staging certificates)")]
    Tls { reason: String },
    #[error("request failed: {reason}")]
    Other { reason: String },
    #[error("redirect loop back to {url}")]
    RedirectLoop { url: String },
    #[error("more than {max} redirects")]
    TooManyRedirects { max: u32 },
    #[error("invalid redirect target `{location}`")]
    BadRedirect { location: String },
    #[error("`{scheme}:` URLs are not fetched")]
    Scheme { scheme: String },
}

impl FetchError {
    /// Connection-level failures worth one retry; HTTP statuses are not errors here.
    pub fn is_transient(&self) -> bool {
        matches!(self, FetchError::Connect { .. } | FetchError::Other { .. })
    }
}

/// Options of the client, taken from the scan configuration.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub user_agent: String,
    pub insecure: bool,
    pub offline: bool,
    pub allow_private: bool,
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

/// The guarded HTTP client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    /// The same client, but skipping header lines hyper cannot parse (a Set-Cookie with a control
    /// character): used only to re-read a response the strict client refused.
    lenient: reqwest::Client,
    guard: Guard,
    timeout: Duration,
}

impl HttpClient {
    pub fn new(options: &ClientOptions) -> Result<HttpClient, FetchError> {
        install_crypto_provider();
        let guard = Guard::new(
            options.resolve.iter().map(|(h, a)| (h.clone(), *a)),
            options.offline,
            options.allow_private,
        );
        Ok(HttpClient {
            inner: build_client(options, &guard, false)?,
            lenient: build_client(options, &guard, true)?,
            guard,
            timeout: options.timeout,
        })
    }

    /// The address policy, for checks made before any request (links not followed).
    pub fn policy(&self) -> &AddressPolicy {
        self.guard.policy()
    }

    /// One GET, no redirects followed. IP-literal hosts are judged here because they never reach
    /// the resolver; names are judged by the resolver after resolution.
    pub async fn get(
        &self,
        url: &Url,
        cookie_header: Option<&str>,
        accept: &str,
    ) -> Result<Response, FetchError> {
        self.check_target(url)?;
        let mut request = self
            .inner
            .get(url.clone())
            .header(http::header::ACCEPT, accept)
            .header(http::header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9");
        if let Some(cookie) = cookie_header {
            request = request.header(http::header::COOKIE, cookie);
        }
        let (response, invalid_headers_skipped) = match request.send().await {
            Ok(response) => (response, false),
            Err(error) if is_invalid_header(&error) => {
                // Browsers read such a response and drop the bad line; so do we, on a second
                // request, and the fetch reports that a line was skipped.
                tracing::debug!(%url, "invalid header line; reading the response leniently");
                let mut retry = self
                    .lenient
                    .get(url.clone())
                    .header(http::header::ACCEPT, accept)
                    .header(http::header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9");
                if let Some(cookie) = cookie_header {
                    retry = retry.header(http::header::COOKIE, cookie);
                }
                let response = retry.send().await.map_err(|e| self.classify(e, url))?;
                (response, true)
            }
            Err(error) => return Err(self.classify(error, url)),
        };
        Ok(Response {
            url: url.clone(),
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            received_at: Utc::now(),
            invalid_headers_skipped,
            inner: response,
            timeout_secs: self.timeout.as_secs(),
        })
    }

    /// One POST of a JSON body (the audit job's webhook), no redirects followed, judged by the
    /// same address policy as every GET. Returns the status; the response body is not read.
    pub async fn post_json(&self, url: &Url, json: Vec<u8>) -> Result<u16, FetchError> {
        self.check_target(url)?;
        let response = self
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

    /// What every request checks before it is sent: an http(s) URL, and for an IP-literal host
    /// (which never reaches the resolver) an allowed address.
    fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(FetchError::Scheme {
                    scheme: other.to_string(),
                });
            }
        }
        if let Some(ip) = ip_literal(url) {
            self.guard.policy().check(ip)?;
        }
        Ok(())
    }

    fn classify(&self, error: reqwest::Error, url: &Url) -> FetchError {
        classify_error(error, url, self.timeout.as_secs())
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
    let builder = reqwest::Client::builder();
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
        return FetchError::Connect { reason: chain };
    }
    FetchError::Other { reason: chain }
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
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub received_at: DateTime<Utc>,
    /// Header lines hyper could not parse were skipped (the strict read failed on them).
    pub invalid_headers_skipped: bool,
    inner: reqwest::Response,
    timeout_secs: u64,
}

/// A body read up to a cap.
#[derive(Debug)]
pub struct Body {
    pub bytes: Bytes,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
}

impl Response {
    /// Every `Set-Cookie` header, raw. Non-UTF-8 bytes are replaced, never dropped.
    pub fn set_cookie_lines(&self) -> Vec<String> {
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

    pub fn content_type(&self) -> Option<String> {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn location(&self) -> Option<String> {
        self.headers
            .get(LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

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
    pub async fn read_body(mut self, cap: u64) -> Result<Body, FetchError> {
        let mut buffer = BytesMut::new();
        let url = self.url.clone();
        loop {
            match self.inner.chunk().await {
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
                Err(e) => return Err(classify_error(e, &url, self.timeout_secs)),
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

    // The webhook goes through the same guard as the crawl: a loopback or private address the
    // user did not allow is refused before any connection is attempted.
    #[tokio::test]
    async fn post_json_refuses_addresses_the_user_did_not_allow() {
        let client = client(&[]);
        for url in [
            "http://127.0.0.1:9/hook",
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
