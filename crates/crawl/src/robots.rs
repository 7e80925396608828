//! robots.txt, fetched once per origin and honoured for our user agent (RFC 9309).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cookie_audit_model::LimitKind;
use robotxt::Robots;
use tokio::sync::OnceCell;
use url::Url;

use crate::context::CrawlContext;
use crate::fetch::{BodyPolicy, FetchRequest, fetch};

/// The product token we match robots.txt groups against.
pub(crate) const ROBOTS_AGENT: &str = "cookie-audit";
/// Google reads the first 500 KiB of a robots.txt; so do we.
pub(crate) const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// The rules of one origin.
#[derive(Debug)]
pub(crate) struct OriginRules {
    robots: Robots,
    /// Sitemap URLs the file lists.
    pub sitemaps: Vec<Url>,
}

impl OriginRules {
    pub(crate) fn allows(&self, url: &Url) -> bool {
        let mut path = url.path().to_string();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        self.robots.is_allowed(&path)
    }
}

#[derive(Debug)]
pub(crate) struct RobotsCache {
    enabled: bool,
    origins: Mutex<HashMap<String, Arc<OnceCell<Arc<OriginRules>>>>>,
}

impl RobotsCache {
    pub(crate) fn new(enabled: bool) -> RobotsCache {
        RobotsCache {
            enabled,
            origins: Mutex::new(HashMap::new()),
        }
    }

    /// The rules for `url`'s origin, fetching robots.txt the first time. Always fetched (even with
    /// `--ignore-robots`) because its `Sitemap:` lines seed the crawl.
    pub(crate) async fn rules(&self, ctx: &CrawlContext, url: &Url) -> Arc<OriginRules> {
        let origin = url.origin().ascii_serialization();
        let cell = {
            let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
            origins.entry(origin.clone()).or_default().clone()
        };
        cell.get_or_init(|| load(ctx, url)).await.clone()
    }

    /// Whether the crawler may fetch `url`.
    pub(crate) async fn allows(&self, ctx: &CrawlContext, url: &Url) -> bool {
        if !self.enabled {
            return true;
        }
        self.rules(ctx, url).await.allows(url)
    }
}

async fn load(ctx: &CrawlContext, url: &Url) -> Arc<OriginRules> {
    let Ok(robots_url) = url.join("/robots.txt") else {
        return Arc::new(parse(b""));
    };
    let fetched = fetch(
        ctx,
        FetchRequest {
            url: &robots_url,
            accept: "text/plain,*/*;q=0.5",
            body: BodyPolicy::Always,
            page: None,
        },
    )
    .await;
    let rules = match fetched {
        Ok(f) if (200..300).contains(&f.status) => {
            let bytes = f.body.map(|b| b.bytes).unwrap_or_default();
            if bytes.len() > MAX_ROBOTS_BYTES {
                ctx.limit(
                    LimitKind::RobotsTxtSize,
                    format!("robots.txt is larger than {MAX_ROBOTS_BYTES} bytes; only the first part was read"),
                    Some(&robots_url),
                );
            }
            let read = &bytes[..bytes.len().min(MAX_ROBOTS_BYTES)];
            if let Some(bad) = unreadable_lines(read) {
                ctx.error(
                    &robots_url,
                    format!(
                        "robots.txt has {} lines that are not rules and were ignored (line {}: `{}`)",
                        bad.count, bad.first_line, bad.first_text
                    ),
                );
            }
            parse(read)
        }
        // RFC 9309 §2.3.1.3: a 4xx means no rules.
        Ok(f) if (400..500).contains(&f.status) => parse(b""),
        Ok(f) => {
            // RFC 9309 §2.3.1.4: an unreachable robots.txt (5xx) means "disallow all" — for the
            // crawl; the start page and privacy pages the user pointed at are still read.
            ctx.error(
                &robots_url,
                format!("robots.txt answered HTTP {}: treating the site as disallowed (RFC 9309); --ignore-robots overrides", f.status),
            );
            OriginRules {
                robots: Robots::disallow_all(),
                sitemaps: Vec::new(),
            }
        }
        Err(failure) => {
            tracing::debug!(url = %robots_url, error = %failure.error, "robots.txt unavailable; no rules");
            parse(b"")
        }
    };
    Arc::new(rules)
}

/// Lines of a robots.txt that are neither blank, a comment, nor `key: value`.
#[derive(Debug, PartialEq, Eq)]
struct Unreadable {
    count: usize,
    first_line: usize,
    first_text: String,
}

fn unreadable_lines(bytes: &[u8]) -> Option<Unreadable> {
    let text = String::from_utf8_lossy(bytes);
    let mut found: Option<Unreadable> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line
            .split('#')
            .next()
            .unwrap_or("")
            .trim_start_matches('\u{feff}')
            .trim();
        if line.is_empty() {
            continue;
        }
        let readable = line.split_once(':').is_some_and(|(key, _)| {
            let key = key.trim();
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
        });
        if readable {
            continue;
        }
        match &mut found {
            Some(bad) => bad.count += 1,
            None => {
                let shown: String = line
                    .chars()
                    .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                    .take(60)
                    .collect();
                found = Some(Unreadable {
                    count: 1,
                    first_line: index + 1,
                    first_text: shown,
                })
            }
        }
    }
    found
}

fn parse(bytes: &[u8]) -> OriginRules {
    let robots = Robots::parse(bytes, ROBOTS_AGENT);
    let sitemaps = robots.sitemaps().to_vec();
    OriginRules { robots, sitemaps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_our_group_and_lists_sitemaps() {
        let rules = parse(
            b"User-agent: *\nDisallow: /private/\n\nUser-agent: cookie-audit\nDisallow: /no-audit\n\nSitemap: https://www.council.test/sitemap.xml\n",
        );
        let u = |p: &str| Url::parse(&format!("https://www.council.test{p}")).unwrap();
        assert!(!rules.allows(&u("/no-audit/x")));
        assert!(
            rules.allows(&u("/private/x")),
            "our own group replaces the * group"
        );
        assert_eq!(rules.sitemaps.len(), 1);
    }

    #[test]
    fn malformed_robots_never_panics_and_allows() {
        let rules = parse(b"\xff\xfe garbage\nDisallow\n:::\nUser-agent:\n");
        let u = Url::parse("https://www.council.test/x").unwrap();
        let _ = rules.allows(&u);
        let big = "Disallow: /x\n".repeat(100_000);
        let rules = parse(big.as_bytes());
        assert!(rules.allows(&u));
    }

    #[test]
    fn lines_that_are_not_rules_are_counted() {
        let bad = unreadable_lines(
            b"# comment\nUser-agent: *\n\nDisallow /no-colon\n<html>\x00\n:::\nCrawl-delay: 5 # ok\n",
        )
        .unwrap();
        assert_eq!(bad.count, 3);
        assert_eq!(bad.first_line, 4);
        assert_eq!(bad.first_text, "Disallow /no-colon");
        assert_eq!(
            unreadable_lines(b"\xef\xbb\xbfUser-agent: *\r\nAllow: /\r\n"),
            None
        );
    }
}
