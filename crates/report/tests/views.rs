//! What the human views say, on realistic reports and on reports the real engine wrote against the
//! consent fixture councils: the verdict, the ICO's three tests, the consent matrix, one line per
//! finding that fits the terminal, the paste-ready table (HTML and CSV), storage keys, evidence
//! in time.

use cookie_audit_model::{
    ConsentRun, ConsentRuns, ConsentState, Evidence, EvidenceKind, Finding, FindingCode, LimitHit,
    LimitKind, Report, RunStatus, Severity, SuggestedRow, SuggestedStatus, Summary,
};
use cookie_audit_report::{Format, render};
use unicode_width::UnicodeWidthStr;

use crate::render::{long, plain};
use crate::sample;

fn compact(report: &Report, width: Option<u16>) -> String {
    render(report, Format::Table, &plain(width))
}

/// Every report the tests know: the hand-made ones and the recorded ones.
fn every_report() -> Vec<(String, Report)> {
    let mut all = vec![
        ("sample".to_string(), sample::report()),
        ("bare".to_string(), sample::bare_report()),
    ];
    all.extend(
        sample::RECORDED
            .iter()
            .map(|n| (n.to_string(), sample::recorded(n))),
    );
    all
}

/// The line of `out` that starts (after indentation) with `start`.
fn line_with<'a>(out: &'a str, start: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starts with {start:?} in\n{out}"))
}

#[test]
fn the_verdict_counts_what_to_fix() {
    assert_eq!(
        line_with(&compact(&sample::report(), None), "Verdict:"),
        "Verdict: 3 cookies need a row in your table, 1 cookie header needs fixing on the \
         server, 1 row is out of date, 1 row lists a cookie the audit did not see, 2 rows are \
         misdescribed (1 high, 4 medium, 3 low)."
    );
    assert_eq!(
        line_with(
            &compact(&sample::recorded("consent-onetrust"), None),
            "Verdict:"
        ),
        "Verdict: 2 cookies that need consent are stored before a choice and 2 after \"Reject \
         all\"; 2 rows are misdescribed, OneTrust's list and your table disagree on 2 cookies \
         (2 high, 6 medium)."
    );
    assert_eq!(
        line_with(
            &compact(&sample::recorded("consent-info-only"), None),
            "Verdict:"
        ),
        "Verdict: 2 cookies that need consent are stored before a choice, the banner has no \
         reject button beside \"Accept\"; 1 cookie needs a row in your table (1 high, 3 medium)."
    );
}

/// Regression (issue 15): a site with three stale findings was labelled "clean".
#[test]
fn a_site_with_findings_is_never_called_clean() {
    for (name, report) in every_report() {
        assert!(!report.findings.is_empty(), "{name} has findings");
        for (format, options) in [
            (Format::Table, plain(Some(80))),
            (Format::Table, long(None)),
            (Format::Markdown, plain(None)),
            (Format::Html, plain(None)),
        ] {
            let out = render(&report, format, &options).to_lowercase();
            assert!(!out.contains("no problems found"), "{name} {format}");
            assert!(!out.contains("no findings"), "{name} {format}");
        }
        let html = render(&report, Format::Html, &plain(None));
        assert!(html.contains("<p class=\"verdict attention\">"), "{name}");
        assert!(!html.contains("<p class=\"verdict clean\">"), "{name}");
    }
    let mut stale_only = sample::report();
    stale_only
        .findings
        .retain(|f| f.code == FindingCode::StaleNotObserved);
    stale_only.summary = Summary::tally(
        &stale_only.declared,
        &stale_only.observed,
        &stale_only.findings,
    );
    let verdict = line_with(&compact(&stale_only, None), "Verdict:").to_string();
    assert_eq!(
        verdict,
        "Verdict: 1 row lists a cookie the audit did not see (1 low)."
    );
}

