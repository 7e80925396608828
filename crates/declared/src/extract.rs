//! Reading one page: tables first, then flattened tables and one-cookie-at-a-time records among
//! what is left, then prose mentions from whatever no shape consumed.

use std::collections::HashSet;

use cookie_audit_model::{DeclarationShape, DeclaredCookie};
use scraper::Html;

use crate::PageExtraction;
use crate::dom::{self, Block, BlockKind, Doc};
use crate::prose::Mentions;
use crate::shapes::table::{TableContext, apply_title, read_table};
use crate::shapes::{flattened, records};
use crate::text::word_count;

/// One declaration structure found on the page.
#[derive(Debug)]
struct Structure {
    /// Where it starts in the block stream: structures are numbered in page order.
    position: usize,
    /// Tie-break between structures starting at the same place: outer tables first.
    order: usize,
    shape: DeclarationShape,
    cookies: Vec<DeclaredCookie>,
    warnings: Vec<String>,
}

/// Reads one page. Never fails: a page with no declaration gives no cookies.
pub fn extract_declarations(html: &str, page_url: &url::Url) -> PageExtraction {
    let url = cookie_audit_model::url_norm::normalize(page_url.clone()).to_string();
    // html5ever's tokenizer is quadratic in one tag's attributes: cut before such a tag.
    let cut = cookie_audit_model::markup::first_overloaded_tag(html);
    let html = &html[..cut.unwrap_or(html.len())];
    let (html, capped) = crate::depth::cap_depth(html);
    let mut doc = {
        let parsed = Html::parse_document(&html);
        dom::read(&parsed)
    };
    let mut page = read_doc(&mut doc, &url);
    if let Some(at) = cut {
        page.warnings.insert(
            0,
            format!(
                "a tag at byte {at} has more than {} attributes; the page was read up to it only",
                cookie_audit_model::markup::MAX_ATTRIBUTES_PER_TAG
            ),
        );
    }
    if capped {
        page.warnings.insert(
            0,
            format!(
                "markup nested deeper than {} elements was flattened before reading",
                crate::depth::MAX_DEPTH
            ),
        );
    }
    page
}

fn read_doc(doc: &mut Doc, url: &str) -> PageExtraction {
    let mut consumed = vec![false; doc.blocks.len()];
    let mut structures: Vec<Structure> = Vec::new();
    let mut recognised = vec![false; doc.tables.len()];

    for (t, table) in doc.tables.iter().enumerate() {
        if inside_recognised(doc, &recognised, t) {
            continue;
        }
        let ctx = table_context(doc, t);
        let Some(read) = read_table(table, &ctx, url, 0) else {
            continue;
        };
        recognised[t] = true;
        let (start, end) = (table.block_start as usize, table.block_end as usize);
        for c in consumed.iter_mut().take(end).skip(start) {
            *c = true;
        }
        let shape = read
            .cookies
            .first()
            .and_then(|c| c.source.shape)
            .unwrap_or(DeclarationShape::Table);
        structures.push(Structure {
            position: start,
            order: t,
            shape,
            cookies: read.cookies,
            warnings: read.warnings,
        });
    }

    doc.label_blocks(&consumed);
    let doc: &Doc = doc;
    let units = flattened::units(&doc.blocks, &consumed);
    let flats = flattened::find(&units, &doc.blocks, url);
    drop(units);
    for flat in flats {
        for b in &flat.blocks {
            consumed[*b] = true;
        }
        structures.push(Structure {
            position: flat.start_block,
            order: usize::MAX,
            shape: DeclarationShape::Flattened,
            cookies: flat.cookies,
            warnings: flat.warnings,
        });
    }

    for group in records::find(&doc.blocks, &consumed, url) {
        for b in &group.blocks {
            consumed[*b] = true;
        }
        structures.push(Structure {
            position: group.start_block,
            order: usize::MAX,
            shape: group.shape,
            cookies: group.cookies,
            warnings: group.warnings,
        });
    }

    structures.sort_by_key(|s| (s.position, s.order));
    let mut page = PageExtraction {
        tables: structures.len() as u32,
        ..PageExtraction::default()
    };
    for (index, mut s) in structures.into_iter().enumerate() {
        for cookie in &mut s.cookies {
            cookie.source.table = index as u32;
        }
        page.cookies.extend(s.cookies);
        page.warnings.extend(
            s.warnings
                .into_iter()
                .map(|w| format!("{} {index}: {w}", s.shape.as_str())),
        );
    }

    let mut mentions = Mentions::default();
    // Footers and repeated links say the same thing many times; mentions are once per page.
    let mut read: HashSet<&str> = HashSet::new();
    for (b, block) in doc.blocks.iter().enumerate() {
        if !consumed[b] && !block.nav && !block.text.is_empty() && read.insert(&block.text) {
            mentions.read(&block.text, &block.code, url);
        }
    }
    page.prose_mentions = mentions.into_vec();
    page
}

fn inside_recognised(doc: &Doc, recognised: &[bool], mut t: usize) -> bool {
    while let Some(parent) = doc.tables[t].parent {
        t = parent as usize;
        if recognised[t] {
            return true;
        }
    }
    false
}

/// Blocks looked at above a table for its title.
const TITLE_LOOKBACK: usize = 6;

/// The title above a table (a heading, an accordion summary, Cookiebot's "Necessary (4)") may
/// give its rows a category or provider.
fn table_context(doc: &Doc, t: usize) -> TableContext {
    let table = &doc.tables[t];
    let mut ctx = TableContext {
        cookie_context: table.cookie_context,
        ..TableContext::default()
    };
    let start = table.block_start as usize;
    let own_table = table.parent;
    // Cells of sibling tables before this one are passed over, not counted: one title may head
    // a run of small tables (Termly's one table per cookie under "Analytics cookies:").
    let mut looked = 0;
    for block in doc.blocks[..start].iter().rev() {
        if block.table != own_table {
            if inside(doc, block.table, own_table) {
                continue;
            }
            // Outside the table this one sits in: the search ends.
            break;
        }
        looked += 1;
        if looked > TITLE_LOOKBACK {
            break;
        }
        if block.text.is_empty() {
            continue;
        }
        if is_title(block) {
            apply_title(&mut ctx.values, &block.text);
            if block.text.to_lowercase().contains("cookie") {
                ctx.cookie_context = true;
            }
            break;
        }
    }
    ctx
}

/// Whether table `t` sits inside `ancestor` (`None`: the page itself).
fn inside(doc: &Doc, t: Option<u32>, ancestor: Option<u32>) -> bool {
    let mut t = t;
    while let Some(i) = t {
        t = doc.tables[i as usize].parent;
        if t == ancestor {
            return true;
        }
    }
    false
}

fn is_title(block: &Block) -> bool {
    let text = block.text.trim_end();
    let bold_throughout = block.lead.is_some_and(|n| n >= text.len());
    block.kind.is_heading_like()
        || (matches!(
            block.kind,
            BlockKind::Paragraph | BlockKind::Other | BlockKind::ListItem
        ) && bold_throughout
            && word_count(text) <= 8)
        || (matches!(block.kind, BlockKind::Paragraph | BlockKind::Other)
            && word_count(text) <= 6
            && !text.ends_with(['.', ':'])
            && !text.contains('\n'))
}
