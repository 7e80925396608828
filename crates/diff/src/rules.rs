//! The rules: each finding code's condition and severity (docs/findings.md explains them with
//! examples). Every threshold is a named constant here.

use cookie_audit_model::expiry::{SECONDS_PER_DAY, describe_seconds};
use cookie_audit_model::{
    CookieCategory, DeclarationStatus, DeclaredCookie, DeclaredSourceKind, Evidence, EvidenceKind,
    Finding, FindingCode, MentionKind, ObservedCookie, Party, Severity, SuggestedRow,
};

use crate::consent::{self, Judged};
use crate::entry::Entry;
use crate::kb::KnowledgeBase;
use crate::matching::{
    DeclaredView, DomainFit, NameMatch, ObservedView, Pair, best_pair, name_match,
};
use crate::messages::{self, UndeclaredNotes, lifetime_words};
use crate::suggest::{self, Corrections};
use crate::{DiffInput, DiffOutput};

/// `misdescribed:expiry` when the site asks for more than this multiple of the declared
/// lifetime… (the threshold of the CookieBlock study, USENIX Security 2022)
pub const EXPIRY_LONGER_RATIO: f64 = 1.5;
/// …and at least this much longer, so "1 minute" against 2 minutes is not a finding.
pub const EXPIRY_LONGER_MIN_SECONDS: i64 = SECONDS_PER_DAY;
/// `misdescribed:expiry` (low) when the site asks for less than this multiple of the declared
/// lifetime.
pub const EXPIRY_SHORTER_RATIO: f64 = 0.5;

pub(crate) fn run(input: &DiffInput<'_>, kb: &KnowledgeBase) -> DiffOutput {
    let mut warnings = Vec::new();
    // The page's table decides undeclared, stale and misdescribed; the consent platform's own
    // list is compared with it separately (cmp_mismatch).
    let (page_rows, cmp_rows): (Vec<&DeclaredCookie>, Vec<&DeclaredCookie>) = input
        .declared
        .iter()
        .partition(|row| row.source.kind == DeclaredSourceKind::Page);
    let declared: Vec<DeclaredView<'_>> = page_rows
        .iter()
        .map(|row| DeclaredView::new(row, kb, &mut warnings))
        .collect();
    let cmp_list: Vec<DeclaredView<'_>> = cmp_rows
        .iter()
        .map(|row| DeclaredView::new(row, kb, &mut warnings))
        .collect();
    let observed = observed_views(input, kb);
    let no_table = input.declaration.status == DeclarationStatus::NotFound || declared.is_empty();
    // No cookie page could be read: what the table says is unknown, so nothing is judged by it.
    let unread = input.declaration.status == DeclarationStatus::Unreadable;

    let mut findings = Vec::new();
    let mut table = Vec::new();
    let mut used = vec![false; declared.len()];
    let mut declared_rows: Vec<Option<SuggestedRow>> = vec![None; declared.len()];

    let set: Vec<&ObservedView<'_>> = observed.iter().filter(|o| o.set).collect();
    let pairs = pair_all(&set, &declared);

    let mut judged = Vec::with_capacity(set.len());
    for (o, pair) in set.into_iter().zip(pairs) {
        judged.push(Judged {
            observed: o,
            page_row: pair.as_ref().map(|p| &declared[p.declared]),
            cmp_row: best_pair(o, &cmp_list).map(|p| &cmp_list[p.declared]),
        });
        match pair {
            Some(pair) => {
                used[pair.declared] = true;
                for &i in &pair.also {
                    used[i] = true;
                }
                let d = &declared[pair.declared];
                let (mut pair_findings, corrections) = check_pair(o, d, &pair, input, kb);
                let row = corrections.apply(suggest::kept_row(d, Some(o.cookie), o.entry));
                if !corrections.is_empty() {
                    for finding in &mut pair_findings {
                        finding.fix = Some(row.clone());
                    }
                }
                findings.extend(pair_findings);
                declared_rows[pair.declared].get_or_insert(row);
            }
            None => {
                if !unread {
                    findings.push(undeclared(o, input, kb, no_table));
                }
                // A browser never stores a rejected cookie, so the table need not list it.
                if o.cookie.rejected.is_none() {
                    table.push(suggest::new_row(o.cookie, o.entry));
                }
            }
        }
    }

    for (i, d) in declared.iter().enumerate() {
        if used[i] {
            table.extend(declared_rows[i].take());
            continue;
        }
        let (finding, row) = stale(d, &observed, input, kb);
        findings.push(finding);
        table.extend(row);
    }

    findings.extend(no_declaration(input, kb, &observed));
    findings.extend(consent::findings(input, &judged));
    if unread {
        findings.retain(|f| !judges_the_page_table(f.code));
    }
    let findings = dedupe_and_sort(findings);
    suggest::sort_table(&mut table);
    warnings.sort();
    warnings.dedup();
    DiffOutput {
        findings,
        suggested_table: table,
        // Filled by `diff`, which owns the observed cookies.
        observed: Vec::new(),
        warnings,
    }
}

