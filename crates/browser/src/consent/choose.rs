//! Looking at a banner and making a choice on it: find the platform and its buttons, click like a
//! visitor, and believe the click only when the platform's own state records the choice.
//!
//! The page side is `consent.js`; this side drives it through a [`PageDriver`] (the browser
//! engine's tab), so the decisions here do not depend on how the engine talks to Chromium.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cookie_audit_model::{Clicked, RejectPath};
use serde::Deserialize;
use serde_json::Value;

use super::rules::ConsentRules;

/// The page library, evaluated before every call (it defines itself once per document).
const LIBRARY: &str = include_str!("consent.js");

/// How long a banner may take to appear after the page settled (scripts inject it late).
pub(crate) const BANNER_WAIT: Duration = Duration::from_secs(6);
/// How long a click has to show in the platform's state.
const VERIFY_WAIT: Duration = Duration::from_secs(4);
/// The wait before the one retry of a click that did nothing (handlers attached late).
const RETRY_AFTER: Duration = Duration::from_millis(1200);
/// How long a second layer has to open after "Settings".
const SETTINGS_WAIT: Duration = Duration::from_secs(3);
/// Between two looks at the page.
const POLL: Duration = Duration::from_millis(200);
/// How long a rule's own state reading has to show a choice before a closed banner and a new
/// consent cookie confirm it instead: the platform's own word is preferred when it comes.
const STATE_GRACE: Duration = Duration::from_millis(1500);

/// What the engine gives the chooser: a page to evaluate JavaScript in and click on.
pub(crate) trait PageDriver: Send + Sync {
    /// Evaluates `expression` in the page's main world and returns its value as JSON. An error
    /// is a message (the page navigated, the tab closed).
    fn evaluate(&self, expression: &str) -> impl Future<Output = Result<Value, String>> + Send;
    /// A real mouse click (pressed and released) at viewport coordinates.
    fn mouse_click(&self, x: f64, y: f64) -> impl Future<Output = Result<(), String>> + Send;
}

/// A button as the page script reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Button {
    pub(crate) text: String,
    pub(crate) selector: String,
    pub(crate) within: Option<String>,
}

/// What the page shows at one moment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct Survey {
    /// The rule id, `heuristic`, or none.
    pub(crate) cmp: Option<String>,
    /// `rule` or `heuristic`.
    pub(crate) detected_by: Option<String>,
    /// A banner is asking.
    pub(crate) shown: bool,
    pub(crate) accept: Option<Button>,
    pub(crate) reject: Option<Button>,
    pub(crate) settings: Option<Button>,
    pub(crate) settings_reject: Option<Button>,
    pub(crate) settings_save: Option<Button>,
    /// The platform's state: "accept", "reject", "partial" or null.
    pub(crate) state: Option<String>,
    pub(crate) state_error: Option<String>,
}

/// The choice a run makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Accept,
    Reject,
}

impl Choice {
    /// Whether a platform state records this choice. "Accept" buttons often accept only some
    /// categories (GOV.UK's "Accept analytics cookies"): any consent given counts. A rejection
    /// must leave every optional category off.
    fn recorded_in(self, state: Option<&str>) -> bool {
        match self {
            Choice::Accept => matches!(state, Some("accept" | "partial")),
            Choice::Reject => state == Some("reject"),
        }
    }

    fn state(self) -> &'static str {
        match self {
            Choice::Accept => "accept",
            Choice::Reject => "reject",
        }
    }
}

/// How a choice went.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChoiceOutcome {
    /// What the page showed before the click.
    pub(crate) before: Survey,
    /// The button clicked last, when one was.
    pub(crate) clicked: Option<Clicked>,
    /// When the (first) click was made.
    pub(crate) clicked_at: Option<DateTime<Utc>>,
    /// For a reject: on the banner, or through its settings.
    pub(crate) reject_via: Option<RejectPath>,
    /// What confirmed the choice; `None`: not confirmed.
    pub(crate) verified_by: Option<String>,
    /// Why it is not confirmed, or what went wrong.
    pub(crate) problem: Option<String>,
    /// For a banner found by its words: the cookie or key the site stored the choice in (the
    /// banner's own, so strictly necessary).
    pub(crate) choice_stored_in: Option<String>,
}

