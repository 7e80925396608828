//! A cheap pre-pass that caps element nesting before the HTML parser sees the page.
//!
//! html5ever keeps every open element on its stack and, for many start tags (`<div>`, `<p>`,
//! `<li>`, formatting elements), walks that stack: a page nested 100,000 `<div>`s deep costs
//! billions of steps. Browsers cap the tree depth (Chromium at 512) and attach deeper elements
//! as siblings; we do the same by dropping start tags beyond the cap (and the end tags that
//! match them), which keeps every piece of text. Ordinary pages never reach the cap, and then
//! the input is passed through untouched.

use std::borrow::Cow;

/// Deeper elements are flattened, as Chromium does at this depth.
pub(crate) const MAX_DEPTH: usize = 512;

/// Returns the page with nesting capped at [`MAX_DEPTH`], and whether anything was dropped.
pub(crate) fn cap_depth(html: &str) -> (Cow<'_, str>, bool) {
    if !exceeds(html) {
        return (Cow::Borrowed(html), false);
    }
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    let mut depth = 0usize;
    let mut dropped_open = 0usize;
    for tag in Tags::new(html) {
        match tag.kind {
            TagKind::Open => {
                if depth >= MAX_DEPTH {
                    out.push_str(&html[last..tag.start]);
                    last = tag.end;
                    dropped_open += 1;
                } else {
                    depth += 1;
                }
            }
            TagKind::Close => {
                if dropped_open > 0 {
                    out.push_str(&html[last..tag.start]);
                    last = tag.end;
                    dropped_open -= 1;
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
        }
    }
    out.push_str(&html[last..]);
    (Cow::Owned(out), true)
}

fn exceeds(html: &str) -> bool {
    let mut depth = 0usize;
    for tag in Tags::new(html) {
        match tag.kind {
            TagKind::Open => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            TagKind::Close => depth = depth.saturating_sub(1),
        }
    }
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Open,
    Close,
}

#[derive(Debug, Clone, Copy)]
struct Tag {
    kind: TagKind,
    start: usize,
    end: usize,
}

/// Start and end tags that change nesting depth: void elements and elements whose end tag may
/// be omitted (`<p>`, `<li>`, `<td>`, …) are left out, since the parser closes those itself and
/// counting them would make long tables look deep.
struct Tags<'a> {
    html: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Tags<'a> {
    fn new(html: &'a str) -> Tags<'a> {
        Tags {
            html,
            bytes: html.as_bytes(),
            pos: 0,
        }
    }
}

impl Iterator for Tags<'_> {
    type Item = Tag;

    fn next(&mut self) -> Option<Tag> {
        let bytes = self.bytes;
        loop {
            let lt = self.pos + self.html[self.pos..].find('<')?;
            self.pos = lt + 1;
            let rest = &bytes[lt + 1..];
            if rest.starts_with(b"!--") {
                self.pos = self.html[lt + 4..]
                    .find("-->")
                    .map_or(bytes.len(), |i| lt + 4 + i + 3);
                continue;
            }
            let (closing, name_start) = match rest.first() {
                Some(b'/') => (true, lt + 2),
                Some(c) if c.is_ascii_alphabetic() => (false, lt + 1),
                _ => continue,
            };
            let mut name_end = name_start;
            while name_end < bytes.len()
                && !matches!(
                    bytes[name_end],
                    b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'
                )
            {
                name_end += 1;
            }
            let end = tag_end(self.html, name_end);
            self.pos = end;
            let name = &bytes[name_start..name_end];
            if name.is_empty() {
                continue;
            }
            if !closing && let Some(raw) = raw_text_element(name) {
                // Script and style bodies are not markup: skip to their end tag.
                self.pos = find_end_tag(self.html, end, raw).unwrap_or(bytes.len());
                continue;
            }
            if !counts_for_depth(name) {
                continue;
            }
            return Some(Tag {
                kind: if closing {
                    TagKind::Close
                } else {
                    TagKind::Open
                },
                start: lt,
                end,
            });
        }
    }
}

/// The end of a tag: the next `>`. A `>` inside a quoted attribute value ends it early, which
/// only makes the rest of that value read as text: it holds no tags, so depth is unaffected.
fn tag_end(html: &str, from: usize) -> usize {
    html.get(from..)
        .and_then(|rest| rest.find('>'))
        .map_or(html.len(), |i| from + i + 1)
}

fn raw_text_element(name: &[u8]) -> Option<&'static [u8]> {
    const RAW: [&[u8]; 9] = [
        b"script",
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
    ];
    RAW.into_iter().find(|raw| name.eq_ignore_ascii_case(raw))
}

fn counts_for_depth(name: &[u8]) -> bool {
    let mut buf = [0u8; 8];
    if name.len() > buf.len() {
        return true;
    }
    for (b, c) in buf.iter_mut().zip(name) {
        *b = c.to_ascii_lowercase();
    }
    // Void elements, and elements the parser closes implicitly.
    !matches!(
        &buf[..name.len()],
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"source"
            | b"track"
            | b"wbr"
            | b"param"
            | b"keygen"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"tr"
            | b"td"
            | b"th"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"option"
            | b"optgroup"
            | b"rp"
            | b"rt"
            | b"rb"
            | b"rtc"
            | b"colgroup"
            | b"html"
            | b"body"
            | b"head"
    )
}

fn find_end_tag(html: &str, from: usize, name: &[u8]) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(off) = html.get(i..)?.find("</") {
        let lt = i + off;
        let after = lt + 2;
        if bytes.len() >= after + name.len()
            && bytes[after..after + name.len()].eq_ignore_ascii_case(name)
        {
            return Some(lt);
        }
        i = lt + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass_through() {
        let html = "<div><p>a<p>b<table><tr><td>x<td>y</table></div>";
        let (out, changed) = cap_depth(html);
        assert!(!changed);
        assert!(matches!(out, Cow::Borrowed(_)));
    }

    #[test]
    fn deep_nesting_is_capped_and_text_kept() {
        let n = 2000;
        let html = format!("{}deep text{}", "<div>".repeat(n), "</div>".repeat(n));
        let (out, changed) = cap_depth(&html);
        assert!(changed);
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
        assert!(out.contains("deep text"));
    }

    #[test]
    fn long_tables_without_end_tags_are_not_deep() {
        let html = format!("<table>{}</table>", "<tr><td>a<td>b".repeat(5000));
        assert!(!exceeds(&html));
    }

    #[test]
    fn script_bodies_are_not_markup() {
        let html = format!("<script>{}</script><div>x</div>", "<div>".repeat(1000));
        assert!(!exceeds(&html));
    }
}
