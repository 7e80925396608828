//! The crawl loop: breadth first by depth, the same for every engine.
//!
//! Each depth is one level: its URLs are sorted, checked against robots.txt and the page budget,
//! and visited `--concurrency` at a time; links found at depth d form level d+1. Working level by
//! level makes the set of pages a budget admits deterministic (the first N in depth, URL order),
//! so two runs over the same site report the same thing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use cookie_audit_model::url_norm::host_of;
use cookie_audit_model::{
    BrowserInfo, CrawlStats, DeclarationSource, EngineKind, LimitKind, ObservedCookie, VisitedPage,
};
use tokio::task::JoinSet;
use url::Url;

use crate::context::CrawlContext;
use crate::discover::{CandidateKind, Candidates, MAX_DECLARATION_PAGES, WELL_KNOWN_PATHS};
use crate::engine::{Engine, PageTask, PageVisit, VisitStatus};
use crate::frontier::{Admission, Frontier, UrlId};
use crate::html::Link;
use crate::ratelimit::UNRESPONSIVE_AFTER;
use crate::record::PageRef;
use crate::robots::RobotsCache;
use crate::scope::CrawlScope;

/// Page URLs taken from sitemaps, at most this many times `--max-pages`.
pub(crate) const SITEMAP_URLS_PER_PAGE_BUDGET: usize = 10;
/// URLs the frontier remembers, this many times `--max-pages` (and at least
/// [`MIN_FRONTIER_URLS`]): a link farm cannot fill memory with URLs no budget would visit.
pub(crate) const FRONTIER_URLS_PER_PAGE_BUDGET: usize = 50;
pub(crate) const MIN_FRONTIER_URLS: usize = 10_000;
/// Finished visits held back per `--concurrency` slot, waiting for an earlier page of the level
/// to finish: pages are recorded in URL order (so the crawl is deterministic) as soon as every
/// earlier page is, and a slow page stops new visits only once this many later ones wait.
pub(crate) const REORDER_WINDOW_PER_SLOT: usize = 16;

/// What a crawl hands back: the engine's observations, the crawl's statistics and the pages that
/// may declare cookies, built once at the end of [`crawl`].
#[derive(Debug)]
pub struct CrawlOutcome {
    /// The engine that visited the pages, for `Report::engine`.
    pub engine: EngineKind,
    /// Pages visited (in depth, URL order), failures, errors and limits hit: the report's `crawl`.
    pub stats: CrawlStats,
    /// Every cookie seen set, one per (name, domain, path), sorted by name, domain and path;
    /// `classification` is left for the diff to fill.
    pub observed: Vec<ObservedCookie>,
    /// The privacy and cookie pages read for the table reader (at most six), fetched outside the
    /// page budget: the `--privacy-url` pages, else the best candidates, else well-known paths.
    pub declaration_sources: Vec<DeclarationSource>,
    /// Set when the start URL gave no response at all: nothing could be audited.
    pub start_error: Option<String>,
    /// What the engine could not see, in plain words, for `Report::limitations` (the HTTP engine:
    /// cookies set by JavaScript; the browser engine: what a crash and restart lost).
    pub limitations: Vec<String>,
    /// The browser behind the browser engine (its version and cookie policy); `None` for the HTTP
    /// engine.
    pub browser: Option<BrowserInfo>,
}

/// A page of the level, as the loop hands it back in URL order.
enum Finished {
    /// The engine visited it (or tried to); boxed, as the other variants are small.
    Visited(Box<(PageTask, PageVisit)>),
    /// Its host had been given up: it was not visited.
    Skipped(Url),
    /// The visit panicked (a bug, which must not take the crawl down with it), with the panic's
    /// message: the page is a failure in the report, never silently missing.
    Panicked(String),
}

