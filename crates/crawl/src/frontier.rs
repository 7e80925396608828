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
//! of pages. The start URL's origin (`https://www.council.gov.uk`), which begins nearly every URL
//! of a crawl, is kept once rather than in each: on a 50,000-page crawl it was two thirds of the
//! text (23 of 31 bytes a URL).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
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

/// URLs stored once each, as text: `ends[i]` is where URL `i` ends in `text`, its top bit set
/// when the URL began with `common` (which is then not in `text`).
#[derive(Debug, Default)]
struct UrlArena {
    common: String,
    text: String,
    ends: Vec<usize>,
}

/// Marks, in `UrlArena::ends`, a URL stored without the common prefix. Text offsets never reach
/// it: a `String` is at most `isize::MAX` bytes.
const PREFIXED: usize = 1 << (usize::BITS - 1);

/// A stored URL: `head` (the common prefix, or nothing) followed by `tail`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UrlText<'a> {
    head: &'a str,
    tail: &'a str,
}

impl UrlText<'_> {
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.head.bytes().chain(self.tail.bytes())
    }

    /// Whether this is `url`, compared without putting the two parts together.
    fn is(&self, url: &str) -> bool {
        url.strip_prefix(self.head) == Some(self.tail)
    }
}

impl PartialEq for UrlText<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for UrlText<'_> {}

impl PartialOrd for UrlText<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The order of the whole texts (bytewise, as `str` orders): levels are visited in URL order.
impl Ord for UrlText<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.head == other.head {
            return self.tail.cmp(other.tail);
        }
        self.bytes().cmp(other.bytes())
    }
}

/// The whole text in a string of exactly its length (`to_string` would grow one through
/// `Display`: at 50,000 visited pages that was 0.8 MB more for the report's page list).
impl From<UrlText<'_>> for String {
    fn from(url: UrlText<'_>) -> String {
        let mut text = String::with_capacity(url.head.len() + url.tail.len());
        text.push_str(url.head);
        text.push_str(url.tail);
        text
    }
}

impl fmt::Display for UrlText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.head)?;
        f.write_str(self.tail)
    }
}

