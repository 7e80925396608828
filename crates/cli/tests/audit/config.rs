//! The audit config, read by the real binary: `audit --dry-run` checks a config and shows every
//! site's resolved options without fetching, writing or opening anything, so what the loader made
//! of a file is visible end to end. Errors point at their line and column.

use serde_json::Value;

use super::{Run, Workspace, run};

/// `cookie-audit audit --config conf/audit.toml --dry-run --format json` and `extra`, in `ws`,
/// whose `conf/audit.toml` is `text`.
async fn dry_run_in(ws: &Workspace, text: &str, extra: &[&str]) -> Run {
    std::fs::create_dir_all(ws.path("conf")).expect("conf directory");
    std::fs::write(ws.path("conf/audit.toml"), text).expect("write the config");
    let format: &[&str] = if extra.contains(&"--format") {
        &[]
    } else {
        &["--format", "json"]
    };
    let mut args: Vec<String> = ["audit", "--config", "conf/audit.toml", "--dry-run"]
        .iter()
        .chain(format)
        .chain(extra)
        .map(|arg| arg.to_string())
        .collect();
    // A PostgreSQL URL in the environment would be this run's `--db`.
    args.extend(["--db".to_string(), "history.db".to_string()]);
    run(&args, ws.dir.path()).await
}

/// The plan of a config that must load.
async fn plan(text: &str, extra: &[&str]) -> Value {
    let run = dry_run_in(&Workspace::new(), text, extra).await;
    assert_eq!(run.code, 0, "{run:?}");
    run.json()
}

/// The error a config that must not load gives, without its `error: ` prefix.
async fn error(text: &str) -> String {
    let run = dry_run_in(&Workspace::new(), text, &[]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.is_empty(), "nothing planned: {}", run.stdout);
    run.stderr
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("an error line: {}", run.stderr))
        .to_string()
}

