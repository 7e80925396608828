//! What changed between two audits of a site. Pure: takes what the store kept of the previous
//! complete run and the new report, returns `Changes`, touches no database.
//!
//! A change is only claimed where this run looked again. A cookie of the previous run that is
//! not observed now is *gone* only when the pages it was set on were read again without it; a
//! finding is *resolved* only when its cookie was seen again, or is gone by that rule. The rest
//! is listed as not re-checked: a run with `--max-pages 5` after a full one must not report every
//! cookie beyond its first five pages as gone.

use std::collections::{BTreeMap, BTreeSet};

use cookie_audit_model::{
    Changes, ConsentState, CookieKey, Coverage, DeclarationStatus, DeclaredCookie,
    DeclaredSourceKind, EvidenceKind, Finding, FindingCode, FindingKey, FindingKind,
    ObservedCookie, Report,
};
use sha2::{Digest, Sha256};

use crate::PreviousRun;

/// Responses at or above this status do not count as a page read: a server error page says
/// nothing about the cookies the page sets when it works.
const SERVER_ERROR: u16 = 500;

/// Where a run looked and what it saw there: what `changes` needs to tell "gone" from "not looked
/// at again". Read from a report (the stored one of the previous run, or the new one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sightings {
    /// Pages the run read: crawled pages with a response below 500, and cookie-table pages
    /// fetched without error. URLs as the report has them (normalised).
    pub pages: BTreeSet<String>,
    /// Per cookie, where it was set.
    pub cookies: BTreeMap<CookieKey, Sighting>,
}

/// Where one cookie was set in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sighting {
    /// On how many pages it was set (the report's `pages`).
    pub pages: u32,
    /// The pages the report names for it: its first page and its page evidence. Fewer than
    /// `pages` when the report's evidence was capped.
    pub seen_on: BTreeSet<String>,
    /// Set by a visitor who had not chosen (`states` holds `none`; a report made before consent
    /// runs existed has no states, and every visit then was one that had not chosen).
    pub before_choice: bool,
}

impl Sightings {
    /// The sightings of `report`.
    pub fn of(report: &Report) -> Sightings {
        let crawled = report
            .crawl
            .pages
            .iter()
            .filter(|p| p.status.is_some_and(|s| s < SERVER_ERROR))
            .map(|p| p.url.clone());
        let table_pages = report
            .declaration
            .pages
            .iter()
            .filter(|p| p.error.is_none())
            .map(|p| p.url.clone());
        Sightings {
            pages: crawled.chain(table_pages).collect(),
            cookies: report
                .observed
                .iter()
                .map(|o| (o.key(), Sighting::of(o)))
                .collect(),
        }
    }
}

impl Sighting {
    fn of(cookie: &ObservedCookie) -> Sighting {
        let evidence_pages = cookie
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::Page)
            .map(|e| e.url.clone());
        Sighting {
            pages: cookie.pages,
            seen_on: std::iter::once(cookie.first_seen_page.clone())
                .chain(evidence_pages)
                .collect(),
            before_choice: cookie.states.is_empty() || cookie.states.contains(&ConsentState::None),
        }
    }
}

/// `Changes` of `current` against the previous complete run of its site. With no previous run
/// (the site's first audit) every list is empty and `previous_run_at` is null: nothing is "new"
/// when there is nothing to compare with.
pub fn changes(previous: Option<&PreviousRun>, current: &Report) -> Changes {
    let Some(previous) = previous else {
        return Changes::default();
    };
    let now = Sightings::of(current);
    let recheck = Recheck::new(previous, &now);

    let now_cookies: BTreeSet<CookieKey> = now.cookies.keys().cloned().collect();
    let then_cookies: BTreeSet<CookieKey> = previous.cookies.iter().cloned().collect();
    let (gone_cookies, not_rechecked_cookies): (Vec<CookieKey>, Vec<CookieKey>) = then_cookies
        .difference(&now_cookies)
        .cloned()
        .partition(|c| recheck.cookie(c));

    let now_findings: BTreeSet<FindingKey> = current.findings.iter().map(finding_key).collect();
    let then_findings: BTreeSet<FindingKey> = previous.findings.iter().cloned().collect();
    let table_read = current.declaration.status == DeclarationStatus::Found;
    let (resolved_findings, mut not_rechecked_findings): (Vec<FindingKey>, Vec<FindingKey>) =
        then_findings
            .difference(&now_findings)
            .cloned()
            .partition(|f| recheck.finding(f, &now_cookies, table_read));
    // A cookie the table lists and the previous run saw, on pages this run did not read: "not
    // observed" only says where this run did not look.
    let (new_findings, unlooked): (Vec<FindingKey>, Vec<FindingKey>) = now_findings
        .difference(&then_findings)
        .cloned()
        .partition(|f| f.code != FindingCode::StaleNotObserved || recheck.declared(&f.cookie));
    not_rechecked_findings.extend(unlooked);
    not_rechecked_findings.sort();

    Changes {
        previous_run_at: Some(previous.finished_at),
        new_cookies: now_cookies.difference(&then_cookies).cloned().collect(),
        gone_cookies,
        new_findings,
        resolved_findings,
        declaration_changed: declaration_hash(&current.declared) != previous.declaration_hash,
        new_before_choice: new_before_choice(previous, &now),
        not_rechecked_cookies,
        not_rechecked_findings,
        coverage: recheck.coverage(),
    }
}

