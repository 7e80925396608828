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
use cookie_audit_crawl::storage::StorageWrite;
use cookie_audit_model::cookie_date::parse_cookie_date;
use cookie_audit_model::set_cookie::{
    CookieRecord, Lifetime, RejectReason, Rejection, SameSite, SetCookieContext,
    interpret_set_cookie,
};
use cookie_audit_model::{CookieKey, StorageKind};
use serde_json::Value;
use url::Url;

use crate::error::DocumentError;
use crate::proxy::VERDICT_HEADER;
use crate::tap::RawEvent;

/// The name of the function the hook calls for every `document.cookie` write.
pub(crate) const BINDING: &str = "__cookieAuditWrite";
/// The name of the function the hook calls for every `localStorage`/`sessionStorage.setItem`.
pub(crate) const STORAGE_BINDING: &str = "__cookieAuditStorage";

/// The key a jar entry is matched by against what headers and scripts set. A byte that is not
/// UTF-8 is U+FFFD in a header's record (read as the HTTP engine reads it) but missing from the
/// jar's (DevTools drops it), so these keys leave it out: one cookie, not two. Only for this
/// match: elsewhere `CookieRecord::key` keeps `caf` and `caf\xe9` apart, as browsers do.
pub(crate) fn jar_match_key(record: &CookieRecord) -> CookieKey {
    let bare = |s: &str| s.replace('\u{fffd}', "");
    CookieKey::new(&bare(&record.name), &record.domain, &bare(&record.path))
}

