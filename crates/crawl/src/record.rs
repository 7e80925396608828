//! Turns cookie sightings into the report's observed cookies, one per (name, domain, path).
//!
//! Both engines feed this recorder: the HTTP engine with raw `Set-Cookie` lines, the browser
//! engine with raw lines from DevTools, `document.cookie` writes and the final jar. All lines go
//! through the one Set-Cookie parser. The result is deterministic whatever order concurrent pages
//! finish in: "first seen" is the minimum by (depth, page URL, setter URL).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use cookie_audit_model::redact::{CookieValue, malformed_identity, redact_set_cookie_line};
use cookie_audit_model::set_cookie::{CookieRecord, SetCookieContext, interpret_set_cookie};
use cookie_audit_model::{
    ConsentState, CookieKey, CookieSource, Evidence, EvidenceKind, Malformed, ObservedCookie, Party,
};
use url::Url;

/// Evidence entries kept per kind and cookie: enough to act on, bounded on a 5,000-page site.
pub const MAX_EVIDENCE_PER_KIND: usize = 5;

/// The page being visited when a cookie was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRef {
    /// The page, normalised: what `first_seen_page` and page evidence name.
    pub url: Url,
    /// Links followed from the start URL to reach it: the first key of "first seen".
    pub depth: u32,
}

/// What set a cookie.
#[derive(Debug, Clone)]
pub enum Setter<'a> {
    /// A response's `Set-Cookie` header.
    Response {
        /// The URL that answered: a redirect hop's own URL, or a resource's.
        url: &'a Url,
        /// Its HTTP status, kept in the evidence.
        status: u16,
        /// Said beside the evidence ("redirect hop 2"); `None` for a plain response.
        note: Option<&'a str>,
    },
    /// JavaScript; the script's URL when known (inline scripts have none).
    Script {
        /// The script's URL; `None` for an inline script or one the engine could not name (the page
        /// is named instead).
        script_url: Option<&'a Url>,
    },
    /// Found only in the browser's cookie jar after a page settled: no response header or script
    /// write the engine saw explains it.
    Jar,
}

/// Turns the sightings of one run into observed cookies: one per (name, domain, path), "first seen"
/// the earliest real setting by (depth, page URL, setter URL) whatever order pages finish in,
/// evidence bounded by [`MAX_EVIDENCE_PER_KIND`]. Engines record into it from concurrent visits; it
/// locks inside.
#[derive(Debug)]
pub struct Recorder {
    site_host: String,
    show_values: bool,
    /// The visitor this recorder's run describes: every cookie it records was seen in this run.
    state: ConsentState,
    /// When the run clicked the banner: evidence says how long before or after each write was.
    clicked_at: Mutex<Option<DateTime<Utc>>>,
    /// Orders sightings that share a timestamp (lines of one response).
    sequence: AtomicU64,
    cookies: Mutex<HashMap<RecordKey, Aggregate>>,
}

/// What the recorder keeps apart: a cookie by its key, and malformed lines by their (redacted)
/// text as well, so two different broken headers are two entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RecordKey {
    cookie: CookieKey,
    malformed: Option<String>,
}

/// Orders sightings: real settings before deletions and refusals, then crawl order.
type Rank = (bool, bool, u32, String, String);

#[derive(Debug)]
struct Aggregate {
    rank: Rank,
    record: CookieRecord,
    /// The most direct way it was seen: a response beats a script, a script beats the jar.
    source: CookieSource,
    set_by: String,
    first_page: String,
    pages: HashSet<u64>,
    evidence: BTreeSet<(Rank, Evidence)>,
    /// The first write that stored it (not a deletion), by (time, sequence).
    first_set: Option<(DateTime<Utc>, u64)>,
    /// The last write that removed it.
    last_deletion: Option<(DateTime<Utc>, u64)>,
    /// Stored (not only deleted) from the run's click on.
    after_click: bool,
    /// A malformed line as the report shows it (redacted), from the best-ranked sighting.
    raw: Option<String>,
}

impl Recorder {
    /// A recorder for the crawl of a site whose start host is `site_host`, as a visitor who
    /// has not chosen.
    pub fn new(site_host: &str, show_values: bool) -> Recorder {
        Recorder::for_run(site_host, show_values, ConsentState::None)
    }

