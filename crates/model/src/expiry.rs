//! The one parser for human expiry text ("Persistent. 50 years.", "1 year, 11 months and 29
//! days", "At end of session") and its inverse, [`describe_seconds`].
//!
//! Conventions (documented in docs/declared.md): a year is 365 days and a month 30 days — tables
//! mean calendar spans loosely and the diff compares with a 1.5× tolerance, so the error of this
//! simplification (at most ~1.5%) never decides a finding. A range ("1-2 years", "up to 2 years or
//! 13 months") resolves to its largest duration, so a table is not blamed for the upper bound it
//! did state. Unparseable text keeps `text` with `session`/`seconds` null; this never fails.

use serde::{Deserialize, Serialize};

/// 60: every lifetime in the model is counted in seconds, declared or observed.
pub const SECONDS_PER_MINUTE: i64 = 60;
/// 3,600: an hour in seconds.
pub const SECONDS_PER_HOUR: i64 = 60 * SECONDS_PER_MINUTE;
/// 86,400: a day in seconds, as `Max-Age` counts it (no leap seconds, no clock changes).
pub const SECONDS_PER_DAY: i64 = 24 * SECONDS_PER_HOUR;
/// 604,800: a week of seven days in seconds.
pub const SECONDS_PER_WEEK: i64 = 7 * SECONDS_PER_DAY;
/// A month in expiry text is 30 days.
pub const SECONDS_PER_MONTH: i64 = 30 * SECONDS_PER_DAY;
/// A year in expiry text is 365 days.
pub const SECONDS_PER_YEAR: i64 = 365 * SECONDS_PER_DAY;

/// What a declaration says about a cookie's lifetime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Expiry {
    /// The text as published, whitespace collapsed.
    pub text: String,
    /// `true` for a session cookie, `false` for a persistent one, `null` when the text does not say.
    pub session: Option<bool>,
    /// The declared lifetime in seconds when the text gives one.
    pub seconds: Option<i64>,
}

/// Parses expiry text. Never fails: what it cannot read stays as text with nulls.
pub fn parse_expiry_text(text: &str) -> Expiry {
    let text = collapse_whitespace(text);
    let lower = text.to_lowercase();
    let seconds = parse_duration_words(&lower);
    let says_session = mentions_session(&lower);
    let says_never = mentions_never(&lower);
    let says_persistent = lower.contains("persistent")
        && !lower.contains("non-persistent")
        && !lower.contains("non persistent")
        && !lower.contains("not persistent");

    let (session, seconds) = match (seconds, says_session, says_never) {
        // "Session / 30 minutes of inactivity" and similar: a duration tied to a session word
        // describes the session, not a stored lifetime.
        (Some(_), true, _)
            if lower.contains("inactiv") || lower.contains("idle") || lower.contains("timeout") =>
        {
            (Some(true), None)
        }
        (Some(secs), _, _) => (Some(false), Some(secs)),
        (None, _, true) => (Some(false), None),
        (None, true, _) => (Some(true), None),
        (None, false, false) if says_persistent || vague_duration(&lower) => (Some(false), None),
        (None, false, false) => (None, None),
    };
    Expiry {
        text,
        session,
        seconds,
    }
}

