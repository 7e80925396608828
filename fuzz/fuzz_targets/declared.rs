//! The declared-table extractor on arbitrary HTML: never a panic, never a failure.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let url = Url::parse("https://www.exampleshire.gov.uk/cookies").unwrap();
    let extraction = cookie_audit_declared::extract_declarations(&html, &url);
    for cookie in &extraction.cookies {
        assert!(!cookie.name.is_empty());
        assert_eq!(cookie.source.url, url.as_str());
    }
});
