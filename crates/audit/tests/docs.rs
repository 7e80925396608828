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

const REPORT_MD: &str = include_str!("../../../docs/report.md");
const REPORT_SCHEMA: &str = include_str!("../../../docs/report-schema.json");

/// Whether the guide names `word` as a whole word (a field name inside backticks or braces).
fn names(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let part_of_name =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !part_of_name(before) && !part_of_name(after)
    })
}

fn collect_properties(value: &serde_json::Value, into: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                into.extend(props.keys().cloned());
            }
            map.values().for_each(|v| collect_properties(v, into));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_properties(v, into)),
        _ => {}
    }
}

/// Issue 15 found docs/report.md silent on `classification`, the evidence kind `reference` and
/// the summary's `no_declaration`: every field of the schema, and every value of the
/// enumerations a reader branches on, must be named in the guide.
#[test]
fn the_report_guide_names_every_field_and_status() {
    let schema: serde_json::Value = serde_json::from_str(REPORT_SCHEMA).unwrap();
    let mut fields = std::collections::BTreeSet::new();
    collect_properties(&schema, &mut fields);
    let missing: Vec<_> = fields.iter().filter(|f| !names(REPORT_MD, f)).collect();
    assert!(
        missing.is_empty(),
        "docs/report.md does not name {missing:?}"
    );

    let defs = &schema["$defs"];
    for enumeration in [
        "DeclarationStatus",
        "EvidenceKind",
        "FindingKind",
        "StorageKind",
        "CookieCategory",
        "ClassificationSource",
        "ConsentState",
    ] {
        let values = defs[enumeration]["oneOf"]
            .as_array()
            .or_else(|| defs[enumeration]["enum"].as_array())
            .unwrap_or_else(|| panic!("{enumeration} is not an enumeration in the schema"));
        for value in values {
            let value = value["const"].as_str().or(value.as_str()).unwrap();
            assert!(
                names(REPORT_MD, value),
                "docs/report.md does not name the {enumeration} `{value}`"
            );
        }
    }
    // `summary` is documented by its counts: each must be in its section.
    let summary = REPORT_MD
        .split("### summary")
        .nth(1)
        .unwrap()
        .split("###")
        .next()
        .unwrap();
    for count in defs["Summary"]["properties"].as_object().unwrap().keys() {
        assert!(
            names(summary, count),
            "docs/report.md's summary does not name `{count}`"
        );
    }
}