#[test]
fn a_clean_site_says_so_and_how_far_it_looked() {
    let mut clean = sample::bare_report();
    clean.findings.clear();
    clean.summary = Summary::tally(&clean.declared, &clean.observed, &clean.findings);
    assert_eq!(
        line_with(&compact(&clean, None), "Verdict:"),
        "Verdict: No problems found: the cookie table matches what the site sets."
    );
    assert!(render(&clean, Format::Html, &plain(None)).contains("<p class=\"verdict clean\">"));
    clean.crawl.limits_hit.push(LimitHit {
        limit: LimitKind::MaxPages,
        detail: "200 pages visited".into(),
        url: None,
    });
    assert_eq!(
        line_with(&compact(&clean, None), "Verdict:"),
        "Verdict: No problems found: the cookie table matches what the site sets on the 1 page \
         visited (the crawl was cut short by max_pages)."
    );
}

#[test]
fn every_human_view_leads_with_the_verdict_and_consent() {
    for (name, report) in every_report() {
        for (format, options, consent) in [
            (Format::Table, plain(None), "Consent"),
            (Format::Table, long(None), "Consent"),
            (Format::Markdown, plain(None), "## Consent"),
            (Format::Html, plain(None), "<h2>Consent</h2>"),
        ] {
            let out = render(&report, format, &options);
            let verdict = out.find("Verdict:").expect("a verdict");
            let consent = out.find(consent).expect("a consent section");
            let findings = out.find("Findings").expect("findings");
            assert!(
                verdict < consent && consent < findings,
                "{name} {format} {:?}: verdict, consent, findings",
                options.detail
            );
        }
    }
}

#[test]
fn the_three_ico_tests_in_plain_words() {
    let onetrust = compact(&sample::recorded("consent-onetrust"), None);
    for expected in [
        "✗ Before a choice: 2 cookies that need consent are stored (2 analytics).",
        "✓ Reject as easy as accept: yes — \"Reject All\" beside \"Accept All Cookies\".",
        "✗ After \"Reject all\": 2 cookies that need consent are still stored (2 analytics).",
    ] {
        assert!(onetrust.contains(expected), "{expected}\n{onetrust}");
    }

    let info_only = compact(&sample::recorded("consent-info-only"), None);
    assert!(info_only.contains(
        "✗ Reject as easy as accept: no: the banner offers no way to reject (\"Got it!\" only)."
    ));
    assert!(
        info_only
            .contains("? After \"Reject all\": not tested: the banner offers no way to reject.")
    );

    let unconfirmed = compact(&sample::recorded("consent-unconfirmed"), None);
    assert!(unconfirmed.contains("✓ Before a choice: no cookie that needs consent is stored."));
    assert!(
        line_with(&unconfirmed, "? After \"Reject all\"")
            .contains("not tested: our click could not be confirmed — OneTrust did not record")
    );

    // Reject only behind the banner's settings.
    let mut settings = sample::recorded("consent-onetrust");
    settings.consent.banner.reject_on_first_layer = Some(false);
    settings.consent.banner.reject_label = Some("Cookie settings".into());
    assert!(
        compact(&settings, None)
            .contains("✗ Reject as easy as accept: no: reject only behind \"Cookie settings\".")
    );

    // The same answers in Markdown and HTML.
    let report = sample::recorded("consent-info-only");
    let markdown = render(&report, Format::Markdown, &plain(None));
    assert!(
        markdown.contains("- ✗ **Reject as easy as accept:** no: the banner offers no way to reject (\"Got it!\" only).")
    );
    let html = render(&report, Format::Html, &plain(None));
    assert!(html.contains(
        "<li class=\"fail\"><span class=\"mark\">✗</span> <strong>Reject as easy as accept:</strong> no: the banner offers no way to reject (&quot;Got it!&quot; only).</li>"
    ));
}

/// The cells of the compact matrix's row for `name`: its category, then one mark per state.
fn matrix_row(out: &str, name: &str) -> Vec<String> {
    let row = out
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no matrix row for {name}"));
    row.split_whitespace().skip(1).map(str::to_string).collect()
}

