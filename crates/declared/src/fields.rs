//! Turning the values of one declaration (a table row, a heading's paragraphs, a list item)
//! into declared cookies: pairing several names with several values, cleaning each field, and
//! reading the expiry text through the one expiry parser.

use cookie_audit_model::expiry::{Expiry, parse_expiry_text};
use cookie_audit_model::{DeclaredCookie, DeclaredSource, DeclaredSourceKind};

use crate::headers::Role;
use crate::lexicon;
use crate::names::{NameCell, NameEntry};
use crate::text::{excerpt, is_blank_value, normalise_label, one_line, word_count};

/// The raw values of one declaration, by what they mean; lines separated by `\n`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Values {
    pub provider: Option<String>,
    pub domain: Option<String>,
    pub purpose: Option<String>,
    pub category: Option<String>,
    /// A duration or expiry ("2 years", "Persistent. 50 years.").
    pub expiry: Option<String>,
    /// A "Type" column that says Session/Persistent.
    pub persistence: Option<String>,
    /// A "Type" column that says HTTP Cookie/Local Storage.
    pub storage: Option<String>,
}

impl Values {
    /// A table without an expiry column may state the expiry in its description ("Expires
    /// after 2 years."): take that sentence, when it clearly speaks of expiry ("Barnet.gov
    /// session ID" does not).
    pub(crate) fn expiry_from_purpose(&mut self) {
        if self.expiry.is_none() && self.persistence.is_none() {
            self.expiry = self
                .purpose
                .as_deref()
                .and_then(|p| expiry_sentence(&one_line(p), true));
        }
    }

    /// Sets the field a role stands for; the first non-empty value wins.
    pub(crate) fn set(&mut self, role: Role, value: &str) {
        let slot = match role {
            Role::Provider | Role::Cookie => &mut self.provider,
            Role::Domain => &mut self.domain,
            Role::Purpose => &mut self.purpose,
            Role::Category => &mut self.category,
            Role::Expiry => &mut self.expiry,
            Role::Persistence => &mut self.persistence,
            Role::Storage => &mut self.storage,
            Role::Name | Role::Type | Role::Party => return,
        };
        if slot.is_none() && !is_blank_value(value) {
            *slot = Some(value.to_string());
        }
    }

    /// Fills what this row leaves empty from `other` (a table's context, a group row).
    pub(crate) fn or(mut self, other: &Values) -> Values {
        self.provider = self.provider.or_else(|| other.provider.clone());
        self.domain = self.domain.or_else(|| other.domain.clone());
        self.purpose = self.purpose.or_else(|| other.purpose.clone());
        self.category = self.category.or_else(|| other.category.clone());
        self.expiry = self.expiry.or_else(|| other.expiry.clone());
        self.persistence = self.persistence.or_else(|| other.persistence.clone());
        self.storage = self.storage.or_else(|| other.storage.clone());
        self
    }
}

/// Where a declaration was read.
#[derive(Debug, Clone)]
pub(crate) struct Origin<'a> {
    pub url: &'a str,
    pub table: u32,
    pub row: u32,
    pub shape: &'static str,
}

/// One declared cookie per name, each paired with its own value where the other cells list
/// values the same way the name cell lists names.
pub(crate) fn declare(
    names: &NameCell,
    values: &Values,
    origin: &Origin<'_>,
    out: &mut Vec<DeclaredCookie>,
    warnings: &mut Vec<String>,
) {
    let n = names.names.len();
    if n == 0 {
        return;
    }
    let field = |v: &Option<String>| -> Vec<Option<String>> {
        match v {
            None => vec![None; n],
            Some(text) => pair(text, names).into_iter().map(Some).collect::<Vec<_>>(),
        }
    };
    let provider = field(&values.provider);
    let domain = field(&values.domain);
    let purpose = field(&values.purpose);
    let category = field(&values.category);
    let expiry = field(&values.expiry);
    let persistence = field(&values.persistence);
    let storage = field(&values.storage);
    for (i, entry) in names.names.iter().enumerate() {
        if let Some(kind) = storage[i].as_deref()
            && lexicon::storage_kind(&normalise_label(kind)) == Some(false)
        {
            warnings.push(format!(
                "row {}: `{}` is declared as {}, not a cookie; left out",
                origin.row,
                entry.name,
                one_line(kind)
            ));
            continue;
        }
        out.push(cookie(
            entry,
            CookieFields {
                provider: clean_provider(provider[i].as_deref()),
                domain: clean(domain[i].as_deref()),
                purpose: clean(purpose[i].as_deref()),
                category: clean_category(category[i].as_deref()),
                expiry: make_expiry(expiry[i].as_deref(), persistence[i].as_deref()),
            },
            origin,
        ));
    }
}

