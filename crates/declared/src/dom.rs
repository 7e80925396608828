//! One walk over the parsed page, turning the DOM into what the shapes read: a stream of text
//! blocks (paragraphs, headings, list items, …) in document order, and every `<table>` as rows
//! of cells.
//!
//! **No recursion.** The walk visits nodes in document order with `descendants()` and keeps its
//! own stack of open elements, so a page nested 100,000 elements deep costs memory, never the
//! call stack (a stack overflow aborts the whole process).

use scraper::{Html, Node};

use crate::text::{push_break, push_collapsed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    Heading(u8),
    Paragraph,
    ListItem,
    /// `<dt>`
    Term,
    /// `<dd>`
    Definition,
    /// `<summary>` of a `<details>`: an accordion title.
    Summary,
    Caption,
    Cell,
    Other,
}

impl BlockKind {
    pub(crate) fn is_heading_like(self) -> bool {
        matches!(self, BlockKind::Heading(_) | BlockKind::Summary)
    }
}

/// A run of text that reads as one unit on the page.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub kind: BlockKind,
    /// Whitespace collapsed; `<br>` and nested block boundaries become `\n`. Empty for an empty
    /// paragraph (`<p>&nbsp;</p>`), which in a flattened table is an empty cell.
    pub text: String,
    /// Byte length of a bold run the block starts with (`<b>Purpose</b> …`): a label; the
    /// whole length when the block is bold throughout.
    pub lead: Option<usize>,
    /// The `<ul>`/`<ol>`/`<dl>` the block belongs to.
    pub list: Option<u32>,
    /// The innermost table the block sits in.
    pub table: Option<u32>,
    /// A heading above the block (or the page title) speaks of cookies.
    pub cookie_context: bool,
    /// Text of `<code>`-like elements inside the block.
    pub code: Vec<String>,
    /// Inside `<nav>`: a menu, never a declaration nor prose about cookies.
    pub nav: bool,
    /// Page chrome: inside the page's own `<footer>` or `<header>` (not one inside `<main>`,
    /// `<article>` or `<section>`) or `role="contentinfo"`. Never a name, a purpose or a
    /// provider ("Contact us"); still read for mentions.
    pub chrome: bool,
    /// The innermost heading above speaks of cookies or names a category ("Analytics"): the
    /// block is in a section about cookies, not only on a page about them.
    pub section_cookie: bool,
    /// The whole text, when it is one short line, read as a header label ("Purpose"); filled
    /// in by [`Doc::label_blocks`] for the blocks the shapes after tables look at.
    pub label: Option<crate::headers::Role>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub rows: Vec<Row>,
    pub caption: Option<String>,
    pub parent: Option<u32>,
    /// Blocks emitted before the table opened: the table sits between `block_start - 1` and
    /// `block_start` in the block stream.
    pub block_start: u32,
    /// Blocks emitted by the time it closed (blocks inside are `block_start..block_end`).
    pub block_end: u32,
    pub cookie_context: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub cells: Vec<Cell>,
    /// In `<thead>`.
    pub head: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub text: String,
    /// A `<th>`.
    pub header: bool,
    /// All of its text is bold.
    pub bold: bool,
    pub colspan: u32,
    pub rowspan: u32,
    /// `data-label` (and similar) of responsive tables.
    pub label: Option<String>,
}

/// The page, read.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    pub blocks: Vec<Block>,
    pub tables: Vec<Table>,
    pub title: String,
}

impl Doc {
    /// Reads every one-line block not yet used (and not in a menu) as a possible label, once,
    /// for the flattened-table and record readers.
    pub(crate) fn label_blocks(&mut self, consumed: &[bool]) {
        for (block, used) in self.blocks.iter_mut().zip(consumed) {
            if !used
                && !block.nav
                && !block.chrome
                && block.text.len() <= 48
                && !block.text.contains('\n')
            {
                block.label = crate::headers::classify_exact(&block.text);
            }
        }
    }
}

