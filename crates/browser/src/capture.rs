//! From the raw DevTools events of one page visit to recorded cookies.
//!
//! Three sources, merged by (name, domain, path) in the recorder:
//! 1. `Network.responseReceivedExtraInfo`: the raw `Set-Cookie` headers of every response —
//!    redirect hops included — and the cookies Chromium blocked, with its reasons;
//! 2. the `document.cookie` hook (`hook.js`): every JavaScript write with the script that made it;
//! 3. the final jar (`Storage.getCookies`), for cookies neither of the above saw.
//!
//! Events are decoded here from raw JSON, so nothing chromiumoxide's generated types cannot read
//! is lost: the typed decode is tried first, and a failure falls back to reading the JSON by hand.

use std::collections::{HashMap, HashSet};

use chromiumoxide::cdp::browser_protocol::network::EventResponseReceivedExtraInfo;
use chrono::{DateTime, Utc};
use cookie_audit_crawl::CrawlContext;
use cookie_audit_crawl::record::{PageRef, Setter};
use cookie_audit_model::CookieKey;
use cookie_audit_model::cookie_date::parse_cookie_date;
use cookie_audit_model::set_cookie::{
    CookieRecord, Lifetime, RejectReason, Rejection, SameSite, SetCookieContext,
    interpret_set_cookie,
};
use serde_json::Value;
use url::Url;

use crate::proxy::VERDICT_HEADER;
use crate::tap::RawEvent;

/// The name of the function the hook calls for every `document.cookie` write.
pub(crate) const BINDING: &str = "__cookieAuditWrite";

/// The `Set-Cookie` part of one `responseReceivedExtraInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtraInfo {
    pub request_id: String,
    pub status: u16,
    pub set_cookie: Vec<String>,
    pub date: Option<String>,
    /// Cookie lines Chromium refused, with its reasons (`SameSiteLax`, `UserPreferences`, …).
    pub blocked: Vec<(String, Vec<String>)>,
    /// Read by hand because the generated types could not decode the event.
    pub raw_fallback: bool,
}

/// Decodes a `Network.responseReceivedExtraInfo`: typed first, raw JSON when that fails. `None`
/// only when even the raw JSON has no request id.
pub(crate) fn decode_extra_info(params: &Value) -> Option<ExtraInfo> {
    match serde_json::from_value::<EventResponseReceivedExtraInfo>(params.clone()) {
        Ok(event) => {
            let (set_cookie, date) = header_values(event.headers.inner());
            Some(ExtraInfo {
                request_id: event.request_id.inner().clone(),
                status: u16::try_from(event.status_code).unwrap_or_default(),
                set_cookie,
                date,
                blocked: event
                    .blocked_cookies
                    .iter()
                    .map(|b| {
                        (
                            b.cookie_line.clone(),
                            b.blocked_reasons
                                .iter()
                                .map(|r| r.as_ref().to_string())
                                .collect(),
                        )
                    })
                    .collect(),
                raw_fallback: false,
            })
        }
        Err(error) => {
            tracing::debug!(%error, "responseReceivedExtraInfo did not decode as typed; reading its raw JSON");
            let request_id = params.get("requestId")?.as_str()?.to_string();
            let (set_cookie, date) = header_values(params.get("headers").unwrap_or(&Value::Null));
            let blocked = params
                .get("blockedCookies")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|b| {
                            let line = b.get("cookieLine")?.as_str()?.to_string();
                            let reasons = b
                                .get("blockedReasons")
                                .and_then(Value::as_array)
                                .map(|r| {
                                    r.iter()
                                        .filter_map(Value::as_str)
                                        .map(str::to_string)
                                        .collect()
                                })
                                .unwrap_or_default();
                            Some((line, reasons))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(ExtraInfo {
                request_id,
                status: params
                    .get("statusCode")
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or_default(),
                set_cookie,
                date,
                blocked,
                raw_fallback: true,
            })
        }
    }
}

/// `Set-Cookie` lines (several are joined by `\n`; header names come in any case) and `Date`.
fn header_values(headers: &Value) -> (Vec<String>, Option<String>) {
    let mut lines = Vec::new();
    let mut date = None;
    if let Some(map) = headers.as_object() {
        for (name, value) in map {
            let Some(value) = value.as_str() else {
                continue;
            };
            if name.eq_ignore_ascii_case("set-cookie") {
                lines.extend(
                    value
                        .split('\n')
                        .map(|l| l.trim_end_matches('\r'))
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_string),
                );
            } else if name.eq_ignore_ascii_case("date") {
                date = Some(value.to_string());
            }
        }
    }
    (lines, date)
}

