//! `cookie-audit declared`: one page's table.

use cookie_audit_fixtures::council::COUNCIL;

use crate::support::{BIN, council, stderr, stdout};

#[test]
fn reads_a_url_and_a_file() {
    let (_rt, server) = council();
    let mut cmd = std::process::Command::new(BIN);
    cmd.args([
        "declared",
        &server.http_url(COUNCIL, "/cookies"),
        "--format",
        "json",
        "--offline",
    ]);
    for r in server.resolve_args() {
        cmd.arg("--resolve").arg(r);
    }
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["status"], "found");
    let names: Vec<&str> = json["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"incap_ses_459_913011") && names.contains(&"__cfduid"),
        "{names:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cookies.html");
    std::fs::write(&file, "<table><tr><th>Name</th><th>Purpose</th></tr><tr><td>_ga</td><td>Analytics</td></tr></table>").unwrap();
    let output = std::process::Command::new(BIN)
        .args(["declared", file.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["cookies"][0]["name"], "_ga");
}
