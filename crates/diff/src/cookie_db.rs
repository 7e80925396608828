//! `--cookie-db FILE`: the Open Cookie Database CSV format.
//!
//! Columns are found by their header names, so a reordered export still loads. A row with
//! `Wildcard match` = 1 names a prefix; prefixes shorter than [`MIN_LITERAL_PREFIX`] are refused
//! (the database has rows like `_s` and `CT` that would claim unrelated cookies) and counted.
//! Rows whose name the built-in knowledge base already knows are kept but never win: they are
//! counted as shadowed.

use std::path::Path;

use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::{ClassificationSource, CookieCategory};

use crate::entry::{Entry, NameMatcher};
use crate::error::KbError;
use crate::family::MIN_LITERAL_PREFIX;
use crate::text::host_in;

/// What loading a cookie database did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CookieDbStats {
    /// Data rows read.
    pub rows: usize,
    /// Rows now in the knowledge base.
    pub loaded: usize,
    /// Prefix rows refused because the prefix is shorter than [`MIN_LITERAL_PREFIX`].
    pub refused_short_prefix: usize,
    /// Rows without a name or with a category we cannot map.
    pub skipped: usize,
    /// Loaded rows whose name a built-in entry also matches (the built-in entry wins).
    pub shadowed_by_builtin: usize,
}

const COL_NAME: &str = "Cookie / Data Key name";
const COL_PLATFORM: &str = "Platform";
const COL_CATEGORY: &str = "Category";
const COL_DOMAIN: &str = "Domain";
const COL_DESCRIPTION: &str = "Description";
const COL_RETENTION: &str = "Retention period";
const COL_PORTAL: &str = "User Privacy & GDPR Rights Portals";
const COL_WILDCARD: &str = "Wildcard match";

/// The database's categories in ours. "Security" cookies are strictly necessary under UK
/// guidance; "Personalization" is what UK tables call functional.
fn category(text: &str) -> Option<CookieCategory> {
    Some(match text.trim().to_ascii_lowercase().as_str() {
        "functional" | "personalization" | "personalisation" | "preferences" => {
            CookieCategory::Functional
        }
        "analytics" | "statistics" | "performance" => CookieCategory::Analytics,
        "marketing" | "advertising" => CookieCategory::Marketing,
        "necessary" | "strictly necessary" | "security" | "essential" => {
            CookieCategory::StrictlyNecessary
        }
        _ => return None,
    })
}

pub(crate) fn load(path: &Path, builtin: &[Entry]) -> Result<(Vec<Entry>, CookieDbStats), KbError> {
    let bytes = std::fs::read(path).map_err(|source| KbError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let csv_error = |line: u64, e: csv::Error| KbError::Csv {
        path: path.to_path_buf(),
        line,
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(|e| csv_error(1, e))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let required = |name: &str| {
        column(name).ok_or_else(|| KbError::MissingColumn {
            path: path.to_path_buf(),
            column: name.to_string(),
        })
    };
    let name_col = required(COL_NAME)?;
    let platform_col = required(COL_PLATFORM)?;
    let category_col = required(COL_CATEGORY)?;
    let wildcard_col = required(COL_WILDCARD)?;
    let domain_col = column(COL_DOMAIN);
    let description_col = column(COL_DESCRIPTION);
    let retention_col = column(COL_RETENTION);
    let portal_col = column(COL_PORTAL);

    let mut stats = CookieDbStats::default();
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            csv_error(line, e)
        })?;
        stats.rows += 1;
        let cell = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let (Some(name), Some(platform), Some(category)) = (
            cell(Some(name_col)),
            cell(Some(platform_col)),
            cell(Some(category_col)).and_then(category),
        ) else {
            stats.skipped += 1;
            continue;
        };
        let matcher = if cell(Some(wildcard_col)) == Some("1") {
            if name.chars().count() < MIN_LITERAL_PREFIX {
                stats.refused_short_prefix += 1;
                continue;
            }
            NameMatcher::Prefix(name.to_string())
        } else {
            NameMatcher::Exact(name.to_string())
        };
        if shadowed(builtin, &matcher) {
            stats.shadowed_by_builtin += 1;
        }
        let domains = cell(domain_col)
            .and_then(|d| host_in(d, false))
            .map(|h| vec![cookie_audit_model::domain::registrable_domain(&h)])
            .unwrap_or_default();
        entries.push(Entry {
            matcher,
            vendor: platform.to_string(),
            category,
            purpose: cell(description_col).map(str::to_string),
            lifetime: cell(retention_col).map(parse_expiry_text),
            party: None,
            // The database's domains are hints (it lists `_ga` under google-analytics.com, while
            // `_ga` is set on the site's own domain), so they rank candidates but never exclude.
            domains,
            restrict_to_domains: false,
            retired: None,
            reference: cell(portal_col)
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(str::to_string),
            source: ClassificationSource::CookieDb,
        });
        stats.loaded += 1;
    }
    Ok((entries, stats))
}

/// A built-in entry matches the same name (for a prefix row, the prefix itself).
fn shadowed(builtin: &[Entry], matcher: &NameMatcher) -> bool {
    let name = match matcher {
        NameMatcher::Exact(n) | NameMatcher::Prefix(n) => n.as_str(),
        NameMatcher::Family(_) => return false,
    };
    builtin.iter().any(|entry| match &entry.matcher {
        NameMatcher::Exact(exact) => exact == name,
        NameMatcher::Prefix(prefix) => name.starts_with(prefix.as_str()),
        NameMatcher::Family(pattern) => pattern.captures(name).is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::KnowledgeBase;

    fn write(contents: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cookie-audit-diff-{}-{}",
            std::process::id(),
            contents.len()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.csv");
        std::fs::write(&path, contents).unwrap();
        path
    }

    const HEADER: &str = "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\n";

    #[test]
    fn short_prefixes_are_refused_and_counted() {
        let path = write(&format!(
            "{HEADER}1,Foo,Marketing,_s,,x,1 year,Foo,,1\n2,Foo,Marketing,CX_,,x,1 year,Foo,,1\n3,Bar,Analytics,barid,bar.com,Counts,session,Bar,https://bar.example/privacy,0\n4,Baz,Unknowable,bazid,,x,,Baz,,0\n"
        ));
        let mut kb = KnowledgeBase::empty();
        let stats = kb.load_cookie_db(&path).unwrap();
        assert_eq!(stats.rows, 4);
        assert_eq!(stats.refused_short_prefix, 1);
        assert_eq!(stats.skipped, 1);
        assert_eq!(stats.loaded, 2);
        assert!(kb.classify("_session", "x.com").is_none());
        let cx = kb.classify("CX_1234", "x.com").unwrap();
        assert_eq!(cx.matched, "CX_*");
        assert_eq!(cx.source, ClassificationSource::CookieDb);
        let bar = kb.classify("barid", "").unwrap();
        assert_eq!(bar.category, CookieCategory::Analytics);
        assert_eq!(
            bar.reference.as_deref(),
            Some("https://bar.example/privacy")
        );
    }

    #[test]
    fn missing_columns_and_files_are_clear_errors() {
        let path = write("Name,Category\n_ga,Analytics\n");
        let err = KnowledgeBase::empty().load_cookie_db(&path).unwrap_err();
        assert!(err.to_string().contains("no column named"), "{err}");
        let err = KnowledgeBase::empty()
            .load_cookie_db(Path::new("/nonexistent/cookies.csv"))
            .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/cookies.csv"),
            "{err}"
        );
    }
}
