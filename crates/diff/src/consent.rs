//! The consent findings: the ICO's three tests (cookies before a choice, reject as easy as
//! accept, cookies despite a rejection), a click we could not confirm, and where the consent
//! platform's own cookie list and the page's table disagree (docs/findings.md).

use cookie_audit_model::{
    ConsentState, CookieCategory, Evidence, Finding, FindingCode, RunStatus, Severity,
};

use crate::DiffInput;
use crate::matching::{DeclaredView, ObservedView};
use crate::rules::{declared_evidence, finding, observed_evidence};

/// An observed cookie with the rows that declare it: in the page's table, on the platform's list.
pub(crate) struct Judged<'a> {
    pub(crate) observed: &'a ObservedView<'a>,
    pub(crate) page_row: Option<&'a DeclaredView<'a>>,
    pub(crate) cmp_row: Option<&'a DeclaredView<'a>>,
}

/// What a cookie is for, and who says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// The knowledge base, the page's table or the platform's list files it under a category.
    As(CookieCategory),
    /// Nobody says: reported at low severity, and the message says so.
    Unknown,
}

impl Judged<'_> {
    fn purpose(&self, input: &DiffInput<'_>) -> Known {
        let cookie = self.observed.cookie;
        // The platform's own consent cookie records the choice: strictly necessary.
        if input
            .consent
            .cmp
            .as_ref()
            .is_some_and(|cmp| cmp.cookies.iter().any(|c| c == &cookie.name))
        {
            return Known::As(CookieCategory::StrictlyNecessary);
        }
        let category = self
            .observed
            .entry
            .map(|e| e.category)
            .or(self.page_row.and_then(|d| d.category))
            .or(self.cmp_row.and_then(|d| d.category));
        category.map_or(Known::Unknown, Known::As)
    }
}

/// Every consent and platform-list finding. Nothing when the report has no consent information
/// (the HTTP engine sees no banner).
pub(crate) fn findings(input: &DiffInput<'_>, judged: &[Judged<'_>]) -> Vec<Finding> {
    let consent = input.consent;
    let looked = consent.banner.found
        || consent.cmp.is_some()
        || consent.runs.iter().any(|r| r.state != ConsentState::None);
    let mut out = Vec::new();
    if looked {
        out.extend(no_reject_option(input));
        out.extend(not_verified(input));
        let reject_verified = consent
            .run(ConsentState::Reject)
            .is_some_and(|r| r.status == RunStatus::Verified);
        for j in judged {
            if j.observed.cookie.rejected.is_some() {
                continue;
            }
            let cookie = j.observed.cookie;
            let states = &cookie.states;
            if states.contains(&ConsentState::None) {
                out.extend(stored(input, j, FindingCode::ConsentBeforeChoice));
            }
            // Stored after the click, or before it and kept: a cookie written only before the
            // click and deleted again is the rejection working (and `before_choice`'s business).
            let removed_by_the_choice = !cookie.stored_after_click.contains(&ConsentState::Reject)
                && cookie.set_then_deleted;
            if reject_verified && states.contains(&ConsentState::Reject) && !removed_by_the_choice {
                out.extend(stored(input, j, FindingCode::ConsentAfterReject));
            }
        }
    }
    let has_cmp_list = judged.iter().any(|j| j.cmp_row.is_some())
        || input
            .declared
            .iter()
            .any(|d| d.source.kind == cookie_audit_model::DeclaredSourceKind::Cmp);
    if has_cmp_list {
        for j in judged {
            out.extend(list_mismatch(input, j));
        }
    }
    out
}

/// A cookie that needs consent, stored before a choice (`before_choice`) or after a confirmed
/// "Reject all" (`after_reject`).
fn stored(input: &DiffInput<'_>, j: &Judged<'_>, code: FindingCode) -> Option<Finding> {
    let cookie = j.observed.cookie;
    // A cookie may have no name (`=value`): the message must not open with a blank.
    let name = cookie.name.as_str();
    let shown = if name.is_empty() {
        "A cookie with no name"
    } else {
        name
    };
    let known = j.purpose(input);
    let (severity, what) = match known {
        Known::As(CookieCategory::StrictlyNecessary) => return None,
        Known::As(CookieCategory::Marketing) => (Severity::High, "an advertising cookie"),
        Known::As(CookieCategory::Analytics) => (Severity::Medium, "an analytics cookie"),
        Known::As(CookieCategory::Functional) => (Severity::Medium, "a functional cookie"),
        Known::Unknown => (Severity::Low, "a cookie whose purpose is unknown"),
    };
    let state = if code == FindingCode::ConsentAfterReject {
        ConsentState::Reject
    } else {
        ConsentState::None
    };
    let evidence: Vec<Evidence> = observed_evidence(cookie)
        .into_iter()
        .filter(|e| e.state.is_none_or(|s| s == state))
        .collect();
    let when = match code {
        FindingCode::ConsentAfterReject => {
            match evidence
                .iter()
                .filter_map(|e| e.at_ms)
                .filter(|ms| *ms >= 0)
                .min()
            {
                Some(ms) => format!("{} after the visitor clicked \"Reject all\"", seconds(ms)),
                // Written only before the click and kept: one the rejection removed raises no
                // finding (see `run`).
                None => match evidence.iter().filter_map(|e| e.at_ms).max() {
                    Some(ms) => format!(
                        "{} before the visitor clicked \"Reject all\" and kept after it",
                        seconds(-ms)
                    ),
                    None => "after the visitor clicked \"Reject all\"".to_string(),
                },
            }
        }
        _ => "before the visitor has chosen".to_string(),
    };
    let deleted = if cookie.set_then_deleted {
        " (and deleted again during the visit, but stored meanwhile)"
    } else {
        ""
    };
    let declared_note = match (known, j.page_row.is_some()) {
        (Known::As(CookieCategory::Analytics), true) => {
            "; your cookie table declares it, but analytics may run without consent only when visitors are told and can object simply"
        }
        (Known::As(CookieCategory::Analytics), false) => {
            "; your cookie table does not declare it, so visitors are not told it runs without their consent"
        }
        (Known::Unknown, _) => {
            "; neither the knowledge base nor your cookie table says what it is for"
        }
        _ => "",
    };
    let mut f = finding(
        code,
        name,
        Some(&cookie.domain),
        severity,
        format!(
            "{shown} ({what}) is stored {when}, on {}{deleted}{declared_note}.",
            cookie.domain
        ),
    );
    f.observed = Some(
        cookie
            .states
            .iter()
            .map(|s| s.phrase())
            .collect::<Vec<_>>()
            .join(", "),
    );
    f.evidence = evidence;
    f.evidence.extend(j.page_row.map(declared_evidence));
    Some(f)
}

