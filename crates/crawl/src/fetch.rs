//! One fetch, redirects followed by hand: every hop is rate limited, checked by the address
//! guard, recorded with its own URL, and its cookies stored in the jar — as a browser would.

use std::future::Future;
use std::time::Duration;

use cookie_audit_model::LimitKind;
use cookie_audit_model::url_norm::{host_of, resolve_link};
use url::Url;

use crate::context::CrawlContext;
use crate::net::{Body, FetchError, Response};
use crate::record::PageRef;

/// What either engine says when a response's header lines were skipped for a control character.
pub const SKIPPED_HEADER_LINES: &str = "the response has header lines HTTP forbids (a control character); they were skipped, so a cookie set in one of them is not recorded";

/// Longest `Retry-After` we wait for; beyond it the response counts as it is.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Attempts for a request answered 429/503 or failing to connect.
pub const MAX_ATTEMPTS: u32 = 3;

/// Accept header for documents.
pub const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// Accept header for embedded resources.
pub const ACCEPT_ANY: &str = "*/*";

/// What to do with the final response's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPolicy {
    /// Headers are all we need (images, scripts: their cookies are in the headers).
    Skip,
    /// Read it when it is HTML.
    IfHtml,
    /// Read it whatever it is (robots.txt, sitemaps).
    Always,
}

/// One request for [`fetch`]: where to start, what to accept, whether to read the body, and the
/// page its cookies belong to.
#[derive(Debug)]
pub struct FetchRequest<'a> {
    /// Where to start; redirects are followed from here.
    pub url: &'a Url,
    /// The `Accept` header: [`ACCEPT_HTML`] for documents, [`ACCEPT_ANY`] for everything else.
    pub accept: &'static str,
    /// Whether the final response's body is read.
    pub body: BodyPolicy,
    /// The page these cookies belong to; `None` for robots.txt and sitemaps, whose cookies a
    /// browser would never receive.
    pub page: Option<&'a PageRef>,
}

/// One response in a chain.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The URL that answered: the hop's own, not the one the chain started from.
    pub url: Url,
    /// Its HTTP status; every hop but the last is a redirect.
    pub status: u16,
}

/// A fetch that ended in a response of any status (a 404 is an answer, not a failure): the chain
/// that led there and, when asked for, the final body.
#[derive(Debug)]
pub struct Fetched {
    /// Every response, the final one last.
    pub hops: Vec<Hop>,
    /// The URL of the last response, after every redirect: links on the page resolve against it.
    pub final_url: Url,
    /// The last response's HTTP status.
    pub status: u16,
    /// The last response's `Content-Type` as sent; `None` when it had none.
    pub content_type: Option<String>,
    /// The final body, cut at `--max-body-bytes`, when the [`BodyPolicy`] asked for it; `None`
    /// otherwise.
    pub body: Option<Body>,
}

/// A failed fetch keeps the hops that did answer (their cookies are already recorded).
#[derive(Debug)]
pub struct FetchFailure {
    /// The responses that did arrive before the failure, in order; empty when the first request
    /// failed.
    pub hops: Vec<Hop>,
    /// Why the chain stopped.
    pub error: FetchError,
}

/// Fetches `request.url` as a browser would: redirects followed by hand up to `--max-redirects`
/// (loops detected), every hop rate limited, guarded, recorded against `request.page` and stored in
/// the jar, and 429/503 answers retried after a bounded `Retry-After`. Only a chain that ends
/// without a final response is an error.
pub async fn fetch(ctx: &CrawlContext, request: FetchRequest<'_>) -> Result<Fetched, FetchFailure> {
    let mut hops: Vec<Hop> = Vec::new();
    let mut url = request.url.clone();
    let max_redirects = ctx.options.max_redirects;
    loop {
        let response = match send_with_retries(ctx, &url, request.accept).await {
            Ok(r) => r,
            Err(error) => return Err(FetchFailure { hops, error }),
        };
        let status = response.status;
        if response.invalid_headers_skipped {
            ctx.error(&url, SKIPPED_HEADER_LINES);
        }
        let lines = response.set_cookie_lines();
        if let Some(page) = request.page {
            let note = (!hops.is_empty() || response.is_redirect())
                .then(|| format!("redirect hop {}", hops.len() + 1));
            ctx.recorder.record_response(
                page,
                &url,
                status,
                note.as_deref(),
                &lines,
                response.server_date(),
                response.received_at,
            );
            ctx.jar.store(&url, &lines);
        }
        hops.push(Hop {
            url: url.clone(),
            status,
        });

        if response.is_redirect() {
            let Some(location) = response.location() else {
                // A 3xx without Location is final, as in browsers.
                return finish(ctx, response, hops, request.body).await;
            };
            let next = match resolve_link(&url, &location) {
                Ok(next) => next,
                Err(_) => {
                    return Err(FetchFailure {
                        hops,
                        error: FetchError::BadRedirect { location },
                    });
                }
            };
            if hops.iter().any(|h| h.url == next) {
                return Err(FetchFailure {
                    hops,
                    error: FetchError::RedirectLoop {
                        url: next.to_string(),
                    },
                });
            }
            if hops.len() as u32 > max_redirects {
                ctx.limit(
                    LimitKind::MaxRedirects,
                    format!("a redirect chain longer than {max_redirects} hops was cut"),
                    Some(request.url),
                );
                return Err(FetchFailure {
                    hops,
                    error: FetchError::TooManyRedirects { max: max_redirects },
                });
            }
            url = next;
            continue;
        }
        return finish(ctx, response, hops, request.body).await;
    }
}

