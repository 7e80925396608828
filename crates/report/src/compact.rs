//! The default terminal view: a verdict a DPO can act on, the consent tests and matrix, one line
//! per finding, and a line each for the rest. `--long` ([`crate::Detail::Long`]) is the full
//! detail (`table.rs`).
//!
//! Lines fit the width the caller gives (the terminal's): sentences wrap at spaces with a hanging
//! indent (textwrap; a URL longer than the line is never split), a finding's message is cut with
//! "…" so one finding stays one line. Without a width (a pipe, a file) nothing is cut or wrapped.

use std::fmt::Write;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::RenderOptions;
use crate::view::{ConsentView, FindingView, View, count};

/// Columns of a consent matrix in the terminal: the states under short headings, and shorter
/// ones for a narrow terminal.
const STATE_HEADINGS: [(&str, &str, &str); 3] = [
    ("Before a choice", "Before choice", "Before"),
    ("After \"Accept all\"", "After accept", "Accept"),
    ("After \"Reject all\"", "After reject", "Reject"),
];
/// The name column is never narrower than this.
const MIN_NAME: usize = 12;

/// A finding's code is shown only when its message keeps at least this many columns.
const MIN_MESSAGE: usize = 30;
/// Matrix names are cut at this width even without a terminal, so a hostile 4 KB name cannot
/// push the state columns off every line.
const MAX_NAME: usize = 40;

pub(crate) fn render(view: &View, opts: &RenderOptions) -> String {
    let style = Style { opts };
    let mut out = String::new();
    header(&mut out, view, &style);
    let verdict = style.wrap(&view.verdict.line(), "", "  ");
    let _ = writeln!(out, "{}\n", style.verdict(&verdict, view.verdict.clean));
    consent(&mut out, &view.consent, &style);
    findings(&mut out, view, &style);
    rest(&mut out, view, &style);
    out
}

struct Style<'a> {
    opts: &'a RenderOptions,
}

impl Style<'_> {
    fn width(&self) -> Option<usize> {
        self.opts.width.map(usize::from)
    }

    fn bold(&self, text: &str) -> String {
        self.paint(text, "1")
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.opts.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn verdict(&self, line: &str, clean: bool) -> String {
        self.paint(line, if clean { "1;32" } else { "1" })
    }

    fn severity(&self, severity: &str) -> String {
        let padded = pad(severity, 6);
        match severity {
            "high" => self.paint(&padded, "31"),
            "medium" => self.paint(&padded, "33"),
            _ => self.paint(&padded, "34"),
        }
    }

    /// `text` wrapped to the width at spaces, the first line after `first`, the others after
    /// `rest`; one line when there is no width.
    fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        match self.width() {
            Some(width) => textwrap::fill(
                text,
                textwrap::Options::new(width)
                    .initial_indent(first)
                    .subsequent_indent(rest)
                    // A URL split across lines can no longer be copied: let it overflow.
                    .break_words(false),
            ),
            None => format!("{first}{text}"),
        }
    }
}

fn header(out: &mut String, view: &View, style: &Style<'_>) {
    let _ = writeln!(
        out,
        "{}",
        style.bold(&style.wrap(
            &format!(
                "Cookie audit of {} ({})",
                view.site, view.registrable_domain
            ),
            "",
            "  "
        ))
    );
    let table = if view.declaration.found {
        let pages: Vec<&str> = view
            .declaration
            .pages
            .iter()
            .filter(|p| p.error.is_none() && !p.counts.starts_with("0 tables"))
            .map(|p| p.url.as_str())
            .collect();
        format!("cookie table on {}", pages.join(", "))
    } else {
        view.declaration.missing.clone()
    };
    let _ = writeln!(
        out,
        "{}",
        style.wrap(
            &format!(
                "{} · {} engine · {} · {table}",
                view.finished_at, view.engine, view.crawl.summary
            ),
            "",
            "  "
        )
    );
    out.push('\n');
}

