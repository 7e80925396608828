//! `--cookie-db` with the real Open Cookie Database (`../shared/data/`, Apache-2.0).

use std::path::PathBuf;

use cookie_audit_diff::{ClassificationSource, CookieCategory, KnowledgeBase};

use crate::support::*;

fn open_cookie_database() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/open-cookie-database.csv")
}

#[test]
fn loads_the_real_open_cookie_database() {
    let mut kb = KnowledgeBase::builtin();
    let stats = kb.load_cookie_db(&open_cookie_database()).unwrap();
    assert_eq!(stats.rows, 2264);
    // SR, CT, P_, tp and _s are prefixes too short to trust.
    assert_eq!(stats.refused_short_prefix, 5);
    assert_eq!(
        stats.loaded + stats.refused_short_prefix + stats.skipped,
        stats.rows
    );
    assert!(stats.shadowed_by_builtin > 50, "{stats:?}");
    assert_eq!(kb.cookie_db_len(), stats.loaded);

    // Built-in entries win: `_ga` stays ours, `incap_ses_*` stays strictly necessary.
    let ga = kb.classify("_ga", "barnet.gov.uk").unwrap();
    assert_eq!(ga.source, ClassificationSource::Builtin);
    let incap = kb.classify("incap_ses_771_913011", "lbbd.gov.uk").unwrap();
    assert_eq!(incap.source, ClassificationSource::Builtin);
    assert_eq!(incap.category, CookieCategory::StrictlyNecessary);
    // What only the database knows is classified by it, and says so.
    let ot = kb.classify("OptanonControl", "barnet.gov.uk").unwrap();
    assert_eq!(ot.source, ClassificationSource::CookieDb);
    assert_eq!(ot.vendor, "OneTrust");
    assert!(
        kb.classify("_session_id_that_nobody_knows", "barnet.gov.uk")
            .is_none()
    );
}

#[test]
fn the_report_says_which_source_classified_each_cookie() {
    let mut kb = KnowledgeBase::builtin();
    kb.load_cookie_db(&open_cookie_database()).unwrap();
    let out = run_with(
        &found(),
        &[declared("PHPSESSID", 0)],
        &[
            observed("PHPSESSID", "www.barnet.gov.uk", session()),
            observed("OptanonControl", ".barnet.gov.uk", persistent(YEAR)),
        ],
        &kb,
    );
    let sources: Vec<(&str, Option<ClassificationSource>)> = out
        .observed
        .iter()
        .map(|o| (o.name.as_str(), o.classification.as_ref().map(|c| c.source)))
        .collect();
    assert_eq!(
        sources,
        vec![
            ("PHPSESSID", Some(ClassificationSource::Builtin)),
            ("OptanonControl", Some(ClassificationSource::CookieDb)),
        ]
    );
    let f = only(&out, "undeclared");
    assert!(
        f.message
            .starts_with("OptanonControl (a OneTrust functional cookie)"),
        "{}",
        f.message
    );
}