/// The observed cookies in name, domain, path order, each with what the knowledge base knows.
fn observed_views<'a>(input: &'a DiffInput<'a>, kb: &'a KnowledgeBase) -> Vec<ObservedView<'a>> {
    let mut order: Vec<usize> = (0..input.observed.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&input.observed[a], &input.observed[b]);
        (&a.name, &a.domain, &a.path).cmp(&(&b.name, &b.domain, &b.path))
    });
    order
        .iter()
        .map(|&i| ObservedView::new(&input.observed[i], kb))
        .collect()
}

/// Each set cookie's best row of the page's table. A row that fits one cookie's domain does not
/// also describe the same name on another site: with `_ga` declared for barnet.gov.uk, a `_ga`
/// on twitter.com is undeclared, not a wrong domain. Only rows no cookie fits by domain can pair
/// across sites (the nmstat case).
fn pair_all(set: &[&ObservedView<'_>], declared: &[DeclaredView<'_>]) -> Vec<Option<Pair>> {
    let mut pairs: Vec<Option<Pair>> = set.iter().map(|o| best_pair(o, declared)).collect();
    let fitting: Vec<usize> = pairs
        .iter()
        .flatten()
        .filter(|p| p.fit != DomainFit::Mismatch)
        .flat_map(|p| std::iter::once(p.declared).chain(p.also.iter().copied()))
        .collect();
    for pair in &mut pairs {
        if pair
            .as_ref()
            .is_some_and(|p| p.fit == DomainFit::Mismatch && fitting.contains(&p.declared))
        {
            *pair = None;
        }
    }
    pairs
}

pub(crate) fn finding(
    code: FindingCode,
    cookie: &str,
    domain: Option<&str>,
    severity: Severity,
    message: String,
) -> Finding {
    Finding {
        code,
        kind: code.kind(),
        cookie: cookie.to_string(),
        domain: domain.map(str::to_string),
        field: code.field(),
        reason: code.reason(),
        severity,
        message,
        declared: None,
        observed: None,
        evidence: Vec::new(),
        fix: None,
    }
}

/// Where an observed cookie was seen: the crawler's evidence, or what its fields say.
pub(crate) fn observed_evidence(cookie: &ObservedCookie) -> Vec<Evidence> {
    if !cookie.evidence.is_empty() {
        return cookie.evidence.clone();
    }
    let mut evidence = Vec::new();
    if !cookie.first_seen_page.is_empty() {
        evidence.push(Evidence::new(EvidenceKind::Page, &cookie.first_seen_page));
    }
    if !cookie.set_by_url.is_empty() {
        let kind = match cookie.source {
            cookie_audit_model::CookieSource::Http => EvidenceKind::Response,
            cookie_audit_model::CookieSource::Script => EvidenceKind::Script,
            cookie_audit_model::CookieSource::Jar => EvidenceKind::Page,
        };
        evidence.push(Evidence::new(kind, &cookie.set_by_url));
    }
    evidence
}