#[test]
fn the_matrix_marks_each_state() {
    let onetrust = compact(&sample::recorded("consent-onetrust"), Some(80));
    assert!(onetrust.contains("Before choice  After accept  After reject"));
    assert_eq!(matrix_row(&onetrust, "_fbp"), ["marketing", "—", "✓", "—"]);
    assert_eq!(matrix_row(&onetrust, "_gid"), ["analytics", "✓", "✓", "✓"]);
    // The tag wrote `_ga` on the first page of each choice run before the click, never after.
    assert_eq!(
        matrix_row(&onetrust, "_ga"),
        ["analytics", "✓", "(✓)", "(✓)"]
    );
    assert!(onetrust.contains("(✓) written in that visit only before the click"));
    assert!(!onetrust.contains('◐'), "nothing was set then deleted");

    let deleted = compact(&sample::recorded("consent-set-then-deleted"), Some(80));
    assert_eq!(matrix_row(&deleted, "_ga"), ["analytics", "◐", "◐", "◐"]);
    assert_eq!(
        matrix_row(&deleted, "cookie-agreed"),
        ["unknown", "—", "✓", "✓"]
    );
    assert!(deleted.contains("◐ stored, then deleted again during a visit"));
    let html = render(
        &sample::recorded("consent-set-then-deleted"),
        Format::Html,
        &plain(None),
    );
    assert!(html.contains(
        "<td class=\"mark set_then_deleted\" title=\"stored, then deleted again during a visit\">◐</td>"
    ));

    // A click the platform did not confirm: the column says so.
    let unconfirmed = compact(&sample::recorded("consent-unconfirmed"), Some(80));
    assert!(unconfirmed.contains("After accept?  After reject?"));
    assert!(unconfirmed.contains("? our click was not confirmed"));

    // A run that clicked nothing has no column: its cookies were not looked for.
    let info_only = compact(&sample::recorded("consent-info-only"), Some(80));
    assert!(
        info_only.contains("Before choice  After accept\n"),
        "{info_only}"
    );
    assert_eq!(matrix_row(&info_only, "_ga"), ["analytics", "✓", "(✓)"]);
    assert_eq!(matrix_row(&info_only, "_gid"), ["analytics", "✓", "✓"]);
}

#[test]
fn no_consent_runs_is_one_line_saying_why() {
    let http = sample::report();
    let why = "Consent states not visited: the HTTP engine cannot see or click a consent banner";
    for (format, options) in [
        (Format::Table, plain(None)),
        (Format::Table, long(None)),
        (Format::Markdown, plain(None)),
        (Format::Html, plain(None)),
    ] {
        let out = render(&http, format, &options);
        assert_eq!(out.matches(why).count(), 1, "{format} {:?}", options.detail);
        assert!(!out.contains("Before a choice:"), "no tests were made");
        assert!(!out.contains("✓ stored"), "no matrix");
    }

    let mut none_only = sample::recorded("consent-onetrust");
    none_only.config.consent = Some(ConsentRuns::None);
    none_only
        .consent
        .runs
        .retain(|r| r.state == ConsentState::None);
    assert!(compact(&none_only, None).contains(
        "Consent states not visited: only the visitor who has not chosen was asked for (--consent none)."
    ));
}

#[test]
fn each_run_says_how_it_went() {
    let mut report = sample::recorded("consent-onetrust");
    report.consent.runs[2] = ConsentRun {
        state: ConsentState::Reject,
        status: RunStatus::Failed,
        verified_by: None,
        clicked: None,
        reject_via: None,
        pages_visited: 0,
        error: Some("the browser did not start".into()),
    };
    let out = render(&report, Format::Table, &long(None));
    assert!(out.contains(
        "after \"Accept all\" — verified: confirmed by the OptanonConsent cookie's groups and \
         OptanonAlertBoxClosed; clicked \"Accept All Cookies\" on http://www.galeham.gov.uk/; 7 \
         pages visited."
    ));
    assert!(
        out.contains("after \"Reject all\" — failed: the browser did not start; 0 pages visited.")
    );
    assert!(out.contains(
        "After \"Reject all\": not tested: the visit failed — the browser did not start."
    ));
    // A failed run gets no matrix column.
    assert!(!out.contains("│ After \"Reject"), "{out}");
}

