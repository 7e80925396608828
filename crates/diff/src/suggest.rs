//! The fix: rows of the corrected cookie table.
//!
//! An undeclared cookie gets a new row from what was observed and what the knowledge base knows;
//! a misdescribed one gets its declared row with the wrong fields replaced; a declared row that
//! is right, or not seen but not retired (it may appear after login or consent), is kept.

use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::{CookieCategory, ObservedCookie, Party, SuggestedRow, SuggestedStatus};

use crate::entry::Entry;
use crate::matching::DeclaredView;
use crate::messages::lifetime_words;

/// A row for a cookie the table is missing. Its purpose is what the knowledge base knows, or
/// nothing: the row is pasted onto a public page, so it never carries an instruction to the editor
/// ("ask its supplier…") in place of a purpose; the report's views list the rows still to complete.
pub(crate) fn new_row(cookie: &ObservedCookie, entry: Option<&Entry>) -> SuggestedRow {
    let provider = match (entry, cookie.party) {
        (Some(entry), _) => Some(entry.vendor.clone()),
        (None, Party::Third) => Some(registrable_domain(&cookie.domain)),
        (None, Party::First) => None,
    };
    SuggestedRow {
        name: cookie.name.clone(),
        provider,
        purpose: entry.and_then(|e| e.purpose.clone()),
        expiry: lifetime_words(&cookie.lifetime),
        domain: cookie.domain.clone(),
        category: entry.map(|e| e.category.label().to_string()),
        status: SuggestedStatus::New,
    }
}

/// A declared row as it stands, filled from the observation and the knowledge base where the
/// table left a cell empty.
pub(crate) fn kept_row(
    declared: &DeclaredView<'_>,
    cookie: Option<&ObservedCookie>,
    entry: Option<&Entry>,
) -> SuggestedRow {
    let row = declared.row;
    let filled = |cell: &Option<String>| {
        cell.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    SuggestedRow {
        name: row.name.clone(),
        provider: filled(&row.provider).or_else(|| entry.map(|e| e.vendor.clone())),
        purpose: filled(&row.purpose).or_else(|| entry.and_then(|e| e.purpose.clone())),
        expiry: row
            .expiry
            .as_ref()
            .map(|e| e.text.trim().trim_end_matches('.').trim().to_string())
            .filter(|t| !t.is_empty())
            .or_else(|| cookie.map(|c| lifetime_words(&c.lifetime)))
            .unwrap_or_default(),
        domain: filled(&row.domain)
            .or_else(|| cookie.map(|c| c.domain.clone()))
            .unwrap_or_default(),
        category: filled(&row.category).or_else(|| entry.map(|e| e.category.label().to_string())),
        status: SuggestedStatus::Kept,
    }
}

/// Corrections a misdescribed pair applies to its declared row.
#[derive(Debug, Default, Clone)]
pub(crate) struct Corrections {
    pub name: Option<String>,
    pub expiry: Option<String>,
    pub domain: Option<String>,
    pub category: Option<CookieCategory>,
}

impl Corrections {
    pub(crate) fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.expiry.is_none()
            && self.domain.is_none()
            && self.category.is_none()
    }

    pub(crate) fn apply(&self, mut row: SuggestedRow) -> SuggestedRow {
        if self.is_empty() {
            return row;
        }
        if let Some(name) = &self.name {
            row.name = name.clone();
        }
        if let Some(expiry) = &self.expiry {
            row.expiry = expiry.clone();
        }
        if let Some(domain) = &self.domain {
            row.domain = domain.clone();
        }
        if let Some(category) = self.category {
            row.category = Some(category.label().to_string());
        }
        row.status = SuggestedStatus::Corrected;
        row
    }
}

/// Strictly necessary first, as UK cookie pages list them, then the rest by consent weight;
/// rows without a category last; then by name and domain.
pub(crate) fn sort_table(rows: &mut Vec<SuggestedRow>) {
    rows.sort_by(|a, b| {
        table_key(a)
            .cmp(&table_key(b))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.domain.cmp(&b.domain))
    });
    rows.dedup_by(|a, b| a.name == b.name && a.domain == b.domain);
}

fn table_key(row: &SuggestedRow) -> (u8, String) {
    let rank = match row.category.as_deref().and_then(crate::text::category_in) {
        Some(CookieCategory::StrictlyNecessary) => 0,
        Some(CookieCategory::Functional) => 1,
        Some(CookieCategory::Analytics) => 2,
        Some(CookieCategory::Marketing) => 3,
        None => 4,
    };
    (rank, row.name.to_lowercase())
}