pub(crate) fn declared_evidence(d: &DeclaredView<'_>) -> Evidence {
    let mut evidence = Evidence::new(EvidenceKind::DeclaredRow, &d.row.source.url);
    let source = &d.row.source;
    if source.kind == cookie_audit_model::DeclaredSourceKind::Cmp {
        // The platform's list is no table on the page: no table or row to point at.
        let cmp = source.cmp.as_deref().unwrap_or("the consent platform");
        evidence.note = Some(format!(
            "in {cmp}'s own cookie list (read from the page's scripts) as {}",
            d.row.name
        ));
        return evidence;
    }
    evidence.table = Some(source.table);
    evidence.row = Some(source.row);
    evidence.note = Some(format!("declared as {}", d.row.name));
    evidence
}

fn reference_evidence(url: &str, note: &str) -> Evidence {
    let mut evidence = Evidence::new(EvidenceKind::Reference, url);
    evidence.note = Some(note.to_string());
    evidence
}

/// How much consent a category weighs: only strictly necessary cookies are exempt.
fn consent_weight(category: CookieCategory) -> u8 {
    match category {
        CookieCategory::StrictlyNecessary => 0,
        CookieCategory::Functional => 1,
        CookieCategory::Analytics => 2,
        CookieCategory::Marketing => 3,
    }
}

fn needs_consent_by_kb(entry: Option<&Entry>) -> bool {
    entry.is_some_and(|e| {
        matches!(
            e.category,
            CookieCategory::Analytics | CookieCategory::Marketing
        )
    })
}

/// One field found wrong: the finding, what the table says and what was seen, in words, and
/// evidence beyond the pair's own (a vendor's reference).
struct FieldFinding {
    finding: Finding,
    declared: String,
    observed: String,
    extra: Option<Evidence>,
}

impl FieldFinding {
    fn new(finding: Finding, declared: String, observed: String) -> FieldFinding {
        FieldFinding {
            finding,
            declared,
            observed,
            extra: None,
        }
    }
}

/// Every field of a matched pair checked, one function per field; the corrections make the
/// suggested row.
fn check_pair(
    o: &ObservedView<'_>,
    d: &DeclaredView<'_>,
    pair: &Pair,
    input: &DiffInput<'_>,
    kb: &KnowledgeBase,
) -> (Vec<Finding>, Corrections) {
    let mut corrections = Corrections::default();
    let fields = [
        check_name_case(o, d, pair, &mut corrections),
        check_name_instance(o, d, pair, kb, &mut corrections),
        check_expiry(o, d, &mut corrections),
        check_domain_or_party(o, d, pair, input, &mut corrections),
        check_category(o, d, &mut corrections),
    ];
    let mut evidence = observed_evidence(o.cookie);
    evidence.push(declared_evidence(d));
    let findings = fields
        .into_iter()
        .flatten()
        .map(|field| {
            let mut f = field.finding;
            f.declared = Some(field.declared);
            f.observed = Some(field.observed);
            f.evidence = evidence.clone();
            f.evidence.extend(field.extra);
            f
        })
        .collect();
    (findings, corrections)
}

fn check_name_case(
    o: &ObservedView<'_>,
    d: &DeclaredView<'_>,
    pair: &Pair,
    corrections: &mut Corrections,
) -> Option<FieldFinding> {
    if pair.name != NameMatch::CaseInsensitive {
        return None;
    }
    let cookie = o.cookie;
    let name = cookie.name.as_str();
    corrections.name = Some(name.to_string());
    Some(FieldFinding::new(
        finding(
            FindingCode::MisdescribedNameCase,
            name,
            Some(&cookie.domain),
            Severity::Low,
            messages::name_case(&d.row.name, name),
        ),
        d.row.name.clone(),
        name.to_string(),
    ))
}

