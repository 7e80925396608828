//! Where a report goes: `--out` (JSON, atomically) and stdout (`--format`); the list commands'
//! tables or JSON.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use cookie_audit_model::Report;
use cookie_audit_report::{
    Detail, Format, RenderOptions, render, write_atomic, write_atomic_with, write_json,
};
use serde::Serialize;

use crate::cli::{ListFormat, OutputArgs};

/// Rendering options for stdout: colour unless `NO_COLOR`, and the terminal's width, both only
/// when stdout is a terminal (a pipe or a file gets plain, uncut lines). `long` is `--long`.
pub(crate) fn terminal_options(long: bool) -> RenderOptions {
    let terminal = std::io::stdout().is_terminal();
    RenderOptions {
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal.then(terminal_width),
        detail: detail(long),
    }
}

/// Options for a file: no colour, no width.
pub(crate) fn file_options(long: bool) -> RenderOptions {
    RenderOptions {
        color: false,
        width: None,
        detail: detail(long),
    }
}

fn detail(long: bool) -> Detail {
    if long { Detail::Long } else { Detail::Compact }
}

/// `COLUMNS` when set (as `ls` and clap read it: a user can force a width), else the terminal's
/// own width (most shells do not export `COLUMNS`), else 80.
fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c > 0)
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout())
                .map(|(terminal_size::Width(w), _)| w)
                .filter(|&w| w > 0)
        })
        .unwrap_or(80)
}

/// Writes `--out` and prints the chosen format. With `--out` and no `--format`, stdout gets the
/// table on a terminal and nothing otherwise (the JSON is in the file).
pub(crate) fn emit(report: &Report, output: &OutputArgs) -> anyhow::Result<()> {
    if let Some(path) = &output.out {
        // Streamed into the file: a large site's JSON is never held whole.
        write_atomic_with(path, |file| write_json(report, file))
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    let terminal = std::io::stdout().is_terminal();
    let format = match (output.format, &output.out, terminal) {
        (Some(f), _, _) => Some(f.format()),
        (None, _, true) => Some(Format::Table),
        (None, None, false) => Some(Format::Json),
        (None, Some(_), false) => None,
    };
    match format {
        Some(Format::Json) => print_json(report)?,
        Some(format) => print(&render(report, format, &terminal_options(output.long)))?,
        None => {}
    }
    Ok(())
}

/// Writes a file atomically, with the path in the error.
pub(crate) fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, contents).with_context(|| format!("could not write {}", path.display()))
}

/// Prints the report's JSON to stdout as it is made (as [`print`]: a closed pipe is not an
/// error).
fn print_json(report: &Report) -> anyhow::Result<()> {
    match write_json(report, std::io::stdout().lock()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("could not write to stdout"),
    }
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

/// Prints a list command's data (`audit`'s summary, `history`, `rounds`): `--format`, else its
/// table on a terminal and its JSON (the documented contract) into a pipe or a file.
pub(crate) fn print_listing<T: Serialize>(
    data: &T,
    format: Option<ListFormat>,
    table: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let terminal = std::io::stdout().is_terminal();
    match format.unwrap_or(if terminal {
        ListFormat::Table
    } else {
        ListFormat::Json
    }) {
        ListFormat::Json => print(&serde_json::to_string_pretty(data)?),
        ListFormat::Table => print(&table(data)),
    }
}
