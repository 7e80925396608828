//! The command line: `scan`, `demo`, `declared`, `report`, `audit`, `history`, `rounds`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use cookie_audit_audit::Shard;
use cookie_audit_store::{Lease, RoundId};

use crate::options::{PageOptions, ScanOptions};

#[derive(Debug, Parser)]
#[command(
    name = "cookie-audit",
    version,
    about = "Audit the cookies a website really sets against the cookie table it publishes",
    long_about = "Audit the cookies a website really sets against the cookie table it publishes.\n\n\
        cookie-audit crawls a site, records every cookie it sets (by HTTP and, with the browser engine, \
        by JavaScript), reads the cookie table on its cookie or privacy page, and reports undeclared, \
        stale and misdescribed cookies with evidence and the corrected table.",
    after_help = "Exit codes: 0 no finding at or above --fail-on; 1 findings at or above --fail-on; \
        2 usage error, nothing could be audited, or interrupted (Ctrl-C)."
)]
pub(crate) struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr, no progress bar
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Crawl a site and audit its cookies against its cookie table
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Serve the bundled fixture council site on loopback and scan it (no internet needed)
    #[command(
        after_help = "Examples:\n  cookie-audit demo\n  cookie-audit demo --engine browser --html demo.html"
    )]
    Demo(DemoArgs),
    /// Read the cookie table(s) of one page or HTML file
    #[command(
        after_help = "Examples:\n  cookie-audit declared https://www.barnet.gov.uk/cookies\n  cookie-audit declared saved-cookie-page.html --format json"
    )]
    Declared(DeclaredArgs),
    /// Render a saved JSON report
    Report(ReportArgs),
    /// Audit every site of a config file, keep history and report what changed
    Audit(AuditArgs),
    /// Show a site's audit runs over time
    History(HistoryArgs),
    /// Show audit rounds: every round, or where each site of one round stands across its workers
    Rounds(RoundsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// The site's start URL (https:// is assumed when no scheme is given)
    pub url: String,

    #[command(flatten)]
    pub options: ScanOptions,

    #[command(flatten)]
    pub output: OutputArgs,
}

const SCAN_EXAMPLES: &str = "Examples:
  cookie-audit scan www.barnet.gov.uk
  cookie-audit scan https://www.barnet.gov.uk/ -n 50 --out report.json --fail-on undeclared
  cookie-audit scan https://staging.council.gov.uk/ -H 'Authorization: Basic …' --exclude-path /search
  cookie-audit report report.json --format html > report.html";

