//! The one Set-Cookie parser (`cookie_audit_model::set_cookie`) judged against what Chromium
//! keeps. The HTTP engine reports a cookie by that parser alone, so every odd header it reads
//! differently from the browser is a cookie reported that no visitor stores, or one missed.
//!
//! Each line of [`corpus`] is served alone over http by a raw server (so control characters and
//! invalid UTF-8 reach the wire), each of [`SECURE_CORPUS`] over https (what `Secure`, the
//! prefixes, `SameSite=None` and `Partitioned` need), loaded by a real Chromium through the
//! engine's guard proxy into an empty jar, and the jar compared with the parser's verdict:
//! stored or not, and if stored its name, value, domain, host-only, path, Secure, HttpOnly,
//! SameSite, session and expiry.

use std::sync::OnceLock;
use std::time::Duration;

use chromiumoxide::Browser;
use chromiumoxide::cdp::browser_protocol::network::{Cookie, CookieSameSite};
use chrono::Utc;
use cookie_audit_crawl::net::Guard;
use cookie_audit_fixtures::FixtureServer;
use cookie_audit_fixtures::raw::{Behaviour, RawServer, Step, response};
use cookie_audit_model::set_cookie::{SameSite, SetCookieContext, interpret_set_cookie};
use futures::StreamExt;
use url::Url;

use crate::launch::{ChromeProcess, LaunchOptions, find_chrome};
use crate::proxy::Proxy;

/// The host the lines are served from (mapped to 127.0.0.1): a council's, under the public
/// suffix `gov.uk`.
const HOST: &str = "www.odd.gov.uk";

