//! The command line: `scan`, `demo`, `declared`, `report`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::options::ScanOptions;

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
        2 usage error or nothing could be audited."
)]
pub struct Cli {
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
pub enum Command {
    /// Crawl a site and audit its cookies against its cookie table
    Scan(ScanArgs),
    /// Serve the bundled fixture council site on loopback and scan it (no internet needed)
    Demo(DemoArgs),
    /// Read the cookie table(s) of one page or HTML file
    Declared(DeclaredArgs),
    /// Render a saved JSON report
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The site's start URL (https:// is assumed when no scheme is given)
    pub url: String,

    #[command(flatten)]
    pub options: ScanOptions,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output on stdout [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Write the JSON report to FILE (atomically)
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Json,
    Table,
    Markdown,
    Html,
    HtmlTable,
}

impl FormatArg {
    pub fn format(self) -> cookie_audit_report::Format {
        use cookie_audit_report::Format;
        match self {
            FormatArg::Json => Format::Json,
            FormatArg::Table => Format::Table,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::HtmlTable => Format::HtmlTable,
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Engine: http, browser or auto [default: auto]
    #[arg(long, value_enum)]
    pub engine: Option<crate::options::EngineArg>,

    /// Browser engine: tabs working in parallel [default: 4]
    #[arg(long, value_name = "N")]
    pub tabs: Option<u32>,

    /// Browser engine: quiet network time that counts as settled, in ms [default: 1500]
    #[arg(long, value_name = "MS")]
    pub settle_ms: Option<u64>,

    /// Browser engine: the Chromium to run [default: $CHROME or chromium on PATH]
    #[arg(long, value_name = "PATH")]
    pub chrome: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also write the HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeclaredArgs {
    /// A URL to fetch, or a local HTML file
    pub source: String,

    /// Output [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<DeclaredFormat>,

    #[command(flatten)]
    pub options: ScanOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeclaredFormat {
    Json,
    Table,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON report written by `scan --out` or `audit`
    pub file: PathBuf,

    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,

    /// Write to FILE (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}
