//! Hostile and odd input: deep nesting, huge tables, malformed markup, odd characters. The
//! extractor must give a result, never panic, never overflow the stack.

use std::time::{Duration, Instant};

use cookie_audit_declared::extract_declarations;

fn url() -> url::Url {
    url::Url::parse("https://council.example.gov.uk/cookies").expect("valid URL")
}

/// Runs on a normal test thread (2 MiB stack in debug on most platforms): a recursive walk
/// would overflow here and abort the whole test binary.
#[test]
fn nesting_100_000_deep_does_not_overflow() {
    let depth = 100_000;
    for tag in ["div", "span", "b", "li", "table"] {
        let mut html = String::with_capacity(depth * 12);
        html.push_str("<h1>Cookies</h1><table><tr><th>Name</th><th>Expiry</th></tr><tr><td>_ga</td><td>2 years</td></tr></table>");
        for _ in 0..depth {
            html.push('<');
            html.push_str(tag);
            html.push('>');
        }
        html.push_str("deep text _hjSession_x");
        for _ in 0..depth {
            html.push_str("</");
            html.push_str(tag);
            html.push('>');
        }
        let page = extract_declarations(&html, &url());
        let names: Vec<&str> = page.cookies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["_ga"], "nested <{tag}>");
    }
}

#[test]
fn ten_thousand_row_table() {
    let rows = 10_000;
    let mut html = String::from(
        "<h1>Cookies</h1><table><thead><tr><th>Name</th><th>Purpose</th><th>Expiry</th></tr></thead><tbody>",
    );
    for i in 0..rows {
        html.push_str(&format!(
            "<tr><td>cookie_{i}</td><td>Row {i} does something useful.</td><td>{} days</td></tr>",
            i % 400 + 1
        ));
    }
    html.push_str("</tbody></table>");
    let start = Instant::now();
    let page = extract_declarations(&html, &url());
    let took = start.elapsed();
    assert_eq!(page.cookies.len(), rows);
    assert_eq!(page.cookies[9_999].name, "cookie_9999");
    assert_eq!(page.cookies[9_999].source.row, 9_999);
    assert_eq!(
        page.cookies[41].expiry.as_ref().and_then(|e| e.seconds),
        Some(42 * 86_400)
    );
    // Generous for an unoptimised build on a busy 2-core machine; linear work takes far less.
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn ten_thousand_rows_without_end_tags() {
    let mut html = String::from("<h2>Cookies</h2><table><tr><th>Cookie<th>Duration");
    for i in 0..10_000 {
        html.push_str(&format!("<tr><td>c{i}_x<td>Session"));
    }
    let page = extract_declarations(&html, &url());
    assert_eq!(page.cookies.len(), 10_000);
}

#[test]
fn malformed_and_odd_input_never_panics() {
    let inputs = [
        "",
        "<",
        "<<<>>>",
        "</table></td></tr>",
        "<table><td>_ga<td>",
        "<table><tr><th>Name<th>Purpose</tr><tr><td colspan=99999999 rowspan=99999999>_ga<td>x</table>",
        "<table><tr><th>Name<th>Expiry<tr><td rowspan=0>_ga<td>1 day<tr><td>2 days</table>",
        "<table><caption><table><tr><th>Name<th>Purpose<tr><td>_x<td>y</table></caption></table>",
        "\u{0}\u{0}<p>\u{fffd}\u{fffd}</p>\u{feff}",
        "<p>Name: \u{1F36A}</p><p>Purpose: emoji</p>",
        "<h2>Cookies</h2><p>Cookie</p><p>Name</p><p>Expiry</p>",
        "<h2>Cookies</h2><p>Cookie</p><p>Name</p><p>Expiry</p><p>_ga</p>",
        "<h2>Cookies</h2><p>Name</p><p>Purpose</p>",
        "<dl><dt></dt><dd></dd><dt>_ga</dt></dl>",
        "<details><summary></summary></details><summary>_ga</summary>",
        "<table><tr><th>Name</th></tr><tr><td>\u{200b}</td></tr></table>",
        "<table><tr><th>Name<th>Name<th>Cookie<th>Cookie<th>Type<th>Type</tr><tr><td>a<td>b<td>c<td>d<td>e<td>f</table>",
        "<script>document.write('<table>')</script><style>td{}</style><template><table></table></template>",
        "<p>Name nmstat Type Other Domain Expires</p>",
        "<p>Name \u{e9}\u{301} Type Other Domain Expires 1000 days</p>",
    ];
    for input in inputs {
        let _ = extract_declarations(input, &url());
    }
}

/// A small deterministic generator of tag soup (no dependency, same cases every run).
#[test]
fn generated_tag_soup_never_panics() {
    const PIECES: &[&str] = &[
        "<table>",
        "</table>",
        "<tr>",
        "</tr>",
        "<td>",
        "</td>",
        "<th>",
        "<thead>",
        "<tbody>",
        "<p>",
        "</p>",
        "<br>",
        "<b>",
        "</b>",
        "<h2>",
        "</h2>",
        "<ul>",
        "<li>",
        "<dl>",
        "<dt>",
        "<dd>",
        "<details>",
        "<summary>",
        "Name",
        "Cookie",
        "Purpose",
        "Expiry",
        "Type",
        "_ga",
        "Session",
        "2 years",
        "Persistent. 50 years.",
        ", ",
        " and ",
        "Name: ",
        "Expires: ",
        "<td colspan=3>",
        "<td rowspan=2>",
        "<td rowspan=0>",
        "\u{a0}",
        "<!--",
        "-->",
        "–",
        "<caption>",
        "Analytics cookies",
        "x",
        "(",
        ")",
        "<",
        ">",
        "&amp;",
        "&nbsp;",
        "\n",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..400 {
        let len = (next() % 300) as usize;
        let mut html = String::new();
        for _ in 0..len {
            html.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let page = extract_declarations(&html, &url());
        // Whatever was read is well-formed.
        for cookie in &page.cookies {
            assert!(!cookie.name.is_empty(), "{html}");
            assert_eq!(cookie.pattern, cookie.glob.is_some(), "{html}");
        }
    }
}

#[test]
fn output_is_deterministic() {
    let html = std::fs::read_to_string(
        crate::fixtures::testdata().join("seed003_barking_dagenham_flattened.html"),
    )
    .expect("fixture");
    let a = extract_declarations(&html, &url());
    let b = extract_declarations(&html, &url());
    assert_eq!(a, b);
}

#[test]
fn long_flattened_table() {
    let rows = 3_000;
    let mut html = String::from("<h2>Cookies we use</h2><p>Name</p><p>Purpose</p><p>Expires</p>");
    for i in 0..rows {
        html.push_str(&format!(
            "<p>flat_{i}</p><p>Keeps row {i} of this long table working.</p><p>Second paragraph of the purpose for row {i}.</p><p>{} days</p>",
            i % 90 + 1
        ));
    }
    let page = extract_declarations(&html, &url());
    assert_eq!(page.cookies.len(), rows);
    assert_eq!(page.cookies[rows - 1].name, format!("flat_{}", rows - 1));
    assert!(
        page.cookies
            .iter()
            .all(|c| c.source.shape == Some(cookie_audit_model::DeclarationShape::Flattened))
    );
}

/// A cookie table on its own (a file, a fragment): names only a cookie has are enough, with no
/// cookie heading or expiry column around it; names that are ordinary words are not.
#[test]
fn a_table_alone() {
    let page = extract_declarations(
        "<table><tr><th>Name</th><th>Purpose</th></tr><tr><td>_ga</td><td>Analytics</td></tr></table>",
        &url(),
    );
    let names: Vec<&str> = page.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["_ga"]);
    let page = extract_declarations(
        "<table><tr><th>Name</th><th>Description</th></tr><tr><td>Planning guide</td><td>How to apply.</td></tr>\
         <tr><td>Leaflet</td><td>Council tax bands.</td></tr></table>",
        &url(),
    );
    assert!(page.cookies.is_empty(), "{:?}", page.cookies);
}

/// html5ever checks each new attribute against all earlier ones of its tag: one tag with 200,000
/// distinct attributes took minutes. The page is read up to that tag, with a warning.
#[test]
fn attribute_bomb_is_cut_before_the_parser_sees_it() {
    let mut html = String::from(
        "<h1>Cookies</h1><table><tr><th>Name</th><th>Expiry</th></tr><tr><td>_ga</td><td>2 years</td></tr></table><div",
    );
    for i in 0..200_000 {
        html.push_str(&format!(" a{i}"));
    }
    html.push_str("><table><tr><th>Name</th><th>Expiry</th></tr><tr><td>_gid</td><td>1 day</td></tr></table></div>");
    let start = Instant::now();
    let page = extract_declarations(&html, &url());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    let names: Vec<&str> = page.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["_ga"]);
    assert!(
        page.warnings
            .iter()
            .any(|w| w.contains("more than 1000 attributes")),
        "{:?}",
        page.warnings
    );
}