/// The row names one member of a family whose names vary (a server or property number) and the
/// site set another: the table fits today's member only by luck, and tools that go by the table
/// miss the rest. The fix names the family, its shared values kept (`incap_ses_*_913011`).
fn check_name_instance(
    o: &ObservedView<'_>,
    d: &DeclaredView<'_>,
    pair: &Pair,
    kb: &KnowledgeBase,
    corrections: &mut Corrections,
) -> Option<FieldFinding> {
    let NameMatch::Family(differing) = pair.name else {
        return None;
    };
    let ((index, observed_values), (_, declared_values)) = (o.family.as_ref()?, d.family.as_ref()?);
    if differing == 0 {
        return None;
    }
    let pattern = kb.family_pattern(*index)?;
    let family_name = pattern.generalise(declared_values, observed_values);
    let cookie = o.cookie;
    let name = cookie.name.as_str();
    corrections.name = Some(family_name.clone());
    Some(FieldFinding::new(
        finding(
            FindingCode::MisdescribedNameInstance,
            name,
            Some(&cookie.domain),
            Severity::Low,
            messages::name_instance(&d.row.name, name, &family_name),
        ),
        d.row.name.clone(),
        name.to_string(),
    ))
}

/// Session declared but persistent (or the reverse), or a lifetime far from the one asked for.
fn check_expiry(
    o: &ObservedView<'_>,
    d: &DeclaredView<'_>,
    corrections: &mut Corrections,
) -> Option<FieldFinding> {
    let expiry = d.row.expiry.as_ref()?;
    let cookie = o.cookie;
    let name = cookie.name.as_str();
    let (code, severity, message) = match (expiry.session, cookie.lifetime.session) {
        (Some(true), false) => (
            FindingCode::MisdescribedPersistence,
            Severity::High,
            messages::persistence_session_declared(name, &cookie.lifetime),
        ),
        (Some(false), true) => (
            FindingCode::MisdescribedPersistence,
            Severity::Low,
            messages::persistence_persistent_declared(name, &expiry.text),
        ),
        (Some(false), false) => {
            let (declared, asked) = (expiry.seconds?, cookie.lifetime.seconds?);
            let (severity, longer) = compare_lifetimes(declared, asked)?;
            // The declared duration in the same words as the observed one, so
            // "Persistent. 50 years." reads "50 years".
            let declared_words = describe_seconds(declared);
            let message = if longer {
                messages::expiry_longer(name, &declared_words, &cookie.lifetime)
            } else {
                messages::expiry_shorter(name, &declared_words, &cookie.lifetime)
            };
            (FindingCode::MisdescribedExpiry, severity, message)
        }
        _ => return None,
    };
    let observed_words = lifetime_words(&cookie.lifetime);
    corrections.expiry = Some(observed_words.clone());
    Some(FieldFinding::new(
        finding(code, name, Some(&cookie.domain), severity, message),
        expiry.text.clone(),
        observed_words,
    ))
}

/// A declared domain where the cookie is not set; else, with no domain declared, a declared
/// party the cookie is not. One finding: a wrong domain that also makes the party wrong says so
/// in its message (the `nmstat` case).
fn check_domain_or_party(
    o: &ObservedView<'_>,
    d: &DeclaredView<'_>,
    pair: &Pair,
    input: &DiffInput<'_>,
    corrections: &mut Corrections,
) -> Option<FieldFinding> {
    let cookie = o.cookie;
    let name = cookie.name.as_str();
    if let Some(host) = &d.host {
        if pair.fit != DomainFit::Mismatch {
            return None;
        }
        let declared_party = Party::of(host, input.site_host);
        // Telling visitors a cookie stays with the site when a third party gets it is the
        // misleading direction.
        let severity = if declared_party == Party::First && cookie.party == Party::Third {
            Severity::High
        } else {
            FindingCode::MisdescribedDomain.default_severity()
        };
        corrections.domain = Some(cookie.domain.clone());
        return Some(FieldFinding::new(
            finding(
                FindingCode::MisdescribedDomain,
                name,
                Some(&cookie.domain),
                severity,
                messages::domain(name, host, declared_party, cookie),
            ),
            host.clone(),
            cookie.domain.clone(),
        ));
    }
    let claimed = d.party_claim.filter(|claimed| *claimed != cookie.party)?;
    let severity = if claimed == Party::First {
        Severity::High
    } else {
        FindingCode::MisdescribedParty.default_severity()
    };
    corrections.domain = Some(cookie.domain.clone());
    Some(FieldFinding::new(
        finding(
            FindingCode::MisdescribedParty,
            name,
            Some(&cookie.domain),
            severity,
            messages::party(name, claimed, cookie),
        ),
        format!("{}-party", claimed.as_str()),
        format!("{}-party", cookie.party.as_str()),
    ))
}