/// One response of a request chain that carries extra info (its raw headers).
#[derive(Debug, Clone)]
struct Hop {
    url: String,
    status: u16,
}

#[derive(Debug, Default)]
struct RequestChain {
    /// Responses that announced extra info, in order: redirect hops, then the final response.
    hops: Vec<Hop>,
    extras: Vec<ExtraInfo>,
    /// Every URL requested, in order (the last is where a failed request stopped).
    requested: Vec<String>,
}

/// What the main document did.
#[derive(Debug, Clone, Default)]
pub(crate) struct MainDocument {
    pub status: Option<u16>,
    pub url: Option<String>,
    pub mime_type: Option<String>,
    pub error: Option<String>,
    /// The guard proxy answered instead of the site (`crate::proxy::VERDICT_HEADER`): why.
    pub proxy_verdict: Option<String>,
}

/// A `document.cookie` write reported by the hook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct ScriptWrite {
    pub line: String,
    /// The script whose code made the write, from the stack; empty when unknown.
    #[serde(default)]
    pub script: String,
    /// The document whose cookie was written.
    pub document: String,
}

/// Everything one visit captured, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    chains: HashMap<String, RequestChain>,
    chain_order: Vec<String>,
    pub writes: Vec<ScriptWrite>,
    pub main: MainDocument,
    pub raw_fallbacks: u32,
    main_request: Option<String>,
    /// WebSockets the page opened: they make no `requestWillBeSent`.
    sockets: Vec<String>,
}

impl Capture {
    /// Starts a capture for a navigation whose main request has id `loader_id`.
    pub(crate) fn new(loader_id: Option<String>) -> Capture {
        Capture {
            main_request: loader_id,
            ..Capture::default()
        }
    }

    pub(crate) fn main_request(&self) -> Option<&str> {
        self.main_request.as_deref()
    }

    /// The main document's last status from its raw headers, for a response the browser did
    /// not go on to show (a download).
    pub(crate) fn main_extra_status(&self) -> Option<u16> {
        let chain = self.chains.get(self.main_request.as_deref()?)?;
        chain.extras.last().map(|e| e.status).filter(|s| *s > 0)
    }

    /// The last URL the main document requested: where a failed navigation stopped.
    pub(crate) fn main_last_url(&self) -> Option<Url> {
        let chain = self.chains.get(self.main_request.as_deref()?)?;
        Url::parse(chain.requested.last()?).ok()
    }

    /// `host:port` of everything the page asked for (every request and redirect hop, and every
    /// WebSocket), with default ports filled in: what the guard proxy's refusals are matched
    /// against, since it sees only the host and port of a tunnel.
    pub(crate) fn asked_authorities(&self) -> HashSet<String> {
        self.chains
            .values()
            .flat_map(|chain| chain.requested.iter())
            .chain(&self.sockets)
            .filter_map(|url| crate::proxy::authority_key(&Url::parse(url).ok()?))
            .collect()
    }

    fn chain(&mut self, id: &str) -> &mut RequestChain {
        if !self.chains.contains_key(id) {
            self.chain_order.push(id.to_string());
        }
        self.chains.entry(id.to_string()).or_default()
    }

