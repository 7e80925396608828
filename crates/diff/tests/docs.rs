//! Docs that must not drift from the code.

use cookie_audit_model::FindingCode;

fn doc(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_finding_code_has_a_heading_in_findings_md() {
    let text = doc("findings.md");
    let headings: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(str::trim)
        .collect();
    for code in FindingCode::iter() {
        let heading = format!("`{}`", code.as_str());
        assert!(
            headings.iter().any(|h| *h == heading),
            "docs/findings.md has no `## {heading}` heading"
        );
    }
}

#[test]
fn findings_md_names_the_real_thresholds() {
    let text = doc("findings.md");
    assert!(text.contains(&format!(
        "EXPIRY_LONGER_RATIO = {}",
        cookie_audit_diff::EXPIRY_LONGER_RATIO
    )));
    assert!(text.contains(&format!(
        "EXPIRY_SHORTER_RATIO = {}",
        cookie_audit_diff::EXPIRY_SHORTER_RATIO
    )));
    assert!(text.contains("EXPIRY_LONGER_MIN_SECONDS = 86400"));
    assert_eq!(cookie_audit_diff::EXPIRY_LONGER_MIN_SECONDS, 86_400);
    assert!(text.contains(&format!(
        "MIN_LITERAL_PREFIX = {}",
        cookie_audit_diff::MIN_LITERAL_PREFIX
    )));
}

#[test]
fn knowledge_base_md_describes_every_field_of_the_format() {
    let text = doc("knowledge-base.md");
    for field in [
        "name",
        "prefix",
        "pattern",
        "vendor",
        "category",
        "purpose",
        "lifetime",
        "party",
        "domains",
        "source",
        "retired",
        "aliases",
        "--cookie-db",
    ] {
        assert!(
            text.contains(&format!("`{field}`")),
            "docs/knowledge-base.md does not mention `{field}`"
        );
    }
}