fn site<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .find(|site| site["id"] == id)
        .unwrap_or_else(|| panic!("no site {id} in {plan:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_config_loads() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/audit.example.toml"
    );
    let plan = plan(&std::fs::read_to_string(example).unwrap(), &[]).await;
    let ids: Vec<&str> = plan["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["barnet.gov.uk", "lbbd.gov.uk", "buckinghamshire.gov.uk"]
    );
    for site in plan["sites"].as_array().unwrap() {
        assert!(site["owner"].is_string() && site["contact"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_then_site_then_command_line() {
    let text = r#"
[defaults]
engine = "http"
max_pages = 50
rate = 1

[[site]]
url = "https://www.barnet.gov.uk/"
max_pages = 20
privacy_url = "https://www.barnet.gov.uk/cookies"
tags = ["london"]
owner = "Digital team"

[[site]]
url = "www.lbbd.gov.uk"
"#;
    let plan = plan(text, &["--rate", "4", "--fail-on", "undeclared"]).await;
    let barnet = site(&plan, "barnet.gov.uk");
    assert_eq!(barnet["config"]["max_pages"], 20);
    assert_eq!(barnet["config"]["rate"], 4.0);
    assert_eq!(
        barnet["config"]["privacy_urls"],
        serde_json::json!(["https://www.barnet.gov.uk/cookies"])
    );
    assert_eq!(barnet["tags"], serde_json::json!(["london"]));
    assert_eq!(barnet["owner"], "Digital team");
    assert_eq!(barnet["config"]["engine"], "http");
    let lbbd = site(&plan, "lbbd.gov.uk");
    assert_eq!(lbbd["url"], "https://www.lbbd.gov.uk/");
    assert_eq!(lbbd["config"]["max_pages"], 50);
    assert_eq!(lbbd["config"]["fail_on"], "undeclared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keys_point_at_their_line() {
    let e = error("[defaults]\nmax_page = 10\n\n[[site]]\nurl = \"a.gov.uk\"\n").await;
    assert!(
        e.starts_with("conf/audit.toml:2:1: unknown field `max_page`"),
        "{e}"
    );
    assert!(e.contains("2 | max_page = 10\n  | ^^^^^^^^"), "{e}");

    let e = error("[[site]]\nurl = \"a.gov.uk\"\nownr = \"x\"\n").await;
    assert!(e.starts_with("conf/audit.toml:3:1:"), "{e}");
    assert!(e.contains("`url`, `id`, `owner`"), "{e}");

    let e = error("[site]\nurl = \"a.gov.uk\"\n").await;
    assert!(e.contains("[[site]] (double brackets)"), "{e}");
    let e = error("[sites]\n").await;
    assert!(
        e.starts_with("conf/audit.toml:1:2: unknown table `sites`"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_point_at_their_line() {
    let cases = [
        (
            "[[site]]\nurl = \"a.gov.uk\"\nmax_pages = \"many\"\n",
            "3:13:",
            "invalid type",
        ),
        (
            "[defaults]\nrate = -1\n[[site]]\nurl = \"a.gov.uk\"\n",
            "2:1: rate:",
            "",
        ),
        (
            "[[site]]\nurl = \"a.gov.uk\"\nresolve = \"a.gov.uk=nowhere\"\n",
            "3:1: resolve",
            "",
        ),
        ("[[site]]\nurl = \"ftp://a.gov.uk/\"\n", "2:7: `url`:", ""),
        (
            "[defaults]\nrate = 1\n\n[[site]]\nowner = \"x\"\n",
            "4:1:",
            "has no `url`",
        ),
        (
            "[[site]]\nurl = \"a.gov.uk\"\nid = \"../up\"\n",
            "3:6:",
            "folder name",
        ),
        ("[defaults\n", "1:", ""),
        ("[defaults]\nrate = 1\n", "", "no sites to audit"),
    ];
    for (text, place, words) in cases {
        let e = error(text).await;
        assert!(
            e.starts_with(&format!("conf/audit.toml:{place}")),
            "{text:?}: {e}"
        );
        assert!(e.contains(words), "{text:?}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_entries_on_one_registrable_domain_need_an_id() {
    let text = "[[site]]\nurl = \"https://www.barnet.gov.uk/\"\n\n[[site]]\nurl = \"https://libraries.barnet.gov.uk/\"\n";
    let e = error(text).await;
    assert!(e.starts_with("conf/audit.toml:5:7:"), "{e}");
    assert!(
        e.contains("line 1 already has the id `barnet.gov.uk`"),
        "{e}"
    );
    let plan = plan(&format!("{text}id = \"barnet-libraries\"\n"), &[]).await;
    assert_eq!(plan["sites"][1]["id"], "barnet-libraries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_command_line_value_is_blamed_on_the_flag() {
    let run = dry_run_in(
        &Workspace::new(),
        "[[site]]\nurl = \"a.gov.uk\"\n",
        &["--max-pages", "0"],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        "error: --max-pages: must be at least 1"
    );
}

/// Issue 15's options in an audit config: checked before any crawl, each error at its key's
/// line; a single string is a list of one; the ignore file is relative to the config.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_options_and_checked_files_in_a_config() {
    let e = error("[[site]]\nurl = \"a.gov.uk\"\nheader = \"no colon\"\n").await;
    assert!(
        e.starts_with("conf/audit.toml:3:1:") && e.contains("NAME: VALUE"),
        "{e}"
    );

    let e = error("[defaults]\nexclude_path = [\"/ok\", \"news\"]\n[[site]]\nurl = \"a.gov.uk\"\n")
        .await;
    assert!(
        e.starts_with("conf/audit.toml:2:1:") && e.contains("starts with /"),
        "{e}"
    );

    let e = error("[[site]]\nurl = \"a.gov.uk\"\nignore_file = \"accepted.toml\"\n").await;
    assert!(e.starts_with("conf/audit.toml:3:1:"), "{e}");
    assert!(e.contains("conf/accepted.toml"), "{e}");

    let plan = plan(
        "[defaults]\ninclude_path = \"/services\"\ncookie = [\"a=1\", \"b=2\"]\n[[site]]\nurl = \"a.gov.uk\"\n",
        &[],
    )
    .await;
    let config = &plan["sites"][0]["config"];
    assert_eq!(config["include_paths"], serde_json::json!(["/services"]));
    let sent: Vec<&str> = config["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["a", "b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_paths_are_relative_to_the_config() {
    let plan = plan(
        "[defaults]\ncookie_db = \"data/ocd.csv\"\n[[site]]\nurl = \"a.gov.uk\"\nchrome = \"/opt/chrome\"\n",
        &[],
    )
    .await;
    assert_eq!(plan["sites"][0]["cookie_db"], "conf/data/ocd.csv");
    assert_eq!(plan["sites"][0]["chrome"], "/opt/chrome");
}

/// The shards of a config split its sites between them, each once; a dry run leaves no trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_each_shards_sites_and_touches_nothing() {
    let mut text = String::new();
    let hosts: Vec<String> = (0..9).map(|i| format!("site{i}.gov.uk")).collect();
    for host in &hosts {
        text.push_str(&format!("[[site]]\nurl = \"https://www.{host}/\"\n"));
    }
    let ws = Workspace::new();
    let mut seen: Vec<String> = Vec::new();
    for index in 0..3 {
        let shard = format!("{index}/3");
        let run = dry_run_in(&ws, &text, &["--shard", &shard, "--round", "r-1"]).await;
        assert_eq!(run.code, 0, "{run:?}");
        let plan = run.json();
        assert_eq!(plan["shard"], shard.as_str());
        assert_eq!(plan["round"], "r-1");
        let mine = plan["sites"].as_array().unwrap();
        assert_eq!(plan["other_shards"].as_u64(), Some(9 - mine.len() as u64));
        seen.extend(mine.iter().map(|s| s["id"].as_str().unwrap().to_string()));
    }
    seen.sort();
    assert_eq!(seen, hosts, "every site in exactly one shard");
    let files: Vec<_> = std::fs::read_dir(ws.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(files, ["conf"], "no history, no reports");

    // The table names the shard and says nothing was done.
    let run = dry_run_in(&ws, &text, &["--shard", "1/3", "--format", "table"]).await;
    assert!(
        run.stdout.contains("shard 1/3") && run.stdout.contains("--dry-run"),
        "{run:?}"
    );
}
