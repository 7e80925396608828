//! The HTML page is opened by web editors, e-mailed and served: it must show hostile text as
//! text, load nothing from anywhere, and link its evidence.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cookie_audit_report::{Format, RenderOptions, render};

use crate::sample;

fn page() -> String {
    render(&sample::report(), Format::Html, &RenderOptions::default())
}

/// Every tag in `html` with its lower-cased name and its raw attribute text. Text content has no
/// raw `<` once escaped, so every `<` opens markup.
fn tags(html: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("every tag closes");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('/') || tag.starts_with('!') {
            continue;
        }
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(tag.len());
        found.push((
            tag[..name_end].to_ascii_lowercase(),
            tag[name_end..].to_string(),
        ));
    }
    found
}

#[test]
fn hostile_names_show_as_text() {
    for html in [
        page(),
        render(
            &sample::report(),
            Format::HtmlTable,
            &RenderOptions::default(),
        ),
    ] {
        assert!(!html.contains(sample::HOSTILE_NAME));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(
            tags(&html).iter().all(|(name, _)| name != "img"),
            "an <img> tag got through"
        );
    }
    let html = page();
    assert!(
        html.contains("Records how you use the site, &lt;b&gt;anonymously&lt;&#x2f;b&gt;")
            || html.contains("Records how you use the site, &lt;b&gt;anonymously&lt;/b&gt;")
    );
    assert!(html.contains("&amp; &quot;safely&quot;"));
}

