//! The long terminal view (`--long`): everything in the order a web team acts on it — the
//! verdict, consent (the three tests, the runs, the matrix), summary and changes, findings by
//! kind with evidence and the fix, then the observed cookies, storage keys, declared rows, what
//! the corrected table still needs, and the pages crawled.

use std::fmt::Write;

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use crate::RenderOptions;
use crate::view::{ConsentView, FindingGroup, View, count};

/// Crawl errors listed in the terminal; the JSON report has them all.
const MAX_ERRORS_SHOWN: usize = 10;

pub(crate) fn render(view: &View, opts: &RenderOptions) -> String {
    let mut out = String::new();
    let style = Style { opts };

    let _ = writeln!(
        out,
        "{}",
        style.heading(&format!(
            "Cookie audit of {} ({})",
            view.site, view.registrable_domain
        ))
    );
    let _ = writeln!(
        out,
        "{} · {} engine · {} to {}",
        view.tool, view.engine, view.started_at, view.finished_at
    );
    if let Some(browser) = &view.browser {
        let _ = writeln!(out, "Browser: {browser}");
    }
    let _ = writeln!(out, "Crawl: {}", view.crawl.summary);
    out.push_str(&declaration_line(view));
    if view.show_values {
        let _ = writeln!(out, "Cookie values are shown (--show-values).");
    }
    out.push('\n');
    let _ = writeln!(out, "{}\n", style.heading(&view.verdict.line()));

    consent(&mut out, &view.consent, &style);
    summary(&mut out, view, &style);
    changes(&mut out, view, &style);

    if view.groups.is_empty() {
        let _ = writeln!(
            out,
            "No findings: the cookie table matches what the site sets.\n"
        );
    }
    for group in &view.groups {
        findings(&mut out, group, &style);
    }

    observed(&mut out, view, &style);
    storage(&mut out, view, &style);
    declared(&mut out, view, &style);
    paste_notes(&mut out, view, &style);
    notes(&mut out, view, &style);
    pages(&mut out, view, &style);
    out
}

struct Style<'a> {
    opts: &'a RenderOptions,
}

impl Style<'_> {
    fn table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
            // The caller decides width and colour; never guess from whatever stdout is.
            .force_no_tty();
        if self.opts.color {
            table.enforce_styling();
        }
        match self.opts.width {
            Some(width) => {
                table
                    .set_width(width)
                    .set_content_arrangement(ContentArrangement::Dynamic);
            }
            None => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        table
    }

    fn header(&self, names: &[&str]) -> Vec<Cell> {
        names
            .iter()
            .map(|n| Cell::new(n).add_attribute(Attribute::Bold))
            .collect()
    }

    fn heading(&self, text: &str) -> String {
        if self.opts.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, severity: &str) -> Cell {
        let color = match severity {
            "high" => Color::Red,
            "medium" => Color::Yellow,
            _ => Color::Blue,
        };
        Cell::new(severity).fg(color)
    }
}

fn declaration_line(view: &View) -> String {
    let d = &view.declaration;
    let mut line = if d.found {
        let pages: Vec<String> = d
            .pages
            .iter()
            .filter(|p| p.error.is_none())
            .map(|p| format!("{} ({})", p.url, p.counts))
            .collect();
        format!("Declaration: found on {}", pages.join(", "))
    } else {
        format!("Declaration: {}", view.declaration.missing)
    };
    if let Some(list) = &d.cmp_list {
        let _ = write!(line, "; {list}");
    }
    line.push_str(".\n");
    line
}

fn consent(out: &mut String, consent: &ConsentView, style: &Style<'_>) {
    if let Some(why) = &consent.not_visited {
        let _ = writeln!(out, "{why}\n");
        return;
    }
    let _ = writeln!(out, "{}", style.heading("Consent:"));
    for test in &consent.tests {
        let _ = writeln!(out, "  {} {}", test.outcome.symbol(), test.line());
    }
    let mut banner = format!("Banner: {}", consent.banner);
    if let Some(page) = &consent.banner_page {
        let _ = write!(banner, ", first seen on {page}");
    }
    let _ = writeln!(out, "  {banner}.");
    if let Some(cmp) = &consent.cmp {
        let _ = writeln!(out, "  Platform: {cmp}.");
    }
    for run in &consent.runs {
        let _ = writeln!(out, "  {} — {}: {}.", run.state, run.status, run.detail);
    }
    let mut table = style.table();
    let mut header = vec!["Cookie or key", "Domain", "Category"];
    header.extend(consent.columns.iter().map(|c| c.heading));
    table.set_header(style.header(&header));
    for line in &consent.matrix {
        let mut row = vec![
            Cell::new(&line.name),
            Cell::new(&line.domain),
            Cell::new(&line.category),
        ];
        row.extend(line.cells.iter().map(|c| Cell::new(c.symbol)));
        table.add_row(row);
    }
    let _ = writeln!(out, "{table}");
    let _ = writeln!(out, "{}\n", consent.legend);
}

