//! Where a response body read raw ends, and its bytes when it is chunked: for the heads hyper
//! cannot read ([`super::raw_head`]), whose bodies hyper cannot read either. The HTTP engine
//! decodes such a body; the browser engine's guard proxy relays it byte for byte and needs only
//! to know where it ends, to keep Chromium's connection for the next request.

use std::ops::Range;

use super::raw_head::ResponseHead;

/// Longest chunk-size or trailer line accepted (Chromium's chunked decoder allows a few KiB).
const MAX_CHUNK_LINE: usize = 4096;

/// How a response's body is delimited (RFC 9112 §6.3, as Chromium applies it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: a `HEAD` request, or status 1xx, 204, 304.
    Empty,
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding` ending in `chunked`.
    Chunked,
    /// Everything until the connection closes (no length, another transfer coding, or a
    /// `Content-Length` that does not read as one number).
    UntilClose,
}

impl Framing {
    /// How the body after `head` is delimited; `head_request` when the request was a `HEAD`, whose
    /// answer never has a body.
    pub fn of(head: &ResponseHead, head_request: bool) -> Framing {
        if head_request || head.status.is_some_and(|s| s < 200 || s == 204 || s == 304) {
            return Framing::Empty;
        }
        let last_coding = head
            .values("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|c| c.trim_ascii())
            .filter(|c| !c.is_empty())
            .last();
        if let Some(last) = last_coding {
            return if last.eq_ignore_ascii_case(b"chunked") {
                Framing::Chunked
            } else {
                Framing::UntilClose
            };
        }
        let mut lengths = head
            .values("content-length")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|v| std::str::from_utf8(v).ok()?.trim().parse::<u64>().ok());
        match lengths.next() {
            None => Framing::UntilClose,
            Some(Some(first)) if lengths.all(|other| other == Some(first)) => {
                Framing::Length(first)
            }
            Some(_) => Framing::UntilClose,
        }
    }
}

/// A chunked body's framing was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the chunked body is malformed: {0}")]
pub struct ChunkError(&'static str);

/// What one [`ChunkedScanner::feed`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scanned {
    /// Bytes of the input that belong to the body (all of it unless `done`).
    pub consumed: usize,
    /// The chunk data within them (the rest is framing).
    pub data: Vec<Range<usize>>,
    /// The last chunk and the trailers ended at `consumed`.
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// In chunk data: this many bytes left.
    Data(u64),
    /// After chunk data, the line end.
    DataEnd,
    /// Reading trailer lines after the last chunk, until an empty one.
    Trailer,
    Done,
}

/// Follows a chunked body through the bytes fed to it, however they are split.
#[derive(Debug, Clone)]
pub struct ChunkedScanner {
    state: State,
    /// The line being read (size or trailer), without its end.
    line: Vec<u8>,
}

impl Default for ChunkedScanner {
    fn default() -> Self {
        ChunkedScanner {
            state: State::Size,
            line: Vec::new(),
        }
    }
}

impl ChunkedScanner {
    /// The last chunk and its trailers have been read: the body ended, and the connection may carry
    /// the next response.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Takes the next bytes of the body.
    pub fn feed(&mut self, input: &[u8]) -> Result<Scanned, ChunkError> {
        let mut scanned = Scanned::default();
        let mut at = 0;
        while at < input.len() && self.state != State::Done {
            match self.state {
                State::Data(left) => {
                    let take = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(input.len() - at);
                    scanned.data.push(at..at + take);
                    at += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd => {
                    // `\r\n` (a bare `\n` is read too, as browsers do).
                    match input[at] {
                        b'\r' if self.line.is_empty() => self.line.push(b'\r'),
                        b'\n' => {
                            self.line.clear();
                            self.state = State::Size;
                        }
                        _ => return Err(ChunkError("chunk data longer than its size")),
                    }
                    at += 1;
                }
                State::Size | State::Trailer => {
                    let byte = input[at];
                    at += 1;
                    if byte != b'\n' {
                        if self.line.len() >= MAX_CHUNK_LINE {
                            return Err(ChunkError("a chunk-size or trailer line is too long"));
                        }
                        self.line.push(byte);
                        continue;
                    }
                    let line = std::mem::take(&mut self.line);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    self.state = match self.state {
                        State::Size => match chunk_size(line)? {
                            0 => State::Trailer,
                            size => State::Data(size),
                        },
                        _ if line.is_empty() => State::Done,
                        _ => State::Trailer,
                    };
                }
                State::Done => unreachable!("the loop stops at Done"),
            }
        }
        scanned.consumed = at;
        scanned.done = self.state == State::Done;
        Ok(scanned)
    }
}

/// `1a;name=value` → 26.
fn chunk_size(line: &[u8]) -> Result<u64, ChunkError> {
    let digits_end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let rest = &line[digits_end..];
    let extension_ok = rest.is_empty() || matches!(rest[0], b';' | b' ' | b'\t');
    if digits_end == 0 || digits_end > 15 || !extension_ok {
        return Err(ChunkError("a chunk size is not a hex number"));
    }
    let digits = std::str::from_utf8(&line[..digits_end]).expect("hex digits are ASCII");
    u64::from_str_radix(digits, 16).map_err(|_| ChunkError("a chunk size is not a hex number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(head: &[u8], head_request: bool) -> Framing {
        Framing::of(&ResponseHead::parse(head).unwrap(), head_request)
    }

    #[test]
    fn framing_follows_status_transfer_encoding_and_length() {
        assert_eq!(
            framing(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false),
            Framing::Length(5)
        );
        assert_eq!(
            framing(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true),
            Framing::Empty
        );
        assert_eq!(
            framing(
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
                false
            ),
            Framing::Empty
        );
        assert_eq!(
            framing(b"HTTP/1.1 103 Early Hints\r\n\r\n", false),
            Framing::Empty
        );
        assert_eq!(
            framing(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 5\r\n\r\n",
                false
            ),
            Framing::Chunked
        );
        assert_eq!(
            framing(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false),
            Framing::UntilClose
        );
        assert_eq!(
            framing(b"HTTP/1.1 200 OK\r\n\r\n", false),
            Framing::UntilClose
        );
        assert_eq!(
            framing(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
                false
            ),
            Framing::Length(5)
        );
        for odd in ["5, 6", "five", "-1"] {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {odd}\r\n\r\n");
            assert_eq!(
                framing(head.as_bytes(), false),
                Framing::UntilClose,
                "{odd}"
            );
        }
    }

    /// Feeds `body` in pieces of `step` bytes; returns the data and where the body ended.
    fn scan(body: &[u8], step: usize) -> Result<(Vec<u8>, Option<usize>), ChunkError> {
        let mut scanner = ChunkedScanner::default();
        let mut data = Vec::new();
        let mut offset = 0;
        for piece in body.chunks(step) {
            let scanned = scanner.feed(piece)?;
            for range in scanned.data {
                data.extend_from_slice(&piece[range]);
            }
            if scanned.done {
                return Ok((data, Some(offset + scanned.consumed)));
            }
            offset += piece.len();
        }
        Ok((data, None))
    }

    #[test]
    fn chunks_are_decoded_however_the_bytes_arrive() {
        let body = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, body.len()] {
            let (data, end) = scan(body, step).unwrap();
            assert_eq!(data, b"Wikipedia in\r\n\r\nchunks.", "step {step}");
            assert_eq!(end, Some(body.len() - 4), "step {step}");
        }
        // Bare line feeds, and a body cut short, which never ends.
        assert_eq!(
            scan(b"3\nabc\n0\n\n", 4).unwrap(),
            (b"abc".to_vec(), Some(9))
        );
        assert_eq!(scan(b"10\r\nabc", 4).unwrap(), (b"abc".to_vec(), None));
    }

    #[test]
    fn broken_chunks_are_errors() {
        for body in [
            &b"zz\r\n"[..],
            b"3\r\nabcd\r\n",
            b";\r\n",
            b"1234567890abcdef0\r\n",
        ] {
            assert!(scan(body, 5).is_err(), "{}", String::from_utf8_lossy(body));
        }
        let long = vec![b'1'; MAX_CHUNK_LINE + 1];
        assert!(scan(&long, 100).is_err());
    }
}
