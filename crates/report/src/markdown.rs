//! GitHub-flavoured Markdown: the terminal's content, for an issue, a pull request or an e-mail.
//!
//! Every text from a website goes through [`text`]: a cookie name holding `|` must not end a table
//! cell, nor `<script>` become HTML, nor `_` or `*` turn the rest of a line into emphasis.

use std::fmt::Write;

use crate::view::{ConsentView, FindingGroup, View, count};

pub(crate) fn render(view: &View) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Cookie audit of {}\n", text(&view.site));
    let _ = writeln!(
        out,
        "**Site:** {} · **Engine:** {} · **Tool:** {}  ",
        text(&view.registrable_domain),
        view.engine,
        text(&view.tool)
    );
    let _ = writeln!(
        out,
        "**Audited:** {} to {}  ",
        view.started_at, view.finished_at
    );
    if let Some(browser) = &view.browser {
        let _ = writeln!(out, "**Browser:** {}  ", text(browser));
    }
    let _ = writeln!(out, "**Crawl:** {}  ", view.crawl.summary);
    let _ = writeln!(out, "**Declaration:** {}", declaration(view));
    if view.show_values {
        let _ = writeln!(out, "\nCookie values are shown (`--show-values`).");
    }
    let _ = writeln!(out, "\n**Verdict:** {}", text(&view.verdict.sentence()));

    consent(&mut out, &view.consent);

    let _ = writeln!(out, "\n## Summary\n");
    let _ = writeln!(
        out,
        "{} declared, {} observed, {}.\n",
        view.summary.declared,
        view.summary.observed,
        count(view.totals.total, "finding", "findings")
    );
    out.push_str("| Findings | High | Medium | Low | Total |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: |\n");
    for row in &view.matrix {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            row.label, row.high, row.medium, row.low, row.total
        );
    }
    let t = &view.totals;
    let _ = writeln!(
        out,
        "| **Total** | **{}** | **{}** | **{}** | **{}** |",
        t.high, t.medium, t.low, t.total
    );
    out.push('\n');
    for note in &view.severities {
        let _ = writeln!(out, "- **{}**: {}", note.severity, text(note.meaning));
    }

    changes(&mut out, view);

    let _ = writeln!(out, "\n## Findings");
    if view.groups.is_empty() {
        let _ = writeln!(
            out,
            "\nNo findings: the cookie table matches what the site sets."
        );
    }
    for group in &view.groups {
        findings(&mut out, group);
    }

    observed(&mut out, view);
    storage(&mut out, view);
    declared(&mut out, view);
    suggested(&mut out, view);
    notes(&mut out, view);
    pages(&mut out, view);
    out
}

/// Escapes text for Markdown, inline or in a table cell. Backslash escapes work for any ASCII
/// punctuation in CommonMark; `<`, `>` and `&` become entities so no HTML gets through.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // View strings are single-line already; this keeps a table row one line regardless.
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A link when the URL is safe to link to, else the URL as text.
fn link(label: &str, url: &str, href: Option<&str>) -> String {
    match href {
        Some(href) => format!("[{}](<{}>)", text(label), destination(href)),
        None => text(url),
    }
}

/// A link destination in `<…>` form: percent-encodes what would end it (`<`, `>`, a space) or
/// split a table row (`|`, which GFM reads before links).
fn destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '<' | '>' | '|' | '\\' | ' ' | '`' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn declaration(view: &View) -> String {
    let d = &view.declaration;
    if !d.found {
        return view.declaration.missing.clone();
    }
    let pages: Vec<String> = d
        .pages
        .iter()
        .filter(|p| p.error.is_none())
        .map(|p| {
            format!(
                "{} ({}; {})",
                link(&p.url, &p.url, p.href.as_deref()),
                p.counts,
                text(&p.found_by)
            )
        })
        .collect();
    let mut line = format!("found on {}", pages.join(", "));
    if let Some(list) = &d.cmp_list {
        let _ = write!(line, "; {}", text(list));
    }
    line
}