fn summary(out: &mut String, view: &View, style: &Style<'_>) {
    let _ = writeln!(
        out,
        "{} {} declared, {} observed, {}",
        style.heading("Summary:"),
        view.summary.declared,
        view.summary.observed,
        count(view.totals.total, "finding", "findings")
    );
    let mut table = style.table();
    table.set_header(style.header(&["Findings", "High", "Medium", "Low", "Total"]));
    for row in view.matrix.iter().chain(std::iter::once(&view.totals)) {
        table.add_row(vec![
            Cell::new(row.label),
            Cell::new(row.high),
            Cell::new(row.medium),
            Cell::new(row.low),
            Cell::new(row.total),
        ]);
    }
    let _ = writeln!(out, "{table}");
    for note in &view.severities {
        let _ = writeln!(out, "  {:<6}  {}", note.severity, note.meaning);
    }
    out.push('\n');
}

fn changes(out: &mut String, view: &View, style: &Style<'_>) {
    let Some(changes) = &view.changes else {
        return;
    };
    let Some(previous) = &changes.previous_run_at else {
        let _ = writeln!(
            out,
            "{} first audit of this site, nothing to compare with.\n",
            style.heading("Changes:")
        );
        return;
    };
    if changes.nothing {
        let _ = writeln!(
            out,
            "{} none since the audit of {previous}.\n",
            style.heading("Changes:")
        );
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        style.heading(&format!("Changes since the audit of {previous}:"))
    );
    if let Some(coverage) = &changes.coverage {
        let _ = writeln!(out, "  {coverage}");
    }
    let lists = [
        ("+ new cookie", &changes.new_cookies),
        ("! pre-consent", &changes.new_before_choice),
        ("- gone cookie", &changes.gone_cookies),
        ("+ new finding", &changes.new_findings),
        ("✓ resolved", &changes.resolved_findings),
        ("? not checked", &changes.not_rechecked),
    ];
    for (label, items) in lists {
        for item in items {
            let _ = writeln!(out, "  {label:<14} {item}");
        }
    }
    if changes.declaration_changed {
        let _ = writeln!(
            out,
            "  {:<14} the published cookie table changed",
            "~ declaration"
        );
    }
    out.push('\n');
}

fn findings(out: &mut String, group: &FindingGroup, style: &Style<'_>) {
    let _ = writeln!(
        out,
        "{} {}",
        style.heading(&format!("{} ({}):", group.title, group.findings.len())),
        group.blurb
    );
    let mut table = style.table();
    table.set_header(style.header(&["Severity", "Cookie", "Finding", "Evidence", "Fix"]));
    for f in &group.findings {
        let cookie = match &f.domain {
            Some(domain) => format!("{}\n{domain}", f.cookie),
            None => f.cookie.clone(),
        };
        let mut finding = format!("{}\n[{}]", f.message, f.code);
        if let Some(declared) = &f.declared {
            let _ = write!(finding, "\ndeclared: {declared}");
        }
        if let Some(observed) = &f.observed {
            let _ = write!(finding, "\nobserved: {observed}");
        }
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| format!("{}: {}", e.label, e.url))
            .collect();
        let fix = f
            .fix
            .as_ref()
            .map(|fix| format!("{} row: {}", capitalise(fix.action), fix.one_line()))
            .unwrap_or_default();
        table.add_row(vec![
            style.severity(f.severity),
            Cell::new(cookie),
            Cell::new(finding),
            Cell::new(evidence.join("\n")),
            Cell::new(fix),
        ]);
    }
    let _ = writeln!(out, "{table}\n");
}

