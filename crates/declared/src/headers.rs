//! The one header synonym table: what a column (or a "Label: value" line) is about.
//!
//! Every shape maps its labels through [`classify`] — table headers, `data-label` attributes,
//! flattened header paragraphs, "Purpose: …" lines — so a synonym added here is understood
//! everywhere. `docs/declared.md` prints the same table.

use std::sync::LazyLock;

use crate::lexicon;
use crate::text::normalise_label;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    /// The cookie's name.
    Name,
    /// "Cookie(s)": the name, unless a Name column exists, in which case the provider or group
    /// (Barking & Dagenham's `Cookie | Name | Purpose | Expiry period`).
    Cookie,
    Purpose,
    Expiry,
    /// "Type": persistence when its values read Session/Persistent, category when they read
    /// Necessary/Analytics/…, storage kind for "HTTP Cookie"/"Local Storage", party for
    /// "First party"/"Third party" (decided by [`resolve_type`]).
    Type,
    Domain,
    Provider,
    Category,
    /// First or third party.
    Party,
    /// What a `Type` column resolves to when its values read "Session"/"Persistent".
    Persistence,
    /// What a `Type` column resolves to when its values read "HTTP Cookie"/"Local Storage".
    Storage,
}

/// Exact synonyms, compared after [`normalise_label`] (lower case, punctuation dropped).
pub(crate) const SYNONYMS: &[(Role, &[&str])] = &[
    (
        Role::Name,
        &[
            "name",
            "names",
            "cookie name",
            "cookie names",
            "name of cookie",
            "name of the cookie",
            "cookie id",
            "cookie identifier",
            "identifier",
            "cookie key",
            "key",
            "cookie title",
            "cookie label",
        ],
    ),
    (
        Role::Cookie,
        &[
            "cookie",
            "cookies",
            "cookies set",
            "the cookie",
            "cookie set",
        ],
    ),
    (
        Role::Purpose,
        &[
            "purpose",
            "purposes",
            "description",
            "descriptions",
            "used for",
            "use",
            "uses",
            "usage",
            "what it does",
            "what they do",
            "what does it do",
            "what it is used for",
            "what is it used for",
            "what is it for",
            "what its for",
            "what it is for",
            "what we use it for",
            "what we use them for",
            "what the cookie does",
            "why",
            "why we use it",
            "why we use them",
            "why its used",
            "why it is used",
            "how we use it",
            "function",
            "functions",
            "purpose of cookie",
            "purpose of the cookie",
            "cookie purpose",
            "purpose description",
            "cookie description",
            "details",
            "information",
            "more information",
            "further information",
            "about",
            "reason",
            "comments",
            "notes",
            "explanation",
            "what is this cookie for",
            "use of cookie",
        ],
    ),
    (
        Role::Expiry,
        &[
            "expiry",
            "expires",
            "expire",
            "expiration",
            "expiration date",
            "expiry date",
            "expiry period",
            "expiry time",
            "expires after",
            "expiration time",
            "expiration period",
            "duration",
            "cookie duration",
            "lasts for",
            "how long",
            "how long it lasts",
            "how long it is stored",
            "how long is it stored",
            "how long does it last",
            "retention",
            "retention period",
            "persistence",
            "lifespan",
            "life span",
            "lifetime",
            "life time",
            "storage duration",
            "maximum storage duration",
            "storage period",
            "max age",
            "maximum age",
            "when does it expire",
            "when it expires",
            "session or persistent",
            "persistent or session",
            "session persistent",
            "persistent session",
            "session and persistent",
            "length",
            "period",
            "validity",
            "cookie expiry",
            "cookie lifespan",
            "cookie lifetime",
            "cookie retention",
            "time to live",
            "storage time",
            "kept for",
            "stored for",
            "how long it lasts for",
            "how long does it last for",
            "how long they last",
            "expires in",
            "expire in",
        ],
    ),
    (
        Role::Type,
        &[
            "type",
            "types",
            "cookie type",
            "type of cookie",
            "kind",
            "cookie kind",
        ],
    ),
    (
        Role::Domain,
        &[
            "domain",
            "domains",
            "host",
            "hosts",
            "host name",
            "hostname",
            "domain name",
            "cookie domain",
            "set on domain",
            "domain set",
            "cookie subgroup",
            "subgroup",
            "website",
            "site",
            "url",
        ],
    ),
    (
        Role::Provider,
        &[
            "provider",
            "providers",
            "set by",
            "set by service",
            "software",
            "third party",
            "third party provider",
            "third party service",
            "service",
            "services",
            "service provider",
            "vendor",
            "vendors",
            "source",
            "origin",
            "supplier",
            "company",
            "owner",
            "tool",
            "platform",
            "application",
            "system",
            "who sets it",
            "who sets this cookie",
            "placed by",
            "provided by",
            "cookie provider",
            "organisation",
            "organization",
            "product",
            "technology",
            "plugin",
            "name of provider",
            "provider name",
        ],
    ),
    (
        Role::Category,
        &[
            "category",
            "categories",
            "cookie category",
            "category of cookie",
            "classification",
            "group",
            "cookie group",
            "strictly necessary",
            "necessary",
            "essential",
            "is it necessary",
            "is it essential",
            "consent category",
        ],
    ),
    (
        Role::Party,
        &[
            "party",
            "first or third party",
            "first party or third party",
            "first third party",
            "1st or 3rd party",
            "1st 3rd party",
            "first party third party",
            "cookies used",
            "first or third party cookie",
        ],
    ),
];