/// Every line served, raw bytes. Built once: some are generated (sizes at the limits).
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut lines: Vec<Vec<u8>> = [
            // Plain, paths, whitespace and quoting.
            "a=1",
            "a=1; Path=/",
            "a=1; Path=/elsewhere",
            "a=1; Path=relative",
            "a=1; Path=/c?x=1",
            "a=1; Path=/a=b",
            "a=1; Path=/C",
            "a=1; Path=/c/",
            "$Version=1",
            "a=1; Path=",
            " a = 1 ; Path = /p ",
            "a=\"quoted value\"",
            "a=1=2",
            "a==",
            "a=",
            "=v",
            "v",
            "=",
            ";a=1",
            "a=1;;; ;",
            "a=1, b=2",
            "a=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT, b=2",
            "a=1; Path=/; , b=2; Path=/",
            "a=%3Bencoded%20",
            "a=1; path=/C/",
            "A=1; PATH=/; DOMAIN=ODD.GOV.UK; HTTPONLY",
            "a=1; Domain=ODD.gov.uk; Path=/c/0",
            "a=[1]{2}(3)<4>@5\\6",
            "a=1 2",
            "a b=1",
            "a,b=1",
            "a=val\tue",
            "a\tb=1",
            "\ta=1",
            "a=1\t",
            "a=1; Path=/a\tb",
            "a=1; Path=/a\t",
            "a=1; Unknown=x\ty",
            "a=1; Expires=Wed, 21\tOct 2099 07:28:00 GMT",
            "a=1; Domain=odd\t.gov.uk",
            "a=1; Same\tSite=Lax",
            "a=1; Secure\t",
            // Lifetimes.
            "a=1; Max-Age=60",
            "a=1; Max-Age=0",
            "a=1; Max-Age=-1",
            "a=1; Max-Age=abc",
            "a=1; Max-Age=+60",
            "a=1; Max-Age=-0",
            "a=1; Max-Age=0060",
            "a=1; Max-Age= 60",
            "a=1; Max-Age=1e3",
            "a=1; Max-Age=+-60",
            "a=1; Max-Age=60s",
            "a=1; Max-Age=",
            "a=1; Max-Age=99999999999999999999",
            "a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60",
            "a=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
            "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "a=1; Expires=garbage",
            "a=1; Expires=",
            "a=1; Expires=2099-10-21",
            "a=1; Expires=21 Oct 2099",
            "a=1; Expires=Wednesday, 21-Oct-99 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 2099 07:28:00",
            "a=1; Max-Age=60; Max-Age=0",
            "a=1; Max-Age=60; Expires=garbage",
            "a=1; Expires=Wed, 21-Oct-2099 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 2099 07:28:00 UTC",
            "a=1; Expires=Wed Oct 21 07:28:00 2099",
            "a=1; Expires=21 Oct 2099 07:28",
            "a=1; Expires=Wed, 21 Oct 99 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 69 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 70 07:28:00 GMT",
            "a=1; Expires=Wed, 32 Oct 2099 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 2099 25:00:00 GMT",
            "a=1; Expires=Wed, 21 Oct 1600 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 10000 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 100 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 99999 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 123456 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 0099 07:28:00 GMT",
            "a=1; Expires=Wed, 21 Oct 0001 07:28:00 GMT",
            "a=1; Expires=Wed, 29 Feb 2099 07:28:00 GMT",
            "a=1; Expires=Tue, 19 Jan 2038 03:14:08 GMT",
            "a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
            "a=1; Expires=\"Wed, 21 Oct 2099 07:28:00 GMT\"",
            "a=1; max-age=3600",
            "a=1; MAX-AGE=3600",
            // Domains.
            "a=1; Domain=odd.gov.uk",
            "a=1; Domain=.odd.gov.uk",
            "a=1; Domain=www.odd.gov.uk",
            "a=1; Domain=WWW.ODD.GOV.UK",
            "a=1; Domain=odd.gov.uk.",
            "a=1; Domain=other.gov.uk",
            "a=1; Domain=sub.www.odd.gov.uk",
            "a=1; Domain=gov.uk",
            "a=1; Domain=.gov.uk",
            "a=1; Domain=uk",
            "a=1; Domain=",
            "a=1; Domain=.",
            "a=1; Domain=..odd.gov.uk",
            "a=1; Domain=odd..gov.uk",
            "a=1; Domain=.www.odd.gov.uk.",
            "a=1; Domain=odd.gov.uk; Domain=other.gov.uk",
            "a=1; Domain=odd.gov.uk:80",
            "a=1; Domain=%6Fdd.gov.uk",
            "a=1; Domain=127.0.0.1",
            "a=1; Domain=\u{f6}dd.gov.uk",
            "a=1; Domain=other.gov.uk; Domain=odd.gov.uk",
            // Security and prefixes (over plain http).
            "a=1; Secure",
            "a=1; HttpOnly",
            "a=1; httponly=false",
            "a=1; SECURE=yes",
            "__Secure-a=1",
            "__Secure-a=1; Secure",
            "__Host-a=1; Path=/",
            "__host-a=1",
            "__HOST-a=1",
            "=__Host-a",
            "__Secure-=1",
            // SameSite.
            "a=1; SameSite=Lax",
            "a=1; SameSite=strict",
            "a=1; SameSite=NONE",
            "a=1; SameSite=None; Secure",
            "a=1; SameSite=Bogus",
            "a=1; SameSite",
            "a=1; SameSite=Lax; SameSite=Strict",
            // Partitioned, unknown attributes.
            "a=1; Partitioned",
            "a=1; Priority=High",
            "a=1; Comment=hello; Version=1",
            "a=1; Unknown=thing; Flag",
            // Non-ASCII.
            "a=caf\u{e9}",
            "caf\u{e9}=1",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        // Raw bytes a String cannot hold, and control characters.
        lines.push(b"a=caf\xe9".to_vec());
        lines.push(b"a=1\x01".to_vec());
        lines.push(b"a=1\x7f".to_vec());
        lines.push(b"a=1; Path=/\x01".to_vec());
        lines.push(b"a\x00b=1".to_vec());
        // Sizes at Chromium's limits: 4096 bytes of name and value, 1024 per attribute value.
        lines.push(format!("a={}", "x".repeat(4094)).into_bytes());
        lines.push(format!("a={}", "x".repeat(4095)).into_bytes());
        lines.push(format!("{}=1", "n".repeat(4095)).into_bytes());
        lines.push(format!("a=1; Path=/{}", "p".repeat(1023)).into_bytes());
        lines.push(format!("a=1; Path=/{}", "p".repeat(1024)).into_bytes());
        lines.push(format!("a=1; Domain={}odd.gov.uk", "d.".repeat(300)).into_bytes());
        lines
    })
}

