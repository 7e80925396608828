//! The consent step of a visit: after a page settled, look at its banner (the `none` run) or make
//! the run's choice on it (the `accept` and `reject` runs), and remember what happened for the
//! report.

use std::sync::{Arc, Mutex};

use cookie_audit_model::{Banner, Cmp, ConsentRun, ConsentState, Detection, RunStatus};
use serde_json::{Value, json};
use url::Url;

use super::choose::{Choice, ChoiceOutcome, PageDriver, Survey, choose, survey, wait_for_banner};
use super::rules::ConsentRules;
use super::{BANNER_WAIT, CmpCookie, cookie_list, own_cookies};
use crate::engine::COMMAND_TIMEOUT;
use crate::running::{Running, Tab};

/// Pages on which a run clicks a banner that came back, at most.
const MAX_CLICKS_AGAIN: u32 = 3;

/// What a run does with banners.
#[derive(Debug, Clone)]
pub struct ConsentPlan {
    /// The rules to recognise platforms by.
    pub rules: Arc<ConsentRules>,
    /// `none`: look, never click. `accept`, `reject`: click that on the first banner, and again
    /// whenever it comes back.
    pub state: ConsentState,
}

/// What a run saw of the banner, and what its choice did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConsentLook {
    /// The platform, when one was recognised (or found by words).
    pub cmp: Option<Cmp>,
    /// The banner as the run first saw it.
    pub banner: Banner,
    /// The platform's own cookie list (read on the page the banner was first seen on).
    pub cmp_cookies: Vec<CmpCookie>,
    /// For a choice run: how the choice went (`None` before any page was visited).
    pub run: Option<ConsentRun>,
    /// Pages where the banner came back and was clicked again.
    pub clicked_again: u32,
}

/// A run's progress, shared by its tabs.
#[derive(Debug, Default)]
pub(crate) struct ConsentProgress {
    looked: bool,
    look: ConsentLook,
    outcome: Option<ChoiceOutcome>,
    pages: u32,
}

/// The tab a chooser works on.
struct TabDriver<'a> {
    running: &'a Running,
    session: &'a str,
}

