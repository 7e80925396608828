//! Two audits of a site between which a cookie appears and a declaration row is removed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::sites::{self, CHANGING, SECRET};
use super::{Workspace, defaults, entry, site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_report_lists_exactly_what_changed_and_history_shows_both_runs() {
    let v2 = Arc::new(AtomicBool::new(false));
    let server = sites::changing(v2.clone()).await;
    let ws = Workspace::new();
    let url = server.http_url(CHANGING, "/");
    ws.write_config(&format!(
        "{}{}",
        defaults(&server.resolve_args(), ""),
        site(&url, "owner = \"Web team\"\ntags = [\"test\"]")
    ));

    let first = ws.audit(&[]).await;
    assert_eq!(first.code, 0, "{first:?}");
    let summary = first.json();
    let one = entry(&summary, "changeshire.gov.uk");
    assert_eq!(one["status"], "complete", "{one:#}");
    assert_eq!(one["owner"], "Web team");
    assert_eq!(one["changes"]["previous_run_at"], Value::Null);
    let first_report = ws.report("changeshire.gov.uk/latest.json");
    let first_codes = codes(&first_report);
    assert!(
        first_codes.contains(&"stale:not_observed old_poll".to_string()),
        "{first_codes:?}"
    );

    v2.store(true, Ordering::SeqCst);
    // Logs at trace level, so the value check below covers every log line too.
    let second = ws.audit(&["-vvv"]).await;
    assert_eq!(second.code, 0, "{second:?}");
    let report = ws.report("changeshire.gov.uk/latest.json");
    let changes = &report["changes"];
    assert_eq!(
        changes["new_cookies"],
        json!([{"name": "feedback_widget", "domain": "www.changeshire.gov.uk", "path": "/"}]),
        "{changes:#}"
    );
    assert_eq!(changes["gone_cookies"], json!([]));
    // Set before any choice (the HTTP engine never clicks): new before a choice too.
    assert_eq!(
        changes["new_before_choice"],
        json!([{"name": "feedback_widget", "domain": "www.changeshire.gov.uk", "path": "/"}]),
        "{changes:#}"
    );
    assert_eq!(
        changes["coverage"]["pages_revisited"],
        changes["coverage"]["previous_pages_visited"]
    );
    assert_eq!(
        changes["new_findings"],
        json!([{"code": "undeclared", "cookie": "feedback_widget", "domain": "www.changeshire.gov.uk"}]),
        "{changes:#}"
    );
    assert_eq!(
        changes["resolved_findings"],
        json!([{"code": "stale:not_observed", "cookie": "old_poll"}]),
        "{changes:#}"
    );
    assert_eq!(changes["declaration_changed"], true);
    // The summary and the dated report carry the same changes.
    let two = second.json();
    assert_eq!(&entry(&two, "changeshire.gov.uk")["changes"], changes);
    let dated = entry(&two, "changeshire.gov.uk")["report"]
        .as_str()
        .unwrap()
        .to_string();
    let dated: Value = serde_json::from_str(&std::fs::read_to_string(&dated).unwrap()).unwrap();
    assert_eq!(dated, report);

    // Both runs' files are kept; latest.* are the second run's.
    let mut stamped: Vec<String> = std::fs::read_dir(ws.out().join("changeshire.gov.uk"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    stamped.sort();
    assert_eq!(stamped.len(), 4, "{stamped:?}");
    assert_eq!(&stamped[2..], ["latest.html", "latest.json"]);
    let html = std::fs::read_to_string(ws.out().join("changeshire.gov.uk/latest.html")).unwrap();
    assert!(html.contains("feedback_widget"));

    let history = ws.history("changeshire.gov.uk", "json").await;
    assert_eq!(history.code, 0, "{history:?}");
    let history = history.json();
    let runs = history["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{history:#}");
    assert!(runs.iter().all(|r| r["status"] == "complete"));
    assert_eq!(runs[0]["counts"]["observed"], 2);
    assert_eq!(runs[1]["counts"]["observed"], 3);
    assert_eq!(runs[1]["counts"]["undeclared"], 1);
    assert_ne!(runs[0]["declaration_hash"], runs[1]["declaration_hash"]);
    assert_eq!(
        changes["previous_run_at"], runs[0]["finished_at"],
        "compared with the first run"
    );

    // Found by URL too; the table names both runs and the table change.
    let table = ws.history(&url, "table").await;
    assert_eq!(table.code, 0, "{table:?}");
    assert!(
        table.stdout.contains("changeshire.gov.uk: 2 run(s)"),
        "{}",
        table.stdout
    );
    assert_eq!(
        table.stdout.matches("complete").count(),
        2,
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("changed"), "{}", table.stdout);

    // The session cookie's value is in no output, no log line and no file.
    assert!(second.stderr.contains("DEBUG"), "verbose logging was on");
    for run in [&first, &second] {
        assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
    }
    for (path, bytes) in ws.all_files() {
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the cookie value is in {}",
            path.display()
        );
    }
}

/// `code cookie` of every finding.
fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap_or_default(),
                f["cookie"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Issue 15's case: two full audits of the demo council, then one with `--max-pages 5`. The third
/// must not say "11 cookie(s) gone, 10 resolved": what it did not look at again is listed as not
/// re-checked, its coverage is in the report, and `history` shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorter_audit_lists_what_it_did_not_look_at_again_instead_of_calling_it_gone() {
    let server = cookie_audit_fixtures::council::start().await.unwrap();
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}",
        defaults(&server.resolve_args(), "max_pages = 60"),
        site(
            &server.http_url(cookie_audit_fixtures::council::COUNCIL, "/"),
            ""
        )
    ));
    let site_id = "exampleshire.gov.uk";
    for _ in 0..2 {
        let full = ws.audit(&[]).await;
        assert!(full.code <= 1, "{full:?}");
    }
    let full = ws.report(&format!("{site_id}/latest.json"));
    let coverage = &full["changes"]["coverage"];
    assert_eq!(
        coverage["pages_revisited"], coverage["previous_pages_visited"],
        "{coverage:#}"
    );
    let observed = full["observed"].as_array().unwrap().len();

    let short = ws.audit(&["--max-pages", "5"]).await;
    assert!(short.code <= 1, "{short:?}");
    let report = ws.report(&format!("{site_id}/latest.json"));
    let changes = &report["changes"];
    assert_eq!(changes["gone_cookies"], json!([]), "{changes:#}");
    assert_eq!(changes["resolved_findings"], json!([]), "{changes:#}");
    assert_eq!(changes["new_findings"], json!([]), "{changes:#}");
    let unchecked = changes["not_rechecked_cookies"].as_array().unwrap().len();
    let now = report["observed"].as_array().unwrap().len();
    assert_eq!(
        unchecked,
        observed - now,
        "every cookie not seen again is not re-checked"
    );
    assert!(unchecked > 0, "{changes:#}");
    assert!(
        !changes["not_rechecked_findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let coverage = &changes["coverage"];
    let revisited = coverage["pages_revisited"].as_u64().unwrap();
    let before = coverage["previous_pages_visited"].as_u64().unwrap();
    assert!(revisited < before, "{coverage:#}");
    // The summary's words say so too.
    let summary = short.json();
    let line = crate::audit::entry(&summary, site_id)["changes"].clone();
    assert_eq!(&line, changes);

    let history = ws.history(site_id, "json").await.json();
    let runs = history["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["coverage"], Value::Null, "a first run");
    assert_eq!(&runs[2]["coverage"], coverage);
    let table = ws.history(site_id, "table").await;
    assert!(
        table.stdout.contains(&format!("{revisited} of {before}")),
        "{}",
        table.stdout
    );
}
