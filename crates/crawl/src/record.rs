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

use chrono::{DateTime, Utc};
use cookie_audit_model::redact::{CookieValue, redact_set_cookie_line};
use cookie_audit_model::set_cookie::{CookieRecord, SetCookieContext, interpret_set_cookie};
use cookie_audit_model::{
    CookieKey, CookieSource, Evidence, EvidenceKind, Malformed, ObservedCookie, Party,
};
use url::Url;

/// Evidence entries kept per kind and cookie: enough to act on, bounded on a 5,000-page site.
pub const MAX_EVIDENCE_PER_KIND: usize = 5;

/// The page being visited when a cookie was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRef {
    pub url: Url,
    pub depth: u32,
}

/// What set a cookie.
#[derive(Debug, Clone)]
pub enum Setter<'a> {
    /// A response's `Set-Cookie` header.
    Response {
        url: &'a Url,
        status: u16,
        note: Option<&'a str>,
    },
    /// JavaScript; the script's URL when known (inline scripts have none).
    Script { script_url: Option<&'a Url> },
    /// Found only in the browser's cookie jar after a page settled: no response header or script
    /// write the engine saw explains it.
    Jar,
}

#[derive(Debug)]
pub struct Recorder {
    site_host: String,
    show_values: bool,
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
}

impl Recorder {
    pub fn new(site_host: &str, show_values: bool) -> Recorder {
        Recorder {
            site_host: site_host.to_string(),
            show_values,
            cookies: Mutex::new(HashMap::new()),
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
            self.record(
                page,
                record,
                Some(line),
                Setter::Response {
                    url: response_url,
                    status,
                    note,
                },
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
        let ctx = SetCookieContext {
            request_url: document_url,
            server_date: None,
            received_at: Utc::now(),
        };
        let mut record = interpret_set_cookie(line, &ctx);
        record.http_only = false;
        self.record(page, record, Some(line), Setter::Script { script_url });
    }

    /// Records a cookie already interpreted elsewhere (a browser's final jar).
    pub fn record(
        &self,
        page: &PageRef,
        record: CookieRecord,
        raw: Option<&str>,
        setter: Setter<'_>,
    ) {
        let malformed = record
            .rejected
            .as_ref()
            .filter(|r| r.reason.is_malformed())
            .map(|_| redact_set_cookie_line(raw.unwrap_or_default(), self.show_values));
        let key = RecordKey {
            cookie: record.key(),
            malformed,
        };
        let (set_by, evidence, source) = match &setter {
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
        };
        let rank: Rank = (
            record.lifetime.is_deletion(),
            record.rejected.is_some(),
            page.depth,
            page.url.to_string(),
            set_by.clone(),
        );
        let page_evidence = Evidence::new(EvidenceKind::Page, page.url.as_str());
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
        });
        if rank < entry.rank {
            entry.rank = rank.clone();
            entry.record = record;
            entry.set_by = set_by;
            entry.first_page = page.url.to_string();
        }
        entry.source = strongest(entry.source, source);
        entry.pages.insert(page_hash);
        for evidence in [page_evidence, evidence] {
            // Keep each piece of evidence once, at its best rank, so the kept set does not
            // depend on arrival order.
            let existing = entry.evidence.iter().find(|(_, e)| *e == evidence).cloned();
            match existing {
                Some((old_rank, _)) if old_rank <= rank => continue,
                Some(old) => {
                    entry.evidence.remove(&old);
                }
                None => {}
            }
            entry.evidence.insert((rank.clone(), evidence));
            let kind_count = |set: &BTreeSet<(Rank, Evidence)>, kind| {
                set.iter().filter(|(_, e)| e.kind == kind).count()
            };
            for kind in [
                EvidenceKind::Page,
                EvidenceKind::Response,
                EvidenceKind::Script,
            ] {
                while kind_count(&entry.evidence, kind) > MAX_EVIDENCE_PER_KIND {
                    let last = entry
                        .evidence
                        .iter()
                        .rev()
                        .find(|(_, e)| e.kind == kind)
                        .cloned();
                    if let Some(last) = last {
                        entry.evidence.remove(&last);
                    }
                }
            }
        }
    }

    /// The observed cookies, sorted by name, domain, path.
    pub fn finish(&self) -> Vec<ObservedCookie> {
        let cookies = self.cookies.lock().unwrap_or_else(|e| e.into_inner());
        let mut observed: Vec<ObservedCookie> = cookies
            .iter()
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
                    malformed: key.malformed.as_ref().map(|raw| Malformed {
                        error: r
                            .rejected
                            .as_ref()
                            .map(|x| x.message.clone())
                            .unwrap_or_default(),
                        raw: raw.clone(),
                    }),
                    warnings: r.warnings.clone(),
                    evidence: agg.evidence.iter().map(|(_, e)| e.clone()).collect(),
                    // Filled by the diff, which owns the knowledge base.
                    classification: None,
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

/// Of two ways a cookie was seen, the one that says most about who set it.
fn strongest(a: CookieSource, b: CookieSource) -> CookieSource {
    let rank = |s| match s {
        CookieSource::Http => 2,
        CookieSource::Script => 1,
        CookieSource::Jar => 0,
    };
    if rank(b) > rank(a) { b } else { a }
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