fn consent(out: &mut String, consent: &ConsentView, style: &Style<'_>) {
    if let Some(why) = &consent.not_visited {
        let _ = writeln!(out, "{}\n", style.wrap(why, "", "  "));
        return;
    }
    let _ = writeln!(out, "{}", style.bold("Consent"));
    for test in &consent.tests {
        let first = format!("  {} ", test.outcome.symbol());
        let _ = writeln!(out, "{}", style.wrap(&test.line(), &first, "    "));
    }
    let mut banner = format!("Banner: {}", consent.banner);
    if let Some(cmp) = &consent.cmp {
        let _ = write!(banner, " ({cmp})");
    }
    let _ = writeln!(out, "{}", style.wrap(&banner, "  ", "    "));
    let runs: Vec<String> = consent
        .runs
        .iter()
        .filter(|r| r.status != "complete")
        .map(|r| format!("{} {}", r.state, r.status))
        .collect();
    if !runs.is_empty() {
        let runs = format!("Runs: {}", runs.join(", "));
        let _ = writeln!(out, "{}", style.wrap(&runs, "  ", "    "));
    }
    if let Some(list) = &consent.cmp_list {
        let _ = writeln!(out, "{}", style.wrap(list, "  ", "    "));
    }
    matrix(out, consent, style);
    out.push('\n');
}

fn matrix(out: &mut String, consent: &ConsentView, style: &Style<'_>) {
    if consent.matrix.is_empty() {
        let _ = writeln!(out, "  No cookie or storage key was stored in any state.");
        return;
    }
    let category_width = consent
        .matrix
        .iter()
        .map(|l| l.category_short.width())
        .chain(["Category".width()])
        .max()
        .unwrap_or(0);
    let headings_for = |narrow: bool| -> Vec<String> {
        consent
            .columns
            .iter()
            .map(|c| {
                let heading = STATE_HEADINGS
                    .iter()
                    .find(|(long, ..)| *long == c.heading)
                    .map_or(
                        c.heading,
                        |(_, short, narrowest)| {
                            if narrow { narrowest } else { short }
                        },
                    );
                if c.confirmed {
                    heading.to_string()
                } else {
                    format!("{heading}?")
                }
            })
            .collect()
    };
    let states_width =
        |headings: &[String]| -> usize { headings.iter().map(|h| h.width() + 2).sum() };
    let fixed = 2 + 2 + category_width;
    let mut headings = headings_for(false);
    if style
        .width()
        .is_some_and(|w| fixed + MIN_NAME + states_width(&headings) > w)
    {
        headings = headings_for(true);
    }
    let longest = consent
        .matrix
        .iter()
        .map(|l| l.name.width())
        .chain(["Cookie".width()])
        .max()
        .unwrap_or(0);
    // The name column takes what the state columns leave.
    let room = style.width().map_or(MAX_NAME, |w| {
        w.saturating_sub(fixed + states_width(&headings))
    });
    let name_width = longest.min(room.max(MIN_NAME)).min(MAX_NAME);
    let mut heading = format!(
        "  {}  {}",
        pad("Cookie", name_width),
        pad("Category", category_width)
    );
    for h in &headings {
        let _ = write!(heading, "  {h}");
    }
    let _ = writeln!(out, "{}", style.bold(heading.trim_end()));
    for line in &consent.matrix {
        let mut row = format!(
            "  {}  {}",
            pad(&fit(&line.name, name_width), name_width),
            pad(line.category_short, category_width)
        );
        for (cell, h) in line.cells.iter().zip(&headings) {
            let _ = write!(row, "  {}", pad(cell.symbol, h.width()));
        }
        let _ = writeln!(out, "{}", row.trim_end());
    }
    let _ = writeln!(out, "{}", style.wrap(&consent.legend, "  ", "    "));
}

