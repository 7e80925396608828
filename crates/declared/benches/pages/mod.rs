//! The ~200 KB pages the extraction bench reads, shared with `examples/timing.rs`.
//!
//! - `council_page`: what a council cookie page weighs in practice — inline scripts and styles,
//!   a large navigation menu, prose, and a 150-row cookie table split by category;
//! - `all_shapes`: every fixture in `testdata/declared/` concatenated until 200 KB, so every
//!   shape detector (flattened tables, records, prose) has work to do.

use std::path::PathBuf;

const TARGET_BYTES: usize = 200 * 1024;

pub(crate) fn council_page() -> String {
    let mut html = String::with_capacity(TARGET_BYTES + 8 * 1024);
    html.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    html.push_str("<title>Cookies | Benchmark Borough Council</title><style>");
    for i in 0..600 {
        html.push_str(&format!(
            ".c{i}{{margin:{}px;padding:0 {}px}}",
            i % 17,
            i % 9
        ));
    }
    html.push_str("</style><script>");
    for i in 0..500 {
        html.push_str(&format!("window.dl{i}=function(a){{return a*{i}+'<td>'}};"));
    }
    html.push_str("</script></head><body><header><nav><ul>");
    for i in 0..400 {
        html.push_str(&format!(
            "<li class=\"menu__item\"><a href=\"/services/area-{i}\">Service area {i}</a></li>"
        ));
    }
    html.push_str("</ul></nav></header><main><h1>Cookies</h1>");
    for i in 0..60 {
        html.push_str(&format!(
            "<p>Paragraph {i}: we use cookies to make the site work and, with your consent, \
             Google Analytics and Siteimprove to understand how it is used. You can change \
             your choices at any time on the cookie settings page.</p>"
        ));
    }
    for (category, rows) in [("Necessary", 40), ("Analytics", 60), ("Marketing", 50)] {
        html.push_str(&format!(
            "<h2>{category} cookies</h2><table><thead><tr><th>Name</th><th>Provider</th>\
             <th>Purpose</th><th>Expiry</th><th>Type</th></tr></thead><tbody>"
        ));
        for r in 0..rows {
            html.push_str(&format!(
                "<tr><td>{}_cookie_{r}</td><td><a href=\"https://example.com/privacy\">Provider \
                 {r}</a></td><td>Remembers something useful about visit {r} so the page \
                 works.</td><td>{} days</td><td>HTTP Cookie</td></tr>",
                category.to_lowercase(),
                r % 400 + 1
            ));
        }
        html.push_str("</tbody></table>");
    }
    html.push_str("</main><footer><ul>");
    while html.len() < TARGET_BYTES {
        html.push_str("<li><a href=\"/accessibility\">Accessibility statement</a></li>");
    }
    html.push_str("</ul></footer></body></html>");
    html
}

pub(crate) fn all_shapes() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/declared");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/declared")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    files.sort();
    let mut html = String::with_capacity(TARGET_BYTES + 64 * 1024);
    'fill: loop {
        for file in &files {
            html.push_str(&std::fs::read_to_string(file).expect("fixture"));
            if html.len() >= TARGET_BYTES {
                break 'fill;
            }
        }
    }
    html
}
