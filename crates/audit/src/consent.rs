//! The consent runs of a scan: after the crawl (the visitor who has not chosen), the site is
//! visited again as a visitor who clicked "Accept all" and as one who clicked "Reject all", each
//! in a browser of its own (a fresh profile: own jar, storage and cache), on the first
//! `--consent-pages` pages of the crawl. Their cookies join the crawl's, each marked with the
//! states it was stored in.

use std::sync::Arc;

use cookie_audit_browser::consent::CmpCookie;
use cookie_audit_browser::{BrowserEngine, BrowserOptions, ConsentLook, ConsentPlan};
use cookie_audit_crawl::record::PageRef;
use cookie_audit_crawl::{CrawlContext, CrawlOutcome, Engine, NoProgress, PageTask};
use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::redact::malformed_identity;
use cookie_audit_model::{
    ConsentRun, ConsentState, DeclaredCookie, DeclaredSource, DeclaredSourceKind, Evidence,
    ObservedCookie, RunStatus,
};
use futures::StreamExt;
use url::Url;

/// The pages a choice run visits: the crawl's first `count` readable pages in crawl order, the
/// start page first, and the cookie page (which may lie outside them) last.
pub(crate) fn choice_pages(outcome: &CrawlOutcome, count: u32) -> Vec<Url> {
    let readable = outcome
        .stats
        .pages
        .iter()
        .filter(|p| p.status.is_some_and(|s| s < 400))
        .filter_map(|p| Url::parse(&p.url).ok());
    let cookie_page = outcome
        .declaration_sources
        .iter()
        .find(|s| s.html.is_some())
        .map(|s| s.url.clone());
    pick_pages(readable, cookie_page, count)
}

/// `count` distinct pages from `readable`, the cookie page among them: when it is not in the
/// first `count`, it takes the last place. The start page always stays, so `count` 1 with a
/// cookie page elsewhere visits both.
fn pick_pages(
    readable: impl Iterator<Item = Url>,
    cookie_page: Option<Url>,
    count: u32,
) -> Vec<Url> {
    let count = count.max(1) as usize;
    let mut pages: Vec<Url> = Vec::with_capacity(count + 1);
    for url in readable {
        if pages.len() >= count {
            break;
        }
        if !pages.contains(&url) {
            pages.push(url);
        }
    }
    if let Some(url) = cookie_page
        && !pages.contains(&url)
    {
        pages.truncate((count - 1).max(1));
        pages.push(url);
    }
    pages
}

/// What a choice run brought back.
#[derive(Debug)]
pub(crate) struct ChoiceRun {
    pub(crate) run: ConsentRun,
    pub(crate) look: ConsentLook,
    pub(crate) observed: Vec<ObservedCookie>,
}

/// Every choice run at once, each in a fresh browser of its own, in the order of `plans`. The runs
/// share nothing but the per-host limiter (politeness still counts every request of every run), so
/// a scan waits for its slowest choice run instead of their sum: `--consent all` on a 60-page site
/// cost 1.5× `--consent none` with the runs one after the other (docs/PERFORMANCE.md).
pub(crate) async fn choice_runs(
    options: &BrowserOptions,
    plans: Vec<ConsentPlan>,
    crawl_ctx: &CrawlContext,
    pages: &[Url],
) -> Vec<ChoiceRun> {
    let runs = plans
        .into_iter()
        .map(|plan| choice_run(options, plan, crawl_ctx, pages));
    futures::future::join_all(runs).await
}

/// Visits `pages` in a fresh browser as a visitor who chooses `state`: the first page alone (its
/// banner gets the click), then the rest with the run's tabs. Never fails: a browser that does not
/// start is a failed run.
async fn choice_run(
    options: &BrowserOptions,
    plan: ConsentPlan,
    crawl_ctx: &CrawlContext,
    pages: &[Url],
) -> ChoiceRun {
    let state = plan.state;
    let mut options = options.clone();
    options.consent = Some(plan);
    let tabs = options.tabs.max(1) as usize;
    let engine = match BrowserEngine::launch(options).await {
        Ok(engine) => Arc::new(engine),
        Err(e) => {
            return failed(
                state,
                &format!(
                    "the browser did not start: {}",
                    cookie_audit_model::error_chain(&e)
                ),
            );
        }
    };
    let ctx = Arc::new(crawl_ctx.for_run(state, Box::new(NoProgress)));
    let mut visited = 0u32;
    if let Some(first) = pages.first() {
        let visit = engine.visit(page_task(first.clone()), &ctx).await;
        visited += u32::from(visit.problem().is_none());
        let rest: Vec<Option<String>> = futures::stream::iter(pages[1..].to_vec())
            .map(|url| {
                let (engine, ctx) = (engine.clone(), ctx.clone());
                async move {
                    // Ctrl-C: the pages not yet begun are not visited; the report keeps what was.
                    if ctx.is_cancelled() {
                        return Some("the scan was interrupted".to_string());
                    }
                    engine.visit(page_task(url), &ctx).await.problem()
                }
            })
            .buffer_unordered(tabs)
            .collect()
            .await;
        visited += rest.iter().filter(|problem| problem.is_none()).count() as u32;
    }
    engine.crawl_finished(&ctx).await;
    let look = engine.consent_look();
    engine.shutdown().await;
    let mut run = look.run.clone().unwrap_or_else(|| failed(state, "").run);
    run.pages_visited = visited;
    if visited == 0 {
        run.status = RunStatus::Failed;
        let (errors, _) = ctx.take_problems();
        run.error = Some(match errors.first() {
            Some(e) => format!("no page could be read ({}: {})", e.url, e.error),
            None => "no page could be read".into(),
        });
    }
    ChoiceRun {
        run,
        look,
        observed: ctx.recorder.finish(),
    }
}

