//! Pairing observed cookies with declared rows.
//!
//! A name matches a declared row, best first, by: the exact name; a declared pattern (`_ga_*`)
//! with at least [`MIN_LITERAL_PREFIX`] characters before its wildcard; a knowledge-base family
//! (`incap_ses_{digits}_{digits}`: declared `incap_ses_459_913011` is observed
//! `incap_ses_771_913011`); the same name in other letter case. Among the rows whose name
//! matches, the one whose domain fits best wins: the same host, then the same site (registrable
//! domain), then a row without a domain, and only then a row for another site — which still
//! pairs, and becomes a `misdescribed:domain` finding. The same name declared for two domains is
//! two declarations: Barnet's `_ga` for .twitter.com and for .barnet.gov.uk.

use cookie_audit_model::domain::{domain_match, registrable_domain};
use cookie_audit_model::{CookieCategory, DeclaredCookie, ObservedCookie, Party};

use crate::entry::Entry;
use crate::family::MIN_LITERAL_PREFIX;
use crate::kb::KnowledgeBase;
use crate::text::{category_in, host_in, party_claim};

/// A declared `*` pattern, checked to have enough literal characters before its first wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    parts: Vec<String>,
}

impl Glob {
    /// `None` with a reason when the text is not a pattern we trust.
    pub(crate) fn parse(text: &str) -> Result<Option<Glob>, String> {
        if !text.contains('*') {
            return Ok(None);
        }
        let parts: Vec<String> = text.split('*').map(str::to_string).collect();
        let prefix = parts.first().map_or(0, |p| p.chars().count());
        if prefix < MIN_LITERAL_PREFIX {
            return Err(format!(
                "declared pattern {text:?} ignored: it has fewer than {MIN_LITERAL_PREFIX} characters before its wildcard, so it would match unrelated cookies"
            ));
        }
        Ok(Some(Glob { parts }))
    }

    /// `*` stands for any run of characters, including none.
    pub(crate) fn matches(&self, name: &str) -> bool {
        let (first, rest) = match self.parts.split_first() {
            Some(split) => split,
            None => return false,
        };
        let Some(mut remaining) = name.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return remaining.is_empty();
        };
        for part in middle {
            match remaining.find(part.as_str()) {
                Some(at) => remaining = &remaining[at + part.len()..],
                None => return false,
            }
        }
        remaining.len() >= last.len() && remaining.ends_with(last.as_str())
    }
}

/// A declared row with what the diff reads from it, computed once.
#[derive(Debug)]
pub(crate) struct DeclaredView<'a> {
    pub row: &'a DeclaredCookie,
    pub glob: Option<Glob>,
    /// The host the row names: its domain cell, or a provider cell written as a domain.
    pub host: Option<String>,
    /// The party the row's words claim ("third party cookie"), used when it names no host.
    pub party_claim: Option<Party>,
    pub category: Option<CookieCategory>,
    /// The knowledge-base family the declared name belongs to, and its placeholder values.
    pub family: Option<(usize, Vec<String>)>,
}

impl<'a> DeclaredView<'a> {
    pub(crate) fn new(
        row: &'a DeclaredCookie,
        kb: &KnowledgeBase,
        warnings: &mut Vec<String>,
    ) -> DeclaredView<'a> {
        let pattern_text = row
            .glob
            .as_deref()
            .or_else(|| row.name.contains('*').then_some(row.name.as_str()));
        let glob = match pattern_text.map(Glob::parse) {
            Some(Ok(glob)) => glob,
            Some(Err(warning)) => {
                warnings.push(warning);
                None
            }
            None => None,
        };
        let host = row
            .domain
            .as_deref()
            .and_then(|d| host_in(d, false))
            .or_else(|| row.provider.as_deref().and_then(|p| host_in(p, true)));
        let cells: Vec<&str> = [&row.domain, &row.provider, &row.category]
            .into_iter()
            .filter_map(|c| c.as_deref())
            .collect();
        let sentences: Vec<&str> = row.purpose.as_deref().into_iter().collect();
        DeclaredView {
            row,
            family: if glob.is_none() {
                kb.family(&row.name)
            } else {
                None
            },
            glob,
            host,
            party_claim: party_claim(&cells, &sentences),
            category: row.category.as_deref().and_then(category_in),
        }
    }
}

/// An observed cookie with what the diff reads from it, computed once.
#[derive(Debug)]
pub(crate) struct ObservedView<'a> {
    pub cookie: &'a ObservedCookie,
    /// False when every header for it deleted it (`Max-Age=0`, a past `Expires`): not "set".
    pub set: bool,
    pub family: Option<(usize, Vec<String>)>,
    pub entry: Option<&'a Entry>,
}

impl<'a> ObservedView<'a> {
    pub(crate) fn new(cookie: &'a ObservedCookie, kb: &'a KnowledgeBase) -> ObservedView<'a> {
        ObservedView {
            cookie,
            set: !cookie.lifetime.is_deletion(),
            family: kb.family(&cookie.name),
            entry: kb.lookup(&cookie.name, &cookie.domain),
        }
    }
}

