//! Where a report goes: `--out` (JSON, atomically) and stdout (`--format`).

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use cookie_audit_model::Report;
use cookie_audit_report::{Format, RenderOptions, render, to_json, write_atomic};

use crate::cli::OutputArgs;

/// Terminal rendering options: colour unless `NO_COLOR`, width from `COLUMNS`.
/// (The terminal view itself is issue 15's report-views work.)
pub(crate) fn terminal_options() -> RenderOptions {
    let terminal = std::io::stdout().is_terminal();
    RenderOptions {
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal.then(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(120)
        }),
    }
}

/// Writes `--out` and prints the chosen format. With `--out` and no `--format`, stdout gets the
/// table on a terminal and nothing otherwise (the JSON is in the file).
pub(crate) fn emit(report: &Report, output: &OutputArgs) -> anyhow::Result<()> {
    if let Some(path) = &output.out {
        write_file(path, to_json(report).as_bytes())?;
    }
    let terminal = std::io::stdout().is_terminal();
    let format = match (output.format, &output.out, terminal) {
        (Some(f), _, _) => Some(f.format()),
        (None, _, true) => Some(Format::Table),
        (None, None, false) => Some(Format::Json),
        (None, Some(_), false) => None,
    };
    if let Some(format) = format {
        print(&render(report, format, &terminal_options()))?;
    }
    Ok(())
}

/// Writes a file atomically, with the path in the error.
pub(crate) fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, contents).with_context(|| format!("could not write {}", path.display()))
}

/// Prints to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| {
        if !text.ends_with('\n') {
            stdout.write_all(b"\n")?;
        }
        stdout.flush()
    }) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("could not write to stdout"),
    }
}
