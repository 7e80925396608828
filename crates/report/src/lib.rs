//! Renders cookie-audit reports.
//!
//! One [`Report`] (the wire format in `cookie-audit-model`) becomes:
//!
//! - [`Format::Json`]: the report itself, pretty-printed; the contract other tools read.
//! - [`Format::Table`]: for a terminal. By default ([`Detail::Compact`]) a one-line verdict,
//!   the consent tests and matrix and one line per finding; with [`Detail::Long`] every finding
//!   with its evidence and fix and every cookie, in tables (comfy-table).
//! - [`Format::Markdown`]: the same content as GitHub-flavoured Markdown, for issues and e-mail.
//! - [`Format::Html`]: one self-contained page for a web editor: inline CSS, no scripts, no
//!   request to anywhere.
//! - [`Format::HtmlTable`]: only the corrected cookie table (`suggested_table`), as an HTML
//!   `<table>` ready to paste into the site's cookie page.
//! - [`Format::Csv`]: the same corrected table as CSV, for a spreadsheet or a CMS import.
//!
//! Every human view leads with consent: the ICO's three tests answered in words and a matrix of
//! what each state (before a choice, after "Accept all", after "Reject all") stored.
//!
//! Every renderer works from the same `view` of the report, so they cannot disagree about what
//! a lifetime or a piece of evidence says, and every text that came from a website is escaped for
//! its output (HTML entities, Markdown punctuation, terminal control characters).
//!
//! Cookie values are printed only when the report carries them (`--show-values`); otherwise the
//! renderers show the fingerprint (length and short SHA-256) the report has instead.

#![warn(missing_docs)]

mod compact;
mod csv;
mod declared;
mod html;
mod markdown;
mod table;
mod view;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use cookie_audit_model::{Report, SCHEMA_VERSION};

pub use declared::DeclaredListing;

/// An output format of [`render`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The report itself, pretty-printed with a final newline: the contract other tools read, the
    /// same bytes for the same report.
    Json,
    /// Terminal tables, summary first; the only format that looks at [`RenderOptions`].
    Table,
    /// The same content as GitHub-flavoured Markdown, for issues and e-mail.
    Markdown,
    /// One self-contained page for a web editor: inline CSS, no scripts, and a
    /// Content-Security-Policy that blocks every fetch.
    Html,
    /// Only the corrected cookie table (`suggested_table`), as an HTML `<table>` to paste into the
    /// site's cookie page.
    HtmlTable,
    /// The corrected cookie table as CSV (RFC 4180, a header row, UTF-8), for a spreadsheet.
    Csv,
}

impl Format {
    /// Every format, in the order error messages list them; parsing a name searches this list.
    pub const ALL: [Format; 6] = [
        Format::Json,
        Format::Table,
        Format::Markdown,
        Format::Html,
        Format::HtmlTable,
        Format::Csv,
    ];

    /// The name on the command line: `json`, `table`, `markdown`, `html`, `html-table`, `csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Table => "table",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::HtmlTable => "html-table",
            Format::Csv => "csv",
        }
    }

    /// The usual file extension for output in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Table => "txt",
            Format::Markdown => "md",
            Format::Html | Format::HtmlTable => "html",
            Format::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Format, ReportError> {
        let wanted = s.trim().to_ascii_lowercase();
        // `md`, `html_table` and `csv-table` are what people type; the canonical names are in
        // `as_str`.
        let alias = match wanted.as_str() {
            "md" => "markdown",
            "html_table" => "html-table",
            "csv-table" | "csv_table" => "csv",
            other => other,
        };
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == alias)
            .ok_or_else(|| ReportError::UnknownFormat {
                format: s.to_string(),
            })
    }
}

/// How to render for a terminal. Only [`Format::Table`] looks at these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours (severity, headings). The caller decides: terminal, `NO_COLOR`, `--color`.
    pub color: bool,
    /// The terminal's width in columns: the compact view cuts each line to it and the long view
    /// wraps its tables to it. `None` (pipes, files) never cuts or wraps.
    pub width: Option<u16>,
    /// How much the terminal view shows.
    pub detail: Detail,
}

/// How much [`Format::Table`] shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Detail {
    /// The verdict, the consent tests and matrix, one line per finding, a line each for the
    /// rest: what a DPO reads.
    #[default]
    Compact,
    /// Every finding with its evidence and fix, every observed, stored and declared cookie, the
    /// pages crawled (`--long`).
    Long,
}

