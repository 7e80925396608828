//! The consent part of a report: what a visitor gets before choosing, after "Accept all" and
//! after "Reject all" (issue 14). Additions to schema v1: a report without them reads as one
//! visit with no click.

use serde::{Deserialize, Serialize};

/// Which visitor a run describes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// Has not chosen: the crawl as a first-time visitor who never touches the banner.
    #[default]
    None,
    /// Clicked the banner's "Accept all".
    Accept,
    /// Clicked the banner's "Reject all" (on its first layer, or through its settings).
    Reject,
}

impl ConsentState {
    /// Every state, in report order.
    pub const ALL: [ConsentState; 3] = [
        ConsentState::None,
        ConsentState::Accept,
        ConsentState::Reject,
    ];

    /// The name in reports and on the command line: `none`, `accept`, `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::None => "none",
            ConsentState::Accept => "accept",
            ConsentState::Reject => "reject",
        }
    }

    /// How a person would say it: "before a choice", "after Accept all", "after Reject all".
    pub fn phrase(self) -> &'static str {
        match self {
            ConsentState::None => "before a choice",
            ConsentState::Accept => "after \"Accept all\"",
            ConsentState::Reject => "after \"Reject all\"",
        }
    }
}

impl std::fmt::Display for ConsentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The consent banner and the runs made through it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consent {
    /// The consent management platform found on the site; `null` when none was recognised.
    #[serde(default)]
    pub cmp: Option<Cmp>,
    /// The banner as the first visit found it.
    #[serde(default)]
    pub banner: Banner,
    /// One entry per run, in the order none, accept, reject. A report of the HTTP engine or of
    /// `--consent none` has only `none`.
    #[serde(default)]
    pub runs: Vec<ConsentRun>,
}

impl Consent {
    /// The run of `state`, when one was made.
    pub fn run(&self, state: ConsentState) -> Option<&ConsentRun> {
        self.runs.iter().find(|r| r.state == state)
    }

    /// What a report says when only the `none` visit was made (HTTP engine, `--consent none`).
    pub fn none_only(pages_visited: u32, why: Option<String>) -> Consent {
        Consent {
            cmp: None,
            banner: Banner::default(),
            runs: vec![ConsentRun {
                state: ConsentState::None,
                status: RunStatus::Complete,
                verified_by: None,
                clicked: None,
                reject_via: None,
                pages_visited,
                error: why,
            }],
        }
    }
}

/// A consent management platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cmp {
    /// The rule's id (`onetrust`, `civic`, …) or `heuristic` when no rule knew it.
    pub id: String,
    /// The product's name ("OneTrust").
    pub name: String,
    /// Whether a rule recognised it or the word-based fallback found its buttons.
    pub detected_by: Detection,
}

/// How a CMP was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Detection {
    /// A rule (built in or `--consent-rules`) matched its script, global object or markup.
    Rule,
    /// No rule matched; buttons were found by their words ("Accept all", "Reject all").
    Heuristic,
}

/// The banner as a first-time visitor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Banner {
    /// A banner asking for consent was shown.
    pub found: bool,
    /// The page it was first seen on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// A reject button is on the banner itself, beside "Accept" (the ICO's "as easy as accept");
    /// `null` when no banner was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_on_first_layer: Option<bool>,
    /// The accept button's words as shown ("Accept all cookies").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_label: Option<String>,
    /// The reject button's words as shown, on the first layer or in the settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_label: Option<String>,
}

/// One visit of the site as one kind of visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsentRun {
    /// The visitor this run describes.
    pub state: ConsentState,
    /// How it went.
    pub status: RunStatus,
    /// What confirmed the choice (the CMP's consent cookie or JavaScript API), for `verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    /// The button clicked; `null` for the `none` run or when nothing could be clicked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clicked: Option<Clicked>,
    /// For the reject run: on the banner itself, or through its settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_via: Option<RejectPath>,
    /// Pages visited in this run.
    pub pages_visited: u32,
    /// What went wrong, or what the run could not do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The `none` run: the crawl ran; nothing was clicked.
    Complete,
    /// The click was made and the CMP's own state confirms the choice.
    Verified,
    /// A click was made but the CMP's state does not show the choice (or cannot be read): this
    /// run accuses nothing.
    Unverified,
    /// No banner appeared, so there was nothing to choose.
    NoBanner,
    /// The run could not be made (the browser failed, the time ran out); `error` says why.
    Failed,
}

impl RunStatus {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Complete => "complete",
            RunStatus::Verified => "verified",
            RunStatus::Unverified => "unverified",
            RunStatus::NoBanner => "no_banner",
            RunStatus::Failed => "failed",
        }
    }
}

/// A button clicked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Clicked {
    /// Its words as shown.
    pub text: String,
    /// A CSS selector that finds it (inside its frame or shadow root, see `within`).
    pub selector: String,
    /// The iframe or shadow host it is inside, as a selector; `null` in the document itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
    /// The page it was clicked on.
    pub page: String,
}

/// Where the reject choice was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectPath {
    /// A reject button on the banner itself.
    FirstLayer,
    /// "Settings", then "Reject all" or "Save" with every optional category off.
    Settings,
}
