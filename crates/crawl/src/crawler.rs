//! The crawl loop: breadth first by depth, the same for every engine.
//!
//! Each depth is one level: its URLs are sorted, checked against robots.txt and the page budget,
//! and visited `--concurrency` at a time; links found at depth d form level d+1. Working level by
//! level makes the set of pages a budget admits deterministic (the first N in depth, URL order),
//! so two runs over the same site report the same thing.

use std::collections::{HashMap, HashSet};
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
use crate::frontier::{Admission, Frontier};
use crate::html::Link;
use crate::record::PageRef;
use crate::robots::RobotsCache;
use crate::scope::CrawlScope;

/// Page URLs taken from sitemaps, at most this many times `--max-pages`.
pub(crate) const SITEMAP_URLS_PER_PAGE_BUDGET: usize = 10;
/// URLs the frontier remembers, this many times `--max-pages` (and at least
/// [`MIN_FRONTIER_URLS`]): a link farm cannot fill memory with URLs no budget would visit.
pub(crate) const FRONTIER_URLS_PER_PAGE_BUDGET: usize = 50;
pub(crate) const MIN_FRONTIER_URLS: usize = 10_000;

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

struct Visited {
    task: PageTask,
    visit: PageVisit,
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
        let keep = html_to_keep(&state.candidates, &ctx.options.privacy_urls, &state.start);
        // For the progress bar: the pages known so far, within the budget.
        let known = (state.pages.len() + allowed.len() + state.queued_from(depth + 1))
            .min(ctx.options.max_pages as usize);
        let level = Level {
            depth,
            done_before: state.pages.len(),
            known,
        };
        let (visited, late) = visit_all(&engine, &ctx, &keep, allowed, level, deadline).await;
        state.not_visited_in_time += late;
        for visited in visited {
            state.record_visit(&ctx, visited, depth);
        }
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
    /// Pages to visit, by depth.
    levels: Vec<Vec<Url>>,
    pages: Vec<VisitedPage>,
    robots_disallowed: u32,
    pages_failed: u32,
    /// Links to the site's pages `--include-path`/`--exclude-path` kept out.
    pages_excluded: u32,
    /// Queued pages a deadline or an interruption left unvisited.
    not_visited_in_time: usize,
    start_error: Option<String>,
}

