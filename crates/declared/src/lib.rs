//! Reads the cookie declaration a site publishes — the cookie table of its privacy or cookie
//! page, however its CMS renders it — into [`DeclaredCookie`]s.
//!
//! A pure crate: HTML text in, data out. No I/O, never a panic, never an `Err` for bad input;
//! what it is unsure of becomes a warning. Nothing recurses over the DOM (see `dom.rs`), so any
//! nesting depth is safe on any thread.
//!
//! - [`extract_declarations`] reads one page: every cookie table (or table-like structure),
//!   the cookies it declares, and the cookie names and vendors mentioned in prose.
//! - [`read_declaration`] reads every page the crawler handed over and builds the report's
//!   [`Declaration`].
//!
//! The shapes handled, the header synonym table, the name and expiry rules are documented in
//! `docs/declared.md`.

mod depth;
mod dom;
mod extract;
mod fields;
mod headers;
mod lexicon;
mod names;
mod prose;
mod shapes;
mod text;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use cookie_audit_model::{
    Declaration, DeclarationPage, DeclarationSource, DeclarationStatus, DeclaredCookie,
    ProseMention,
};

pub use extract::extract_declarations;

/// Everything read from one page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageExtraction {
    /// In page order: by structure (table), then row, then position in the name cell.
    /// `source.url` is the page's URL, `source.table`/`row`/`shape` say where each was read.
    pub cookies: Vec<DeclaredCookie>,
    /// Cookie tables (or table-like structures) found.
    pub tables: u32,
    /// Cookie names and vendors mentioned outside the declaration, once each, in page order.
    pub prose_mentions: Vec<ProseMention>,
    /// What the extractor was unsure of ("table 1: row 4: not read as a cookie name: …").
    pub warnings: Vec<String>,
}

/// Reads every page, merges duplicates across pages, and builds the report's [`Declaration`].
///
/// Pages are read in the order given. A declaration repeated word for word on a later page (or
/// in a later table of the same page — the same table served on the privacy page and on the
/// cookie page) is kept once, with the source where it was first read; each page still reports
/// how many cookies it declared itself. `status` is `found` when at least one cookie was
/// declared, `unreadable` when every page failed to load (with the reason), else `not_found`.
pub fn read_declaration(pages: &[DeclarationSource]) -> (Declaration, Vec<DeclaredCookie>) {
    let mut declared: Vec<DeclaredCookie> = Vec::new();
    // Each declaration seen, with the (page, structure) it was first read from.
    let mut seen: HashMap<DeclarationKey, (String, u32)> = HashMap::new();
    let mut page_entries = Vec::with_capacity(pages.len());
    let mut prose_mentions = Vec::new();
    let mut warnings = Vec::new();
    for page in pages {
        let url = cookie_audit_model::url_norm::normalize(page.url.clone()).to_string();
        let mut entry = DeclarationPage {
            url: url.clone(),
            found_by: page.found_by.clone(),
            tables: 0,
            cookies: 0,
            error: page.error.clone(),
        };
        match &page.html {
            Some(html) => {
                let extraction = extract_declarations(html, &page.url);
                entry.tables = extraction.tables;
                entry.cookies = extraction.cookies.len() as u32;
                warnings.extend(
                    extraction
                        .warnings
                        .into_iter()
                        .map(|w| format!("{url}: {w}")),
                );
                prose_mentions.extend(extraction.prose_mentions);
                for cookie in extraction.cookies {
                    let here = (cookie.source.url.clone(), cookie.source.table);
                    match seen.entry(DeclarationKey::of(&cookie)) {
                        // Repeated in the same table: the page lists it twice, keep both.
                        Entry::Occupied(first) if *first.get() == here => declared.push(cookie),
                        Entry::Occupied(_) => {}
                        Entry::Vacant(slot) => {
                            slot.insert(here);
                            declared.push(cookie);
                        }
                    }
                }
            }
            None if entry.error.is_none() => {
                entry.error = Some("the page was not read".to_string());
            }
            None => {}
        }
        page_entries.push(entry);
    }
    let (status, reason) = status_of(&declared, &page_entries);
    let declaration = Declaration {
        status,
        reason,
        pages: page_entries,
        prose_mentions,
        warnings,
    };
    (declaration, declared)
}

/// `found` with any declared cookie; `unreadable` (and why) when there were pages to read and
/// none could be read — a 404 on the cookie page is not the same as a page without a table;
/// `not_found` otherwise.
fn status_of(
    declared: &[DeclaredCookie],
    pages: &[DeclarationPage],
) -> (DeclarationStatus, Option<String>) {
    if !declared.is_empty() {
        return (DeclarationStatus::Found, None);
    }
    if pages.is_empty() || pages.iter().any(|p| p.error.is_none()) {
        return (DeclarationStatus::NotFound, None);
    }
    let failures: Vec<String> = pages
        .iter()
        .map(|p| format!("{} ({})", p.url, p.error.as_deref().unwrap_or_default()))
        .collect();
    let noun = if pages.len() == 1 { "page" } else { "pages" };
    let reason = format!(
        "the cookie {noun} could not be read: {}",
        failures.join("; ")
    );
    (DeclarationStatus::Unreadable, Some(reason))
}

/// Every field of a declaration but where it was read: two declarations with the same key are
/// the same declaration.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DeclarationKey {
    name: String,
    pattern: bool,
    glob: Option<String>,
    suspicious_name: bool,
    provider: Option<String>,
    domain: Option<String>,
    purpose: Option<String>,
    category: Option<String>,
    expiry: Option<(String, Option<bool>, Option<i64>)>,
}

impl DeclarationKey {
    fn of(c: &DeclaredCookie) -> DeclarationKey {
        DeclarationKey {
            name: c.name.clone(),
            pattern: c.pattern,
            glob: c.glob.clone(),
            suspicious_name: c.suspicious_name,
            provider: c.provider.clone(),
            domain: c.domain.clone(),
            purpose: c.purpose.clone(),
            category: c.category.clone(),
            expiry: c
                .expiry
                .as_ref()
                .map(|e| (e.text.clone(), e.session, e.seconds)),
        }
    }
}
