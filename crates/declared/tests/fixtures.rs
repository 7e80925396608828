//! Every fixture in `testdata/declared/` against its expected declaration: exact names (zero
//! extra, zero missing), in order, with every field.

use std::path::PathBuf;

use cookie_audit_declared::extract_declarations;
use cookie_audit_model::expiry::Expiry;
use cookie_audit_model::{DeclarationShape, DeclaredCookie, MentionKind};
use serde::Deserialize;

const DEFAULT_URL: &str = "https://council.example.gov.uk/cookies";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    url: Option<String>,
    tables: u32,
    cookies: Vec<ExpectedCookie>,
    prose_mentions: Vec<ExpectedMention>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct ExpectedCookie {
    name: String,
    pattern: bool,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    suspicious_name: bool,
    provider: Option<String>,
    domain: Option<String>,
    purpose: Option<String>,
    category: Option<String>,
    expiry: Option<Expiry>,
    table: u32,
    row: u32,
    shape: Option<DeclarationShape>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct ExpectedMention {
    term: String,
    kind: MentionKind,
}

pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/declared")
}

fn actual(c: &DeclaredCookie) -> ExpectedCookie {
    ExpectedCookie {
        name: c.name.clone(),
        pattern: c.pattern,
        glob: c.glob.clone(),
        suspicious_name: c.suspicious_name,
        provider: c.provider.clone(),
        domain: c.domain.clone(),
        purpose: c.purpose.clone(),
        category: c.category.clone(),
        expiry: c.expiry.clone(),
        table: c.source.table,
        row: c.source.row,
        shape: c.source.shape,
    }
}

/// Reads `fixture` (HTML) and compares what is extracted with `expected` (JSON).
fn check(fixture: &str, expected: &str) {
    let dir = testdata();
    let bytes = std::fs::read(dir.join(fixture)).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let html = String::from_utf8_lossy(&bytes);
    let text =
        std::fs::read_to_string(dir.join(expected)).unwrap_or_else(|e| panic!("{expected}: {e}"));
    let want: Expected = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{expected}: {e}"));
    let url = url::Url::parse(want.url.as_deref().unwrap_or(DEFAULT_URL)).expect("fixture URL");
    let page = extract_declarations(&html, &url);

    let got_names: Vec<&str> = page.cookies.iter().map(|c| c.name.as_str()).collect();
    let want_names: Vec<&str> = want.cookies.iter().map(|c| c.name.as_str()).collect();
    let extra: Vec<&&str> = got_names
        .iter()
        .filter(|n| !want_names.contains(n))
        .collect();
    let missing: Vec<&&str> = want_names
        .iter()
        .filter(|n| !got_names.contains(n))
        .collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{fixture}: extra names {extra:?}, missing names {missing:?}\nwarnings: {:#?}",
        page.warnings
    );
    assert_eq!(got_names, want_names, "{fixture}: names in order");
    for (got, want) in page.cookies.iter().zip(&want.cookies) {
        assert_eq!(&actual(got), want, "{fixture}: cookie `{}`", want.name);
        assert_eq!(got.source.url, url.as_str(), "{fixture}: source url");
    }
    assert_eq!(page.tables, want.tables, "{fixture}: tables");
    let mentions: Vec<ExpectedMention> = page
        .prose_mentions
        .iter()
        .map(|m| ExpectedMention {
            term: m.term.clone(),
            kind: m.kind,
        })
        .collect();
    assert_eq!(mentions, want.prose_mentions, "{fixture}: prose mentions");
    assert!(
        page.prose_mentions.iter().all(|m| m.url == url.as_str()),
        "{fixture}: mention urls"
    );
}

macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check(concat!($name, ".html"), concat!($name, ".json"));
            }
        )*

        /// Every fixture on disk has a test above.
        #[test]
        fn every_fixture_is_checked() {
            let listed = [$($name),*];
            let mut on_disk: Vec<String> = std::fs::read_dir(testdata())
                .expect("testdata/declared")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".html"))
                .map(|n| n.trim_end_matches(".html").to_string())
                .collect();
            on_disk.sort();
            for name in &on_disk {
                assert!(listed.contains(&name.as_str()), "{name}.html has no test");
            }
        }
    };
}

fixtures! {
    bold_first_row_caption => "bold_first_row_caption",
    category_overview_table => "category_overview_table",
    civic_cookie_control => "civic_cookie_control",
    cookiebot_declaration => "cookiebot_declaration",
    definition_list => "definition_list",
    details_accordions => "details_accordions",
    headerless_table => "headerless_table",
    headings_per_cookie => "headings_per_cookie",
    key_value_tables => "key_value_tables",
    label_value_runs => "label_value_runs",
    layout_table_nested => "layout_table_nested",
    list_items => "list_items",
    paragraph_lists => "paragraph_lists",
    malformed => "malformed",
    multi_name_pairing => "multi_name_pairing",
    name_and_cookie_columns => "name_and_cookie_columns",
    onetrust_cookie_list => "onetrust_cookie_list",
    patterns_and_type_column => "patterns_and_type_column",
    plugin_and_aria_markup => "plugin_and_aria_markup",
    prose_with_names => "prose_with_names",
    responsive_repeated_labels => "responsive_repeated_labels",
    row_header_names => "row_header_names",
    rowspan_groups => "rowspan_groups",
    seed000_barnet_2014 => "seed000_barnet_2014",
    seed001_barnet => "seed001_barnet",
    seed002_barnet_local_offer => "seed002_barnet_local_offer",
    seed003_barking_dagenham => "seed003_barking_dagenham",
    seed003_barking_dagenham_flattened => "seed003_barking_dagenham_flattened",
    seed004_buckinghamshire => "seed004_buckinghamshire",
    several_tables_by_category => "several_tables_by_category",
}
