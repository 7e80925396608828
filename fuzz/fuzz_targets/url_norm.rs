//! The URL normaliser: never a panic, and what it returns is normal — crawlable, without a
//! fragment, and a fixed point (normalising or re-resolving it changes nothing).
#![no_main]

use cookie_audit_model::url_norm::{host_of, normalize, parse_start_url, resolve_link};
use libfuzzer_sys::fuzz_target;
use url::Url;

fn check(url: &Url) {
    assert!(matches!(url.scheme(), "http" | "https"), "{url}");
    assert!(url.fragment().is_none(), "{url}");
    assert!(!host_of(url).is_empty(), "{url}");
    assert_eq!(&normalize(url.clone()), url);
    let reparsed = Url::parse(url.as_str()).expect("a normalised URL parses again");
    assert_eq!(&normalize(reparsed), url, "serialising and parsing again changed it");
    assert_eq!(resolve_link(url, url.as_str()).as_ref(), Ok(url));
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (base, href) = text.split_once('\n').unwrap_or(("https://www.barnet.gov.uk/a/b", &text));
    if let Ok(start) = parse_start_url(href) {
        check(&start);
    }
    let Ok(base) = Url::parse(base) else { return };
    if let Ok(url) = resolve_link(&base, href) {
        check(&url);
    }
});
