//! Fixture sites for the audit tests, served on 127.0.0.1 and reached by name through
//! `--resolve`: a council whose cookies and cookie table change between runs, a slow one to kill
//! a run in the middle of, and a webhook receiver.

use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use cookie_audit_fixtures::FixtureServer;

/// A cookie value that must never reach a log, a summary, a webhook or the database.
pub(super) const SECRET: &str = "s3cr3t-Val-7f4e2a";

pub(super) const CHANGING: &str = "www.changeshire.gov.uk";
pub(super) const SLOW: &str = "www.slowshire.gov.uk";
pub(super) const HOOKS: &str = "hooks.test";

/// Changeshire: version 1 sets `council_session` and `cookie_consent` and declares both plus a
/// retired `old_poll`; version 2 also sets `feedback_widget` and no longer declares `old_poll`.
pub(super) async fn changing(v2: Arc<AtomicBool>) -> FixtureServer {
    FixtureServer::start(
        move |_| {
            Router::new().fallback(move |request: Request| {
                let v2 = v2.load(Ordering::SeqCst);
                async move { changeshire(request.uri().path(), v2) }
            })
        },
        &[CHANGING],
    )
    .await
    .expect("fixture server")
}

fn changeshire(path: &str, v2: bool) -> Response {
    let page = |body: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>Changeshire Council</title></head><body>{body}\
             <footer><a href=\"/about\">About</a> <a href=\"/cookies\">Cookies</a></footer>\
             </body></html>"
        )
    };
    match path {
        "/robots.txt" => text("User-agent: *\nAllow: /\n"),
        "/" => {
            let mut cookies = vec![format!(
                "council_session={SECRET}; Path=/; HttpOnly; SameSite=Lax"
            )];
            if v2 {
                cookies.push("feedback_widget=w1; Max-Age=2592000; Path=/; SameSite=Lax".into());
            }
            html(&page("<h1>Welcome to Changeshire</h1>"), &cookies)
        }
        "/about" => html(
            &page("<h1>About the council</h1>"),
            &["cookie_consent=yes; Max-Age=31536000; Path=/; SameSite=Lax".into()],
        ),
        "/cookies" => {
            let mut rows = String::from(
                "<tr><td>council_session</td><td>Keeps your visit working.</td><td>Session</td></tr>\
                 <tr><td>cookie_consent</td><td>Remembers your cookie choices.</td><td>1 year</td></tr>",
            );
            if !v2 {
                rows.push_str(
                    "<tr><td>old_poll</td><td>Remembered your poll answer.</td><td>1 month</td></tr>",
                );
            }
            html(
                &page(&format!(
                    "<h1>Cookies</h1><table><thead><tr><th>Name</th><th>Purpose</th>\
                     <th>Expiry</th></tr></thead><tbody>{rows}</tbody></table>"
                )),
                &[],
            )
        }
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Slowshire: every page takes 300 ms and links to 40 more, so a crawl lasts long enough to be
/// killed in the middle.
pub(super) async fn slow() -> FixtureServer {
    FixtureServer::start(
        |_| {
            Router::new().fallback(|request: Request| async move {
                let path = request.uri().path().to_string();
                if path == "/robots.txt" {
                    return text("User-agent: *\nAllow: /\n");
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                let links: String = (1..=40)
                    .map(|k| format!("<a href=\"/page/{k}\">Page {k}</a> "))
                    .collect();
                html(
                    &format!("<html><body><h1>{path}</h1>{links}</body></html>"),
                    &["slow_session=1; Path=/".into()],
                )
            })
        },
        &[SLOW],
    )
    .await
    .expect("fixture server")
}

/// One POST the webhook receiver got.
#[derive(Debug, Clone)]
pub(super) struct Hook {
    pub path: String,
    pub content_type: String,
    pub body: serde_json::Value,
}

/// A webhook receiver on `hooks.test` that records every POST and answers with `status`.
pub(super) struct Hooks {
    pub server: FixtureServer,
    pub received: Arc<Mutex<Vec<Hook>>>,
}

pub(super) async fn hooks(status: u16) -> Hooks {
    let received: Arc<Mutex<Vec<Hook>>> = Arc::default();
    // Shared with the handler, which outlives this function.
    let status = Arc::new(AtomicU16::new(status));
    let (r, s) = (received.clone(), status.clone());
    let server = FixtureServer::start(
        move |_| {
            Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
                let (received, status) = (r.clone(), s.clone());
                async move {
                    received.lock().unwrap().push(Hook {
                        path: uri.path().to_string(),
                        content_type: headers
                            .get(header::CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string(),
                        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                    });
                    StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
                }
            })
        },
        &[HOOKS],
    )
    .await
    .expect("webhook server");
    Hooks { server, received }
}

fn text(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

fn html(body: &str, cookies: &[String]) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.to_string(),
    )
        .into_response();
    for cookie in cookies {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(cookie).expect("a valid header"),
        );
    }
    response
}
