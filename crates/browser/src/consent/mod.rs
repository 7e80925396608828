//! Consent banners: recognising the platform, choosing "Accept all" or "Reject all" as a visitor
//! would, confirming the choice from the platform's own state, and reading the platform's own
//! cookie list.
//!
//! - [`rules`]: the rules as data (built in, plus `--consent-rules FILE`).
//! - `choose.rs`: survey a page, click, verify, retry once.
//! - `step.rs`: the step of a visit that does this, and what a run saw and did.
//! - `consent.js`: the page side — banners in the document, open shadow roots and same-origin
//!   iframes; buttons by rule or, for platforms no rule knows, by their words.

mod choose;
pub mod rules;
mod step;

use serde::Deserialize;

pub(crate) use choose::{BANNER_WAIT, PageDriver};
pub use rules::{ConsentRules, RulesError};
pub use step::{ConsentLook, ConsentPlan};
pub(crate) use step::{ConsentProgress, StepDone, step};

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
    match run_script(driver, script).await {
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

/// The cookies platform `cmp` records the choice in on this site: the rule's names, and the
/// names its configuration gives them here (a renamed consent cookie is still the platform's).
pub(crate) async fn own_cookies<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
    cmp: &str,
) -> Vec<String> {
    let Some(rule) = rules.get(cmp) else {
        return Vec::new();
    };
    let mut names = rule.own_cookies.clone();
    if let Some(script) = &rule.own_cookies_script {
        match run_script(driver, script).await {
            Ok(serde_json::Value::String(name)) => names.push(name),
            Ok(serde_json::Value::Array(list)) => names.extend(
                list.into_iter()
                    .filter_map(|v| v.as_str().map(str::to_string)),
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(cmp, error = %e, "the platform's cookie names could not be read")
            }
        }
    }
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    names
}

/// Evaluates a rule's script with the page library's helpers; the JSON round trip makes regular
/// expressions and functions plain data.
async fn run_script<D: PageDriver>(
    driver: &D,
    script: &rules::Script,
) -> Result<serde_json::Value, String> {
    let expression = format!(
        "{}\n;(() => {{ const r = __cookieAuditConsent.run({}); \
         return r.error ? {{ error: r.error }} : JSON.parse(JSON.stringify(r.value ?? null)); }})()",
        include_str!("consent.js"),
        serde_json::to_string(&script.script).unwrap_or_default()
    );
    let value = driver.evaluate(&expression).await?;
    match value.get("error").and_then(|e| e.as_str()) {
        Some(error) if value.as_object().is_some_and(|o| o.len() == 1) => Err(error.to_string()),
        _ => Ok(value),
    }
}
