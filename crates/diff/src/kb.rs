//! The knowledge base: what a cookie is, by exact name, by family (`_ga_{id}`) or by prefix.
//!
//! Two sources, consulted in order: the curated built-in file (`data/knowledge-base.toml`,
//! compiled in, every entry with a source URL) and, optionally, a cookie database loaded with
//! `--cookie-db` (Open Cookie Database CSV). The built-in file wins every conflict: it is curated
//! for UK public-sector sites and its facts are checked against the vendors' own pages.
//! The format is documented in docs/knowledge-base.md.

use std::path::Path;

use chrono::NaiveDate;
use cookie_audit_model::domain::{canonical_host, registrable_domain};
use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::{Classification, ClassificationSource, CookieCategory, Party, Retirement};
use serde::Deserialize;

use crate::cookie_db::{self, CookieDbStats};
use crate::entry::{Entry, NameFit, NameMatcher, Vendor};
pub use crate::error::KbError;
pub use crate::family::MIN_LITERAL_PREFIX;
use crate::family::Pattern;

const BUILTIN_TOML: &str = include_str!("../data/knowledge-base.toml");
const BUILTIN_ORIGIN: &str = "crates/diff/data/knowledge-base.toml";

/// What cookies are: the curated built-in entries, then any loaded cookie database.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    builtin: Vec<Entry>,
    cookie_db: Vec<Entry>,
    vendors: Vec<Vendor>,
}

impl KnowledgeBase {
    /// The curated knowledge base compiled into the binary.
    pub fn builtin() -> KnowledgeBase {
        // The file is compiled in and a unit test loads it, so a failure here cannot reach users.
        KnowledgeBase::from_toml(BUILTIN_TOML, BUILTIN_ORIGIN)
            .unwrap_or_else(|e| panic!("the built-in knowledge base is valid: {e}"))
    }

    /// A knowledge base that knows nothing: every cookie is unclassified.
    pub fn empty() -> KnowledgeBase {
        KnowledgeBase::default()
    }

    /// Reads a knowledge base in the built-in TOML format; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<KnowledgeBase, KbError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| KbError::Toml {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let vendors: Vec<Vendor> = raw
            .vendor
            .into_iter()
            .map(|v| Vendor {
                name: v.name,
                aliases: v.aliases,
            })
            .collect();
        let mut builtin = Vec::with_capacity(raw.cookie.len());
        for cookie in raw.cookie {
            builtin.push(cookie.into_entry(origin, &vendors)?);
        }
        check_duplicates(&builtin, origin)?;
        Ok(KnowledgeBase {
            builtin,
            cookie_db: Vec::new(),
            vendors,
        })
    }

    /// Loads an Open Cookie Database CSV (`--cookie-db`). Its entries are consulted after the
    /// built-in ones. Prefix rows (`Wildcard match` = 1) shorter than [`MIN_LITERAL_PREFIX`] are
    /// refused and counted.
    pub fn load_cookie_db(&mut self, path: &Path) -> Result<CookieDbStats, KbError> {
        let (entries, stats) = cookie_db::load(path, &self.builtin)?;
        self.cookie_db.extend(entries);
        Ok(stats)
    }

    /// What `name` set on `domain` (empty when unknown) is, and which source says so.
    pub fn classify(&self, name: &str, domain: &str) -> Option<Classification> {
        self.lookup(name, domain).map(Entry::classification)
    }

    /// Number of built-in entries.
    pub fn builtin_len(&self) -> usize {
        self.builtin.len()
    }

    /// Number of entries loaded from cookie databases.
    pub fn cookie_db_len(&self) -> usize {
        self.cookie_db.len()
    }

    /// The vendors the built-in entries name.
    pub fn vendor_names(&self) -> impl Iterator<Item = &str> {
        self.vendors.iter().map(|v| v.name.as_str())
    }

    pub(crate) fn lookup(&self, name: &str, domain: &str) -> Option<&Entry> {
        best_entry(&self.builtin, name, domain)
            .or_else(|| best_entry(&self.cookie_db, name, domain))
    }

    /// The built-in family `name` belongs to, with its placeholder values: how
    /// `incap_ses_459_913011` and `incap_ses_771_913011` are known to be one cookie.
    pub(crate) fn family(&self, name: &str) -> Option<(usize, Vec<String>)> {
        self.builtin
            .iter()
            .enumerate()
            .find_map(|(i, entry)| match &entry.matcher {
                NameMatcher::Family(pattern) => pattern.captures(name).map(|c| (i, c)),
                _ => None,
            })
    }

    /// The pattern of the built-in family at `index` (from [`KnowledgeBase::family`]).
    pub(crate) fn family_pattern(&self, index: usize) -> Option<&Pattern> {
        match &self.builtin.get(index)?.matcher {
            NameMatcher::Family(pattern) => Some(pattern),
            _ => None,
        }
    }

    /// The vendor a prose term names ("Google Analytics", "siteimprove"), by name or alias.
    pub(crate) fn vendor_named(&self, term: &str) -> Option<&str> {
        let term = fold_name(term);
        if term.is_empty() {
            return None;
        }
        self.vendors
            .iter()
            .find(|v| fold_name(&v.name) == term || v.aliases.iter().any(|a| fold_name(a) == term))
            .map(|v| v.name.as_str())
    }
}

