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

/// Every `[default: N]` that `scan --help` states is what a scan really runs with: the report's
/// record of its options (written even when the start URL cannot be reached).
#[test]
fn help_states_the_real_defaults() {
    let help = scan_help().replace('\n', " ");
    let output = std::process::Command::new(BIN)
        .args([
            "scan",
            "http://www.not-mapped.gov.uk/",
            "--offline",
            "--format",
            "json",
            "-q",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let config = &report["config"];
    for (flag, field) in [
        ("--max-pages", "max_pages"),
        ("--max-depth", "max_depth"),
        ("--concurrency", "concurrency"),
        ("--rate", "rate"),
        ("--timeout", "timeout_secs"),
        ("--max-resources", "max_resources"),
        ("--max-body-bytes", "max_body_bytes"),
        ("--max-redirects", "max_redirects"),
        ("--max-query-variants", "max_query_variants"),
        ("--tabs", "tabs"),
        ("--settle-ms", "settle_ms"),
        ("--engine", "engine"),
        ("--scope", "scope"),
        ("--fail-on", "fail_on"),
    ] {
        let at = help
            .find(&format!("{flag} "))
            .unwrap_or_else(|| panic!("{flag} is in --help"));
        let stated = help[at..]
            .split("[default: ")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or_else(|| panic!("{flag} states a default"));
        let real = match &config[field] {
            serde_json::Value::String(s) => s.clone(),
            value => value.to_string(),
        };
        let same = match (stated.parse::<f64>(), real.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => stated == real,
        };
        assert!(
            same,
            "{flag}: --help says {stated}, a scan runs with {real}"
        );
    }
    assert!(
        config["user_agent"]
            .as_str()
            .unwrap()
            .starts_with("cookie-audit/")
    );
}

const SCHEDULING: &str = include_str!("../../../docs/scheduling.md");

/// Every `cookie-audit …` command line in the code blocks of docs/scheduling.md.
fn documented_commands() -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut in_code = false;
    let mut continued = String::new();
    for line in SCHEDULING.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        // A command continued on the next line (`\` at the end) is one command.
        if let Some(head) = line.strip_suffix('\\') {
            continued.push_str(head);
            continue;
        }
        let joined = std::mem::take(&mut continued) + line;
        let line = joined.as_str();
        // `cd /srv/cookie-audit && cookie-audit audit …`: the program, not a directory.
        let Some(rest) = line
            .match_indices("cookie-audit ")
            .map(|(at, _)| &line[at + "cookie-audit ".len()..])
            .find(|rest| {
                let word = rest.split_whitespace().next().unwrap_or("");
                ["audit", "history", "rounds", "report", "demo", "scan"].contains(&word)
            })
        else {
            continue;
        };
        // Up to a redirection, a pipe or a comment.
        let rest = rest.split(['>', '|', '#']).next().unwrap_or("");
        commands.push(rest.split_whitespace().map(str::to_string).collect());
    }
    commands
}

/// The guide's commands parse: with `--help` after them the real parser reads every flag and
/// value (an unknown flag or a bad value fails before the help is printed) and runs nothing.
#[test]
fn the_scheduling_guide_shows_commands_that_parse() {
    let commands = documented_commands();
    // The intro's two, a worker of a round, rounds' two, history's two, cron, systemd and the
    // screenshot's demo.
    assert_eq!(commands.len(), 10, "{commands:?}");
    for args in commands {
        let output = std::process::Command::new(BIN)
            .args(&args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "docs/scheduling.md: `cookie-audit {}` does not parse: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
