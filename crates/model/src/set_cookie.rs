//! The one Set-Cookie parser: RFC 6265bis as Chromium applies it.
//!
//! Both engines and the diff interpret a `Set-Cookie` line only through [`interpret_set_cookie`],
//! so the HTTP engine, the browser engine and the report agree on what a site asked for and on
//! what a browser would refuse. Recording is done on the raw header, not on what a jar kept: a
//! rejected cookie is still a finding ("your server sets `Domain=gov.uk`, browsers drop it").
//!
//! Rules taken from Chromium (`net/cookies/parsed_cookie.cc`, `canonical_cookie.cc`):
//! - a line with a control character other than HTAB is refused entirely;
//! - `name=value` longer than 4096 bytes is refused; attribute values longer than 1024 bytes are
//!   ignored;
//! - a line without `=` is a nameless cookie whose value is the whole pair; empty name and value
//!   is "no cookie content"; a nameless cookie whose value holds `=` (`=a=b`) is not stored (read
//!   back it would look like a cookie named `a`);
//! - attribute names are case-insensitive; the last `Domain`, `Path`, `Expires`, `Max-Age`,
//!   `SameSite` wins, an empty one included: `Domain=odd.gov.uk; Domain=` sets a host cookie;
//! - the `Domain` value is read as a URL host (lower case, IDNA: a fullwidth `ｏdd.gov.uk` is
//!   `odd.gov.uk`); one that is no host name — a space, `/`, `:`, a percent escape — is refused;
//! - `Max-Age` beats `Expires`; `Expires` is taken relative to the response's `Date` header
//!   (Chromium corrects for server clock skew the same way); lifetimes above 400 days are capped
//!   by the browser, which we keep as a separate note, not as the site's request;
//! - `Domain` must domain-match the request host and must not be a public suffix (unless it is the
//!   host itself, then the cookie becomes host-only); IP hosts only accept their own address;
//! - `Secure` from an insecure origin is refused (`localhost` and loopback IPs count as secure);
//! - `__Secure-` needs `Secure`; `__Host-` needs `Secure`, no `Domain` and `Path=/` (prefixes
//!   are matched case-insensitively, and a nameless cookie may not fake one in its value);
//! - `SameSite=None` without `Secure` is refused; `Partitioned` without `Secure` is refused.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::cookie_date::parse_cookie_date;
use crate::domain::{canonical_host, domain_match, is_ip_literal, is_public_suffix};
use crate::expiry::SECONDS_PER_DAY;

/// Chromium refuses a cookie whose name plus value exceed this many bytes.
pub const MAX_NAME_VALUE_BYTES: usize = 4096;
/// Chromium ignores an attribute whose value exceeds this many bytes.
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;
/// Chromium caps every expiry at 400 days after creation (RFC 6265bis §5.5).
pub const BROWSER_MAX_LIFETIME_SECONDS: i64 = 400 * SECONDS_PER_DAY;

/// Where and when a `Set-Cookie` line arrived.
#[derive(Debug, Clone, Copy)]
pub struct SetCookieContext<'a> {
    /// The URL of the response that carried the header (a redirect hop's own URL).
    pub request_url: &'a Url,
    /// The response's `Date` header, when it had a valid one.
    pub server_date: Option<DateTime<Utc>>,
    /// When we received the response.
    pub received_at: DateTime<Utc>,
}

/// The `SameSite` attribute as Chromium reads it (any letter case); an unknown value counts as no
/// attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SameSite {
    /// Sent only on requests from the same site.
    Strict,
    /// Also sent on top-level navigations from other sites; what Chromium assumes when the
    /// attribute is absent.
    Lax,
    /// Sent on cross-site requests too; without `Secure` the cookie is refused.
    None,
}

