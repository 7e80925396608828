//! Properties of the URL normaliser, over generated URLs and links: what it returns is crawlable,
//! has no fragment, a lower-case scheme and host and no default port, and normalising it again —
//! or serialising and parsing it again — changes nothing.

use proptest::prelude::*;
use url::Url;

use crate::url_norm::{normalize, parse_start_url, resolve_link};

fn scheme() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("http"),
        Just("HTTP"),
        Just("https"),
        Just("HtTpS"),
        Just("ftp"),
        Just("mailto"),
        Just("javascript"),
        Just("file"),
        Just("data")
    ]
    .prop_map(str::to_string)
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,10}(\\.[a-zA-Z][a-zA-Z0-9-]{0,10}){0,3}",
        Just("127.1".to_string()),
        Just("2130706433".to_string()),
        Just("0x7f.1".to_string()),
        Just("[::FFFF:127.0.0.1]".to_string()),
        Just("WWW.Barnet.GOV.uk".to_string()),
        Just("xn--bcher-kva.example".to_string()),
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(""),
        Just(":80"),
        Just(":443"),
        Just(":8080"),
        Just(":0")
    ]
    .prop_map(str::to_string)
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("."),
            Just(".."),
            Just("%7e"),
            Just("%7E"),
            Just("a b"),
            Just("caf\u{e9}"),
            Just(""),
            Just("x"),
            Just("index.html")
        ],
        0..5,
    )
    .prop_map(|segments| format!("/{}", segments.join("/")))
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![Just(""), Just("?"), Just("?a=1&b=2"), Just("?q=a%20b")].prop_map(str::to_string)
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![Just(""), Just("#"), Just("#top"), Just("#a#b")].prop_map(str::to_string)
}

fn absolute() -> impl Strategy<Value = String> {
    (scheme(), host(), port(), path(), query(), fragment())
        .prop_map(|(s, h, p, path, q, f)| format!("{s}://{h}{p}{path}{q}{f}"))
}

fn href() -> impl Strategy<Value = String> {
    prop_oneof![
        absolute(),
        (path(), query(), fragment()).prop_map(|(p, q, f)| format!("{p}{q}{f}")),
        (path(), query()).prop_map(|(p, q)| format!("..{p}{q}")),
        (host(), path()).prop_map(|(h, p)| format!("//{h}{p}")),
        "[ \\t\\n]{0,2}[a-z./?#=&%]{0,20}[ \\t\\n]{0,2}",
    ]
}

fn check_normal(url: &Url) -> Result<(), TestCaseError> {
    prop_assert!(matches!(url.scheme(), "http" | "https"), "{url}");
    prop_assert!(url.fragment().is_none(), "{url}");
    prop_assert_ne!(url.query(), Some(""), "{}", url);
    let host = url.host_str().unwrap_or_default();
    prop_assert!(!host.is_empty(), "{url}");
    prop_assert_eq!(host.to_string(), host.to_lowercase());
    if let Some(port) = url.port() {
        let default = if url.scheme() == "http" { 80 } else { 443 };
        prop_assert_ne!(port, default, "{}", url);
    }
    prop_assert_eq!(&normalize(url.clone()), url, "normalising twice changes it");
    let again = Url::parse(url.as_str()).expect("a normalised URL parses");
    prop_assert_eq!(&normalize(again), url, "serialising and parsing changes it");
    let resolved = resolve_link(url, url.as_str());
    prop_assert_eq!(resolved.as_ref(), Ok(url), "re-resolving it changes it");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn resolved_links_are_normal_and_idempotent(base in absolute(), href in href()) {
        if let Ok(base) = Url::parse(&base)
            && let Ok(url) = resolve_link(&base, &href)
        {
            check_normal(&url)?;
        }
    }

    #[test]
    fn start_urls_are_normal_and_idempotent(input in prop_oneof![absolute(), host()]) {
        if let Ok(url) = parse_start_url(&input) {
            check_normal(&url)?;
        }
    }

    #[test]
    fn only_http_and_https_are_ever_crawlable(s in scheme(), h in host(), p in path()) {
        let base = Url::parse("https://www.barnet.gov.uk/").unwrap();
        let result = resolve_link(&base, &format!("{s}://{h}{p}"));
        if !s.eq_ignore_ascii_case("http") && !s.eq_ignore_ascii_case("https") {
            prop_assert!(result.is_err(), "{s}: {result:?}");
        }
    }
}
