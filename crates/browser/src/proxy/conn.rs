//! One connection from Chromium, HTTP/1 by hand: requests read with `httparse`, each `CONNECT`
//! tunnelled, each absolute `http://` request forwarded to its own checked upstream, and the
//! upstream's response relayed byte for byte.
//!
//! Why not hyper, as before: hyper can neither read nor write a header line with a bare carriage
//! return or a control character, and Chromium reads both — `Set-Cookie: AAA=BB\rZYX` is a cookie
//! `AAA=BB` to it. A proxy that re-parses the head changes what Chromium sees. So the response
//! head is split as Chromium splits it (`cookie_audit_crawl::net::raw_head`) only to find the
//! lines the proxy owns — hop-by-hop fields and its own verdict header, which a site must not
//! forge — and everything else goes on as the site sent it. Its body is relayed as framed
//! (`raw_body`), so Chromium's connection stays open for its next request.

use std::sync::Arc;
use std::time::Duration;

use cookie_audit_crawl::net::raw_body::{ChunkedScanner, Framing};
use cookie_audit_crawl::net::raw_head::{self, ReadHeadError, ResponseHead};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::{Shared, VERDICT_HEADER, authority_key, parse_target, verdict_response};

/// How long Chromium may take to send a request head (hyper's default, which this replaced):
/// an idle keep-alive connection is closed after it.
const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Request fields read; Chromium sends a few dozen at most.
const MAX_REQUEST_FIELDS: usize = 256;

/// Fields that describe one connection, never the next one (RFC 9110 §7.6.1, plus the
/// non-standard `Proxy-Connection` Chromium sends). `Transfer-Encoding` is not among them here:
/// bodies are relayed as framed, so their framing goes with them.
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "upgrade",
];

/// Whether Chromium's connection can carry its next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    KeepAlive,
    Close,
}

/// One request from Chromium, its head parsed.
#[derive(Debug)]
struct Request {
    method: String,
    target: String,
    /// `(name, value)` as sent, case and all.
    fields: Vec<(String, Vec<u8>)>,
}

impl Request {
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// How its body is delimited (a request body is never delimited by closing).
    fn framing(&self) -> Framing {
        let chunked = self.values("transfer-encoding").any(|v| {
            String::from_utf8_lossy(v)
                .to_ascii_lowercase()
                .contains("chunked")
        });
        if chunked {
            return Framing::Chunked;
        }
        self.values("content-length")
            .find_map(|v| std::str::from_utf8(v).ok()?.trim().parse().ok())
            .map_or(Framing::Empty, Framing::Length)
    }

    fn wants_close(&self) -> bool {
        ["connection", "proxy-connection"].iter().any(|name| {
            self.values(name).any(|v| {
                String::from_utf8_lossy(v)
                    .to_ascii_lowercase()
                    .contains("close")
            })
        })
    }
}

/// Serves Chromium's connection until either side closes it.
pub(super) async fn serve(shared: Arc<Shared>, mut client: TcpStream) {
    let mut buf = Vec::new();
    loop {
        let request = match read_request(&mut client, &mut buf).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(problem) => {
                let _ = write_text(&mut client, 400, "Bad Request", &problem, Next::Close).await;
                return;
            }
        };
        let next = if request.method.eq_ignore_ascii_case("CONNECT") {
            tunnel(&shared, client, request, buf).await;
            return;
        } else {
            forward(&shared, &mut client, &request, &mut buf).await
        };
        if next == Next::Close || request.wants_close() {
            let _ = client.shutdown().await;
            return;
        }
    }
}

