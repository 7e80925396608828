//! A cookie as a jar holds it — what the engines predict, what Chromium has — and when two jars
//! agree.

use chrono::{DateTime, Utc};
use cookie_audit_model::set_cookie::{CookieRecord, SameSite};
use serde_json::Value;

/// A cookie in a jar, in the parser's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Kept {
    pub name: String,
    pub value: String,
    pub domain: String,
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: Option<&'static str>,
    /// Unix seconds; `None` for a session cookie.
    pub expires_at: Option<i64>,
}

impl Kept {
    /// What a browser stores for a recorded line: nothing when it is refused or deletes.
    pub(crate) fn from_record(record: &CookieRecord, received_at: DateTime<Utc>) -> Option<Kept> {
        if record.rejected.is_some() || record.lifetime.is_deletion() {
            return None;
        }
        let lifetime = record
            .lifetime
            .browser_capped_seconds
            .or(record.lifetime.seconds);
        Some(Kept {
            name: record.name.clone(),
            value: record.value.clone(),
            domain: record.domain.clone(),
            host_only: record.host_only,
            path: record.path.clone(),
            secure: record.secure,
            http_only: record.http_only,
            same_site: record.same_site.map(|s| match s {
                SameSite::Strict => "Strict",
                SameSite::Lax => "Lax",
                SameSite::None => "None",
            }),
            expires_at: lifetime.map(|s| received_at.timestamp().saturating_add(s)),
        })
    }

    /// A cookie of `Storage.getCookies`, as DevTools describes it.
    pub(crate) fn from_devtools(cookie: &Value) -> Kept {
        let text = |key: &str| {
            cookie
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let flag = |key: &str| cookie.get(key).and_then(Value::as_bool).unwrap_or(false);
        let domain = text("domain");
        let session = cookie
            .get("session")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        Kept {
            name: text("name"),
            value: text("value"),
            host_only: !domain.starts_with('.'),
            domain: domain.trim_start_matches('.').to_string(),
            path: text("path"),
            secure: flag("secure"),
            http_only: flag("httpOnly"),
            same_site: match cookie.get("sameSite").and_then(Value::as_str) {
                Some("Strict") => Some("Strict"),
                Some("Lax") => Some("Lax"),
                Some("None") => Some("None"),
                _ => None,
            },
            expires_at: (!session)
                .then(|| cookie.get("expires").and_then(Value::as_f64))
                .flatten()
                .map(|e| e as i64),
        }
    }

    /// Without U+FFFD: a byte that is not UTF-8 is U+FFFD in our strings (the engines read
    /// header bytes so) and missing from DevTools' (which drops it, or writes a lone surrogate
    /// the tap reads as U+FFFD), so the rest must match.
    fn shown(&self) -> Kept {
        let bare = |s: &str| s.replace('\u{fffd}', "");
        Kept {
            name: bare(&self.name),
            value: bare(&self.value),
            path: bare(&self.path),
            ..self.clone()
        }
    }

    fn sort_key(&self) -> (String, String, String) {
        let shown = self.shown();
        (shown.name, shown.domain, shown.path)
    }
}

/// Equal, the expiry within a minute (the engines and Chromium read the clock at different
/// moments).
pub(crate) fn agree(ours: &Kept, chromium: &Kept) -> bool {
    let (ours, chromium) = (ours.shown(), chromium.shown());
    let expiry = match (ours.expires_at, chromium.expires_at) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= 60,
        _ => false,
    };
    expiry
        && Kept {
            expires_at: None,
            ..ours
        } == Kept {
            expires_at: None,
            ..chromium
        }
}

/// The same cookies, each agreeing with its counterpart.
pub(crate) fn same_jar(ours: &[Kept], chromium: &[Kept]) -> bool {
    let sorted = |jar: &[Kept]| {
        let mut jar = jar.to_vec();
        jar.sort_by_key(Kept::sort_key);
        jar
    };
    let (ours, chromium) = (sorted(ours), sorted(chromium));
    ours.len() == chromium.len() && ours.iter().zip(&chromium).all(|(a, b)| agree(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cookie(name: &str, value: &str) -> Kept {
        Kept {
            name: name.into(),
            value: value.into(),
            domain: "www.a.test".into(),
            host_only: true,
            path: "/".into(),
            secure: false,
            http_only: false,
            same_site: None,
            expires_at: Some(1_000),
        }
    }

    #[test]
    fn jars_agree_in_any_order_with_the_expiry_within_a_minute() {
        let ours = [cookie("a", "1"), cookie("b", "caf\u{fffd}")];
        let mut later = cookie("a", "1");
        later.expires_at = Some(1_059);
        assert!(same_jar(&ours, &[cookie("b", "caf"), later.clone()]));
        later.expires_at = Some(1_061);
        assert!(!same_jar(&ours, &[cookie("b", "caf"), later]));
        assert!(!same_jar(&ours, &[cookie("a", "1")]));
        assert!(!same_jar(&ours, &[cookie("a", "1"), cookie("b", "cafe")]));
    }

    #[test]
    fn devtools_cookies_read_domain_form_and_session() {
        let kept = Kept::from_devtools(&json!({
            "name": "a", "value": "1", "domain": ".odd.gov.uk", "path": "/c",
            "expires": 2.5e9, "session": false, "secure": true, "httpOnly": false, "sameSite": "Lax"
        }));
        assert_eq!(
            (
                kept.domain.as_str(),
                kept.host_only,
                kept.expires_at,
                kept.same_site
            ),
            ("odd.gov.uk", false, Some(2_500_000_000), Some("Lax"))
        );
        let session = Kept::from_devtools(
            &json!({"name": "s", "domain": "h", "expires": -1, "session": true}),
        );
        assert_eq!((session.host_only, session.expires_at), (true, None));
    }
}