/// A declared category that contradicts what the knowledge base knows the cookie does.
fn check_category(
    o: &ObservedView<'_>,
    d: &DeclaredView<'_>,
    corrections: &mut Corrections,
) -> Option<FieldFinding> {
    let (declared_category, entry) = (d.category?, o.entry?);
    if declared_category == entry.category {
        return None;
    }
    let name = o.cookie.name.as_str();
    let (declared_weight, known_weight) = (
        consent_weight(declared_category),
        consent_weight(entry.category),
    );
    let severity = if known_weight < declared_weight {
        // The table is stricter than needed: harmless, but still wrong.
        Severity::Low
    } else if declared_weight <= 1 && known_weight >= 2 {
        // Analytics or marketing presented as necessary or functional: consent is skipped.
        Severity::High
    } else {
        FindingCode::MisdescribedCategory.default_severity()
    };
    let declared_text = d.row.category.clone().unwrap_or_default();
    corrections.category = Some(entry.category);
    Some(FieldFinding {
        finding: finding(
            FindingCode::MisdescribedCategory,
            name,
            Some(&o.cookie.domain),
            severity,
            messages::category(name, &declared_text, entry),
        ),
        declared: declared_text,
        observed: entry.category.label().to_string(),
        extra: entry
            .reference
            .as_deref()
            .map(|url| reference_evidence(url, &format!("{} classifies {name}", entry.vendor))),
    })
}

/// `Some((severity, longer))` when the declared and asked-for lifetimes disagree beyond the
/// thresholds.
pub(crate) fn compare_lifetimes(declared: i64, asked: i64) -> Option<(Severity, bool)> {
    if declared <= 0 || asked <= 0 {
        return None;
    }
    let (declared_f, asked_f) = (declared as f64, asked as f64);
    if asked_f > EXPIRY_LONGER_RATIO * declared_f
        && asked.saturating_sub(declared) >= EXPIRY_LONGER_MIN_SECONDS
    {
        Some((FindingCode::MisdescribedExpiry.default_severity(), true))
    } else if asked_f < EXPIRY_SHORTER_RATIO * declared_f {
        Some((Severity::Low, false))
    } else {
        None
    }
}

fn undeclared(
    o: &ObservedView<'_>,
    input: &DiffInput<'_>,
    kb: &KnowledgeBase,
    no_table: bool,
) -> Finding {
    let cookie = o.cookie;
    let severity = if cookie.rejected.is_some() {
        Severity::Low
    } else if cookie.party == Party::Third || needs_consent_by_kb(o.entry) {
        Severity::High
    } else {
        Severity::Medium
    };
    let mentions = &input.declaration.prose_mentions;
    let vendor_mentioned = o.entry.and_then(|entry| {
        mentions
            .iter()
            .filter(|m| m.kind == MentionKind::Vendor)
            .find(|m| {
                kb.vendor_named(&m.term) == Some(entry.vendor.as_str())
                    || m.term.trim().eq_ignore_ascii_case(&entry.vendor)
            })
            .map(|m| (entry.vendor.clone(), m))
    });
    let name_mentioned = mentions
        .iter()
        .find(|m| m.kind == MentionKind::Cookie && m.term.trim() == cookie.name);
    let notes = UndeclaredNotes {
        no_table,
        vendor_mentioned: vendor_mentioned.as_ref().map(|(v, _)| v.clone()),
        name_mentioned: name_mentioned.is_some(),
    };
    let mut f = finding(
        FindingCode::Undeclared,
        &cookie.name,
        Some(&cookie.domain),
        severity,
        messages::undeclared(cookie, o.entry, &notes),
    );
    f.observed = Some(format!(
        "{} on {}",
        lifetime_words(&cookie.lifetime),
        cookie.domain
    ));
    f.evidence = observed_evidence(cookie);
    if let Some(mention) = vendor_mentioned.map(|(_, m)| m).or(name_mentioned) {
        let mut e = Evidence::new(EvidenceKind::Page, &mention.url);
        e.note = Some(format!("mentions {} in prose", mention.term.trim()));
        f.evidence.push(e);
    }
    if let Some(retired) = o.entry.and_then(|e| e.retired.as_ref()) {
        f.evidence
            .push(reference_evidence(&retired.source, &retired.note));
    }
    if cookie.rejected.is_none() {
        f.fix = Some(suggest::new_row(cookie, o.entry));
    }
    f
}