    /// Takes one event.
    pub(crate) fn push(&mut self, event: &RawEvent) {
        let p = &event.params;
        let request_id = p.get("requestId").and_then(Value::as_str).unwrap_or("");
        let is_main = self.main_request.as_deref() == Some(request_id);
        match event.method.as_str() {
            "Network.requestWillBeSent" => {
                let url = p
                    .pointer("/request/url")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if self.main_request.is_none()
                    && p.get("type").and_then(Value::as_str) == Some("Document")
                    && p.get("loaderId").and_then(Value::as_str) == Some(request_id)
                {
                    self.main_request = Some(request_id.to_string());
                }
                let redirect = p.get("redirectResponse").cloned();
                let has_extra = p
                    .get("redirectHasExtraInfo")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                let chain = self.chain(request_id);
                if let Some(redirect) = redirect
                    && has_extra
                {
                    chain.hops.push(Hop {
                        url: redirect
                            .get("url")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        status: redirect
                            .get("status")
                            .and_then(Value::as_u64)
                            .unwrap_or_default() as u16,
                    });
                }
                chain.requested.push(url);
            }
            "Network.responseReceived" => {
                let url = p
                    .pointer("/response/url")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let status = p
                    .pointer("/response/status")
                    .and_then(Value::as_u64)
                    .unwrap_or_default() as u16;
                if is_main {
                    self.main.status = Some(status);
                    self.main.url = Some(url.clone());
                    self.main.mime_type = p
                        .pointer("/response/mimeType")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    self.main.proxy_verdict = p
                        .pointer("/response/headers")
                        .and_then(Value::as_object)
                        .and_then(|headers| {
                            headers.iter().find_map(|(name, value)| {
                                name.eq_ignore_ascii_case(VERDICT_HEADER)
                                    .then(|| value.as_str().map(str::to_string))?
                            })
                        });
                }
                let has_extra = p
                    .get("hasExtraInfo")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                if has_extra {
                    self.chain(request_id).hops.push(Hop { url, status });
                }
            }
            "Network.responseReceivedExtraInfo" => {
                if let Some(extra) = decode_extra_info(p) {
                    if extra.raw_fallback {
                        self.raw_fallbacks += 1;
                    }
                    let id = extra.request_id.clone();
                    self.chain(&id).extras.push(extra);
                }
            }
            "Network.loadingFailed" if is_main => {
                let error = p
                    .get("errorText")
                    .and_then(Value::as_str)
                    .unwrap_or("the page failed to load");
                let blocked = p.get("blockedReason").and_then(Value::as_str);
                self.main.error = Some(match blocked {
                    Some(reason) => format!("{error} (blocked: {reason})"),
                    None => error.to_string(),
                });
            }
            "Runtime.bindingCalled" if p.get("name").and_then(Value::as_str) == Some(BINDING) => {
                if let Some(write) = p
                    .get("payload")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<ScriptWrite>(s).ok())
                {
                    self.writes.push(write);
                }
            }
            "Network.webSocketCreated" => {
                if let Some(url) = p.get("url").and_then(Value::as_str) {
                    self.sockets.push(url.to_string());
                }
            }
            _ => {}
        }
    }

    /// Every response with raw headers, paired with its URL and status, in arrival order; the
    /// note says which redirect hop it was, as the HTTP engine says it.
    fn responses(&self) -> Vec<(Url, u16, Option<String>, &ExtraInfo)> {
        let mut out = Vec::new();
        for id in &self.chain_order {
            let chain = &self.chains[id];
            let chain_len = chain.hops.len().max(chain.extras.len());
            for (index, extra) in chain.extras.iter().enumerate() {
                // The i-th extra info belongs to the i-th response that announced one; a response
                // that never arrived (a failed request) leaves the last URL requested.
                let (url, status) = match chain.hops.get(index) {
                    Some(hop) => (hop.url.clone(), hop.status),
                    None => (
                        chain.requested.last().cloned().unwrap_or_default(),
                        extra.status,
                    ),
                };
                let status = if status == 0 { extra.status } else { status };
                let Ok(url) = Url::parse(&url) else {
                    continue;
                };
                if !matches!(url.scheme(), "http" | "https") {
                    continue;
                }
                let note = (chain_len > 1 || matches!(status, 301 | 302 | 303 | 307 | 308))
                    .then(|| format!("redirect hop {}", index + 1));
                out.push((url, status, note, extra));
            }
        }
        out
    }

    /// Records what arrived into the recorder; returns the keys recorded.
    pub(crate) fn record(
        &self,
        ctx: &CrawlContext,
        page: &PageRef,
        received_at: DateTime<Utc>,
    ) -> Vec<CookieKey> {
        let mut keys = Vec::new();
        for (url, status, note, extra) in self.responses() {
            let server_date = extra.date.as_deref().and_then(parse_cookie_date);
            let mut lines: Vec<&String> = extra.set_cookie.iter().collect();
            // A refused line is in the raw headers too; one that is not still counts.
            for (line, _) in &extra.blocked {
                if !extra.set_cookie.iter().any(|l| l == line) {
                    lines.push(line);
                }
            }
            for line in lines {
                let cookie_ctx = SetCookieContext {
                    request_url: &url,
                    server_date,
                    received_at,
                };
                let mut record = interpret_set_cookie(line, &cookie_ctx);
                if record.rejected.is_none()
                    && let Some((_, reasons)) = extra.blocked.iter().find(|(l, _)| l == line)
                    && !reasons.is_empty()
                {
                    record.rejected = Some(browser_rejection(reasons));
                }
                keys.push(record.key());
                ctx.recorder.record(
                    page,
                    record,
                    Some(line),
                    Setter::Response {
                        url: &url,
                        status,
                        note: note.as_deref(),
                    },
                );
            }
        }
        for write in &self.writes {
            let Ok(document) = Url::parse(&write.document) else {
                continue;
            };
            let mut bare_document = document.clone();
            bare_document.set_fragment(None);
            let script = Url::parse(&write.script).ok().filter(|s| {
                // Code inline in the document reports the document's own URL.
                let mut bare = s.clone();
                bare.set_fragment(None);
                bare != bare_document
            });
            // Inline code in an iframe: the iframe's document is what set it, not the page.
            let script = script.or_else(|| (bare_document != page.url).then_some(bare_document));
            let cookie_ctx = SetCookieContext {
                request_url: &document,
                server_date: None,
                received_at,
            };
            keys.push(interpret_set_cookie(&write.line, &cookie_ctx).key());
            ctx.recorder
                .record_script_write(page, &document, &write.line, script.as_ref());
        }
        keys
    }
}