fn findings(out: &mut String, view: &View, style: &Style<'_>) {
    let mut all: Vec<&FindingView> = view.groups.iter().flat_map(|g| &g.findings).collect();
    if all.is_empty() {
        let _ = writeln!(
            out,
            "No findings: the cookie table matches what the site sets.\n"
        );
        return;
    }
    // Most urgent first; the groups' kind order, then the report's order, within a severity.
    all.sort_by_key(|f| std::cmp::Reverse(severity_rank(f.severity)));
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!("Findings ({}), most urgent first", all.len()))
    );
    let code_width = all.iter().map(|f| f.code.width()).max().unwrap_or(0);
    // A narrow terminal drops the code column (the message matters more; --long has the code).
    let show_code = style
        .width()
        .is_none_or(|w| w >= 2 + 6 + 2 + code_width + 2 + MIN_MESSAGE);
    let prefix_width = if show_code {
        2 + 6 + 2 + code_width + 2
    } else {
        2 + 6 + 2
    };
    for f in all {
        let message = match style.width() {
            Some(width) => fit(&f.message, width.saturating_sub(prefix_width).max(1)),
            None => f.message.clone(),
        };
        let code = if show_code {
            format!("{}  ", pad(&f.code, code_width))
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}  {code}{message}", style.severity(f.severity));
    }
    out.push('\n');
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

/// A line each: changes, cookies and storage, the table to paste, coverage, where the detail is.
fn rest(out: &mut String, view: &View, style: &Style<'_>) {
    let mut lines: Vec<String> = Vec::new();
    if let Some(changes) = changes_line(view) {
        lines.push(changes);
    }
    let third = view.observed.iter().filter(|o| o.party == "third").count() as u32;
    let mut cookies = format!(
        "Cookies: {} observed ({third} third-party), {} declared",
        view.observed.len(),
        view.declared.len()
    );
    if !view.storage.is_empty() {
        let _ = write!(
            cookies,
            "; web storage: {}",
            count(view.storage.len() as u32, "key", "keys")
        );
    }
    lines.push(cookies);
    if !view.ignored.is_empty() {
        lines.push(format!(
            "Accepted in the ignore file: {}, not counted (--long lists them)",
            count(view.ignored.len() as u32, "finding", "findings")
        ));
    }
    if !view.paste.rows.is_empty() {
        let mut table = format!(
            "Corrected table: {} (--format html-table or --format csv)",
            count(view.paste.rows.len() as u32, "row", "rows")
        );
        if !view.paste.to_complete.is_empty() {
            let _ = write!(
                table,
                "; {} still to complete",
                count(view.paste.to_complete.len() as u32, "row", "rows")
            );
        }
        if !view.paste.left_out.is_empty() {
            let _ = write!(
                table,
                "; {} left out",
                count(
                    view.paste.left_out.len() as u32,
                    "nameless cookie",
                    "nameless cookies"
                )
            );
        }
        lines.push(table);
    }
    lines.extend(view.limitations.iter().map(|l| format!("Limitation: {l}")));
    lines.extend(
        view.crawl
            .limits_hit
            .iter()
            .map(|l| format!("Crawl cut short: {l}")),
    );
    if !view.crawl.errors.is_empty() {
        lines.push(format!(
            "Crawl errors: {} could not be read",
            count(view.crawl.errors.len() as u32, "page", "pages")
        ));
    }
    if !view.declaration.warnings.is_empty() {
        lines.push(format!(
            "Table reader: {}",
            count(
                view.declaration.warnings.len() as u32,
                "warning",
                "warnings"
            )
        ));
    }
    if view.show_values {
        lines.push("Cookie values are in this report (--show-values).".to_string());
    }
    lines.push(
        "More: --long for evidence, fixes and every cookie; --format html for a page to share."
            .to_string(),
    );
    for line in lines {
        let _ = writeln!(out, "{}", style.wrap(&line, "", "  "));
    }
}

