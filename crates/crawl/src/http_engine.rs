//! The HTTP engine: pages and their embedded resources fetched with plain HTTP. Fast and light,
//! but blind to cookies set by JavaScript — the report says so in `limitations`.

use cookie_audit_model::EngineKind;
use futures::StreamExt;

use crate::context::CrawlContext;
use crate::engine::{Engine, PageTask, PageVisit, VisitStatus};
use crate::fetch::{ACCEPT_ANY, ACCEPT_HTML, BodyPolicy, FetchRequest, fetch};
use crate::html::{self, Resource, ResourceKind};
use crate::record::PageRef;

/// Embedded resources of one page fetched at once (the global in-flight cap still applies).
pub const RESOURCE_CONCURRENCY: usize = 4;

/// What the HTTP engine cannot see.
pub const HTTP_LIMITATION: &str = "cookies set by JavaScript are not observed";

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
        let text = html::decode(&body.bytes, fetched.content_type.as_deref());
        drop(body);
        let found = html::extract(&text, &fetched.final_url);
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
    ctx.resource_fetched();
    match fetched {
        Ok(f) => {
            if f.status >= 400 {
                tracing::debug!(url = %resource.url, status = f.status, "embedded resource answered an error");
            }
            match f.body {
                Some(body) if f.status < 400 => {
                    let text = html::decode(&body.bytes, f.content_type.as_deref());
                    html::extract(&text, &f.final_url).resources
                }
                _ => Vec::new(),
            }
        }
        Err(failure) => {
            ctx.error(
                &resource.url,
                format!("embedded resource on {}: {}", page.url, failure.error),
            );
            Vec::new()
        }
    }
}