fn consent(out: &mut String, consent: &ConsentView) {
    let _ = writeln!(out, "\n## Consent\n");
    if let Some(why) = &consent.not_visited {
        let _ = writeln!(out, "{}", text(why));
        return;
    }
    for test in &consent.tests {
        let _ = writeln!(
            out,
            "- {} **{}:** {}.",
            test.outcome.symbol(),
            text(test.question),
            text(&test.answer)
        );
    }
    let banner = match (&consent.banner_page, &consent.banner_href) {
        (Some(page), href) => format!(
            "{}, first seen on {}",
            text(&consent.banner),
            link(page, page, href.as_deref())
        ),
        (None, _) => text(&consent.banner),
    };
    let _ = writeln!(out, "\n**Banner:** {banner}.  ");
    if let Some(cmp) = &consent.cmp {
        let _ = writeln!(out, "**Platform:** {}.  ", text(cmp));
    }
    if let Some(list) = &consent.cmp_list {
        let _ = writeln!(out, "{}.  ", text(list));
    }
    out.push('\n');
    for run in &consent.runs {
        let _ = writeln!(
            out,
            "- {}: **{}** — {}.",
            capital(&text(run.state)),
            run.status,
            text(&run.detail)
        );
    }
    out.push('\n');
    out.push_str("| Cookie or key | Domain | Category |");
    for column in &consent.columns {
        let mark = if column.confirmed { "" } else { " ?" };
        let _ = write!(out, " {}{mark} |", text(column.heading));
    }
    out.push_str("\n| --- | --- | --- |");
    for _ in &consent.columns {
        out.push_str(" :---: |");
    }
    out.push('\n');
    for line in &consent.matrix {
        let _ = write!(
            out,
            "| {} | {} | {} |",
            text(&line.name),
            text(&line.domain),
            text(&line.category)
        );
        for cell in &line.cells {
            let _ = write!(out, " {} |", cell.symbol);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\n{}", text(&consent.legend));
}

fn capital(s: &str) -> String {
    crate::view::capitalise(s)
}

fn changes(out: &mut String, view: &View) {
    let Some(changes) = &view.changes else {
        return;
    };
    let Some(previous) = &changes.previous_run_at else {
        let _ = writeln!(
            out,
            "\n## Changes\n\nFirst audit of this site: nothing to compare with."
        );
        return;
    };
    let _ = writeln!(out, "\n## Changes since the audit of {previous}\n");
    if changes.nothing {
        let _ = writeln!(out, "Nothing changed.");
        return;
    }
    if let Some(coverage) = &changes.coverage {
        let _ = writeln!(out, "{}\n", text(coverage));
    }
    let lists = [
        ("New cookie", &changes.new_cookies),
        ("New before a choice", &changes.new_before_choice),
        ("Gone cookie", &changes.gone_cookies),
        ("New finding", &changes.new_findings),
        ("Resolved finding", &changes.resolved_findings),
        ("Not re-checked", &changes.not_rechecked),
    ];
    for (label, items) in lists {
        for item in items {
            let _ = writeln!(out, "- {label}: {}", text(item));
        }
    }
    if changes.declaration_changed {
        let _ = writeln!(out, "- The published cookie table changed.");
    }
}

fn findings(out: &mut String, group: &FindingGroup) {
    let _ = writeln!(
        out,
        "\n### {} ({})\n\n{}\n",
        group.title,
        group.findings.len(),
        group.blurb
    );
    out.push_str("| Severity | Cookie | Finding | Evidence | Fix |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for f in &group.findings {
        let cookie = match &f.domain {
            Some(domain) => format!("**{}**<br>{}", text(&f.cookie), text(domain)),
            None => format!("**{}**", text(&f.cookie)),
        };
        let mut finding = format!("{}<br>\\[{}\\]", text(&f.message), text(&f.code));
        if let Some(declared) = &f.declared {
            let _ = write!(finding, "<br>declared: {}", text(declared));
        }
        if let Some(observed) = &f.observed {
            let _ = write!(finding, "<br>observed: {}", text(observed));
        }
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|e| {
                let mut item = format!(
                    "{}: {}",
                    text(&e.label),
                    link(&e.url, &e.url, e.href.as_deref())
                );
                if let Some(note) = &e.note {
                    let _ = write!(item, " ({})", text(note));
                }
                item
            })
            .collect();
        let fix = f
            .fix
            .as_ref()
            .map(|fix| format!("{} row: {}", fix.action, text(&fix.one_line())))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.severity,
            cookie,
            finding,
            evidence.join("<br>"),
            fix
        );
    }
}