/// Limits that keep a hostile page from making tables absurdly wide or tall.
const MAX_COLSPAN: u32 = 1000;
const MAX_ROWSPAN: u32 = 65534;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Root,
    Skip,
    Title,
    Block(BlockKind),
    List,
    Table,
    Section {
        head: bool,
    },
    Tr,
    Td {
        header: bool,
    },
    Br,
    Bold,
    Code,
    Nav,
    /// `<sup>`: a footnote marker ("_ga<sup>1</sup>") is dropped, other superscript kept.
    Sup,
    Inline,
}

#[derive(Debug)]
struct Frame {
    role: Role,
    blocks_at_open: usize,
    /// Leaf-like blocks that stand for a cell or value even when empty.
    may_be_empty: bool,
    /// The element is page chrome (see [`Block::chrome`]).
    chrome: bool,
    /// The element is `<main>`, `<article>` or `<section>`.
    content: bool,
}

#[derive(Debug)]
struct OpenTable {
    idx: u32,
    head: bool,
    in_cell: bool,
    cell_buf: String,
    cell_bold: bool,
}

#[derive(Debug, Default)]
struct Walker {
    doc: Doc,
    buf: String,
    buf_kind: Option<BlockKind>,
    lead: LeadState,
    skip: u32,
    in_title: u32,
    bold: u32,
    code: u32,
    code_buf: String,
    code_spans: Vec<String>,
    block_kinds: Vec<BlockKind>,
    lists: Vec<u32>,
    next_list: u32,
    tables: Vec<OpenTable>,
    /// Open headings: (level, speaks of cookies, speaks of cookies or names a category).
    headings: Vec<(u8, bool, bool)>,
    title_cookie: bool,
    nav: u32,
    chrome: u32,
    /// Open `<main>`, `<article>`, `<section>`: a `<header>` inside one is content.
    content: u32,
    sup: u32,
    sup_buf: String,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum LeadState {
    #[default]
    Nothing,
    Bold,
    Done(usize),
    NoLead,
}

/// An attribute's value. `Element::attr` interns the name on every call; comparing the
/// element's own attribute names costs nothing when it has none.
fn attr<'a>(el: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    el.attrs().find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// The buffer's text, trimmed, in a string of its own size; the buffer keeps its capacity for
/// the next block.
fn take_trimmed(buf: &mut String) -> String {
    let text = buf.trim_end_matches([' ', '\n']).to_string();
    buf.clear();
    text
}

pub(crate) fn read(html: &Html) -> Doc {
    let mut w = Walker::default();
    let mut stack = Vec::new();
    for node in html.tree.root().descendants() {
        let parent = node.parent().map(|p| p.id());
        while let Some((id, _)) = stack.last() {
            if Some(*id) == parent {
                break;
            }
            let (_, frame) = stack.pop().expect("stack is not empty");
            w.close(frame);
        }
        match node.value() {
            Node::Document | Node::Fragment => {
                stack.push((node.id(), w.open_root()));
            }
            Node::Element(el) => {
                // Inline elements side by side with no space between ("<span>Name</span>
                // <span>_ga</span>" written without the newline) render as separate words when
                // a stylesheet lays them out as blocks or cells; reading them run together
                // would make "Name_ga".
                let after_inline = node.prev_sibling().is_some_and(|s| {
                    s.value()
                        .as_element()
                        .is_some_and(|e| SEPARATE_INLINE.contains(&e.name()))
                });
                if after_inline && SEPARATE_INLINE.contains(&el.name()) {
                    w.text(" ");
                }
                let frame = w.open(el);
                stack.push((node.id(), frame));
            }
            Node::Text(t) => w.text(t),
            _ => {}
        }
    }
    while let Some((_, frame)) = stack.pop() {
        w.close(frame);
    }
    w.flush();
    w.doc
}

/// Inline elements that lay out labels and values side by side.
const SEPARATE_INLINE: &[&str] = &["span", "label", "strong", "b", "em", "small"];

fn role_of(name: &str) -> Role {
    match name {
        // Deleted text (`<del>_utma</del>`) is what the page says no longer applies.
        "script" | "style" | "template" | "noscript" | "svg" | "math" | "select" | "textarea"
        | "del" | "iframe" | "object" | "input" | "canvas" | "video" | "audio" => Role::Skip,
        "title" => Role::Title,
        "h1" => Role::Block(BlockKind::Heading(1)),
        "h2" => Role::Block(BlockKind::Heading(2)),
        "h3" => Role::Block(BlockKind::Heading(3)),
        "h4" => Role::Block(BlockKind::Heading(4)),
        "h5" => Role::Block(BlockKind::Heading(5)),
        "h6" => Role::Block(BlockKind::Heading(6)),
        "p" => Role::Block(BlockKind::Paragraph),
        "li" => Role::Block(BlockKind::ListItem),
        "dt" => Role::Block(BlockKind::Term),
        "dd" => Role::Block(BlockKind::Definition),
        "summary" => Role::Block(BlockKind::Summary),
        "caption" => Role::Block(BlockKind::Caption),
        "ul" | "ol" | "dl" | "menu" => Role::List,
        "table" => Role::Table,
        "thead" => Role::Section { head: true },
        "tbody" | "tfoot" => Role::Section { head: false },
        "tr" => Role::Tr,
        "td" => Role::Td { header: false },
        "th" => Role::Td { header: true },
        "br" | "hr" => Role::Br,
        "strong" | "b" => Role::Bold,
        "sup" => Role::Sup,
        "code" | "kbd" | "samp" | "tt" | "var" => Role::Code,
        "nav" => Role::Nav,
        "div" | "section" | "article" | "aside" | "header" | "footer" | "main" | "blockquote"
        | "address" | "figure" | "figcaption" | "fieldset" | "legend" | "form" | "details"
        | "dialog" | "pre" | "center" | "hgroup" | "button" | "body" | "html" | "search"
        | "label" => Role::Block(BlockKind::Other),
        _ => Role::Inline,
    }
}

impl Walker {
    fn open_root(&mut self) -> Frame {
        Frame {
            role: Role::Root,
            blocks_at_open: self.doc.blocks.len(),
            may_be_empty: false,
            chrome: false,
            content: false,
        }
    }