/// How a choice was confirmed.
struct Confirmation {
    /// In words, for `verified_by`.
    by: String,
    /// The new cookie or key that holds the choice, when that is what confirmed it.
    stored_in: Option<String>,
}

/// Looks at the page now.
pub(crate) async fn survey<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
) -> Result<Survey, String> {
    let expression = format!(
        "{LIBRARY}\n;__cookieAuditConsent.survey({})",
        rules.to_json()
    );
    let value = driver.evaluate(&expression).await?;
    serde_json::from_value(value).map_err(|e| format!("the banner survey could not be read: {e}"))
}

/// Looks at the page until a banner asks or `wait` runs out; the last look either way.
pub(crate) async fn wait_for_banner<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
    wait: Duration,
) -> Result<Survey, String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let looked = survey(driver, rules).await;
        match &looked {
            Ok(s) if s.shown => return looked,
            // A state already recorded means the platform will not ask.
            Ok(s) if s.state.is_some() => return looked,
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return looked;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Makes `choice` on the banner `before` shows, and checks it took.
pub(crate) async fn choose<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
    choice: Choice,
    before: Survey,
) -> ChoiceOutcome {
    let mut outcome = ChoiceOutcome {
        before: before.clone(),
        clicked: None,
        clicked_at: None,
        reject_via: None,
        verified_by: None,
        problem: None,
        choice_stored_in: None,
    };
    let button = match (choice, &before) {
        (
            Choice::Accept,
            Survey {
                accept: Some(b), ..
            },
        ) => b.clone(),
        (Choice::Accept, _) => {
            outcome.problem = Some("the banner has no accept button we could find".into());
            return outcome;
        }
        (
            Choice::Reject,
            Survey {
                reject: Some(b), ..
            },
        ) => {
            outcome.reject_via = Some(RejectPath::FirstLayer);
            b.clone()
        }
        (
            Choice::Reject,
            Survey {
                settings: Some(open),
                ..
            },
        ) => match through_settings(driver, rules, open, &mut outcome).await {
            Some(b) => b,
            None => return outcome,
        },
        (Choice::Reject, _) => {
            outcome.problem = Some("the banner offers no way to reject".into());
            return outcome;
        }
    };
    let storage_before = storage_names(driver).await;
    let mut recorded: Option<String> = None;
    for attempt in 0..2 {
        if attempt == 1 {
            // A click that did nothing: handlers may be attached late (tarteaucitron waits).
            tokio::time::sleep(RETRY_AFTER).await;
            match survey(driver, rules).await {
                Ok(s) if !button_still_there(&s, &button) => break,
                Err(_) => break,
                Ok(_) => {}
            }
        }
        let at = Utc::now();
        if let Err(problem) = click(driver, &button).await {
            outcome.problem = Some(problem);
            continue;
        }
        outcome.clicked_at.get_or_insert(at);
        outcome.clicked = Some(clicked(driver, &button).await);
        match verify(driver, rules, choice, &before, &storage_before).await {
            Ok(confirmed) => {
                outcome.verified_by = Some(confirmed.by);
                outcome.choice_stored_in = confirmed.stored_in;
                outcome.problem = None;
                return outcome;
            }
            Err(state) => recorded = state.or(recorded),
        }
    }
    if outcome.problem.is_none() {
        outcome.problem = Some(not_verified_reason(
            rules,
            &before,
            choice,
            recorded.as_deref(),
        ));
    }
    outcome
}