/// Chromium's refusal in words. The first reason names the kind; all are listed.
pub(crate) fn browser_rejection(reasons: &[String]) -> Rejection {
    let first = reasons
        .first()
        .map(String::as_str)
        .unwrap_or("UnknownError");
    let why = match first {
        "UserPreferences" | "ThirdPartyPhaseout" | "ThirdPartyBlockedInFirstPartySet" => {
            "third-party cookies are blocked by the browser's settings"
        }
        "SameSiteLax" | "SchemefulSameSiteLax" => {
            "SameSite=Lax cookies cannot be set by a cross-site response other than a top-level navigation"
        }
        "SameSiteStrict" | "SchemefulSameSiteStrict" => {
            "SameSite=Strict cookies cannot be set by a cross-site response"
        }
        "SameSiteUnspecifiedTreatedAsLax" | "SchemefulSameSiteUnspecifiedTreatedAsLax" => {
            "a cookie without SameSite is treated as Lax, so a cross-site response cannot set it (add SameSite=None; Secure)"
        }
        "OverwriteSecure" => "an insecure page cannot overwrite a Secure cookie",
        "SecureOnly" => "a Secure cookie cannot be set from an insecure (http) page",
        "InvalidDomain" => "its Domain does not match the site that set it",
        "InvalidPrefix" => "it breaks the rules of its __Secure- or __Host- prefix",
        "SameSiteNoneInsecure" => "SameSite=None requires Secure",
        _ => "the browser refused it",
    };
    Rejection {
        reason: RejectReason::from_devtools(first),
        message: format!("Chromium blocked it ({}): {why}", reasons.join(", ")),
    }
}

