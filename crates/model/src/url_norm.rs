//! The one URL normaliser. Every URL that enters the frontier, the report or a dedupe set goes
//! through [`normalize`], so `HTTP://Example.org:80/a#top` and `http://example.org/a` are one page.

use thiserror::Error;
use url::Url;

/// Why a link was not followed. Not an error of the site: a link to `mailto:` is fine, we just do
/// not crawl it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkSkip {
    /// The link (or the typed start URL) was empty or only whitespace.
    #[error("link is empty")]
    Empty,
    /// Not http or https (`mailto:`, `javascript:`, `tel:`): nothing a crawl can fetch.
    #[error("`{scheme}:` links are not fetched")]
    Scheme {
        /// The scheme in lower case, without the colon.
        scheme: String,
    },
    /// A start URL typed with a scheme that is not a web address's: `htps://` (a typo of
    /// `https`, named in the message) or `ftp://`.
    #[error("{}", start_scheme_message(scheme, *meant))]
    StartScheme {
        /// The scheme as typed, in lower case, without the colon.
        scheme: String,
        /// The web scheme it is one or two keystrokes from (`https` for `htps`), if any.
        meant: Option<&'static str>,
    },
    /// Not a URL once joined with its base, or one without a host.
    #[error("link `{href}` is not a valid URL: {reason}")]
    Invalid {
        /// The link as written, cut to 200 bytes for the message.
        href: String,
        /// The URL parser's reason, or "no host".
        reason: String,
    },
}

/// Normalises a URL in place of identity: drops the fragment, and relies on `url` for the rest
/// (lower-case scheme and host, default port removed, dot segments resolved, IPv4 forms such as
/// `http://0x7f.1/` or `http://2130706433/` rewritten to dotted decimal).
pub fn normalize(mut url: Url) -> Url {
    url.set_fragment(None);
    // `http://host/?` and `http://host/` are the same resource for every server we know of.
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

/// Resolves an `href`/`src` found on `base` into a crawlable, normalised http(s) URL.
pub fn resolve_link(base: &Url, href: &str) -> Result<Url, LinkSkip> {
    // HTML strips leading/trailing ASCII whitespace from URL attributes, and browsers drop
    // embedded tabs and newlines (the `url` crate does too).
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
    if href.is_empty() {
        return Err(LinkSkip::Empty);
    }
    let joined = base.join(href).map_err(|e| LinkSkip::Invalid {
        href: truncate(href, 200),
        reason: e.to_string(),
    })?;
    match joined.scheme() {
        "http" | "https" => {}
        other => {
            return Err(LinkSkip::Scheme {
                scheme: other.to_string(),
            });
        }
    }
    if joined.host_str().is_none_or(str::is_empty) {
        return Err(LinkSkip::Invalid {
            href: truncate(href, 200),
            reason: "no host".into(),
        });
    }
    Ok(normalize(joined))
}

/// Parses what a user typed as a start URL: `barnet.gov.uk` means `https://barnet.gov.uk/`.
pub fn parse_start_url(input: &str) -> Result<Url, LinkSkip> {
    let input = input.trim();
    if input.is_empty() {
        return Err(LinkSkip::Empty);
    }
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| LinkSkip::Invalid {
        href: truncate(input, 200),
        reason: e.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(normalize(url)),
        "http" | "https" => Err(LinkSkip::Invalid {
            href: truncate(input, 200),
            reason: "no host".into(),
        }),
        other => Err(LinkSkip::StartScheme {
            scheme: other.to_string(),
            meant: web_scheme_near(other),
        }),
    }
}

/// `https` or `http` when `scheme` is a typo of one (`htps`, `htttp`, `hhtps`, `htpt`): one
/// letter missing, extra, wrong or swapped. Two edits would take `ftp` for `http`, and `ftp:` is
/// a scheme of its own, not a typo.
fn web_scheme_near(scheme: &str) -> Option<&'static str> {
    ["https", "http"]
        .into_iter()
        .map(|web| (strsim::damerau_levenshtein(scheme, web), web))
        .filter(|(distance, _)| *distance <= 1)
        .min()
        .map(|(_, web)| web)
}

fn start_scheme_message(scheme: &str, meant: Option<&str>) -> String {
    match meant {
        Some(web) => format!("`{scheme}:` is not a web address: did you mean `{web}://`?"),
        None => {
            format!("only http:// and https:// sites can be audited, not `{scheme}:` addresses")
        }
    }
}

/// The host of a URL as a string without IPv6 brackets (`[::1]` → `::1`).
pub fn host_of(url: &Url) -> String {
    match url.host() {
        Some(url::Host::Ipv6(addr)) => addr.to_string(),
        Some(host) => host.to_string(),
        None => String::new(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.barnet.gov.uk/council/index.html").unwrap()
    }

    #[test]
    fn normalises_case_port_fragment() {
        let url = resolve_link(&base(), "HTTPS://WWW.Barnet.GOV.uk:443/a/../b?x=1#frag").unwrap();
        assert_eq!(url.as_str(), "https://www.barnet.gov.uk/b?x=1");
        let url = resolve_link(&base(), "http://www.barnet.gov.uk:80/?").unwrap();
        assert_eq!(url.as_str(), "http://www.barnet.gov.uk/");
    }

    #[test]
    fn relative_links_resolve_against_the_page() {
        let url = resolve_link(&base(), " cookies ").unwrap();
        assert_eq!(url.as_str(), "https://www.barnet.gov.uk/council/cookies");
        let url = resolve_link(&base(), "//cdn.example.com/x.js").unwrap();
        assert_eq!(url.as_str(), "https://cdn.example.com/x.js");
    }

    #[test]
    fn non_http_schemes_are_skipped() {
        for href in [
            "mailto:a@b.c",
            "tel:+44123",
            "javascript:void(0)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "ftp://x/",
        ] {
            assert!(
                matches!(resolve_link(&base(), href), Err(LinkSkip::Scheme { .. })),
                "{href} should be skipped"
            );
        }
        assert_eq!(resolve_link(&base(), "  "), Err(LinkSkip::Empty));
    }

    #[test]
    fn numeric_ipv4_forms_are_canonicalised_by_the_parser() {
        for href in ["http://2130706433/", "http://0x7f.1/", "http://127.1/"] {
            let url = resolve_link(&base(), href).unwrap();
            assert_eq!(url.host_str(), Some("127.0.0.1"), "{href}");
        }
    }

    #[test]
    fn start_url_gets_https_by_default() {
        assert_eq!(
            parse_start_url("barnet.gov.uk").unwrap().as_str(),
            "https://barnet.gov.uk/"
        );
        assert!(parse_start_url("ftp://x/").is_err());
        assert!(parse_start_url("").is_err());
    }

    /// Issue 15: `htps://` said "`htps:` links are not fetched", as if the site had the link.
    #[test]
    fn a_mistyped_start_scheme_says_what_was_meant() {
        let typo = parse_start_url("htps://www.barnet.gov.uk/").unwrap_err();
        assert_eq!(
            typo.to_string(),
            "`htps:` is not a web address: did you mean `https://`?"
        );
        let typo = parse_start_url("htp://www.barnet.gov.uk/").unwrap_err();
        assert!(
            typo.to_string().contains("did you mean `http://`?"),
            "{typo}"
        );
        let other = parse_start_url("ftp://x/").unwrap_err().to_string();
        assert_eq!(
            other,
            "only http:// and https:// sites can be audited, not `ftp:` addresses"
        );
    }
}
