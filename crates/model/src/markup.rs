//! Markup that HTML parsers handle in more than linear time, found in one linear pass before
//! anything parses it.
//!
//! html5ever's tokenizer checks each new attribute of a tag against all earlier ones, so one tag
//! with 200,000 distinct attributes (1.4 MB) costs tens of billions of comparisons — minutes of a
//! crawl worker. No real page has a tag with more than a few dozen attributes, so a document is
//! read up to the first tag with more than [`MAX_ATTRIBUTES_PER_TAG`] and no further. The scan
//! follows the HTML tokenizer closely enough (comments, quoted values, raw-text elements such as
//! `<script>`) that it only ever errs on the side of counting more attributes, never fewer.

/// Attributes one tag may have before the document is cut in front of it.
pub const MAX_ATTRIBUTES_PER_TAG: usize = 1_000;

/// The byte offset of the `<` of the first tag with more than [`MAX_ATTRIBUTES_PER_TAG`]
/// attributes, `None` when there is none. Linear in the input; never fails.
pub fn first_overloaded_tag(html: &str) -> Option<usize> {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(at) = find_byte(b, b'<', i) {
        i = at;
        let next = b.get(i + 1).copied();
        match next {
            Some(b'!') if b[i..].starts_with(b"<!--") => {
                i = find(b, b"-->", i + 4).map_or(b.len(), |end| end + 3);
            }
            Some(b'!' | b'?') => i = find_byte(b, b'>', i + 1).map_or(b.len(), |end| end + 1),
            Some(b'/') if b.get(i + 2).is_some_and(u8::is_ascii_alphabetic) => {
                // End tags carry attributes too, and the tokenizer collects them the same way.
                let (end, count, _) = scan_tag(b, i + 2);
                if count > MAX_ATTRIBUTES_PER_TAG {
                    return Some(i);
                }
                i = end;
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let (end, count, name) = scan_tag(b, i + 1);
                if count > MAX_ATTRIBUTES_PER_TAG {
                    return Some(i);
                }
                i = match raw_text_end(b, end, name) {
                    Some(after) => after,
                    None => end,
                };
            }
            _ => i += 1,
        }
    }
    None
}

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Reads a tag from its name at `start`; returns the index after it, its attribute count and its
/// name's byte range.
fn scan_tag(b: &[u8], start: usize) -> (usize, usize, (usize, usize)) {
    let mut i = start;
    while i < b.len() && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name = (start, i);
    let mut count = 0;
    loop {
        // Before an attribute name.
        while i < b.len() && (is_space(b[i]) || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (i, count, name);
        }
        if b[i] == b'>' {
            return (i + 1, count, name);
        }
        count += 1;
        if count > MAX_ATTRIBUTES_PER_TAG {
            return (i, count, name);
        }
        // The name: an `=` as its first character belongs to it.
        i += 1;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match b.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                i = find_byte(b, quote, i + 1).map_or(b.len(), |end| end + 1);
            }
            Some(b'>') | None => {}
            Some(_) => {
                while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                    i += 1;
                }
            }
        }
    }
}

/// After the start tag of an element whose content the tokenizer reads as text (`<script>`,
/// `<style>`, …), the index after its end tag; `None` for other elements.
fn raw_text_end(b: &[u8], from: usize, (start, end): (usize, usize)) -> Option<usize> {
    const RAW: [&[u8]; 9] = [
        b"script",
        b"style",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"textarea",
        b"title",
        b"plaintext",
    ];
    let name = &b[start..end];
    let raw = RAW.iter().find(|r| r.eq_ignore_ascii_case(name))?;
    if *raw == b"plaintext" {
        return Some(b.len());
    }
    let mut i = from;
    while let Some(at) = find(b, b"</", i) {
        let after = at + 2 + raw.len();
        if b.len() >= after
            && b[at + 2..after].eq_ignore_ascii_case(raw)
            && b.get(after)
                .is_none_or(|c| is_space(*c) || *c == b'/' || *c == b'>')
        {
            return Some(at);
        }
        i = at + 2;
    }
    Some(b.len())
}

// memchr's searches are vectorised: every page the crawl reads goes through this scan first, and
// most of a page is text between tags.
fn find_byte(b: &[u8], needle: u8, from: usize) -> Option<usize> {
    memchr::memchr(needle, b.get(from..)?).map(|p| p + from)
}

fn find(b: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_with(attributes: usize) -> String {
        let mut tag = String::from("<div");
        for i in 0..attributes {
            tag.push_str(&format!(" a{i}=\"v\""));
        }
        tag.push('>');
        tag
    }

    #[test]
    fn real_pages_pass() {
        let page = format!(
            "<!DOCTYPE html><!-- <div {} --><html><body>{}<a href=x>y</a>\
             <script>if (a<b && c>d) {{ x = '<div {}' }}</script><p title='a > b'>t</p>",
            "a ".repeat(5_000),
            tag_with(50),
            "b ".repeat(5_000)
        );
        assert_eq!(first_overloaded_tag(&page), None);
        assert_eq!(first_overloaded_tag(""), None);
        assert_eq!(first_overloaded_tag("<"), None);
        assert_eq!(first_overloaded_tag("<a b='unterminated"), None);
    }

    #[test]
    fn a_tag_with_too_many_attributes_is_found() {
        let before = "<p>before</p>";
        let page = format!(
            "{before}{}<a href=/after>after</a>",
            tag_with(MAX_ATTRIBUTES_PER_TAG + 1)
        );
        assert_eq!(first_overloaded_tag(&page), Some(before.len()));
        let at_limit = format!("{before}{}", tag_with(MAX_ATTRIBUTES_PER_TAG));
        assert_eq!(first_overloaded_tag(&at_limit), None);
        // Bare names, end tags and text after a raw-text element count as well.
        let bare = format!("<div {}>", "x ".repeat(MAX_ATTRIBUTES_PER_TAG + 1));
        assert_eq!(first_overloaded_tag(&bare), Some(0));
        let end = format!("<b></b {}>", "x ".repeat(MAX_ATTRIBUTES_PER_TAG + 1));
        assert_eq!(first_overloaded_tag(&end), Some(3));
        let after_script = format!(
            "<script></script ><i {}>",
            "x ".repeat(MAX_ATTRIBUTES_PER_TAG + 1)
        );
        assert_eq!(first_overloaded_tag(&after_script), Some(18));
    }
}
