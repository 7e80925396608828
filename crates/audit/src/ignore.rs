//! The ignore file (`--ignore-file`): findings a site's team has looked at and accepted, each
//! with a reason and, if they wish, an expiry date — cargo-deny's `[advisories] ignore` and
//! lychee's `.lycheeignore` for cookie findings. An accepted finding leaves `findings` (and so
//! the exit code) for `Report::ignored`, where it stays visible.
//!
//! ```toml
//! [[ignore]]
//! code = "undeclared"            # a finding code, or a kind (`misdescribed`) for all of its codes
//! cookie = "_ga*"                # the cookie's name; `*` stands for any run of characters
//! domain = "exampleshire.gov.uk" # optional: the cookie's domain, or a parent of it
//! reason = "Declared on the analytics page; agreed with the DPO"
//! expires = 2026-06-30           # optional: after this day the finding counts again
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cookie_audit_model::{Finding, FindingCode, FindingKind, IgnoredFinding};
use serde::Deserialize;

/// Why an ignore file cannot be used. Checked before the crawl, so a typo costs no crawl.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// The file could not be read.
    #[error("could not read the ignore file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML of the documented shape (the message names the line and column).
    #[error("the ignore file {}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with where.
        message: String,
    },
    /// An entry that cannot match what it means to.
    #[error("the ignore file {}: [[ignore]] entry {entry}: {reason}", path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// The 1-based number of the entry.
        entry: u32,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    ignore: Vec<EntryShape>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryShape {
    code: String,
    cookie: Option<String>,
    domain: Option<String>,
    reason: String,
    expires: Option<toml::Value>,
}

/// Which codes an entry covers.
#[derive(Debug, Clone, PartialEq)]
enum Codes {
    One(FindingCode),
    Kind(FindingKind),
}

/// One `[[ignore]]` entry, checked.
#[derive(Debug, Clone)]
struct Entry {
    number: u32,
    codes: Codes,
    cookie: Option<regex::Regex>,
    cookie_text: Option<String>,
    domain: Option<String>,
    reason: String,
    expires: Option<NaiveDate>,
}

/// A loaded ignore file.
#[derive(Debug, Clone)]
pub struct IgnoreList {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl PartialEq for IgnoreList {
    fn eq(&self, other: &IgnoreList) -> bool {
        self.path == other.path && self.entries.len() == other.entries.len()
    }
}

/// Findings after an ignore file: what still counts, what was accepted, and what to tell the
/// user about the file itself (expired entries, entries that matched nothing).
#[derive(Debug, Clone, Default)]
pub struct Ignored {
    /// The findings that still count.
    pub findings: Vec<Finding>,
    /// The accepted ones, with their entries.
    pub ignored: Vec<IgnoredFinding>,
    /// Notes for the user, in words.
    pub notes: Vec<String>,
}

impl IgnoreList {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<IgnoreList, IgnoreError> {
        let text = std::fs::read_to_string(path).map_err(|source| IgnoreError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        IgnoreList::parse(&text, path)
    }