/// "Settings", then "Reject all" there, or "Save" with the optional categories left off.
async fn through_settings<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
    open: &Button,
    outcome: &mut ChoiceOutcome,
) -> Option<Button> {
    if let Err(problem) = click(driver, open).await {
        outcome.problem = Some(format!(
            "the settings button could not be clicked: {problem}"
        ));
        return None;
    }
    outcome.reject_via = Some(RejectPath::Settings);
    let deadline = tokio::time::Instant::now() + SETTINGS_WAIT;
    loop {
        if let Ok(s) = survey(driver, rules).await {
            if let Some(b) = s.settings_reject {
                return Some(b);
            }
            if let Some(b) = s.settings_save {
                untick_near(driver, &b).await;
                return Some(b);
            }
            if let Some(b) = s.reject {
                return Some(b);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            outcome.problem = Some(format!("\"{}\" opened no reject or save button", open.text));
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Switches every optional category near a "Save" button off, as a visitor who refuses would
/// (some sites pre-tick them); a failure leaves them as they are, and the state check decides.
async fn untick_near<D: PageDriver>(driver: &D, save: &Button) {
    let args = format!(
        "{},{}",
        serde_json::to_string(&save.selector).unwrap_or_default(),
        serde_json::to_string(&save.within).unwrap_or_default()
    );
    match driver
        .evaluate(&format!("{LIBRARY}\n;__cookieAuditConsent.untick({args})"))
        .await
    {
        Ok(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => {
            tracing::debug!(switched_off = %n, "optional categories switched off before saving");
            // The page's handlers run on the clicks before the save reads them.
            tokio::time::sleep(POLL).await;
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(error = %e, "the categories could not be switched off"),
    }
}

fn button_still_there(s: &Survey, b: &Button) -> bool {
    [&s.accept, &s.reject, &s.settings_reject, &s.settings_save]
        .into_iter()
        .flatten()
        .any(|x| x.selector == b.selector && x.within == b.within)
}

/// A mouse click where the button is, like a visitor's; the element's own `click()` when the
/// point does not reach it (covered, or zero-sized).
async fn click<D: PageDriver>(driver: &D, button: &Button) -> Result<(), String> {
    let args = format!(
        "{},{}",
        serde_json::to_string(&button.selector).unwrap_or_default(),
        serde_json::to_string(&button.within).unwrap_or_default()
    );
    let target = driver
        .evaluate(&format!("{LIBRARY}\n;__cookieAuditConsent.target({args})"))
        .await?;
    let point = (
        target.get("x").and_then(Value::as_f64),
        target.get("y").and_then(Value::as_f64),
        target.get("hit").and_then(Value::as_bool),
    );
    if let (Some(x), Some(y), Some(true)) = point {
        return driver.mouse_click(x, y).await;
    }
    let fallback = driver
        .evaluate(&format!("{LIBRARY}\n;__cookieAuditConsent.click({args})"))
        .await?;
    match fallback {
        Value::Bool(true) => Ok(()),
        Value::String(thrown) => Err(format!("clicking \"{}\" threw: {thrown}", button.text)),
        _ => Err(format!("\"{}\" is no longer on the page", button.text)),
    }
}

async fn clicked<D: PageDriver>(driver: &D, button: &Button) -> Clicked {
    let page = driver
        .evaluate("location.href")
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Clicked {
        text: button.text.clone(),
        selector: button.selector.clone(),
        within: button.within.clone(),
        page,
    }
}

/// Waits for the platform's state to show `choice`. A rule reads the platform's own state; a
/// banner found by its words has none, so it counts only when the banner closed and the site
/// stored something new that names consent — as does a rule's banner whose state the rule
/// cannot find at all (never one whose state says something else).
async fn verify<D: PageDriver>(
    driver: &D,
    rules: &ConsentRules,
    choice: Choice,
    before: &Survey,
    storage_before: &[String],
) -> Result<Confirmation, Option<String>> {
    let started = tokio::time::Instant::now();
    let deadline = started + VERIFY_WAIT;
    // The platform's last state, when it is not the choice: said in the reason.
    let mut recorded: Option<String> = None;
    loop {
        tokio::time::sleep(POLL).await;
        // The click may navigate: an error here is the old document going away.
        if let Ok(now) = survey(driver, rules).await {
            // Judged as the banner that was clicked: once it closed, a page can look like
            // another platform's (a rule whose markup matched but whose buttons did not).
            let rule = before
                .cmp
                .as_deref()
                .or(now.cmp.as_deref())
                .and_then(|id| rules.get(id));
            match rule.and_then(|r| r.state.as_ref()) {
                Some(state) if choice.recorded_in(now.state.as_deref()) => {
                    return Ok(Confirmation {
                        by: state.describe.clone(),
                        stored_in: None,
                    });
                }
                // The platform's state says otherwise: not confirmed.
                Some(_) if now.state.is_some() => recorded = now.state.clone(),
                // The rule finds no state at all (a site that renamed what it reads): after a
                // while, judged as a banner found by its words is.
                Some(_) if !now.shown && started.elapsed() >= STATE_GRACE => {
                    if let Some(confirmed) = stored_anything(driver, storage_before).await {
                        return Ok(confirmed);
                    }
                }
                Some(_) => {}
                None if !now.shown => {
                    if let Some(confirmed) = stored_consent(driver, storage_before).await {
                        return Ok(confirmed);
                    }
                }
                None => {}
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(recorded);
        }
    }
}

/// A platform's banner closed and its state cannot be read: confirmed when the site stored
/// anything new. Only a store that names consent is taken as the platform's own (a tracker that
/// ignores the choice also stores something new, and must stay a finding).
async fn stored_anything<D: PageDriver>(
    driver: &D,
    storage_before: &[String],
) -> Option<Confirmation> {
    if let Some(confirmed) = stored_consent(driver, storage_before).await {
        return Some(confirmed);
    }
    let after = storage_names(driver).await;
    let new: Vec<&String> = after
        .iter()
        .filter(|n| !storage_before.contains(n))
        .collect();
    (!new.is_empty()).then(|| Confirmation {
        by: format!(
            "the banner closed and the site stored {}",
            new.iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        stored_in: None,
    })
}

/// The banner closed: confirmed when the site stored something new that names consent.
async fn stored_consent<D: PageDriver>(
    driver: &D,
    storage_before: &[String],
) -> Option<Confirmation> {
    let after = storage_names(driver).await;
    after
        .iter()
        .find(|n| !storage_before.contains(n) && names_consent(n))
        .map(|name| Confirmation {
            by: format!("the banner closed and the site stored {name}"),
            stored_in: Some(name.clone()),
        })
}

fn names_consent(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "consent", "cookie", "gdpr", "privacy", "choice", "accept", "cmp", "cc_", "banner",
        // Welsh: cwci(s) cookie(s), caniatâd consent, dewis choice.
        "cwci", "caniat", "dewis",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Cookie names and localStorage keys the page can see.
async fn storage_names<D: PageDriver>(driver: &D) -> Vec<String> {
    let expression = "(() => { const c = document.cookie.split(/;\\s*/).map((p) => p.split('=')[0]).filter(Boolean); \
        let l = []; try { l = Object.keys(localStorage); } catch (e) {} return c.concat(l); })()";
    match driver.evaluate(expression).await {
        Ok(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Why a click is not believed; `recorded`: the state the platform shows instead, if any.
fn not_verified_reason(
    rules: &ConsentRules,
    before: &Survey,
    choice: Choice,
    recorded: Option<&str>,
) -> String {
    match before.cmp.as_deref().and_then(|id| rules.get(id)) {
        Some(rule) => match (&rule.state, recorded) {
            // The platform recorded a choice, only not this one: an "OK" that saves the
            // defaults (Klaro without `acceptAll`), a "reject" that leaves categories on.
            (Some(state), Some(recorded)) => format!(
                "{} recorded \"{recorded}\", not \"{}\" ({}): {}",
                rule.name,
                choice.state(),
                state.describe,
                match choice {
                    Choice::Accept => "the button accepted no more than what is on by default",
                    Choice::Reject => "some optional categories stayed on",
                }
            ),
            (Some(state), None) => format!(
                "{} did not record \"{}\" ({} shows no such choice)",
                rule.name,
                choice.state(),
                state.describe
            ),
            (None, _) => format!("{}'s choice cannot be read", rule.name),
        },
        None => "the banner's platform is unknown and nothing shows the choice was stored".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A page that answers surveys from a script of states: each survey takes the next one.
    struct Scripted {
        surveys: Mutex<Vec<Survey>>,
        clicks: Mutex<Vec<(f64, f64)>>,
    }

    impl PageDriver for Scripted {
        async fn evaluate(&self, expression: &str) -> Result<Value, String> {
            if expression.ends_with("location.href") {
                return Ok(Value::String("https://www.council.test/".into()));
            }
            if expression.contains("__cookieAuditConsent.target(") {
                return Ok(serde_json::json!({"x": 10.0, "y": 20.0, "hit": true}));
            }
            if expression.contains("__cookieAuditConsent.survey(") {
                let mut surveys = self.surveys.lock().unwrap();
                let next = if surveys.len() > 1 {
                    surveys.remove(0)
                } else {
                    surveys[0].clone()
                };
                return Ok(serde_json::json!({
                    "cmp": next.cmp, "detected_by": next.detected_by, "shown": next.shown,
                    "accept": next.accept.map(|b| serde_json::json!({"text": b.text, "selector": b.selector, "within": b.within})),
                    "reject": next.reject.map(|b| serde_json::json!({"text": b.text, "selector": b.selector, "within": b.within})),
                    "settings": null, "settings_reject": null, "settings_save": null,
                    "state": next.state, "state_error": null,
                }));
            }
            Ok(Value::Array(Vec::new()))
        }

        async fn mouse_click(&self, x: f64, y: f64) -> Result<(), String> {
            self.clicks.lock().unwrap().push((x, y));
            Ok(())
        }
    }

    fn button(text: &str, selector: &str) -> Option<Button> {
        Some(Button {
            text: text.into(),
            selector: selector.into(),
            within: None,
        })
    }

    fn asking(state: Option<&str>) -> Survey {
        Survey {
            cmp: Some("onetrust".into()),
            detected_by: Some("rule".into()),
            shown: state.is_none(),
            accept: button("Accept All Cookies", "#onetrust-accept-btn-handler"),
            reject: button("Reject All", "#onetrust-reject-all-handler"),
            state: state.map(str::to_string),
            ..Survey::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_click_counts_when_the_platform_records_it() {
        let page = Scripted {
            surveys: Mutex::new(vec![asking(None), asking(Some("reject"))]),
            clicks: Mutex::default(),
        };
        let rules = ConsentRules::builtin();
        let outcome = choose(&page, &rules, Choice::Reject, asking(None)).await;
        assert_eq!(
            outcome.verified_by.as_deref(),
            Some("the OptanonConsent cookie's groups and OptanonAlertBoxClosed")
        );
        assert_eq!(outcome.reject_via, Some(RejectPath::FirstLayer));
        assert_eq!(outcome.clicked.unwrap().text, "Reject All");
        assert_eq!(page.clicks.lock().unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_click_that_did_nothing_is_retried_once_then_not_believed() {
        let page = Scripted {
            surveys: Mutex::new(vec![asking(None)]),
            clicks: Mutex::default(),
        };
        let rules = ConsentRules::builtin();
        let outcome = choose(&page, &rules, Choice::Accept, asking(None)).await;
        assert_eq!(outcome.verified_by, None);
        assert_eq!(page.clicks.lock().unwrap().len(), 2, "one retry");
        let problem = outcome.problem.unwrap();
        assert!(problem.contains("did not record \"accept\""), "{problem}");
    }

    /// A platform that records a lesser choice than the click asked for: not believed, and the
    /// reason says what it recorded (Klaro's "That's ok" without `acceptAll` saves the defaults).
    #[tokio::test(start_paused = true)]
    async fn a_lesser_choice_is_named_in_the_reason() {
        let page = Scripted {
            surveys: Mutex::new(vec![asking(Some("reject"))]),
            clicks: Mutex::default(),
        };
        let outcome = choose(
            &page,
            &ConsentRules::builtin(),
            Choice::Accept,
            asking(None),
        )
        .await;
        assert_eq!(outcome.verified_by, None);
        let problem = outcome.problem.unwrap();
        assert!(
            problem.starts_with("OneTrust recorded \"reject\", not \"accept\""),
            "{problem}"
        );
        assert!(problem.contains("on by default"), "{problem}");
    }

    #[tokio::test(start_paused = true)]
    async fn no_reject_button_is_said_not_clicked() {
        let page = Scripted {
            surveys: Mutex::new(vec![asking(None)]),
            clicks: Mutex::default(),
        };
        let mut info_only = asking(None);
        info_only.reject = None;
        let outcome = choose(&page, &ConsentRules::builtin(), Choice::Reject, info_only).await;
        assert!(page.clicks.lock().unwrap().is_empty());
        assert_eq!(
            outcome.problem.as_deref(),
            Some("the banner offers no way to reject")
        );
    }
}
