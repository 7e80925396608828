//! The sentences findings carry: one each, in words a web editor uses, naming the cookie, what
//! the table says, what the site does, and — where it helps — what to do.

use cookie_audit_model::expiry::describe_seconds;
use cookie_audit_model::{ClassificationSource, CookieCategory, Lifetime, ObservedCookie, Party};

use crate::entry::Entry;

/// A lifetime in words, as a table would print it: "Session", "2 years".
pub(crate) fn lifetime_words(lifetime: &Lifetime) -> String {
    match lifetime.seconds {
        Some(seconds) if !lifetime.session => describe_seconds(seconds),
        _ => "Session".to_string(),
    }
}

pub(crate) fn category_words(category: CookieCategory) -> &'static str {
    match category {
        CookieCategory::StrictlyNecessary => "strictly necessary",
        CookieCategory::Functional => "functional",
        CookieCategory::Analytics => "analytics",
        CookieCategory::Marketing => "marketing",
    }
}

/// "a" or "an" by sound for the words messages use: "a OneTrust", "a Unicode", "an X",
/// "an analytics".
fn article(word: &str) -> &'static str {
    let lower = word.to_lowercase();
    if ["one", "uni", "use", "eu"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return "a";
    }
    // A lone letter is read by its name: "an X cookie", "an F", but "a B".
    if lower.chars().count() == 1 {
        return if "aefhilmnorsx".contains(lower.as_str()) {
            "an"
        } else {
            "a"
        };
    }
    match lower.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// The name as a sentence can carry it: a malformed header may have none.
fn display_name(name: &str) -> &str {
    if name.trim().is_empty() {
        "A cookie without a name"
    } else {
        name
    }
}

/// "_ga (a Google Analytics analytics cookie)" or just "_ga".
pub(crate) fn describe_cookie(name: &str, entry: Option<&Entry>) -> String {
    let name = display_name(name);
    match entry {
        Some(entry) => format!(
            "{name} ({} {} {} cookie)",
            article(&entry.vendor),
            entry.vendor,
            category_words(entry.category)
        ),
        None => name.to_string(),
    }
}

/// "barnet.gov.uk" or "youtube.com, a third party,".
fn where_set(cookie: &ObservedCookie) -> String {
    match cookie.party {
        Party::First => cookie.domain.clone(),
        Party::Third => format!("{}, a third party,", cookie.domain),
    }
}

/// Extra clauses an undeclared finding may carry.
#[derive(Debug, Default)]
pub(crate) struct UndeclaredNotes {
    pub no_table: bool,
    /// The vendor the privacy page mentions in prose.
    pub vendor_mentioned: Option<String>,
    /// The privacy page mentions this very name in prose.
    pub name_mentioned: bool,
}

pub(crate) fn undeclared(
    cookie: &ObservedCookie,
    entry: Option<&Entry>,
    notes: &UndeclaredNotes,
) -> String {
    let mut message = format!(
        "{} is set on {} but {}",
        describe_cookie(&cookie.name, entry),
        where_set(cookie),
        if notes.no_table {
            "no cookie table on the site lists it"
        } else {
            "your cookie table does not list it"
        }
    );
    if let Some(vendor) = &notes.vendor_mentioned {
        message.push_str(&format!(
            "; your privacy page mentions {vendor} in its text, but not this cookie"
        ));
    } else if notes.name_mentioned {
        message.push_str(&format!(
            "; your privacy page mentions {} in its text, but not in a table",
            cookie.name
        ));
    }
    if let Some(rejection) = &cookie.rejected {
        message.push_str(&format!(
            "; browsers refuse to store it ({}), so fix the server or list it",
            rejection.message.trim_end_matches('.')
        ));
    }
    if let Some(retired) = entry.and_then(|e| e.retired.as_ref()) {
        message.push_str(&format!(
            "; note that {}",
            retired.note.trim_end_matches('.')
        ));
    }
    message.push('.');
    message
}

pub(crate) fn stale_not_observed(
    name: &str,
    domain: Option<&str>,
    pages: u32,
    suspicious: bool,
    deleted_only: bool,
) -> String {
    let pages = match pages {
        1 => "the 1 page crawled".to_string(),
        n => format!("any of the {n} pages crawled"),
    };
    let listed = match domain {
        Some(domain) => format!("{name} is listed in your cookie table for {domain}"),
        None => format!("{name} is listed in your cookie table"),
    };
    if suspicious {
        return format!(
            "{listed}, but that does not look like a cookie name and no cookie of that name was set on {pages}; write the cookie's exact name."
        );
    }
    if deleted_only {
        return format!(
            "{listed}, but on {pages} the site only deleted it, never set it; it may be set only after login, consent or interaction, so check whether it is still used."
        );
    }
    format!(
        "{listed} but was not set on {pages}; it may be set only after login, consent or interaction, so check whether it is still used."
    )
}