impl UrlArena {
    /// What `url` is stored as: whether it starts with the common prefix, and the rest. The
    /// frontier's hashes are of this, so a lookup needs no copy of the URL.
    fn key<'a>(&self, url: &'a str) -> (bool, &'a str) {
        match url.strip_prefix(self.common.as_str()) {
            Some(tail) if !self.common.is_empty() => (true, tail),
            _ => (false, url),
        }
    }

    fn stored(&self, id: UrlId) -> (bool, &str) {
        let index = id.0 as usize;
        let start = if index == 0 {
            0
        } else {
            self.ends[index - 1] & !PREFIXED
        };
        let end = self.ends[index];
        (end & PREFIXED != 0, &self.text[start..end & !PREFIXED])
    }

    fn get(&self, id: UrlId) -> UrlText<'_> {
        let (prefixed, tail) = self.stored(id);
        let head = if prefixed { self.common.as_str() } else { "" };
        UrlText { head, tail }
    }

    fn push(&mut self, url: &str) -> UrlId {
        let id = UrlId(u32::try_from(self.ends.len()).expect("fewer than 2^32 URLs"));
        let (prefixed, tail) = self.key(url);
        self.text.push_str(tail);
        let flag = if prefixed { PREFIXED } else { 0 };
        self.ends.push(self.text.len() | flag);
        id
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The frontier's URLs once nothing more is admitted: [`Frontier::into_urls`].
#[derive(Debug)]
pub(crate) struct UrlList(UrlArena);

impl UrlList {
    /// The URL `id` names, as [`Frontier::url`] gives it.
    pub(crate) fn url(&self, id: UrlId) -> UrlText<'_> {
        self.0.get(id)
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

    /// URLs that begin with `prefix` (the start URL's origin) keep only the rest. Set before the
    /// first URL; a URL that does not begin with it is kept whole.
    pub(crate) fn common_prefix(mut self, prefix: &str) -> Frontier {
        if self.urls.len() == 0 {
            self.urls.common = prefix.to_string();
        }
        self
    }

    /// The URL `id` names, as text (a `Url`'s serialisation): it compares and prints as that
    /// text.
    pub(crate) fn url(&self, id: UrlId) -> UrlText<'_> {
        self.urls.get(id)
    }

    /// The URL `id` names, parsed again: a serialised `Url` always parses back to itself.
    pub(crate) fn parsed(&self, id: UrlId) -> Url {
        Url::parse(&String::from(self.url(id))).expect("a serialised URL parses")
    }

    /// Only the URLs, for naming the visited pages once the crawl is over: the lookup table and
    /// the query counts are freed first, so they are not held while the report's page list is
    /// built.
    pub(crate) fn into_urls(self) -> UrlList {
        UrlList(self.urls)
    }

    /// The frontier's hash of `url`: of the form it is stored in.
    fn hash(&self, url: &str) -> u64 {
        self.hasher.hash_one(self.urls.key(url))
    }

    /// The id of `url` if it was seen.
    fn find(&self, url: &str, hash: u64) -> Option<UrlId> {
        self.seen
            .find(hash, |&id| self.urls.get(id).is(url))
            .copied()
    }

    fn insert(&mut self, url: &str, hash: u64) -> UrlId {
        let id = self.urls.push(url);
        let (urls, hasher) = (&self.urls, &self.hasher);
        self.seen
            .insert_unique(hash, id, |&id| hasher.hash_one(urls.stored(id)));
        id
    }

    /// Marks a URL as seen without counting it against any cap (the start URL, redirect targets),
    /// and returns its id.
    pub(crate) fn mark_seen(&mut self, url: &Url) -> UrlId {
        let hash = self.hash(url.as_str());
        match self.find(url.as_str(), hash) {
            Some(id) => id,
            None => self.insert(url.as_str(), hash),
        }
    }

    pub(crate) fn admit(&mut self, url: &Url) -> Admission {
        let hash = self.hash(url.as_str());
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
            assert_eq!(f.url(*id).to_string(), url.as_str());
            assert_eq!(&f.parsed(*id), url);
            assert_eq!(f.mark_seen(url), *id, "seen URLs keep their id");
        }
        let redirect = u("https://x.test/moved");
        let id = f.mark_seen(&redirect);
        assert_eq!(f.url(id).to_string(), redirect.as_str());
        assert_eq!(f.admit(&redirect), Admission::Seen);
    }

    #[test]
    fn urls_kept_without_the_common_prefix_come_back_whole_and_in_order() {
        let mut f = Frontier::new(10).common_prefix("https://x.test");
        let texts = [
            "https://x.test/b",
            "https://x.test/",
            "https://x.testing.example/a",
            "https://cdn.x.test/a",
            "https://x.test/a?q=1",
            "https://x.test:8443/a",
            "http://x.test/a",
            "https://x.test/a",
        ];
        let ids: Vec<UrlId> = texts
            .iter()
            .map(|t| match f.admit(&u(t)) {
                Admission::New(id) => id,
                other => panic!("{t}: {other:?}"),
            })
            .collect();
        for (text, id) in texts.iter().zip(&ids) {
            assert_eq!(f.url(*id).to_string(), *text);
            assert_eq!(String::from(f.url(*id)), *text);
            assert_eq!(f.parsed(*id).as_str(), *text);
            assert_eq!(f.admit(&u(text)), Admission::Seen, "{text} found again");
        }
        let mut by_id = ids.clone();
        by_id.sort_by(|a, b| f.url(*a).cmp(&f.url(*b)));
        let mut by_text = texts.to_vec();
        by_text.sort();
        let sorted: Vec<String> = by_id.iter().map(|id| f.url(*id).to_string()).collect();
        assert_eq!(sorted, by_text, "the order of the whole texts");
        assert!(
            f.urls.text.len() < texts.iter().map(|t| t.len()).sum::<usize>() - 4 * 14,
            "the prefix is kept once, not per URL"
        );
    }
}