fn changes_line(view: &View) -> Option<String> {
    let changes = view.changes.as_ref()?;
    let Some(previous) = &changes.previous_run_at else {
        return Some("Changes: first audit of this site, nothing to compare with.".to_string());
    };
    if changes.nothing {
        return Some(format!("Changes: none since the audit of {previous}."));
    }
    let mut parts = Vec::new();
    // "2 new cookies: YSC (youtube.com/), _ga (barnet.gov.uk/)", three named at most.
    let listed = |items: &[String], one: &str, many: &str| {
        let shown: Vec<&str> = items.iter().take(3).map(String::as_str).collect();
        let more = if items.len() > 3 { ", …" } else { "" };
        format!(
            "{}: {}{more}",
            count(items.len() as u32, one, many),
            shown.join(", ")
        )
    };
    // What now reaches a visitor before a choice leads: it is what the ICO tests first.
    if !changes.new_before_choice.is_empty() {
        parts.push(listed(
            &changes.new_before_choice,
            "cookie newly stored before a choice",
            "cookies newly stored before a choice",
        ));
    }
    if !changes.new_cookies.is_empty() {
        parts.push(listed(&changes.new_cookies, "new cookie", "new cookies"));
    }
    if !changes.gone_cookies.is_empty() {
        parts.push(listed(&changes.gone_cookies, "gone cookie", "gone cookies"));
    }
    if !changes.new_findings.is_empty() {
        parts.push(count(
            changes.new_findings.len() as u32,
            "new finding",
            "new findings",
        ));
    }
    if !changes.resolved_findings.is_empty() {
        parts.push(count(
            changes.resolved_findings.len() as u32,
            "resolved finding",
            "resolved findings",
        ));
    }
    if changes.declaration_changed {
        parts.push("the published cookie table changed".to_string());
    }
    // Not gone, not resolved: their pages were not read again (a shorter crawl).
    if !changes.not_rechecked.is_empty() {
        parts.push(format!(
            "{} not re-checked",
            count(
                changes.not_rechecked.len() as u32,
                "cookie or finding",
                "cookies and findings"
            )
        ));
    }
    let coverage = changes
        .coverage
        .as_deref()
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    Some(format!(
        "Changes since the audit of {previous}: {}.{coverage}",
        parts.join("; ")
    ))
}

/// `text` padded with spaces to `width` columns (display width, not bytes).
pub(crate) fn pad(text: &str, width: usize) -> String {
    let shown = text.width();
    if shown >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - shown))
    }
}

/// `text` cut to at most `width` columns, ending in "…" when cut. Colour sequences are not
/// counted: a line that holds one is cut only when its visible text overflows.
pub(crate) fn fit(text: &str, width: usize) -> String {
    if visible_width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Our own colour codes: copy the sequence through its final `m`.
            out.push(c);
            for next in chars.by_ref() {
                out.push(next);
                if next == 'm' {
                    break;
                }
            }
            continue;
        }
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    if out.contains('\x1b') {
        out.push_str("\x1b[0m");
    }
    out
}

/// Display width without ANSI colour sequences.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => width += c.width().unwrap_or(0),
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_by_display_width() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        // Wide characters take two columns each.
        assert_eq!(fit("日本語テキスト", 7), "日本語…");
        assert!(fit("日本語テキスト", 7).width() <= 7);
    }

    #[test]
    fn fit_ignores_colour_codes() {
        let coloured = "\x1b[1mbold heading\x1b[0m";
        assert_eq!(fit(coloured, 12), coloured);
        let cut = fit(coloured, 5);
        assert_eq!(visible_width(&cut), 5);
        assert!(cut.ends_with("\x1b[0m"), "{cut:?}");
    }

    #[test]
    fn pad_counts_columns() {
        assert_eq!(pad("✓", 3), "✓  ");
        assert_eq!(pad("toolong", 3), "toolong");
    }
}