pub(crate) fn stale_retired(name: &str, note: &str) -> String {
    format!(
        "{name} is listed in your cookie table, but {}; remove the row.",
        note.trim_end_matches('.')
    )
}

pub(crate) fn name_case(declared: &str, observed: &str) -> String {
    format!(
        "Your cookie table lists {declared}, but the site sets {observed}; cookie names are case-sensitive, so correct the spelling."
    )
}

pub(crate) fn name_instance(declared: &str, observed: &str, family: &str) -> String {
    format!(
        "Your cookie table lists {declared}, but the site set {observed}: the same cookie, its number varying (by server or property). List it as {family} so the row fits every one."
    )
}

pub(crate) fn persistence_session_declared(name: &str, observed: &Lifetime) -> String {
    format!(
        "{name} is listed as a session cookie, but the site asks browsers to keep it for {}.",
        lifetime_words(observed)
    )
}

pub(crate) fn persistence_persistent_declared(name: &str, declared_text: &str) -> String {
    format!(
        "{name} is listed as persistent ({}), but the site sets it as a session cookie that is deleted when the browser closes.",
        declared_text.trim_end_matches('.')
    )
}

pub(crate) fn expiry_longer(name: &str, declared_text: &str, observed: &Lifetime) -> String {
    format!(
        "{name} is listed as lasting {}, but the site asks browsers to keep it for {}, far longer.",
        declared_text.trim_end_matches('.'),
        lifetime_words(observed)
    )
}

pub(crate) fn expiry_shorter(name: &str, declared_text: &str, observed: &Lifetime) -> String {
    format!(
        "{name} is listed as lasting {}, but the site asks browsers to keep it for only {}.",
        declared_text.trim_end_matches('.'),
        lifetime_words(observed)
    )
}

fn party_phrase(party: Party) -> &'static str {
    match party {
        Party::First => "your own site",
        Party::Third => "a third party",
    }
}

/// The site (registrable domain) of a third-party script that wrote the cookie, if the browser
/// engine saw one.
fn script_site(cookie: &ObservedCookie) -> Option<String> {
    use cookie_audit_model::EvidenceKind;
    use cookie_audit_model::domain::registrable_domain;
    cookie
        .evidence
        .iter()
        .filter(|e| e.kind == EvidenceKind::Script)
        .filter_map(|e| url::Url::parse(&e.url).ok())
        .filter_map(|u| u.host_str().map(registrable_domain))
        .find(|site| *site != registrable_domain(&cookie.domain))
}

/// The domain finding; names the party too when the party differs (the `nmstat` case).
pub(crate) fn domain(
    name: &str,
    declared_host: &str,
    declared_party: Party,
    cookie: &ObservedCookie,
) -> String {
    if declared_party == cookie.party {
        return format!(
            "{name} is listed under {declared_host}, but it is set on {}.",
            cookie.domain
        );
    }
    match cookie.party {
        // The browser engine saw which script wrote it: say so, it is what the editor can check.
        Party::First => match script_site(cookie) {
            Some(script) => format!(
                "{name} is listed under {declared_host}, {}, but a script from {script} sets it on your own domain {} (a first-party cookie).",
                party_phrase(declared_party),
                cookie.domain
            ),
            None => format!(
                "{name} is listed under {declared_host}, {}, but your own site sets it on {} (a first-party cookie).",
                party_phrase(declared_party),
                cookie.domain
            ),
        },
        Party::Third => format!(
            "{name} is listed under {declared_host}, {}, but a third party sets it on {} (a third-party cookie).",
            party_phrase(declared_party),
            cookie.domain
        ),
    }
}

pub(crate) fn party(name: &str, claimed: Party, cookie: &ObservedCookie) -> String {
    match cookie.party {
        Party::First => format!(
            "{name} is described as a {}-party cookie, but your own site sets it on {}.",
            claimed.as_str(),
            cookie.domain
        ),
        Party::Third => format!(
            "{name} is described as a {}-party cookie, but a third party sets it on {}.",
            claimed.as_str(),
            cookie.domain
        ),
    }
}

pub(crate) fn category(name: &str, declared_text: &str, entry: &Entry) -> String {
    let according = match entry.source {
        ClassificationSource::Builtin => String::new(),
        ClassificationSource::CookieDb => ", according to the loaded cookie database".to_string(),
    };
    let words = category_words(entry.category);
    format!(
        "{name} is listed as {}, but it is {} {words} cookie ({}{according}).",
        declared_text.trim_end_matches('.'),
        article(words),
        entry.vendor
    )
}