/// What a panicked (or, at an interruption, aborted) visit's task says.
fn panic_message(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return error.to_string();
    }
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Crawls the site with `engine` and returns what was observed. The engine is not shut down.
pub async fn crawl<E: Engine>(engine: Arc<E>, ctx: Arc<CrawlContext>) -> CrawlOutcome {
    let mut state = CrawlState::new(&ctx);
    // robots.txt is the loop's business: fetched once per origin, honoured unless --ignore-robots.
    let robots = RobotsCache::new(!ctx.options.ignore_robots);
    // --max-time: after it no new page is visited; pages in flight finish (each bounded by the
    // timeout) and the declaration pages are still read, so the report is complete for what was
    // crawled.
    let deadline = ctx
        .options
        .max_time
        .map(|limit| tokio::time::Instant::now() + limit);
    tokio::select! {
        () = state.queue_sitemap_pages(&ctx, &robots) => {}
        () = ctx.cancel.cancelled() => {}
    }

    let mut depth = 0u32;
    while (depth as usize) < state.levels.len() {
        if ctx.is_cancelled() {
            state.not_visited_in_time += state.queued_from(depth);
            break;
        }
        let Some(allowed) = state.admit_level(&ctx, &robots, depth).await else {
            break;
        };
        // For the progress bar: the pages known so far, within the budget.
        let known = (state.pages.len() + allowed.len() + state.queued_from(depth + 1))
            .min(ctx.options.max_pages as usize);
        state
            .visit_level(&engine, &ctx, allowed, depth, known, deadline)
            .await;
        // Only pages that can still be chosen keep their HTML.
        let keep = html_to_keep(&state.candidates, &ctx.options.privacy_urls, &state.start);
        state.kept_html.retain(|url, _| keep.contains(url));
        depth += 1;
        if past(deadline) && !ctx.is_cancelled() {
            state.not_visited_in_time += state.queued_from(depth);
            break;
        }
    }
    if ctx.is_cancelled() {
        ctx.limit(
            LimitKind::Interrupted,
            format!(
                "the scan was interrupted after {} pages; {} queued pages were not visited",
                state.pages.len(),
                state.not_visited_in_time
            ),
            None,
        );
    } else if let Some(limit) = ctx.options.max_time
        && past(deadline)
    {
        ctx.limit(
            LimitKind::MaxTime,
            format!(
                "the crawl visited no new page after --max-time {}s; {} queued pages were not visited",
                limit.as_secs(),
                state.not_visited_in_time
            ),
            None,
        );
    }

    // Declaration pages are read outside the page budget and listed in the report's
    // `declaration.pages`, not among the crawled pages.
    let kept_html = std::mem::take(&mut state.kept_html);
    let declaration_sources =
        read_declaration_pages(&engine, &ctx, &state.candidates, kept_html).await;
    engine.crawl_finished(&ctx).await;
    state.finish(engine.as_ref(), &ctx, declaration_sources)
}

/// What the loop knows as it goes: where it may go, what it has queued and visited, and the
/// pages that may declare cookies.
struct CrawlState {
    start: Url,
    scope: CrawlScope,
    frontier: Frontier,
    candidates: Candidates,
    kept_html: HashMap<Url, String>,
    /// Pages to visit, by depth, named by the frontier.
    levels: Vec<Vec<UrlId>>,
    /// Pages visited, in the order they were recorded; their URLs live in the frontier until the
    /// report is built.
    pages: Vec<PageRecord>,
    robots_disallowed: u32,
    pages_failed: u32,
    /// Links to the site's pages `--include-path`/`--exclude-path` kept out.
    pages_excluded: u32,
    /// Queued pages a deadline or an interruption left unvisited.
    not_visited_in_time: usize,
    /// Queued pages not visited because their host had stopped answering, by host.
    left_unresponsive: BTreeMap<String, u32>,
    start_error: Option<String>,
}

/// A visited page, compactly: the report's `VisitedPage` once the crawl is done.
struct PageRecord {
    url: UrlId,
    depth: u32,
    status: Option<u16>,
}

impl CrawlState {
    fn new(ctx: &CrawlContext) -> CrawlState {
        let options = &ctx.options;
        let start = ctx.site.start_url.clone();
        let mut frontier = Frontier::new(options.max_query_variants)
            .max_urls(
                (options.max_pages as usize)
                    .saturating_mul(FRONTIER_URLS_PER_PAGE_BUDGET)
                    .max(MIN_FRONTIER_URLS),
            )
            .common_prefix(&start.origin().ascii_serialization());
        let start_id = frontier.mark_seen(&start);
        CrawlState {
            scope: CrawlScope::new(options.scope, &start),
            frontier,
            candidates: Candidates::default(),
            kept_html: HashMap::new(),
            levels: vec![vec![start_id]],
            start,
            pages: Vec::new(),
            robots_disallowed: 0,
            pages_failed: 0,
            pages_excluded: 0,
            not_visited_in_time: 0,
            left_unresponsive: BTreeMap::new(),
            start_error: None,
        }
    }