    /// The element's role: by its name, or by its ARIA role for `<div>` tables; everything
    /// inside a skipped element is skipped.
    fn role_of_element(&self, el: &scraper::node::Element) -> Role {
        let mut role = role_of(el.name());
        // ARIA tables built from <div>s read like <table>s.
        if matches!(role, Role::Block(BlockKind::Other) | Role::Inline)
            && let Some(aria) = attr(el, "role")
        {
            role = match aria.trim() {
                "table" | "grid" => Role::Table,
                "rowgroup" => Role::Section { head: false },
                "row" => Role::Tr,
                "cell" | "gridcell" => Role::Td { header: false },
                "columnheader" | "rowheader" => Role::Td { header: true },
                _ => role,
            };
        }
        // An accordion's toggle button ("<button aria-expanded>_ga</button>", then a panel)
        // titles what it opens, as a `<summary>` does.
        if el.name() == "button"
            && (attr(el, "aria-expanded").is_some() || attr(el, "aria-controls").is_some())
        {
            role = Role::Block(BlockKind::Summary);
        }
        if self.skip > 0 {
            role = Role::Skip;
        }
        role
    }

    /// Enters page chrome (the page's footer or top header) or content (`<main>`, `<article>`,
    /// `<section>`); returns which.
    fn enter_region(&mut self, el: &scraper::node::Element) -> (bool, bool) {
        let name = el.name();
        // Only the page's own footer and header: an `<article>`'s footer may hold a card's
        // "Expires: 2 years".
        let chrome = attr(el, "role").is_some_and(|r| r.trim() == "contentinfo")
            || (matches!(name, "footer" | "header") && self.content == 0);
        let content = matches!(name, "main" | "article" | "section");
        if chrome || content {
            // Text before the element is not part of it.
            self.flush();
            self.cell_break();
        }
        if chrome {
            self.chrome += 1;
        }
        if content {
            self.content += 1;
        }
        (chrome, content)
    }