/// How long a cookie asked to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lifetime {
    /// A session cookie: no `Max-Age` and no valid `Expires`.
    pub session: bool,
    /// What the site asked for, in seconds from receipt (`null` for session cookies). Zero or
    /// negative means the header deletes the cookie.
    pub seconds: Option<i64>,
    /// Set when a browser stores it for less than asked: Chromium caps lifetimes at 400 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_capped_seconds: Option<i64>,
}

impl Lifetime {
    /// A session cookie: no lifetime asked for, gone when the browser closes.
    pub const SESSION: Lifetime = Lifetime {
        session: true,
        seconds: None,
        browser_capped_seconds: None,
    };

    /// A persistent lifetime of `seconds` as asked, with the browser cap noted when it applies.
    pub fn persistent(seconds: i64) -> Lifetime {
        Lifetime {
            session: false,
            seconds: Some(seconds),
            browser_capped_seconds: (seconds > BROWSER_MAX_LIFETIME_SECONDS)
                .then_some(BROWSER_MAX_LIFETIME_SECONDS),
        }
    }

    /// True when the header removes the cookie rather than setting it.
    pub fn is_deletion(&self) -> bool {
        self.seconds.is_some_and(|s| s <= 0)
    }
}

/// Why a browser would not store a cookie. The names follow Chromium's
/// `CookieInclusionStatus` / DevTools `SetCookieBlockedReason` where one exists.
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
pub enum RejectReason {
    /// The line holds a control character (other than tab).
    DisallowedCharacter,
    /// Neither a name nor a value.
    NoCookieContent,
    /// Not a cookie a browser reads: a cookie without a name whose value holds `=` (read back,
    /// `=a=b` would look like a cookie named `a`).
    SyntaxError,
    /// Name plus value exceed 4096 bytes.
    NameValuePairExceedsMaxSize,
    /// The `Domain` attribute does not domain-match the host that set it.
    InvalidDomain,
    /// The `Domain` attribute is a public suffix such as `gov.uk`.
    PublicSuffixDomain,
    /// `Secure` set from an insecure (http) origin.
    SecureOnly,
    /// A `__Secure-` or `__Host-` name without what the prefix requires.
    InvalidPrefix,
    /// `SameSite=None` without `Secure`.
    SameSiteNoneInsecure,
    /// `Partitioned` without `Secure`.
    InvalidPartitioned,
    /// The browser blocked it for a reason of its own (third-party cookie settings, …); the
    /// browser's reason is in the message.
    BlockedByBrowser,
}

impl RejectReason {
    /// Reasons that mean the line itself is malformed, not just unacceptable from this origin.
    pub fn is_malformed(self) -> bool {
        matches!(
            self,
            RejectReason::DisallowedCharacter
                | RejectReason::NoCookieContent
                | RejectReason::SyntaxError
                | RejectReason::NameValuePairExceedsMaxSize
        )
    }

    /// The wire name (`invalid_domain`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::DisallowedCharacter => "disallowed_character",
            RejectReason::NoCookieContent => "no_cookie_content",
            RejectReason::SyntaxError => "syntax_error",
            RejectReason::NameValuePairExceedsMaxSize => "name_value_pair_exceeds_max_size",
            RejectReason::InvalidDomain => "invalid_domain",
            RejectReason::PublicSuffixDomain => "public_suffix_domain",
            RejectReason::SecureOnly => "secure_only",
            RejectReason::InvalidPrefix => "invalid_prefix",
            RejectReason::SameSiteNoneInsecure => "same_site_none_insecure",
            RejectReason::InvalidPartitioned => "invalid_partitioned",
            RejectReason::BlockedByBrowser => "blocked_by_browser",
        }
    }

    /// Maps a DevTools `SetCookieBlockedReason` onto ours, so both engines speak one language.
    pub fn from_devtools(reason: &str) -> RejectReason {
        match reason {
            "DisallowedCharacter" => RejectReason::DisallowedCharacter,
            "NoCookieContent" => RejectReason::NoCookieContent,
            "SyntaxError" => RejectReason::SyntaxError,
            "NameValuePairExceedsMaxSize" => RejectReason::NameValuePairExceedsMaxSize,
            "InvalidDomain" => RejectReason::InvalidDomain,
            "SecureOnly" => RejectReason::SecureOnly,
            "InvalidPrefix" => RejectReason::InvalidPrefix,
            "SameSiteNoneInsecure" => RejectReason::SameSiteNoneInsecure,
            _ => RejectReason::BlockedByBrowser,
        }
    }
}

