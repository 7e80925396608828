//! Small text helpers shared by every shape.

/// Characters that render as a space (no-break spaces) or as nothing (zero-width, soft hyphen).
pub(crate) fn clean_char(c: char) -> Option<char> {
    match c {
        '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{2002}'..='\u{200a}' | '\u{3000}' => Some(' '),
        '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => None,
        c if c.is_whitespace() => Some(' '),
        c if c.is_control() => None,
        c => Some(c),
    }
}

/// Appends `text` to `buf` with whitespace collapsed, never starting a line with a space.
pub(crate) fn push_collapsed(buf: &mut String, text: &str) {
    // Most page text is plain ASCII: copy runs of it without per-character checks.
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_graphic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_graphic() {
                i += 1;
            }
            buf.push_str(&text[start..i]);
            continue;
        }
        if b == b' ' || b == b'\t' || b == b'\n' || b == b'\r' || b == b'\x0c' {
            if !buf.is_empty() && !buf.ends_with(' ') && !buf.ends_with('\n') {
                buf.push(' ');
            }
            i += 1;
            continue;
        }
        let end = (i + 1..=bytes.len())
            .find(|&e| text.is_char_boundary(e))
            .unwrap_or(bytes.len());
        push_collapsed_chars(buf, &text[i..end]);
        i = end;
    }
}

fn push_collapsed_chars(buf: &mut String, text: &str) {
    for c in text.chars() {
        let Some(c) = clean_char(c) else { continue };
        if c == ' ' {
            if !buf.is_empty() && !buf.ends_with(' ') && !buf.ends_with('\n') {
                buf.push(' ');
            }
        } else {
            buf.push(c);
        }
    }
}

/// Ends the current line of `buf` (a `<br>` or a block boundary).
pub(crate) fn push_break(buf: &mut String) {
    trim_end_spaces(buf);
    if !buf.is_empty() && !buf.ends_with('\n') {
        buf.push('\n');
    }
}

fn trim_end_spaces(buf: &mut String) {
    while buf.ends_with(' ') {
        buf.pop();
    }
}

/// Collapses all whitespace, line breaks included, to single spaces.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Lower-cases and keeps only letters and digits, words separated by one space: the form header
/// labels and lexicon entries are compared in. `(s)` is dropped so "Cookie name(s)" reads as
/// "cookie name".
pub(crate) fn normalise_label(text: &str) -> String {
    let owned;
    let text = if text.contains('(') && (text.contains("(s)") || text.contains("(S)")) {
        owned = text.replace("(s)", "").replace("(S)", "");
        owned.as_str()
    } else {
        text
    };
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c == '&' || c == '+' {
            if !out.is_empty() {
                out.push_str(" and");
            } else {
                out.push_str("and");
            }
            pending_space = true;
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // "what it's for" and "what its for" read the same.
        } else {
            pending_space = true;
        }
    }
    out
}

/// A host name written on its own (".example.gov.uk", "youtube.com"): one lower-case token with
/// a suffix the Public Suffix List knows, not itself a public suffix ("gov.uk"). Capitals mean
/// a product ("ASP.NET"), not a domain.
pub(crate) fn host_like(text: &str) -> bool {
    let t = text.trim().trim_start_matches('.');
    t.contains('.')
        && !t.ends_with('.')
        && !t.contains("..")
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        && cookie_audit_model::domain::has_known_suffix(t)
        && !cookie_audit_model::domain::is_public_suffix(t)
}

/// An empty value, or one that says there is nothing ("-", "n/a", "none", Termly's "_____").
pub(crate) fn is_blank_value(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || t.chars()
            .all(|c| matches!(c, '-' | '–' | '—' | '.' | '*' | '_' | ' '))
        || matches!(
            t.to_ascii_lowercase().as_str(),
            "n/a" | "na" | "none" | "not applicable" | "tbc" | "unknown" | "nil" | "null"
        )
}

/// Cuts a string to at most `max` characters for a warning.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let line = one_line(text);
    if line.chars().count() <= max {
        return line;
    }
    let mut out: String = line.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_and_breaks() {
        let mut buf = String::new();
        push_collapsed(&mut buf, "  a\u{a0}\u{a0} b\u{200b}c ");
        push_break(&mut buf);
        push_collapsed(&mut buf, " d ");
        assert_eq!(buf.trim_end(), "a bc\nd");
    }

    #[test]
    fn labels() {
        assert_eq!(normalise_label("Cookie Name(s):"), "cookie name");
        assert_eq!(normalise_label("Set by/Service"), "set by service");
        assert_eq!(normalise_label("What it's for?"), "what its for");
        assert_eq!(normalise_label("Strictly necessary?"), "strictly necessary");
        assert_eq!(
            normalise_label("Session & persistent"),
            "session and persistent"
        );
    }
}