/// The synonym table sorted for binary search, built once.
static SYNONYM_INDEX: LazyLock<Vec<(&'static str, Role)>> = LazyLock::new(|| {
    let mut index: Vec<(&'static str, Role)> = SYNONYMS
        .iter()
        .flat_map(|(role, words)| words.iter().map(move |w| (*w, *role)))
        .collect();
    index.sort_unstable_by_key(|(w, _)| *w);
    index
});

/// First words of the synonyms, sorted: most text is not a label, and looking its first word
/// up here costs no allocation.
static FIRST_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words: Vec<&'static str> = SYNONYMS
        .iter()
        .flat_map(|(_, words)| words.iter())
        .map(|w| w.split(' ').next().unwrap_or(w))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
});

/// Longest label worth normalising: every synonym is far shorter.
const MAX_LABEL_BYTES: usize = 48;

/// Whether the first word of `label` (ASCII, case-insensitive) starts some synonym.
fn first_word_known(label: &str) -> bool {
    let word = label
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    let mut buf = [0u8; 16];
    if word.is_empty() || word.len() > buf.len() || !word.is_ascii() {
        return false;
    }
    for (b, c) in buf.iter_mut().zip(word.bytes()) {
        *b = c.to_ascii_lowercase();
    }
    let Ok(lower) = std::str::from_utf8(&buf[..word.len()]) else {
        return false;
    };
    FIRST_WORDS.binary_search(&lower).is_ok()
}

/// Exact match against the synonym table.
pub(crate) fn classify_exact(label: &str) -> Option<Role> {
    if label.len() > MAX_LABEL_BYTES || !first_word_known(label) {
        return None;
    }
    let norm = normalise_label(label);
    if norm.is_empty() {
        return None;
    }
    SYNONYM_INDEX
        .binary_search_by_key(&norm.as_str(), |(w, _)| *w)
        .ok()
        .map(|i| SYNONYM_INDEX[i].1)
}

/// Exact match, then keywords for short headers the table does not list ("Name of cookie set",
/// "Expiry (from last visit)"). Only for header positions, never for running text.
pub(crate) fn classify(label: &str) -> Option<Role> {
    if let Some(role) = classify_exact(label) {
        return Some(role);
    }
    // A value such as `govuk_cookie_consent` or `_ga_4` holds keywords but is no label.
    if label.len() > 2 * MAX_LABEL_BYTES || label.contains(['_', '.']) {
        return None;
    }
    let norm = normalise_label(label);
    let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    let has = |w: &str| words.contains(&w);
    let has_prefix = |p: &str| words.iter().any(|w| w.starts_with(p));
    let phrase = |p: &str| format!(" {norm} ").contains(&format!(" {p} "));
    // Most specific first: "Cookie category" is a category, "Name of provider" a provider.
    if has_prefix("expir")
        || has("duration")
        || has("lifespan")
        || has("lifetime")
        || has("retention")
        || phrase("how long")
        || has_prefix("persist")
    {
        return Some(Role::Expiry);
    }
    if has("purpose") || has("purposes") || has("description") || phrase("used for") {
        return Some(Role::Purpose);
    }
    if has("domain") || has("domains") || has("host") || has("hosts") {
        return Some(Role::Domain);
    }
    if has("provider") || phrase("set by") || has("vendor") || has("supplier") || has("company") {
        return Some(Role::Provider);
    }
    if has("category") || has("categories") || has("classification") {
        return Some(Role::Category);
    }
    if has("party") {
        return Some(Role::Party);
    }
    if has("type") {
        return Some(Role::Type);
    }
    if has("name") || has("names") {
        return Some(Role::Name);
    }
    if has("cookie") || has("cookies") {
        return Some(Role::Cookie);
    }
    None
}

