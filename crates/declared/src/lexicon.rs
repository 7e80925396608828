//! The small word lists the extractor relies on: cookie categories, storage kinds, the vendors
//! whose names in prose become `prose_mentions`, and a few cookie names distinctive enough to
//! recognise in running text. Each list is documented in `docs/declared.md`; keep them short and
//! about UK public-sector sites — the diff engine's knowledge base, not this, knows what a
//! cookie does. The category words are the model's (`CookieCategory::WORDS`), shared with the
//! diff.

use cookie_audit_model::CookieCategory;

/// A category word of the model's one vocabulary (`CookieCategory::WORDS` and
/// `UNSPECIFIC_WORDS`) or one of GOV.UK's category phrases (`CookieCategory::HEADING_PHRASES`:
/// whole phrases, since "settings" alone would take the consent form's "Change your cookie
/// settings" for a category), and nothing that reads like a sentence (at most eight words:
/// "Necessary cookies in use on our website" is a title).
/// `norm` is [`crate::text::normalise_label`] output.
pub(crate) fn is_category(norm: &str) -> bool {
    let words: Vec<&str> = norm.split(' ').collect();
    words.len() <= 8
        && (words.iter().any(|w| {
            CookieCategory::of_word(w).is_some() || CookieCategory::UNSPECIFIC_WORDS.contains(w)
        }) || CookieCategory::HEADING_PHRASES
            .iter()
            .any(|(_, phrase)| norm.contains(phrase)))
}

/// What a Cookiebot-style "Type" value says about storage: `Some(true)` for an HTTP cookie or a
/// tracking pixel (Cookiebot's `collect`, `__utm.gif`: declared trackers, kept so the report
/// shows them), `Some(false)` for browser storage that is not a cookie at all (local storage,
/// IndexedDB), which the cookie audit must not treat as a declared cookie.
pub(crate) fn storage_kind(norm: &str) -> Option<bool> {
    match norm {
        "http cookie" | "http" | "cookie" | "http cookies" | "browser cookie" => Some(true),
        _ if norm.contains("pixel") || norm.contains("web beacon") => Some(true),
        _ if norm.contains("local storage")
            || norm.contains("localstorage")
            || norm.contains("session storage")
            || norm.contains("sessionstorage")
            || norm.contains("indexeddb")
            || norm.contains("indexed db")
            || norm.contains("html storage")
            || norm == "html" =>
        {
            Some(false)
        }
        _ => None,
    }
}

/// Vendors a council privacy page may name in prose. One entry per vendor: the spellings that
/// identify it, lower case, words separated by single spaces. The first spelling is the vendor's
/// canonical form (used to merge "YouTube" and "Youtube"); mentions keep the page's own
/// spelling.
pub(crate) const VENDORS: &[&[&str]] = &[
    &["google analytics", "universal analytics", "ga4"],
    &["google tag manager"],
    &["google ads", "google adwords", "google adsense"],
    &["doubleclick", "double click"],
    &["google maps"],
    &["google translate"],
    &["recaptcha", "google recaptcha"],
    &["youtube"],
    &["vimeo"],
    &["siteimprove"],
    &["hotjar"],
    &["microsoft clarity"],
    &["facebook", "meta pixel"],
    &["instagram"],
    &["twitter"],
    &["linkedin"],
    &["pinterest"],
    &["tiktok"],
    &["addtoany", "add to any"],
    &["sharethis"],
    &["addthis"],
    &["cloudflare"],
    &["incapsula", "imperva"],
    &["akamai"],
    &["civic cookie control", "cookie control"],
    &["cookiebot"],
    &["onetrust"],
    &["jadu"],
    &["goss"],
    &["granicus", "govdelivery"],
    &["firmstep"],
    &["modern gov", "moderngov"],
    &["idox"],
    &["civica"],
    &["icasework"],
    &["readspeaker"],
    &["recite me"],
    &["browsealoud"],
    &["tableau"],
    &["new relic"],
    &["adobe analytics"],
    &["matomo", "piwik"],
    &["crazy egg", "crazyegg"],
    &["mailchimp"],
    &["eventbrite"],
    &["issuu"],
    &["flickr"],
    &["soundcloud"],
    &["hubspot"],
    &["zendesk"],
    &["surveymonkey", "survey monkey"],
    &["smartsurvey", "smart survey"],
    &["qualtrics"],
    &["page tiger", "pagetiger"],
    &["pay360"],
    &["microsoft dynamics"],
    &["gov uk pay", "govuk pay"],
    &["bing"],
];

/// Cookie names distinctive enough to count as a mention when they appear in prose without any
/// other sign of being a name (no underscore, no code markup). Case-sensitive.
pub(crate) const KNOWN_NAMES: &[&str] = &[
    "PHPSESSID",
    "JSESSIONID",
    "ASPSESSIONID",
    "CFID",
    "CFTOKEN",
    "ARRAffinity",
    "ARRAffinitySameSite",
    "AWSALB",
    "AWSALBCORS",
    "AWSELB",
    "nmstat",
    "siteimproveses",
    "CookieControl",
    "CookieConsent",
    "OptanonConsent",
    "OptanonAlertBoxClosed",
    "NID",
    "YSC",
    "DSID",
    "HSID",
    "SSID",
    "APISID",
    "SAPISID",
    "SIDCC",
];

/// Acronyms privacy pages spell in capitals, which look like cookie names (`NID`, `SID`) but
/// never are one: a list item "GDPR – the General Data Protection Regulation" is not a
/// declaration.
const NOT_COOKIES: &[&str] = &[
    "API", "CCTV", "CSS", "DPA", "DPO", "DWP", "EEA", "EU", "FAQ", "FOI", "GDPR", "HMRC", "HTML",
    "HTTP", "HTTPS", "ICO", "IP", "JS", "NHS", "PDF", "PECR", "SAR", "SMS", "UK", "URL", "USA",
    "VAT", "WCAG",
];

pub(crate) fn is_not_a_cookie(name: &str) -> bool {
    NOT_COOKIES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        assert!(is_category("strictly necessary cookies"));
        assert!(is_category("analytics"));
        assert!(!is_category("google"));
        assert!(is_category("cookies that make our website work"));
        assert!(is_category("cookies that remember your settings"));
        assert!(!is_category("change your cookie settings"));
        assert!(!is_category(
            "these cookies are necessary for the website to work and cannot be switched off"
        ));
    }

    #[test]
    fn storage() {
        assert_eq!(storage_kind("http cookie"), Some(true));
        assert_eq!(storage_kind("html local storage"), Some(false));
        assert_eq!(storage_kind("pixel tracker"), Some(true));
        assert_eq!(storage_kind("analytics"), None);
    }

    /// docs/declared.md lists the vendor lexicon.
    #[test]
    fn documented_vendors_are_the_real_ones() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/declared.md");
        let docs =
            crate::text::normalise_label(&std::fs::read_to_string(path).expect("docs/declared.md"));
        for spellings in VENDORS {
            assert!(
                docs.contains(spellings[0]),
                "docs/declared.md does not name {}",
                spellings[0]
            );
        }
    }

    #[test]
    fn vendor_spellings_are_normalised() {
        for spellings in VENDORS {
            for s in *spellings {
                assert_eq!(crate::text::normalise_label(s), *s);
            }
        }
    }
}