fn fold_name(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The best entry of one source: exact name, then family, then prefix, then a name equal but for
/// letter case; among those, an entry whose domains fit, then the longest literal part. When the
/// best candidates disagree on the vendor the name is ambiguous and nothing is claimed.
fn best_entry<'a>(entries: &'a [Entry], name: &str, domain: &str) -> Option<&'a Entry> {
    let mut candidates: Vec<(NameFit, bool, usize, usize, &Entry)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| {
            let fit = entry.name_fit(name)?;
            let domain_fit = entry.domain_fit(domain);
            if entry.restrict_to_domains && domain_fit != Some(true) {
                return None;
            }
            Some((
                fit,
                domain_fit != Some(true),
                usize::MAX - entry.literal_len(),
                i,
                entry,
            ))
        })
        .collect();
    candidates.sort_by_key(|c| (c.0, c.1, c.2, c.3));
    let (fit, off_domain, literal, _, best) = *candidates.first()?;
    let ambiguous = candidates
        .iter()
        .skip(1)
        .take_while(|c| (c.0, c.1, c.2) == (fit, off_domain, literal))
        .any(|c| !c.4.vendor.eq_ignore_ascii_case(&best.vendor));
    (!ambiguous).then_some(best)
}

fn check_duplicates(entries: &[Entry], origin: &str) -> Result<(), KbError> {
    for (i, a) in entries.iter().enumerate() {
        for b in &entries[i + 1..] {
            let overlapping_domains = a.domains.is_empty()
                || b.domains.is_empty()
                || a.domains.iter().any(|d| b.domains.contains(d));
            if a.matcher == b.matcher && overlapping_domains {
                return Err(KbError::Invalid {
                    origin: origin.to_string(),
                    entry: a.matcher.display(),
                    message: "listed twice for the same domains".to_string(),
                });
            }
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    vendor: Vec<RawVendor>,
    #[serde(default)]
    cookie: Vec<RawCookie>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVendor {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCookie {
    name: Option<String>,
    prefix: Option<String>,
    pattern: Option<String>,
    vendor: String,
    category: String,
    purpose: String,
    lifetime: String,
    party: String,
    #[serde(default)]
    domains: Vec<String>,
    source: String,
    retired: Option<RawRetired>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetired {
    date: String,
    note: String,
    source: String,
}

impl RawCookie {
    fn into_entry(self, origin: &str, vendors: &[Vendor]) -> Result<Entry, KbError> {
        let label = self
            .name
            .clone()
            .or_else(|| self.prefix.clone())
            .or_else(|| self.pattern.clone())
            .unwrap_or_default();
        let invalid = |message: String| KbError::Invalid {
            origin: origin.to_string(),
            entry: label.clone(),
            message,
        };
        let matcher = match (self.name, self.prefix, self.pattern) {
            (Some(name), None, None) if !name.is_empty() => NameMatcher::Exact(name),
            (None, Some(prefix), None) => {
                if prefix.chars().count() < MIN_LITERAL_PREFIX {
                    return Err(invalid(format!(
                        "a prefix needs at least {MIN_LITERAL_PREFIX} characters"
                    )));
                }
                NameMatcher::Prefix(prefix)
            }
            (None, None, Some(pattern)) => {
                NameMatcher::Family(Pattern::parse(&pattern).map_err(invalid)?)
            }
            _ => {
                return Err(invalid(
                    "give exactly one of `name`, `prefix` or `pattern`".to_string(),
                ));
            }
        };
        if !vendors.iter().any(|v| v.name == self.vendor) {
            return Err(invalid(format!(
                "vendor {:?} has no [[vendor]] entry",
                self.vendor
            )));
        }
        let category = CookieCategory::parse(&self.category).ok_or_else(|| {
            invalid(format!(
                "category {:?} is not one of strictly_necessary, functional, analytics, marketing",
                self.category
            ))
        })?;
        let party = match self.party.as_str() {
            "first" => Some(Party::First),
            "third" => Some(Party::Third),
            "either" => None,
            other => {
                return Err(invalid(format!(
                    "party {other:?} is not one of first, third, either"
                )));
            }
        };
        if !is_url(&self.source) {
            return Err(invalid("`source` must be an http(s) URL".to_string()));
        }
        if self.purpose.trim().is_empty() {
            return Err(invalid("`purpose` is empty".to_string()));
        }
        let retired = match self.retired {
            None => None,
            Some(r) => {
                let date = NaiveDate::parse_from_str(&r.date, "%Y-%m-%d")
                    .map_err(|e| invalid(format!("retired.date {:?}: {e}", r.date)))?;
                if !is_url(&r.source) {
                    return Err(invalid(
                        "`retired.source` must be an http(s) URL".to_string(),
                    ));
                }
                Some(Retirement {
                    date,
                    note: r.note,
                    source: r.source,
                })
            }
        };
        let domains: Vec<String> = self
            .domains
            .iter()
            .map(|d| registrable_domain(&canonical_host(d)))
            .collect();
        Ok(Entry {
            matcher,
            vendor: self.vendor,
            category,
            purpose: Some(self.purpose),
            lifetime: Some(parse_expiry_text(&self.lifetime)),
            party,
            restrict_to_domains: !domains.is_empty(),
            domains,
            retired,
            reference: Some(self.source),
            source: ClassificationSource::Builtin,
        })
    }
}

fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_loads() {
        let kb = KnowledgeBase::builtin();
        assert!(kb.builtin_len() > 100, "{} entries", kb.builtin_len());
    }

    #[test]
    fn builtin_entries_follow_the_house_rules() {
        let kb = KnowledgeBase::builtin();
        for entry in &kb.builtin {
            let name = entry.matcher.display();
            let purpose = entry.purpose.as_deref().unwrap_or_default();
            assert!(
                purpose.ends_with('.') && purpose.chars().next().is_some_and(char::is_uppercase),
                "{name}: the purpose is one sentence"
            );
            if let Some(retired) = &entry.retired {
                let year = retired.date.format("%Y").to_string();
                let day_month = retired.date.format("%-d %B").to_string();
                assert!(
                    retired.note.contains(&year) && retired.note.contains(&day_month),
                    "{name}: the retirement note gives its date in words"
                );
            }
            if entry.restrict_to_domains {
                assert_ne!(
                    entry.party,
                    Some(Party::First),
                    "{name}: a cookie only on its vendor's domains is not first-party"
                );
            }
        }
        let retired: Vec<String> = kb
            .builtin
            .iter()
            .filter(|e| e.retired.is_some())
            .map(|e| e.matcher.display())
            .collect();
        for name in [
            "__cfduid",
            "_gat_UA-{id}",
            "_gat_gtag_UA_{id}",
            "__utma",
            "__utmz",
        ] {
            assert!(retired.iter().any(|r| r == name), "{name} is retired");
        }
        assert_eq!(
            kb.classify("__cfduid", "addtoany.com")
                .unwrap()
                .retired
                .unwrap()
                .date,
            NaiveDate::from_ymd_opt(2021, 5, 10).unwrap()
        );
    }

    const SMALL: &str = r#"
[[vendor]]
name = "Google Analytics"
aliases = ["GA4"]

[[vendor]]
name = "LinkedIn"

[[vendor]]
name = "X"

[[cookie]]
name = "_ga"
vendor = "Google Analytics"
category = "analytics"
purpose = "Tells visitors apart."
lifetime = "2 years"
party = "first"
source = "https://example.org/ga"

[[cookie]]
pattern = "_ga_{id}"
vendor = "Google Analytics"
category = "analytics"
purpose = "Keeps session state."
lifetime = "2 years"
party = "first"
source = "https://example.org/ga"

[[cookie]]
name = "lang"
vendor = "LinkedIn"
category = "functional"
purpose = "Language."
lifetime = "session"
party = "third"
domains = ["linkedin.com"]
source = "https://example.org/li"

[[cookie]]
name = "lang"
vendor = "X"
category = "functional"
purpose = "Language."
lifetime = "session"
party = "third"
domains = ["x.com", "twitter.com"]
source = "https://example.org/x"
"#;

    #[test]
    fn classify_by_name_family_and_domain() {
        let kb = KnowledgeBase::from_toml(SMALL, "small").unwrap();
        let ga = kb.classify("_ga", "barnet.gov.uk").unwrap();
        assert_eq!(ga.vendor, "Google Analytics");
        assert_eq!(ga.source, ClassificationSource::Builtin);
        assert_eq!(kb.classify("_ga_XYZ", "").unwrap().matched, "_ga_{id}");
        assert_eq!(
            kb.classify("lang", "www.linkedin.com").unwrap().vendor,
            "LinkedIn"
        );
        assert_eq!(kb.classify("lang", ".twitter.com").unwrap().vendor, "X");
        assert!(
            kb.classify("lang", "barnet.gov.uk").is_none(),
            "a generic name on someone else's domain is not the vendor's"
        );
        assert_eq!(
            kb.classify("_GA", "barnet.gov.uk").unwrap().vendor,
            "Google Analytics",
            "case-insensitive fallback"
        );
        assert_eq!(kb.vendor_named("ga4"), Some("Google Analytics"));
        assert_eq!(
            kb.vendor_named("google  analytics"),
            Some("Google Analytics")
        );
        assert_eq!(kb.vendor_named("Hotjar"), None);
    }

    #[test]
    fn invalid_entries_are_refused_with_their_name() {
        let bad = SMALL.replace("category = \"analytics\"", "category = \"stats\"");
        let err = KnowledgeBase::from_toml(&bad, "bad.toml").unwrap_err();
        assert!(
            err.to_string().contains("bad.toml: cookie entry \"_ga\""),
            "{err}"
        );
        let bad = SMALL.replace("source = \"https://example.org/ga\"", "source = \"\"");
        assert!(KnowledgeBase::from_toml(&bad, "bad.toml").is_err());
        let bad = SMALL.replace("name = \"_ga\"", "prefix = \"_g\"");
        let err = KnowledgeBase::from_toml(&bad, "bad.toml").unwrap_err();
        assert!(err.to_string().contains("at least 3"), "{err}");
        let bad = format!(
            "{SMALL}\n[[cookie]]\nname = \"_ga\"\nvendor = \"Google Analytics\"\ncategory = \"analytics\"\npurpose = \"x\"\nlifetime = \"1 year\"\nparty = \"first\"\nsource = \"https://e.org\"\n"
        );
        let err = KnowledgeBase::from_toml(&bad, "bad.toml").unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
        let err = KnowledgeBase::from_toml("[[cookie]]\nname = 3", "t.toml").unwrap_err();
        assert!(err.to_string().starts_with("t.toml: "), "{err}");
    }
}