    fn open(&mut self, el: &scraper::node::Element) -> Frame {
        let name = el.name();
        let role = self.role_of_element(el);
        let blocks_at_open = self.doc.blocks.len();
        let mut may_be_empty = false;
        let (chrome, content) = self.enter_region(el);
        match role {
            Role::Root | Role::Inline => {}
            Role::Skip => self.skip += 1,
            Role::Title => self.in_title += 1,
            Role::Block(kind) => {
                self.flush();
                self.cell_break();
                self.block_kinds.push(kind);
                may_be_empty = matches!(name, "p" | "div" | "li" | "dd" | "dt");
            }
            Role::List => {
                self.flush();
                self.cell_break();
                self.lists.push(self.next_list);
                self.next_list += 1;
            }
            Role::Table => self.open_table(),
            Role::Section { head } => {
                if let Some(t) = self.tables.last_mut() {
                    t.head = head;
                }
            }
            Role::Tr => {
                self.flush();
                self.end_cell();
                if let Some(t) = self.tables.last() {
                    let head = t.head;
                    self.doc.tables[t.idx as usize].rows.push(Row {
                        cells: Vec::new(),
                        head,
                    });
                }
            }
            Role::Td { header } => self.open_cell(el, header),
            Role::Br => {
                push_break(&mut self.buf);
                self.cell_break();
            }
            Role::Bold => self.bold += 1,
            Role::Code => {
                self.code += 1;
            }
            Role::Nav => {
                self.flush();
                self.cell_break();
                self.block_kinds.push(BlockKind::Other);
                self.nav += 1;
            }
            Role::Sup => self.sup += 1,
        }
        Frame {
            role,
            blocks_at_open,
            may_be_empty,
            chrome,
            content,
        }
    }

    fn open_table(&mut self) {
        self.flush();
        self.cell_break();
        let idx = self.doc.tables.len() as u32;
        self.doc.tables.push(Table {
            parent: self.tables.last().map(|t| t.idx),
            block_start: self.doc.blocks.len() as u32,
            cookie_context: self.cookie_context(),
            ..Table::default()
        });
        self.tables.push(OpenTable {
            idx,
            head: false,
            in_cell: false,
            cell_buf: String::new(),
            cell_bold: true,
        });
    }

    fn open_cell(&mut self, el: &scraper::node::Element, header: bool) {
        self.flush();
        self.end_cell();
        if let Some(t) = self.tables.last_mut() {
            let table = &mut self.doc.tables[t.idx as usize];
            if table.rows.is_empty() {
                table.rows.push(Row {
                    cells: Vec::new(),
                    head: t.head,
                });
            }
            let span = |name: &str, max: u32| {
                attr(el, name)
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .map_or(1, |n| n.min(max))
            };
            let label = ["data-label", "data-title", "data-th", "data-column"]
                .iter()
                .find_map(|a| attr(el, a))
                .map(crate::text::one_line)
                .filter(|l| !l.is_empty());
            let row = table.rows.last_mut().expect("a row was just ensured");
            row.cells.push(Cell {
                text: String::new(),
                header,
                bold: false,
                colspan: span("colspan", MAX_COLSPAN).max(1),
                rowspan: span("rowspan", MAX_ROWSPAN),
                label,
            });
            t.in_cell = true;
            t.cell_buf.clear();
            t.cell_bold = true;
        }
        self.block_kinds.push(BlockKind::Cell);
    }

