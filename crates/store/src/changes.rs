//! What changed between two audits of a site. Pure: takes what the store kept of the previous
//! complete run and the new report, returns `Changes`, touches no database.

use std::collections::BTreeSet;

use cookie_audit_model::{
    Changes, CookieKey, DeclaredCookie, DeclaredSourceKind, Finding, FindingKey, ObservedCookie,
    Report,
};
use sha2::{Digest, Sha256};

use crate::PreviousRun;

/// `Changes` of `current` against the previous complete run of its site. With no previous run
/// (the site's first audit) every list is empty and `previous_run_at` is null: nothing is "new"
/// when there is nothing to compare with.
pub fn changes(previous: Option<&PreviousRun>, current: &Report) -> Changes {
    let Some(previous) = previous else {
        return Changes::default();
    };
    let now_cookies: BTreeSet<CookieKey> =
        current.observed.iter().map(ObservedCookie::key).collect();
    let then_cookies: BTreeSet<CookieKey> = previous.cookies.iter().cloned().collect();
    let now_findings: BTreeSet<FindingKey> = current.findings.iter().map(finding_key).collect();
    let then_findings: BTreeSet<FindingKey> = previous.findings.iter().cloned().collect();
    Changes {
        previous_run_at: Some(previous.finished_at),
        new_cookies: now_cookies.difference(&then_cookies).cloned().collect(),
        gone_cookies: then_cookies.difference(&now_cookies).cloned().collect(),
        new_findings: now_findings.difference(&then_findings).cloned().collect(),
        resolved_findings: then_findings.difference(&now_findings).cloned().collect(),
        declaration_changed: declaration_hash(&current.declared) != previous.declaration_hash,
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