fn page_task(url: Url) -> PageTask {
    PageTask {
        page: PageRef { url, depth: 0 },
        keep_html: false,
    }
}

fn failed(state: ConsentState, why: &str) -> ChoiceRun {
    ChoiceRun {
        run: ConsentRun {
            state,
            status: RunStatus::Failed,
            verified_by: None,
            clicked: None,
            reject_via: None,
            pages_visited: 0,
            error: (!why.is_empty()).then(|| why.to_string()),
        },
        look: ConsentLook::default(),
        observed: Vec::new(),
    }
}

/// The crawl's cookies joined with the choice runs': one entry per cookie, with every state it
/// was stored in; the crawl's own record of a cookie wins (its first sighting, its pages).
pub(crate) fn merge_runs(
    crawl: Vec<ObservedCookie>,
    runs: impl IntoIterator<Item = Vec<ObservedCookie>>,
) -> Vec<ObservedCookie> {
    let key = |o: &ObservedCookie| {
        let raw = o.malformed.as_ref().map(|m| malformed_identity(&m.raw));
        (o.key(), raw)
    };
    let mut merged = crawl;
    for observed in runs {
        for cookie in observed {
            match merged.iter_mut().find(|m| key(m) == key(&cookie)) {
                Some(existing) => {
                    for state in &cookie.states {
                        if !existing.states.contains(state) {
                            existing.states.push(*state);
                        }
                    }
                    existing.states.sort();
                    for state in &cookie.stored_after_click {
                        if !existing.stored_after_click.contains(state) {
                            existing.stored_after_click.push(*state);
                        }
                    }
                    existing.stored_after_click.sort();
                    existing.set_then_deleted |= cookie.set_then_deleted;
                    add_evidence(&mut existing.evidence, cookie.evidence);
                }
                None => merged.push(cookie),
            }
        }
    }
    merged.sort_by(|a, b| {
        (
            &a.name,
            &a.domain,
            &a.path,
            a.malformed.as_ref().map(|m| &m.raw),
        )
            .cmp(&(
                &b.name,
                &b.domain,
                &b.path,
                b.malformed.as_ref().map(|m| &m.raw),
            ))
    });
    merged
}

/// Evidence from another run: what it adds, a few entries per state.
fn add_evidence(into: &mut Vec<Evidence>, from: Vec<Evidence>) {
    const PER_STATE: usize = 5;
    for e in from {
        let same_state = into.iter().filter(|x| x.state == e.state).count();
        if same_state < PER_STATE && !into.contains(&e) {
            into.push(e);
        }
    }
    into.sort();
}

/// The platform's own cookie list as declared rows (`source.kind: cmp`), patterns kept as
/// patterns.
pub(crate) fn cmp_declared(cmp: &str, page: &str, list: &[CmpCookie]) -> Vec<DeclaredCookie> {
    list.iter()
        .enumerate()
        .map(|(row, c)| {
            let glob = if c.pattern {
                glob_of_regex(&c.name)
            } else {
                None
            };
            DeclaredCookie {
                name: c.name.clone(),
                pattern: c.pattern,
                glob,
                suspicious_name: false,
                provider: c.provider.clone(),
                domain: c.domain.clone(),
                purpose: c.purpose.clone(),
                category: c.category.clone(),
                expiry: c.expiry.as_deref().map(parse_expiry_text),
                source: DeclaredSource {
                    url: page.to_string(),
                    table: 0,
                    row: row as u32,
                    shape: None,
                    kind: DeclaredSourceKind::Cmp,
                    cmp: Some(cmp.to_string()),
                },
            }
        })
        .collect()
}

