//! Cookie values are secrets (session ids, tokens). Reports carry a fingerprint — the length and
//! a short SHA-256 — unless the user passes `--show-values`, so two runs can still tell that a
//! value changed without anyone being able to replay it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A cookie value as it appears in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CookieValue {
    /// Length of the value in bytes.
    pub length: usize,
    /// The first 12 hex digits of the value's SHA-256.
    pub sha256: String,
    /// The value itself, only with `--show-values`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl CookieValue {
    /// The fingerprint of `value`; the value itself is kept only when `show` (`--show-values`).
    pub fn new(value: &str, show: bool) -> CookieValue {
        CookieValue {
            length: value.len(),
            sha256: fingerprint(value),
            value: show.then(|| value.to_string()),
        }
    }
}

/// Short SHA-256 fingerprint of a value.
pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    hex::encode(&digest[..6])
}

/// What tells two redacted lines apart as lines, whatever their values: the redacted line with
/// the values' lengths dropped. A too-long cookie whose value changes on every page (a
/// timestamp in it) is one malformed cookie, not one per length.
pub fn malformed_identity(redacted: &str) -> String {
    let mut out = String::with_capacity(redacted.len());
    let mut rest = redacted;
    while let Some(at) = rest.find("<redacted ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "<redacted ".len()..];
        match after.find(" bytes>") {
            Some(end) if after[..end].bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str("<redacted>");
                rest = &after[end + " bytes>".len()..];
            }
            _ => {
                out.push_str("<redacted ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A raw `Set-Cookie` line with the value replaced, for evidence of malformed or rejected
/// cookies. Attributes are kept (they explain the rejection); the value never is, unless `show`.
pub fn redact_set_cookie_line(raw: &str, show: bool) -> String {
    let printable: String = raw
        .chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if show {
        return printable;
    }
    let (pair, rest) = match printable.find(';') {
        Some(i) => printable.split_at(i),
        None => (printable.as_str(), ""),
    };
    let redacted_pair = match pair.find('=') {
        Some(eq) => {
            let value = &pair[eq + 1..];
            format!("{}=<redacted {} bytes>", &pair[..eq], value.trim().len())
        }
        None => format!("<redacted {} bytes>", pair.trim().len()),
    };
    // Cap evidence size: an 8 KB cookie must not become 8 KB of report.
    let mut rest: String = rest.chars().take(512).collect();
    if rest.len() < printable.len() - pair.len() {
        rest.push('…');
    }
    let mut out = redacted_pair;
    if out.len() > 300 {
        let mut cut = 300;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out + &rest
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    #[test]
    fn lines_differing_only_in_value_length_are_one_line() {
        let a = redact_set_cookie_line("big=aaaa; Path=/", false);
        let b = redact_set_cookie_line("big=aaaaaaaa; Path=/", false);
        assert_ne!(a, b);
        assert_eq!(malformed_identity(&a), malformed_identity(&b));
        let other = redact_set_cookie_line("big=aaaa; Path=/x", false);
        assert_ne!(malformed_identity(&a), malformed_identity(&other));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_value_has_no_secret() {
        let v = CookieValue::new("s3cr3t-session", false);
        assert_eq!(v.length, 14);
        assert_eq!(v.sha256.len(), 12);
        assert!(v.value.is_none());
        assert!(!serde_json::to_string(&v).unwrap().contains("s3cr3t"));
        assert_eq!(
            CookieValue::new("s3cr3t-session", true).value.as_deref(),
            Some("s3cr3t-session")
        );
    }

    #[test]
    fn raw_lines_keep_attributes_and_hide_values() {
        let line = redact_set_cookie_line("sid=s3cr3t; Domain=gov.uk; Path=/", false);
        assert_eq!(line, "sid=<redacted 6 bytes>; Domain=gov.uk; Path=/");
        let line = redact_set_cookie_line("s3cr3t", false);
        assert_eq!(line, "<redacted 6 bytes>");
        let line = redact_set_cookie_line("a=b\u{1}c", false);
        assert!(!line.contains('\u{1}'));
        assert!(!line.contains("b\u{FFFD}c"), "{line}");
    }
}