/// A jar entry from `Storage.getCookies`, as a record. Its expiry is what the browser keeps
/// (capped at 400 days), not necessarily what the site asked for.
pub(crate) fn jar_record(cookie: &Value, now: DateTime<Utc>) -> Option<CookieRecord> {
    let name = cookie.get("name")?.as_str()?.to_string();
    let raw_domain = cookie.get("domain")?.as_str()?;
    let session = cookie
        .get("session")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let lifetime = match cookie.get("expires").and_then(Value::as_f64) {
        Some(expires) if !session && expires > 0.0 => {
            Lifetime::persistent((expires - now.timestamp() as f64).round() as i64)
        }
        _ => Lifetime::SESSION,
    };
    Some(CookieRecord {
        name,
        value: cookie
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        domain: raw_domain.trim_start_matches('.').to_ascii_lowercase(),
        host_only: !raw_domain.starts_with('.'),
        path: cookie
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or("/")
            .to_string(),
        lifetime,
        secure: cookie.get("secure").and_then(Value::as_bool).unwrap_or(false),
        http_only: cookie
            .get("httpOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        same_site: match cookie.get("sameSite").and_then(Value::as_str) {
            Some("Strict") => Some(SameSite::Strict),
            Some("Lax") => Some(SameSite::Lax),
            Some("None") => Some(SameSite::None),
            _ => None,
        },
        partitioned: cookie.get("partitionKey").is_some_and(|k| !k.is_null()),
        rejected: None,
        warnings: vec![
            "seen only in the browser's cookie jar: no Set-Cookie header or document.cookie write was observed, so the lifetime is what the browser kept".to_string(),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_the_typed_decode_refuses_is_read_from_raw_json() {
        // A reason and an address space this chromiumoxide does not know (a newer Chromium).
        let params = json!({
            "requestId": "42.7",
            "blockedCookies": [{"blockedReasons": ["SomeReasonFromTheFuture"], "cookieLine": "a=1; SameSite=Lax"}],
            "headers": {"set-cookie": "a=1; SameSite=Lax\nb=2; Path=/", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
            "resourceIPAddressSpace": "SomeNewSpace",
            "statusCode": 200
        });
        let extra = decode_extra_info(&params).unwrap();
        assert!(extra.raw_fallback);
        assert_eq!(extra.set_cookie, vec!["a=1; SameSite=Lax", "b=2; Path=/"]);
        assert_eq!(extra.date.as_deref(), Some("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(
            extra.blocked,
            vec![(
                "a=1; SameSite=Lax".to_string(),
                vec!["SomeReasonFromTheFuture".to_string()]
            )]
        );
    }

    #[test]
    fn a_known_event_decodes_typed_with_header_names_in_any_case() {
        let params = json!({
            "requestId": "1",
            "blockedCookies": [{"blockedReasons": ["SameSiteLax"], "cookieLine": "x=1; SameSite=Lax"}],
            "headers": {"Set-Cookie": "x=1; SameSite=Lax"},
            "resourceIPAddressSpace": "Loopback",
            "statusCode": 302
        });
        let extra = decode_extra_info(&params).unwrap();
        assert!(!extra.raw_fallback, "{extra:?}");
        assert_eq!(extra.status, 302);
        assert_eq!(extra.set_cookie, vec!["x=1; SameSite=Lax"]);
        let rejection = browser_rejection(&extra.blocked[0].1);
        assert_eq!(rejection.reason, RejectReason::BlockedByBrowser);
        assert!(rejection.message.contains("SameSiteLax"));
    }

    fn event(method: &str, params: Value) -> RawEvent {
        RawEvent {
            method: method.into(),
            params,
        }
    }

    fn extra(id: &str, status: u16, cookie: &str) -> RawEvent {
        event(
            "Network.responseReceivedExtraInfo",
            json!({"requestId": id, "headers": {"set-cookie": cookie}, "statusCode": status,
                   "resourceIPAddressSpace": "Loopback", "blockedCookies": []}),
        )
    }

    #[test]
    fn redirect_hops_pair_with_their_own_urls_even_when_one_came_from_cache() {
        let mut capture = Capture::new(Some("L".into()));
        for e in [
            event(
                "Network.requestWillBeSent",
                json!({"requestId": "L", "loaderId": "L", "type": "Document", "request": {"url": "http://a.test/old"}}),
            ),
            // The first hop came from the cache: no raw headers for it.
            event(
                "Network.requestWillBeSent",
                json!({"requestId": "L", "request": {"url": "http://a.test/go"}, "redirectHasExtraInfo": false,
                       "redirectResponse": {"url": "http://a.test/old", "status": 301}}),
            ),
            extra("L", 302, "hop=1"),
            event(
                "Network.requestWillBeSent",
                json!({"requestId": "L", "request": {"url": "http://a.test/landed"}, "redirectHasExtraInfo": true,
                       "redirectResponse": {"url": "http://a.test/go", "status": 302}}),
            ),
            extra("L", 200, "final=1"),
            event(
                "Network.responseReceived",
                json!({"requestId": "L", "hasExtraInfo": true,
                       "response": {"url": "http://a.test/landed", "status": 200, "mimeType": "text/html"}}),
            ),
        ] {
            capture.push(&e);
        }
        let responses: Vec<(String, u16, Option<String>, Vec<String>)> = capture
            .responses()
            .into_iter()
            .map(|(u, s, n, e)| (u.to_string(), s, n, e.set_cookie.clone()))
            .collect();
        assert_eq!(
            responses,
            vec![
                (
                    "http://a.test/go".into(),
                    302,
                    Some("redirect hop 1".into()),
                    vec!["hop=1".into()]
                ),
                (
                    "http://a.test/landed".into(),
                    200,
                    Some("redirect hop 2".into()),
                    vec!["final=1".into()]
                ),
            ]
        );
        assert_eq!(capture.main.status, Some(200));
        assert_eq!(capture.main.url.as_deref(), Some("http://a.test/landed"));
    }

    #[test]
    fn jar_entries_keep_domain_form_and_session() {
        let now = Utc::now();
        let record = jar_record(
            &json!({"name": "_ga", "value": "GA1", "domain": ".example.gov.uk", "path": "/",
                     "expires": now.timestamp() as f64 + 3600.0, "session": false, "secure": false,
                     "httpOnly": false, "sameSite": "Lax"}),
            now,
        )
        .unwrap();
        assert_eq!(record.domain, "example.gov.uk");
        assert!(!record.host_only);
        assert_eq!(record.lifetime.seconds, Some(3600));
        let session = jar_record(
            &json!({"name": "s", "value": "", "domain": "www.example.gov.uk", "path": "/x",
                     "expires": -1, "session": true}),
            now,
        )
        .unwrap();
        assert!(session.host_only && session.lifetime.session);
    }
}