    fn close(&mut self, frame: Frame) {
        if frame.chrome || frame.content {
            // Text of the element belongs to it: flush before leaving it.
            self.flush();
            self.cell_break();
        }
        if frame.chrome {
            self.chrome = self.chrome.saturating_sub(1);
        }
        if frame.content {
            self.content = self.content.saturating_sub(1);
        }
        match frame.role {
            Role::Root | Role::Inline | Role::Br => {}
            Role::Skip => self.skip = self.skip.saturating_sub(1),
            Role::Title => self.in_title = self.in_title.saturating_sub(1),
            Role::Block(kind) => {
                self.flush();
                if frame.may_be_empty && self.doc.blocks.len() == frame.blocks_at_open {
                    self.push_block(kind, String::new());
                }
                if kind == BlockKind::Caption
                    && let Some(t) = self.tables.last()
                    && let Some(last) = self.doc.blocks.last()
                    && last.kind == BlockKind::Caption
                    && last.table == Some(t.idx)
                {
                    let caption = last.text.clone();
                    self.doc.tables[t.idx as usize].caption = Some(caption);
                }
                self.cell_break();
                self.block_kinds.pop();
            }
            Role::List => {
                self.flush();
                self.cell_break();
                self.lists.pop();
            }
            Role::Table => {
                self.flush();
                self.end_cell();
                if let Some(t) = self.tables.pop() {
                    self.doc.tables[t.idx as usize].block_end = self.doc.blocks.len() as u32;
                }
                self.cell_break();
            }
            Role::Section { .. } => {
                if let Some(t) = self.tables.last_mut() {
                    t.head = false;
                }
            }
            Role::Tr => {
                self.flush();
                self.end_cell();
            }
            Role::Td { .. } => {
                self.flush();
                self.end_cell();
                self.block_kinds.pop();
            }
            Role::Nav => {
                self.flush();
                self.cell_break();
                self.block_kinds.pop();
                self.nav = self.nav.saturating_sub(1);
            }
            Role::Sup => {
                self.sup = self.sup.saturating_sub(1);
                if self.sup == 0 {
                    let sup = std::mem::take(&mut self.sup_buf);
                    let marker =
                        sup.trim().chars().count() <= 3 && !sup.chars().any(char::is_alphabetic);
                    if !marker {
                        self.text(&sup);
                    }
                }
            }
            Role::Bold => self.bold = self.bold.saturating_sub(1),
            Role::Code => {
                self.code = self.code.saturating_sub(1);
                if self.code == 0 {
                    let span = take_trimmed(&mut self.code_buf);
                    if !span.is_empty() {
                        self.code_spans.push(span);
                    }
                }
            }
        }
    }

    fn text(&mut self, text: &str) {
        if self.skip > 0 {
            return;
        }
        if self.sup > 0 {
            self.sup_buf.push_str(text);
            return;
        }
        if self.in_title > 0 {
            push_collapsed(&mut self.doc.title, text);
            if self.doc.title.to_lowercase().contains("cookie") {
                self.title_cookie = true;
            }
            return;
        }
        let has_content = text
            .chars()
            .any(|c| crate::text::clean_char(c).is_some_and(|c| c != ' '));
        if has_content {
            let before = self.buf.len();
            let started = self.buf.chars().any(|c| !c.is_whitespace());
            self.lead = match (self.lead, started, self.bold > 0) {
                (LeadState::Nothing, false, true) => LeadState::Bold,
                (LeadState::Nothing, false, false) => LeadState::NoLead,
                (LeadState::Bold, true, false) => LeadState::Done(before),
                (state, _, _) => state,
            };
            if self.buf_kind.is_none() {
                self.buf_kind = self.block_kinds.last().copied();
            }
        }
        push_collapsed(&mut self.buf, text);
        if self.code > 0 {
            push_collapsed(&mut self.code_buf, text);
        }
        if let Some(t) = self.tables.last_mut()
            && t.in_cell
        {
            push_collapsed(&mut t.cell_buf, text);
            if has_content && self.bold == 0 {
                t.cell_bold = false;
            }
        }
    }

    /// A line break inside the current cell (a block boundary within it).
    fn cell_break(&mut self) {
        if let Some(t) = self.tables.last_mut()
            && t.in_cell
        {
            push_break(&mut t.cell_buf);
        }
    }

    fn end_cell(&mut self) {
        if let Some(t) = self.tables.last_mut()
            && t.in_cell
        {
            t.in_cell = false;
            let text = take_trimmed(&mut t.cell_buf);
            let bold = t.cell_bold && !text.is_empty();
            let table = &mut self.doc.tables[t.idx as usize];
            if let Some(cell) = table.rows.last_mut().and_then(|r| r.cells.last_mut()) {
                cell.text = text;
                cell.bold = bold;
            }
        }
    }

    fn cookie_context(&self) -> bool {
        self.title_cookie || self.headings.iter().any(|(_, cookie, _)| *cookie)
    }

    fn flush(&mut self) {
        let kind = self
            .buf_kind
            .take()
            .or_else(|| self.block_kinds.last().copied())
            .unwrap_or(BlockKind::Other);
        let text = take_trimmed(&mut self.buf);
        if text.is_empty() {
            self.lead = LeadState::Nothing;
            self.code_spans.clear();
            return;
        }
        if let BlockKind::Heading(level) = kind {
            while self.headings.last().is_some_and(|(l, _, _)| *l >= level) {
                self.headings.pop();
            }
            let cookie = text.to_lowercase().contains("cookie");
            let section = cookie
                || (text.len() <= 80
                    && crate::lexicon::is_category(&crate::text::normalise_label(&text)));
            self.headings.push((level, cookie, section));
        }
        self.push_block(kind, text);
    }

