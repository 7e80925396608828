//! A response head read the way Chromium reads it, for the bytes hyper will not read.
//!
//! hyper refuses a head with a bare carriage return, a folded line or a control character in a
//! value; Chromium reads all of them, and keeps the cookies they set (`Set-Cookie: AAA=BB\rZYX`
//! is the cookie `AAA=BB`). To predict what a browser keeps, both engines need the head as
//! Chromium splits it: the HTTP engine re-reads such a response's head raw, and the browser
//! engine's guard proxy relays plain-HTTP heads byte for byte, removing only the lines it owns.
//!
//! Chromium's rules (`net/http/http_util.cc`, `http_response_headers.cc`, measured against
//! Chromium 156 by the agreement test):
//! - the head ends at the first empty line: `\n\n` or `\n\r\n`;
//! - every carriage return or line feed ends a line (a bare `\r` too); empty lines in between
//!   vanish;
//! - a line starting with a space or tab continues the field before it, when that one can be
//!   continued (it has a non-empty name before a `:`): joined with one space;
//! - a field is `name: value`, both trimmed of spaces and tabs; a name that is not an HTTP token
//!   makes the line no field (it is ignored);
//! - a NUL byte anywhere in the head fails the whole response (`ERR_INVALID_HTTP_RESPONSE`).
//!
//! Parsing is pure; [`read_head`] is the one read off a connection both engines share.

use std::ops::Range;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Chromium's limit on a response head (`ERR_RESPONSE_HEADERS_TOO_BIG` past it).
pub const MAX_HEAD_BYTES: usize = 256 * 1024;

/// Why a head cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// The bytes do not start with `HTTP/`: not a response a browser would read.
    #[error("the response does not start with an HTTP status line")]
    NotHttp,
    /// A NUL byte in the head: Chromium refuses the whole response, so it sets no cookie.
    #[error(
        "the response's headers hold a NUL byte, so browsers refuse the whole response (net::ERR_INVALID_HTTP_RESPONSE)"
    )]
    Nul,
}

/// Why a head could not be read off a connection.
#[derive(Debug, thiserror::Error)]
pub enum ReadHeadError {
    /// The connection failed while the head was read.
    #[error("reading the response failed: {0}")]
    Io(#[from] std::io::Error),
    /// The connection closed before the empty line that ends the head.
    #[error("the connection closed before the response's headers were complete")]
    Closed,
    /// The head grew past [`MAX_HEAD_BYTES`] without ending, as Chromium refuses it.
    #[error("the response's headers are longer than {MAX_HEAD_BYTES} bytes")]
    TooBig,
}

/// Reads from `stream` into `buf` until it holds a complete head; returns where the head ends
/// (bytes after it, the start of the body, stay in `buf`). Unbounded in time: callers bound it.
pub async fn read_head(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
) -> Result<usize, ReadHeadError> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = head_end(buf) {
            return Ok(end);
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(ReadHeadError::TooBig);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(ReadHeadError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Where a head ends in `buf`: just past its empty line, or `None` when it has not yet arrived.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let mut after_line_feed = false;
    let mut previous = 0u8;
    for (i, &byte) in buf.iter().enumerate() {
        if byte == b'\n' {
            if after_line_feed {
                return Some(i + 1);
            }
            after_line_feed = true;
        } else if byte != b'\r' || previous != b'\n' {
            // A carriage return right after a line feed keeps the line empty (`\n\r\n`).
            after_line_feed = false;
        }
        previous = byte;
    }
    None
}

/// One field, as Chromium assembles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name as written, trimmed.
    pub name: String,
    /// The value, trimmed, folded lines joined by one space. Bytes: it may hold anything.
    pub value: Vec<u8>,
}

/// A line of the head with the lines that continue it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadLine {
    /// Its bytes in the head, continuations and the line end after each included.
    pub raw: Range<usize>,
    /// What Chromium reads in it; `None` for a line it ignores (no `:`, an invalid name).
    pub field: Option<Field>,
}

/// A complete response head, split as Chromium splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status line with its line end.
    pub status_line: Range<usize>,
    /// The status code, when the status line has a readable one.
    pub status: Option<u16>,
    /// Every line after the status line, in order, continuations joined to the line they continue.
    pub lines: Vec<HeadLine>,
    /// The empty line that ends the head.
    pub end: Range<usize>,
}

/// A run of bytes between line ends, and the line end after it.
#[derive(Debug, Clone)]
struct Segment {
    text: Range<usize>,
    with_end: Range<usize>,
}

