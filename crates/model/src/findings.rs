//! Finding codes: one per kind and field or reason, in the report's own words.
//!
//! `docs/findings.md` has one heading per code (a test checks it), so every code a report can
//! carry is explained somewhere a web editor can read.

use serde::{Deserialize, Serialize};

use crate::report::{FindingField, FindingKind, Severity, StaleReason};

/// Every code a finding can carry. Serialised as its string (`misdescribed:expiry`), the report's
/// `code` field; a test keeps the serde names and [`FindingCode::as_str`] the same.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum FindingCode {
    /// The site sets a cookie that no declared row matches.
    #[serde(rename = "undeclared")]
    Undeclared,
    /// A declared row that no cookie set during the crawl matches: low, as many cookies need a
    /// login, consent or a form first.
    #[serde(rename = "stale:not_observed")]
    StaleNotObserved,
    /// A declared row, not seen in the crawl, for a cookie the knowledge base says its vendor no
    /// longer sets (`__cfduid`); the row leaves the suggested table.
    #[serde(rename = "stale:retired")]
    StaleRetired,
    /// The declared lifetime and the one the site asks for are far apart (thresholds in
    /// docs/findings.md); compared only when both are persistent.
    #[serde(rename = "misdescribed:expiry")]
    MisdescribedExpiry,
    /// Declared as a session cookie but given a lifetime, or declared persistent but set as a
    /// session cookie.
    #[serde(rename = "misdescribed:persistence")]
    MisdescribedPersistence,
    /// The row's domain (or provider written as a domain) is another site than the one the cookie
    /// is set on; when the party differs too, this one finding names it.
    #[serde(rename = "misdescribed:domain")]
    MisdescribedDomain,
    /// The row names no domain but claims a party ("third party cookie") that the cookie is not.
    #[serde(rename = "misdescribed:party")]
    MisdescribedParty,
    /// The row's one category contradicts what the knowledge base knows the cookie does.
    #[serde(rename = "misdescribed:category")]
    MisdescribedCategory,
    /// The declared name differs from the real one only in letter case; names are case-sensitive,
    /// so tools that go by the table miss it.
    #[serde(rename = "misdescribed:name_case")]
    MisdescribedNameCase,
    /// The declared name is one instance of a family whose names vary (`incap_ses_459_913011`)
    /// and the site set another (`incap_ses_771_913011`): the row should name the family.
    #[serde(rename = "misdescribed:name_instance")]
    MisdescribedNameInstance,
    /// No cookie table could be read: one finding for the whole site, with an empty `cookie`.
    #[serde(rename = "no_declaration")]
    NoDeclaration,
    /// A cookie that needs consent was stored in the `none` run, before the visitor could choose.
    #[serde(rename = "consent:before_choice")]
    ConsentBeforeChoice,
    /// A cookie that needs consent was stored after our click on "Reject all", in a run whose click
    /// the CMP confirmed.
    #[serde(rename = "consent:after_reject")]
    ConsentAfterReject,
    /// The banner offers "Accept" but no way to reject on its first layer.
    #[serde(rename = "consent:no_reject_option")]
    ConsentNoRejectOption,
    /// Our click on the banner could not be confirmed by the CMP's own state, so that run accuses
    /// nothing.
    #[serde(rename = "consent:choice_not_verified")]
    ConsentChoiceNotVerified,
    /// The consent platform's cookie list has a cookie that the page's table does not.
    #[serde(rename = "cmp_mismatch:not_in_table")]
    CmpNotInTable,
    /// The page's table lists a cookie that the consent platform does not, so the banner cannot
    /// block it.
    #[serde(rename = "cmp_mismatch:not_in_cmp")]
    CmpNotInCmp,
    /// The consent platform and the page's table file a cookie under different categories.
    #[serde(rename = "cmp_mismatch:category")]
    CmpCategory,
}

