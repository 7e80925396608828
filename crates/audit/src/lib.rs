//! cookie-audit as a library: scan one site, or audit many as a job.
//!
//! The pipeline reads top to bottom — crawl → declared → diff → report/store — and this crate is
//! where it is assembled, so that the binary, tests, benchmarks and future workers all "scan a
//! site" through one call:
//!
//! - [`settings`]: what a scan runs with ([`ScanSettings`]), and the report's record of it.
//! - [`scan`]: [`scan_site`], one site through the pipeline into a [`Report`](cookie_audit_model::Report).
//! - [`page`]: [`read_page`], one declaration page fetched or rendered on its own.
//! - [`knowledge`]: the knowledge base, built in plus `--cookie-db`.
//! - [`ignore`]: the ignore file, findings a team has accepted.
//! - [`output`]: where a command will write, checked before the crawl.
//! - [`history`]: a site's runs over time, and audit rounds' progress across workers.
//! - [`job`]: [`run_audit`], the scheduled job: many sites, history, report files, webhook, and
//!   its summary contract; as one worker of an audit round shared with others (claims, leases,
//!   `--shard`); its config file ([`job::config`]), generic over the options the flags fill.
//! - [`views`]: the job's summary, a site's history and the rounds as terminal tables.
//!
//! **Invariant:** nothing here parses arguments or prints (views are strings the binary prints);
//! errors are typed, and a site that fails page by page is data in its report, not an error.

#![warn(missing_docs)]

mod consent;
pub mod history;
pub mod ignore;
pub mod job;
pub mod knowledge;
pub mod output;
pub mod page;
pub mod scan;
pub mod settings;
pub mod views;

pub use history::{
    HistoryError, RoundsListing, SiteHistory, list_rounds, round_progress, site_history,
};
pub use ignore::{IgnoreError, IgnoreList};
pub use job::config::{AuditConfig, ConfigError, ConfigOptions};
pub use job::shard::{Shard, ShardError};
pub use job::summary::{
    AuditSummary, SiteStatus, SiteSummary, SkipReason, Skipped, WebhookFailure,
};
pub use job::webhook::{Webhook, WebhookError};
pub use job::{
    AuditEnd, AuditError, AuditJob, LAST_RUN_FILE, RoundPlan, SiteJob, history_location, run_audit,
};
pub use knowledge::{KnowledgeError, load_knowledge_base};
pub use output::{OutputError, check_writable};
pub use page::{PageError, local_path, read_file_page, read_page};
pub use scan::{
    ResolvedEngine, ScanError, ScanResult, fails, resolve_engine, scan_site, scan_site_until,
};
pub use settings::{ConsentSettings, ScanSettings};