    /// Pages queued at `depth` and below, not yet visited.
    fn queued_from(&self, depth: u32) -> usize {
        self.levels.iter().skip(depth as usize).map(Vec::len).sum()
    }

    /// Sitemap pages are queued one level below the start page.
    async fn queue_sitemap_pages(&mut self, ctx: &CrawlContext, robots: &RobotsCache) {
        let seeds = sitemap_seeds(ctx, robots, &self.start).await;
        let max_sitemap_urls = (ctx.options.max_pages as usize)
            .saturating_mul(SITEMAP_URLS_PER_PAGE_BUDGET)
            .max(100);
        let sitemap_pages = crate::sitemap::collect(ctx, seeds, max_sitemap_urls).await;
        let mut level_one = Vec::new();
        for url in sitemap_pages {
            if self.scope.contains(&url)
                && let Admission::New(id) = self.frontier.admit(&url)
            {
                if ctx.options.paths.allows(&url) {
                    level_one.push(id);
                } else {
                    self.pages_excluded += 1;
                }
            }
        }
        self.levels.push(level_one);
    }

    /// The pages of `depth` that may be visited: robots.txt, `--max-depth` and `--max-pages`
    /// applied, in URL order. `None` when the crawl goes no deeper.
    async fn admit_level(
        &mut self,
        ctx: &CrawlContext,
        robots: &RobotsCache,
        depth: u32,
    ) -> Option<Vec<UrlId>> {
        let options = &ctx.options;
        let mut level = std::mem::take(&mut self.levels[depth as usize]);
        if !level.is_empty() && depth > options.max_depth {
            ctx.limit(
                LimitKind::MaxDepth,
                format!(
                    "{} pages deeper than --max-depth {} were not visited",
                    level.len(),
                    options.max_depth
                ),
                None,
            );
            return None;
        }
        // In URL order: ids are in the order URLs were first seen.
        level.sort_by(|a, b| self.frontier.url(*a).cmp(&self.frontier.url(*b)));
        level.dedup();
        let mut allowed = Vec::with_capacity(level.len());
        for id in level {
            // The start page is what the user asked for: it is read whatever robots.txt says.
            if depth == 0 || robots.allows(ctx, &self.frontier.parsed(id)).await {
                allowed.push(id);
            } else {
                self.robots_disallowed += 1;
            }
        }
        let remaining = (options.max_pages as usize).saturating_sub(self.pages.len());
        if allowed.len() > remaining {
            ctx.limit(
                LimitKind::MaxPages,
                format!(
                    "{} more pages were found than --max-pages {} allows",
                    allowed.len() - remaining,
                    options.max_pages
                ),
                None,
            );
            allowed.truncate(remaining);
        }
        Some(allowed)
    }

