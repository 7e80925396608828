//! `changes` between two runs, through the store as the audit job uses it.

use cookie_audit_model::{
    Changes, ConsentState, CookieKey, Coverage, Evidence, EvidenceKind, FindingCode, FindingKey,
    ObservedCookie, Report,
};
use cookie_audit_store::{changes, declaration_hash};

use crate::backends::TestDb;
use crate::support::{self, HOME, day, declared, observed, page, stale, undeclared};

const SITE: &str = "council.test";

on_both_backends!(
    a_new_cookie_and_a_removed_declaration_row_are_exactly_the_changes,
    gone_cookies_and_resolved_findings,
    a_shorter_crawl_lists_what_it_did_not_look_at_again_as_not_rechecked,
    a_cookie_seen_on_more_pages_than_its_evidence_names_needs_the_whole_crawl_again,
    a_cookie_that_moves_in_front_of_the_banner_is_new_before_a_choice,
    an_unreadable_stored_report_falls_back_to_comparing_keys,
);

/// Stores `first`, then computes the changes of `second` as the audit job does.
async fn audit_twice(db: &TestDb, first: &Report, second: &Report) -> Changes {
    let store = db.open().await;
    let one = store
        .begin_run(SITE, &first.site, first.started_at)
        .await
        .unwrap();
    let previous = store.previous_complete(SITE, one).await.unwrap();
    assert!(previous.is_none());
    store.complete_run(one, first).await.unwrap();

    let two = store
        .begin_run(SITE, &second.site, second.started_at)
        .await
        .unwrap();
    let previous = store.previous_complete(SITE, two).await.unwrap();
    let found = changes(previous.as_ref(), second);
    let mut second = second.clone();
    second.changes = Some(found.clone());
    store.complete_run(two, &second).await.unwrap();
    assert_eq!(store.history(SITE).await.unwrap().len(), 2);
    found
}

fn key(name: &str) -> CookieKey {
    CookieKey {
        name: name.into(),
        domain: "council.test".into(),
        path: "/".into(),
    }
}

async fn a_new_cookie_and_a_removed_declaration_row_are_exactly_the_changes(db: TestDb) {
    // Run 1: _ga and sid set and declared; all is well.
    let first = support::clean_report(day(0));
    // Run 2: the site adds _hjid, and the table drops its row for sid. Both are undeclared now.
    let second = support::report(
        day(7),
        vec![declared("_ga", "1 year", 0)],
        vec![
            observed("_ga", "council.test", false),
            observed("_hjid", "council.test", false),
            observed("sid", "council.test", false),
        ],
        vec![
            undeclared("_hjid", "council.test"),
            undeclared("sid", "council.test"),
        ],
    );
    let found = audit_twice(&db, &first, &second).await;
    assert_eq!(
        found,
        Changes {
            previous_run_at: Some(day(0)),
            new_cookies: vec![key("_hjid")],
            gone_cookies: vec![],
            new_findings: vec![
                FindingKey {
                    code: FindingCode::Undeclared,
                    cookie: "_hjid".into(),
                    domain: Some("council.test".into()),
                },
                FindingKey {
                    code: FindingCode::Undeclared,
                    cookie: "sid".into(),
                    domain: Some("council.test".into()),
                },
            ],
            resolved_findings: vec![],
            declaration_changed: true,
            // A new cookie set by a visitor who has not chosen is new before a choice too.
            new_before_choice: vec![key("_hjid")],
            not_rechecked_cookies: vec![],
            not_rechecked_findings: vec![],
            coverage: Some(Coverage {
                pages_visited: 1,
                previous_pages_visited: 1,
                pages_revisited: 1,
            }),
        }
    );
}

async fn gone_cookies_and_resolved_findings(db: TestDb) {
    let first = support::report(
        day(0),
        vec![declared("_ga", "1 year", 0), declared("old", "1 year", 1)],
        vec![
            observed("_ga", "council.test", false),
            observed("tracker", "council.test", false),
        ],
        vec![stale("old"), undeclared("tracker", "council.test")],
    );
    let second = support::report(
        day(7),
        vec![declared("_ga", "1 year", 0), declared("old", "1 year", 1)],
        vec![observed("_ga", "council.test", false)],
        vec![stale("old")],
    );
    let found = audit_twice(&db, &first, &second).await;
    assert_eq!(found.new_cookies, vec![]);
    assert_eq!(found.gone_cookies, vec![key("tracker")]);
    assert_eq!(found.new_findings, vec![]);
    assert_eq!(
        found.resolved_findings,
        vec![FindingKey {
            code: FindingCode::Undeclared,
            cookie: "tracker".into(),
            domain: Some("council.test".into()),
        }]
    );
    assert!(!found.declaration_changed);
}

const A: &str = "https://www.council.test/a";
const B: &str = "https://www.council.test/b";

