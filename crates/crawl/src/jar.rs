//! A browser-like cookie jar, so servers see a returning visitor (a consent banner's "seen"
//! cookie, a load balancer's affinity cookie). Recording never reads the jar: it works on raw
//! headers, so cookies the jar refuses are still reported.

use std::sync::Mutex;

use cookie_audit_model::set_cookie::{SetCookieContext, interpret_set_cookie};
use cookie_store::CookieStore;
use url::Url;

#[derive(Debug)]
pub struct Jar {
    store: Mutex<CookieStore>,
}

impl Default for Jar {
    fn default() -> Self {
        Jar::new()
    }
}

impl Jar {
    /// A jar using the same compiled-in public-suffix list as the party check.
    pub fn new() -> Jar {
        let list = cookie_audit_model::domain::public_suffix_list().clone();
        Jar {
            store: Mutex::new(CookieStore::new_with_public_suffix(Some(list))),
        }
    }

    /// Stores what a browser would store from these `Set-Cookie` lines.
    pub fn store(&self, url: &Url, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let ctx = SetCookieContext {
            request_url: url,
            server_date: None,
            received_at: chrono::Utc::now(),
        };
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        for line in lines {
            // The one parser decides what a browser refuses; cookie_store's own is laxer (it
            // keeps a control character, which then fails every later request to the site).
            if interpret_set_cookie(line, &ctx).rejected.is_some() {
                continue;
            }
            // cookie_store may still refuse one; the recorder reports from the raw lines anyway.
            let _ = store.parse(line, url);
        }
    }

    /// The `Cookie` header a browser would send to `url`.
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let pairs: Vec<String> = store
            .get_request_values(url)
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_back_what_it_stored_and_refuses_public_suffixes() {
        let jar = Jar::new();
        let url = Url::parse("https://www.barnet.gov.uk/").unwrap();
        jar.store(
            &url,
            &["a=1; Path=/".to_string(), "b=2; Domain=gov.uk".to_string()],
        );
        assert_eq!(jar.header_for(&url).as_deref(), Some("a=1"));
        let other = Url::parse("https://www.lbbd.gov.uk/").unwrap();
        assert_eq!(jar.header_for(&other), None);
    }

    /// A head read raw (issue 18) can hold a cookie with a control character; in the jar it
    /// would make every later `Cookie` header unsendable.
    #[test]
    fn lines_browsers_refuse_stay_out() {
        let jar = Jar::new();
        let url = Url::parse("http://www.barnet.gov.uk/").unwrap();
        jar.store(
            &url,
            &[
                "ctl=a\u{1}b".to_string(),
                "secure=1; Secure".to_string(),
                "ok=1".to_string(),
            ],
        );
        assert_eq!(jar.header_for(&url).as_deref(), Some("ok=1"));
    }
}
