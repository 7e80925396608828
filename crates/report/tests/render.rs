//! Snapshots of every format on a realistic report, and the properties the terminal and
//! Markdown views must keep whatever a site names its cookies.

use cookie_audit_report::{Detail, Format, RenderOptions, render};

use crate::sample;

/// The default terminal view, no colour.
pub(crate) fn plain(width: Option<u16>) -> RenderOptions {
    RenderOptions {
        color: false,
        width,
        detail: Detail::Compact,
    }
}

/// `--long`, no colour.
pub(crate) fn long(width: Option<u16>) -> RenderOptions {
    RenderOptions {
        detail: Detail::Long,
        ..plain(width)
    }
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(
        "report.json",
        render(&sample::report(), Format::Json, &plain(None))
    );
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "report.md",
        render(&sample::report(), Format::Markdown, &plain(None))
    );
}

#[test]
fn table_snapshot() {
    insta::assert_snapshot!(
        "report.txt",
        render(&sample::report(), Format::Table, &plain(Some(80)))
    );
}

#[test]
fn long_table_snapshot() {
    insta::assert_snapshot!(
        "report-long.txt",
        render(&sample::report(), Format::Table, &long(Some(120)))
    );
}

#[test]
fn html_table_snapshot() {
    insta::assert_snapshot!(
        "suggested_table.html",
        render(&sample::report(), Format::HtmlTable, &plain(None))
    );
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!(
        "suggested_table.csv",
        render(&sample::report(), Format::Csv, &plain(None))
    );
}

#[test]
fn bare_report_snapshots() {
    let report = sample::bare_report();
    insta::assert_snapshot!("bare.md", render(&report, Format::Markdown, &plain(None)));
    insta::assert_snapshot!(
        "bare.txt",
        render(&report, Format::Table, &plain(Some(100)))
    );
    insta::assert_snapshot!(
        "bare-long.txt",
        render(&report, Format::Table, &long(Some(100)))
    );
}

/// Reports the real browser engine wrote against the consent fixture councils: the default
/// terminal view at 80 columns, the long view and Markdown.
#[test]
fn recorded_consent_snapshots() {
    for name in sample::RECORDED {
        let report = sample::recorded(name);
        insta::assert_snapshot!(
            format!("{name}.txt"),
            render(&report, Format::Table, &plain(Some(80)))
        );
        insta::assert_snapshot!(
            format!("{name}-long.txt"),
            render(&report, Format::Table, &long(Some(120)))
        );
        insta::assert_snapshot!(
            format!("{name}.md"),
            render(&report, Format::Markdown, &plain(None))
        );
    }
}

#[test]
fn formats_parse_from_their_names() {
    for format in Format::ALL {
        assert_eq!(format.as_str().parse::<Format>().unwrap(), format);
        assert_eq!(format.to_string(), format.as_str());
    }
    assert_eq!("MD".parse::<Format>().unwrap(), Format::Markdown);
    assert_eq!("html_table".parse::<Format>().unwrap(), Format::HtmlTable);
    assert_eq!("csv-table".parse::<Format>().unwrap(), Format::Csv);
    let error = "pdf".parse::<Format>().unwrap_err().to_string();
    assert!(
        error.contains("`pdf`") && error.contains("html-table"),
        "{error}"
    );
}

#[test]
fn every_format_hides_values_unless_the_report_carries_them() {
    let redacted = sample::report();
    let with_values = sample::report_with_values();
    for format in Format::ALL {
        let out = render(&redacted, format, &plain(None));
        assert!(
            !out.contains(sample::SECRET),
            "{format} leaks a value the report does not carry"
        );
    }
    // The compact terminal view shows no cookie at all, so no value; `--long` shows them.
    for (format, options) in [
        (Format::Json, plain(None)),
        (Format::Table, long(None)),
        (Format::Markdown, plain(None)),
        (Format::Html, plain(None)),
    ] {
        let out = render(&with_values, format, &options);
        assert!(
            out.contains(sample::SECRET),
            "{format} should show values of a --show-values report"
        );
    }
    let long_redacted = render(&redacted, Format::Table, &long(None));
    assert!(!long_redacted.contains(sample::SECRET));
}

#[test]
fn markdown_escapes_names_that_would_break_it() {
    let out = render(&sample::report(), Format::Markdown, &plain(None));
    assert!(!out.contains(sample::HOSTILE_NAME), "raw HTML in Markdown");
    assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(out.contains("a\\|b"));
    assert!(
        !out.contains("](<javascript:"),
        "javascript: URLs are not linked"
    );
    // Every row of every table has as many unescaped cell separators as its header.
    let mut columns = None;
    for line in out.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let separators = count_unescaped_pipes(line);
        match columns {
            None => columns = Some(separators),
            Some(n) => assert_eq!(separators, n, "a cell broke its table row: {line}"),
        }
    }
}

fn count_unescaped_pipes(line: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count
}

#[test]
fn terminal_output_cannot_be_driven_by_a_cookie_name() {
    let mut report = sample::report();
    report.observed[1].name = "evil\u{1b}[2J\u{1b}]0;pwned\u{7}".into();
    report.findings[0].message = "clears \u{1b}[2J the screen \u{202E}txet".into();
    for (format, options) in [
        (Format::Table, plain(Some(100))),
        (Format::Table, long(Some(100))),
        (Format::Table, plain(None)),
        (Format::Markdown, plain(None)),
        (Format::Html, plain(None)),
        (Format::Csv, plain(None)),
    ] {
        let out = render(&report, format, &options);
        assert!(!out.contains('\u{1b}'), "{format} passes ESC through");
        assert!(!out.contains('\u{7}'), "{format} passes BEL through");
        assert!(
            !out.contains('\u{202E}'),
            "{format} passes a bidi override through"
        );
    }
}

#[test]
fn colour_only_when_asked() {
    let report = sample::report();
    let plain_out = render(&report, Format::Table, &plain(Some(120)));
    assert!(!plain_out.contains('\u{1b}'));
    for detail in [Detail::Compact, Detail::Long] {
        let coloured = render(
            &report,
            Format::Table,
            &RenderOptions {
                color: true,
                width: Some(120),
                detail,
            },
        );
        assert!(coloured.contains("\u{1b}["), "{detail:?}");
    }
}

#[test]
fn long_tables_fit_the_width_they_are_given() {
    let out = render(&sample::report(), Format::Table, &long(Some(80)));
    for line in out
        .lines()
        .filter(|l| l.starts_with(['╭', '│', '├', '╰', '╞']))
    {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
}

#[test]
fn summary_comes_first_in_every_detailed_format() {
    let report = sample::report();
    for (format, options) in [
        (Format::Table, long(None)),
        (Format::Markdown, plain(None)),
        (Format::Html, plain(None)),
    ] {
        let out = render(&report, format, &options);
        let summary = out.find("Summary").expect("a summary");
        let changes = out.find("Changes since").expect("changes");
        let findings = out.find("Undeclared (4)").expect("findings");
        let observed = out.find("Observed cookies").expect("observed");
        let declared = out.find("Declared cookies").expect("declared");
        assert!(
            summary < changes && changes < findings && findings < observed && observed < declared,
            "{format}: summary, changes, findings, observed, declared"
        );
    }
}
