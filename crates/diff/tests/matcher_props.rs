//! Properties of the name matcher, through the public diff: whatever the names, a cookie declared
//! under its own name is never undeclared nor stale, a declared pattern needs three literal
//! characters before its wildcard, and a pattern covers every name it spells.

use proptest::prelude::*;

use crate::support::{SITE, declared, observed, persistent, run};

/// Cookie names as sites write them: letters, digits and the punctuation real names use.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,24}"
}

fn has(out: &cookie_audit_diff::DiffOutput, code_prefix: &str, cookie: &str) -> bool {
    out.findings
        .iter()
        .any(|f| f.code.as_str().starts_with(code_prefix) && f.cookie == cookie)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn a_literal_name_matches_itself(name in name()) {
        let out = run(&[declared(&name, 0)], &[observed(&name, SITE, persistent(3600))]);
        prop_assert!(!has(&out, "undeclared", &name), "{:#?}", out.findings);
        prop_assert!(!has(&out, "stale", &name), "{:#?}", out.findings);
    }

    #[test]
    fn a_glob_with_fewer_than_three_literal_characters_matches_nothing(
        prefix in "[A-Za-z0-9_]{0,2}",
        rest in "[A-Za-z0-9_]{0,8}",
        observed_name in name(),
    ) {
        let pattern = format!("{prefix}*{rest}");
        let out = run(&[declared(&pattern, 0)], &[observed(&observed_name, SITE, persistent(3600))]);
        prop_assert!(
            out.warnings.iter().any(|w| w.contains("fewer than 3 characters")),
            "{:?}", out.warnings
        );
        // Unless the observed name is the pattern's text itself, the cookie stays undeclared.
        if observed_name != pattern {
            prop_assert!(has(&out, "undeclared", &observed_name), "{:#?}", out.findings);
        }
    }

    #[test]
    fn a_glob_covers_every_name_it_spells(
        prefix in "[A-Za-z_]{3,8}",
        filler in "[A-Za-z0-9_]{0,12}",
        suffix in "[A-Za-z0-9_]{0,6}",
    ) {
        let pattern = format!("{prefix}*{suffix}");
        let name = format!("{prefix}{filler}{suffix}");
        let out = run(&[declared(&pattern, 0)], &[observed(&name, SITE, persistent(3600))]);
        prop_assert!(!has(&out, "undeclared", &name), "{pattern} vs {name}: {:#?}", out.findings);
    }

    #[test]
    fn a_glob_never_covers_a_name_without_its_prefix(
        prefix in "[a-z]{3,8}",
        name in "[A-Z0-9]{1,12}",
    ) {
        // Upper-case names cannot start with a lower-case prefix.
        let pattern = format!("{prefix}*");
        let out = run(&[declared(&pattern, 0)], &[observed(&name, SITE, persistent(3600))]);
        prop_assert!(has(&out, "undeclared", &name), "{pattern} vs {name}: {:#?}", out.findings);
    }
}
