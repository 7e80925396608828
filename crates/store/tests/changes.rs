//! `changes` between two runs, through the store as the audit job uses it.

use cookie_audit_model::{Changes, CookieKey, FindingCode, FindingKey, Report};
use cookie_audit_store::{changes, declaration_hash};

use crate::backends::TestDb;
use crate::support::{self, day, declared, observed, stale, undeclared};

const SITE: &str = "council.test";

on_both_backends!(
    a_new_cookie_and_a_removed_declaration_row_are_exactly_the_changes,
    gone_cookies_and_resolved_findings,
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
