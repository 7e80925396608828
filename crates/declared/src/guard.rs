//! The guard at the table reader's entry: markup the tree builder would spend minutes on is
//! refused, with a warning, before any tree is built.
//!
//! html5ever's tree builder checks "is there an element in scope" by walking its stack of open
//! elements for every tag, so a document nested 100,000 deep costs billions of steps (minutes).
//! Depth is measured first on the token stream — linear, no tree, no recursion — with the tree
//! builder's commonest implied end tags (`<p>`, `<li>`, table cells, …) so sloppy real pages are
//! measured as their tree will be. Past [`MAX_NESTING_DEPTH`] no tree is built. Before that, a tag
//! with too many attributes cuts the document (see [`cookie_audit_model::markup`]): the tokenizer
//! itself is quadratic in them.

use std::cell::RefCell;
use std::collections::HashMap;

use cookie_audit_model::markup::{MAX_ATTRIBUTES_PER_TAG, first_overloaded_tag};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Deepest nesting read. Chromium's own parser stops nesting at 512 (deeper elements become
/// siblings), so no page a visitor can read needs more.
pub const MAX_NESTING_DEPTH: usize = 512;

/// What the guard lets through.
#[derive(Debug)]
pub struct Guarded<'a> {
    /// The document to parse (cut before an overloaded tag), `None` when it must not be parsed.
    pub html: Option<&'a str>,
    pub warnings: Vec<String>,
}

/// Checks a document before it is parsed into a tree.
pub fn guard(html: &str) -> Guarded<'_> {
    let mut warnings = Vec::new();
    let html = match first_overloaded_tag(html) {
        Some(at) => {
            warnings.push(format!(
                "a tag at byte {at} has more than {MAX_ATTRIBUTES_PER_TAG} attributes; the page was read up to it only"
            ));
            &html[..at]
        }
        None => html,
    };
    let depth = nesting_depth(html);
    if depth.max > MAX_NESTING_DEPTH {
        warnings.push(format!(
            "the page nests elements more than {MAX_NESTING_DEPTH} deep (line {}); its tables were not read — browsers flatten such pages, and reading one takes minutes",
            depth.line
        ));
        return Guarded {
            html: None,
            warnings,
        };
    }
    Guarded {
        html: Some(html),
        warnings,
    }
}

/// The deepest nesting of a document, and the line where it first went past the limit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    pub max: usize,
    pub line: u64,
}