    /// Visits a level's pages, at most `--concurrency` at once, and records each in URL order as
    /// soon as every earlier page of the level is recorded: what a page's links queue, and in
    /// which order, is what it would be if the level were recorded at its end, but a page's links
    /// are not held until then (on a 50,000-page site a level's links were most of the memory).
    async fn visit_level<E: Engine>(
        &mut self,
        engine: &Arc<E>,
        ctx: &Arc<CrawlContext>,
        urls: Vec<UrlId>,
        depth: u32,
        known: usize,
        deadline: Option<tokio::time::Instant>,
    ) {
        let keep = html_to_keep(&self.candidates, &ctx.options.privacy_urls, &self.start);
        let concurrency = ctx.options.concurrency.max(1) as usize;
        let window = concurrency * REORDER_WINDOW_PER_SLOT;
        let mut queue = urls.into_iter().enumerate();
        let mut running: JoinSet<(PageTask, PageVisit)> = JoinSet::new();
        let mut index_of: HashMap<tokio::task::Id, (usize, UrlId)> = HashMap::new();
        let mut finished: BTreeMap<usize, (UrlId, Finished)> = BTreeMap::new();
        let (mut next, mut started, mut abandoned) = (0usize, 0usize, 0usize);
        loop {
            while let Some((id, page)) = finished.remove(&next) {
                self.record(ctx, id, page, depth, known);
                next += 1;
            }
            while running.len() < concurrency
                && started - next < window
                && !past(deadline)
                && !ctx.is_cancelled()
            {
                let Some((index, id)) = queue.next() else {
                    break;
                };
                started += 1;
                let url = self.frontier.parsed(id);
                if ctx.limiter.unresponsive(&host_of(&url)) {
                    finished.insert(index, (id, Finished::Skipped(url)));
                    continue;
                }
                let task = PageTask {
                    keep_html: keep.contains(&url),
                    page: PageRef { url, depth },
                };
                let (engine, ctx) = (engine.clone(), ctx.clone());
                let handle = running.spawn(async move {
                    let visit = engine.visit(task.clone(), &ctx).await;
                    (task, visit)
                });
                index_of.insert(handle.id(), (index, id));
            }
            if running.is_empty() {
                // Nothing in flight: pages skipped just now wait to be recorded; else the level
                // is done, or out of time. (Spawning before recording once ended a level early:
                // a slow page that filled the window was the last one running, and the loop took
                // the empty set for the end of the level.)
                if finished.contains_key(&next) {
                    continue;
                }
                break;
            }
            let joined = tokio::select! {
                joined = running.join_next_with_id() => joined,
                () = ctx.cancel.cancelled() => {
                    // Stopped: the pages in flight are abandoned, not waited for (a slow page
                    // could take the whole request timeout).
                    abandoned = running.len();
                    running.abort_all();
                    break;
                }
            };
            let Some(joined) = joined else {
                break;
            };
            let (task_id, page) = match joined {
                Ok((task_id, (task, visit))) => {
                    (task_id, Finished::Visited(Box::new((task, visit))))
                }
                Err(e) => {
                    tracing::error!(error = %e, "a page visit panicked");
                    (e.id(), Finished::Panicked(panic_message(e)))
                }
            };
            if let Some((index, id)) = index_of.remove(&task_id) {
                finished.insert(index, (id, page));
            }
        }
        // Pages that finished behind one abandoned by an interruption are recorded all the same.
        for (_, (id, page)) in std::mem::take(&mut finished) {
            self.record(ctx, id, page, depth, known);
        }
        // What the deadline or an interruption left: in the queue and in flight.
        self.not_visited_in_time += queue.len() + abandoned;
    }

    /// One page of the level, in URL order.
    fn record(&mut self, ctx: &CrawlContext, id: UrlId, page: Finished, depth: u32, known: usize) {
        match page {
            Finished::Visited(visited) if visited.1.outcome == VisitStatus::HostUnresponsive => {
                // Abandoned in flight when its host was given up: left, like the pages after it.
                self.left_unresponsive(host_of(&visited.0.page.url));
            }
            Finished::Visited(visited) => {
                let (task, visit) = *visited;
                let url = task.page.url.clone();
                self.record_visit(ctx, id, task, visit, depth);
                let done = self.pages.len();
                ctx.progress
                    .page_done(&url, done as u32, known.max(done) as u32);
            }
            Finished::Skipped(url) => {
                ctx.limiter.not_sent(&host_of(&url));
                self.left_unresponsive(host_of(&url));
            }
            Finished::Panicked(message) => {
                let url = self.frontier.parsed(id);
                self.pages.push(PageRecord {
                    url: id,
                    depth,
                    status: None,
                });
                self.pages_failed += 1;
                ctx.error(
                    &url,
                    format!("the visit failed on a bug in cookie-audit: {message}"),
                );
            }
        }
    }

    fn left_unresponsive(&mut self, host: String) {
        *self.left_unresponsive.entry(host).or_default() += 1;
    }

