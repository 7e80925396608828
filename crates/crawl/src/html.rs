//! Reading fetched HTML: decoding bytes to text, and collecting links and embedded resources.
//!
//! Links are read from html5ever's token stream, not from a tree: linear time and no recursion,
//! so a page nested 100,000 elements deep costs what a flat page of the same size costs. (The
//! declared-table extractor needs the tree and uses `scraper`, which wraps the same parser.)

use cookie_audit_model::url_norm::{LinkSkip, resolve_link};
use encoding_rs::Encoding;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use url::Url;

/// A link found on a page, with its text (privacy-page discovery reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: Url,
    pub text: String,
}

/// What kind of embedded resource a URL is; iframes are documents with resources of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    Iframe,
    Script,
    Image,
    Stylesheet,
    Media,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub url: Url,
    pub kind: ResourceKind,
}

/// Everything a page points at.
#[derive(Debug, Default, Clone)]
pub struct PageLinks {
    pub links: Vec<Link>,
    pub resources: Vec<Resource>,
    /// `<meta name="robots" content="nofollow">`: links are reported but not followed.
    pub nofollow: bool,
    /// The page was read only up to this byte: a tag there has more attributes than
    /// [`cookie_audit_model::markup::MAX_ATTRIBUTES_PER_TAG`].
    pub truncated_at: Option<usize>,
    /// Links and resources past [`MAX_LINKS_PER_PAGE`] and [`MAX_RESOURCES_PER_PAGE`], not kept.
    pub links_dropped: usize,
    pub resources_dropped: usize,
    /// Links and resources with a scheme of [`REPORTED_SCHEMES`] (`file:///etc/passwd`): never
    /// fetched, listed in the report.
    pub refused: Vec<Url>,
}

/// Whether a Content-Type is a document we parse.
pub fn is_html(content_type: Option<&str>) -> bool {
    match content_type {
        // No Content-Type: browsers sniff; we read it and let the parser decide.
        None => true,
        Some(ct) => {
            let mime = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "text/html" || mime == "application/xhtml+xml" || mime.is_empty()
        }
    }
}

/// Decodes a body by its Content-Type charset, a BOM, or a `<meta charset>` in its first 1024
/// bytes, falling back to UTF-8 with replacement characters. Never fails.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    let encoding = from_header
        .or_else(|| Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| sniff_meta_charset(&bytes[..bytes.len().min(1024)]))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })
}

fn sniff_meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let rest = head[at..].trim_start_matches(['"', '\'', ' ']);
    let label: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    Encoding::for_label(label.as_bytes())
}

/// Longest link text kept: discovery only needs the words.
const MAX_LINK_TEXT: usize = 200;
/// Links kept per page. A real "A to Z of services" has a few hundred; a link farm has millions,
/// and each kept link costs memory here and in the frontier.
pub const MAX_LINKS_PER_PAGE: usize = 10_000;
/// Embedded resources kept per page (`--max-resources` bounds what is fetched across the crawl).
pub const MAX_RESOURCES_PER_PAGE: usize = 1_000;
/// Links with a refused scheme listed per page.
const MAX_REFUSED_PER_PAGE: usize = 20;
/// Schemes that reach files or other protocols: never fetched, and listed in the report when a
/// page points at them. (`mailto:`, `tel:`, `javascript:` and the like are skipped silently.)
pub const REPORTED_SCHEMES: [&str; 12] = [
    "file", "ftp", "ftps", "sftp", "ssh", "gopher", "dict", "ldap", "ldaps", "smb", "tftp", "jar",
];

#[derive(Debug, Default)]
struct Collected {
    base: Option<String>,
    anchors: Vec<(String, String)>,
    open_anchor: Option<(String, String)>,
    resources: Vec<(ResourceKind, String)>,
    refresh: Vec<String>,
    nofollow: bool,
    links_dropped: usize,
    resources_dropped: usize,
}

impl Collected {
    fn close_anchor(&mut self) {
        if let Some((href, text)) = self.open_anchor.take() {
            self.add_anchor(href, text);
        }
    }

    fn add_anchor(&mut self, href: String, text: String) {
        if self.anchors.len() < MAX_LINKS_PER_PAGE {
            self.anchors.push((href, text));
        } else {
            self.links_dropped += 1;
        }
    }

