//! The audit job's summary as a contract: the published schema is the generated one, a real
//! job's summary validates against it, reads back unchanged, and keeps its shape (snapshot).

use std::path::PathBuf;

use cookie_audit_audit::job::summary::json_schema_string;
use cookie_audit_audit::{
    AuditEnd, AuditJob, AuditSummary, LAST_RUN_FILE, RoundPlan, ScanSettings, SiteJob, SiteStatus,
    run_audit,
};
use cookie_audit_fixtures::council;
use cookie_audit_model::EngineChoice;
use cookie_audit_store::{Location, RoundId, Store};

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/audit-summary-schema.json")
}

/// `UPDATE_SCHEMA=1 cargo test -p cookie-audit-audit --test tests contract` rewrites the file.
#[test]
fn published_schema_is_the_generated_one() {
    let generated = json_schema_string();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_path(), &generated).expect("write the schema");
        return;
    }
    let on_disk = std::fs::read_to_string(schema_path()).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/audit-summary-schema.json is out of date; regenerate it with\n\
         UPDATE_SCHEMA=1 cargo test -p cookie-audit-audit --test tests contract"
    );
}

/// A job of two sites of the fixture council: one audited, one that cannot be reached.
async fn run_job(dir: &std::path::Path) -> AuditSummary {
    let server = council::start().await.unwrap();
    let settings = ScanSettings {
        engine: EngineChoice::Http,
        crawl: server.crawl_options(),
        ..ScanSettings::default()
    };
    let site = |id: &str, url: String| SiteJob {
        id: id.into(),
        url: url.parse().unwrap(),
        owner: Some("Web team".into()),
        contact: None,
        tags: vec!["fixture".into()],
        settings: settings.clone(),
        cookie_db: None,
    };
    let job = AuditJob {
        sites: vec![
            site(
                "exampleshire.gov.uk",
                server.http_url(council::COUNCIL, "/"),
            ),
            site("unmapped", "http://www.not-mapped.gov.uk/".into()),
        ],
        shard: None,
        round: RoundPlan {
            round: RoundId::parse("contract-round").unwrap(),
            ..RoundPlan::new_round()
        },
        sites_concurrency: 2,
        out_dir: dir.join("reports"),
        config_path: dir.join("audit.toml"),
        db: Location::Sqlite(dir.join("history.db")),
        store: Store::open(&dir.join("history.db")).await.unwrap(),
        webhook: None,
    };
    let never = std::future::pending::<String>();
    match run_audit(job, |_| {}, never).await.unwrap() {
        AuditEnd::Finished {
            summary,
            last_run_error,
        } => {
            assert_eq!(last_run_error, None);
            *summary
        }
        AuditEnd::Interrupted { why, .. } => panic!("not interrupted: {why}"),
    }
}

/// What varies from run to run (times, paths, run ids), replaced so the snapshot is the shape.
fn stable(summary: &AuditSummary) -> serde_json::Value {
    let mut value = serde_json::to_value(summary).unwrap();
    fn walk(value: &mut serde_json::Value, key: &str) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    walk(v, k);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, key)),
            serde_json::Value::String(s) => {
                let varies = key.ends_with("_at")
                    || ["config", "db", "out_dir", "report", "html", "worker"].contains(&key)
                    || (key == "url" && s.contains(':'));
                if varies {
                    *s = format!("[{key}]");
                }
            }
            serde_json::Value::Number(_) if key == "run_id" => {
                *value = serde_json::Value::String("[run_id]".into());
            }
            _ => {}
        }
    }
    walk(&mut value, "");
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_summary_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_job(dir.path()).await;
    assert_eq!((summary.complete, summary.failed), (1, 1));
    assert_eq!(summary.sites[1].status, SiteStatus::Failed);

    let schema: serde_json::Value = serde_json::from_str(&json_schema_string()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let instance = serde_json::to_value(&summary).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // What the job wrote is what it returned, and reads back unchanged.
    let written = std::fs::read_to_string(summary.out_dir.join(LAST_RUN_FILE)).unwrap();
    let read: AuditSummary = serde_json::from_str(&written).unwrap();
    assert_eq!(read, summary);

    insta::assert_snapshot!(
        "audit_summary.json",
        serde_json::to_string_pretty(&stable(&summary)).unwrap()
    );
}