    /// A recorder for one consent run.
    pub fn for_run(site_host: &str, show_values: bool, state: ConsentState) -> Recorder {
        Recorder {
            site_host: site_host.to_string(),
            show_values,
            state,
            clicked_at: Mutex::new(None),
            sequence: AtomicU64::new(0),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    /// The run clicked the banner at `at`: evidence of writes says how far from the click they
    /// were (`at_ms`, negative before). The first click counts.
    pub fn clicked(&self, at: DateTime<Utc>) {
        let mut clicked = self.clicked_at.lock().unwrap_or_else(|e| e.into_inner());
        clicked.get_or_insert(at);
    }

    /// The visitor this run becomes once it clicks (`none` for the crawl itself).
    pub fn run_state(&self) -> ConsentState {
        self.state
    }

    /// The visitor a write made at `at` was made for: the run's state from its click on, `none`
    /// before it (or in a run that never clicks).
    pub fn state_at(&self, at: DateTime<Utc>) -> ConsentState {
        let clicked = *self.clicked_at.lock().unwrap_or_else(|e| e.into_inner());
        match clicked {
            Some(clicked) if at >= clicked => self.state,
            _ => ConsentState::None,
        }
    }

    /// Records every `Set-Cookie` line of one response (a page, a redirect hop or a resource).
    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of one response, each used once; both engines call it with their own"
    )]
    pub fn record_response(
        &self,
        page: &PageRef,
        response_url: &Url,
        status: u16,
        note: Option<&str>,
        lines: &[String],
        server_date: Option<DateTime<Utc>>,
        received_at: DateTime<Utc>,
    ) {
        for line in lines {
            let ctx = SetCookieContext {
                request_url: response_url,
                server_date,
                received_at,
            };
            let record = interpret_set_cookie(line, &ctx);
            self.record_at(
                page,
                record,
                Some(line),
                Setter::Response {
                    url: response_url,
                    status,
                    note,
                },
                received_at,
            );
        }
    }

    /// Records a `document.cookie` write: it has Set-Cookie syntax and the document's URL as
    /// origin. Scripts cannot set HttpOnly cookies; the parser's result is kept as is otherwise.
    pub fn record_script_write(
        &self,
        page: &PageRef,
        document_url: &Url,
        line: &str,
        script_url: Option<&Url>,
    ) {
        self.record_script_write_at(page, document_url, line, script_url, Utc::now());
    }

    /// [`Recorder::record_script_write`] for a write made at `written_at`.
    pub fn record_script_write_at(
        &self,
        page: &PageRef,
        document_url: &Url,
        line: &str,
        script_url: Option<&Url>,
        written_at: DateTime<Utc>,
    ) {
        let ctx = SetCookieContext {
            request_url: document_url,
            server_date: None,
            received_at: written_at,
        };
        let mut record = interpret_set_cookie(line, &ctx);
        record.http_only = false;
        self.record_at(
            page,
            record,
            Some(line),
            Setter::Script { script_url },
            written_at,
        );
    }

    /// Records a cookie already interpreted elsewhere (a browser's final jar), seen now.
    pub fn record(
        &self,
        page: &PageRef,
        record: CookieRecord,
        raw: Option<&str>,
        setter: Setter<'_>,
    ) {
        self.record_at(page, record, raw, setter, Utc::now());
    }

    /// Records one sighting of a cookie, written at `at`.
    pub fn record_at(
        &self,
        page: &PageRef,
        record: CookieRecord,
        raw: Option<&str>,
        setter: Setter<'_>,
        at: DateTime<Utc>,
    ) {
        let order = (at, self.sequence.fetch_add(1, Ordering::Relaxed));
        let deletion = record.lifetime.is_deletion();
        let malformed = record
            .rejected
            .as_ref()
            .filter(|r| r.reason.is_malformed())
            .map(|_| redact_set_cookie_line(raw.unwrap_or_default(), self.show_values));
        let key = RecordKey {
            cookie: record.key(),
            malformed: malformed.as_deref().map(malformed_identity),
        };
        let (set_by, evidence, source) = setter_evidence(page, &setter);
        let at_ms = self
            .clicked_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|clicked| (at - clicked).num_milliseconds());
        // Stored from the click on: what the choice let through.
        let after_click = at_ms.is_some_and(|ms| ms >= 0);
        let state = (self.state != ConsentState::None).then_some(self.state);
        let mut evidence = evidence;
        evidence.state = state;
        evidence.at_ms = at_ms;
        let rank: Rank = (
            record.lifetime.is_deletion(),
            record.rejected.is_some(),
            page.depth,
            page.url.to_string(),
            set_by.clone(),
        );
        let mut page_evidence = Evidence::new(EvidenceKind::Page, page.url.as_str());
        page_evidence.state = state;
        let page_hash = {
            let mut h = DefaultHasher::new();
            page.url.as_str().hash(&mut h);
            h.finish()
        };

