//! The HTTP engine: pages and their embedded resources fetched with plain HTTP. Fast and light,
//! but blind to cookies set by JavaScript — the report says so in `limitations`.

use cookie_audit_model::EngineKind;
use cookie_audit_model::LimitKind;
use cookie_audit_model::markup::MAX_ATTRIBUTES_PER_TAG;
use futures::StreamExt;
use url::Url;

use crate::context::CrawlContext;
use crate::engine::{Engine, PageTask, PageVisit, VisitStatus};
use crate::fetch::{ACCEPT_ANY, ACCEPT_HTML, BodyPolicy, FetchFailure, FetchRequest, fetch};
use crate::html::{
    self, MAX_LINKS_PER_PAGE, MAX_RESOURCES_PER_PAGE, PageLinks, Resource, ResourceKind,
};
use crate::net::{FetchError, ip_literal};
use crate::record::PageRef;

/// Embedded resources of one page fetched at once (the global in-flight cap still applies).
pub(crate) const RESOURCE_CONCURRENCY: usize = 4;

/// What the HTTP engine cannot see.
pub(crate) const HTTP_LIMITATION: &str = "cookies set by JavaScript are not observed";

/// The HTTP engine: each page and its embedded resources fetched with plain HTTP through the
/// crawl's guarded client. It holds nothing (cookies live in the context's jar), so one value
/// serves every visit; blind to cookies set by JavaScript, as its `limitations` say.
#[derive(Debug, Default, Clone, Copy)]
pub struct HttpEngine;

impl Engine for HttpEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Http
    }

    async fn visit(&self, task: PageTask, ctx: &CrawlContext) -> PageVisit {
        let page = &task.page;
        let fetched = fetch(
            ctx,
            FetchRequest {
                url: &page.url,
                accept: ACCEPT_HTML,
                body: BodyPolicy::IfHtml,
                page: Some(page),
            },
        )
        .await;
        let fetched = match fetched {
            Ok(f) => f,
            Err(failure) => {
                let mut visit = PageVisit::failed(&failure.error);
                if matches!(failure.error, FetchError::Unresponsive { .. })
                    && failure.hops.is_empty()
                {
                    visit.outcome = VisitStatus::HostUnresponsive;
                }
                if let Some(last) = failure.hops.last() {
                    visit.status = Some(last.status);
                    visit.final_url = Some(last.url.clone());
                }
                return visit;
            }
        };
        let mut visit = PageVisit {
            final_url: Some(fetched.final_url.clone()),
            status: Some(fetched.status),
            outcome: VisitStatus::Loaded,
            links: Vec::new(),
            html: None,
        };
        if fetched.status >= 400 {
            visit.outcome = VisitStatus::HttpError;
            return visit;
        }
        let Some(body) = fetched.body else {
            visit.outcome = VisitStatus::NotHtml {
                content_type: fetched.content_type.unwrap_or_default(),
            };
            return visit;
        };
        let Some((text, mut found)) =
            read_body(body.bytes, fetched.content_type, &fetched.final_url).await
        else {
            visit.outcome = VisitStatus::Failed {
                error: "the page could not be read".into(),
            };
            return visit;
        };
        screen_page(ctx, &fetched.final_url, &mut found);
        visit.links = if found.nofollow {
            Vec::new()
        } else {
            found.links
        };
        if task.keep_html {
            visit.html = Some(text);
        } else {
            drop(text);
        }
        fetch_resources(ctx, page, found.resources, true).await;
        visit
    }

    fn limitations(&self) -> Vec<String> {
        vec![HTTP_LIMITATION.to_string()]
    }
}

/// Bodies up to this size are read on the runtime worker that fetched them: tokenizing 256 KiB
/// takes about a millisecond, less than handing the page to the blocking pool and back costs in
/// thread wake-ups on a crawl of small pages (half the kernel time of a 50,000-page crawl).
pub(crate) const READ_INLINE_MAX_BYTES: usize = 256 * 1024;

/// Decodes and reads a page; a large one on the blocking pool: a 5 MiB page takes a while to
/// tokenize, and on a runtime worker it would stall every other request's timers and I/O (a
/// fixture served from the same runtime times out). `None` only if the reader panicked, wherever
/// it ran.
async fn read_body(
    bytes: bytes::Bytes,
    content_type: Option<String>,
    url: &Url,
) -> Option<(String, PageLinks)> {
    if bytes.len() <= READ_INLINE_MAX_BYTES {
        let read = || read_page(bytes, content_type.as_deref(), url);
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).ok();
    }
    let url = url.clone();
    tokio::task::spawn_blocking(move || read_page(bytes, content_type.as_deref(), &url))
        .await
        .ok()
}