/// A browser's refusal of a cookie, with a sentence a web editor understands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rejection {
    /// Which rule refused it, in Chromium's terms.
    pub reason: RejectReason,
    /// What was wrong, in one sentence; for `blocked_by_browser`, Chromium's own reasons.
    pub message: String,
}

/// One `Set-Cookie` line, interpreted as Chromium would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieRecord {
    /// The name, case kept; empty for a nameless cookie (a first pair without `=`).
    pub name: String,
    /// The value in clear: a secret, which the recorder turns into a
    /// [`CookieValue`](crate::redact::CookieValue) before anything is reported.
    pub value: String,
    /// The cookie's domain without a leading dot: the `Domain` attribute, or the host.
    pub domain: String,
    /// Sent only to the exact host that set it: no `Domain` attribute, or one naming the host
    /// itself when that host is a public suffix or an IP address.
    pub host_only: bool,
    /// The `Path` attribute when it starts with `/`, else the default path of the request URL.
    pub path: String,
    /// What the site asked for, with Chromium's 400-day cap noted apart.
    pub lifetime: Lifetime,
    /// The `Secure` attribute: sent over HTTPS only.
    pub secure: bool,
    /// The `HttpOnly` attribute: hidden from `document.cookie`.
    pub http_only: bool,
    /// `None` when the attribute is absent or has an unknown value (Chromium: unspecified, which
    /// it treats as `Lax`).
    pub same_site: Option<SameSite>,
    /// The `Partitioned` attribute (CHIPS): kept apart per top-level site.
    pub partitioned: bool,
    /// Set when a browser would refuse the line; the rest of the record is still what could be
    /// read, for the report.
    pub rejected: Option<Rejection>,
    /// Things a browser silently ignored (an unreadable `Expires`, an unknown `SameSite`).
    pub warnings: Vec<String>,
}

impl CookieRecord {
    /// The cookie's identity: (name, domain, path).
    pub fn key(&self) -> crate::report::CookieKey {
        crate::report::CookieKey::new(&self.name, &self.domain, &self.path)
    }
}

/// Interprets one `Set-Cookie` line. Never fails and never panics: a malformed line comes back
/// with `rejected` set and as much of the cookie as could be read.
pub fn interpret_set_cookie(raw: &str, ctx: &SetCookieContext<'_>) -> CookieRecord {
    let host = crate::url_norm::host_of(ctx.request_url);
    let mut record = CookieRecord {
        name: String::new(),
        value: String::new(),
        domain: canonical_host(&host),
        host_only: true,
        path: default_path(ctx.request_url),
        lifetime: Lifetime::SESSION,
        secure: false,
        http_only: false,
        same_site: None,
        partitioned: false,
        rejected: None,
        warnings: Vec::new(),
    };

    let mut pairs = raw.split(';');
    let first = pairs.next().unwrap_or("");
    let (name, value) = match first.find('=') {
        Some(eq) => (trim_ws(&first[..eq]), trim_ws(&first[eq + 1..])),
        // RFC 6265bis: a pair without '=' is a nameless cookie whose value is the whole pair.
        None => ("", trim_ws(first)),
    };
    record.name = name.to_string();
    record.value = value.to_string();

    // Attributes first, so a rejected cookie still reports its domain and flags.
    let attributes = read_attributes(pairs, &mut record);
    let domain_attr = attributes.domain.filter(|d| !d.is_empty());
    if let Some(domain) = &domain_attr {
        // Stray dots and all: trimmed for the report, refused by `check_domain`.
        record.domain = canonical_host(&cookie_domain(domain).unwrap_or_else(|| domain.clone()));
        record.host_only = false;
    }
    if let Some(path) = attributes.path.filter(|p| p.starts_with('/')) {
        record.path = path;
    }
    record.same_site = same_site(attributes.same_site.as_deref(), &mut record.warnings);
    record.lifetime = lifetime(
        attributes.max_age.as_deref(),
        attributes.expires.as_deref(),
        ctx,
        &mut record.warnings,
    );

    record.rejected = check_line(raw, name, value)
        .or_else(|| check_domain(&mut record, &host, domain_attr.as_deref()))
        .or_else(|| check_security(&record, ctx.request_url));
    record
}