    /// Checks the text of a file at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<IgnoreList, IgnoreError> {
        let shape: FileShape = toml::from_str(text).map_err(|e| IgnoreError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        let entries = shape
            .ignore
            .into_iter()
            .enumerate()
            .map(|(i, e)| Entry::check(e, i as u32 + 1))
            .collect::<Result<Vec<_>, (u32, String)>>()
            .map_err(|(entry, reason)| IgnoreError::Entry {
                path: path.to_path_buf(),
                entry,
                reason,
            })?;
        Ok(IgnoreList {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The file, as the report records it.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Splits `findings` into those that still count and those an entry in force on `today`
    /// accepts (the first matching entry names it).
    pub fn apply(&self, findings: Vec<Finding>, today: NaiveDate) -> Ignored {
        let mut out = Ignored::default();
        let mut used = vec![false; self.entries.len()];
        for entry in &self.entries {
            if let Some(day) = entry.expires.filter(|day| *day < today) {
                out.notes.push(format!(
                    "{}: entry {} ({}) expired on {day}; its findings count again",
                    self.path.display(),
                    entry.number,
                    entry.describe()
                ));
            }
        }
        for finding in findings {
            let accepted = self
                .entries
                .iter()
                .enumerate()
                .find(|(_, e)| e.expires.is_none_or(|day| day >= today) && e.matches(&finding));
            match accepted {
                Some((index, entry)) => {
                    used[index] = true;
                    out.ignored.push(IgnoredFinding {
                        finding,
                        reason: entry.reason.clone(),
                        expires: entry.expires,
                        entry: entry.number,
                    });
                }
                None => out.findings.push(finding),
            }
        }
        for (entry, used) in self.entries.iter().zip(used) {
            let expired = entry.expires.is_some_and(|day| day < today);
            if !used && !expired {
                out.notes.push(format!(
                    "{}: entry {} ({}) matched no finding; remove it if the problem is fixed",
                    self.path.display(),
                    entry.number,
                    entry.describe()
                ));
            }
        }
        out
    }
}

impl Entry {
    fn check(shape: EntryShape, number: u32) -> Result<Entry, (u32, String)> {
        let fail = |reason: String| (number, reason);
        let codes = match (
            FindingCode::parse(&shape.code),
            FindingCode::ALL
                .iter()
                .map(|c| c.kind())
                .find(|k| k.as_str() == shape.code),
        ) {
            (Some(code), _) => Codes::One(code),
            (None, Some(kind)) => Codes::Kind(kind),
            (None, None) => {
                return Err(fail(format!(
                    "`code = {:?}` is not a finding code (docs/findings.md lists them: undeclared, stale:retired, misdescribed:expiry, …) or kind",
                    shape.code
                )));
            }
        };
        if shape.reason.trim().is_empty() {
            return Err(fail(
                "`reason` is empty: say why the finding is accepted".into(),
            ));
        }
        let cookie = match &shape.cookie {
            Some(glob) => Some(glob_regex(glob).ok_or_else(|| {
                fail(format!("`cookie = {glob:?}` is not a usable name pattern"))
            })?),
            None => None,
        };
        let expires = match shape.expires {
            None => None,
            Some(value) => Some(date_of(&value).ok_or_else(|| {
                fail(format!(
                    "`expires = {value}` is not a date: write it as 2026-06-30"
                ))
            })?),
        };
        Ok(Entry {
            number,
            codes,
            cookie,
            cookie_text: shape.cookie,
            domain: shape
                .domain
                .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase()),
            reason: shape.reason.trim().to_string(),
            expires,
        })
    }

    fn matches(&self, finding: &Finding) -> bool {
        let code = match self.codes {
            Codes::One(code) => finding.code == code,
            Codes::Kind(kind) => finding.kind == kind,
        };
        let cookie = self
            .cookie
            .as_ref()
            .is_none_or(|re| re.is_match(&finding.cookie));
        let domain = self.domain.as_ref().is_none_or(|want| {
            finding.domain.as_deref().is_some_and(|d| {
                let d = d.trim_start_matches('.').to_ascii_lowercase();
                d == *want || d.ends_with(&format!(".{want}"))
            })
        });
        code && cookie && domain
    }

    fn describe(&self) -> String {
        let code = match self.codes {
            Codes::One(code) => code.as_str(),
            Codes::Kind(kind) => kind.as_str(),
        };
        match &self.cookie_text {
            Some(cookie) => format!("{code} {cookie}"),
            None => code.to_string(),
        }
    }
}

/// A name pattern with `*` for any run of characters, matched against the whole name.
fn glob_regex(glob: &str) -> Option<regex::Regex> {
    let parts: Vec<String> = glob.split('*').map(regex::escape).collect();
    regex::Regex::new(&format!("^{}$", parts.join(".*"))).ok()
}

/// A TOML date (`2026-06-30`) or the same as a string.
fn date_of(value: &toml::Value) -> Option<NaiveDate> {
    match value {
        toml::Value::Datetime(dt) if dt.time.is_none() => {
            let date = dt.date?;
            NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
        }
        toml::Value::String(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cookie_audit_model::Severity;

    fn finding(code: FindingCode, cookie: &str, domain: Option<&str>) -> Finding {
        Finding {
            code,
            kind: code.kind(),
            cookie: cookie.into(),
            domain: domain.map(str::to_string),
            field: code.field(),
            reason: code.reason(),
            severity: Severity::Medium,
            message: String::new(),
            declared: None,
            observed: None,
            evidence: Vec::new(),
            fix: None,
        }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const FILE: &str = r#"
[[ignore]]
code = "undeclared"
cookie = "_ga*"
domain = "council.gov.uk"
reason = "Declared on the analytics page"
expires = 2026-06-30

[[ignore]]
code = "misdescribed"
cookie = "nmstat"
reason = "Siteimprove confirmed the row"
"#;

    #[test]
    fn accepted_findings_move_aside_until_their_entry_expires() {
        let list = IgnoreList::parse(FILE, Path::new("ignore.toml")).unwrap();
        let findings = vec![
            finding(
                FindingCode::Undeclared,
                "_ga_X1",
                Some(".www.council.gov.uk"),
            ),
            finding(FindingCode::Undeclared, "_ga", Some("twitter.com")),
            finding(
                FindingCode::MisdescribedDomain,
                "nmstat",
                Some("council.gov.uk"),
            ),
            finding(FindingCode::StaleRetired, "nmstat", None),
        ];
        let out = list.apply(findings.clone(), day("2026-01-01"));
        let kept: Vec<&str> = out.findings.iter().map(|f| f.cookie.as_str()).collect();
        assert_eq!(
            kept,
            ["_ga", "nmstat"],
            "another domain and another kind stay"
        );
        assert_eq!(out.ignored.len(), 2);
        assert_eq!(out.ignored[0].entry, 1);
        assert_eq!(out.ignored[0].expires, Some(day("2026-06-30")));
        assert_eq!(out.ignored[1].reason, "Siteimprove confirmed the row");
        assert!(out.notes.is_empty(), "{:?}", out.notes);

        let later = list.apply(findings, day("2026-07-01"));
        assert_eq!(later.ignored.len(), 1, "entry 1 has expired");
        assert!(
            later.notes[0].contains("entry 1 (undeclared _ga*) expired on 2026-06-30"),
            "{:?}",
            later.notes
        );
        let unused = list.apply(Vec::new(), day("2026-01-01"));
        assert_eq!(unused.notes.len(), 2);
        assert!(unused.notes[1].contains("matched no finding"));
    }

    #[test]
    fn a_bad_entry_is_refused_with_its_number() {
        let bad = |text: &str| {
            IgnoreList::parse(text, Path::new("i.toml"))
                .unwrap_err()
                .to_string()
        };
        let e = bad("[[ignore]]\ncode = \"undeclard\"\nreason = \"x\"\n");
        assert!(
            e.contains("entry 1") && e.contains("not a finding code"),
            "{e}"
        );
        let e = bad("[[ignore]]\ncode = \"undeclared\"\nreason = \" \"\n");
        assert!(e.contains("`reason` is empty"), "{e}");
        let e = bad("[[ignore]]\ncode = \"undeclared\"\nreason = \"x\"\nexpires = \"soon\"\n");
        assert!(e.contains("not a date"), "{e}");
        let e = bad("[[ignore]]\ncode = \"undeclared\"\nreason = \"x\"\ncookies = \"a\"\n");
        assert!(e.contains("line 4"), "toml names the line: {e}");
    }
}
