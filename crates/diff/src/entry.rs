//! A knowledge-base entry: what one cookie or family is, and how well a name fits it. Shared by
//! the built-in file and the cookie database, which both produce entries.

use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::{
    Classification, ClassificationSource, CookieCategory, Expiry, Party, Retirement,
};

use crate::family::Pattern;

/// How an entry recognises names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameMatcher {
    Exact(String),
    Prefix(String),
    Family(Pattern),
}

impl NameMatcher {
    /// As shown in reports: `_ga`, `ARRAffinity*`, `_ga_{id}`.
    pub(crate) fn display(&self) -> String {
        match self {
            NameMatcher::Exact(name) => name.clone(),
            NameMatcher::Prefix(prefix) => format!("{prefix}*"),
            NameMatcher::Family(pattern) => pattern.text().to_string(),
        }
    }
}

/// How well an entry's name fits, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NameFit {
    Exact,
    Family,
    Prefix,
    CaseInsensitive,
}

/// One cookie or family the knowledge base knows.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub matcher: NameMatcher,
    pub vendor: String,
    pub category: CookieCategory,
    pub purpose: Option<String>,
    /// Its usual lifetime, read by the one expiry parser.
    pub lifetime: Option<Expiry>,
    /// The party it usually is on the sites that use it; `None` when it varies.
    pub party: Option<Party>,
    /// Registrable domains it is set on, when only those set it.
    pub domains: Vec<String>,
    /// Only names on `domains` match: generic names (`NID`, `lang`) mean this vendor's cookie only
    /// on this vendor's domains.
    pub restrict_to_domains: bool,
    pub retired: Option<Retirement>,
    pub reference: Option<String>,
    pub source: ClassificationSource,
}

impl Entry {
    pub(crate) fn name_fit(&self, name: &str) -> Option<NameFit> {
        match &self.matcher {
            NameMatcher::Exact(exact) if exact == name => Some(NameFit::Exact),
            NameMatcher::Exact(exact) if exact.eq_ignore_ascii_case(name) => {
                Some(NameFit::CaseInsensitive)
            }
            NameMatcher::Exact(_) => None,
            NameMatcher::Prefix(prefix) => {
                name.starts_with(prefix.as_str()).then_some(NameFit::Prefix)
            }
            NameMatcher::Family(pattern) => pattern.captures(name).map(|_| NameFit::Family),
        }
    }

    /// `Some(true)` when the entry names domains and `domain` is one of them, `Some(false)` when
    /// it names others, `None` when it names none.
    pub(crate) fn domain_fit(&self, domain: &str) -> Option<bool> {
        if self.domains.is_empty() {
            return None;
        }
        if domain.is_empty() {
            return Some(false);
        }
        let site = registrable_domain(domain);
        Some(self.domains.contains(&site))
    }

    pub(crate) fn literal_len(&self) -> usize {
        match &self.matcher {
            NameMatcher::Exact(n) | NameMatcher::Prefix(n) => n.len(),
            NameMatcher::Family(p) => p.literal_len(),
        }
    }

    pub(crate) fn classification(&self) -> Classification {
        Classification {
            vendor: self.vendor.clone(),
            category: self.category,
            source: self.source,
            matched: self.matcher.display(),
            purpose: self.purpose.clone(),
            lifetime: self.lifetime.as_ref().map(|e| e.text.clone()),
            party: self.party,
            retired: self.retired.clone(),
            reference: self.reference.clone(),
        }
    }
}

/// A vendor and the names prose uses for it ("Google Analytics", "GA4").
#[derive(Debug, Clone)]
pub(crate) struct Vendor {
    pub name: String,
    pub aliases: Vec<String>,
}
