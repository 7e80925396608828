//! Consent banners: recognising the platform, choosing "Accept all" or "Reject all" as a visitor
//! would, confirming the choice from the platform's own state, and reading the platform's own
//! cookie list.
//!
//! - [`rules`]: the rules as data (built in, plus `--consent-rules FILE`).
//! - `choose.rs`: survey a page, click, verify, retry once.
//! - `consent.js`: the page side — banners in the document, open shadow roots and same-origin
//!   iframes; buttons by rule or, for platforms no rule knows, by their words.

#![allow(
    dead_code,
    unused_imports,
    reason = "the engine uses these once the consent runs are wired in (next commits)"
)]

mod choose;
pub mod rules;

use serde::Deserialize;

pub(crate) use choose::{
    BANNER_WAIT, Choice, ChoiceOutcome, PageDriver, Survey, choose, survey, wait_for_banner,
};
pub use rules::{ConsentRules, RulesError};

/// One entry of a platform's own cookie list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CmpCookie {
    /// The name, or a regular expression's source when `pattern`.
    pub name: String,
    /// The name is a pattern (Klaro's and vanilla-cookieconsent's regular expressions).
    #[serde(default)]
    pub pattern: bool,
    /// The category or group the platform files it under.
    #[serde(default)]
    pub category: Option<String>,
    /// Who sets it, as the platform says.
    #[serde(default)]
    pub provider: Option<String>,
    /// Its domain, as the platform says.
    #[serde(default)]
    pub domain: Option<String>,
    /// Its lifetime, as the platform writes it.
    #[serde(default)]
    pub expiry: Option<String>,
    /// What it is for.
    #[serde(default)]
    pub purpose: Option<String>,
}

/// The platform `cmp`'s own cookie list, read from its JavaScript objects; empty when it has none
/// or it cannot be read.
pub(crate) async fn cookie_list<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
    cmp: &str,
) -> Vec<CmpCookie> {
    let Some(script) = rules.get(cmp).and_then(|r| r.cookie_list.as_ref()) else {
        return Vec::new();
    };
    // The library defines `run`, which gives the expression its helpers; JSON round trip so
    // regular expressions and functions become plain data.
    let expression = format!(
        "{}\n;(() => {{ const r = __cookieAuditConsent.run({}); \
         return r.error ? {{ error: r.error }} : JSON.parse(JSON.stringify(r.value || [])); }})()",
        include_str!("consent.js"),
        serde_json::to_string(&script.script).unwrap_or_default()
    );
    match driver.evaluate(&expression).await {
        Ok(value) => serde_json::from_value::<Vec<Option<CmpCookie>>>(value)
            .map(|list| {
                list.into_iter()
                    .flatten()
                    .filter(|c| !c.name.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        Err(e) => {
            tracing::debug!(cmp, error = %e, "the platform's cookie list could not be read");
            Vec::new()
        }
    }
}