/// Reads the next request head; `None` when Chromium closed the connection or left it idle.
/// The bytes after the head (a body, or nothing) stay in `buf`.
async fn read_request(
    client: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<Option<Request>, String> {
    let end =
        match tokio::time::timeout(REQUEST_HEAD_TIMEOUT, raw_head::read_head(client, buf)).await {
            Ok(Ok(end)) => end,
            Ok(Err(ReadHeadError::TooBig)) => return Err("the request head is too long".into()),
            // Closed (between requests, or mid-head) or idle: nothing to answer.
            Ok(Err(_)) | Err(_) => return Ok(None),
        };
    let mut fields = [httparse::EMPTY_HEADER; MAX_REQUEST_FIELDS];
    let mut parsed = httparse::Request::new(&mut fields);
    match parsed.parse(&buf[..end]) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err("an incomplete request head".into()),
        Err(error) => return Err(format!("an unreadable request head: {error}")),
    }
    let request = Request {
        method: parsed.method.unwrap_or_default().to_string(),
        target: parsed.path.unwrap_or_default().to_string(),
        fields: parsed
            .headers
            .iter()
            .map(|f| (f.name.to_string(), f.value.to_vec()))
            .collect(),
    };
    buf.drain(..end);
    Ok(Some(request))
}

/// `CONNECT host:port`: connect through the guard, answer 200, then copy bytes both ways.
async fn tunnel(shared: &Shared, mut client: TcpStream, request: Request, early: Vec<u8>) {
    let authority = request.target.as_str();
    let port = authority
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse::<u16>().ok());
    let (Some(target), Some(port)) = (parse_target("https", authority), port) else {
        let _ = write_text(
            &mut client,
            400,
            "Bad Request",
            "CONNECT needs host:port",
            Next::Close,
        )
        .await;
        return;
    };
    let Some(host) = target.host() else {
        return;
    };
    match shared
        .guard
        .connect(host, port, shared.connect_timeout)
        .await
    {
        Ok(mut upstream) => {
            if client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
                .is_err()
                || upstream.write_all(&early).await.is_err()
            {
                return;
            }
            // Either side closing ends the tunnel; errors are the peers' business.
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
        Err(error) => {
            shared.note_failure(&authority_key(&target).unwrap_or_default(), target, &error);
            let _ = client.write_all(&verdict_response(&error, true)).await;
        }
    }
}

/// A plain-HTTP request in absolute form, forwarded to its own checked upstream.
async fn forward(
    shared: &Shared,
    client: &mut TcpStream,
    request: &Request,
    buf: &mut Vec<u8>,
) -> Next {
    let Some((target, origin_form)) = absolute_http(&request.target) else {
        let _ = write_text(
            client,
            400,
            "Bad Request",
            "only absolute http:// requests and CONNECT are proxied",
            Next::Close,
        )
        .await;
        return Next::Close;
    };
    let (Some(host), Some(port)) = (target.host(), target.port_or_known_default()) else {
        return Next::Close;
    };
    // For the log only: the request itself goes out as Chromium wrote it.
    let url = target.join(&origin_form).unwrap_or_else(|_| target.clone());
    let body = request.framing();
    let mut upstream = match shared
        .guard
        .connect(host, port, shared.connect_timeout)
        .await
    {
        Ok(upstream) => upstream,
        Err(error) => {
            shared.note_failure(&authority_key(&url).unwrap_or_default(), url, &error);
            // A body Chromium is still sending would be read as the next request.
            let keep = body == Framing::Empty;
            let _ = client.write_all(&verdict_response(&error, !keep)).await;
            return if keep { Next::KeepAlive } else { Next::Close };
        }
    };
    let sent = async {
        upstream
            .write_all(&upstream_head(request, &origin_form))
            .await?;
        relay_body(&mut upstream, client, buf, body).await
    };
    if let Err(error) = sent.await {
        tracing::debug!(%url, %error, "the browser's proxy could not send a request on");
        let reason = format!("the request failed: {error}");
        let _ = write_text(client, 502, "Bad Gateway", &reason, Next::Close).await;
        return Next::Close;
    }
    let head_request = request.method.eq_ignore_ascii_case("HEAD");
    match relay_response(client, &mut upstream, head_request).await {
        Ok(next) => next,
        Err(Failure::BeforeHead(reason)) => {
            tracing::debug!(%url, %reason, "the browser's proxy got no response head");
            let _ = write_text(client, 502, "Bad Gateway", &reason, Next::Close).await;
            Next::Close
        }
        Err(Failure::Relaying) => Next::Close,
    }
}