/// A cookie first seen on `page`, set there only.
fn seen_on(name: &str, at: &str) -> ObservedCookie {
    let mut cookie = observed(name, "council.test", false);
    cookie.first_seen_page = at.into();
    cookie.evidence = vec![Evidence::new(EvidenceKind::Page, at)];
    cookie
}

/// The case: a full crawl, then one of fewer pages. Only what the second run read again
/// is gone or resolved; the rest is not re-checked, and a table cookie not seen on the pages it
/// did not read is no new finding.
async fn a_shorter_crawl_lists_what_it_did_not_look_at_again_as_not_rechecked(db: TestDb) {
    let mut first = support::report(
        day(0),
        vec![declared("sid", "1 year", 0), declared("poll", "1 year", 1)],
        vec![
            seen_on("sid", HOME),
            seen_on("tracker", A),
            seen_on("poll", B),
            seen_on("widget", B),
        ],
        vec![
            undeclared("tracker", "council.test"),
            undeclared("widget", "council.test"),
        ],
    );
    first.crawl.pages = vec![page(HOME), page(A), page(B)];
    // Only home and /a this time: tracker really is gone from /a; /b was not read.
    let mut second = support::report(
        day(7),
        vec![declared("sid", "1 year", 0), declared("poll", "1 year", 1)],
        vec![seen_on("sid", HOME)],
        vec![stale("poll")],
    );
    second.crawl.pages = vec![page(HOME), page(A)];
    let found = audit_twice(&db, &first, &second).await;
    assert_eq!(found.gone_cookies, vec![key("tracker")]);
    assert_eq!(
        found.not_rechecked_cookies,
        vec![key("poll"), key("widget")]
    );
    let undeclared_key = |name: &str| FindingKey {
        code: FindingCode::Undeclared,
        cookie: name.into(),
        domain: Some("council.test".into()),
    };
    assert_eq!(found.resolved_findings, vec![undeclared_key("tracker")]);
    assert_eq!(found.new_findings, vec![]);
    let stale_poll = FindingKey {
        code: FindingCode::StaleNotObserved,
        cookie: "poll".into(),
        domain: None,
    };
    assert_eq!(
        found.not_rechecked_findings,
        vec![undeclared_key("widget"), stale_poll]
    );
    assert_eq!(
        found.coverage,
        Some(Coverage {
            pages_visited: 2,
            previous_pages_visited: 3,
            pages_revisited: 2,
        })
    );
    assert!(!found.coverage.unwrap().is_complete());

    // A table row that answered to a cookie of another name (a family, `stats_*`) on a page not
    // read again: its new stale finding is not new either.
    let mut by_family = second.clone();
    by_family.findings.push(stale("stats_*"));
    let found = audit_twice(&TestDb::new(db.backend).await, &first, &by_family).await;
    assert_eq!(found.new_findings, vec![]);
    assert!(found.not_rechecked_findings.contains(&FindingKey {
        code: FindingCode::StaleNotObserved,
        cookie: "stats_*".into(),
        domain: None,
    }));

    // A server error on /a is not a reading of it: tracker is then not re-checked either.
    let mut failing = second.clone();
    failing.crawl.pages[1].status = Some(503);
    let found = audit_twice(&TestDb::new(db.backend).await, &first, &failing).await;
    assert_eq!(found.gone_cookies, vec![]);
    assert_eq!(
        found.not_rechecked_cookies,
        vec![key("poll"), key("tracker"), key("widget")]
    );
}

/// `pages` says where the cookie was set more often than its (capped) evidence names: only a run
/// that read every page of the previous one has looked everywhere it was.
async fn a_cookie_seen_on_more_pages_than_its_evidence_names_needs_the_whole_crawl_again(
    db: TestDb,
) {
    let mut everywhere = seen_on("stats", A);
    everywhere.pages = 40;
    let mut first = support::report(day(0), vec![], vec![everywhere], vec![]);
    first.crawl.pages = vec![page(HOME), page(A), page(B)];
    let mut partial = support::report(day(7), vec![], vec![], vec![]);
    partial.crawl.pages = vec![page(HOME), page(A)];
    let found = audit_twice(&db, &first, &partial).await;
    assert_eq!(found.not_rechecked_cookies, vec![key("stats")]);
    assert_eq!(found.gone_cookies, vec![]);

    let mut whole = partial.clone();
    whole.crawl.pages.push(page(B));
    let mut whole_with_stale = whole.clone();
    whole_with_stale.findings.push(stale("stats_*"));
    let found = audit_twice(&TestDb::new(db.backend).await, &first, &whole_with_stale).await;
    assert_eq!(found.gone_cookies, vec![key("stats")]);
    assert!(found.coverage.unwrap().is_complete());
    // Every page was read again: a table row no cookie answers to now is a new finding.
    assert_eq!(
        found.new_findings,
        vec![FindingKey {
            code: FindingCode::StaleNotObserved,
            cookie: "stats_*".into(),
            domain: None,
        }]
    );
}

