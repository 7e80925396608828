//! The DevTools side channel: a loopback websocket proxy between chromiumoxide and Chromium.
//!
//! chromiumoxide decodes every message into generated protocol types; when a newer Chromium sends
//! an event those types cannot decode (an enum value added since, a renamed field), the whole
//! message is dropped with a log line (chromiumoxide issues 229 and 266). A dropped
//! `Network.responseReceivedExtraInfo` would be a Set-Cookie silently lost. So every message from
//! Chromium passes through here first: the events the engine needs are routed, as raw JSON, to the
//! tab whose session they belong to, before chromiumoxide sees them. The engine's own commands
//! (navigate, evaluate, read the jar) are sent from here too, with ids chromiumoxide never uses,
//! and their answers are read as raw JSON; chromiumoxide never sees them. chromiumoxide keeps
//! doing what it is good at: targets, sessions and their set-up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::{BrowserError, CallError};

/// Our command ids start here; chromiumoxide counts up from 0. Chromium reads ids as 32-bit
/// signed integers, so the split stays below 2^31.
const OWN_ID_BASE: u64 = 1 << 30;

/// The largest message or frame taken from Chromium, which sends each message as one frame.
/// tungstenite's defaults (16 MiB a frame) are smaller than a rendered page of 50 MB: past the
/// limit the connection fails and the browser is as good as dead, so the rendered DOM is capped
/// at `--max-body-bytes` where it is read, and this only has to stay above that and the jar.
const MAX_MESSAGE_BYTES: usize = 512 * 1024 * 1024;

/// The events the engine reads. Everything else only goes to chromiumoxide.
pub(crate) const ROUTED: [&str; 12] = [
    "Network.requestWillBeSent",
    "Network.dataReceived",
    "Network.responseReceived",
    "Network.responseReceivedExtraInfo",
    "Network.loadingFinished",
    "Network.loadingFailed",
    "Network.requestServedFromCache",
    "Page.loadEventFired",
    "Page.javascriptDialogOpening",
    "Runtime.bindingCalled",
    "Inspector.targetCrashed",
    "Inspector.detached",
];

