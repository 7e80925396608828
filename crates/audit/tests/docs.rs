//! The guides state the library's real defaults and contracts.

use cookie_audit_audit::job::{DEFAULT_DB, DEFAULT_OUT_DIR, DEFAULT_SITES_CONCURRENCY};

const SCHEDULING: &str = include_str!("../../../docs/scheduling.md");

#[test]
fn the_scheduling_guide_states_the_real_defaults() {
    assert!(SCHEDULING.contains(&format!(
        "`--sites-concurrency` at a time (default {DEFAULT_SITES_CONCURRENCY})"
    )));
    assert!(SCHEDULING.contains(&format!(
        "default: {DEFAULT_OUT_DIR}/ in the working directory"
    )));
    assert!(SCHEDULING.contains(&format!("default: {DEFAULT_DB} beside the config")));
    // The exit codes the job's summary carries, each with its row.
    for code in 0..=2 {
        assert!(
            SCHEDULING.contains(&format!("\n| {code} | ")),
            "exit {code}"
        );
    }
}