    /// A visited page: listed, its failure recorded, its HTML kept if wanted, its links queued.
    fn record_visit(
        &mut self,
        ctx: &CrawlContext,
        id: UrlId,
        task: PageTask,
        visit: PageVisit,
        depth: u32,
    ) {
        let url = task.page.url;
        self.pages.push(PageRecord {
            url: id,
            depth,
            status: visit.status,
        });
        match &visit.outcome {
            VisitStatus::Failed { error } => {
                self.pages_failed += 1;
                ctx.error(&url, error);
                if depth == 0 && visit.status.is_none() {
                    self.start_error = Some(error.clone());
                }
            }
            VisitStatus::HttpError => {
                self.pages_failed += 1;
                ctx.error(&url, format!("HTTP {}", visit.status.unwrap_or_default()));
            }
            VisitStatus::NotHtml { content_type } => {
                tracing::debug!(%url, %content_type, "not HTML: cookies recorded, not parsed");
            }
            VisitStatus::Loaded | VisitStatus::HostUnresponsive => {}
        }
        let base = visit.final_url.clone().unwrap_or_else(|| url.clone());
        if depth == 0 && !self.scope.contains(&base) {
            // The start URL moved (to www., or to a new domain): the site is where it went.
            self.scope.admit(&base);
        }
        if let Some(final_url) = &visit.final_url {
            self.frontier.mark_seen(final_url);
        }
        if let Some(html) = visit.html {
            self.kept_html.insert(url, html);
        }
        if self.scope.contains(&base) {
            for link in visit.links {
                self.follow(ctx, &base, depth, link);
            }
        }
    }

    /// A link on a page of `depth`: offered as a declaration page, queued one level down if new.
    fn follow(&mut self, ctx: &CrawlContext, base: &Url, depth: u32, link: Link) {
        if !self.scope.contains(&link.url) {
            return;
        }
        self.candidates.offer(base, depth, &link.text, &link.url);
        match self.frontier.admit(&link.url) {
            Admission::New(_) if !ctx.options.paths.allows(&link.url) => {
                self.pages_excluded += 1;
            }
            Admission::New(id) => {
                while self.levels.len() <= depth as usize + 1 {
                    self.levels.push(Vec::new());
                }
                self.levels[depth as usize + 1].push(id);
            }
            Admission::QueryCapped => ctx.limit(
                LimitKind::MaxQueryVariants,
                format!(
                    "{} has more than --max-query-variants {} query strings; the rest were not followed",
                    link.url.path(),
                    ctx.options.max_query_variants
                ),
                Some(&path_only(&link.url)),
            ),
            Admission::Full => ctx.limit(
                LimitKind::FrontierUrls,
                format!(
                    "the crawl had queued as many URLs as --max-pages {} could ever use; links to new pages were not queued",
                    ctx.options.max_pages
                ),
                None,
            ),
            Admission::Seen => {}
        }
    }

    /// The outcome, once the declaration pages are read and the engine has finished.
    fn finish<E: Engine>(
        mut self,
        engine: &E,
        ctx: &CrawlContext,
        declaration_sources: Vec<DeclarationSource>,
    ) -> CrawlOutcome {
        self.limit_unresponsive_hosts(ctx);
        // The page list below copies every visited URL: what else the crawl held goes first.
        drop(std::mem::take(&mut self.levels));
        let frontier = self.frontier.into_urls();
        self.pages
            .sort_by(|a, b| (a.depth, frontier.url(a.url)).cmp(&(b.depth, frontier.url(b.url))));
        let pages: Vec<VisitedPage> = self
            .pages
            .iter()
            .map(|page| VisitedPage {
                url: frontier.url(page.url).into(),
                depth: page.depth,
                status: page.status,
            })
            .collect();
        let (errors, limits_hit) = ctx.take_problems();
        let stats = CrawlStats {
            pages_visited: pages.len() as u32,
            pages_failed: self.pages_failed,
            resources_fetched: ctx.resources_fetched(),
            robots_disallowed: self.robots_disallowed,
            pages_excluded: self.pages_excluded,
            errors,
            limits_hit,
            pages,
        };
        CrawlOutcome {
            engine: engine.kind(),
            stats,
            observed: ctx.recorder.finish(),
            declaration_sources,
            start_error: self.start_error,
            limitations: engine.limitations(),
            browser: engine.browser_info(),
        }
    }
}

