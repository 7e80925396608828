//! Keys pages write to `localStorage` and `sessionStorage` (the browser engine's hook reports
//! them): PECR covers every storage, not only cookies. Recorded like cookies — one entry per
//! (kind, origin, key), "first seen" the earliest by (run, depth, page, script) whatever order
//! pages finish in, the value only as a fingerprint unless `--show-values` — and kept in a list
//! of their own (`Report::storage`), never among the observed cookies.
//!
//! One log is shared by every run of a site (the crawl and its consent runs), each write tagged
//! with the visitor it was made for, so the report says which runs saw each key.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use cookie_audit_model::redact::CookieValue;
use cookie_audit_model::{ConsentState, StorageEntry, StorageKind};
use url::Url;

use crate::record::PageRef;

/// One write a page made.
#[derive(Debug, Clone, Copy)]
pub struct StorageWrite<'a> {
    /// Which storage.
    pub kind: StorageKind,
    /// The origin of the frame that wrote it (its storage is that origin's).
    pub origin: &'a str,
    /// The key written.
    pub key: &'a str,
    /// The value written; only its fingerprint is kept unless `--show-values`.
    pub value: &'a str,
    /// The script whose code made the write; `None` for inline code (the page is named then).
    pub script: Option<&'a Url>,
}

/// Orders sightings: the crawl's before a consent run's, then crawl order, then the writer.
type Rank = (ConsentState, u32, String, String);

#[derive(Debug)]
struct Aggregate {
    rank: Rank,
    set_by: String,
    first_page: String,
    value: String,
    states: BTreeSet<ConsentState>,
}

/// Every storage write of a site's runs.
#[derive(Debug, Default)]
pub struct StorageLog {
    show_values: bool,
    entries: Mutex<HashMap<(StorageKind, String, String), Aggregate>>,
}

impl StorageLog {
    /// An empty log; values are kept only when `show_values`.
    pub fn new(show_values: bool) -> StorageLog {
        StorageLog {
            show_values,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Records one write made on `page` by the run of visitor `run`, as visitor `state` (a run
    /// that clicks is `none` until its click).
    pub fn record(
        &self,
        page: &PageRef,
        run: ConsentState,
        state: ConsentState,
        write: StorageWrite<'_>,
    ) {
        let set_by = write
            .script
            .map(Url::to_string)
            .unwrap_or_else(|| page.url.to_string());
        let rank: Rank = (run, page.depth, page.url.to_string(), set_by.clone());
        let key = (write.kind, write.origin.to_string(), write.key.to_string());
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.entry(key).or_insert_with(|| Aggregate {
            rank: rank.clone(),
            set_by: set_by.clone(),
            first_page: page.url.to_string(),
            value: write.value.to_string(),
            states: BTreeSet::new(),
        });
        entry.states.insert(state);
        if rank < entry.rank {
            entry.rank = rank;
            entry.set_by = set_by;
            entry.first_page = page.url.to_string();
            entry.value = write.value.to_string();
        }
    }

    /// The report's `storage`: sorted by kind, origin, key.
    pub fn finish(&self) -> Vec<StorageEntry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<StorageEntry> = entries
            .iter()
            .map(|((kind, origin, key), agg)| StorageEntry {
                kind: *kind,
                origin: origin.clone(),
                key: key.clone(),
                set_by_url: agg.set_by.clone(),
                first_seen_page: agg.first_page.clone(),
                states: agg.states.iter().copied().collect(),
                value: CookieValue::new(&agg.value, self.show_values),
            })
            .collect();
        out.sort_by(|a, b| (a.kind, &a.origin, &a.key).cmp(&(b.kind, &b.origin, &b.key)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, depth: u32) -> PageRef {
        PageRef {
            url: Url::parse(&format!("https://www.council.gov.uk{path}")).unwrap(),
            depth,
        }
    }

    #[test]
    fn one_entry_per_key_first_seen_in_crawl_order_states_merged() {
        let log = StorageLog::new(false);
        let script = Url::parse("https://cdn.test/a.js").unwrap();
        let write = |value| StorageWrite {
            kind: StorageKind::Local,
            origin: "https://www.council.gov.uk",
            key: "_grecaptcha",
            value,
            script: Some(&script),
        };
        // Arrival order is not crawl order: the depth-1 page finished first.
        log.record(
            &page("/b", 1),
            ConsentState::None,
            ConsentState::None,
            write("late"),
        );
        log.record(
            &page("/", 0),
            ConsentState::None,
            ConsentState::None,
            write("first"),
        );
        log.record(
            &page("/", 0),
            ConsentState::Accept,
            ConsentState::Accept,
            write("x"),
        );
        log.record(
            &page("/", 0),
            ConsentState::None,
            ConsentState::None,
            StorageWrite {
                kind: StorageKind::Session,
                script: None,
                ..write("s")
            },
        );
        let entries = log.finish();
        assert_eq!(entries.len(), 2);
        let local = &entries[0];
        assert_eq!(local.kind, StorageKind::Local);
        assert_eq!(local.first_seen_page, "https://www.council.gov.uk/");
        assert_eq!(local.set_by_url, "https://cdn.test/a.js");
        assert_eq!(local.states, [ConsentState::None, ConsentState::Accept]);
        assert_eq!(local.value, CookieValue::new("first", false));
        assert_eq!(local.value.value, None, "values are fingerprints");
        assert_eq!(
            entries[1].set_by_url, "https://www.council.gov.uk/",
            "inline: the page"
        );
    }
}