fn observed(out: &mut String, view: &View, style: &Style<'_>) {
    let _ = writeln!(
        out,
        "{}",
        style.heading(&format!("Observed cookies ({})", view.observed.len()))
    );
    if view.observed.is_empty() {
        let _ = writeln!(out, "The site set no cookies during the audit.\n");
        return;
    }
    let mut table = style.table();
    table.set_header(style.header(&[
        "Name",
        "Domain",
        "Path",
        "Lifetime",
        "Party",
        "Attributes",
        "Pages",
        "Stored",
        "Notes",
    ]));
    for o in &view.observed {
        table.add_row(vec![
            Cell::new(&o.name),
            Cell::new(&o.domain),
            Cell::new(&o.path),
            Cell::new(&o.lifetime),
            Cell::new(o.party),
            Cell::new(&o.flags),
            Cell::new(o.pages),
            Cell::new(&o.states),
            Cell::new(o.notes.join("\n")),
        ]);
    }
    let _ = writeln!(out, "{table}");
    if view.show_values {
        let mut values = style.table();
        values.set_header(style.header(&["Name", "Domain", "Value"]));
        for o in &view.observed {
            values.add_row(vec![&o.name, &o.domain, &o.value]);
        }
        let _ = writeln!(out, "{values}");
    }
    out.push('\n');
}

fn declared(out: &mut String, view: &View, style: &Style<'_>) {
    let _ = writeln!(
        out,
        "{}",
        style.heading(&format!("Declared cookies ({})", view.declared.len()))
    );
    if view.declared.is_empty() {
        let _ = writeln!(out, "The audit read no cookie table.\n");
        return;
    }
    let mut table = style.table();
    table.set_header(style.header(&["Name", "Provider", "Domain", "Expiry", "Category", "Source"]));
    for d in &view.declared {
        table.add_row(vec![
            &d.name,
            &d.provider,
            &d.domain,
            &d.expiry,
            &d.category,
            &d.source,
        ]);
    }
    let _ = writeln!(out, "{table}\n");
}

fn storage(out: &mut String, view: &View, style: &Style<'_>) {
    if view.storage.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        style.heading(&format!("Web storage keys ({})", view.storage.len()))
    );
    let mut table = style.table();
    let mut header = vec!["Key", "Storage", "Origin", "Written by", "Stored"];
    if view.show_values {
        header.push("Value");
    }
    table.set_header(style.header(&header));
    for s in &view.storage {
        let mut row = vec![
            s.key.as_str(),
            s.kind,
            s.origin.as_str(),
            s.set_by_url.as_str(),
            s.states.as_str(),
        ];
        if view.show_values {
            row.push(s.value.as_str());
        }
        table.add_row(row);
    }
    let _ = writeln!(out, "{table}\n");
}

fn paste_notes(out: &mut String, view: &View, style: &Style<'_>) {
    let paste = &view.paste;
    if paste.to_complete.is_empty() && paste.left_out.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        style.heading("Before you publish the corrected table (--format html-table or csv):")
    );
    for item in &paste.to_complete {
        let _ = writeln!(out, "  - {item}");
    }
    for item in &paste.left_out {
        let _ = writeln!(out, "  - left out: {item}");
    }
    out.push('\n');
}

fn pages(out: &mut String, view: &View, style: &Style<'_>) {
    if view.pages.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        style.heading(&format!("Pages crawled ({}):", view.pages.len()))
    );
    for page in &view.pages {
        let _ = writeln!(
            out,
            "  {:<11}  depth {}  {}",
            page.status, page.depth, page.url
        );
    }
}

fn notes(out: &mut String, view: &View, style: &Style<'_>) {
    if !view.ignored.is_empty() {
        let _ = writeln!(out, "{}", style.heading("Accepted in the ignore file:"));
        for line in &view.ignored {
            let _ = writeln!(out, "  - {line}");
        }
    }
    if !view.limitations.is_empty() {
        let _ = writeln!(out, "{}", style.heading("Limitations:"));
        for limitation in &view.limitations {
            let _ = writeln!(out, "  - {limitation}");
        }
    }
    if !view.crawl.limits_hit.is_empty() {
        let _ = writeln!(out, "{}", style.heading("Limits hit:"));
        for limit in &view.crawl.limits_hit {
            let _ = writeln!(out, "  - {limit}");
        }
    }
    if !view.crawl.errors.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.heading(&format!("Crawl errors ({}):", view.crawl.errors.len()))
        );
        for error in view.crawl.errors.iter().take(MAX_ERRORS_SHOWN) {
            let _ = writeln!(out, "  - {}: {}", error.url, error.error);
        }
        if view.crawl.errors.len() > MAX_ERRORS_SHOWN {
            let _ = writeln!(
                out,
                "  … and {} more (all are in the JSON report)",
                view.crawl.errors.len() - MAX_ERRORS_SHOWN
            );
        }
    }
    for warning in &view.declaration.warnings {
        let _ = writeln!(out, "Declaration warning: {warning}");
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