impl ResponseHead {
    /// Splits `head`, which must be exactly a complete head (up to [`head_end`]).
    pub fn parse(head: &[u8]) -> Result<ResponseHead, HeadError> {
        if !head
            .get(..5)
            .is_some_and(|start| start.eq_ignore_ascii_case(b"HTTP/"))
        {
            return Err(HeadError::NotHttp);
        }
        if head.contains(&0) {
            return Err(HeadError::Nul);
        }
        let mut segments = segments(head);
        // The last line end holds the empty line: the line before it ends at its first `\n`.
        let end = match segments.last_mut() {
            Some(last) => {
                let line_end = last.text.end
                    + head[last.text.end..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(0, |i| i + 1);
                let end = line_end..last.with_end.end;
                last.with_end.end = line_end;
                end
            }
            None => head.len()..head.len(),
        };
        let mut segments = segments.into_iter();
        let status_line = segments.next().map(|s| s.with_end).unwrap_or(0..head.len());
        let status = status_code(&head[status_line.clone()]);
        let lines = group(head, segments.collect());
        Ok(ResponseHead {
            status_line,
            status,
            lines,
            end,
        })
    }

    /// Every value of the field `name` (any case), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.lines
            .iter()
            .filter_map(|line| line.field.as_ref())
            .filter(move |field| field.name.eq_ignore_ascii_case(name))
            .map(|field| field.value.as_slice())
    }

    /// The `Set-Cookie` values as text; bytes that are not UTF-8 replaced, never dropped (the
    /// engines read every header so).
    pub fn set_cookie_lines(&self) -> Vec<String> {
        self.values("set-cookie")
            .map(|value| String::from_utf8_lossy(value).into_owned())
            .collect()
    }
}

/// The head cut at every carriage return and line feed; empty pieces vanish into the line end
/// before them.
fn segments(head: &[u8]) -> Vec<Segment> {
    let is_end = |b: &u8| matches!(b, b'\r' | b'\n');
    let mut out = Vec::new();
    let mut start = 0;
    while start < head.len() {
        let text_end = head[start..]
            .iter()
            .position(is_end)
            .map_or(head.len(), |i| start + i);
        let next = head[text_end..]
            .iter()
            .position(|b| !is_end(b))
            .map_or(head.len(), |i| text_end + i);
        out.push(Segment {
            text: start..text_end,
            with_end: start..next,
        });
        start = next;
    }
    out
}

/// Header lines with their continuations, and the fields Chromium reads in them.
fn group(head: &[u8], segments: Vec<Segment>) -> Vec<HeadLine> {
    let mut lines: Vec<(HeadLine, Vec<u8>)> = Vec::new();
    let mut continuable = false;
    for segment in segments {
        let text = &head[segment.text.clone()];
        if continuable && text.first().is_some_and(is_lws) {
            let (line, assembled) = lines.last_mut().expect("a continuable line came before");
            line.raw.end = segment.with_end.end;
            assembled.push(b' ');
            assembled.extend_from_slice(trim_start(text));
            continue;
        }
        continuable = can_continue(text);
        lines.push((
            HeadLine {
                raw: segment.with_end,
                field: None,
            },
            text.to_vec(),
        ));
    }
    lines
        .into_iter()
        .map(|(mut line, assembled)| {
            line.field = field(&assembled);
            line
        })
        .collect()
}

/// A line can be continued when it has a non-empty name before a `:` and does not itself start
/// with whitespace.
fn can_continue(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => colon > 0 && !is_lws(&line[0]),
        None => false,
    }
}

fn field(line: &[u8]) -> Option<Field> {
    if line.first().is_none_or(is_lws) {
        return None;
    }
    let colon = line.iter().position(|&b| b == b':')?;
    let name = trim(&line[..colon]);
    if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
        return None;
    }
    Some(Field {
        // Tokens are ASCII.
        name: String::from_utf8_lossy(name).into_owned(),
        value: trim(&line[colon + 1..]).to_vec(),
    })
}

/// `HTTP/1.1 200 OK` → 200.
fn status_code(line: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(line);
    let code = text.split_ascii_whitespace().nth(1)?;
    (code.len() == 3).then(|| code.parse().ok())?
}

fn is_lws(b: &u8) -> bool {
    matches!(b, b' ' | b'\t')
}

/// RFC 9110 `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !is_lws(b)).unwrap_or(bytes.len());
    &bytes[start..]
}