/// The command line, with what derive cannot say: `demo`'s own defaults in its help.
pub(crate) fn command() -> clap::Command {
    Cli::command().mut_subcommand("demo", |demo| {
        demo.mut_arg("max_pages", |a| {
            a.help("Most pages to visit [default: 60 in the demo]")
        })
        .mut_arg("rate", |a| {
            a.help("Requests per second per host; 0 for no limit [default: 50 in the demo]")
        })
    })
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub(crate) struct OutputArgs {
    /// Output on stdout [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum)]
    pub format: Option<FormatArg>,

    /// Write the JSON report to FILE (atomically; its folder is checked before the crawl);
    /// Ctrl-C writes the partial report here
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// With the table format: every finding with its evidence and fix, every cookie, the pages
    /// crawled (the default is the verdict, consent and one line per finding)
    #[arg(long)]
    pub long: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Json,
    Table,
    #[value(alias = "md")]
    Markdown,
    Html,
    HtmlTable,
    // The corrected cookie table as CSV. A `///` here would give the variant a help text, and
    // clap would then print every flag's long form in `--help`.
    #[value(alias = "csv-table")]
    Csv,
}

impl FormatArg {
    pub(crate) fn format(self) -> cookie_audit_report::Format {
        use cookie_audit_report::Format;
        match self {
            FormatArg::Json => Format::Json,
            FormatArg::Table => Format::Table,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::HtmlTable => Format::HtmlTable,
            FormatArg::Csv => Format::Csv,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Any scan option (`--engine browser`, `--tabs`, `--max-pages`, …); the fixture's host
    /// mappings, `--offline` and `--insecure` are always added
    #[command(flatten)]
    pub options: ScanOptions,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also write the HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// The council to scan: `exampleshire` (cookie-table problems, no banner) or a consent case
    /// with a real consent banner (`cookiebot_pixel_ignores_reject`, `onetrust_before_choice`,
    /// `vanilla_compliant`, …; docs/consent-fixtures.md lists them)
    #[arg(long, value_name = "NAME", default_value = "exampleshire")]
    pub council: String,
}

#[derive(Debug, Args)]
pub(crate) struct DeclaredArgs {
    /// A URL to fetch, or a local HTML file
    pub source: String,

    /// Output [default: table on a terminal, json otherwise]
    #[arg(short, long, value_enum)]
    pub format: Option<DeclaredFormat>,

    #[command(flatten)]
    pub options: PageOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DeclaredFormat {
    Json,
    Table,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A JSON report written by `scan --out` or `audit`
    pub file: PathBuf,

    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,

    /// Write to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// With the table format: every finding with its evidence and fix, every cookie, the pages
    /// crawled (the default is the verdict, consent and one line per finding)
    #[arg(long)]
    pub long: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// The audit config: `[defaults]` and `[[site]]` entries (see config/audit.example.toml)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// Where reports go: <site>/<UTC time>.json, latest.json, latest.html [default: reports]
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// The history database: a SQLite file, or a postgres:// URL that workers on several
    /// machines share [default: cookie-audit.db beside the config]
    #[arg(long, value_name = "PATH|URL", env = DB_ENV, hide_env_values = true)]
    pub db: Option<String>,

    /// Audit only shard INDEX of COUNT (from 0) of the config's sites, by a stable hash of each
    /// site id: one worker of an array job (Kubernetes: --shard $JOB_COMPLETION_INDEX/N)
    #[arg(long, value_name = "INDEX/COUNT")]
    pub shard: Option<Shard>,

    /// The audit round this worker takes part in: workers of one round audit each site once, and
    /// a worker restarted on it skips the sites complete in it [default: a new round]
    #[arg(long, value_name = "ID")]
    pub round: Option<RoundId>,

    /// A site claimed by a worker whose heartbeat is older than SECS is taken over by another
    #[arg(long, value_name = "SECS", default_value_t = Lease::DEFAULT.duration().as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub lease: u64,

    /// Runs of a site in one round, failed ones included, after which workers leave it alone
    #[arg(long, value_name = "N", default_value_t = cookie_audit_audit::job::DEFAULT_MAX_ATTEMPTS, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,

    /// Sites audited at once; each keeps its own per-host rate limits
    #[arg(long, value_name = "N", default_value_t = cookie_audit_audit::job::DEFAULT_SITES_CONCURRENCY, value_parser = clap::value_parser!(u32).range(1..))]
    pub sites_concurrency: u32,

    /// POST each site's summary as JSON to URL when the site is done (failures are logged, never fatal)
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// The run summary on stdout [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,

    /// Check the config and show the sites this worker would audit, and with which options;
    /// fetch, write and open nothing (exit 2 if the config is wrong)
    #[arg(long)]
    pub dry_run: bool,

    /// Scan options: given here, they override the config file for every site
    #[command(flatten)]
    pub options: ScanOptions,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The site: its id (registrable domain, or the `id` of its [[site]]), or any URL or host of it
    pub site: String,

    /// The history database: a SQLite file, or a postgres:// URL [default: cookie-audit.db]
    #[arg(long, value_name = "PATH|URL", env = DB_ENV, hide_env_values = true)]
    pub db: Option<String>,

    /// Use the history database beside this audit config, as `audit` does (--db wins)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
}

#[derive(Debug, Args)]
pub(crate) struct RoundsArgs {
    /// A round's id: where each of its sites stands (complete, failed, in progress, stalled,
    /// left); without it, every round, newest first
    pub round: Option<RoundId>,

    /// The history database: a SQLite file, or a postgres:// URL [default: cookie-audit.db]
    #[arg(long, value_name = "PATH|URL", env = DB_ENV, hide_env_values = true)]
    pub db: Option<String>,

    /// The audit config: its sites are the round's list ("left": listed and not begun), and its
    /// history database is used unless --db is given
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// A running site whose heartbeat is older than SECS is shown as stalled
    #[arg(long, value_name = "SECS", default_value_t = Lease::DEFAULT.duration().as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub lease: u64,

    /// Output [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
}

/// `--db` from the environment: how a container or a systemd unit passes a PostgreSQL URL (and
/// its password) without putting it on a command line that `ps` shows.
pub(crate) const DB_ENV: &str = "COOKIE_AUDIT_DB";

/// Output of the list commands (`audit`'s summary, `history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Table,
    Json,
}