fn seconds(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// "Accept" on the banner with no reject beside it.
fn no_reject_option(input: &DiffInput<'_>) -> Option<Finding> {
    let banner = &input.consent.banner;
    if !banner.found || banner.reject_on_first_layer != Some(false) {
        return None;
    }
    let accept = banner.accept_label.as_deref().unwrap_or("Accept");
    let message = match &banner.reject_label {
        Some(reject) => format!(
            "The cookie banner has \"{accept}\" but no way to reject on its first layer; visitors must go through its settings (\"{reject}\") to refuse."
        ),
        None => format!(
            "The cookie banner has \"{accept}\" but no way to reject at all: visitors can only accept or ignore it."
        ),
    };
    let mut f = finding(
        FindingCode::ConsentNoRejectOption,
        "",
        None,
        Severity::High,
        message,
    );
    f.evidence = banner
        .page
        .iter()
        .map(|p| Evidence::new(cookie_audit_model::EvidenceKind::Page, p))
        .collect();
    Some(f)
}

/// A run whose click the platform's state does not confirm: said, and nothing concluded from it.
fn not_verified(input: &DiffInput<'_>) -> Vec<Finding> {
    let consent = input.consent;
    let no_reject = consent.banner.found && consent.banner.reject_on_first_layer == Some(false);
    consent
        .runs
        .iter()
        .filter(|r| r.status == RunStatus::Unverified)
        // An information-only banner has nothing to reject: `no_reject_option` says so.
        .filter(|r| !(r.state == ConsentState::Reject && no_reject && r.clicked.is_none()))
        .map(|r| {
            let clicked = r
                .clicked
                .as_ref()
                .map_or("the banner".to_string(), |c| format!("\"{}\"", c.text));
            let why = r
                .error
                .as_deref()
                .unwrap_or("the platform recorded no choice");
            let consequence = match r.state {
                ConsentState::Reject => {
                    "cookies seen after it are not reported as set despite a rejection"
                }
                _ => "cookies seen after it are still compared with the cookie table",
            };
            let mut f = finding(
                FindingCode::ConsentChoiceNotVerified,
                "",
                None,
                Severity::Low,
                format!(
                    "Our click on {clicked} ({} run) could not be confirmed: {why}; {consequence}.",
                    r.state
                ),
            );
            f.evidence = r
                .clicked
                .iter()
                .map(|c| Evidence::new(cookie_audit_model::EvidenceKind::Page, &c.page))
                .collect();
            f
        })
        .collect()
}

/// The platform's list and the page's table disagree about a cookie the site sets.
fn list_mismatch(input: &DiffInput<'_>, j: &Judged<'_>) -> Option<Finding> {
    let cookie = j.observed.cookie;
    let name = cookie.name.as_str();
    let platform = input
        .consent
        .cmp
        .as_ref()
        .map_or("the consent platform".to_string(), |c| c.name.clone());
    let (code, severity, message) = match (j.page_row, j.cmp_row) {
        (None, Some(_)) => (
            FindingCode::CmpNotInTable,
            Severity::Medium,
            format!("{name} is on {platform}'s cookie list but not in your cookie table."),
        ),
        (Some(_), None) => {
            // Platforms list what the banner controls: a necessary cookie need not be there.
            let severity = match j.purpose(input) {
                Known::As(CookieCategory::StrictlyNecessary) => return None,
                Known::As(_) => Severity::High,
                Known::Unknown => Severity::Medium,
            };
            (
                FindingCode::CmpNotInCmp,
                severity,
                format!(
                    "{name} is in your cookie table but not on {platform}'s cookie list, so the banner cannot block it."
                ),
            )
        }
        (Some(page), Some(cmp)) => {
            let (Some(a), Some(b)) = (page.category, cmp.category) else {
                return None;
            };
            if a == b {
                return None;
            }
            let words = |d: &DeclaredView<'_>, c: CookieCategory| {
                d.row
                    .category
                    .clone()
                    .unwrap_or_else(|| c.label().to_string())
            };
            (
                FindingCode::CmpCategory,
                Severity::Medium,
                format!(
                    "{name} is filed under \"{}\" in your cookie table but under \"{}\" in {platform}.",
                    words(page, a),
                    words(cmp, b)
                ),
            )
        }
        (None, None) => return None,
    };
    let mut f = finding(code, name, Some(&cookie.domain), severity, message);
    f.evidence = observed_evidence(cookie);
    f.evidence.extend(j.page_row.map(declared_evidence));
    f.evidence.extend(j.cmp_row.map(declared_evidence));
    Some(f)
}
