//! Reading the loose text of cookie tables: host names in "Domain" and "Provider" cells, party
//! claims ("third party cookie"), category words ("Essential", "Performance").
//!
//! Every reader here is conservative: when text does not clearly say something, it says nothing,
//! because a wrong reading turns into a false finding in front of a web team.

use cookie_audit_model::domain::{canonical_host, has_known_suffix, is_public_suffix};
use cookie_audit_model::{CookieCategory, Party};

/// The first host name in `text` (".twitter.com", "www.google.com (3rd party)",
/// "https://www.siteimprove.com/privacy"), lower-cased without dots at either end.
///
/// A token counts only when it ends in a suffix the Public Suffix List knows and is not itself a
/// public suffix, so "e.g.", "Node.js" and "gov.uk" are not hosts. With `lowercase_only`, a token
/// written with capitals is not a host either: provider cells say "ASP.NET" for the framework,
/// while a provider given as a domain is written in lower case.
pub(crate) fn host_in(text: &str, lowercase_only: bool) -> Option<String> {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';' | '/' | '(' | ')' | '[' | ']' | '"' | '\'' | '|'
            )
    })
    .filter_map(|token| {
        let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '*'));
        if token.is_empty() || (lowercase_only && token.chars().any(|c| c.is_ascii_uppercase())) {
            return None;
        }
        let host = canonical_host(token);
        let host_like = host.contains('.')
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && host.split('.').all(|label| !label.is_empty());
        (host_like && has_known_suffix(&host) && !is_public_suffix(&host)).then_some(host)
    })
    .next()
}

/// Lower-cases and turns hyphens into spaces, so "Third-party" and "third party" read alike.
fn fold(text: &str) -> String {
    text.to_lowercase().replace(['-', '_'], " ")
}

/// Phrases that state the party in a short cell (Domain, Provider, Category, Type).
const THIRD_PARTY_CELL: &[&str] = &["third party", "3rd party"];
const FIRST_PARTY_CELL: &[&str] = &["first party", "1st party"];
/// In a purpose sentence only "… party cookie" counts: "we do not share data with third parties"
/// says nothing about who sets the cookie.
const THIRD_PARTY_SENTENCE: &[&str] = &["third party cookie", "3rd party cookie"];
const FIRST_PARTY_SENTENCE: &[&str] = &["first party cookie", "1st party cookie"];

/// The party a declaration claims in words, when it claims exactly one.
pub(crate) fn party_claim(cells: &[&str], sentences: &[&str]) -> Option<Party> {
    let mut third = false;
    let mut first = false;
    for cell in cells.iter().map(|t| fold(t)) {
        third |= THIRD_PARTY_CELL.iter().any(|p| cell.contains(p));
        first |= FIRST_PARTY_CELL.iter().any(|p| cell.contains(p));
    }
    for sentence in sentences.iter().map(|t| fold(t)) {
        third |= THIRD_PARTY_SENTENCE.iter().any(|p| sentence.contains(p));
        first |= FIRST_PARTY_SENTENCE.iter().any(|p| sentence.contains(p));
    }
    match (first, third) {
        (true, false) => Some(Party::First),
        (false, true) => Some(Party::Third),
        _ => None,
    }
}

/// The category a table's category cell names, when it names exactly one.
pub(crate) fn category_in(text: &str) -> Option<CookieCategory> {
    let folded = fold(text);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let joined = words.join(" ");
    let mut found: Option<CookieCategory> = None;
    // The model's one vocabulary (`CookieCategory::WORDS`, shared with the table reader). A
    // cell that names two categories ("Functional / Analytics") reads as neither.
    for category in CookieCategory::ALL {
        let hit = words
            .iter()
            .any(|w| CookieCategory::of_word(w) == Some(category))
            || CookieCategory::HEADING_PHRASES
                .iter()
                .any(|(c, phrase)| *c == category && joined.contains(phrase));
        // "Not necessary" is not a claim of necessity.
        let negated = category == CookieCategory::StrictlyNecessary
            && (joined.contains("not necessary")
                || joined.contains("not essential")
                || joined.contains("non essential"));
        if hit && !negated {
            match found {
                Some(other) if other != category => return None,
                _ => found = Some(category),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_in_table_cells() {
        assert_eq!(
            host_in(".twitter.com", false).as_deref(),
            Some("twitter.com")
        );
        assert_eq!(
            host_in("www.google.com (3rd party)", false).as_deref(),
            Some("www.google.com")
        );
        assert_eq!(
            host_in("https://www.siteimprove.com/privacy", false).as_deref(),
            Some("www.siteimprove.com")
        );
        assert_eq!(
            host_in("siteimprove.co.uk", true).as_deref(),
            Some("siteimprove.co.uk")
        );
        assert_eq!(
            host_in("Barnet.gov.uk", false).as_deref(),
            Some("barnet.gov.uk")
        );
        assert_eq!(host_in("Third party", false), None);
        assert_eq!(
            host_in("gov.uk", false),
            None,
            "a public suffix is not a host"
        );
        assert_eq!(host_in("e.g. Node.js", false), None);
        assert_eq!(
            host_in("ASP.NET", true),
            None,
            "capitals: a product, not a domain"
        );
        assert_eq!(host_in("", false), None);
    }

    #[test]
    fn party_claims() {
        assert_eq!(
            party_claim(&["cookiebot.com (3rd party)"], &[]),
            Some(Party::Third)
        );
        assert_eq!(party_claim(&["Third-party"], &[]), Some(Party::Third));
        assert_eq!(
            party_claim(
                &[],
                &["An essential third party cookie used to improve security."]
            ),
            Some(Party::Third)
        );
        assert_eq!(
            party_claim(&[], &["We never share this with third parties."]),
            None,
            "only '… party cookie' counts in a sentence"
        );
        assert_eq!(party_claim(&["first party", "third party"], &[]), None);
    }

    #[test]
    fn category_words() {
        assert_eq!(
            category_in("Strictly necessary"),
            Some(CookieCategory::StrictlyNecessary)
        );
        assert_eq!(
            category_in("Essential"),
            Some(CookieCategory::StrictlyNecessary)
        );
        assert_eq!(category_in("Performance"), Some(CookieCategory::Analytics));
        assert_eq!(category_in("Statistic"), Some(CookieCategory::Analytics));
        assert_eq!(
            category_in("Targeting cookies"),
            Some(CookieCategory::Marketing)
        );
        assert_eq!(category_in("Functional / Analytics"), None);
        assert_eq!(
            category_in("Cookies that make our website work"),
            Some(CookieCategory::StrictlyNecessary)
        );
        assert_eq!(
            category_in("Cookies that remember your settings"),
            Some(CookieCategory::Functional)
        );
        assert_eq!(
            category_in("Cookies that measure website use"),
            Some(CookieCategory::Analytics)
        );
        assert_eq!(category_in("Not necessary"), None);
        assert_eq!(category_in("Persistent"), None);
    }
}