#[test]
fn compact_lines_fit_the_terminal() {
    for (name, report) in every_report() {
        for width in [60u16, 80, 100] {
            let out = compact(&report, Some(width));
            for line in out.lines() {
                assert!(
                    line.width() <= usize::from(width),
                    "{name} at {width}: {} columns: {line}",
                    line.width()
                );
            }
        }
    }
}

#[test]
fn one_line_per_finding_and_nothing_cut_when_piped() {
    for (name, report) in every_report() {
        for width in [None, Some(80)] {
            let out = compact(&report, width);
            let finding_lines = out
                .lines()
                .filter(|l| {
                    ["  high ", "  medium ", "  low "]
                        .iter()
                        .any(|s| l.starts_with(s))
                })
                .count();
            assert_eq!(finding_lines, report.findings.len(), "{name} {width:?}");
        }
        // Piped: every message whole, every sentence on one line.
        let piped = compact(&report, None);
        for finding in &report.findings {
            let message = finding.message.replace('\n', " ");
            assert!(
                piped.lines().any(|l| l.ends_with(&message)),
                "{name}: {message}"
            );
        }
        let verdict = line_with(&piped, "Verdict:");
        assert!(
            verdict.ends_with(" low).")
                || verdict.ends_with(" medium).")
                || verdict.ends_with(" high)."),
            "{name}: the whole verdict is one line: {verdict}"
        );
    }
}

#[test]
fn evidence_says_which_visit_and_when() {
    let report = sample::recorded("consent-onetrust");
    for (format, options) in [
        (Format::Table, long(None)),
        (Format::Markdown, plain(None)),
        (Format::Html, plain(None)),
    ] {
        let out = render(&report, format, &options).replace("&quot;", "\"");
        assert!(
            out.contains("script, in the \"Reject all\" visit, 1.4 s after the click"),
            "{format}"
        );
        assert!(
            out.contains("script, in the \"Reject all\" visit, 574 ms before the click"),
            "{format}"
        );
    }
    // The crawl's bare line for a page the none run recorded with its state is dropped.
    let mut one = sample::report();
    let page = "https://www.barnet.gov.uk/news/council-meeting-video";
    one.findings[1].evidence = vec![
        Evidence::new(EvidenceKind::Page, page),
        Evidence {
            state: Some(ConsentState::None),
            ..Evidence::new(EvidenceKind::Page, page)
        },
    ];
    let out = render(&one, Format::Markdown, &plain(None));
    assert!(out.contains("page, before a choice: "));
    assert!(!out.contains(&format!("page: [{}]", page.replace('_', "\\_"))));
}

fn nameless(report: &mut Report) {
    let row = SuggestedRow {
        name: String::new(),
        provider: None,
        purpose: None,
        expiry: "Session".into(),
        domain: "www.barnet.gov.uk".into(),
        category: None,
        status: SuggestedStatus::New,
    };
    report.findings.insert(
        0,
        Finding {
            code: FindingCode::Undeclared,
            kind: FindingCode::Undeclared.kind(),
            cookie: String::new(),
            domain: Some("www.barnet.gov.uk".into()),
            field: None,
            reason: None,
            severity: Severity::Medium,
            message: "A cookie without a name is set on www.barnet.gov.uk.".into(),
            declared: None,
            observed: Some("Session".into()),
            evidence: vec![],
            fix: Some(row.clone()),
        },
    );
    report.suggested_table.insert(0, row);
}

