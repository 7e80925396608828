//! The frontier's memory: which URLs were seen, and how many query variants each path had.
//!
//! Besides `--max-pages`, infinite URL spaces are bounded per path: a calendar's "next month"
//! link (`/events?month=2031-07`, `…08`, …) gets `--max-query-variants` distinct query strings and
//! no more, so it cannot eat the page budget.

use std::collections::{HashMap, HashSet};

use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// New: queue it.
    New,
    /// Seen before.
    Seen,
    /// Its path already had the maximum number of query variants.
    QueryCapped,
    /// The frontier holds as many URLs as it may; nothing new is queued.
    Full,
}

#[derive(Debug)]
pub(crate) struct Frontier {
    seen: HashSet<Url>,
    query_variants: HashMap<(String, String), u32>,
    max_query_variants: u32,
    max_urls: usize,
}

impl Frontier {
    pub(crate) fn new(max_query_variants: u32) -> Frontier {
        Frontier {
            seen: HashSet::new(),
            query_variants: HashMap::new(),
            max_query_variants: max_query_variants.max(1),
            max_urls: usize::MAX,
        }
    }

    /// Caps the URLs the frontier remembers. Link farms otherwise fill memory with URLs the page
    /// budget could never visit.
    pub(crate) fn max_urls(mut self, max_urls: usize) -> Frontier {
        self.max_urls = max_urls;
        self
    }

    /// Marks a URL as seen without counting it against any cap (the start URL, redirect targets).
    pub(crate) fn mark_seen(&mut self, url: &Url) -> bool {
        self.seen.insert(url.clone())
    }

    pub(crate) fn admit(&mut self, url: &Url) -> Admission {
        if self.seen.contains(url) {
            return Admission::Seen;
        }
        if self.seen.len() >= self.max_urls {
            return Admission::Full;
        }
        if url.query().is_some() {
            let key = (
                url.host_str().unwrap_or_default().to_string(),
                url.path().to_string(),
            );
            let count = self.query_variants.entry(key).or_insert(0);
            if *count >= self.max_query_variants {
                return Admission::QueryCapped;
            }
            *count += 1;
        }
        self.seen.insert(url.clone());
        Admission::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupes_and_caps_query_variants_per_path() {
        let mut f = Frontier::new(3);
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(f.admit(&u("https://x.test/a")), Admission::New);
        assert_eq!(f.admit(&u("https://x.test/a")), Admission::Seen);
        for m in 1..=3 {
            assert_eq!(
                f.admit(&u(&format!("https://x.test/cal?m={m}"))),
                Admission::New
            );
        }
        assert_eq!(
            f.admit(&u("https://x.test/cal?m=4")),
            Admission::QueryCapped
        );
        assert_eq!(f.admit(&u("https://x.test/cal?m=1")), Admission::Seen);
        assert_eq!(f.admit(&u("https://x.test/other?m=4")), Admission::New);
    }

    #[test]
    fn a_full_frontier_queues_nothing_new() {
        let mut f = Frontier::new(10).max_urls(2);
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(f.admit(&u("https://x.test/1")), Admission::New);
        assert_eq!(f.admit(&u("https://x.test/2")), Admission::New);
        assert_eq!(f.admit(&u("https://x.test/3")), Admission::Full);
        assert_eq!(f.admit(&u("https://x.test/1")), Admission::Seen);
    }
}
