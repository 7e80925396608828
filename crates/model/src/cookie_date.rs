//! The cookie-date algorithm of RFC 6265 §5.1.1, which browsers use for `Expires`.
//!
//! It is deliberately lenient ("Wed, 09-Jun-2021 10:18:14 GMT", "Thu, 1 Jan 70 00:00:00") and
//! never fails loudly: an unreadable date means the attribute is ignored, as a browser does.

use chrono::{DateTime, NaiveDate, Utc};

/// Parses a cookie date. `None` when the text is not a date a browser would accept.
pub fn parse_cookie_date(text: &str) -> Option<DateTime<Utc>> {
    let mut time: Option<(u32, u32, u32)> = None;
    let mut day: Option<u32> = None;
    let mut month: Option<u32> = None;
    let mut year: Option<i32> = None;

    for token in text.split(is_delimiter).filter(|t| !t.is_empty()) {
        if time.is_none()
            && let Some(t) = parse_time(token)
        {
            time = Some(t);
            continue;
        }
        if day.is_none()
            && let Some(d) = leading_digits(token, 1, 2)
        {
            day = Some(d as u32);
            continue;
        }
        if month.is_none()
            && let Some(m) = parse_month(token)
        {
            month = Some(m);
            continue;
        }
        if year.is_none()
            // Chromium reads up to five digits (RFC 6265: four) and saturates the year below.
            && let Some(y) = leading_digits(token, 2, 5)
        {
            year = Some(y as i32);
            continue;
        }
    }

    let (hour, minute, second) = time?;
    let day = day?;
    let month = month?;
    let mut year = year?;
    if (70..=99).contains(&year) {
        year += 1900;
    } else if (0..=69).contains(&year) {
        year += 2000;
    }
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // RFC 6265 ignores a year before 1601; Chromium saturates instead, so "1600" is a date in
    // the past (the cookie is deleted) and "10000" one far ahead (then capped at 400 days).
    // Checked against Chromium in the browser crate's agreement test.
    if year < 1601 {
        return Some(DateTime::from_naive_utc_and_offset(
            NaiveDate::from_ymd_opt(1601, 1, 1)?.and_hms_opt(0, 0, 0)?,
            Utc,
        ));
    }
    if year > 9999 {
        return Some(DateTime::from_naive_utc_and_offset(
            NaiveDate::from_ymd_opt(9999, 12, 31)?.and_hms_opt(23, 59, 59)?,
            Utc,
        ));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let naive = date.and_hms_opt(hour, minute, second)?;
    Some(DateTime::from_naive_utc_and_offset(naive, Utc))
}

/// delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E
fn is_delimiter(c: char) -> bool {
    matches!(c, '\x09' | '\x20'..='\x2F' | '\x3B'..='\x40' | '\x5B'..='\x60' | '\x7B'..='\x7E')
}

/// `min..=max` digits at the start of the token, followed by anything that is not a digit.
fn leading_digits(token: &str, min: usize, max: usize) -> Option<u64> {
    let digits = token.bytes().take_while(u8::is_ascii_digit).count();
    if digits < min || digits > max {
        return None;
    }
    token[..digits].parse().ok()
}

/// hms-time = time-field ":" time-field ":" time-field, each 1*2DIGIT; trailing non-digits allowed.
fn parse_time(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.splitn(3, ':');
    let h = parts.next()?;
    let m = parts.next()?;
    let s = parts.next()?;
    let field = |f: &str, allow_trailing: bool| -> Option<u32> {
        let digits = f.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 2 || (!allow_trailing && digits != f.len()) {
            return None;
        }
        f[..digits].parse().ok()
    };
    Some((field(h, false)?, field(m, false)?, field(s, true)?))
}

fn parse_month(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let prefix = token.get(..3)?.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == prefix)
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Option<i64> {
        parse_cookie_date(text).map(|d| d.timestamp())
    }

    #[test]
    fn common_formats() {
        assert_eq!(ts("Wed, 21 Oct 2015 07:28:00 GMT"), Some(1445412480));
        assert_eq!(ts("Wed, 21-Oct-2015 07:28:00 GMT"), Some(1445412480));
        assert_eq!(ts("Wednesday, 21-Oct-15 07:28:00 GMT"), Some(1445412480));
        assert_eq!(ts("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(ts("Thu Jan 01 1970 00:00:01 GMT+0000"), Some(1));
    }

    #[test]
    fn years_out_of_range_saturate_as_in_chromium() {
        let earliest = ts("Mon, 01 Jan 1601 00:00:00 GMT").unwrap();
        assert_eq!(ts("Wed, 21 Oct 1500 07:28:00 GMT"), Some(earliest));
        assert_eq!(ts("Wed, 21 Oct 100 07:28:00 GMT"), Some(earliest));
        let latest = ts("Fri, 31 Dec 9999 23:59:59 GMT").unwrap();
        assert_eq!(ts("Wed, 21 Oct 10000 07:28:00 GMT"), Some(latest));
        assert_eq!(ts("Wed, 21 Oct 99999 07:28:00 GMT"), Some(latest));
        // Six digits are not a year.
        assert_eq!(ts("Wed, 21 Oct 123456 07:28:00 GMT"), None);
    }

    #[test]
    fn invalid_dates_are_none() {
        assert_eq!(ts("tomorrow"), None);
        assert_eq!(ts(""), None);
        assert_eq!(ts("Wed, 31 Feb 2015 07:28:00 GMT"), None);
        assert_eq!(ts("Wed, 21 Oct 2015 25:28:00 GMT"), None);
    }
}