impl CrawlState {
    fn new(ctx: &CrawlContext) -> CrawlState {
        let options = &ctx.options;
        let start = ctx.site.start_url.clone();
        let mut frontier = Frontier::new(options.max_query_variants).max_urls(
            (options.max_pages as usize)
                .saturating_mul(FRONTIER_URLS_PER_PAGE_BUDGET)
                .max(MIN_FRONTIER_URLS),
        );
        frontier.mark_seen(&start);
        CrawlState {
            scope: CrawlScope::new(options.scope, &start),
            frontier,
            candidates: Candidates::default(),
            kept_html: HashMap::new(),
            levels: vec![vec![start.clone()]],
            start,
            pages: Vec::new(),
            robots_disallowed: 0,
            pages_failed: 0,
            pages_excluded: 0,
            not_visited_in_time: 0,
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
            if self.scope.contains(&url) && self.frontier.admit(&url) == Admission::New {
                if ctx.options.paths.allows(&url) {
                    level_one.push(url);
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
    ) -> Option<Vec<Url>> {
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
        level.sort();
        level.dedup();
        let mut allowed = Vec::with_capacity(level.len());
        for url in level {
            // The start page is what the user asked for: it is read whatever robots.txt says.
            if depth == 0 || robots.allows(ctx, &url).await {
                allowed.push(url);
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

    /// A visited page: listed, its failure recorded, its HTML kept if wanted, its links queued.
    fn record_visit(&mut self, ctx: &CrawlContext, visited: Visited, depth: u32) {
        let Visited { task, visit } = visited;
        let url = task.page.url;
        self.pages.push(VisitedPage {
            url: url.to_string(),
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
            VisitStatus::Loaded => {}
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
            Admission::New if !ctx.options.paths.allows(&link.url) => self.pages_excluded += 1,
            Admission::New => {
                while self.levels.len() <= depth as usize + 1 {
                    self.levels.push(Vec::new());
                }
                self.levels[depth as usize + 1].push(link.url);
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
        self.pages
            .sort_by(|a, b| (a.depth, &a.url).cmp(&(b.depth, &b.url)));
        let (errors, limits_hit) = ctx.take_problems();
        let stats = CrawlStats {
            pages_visited: self.pages.len() as u32,
            pages_failed: self.pages_failed,
            resources_fetched: ctx.resources_fetched(),
            robots_disallowed: self.robots_disallowed,
            pages_excluded: self.pages_excluded,
            errors,
            limits_hit,
            pages: self.pages,
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

/// Where a level stands, for its visits and the progress bar.
#[derive(Debug, Clone, Copy)]
struct Level {
    depth: u32,
    /// Pages visited on earlier levels.
    done_before: usize,
    /// Pages known so far (visited, this level, queued below), within `--max-pages`.
    known: usize,
}

/// Visits a level's pages, at most `--concurrency` at once, and returns them in URL order.
async fn visit_all<E: Engine>(
    engine: &Arc<E>,
    ctx: &Arc<CrawlContext>,
    keep: &HashSet<Url>,
    urls: Vec<Url>,
    level: Level,
    deadline: Option<tokio::time::Instant>,
) -> (Vec<Visited>, usize) {
    let depth = level.depth;
    let concurrency = ctx.options.concurrency.max(1) as usize;
    let mut queue = urls.into_iter();
    let mut running: JoinSet<Visited> = JoinSet::new();
    let mut done = Vec::new();
    let mut spawn_next = |running: &mut JoinSet<Visited>| {
        if past(deadline) || ctx.is_cancelled() {
            return false;
        }
        let Some(url) = queue.next() else {
            return false;
        };
        let keep_html = keep.contains(&url);
        let task = PageTask {
            page: PageRef { url, depth },
            keep_html,
        };
        let engine = engine.clone();
        let ctx = ctx.clone();
        running.spawn(async move {
            let visit = engine.visit(task.clone(), &ctx).await;
            Visited { task, visit }
        });
        true
    };
    for _ in 0..concurrency {
        if !spawn_next(&mut running) {
            break;
        }
    }
    let mut abandoned = 0;
    loop {
        let joined = tokio::select! {
            joined = running.join_next() => Some(joined),
            () = ctx.cancel.cancelled() => None,
        };
        let Some(joined) = joined else {
            // Stopped: the pages in flight are abandoned, not waited for (a slow page could
            // take the whole request timeout).
            abandoned = running.len();
            running.abort_all();
            break;
        };
        match joined {
            Some(Ok(visited)) => {
                let done_now = level.done_before + done.len() + 1;
                ctx.progress.page_done(
                    &visited.task.page.url,
                    done_now as u32,
                    level.known.max(done_now) as u32,
                );
                done.push(visited);
            }
            // A panicking visit is a bug, but it must not take the crawl down with it.
            Some(Err(e)) => tracing::error!(error = %e, "a page visit panicked"),
            None => break,
        }
        spawn_next(&mut running);
    }
    // What the deadline or an interruption left in the queue.
    let late = queue.count() + abandoned;
    done.sort_by(|a, b| a.task.page.url.cmp(&b.task.page.url));
    (done, late)
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
    let start = ctx.site.start_url.clone();
    let mut wanted: Vec<(Url, String, Option<CandidateKind>)> = Vec::new();
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
        let (html, error, links) = match kept_html.remove(&url) {
            Some(html) => {
                let links = if kind == Some(CandidateKind::Privacy) {
                    links_of(&html, &url)
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
        };
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