#[test]
fn the_page_loads_nothing() {
    let html = page();
    const ALLOWED: &[&str] = &[
        "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section",
        "article", "h1", "h2", "h3", "h4", "p", "div", "span", "strong", "code", "a", "ul", "li",
        "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "br", "textarea", "label",
        "details", "summary",
    ];
    for (name, attributes) in tags(&html) {
        assert!(ALLOWED.contains(&name.as_str()), "unexpected <{name}>");
        let attributes = attributes.to_ascii_lowercase();
        assert!(
            !attributes.contains("src="),
            "<{name}{attributes}> loads something"
        );
        assert!(
            !has_handler(&attributes),
            "<{name}{attributes}> has a handler"
        );
        assert!(
            !attributes.contains("style="),
            "inline style attributes are not needed"
        );
        if attributes.contains("href=") {
            assert_eq!(name, "a", "only links have href: <{name}{attributes}>");
            assert!(
                attributes.contains("href=\"https://")
                    || attributes.contains("href=\"http://")
                    || attributes.contains("href=\"#"),
                "links go to web pages or anchors only: <a{attributes}>"
            );
        }
    }
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "@import",
        "url(",
        "<script",
        "<link",
        "<iframe",
        "javascript:alert",
    ] {
        if forbidden == "javascript:alert" {
            // The hostile evidence URL is shown as text, never as a link.
            assert!(!lower.contains("href=\"javascript:"));
            continue;
        }
        assert!(!lower.contains(forbidden), "the page contains {forbidden}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
}

/// An `on…=` attribute (onclick, onerror, …) among `attributes`.
fn has_handler(attributes: &str) -> bool {
    debug_assert!(
        !attributes.contains('\n'),
        "tags are one line in our templates"
    );
    attributes.match_indices(" on").any(|(at, _)| {
        let rest = &attributes[at + 3..];
        let letters = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        letters > 0 && rest[letters..].starts_with('=')
    })
}

#[test]
fn the_handler_check_sees_handlers() {
    assert!(has_handler(" src=x onerror=alert(1)"));
    assert!(!has_handler(" title=\"the one only\""));
}

#[test]
fn evidence_is_linked() {
    let html = page();
    for url in [
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "https://www.barnet.gov.uk/news/council-meeting-video",
        "https://www.barnet.gov.uk/cookies",
        "https://siteimproveanalytics.com/js/siteanalyze_6003.js",
    ] {
        assert!(
            html.contains(&format!(
                "<a href=\"{url}\" rel=\"nofollow noopener noreferrer\">"
            )),
            "no link to {url}"
        );
    }
    assert!(html.contains("declared row (table 1, row 5)"));
}

#[test]
fn the_page_has_summary_changes_fixes_and_the_table_to_copy() {
    let html = page();
    assert!(html.contains("<h2>Summary</h2>"));
    assert!(html.contains("<h2>Changes since the last audit</h2>"));
    assert!(html.contains("New cookie</span> YSC (youtube.com/)"));
    assert!(html.contains("New before a choice</span> YSC (youtube.com/)"));
    assert!(html.contains("Not re-checked: _hjSessionUser_123 (barnet.gov.uk/)"));
    assert!(html.contains("read 11 of the previous audit&#39;s 14 pages again"));
    assert!(html.contains("The published cookie table changed."));
    assert!(html.contains("<strong>Fix:</strong> add this row"));
    assert!(html.contains("<strong>Fix:</strong> correct this row"));

    // The textarea holds the paste-ready table's source, escaped once more: what a browser shows
    // (and an editor copies) is exactly the `html-table` output.
    let table = render(
        &sample::report(),
        Format::HtmlTable,
        &RenderOptions::default(),
    );
    let start = html.find("<textarea").unwrap();
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let close = html.find("</textarea>").unwrap();
    let shown = unescape(&html[open_end..close]);
    assert_eq!(shown, table);
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn the_paste_ready_table_is_only_a_table() {
    let table = render(
        &sample::report(),
        Format::HtmlTable,
        &RenderOptions::default(),
    );
    assert!(table.starts_with("<table class=\"cookie-table\">"));
    assert!(table.trim_end().ends_with("</table>"));
    assert_eq!(
        table.matches("<tr>").count(),
        1 + sample::report().suggested_table.len()
    );
    assert!(table.contains("<td>2 years 9 months</td>"));
}

#[test]
fn first_runs_and_missing_tables_read_plainly() {
    let html = render(
        &sample::bare_report(),
        Format::Html,
        &RenderOptions::default(),
    );
    assert!(html.contains("first audit of this site"));
    assert!(html.contains("No cookie table was found"));
    assert!(html.contains("This report has no suggested table."));
    assert!(html.contains("Chromium/137"));
}

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROME") {
        return Some(PathBuf::from(path));
    }
    let names = ["chromium", "chromium-browser", "google-chrome", "chrome"];
    std::env::split_paths(&std::env::var_os("PATH")?)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `file` with `mode` (`--dump-dom`, `--screenshot=…`), its resolver
/// closed to every name so nothing can leave the machine even if the page tried.
fn run_chromium(
    chrome: &PathBuf,
    profile: &std::path::Path,
    file: &std::path::Path,
    mode: &str,
) -> (String, String) {
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(format!("file://{}", file.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The real check: a browser parses the page, the hostile name is a text node, and the console
/// stays quiet (a CSP violation or a script error would be logged there). A missing Chromium
/// fails the test: the README's test command installs it, and a skipped check proves nothing.
#[test]
fn chromium_renders_the_page_without_errors() {
    let chrome = chromium().expect(
        "no Chromium found: run scripts/test.sh (it installs Debian's chromium) or set CHROME",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    std::fs::write(&file, page()).unwrap();
    let (dom, log) = run_chromium(&chrome, &dir.path().join("profile"), &file, "--dump-dom");
    assert!(
        dom.contains("<h2>Summary</h2>"),
        "chromium did not render the page: {log}"
    );
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the name is not text"
    );
    assert!(!dom.contains("<img"), "the browser built an <img> element");
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Refused to") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
}

/// Regression (issue 15): the Notes column was off-screen at 1280 px. A copy of the page with a
/// measuring script (and without the CSP, which would block it) is laid out by Chromium in a
/// 1280 px window: nothing may be wider than the window, no table may scroll sideways, and every
/// column heading must end inside the window.
#[test]
fn every_column_is_visible_at_1280_px() {
    let chrome = chromium().expect(
        "no Chromium found: run scripts/test.sh (it installs Debian's chromium) or set CHROME",
    );
    const MEASURE: &str = r#"<script>
const width = document.documentElement.clientWidth;
const problems = [];
if (document.documentElement.scrollWidth > width) {
  problems.push("page " + document.documentElement.scrollWidth + " > " + width);
}
document.querySelectorAll(".wide").forEach((box) => {
  if (box.scrollWidth > box.clientWidth + 1) {
    problems.push("table " + box.querySelector("th").textContent + " " + box.scrollWidth + " > " + box.clientWidth);
  }
});
document.querySelectorAll("th").forEach((th) => {
  const right = th.getBoundingClientRect().right;
  if (right > width + 1) problems.push("column " + th.textContent + " ends at " + right);
});
document.body.setAttribute("data-layout", problems.length ? problems.join(" | ") : "fits " + width);
</script>"#;
    let dir = tempfile::tempdir().unwrap();
    let reports = [
        ("sample", sample::report()),
        ("values", sample::report_with_values()),
        ("onetrust", sample::recorded("consent-onetrust")),
        ("deleted", sample::recorded("consent-set-then-deleted")),
    ];
    for (name, report) in reports {
        let html = render(&report, Format::Html, &RenderOptions::default());
        let csp_start = html
            .find("<meta http-equiv=\"Content-Security-Policy\"")
            .unwrap();
        let csp_end = csp_start + html[csp_start..].find('>').unwrap() + 1;
        let measured = format!("{}{}", &html[..csp_start], &html[csp_end..])
            .replace("</body>", &format!("{MEASURE}</body>"));
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, measured).unwrap();
        let (dom, log) = run_chromium(
            &chrome,
            &dir.path().join(format!("profile-{name}")),
            &file,
            "--dump-dom",
        );
        let start = dom
            .find("data-layout=\"")
            .unwrap_or_else(|| panic!("{name}: the measuring script did not run: {log}"))
            + "data-layout=\"".len();
        let layout = &dom[start..start + dom[start..].find('"').unwrap()];
        assert!(
            layout.starts_with("fits 12"),
            "{name} does not fit 1280 px: {layout}"
        );
    }
}