struct CookieFields {
    provider: Option<String>,
    domain: Option<String>,
    purpose: Option<String>,
    category: Option<String>,
    expiry: Option<Expiry>,
}

fn cookie(entry: &NameEntry, f: CookieFields, origin: &Origin<'_>) -> DeclaredCookie {
    DeclaredCookie {
        name: entry.name.clone(),
        pattern: entry.glob.is_some(),
        glob: entry.glob.clone(),
        suspicious_name: entry.suspicious,
        provider: f.provider,
        domain: f.domain,
        purpose: f.purpose,
        category: f.category,
        expiry: f.expiry,
        source: DeclaredSource {
            url: origin.url.to_string(),
            table: origin.table,
            row: origin.row,
            shape: Some(origin.shape.to_string()),
            kind: DeclaredSourceKind::Page,
            cmp: None,
        },
    }
}

/// Splits `text` into one value per name when it lists values the way the name cell lists
/// names: one line per name, or one comma-separated item per name. Otherwise every name gets
/// the whole text.
fn pair(text: &str, names: &NameCell) -> Vec<String> {
    let n = names.names.len();
    if n > 1 {
        let lines: Vec<&str> = text
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() == n {
            return lines.into_iter().map(str::to_string).collect();
        }
        if names.lines > 1 && lines.len() == names.lines {
            return names
                .names
                .iter()
                .map(|e| lines[e.line].to_string())
                .collect();
        }
        if names.inline {
            let items: Vec<&str> = text
                .split([',', ';'])
                .flat_map(|part| part.split(" / "))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if items.len() == n && items.iter().all(|i| crate::text::word_count(i) <= 6) {
                return items.into_iter().map(str::to_string).collect();
            }
        }
    }
    vec![text.to_string(); n]
}

fn clean(value: Option<&str>) -> Option<String> {
    let value = one_line(value?);
    (!is_blank_value(&value)).then_some(value)
}

/// Consent platforms add links under the provider's name ("Learn more about this provider").
fn clean_provider(value: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = value?
        .split('\n')
        .filter(|line| {
            let l = line.to_lowercase();
            !(l.contains("learn more")
                || l.contains("privacy policy")
                || l.contains("opens in a new")
                || l.contains("opt out")
                || l.contains("opt-out"))
        })
        .collect();
    clean(Some(&kept.join("\n")))
}

/// "Necessary (4)" (Cookiebot's count) reads as "Necessary".
pub(crate) fn clean_category(value: Option<&str>) -> Option<String> {
    let value = clean(value)?;
    let trimmed = match value.rfind(" (") {
        Some(i)
            if value.ends_with(')')
                && value[i + 2..value.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_digit()) =>
        {
            value[..i].to_string()
        }
        _ => value,
    };
    let trimmed = trimmed.trim_end_matches(':').trim().to_string();
    (!trimmed.is_empty()).then_some(trimmed)
}

/// The expiry of a declaration: the duration column's text, with a separate Session/Persistent
/// column put in front ("Persistent. 2 years") so the one parser sees both.
pub(crate) fn make_expiry(expiry: Option<&str>, persistence: Option<&str>) -> Option<Expiry> {
    let expiry = clean(expiry);
    let persistence = clean(persistence);
    let text = match (persistence, expiry) {
        (None, None) => return None,
        (Some(p), None) => p,
        (None, Some(e)) => e,
        (Some(p), Some(e)) if p.eq_ignore_ascii_case(&e) => e,
        (Some(p), Some(e)) => {
            let p = p.trim_end_matches(['.', ',', ';', ':']);
            format!("{p}. {e}")
        }
    };
    Some(parse_expiry_text(&text))
}

/// The sentence of a description that states the expiry ("It expires after 2 years."). A
/// sentence that only says "session" in passing ("Keeps your session with our forms") is weaker
/// evidence than one that speaks of expiring, lasting or the browser closing.
pub(crate) fn expiry_sentence(text: &str, strong_only: bool) -> Option<String> {
    const STRONG: &[&str] = &[
        "expire",
        "expiry",
        "lasts",
        "last for",
        "deleted",
        "stored for",
        "kept for",
        "retained",
        "duration",
        "close your browser",
        "browser is closed",
        "session cookie",
        "persistent cookie",
        "is persistent",
        "end of your session",
        "end of the session",
    ];
    let mut best: Option<(u8, &str)> = None;
    // Each sentence, then its comma clauses: "Google Analytics, keeps the state of a session, 2
    // years" states its expiry in the last clause. The whole sentence goes first and wins a tie,
    // so "The first expires after 2 years, the second after 24 hours" stays whole for pairing.
    let candidates = text
        .split(". ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .flat_map(|sentence| {
            let clauses = sentence
                .contains(", ")
                .then(|| sentence.split(", ").map(str::trim));
            std::iter::once(sentence).chain(clauses.into_iter().flatten())
        });
    for sentence in candidates {
        // The cheap test first: most sentences of a description say nothing of expiry.
        let lower = sentence.to_lowercase();
        let strong = STRONG.iter().any(|c| lower.contains(c));
        if !strong && (strong_only || word_count(sentence) > 6) {
            continue;
        }
        let e = parse_expiry_text(sentence);
        // A stated lifetime outranks a passing "session" ("keeps the state of a session").
        let score = match (strong, e.seconds.is_some(), e.session.is_some()) {
            (true, _, true) => 3,
            (false, true, _) => 2,
            (false, false, true) => 1,
            _ => continue,
        };
        if best.is_some_and(|(b, _)| score <= b) {
            continue;
        }
        best = Some((score, sentence));
    }
    best.map(|(_, s)| s.trim_end_matches('.').to_string())
}