/// The attributes whose last value counts, as written; the flags go straight into the record.
#[derive(Default)]
struct Attributes {
    domain: Option<String>,
    path: Option<String>,
    expires: Option<String>,
    max_age: Option<String>,
    same_site: Option<String>,
}

/// Reads the `; key=value` attributes after the name-value pair: flags set on `record`, an
/// unknown or oversized attribute a warning on it.
fn read_attributes<'a>(
    pairs: impl Iterator<Item = &'a str>,
    record: &mut CookieRecord,
) -> Attributes {
    let mut attributes = Attributes::default();
    for pair in pairs {
        let (key, val) = match pair.find('=') {
            Some(eq) => (trim_ws(&pair[..eq]), trim_ws(&pair[eq + 1..])),
            None => (trim_ws(pair), ""),
        };
        if key.is_empty() {
            continue;
        }
        if val.len() > MAX_ATTRIBUTE_VALUE_BYTES {
            record.warnings.push(format!(
                "attribute {key} ignored: its value is longer than {MAX_ATTRIBUTE_VALUE_BYTES} bytes"
            ));
            continue;
        }
        match key.to_ascii_lowercase().as_str() {
            // The last one wins even when empty (Chromium: then there is no Domain).
            "domain" => attributes.domain = Some(val.to_string()),
            "path" => attributes.path = Some(val.to_string()),
            "expires" => attributes.expires = Some(val.to_string()),
            "max-age" => attributes.max_age = Some(val.to_string()),
            "secure" => record.secure = true,
            "httponly" => record.http_only = true,
            "samesite" => attributes.same_site = Some(val.to_string()),
            "partitioned" => record.partitioned = true,
            "priority" | "sameparty" | "version" | "comment" => {}
            other => record.warnings.push(format!(
                "unknown attribute `{}` ignored",
                truncate_for_message(other)
            )),
        }
    }
    attributes
}

/// `SameSite` as browsers read it; an unknown value is a warning (and Lax in browsers).
fn same_site(value: Option<&str>, warnings: &mut Vec<String>) -> Option<SameSite> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("strict") => Some(SameSite::Strict),
        Some("lax") => Some(SameSite::Lax),
        Some("none") => Some(SameSite::None),
        Some(other) => {
            warnings.push(format!(
                "SameSite={} is not a known value; browsers treat the cookie as Lax",
                truncate_for_message(other)
            ));
            None
        }
    }
}