impl CrawlState {
    /// Lists every host given up, with what it cost the crawl.
    fn limit_unresponsive_hosts(&self, ctx: &CrawlContext) {
        for host in ctx.limiter.unresponsive_hosts() {
            let pages = self.left_unresponsive.get(&host.host).copied().unwrap_or(0);
            ctx.limit(
                LimitKind::HostUnresponsive,
                format!(
                    "{} stopped answering ({UNRESPONSIVE_AFTER} timeouts or failed connections in a row, the last for {}); nothing more was sent to it: {pages} queued pages were not visited, {} requests in all were not sent or were abandoned",
                    host.host, host.last_url, host.not_sent
                ),
                Some(&host.last_url),
            );
        }
    }
}

/// Whether `--max-time` has run out (never, without one).
fn past(deadline: Option<tokio::time::Instant>) -> bool {
    deadline.is_some_and(|d| tokio::time::Instant::now() >= d)
}

/// The pages whose HTML is worth keeping for the declaration reader: the best candidates so far,
/// `--privacy-url` pages and the well-known paths — a handful, however many pages say "cookie"
/// (200 of them at 5 MiB each would be a gigabyte). A page that becomes a best candidate later is
/// fetched again when the declarations are read.
fn html_to_keep(candidates: &Candidates, privacy_urls: &[String], start: &Url) -> HashSet<Url> {
    let mut keep: HashSet<Url> = candidates.best().into_iter().map(|c| c.url).collect();
    keep.extend(
        privacy_urls
            .iter()
            .filter_map(|raw| cookie_audit_model::url_norm::parse_start_url(raw).ok()),
    );
    keep.extend(
        WELL_KNOWN_PATHS
            .iter()
            .filter_map(|path| start.join(path).ok()),
    );
    keep
}

fn path_only(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_query(None);
    url
}

async fn sitemap_seeds(ctx: &CrawlContext, robots: &RobotsCache, start: &Url) -> Vec<Url> {
    let rules = robots.rules(ctx, start).await;
    let mut seeds: Vec<Url> = rules.sitemaps.clone();
    if let Ok(default) = start.join("/sitemap.xml")
        && !seeds.contains(&default)
    {
        seeds.push(default);
    }
    seeds
}

/// Reads the pages that may declare cookies: `--privacy-url` pages, or the best candidates with
/// one hop from privacy notices to cookie pages, or well-known paths as a last resort. They are
/// read even when the crawl budget is spent: without them there is nothing to compare.
async fn read_declaration_pages<E: Engine>(
    engine: &Arc<E>,
    ctx: &Arc<CrawlContext>,
    candidates: &Candidates,
    mut kept_html: HashMap<Url, String>,
) -> Vec<DeclarationSource> {
    let (mut wanted, guessing) = declaration_wishes(ctx, candidates);
    let mut sources: Vec<DeclarationSource> = Vec::new();
    let mut hop_offers = Candidates::default();
    let mut index = 0;
    while index < wanted.len() && sources.len() < MAX_DECLARATION_PAGES {
        let (url, found_by, kind) = wanted[index].clone();
        index += 1;
        if sources.iter().any(|s| s.url == url) {
            continue;
        }
        if ctx.is_cancelled() && !kept_html.contains_key(&url) {
            // Not read, not absent: the declaration says it could not be read.
            sources.push(DeclarationSource {
                url,
                found_by,
                html: None,
                error: Some("not read: the scan was interrupted".into()),
            });
            continue;
        }
        let (html, error, links) = read_one(engine, ctx, &mut kept_html, &url, kind).await;
        if guessing && error.is_some() {
            // A guessed path that does not exist is not worth reporting.
            continue;
        }
        if kind == Some(CandidateKind::Privacy) {
            for (link_url, text) in &links {
                hop_offers.offer(&url, 1, text, link_url);
            }
            for candidate in hop_offers
                .best()
                .into_iter()
                .filter(|c| c.kind == CandidateKind::Cookie)
            {
                if !wanted.iter().any(|(u, _, _)| *u == candidate.url)
                    && host_of(&candidate.url) == host_of(&url)
                {
                    wanted.push((
                        candidate.url,
                        format!("{} (one hop from a privacy page)", candidate.found_by),
                        Some(CandidateKind::Cookie),
                    ));
                }
            }
        }
        sources.push(DeclarationSource {
            url,
            found_by,
            html,
            error,
        });
    }
    sources
}