/// Describes a lifetime in words, the way a cookie table would: "2 years", "1 year 1 month",
/// "30 minutes", "session" is the caller's business. Uses the same 365/30-day conventions so that
/// `parse_expiry_text(describe_seconds(n))` gives `n` back for whole units.
pub fn describe_seconds(seconds: i64) -> String {
    if seconds <= 0 {
        return "expires immediately".to_string();
    }
    let units: [(i64, &str); 6] = [
        (SECONDS_PER_YEAR, "year"),
        (SECONDS_PER_MONTH, "month"),
        (SECONDS_PER_DAY, "day"),
        (SECONDS_PER_HOUR, "hour"),
        (SECONDS_PER_MINUTE, "minute"),
        (1, "second"),
    ];
    let mut rest = seconds;
    let mut parts = Vec::new();
    for (size, name) in units {
        if rest >= size {
            let n = rest / size;
            rest %= size;
            parts.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
        // Two units are precise enough for a cookie table ("1 year 1 month").
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

/// "A few seconds", "several days": a persistent cookie whose length the text does not give.
/// Guessing a number would turn the vagueness into a false "wrong expiry" finding.
fn vague_duration(lower: &str) -> bool {
    tokenize(lower).windows(2).any(|pair| {
        matches!(pair, [Token::Word("few" | "several" | "some"), Token::Word(unit)]
            if unit.len() > 1 && unit_seconds(unit).is_some())
    })
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn mentions_session(lower: &str) -> bool {
    const SESSION_PHRASES: &[&str] = &[
        "session",
        "non-persistent",
        "non persistent",
        "not persistent",
        "close your browser",
        "close the browser",
        "browser is closed",
        "browser closes",
        "closing the browser",
        "closing your browser",
        "leave the site",
        "leave the website",
        "end of your visit",
        "end of the visit",
        "until you close",
        "browser close",
        "browser session",
        "end of session",
    ];
    SESSION_PHRASES.iter().any(|p| lower.contains(p))
}

fn mentions_never(lower: &str) -> bool {
    const NEVER_PHRASES: &[&str] = &[
        "never",
        "does not expire",
        "doesn't expire",
        "do not expire",
        "no expiry",
        "no expiration",
        "indefinite",
        "permanent",
        "forever",
    ];
    NEVER_PHRASES.iter().any(|p| lower.contains(p))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    Number(f64),
    Word(&'a str),
    /// A bracket, slash or semicolon: what follows restates or adds an alternative ("2 years
    /// (730 days)", "24 hours / 1 day"), so it starts a new duration instead of adding up.
    Break,
}

fn tokenize(lower: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || (bytes[i] == b',' && lookahead_thousands(bytes, i)))
            {
                i += 1;
            }
            // A decimal part: "1.5 years". A full stop followed by a space ends a sentence.
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let digits: String = lower[start..i].chars().filter(|c| *c != ',').collect();
            if let Ok(n) = digits.parse::<f64>() {
                tokens.push(Token::Number(n));
            }
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            tokens.push(Token::Word(&lower[start..i]));
        } else {
            if matches!(c, b'(' | b')' | b'[' | b']' | b'/' | b';' | b'|') {
                tokens.push(Token::Break);
            }
            i += 1;
        }
    }
    tokens
}

/// `1,000 days`: a comma followed by exactly three digits is a thousands separator.
fn lookahead_thousands(bytes: &[u8], comma: usize) -> bool {
    bytes.len() >= comma + 4
        && bytes[comma + 1..comma + 4].iter().all(u8::is_ascii_digit)
        && bytes.get(comma + 4).is_none_or(|b| !b.is_ascii_digit())
}

fn number_word(word: &str) -> Option<f64> {
    Some(match word {
        "a" | "an" | "one" | "single" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "eleven" => 11.0,
        "twelve" => 12.0,
        "thirteen" => 13.0,
        "fourteen" => 14.0,
        "fifteen" => 15.0,
        "sixteen" => 16.0,
        "seventeen" => 17.0,
        "eighteen" => 18.0,
        "nineteen" => 19.0,
        "twenty" => 20.0,
        "thirty" => 30.0,
        "forty" => 40.0,
        "fifty" => 50.0,
        "sixty" => 60.0,
        "ninety" => 90.0,
        "hundred" => 100.0,
        "half" => 0.5,
        "quarter" => 0.25,
        "couple" => 2.0,
        _ => return None,
    })
}

fn unit_seconds(word: &str) -> Option<i64> {
    Some(match word {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => SECONDS_PER_MINUTE,
        "h" | "hr" | "hrs" | "hour" | "hours" => SECONDS_PER_HOUR,
        "d" | "day" | "days" => SECONDS_PER_DAY,
        "w" | "wk" | "wks" | "week" | "weeks" => SECONDS_PER_WEEK,
        "fortnight" | "fortnights" => 2 * SECONDS_PER_WEEK,
        "mo" | "mos" | "mth" | "mths" | "month" | "months" => SECONDS_PER_MONTH,
        "y" | "yr" | "yrs" | "year" | "years" => SECONDS_PER_YEAR,
        _ => return None,
    })
}

/// Finds `<number> <unit>` pairs. Pairs with descending units add up ("1 year, 11 months and 29
/// days"); a unit as large as or larger than the previous one starts a new duration ("13 months
/// or 2 years"), and the largest duration wins.
fn parse_duration_words(lower: &str) -> Option<i64> {
    let tokens = tokenize(lower);
    let mut durations: Vec<i64> = Vec::new();
    let mut current: Option<(i64, i64)> = None; // (sum, smallest unit so far)
    let mut pending_number: Option<f64> = None;
    // The pending number is a bare article ("a half hour", "a few days"): it gives way to the
    // number word that follows instead of adding to it.
    let mut pending_is_article = false;
    // The last word was "half", "quarter" or "couple", which an "of" may follow.
    let mut of_may_follow = false;
    for token in tokens {
        let article_before = std::mem::take(&mut pending_is_article);
        let of_allowed = std::mem::take(&mut of_may_follow);
        match token {
            Token::Break => {
                if let Some((sum, _)) = current.take() {
                    durations.push(sum);
                }
                pending_number = None;
            }
            Token::Number(n) => pending_number = Some(n),
            Token::Word(w) => {
                if let Some(n) = number_word(w) {
                    // "twenty four hours", "a half hour" are rare; "one and a half years" even
                    // rarer. Adding a units word to a tens word covers "twenty four".
                    pending_number = match (pending_number, n) {
                        (Some(tens), units)
                            if tens >= 20.0
                                && (1.0..10.0).contains(&units)
                                && tens % 10.0 == 0.0 =>
                        {
                            Some(tens + units)
                        }
                        // "two hundred days".
                        (Some(k), hundred) if w == "hundred" && k < 10.0 => Some(k * hundred),
                        // "a half hour", "a quarter of an hour", "a few days".
                        (Some(_), n) if article_before => Some(n),
                        // "one and a half years": the half adds to the whole number.
                        (Some(whole), half) if w == "half" && whole >= 1.0 => Some(whole + half),
                        // "half an hour", "one and a half": the article belongs to what is
                        // already there, not a new number.
                        (Some(kept), _) if matches!(w, "a" | "an") => Some(kept),
                        (None, _) if matches!(w, "a" | "an") => {
                            pending_is_article = true;
                            Some(n)
                        }
                        _ => Some(n),
                    };
                    of_may_follow = matches!(w, "half" | "quarter" | "couple");
                } else if let Some(unit) = unit_seconds(w) {
                    // A bare single-letter unit only counts right after a number ("24h", "30 d"),
                    // so the "s" of "it's" or the "a" of prose never becomes a duration.
                    if let Some(n) = pending_number.take() {
                        // `as` saturates, and so does the sum: "9999999999999999 years 1 hour"
                        // is absurd text, not a reason to overflow (found by fuzzing).
                        let secs = (n * unit as f64).round() as i64;
                        current = match current {
                            Some((sum, smallest)) if unit < smallest => {
                                Some((sum.saturating_add(secs), unit))
                            }
                            Some((sum, _)) => {
                                durations.push(sum);
                                Some((secs, unit))
                            }
                            None => Some((secs, unit)),
                        };
                    }
                } else if w == "of" && of_allowed {
                    // "a quarter of an hour", "a couple of days": the number carries over.
                } else if !matches!(w, "and" | "plus") {
                    // A number followed by another word is not a duration ("UA-625217-47 is").
                    // Words between pairs keep the duration open: "1 year, 11 months".
                    pending_number = None;
                }
            }
        }
    }
    if let Some((sum, _)) = current {
        durations.push(sum);
    }
    durations.into_iter().filter(|d| *d > 0).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, session: Option<bool>, seconds: Option<i64>) {
        let e = parse_expiry_text(text);
        assert_eq!((e.session, e.seconds), (session, seconds), "for {text:?}");
    }

    const D: i64 = SECONDS_PER_DAY;
    const M: i64 = SECONDS_PER_MONTH;
    const Y: i64 = SECONDS_PER_YEAR;

    #[test]
    fn session_phrases() {
        for text in [
            "Session",
            "Session.",
            "Non-persistent",
            "At end of session",
            "when you close your browser",
            "Session cookie",
            "Expires when the browser is closed",
        ] {
            check(text, Some(true), None);
        }
    }

    #[test]
    fn persistent_without_duration() {
        check("Persistent", Some(false), None);
        check("Never", Some(false), None);
        check("does not expire", Some(false), None);
    }

    #[test]
    fn durations_from_the_seeds_and_the_issue() {
        check("Persistent. 50 years.", Some(false), Some(50 * Y));
        check("Persistent. 1 minute.", Some(false), Some(60));
        check(
            "1 year, 11 months and 29 days",
            Some(false),
            Some(Y + 11 * M + 29 * D),
        );
        check("2 months and 25 days", Some(false), Some(2 * M + 25 * D));
        check("24 hours", Some(false), Some(D));
        check("1 minute", Some(false), Some(60));
        check("365 days", Some(false), Some(365 * D));
        check("13 months", Some(false), Some(13 * M));
        check("one year", Some(false), Some(Y));
        check("six months", Some(false), Some(6 * M));
        check("1 year 1 month 4 days", Some(false), Some(Y + M + 4 * D));
        check("1,000 days", Some(false), Some(1000 * D));
        check("1000 days", Some(false), Some(1000 * D));
        check("24h", Some(false), Some(D));
        check("1.5 years", Some(false), Some(Y + Y / 2));
        check("twenty four hours", Some(false), Some(D));
    }

    #[test]
    fn ranges_take_the_largest() {
        check("1-2 years", Some(false), Some(2 * Y));
        check("13 months or 2 years", Some(false), Some(2 * Y));
        check("up to 30 days", Some(false), Some(30 * D));
    }

    #[test]
    fn restatements_in_brackets_do_not_add_up() {
        check("2 years (730 days)", Some(false), Some(2 * Y));
        check("13 months (400 days)", Some(false), Some(400 * D));
        check("24 hours / 1 day", Some(false), Some(D));
        check("30 minutes; 2 years", Some(false), Some(2 * Y));
    }

    #[test]
    fn halves() {
        check("half an hour", Some(false), Some(30 * 60));
        check("a half hour", Some(false), Some(30 * 60));
        check("a quarter of an hour", Some(false), Some(15 * 60));
        check("a couple of days", Some(false), Some(2 * D));
        check("a fortnight", Some(false), Some(14 * D));
        check("two hundred days", Some(false), Some(200 * D));
        check("two and a half years", Some(false), Some(2 * Y + Y / 2));
        check("one and a half years", Some(false), Some(Y + Y / 2));
        check("1.5 years", Some(false), Some(Y + Y / 2));
    }

    #[test]
    fn consent_platform_wording() {
        // OneTrust lifespans, Cookiebot storage durations, Civic's defaults.
        check("730 Days", Some(false), Some(730 * D));
        check("1 Day", Some(false), Some(D));
        check("Session", Some(true), None);
        // Persistent, for a length the text does not give.
        check("A few seconds", Some(false), None);
        check("several days", Some(false), None);
        check("Persistent - 2 years", Some(false), Some(2 * Y));
        check("Expires after 1 year", Some(false), Some(Y));
        check("90 days from set/update", Some(false), Some(90 * D));
        check("Forever", Some(false), None);
        check("On browser close", Some(true), None);
        check("End of browser session", Some(true), None);
        check("Session (30 minute timeout)", Some(true), None);
    }

    #[test]
    fn unparseable_keeps_text() {
        let e = parse_expiry_text("  See  the provider's   site ");
        assert_eq!(e.text, "See the provider's site");
        assert_eq!((e.session, e.seconds), (None, None));
        check("", None, None);
        check("It's set", None, None);
    }

    #[test]
    fn fuzz_overflow_huge_durations_saturate() {
        // The fuzzer's input: a sum of two durations past i64::MAX panicked with overflow.
        let e = parse_expiry_text(",999999e9999999999999999y9999`9]\u{e7}h");
        assert_eq!(e.seconds, Some(i64::MAX));
        check(
            "9999999999999999999 years 1 hour",
            Some(false),
            Some(i64::MAX),
        );
    }

    #[test]
    fn describe_round_trips_whole_units() {
        for secs in [60, D, 30 * D, 2 * Y, Y + M, 50 * Y, 90 * 60] {
            let words = describe_seconds(secs);
            assert_eq!(parse_expiry_text(&words).seconds, Some(secs), "{words}");
        }
        assert_eq!(describe_seconds(2 * Y), "2 years");
        assert_eq!(describe_seconds(Y + M + 3 * D), "1 year 1 month");
        assert_eq!(describe_seconds(0), "expires immediately");
    }
}