/// A warning naming the row, with an excerpt of what was dropped. The caller prefixes the
/// structure ("table 2: ").
pub(crate) fn dropped_warning(origin: &Origin<'_>, what: &str, text: &str) -> String {
    format!("row {}: {what} \"{}\"", origin.row, excerpt(text, 80))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::read_name_cell;

    fn origin() -> Origin<'static> {
        Origin {
            url: "https://example.gov.uk/cookies",
            table: 0,
            row: 0,
            shape: "table",
        }
    }

    #[test]
    fn pairs_per_position() {
        let names = read_name_cell("_gid, _gat_UA-, _ga");
        let values = Values {
            expiry: Some("1 Day, A few seconds, 730 Days".into()),
            domain: Some("aramco.com".into()),
            ..Values::default()
        };
        let mut out = Vec::new();
        declare(&names, &values, &origin(), &mut out, &mut Vec::new());
        let expiries: Vec<_> = out
            .iter()
            .map(|c| c.expiry.as_ref().unwrap().text.clone())
            .collect();
        assert_eq!(expiries, ["1 Day", "A few seconds", "730 Days"]);
        assert!(
            out.iter()
                .all(|c| c.domain.as_deref() == Some("aramco.com"))
        );
        assert_eq!(out[1].glob.as_deref(), Some("_gat_UA-*"));
    }

    #[test]
    fn purpose_is_not_split_on_commas() {
        let names = read_name_cell("_ga, _gid");
        let values = Values {
            purpose: Some("Counts visits, pages and time spent on the site".into()),
            ..Values::default()
        };
        let mut out = Vec::new();
        declare(&names, &values, &origin(), &mut out, &mut Vec::new());
        assert_eq!(out[0].purpose, out[1].purpose);
    }

    #[test]
    fn persistence_and_duration_combine() {
        let e = make_expiry(Some("2 years"), Some("Persistent")).unwrap();
        assert_eq!(e.text, "Persistent. 2 years");
        assert_eq!(e.session, Some(false));
        let e = make_expiry(None, Some("Non-persistent")).unwrap();
        assert_eq!(e.session, Some(true));
        assert!(make_expiry(Some(" "), None).is_none());
    }

    #[test]
    fn storage_that_is_not_a_cookie_is_left_out() {
        let names = read_name_cell("_hjSession");
        let values = Values {
            storage: Some("HTML Local Storage".into()),
            ..Values::default()
        };
        let (mut out, mut warnings) = (Vec::new(), Vec::new());
        declare(&names, &values, &origin(), &mut out, &mut warnings);
        assert!(out.is_empty());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn category_counts_dropped() {
        assert_eq!(
            clean_category(Some("Necessary (4) ")).as_deref(),
            Some("Necessary")
        );
        assert_eq!(
            clean_category(Some("Analytics cookies:")).as_deref(),
            Some("Analytics cookies")
        );
    }

    #[test]
    fn expiry_in_descriptions() {
        assert_eq!(
            expiry_sentence(
                "Used to distinguish users. It expires after 2 years.",
                false
            )
            .as_deref(),
            Some("It expires after 2 years")
        );
        assert_eq!(expiry_sentence("Used to distinguish users.", false), None);
        assert_eq!(
            expiry_sentence(
                "Keeps your session with our forms. It is deleted when you close your browser.",
                true
            )
            .as_deref(),
            Some("It is deleted when you close your browser")
        );
        assert_eq!(expiry_sentence("Barnet.gov session ID", true), None);
        // A stated lifetime in a clause outranks a passing "session" in another.
        assert_eq!(
            expiry_sentence(
                "Google Analytics, keeps the state of a session, 2 years",
                false
            )
            .as_deref(),
            Some("2 years")
        );
        // A strong sentence stays whole, so its parts can be paired with several names.
        assert_eq!(
            expiry_sentence(
                "The first expires after 2 years, the second after 24 hours.",
                false
            )
            .as_deref(),
            Some("The first expires after 2 years, the second after 24 hours")
        );
    }
}
