//! Tests that keep the docs honest: the README's usage block is `scan --help`.

use crate::support::BIN;

const START: &str = "<!-- scan-help:start -->\n```text\n";
const END: &str = "```\n<!-- scan-help:end -->";

fn scan_help() -> String {
    let output = std::process::Command::new(BIN)
        .args(["scan", "--help"])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// `UPDATE_README=1 cargo test -p cookie-audit --test tests docs` rewrites the block.
#[test]
fn readme_usage_is_the_real_help() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme.find(START).expect("README has the scan-help block") + START.len();
    let end = readme[start..].find(END).expect("the block is closed") + start;
    let help = scan_help();
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..start], help, &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        help,
        "README.md's usage is out of date: UPDATE_README=1 cargo test -p cookie-audit --test tests docs"
    );
}