/// A `Domain` value as Chromium reads it: one leading dot dropped, the rest canonicalised as a URL
/// host (lower case, IDNA mapping and punycode, IPv4 forms as dotted decimal) by the `url` crate,
/// the WHATWG host parser. `None` when it is no host: a space, `/`, `:`, `?`, `#`. Chromium also
/// refuses percent escapes here, which the WHATWG parser would decode. Stray dots are kept, for
/// the caller to refuse.
fn cookie_domain(value: &str) -> Option<String> {
    let bare = value.strip_prefix('.').unwrap_or(value);
    if bare.contains('%') {
        return None;
    }
    match url::Host::parse(bare).ok()? {
        url::Host::Domain(domain) => Some(domain),
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn trim_ws(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

fn truncate_for_message(s: &str) -> String {
    let cleaned: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    cleaned
}

/// The default-path of RFC 6265 §5.1.4: the request path up to (not including) its last `/`.
fn default_path(url: &Url) -> String {
    let path = url.path();
    if !path.starts_with('/') {
        return "/".into();
    }
    match path.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].to_string(),
    }
}

fn lifetime(
    max_age: Option<&str>,
    expires: Option<&str>,
    ctx: &SetCookieContext<'_>,
    warnings: &mut Vec<String>,
) -> Lifetime {
    if let Some(max_age) = max_age {
        // Chromium reads Max-Age as a signed integer: "+60" is 60 (checked against Chromium in
        // the browser crate's agreement test).
        let digits = max_age
            .strip_prefix('-')
            .or_else(|| max_age.strip_prefix('+'))
            .unwrap_or(max_age);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            // Saturate absurd values rather than overflow: the browser cap applies anyway.
            let seconds = max_age
                .parse::<i64>()
                .unwrap_or(if max_age.starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                });
            return Lifetime::persistent(seconds.max(0));
        }
        warnings.push(format!(
            "Max-Age={} is not a number and is ignored",
            truncate_for_message(max_age)
        ));
    }
    if let Some(expires) = expires {
        match parse_cookie_date(expires) {
            Some(at) => {
                let reference = ctx.server_date.unwrap_or(ctx.received_at);
                let seconds = (at - reference).num_seconds();
                return Lifetime::persistent(seconds.max(0));
            }
            None => warnings.push(format!(
                "Expires={} is not a date browsers read; the cookie is a session cookie",
                truncate_for_message(expires)
            )),
        }
    }
    Lifetime::SESSION
}

/// Checks that make the whole line unusable.
fn check_line(raw: &str, name: &str, value: &str) -> Option<Rejection> {
    if let Some(c) = raw.chars().find(|c| c.is_ascii_control() && *c != '\t') {
        return Some(Rejection {
            reason: RejectReason::DisallowedCharacter,
            message: format!(
                "the header contains the control character U+{:04X}, so browsers ignore the whole line",
                c as u32
            ),
        });
    }
    // Around a name or a value a tab is whitespace (trimmed); inside one — the cookie's or an
    // attribute's — Chromium refuses the whole line, as for any other control character.
    let inner_tab = raw.split(';').any(|pair| {
        let (key, val) = pair.split_once('=').unwrap_or((pair, ""));
        trim_ws(key).contains('\t') || trim_ws(val).contains('\t')
    });
    if inner_tab {
        return Some(Rejection {
            reason: RejectReason::DisallowedCharacter,
            message:
                "a name or value in the header contains a tab, so browsers ignore the whole line"
                    .into(),
        });
    }
    if name.is_empty() && value.is_empty() {
        return Some(Rejection {
            reason: RejectReason::NoCookieContent,
            message: "the header has neither a cookie name nor a value".into(),
        });
    }
    if name.is_empty() && value.contains('=') {
        return Some(Rejection {
            reason: RejectReason::SyntaxError,
            message: "the cookie has no name but its value holds `=`, so browsers ignore the line (read back it would look like a cookie with a name)".into(),
        });
    }
    if name.len() + value.len() > MAX_NAME_VALUE_BYTES {
        return Some(Rejection {
            reason: RejectReason::NameValuePairExceedsMaxSize,
            message: format!(
                "name and value are {} bytes long; browsers refuse more than {MAX_NAME_VALUE_BYTES}",
                name.len() + value.len()
            ),
        });
    }
    None
}