        let mut cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        let entry = cookies.entry(key).or_insert_with(|| Aggregate {
            rank: rank.clone(),
            record: record.clone(),
            source,
            set_by: set_by.clone(),
            first_page: page.url.to_string(),
            pages: HashSet::new(),
            evidence: BTreeSet::new(),
            first_set: None,
            last_deletion: None,
            after_click: false,
            raw: malformed.clone(),
        });
        if deletion {
            entry.last_deletion = entry.last_deletion.max(Some(order));
        } else {
            entry.after_click |= after_click;
            if entry.first_set.is_none_or(|first| order < first) {
                entry.first_set = Some(order);
            }
        }
        if rank < entry.rank {
            entry.rank = rank.clone();
            entry.record = record;
            entry.set_by = set_by;
            entry.first_page = page.url.to_string();
            entry.raw = malformed;
        }
        entry.source = strongest(entry.source, source);
        entry.pages.insert(page_hash);
        for evidence in [page_evidence, evidence] {
            entry.keep_evidence(&rank, evidence);
        }
    }

    /// The observed cookies, sorted by name, domain, path.
    pub fn finish(&self) -> Vec<ObservedCookie> {
        let cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        let mut observed: Vec<ObservedCookie> = cookies
            .iter()
            // A write that only ever removed a cookie is not a cookie of its own.
            .filter(|(_, agg)| agg.first_set.is_some())
            .map(|(key, agg)| {
                let r = &agg.record;
                ObservedCookie {
                    name: r.name.clone(),
                    domain: r.domain.clone(),
                    host_only: r.host_only,
                    path: r.path.clone(),
                    lifetime: r.lifetime,
                    secure: r.secure,
                    http_only: r.http_only,
                    same_site: r.same_site,
                    partitioned: r.partitioned,
                    party: Party::of(&r.domain, &self.site_host),
                    source: agg.source,
                    set_by_url: agg.set_by.clone(),
                    first_seen_page: agg.first_page.clone(),
                    pages: agg.pages.len() as u32,
                    value: CookieValue::new(&r.value, self.show_values),
                    rejected: r.rejected.clone(),
                    malformed: key.malformed.as_ref().map(|_| Malformed {
                        error: r
                            .rejected
                            .as_ref()
                            .map(|x| x.message.clone())
                            .unwrap_or_default(),
                        raw: agg.raw.clone().unwrap_or_default(),
                    }),
                    warnings: r.warnings.clone(),
                    evidence: agg.evidence.iter().map(|(_, e)| e.clone()).collect(),
                    // Filled by the diff, which owns the knowledge base.
                    classification: None,
                    states: vec![self.state],
                    stored_after_click: if agg.after_click {
                        vec![self.state]
                    } else {
                        Vec::new()
                    },
                    set_then_deleted: agg.set_then_deleted(),
                }
            })
            .collect();
        observed.sort_by(|a, b| {
            (
                &a.name,
                &a.domain,
                &a.path,
                &a.malformed.as_ref().map(|m| &m.raw),
            )
                .cmp(&(
                    &b.name,
                    &b.domain,
                    &b.path,
                    &b.malformed.as_ref().map(|m| &m.raw),
                ))
        });
        observed
    }
}

impl Aggregate {
    /// Stored, then removed again by a later write.
    fn set_then_deleted(&self) -> bool {
        matches!((self.first_set, self.last_deletion), (Some(set), Some(deleted)) if deleted > set)
    }
}