/// Lines whose verdict depends on a secure origin, served over https.
const SECURE_CORPUS: &[&str] = &[
    "a=1; Secure",
    "a=1; Secure; HttpOnly; SameSite=Strict",
    "__Secure-a=1; Secure",
    "__Secure-a=1",
    "__secure-a=1; Secure",
    "__Host-a=1; Secure; Path=/",
    "__Host-a=1; Secure",
    "__Host-a=1; Path=/",
    "__Host-a=1; Secure; Path=/; Domain=odd.gov.uk",
    "__Host-a=1; Secure; Path=/; Domain=www.odd.gov.uk",
    "__host-a=1; Secure; Path=/",
    "__Host-a=1; Secure; Path=/c",
    "=__Secure-x; Secure",
    "=__Host-x; Secure; Path=/",
    "__Secure-=1; Secure",
    "a=1; SameSite=None; Secure",
    "a=1; SameSite=None",
    "a=1; SameSite=none; Secure; Domain=odd.gov.uk",
    "a=1; Partitioned",
    "a=1; Partitioned; Secure",
    "__Host-a=1; Secure; Path=/; Partitioned",
    "a=1; Secure; Domain=odd.gov.uk; Max-Age=3600",
    "a=1; Secure; Domain=gov.uk",
];

/// `/c/N` answers with the N-th line of [`SECURE_CORPUS`] (https).
async fn serve_secure(request: axum::extract::Request) -> axum::response::Response {
    let line = request
        .uri()
        .path()
        .strip_prefix("/c/")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| SECURE_CORPUS.get(n));
    let mut response =
        axum::response::Response::new(axum::body::Body::from("<!DOCTYPE html><p>one cookie</p>"));
    match line {
        Some(line) => {
            let headers = response.headers_mut();
            headers.insert("content-type", "text/html".parse().unwrap());
            headers.insert("set-cookie", line.parse().unwrap());
        }
        None => *response.status_mut() = http::StatusCode::NOT_FOUND,
    }
    response
}

/// `/c/N` answers with the N-th line as its only Set-Cookie.
fn serve(path: &str) -> Vec<Step> {
    let Some(line) = path
        .strip_prefix("/c/")
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| corpus().get(n))
    else {
        return vec![Step::Write(response("404 Not Found", &[], b""))];
    };
    let mut header = b"Set-Cookie: ".to_vec();
    header.extend_from_slice(line);
    vec![Step::Write(response(
        "200 OK",
        &[b"Content-Type: text/html", &header],
        b"<!DOCTYPE html><p>one cookie</p>",
    ))]
}

/// What the parser says a browser stores for `line` set by `url`; `None` when it stores
/// nothing (refused, or a header that deletes).
fn expected(line: &[u8], url: &Url) -> Option<Kept> {
    // The engines read header bytes so: invalid UTF-8 replaced, never dropped.
    let text = String::from_utf8_lossy(line);
    let now = Utc::now();
    let record = interpret_set_cookie(
        &text,
        &SetCookieContext {
            request_url: url,
            server_date: None,
            received_at: now,
        },
    );
    if record.rejected.is_some() || record.lifetime.is_deletion() {
        return None;
    }
    let lifetime = record
        .lifetime
        .browser_capped_seconds
        .or(record.lifetime.seconds);
    Some(Kept {
        name: record.name,
        value: record.value,
        domain: record.domain,
        host_only: record.host_only,
        path: record.path,
        secure: record.secure,
        http_only: record.http_only,
        same_site: record.same_site.map(|s| match s {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }),
        expires_at: lifetime.map(|s| now.timestamp().saturating_add(s)),
    })
}

/// A cookie as the jar holds it, in the parser's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Kept {
    name: String,
    value: String,
    domain: String,
    host_only: bool,
    path: String,
    secure: bool,
    http_only: bool,
    same_site: Option<&'static str>,
    /// Unix seconds; `None` for a session cookie.
    expires_at: Option<i64>,
}

