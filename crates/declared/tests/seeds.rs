//! The fixtures built from the seeds say what the seeds say: every name read from a fixture is
//! a name in the seed's own text (`<root>/../shared/seeds`), and none of the seed's is missing.
//! The seeds are at `../shared` for every developer and CI run (its README): a missing seed fails
//! the test, never skips it.

use std::path::PathBuf;

use cookie_audit_declared::extract_declarations;

fn seed(prefix: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    let entry = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the seeds at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no seed {prefix}… in {}", dir.display()));
    std::fs::read_to_string(entry.path())
        .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()))
}

fn names_of(fixture: &str) -> Vec<String> {
    let html = std::fs::read_to_string(crate::fixtures::testdata().join(fixture)).expect("fixture");
    let url = url::Url::parse("https://council.example.gov.uk/").expect("valid URL");
    extract_declarations(&html, &url)
        .cookies
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// Barnet today: the table is "Used for | Name | Domain", one cell per line ending in " |".
#[test]
fn seed_001_names() {
    let text = seed("001_");
    let start = text.find("The cookies we use\n").expect("table start");
    let end = text.find("Computer viruses").expect("table end");
    let cells: Vec<&str> = text[start..end]
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .skip(4) // header row and its separator
        .map(|l| l.trim().trim_end_matches('|').trim())
        .collect();
    let want: Vec<String> = cells
        .chunks(3)
        .map(|row| row[1].trim_end_matches('.').to_string())
        .collect();
    assert_eq!(want.len(), 42);
    assert_eq!(names_of("seed001_barnet.html"), want);
}

/// Barking & Dagenham: every name read is a paragraph of the seed's table, in order.
#[test]
fn seed_003_names() {
    let text = seed("003_");
    let start = text.find("Expiry period\n").expect("table start");
    let end = text.find("Contact us").expect("table end");
    let paragraphs: Vec<&str> = text[start..end].split("\n\n").map(str::trim).collect();
    for fixture in [
        "seed003_barking_dagenham.html",
        "seed003_barking_dagenham_flattened.html",
    ] {
        let names = names_of(fixture);
        assert_eq!(names.len(), 32, "{fixture}");
        let mut at = 0;
        for name in &names {
            let found = paragraphs[at..]
                .iter()
                .position(|p| p == name)
                .unwrap_or_else(|| {
                    panic!("{fixture}: `{name}` is not in the seed after paragraph {at}")
                });
            at += found + 1;
        }
    }
}

/// Barnet 2014: the names of its table, two to a cell for the Google Analytics rows.
#[test]
fn seed_000_names() {
    let text = seed("000_");
    let names = names_of("seed000_barnet_2014.html");
    assert_eq!(
        names,
        [
            "TestCookie",
            "PHPSESSID",
            "nmstat",
            "_utma",
            "_utmz",
            "_utmb",
            "_utmc"
        ]
    );
    for name in &names {
        assert!(text.contains(name.as_str()), "`{name}` is not in the seed");
    }
}

/// The prose-only seeds declare nothing.
#[test]
fn prose_seeds_declare_nothing() {
    for (prefix, fixture) in [
        ("002_", "seed002_barnet_local_offer.html"),
        ("004_", "seed004_buckinghamshire.html"),
    ] {
        let text = seed(prefix);
        assert!(!text.is_empty(), "{prefix}");
        assert!(names_of(fixture).is_empty(), "{fixture}");
    }
}
