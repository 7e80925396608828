//! The diff engine: what a site's cookie table says against what the site really sets.
//!
//! [`diff`] pairs every observed cookie with the declaration that fits it best (`matching.rs`:
//! exact name, a declared pattern, a knowledge-base family, letter case; then the best-fitting
//! domain), applies the rules of docs/findings.md (`rules.rs`) and writes the corrected table
//! (`suggest.rs`), in sentences from `messages.rs`. The [`KnowledgeBase`] says what cookies are: a curated file
//! compiled in, plus an optional Open Cookie Database CSV (`--cookie-db`).
//!
//! Pure: no I/O (except [`KnowledgeBase::load_cookie_db`], which reads the file it is given),
//! no panics, no errors for odd input. Odd input gives findings and warnings.

mod cookie_db;
mod entry;
mod error;
mod family;
mod kb;
mod matching;
mod messages;
mod rules;
mod suggest;
mod text;

use cookie_audit_model::{Declaration, DeclaredCookie, Finding, ObservedCookie, SuggestedRow};

pub use cookie_audit_model::{Classification, ClassificationSource, CookieCategory};
pub use cookie_db::CookieDbStats;
pub use kb::{KbError, KnowledgeBase, MIN_LITERAL_PREFIX};
pub use rules::{EXPIRY_LONGER_MIN_SECONDS, EXPIRY_LONGER_RATIO, EXPIRY_SHORTER_RATIO};

/// Everything the diff looks at. The observed cookies are handed over, not borrowed: the diff
/// fills each one's `classification` and hands them back in [`DiffOutput::observed`].
#[derive(Debug, Clone)]
pub struct DiffInput<'a> {
    /// Host of the start URL; the site's registrable domain comes from it by the Public Suffix
    /// List.
    pub site_host: &'a str,
    pub declaration: &'a Declaration,
    pub declared: &'a [DeclaredCookie],
    pub observed: Vec<ObservedCookie>,
    pub pages_crawled: u32,
}

/// What the diff found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiffOutput {
    /// Sorted by kind, cookie, domain, field, reason.
    pub findings: Vec<Finding>,
    /// The corrected cookie table: observed cookies plus declared rows that are still valid,
    /// grouped by category (strictly necessary first), then by name.
    pub suggested_table: Vec<SuggestedRow>,
    /// The observed cookies as handed in, in the same order, each with its `classification`
    /// filled.
    pub observed: Vec<ObservedCookie>,
    /// Things in the input the diff could not use (a declared pattern too short to trust, …).
    pub warnings: Vec<String>,
}

/// Compares a site's declaration with what it was seen to set.
pub fn diff(input: DiffInput<'_>, kb: &KnowledgeBase) -> DiffOutput {
    let mut output = rules::run(&input, kb);
    let mut observed = input.observed;
    for cookie in &mut observed {
        cookie.classification = kb.classify(&cookie.name, &cookie.domain);
    }
    output.observed = observed;
    output
}
