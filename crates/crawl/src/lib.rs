//! The crawl: everything between a start URL and the cookies a site sets.
//!
//! - [`crawler`]: the loop — breadth first by depth, scope, robots, sitemaps, limits.
//! - [`engine`]: the trait an engine implements; [`http_engine`] is the HTTP one (the browser
//!   engine lives in its own crate).
//! - [`net`]: the one HTTP client with the SSRF guard; [`fetch`]: redirects followed by hand.
//! - [`options`]: what a crawl runs with, and the defaults;
//! - [`ratelimit`]: per-host politeness; [`jar`]: a browser-like cookie jar.
//! - [`record`]: sightings → observed cookies, through the one Set-Cookie parser.
//! - [`discover`]: which pages may declare cookies.
//!
//! **Architecture invariant:** only engines (and robots/sitemap reading) touch the network, and
//! only through [`net::HttpClient`].

pub mod context;
pub mod crawler;
pub mod discover;
pub mod engine;
pub mod fetch;
pub mod frontier;
pub mod html;
pub mod http_engine;
pub mod jar;
pub mod net;
pub mod options;
pub mod ratelimit;
pub mod record;
pub mod robots;
pub mod scope;
pub mod sitemap;

pub use context::{CrawlContext, NoProgress, Progress};
pub use crawler::{CrawlOutcome, crawl};
pub use engine::{Engine, PageTask, PageVisit, VisitStatus};
pub use http_engine::HttpEngine;
pub use options::{CrawlOptions, NetworkOptions, default_user_agent};