/// A header value as DevTools gives it, back to what the site sent. Chromium 156 turns raw
/// header bytes into a JSON string as windows-1252 (`Set-Cookie: café=1` sent as UTF-8 arrives
/// as `cafÃ©=1`; measured by the agreement test), so the value is encoded back to those bytes
/// and read as the HTTP engine reads bytes: UTF-8, anything else replaced. A value windows-1252
/// cannot hold was not decoded so, and is kept as it came.
pub(crate) fn header_text(devtools: &str) -> String {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(devtools);
    if unmappable {
        return devtools.to_string();
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

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
    /// When the event arrived: when its cookies were stored.
    pub at: DateTime<Utc>,
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
                // Set by `Capture::push` from the event's own time.
                at: Utc::now(),
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
                // Set by `Capture::push` from the event's own time.
                at: Utc::now(),
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
                    header_text(value)
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

/// One `Set-Cookie` line of a response, interpreted.
#[derive(Debug, Clone)]
pub(crate) struct HeaderCookie {
    /// The response's own URL (a redirect hop's).
    pub url: Url,
    pub status: u16,
    /// Which redirect hop it was, in the HTTP engine's words.
    pub note: Option<String>,
    /// The line as the site sent it (decoded as the HTTP engine decodes it).
    pub line: String,
    pub record: CookieRecord,
    /// When the response's headers arrived.
    pub at: DateTime<Utc>,
}

/// What the main document did.
#[derive(Debug, Clone, Default)]
pub(crate) struct MainDocument {
    pub status: Option<u16>,
    pub url: Option<String>,
    pub mime_type: Option<String>,
    pub error: Option<DocumentError>,
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
    /// When the write was reported.
    #[serde(skip, default = "Utc::now")]
    pub at: DateTime<Utc>,
}

/// A web-storage write reported by the hook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct StorageWriteEvent {
    /// `local` or `session`.
    pub kind: StorageKind,
    pub key: String,
    pub value: String,
    /// The writing frame's origin, whose storage it is.
    pub origin: String,
    /// The script whose code made the write, from the stack; empty when unknown.
    #[serde(default)]
    pub script: String,
    /// The document that wrote it.
    pub document: String,
    #[serde(skip, default = "Utc::now")]
    pub at: DateTime<Utc>,
}

/// Everything one visit captured, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    chains: HashMap<String, RequestChain>,
    chain_order: Vec<String>,
    pub writes: Vec<ScriptWrite>,
    pub storage: Vec<StorageWriteEvent>,
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
            "Network.requestWillBeSent" => self.request_will_be_sent(p, request_id),
            "Network.responseReceived" => self.response_received(p, request_id, is_main),
            "Network.responseReceivedExtraInfo" => {
                if let Some(mut extra) = decode_extra_info(p) {
                    extra.at = event.at;
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
                self.main.error = Some(DocumentError::from_devtools(error, blocked));
            }
            "Runtime.bindingCalled" if p.get("name").and_then(Value::as_str) == Some(BINDING) => {
                if let Some(write) = p
                    .get("payload")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<ScriptWrite>(s).ok())
                {
                    self.writes.push(ScriptWrite {
                        at: event.at,
                        ..write
                    });
                }
            }
            "Runtime.bindingCalled"
                if p.get("name").and_then(Value::as_str) == Some(STORAGE_BINDING) =>
            {
                if let Some(write) = p
                    .get("payload")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<StorageWriteEvent>(s).ok())
                {
                    self.storage.push(StorageWriteEvent {
                        at: event.at,
                        ..write
                    });
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

    /// A request, or the next hop of a redirect chain (same id, with the previous response).
    fn request_will_be_sent(&mut self, p: &Value, request_id: &str) {
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

    /// A response; the main document's tells what the page is.
    fn response_received(&mut self, p: &Value, request_id: &str, is_main: bool) {
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

    /// Every `Set-Cookie` line of every response, through the one parser, with Chromium's own
    /// refusals applied: what the engine records from headers.
    pub(crate) fn header_cookies(&self, received_at: DateTime<Utc>) -> Vec<HeaderCookie> {
        let mut out = Vec::new();
        for (url, status, note, extra) in self.responses() {
            let server_date = extra.date.as_deref().and_then(parse_cookie_date);
            let mut lines: Vec<&String> = extra.set_cookie.iter().collect();
            // A refused line is in the raw headers too; one that is not still counts — unless a
            // header line held bytes that are not UTF-8: DevTools garbles those in its list of
            // refused lines (it drops the bytes after them too), so that line is the one.
            let garbled = extra.set_cookie.iter().any(|l| l.contains('\u{fffd}'));
            for (line, _) in &extra.blocked {
                if !garbled && !extra.set_cookie.iter().any(|l| l == line) {
                    lines.push(line);
                }
            }
            for line in lines {
                let cookie_ctx = SetCookieContext {
                    request_url: &url,
                    server_date,
                    received_at: received_at.min(extra.at),
                };
                let mut record = interpret_set_cookie(line, &cookie_ctx);
                if record.rejected.is_none()
                    && let Some((_, reasons)) = extra.blocked.iter().find(|(l, _)| l == line)
                    && !reasons.is_empty()
                {
                    record.rejected = Some(browser_rejection(reasons));
                }
                out.push(HeaderCookie {
                    url: url.clone(),
                    status,
                    note: note.clone(),
                    line: line.clone(),
                    record,
                    at: extra.at,
                });
            }
        }
        out
    }

    /// Records what arrived into the recorder; returns the keys recorded, as jar entries are
    /// matched against them ([`jar_match_key`]).
    pub(crate) fn record(
        &self,
        ctx: &CrawlContext,
        page: &PageRef,
        received_at: DateTime<Utc>,
    ) -> Vec<CookieKey> {
        let mut keys = Vec::new();
        for cookie in self.header_cookies(received_at) {
            keys.push(jar_match_key(&cookie.record));
            ctx.recorder.record_at(
                page,
                cookie.record,
                Some(&cookie.line),
                Setter::Response {
                    url: &cookie.url,
                    status: cookie.status,
                    note: cookie.note.as_deref(),
                },
                cookie.at,
            );
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
            ctx.recorder.record_script_write_at(
                page,
                &document,
                &write.line,
                script.as_ref(),
                write.at,
            );
        }
        self.record_storage(ctx, page);
        keys
    }

    /// Storage writes go to the site's storage log, with the visitor they were made for.
    fn record_storage(&self, ctx: &CrawlContext, page: &PageRef) {
        for write in &self.storage {
            let script = Url::parse(&write.script).ok().filter(|s| {
                // Inline code reports its document's own URL: the page is named instead.
                let (mut bare, mut document) = (s.clone(), Url::parse(&write.document).ok());
                bare.set_fragment(None);
                if let Some(d) = document.as_mut() {
                    d.set_fragment(None);
                }
                Some(bare) != document
            });
            ctx.storage.record(
                page,
                ctx.recorder.run_state(),
                ctx.recorder.state_at(write.at),
                StorageWrite {
                    kind: write.kind,
                    origin: &write.origin,
                    key: &write.key,
                    value: &write.value,
                    script: script.as_ref(),
                },
            );
        }
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
            at: Utc::now(),
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

    /// Issue 18: `Set-Cookie: café=1` (UTF-8) reached the report as `cafÃ©` beside the jar's
    /// `café`: two cookies where Chromium holds one. What DevTools sent, as measured in Chromium
    /// 156: the header bytes as windows-1252.
    #[test]
    fn header_values_are_read_back_to_the_bytes_the_site_sent() {
        let params = json!({
            "requestId": "1",
            "headers": {
                "Set-Cookie": "caf\u{c3}\u{a9}=1\na=\u{e2}\u{201a}\u{ac}\nb=caf\u{e9}",
                "set-cookie": "plain=1"
            },
            "statusCode": 200
        });
        let mut lines = decode_extra_info(&params).unwrap().set_cookie;
        lines.sort();
        assert_eq!(lines, ["a=\u{20ac}", "b=caf\u{fffd}", "café=1", "plain=1"]);
        // Text windows-1252 cannot hold was never decoded so: kept.
        assert_eq!(header_text("\u{4e2d}=1"), "\u{4e2d}=1");
    }

    #[test]
    fn a_byte_that_is_not_utf8_does_not_make_two_cookies() {
        let now = Utc::now();
        let url = Url::parse("http://www.a.test/").unwrap();
        let ctx = SetCookieContext {
            request_url: &url,
            server_date: None,
            received_at: now,
        };
        let header = interpret_set_cookie("caf\u{fffd}=1; Path=/\u{fffd}", &ctx);
        let jar = jar_record(
            &json!({"name": "caf", "value": "1", "domain": "www.a.test", "path": "/", "session": true}),
            now,
        )
        .unwrap();
        assert_eq!(jar_match_key(&header), jar_match_key(&jar));
        assert_ne!(
            header.key(),
            jar.key(),
            "only the jar match leaves U+FFFD out"
        );
    }

    /// DevTools garbles a refused line's bytes that are not UTF-8 (`a=\xe9; Secure` is listed
    /// as `a=Secure`): the header line is that cookie, not another one.
    #[test]
    fn a_refused_line_garbled_by_devtools_is_not_a_second_cookie() {
        let mut capture = Capture::new(Some("L".into()));
        for e in [
            event(
                "Network.requestWillBeSent",
                json!({"requestId": "L", "loaderId": "L", "type": "Document", "request": {"url": "http://a.test/"}}),
            ),
            event(
                "Network.responseReceivedExtraInfo",
                json!({"requestId": "L", "statusCode": 200,
                "headers": {"Set-Cookie": "a=\u{e9}; Secure\nb=1; Secure"},
                "blockedCookies": [
                    {"blockedReasons": ["SecureOnly"], "cookieLine": "a=Secure"},
                    {"blockedReasons": ["SecureOnly"], "cookieLine": "b=1; Secure"}
                ]}),
            ),
            event(
                "Network.responseReceived",
                json!({"requestId": "L", "hasExtraInfo": true,
                       "response": {"url": "http://a.test/", "status": 200, "mimeType": "text/html"}}),
            ),
        ] {
            capture.push(&e);
        }
        let cookies = capture.header_cookies(Utc::now());
        let lines: Vec<&str> = cookies.iter().map(|c| c.line.as_str()).collect();
        assert_eq!(lines, ["a=\u{fffd}; Secure", "b=1; Secure"]);
        assert!(cookies.iter().all(|c| c.record.rejected.is_some()));
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
