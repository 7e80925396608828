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
    // A long value never survives redaction, unless the name or an attribute repeats it (as
    // redaction prints them: control characters replaced).
    let printable = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() && c != '\t' { '\u{FFFD}' } else { c })
            .collect()
    };
    let pair_end = line.find(';').unwrap_or(line.len());
    let name_part = printable(&line[..line[..pair_end].find('=').unwrap_or(0)]);
    let attributes = printable(&line[pair_end..]);
    if record.value.len() >= 16
        && !name_part.contains(&record.value)
        && !attributes.contains(&record.value)
        && !record.value.contains("redacted")
    {
        assert!(!redacted.contains(&record.value), "{redacted:?}");
    }
    let value = CookieValue::new(&record.value, false);
    assert!(value.value.is_none());
});
