//! The agreement corpus, `testdata/set-cookie/agreement.txt`: odd `Set-Cookie` values as exact
//! bytes, control characters and bytes that are not UTF-8 included. The format is documented at
//! the top of the file; this reads it.
//!
//! A data file rather than Rust literals so a case is one readable line anyone can add, and so
//! the bytes a `String` cannot hold are written the same way as every other case.

use std::path::{Path, PathBuf};

/// Where the corpus lives, from the workspace root.
pub(crate) const CORPUS_PATH: &str = "testdata/set-cookie/agreement.txt";

/// Longest text a `\{N*T}` escape may expand to: ample for Chromium's 4096-byte limits, small
/// enough that a typo (an extra digit) is an error rather than a gigabyte.
const MAX_REPEAT_BYTES: usize = 64 * 1024;

/// How a case is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// By a raw TCP server, so every byte reaches the wire as written.
    Http,
    /// By the TLS fixture (axum): what needs a secure origin.
    Https,
}

/// One `Set-Cookie` value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    pub scheme: Scheme,
    /// 1-based line in the corpus file, for messages.
    pub line: usize,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum CorpusError {
    #[error("cannot read the agreement corpus {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("agreement corpus line {line}: {problem}")]
    Line { line: usize, problem: String },
}

/// Reads and parses the corpus file of this workspace.
pub(crate) fn load() -> Result<Vec<Case>, CorpusError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(CORPUS_PATH);
    let text = std::fs::read_to_string(&path).map_err(|source| CorpusError::Read {
        path: path.clone(),
        source,
    })?;
    parse(&text)
}

/// Parses corpus text: sections, comments, cases with their escapes.
pub(crate) fn parse(text: &str) -> Result<Vec<Case>, CorpusError> {
    let mut scheme = Scheme::Http;
    let mut cases = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let problem = |problem: String| CorpusError::Line { line, problem };
        match raw {
            "" => continue,
            "[http]" => scheme = Scheme::Http,
            "[https]" => scheme = Scheme::Https,
            _ if raw.starts_with('#') => continue,
            _ => {
                if raw.ends_with([' ', '\t']) {
                    return Err(problem(
                        "ends in whitespace, which editors strip: write it as \\x20 or \\t".into(),
                    ));
                }
                let bytes = unescape(raw).map_err(problem)?;
                cases.push(Case {
                    scheme,
                    line,
                    bytes,
                });
            }
        }
    }
    Ok(cases)
}

/// The bytes a case line stands for.
fn unescape(raw: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        if c != '\\' {
            if c.is_control() {
                return Err(format!(
                    "holds the raw control character U+{:04X}: write it as an escape",
                    c as u32
                ));
            }
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (bytes, after) = escape(&rest[1..])?;
        out.extend_from_slice(&bytes);
        rest = after;
    }
    Ok(out)
}

/// One escape, its leading backslash already taken: its bytes and the text after it.
fn escape(after_backslash: &str) -> Result<(Vec<u8>, &str), String> {
    let Some(kind) = after_backslash.chars().next() else {
        return Err("ends in a lone backslash: write a backslash as \\\\".into());
    };
    let rest = &after_backslash[kind.len_utf8()..];
    match kind {
        '\\' => Ok((b"\\".to_vec(), rest)),
        't' => Ok((b"\t".to_vec(), rest)),
        'r' => Ok((b"\r".to_vec(), rest)),
        'n' => Ok((b"\n".to_vec(), rest)),
        'x' => {
            let hex = rest
                .get(..2)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| "\\x needs two hex digits".to_string())?;
            let byte = u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
            Ok((vec![byte], &rest[2..]))
        }
        '{' => {
            let end = rest
                .find('}')
                .ok_or_else(|| "\\{ without its closing }".to_string())?;
            let (count, text) = rest[..end]
                .split_once('*')
                .ok_or_else(|| "\\{N*T} needs a count, `*` and a text".to_string())?;
            let count: usize = count
                .parse()
                .map_err(|_| format!("\\{{N*T}}: `{count}` is not a count"))?;
            if text.is_empty() || text.contains('\\') {
                return Err("\\{N*T}: T must be plain text, not empty".into());
            }
            if count.saturating_mul(text.len()) > MAX_REPEAT_BYTES {
                return Err(format!("\\{{N*T}} expands past {MAX_REPEAT_BYTES} bytes"));
            }
            Ok((text.repeat(count).into_bytes(), &rest[end + 1..]))
        }
        other => Err(format!("unknown escape \\{other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_stand_for_their_bytes() {
        let cases = parse("a=\\x01\\t\\r\\n\\\\; Path=/\\{3*ab}é\\xe9\\x20").unwrap();
        assert_eq!(
            cases,
            [Case {
                scheme: Scheme::Http,
                line: 1,
                bytes: b"a=\x01\t\r\n\\; Path=/ababab\xc3\xa9\xe9 ".to_vec(),
            }]
        );
    }

    #[test]
    fn sections_comments_and_blank_lines() {
        let cases = parse("# note\n\nv\n[https]\n\\x23x\n[http]\n w").unwrap();
        let got: Vec<(Scheme, usize, &[u8])> = cases
            .iter()
            .map(|c| (c.scheme, c.line, c.bytes.as_slice()))
            .collect();
        assert_eq!(
            got,
            [
                (Scheme::Http, 3, b"v".as_slice()),
                (Scheme::Https, 5, b"#x".as_slice()),
                (Scheme::Http, 7, b" w".as_slice()),
            ]
        );
    }

    #[test]
    fn bad_lines_are_errors_that_name_the_line() {
        for (text, needle) in [
            ("ok\na=1 ", "line 2: ends in whitespace"),
            ("a=\t1", "line 1: holds the raw control character U+0009"),
            ("a=1\r\n", "line 1: holds the raw control character U+000D"),
            ("a=\\q", "unknown escape \\q"),
            ("a=\\x4", "two hex digits"),
            ("a=\\", "lone backslash"),
            ("a=\\{3*x", "closing }"),
            ("a=\\{many*x}", "`many` is not a count"),
            ("a=\\{99999999*x}", "expands past"),
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(needle), "{text:?}: {error}");
        }
    }

    #[test]
    fn the_repository_corpus_loads() {
        let cases = load().unwrap();
        assert!(cases.iter().any(|c| c.scheme == Scheme::Https));
        // The generated sizes are there, to the byte.
        assert!(cases.iter().any(|c| c.bytes.len() == 4096));
    }
}