/// `http://host:port/path?query` → the target (scheme, host, port) and the origin form.
fn absolute_http(target: &str) -> Option<(Url, String)> {
    let rest = target
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("http://"))
        .map(|_| &target[7..])?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let origin_form = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Some((parse_target("http", authority)?, origin_form))
}

/// The request as the upstream gets it: origin form, Chromium's fields minus hop-by-hop ones,
/// one request per upstream connection.
fn upstream_head(request: &Request, origin_form: &str) -> Vec<u8> {
    let mut head = format!("{} {origin_form} HTTP/1.1\r\n", request.method).into_bytes();
    for (name, value) in &request.fields {
        if HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            continue;
        }
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    head
}

/// Why a response was not relayed whole.
#[derive(Debug)]
enum Failure {
    /// No head arrived: Chromium can still be answered.
    BeforeHead(String),
    /// Part of it went to Chromium already: only closing is left.
    Relaying,
}

/// Relays the upstream's response (informational heads first) to Chromium.
async fn relay_response(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    head_request: bool,
) -> Result<Next, Failure> {
    let mut buf = Vec::new();
    loop {
        let end = tokio::select! {
            end = raw_head::read_head(upstream, &mut buf) => end.map_err(|e| Failure::BeforeHead(e.to_string()))?,
            // Chromium gave up (the visit ended): nobody waits for this response.
            () = closed(client) => return Err(Failure::Relaying),
        };
        let head = match ResponseHead::parse(&buf[..end]) {
            Ok(head) => head,
            Err(raw_head::HeadError::Nul) => {
                // Chromium refuses the whole response: let it see why, then close.
                relay_until_close(client, upstream, &buf).await?;
                return Ok(Next::Close);
            }
            Err(error) => return Err(Failure::BeforeHead(error.to_string())),
        };
        let framing = Framing::of(&head, head_request);
        let informational = head
            .status
            .is_some_and(|s| (100..200).contains(&s) && s != 101);
        let next = if framing == Framing::UntilClose || head.status == Some(101) {
            Next::Close
        } else {
            Next::KeepAlive
        };
        let relayed = owned_lines_removed(&buf[..end], &head, next);
        client
            .write_all(&relayed)
            .await
            .map_err(|_| Failure::Relaying)?;
        buf.drain(..end);
        if informational {
            continue;
        }
        return match framing {
            Framing::UntilClose => relay_until_close(client, upstream, &buf)
                .await
                .map(|()| next),
            body => relay_body(client, upstream, &mut buf, body)
                .await
                .map(|()| next)
                .map_err(|_| Failure::Relaying),
        };
    }
}

