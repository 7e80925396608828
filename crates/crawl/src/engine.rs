//! The engine trait: how one page is visited. The crawl loop (frontier, scope, robots, sitemaps,
//! limits, politeness) is the same for every engine; only the visit differs — plain HTTP, or a
//! real Chromium that runs the page's JavaScript.

use std::future::Future;

use cookie_audit_model::{BrowserInfo, EngineKind};
use url::Url;

use crate::context::CrawlContext;
use crate::html::Link;
use crate::record::PageRef;

/// A page to visit.
#[derive(Debug, Clone)]
pub struct PageTask {
    /// The page and its depth; every cookie seen during the visit is recorded against it.
    pub page: PageRef,
    /// Return the page's HTML (rendered DOM for the browser): it may declare cookies.
    pub keep_html: bool,
}

/// What happened when a page was visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitStatus {
    /// A document was loaded and read.
    Loaded,
    /// The response was not HTML (a PDF, an image); cookies were recorded, nothing parsed.
    NotHtml {
        /// The response's `Content-Type`, as sent.
        content_type: String,
    },
    /// The server answered with an error status; cookies were recorded.
    HttpError,
    /// No usable response at all.
    Failed {
        /// What went wrong, in words.
        error: String,
    },
    /// Not visited after all: the page's host had stopped answering and was given up before or
    /// while the page was asked for. The crawl counts it among the pages the `host_unresponsive`
    /// limit left, not among the pages visited.
    HostUnresponsive,
}

/// What an engine says about one visit: where it ended, whether it was read, and the links to
/// follow. Cookies are not in it: they went to the recorder during the visit.
#[derive(Debug, Clone)]
pub struct PageVisit {
    /// Where the visit ended after redirects.
    pub final_url: Option<Url>,
    /// The final response's HTTP status; `None` when no response arrived.
    pub status: Option<u16>,
    /// Whether the page was read and, if not, why (a failure or an error status is listed in
    /// `crawl.errors`).
    pub outcome: VisitStatus,
    /// Links (anchor text kept for discovery), empty unless the page was read.
    pub links: Vec<Link>,
    /// The page's HTML when `keep_html` was asked and the page was read.
    pub html: Option<String>,
}

impl PageVisit {
    /// Why the page could not be read, in words; `None` when it was.
    pub fn problem(&self) -> Option<String> {
        match &self.outcome {
            VisitStatus::Loaded => None,
            VisitStatus::NotHtml { content_type } => {
                Some(format!("not an HTML page ({content_type})"))
            }
            VisitStatus::HttpError => Some(format!("HTTP {}", self.status.unwrap_or_default())),
            VisitStatus::Failed { error } => Some(error.clone()),
            VisitStatus::HostUnresponsive => {
                Some("not visited: its host had stopped answering".to_string())
            }
        }
    }

    /// A visit that got no usable response: `Failed` with `error` in words, and nothing else known.
    pub fn failed(error: impl std::fmt::Display) -> PageVisit {
        PageVisit {
            final_url: None,
            status: None,
            outcome: VisitStatus::Failed {
                error: error.to_string(),
            },
            links: Vec::new(),
            html: None,
        }
    }
}

/// An engine visits pages and records the cookies they set into `ctx.recorder`.
pub trait Engine: Send + Sync + 'static {
    /// Which engine this is, for `Report::engine`.
    fn kind(&self) -> EngineKind;

    /// Visits one page: loads it (with its redirects and embedded resources), records every
    /// cookie set on the way, and returns its links. Never panics; failures are in the result.
    fn visit(&self, task: PageTask, ctx: &CrawlContext) -> impl Future<Output = PageVisit> + Send;

    /// The browser behind the engine, for the report.
    fn browser_info(&self) -> Option<BrowserInfo> {
        None
    }

    /// What this engine cannot see, in plain words.
    fn limitations(&self) -> Vec<String> {
        Vec::new()
    }

    /// Called once when the crawl has visited its last page, before the observed cookies are
    /// collected: an engine that holds back sightings until it knows more (the browser's
    /// jar-only cookies) records them here. The HTTP engine has nothing to add.
    fn crawl_finished(&self, ctx: &CrawlContext) -> impl Future<Output = ()> + Send {
        let _ = ctx;
        async {}
    }

    /// Releases what the engine holds (a browser). Called once, at the end of the crawl.
    fn shutdown(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
}