fn observed(out: &mut String, view: &View) {
    let _ = writeln!(out, "\n## Observed cookies ({})\n", view.observed.len());
    if view.observed.is_empty() {
        let _ = writeln!(out, "The site set no cookies during the audit.");
        return;
    }
    out.push_str(
        "| Name | Domain | Path | Lifetime | Party | Attributes | Pages | Stored | Set by | Value | Notes |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | ---: | --- | --- | --- | --- |\n");
    for o in &view.observed {
        let notes: Vec<String> = o.notes.iter().map(|n| text(n)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            text(&o.name),
            text(&o.domain),
            text(&o.path),
            text(&o.lifetime),
            o.party,
            text(&o.flags),
            o.pages,
            text(&o.states),
            link(&o.set_by_url, &o.set_by_url, o.set_by_href.as_deref()),
            text(&o.value),
            notes.join("<br>")
        );
    }
}

fn storage(out: &mut String, view: &View) {
    if view.storage.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## Web storage keys ({})\n", view.storage.len());
    let _ = writeln!(
        out,
        "Keys the pages wrote to `localStorage` and `sessionStorage`: the same consent rules \
         apply to them as to cookies.\n"
    );
    out.push_str("| Key | Storage | Origin | Written by | Stored | Value |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for s in &view.storage {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            text(&s.key),
            s.kind,
            text(&s.origin),
            link(&s.set_by_url, &s.set_by_url, s.set_by_href.as_deref()),
            text(&s.states),
            text(&s.value)
        );
    }
}

fn declared(out: &mut String, view: &View) {
    let _ = writeln!(out, "\n## Declared cookies ({})\n", view.declared.len());
    if view.declared.is_empty() {
        let _ = writeln!(out, "The audit read no cookie table.");
        return;
    }
    out.push_str("| Name | Provider | Domain | Purpose | Expiry | Category | Source |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for d in &view.declared {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            text(&d.name),
            text(&d.provider),
            text(&d.domain),
            text(&d.purpose),
            text(&d.expiry),
            text(&d.category),
            link(&d.source, &d.source_url, d.source_href.as_deref()),
        );
    }
}

fn suggested(out: &mut String, view: &View) {
    let paste = &view.paste;
    if paste.rows.is_empty() && paste.left_out.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Suggested cookie table\n\nWhat the cookie table should say: observed cookies and the \
         declared rows that are still right.\n"
    );
    if !paste.rows.is_empty() {
        out.push_str("| Name | Provider | Purpose | Expiry | Domain | Category | Change |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    }
    for r in &paste.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            text(&r.name),
            text(&r.provider),
            text(&r.purpose),
            text(&r.expiry),
            text(&r.domain),
            text(&r.category),
            r.status
        );
    }
    if !paste.to_complete.is_empty() || !paste.left_out.is_empty() {
        let _ = writeln!(out, "\nBefore you publish it:\n");
        for item in &paste.to_complete {
            let _ = writeln!(out, "- {}", text(item));
        }
        for item in &paste.left_out {
            let _ = writeln!(out, "- Left out: {}", text(item));
        }
    }
}

fn pages(out: &mut String, view: &View) {
    if view.pages.is_empty() {
        return;
    }
    // Collapsed: a crawl lists up to --max-pages pages.
    let _ = writeln!(
        out,
        "\n<details><summary>Pages crawled ({})</summary>\n",
        view.pages.len()
    );
    for page in &view.pages {
        let _ = writeln!(
            out,
            "- {} ({}, depth {})",
            link(&page.url, &page.url, page.href.as_deref()),
            page.status,
            page.depth
        );
    }
    let _ = writeln!(out, "\n</details>");
}

fn notes(out: &mut String, view: &View) {
    let sections: [(&str, Vec<String>); 5] = [
        (
            "Accepted in the ignore file",
            view.ignored.iter().map(|l| text(l)).collect(),
        ),
        (
            "Limitations",
            view.limitations.iter().map(|l| text(l)).collect(),
        ),
        (
            "Limits hit",
            view.crawl.limits_hit.iter().map(|l| text(l)).collect(),
        ),
        (
            "Crawl errors",
            view.crawl
                .errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        link(&e.url, &e.url, e.href.as_deref()),
                        text(&e.error)
                    )
                })
                .collect(),
        ),
        (
            "Declaration warnings",
            view.declaration.warnings.iter().map(|w| text(w)).collect(),
        ),
    ];
    for (title, items) in sections {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {title}\n");
        for item in items {
            let _ = writeln!(out, "- {item}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_a_table_or_inject_html() {
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(
            text("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(text("_ga"), "\\_ga");
        assert_eq!(text("a\\|b"), "a\\\\\\|b");
    }

    #[test]
    fn link_destinations_cannot_end_early() {
        assert_eq!(
            destination("https://x.test/a b>|c"),
            "https://x.test/a%20b%3E%7Cc"
        );
    }
}