/// Regression (issue 15): the paste-ready table had a row with an empty name, and Markdown
/// showed the nameless cookie as `****`.
#[test]
fn a_nameless_cookie_is_named_and_left_out_of_the_table_to_paste() {
    let mut report = sample::report();
    nameless(&mut report);
    let pasted = report.suggested_table.len() - 1;

    let table = render(&report, Format::HtmlTable, &plain(None));
    assert_eq!(table.matches("<tr>").count(), 1 + pasted);
    assert!(!table.contains("<td></td>\n      <td></td>\n      <td></td>"));
    let csv = render(&report, Format::Csv, &plain(None));
    assert_eq!(csv.lines().count(), 1 + pasted);
    assert!(!csv.lines().any(|l| l.starts_with(',')));

    let markdown = render(&report, Format::Markdown, &plain(None));
    assert!(!markdown.contains("****"));
    assert!(markdown.contains("| **(no name)**<br>www.barnet.gov.uk |"));
    assert!(markdown.contains("- Left out: a cookie without a name on www.barnet.gov.uk"));
    let html = render(&report, Format::Html, &plain(None));
    assert!(html.contains("<li>Left out: a cookie without a name on www.barnet.gov.uk"));
    assert!(
        !html.contains("<td></td><td></td><td></td><td>Session</td>"),
        "no fix row without a name"
    );
    assert!(compact(&report, None).contains("1 nameless cookie left out"));
}

/// Regression (issue 15): rows carried "ask its supplier what it does and describe it here".
#[test]
fn rows_without_a_purpose_are_listed_to_complete_not_filled_with_instructions() {
    let report = sample::report();
    let markdown = render(&report, Format::Markdown, &plain(None));
    assert!(markdown.contains("Before you publish it:"));
    assert!(markdown.contains(
        "- a\\|b: purpose and category still to write (ask whoever runs www.barnet.gov.uk, which \
         sets it)"
    ));
    let long = render(&report, Format::Table, &long(None));
    assert!(long.contains("Before you publish the corrected table"));
    assert!(compact(&report, None).contains("2 rows still to complete"));
    for format in [Format::HtmlTable, Format::Csv] {
        let out = render(&report, format, &plain(None)).to_lowercase();
        assert!(!out.contains("ask "), "{format} carries an instruction");
        assert!(!out.contains("describe it"), "{format}");
    }
}

#[test]
fn csv_is_the_paste_ready_table() {
    let mut report = sample::report();
    report.suggested_table[0].name = "=HYPERLINK(\"https://evil.test\",\"x\")".into();
    report.suggested_table[5].purpose =
        Some("Counts visits, \"anonymously\"; 2 lines\nhere".into());
    let out = render(&report, Format::Csv, &plain(None));
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "Cookie", "Provider", "Purpose", "Expiry", "Domain", "Category"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), report.suggested_table.len());
    assert_eq!(&rows[0][0], "'=HYPERLINK(\"https://evil.test\",\"x\")");
    assert_eq!(&rows[5][2], "Counts visits, \"anonymously\"; 2 lines here");
    for (row, suggested) in rows.iter().zip(&report.suggested_table).skip(1) {
        assert_eq!(&row[0], suggested.name);
        assert_eq!(&row[3], suggested.expiry);
        assert_eq!(&row[4], suggested.domain);
    }
}

