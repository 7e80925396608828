//! The frontier's memory: which URLs were seen, and how many query variants each path had.
//!
//! Besides `--max-pages`, infinite URL spaces are bounded per path: a calendar's "next month"
//! link (`/events?month=2031-07`, `…08`, …) gets `--max-query-variants` distinct query strings and
//! no more, so it cannot eat the page budget.
//!
//! Every URL the crawl meets is kept once, as text in one growing buffer, and named by a
//! [`UrlId`] everywhere else (the queued levels, the visited pages). A `url::Url` costs about
//! 150 bytes on the heap and a `HashSet<Url>` holds a second copy of every queued one; here a URL
//! costs its length plus about 14 bytes, so a 50,000-page crawl's memory stays flat in the number
//! of pages.

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// New: queue it.
    New(UrlId),
    /// Seen before.
    Seen,
    /// Its path already had the maximum number of query variants.
    QueryCapped,
    /// The frontier holds as many URLs as it may; nothing new is queued.
    Full,
}

/// A URL the frontier has seen, by number: 4 bytes instead of a `Url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct UrlId(u32);

/// URLs stored once each, as text: `ends[i]` is where URL `i` ends in `text`.
#[derive(Debug, Default)]
struct UrlArena {
    text: String,
    ends: Vec<usize>,
}

impl UrlArena {
    fn get(&self, id: UrlId) -> &str {
        let index = id.0 as usize;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.text[start..self.ends[index]]
    }

    fn push(&mut self, url: &str) -> UrlId {
        let id = UrlId(u32::try_from(self.ends.len()).expect("fewer than 2^32 URLs"));
        self.text.push_str(url);
        self.ends.push(self.text.len());
        id
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

#[derive(Debug)]
pub(crate) struct Frontier {
    urls: UrlArena,
    /// Ids of `urls`, found by the hash of their text.
    seen: HashTable<UrlId>,
    hasher: std::collections::hash_map::RandomState,
    query_variants: HashMap<(String, String), u32>,
    max_query_variants: u32,
    max_urls: usize,
}

impl Frontier {
    pub(crate) fn new(max_query_variants: u32) -> Frontier {
        Frontier {
            urls: UrlArena::default(),
            seen: HashTable::new(),
            hasher: Default::default(),
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

    /// The URL `id` names, as text (a `Url`'s serialisation).
    pub(crate) fn url(&self, id: UrlId) -> &str {
        self.urls.get(id)
    }

    /// The URL `id` names, parsed again: a serialised `Url` always parses back to itself.
    pub(crate) fn parsed(&self, id: UrlId) -> Url {
        Url::parse(self.url(id)).expect("a serialised URL parses")
    }

    /// The id of `url` if it was seen.
    fn find(&self, url: &str, hash: u64) -> Option<UrlId> {
        self.seen
            .find(hash, |&id| self.urls.get(id) == url)
            .copied()
    }

    fn insert(&mut self, url: &str, hash: u64) -> UrlId {
        let id = self.urls.push(url);
        let (urls, hasher) = (&self.urls, &self.hasher);
        self.seen
            .insert_unique(hash, id, |&id| hasher.hash_one(urls.get(id)));
        id
    }

    /// Marks a URL as seen without counting it against any cap (the start URL, redirect targets),
    /// and returns its id.
    pub(crate) fn mark_seen(&mut self, url: &Url) -> UrlId {
        let hash = self.hasher.hash_one(url.as_str());
        match self.find(url.as_str(), hash) {
            Some(id) => id,
            None => self.insert(url.as_str(), hash),
        }
    }

    pub(crate) fn admit(&mut self, url: &Url) -> Admission {
        let hash = self.hasher.hash_one(url.as_str());
        if self.find(url.as_str(), hash).is_some() {
            return Admission::Seen;
        }
        if self.urls.len() >= self.max_urls {
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
        Admission::New(self.insert(url.as_str(), hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn dedupes_and_caps_query_variants_per_path() {
        let mut f = Frontier::new(3);
        assert!(matches!(f.admit(&u("https://x.test/a")), Admission::New(_)));
        assert_eq!(f.admit(&u("https://x.test/a")), Admission::Seen);
        for m in 1..=3 {
            assert!(matches!(
                f.admit(&u(&format!("https://x.test/cal?m={m}"))),
                Admission::New(_)
            ));
        }
        assert_eq!(
            f.admit(&u("https://x.test/cal?m=4")),
            Admission::QueryCapped
        );
        assert_eq!(f.admit(&u("https://x.test/cal?m=1")), Admission::Seen);
        assert!(matches!(
            f.admit(&u("https://x.test/other?m=4")),
            Admission::New(_)
        ));
    }

    #[test]
    fn a_full_frontier_queues_nothing_new() {
        let mut f = Frontier::new(10).max_urls(2);
        assert!(matches!(f.admit(&u("https://x.test/1")), Admission::New(_)));
        assert!(matches!(f.admit(&u("https://x.test/2")), Admission::New(_)));
        assert_eq!(f.admit(&u("https://x.test/3")), Admission::Full);
        assert_eq!(f.admit(&u("https://x.test/1")), Admission::Seen);
    }

    #[test]
    fn ids_give_back_each_url_exactly() {
        let mut f = Frontier::new(10);
        let urls: Vec<Url> = (0..2_000)
            .map(|i| u(&format!("https://x.test/p/{i}?q={}", i % 7)))
            .collect();
        let mut f_ids = Vec::new();
        for url in &urls {
            // Query variants are capped per path; every path here is new.
            match f.admit(url) {
                Admission::New(id) => f_ids.push(id),
                other => panic!("{url}: {other:?}"),
            }
        }
        for (url, id) in urls.iter().zip(&f_ids) {
            assert_eq!(f.url(*id), url.as_str());
            assert_eq!(&f.parsed(*id), url);
            assert_eq!(f.mark_seen(url), *id, "seen URLs keep their id");
        }
        let redirect = u("https://x.test/moved");
        let id = f.mark_seen(&redirect);
        assert_eq!(f.url(id), redirect.as_str());
        assert_eq!(f.admit(&redirect), Admission::Seen);
    }
}