/// Of two ways a cookie was seen, the one that says most about who set it.
fn strongest(a: CookieSource, b: CookieSource) -> CookieSource {
    let rank = |s| match s {
        CookieSource::Http => 2,
        CookieSource::Script => 1,
        CookieSource::Jar => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Who set a cookie, as the report says it: the setter's URL, the evidence, and the source.
fn setter_evidence(page: &PageRef, setter: &Setter<'_>) -> (String, Evidence, CookieSource) {
    match setter {
        Setter::Response { url, status, note } => {
            let mut e = Evidence::new(EvidenceKind::Response, url.as_str());
            e.status = Some(*status);
            e.note = note.map(str::to_string);
            (url.to_string(), e, CookieSource::Http)
        }
        Setter::Jar => {
            let mut e = Evidence::new(EvidenceKind::Page, page.url.as_str());
            e.note = Some("found in the browser's cookie jar after the page settled".into());
            (page.url.to_string(), e, CookieSource::Jar)
        }
        Setter::Script { script_url } => {
            let url = script_url
                .map(Url::to_string)
                .unwrap_or_else(|| page.url.to_string());
            let mut e = Evidence::new(EvidenceKind::Script, url.clone());
            if script_url.is_none() {
                e.note = Some("inline script or unknown script on this page".into());
            }
            (url, e, CookieSource::Script)
        }
    }
}

impl Aggregate {
    /// Keeps each piece of evidence once, at its best rank, so the kept set does not depend on
    /// arrival order; at most `MAX_EVIDENCE_PER_KIND` of each kind, the best ranked.
    fn keep_evidence(&mut self, rank: &Rank, evidence: Evidence) {
        let existing = self.evidence.iter().find(|(_, e)| *e == evidence).cloned();
        match existing {
            Some((old_rank, _)) if old_rank <= *rank => return,
            Some(old) => {
                self.evidence.remove(&old);
            }
            None => {}
        }
        self.evidence.insert((rank.clone(), evidence));
        let kind_count = |set: &BTreeSet<(Rank, Evidence)>, kind| {
            set.iter().filter(|(_, e)| e.kind == kind).count()
        };
        for kind in [
            EvidenceKind::Page,
            EvidenceKind::Response,
            EvidenceKind::Script,
        ] {
            while kind_count(&self.evidence, kind) > MAX_EVIDENCE_PER_KIND {
                let last = self
                    .evidence
                    .iter()
                    .rev()
                    .find(|(_, e)| e.kind == kind)
                    .cloned();
                if let Some(last) = last {
                    self.evidence.remove(&last);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str, depth: u32) -> PageRef {
        PageRef {
            url: Url::parse(url).unwrap(),
            depth,
        }
    }

    fn record(rec: &Recorder, p: &PageRef, lines: &[&str]) {
        let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        rec.record_response(p, &p.url, 200, None, &lines, None, Utc::now());
    }

    #[test]
    fn aggregates_by_name_domain_path_and_counts_pages() {
        let rec = Recorder::new("www.council.test", false);
        let a = page("https://www.council.test/a", 1);
        let b = page("https://www.council.test/b", 1);
        record(&rec, &b, &["sid=2; Path=/"]);
        record(&rec, &a, &["sid=1; Path=/", "sid=x; Path=/other"]);
        record(&rec, &a, &["sid=1; Path=/"]);
        let observed = rec.finish();
        assert_eq!(observed.len(), 2);
        let sid = &observed[0];
        assert_eq!((sid.name.as_str(), sid.path.as_str()), ("sid", "/"));
        assert_eq!(sid.pages, 2);
        assert_eq!(
            sid.first_seen_page, "https://www.council.test/a",
            "ties broken by URL, not arrival"
        );
        assert_eq!(sid.value.length, 1);
        assert!(sid.value.value.is_none());
        assert_eq!(sid.party, Party::First);
        assert_eq!(sid.source, CookieSource::Http);
    }

    #[test]
    fn set_then_deleted_and_deletions_that_are_not_cookies() {
        let rec = Recorder::for_run("www.council.test", false, ConsentState::Accept);
        let p = page("https://www.council.test/", 0);
        let t0 = Utc::now();
        let later = t0 + chrono::Duration::milliseconds(300);
        rec.clicked(t0 + chrono::Duration::milliseconds(100));
        // A tag writes _ga, the consent platform removes it 300 ms later.
        rec.record_script_write_at(&p, &p.url, "_ga=GA1.1.1; Max-Age=63072000", None, t0);
        rec.record_script_write_at(&p, &p.url, "_ga=; Max-Age=0", None, later);
        // A site clearing a cookie it never set, and one clearing before setting again.
        rec.record_script_write_at(&p, &p.url, "_gid=; Max-Age=0", None, t0);
        let lines = ["sid=; Max-Age=0".to_string(), "sid=1".to_string()];
        rec.record_response(&p, &p.url, 200, None, &lines, None, later);
        let observed = rec.finish();
        let names: Vec<&str> = observed.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["_ga", "sid"], "a deletion alone is not a cookie");
        let (ga, sid) = (&observed[0], &observed[1]);
        assert!(ga.set_then_deleted);
        assert!(!sid.set_then_deleted, "cleared, then set: still stored");
        assert_eq!(ga.states, [ConsentState::Accept]);
        assert!(
            ga.stored_after_click.is_empty(),
            "written before the click: what a visitor who has not chosen gets"
        );
        assert!(
            ga.lifetime.seconds.is_some_and(|s| s > 0),
            "the setting is kept"
        );
        let script = ga
            .evidence
            .iter()
            .find(|e| e.kind == EvidenceKind::Script && e.at_ms == Some(-100))
            .expect("evidence of the write, 100 ms before the click");
        assert_eq!(script.state, Some(ConsentState::Accept));
        assert_eq!(sid.stored_after_click, [ConsentState::Accept]);
    }

    #[test]
    fn shallower_page_wins_first_seen() {
        let rec = Recorder::new("www.council.test", false);
        record(&rec, &page("https://www.council.test/z", 2), &["a=1"]);
        record(
            &rec,
            &page("https://www.council.test/zz", 0),
            &["a=1; Path=/"],
        );
        record(
            &rec,
            &page("https://www.council.test/a", 1),
            &["a=1; Path=/"],
        );
        let observed = rec.finish();
        let a = observed.iter().find(|c| c.path == "/").unwrap();
        assert_eq!(a.first_seen_page, "https://www.council.test/zz");
    }

    #[test]
    fn malformed_lines_are_kept_apart_with_redacted_raw_text() {
        let rec = Recorder::new("www.council.test", false);
        let p = page("https://www.council.test/", 0);
        record(
            &rec,
            &p,
            &["sec=s3cr3t\u{1}; Path=/", "=", "sec=ok; Path=/"],
        );
        let observed = rec.finish();
        assert_eq!(observed.len(), 3, "{observed:#?}");
        let broken: Vec<_> = observed.iter().filter(|c| c.malformed.is_some()).collect();
        assert_eq!(broken.len(), 2);
        for c in &broken {
            assert!(!c.malformed.as_ref().unwrap().raw.contains("s3cr3t"));
            assert!(c.rejected.is_some());
        }
    }

    #[test]
    fn third_party_and_rejections() {
        let rec = Recorder::new("www.barnet.gov.uk", false);
        let p = page("https://www.barnet.gov.uk/", 0);
        let yt = Url::parse("https://www.youtube.com/embed/x").unwrap();
        rec.record_response(
            &p,
            &yt,
            200,
            None,
            &["VISITOR_INFO1_LIVE=x; Domain=.youtube.com".into()],
            None,
            Utc::now(),
        );
        record(&rec, &p, &["bad=1; Domain=gov.uk"]);
        let observed = rec.finish();
        let yt = observed
            .iter()
            .find(|c| c.name == "VISITOR_INFO1_LIVE")
            .unwrap();
        assert_eq!(yt.party, Party::Third);
        assert_eq!(yt.set_by_url, "https://www.youtube.com/embed/x");
        let bad = observed.iter().find(|c| c.name == "bad").unwrap();
        assert_eq!(bad.domain, "gov.uk");
        assert!(
            bad.rejected
                .as_ref()
                .unwrap()
                .message
                .contains("public suffix")
        );
    }

    #[test]
    fn script_writes_are_script_sourced_unless_also_seen_in_headers() {
        let rec = Recorder::new("www.council.test", false);
        let p = page("https://www.council.test/", 0);
        let script = Url::parse("https://siteimproveanalytics.com/js/siteanalyze.js").unwrap();
        rec.record_script_write(&p, &p.url, "nmstat=123; path=/; max-age=100", Some(&script));
        let observed = rec.finish();
        assert_eq!(observed[0].source, CookieSource::Script);
        assert_eq!(observed[0].set_by_url, script.as_str());
        assert_eq!(observed[0].domain, "www.council.test");
        assert!(
            observed[0]
                .evidence
                .iter()
                .any(|e| e.kind == EvidenceKind::Script)
        );
    }

    #[test]
    fn evidence_is_bounded() {
        let rec = Recorder::new("www.council.test", false);
        for i in 0..50 {
            record(
                &rec,
                &page(&format!("https://www.council.test/p{i:02}"), 1),
                &["a=1; Path=/"],
            );
        }
        let observed = rec.finish();
        assert_eq!(observed[0].pages, 50);
        let pages = observed[0]
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Page)
            .count();
        assert_eq!(pages, MAX_EVIDENCE_PER_KIND);
        assert!(observed[0].evidence.iter().any(|e| e.url.ends_with("/p00")));
    }
}