impl FindingCode {
    /// Every code, in the order docs/findings.md explains them. A new variant must be added here by
    /// hand: the match in [`FindingCode::as_str`] is exhaustive, this list is not.
    pub const ALL: [FindingCode; 18] = [
        FindingCode::Undeclared,
        FindingCode::StaleNotObserved,
        FindingCode::StaleRetired,
        FindingCode::MisdescribedExpiry,
        FindingCode::MisdescribedPersistence,
        FindingCode::MisdescribedDomain,
        FindingCode::MisdescribedParty,
        FindingCode::MisdescribedCategory,
        FindingCode::MisdescribedNameCase,
        FindingCode::MisdescribedNameInstance,
        FindingCode::NoDeclaration,
        FindingCode::ConsentBeforeChoice,
        FindingCode::ConsentAfterReject,
        FindingCode::ConsentNoRejectOption,
        FindingCode::ConsentChoiceNotVerified,
        FindingCode::CmpNotInTable,
        FindingCode::CmpNotInCmp,
        FindingCode::CmpCategory,
    ];

    /// Every code, for checks that must cover them all (a heading in docs/findings.md for each).
    pub fn iter() -> impl Iterator<Item = FindingCode> {
        Self::ALL.into_iter()
    }

    /// The code as written in reports and docs: `misdescribed:expiry`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::Undeclared => "undeclared",
            FindingCode::StaleNotObserved => "stale:not_observed",
            FindingCode::StaleRetired => "stale:retired",
            FindingCode::MisdescribedExpiry => "misdescribed:expiry",
            FindingCode::MisdescribedPersistence => "misdescribed:persistence",
            FindingCode::MisdescribedDomain => "misdescribed:domain",
            FindingCode::MisdescribedParty => "misdescribed:party",
            FindingCode::MisdescribedCategory => "misdescribed:category",
            FindingCode::MisdescribedNameCase => "misdescribed:name_case",
            FindingCode::MisdescribedNameInstance => "misdescribed:name_instance",
            FindingCode::NoDeclaration => "no_declaration",
            FindingCode::ConsentBeforeChoice => "consent:before_choice",
            FindingCode::ConsentAfterReject => "consent:after_reject",
            FindingCode::ConsentNoRejectOption => "consent:no_reject_option",
            FindingCode::ConsentChoiceNotVerified => "consent:choice_not_verified",
            FindingCode::CmpNotInTable => "cmp_mismatch:not_in_table",
            FindingCode::CmpNotInCmp => "cmp_mismatch:not_in_cmp",
            FindingCode::CmpCategory => "cmp_mismatch:category",
        }
    }

    /// The code written as `code` (`misdescribed:expiry`), as the history database stores it;
    /// `None` for text that is no code this build knows.
    pub fn parse(code: &str) -> Option<FindingCode> {
        Self::iter().find(|c| c.as_str() == code)
    }

    /// The kind the code belongs to, the report's `kind` field: filled from the code so the two
    /// never disagree.
    pub fn kind(self) -> FindingKind {
        match self {
            FindingCode::Undeclared => FindingKind::Undeclared,
            FindingCode::StaleNotObserved | FindingCode::StaleRetired => FindingKind::Stale,
            FindingCode::NoDeclaration => FindingKind::NoDeclaration,
            FindingCode::ConsentBeforeChoice
            | FindingCode::ConsentAfterReject
            | FindingCode::ConsentNoRejectOption
            | FindingCode::ConsentChoiceNotVerified => FindingKind::Consent,
            FindingCode::CmpNotInTable | FindingCode::CmpNotInCmp | FindingCode::CmpCategory => {
                FindingKind::CmpMismatch
            }
            _ => FindingKind::Misdescribed,
        }
    }

    /// What a `misdescribed` code is about, the report's `field`; `None` for every other code.
    pub fn field(self) -> Option<FindingField> {
        Some(match self {
            FindingCode::MisdescribedExpiry => FindingField::Expiry,
            FindingCode::MisdescribedPersistence => FindingField::Persistence,
            FindingCode::MisdescribedDomain => FindingField::Domain,
            FindingCode::MisdescribedParty => FindingField::Party,
            FindingCode::MisdescribedCategory => FindingField::Category,
            FindingCode::MisdescribedNameCase => FindingField::NameCase,
            FindingCode::MisdescribedNameInstance => FindingField::NameInstance,
            _ => return None,
        })
    }

    /// Why a `stale` code is stale, the report's `reason`; `None` for every other code.
    pub fn reason(self) -> Option<StaleReason> {
        match self {
            FindingCode::StaleNotObserved => Some(StaleReason::NotObserved),
            FindingCode::StaleRetired => Some(StaleReason::Retired),
            _ => None,
        }
    }

    /// One line: what the code means.
    pub fn description(self) -> &'static str {
        match self {
            FindingCode::Undeclared => "the site sets a cookie its cookie table does not list",
            FindingCode::StaleNotObserved => {
                "the cookie table lists a cookie the crawl never saw set"
            }
            FindingCode::StaleRetired => {
                "the cookie table lists a cookie its vendor no longer sets"
            }
            FindingCode::MisdescribedExpiry => {
                "the declared lifetime is far from the one the site asks for"
            }
            FindingCode::MisdescribedPersistence => {
                "declared as a session cookie but persistent, or the reverse"
            }
            FindingCode::MisdescribedDomain => {
                "the declared domain or provider is not where the cookie is set"
            }
            FindingCode::MisdescribedParty => {
                "declared first-party but set by a third party, or the reverse"
            }
            FindingCode::MisdescribedCategory => {
                "the declared category contradicts what the cookie is known to do"
            }
            FindingCode::MisdescribedNameCase => {
                "the declared name differs from the real one only in letter case"
            }
            FindingCode::MisdescribedNameInstance => {
                "the declared name is one instance of a varying name, and the site set another"
            }
            FindingCode::NoDeclaration => "the site publishes no cookie table that could be read",
            FindingCode::ConsentBeforeChoice => {
                "a cookie that needs consent is stored before the visitor has chosen"
            }
            FindingCode::ConsentAfterReject => {
                "a cookie that needs consent is stored after the visitor clicked \"Reject all\""
            }
            FindingCode::ConsentNoRejectOption => {
                "the banner has no way to reject on its first layer, beside \"Accept\""
            }
            FindingCode::ConsentChoiceNotVerified => {
                "our click on the banner could not be confirmed, so that run accuses nothing"
            }
            FindingCode::CmpNotInTable => {
                "the consent platform lists a cookie the cookie table does not"
            }
            FindingCode::CmpNotInCmp => {
                "the cookie table lists a cookie the consent platform does not (it cannot be refused)"
            }
            FindingCode::CmpCategory => {
                "the consent platform and the cookie table file a cookie under different categories"
            }
        }
    }

    /// The severity most findings with this code get; rules may raise or lower it with a reason.
    pub fn default_severity(self) -> Severity {
        match self {
            FindingCode::Undeclared => Severity::Medium,
            FindingCode::StaleNotObserved => Severity::Low,
            FindingCode::StaleRetired => Severity::Medium,
            FindingCode::MisdescribedExpiry => Severity::Medium,
            FindingCode::MisdescribedPersistence => Severity::High,
            FindingCode::MisdescribedDomain => Severity::Medium,
            FindingCode::MisdescribedParty => Severity::Medium,
            FindingCode::MisdescribedCategory => Severity::Medium,
            FindingCode::MisdescribedNameCase => Severity::Low,
            FindingCode::MisdescribedNameInstance => Severity::Low,
            FindingCode::NoDeclaration => Severity::High,
            FindingCode::ConsentBeforeChoice => Severity::Medium,
            FindingCode::ConsentAfterReject => Severity::High,
            FindingCode::ConsentNoRejectOption => Severity::High,
            FindingCode::ConsentChoiceNotVerified => Severity::Low,
            FindingCode::CmpNotInTable => Severity::Medium,
            FindingCode::CmpNotInCmp => Severity::Medium,
            FindingCode::CmpCategory => Severity::Medium,
        }
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in FindingCode::iter() {
            assert!(seen.insert(code.as_str()));
            assert_eq!(FindingCode::parse(code.as_str()), Some(code));
            let expected = match (code.field(), code.reason()) {
                (Some(field), None) => format!("{}:{}", code.kind().as_str(), field.as_str()),
                (None, Some(reason)) => format!("{}:{}", code.kind().as_str(), reason.as_str()),
                _ => code.kind().as_str().to_string(),
            };
            // Consent and CMP codes name what was wrong after their kind.
            let detailed = matches!(code.kind(), FindingKind::Consent | FindingKind::CmpMismatch);
            if detailed {
                assert!(
                    code.as_str()
                        .starts_with(&format!("{}:", code.kind().as_str()))
                );
            } else {
                assert_eq!(
                    code.as_str(),
                    expected,
                    "codes are built from the report's own words"
                );
            }
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().into()),
                "the wire name is the code"
            );
        }
    }
}
