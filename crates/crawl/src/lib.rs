//! The crawl: everything between a start URL and the cookies a site sets.
//!
//! - [`crawl`] (`crawler.rs`): the loop — breadth first by depth, scope, robots, sitemaps, limits.
//! - [`Engine`] (`engine.rs`): the trait an engine implements; [`HttpEngine`] is the HTTP one (the
//!   browser engine lives in its own crate).
//! - [`net`]: the one HTTP client with the SSRF guard; [`fetch`]: redirects followed by hand.
//! - [`CrawlOptions`] (`options.rs`): what a crawl runs with, and the defaults.
//! - `ratelimit.rs`: per-host politeness; `jar.rs`: a browser-like cookie jar.
//! - [`record`]: sightings → observed cookies, through the one Set-Cookie parser.
//! - `discover.rs`: which pages may declare cookies.
//! - [`paths`]: `--include-path`/`--exclude-path`; [`extras`]: `--header`/`--cookie`, sent to the
//!   site's own hosts only; [`storage`]: the web-storage keys pages write.
//! - A crawl stops early when its context's [`CancellationToken`] is cancelled (Ctrl-C): no new
//!   page is visited, and the outcome covers what was.
//!
//! The public surface is what the browser engine and the audit library need: the loop, the
//! engine trait and its context, the guarded client, one fetch, HTML decoding and the recorder.
//! Frontier, scope, robots, sitemaps, politeness and discovery are the loop's own.
//!
//! **Architecture invariant:** only engines (and robots/sitemap reading) touch the network, and
//! only through [`net::HttpClient`].

#![warn(missing_docs)]

mod context;
mod crawler;
mod discover;
mod engine;
pub mod extras;
pub mod fetch;
mod frontier;
pub mod html;
mod http_engine;
mod jar;
pub mod net;
mod options;
pub mod paths;
mod ratelimit;
pub mod record;
mod robots;
mod scope;
mod sitemap;
pub mod storage;

pub use context::{CrawlContext, NoProgress, Progress};
pub use crawler::{CrawlOutcome, crawl};
pub use engine::{Engine, PageTask, PageVisit, VisitStatus};
pub use http_engine::HttpEngine;
pub use options::{CrawlOptions, NetworkOptions, default_user_agent};
pub use tokio_util::sync::CancellationToken;
