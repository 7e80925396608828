//! The Set-Cookie parser, the cookie-date parser and the redaction of raw lines: never a panic,
//! and what they return keeps its invariants.
#![no_main]

use chrono::{TimeZone, Utc};
use cookie_audit_model::cookie_date::parse_cookie_date;
use cookie_audit_model::redact::{CookieValue, redact_set_cookie_line};
use cookie_audit_model::set_cookie::{MAX_NAME_VALUE_BYTES, SetCookieContext, interpret_set_cookie};
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Origins with different rules: https, http, an IP, a public-suffix host, localhost.
const ORIGINS: [&str; 5] = [
    "https://www.barnet.gov.uk/council/index.html",
    "http://www.exampleshire.gov.uk/",
    "http://127.0.0.1:8080/a/b",
    "https://gov.uk/",
    "http://localhost/x",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let line = String::from_utf8_lossy(rest);
    let url = Url::parse(ORIGINS[selector as usize % ORIGINS.len()]).unwrap();
    let date = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let ctx = SetCookieContext {
        request_url: &url,
        server_date: (selector & 0x80 != 0).then_some(date),
        received_at: date,
    };
    let record = interpret_set_cookie(&line, &ctx);
    if record.rejected.is_none() {
        assert!(record.name.len() + record.value.len() <= MAX_NAME_VALUE_BYTES);
        assert!(!record.name.is_empty() || !record.value.is_empty());
    }
    assert!(record.path.starts_with('/'));
    if let Some(seconds) = record.lifetime.seconds {
        assert!(seconds >= 0);
        assert!(!record.lifetime.session);
    }
    let _ = parse_cookie_date(&line);
    let redacted = redact_set_cookie_line(&line, false);
    assert!(!redacted.chars().any(|c| c.is_control() && c != '\t'));
    // Redaction keeps the name and replaces the value by its length: the pair reads exactly
    // `name=<redacted N bytes>` (or a prefix of it, cut at 300 bytes), whatever the value held.
    let printable = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() && c != '\t' { '\u{FFFD}' } else { c })
            .collect()
    };
    let pair = printable(&line[..line.find(';').unwrap_or(line.len())]);
    let expected = match pair.find('=') {
        Some(eq) => format!("{}=<redacted {} bytes>", &pair[..eq], pair[eq + 1..].trim().len()),
        None => format!("<redacted {} bytes>", pair.trim().len()),
    };
    let redacted_pair = &redacted[..redacted.find(';').unwrap_or(redacted.len())];
    assert!(
        redacted_pair == expected
            || (redacted_pair.ends_with('…')
                && expected.starts_with(redacted_pair.trim_end_matches('…'))),
        "{redacted_pair:?} is not {expected:?}"
    );
    let value = CookieValue::new(&record.value, false);
    assert!(value.value.is_none());
});