/// How a declared name fits an observed one, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NameMatch {
    Exact,
    Glob,
    /// Same knowledge-base family; the number of placeholder values that differ (fewer is better).
    Family(usize),
    CaseInsensitive,
}

/// How a declared row's domain fits an observed cookie's domain, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DomainFit {
    /// One domain-matches the other (`barnet.gov.uk` and `www.barnet.gov.uk`).
    Host,
    /// Same registrable domain.
    Site,
    /// The row names no domain.
    Unknown,
    /// The row names another site.
    Mismatch,
}

pub(crate) fn name_match(
    observed: &ObservedView<'_>,
    declared: &DeclaredView<'_>,
) -> Option<NameMatch> {
    let name = observed.cookie.name.as_str();
    if declared.row.name == name {
        return Some(NameMatch::Exact);
    }
    if let Some(glob) = &declared.glob {
        return glob.matches(name).then_some(NameMatch::Glob);
    }
    if let (Some((fam_o, caps_o)), Some((fam_d, caps_d))) = (&observed.family, &declared.family)
        && fam_o == fam_d
    {
        let differing = caps_o.iter().zip(caps_d).filter(|(a, b)| a != b).count();
        return Some(NameMatch::Family(differing));
    }
    declared
        .row
        .name
        .eq_ignore_ascii_case(name)
        .then_some(NameMatch::CaseInsensitive)
}

pub(crate) fn domain_fit(observed_domain: &str, declared_host: Option<&str>) -> DomainFit {
    let Some(host) = declared_host else {
        return DomainFit::Unknown;
    };
    if domain_match(observed_domain, host) || domain_match(host, observed_domain) {
        DomainFit::Host
    } else if registrable_domain(observed_domain) == registrable_domain(host) {
        DomainFit::Site
    } else {
        DomainFit::Mismatch
    }
}

/// The declared row(s) an observed cookie pairs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    /// Index into the declared views of the row the cookie is compared with.
    pub declared: usize,
    /// Rows that fit exactly as well (the same cookie declared twice): accounted for, not stale.
    pub also: Vec<usize>,
    pub name: NameMatch,
    pub fit: DomainFit,
}

/// The best declared row for one observed cookie: best domain fit, then best name match, then
/// table order.
pub(crate) fn best_pair(
    observed: &ObservedView<'_>,
    declared: &[DeclaredView<'_>],
) -> Option<Pair> {
    let mut candidates: Vec<(DomainFit, NameMatch, usize)> = declared
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let name = name_match(observed, d)?;
            Some((
                domain_fit(&observed.cookie.domain, d.host.as_deref()),
                name,
                i,
            ))
        })
        .collect();
    candidates.sort();
    let (fit, name, first) = *candidates.first()?;
    let also = candidates
        .iter()
        .skip(1)
        .take_while(|c| (c.0, c.1) == (fit, name))
        .map(|c| c.2)
        .collect();
    Some(Pair {
        declared: first,
        also,
        name,
        fit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_need_three_literal_characters() {
        assert!(Glob::parse("_ga_*").unwrap().is_some());
        assert!(Glob::parse("_ga*").unwrap().is_some());
        assert!(Glob::parse("_g*").is_err());
        assert!(Glob::parse("*_913011").is_err());
        assert!(Glob::parse("_ga").unwrap().is_none());
    }

    #[test]
    fn globs_match_runs() {
        let g = Glob::parse("_ga_*").unwrap().unwrap();
        assert!(g.matches("_ga_ABC123"));
        assert!(g.matches("_ga_"));
        assert!(!g.matches("_ga"));
        assert!(!g.matches("x_ga_1"));
        let g = Glob::parse("incap_ses_*_913011").unwrap().unwrap();
        assert!(g.matches("incap_ses_771_913011"));
        assert!(!g.matches("incap_ses_771_913012"));
        let g = Glob::parse("__utm*").unwrap().unwrap();
        assert!(g.matches("__utma") && g.matches("__utm"));
        let g = Glob::parse("abc*c").unwrap().unwrap();
        assert!(
            g.matches("abcc") && !g.matches("abc"),
            "the suffix may not overlap the prefix"
        );
    }

    #[test]
    fn domain_fit_ranks_host_site_unknown_mismatch() {
        assert_eq!(
            domain_fit("www.barnet.gov.uk", Some("barnet.gov.uk")),
            DomainFit::Host
        );
        assert_eq!(
            domain_fit("barnet.gov.uk", Some("account.barnet.gov.uk")),
            DomainFit::Host
        );
        assert_eq!(
            domain_fit("www.barnet.gov.uk", Some("account.barnet.gov.uk")),
            DomainFit::Site
        );
        assert_eq!(domain_fit("barnet.gov.uk", None), DomainFit::Unknown);
        assert_eq!(
            domain_fit("barnet.gov.uk", Some("twitter.com")),
            DomainFit::Mismatch
        );
        assert_eq!(
            domain_fit("lbbd.gov.uk", Some("barnet.gov.uk")),
            DomainFit::Mismatch,
            "gov.uk is a public suffix: two councils are two sites"
        );
    }
}