fn check_domain(
    record: &mut CookieRecord,
    host: &str,
    domain_attr: Option<&str>,
) -> Option<Rejection> {
    let domain_attr = domain_attr?;
    let Some(domain) = cookie_domain(domain_attr) else {
        return Some(Rejection {
            reason: RejectReason::InvalidDomain,
            message: format!(
                "Domain={} is not a host name, so browsers refuse the cookie",
                truncate_for_message(domain_attr)
            ),
        });
    };
    // One leading dot is dropped; a second one, or a trailing dot, leaves a domain no host
    // ends with, and Chromium refuses the cookie.
    if domain.starts_with('.') || domain.ends_with('.') {
        return Some(Rejection {
            reason: RejectReason::InvalidDomain,
            message: format!(
                "Domain={} has a stray dot, so it matches no host and browsers refuse the cookie",
                truncate_for_message(domain_attr)
            ),
        });
    }
    let host = canonical_host(host);
    if is_ip_literal(&host) {
        let same = domain.parse::<IpAddr>().ok() == host.parse::<IpAddr>().ok();
        if same {
            record.domain = host;
            record.host_only = true;
            return None;
        }
        return Some(Rejection {
            reason: RejectReason::InvalidDomain,
            message: format!(
                "Domain={domain_attr} was set by the IP address {host}, which can only set cookies for itself"
            ),
        });
    }
    if is_public_suffix(&domain) {
        if domain == host {
            // A public-suffix host may set a cookie for itself: browsers make it host-only.
            record.host_only = true;
            return None;
        }
        return Some(Rejection {
            reason: RejectReason::PublicSuffixDomain,
            message: format!(
                "Domain={domain_attr} is a public suffix shared by unrelated sites, so browsers refuse the cookie"
            ),
        });
    }
    if !domain_match(&host, &domain) {
        return Some(Rejection {
            reason: RejectReason::InvalidDomain,
            message: format!(
                "{host} may not set a cookie for Domain={domain_attr}, which is not its own domain"
            ),
        });
    }
    None
}

/// Whether cookies from this URL count as coming from a secure origin. Chromium treats
/// `localhost` and loopback addresses as potentially trustworthy even over http.
fn is_secure_origin(url: &Url) -> bool {
    if url.scheme() == "https" || url.scheme() == "wss" {
        return true;
    }
    let host = crate::url_norm::host_of(url);
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_security(record: &CookieRecord, url: &Url) -> Option<Rejection> {
    let secure_origin = is_secure_origin(url);
    if record.secure && !secure_origin {
        return Some(Rejection {
            reason: RejectReason::SecureOnly,
            message:
                "the cookie is marked Secure but was set over plain http, so browsers refuse it"
                    .into(),
        });
    }
    // A nameless cookie may not smuggle a prefix in its value (RFC 6265bis §5.7 step 21).
    let prefixed = if record.name.is_empty() {
        &record.value
    } else {
        &record.name
    };
    let secure_prefix = starts_with_ignore_case(prefixed, "__secure-");
    let host_prefix = starts_with_ignore_case(prefixed, "__host-");
    if record.name.is_empty() && (secure_prefix || host_prefix) {
        return Some(Rejection {
            reason: RejectReason::InvalidPrefix,
            message: "a cookie without a name may not start its value with __Secure- or __Host-"
                .into(),
        });
    }
    if secure_prefix && !(record.secure && secure_origin) {
        return Some(Rejection {
            reason: RejectReason::InvalidPrefix,
            message: "a __Secure- cookie must be set with the Secure attribute over https".into(),
        });
    }
    if host_prefix && !(record.secure && secure_origin && record.host_only && record.path == "/") {
        return Some(Rejection {
            reason: RejectReason::InvalidPrefix,
            message: "a __Host- cookie must be Secure, set over https, without a Domain attribute and with Path=/".into(),
        });
    }
    if record.same_site == Some(SameSite::None) && !record.secure {
        return Some(Rejection {
            reason: RejectReason::SameSiteNoneInsecure,
            message: "SameSite=None cookies must also be Secure; browsers refuse this one".into(),
        });
    }
    if record.partitioned && !record.secure {
        return Some(Rejection {
            reason: RejectReason::InvalidPartitioned,
            message: "Partitioned cookies must also be Secure; browsers refuse this one".into(),
        });
    }
    None
}

#[cfg(test)]
mod tests;
