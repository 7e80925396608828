//! The expiry-text parser and its inverse: never a panic, no overflow, and whole units come back.
#![no_main]

use cookie_audit_model::expiry::{describe_seconds, parse_expiry_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let expiry = parse_expiry_text(&text);
    if let Some(seconds) = expiry.seconds {
        assert!(seconds > 0);
        assert_eq!(expiry.session, Some(false));
        let words = describe_seconds(seconds);
        let _ = parse_expiry_text(&words);
    }
    assert!(!expiry.text.starts_with(char::is_whitespace));
    if data.len() >= 8 {
        let n = i64::from_le_bytes(data[..8].try_into().unwrap());
        let _ = describe_seconds(n);
    }
});