/// A page wanted as a possible declaration: its URL, how it was found, and what kind it is.
type Wanted = (Url, String, Option<CandidateKind>);

/// The pages to read, in order, and whether they are guesses (well-known paths, when nothing
/// links to a cookie or privacy page).
fn declaration_wishes(ctx: &CrawlContext, candidates: &Candidates) -> (Vec<Wanted>, bool) {
    let start = ctx.site.start_url.clone();
    let mut wanted: Vec<Wanted> = Vec::new();
    if !ctx.options.privacy_urls.is_empty() {
        for raw in &ctx.options.privacy_urls {
            match cookie_audit_model::url_norm::parse_start_url(raw) {
                Ok(url) => wanted.push((url, "--privacy-url".into(), None)),
                Err(e) => {
                    tracing::warn!(url = %raw, error = %e, "ignoring an invalid --privacy-url")
                }
            }
        }
    } else {
        wanted = candidates
            .best()
            .into_iter()
            .map(|c| (c.url, c.found_by, Some(c.kind)))
            .collect();
    }
    let guessing = wanted.is_empty();
    if guessing {
        for path in WELL_KNOWN_PATHS {
            if let Ok(url) = start.join(path) {
                wanted.push((
                    url,
                    format!("well-known path {path} (no page links to a cookie or privacy page)"),
                    None,
                ));
            }
        }
    }

    (wanted, guessing)
}

/// One declaration page: the crawl's kept copy, else a visit of its own; a privacy notice's
/// links too, for the hop to its cookie page.
async fn read_one<E: Engine>(
    engine: &Arc<E>,
    ctx: &Arc<CrawlContext>,
    kept_html: &mut HashMap<Url, String>,
    url: &Url,
    kind: Option<CandidateKind>,
) -> (Option<String>, Option<String>, Vec<(Url, String)>) {
    match kept_html.remove(url) {
        Some(html) => {
            let links = if kind == Some(CandidateKind::Privacy) {
                links_of(&html, url)
            } else {
                Vec::new()
            };
            (Some(html), None, links)
        }
        None => {
            let task = PageTask {
                page: PageRef {
                    url: url.clone(),
                    depth: 0,
                },
                keep_html: true,
            };
            let visit = engine.visit(task, ctx).await;
            let error = visit.problem();
            (
                visit.html,
                error,
                visit.links.into_iter().map(|l| (l.url, l.text)).collect(),
            )
        }
    }
}

/// Links of a kept page, for the one hop from a privacy notice to its cookie page.
fn links_of(html: &str, url: &Url) -> Vec<(Url, String)> {
    crate::html::extract(html, url)
        .links
        .into_iter()
        .map(|l| (l.url, l.text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{MAX_COOKIE_PAGES, MAX_PRIVACY_PAGES};

    #[test]
    fn only_a_handful_of_pages_keep_their_html() {
        let start = Url::parse("https://www.council.test/").unwrap();
        let mut candidates = Candidates::default();
        for i in 0..200 {
            let url = start.join(&format!("/cookie-notice-{i:03}")).unwrap();
            candidates.offer(&start, 0, "Cookies", &url);
            let url = start.join(&format!("/privacy-{i:03}")).unwrap();
            candidates.offer(&start, 0, "Privacy", &url);
        }
        let keep = html_to_keep(
            &candidates,
            &["https://www.council.test/legal".into()],
            &start,
        );
        assert_eq!(
            keep.len(),
            MAX_COOKIE_PAGES + MAX_PRIVACY_PAGES + 1 + WELL_KNOWN_PATHS.len()
        );
        assert!(keep.contains(&start.join("/cookie-notice-000").unwrap()));
        assert!(!keep.contains(&start.join("/cookie-notice-199").unwrap()));
        assert!(keep.contains(&start.join("/legal").unwrap()));
        assert!(keep.contains(&start.join("/cookies").unwrap()));
    }
}