async fn finish(
    ctx: &CrawlContext,
    response: Response,
    hops: Vec<Hop>,
    policy: BodyPolicy,
) -> Result<Fetched, FetchFailure> {
    let content_type = response.content_type();
    let final_url = response.url.clone();
    let status = response.status;
    let read = match policy {
        BodyPolicy::Skip => false,
        BodyPolicy::IfHtml => crate::html::is_html(content_type.as_deref()),
        BodyPolicy::Always => true,
    };
    let body = if read {
        let host = host_of(&final_url);
        let cap = ctx.options.max_body_bytes;
        match watched(ctx, &host, &final_url, response.read_body(cap)).await {
            Ok(body) => {
                if body.truncated {
                    ctx.body_truncated(&final_url);
                }
                Some(body)
            }
            Err(error) => return Err(FetchFailure { hops, error }),
        }
    } else {
        None
    };
    Ok(Fetched {
        hops,
        final_url,
        status,
        content_type,
        body,
    })
}

/// One request with politeness and bounded retries: 429/503 honour `Retry-After` (at most
/// [`MAX_RETRY_AFTER`]), connection errors are retried once. A host given up is not asked at all,
/// and a request waiting on a host is abandoned the moment the host is given up.
async fn send_with_retries(
    ctx: &CrawlContext,
    url: &Url,
    accept: &str,
) -> Result<Response, FetchError> {
    let host = host_of(url);
    let mut attempt = 1;
    let mut connect_retried = false;
    loop {
        let (headers, cookies) = ctx.extras_for(url);
        let cookie = crate::extras::cookie_header(cookies, ctx.jar.header_for(url).as_deref());
        let result = watched(ctx, &host, url, async {
            let _slot = ctx.limiter.acquire(&host).await;
            ctx.http
                .get_with(url, cookie.as_deref(), accept, headers)
                .await
        })
        .await;
        match result {
            Ok(response) if matches!(response.status, 429 | 503) && attempt < MAX_ATTEMPTS => {
                let wait = response
                    .retry_after()
                    .unwrap_or(Duration::from_secs(1 << attempt))
                    .min(MAX_RETRY_AFTER);
                tracing::debug!(%url, status = response.status, ?wait, "server asked to retry later");
                drop(response);
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Ok(response) => return Ok(response),
            Err(error) if error.is_transient() && !connect_retried => {
                tracing::debug!(%url, %error, "retrying once after a connection error");
                connect_retried = true;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Runs one exchange with `host` (a request, or reading a body) unless the host was given up, and
/// abandons it if the host is given up meanwhile; tells the limiter how the host answered.
async fn watched<T>(
    ctx: &CrawlContext,
    host: &str,
    url: &Url,
    exchange: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    let unresponsive = || {
        ctx.limiter.not_sent(host);
        Err(FetchError::Unresponsive {
            host: host.to_string(),
        })
    };
    if ctx.limiter.unresponsive(host) {
        return unresponsive();
    }
    let result = tokio::select! {
        result = exchange => result,
        () = ctx.limiter.until_unresponsive(host) => return unresponsive(),
    };
    match &result {
        Ok(_) => ctx.limiter.answered(host),
        Err(error) if error.is_silence() => {
            if ctx.limiter.failed(host, url) {
                tracing::warn!(%host, "{host} stopped answering: nothing more is sent to it");
            }
        }
        // A refusal of ours, a TLS error, a protocol error: the host is there.
        Err(_) => {}
    }
    result
}
