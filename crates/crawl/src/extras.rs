//! What the user adds to the requests to the site's own hosts: `--header` (a staging site's
//! password, a bypass token) and `--cookie` (a logged-in session). Parsed and checked once, before
//! the crawl; both engines send them, and only to the hosts in scope — a credential must never
//! reach a third party's server.

use cookie_audit_model::Scope;
use url::Url;

use crate::scope::CrawlScope;

/// Why a `--header` or `--cookie` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtraError {
    /// Not `NAME: VALUE`, or a name or value HTTP does not allow.
    #[error("--header {text:?}: {reason}")]
    Header {
        /// What was given, with its value left out.
        text: String,
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// Not `NAME=VALUE`, or a name or value a `Cookie` header cannot carry.
    #[error("--cookie {name:?}: {reason}")]
    Cookie {
        /// The cookie name as given.
        name: String,
        /// What is wrong, in words.
        reason: &'static str,
    },
}

/// A `--header`: checked to be a header HTTP allows. Its value never reaches a log (`Debug`
/// prints the name only).
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    /// The header name, as given.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
}

/// A `--cookie`: a name and value a `Cookie` header can carry. `Debug` prints the name only.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraCookie {
    /// The cookie name.
    pub name: String,
    /// Its value.
    pub value: String,
}

impl std::fmt::Debug for ExtraHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: <redacted>", self.name)
    }
}

impl std::fmt::Debug for ExtraCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}=<redacted>", self.name)
    }
}

/// Headers the crawl sets itself: giving them again would send two or contradict the scope.
const OWN_HEADERS: [(&str, &str); 3] = [
    ("host", "the host comes from the URL"),
    (
        "cookie",
        "use --cookie NAME=VALUE: it joins the cookies the site sets",
    ),
    ("content-length", "requests have no body"),
];

impl ExtraHeader {
    /// `NAME: VALUE`, as curl's `-H` takes it.
    pub fn parse(text: &str) -> Result<ExtraHeader, ExtraError> {
        let error = |reason| ExtraError::Header {
            text: text
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
                + ": …",
            reason,
        };
        let Some((name, value)) = text.split_once(':') else {
            return Err(error("expected NAME: VALUE"));
        };
        let name = name.trim();
        let value = value.trim();
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(error("not a valid header name"));
        }
        if let Some((_, why)) = OWN_HEADERS
            .iter()
            .find(|(own, _)| name.eq_ignore_ascii_case(own))
        {
            return Err(error(why));
        }
        if http::HeaderValue::from_str(value).is_err() {
            return Err(error("the value holds a character a header cannot carry"));
        }
        Ok(ExtraHeader {
            name: name.to_string(),
            value: value.to_string(),
        })
    }
}

impl ExtraCookie {
    /// `NAME=VALUE`, or several as a `Cookie` header writes them (`a=1; b=2`).
    pub fn parse(text: &str) -> Result<Vec<ExtraCookie>, ExtraError> {
        let mut cookies = Vec::new();
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (name.trim(), value.trim());
            let error = |reason| ExtraError::Cookie {
                name: name.to_string(),
                reason,
            };
            if !pair.contains('=') {
                return Err(error("expected NAME=VALUE"));
            }
            if name.is_empty() {
                return Err(error("the name is empty"));
            }
            let forbidden = |c: char| c.is_control() || matches!(c, ';' | ',') || c == ' ';
            if name.contains(forbidden) || name.contains('=') || value.contains(forbidden) {
                return Err(error(
                    "a cookie name or value cannot hold spaces, commas, semicolons or control characters",
                ));
            }
            cookies.push(ExtraCookie {
                name: name.to_string(),
                value: value.to_string(),
            });
        }
        if cookies.is_empty() {
            return Err(ExtraError::Cookie {
                name: String::new(),
                reason: "expected NAME=VALUE",
            });
        }
        Ok(cookies)
    }
}

/// Which URLs get the extras: the site's own hosts, by the crawl's scope rule from the start URL
/// (fixed at the start: a redirect to another domain does not widen who gets a credential).
#[derive(Debug, Clone)]
pub struct ExtrasScope {
    scope: CrawlScope,
}

impl ExtrasScope {
    /// The hosts `scope` counts as the site of `start`.
    pub fn new(scope: Scope, start: &Url) -> ExtrasScope {
        ExtrasScope {
            scope: CrawlScope::new(scope, start),
        }
    }

    /// Whether `url` is one of the site's own pages or resources.
    pub fn includes(&self, url: &Url) -> bool {
        self.scope.contains(url)
    }
}

/// The `Cookie` header a request to the site sends: the user's cookies first, then those the
/// site set (a site cookie of the same name is left out: the user's wins, as a logged-in
/// session must).
pub fn cookie_header(extra: &[ExtraCookie], jar: Option<&str>) -> Option<String> {
    if extra.is_empty() {
        return jar.map(str::to_string);
    }
    let mut pairs: Vec<String> = extra
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    for pair in jar.into_iter().flat_map(|j| j.split("; ")) {
        let name = pair.split('=').next().unwrap_or_default();
        if !extra.iter().any(|c| c.name == name) {
            pairs.push(pair.to_string());
        }
    }
    Some(pairs.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_like_curl_and_never_the_crawls_own() {
        let h = ExtraHeader::parse("Authorization: Basic dXNlcjpwYXNz").unwrap();
        assert_eq!(
            (h.name.as_str(), h.value.as_str()),
            ("Authorization", "Basic dXNlcjpwYXNz")
        );
        assert_eq!(format!("{h:?}"), "Authorization: <redacted>");
        let e = ExtraHeader::parse("Cookie: a=1").unwrap_err().to_string();
        assert!(e.contains("use --cookie"), "{e}");
        assert!(!e.contains("a=1"), "the value stays out of messages: {e}");
        assert!(ExtraHeader::parse("no colon").is_err());
        assert!(ExtraHeader::parse("Bad Name: x").is_err());
        assert!(ExtraHeader::parse("X-Ok: a\u{1}b").is_err());
    }

    #[test]
    fn cookies_one_or_several() {
        let c = ExtraCookie::parse("session=abc; theme=dark").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!((c[1].name.as_str(), c[1].value.as_str()), ("theme", "dark"));
        assert!(ExtraCookie::parse("novalue").is_err());
        assert!(ExtraCookie::parse("=x").is_err());
        assert!(ExtraCookie::parse("a=b c").is_err());
        assert_eq!(format!("{:?}", c[0]), "session=<redacted>");
    }

    #[test]
    fn the_users_cookie_wins_and_the_sites_others_stay() {
        let extra = ExtraCookie::parse("session=mine").unwrap();
        assert_eq!(
            cookie_header(&extra, Some("session=theirs; lang=en")).as_deref(),
            Some("session=mine; lang=en")
        );
        assert_eq!(cookie_header(&[], Some("a=1")).as_deref(), Some("a=1"));
        assert_eq!(cookie_header(&[], None), None);
    }

    #[test]
    fn only_the_sites_hosts_get_them() {
        let start = Url::parse("https://www.council.gov.uk/").unwrap();
        let scope = ExtrasScope::new(Scope::Registrable, &start);
        assert!(scope.includes(&Url::parse("https://forms.council.gov.uk/x").unwrap()));
        assert!(!scope.includes(&Url::parse("https://www.google-analytics.com/").unwrap()));
        let scope = ExtrasScope::new(Scope::Host, &start);
        assert!(!scope.includes(&Url::parse("https://forms.council.gov.uk/x").unwrap()));
    }
}
