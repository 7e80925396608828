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
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;
type Routes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<RawEvent>>>>;

/// The running proxy.
#[derive(Debug)]
pub(crate) struct Tap {
    /// What chromiumoxide connects to.
    pub url: String,
    outgoing: mpsc::UnboundedSender<String>,
    pending: Pending,
    routes: Routes,
    next_id: AtomicU64,
    closed: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Tap {
    /// Listens on loopback for chromiumoxide and relays to `upstream` once it connects.
    pub(crate) async fn start(upstream: &str) -> Result<Tap, BrowserError> {
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
        let task = tokio::spawn(relay(
            listener,
            upstream_ws,
            outgoing_rx,
            pending.clone(),
            routes.clone(),
            closed.clone(),
        ));
        Ok(Tap {
            url,
            outgoing,
            pending,
            routes,
            next_id: AtomicU64::new(OWN_ID_BASE),
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
struct Head<'a> {
    id: Option<u64>,
    #[serde(borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

async fn relay(
    listener: TcpListener,
    upstream: async_tungstenite::WebSocketStream<async_tungstenite::tokio::ConnectStream>,
    mut own: mpsc::UnboundedReceiver<String>,
    pending: Pending,
    routes: Routes,
    closed: Arc<AtomicBool>,
) {
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

/// Routes what the engine needs; returns whether the message goes on to chromiumoxide.
fn inspect(text: &str, pending: &Pending, routes: &Routes) -> bool {
    let Ok(head) = serde_json::from_str::<Head>(text) else {
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
            let answer = serde_json::from_str::<Value>(text)
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
            && let Ok(mut value) = serde_json::from_str::<Value>(text)
        {
            let params = value
                .get_mut("params")
                .map(Value::take)
                .unwrap_or(Value::Null);
            let _ = route.send(RawEvent {
                method: method.to_string(),
                params,
            });
        }
    }
    true
}