impl PageDriver for TabDriver<'_> {
    async fn evaluate(&self, expression: &str) -> Result<Value, String> {
        let answer = self
            .running
            .tap
            .call(
                Some(self.session),
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": false}),
                COMMAND_TIMEOUT,
            )
            .await
            .map_err(|e| e.to_string())?;
        if let Some(exception) = answer.get("exceptionDetails") {
            let text = exception
                .pointer("/exception/description")
                .or_else(|| exception.get("text"))
                .and_then(Value::as_str)
                .unwrap_or("an exception");
            return Err(text.chars().take(300).collect());
        }
        Ok(answer
            .pointer("/result/value")
            .cloned()
            .unwrap_or(Value::Null))
    }

    async fn mouse_click(&self, x: f64, y: f64) -> Result<(), String> {
        for (kind, buttons) in [("mouseMoved", 0), ("mousePressed", 1), ("mouseReleased", 0)] {
            let mut params = json!({"type": kind, "x": x, "y": y});
            if kind != "mouseMoved" {
                params["button"] = json!("left");
                params["buttons"] = json!(buttons);
                params["clickCount"] = json!(1);
            }
            self.running
                .tap
                .call(
                    Some(self.session),
                    "Input.dispatchMouseEvent",
                    params,
                    COMMAND_TIMEOUT,
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// What the step did on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepDone {
    /// Nothing worth waiting for (a quick look, no banner).
    Looked,
    /// It waited for a banner or clicked one: the page may have written meanwhile.
    Acted,
}

/// The consent step on one settled page. `on_click` hears the time of each click (the run's
/// recorder dates every write from it).
pub(crate) async fn step(
    progress: &Mutex<ConsentProgress>,
    plan: &ConsentPlan,
    running: &Running,
    tab: &Tab,
    url: &Url,
    on_click: impl Fn(chrono::DateTime<chrono::Utc>),
) -> StepDone {
    let driver = TabDriver {
        running,
        session: &tab.session,
    };
    let first = {
        let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
        p.pages += 1;
        !std::mem::replace(&mut p.looked, true)
    };
    let rules = &plan.rules;
    let looked = if first {
        wait_for_banner(&driver, rules, BANNER_WAIT).await
    } else {
        survey(&driver, rules).await
    };
    let Ok(now) = looked else {
        if first {
            note_first(
                progress,
                rules,
                &Survey::default(),
                url,
                Vec::new(),
                Vec::new(),
            );
        }
        return if first {
            StepDone::Acted
        } else {
            StepDone::Looked
        };
    };
    if first {
        let (cmp_cookies, own) = match now.cmp.as_deref() {
            Some(cmp) if now.detected_by.as_deref() == Some("rule") => (
                cookie_list(&driver, rules, cmp).await,
                own_cookies(&driver, rules, cmp).await,
            ),
            _ => (Vec::new(), Vec::new()),
        };
        note_first(progress, rules, &now, url, cmp_cookies, own);
    }
    let choice = match plan.state {
        ConsentState::None => return StepDone::Acted,
        ConsentState::Accept => Choice::Accept,
        ConsentState::Reject => Choice::Reject,
    };
    if !now.shown {
        return if first {
            StepDone::Acted
        } else {
            StepDone::Looked
        };
    }
    if !first && !may_click_again(progress) {
        return StepDone::Looked;
    }
    click_and_note(progress, &driver, rules, choice, now, first, on_click).await;
    StepDone::Acted
}

/// Clicked again only when the banner came back after a confirmed click: one that never closed
/// would cost every page the whole click-and-check, and a banner back on every page is bounded.
fn may_click_again(progress: &Mutex<ConsentProgress>) -> bool {
    let p = progress.lock().unwrap_or_else(|e| e.into_inner());
    let closed_before = p.outcome.as_ref().is_some_and(|o| o.verified_by.is_some());
    closed_before && p.look.clicked_again < MAX_CLICKS_AGAIN
}

/// Makes the run's choice on the banner `now` shows and keeps what it learned: where the choice
/// is stored, and the outcome when it is the run's best attempt so far.
async fn click_and_note(
    progress: &Mutex<ConsentProgress>,
    driver: &TabDriver<'_>,
    rules: &ConsentRules,
    choice: Choice,
    now: Survey,
    first: bool,
    on_click: impl Fn(chrono::DateTime<chrono::Utc>),
) {
    let cmp_id = now
        .cmp
        .clone()
        .filter(|_| now.detected_by.as_deref() == Some("rule"));
    let outcome = choose(driver, rules, choice, now).await;
    if let Some(at) = outcome.clicked_at {
        on_click(at);
    }
    // Where the choice went: some platforms name their cookie only once it is written.
    let mut stored_in: Vec<String> = outcome.choice_stored_in.iter().cloned().collect();
    if let Some(cmp) = cmp_id.as_deref()
        && outcome.verified_by.is_some()
    {
        stored_in.extend(own_cookies(driver, rules, cmp).await);
    }
    let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
    if !first {
        p.look.clicked_again += 1;
    }
    if let Some(cmp) = p.look.cmp.as_mut() {
        for name in stored_in {
            if !cmp.cookies.contains(&name) {
                cmp.cookies.push(name);
            }
        }
    }
    // The run is judged on its best attempt: a later click that took counts.
    let better = match &p.outcome {
        None => true,
        Some(old) => old.verified_by.is_none() && outcome.verified_by.is_some(),
    };
    if better {
        p.outcome = Some(outcome);
    }
}

fn note_first(
    progress: &Mutex<ConsentProgress>,
    rules: &ConsentRules,
    survey: &Survey,
    url: &Url,
    cmp_cookies: Vec<CmpCookie>,
    own_cookies: Vec<String>,
) {
    let cmp = survey.cmp.as_deref().map(|id| match rules.get(id) {
        Some(rule) => Cmp {
            id: rule.id.clone(),
            name: rule.name.clone(),
            detected_by: Detection::Rule,
            cookies: if own_cookies.is_empty() {
                rule.own_cookies.clone()
            } else {
                own_cookies
            },
        },
        None => Cmp {
            id: "heuristic".into(),
            name: "a consent banner no rule knows".into(),
            detected_by: Detection::Heuristic,
            cookies: Vec::new(),
        },
    });
    let reject_elsewhere = survey
        .settings
        .as_ref()
        .map(|b| b.text.clone())
        .filter(|_| survey.reject.is_none());
    let banner = if survey.shown {
        Banner {
            found: true,
            page: Some(url.to_string()),
            reject_on_first_layer: Some(survey.reject.is_some()),
            accept_label: survey.accept.as_ref().map(|b| b.text.clone()),
            reject_label: survey
                .reject
                .as_ref()
                .map(|b| b.text.clone())
                .or(reject_elsewhere),
        }
    } else {
        Banner::default()
    };
    let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
    p.look.cmp = cmp;
    p.look.banner = banner;
    p.look.cmp_cookies = cmp_cookies;
}

impl ConsentProgress {
    /// What the run saw and did, for the report.
    pub(crate) fn look(&self, state: ConsentState) -> ConsentLook {
        let mut look = self.look.clone();
        if state != ConsentState::None {
            look.run = Some(self.run(state));
        }
        look
    }

    fn run(&self, state: ConsentState) -> ConsentRun {
        let mut run = ConsentRun {
            state,
            status: RunStatus::NoBanner,
            verified_by: None,
            clicked: None,
            reject_via: None,
            pages_visited: self.pages,
            error: None,
        };
        if !self.look.banner.found {
            run.error = (self.pages == 0).then(|| "no page could be visited".to_string());
            run.status = if self.pages == 0 {
                RunStatus::Failed
            } else {
                RunStatus::NoBanner
            };
            return run;
        }
        match &self.outcome {
            Some(outcome) => {
                run.status = if outcome.verified_by.is_some() {
                    RunStatus::Verified
                } else {
                    RunStatus::Unverified
                };
                run.verified_by = outcome.verified_by.clone();
                run.clicked = outcome.clicked.clone();
                run.reject_via = outcome.reject_via;
                run.error = outcome.problem.clone();
            }
            None => {
                run.status = RunStatus::Unverified;
                run.error = Some("the banner was seen but no choice was made".into());
            }
        }
        run
    }
}