/// The page's text and what it links to and embeds.
fn read_page(bytes: bytes::Bytes, content_type: Option<&str>, url: &Url) -> (String, PageLinks) {
    let text = html::decode(&bytes, content_type);
    drop(bytes);
    let found = html::extract(&text, url);
    (text, found)
}

/// Reports what a page's markup held that was cut or refused, and drops its links to addresses
/// the guard refuses (listing them): a page linking to `http://169.254.169.254/` is worth saying.
/// Every engine calls it on every document it reads.
pub(crate) fn screen_page(ctx: &CrawlContext, page_url: &Url, found: &mut PageLinks) {
    if let Some(at) = found.truncated_at {
        ctx.limit(
            LimitKind::HtmlAttributes,
            format!(
                "a tag has more than {MAX_ATTRIBUTES_PER_TAG} attributes; the page was read up to byte {at} only"
            ),
            Some(page_url),
        );
    }
    if found.links_dropped > 0 {
        ctx.limit(
            LimitKind::LinksPerPage,
            format!(
                "{} links past the first {MAX_LINKS_PER_PAGE} on the page were not followed",
                found.links_dropped
            ),
            Some(page_url),
        );
    }
    if found.resources_dropped > 0 {
        ctx.limit(
            LimitKind::ResourcesPerPage,
            format!(
                "{} embedded resources past the first {MAX_RESOURCES_PER_PAGE} on the page were not fetched",
                found.resources_dropped
            ),
            Some(page_url),
        );
    }
    for url in found.refused.drain(..) {
        ctx.error(
            &url,
            format!(
                "not fetched: `{}:` URLs are never fetched (found on {page_url})",
                url.scheme()
            ),
        );
    }
    found.links.retain(|link| {
        let Some(ip) = ip_literal(&link.url) else {
            return true;
        };
        match ctx.http.policy().check(ip) {
            Ok(()) => true,
            Err(forbidden) => {
                ctx.error(
                    &link.url,
                    format!("link on {page_url} not followed: {forbidden}"),
                );
                false
            }
        }
    });
}

/// Fetches a page's embedded resources once each, within `--max-resources`, recording their
/// cookies against the page. Iframes are documents: their own resources are fetched one level
/// deep (a consent iframe's pixel), not further.
async fn fetch_resources(
    ctx: &CrawlContext,
    page: &PageRef,
    mut resources: Vec<Resource>,
    descend: bool,
) {
    // Iframes and scripts first: they are where third parties set cookies; a stable sort keeps
    // document order within a kind.
    resources.sort_by_key(|r| r.kind);
    let claimed: Vec<Resource> = resources
        .into_iter()
        .filter(|r| ctx.claim_resource(&r.url))
        .collect();
    let nested: Vec<Vec<Resource>> = futures::stream::iter(claimed)
        .map(|resource| async move { fetch_resource(ctx, page, resource, descend).await })
        .buffer_unordered(RESOURCE_CONCURRENCY)
        .collect()
        .await;
    let nested: Vec<Resource> = nested.into_iter().flatten().collect();
    if !nested.is_empty() {
        Box::pin(fetch_resources(ctx, page, nested, false)).await;
    }
}

/// Fetches one resource; returns an iframe's own resources when `descend`.
async fn fetch_resource(
    ctx: &CrawlContext,
    page: &PageRef,
    resource: Resource,
    descend: bool,
) -> Vec<Resource> {
    let is_frame = resource.kind == ResourceKind::Iframe;
    let fetched = fetch(
        ctx,
        FetchRequest {
            url: &resource.url,
            accept: if is_frame { ACCEPT_HTML } else { ACCEPT_ANY },
            body: if is_frame && descend {
                BodyPolicy::IfHtml
            } else {
                BodyPolicy::Skip
            },
            page: Some(page),
        },
    )
    .await;
    let not_sent = matches!(
        &fetched,
        Err(FetchFailure {
            error: FetchError::Unresponsive { .. },
            ..
        })
    );
    if !not_sent {
        ctx.resource_fetched();
    }
    match fetched {
        Ok(f) => {
            if f.status >= 400 {
                tracing::debug!(url = %resource.url, status = f.status, "embedded resource answered an error");
            }
            match f.body {
                Some(body) if f.status < 400 => {
                    match read_body(body.bytes, f.content_type, &f.final_url).await {
                        Some((_, mut found)) => {
                            screen_page(ctx, &f.final_url, &mut found);
                            found.resources
                        }
                        None => Vec::new(),
                    }
                }
                _ => Vec::new(),
            }
        }
        // A host given up is listed once, as the `host_unresponsive` limit, not per resource.
        Err(FetchFailure {
            error: FetchError::Unresponsive { .. },
            ..
        }) => Vec::new(),
        Err(failure) => {
            ctx.error(
                &resource.url,
                format!("embedded resource on {}: {}", page.url, failure.error),
            );
            Vec::new()
        }
    }
}