fn trim(bytes: &[u8]) -> &[u8] {
    let bytes = trim_start(bytes);
    let end = bytes.iter().rposition(|b| !is_lws(b)).map_or(0, |i| i + 1);
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(head: &[u8]) -> ResponseHead {
        let end = head_end(head).expect("a complete head");
        ResponseHead::parse(&head[..end]).unwrap()
    }

    fn cookies(head: &[u8]) -> Vec<String> {
        parse(head).set_cookie_lines()
    }

    #[test]
    fn the_head_ends_at_the_first_empty_line_whatever_the_line_ends() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), Some(25));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\nA: b\n\nbody"), Some(22));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\nA: b\n\r\nbody"), Some(23));
        // Carriage returns alone never end it.
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\r\rC: d\r\n"), None);
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n"), None);
    }

    /// Issue 18: `AAA=BB\rZYX` — Chromium keeps `AAA=BB`, hyper refused the whole line.
    #[test]
    fn a_bare_carriage_return_ends_a_line() {
        assert_eq!(
            cookies(b"HTTP/1.1 200 OK\r\nSet-Cookie: AAA=BB\rZYX\r\n\r\n"),
            ["AAA=BB"]
        );
        assert_eq!(
            cookies(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\rset-cookie : b=2\r\r\n\r\n"),
            ["a=1", "b=2"]
        );
    }

    #[test]
    fn folded_lines_join_the_field_before_them_with_one_space() {
        assert_eq!(
            cookies(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1 \r\n \t b=2\n\tc\r\n\r\n"),
            ["a=1  b=2 c"]
        );
        // An empty field can be continued; a line without a name cannot.
        assert_eq!(
            cookies(b"HTTP/1.1 200 OK\r\nSet-Cookie:\r\n b=2\r\nZYX\r\n c=3\r\n\r\n"),
            ["b=2"]
        );
    }

    #[test]
    fn lines_that_are_no_field_are_kept_but_read_as_nothing() {
        let head = parse(b"HTTP/1.1 200 OK\r\n:x\r\nBad Name: y\r\nZYX\r\nOk: z\r\n\r\n");
        let fields: Vec<Option<&str>> = head
            .lines
            .iter()
            .map(|l| l.field.as_ref().map(|f| f.name.as_str()))
            .collect();
        assert_eq!(fields, [None, None, None, Some("Ok")]);
        assert_eq!(head.status, Some(200));
    }

    #[test]
    fn raw_spans_cover_the_head_exactly() {
        let bytes = b"HTTP/1.1 302 Found\r\nA: 1\r\n b\rC: 2\r\r\n\r\n";
        let head = parse(bytes);
        let mut rebuilt = bytes[head.status_line.clone()].to_vec();
        for line in &head.lines {
            rebuilt.extend_from_slice(&bytes[line.raw.clone()]);
        }
        rebuilt.extend_from_slice(&bytes[head.end.clone()]);
        assert_eq!(rebuilt, bytes);
        assert_eq!(&bytes[head.lines[0].raw.clone()], b"A: 1\r\n b\r");
        assert_eq!(&bytes[head.end.clone()], b"\r\n");
        assert_eq!(head.status, Some(302));
        let empty = parse(b"HTTP/1.1 204 No Content\n\n");
        assert!(empty.lines.is_empty());
        assert_eq!(empty.status_line, 0..24);
    }

    #[test]
    fn control_characters_and_other_bytes_stay_in_values() {
        assert_eq!(
            cookies(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=\x01\x7f\xe9\r\n\r\n"),
            ["a=\x01\x7f\u{fffd}"]
        );
    }

    #[tokio::test]
    async fn read_head_stops_at_the_head_and_keeps_what_followed() {
        let (mut client, mut server) = tokio::io::duplex(64);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for piece in [&b"HTTP/1.1 200 OK\r\nA: "[..], b"b\r", b"\n\r\nbody"] {
                server.write_all(piece).await.unwrap();
            }
        });
        let mut buf = Vec::new();
        let end = read_head(&mut client, &mut buf).await.unwrap();
        assert_eq!(&buf[..end], b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n");
        assert!(b"body".starts_with(&buf[end..]));

        let (mut client, server) = tokio::io::duplex(64);
        drop(server);
        let mut buf = b"HTTP/1.1 200 OK\r\n".to_vec();
        assert!(matches!(
            read_head(&mut client, &mut buf).await,
            Err(ReadHeadError::Closed)
        ));
    }

    #[test]
    fn a_nul_byte_or_no_status_line_is_an_error() {
        assert_eq!(
            ResponseHead::parse(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=b\x00c\r\n\r\n"),
            Err(HeadError::Nul)
        );
        assert_eq!(
            ResponseHead::parse(b"<html>\r\n\r\n"),
            Err(HeadError::NotHttp)
        );
    }
}