/// The head as the site sent it, minus the lines the proxy owns; `Connection: close` added when
/// Chromium's connection ends with this response.
fn owned_lines_removed(bytes: &[u8], head: &ResponseHead, next: Next) -> Vec<u8> {
    // Fields a `Connection` field names are hop-by-hop too.
    let named: Vec<String> = head
        .values("connection")
        .flat_map(|v| {
            String::from_utf8_lossy(v)
                .split(',')
                .map(|n| n.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    let owned = |name: &str| {
        let name = name.to_ascii_lowercase();
        name == VERDICT_HEADER || HOP_BY_HOP.contains(&name.as_str()) || named.contains(&name)
    };
    let mut out = bytes[head.status_line.clone()].to_vec();
    for line in &head.lines {
        if line.field.as_ref().is_some_and(|f| owned(&f.name)) {
            continue;
        }
        out.extend_from_slice(&bytes[line.raw.clone()]);
    }
    if next == Next::Close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(&bytes[head.end.clone()]);
    out
}

/// Copies a framed body from `from` to `to`, starting with what `buf` already holds; what
/// follows the body in `buf` stays there.
async fn relay_body(
    to: &mut TcpStream,
    from: &mut TcpStream,
    buf: &mut Vec<u8>,
    framing: Framing,
) -> std::io::Result<()> {
    let mut left = match framing {
        Framing::Length(n) => n,
        Framing::Chunked => u64::MAX,
        Framing::Empty | Framing::UntilClose => 0,
    };
    let mut scanner = ChunkedScanner::default();
    let mut chunk = vec![0u8; 16 * 1024];
    while left > 0 {
        if buf.is_empty() {
            let n = from.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let take = match framing {
            Framing::Chunked => {
                let scanned = scanner
                    .feed(buf)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                if scanned.done {
                    left = 0;
                }
                scanned.consumed
            }
            _ => {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                left -= take as u64;
                take
            }
        };
        to.write_all(&buf[..take]).await?;
        buf.drain(..take);
    }
    Ok(())
}

/// Sends `early` and then everything the upstream sends until it closes; Chromium's connection
/// ends with it.
async fn relay_until_close(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    early: &[u8],
) -> Result<(), Failure> {
    client
        .write_all(early)
        .await
        .map_err(|_| Failure::Relaying)?;
    tokio::io::copy(upstream, client)
        .await
        .map(|_| ())
        .map_err(|_| Failure::Relaying)
}

/// Resolves when Chromium closes its side; never, once it sends more (it is not waiting).
async fn closed(client: &TcpStream) {
    let mut probe = [0u8; 1];
    loop {
        match client.peek(&mut probe).await {
            Ok(0) | Err(_) => return,
            Ok(_) => std::future::pending::<()>().await,
        }
    }
}

/// The proxy's own answer, the reason in the body and in [`VERDICT_HEADER`].
async fn write_text(
    client: &mut TcpStream,
    status: u16,
    phrase: &str,
    reason: &str,
    next: Next,
) -> std::io::Result<()> {
    client
        .write_all(&super::text_response(
            status,
            phrase,
            reason,
            next == Next::Close,
        ))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_targets_split_into_the_upstream_and_the_origin_form() {
        let (target, path) = absolute_http("http://WWW.A.test:8080/p/q?x=1").unwrap();
        assert_eq!(target.as_str(), "http://www.a.test:8080/");
        assert_eq!(path, "/p/q?x=1");
        let (_, path) = absolute_http("http://a.test?x").unwrap();
        assert_eq!(path, "/?x");
        let (target, path) = absolute_http("http://2130706434/").unwrap();
        assert_eq!((target.as_str(), path.as_str()), ("http://127.0.0.2/", "/"));
        for refused in ["/relative", "https://a.test/", "http://user@a.test/"] {
            assert!(absolute_http(refused).is_none(), "{refused}");
        }
    }

    #[test]
    fn only_the_lines_the_proxy_owns_are_removed_from_a_head() {
        let bytes: &[u8] = b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\rX-Cookie-Audit-Proxy: forged\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nSet-Cookie: b=\x01\r\n folded\r\nTransfer-Encoding: chunked\r\n\r\n";
        let head = ResponseHead::parse(bytes).unwrap();
        let kept = owned_lines_removed(bytes, &head, Next::KeepAlive);
        assert_eq!(
            kept,
            b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\rSet-Cookie: b=\x01\r\n folded\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        let closing = owned_lines_removed(bytes, &head, Next::Close);
        assert!(closing.ends_with(b"chunked\r\nConnection: close\r\n\r\n"));
    }

    #[test]
    fn the_upstream_gets_chromiums_fields_without_hop_by_hop_ones() {
        let request = Request {
            method: "GET".into(),
            target: "http://a.test/x".into(),
            fields: vec![
                ("Host".into(), b"a.test".to_vec()),
                ("Proxy-Connection".into(), b"keep-alive".to_vec()),
                ("Cookie".into(), b"s=1".to_vec()),
            ],
        };
        assert_eq!(
            upstream_head(&request, "/x"),
            b"GET /x HTTP/1.1\r\nHost: a.test\r\nCookie: s=1\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(request.framing(), Framing::Empty);
        assert!(!request.wants_close());
    }
}