/// One DevTools event, as Chromium sent it.
#[derive(Debug, Clone)]
pub(crate) struct RawEvent {
    pub method: String,
    pub params: Value,
    /// When the tap read it: the time of a cookie write, to the few milliseconds DevTools takes.
    pub at: chrono::DateTime<chrono::Utc>,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// The headers a request to a URL gets added (`--header`, `--cookie`, for the site's hosts
/// only), given its URL and the `Cookie` it already carries. Called by the relay for every
/// request Chromium pauses (`Fetch.requestPaused`).
pub(crate) type Interceptor =
    Arc<dyn Fn(&str, Option<&str>) -> Vec<(String, String)> + Send + Sync>;
type Routes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<RawEvent>>>>;

/// The running proxy.
#[derive(Debug)]
pub(crate) struct Tap {
    /// What chromiumoxide connects to.
    pub url: String,
    outgoing: mpsc::UnboundedSender<String>,
    pending: Pending,
    routes: Routes,
    next_id: Arc<AtomicU64>,
    closed: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Tap {
    /// Listens on loopback for chromiumoxide and relays to `upstream` once it connects; with an
    /// `interceptor`, continues every paused request itself, with the headers it names.
    pub(crate) async fn start(
        upstream: &str,
        interceptor: Option<Interceptor>,
    ) -> Result<Tap, BrowserError> {
        let err = |reason: String| BrowserError::Connect {
            url: upstream.to_string(),
            reason,
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| err(format!("could not listen on loopback: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| err(e.to_string()))?
            .port();
        let path = upstream
            .splitn(4, '/')
            .nth(3)
            .ok_or_else(|| err("not a DevTools websocket URL".into()))?;
        let url = format!("ws://127.0.0.1:{port}/{path}");
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let (upstream_ws, _) =
            async_tungstenite::tokio::connect_async_with_config(upstream, Some(config))
                .await
                .map_err(|e| err(e.to_string()))?;
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel::<String>();
        let pending: Pending = Arc::default();
        let routes: Routes = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let next_id = Arc::new(AtomicU64::new(OWN_ID_BASE));
        let channels = Channels {
            pending: pending.clone(),
            routes: routes.clone(),
            closed: closed.clone(),
            interceptor,
            next_id: next_id.clone(),
        };
        let task = tokio::spawn(relay(listener, upstream_ws, outgoing_rx, channels));
        Ok(Tap {
            url,
            outgoing,
            pending,
            routes,
            next_id,
            closed,
            task,
        })
    }

    /// Whether the connection to Chromium is gone (the browser exited or crashed).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Routes the events of `session_id` (`""`: browser-level events) to the returned receiver.
    pub(crate) fn subscribe(&self, session_id: &str) -> mpsc::UnboundedReceiver<RawEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(session_id.to_string(), tx);
        rx
    }

    pub(crate) fn unsubscribe(&self, session_id: &str) {
        self.routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(session_id);
    }

    /// Sends a command (to a tab's session, or to the browser with `None`) and returns its raw
    /// result.
    pub(crate) async fn call(
        &self,
        session_id: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        if self.is_closed() {
            return Err(CallError::Closed);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session_id {
            message["sessionId"] = Value::String(session.to_string());
        }
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        if self.outgoing.send(message.to_string()).is_err() {
            self.forget(id);
            return Err(CallError::Closed);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(message))) => Err(CallError::Protocol {
                method: method.to_string(),
                message,
            }),
            Ok(Err(_)) => Err(CallError::Closed),
            Err(_) => {
                self.forget(id);
                Err(if self.is_closed() {
                    CallError::Closed
                } else {
                    CallError::Timeout {
                        method: method.to_string(),
                        secs: timeout.as_secs(),
                    }
                })
            }
        }
    }

    fn forget(&self, id: u64) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
}

/// The first fields of a message, enough to route it without decoding its body twice.
#[derive(serde::Deserialize)]
struct Head {
    id: Option<u64>,
    method: Option<String>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

/// Reads a message as JSON, lone surrogates and all. Chromium writes a string holding a lone
/// UTF-16 surrogate — from header or cookie bytes that are not UTF-8 (`a=\xed\xa0\x80` is a
/// cookie whose value DevTools writes as `"\ud800"`), or from JavaScript — as an escape
/// serde_json refuses; one such cookie made the whole jar unreadable, and one such header made a
/// `responseReceivedExtraInfo` vanish with every `Set-Cookie` in it. They become U+FFFD, as every
/// other unreadable byte does.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_str(text).or_else(|error| {
        if text.contains("\\u") {
            serde_json::from_str(&without_lone_surrogates(text))
        } else {
            Err(error)
        }
    })
}

/// `text` with every `\uD800`–`\uDFFF` escape that is not half of a pair replaced by `\ufffd`.
fn without_lone_surrogates(text: &str) -> String {
    let bytes = text.as_bytes();
    let unit = |at: usize| {
        let hex = text.get(at..at + 4)?;
        u16::from_str_radix(hex, 16).ok()
    };
    let is_high = |u: u16| (0xD800..0xDC00).contains(&u);
    let is_low = |u: u16| (0xDC00..0xE000).contains(&u);
    let mut out = String::with_capacity(text.len());
    let (mut at, mut copied) = (0, 0);
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        // An escape: `\\` and `\"` are two bytes, `\uXXXX` six.
        let Some(code) = (bytes.get(at + 1) == Some(&b'u'))
            .then(|| unit(at + 2))
            .flatten()
        else {
            at += 2;
            continue;
        };
        let paired = is_high(code)
            && bytes.get(at + 6..at + 8) == Some(b"\\u".as_slice())
            && unit(at + 8).is_some_and(is_low);
        if paired {
            at += 12;
        } else if is_high(code) || is_low(code) {
            out.push_str(&text[copied..at]);
            out.push_str("\\ufffd");
            at += 6;
            copied = at;
        } else {
            at += 6;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// What the relay shares with the [`Tap`].
struct Channels {
    pending: Pending,
    routes: Routes,
    closed: Arc<AtomicBool>,
    interceptor: Option<Interceptor>,
    next_id: Arc<AtomicU64>,
}

async fn relay(
    listener: TcpListener,
    upstream: async_tungstenite::WebSocketStream<async_tungstenite::tokio::ConnectStream>,
    mut own: mpsc::UnboundedReceiver<String>,
    channels: Channels,
) {
    let Channels {
        pending,
        routes,
        closed,
        interceptor,
        next_id,
    } = channels;
    let (mut up_tx, mut up_rx) = upstream.split();
    let client = match listener.accept().await {
        Ok((stream, _)) => async_tungstenite::tokio::accept_async(stream).await.ok(),
        Err(_) => None,
    };
    let Some(client) = client else {
        closed.store(true, Ordering::Relaxed);
        return;
    };
    drop(listener);
    let (mut client_tx, mut client_rx) = client.split();
    loop {
        tokio::select! {
            from_client = client_rx.next() => match from_client {
                Some(Ok(message)) if !message.is_close() => {
                    if up_tx.send(message).await.is_err() { break; }
                }
                _ => break,
            },
            command = own.recv() => match command {
                Some(text) => {
                    if up_tx.send(Message::text(text)).await.is_err() { break; }
                }
                None => break,
            },
            from_chrome = up_rx.next() => match from_chrome {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = interceptor
                        .as_ref()
                        .and_then(|i| continue_paused(text.as_str(), i, &next_id))
                    {
                        if up_tx.send(Message::text(reply)).await.is_err() { break; }
                        continue;
                    }
                    if inspect(text.as_str(), &pending, &routes)
                        && client_tx.send(Message::Text(text)).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(message)) if !message.is_close() => {
                    if client_tx.send(message).await.is_err() { break; }
                }
                _ => break,
            },
        }
    }
    closed.store(true, Ordering::Relaxed);
    // Wake every caller still waiting: the browser is gone.
    pending.lock().unwrap_or_else(|e| e.into_inner()).clear();
    routes.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let _ = client_tx.close(None).await;
    let _ = up_tx.close(None).await;
}

/// For a `Fetch.requestPaused`, the `Fetch.continueRequest` that lets it go on, with the
/// interceptor's headers (replacing any of the same name); `None` for any other message.
fn continue_paused(text: &str, interceptor: &Interceptor, next_id: &AtomicU64) -> Option<String> {
    if !text.contains("\"Fetch.requestPaused\"") {
        return None;
    }
    let head = from_json::<Head>(text).ok()?;
    if head.method.as_deref() != Some("Fetch.requestPaused") {
        return None;
    }
    let message = from_json::<Value>(text).ok()?;
    let params = message.get("params")?;
    let request_id = params.get("requestId")?.clone();
    let url = params.pointer("/request/url").and_then(Value::as_str)?;
    let headers = params
        .pointer("/request/headers")
        .and_then(Value::as_object);
    let cookie = headers.and_then(|h| {
        h.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("cookie"))
            .and_then(|(_, v)| v.as_str())
    });
    let extra = interceptor(url, cookie);
    let mut continued = json!({"requestId": request_id});
    if !extra.is_empty() {
        let mut headers: Vec<Value> = headers
            .into_iter()
            .flatten()
            .filter(|(name, _)| !extra.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        headers.extend(extra.iter().map(|(n, v)| json!({"name": n, "value": v})));
        continued["headers"] = Value::Array(headers);
    }
    let mut reply = json!({
        "id": next_id.fetch_add(1, Ordering::Relaxed),
        "method": "Fetch.continueRequest",
        "params": continued,
    });
    if let Some(session) = head.session_id {
        reply["sessionId"] = Value::String(session);
    }
    Some(reply.to_string())
}

/// Routes what the engine needs; returns whether the message goes on to chromiumoxide.
fn inspect(text: &str, pending: &Pending, routes: &Routes) -> bool {
    let Ok(head) = from_json::<Head>(text) else {
        return true;
    };
    if let Some(id) = head.id {
        if id < OWN_ID_BASE {
            return true;
        }
        let waiter = pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        if let Some(waiter) = waiter {
            let answer = from_json::<Value>(text)
                .map_err(|e| e.to_string())
                .and_then(|mut v| match v.get_mut("error") {
                    Some(error) => Err(error
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown error")
                        .to_string()),
                    None => Ok(v.get_mut("result").map(Value::take).unwrap_or(Value::Null)),
                });
            let _ = waiter.send(answer);
        }
        return false;
    }
    if let Some(method) = head.method.as_deref()
        && ROUTED.contains(&method)
    {
        let session = head.session_id.as_deref().unwrap_or("");
        let route = routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(session)
            .cloned();
        if let Some(route) = route
            && let Ok(mut value) = from_json::<Value>(text)
        {
            let params = value
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null);
            let _ = route.send(RawEvent {
                method: method.to_string(),
                params,
                at: chrono::Utc::now(),
            });
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A paused request goes on at once: with the interceptor's headers (replacing its own of
    /// the same name) for the site, untouched for anyone else; other messages are not ours.
    #[test]
    fn paused_requests_continue_with_the_sites_headers_only() {
        let interceptor: Interceptor = Arc::new(|url: &str, cookie: Option<&str>| {
            if url.starts_with("https://www.council.test/") {
                vec![
                    ("X-Key".to_string(), "k".to_string()),
                    (
                        "Cookie".to_string(),
                        format!("s=1; {}", cookie.unwrap_or("")),
                    ),
                ]
            } else {
                Vec::new()
            }
        });
        let next = AtomicU64::new(OWN_ID_BASE);
        let paused = |url: &str| {
            json!({"method": "Fetch.requestPaused", "sessionId": "S1", "params": {
                "requestId": "interception-1", "request": {"url": url,
                "headers": {"Accept": "*/*", "x-key": "old", "Cookie": "a=2"}}}})
            .to_string()
        };
        let reply: Value = serde_json::from_str(
            &continue_paused(&paused("https://www.council.test/a"), &interceptor, &next).unwrap(),
        )
        .unwrap();
        assert_eq!(reply["method"], "Fetch.continueRequest");
        assert_eq!(reply["sessionId"], "S1");
        assert_eq!(reply["id"], OWN_ID_BASE);
        assert_eq!(
            reply["params"]["headers"],
            json!([{"name": "Accept", "value": "*/*"}, {"name": "X-Key", "value": "k"},
                   {"name": "Cookie", "value": "s=1; a=2"}])
        );
        let reply: Value = serde_json::from_str(
            &continue_paused(&paused("https://tracker.test/p"), &interceptor, &next).unwrap(),
        )
        .unwrap();
        assert_eq!(reply["params"], json!({"requestId": "interception-1"}));
        let other = json!({"method": "Network.requestWillBeSent", "params": {}}).to_string();
        assert!(continue_paused(&other, &interceptor, &next).is_none());
    }

    /// Issue 18's bytes that are not UTF-8: Chromium 156 answers `Storage.getCookies` for the
    /// cookie `a=\xed\xa0\x80` with `"value":"\ud800"`, which serde_json refuses.
    #[test]
    fn lone_surrogates_are_read_as_replacement_characters() {
        let jar = r#"{"id":7,"result":{"cookies":[{"name":"a","value":"\ud800x\udc00"}]}}"#;
        assert!(serde_json::from_str::<Value>(jar).is_err());
        let value: Value = from_json(jar).unwrap();
        assert_eq!(
            value.pointer("/result/cookies/0/value"),
            Some(&json!("\u{fffd}x\u{fffd}"))
        );
        // A pair is a character; an escaped backslash is not an escape.
        let text = r#"["\ud83c\udf6a", "\\ud800", "\u00e9"]"#;
        assert_eq!(without_lone_surrogates(text), text);
        assert_eq!(
            from_json::<Value>(text).unwrap(),
            json!(["\u{1f36a}", "\\ud800", "\u{e9}"])
        );
        // Not JSON at all stays an error.
        assert!(from_json::<Value>(r#"{"a": "\u12"#).is_err());
    }
}