#[test]
fn storage_keys_are_shown_beside_cookies() {
    let report = sample::report();
    assert!(compact(&report, None).contains("web storage: 2 keys"));
    let long = render(&report, Format::Table, &long(None));
    assert!(long.contains("Web storage keys (2)"));
    assert!(long.find("Web storage keys").unwrap() > long.find("Observed cookies").unwrap());
    assert!(long.contains("_grecaptcha"));
    let markdown = render(&report, Format::Markdown, &plain(None));
    assert!(markdown.contains("## Web storage keys (2)"));
    assert!(markdown.contains("&lt;script&gt;alert('key')&lt;/script&gt;"));
    let html = render(&report, Format::Html, &plain(None));
    assert!(html.contains("<h2>Web storage keys (2)</h2>"));
    assert!(!html.contains(sample::HOSTILE_STORAGE_KEY));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;key&#39;)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(&#39;key&#39;)&lt;/script&gt;")
    );

    // With consent runs, storage keys get matrix rows of their own.
    let mut consent = sample::recorded("consent-onetrust");
    consent.storage = report.storage.clone();
    let out = compact(&consent, Some(100));
    assert_eq!(
        matrix_row(&out, "_grecaptcha"),
        ["localStorage", "✓", "—", "—"]
    );
}

#[test]
fn the_html_page_lists_pages_and_explains_severities() {
    let report = sample::report();
    let html = render(&report, Format::Html, &plain(None));
    assert!(html.contains("<summary>Pages crawled (2)</summary>"));
    for page in &report.crawl.pages {
        assert!(
            html.contains(&format!("<a href=\"{}\"", page.url)),
            "{}",
            page.url
        );
    }
    assert!(html.contains("<dl class=\"severities\">"));
    for severity in ["high", "medium", "low"] {
        assert!(html.contains(&format!(
            "<dt><span class=\"badge {severity}\">{severity}</span></dt>"
        )));
    }
    let markdown = render(&report, Format::Markdown, &plain(None));
    assert!(markdown.contains("<details><summary>Pages crawled (2)</summary>"));
    assert!(markdown.contains("- **low**: worth correcting but misleads little"));
}

/// A consent finding about a cookie whose purpose nobody knows (low).
fn unknown_before_choice(name: &str) -> Finding {
    Finding {
        code: FindingCode::ConsentBeforeChoice,
        kind: FindingCode::ConsentBeforeChoice.kind(),
        cookie: name.into(),
        domain: Some("www.galeham.gov.uk".into()),
        field: None,
        reason: None,
        severity: Severity::Low,
        message: format!("{name} (a cookie whose purpose is unknown) is stored before a choice."),
        declared: None,
        observed: Some("before a choice".into()),
        evidence: vec![],
        fix: None,
    }
}

/// Regression (the demo council): six cookies of unknown purpose were counted as "cookies that
/// need consent" in the verdict and the first ICO test, and alone failed "reject as easy as
/// accept" on a site without a banner. The audit cannot say they need consent: they are counted
/// apart, and alone they leave the test open.
#[test]
fn cookies_of_unknown_purpose_are_not_said_to_need_consent() {
    let mut report = sample::recorded("consent-onetrust");
    report.findings.push(unknown_before_choice("mystery"));
    let out = compact(&report, None);
    assert!(
        out.contains(
            "✗ Before a choice: 2 cookies that need consent are stored (2 analytics), and 1 \
             cookie of unknown purpose."
        ),
        "{out}"
    );
    assert!(
        line_with(&out, "Verdict:").contains(
            "2 cookies that need consent are stored before a choice and 2 after \"Reject all\", \
             1 cookie of unknown purpose is stored before a choice;"
        ),
        "{out}"
    );

    // Only unknown cookies, and no banner: nothing is known to need consent.
    let mut report = sample::recorded("consent-unconfirmed");
    report
        .findings
        .retain(|f| f.code != FindingCode::ConsentChoiceNotVerified);
    report.consent.banner.found = false;
    report.findings.push(unknown_before_choice("mystery"));
    report.findings.push(unknown_before_choice("riddle"));
    let out = compact(&report, None);
    assert!(
        out.contains(
            "? Before a choice: 2 cookies of unknown purpose are stored: find out what they do \
             to know whether they need consent."
        ),
        "{out}"
    );
    assert!(
        out.contains("✓ Reject as easy as accept: no banner was seen, and none is needed"),
        "{out}"
    );
    assert!(
        !line_with(&out, "Verdict:").contains("need consent"),
        "{out}"
    );
}