/// Cookies set before a choice now that the previous run did not see set before a choice.
fn new_before_choice(previous: &PreviousRun, now: &Sightings) -> Vec<CookieKey> {
    let then = previous.sightings.as_ref();
    now.cookies
        .iter()
        .filter(|(_, s)| s.before_choice)
        .filter(|(key, _)| match then {
            Some(then) => !then.cookies.get(*key).is_some_and(|s| s.before_choice),
            // Only the keys are known: a cookie the previous run had at all is not new.
            None => !previous.cookies.contains(key),
        })
        .map(|(key, _)| key.clone())
        .collect()
}

/// What this run read again of the previous run.
struct Recheck<'a> {
    previous: &'a PreviousRun,
    now: &'a Sightings,
    /// Every page the previous run read was read again.
    whole_crawl: bool,
}

impl<'a> Recheck<'a> {
    fn new(previous: &'a PreviousRun, now: &'a Sightings) -> Recheck<'a> {
        let whole_crawl = previous
            .sightings
            .as_ref()
            .is_none_or(|then| then.pages.is_subset(&now.pages));
        Recheck {
            previous,
            now,
            whole_crawl,
        }
    }

    /// A cookie of the previous run, not observed now, was looked for again: every page it was
    /// set on was read again. When the previous report names only some of its pages (evidence is
    /// capped), only a run that read every page the previous one did has surely looked.
    fn cookie(&self, cookie: &CookieKey) -> bool {
        let Some(then) = &self.previous.sightings else {
            // A previous run whose pages are unknown: compared as before coverage was recorded.
            return true;
        };
        match then.cookies.get(cookie) {
            Some(seen) if seen.seen_on.len() as u64 >= u64::from(seen.pages) => {
                seen.seen_on.is_subset(&self.now.pages)
            }
            _ => self.whole_crawl,
        }
    }

    /// A declared name whose `stale:not_observed` finding is new was looked for again. The
    /// previous run saw a cookie the row answers to: by that name, then it is that cookie's
    /// pages; by a pattern or a family (`_ga_*`, `incap_ses_*`), the report does not say which
    /// cookie, so only a run that read every page of the previous one has looked.
    fn declared(&self, name: &str) -> bool {
        let named: Vec<&CookieKey> = self
            .previous
            .cookies
            .iter()
            .filter(|c| c.name == name)
            .collect();
        if named.is_empty() {
            self.whole_crawl
        } else {
            named.iter().all(|c| self.cookie(c))
        }
    }

    /// A finding of the previous run, not found now, was checked again. A finding about an
    /// observed cookie follows the cookie: checked when the cookie was seen again or is gone. A
    /// stale finding is about the table: checked when a table was read. Others (no declaration,
    /// the consent platform's list) are checked by every run.
    fn finding(
        &self,
        finding: &FindingKey,
        now_cookies: &BTreeSet<CookieKey>,
        table_read: bool,
    ) -> bool {
        let about = |c: &&CookieKey| {
            c.name == finding.cookie && Some(c.domain.as_str()) == finding.domain.as_deref()
        };
        let cookies: Vec<&CookieKey> = self.previous.cookies.iter().filter(about).collect();
        if !cookies.is_empty() {
            return now_cookies.iter().any(|c| about(&c)) || cookies.iter().all(|c| self.cookie(c));
        }
        finding.code.kind() != FindingKind::Stale || table_read
    }

    fn coverage(&self) -> Option<Coverage> {
        let then = self.previous.sightings.as_ref()?;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Some(Coverage {
            pages_visited: count(self.now.pages.len()),
            previous_pages_visited: count(then.pages.len()),
            pages_revisited: count(then.pages.intersection(&self.now.pages).count()),
        })
    }
}

/// A finding's identity across runs: (code, cookie, domain). Messages and evidence may change
/// wording from one release to the next; the finding is the same.
pub fn finding_key(finding: &Finding) -> FindingKey {
    FindingKey {
        code: finding.code,
        cookie: finding.cookie.clone(),
        domain: finding.domain.clone(),
    }
}

/// SHA-256 (hex) of the declaration's content: the declared rows normalised, deduplicated and
/// sorted. What a reader of the cookie table sees decides it, not the page's markup: whitespace,
/// row order, which page or table a row sits in, and a leading dot or capitals in a domain do not
/// change the hash; any change to a name, provider, domain, purpose, category or expiry text does.
pub fn declaration_hash(declared: &[DeclaredCookie]) -> String {
    // The site's own table: the consent platform's list (`source.kind: cmp`) is not what a web
    // team edits, and its changes are the platform's.
    let mut rows: Vec<[String; 7]> = declared
        .iter()
        .filter(|d| d.source.kind == DeclaredSourceKind::Page)
        .map(normalised_row)
        .collect();
    rows.sort();
    rows.dedup();
    let mut hasher = Sha256::new();
    hasher.update(b"cookie-audit declaration v1\n");
    for row in &rows {
        for field in row {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
            hasher.update((field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
    }
    hex::encode(hasher.finalize())
}

fn normalised_row(d: &DeclaredCookie) -> [String; 7] {
    let text = |s: &Option<String>| s.as_deref().map(collapse).unwrap_or_default();
    [
        collapse(&d.name),
        d.glob.as_deref().map(collapse).unwrap_or_default(),
        text(&d.provider),
        d.domain
            .as_deref()
            .map(|s| collapse(s).trim_matches('.').to_lowercase())
            .unwrap_or_default(),
        text(&d.purpose),
        text(&d.category),
        d.expiry
            .as_ref()
            .map(|e| collapse(&e.text))
            .unwrap_or_default(),
    ]
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