/// Measures how deep a document nests, from its tokens.
pub fn nesting_depth(html: &str) -> Depth {
    let tokenizer = Tokenizer::new(DepthSink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.into_inner().depth
}

#[derive(Debug, Default)]
struct Stack {
    names: Vec<String>,
    /// How many of each name are open: a tag that closes nothing open costs nothing.
    open: HashMap<String, usize>,
    /// Open `<svg>` and `<math>`: inside them `<x/>` closes itself.
    foreign: usize,
    depth: Depth,
}

impl Stack {
    fn push(&mut self, name: &str, line: u64) {
        self.names.push(name.to_string());
        *self.open.entry(name.to_string()).or_default() += 1;
        if name == "svg" || name == "math" {
            self.foreign += 1;
        }
        if self.names.len() > self.depth.max {
            self.depth.max = self.names.len();
            if self.depth.max == MAX_NESTING_DEPTH + 1 {
                self.depth.line = line;
            }
        }
    }

    fn pop(&mut self) {
        if let Some(top) = self.names.pop() {
            if let Some(n) = self.open.get_mut(&top) {
                *n -= 1;
            }
            if top == "svg" || top == "math" {
                self.foreign -= 1;
            }
        }
    }

    /// Pops up to and including the nearest element named one of `targets`, unless an element
    /// named one of `stops` comes first (the tree builder's "in scope"). The walk is at most the
    /// stack's height, which the caller keeps under the limit.
    fn close(&mut self, targets: &[&str], stops: &[&str]) {
        if !targets
            .iter()
            .any(|t| self.open.get(*t).is_some_and(|n| *n > 0))
        {
            return;
        }
        let Some(found) = self
            .names
            .iter()
            .rposition(|n| targets.contains(&n.as_str()) || stops.contains(&n.as_str()))
        else {
            return;
        };
        if !targets.contains(&self.names[found].as_str()) {
            return;
        }
        while self.names.len() > found {
            self.pop();
        }
    }
}

#[derive(Debug, Default)]
struct DepthSink(RefCell<Stack>);

const VOID: [&str; 18] = [
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// The tree builder's "in scope" boundaries.
const SCOPE: [&str; 11] = [
    "html", "table", "td", "th", "caption", "marquee", "object", "applet", "template", "svg",
    "math",
];
/// "In button scope": the scope plus `<button>`.
const BUTTON_SCOPE: [&str; 12] = [
    "html", "table", "td", "th", "caption", "marquee", "object", "applet", "template", "svg",
    "math", "button",
];
/// Where looking for an open `<li>`, `<dd>` or `<dt>` stops: special elements other than
/// `<address>`, `<div>` and `<p>` (the common ones).
const LIST_STOPS: [&str; 24] = [
    "html",
    "body",
    "table",
    "td",
    "th",
    "caption",
    "tr",
    "tbody",
    "thead",
    "tfoot",
    "ul",
    "ol",
    "dl",
    "menu",
    "dir",
    "article",
    "aside",
    "section",
    "nav",
    "header",
    "footer",
    "main",
    "blockquote",
    "form",
];
const TABLE_SCOPE: [&str; 3] = ["html", "table", "template"];

/// Start tags that close an open `<p>` (the HTML spec's "close a p element in button scope").
const CLOSES_P: [&str; 38] = [
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "ul",
    "li",
    "dd",
    "dt",
    "listing",
];

const HEADINGS: [&str; 6] = ["h1", "h2", "h3", "h4", "h5", "h6"];

impl TokenSink for DepthSink {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        let mut stack = self.0.borrow_mut();
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if stack.depth.max > MAX_NESTING_DEPTH {
            // Decided: the rest is only tokenized, which stays linear.
            return TokenSinkResult::Continue;
        }
        let name: &str = &tag.name;
        if tag.kind == TagKind::EndTag {
            stack.close(&[name], &SCOPE);
            return TokenSinkResult::Continue;
        }
        // The tree builder's implied end tags, the common ones.
        if CLOSES_P.contains(&name) {
            stack.close(&["p"], &BUTTON_SCOPE);
        }
        match name {
            "li" => stack.close(&["li"], &LIST_STOPS),
            "dt" | "dd" => stack.close(&["dt", "dd"], &LIST_STOPS),
            "td" | "th" => stack.close(&["td", "th"], &TABLE_SCOPE),
            "tr" => {
                stack.close(&["td", "th"], &TABLE_SCOPE);
                stack.close(&["tr"], &TABLE_SCOPE);
            }
            "tbody" | "thead" | "tfoot" => {
                stack.close(&["td", "th"], &TABLE_SCOPE);
                stack.close(&["tr"], &TABLE_SCOPE);
                stack.close(&["tbody", "thead", "tfoot"], &TABLE_SCOPE);
            }
            "option" => stack.close(&["option"], &["select", "datalist", "optgroup"]),
            "optgroup" => stack.close(&["option", "optgroup"], &["select"]),
            "a" | "button" | "nobr" => stack.close(&[name], &SCOPE),
            h if HEADINGS.contains(&h)
                && stack
                    .names
                    .last()
                    .is_some_and(|top| HEADINGS.contains(&top.as_str())) =>
            {
                stack.pop();
            }
            _ => {}
        }
        let merged = matches!(name, "html" | "head" | "body")
            && stack.open.get(name).is_some_and(|n| *n > 0);
        let closed = VOID.contains(&name) || (tag.self_closing && stack.foreign > 0);
        if !merged && !closed {
            stack.push(name, line);
        }
        // Without a tree builder the sink switches the tokenizer into raw-text states itself,
        // as the tree builder would (scripting on, as scraper parses).
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(html: &str) -> usize {
        nesting_depth(html).max
    }

    #[test]
    fn measures_the_tree_not_the_tags() {
        assert_eq!(
            depth("<html><body><div><p>a<b>b</b></p></div></body></html>"),
            5
        );
        // Implied end tags: 10,000 unclosed cells, items and paragraphs do not nest.
        let rows: String = (0..10_000)
            .map(|i| format!("<tr><td>{i}<td><p>x<p>y"))
            .collect();
        assert!(depth(&format!("<table>{rows}</table>")) <= 6);
        let items: String = (0..10_000).map(|i| format!("<li><p>{i}")).collect();
        assert!(depth(&format!("<ul>{items}</ul>")) <= 4);
        // Void elements and stray end tags.
        assert_eq!(depth(&"<br><img src=x></span></div>".repeat(1000)), 0);
        // Script text is text.
        assert_eq!(depth("<script>let a = '<div><div><div>';</script>"), 1);
    }

    #[test]
    fn nested_lists_nest() {
        // An `<li>` does not close the item of an outer list: these nest 400 deep in a tree.
        assert_eq!(depth(&"<ul><li>".repeat(200)), 400);
        assert!(depth(&"<ul><li>".repeat(50_000)) > MAX_NESTING_DEPTH);
        assert_eq!(depth(&"<ul><li>x</li></ul>".repeat(1000)), 2);
    }

    #[test]
    fn self_closing_html_elements_still_nest() {
        assert_eq!(
            depth(&"<div/>".repeat(1000)),
            MAX_NESTING_DEPTH + 1,
            "measured up to the limit"
        );
        assert_eq!(depth(&format!("<svg>{}</svg>", "<path/>".repeat(1000))), 1);
    }

    #[test]
    fn deep_documents_are_refused_before_a_tree_is_built() {
        let n = 100_000;
        let html = format!(
            "{}<table><tr><th>Name</th><th>Purpose</th></tr></table>{}",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let started = std::time::Instant::now();
        let guarded = guard(&html);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert!(guarded.html.is_none());
        assert!(
            guarded.warnings[0].contains("more than 512 deep"),
            "{:?}",
            guarded.warnings
        );
        let ok = format!(
            "{}x{}",
            "<div>".repeat(MAX_NESTING_DEPTH),
            "</div>".repeat(MAX_NESTING_DEPTH)
        );
        assert_eq!(guard(&ok).html, Some(ok.as_str()));
    }
}