fn stale(
    d: &DeclaredView<'_>,
    observed: &[ObservedView<'_>],
    input: &DiffInput<'_>,
    kb: &KnowledgeBase,
) -> (Finding, Option<SuggestedRow>) {
    let name = d.row.name.as_str();
    let host = d.host.as_deref();
    let entry = if d.glob.is_none() {
        kb.lookup(name, host.unwrap_or(""))
    } else {
        None
    };
    let mut evidence = vec![declared_evidence(d)];
    if let Some(retired) = entry.and_then(|e| e.retired.as_ref()) {
        let mut f = finding(
            FindingCode::StaleRetired,
            name,
            host,
            FindingCode::StaleRetired.default_severity(),
            messages::stale_retired(name, &retired.note),
        );
        f.declared = Some(name.to_string());
        f.observed = Some(format!("retired {}", retired.date.format("%-d %B %Y")));
        evidence.push(reference_evidence(&retired.source, &retired.note));
        f.evidence = evidence;
        return (f, None);
    }
    let deleted_only = observed
        .iter()
        .filter(|o| !o.set)
        .find(|o| name_match(o, d).is_some());
    if let Some(o) = deleted_only {
        evidence.extend(observed_evidence(o.cookie));
    }
    let mut f = finding(
        FindingCode::StaleNotObserved,
        name,
        host,
        FindingCode::StaleNotObserved.default_severity(),
        messages::stale_not_observed(
            name,
            host,
            input.pages_crawled,
            d.row.suspicious_name,
            deleted_only.is_some(),
        ),
    );
    f.declared = Some(name.to_string());
    f.observed = Some(if deleted_only.is_some() {
        "only deleted".to_string()
    } else {
        "not set".to_string()
    });
    f.evidence = evidence;
    (f, Some(suggest::kept_row(d, None, entry)))
}

/// Codes that accuse the page's cookie table of leaving something out or keeping something
/// stale: never raised from a table that could not be read.
fn judges_the_page_table(code: FindingCode) -> bool {
    matches!(
        code,
        FindingCode::Undeclared
            | FindingCode::StaleNotObserved
            | FindingCode::StaleRetired
            | FindingCode::NoDeclaration
            | FindingCode::CmpNotInTable
    )
}

/// One finding for the whole site when it publishes no table that could be read.
fn no_declaration(
    input: &DiffInput<'_>,
    kb: &KnowledgeBase,
    observed: &[ObservedView<'_>],
) -> Option<Finding> {
    let not_found = input.declaration.status == DeclarationStatus::NotFound;
    if input.declaration.status == DeclarationStatus::Unreadable
        || (!not_found && !input.declared.is_empty())
    {
        return None;
    }
    let set: Vec<&ObservedView<'_>> = observed.iter().filter(|o| o.set).collect();
    let needing_consent = set
        .iter()
        .filter(|o| o.cookie.party == Party::Third || needs_consent_by_kb(o.entry))
        .count();
    let severity = if needing_consent > 0 {
        Severity::High
    } else if !set.is_empty() {
        Severity::Medium
    } else {
        Severity::Low
    };
    let mut message = if not_found {
        "No cookie table was found on the site's privacy or cookie pages".to_string()
    } else {
        "A cookie page was found, but no cookie names could be read from it".to_string()
    };
    if set.is_empty() {
        message.push_str(", and the crawl saw no cookies set, so nothing is missing yet.");
    } else {
        let noun = if set.len() == 1 { "cookie" } else { "cookies" };
        message.push_str(&format!(", yet the site set {} {noun}", set.len()));
        if needing_consent > 0 {
            message.push_str(&format!(
                " ({needing_consent} of them third-party, analytics or marketing)"
            ));
        }
        message.push_str(", each reported as undeclared");
        let mentioned = mentioned_vendors_with_cookies(input, kb, &set);
        if !mentioned.is_empty() {
            let parts: Vec<String> = mentioned
                .iter()
                .map(|(vendor, names)| format!("{vendor} (which set {})", names.join(", ")))
                .collect();
            message.push_str(&format!(
                "; your privacy page mentions {} in its text but lists none of its cookies",
                parts.join(" and ")
            ));
        }
        message.push('.');
    }
    let mut f = finding(FindingCode::NoDeclaration, "", None, severity, message);
    f.observed = Some(format!("{} cookies set", set.len()));
    f.evidence = input
        .declaration
        .pages
        .iter()
        .map(|page| {
            let mut e = Evidence::new(EvidenceKind::Page, &page.url);
            e.note = Some(format!("read as a privacy page: {}", page.found_by));
            e
        })
        .collect();
    Some(f)
}

/// Vendors the prose mentions whose cookies were set, with those cookies' names, in mention order.
fn mentioned_vendors_with_cookies(
    input: &DiffInput<'_>,
    kb: &KnowledgeBase,
    set: &[&ObservedView<'_>],
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for mention in input
        .declaration
        .prose_mentions
        .iter()
        .filter(|m| m.kind == MentionKind::Vendor)
    {
        let Some(vendor) = kb.vendor_named(&mention.term) else {
            continue;
        };
        if out.iter().any(|(v, _)| v == vendor) {
            continue;
        }
        let mut names: Vec<String> = set
            .iter()
            .filter(|o| o.entry.is_some_and(|e| e.vendor == vendor))
            .map(|o| o.cookie.name.clone())
            .collect();
        names.dedup();
        if !names.is_empty() {
            out.push((vendor.to_string(), names));
        }
    }
    out
}

/// One finding per code, cookie and domain: the same cookie on several paths, or the same row
/// declared twice, is one thing to fix. Evidence is merged.
fn dedupe_and_sort(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        match out
            .iter_mut()
            .find(|g| g.code == f.code && g.cookie == f.cookie && g.domain == f.domain)
        {
            Some(existing) => {
                for e in f.evidence {
                    if !existing.evidence.contains(&e) {
                        existing.evidence.push(e);
                    }
                }
                existing.severity = existing.severity.max(f.severity);
            }
            None => out.push(f),
        }
    }
    out.sort_by(|a, b| {
        (a.kind, &a.cookie, &a.domain, a.field, a.reason, &a.message)
            .cmp(&(b.kind, &b.cookie, &b.domain, b.field, b.reason, &b.message))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = SECONDS_PER_DAY;

    #[test]
    fn longer_needs_both_the_ratio_and_a_day() {
        // 1.5× exactly is not a finding; just above is, once a day longer.
        assert_eq!(compare_lifetimes(10 * DAY, 15 * DAY), None);
        assert_eq!(
            compare_lifetimes(10 * DAY, 15 * DAY + 1),
            Some((Severity::Medium, true))
        );
        // Far above 1.5× but less than a day longer: not a finding ("1 minute" vs 2 hours).
        assert_eq!(compare_lifetimes(60, 2 * 3600), None);
        assert_eq!(compare_lifetimes(60, DAY + 59), None);
        assert_eq!(
            compare_lifetimes(60, DAY + 60),
            Some((Severity::Medium, true))
        );
        assert_eq!(
            compare_lifetimes(DAY, 2 * DAY),
            Some((Severity::Medium, true))
        );
    }

    #[test]
    fn shorter_below_half_is_low() {
        assert_eq!(compare_lifetimes(10 * DAY, 5 * DAY), None);
        assert_eq!(
            compare_lifetimes(10 * DAY, 5 * DAY - 1),
            Some((Severity::Low, false))
        );
        assert_eq!(compare_lifetimes(0, 5), None);
    }
}