/// A regular expression's source as the diff's glob (`^_ga` → `_ga*`), when it is that simple;
/// `None` for anything a glob cannot say.
pub(crate) fn glob_of_regex(source: &str) -> Option<String> {
    let anchored_start = source.starts_with('^');
    let anchored_end = source.ends_with('$') && !source.ends_with("\\$");
    let mut body = source.trim_start_matches('^').to_string();
    if anchored_end {
        body.pop();
    }
    for any in [
        ".*", ".+", "\\d+", "\\d*", "[0-9]+", "[0-9]*", "\\w+", "\\w*", "[^;]*", "[^;]+",
    ] {
        body = body.replace(any, "*");
    }
    let body = body
        .replace("\\.", ".")
        .replace("\\-", "-")
        .replace("\\_", "_");
    if body.is_empty() || body.chars().any(|c| "()[]{}|?+\\^$".contains(c)) {
        return None;
    }
    // A lone `.` is any character in a regular expression, but names rarely use it as such.
    let mut glob = String::new();
    if !anchored_start {
        glob.push('*');
    }
    glob.push_str(&body);
    if !anchored_end && !glob.ends_with('*') {
        glob.push('*');
    }
    Some(glob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_run_visits_exactly_its_pages_with_the_cookie_page() {
        let url = |path: &str| Url::parse(&format!("https://www.council.test{path}")).unwrap();
        let crawl: Vec<Url> = ["/", "/a", "/a", "/b", "/cookies", "/c", "/d"]
            .iter()
            .map(|p| url(p))
            .collect();
        let paths = |pages: Vec<Url>| -> Vec<String> {
            pages.iter().map(|u| u.path().to_string()).collect()
        };
        // The cookie page among the first pages takes no extra place.
        let pages = pick_pages(crawl.clone().into_iter(), Some(url("/cookies")), 4);
        assert_eq!(paths(pages), ["/", "/a", "/b", "/cookies"]);
        // Beyond them, it takes the last place.
        let pages = pick_pages(crawl.clone().into_iter(), Some(url("/privacy")), 4);
        assert_eq!(paths(pages), ["/", "/a", "/b", "/privacy"]);
        let pages = pick_pages(crawl.clone().into_iter(), None, 4);
        assert_eq!(paths(pages), ["/", "/a", "/b", "/cookies"]);
        // A small site gives what it has; one page still keeps the start page.
        let pages = pick_pages(crawl[..2].iter().cloned(), Some(url("/privacy")), 10);
        assert_eq!(paths(pages), ["/", "/a", "/privacy"]);
        let pages = pick_pages(crawl.into_iter(), Some(url("/privacy")), 1);
        assert_eq!(paths(pages), ["/", "/privacy"]);
    }

    #[test]
    fn simple_regular_expressions_become_globs() {
        assert_eq!(glob_of_regex("^_ga").as_deref(), Some("_ga*"));
        assert_eq!(glob_of_regex("^_ga_.*$").as_deref(), Some("_ga_*"));
        assert_eq!(glob_of_regex("^_gid$").as_deref(), Some("_gid"));
        assert_eq!(glob_of_regex("_pk_id\\.\\d+").as_deref(), Some("*_pk_id.*"));
        assert_eq!(glob_of_regex("^(a|b)$"), None);
    }

    #[test]
    fn runs_merge_by_cookie_with_their_states() {
        let cookie = |name: &str, state: ConsentState| {
            let mut o: ObservedCookie = serde_json::from_value(serde_json::json!({
                "name": name, "domain": "council.test", "host_only": false, "path": "/",
                "lifetime": {"session": true, "seconds": null}, "secure": false, "http_only": false,
                "same_site": null, "partitioned": false, "party": "first", "source": "script",
                "set_by_url": "https://www.council.test/", "first_seen_page": "https://www.council.test/",
                "pages": 1, "value": {"length": 1, "sha256": "00"},
            }))
            .unwrap();
            o.states = vec![state];
            o
        };
        let merged = merge_runs(
            vec![cookie("sid", ConsentState::None)],
            [
                vec![
                    cookie("_ga", ConsentState::Accept),
                    cookie("sid", ConsentState::Accept),
                ],
                vec![cookie("sid", ConsentState::Reject)],
            ],
        );
        let names: Vec<&str> = merged.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["_ga", "sid"]);
        assert_eq!(
            merged[1].states,
            [
                ConsentState::None,
                ConsentState::Accept,
                ConsentState::Reject
            ]
        );
        assert_eq!(merged[0].states, [ConsentState::Accept]);
    }
}