/// Decides what a "Type" column means from its values (NOTES: persistence when they read
/// Session/Persistent, category when they read Necessary/Analytics/…).
pub(crate) fn resolve_type<'a>(values: impl IntoIterator<Item = &'a str>) -> Role {
    let (mut persistence, mut category, mut storage, mut party) = (0, 0, 0, 0);
    for value in values {
        match classify_type_value(value) {
            Some(Role::Persistence) => persistence += 1,
            Some(Role::Category) => category += 1,
            Some(Role::Storage) => storage += 1,
            Some(Role::Party) => party += 1,
            _ => {}
        }
    }
    let best = [
        (persistence, Role::Persistence),
        (storage, Role::Storage),
        (party, Role::Party),
        (category, Role::Category),
    ]
    .into_iter()
    .max_by_key(|(n, _)| *n)
    .filter(|(n, _)| *n > 0);
    // Unrecognised values ("Other") read as a category: it is the more common use of "Type".
    best.map_or(Role::Category, |(_, role)| role)
}

pub(crate) fn classify_type_value(value: &str) -> Option<Role> {
    let norm = normalise_label(value);
    if norm.is_empty() {
        return None;
    }
    if lexicon::storage_kind(&norm).is_some() {
        return Some(Role::Storage);
    }
    if norm.contains("first party")
        || norm.contains("third party")
        || norm.contains("1st party")
        || norm.contains("3rd party")
    {
        // "Third party persistent" still says persistence first.
        if !norm.contains("session") && !norm.contains("persistent") {
            return Some(Role::Party);
        }
    }
    let expiry = cookie_audit_model::expiry::parse_expiry_text(value);
    if expiry.session.is_some() {
        return Some(Role::Persistence);
    }
    if lexicon::is_category(&norm) {
        return Some(Role::Category);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_from_the_issue() {
        for (label, role) in [
            ("Name", Role::Name),
            ("Cookie name", Role::Name),
            ("Cookie", Role::Cookie),
            ("Purpose", Role::Purpose),
            ("Description", Role::Purpose),
            ("Used for", Role::Purpose),
            ("What it does", Role::Purpose),
            ("Why", Role::Purpose),
            ("Expiry", Role::Expiry),
            ("Expires", Role::Expiry),
            ("Duration", Role::Expiry),
            ("Lasts for", Role::Expiry),
            ("Retention", Role::Expiry),
            ("Persistence", Role::Expiry),
            ("Expiry period", Role::Expiry),
            ("Maximum Storage Duration", Role::Expiry),
            ("Type", Role::Type),
            ("Domain", Role::Domain),
            ("Host", Role::Domain),
            ("Provider", Role::Provider),
            ("Set by", Role::Provider),
            ("Software", Role::Provider),
            ("Third party", Role::Provider),
            ("Service", Role::Provider),
            ("Category", Role::Category),
            ("Type of cookie", Role::Type),
            ("Strictly necessary?", Role::Category),
            ("Cookie Subgroup", Role::Domain),
            ("Cookies used", Role::Party),
            ("Lifespan", Role::Expiry),
        ] {
            assert_eq!(classify(label), Some(role), "{label}");
        }
    }

    #[test]
    fn every_synonym_is_normalised_and_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for (_, words) in SYNONYMS {
            for word in *words {
                assert_eq!(normalise_label(word), *word);
                assert!(word.len() <= MAX_LABEL_BYTES, "{word}");
                assert!(first_word_known(word), "{word}");
                assert!(seen.insert(*word), "{word} listed twice");
            }
        }
    }

    /// docs/declared.md prints the synonym table; it must say what the code does.
    #[test]
    fn documented_synonyms_are_the_real_ones() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/declared.md");
        let docs = std::fs::read_to_string(path).expect("docs/declared.md");
        for (role, words) in SYNONYMS {
            let row = words.join(", ");
            assert!(
                docs.lines()
                    .any(|l| l.starts_with('|') && l.contains(&format!("| {row} |"))),
                "docs/declared.md has no row listing the {role:?} synonyms: {row}"
            );
        }
    }

    #[test]
    fn keyword_fallback() {
        assert_eq!(classify("Name of cookie set"), Some(Role::Name));
        assert_eq!(classify("Expiry (from last visit)"), Some(Role::Expiry));
        assert_eq!(classify("Cookie category"), Some(Role::Category));
        assert_eq!(classify("Name of the provider"), Some(Role::Provider));
        assert_eq!(classify("Telephone"), None);
        assert_eq!(classify_exact("Name of cookie set"), None);
    }

    #[test]
    fn type_columns_resolve_by_value() {
        assert_eq!(
            resolve_type(["Session", "Persistent", "Non-persistent"]),
            Role::Persistence
        );
        assert_eq!(
            resolve_type(["Strictly necessary", "Analytics", "Analytics"]),
            Role::Category
        );
        assert_eq!(
            resolve_type(["HTTP Cookie", "HTML Local Storage"]),
            Role::Storage
        );
        assert_eq!(resolve_type(["First party", "Third party"]), Role::Party);
        assert_eq!(resolve_type(["Other"]), Role::Category);
    }
}
