//! The wire format as a contract: the published schema is the generated one, real reports
//! validate against it, reports read back unchanged, and unknown versions are refused.

use std::path::PathBuf;

use cookie_audit_model::Report;
use cookie_audit_report::{ReportError, json_schema, json_schema_string, read_report, to_json};

use crate::sample;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/report-schema.json")
}

/// `UPDATE_SCHEMA=1 cargo test -p cookie-audit-report --test tests contract` rewrites the file.
#[test]
fn published_schema_is_the_generated_one() {
    let generated = json_schema_string();
    let path = schema_path();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write docs/report-schema.json");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/report-schema.json is out of date with the model's report types; regenerate it with\n\
         UPDATE_SCHEMA=1 cargo test -p cookie-audit-report --test tests contract"
    );
}

fn assert_valid(schema: &serde_json::Value, report: &Report) {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    let instance = serde_json::from_str::<serde_json::Value>(&to_json(report)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "report does not validate: {errors:#?}");
}

#[test]
fn realistic_reports_validate_against_the_published_schema() {
    let published: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
    for report in [
        sample::report(),
        sample::report_with_values(),
        sample::bare_report(),
    ] {
        assert_valid(&published, &report);
        assert_valid(&json_schema(), &report);
    }
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    let validator = jsonschema::validator_for(&json_schema()).unwrap();
    let mut report: serde_json::Value = serde_json::to_value(sample::report()).unwrap();
    report["findings"][0]["severity"] = "critical".into();
    assert!(
        !validator.is_valid(&report),
        "an unknown severity is invalid"
    );
    let mut report: serde_json::Value = serde_json::to_value(sample::report()).unwrap();
    report.as_object_mut().unwrap().remove("observed");
    assert!(!validator.is_valid(&report), "observed is required");
}

#[test]
fn reports_round_trip_through_json() {
    for report in [
        sample::report(),
        sample::report_with_values(),
        sample::bare_report(),
    ] {
        let json = to_json(&report);
        let back = read_report(&json).expect("a written report reads back");
        assert_eq!(back, report);
        assert_eq!(to_json(&back), json, "and serialises to the same bytes");
    }
}

#[test]
fn json_is_deterministic_and_ends_with_a_newline() {
    let a = to_json(&sample::report());
    let b = to_json(&sample::report());
    assert_eq!(a, b);
    assert!(a.ends_with("}\n"));
    assert!(a.starts_with("{\n  \"schema_version\": \"1\","));
}

#[test]
fn unknown_schema_versions_are_refused_clearly() {
    let mut report: serde_json::Value = serde_json::to_value(sample::report()).unwrap();
    report["schema_version"] = "2".into();
    let error = read_report(&report.to_string()).unwrap_err();
    assert!(matches!(error, ReportError::UnsupportedVersion { ref found } if found == "2"));
    let message = error.to_string();
    assert!(
        message.contains("\"2\"") && message.contains("\"1\""),
        "{message}"
    );

    report["schema_version"] = 1.into();
    let error = read_report(&report.to_string()).unwrap_err();
    assert!(matches!(error, ReportError::NotAReport { .. }), "{error}");
    assert!(error.to_string().contains("not a string"), "{error}");

    report.as_object_mut().unwrap().remove("schema_version");
    let error = read_report(&report.to_string()).unwrap_err();
    assert!(matches!(error, ReportError::NotAReport { .. }), "{error}");

    assert!(matches!(
        read_report("[1, 2]"),
        Err(ReportError::NotAReport { .. })
    ));
    assert!(matches!(
        read_report("{\"schema_version\": "),
        Err(ReportError::Invalid { .. })
    ));
}

#[test]
fn version_1_grows_by_addition_in_both_directions() {
    let mut report: serde_json::Value = serde_json::to_value(sample::report()).unwrap();
    // A newer cookie-audit may add fields: this one still reads the report.
    report["added_later"] = serde_json::json!({"anything": [1, 2, 3]});
    report["findings"][0]["added_later"] = true.into();
    assert!(read_report(&report.to_string()).is_ok());

    // An older one wrote fewer: fields added since default.
    let object = report.as_object_mut().unwrap();
    for later in [
        "registrable_domain",
        "limitations",
        "suggested_table",
        "changes",
    ] {
        object.remove(later);
    }
    let read = read_report(&report.to_string()).expect("an older v1 report reads");
    assert!(read.suggested_table.is_empty());
    assert!(read.changes.is_none());
}

#[test]
fn reading_a_file_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, "{\"schema_version\": \"9\"}").unwrap();
    let error = cookie_audit_report::read_report_file(&path).unwrap_err();
    assert!(error.to_string().contains("report.json"), "{error}");
    let missing = cookie_audit_report::read_report_file(&dir.path().join("nope.json"));
    assert!(matches!(missing, Err(ReportError::Read { .. })));
}
