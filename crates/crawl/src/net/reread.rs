//! A response hyper refused, read again raw, as Chromium reads it.
//!
//! hyper fails on a head with a bare carriage return or a folded line even when told to skip
//! invalid lines, and skips a line with a control character; Chromium reads all three and keeps
//! the cookies in them. So when the strict read fails, a plain-HTTP response is requested once
//! more over a connection the guard makes, its head split as Chromium splits it
//! ([`super::raw_head`]) and its body read by its own framing ([`super::raw_body`]). Over https
//! the bytes are TLS's: the lenient hyper read is all there is (and the skip is listed).

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::raw_body::{ChunkedScanner, Framing};
use super::raw_head::{self, HeadError, ResponseHead};
use super::{Body, FetchError, Guard};

/// Why a response was not re-read raw.
#[derive(Debug)]
pub(super) enum RawReread {
    /// Browsers refuse this response outright (a NUL byte in its head): the fetch fails.
    Refused(FetchError),
    /// Not possible here (https) or it failed: the lenient read stands alone.
    Unavailable(String),
}

/// What the request carries.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawRequest<'a> {
    pub url: &'a Url,
    pub cookie_header: Option<&'a str>,
    /// `--header`s for the site's own hosts.
    pub extra: &'a [crate::extras::ExtraHeader],
    pub accept: &'a str,
    pub user_agent: &'a str,
    pub timeout: Duration,
}

/// A response read raw: its head as Chromium reads it, its body still on the connection.
#[derive(Debug)]
pub(super) struct RawResponse {
    pub status: u16,
    /// The fields `http` can hold (a value with a control character cannot be one).
    pub headers: HeaderMap,
    pub set_cookie: Vec<String>,
    pub body: RawBody,
}

/// A raw body not yet read.
#[derive(Debug)]
pub(super) struct RawBody {
    stream: TcpStream,
    framing: Framing,
    /// Bytes read with the head that belong to the body.
    early: Vec<u8>,
    timeout: Duration,
}

/// Requests `request.url` again and reads its head raw. The head only: the body is read by
/// [`RawBody::read`] when the caller wants it.
pub(super) async fn reread(
    guard: &Guard,
    request: RawRequest<'_>,
) -> Result<RawResponse, RawReread> {
    let url = request.url;
    let unavailable = |why: String| RawReread::Unavailable(why);
    if url.scheme() != "http" {
        return Err(unavailable(format!("{} is not plain http", url.scheme())));
    }
    let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
        return Err(unavailable("no host".into()));
    };
    let reading = async {
        let mut stream = guard
            .connect(host, port, request.timeout)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        stream
            .write_all(&request_head(request))
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let mut buf = Vec::new();
        let end = raw_head::read_head(&mut stream, &mut buf)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let head = match ResponseHead::parse(&buf[..end]) {
            Ok(head) => head,
            Err(error @ HeadError::Nul) => {
                return Err(RawReread::Refused(FetchError::Refused {
                    reason: error.to_string(),
                }));
            }
            Err(error) => return Err(unavailable(error.to_string())),
        };
        let status = head
            .status
            .ok_or_else(|| unavailable("the status line has no status code".into()))?;
        Ok(RawResponse {
            status,
            headers: header_map(&head),
            set_cookie: head.set_cookie_lines(),
            body: RawBody {
                framing: Framing::of(&head, false),
                early: buf.split_off(end),
                stream,
                timeout: request.timeout,
            },
        })
    };
    tokio::time::timeout(request.timeout, reading)
        .await
        .unwrap_or_else(|_| Err(unavailable("timed out".into())))
}

/// The GET, as the HTTP client sends it; `identity`, since this body is not decompressed, and
/// `close`, since this connection serves one request.
fn request_head(request: RawRequest<'_>) -> Vec<u8> {
    let url = request.url;
    let mut head = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: {}\r\nAccept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: identity\r\n",
        &url[url::Position::BeforePath..url::Position::AfterQuery],
        &url[url::Position::BeforeHost..url::Position::AfterPort],
        request.user_agent,
        request.accept,
    );
    if let Some(cookie) = request.cookie_header {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    for header in request.extra {
        head.push_str(&format!("{}: {}\r\n", header.name, header.value));
    }
    head.push_str("Connection: close\r\n\r\n");
    head.into_bytes()
}

fn header_map(head: &ResponseHead) -> HeaderMap {
    let mut map = HeaderMap::new();
    for field in head.lines.iter().filter_map(|l| l.field.as_ref()) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(field.name.as_bytes()),
            HeaderValue::from_bytes(&field.value),
        ) {
            map.append(name, value);
        }
    }
    map
}

impl RawBody {
    /// Reads the body up to `cap` bytes (more is cut), within the client's timeout.
    pub(super) async fn read(self, cap: u64) -> Result<Body, FetchError> {
        let secs = self.timeout.as_secs();
        tokio::time::timeout(self.timeout, self.read_unbounded(cap))
            .await
            .unwrap_or(Err(FetchError::Timeout { secs }))
    }

    async fn read_unbounded(mut self, cap: u64) -> Result<Body, FetchError> {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut left = match self.framing {
            Framing::Empty => 0,
            Framing::Length(n) => n,
            Framing::Chunked | Framing::UntilClose => u64::MAX,
        };
        let mut scanner = ChunkedScanner::default();
        let mut pending = std::mem::take(&mut self.early);
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            if !pending.is_empty() {
                match self.framing {
                    Framing::Chunked => {
                        let scanned = scanner.feed(&pending).map_err(|e| FetchError::Other {
                            reason: e.to_string(),
                        })?;
                        for range in scanned.data {
                            out.extend_from_slice(&pending[range]);
                        }
                    }
                    _ => {
                        let take = usize::try_from(left)
                            .unwrap_or(usize::MAX)
                            .min(pending.len());
                        out.extend_from_slice(&pending[..take]);
                        left -= take as u64;
                    }
                }
                pending.clear();
            }
            let finished = match self.framing {
                Framing::Chunked => scanner.is_done(),
                _ => left == 0,
            };
            if finished || out.len() > cap {
                let truncated = out.len() > cap;
                out.truncate(cap);
                return Ok(Body {
                    bytes: out.into(),
                    truncated,
                });
            }
            let n = self
                .stream
                .read(&mut chunk)
                .await
                .map_err(|e| FetchError::Other {
                    reason: format!("reading the body failed: {e}"),
                })?;
            if n == 0 {
                // The connection closed: the end of an `UntilClose` body, or one cut short
                // (kept as far as it came, as browsers show it).
                return Ok(Body {
                    bytes: out.into(),
                    truncated: false,
                });
            }
            pending.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_clients_get_on_one_connection() {
        let url = Url::parse("http://www.odd.gov.uk:8080/a/b?c=d#frag").unwrap();
        let head = request_head(RawRequest {
            url: &url,
            cookie_header: Some("s=1"),
            extra: &[],
            accept: "*/*",
            user_agent: "cookie-audit-test",
            timeout: Duration::from_secs(1),
        });
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "GET /a/b?c=d HTTP/1.1\r\nHost: www.odd.gov.uk:8080\r\nUser-Agent: cookie-audit-test\r\nAccept: */*\r\nAccept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: identity\r\nCookie: s=1\r\nConnection: close\r\n\r\n"
        );
    }
}