    fn push_block(&mut self, kind: BlockKind, text: String) {
        let lead = match std::mem::take(&mut self.lead) {
            LeadState::Done(n) if n <= text.len() => Some(n),
            // Bold to the end: the whole block is bold (a title such as
            // "<li><strong>Strictly necessary cookies</strong>").
            LeadState::Bold => Some(text.len()),
            _ => None,
        };
        let lead = lead.map(|n| {
            // The bold run ended at a byte offset of the raw buffer; trim to a char boundary.
            let mut n = n.min(text.len());
            while !text.is_char_boundary(n) {
                n -= 1;
            }
            n
        });
        let block = Block {
            kind,
            lead,
            nav: self.nav > 0,
            chrome: self.chrome > 0,
            section_cookie: self.headings.last().is_some_and(|(_, _, section)| *section),
            label: None,
            list: self.lists.last().copied(),
            table: self.tables.last().map(|t| t.idx),
            cookie_context: self.cookie_context(),
            code: std::mem::take(&mut self.code_spans),
            text,
        };
        self.doc.blocks.push(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(html: &str) -> Doc {
        read(&Html::parse_document(html))
    }

    #[test]
    fn blocks_in_order_with_breaks() {
        let d = doc("<h2>Cookies</h2><p>One<br>two</p><p>&nbsp;</p><ul><li>a</li></ul>");
        let texts: Vec<_> = d.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Cookies", "One\ntwo", "", "a"]);
        assert_eq!(d.blocks[0].kind, BlockKind::Heading(2));
        assert!(d.blocks[1].cookie_context);
        assert_eq!(d.blocks[3].kind, BlockKind::ListItem);
        assert!(d.blocks[3].list.is_some());
    }

    #[test]
    fn tables_cells_and_spans() {
        let d = doc(
            "<table><caption>Cap</caption><thead><tr><th>Name<th>Purpose</thead>\
             <tr><td rowspan=2><p>_a</p><p>_b</p><td data-label='Purpose'>x</table>",
        );
        let t = &d.tables[0];
        assert_eq!(t.caption.as_deref(), Some("Cap"));
        assert!(t.rows[0].head && t.rows[0].cells[0].header);
        assert_eq!(t.rows[1].cells[0].text, "_a\n_b");
        assert_eq!(t.rows[1].cells[0].rowspan, 2);
        assert_eq!(t.rows[1].cells[1].label.as_deref(), Some("Purpose"));
    }

    #[test]
    fn bold_lead_and_bold_cells() {
        let d = doc(
            "<p><strong>Purpose:</strong> tracks</p><table><tr><td><b>Name</b></td></tr></table>",
        );
        assert_eq!(d.blocks[0].lead, Some("Purpose:".len()));
        assert!(d.tables[0].rows[0].cells[0].bold);
    }

    #[test]
    fn footnote_markers_and_deleted_text() {
        let d =
            doc("<p>_ga<sup>1</sup> and m<sup>2</sup> x<sup>th</sup></p><p><del>old</del>new</p>");
        let texts: Vec<_> = d.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["_ga and m xth", "new"]);
    }

    #[test]
    fn page_chrome_and_adjacent_spans() {
        let d = doc("<header><p>Council</p></header><main><article><h2>_ga</h2>\
             <footer>Expires: 2 years</footer></article>\
             <p><span>Name</span><span>_ga</span></p></main><footer><p>Contact us</p></footer>");
        let chrome: Vec<(&str, bool)> = d
            .blocks
            .iter()
            .map(|b| (b.text.as_str(), b.chrome))
            .collect();
        assert_eq!(
            chrome,
            [
                ("Council", true),
                ("_ga", false),
                ("Expires: 2 years", false),
                ("Name _ga", false),
                ("Contact us", true)
            ]
        );
    }

    #[test]
    fn skipped_elements() {
        let d = doc("<p>a<script>var x = '<p>no</p>'</script>b</p><template><p>t</p></template>");
        let texts: Vec<_> = d.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["ab"]);
    }
}