async fn a_cookie_that_moves_in_front_of_the_banner_is_new_before_a_choice(db: TestDb) {
    let mut after_accept = observed("_ga", "council.test", false);
    after_accept.states = vec![ConsentState::Accept];
    let first = support::report(
        day(0),
        vec![],
        vec![after_accept, observed("sid", "council.test", false)],
        vec![],
    );
    let mut both = observed("_ga", "council.test", false);
    both.states = vec![ConsentState::None, ConsentState::Accept];
    let mut only_accept = observed("_fbp", "council.test", false);
    only_accept.states = vec![ConsentState::Accept];
    only_accept.stored_after_click = vec![ConsentState::Accept];
    let second = support::report(
        day(7),
        vec![],
        vec![both, only_accept, observed("sid", "council.test", false)],
        vec![],
    );
    let found = audit_twice(&db, &first, &second).await;
    // _ga moved in front of the banner; _fbp is new but waits for a choice; sid was always there.
    assert_eq!(found.new_before_choice, vec![key("_ga")]);
    assert_eq!(found.new_cookies, vec![key("_fbp")]);
    // The stored row keeps each state.
    let states = db
        .sql(
            "SELECT CAST(run_id AS TEXT) || ' ' || name || ':' || CAST(state_none AS TEXT) \
             || CAST(state_accept AS TEXT) || CAST(state_reject AS TEXT) || ':' \
             || CAST(stored_after_accept AS TEXT) || CAST(stored_after_reject AS TEXT) \
             FROM observed_cookies",
        )
        .await;
    // Sorted here: a PostgreSQL collation need not be byte order.
    let mut states: Vec<String> = states
        .iter()
        .map(|s| s.replace("true", "1").replace("false", "0"))
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            "1 _ga:010:00",
            "1 sid:100:00",
            "2 _fbp:010:10",
            "2 _ga:110:00",
            "2 sid:100:00"
        ]
    );
}

/// A stored report this build cannot read (written by a newer one, say) does not fail the
/// comparison: it falls back to the keys, as before coverage was recorded.
async fn an_unreadable_stored_report_falls_back_to_comparing_keys(db: TestDb) {
    let store = db.open().await;
    let one = store.begin_run(SITE, HOME, day(0)).await.unwrap();
    let mut first = support::report(day(0), vec![], vec![seen_on("tracker", A)], vec![]);
    first.crawl.pages = vec![page(HOME), page(A)];
    store.complete_run(one, &first).await.unwrap();
    db.sql("UPDATE runs SET report_json = '{\"schema_version\": \"9\"}'")
        .await;
    let two = store.begin_run(SITE, HOME, day(7)).await.unwrap();
    let previous = store.previous_complete(SITE, two).await.unwrap().unwrap();
    assert_eq!(previous.sightings, None);
    let found = changes(
        Some(&previous),
        &support::report(day(7), vec![], vec![], vec![]),
    );
    assert_eq!(found.gone_cookies, vec![key("tracker")]);
    assert_eq!(found.coverage, None);
}

#[test]
fn the_first_run_has_nothing_to_compare_with() {
    let found = changes(None, &support::clean_report(day(0)));
    assert_eq!(found, Changes::default());
    assert!(found.previous_run_at.is_none());
}

#[test]
fn the_declaration_hash_reads_content_not_markup() {
    let base = vec![declared("_ga", "1 year", 0), declared("sid", "Session", 1)];
    let hash = declaration_hash(&base);

    // Rows reordered, moved to another table or page, whitespace and domain spelling changed.
    let mut moved = vec![base[1].clone(), base[0].clone()];
    moved[0].source.url = "https://www.council.test/privacy#cookies".into();
    moved[0].source.table = 3;
    moved[1].purpose = Some("  What _ga\n   is for. ".into());
    moved[1].domain = Some("COUNCIL.test".into());
    assert_eq!(declaration_hash(&moved), hash);

    // The same row listed twice (on two pages) is one declaration.
    let mut twice = base.clone();
    twice.push(base[0].clone());
    assert_eq!(declaration_hash(&twice), hash);

    // What a reader sees changing does change it.
    for change in [
        |d: &mut cookie_audit_model::DeclaredCookie| d.name = "_gid".into(),
        |d: &mut cookie_audit_model::DeclaredCookie| d.purpose = Some("Analytics.".into()),
        |d: &mut cookie_audit_model::DeclaredCookie| {
            d.expiry = Some(cookie_audit_model::expiry::parse_expiry_text("2 years"))
        },
        |d: &mut cookie_audit_model::DeclaredCookie| d.category = None,
        |d: &mut cookie_audit_model::DeclaredCookie| d.provider = Some("Google".into()),
    ] {
        let mut changed = base.clone();
        change(&mut changed[0]);
        assert_ne!(declaration_hash(&changed), hash);
    }
    assert_ne!(declaration_hash(&base[..1]), hash, "a removed row");
    assert_ne!(declaration_hash(&[]), hash);
}