    fn add_resource(&mut self, resource: (ResourceKind, String)) {
        if self.resources.len() < MAX_RESOURCES_PER_PAGE {
            self.resources.push(resource);
        } else {
            self.resources_dropped += 1;
        }
    }
}

/// Collects what links and resources need from the token stream. No tree is built: html5ever's
/// tree builder scans the stack of open elements for every tag, which makes a page nested
/// 100,000 deep cost minutes; the tokenizer is linear.
#[derive(Debug, Default)]
struct LinkSink(RefCell<Collected>);

fn attr<'a>(tag: &'a Tag, name: &str) -> Option<&'a str> {
    tag.attrs
        .iter()
        .find(|a| a.name.ns.is_empty() && &*a.name.local == name)
        .map(|a| &*a.value)
}

impl TokenSink for LinkSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut c = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let name: &str = &tag.name;
                c.start_tag(name, &tag);
                // Without a tree builder the sink must switch the tokenizer into the raw-text
                // states itself, or `if (a<b)` in a script would read as a tag. `<noscript>` stays
                // markup: without JavaScript its content (often a tracking pixel) is live.
                return match name {
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "plaintext" => TokenSinkResult::Plaintext,
                    _ => TokenSinkResult::Continue,
                };
            }
            Token::TagToken(tag) if tag.kind == TagKind::EndTag && &*tag.name == "a" => {
                c.close_anchor()
            }
            Token::CharacterTokens(text) => {
                if let Some((_, anchor_text)) = c.open_anchor.as_mut()
                    && anchor_text.len() < MAX_LINK_TEXT * 2
                {
                    anchor_text.push_str(&text);
                }
            }
            Token::EOFToken => c.close_anchor(),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl Collected {
    /// What a start tag adds: a link, a resource, the base URL, a refresh target, `nofollow`.
    fn start_tag(&mut self, name: &str, tag: &Tag) {
        match name {
            "a" => {
                self.close_anchor();
                if let Some(href) = attr(tag, "href") {
                    let mut text = String::new();
                    if let Some(label) = attr(tag, "aria-label").or_else(|| attr(tag, "title")) {
                        text.push_str(label);
                        text.push(' ');
                    }
                    self.open_anchor = Some((href.to_string(), text));
                }
            }
            "area" => {
                if let Some(href) = attr(tag, "href") {
                    let text = attr(tag, "alt").unwrap_or_default().to_string();
                    self.add_anchor(href.to_string(), text);
                }
            }
            "base" if self.base.is_none() => self.base = attr(tag, "href").map(str::to_string),
            "meta" => {
                let refresh =
                    attr(tag, "http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("refresh"));
                if refresh && let Some(target) = attr(tag, "content").and_then(refresh_target) {
                    self.refresh.push(target);
                }
                let robots = attr(tag, "name").is_some_and(|n| n.eq_ignore_ascii_case("robots"));
                if robots
                    && attr(tag, "content")
                        .is_some_and(|v| v.to_ascii_lowercase().contains("nofollow"))
                {
                    self.nofollow = true;
                }
            }
            "img" => {
                if let Some((_, text)) = self.open_anchor.as_mut()
                    && let Some(alt) = attr(tag, "alt")
                {
                    text.push_str(alt);
                    text.push(' ');
                }
                if let Some(src) = attr(tag, "src") {
                    self.add_resource((ResourceKind::Image, src.to_string()));
                }
            }
            "input" if attr(tag, "type").is_some_and(|t| t.eq_ignore_ascii_case("image")) => {
                if let Some(src) = attr(tag, "src") {
                    self.add_resource((ResourceKind::Image, src.to_string()));
                }
            }
            "iframe" | "frame" => {
                if let Some(src) = attr(tag, "src") {
                    self.add_resource((ResourceKind::Iframe, src.to_string()));
                }
            }
            "script" => {
                if let Some(src) = attr(tag, "src") {
                    self.add_resource((ResourceKind::Script, src.to_string()));
                }
            }
            "link" => {
                let stylesheet = attr(tag, "rel").is_some_and(|rel| {
                    rel.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("stylesheet"))
                });
                if let (true, Some(href)) = (stylesheet, attr(tag, "href")) {
                    self.resources
                        .push((ResourceKind::Stylesheet, href.to_string()));
                }
            }
            "source" | "embed" | "video" | "audio" | "track" => {
                if let Some(src) = attr(tag, "src") {
                    self.add_resource((ResourceKind::Media, src.to_string()));
                }
            }
            "object" => {
                if let Some(data) = attr(tag, "data") {
                    self.add_resource((ResourceKind::Media, data.to_string()));
                }
            }
            _ => {}
        }
    }
}