/// The compact view's changes line carries what the history now knows: cookies newly stored
/// before a choice first, what was not re-checked, and how much of the previous crawl was read
/// again (issue 15 item 1, issue 14's `changes`).
#[test]
fn the_changes_line_says_what_was_not_rechecked() {
    let out = compact(&sample::report(), None);
    let line = line_with(&out, "Changes since");
    assert!(
        line.contains(": 1 cookie newly stored before a choice: YSC (youtube.com/); 1 new cookie"),
        "{line}"
    );
    assert!(
        line.contains("; 1 cookie or finding not re-checked. This audit read 11 of the previous"),
        "{line}"
    );
}

/// Regression (issue 15 item 2): a cookie page that never loaded read as "no cookie table found",
/// and with no finding raised from it (as main now does) the verdict would have called the site
/// clean. Every view says the page could not be read, and why.
#[test]
fn an_unreadable_cookie_page_is_never_a_clean_site() {
    let mut report = sample::report();
    report.declaration.status = cookie_audit_model::DeclarationStatus::Unreadable;
    report.declaration.reason = Some("HTTP 404 from https://www.barnet.gov.uk/cookies".into());
    report.findings.clear();
    let why = "the cookie page could not be read (HTTP 404 from \
               https://www.barnet.gov.uk/cookies), so no cookie was checked against a table";
    let out = compact(&report, None);
    assert_eq!(
        line_with(&out, "Verdict:"),
        format!("Verdict: {}.", capitalise(why))
    );
    assert!(out.contains(&format!(" · {why}\n")), "{out}");
    let md = render(&report, Format::Markdown, &plain(None));
    assert!(md.contains(&format!("**Declaration:** {why}")), "{md}");
    let long = render(&report, Format::Table, &long(None));
    assert!(long.contains(&format!("Declaration: {why}")), "{long}");
    let html = render(&report, Format::Html, &plain(None));
    assert!(
        html.contains("<strong>The cookie table could not be read</strong>: the cookie page"),
        "{html}"
    );
    assert!(
        !html.contains("class=\"verdict clean"),
        "never labelled clean"
    );
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Findings an ignore file accepted are not counted, but no view hides that they exist: the
/// compact view counts them, `--long`, Markdown and HTML list each with its reason and entry.
#[test]
fn accepted_findings_are_listed_not_counted() {
    let mut report = sample::report();
    let accepted = report.findings.remove(0);
    let message = accepted.message.clone();
    report.ignored.push(cookie_audit_model::IgnoredFinding {
        finding: accepted,
        reason: "<b>YouTube embeds</b> are being replaced".into(),
        expires: chrono::NaiveDate::from_ymd_opt(2027, 1, 31),
        entry: 2,
    });
    let out = compact(&report, None);
    assert!(
        out.contains("Accepted in the ignore file: 1 finding, not counted"),
        "{out}"
    );
    assert!(!out.contains(&message), "not among the findings: {out}");
    let line = format!(
        "{} {}: <b>YouTube embeds</b> are being replaced (until 2027-01-31; entry 2)",
        report.ignored[0].finding.code.as_str(),
        report.ignored[0].finding.cookie
    );
    let long_out = render(&report, Format::Table, &long(None));
    assert!(long_out.contains(&line), "{long_out}");
    let md = render(&report, Format::Markdown, &plain(None));
    assert!(md.contains("## Accepted in the ignore file"), "{md}");
    assert!(
        md.contains("&lt;b&gt;YouTube embeds&lt;/b&gt;"),
        "escaped: {md}"
    );
    let html = render(&report, Format::Html, &plain(None));
    assert!(html.contains("Accepted in the ignore file (1)"), "{html}");
    assert!(
        html.contains("&lt;b&gt;YouTube embeds&lt;/b&gt;"),
        "escaped"
    );
}