/// Errors of reading and writing reports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A format name no [`Format`] has (`md` and `html_table` are accepted as aliases).
    #[error(
        "unknown format `{format}` (expected one of: json, table, markdown, html, html-table, csv)"
    )]
    UnknownFormat {
        /// The name as typed.
        format: String,
    },
    /// A report of another schema version than this build reads: a newer cookie-audit wrote it.
    #[error(
        "the report has schema_version \"{found}\", but this cookie-audit reads only version \
         \"{SCHEMA_VERSION}\": upgrade cookie-audit to read it"
    )]
    UnsupportedVersion {
        /// The report's `schema_version`.
        found: String,
    },
    /// JSON, but not a report: not an object, or no `schema_version` string.
    #[error("not a cookie-audit report: {reason}")]
    NotAReport {
        /// What is missing, in words.
        reason: String,
    },
    /// Not JSON, or a report of this schema version whose fields do not fit the model.
    #[error("invalid report (schema version {SCHEMA_VERSION})")]
    Invalid {
        /// serde_json's error, with the line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The report file could not be read.
    #[error("cannot read report {}", path.display())]
    Read {
        /// The file as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// An error in a report read from a file, with the file's path added.
    #[error("in report {}", path.display())]
    InFile {
        /// The file as given.
        path: PathBuf,
        /// What was wrong with its contents.
        #[source]
        source: Box<ReportError>,
    },
}

/// Renders `report` in `format`. Never fails: every report the model can hold has a rendering.
pub fn render(report: &Report, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Json => to_json(report),
        Format::Table => match opts.detail {
            Detail::Compact => compact::render(&view::View::of(report), opts),
            Detail::Long => table::render(&view::View::of(report), opts),
        },
        Format::Markdown => markdown::render(&view::View::of(report)),
        Format::Html => html::render_page(&view::View::of(report)),
        Format::HtmlTable => html::render_table(&view::View::of(report)),
        Format::Csv => csv::render(&view::View::of(report)),
    }
}

/// The report as pretty JSON with a final newline: the same report gives the same bytes.
pub fn to_json(report: &Report) -> String {
    let mut json = Vec::new();
    // Writing into memory cannot fail, and plain structs with String/number/enum fields always
    // serialise.
    write_json(report, &mut json).expect("a report always serialises");
    String::from_utf8(json).expect("serde_json writes UTF-8")
}

/// [`to_json`]'s bytes written to `out` as they are made, never held whole: a 50,000-page
/// report is 5 MB of JSON, and building it as one string was the largest allocation of a scan.
/// Buffers its writes (pretty printing writes a few bytes at a time) and flushes at the end; the
/// only errors are `out`'s own.
pub fn write_json(report: &Report, out: impl Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Reads a saved report. Refuses a `schema_version` other than the one this build knows, with a
/// message that says so, before looking at any other field.
pub fn read_report(json: &str) -> Result<Report, ReportError> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|source| ReportError::Invalid { source })?;
    let Some(object) = value.as_object() else {
        return Err(ReportError::NotAReport {
            reason: "the JSON is not an object".to_string(),
        });
    };
    match object.get("schema_version") {
        None => {
            return Err(ReportError::NotAReport {
                reason: "it has no schema_version".to_string(),
            });
        }
        Some(serde_json::Value::String(v)) if v == SCHEMA_VERSION => {}
        Some(serde_json::Value::String(v)) => {
            return Err(ReportError::UnsupportedVersion { found: v.clone() });
        }
        Some(other) => {
            // A number would print as `"1"` in the version message and read as a contradiction.
            return Err(ReportError::NotAReport {
                reason: format!("its schema_version is {other}, not a string"),
            });
        }
    }
    serde_json::from_value(value).map_err(|source| ReportError::Invalid { source })
}

/// [`read_report`] on a file, with its path in every error.
pub fn read_report_file(path: &Path) -> Result<Report, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_report(&text).map_err(|source| ReportError::InFile {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

/// The JSON Schema (draft 2020-12) of [`Report`], as `docs/report-schema.json` holds it.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Report);
    serde_json::to_value(&schema).expect("a schema always serialises")
}

/// [`json_schema`] as `docs/report-schema.json` holds it: pretty, with a final newline.
pub fn json_schema_string() -> String {
    let mut text =
        serde_json::to_string_pretty(&json_schema()).expect("a schema always serialises");
    text.push('\n');
    text
}

/// Writes `contents` to `path` so that readers see the old file or the new one, never a part:
/// a temporary file in the same directory, flushed to disk, then renamed over `path`.
///
/// The directory is synced too (on Unix), so the rename itself survives a power cut. A failure
/// leaves `path` untouched and removes the temporary file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |file| file.write_all(contents))
}

/// [`write_atomic`] for contents made as they are written (`write` gets the temporary file):
/// [`write_json`] streams a report into it without holding the JSON in memory.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    // A dot-prefixed name keeps half-written files out of globs like `*.json`.
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile's default is owner-only; a report should get what any new file gets (0666 less
    // the umask), or keep the mode of the file it replaces.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0o666, |m| m.permissions().mode() & 0o7777);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| with_path(e, dir))?;
    write(tmp.as_file_mut()).map_err(|e| with_path(e, tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| with_path(e, tmp.path()))?;
    tmp.persist(path).map_err(|e| with_path(e.error, path))?;
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| with_path(e, dir))?;
    Ok(())
}

fn with_path(error: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}