/// Collects links and embedded resources from a page's HTML. Linear in the input, whatever its
/// nesting, and never fails.
pub fn extract(html: &str, page_url: &Url) -> PageLinks {
    let truncated_at = cookie_audit_model::markup::first_overloaded_tag(html);
    let html = &html[..truncated_at.unwrap_or(html.len())];
    let tokenizer = Tokenizer::new(LinkSink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let collected = tokenizer.sink.0.into_inner();

    let base = collected
        .base
        .as_deref()
        .and_then(|href| resolve_link(page_url, href).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut out = PageLinks {
        nofollow: collected.nofollow,
        truncated_at,
        links_dropped: collected.links_dropped,
        resources_dropped: collected.resources_dropped,
        ..PageLinks::default()
    };
    let refuse = |href: &str, refused: &mut Vec<Url>| {
        if let Ok(url) = base.join(href.trim())
            && REPORTED_SCHEMES.contains(&url.scheme())
            && refused.len() < MAX_REFUSED_PER_PAGE
            && !refused.contains(&url)
        {
            refused.push(url);
        }
    };
    for (href, text) in collected.anchors {
        match resolve_link(&base, &href) {
            Ok(url) => {
                let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                out.links.push(Link {
                    url,
                    text: truncate_chars(&text, MAX_LINK_TEXT),
                });
            }
            Err(LinkSkip::Scheme { .. }) => refuse(&href, &mut out.refused),
            Err(_) => {}
        }
    }
    for target in collected.refresh {
        if let Ok(url) = resolve_link(&base, &target) {
            out.links.push(Link {
                url,
                text: String::new(),
            });
        }
    }
    for (kind, raw) in collected.resources {
        match resolve_link(&base, &raw) {
            Ok(url) => out.resources.push(Resource { url, kind }),
            Err(LinkSkip::Scheme { .. }) => refuse(&raw, &mut out.refused),
            Err(_) => {}
        }
    }
    out
}

/// `0; url=/next` → `/next`.
fn refresh_target(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let at = lower.find("url=")? + 4;
    let target = content[at..].trim().trim_matches(['"', '\'']);
    (!target.is_empty()).then(|| target.to_string())
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://www.council.test/services/").unwrap()
    }

    #[test]
    fn links_resources_and_base() {
        let html = r#"<html><head><base href="https://www.council.test/">
            <link rel="stylesheet" href="/s.css"><link rel="icon" href="/f.ico">
            <script src="https://cdn.example.com/a.js"></script></head>
            <body><a href="cookies">Cookie <b>policy</b></a><a href="mailto:x@y.z">mail</a>
            <a href="/p" aria-label="Privacy notice"><img src="/i.png"></a>
            <iframe src="https://www.youtube.com/embed/x"></iframe>
            <video><source src="/v.mp4"></video></body></html>"#;
        let found = extract(html, &page());
        let links: Vec<(&str, &str)> = found
            .links
            .iter()
            .map(|l| (l.url.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            links,
            vec![
                ("https://www.council.test/cookies", "Cookie policy"),
                ("https://www.council.test/p", "Privacy notice"),
            ]
        );
        let kinds: Vec<(ResourceKind, &str)> = found
            .resources
            .iter()
            .map(|r| (r.kind, r.url.as_str()))
            .collect();
        assert!(kinds.contains(&(ResourceKind::Iframe, "https://www.youtube.com/embed/x")));
        assert!(kinds.contains(&(ResourceKind::Script, "https://cdn.example.com/a.js")));
        assert!(kinds.contains(&(ResourceKind::Image, "https://www.council.test/i.png")));
        assert!(kinds.contains(&(ResourceKind::Stylesheet, "https://www.council.test/s.css")));
        assert!(kinds.contains(&(ResourceKind::Media, "https://www.council.test/v.mp4")));
        assert_eq!(kinds.len(), 5, "the icon is not a stylesheet");
    }

    #[test]
    fn script_text_is_not_markup_but_noscript_is() {
        let html = r#"<script>if (a<b) document.write('<a href="/fake">x</a>')</script>
            <noscript><img src="https://px.tracker.test/p.gif"></noscript>
            <a href="/real"><img src="/logo.png" alt="Cookies"></a>"#;
        let found = extract(html, &page());
        let links: Vec<(&str, &str)> = found
            .links
            .iter()
            .map(|l| (l.url.path(), l.text.as_str()))
            .collect();
        assert_eq!(links, vec![("/real", "Cookies")]);
        assert!(
            found
                .resources
                .iter()
                .any(|r| r.url.as_str() == "https://px.tracker.test/p.gif")
        );
    }

    #[test]
    fn malformed_markup_never_fails() {
        for html in [
            "<a href=",
            "<a href='/x'>unclosed",
            "<<<>>>",
            "\u{0}<a\u{0} href=/y>",
            "<iframe src=/f>not <a href=/no>",
        ] {
            let found = extract(html, &page());
            assert!(found.links.iter().all(|l| l.url.path() != "/no"), "{html}");
        }
    }

    #[test]
    fn meta_refresh_and_nofollow() {
        let html = r#"<meta http-equiv="Refresh" content="0; URL='/moved'"><meta name="robots" content="noindex, nofollow">"#;
        let found = extract(html, &page());
        assert_eq!(
            found.links[0].url.as_str(),
            "https://www.council.test/moved"
        );
        assert!(found.nofollow);
    }

    #[test]
    fn decoding_by_header_meta_and_fallback() {
        assert_eq!(
            decode(b"caf\xe9", Some("text/html; charset=windows-1252")),
            "café"
        );
        assert!(decode(b"<meta charset=\"iso-8859-1\">caf\xe9", None).ends_with("café"));
        assert_eq!(decode(b"caf\xc3\xa9", None), "café");
        assert_eq!(
            decode(b"bad \xff\xfe bytes", Some("text/html")),
            "bad \u{fffd}\u{fffd} bytes"
        );
    }

    #[test]
    fn content_types() {
        assert!(is_html(Some("text/html; charset=utf-8")));
        assert!(is_html(Some("application/xhtml+xml")));
        assert!(is_html(None));
        assert!(!is_html(Some("application/pdf")));
        assert!(!is_html(Some("image/png")));
    }

    #[test]
    fn attribute_bomb_cuts_the_page_before_the_tag() {
        let bomb: String = (0..200_000).map(|i| format!(" a{i}")).collect();
        let html = format!(r#"<a href="/before">b</a><div{bomb}>x</div><a href="/after">a</a>"#);
        let started = std::time::Instant::now();
        let found = extract(&html, &page());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let links: Vec<&str> = found.links.iter().map(|l| l.url.path()).collect();
        assert_eq!(links, ["/before"]);
        assert_eq!(found.truncated_at, Some(html.find("<div").unwrap()));
    }

    #[test]
    fn link_farms_are_capped_per_page() {
        let html: String = (0..MAX_LINKS_PER_PAGE + 500)
            .map(|i| format!("<a href=/f/{i}>{i}</a><img src=/i/{i}.gif>"))
            .collect();
        let found = extract(&html, &page());
        assert_eq!(found.links.len(), MAX_LINKS_PER_PAGE);
        assert_eq!(found.links_dropped, 500);
        assert_eq!(found.resources.len(), MAX_RESOURCES_PER_PAGE);
        assert_eq!(
            found.resources_dropped,
            MAX_LINKS_PER_PAGE + 500 - MAX_RESOURCES_PER_PAGE
        );
    }

    #[test]
    fn file_and_other_protocol_links_are_refused_and_listed() {
        let html = r#"<a href="file:///etc/passwd">p</a><img src="FILE:///etc/shadow">
            <a href="ftp://x.test/">f</a><a href="mailto:a@b.c">m</a><a href="javascript:x()">j</a>"#;
        let found = extract(html, &page());
        let refused: Vec<&str> = found.refused.iter().map(Url::as_str).collect();
        assert_eq!(
            refused,
            ["file:///etc/passwd", "ftp://x.test/", "file:///etc/shadow"]
        );
        assert!(found.links.is_empty() && found.resources.is_empty());
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 100_000;
        let html = format!(
            "{}<a href=\"/deep\">deep</a>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let found = extract(&html, &page());
        assert_eq!(found.links.len(), 1);
    }
}