fn kept(cookie: &Cookie) -> Kept {
    Kept {
        name: cookie.name.clone(),
        value: cookie.value.clone(),
        domain: cookie.domain.trim_start_matches('.').to_string(),
        host_only: !cookie.domain.starts_with('.'),
        path: cookie.path.clone(),
        secure: cookie.secure,
        http_only: cookie.http_only,
        same_site: cookie.same_site.as_ref().map(|s| match s {
            CookieSameSite::Strict => "Strict",
            CookieSameSite::Lax => "Lax",
            CookieSameSite::None => "None",
        }),
        expires_at: (!cookie.session).then_some(cookie.expires as i64),
    }
}

/// Equal, the expiry within a minute (the parser and Chromium read the clock at different
/// moments). A byte that is not UTF-8 is U+FFFD in the parser's strings (the engines read header
/// bytes so) and missing from DevTools' (which drops it): the rest must match.
fn agree(ours: &Kept, chromium: &Kept) -> bool {
    let ours = &Kept {
        name: ours.name.replace('\u{fffd}', ""),
        value: ours.value.replace('\u{fffd}', ""),
        ..ours.clone()
    };
    let expiry = match (ours.expires_at, chromium.expires_at) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 60,
        _ => false,
    };
    expiry
        && Kept {
            expires_at: None,
            ..ours.clone()
        } == Kept {
            expires_at: None,
            ..chromium.clone()
        }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parser_keeps_what_chromium_keeps() {
    let raw = RawServer::start("127.0.0.1:0".parse().unwrap(), Behaviour::Scripted(serve))
        .await
        .unwrap();
    let tls = FixtureServer::start(|_| axum::Router::new().fallback(serve_secure), &[HOST])
        .await
        .unwrap();
    let guard = Guard::new(
        [(HOST.to_string(), "127.0.0.1".parse().unwrap())],
        true,
        false,
    );
    let proxy = Proxy::start(guard, Duration::from_secs(5)).await.unwrap();
    let chrome = find_chrome(None).unwrap_or_else(|e| {
        panic!("this test needs Chromium: {e}. On Debian/Ubuntu: `apt-get install chromium`")
    });
    // The https fixture's certificate is self-signed; what a secure origin means for cookies
    // does not change.
    let mut process = ChromeProcess::start(&LaunchOptions {
        chrome,
        insecure: true,
        proxy: proxy.addr(),
    })
    .await
    .expect("Chromium starts");
    let (browser, mut handler) = Browser::connect(process.ws_url().to_string())
        .await
        .expect("DevTools answers");
    let handling = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let page = browser.new_page("about:blank").await.unwrap();

    let plain = corpus().iter().enumerate().map(|(n, line)| {
        let url = format!("http://{HOST}:{}/c/{n}", raw.port());
        (url, line.as_slice())
    });
    let secure = SECURE_CORPUS
        .iter()
        .enumerate()
        .map(|(n, line)| (tls.https_url(HOST, &format!("/c/{n}")), line.as_bytes()));
    let cases: Vec<(String, &[u8])> = plain.chain(secure).collect();
    let mut disagreements = Vec::new();
    for (url, line) in &cases {
        browser.clear_cookies().await.unwrap();
        let url = Url::parse(url).unwrap();
        page.goto(url.as_str()).await.unwrap();
        let jar: Vec<Kept> = browser
            .get_cookies()
            .await
            .unwrap()
            .iter()
            .map(kept)
            .collect();
        let ours = expected(line, &url);
        let same = match (&ours, jar.as_slice()) {
            (None, []) => true,
            (Some(ours), [chromium]) => agree(ours, chromium),
            _ => false,
        };
        if !same {
            let shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
            disagreements.push(format!(
                "{url} `{}`:\n  parser:   {ours:?}\n  Chromium: {jar:?}",
                shown.escape_debug()
            ));
        }
    }
    drop(page);
    drop(browser);
    handling.abort();
    process.kill().await;
    assert!(
        disagreements.is_empty(),
        "{} of {} lines read differently:\n{}",
        disagreements.len(),
        cases.len(),
        disagreements.join("\n")
    );
}
