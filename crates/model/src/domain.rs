//! Registrable domains and first/third party, by the Public Suffix List.
//!
//! Why not "the last two labels": `gov.uk` is a public suffix, so `barnet.gov.uk` and
//! `lbbd.gov.uk` are different sites, while `www.barnet.gov.uk` and `forms.barnet.gov.uk` are the
//! same site. The list is compiled in (`data/public_suffix_list.dat`) and never fetched at run
//! time, so a scan's verdicts do not depend on the network or the day.
//!
//! The same parsed list feeds the crawler's cookie jar ([`public_suffix_list`]) so the jar and the
//! party check can never disagree about what a public suffix is. We use the `publicsuffix` crate
//! rather than `psl` because `psl` compiles the list into code, and `cookie_store` can only take a
//! `publicsuffix::List`.

use std::net::IpAddr;
use std::sync::OnceLock;

use psl_types::List as _;
use publicsuffix::List;
use serde::{Deserialize, Serialize};

const PUBLIC_SUFFIX_DATA: &str = include_str!("../data/public_suffix_list.dat");

/// The compiled-in Public Suffix List, parsed once.
pub fn public_suffix_list() -> &'static List {
    static LIST: OnceLock<List> = OnceLock::new();
    LIST.get_or_init(|| {
        PUBLIC_SUFFIX_DATA
            .parse()
            .expect("the bundled public suffix list parses (checked by a unit test)")
    })
}

/// Lower-cases a host and strips a leading dot (cookie domains) and a trailing dot (FQDNs).
pub fn canonical_host(host: &str) -> String {
    let host = host.trim().trim_start_matches('.').trim_end_matches('.');
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.to_ascii_lowercase()
}

/// True when `host` is an IP address literal (v4, or v6 with or without brackets).
pub fn is_ip_literal(host: &str) -> bool {
    canonical_host(host).parse::<IpAddr>().is_ok()
}

/// True when `host` is itself a public suffix (`gov.uk`, `com`, `github.io`).
///
/// A host that is not under any listed suffix falls under the list's default rule `*`, so a
/// single-label host (`localhost`, `test`) counts as a suffix: browsers refuse
/// `Domain=test` as they refuse `Domain=com`.
pub fn is_public_suffix(host: &str) -> bool {
    let host = canonical_host(host);
    if host.is_empty() || is_ip_literal(&host) {
        return false;
    }
    match public_suffix_list().suffix(host.as_bytes()) {
        Some(suffix) => suffix.as_bytes() == host.as_bytes(),
        None => false,
    }
}

/// True when `host` ends in a suffix the Public Suffix List actually lists (`.uk`, `.com`), not
/// one that only the list's default rule `*` covers (`node.js`, `e.g`): how text that merely looks
/// like a host name is told from a real one.
pub fn has_known_suffix(host: &str) -> bool {
    let host = canonical_host(host);
    if host.is_empty() || is_ip_literal(&host) {
        return false;
    }
    public_suffix_list()
        .suffix(host.as_bytes())
        .is_some_and(|suffix| suffix.is_known())
}

/// The registrable domain ("eTLD+1") of a host: `www.barnet.gov.uk` → `barnet.gov.uk`.
///
/// IP addresses and hosts that are themselves a public suffix (or single labels such as
/// `localhost`) have no registrable domain; they stand for themselves, so the host is returned.
pub fn registrable_domain(host: &str) -> String {
    let host = canonical_host(host);
    if host.is_empty() || is_ip_literal(&host) {
        return host;
    }
    match public_suffix_list().domain(host.as_bytes()) {
        Some(domain) => String::from_utf8_lossy(domain.as_bytes()).into_owned(),
        None => host,
    }
}

/// Whether two hosts belong to the same site (same registrable domain).
pub fn same_site(a: &str, b: &str) -> bool {
    registrable_domain(a) == registrable_domain(b)
}

/// First party: the cookie's domain belongs to the audited site's registrable domain.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// Set on the audited site's own registrable domain (`barnet.gov.uk` or any host under it).
    First,
    /// Set on another registrable domain: a vendor such as `youtube.com`, even when the site embeds
    /// it.
    Third,
}

impl Party {
    /// The party of a cookie whose domain is `cookie_domain`, seen while auditing `site_host`.
    pub fn of(cookie_domain: &str, site_host: &str) -> Party {
        if same_site(cookie_domain, site_host) {
            Party::First
        } else {
            Party::Third
        }
    }

    /// The wire name (`first`, `third`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::First => "first",
            Party::Third => "third",
        }
    }
}

/// RFC 6265 domain-match: `host` is `domain` or a subdomain of it. IP literals match only exactly.
pub fn domain_match(host: &str, domain: &str) -> bool {
    let host = canonical_host(host);
    let domain = canonical_host(domain);
    if host == domain {
        return true;
    }
    if is_ip_literal(&host) {
        return false;
    }
    host.len() > domain.len()
        && host.ends_with(&domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_list_parses_and_knows_gov_uk() {
        assert!(is_public_suffix("gov.uk"));
        assert!(is_public_suffix("co.uk"));
        assert!(
            is_public_suffix("github.io"),
            "private-section suffixes count too"
        );
        assert!(!is_public_suffix("barnet.gov.uk"));
    }

    #[test]
    fn registrable_domain_uses_the_list_not_two_labels() {
        assert_eq!(registrable_domain("www.barnet.gov.uk"), "barnet.gov.uk");
        assert_eq!(registrable_domain("Forms.Barnet.GOV.UK."), "barnet.gov.uk");
        assert_eq!(
            registrable_domain(".google-analytics.com"),
            "google-analytics.com"
        );
        assert_eq!(
            registrable_domain("a.b.siteimproveanalytics.io"),
            "siteimproveanalytics.io"
        );
        assert_eq!(registrable_domain("127.0.0.1"), "127.0.0.1");
        assert_eq!(registrable_domain("[::1]"), "::1");
        assert_eq!(registrable_domain("localhost"), "localhost");
        assert_eq!(registrable_domain("www.council.test"), "council.test");
    }

    #[test]
    fn known_suffixes_only() {
        assert!(has_known_suffix("siteimprove.co.uk"));
        assert!(has_known_suffix(".twitter.com"));
        assert!(!has_known_suffix("node.js"));
        assert!(!has_known_suffix("127.0.0.1"));
        assert!(!has_known_suffix(""));
    }

    #[test]
    fn party_by_registrable_domain() {
        assert_eq!(
            Party::of(".barnet.gov.uk", "www.barnet.gov.uk"),
            Party::First
        );
        assert_eq!(Party::of("lbbd.gov.uk", "www.barnet.gov.uk"), Party::Third);
        assert_eq!(Party::of(".youtube.com", "www.barnet.gov.uk"), Party::Third);
        assert_eq!(Party::of("127.0.0.1", "127.0.0.1"), Party::First);
        assert_eq!(Party::of("127.0.0.2", "127.0.0.1"), Party::Third);
    }

    #[test]
    fn domain_match_follows_rfc6265() {
        assert!(domain_match("www.barnet.gov.uk", "barnet.gov.uk"));
        assert!(domain_match("barnet.gov.uk", ".barnet.gov.uk"));
        assert!(!domain_match("evilbarnet.gov.uk", "barnet.gov.uk"));
        assert!(!domain_match("barnet.gov.uk", "www.barnet.gov.uk"));
        assert!(domain_match("127.0.0.1", "127.0.0.1"));
        assert!(!domain_match("127.0.0.1", "0.0.1"));
    }
}
