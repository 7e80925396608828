//! Cookie names and vendors mentioned in prose, so the diff can say "Google Analytics is
//! mentioned but none of its cookies are listed". Prose is every block no declaration shape
//! consumed. A vendor is a lexicon entry ([`crate::lexicon::VENDORS`]); a cookie name is a word
//! with an underscore (`_ga`, `has_js`), a distinctive known name (`PHPSESSID`), or a name in
//! `<code>`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use cookie_audit_model::{MentionKind, ProseMention};

use crate::lexicon::{KNOWN_NAMES, VENDORS};

/// Vendor spellings by their first word: (words, vendor index).
type VendorIndex = HashMap<&'static str, Vec<(Vec<&'static str>, usize)>>;

static VENDOR_INDEX: LazyLock<VendorIndex> = LazyLock::new(|| {
    let mut index: VendorIndex = HashMap::new();
    for (vendor, spellings) in VENDORS.iter().enumerate() {
        for spelling in *spellings {
            let words: Vec<&'static str> = spelling.split(' ').collect();
            index.entry(words[0]).or_default().push((words, vendor));
        }
    }
    // Longest spelling first, so "google analytics" wins over a shorter one.
    for entries in index.values_mut() {
        entries.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
    }
    index
});

/// A word of the text: byte range and lower-cased form.
struct Word {
    start: usize,
    end: usize,
    lower: String,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push(Word {
                start: s,
                end: i,
                lower: text[s..i].to_lowercase(),
            });
        }
    }
    if let Some(s) = start {
        out.push(Word {
            start: s,
            end: text.len(),
            lower: text[s..].to_lowercase(),
        });
    }
    out
}

/// Vendor mentions in `text`: (vendor index, the text as written).
fn vendors(text: &str) -> Vec<(usize, String)> {
    let words = words(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let mut matched = None;
        if let Some(entries) = VENDOR_INDEX.get(words[i].lower.as_str()) {
            for (spelling, vendor) in entries {
                let n = spelling.len();
                if i + n <= words.len()
                    && spelling
                        .iter()
                        .zip(&words[i..i + n])
                        .all(|(s, w)| *s == w.lower)
                    && adjacent(text, &words[i..i + n])
                {
                    matched = Some((n, *vendor));
                    break;
                }
            }
        }
        match matched {
            Some((n, vendor)) => {
                let term = text[words[i].start..words[i + n - 1].end].to_string();
                out.push((vendor, term));
                i += n;
            }
            None => i += 1,
        }
    }
    out
}

/// Words of a spelling must follow each other with only spaces or light punctuation between.
fn adjacent(text: &str, words: &[Word]) -> bool {
    words.windows(2).all(|pair| {
        let gap = &text[pair[0].end..pair[1].start];
        gap.len() <= 3 && gap.chars().all(|c| matches!(c, ' ' | '.' | '-'))
    })
}

/// The first vendor named in a short title ("Google Analytics cookies" → "Google Analytics").
pub(crate) fn vendor_in(text: &str) -> Option<String> {
    vendors(text).into_iter().next().map(|(_, term)| term)
}

/// Collects mentions from prose blocks, once per vendor or name, in order of appearance.
#[derive(Debug, Default)]
pub(crate) struct Mentions {
    list: Vec<ProseMention>,
    seen_vendors: HashSet<usize>,
    seen_names: HashSet<String>,
}

impl Mentions {
    pub(crate) fn read(&mut self, text: &str, code: &[String], url: &str) {
        for (vendor, term) in vendors(text) {
            if self.seen_vendors.insert(vendor) {
                self.list.push(ProseMention {
                    term,
                    kind: MentionKind::Vendor,
                    url: url.to_string(),
                });
            }
        }
        for raw in text.split_whitespace() {
            if let Some(name) = cookie_word(raw) {
                self.push_name(name, url);
            }
        }
        for span in code {
            let span = span.trim();
            if span.split_whitespace().count() == 1
                && let Some(entry) = crate::names::normalise(span)
                && !entry.suspicious
                && crate::names::identifier_like(&entry.name)
                && !span.contains(['(', ')', '/', '='])
            {
                self.push_name(&entry.name, url);
            }
        }
    }

    fn push_name(&mut self, name: &str, url: &str) {
        if self.seen_names.insert(name.to_string()) {
            self.list.push(ProseMention {
                term: name.to_string(),
                kind: MentionKind::Cookie,
                url: url.to_string(),
            });
        }
    }

    pub(crate) fn into_vec(self) -> Vec<ProseMention> {
        self.list
    }
}

/// A whitespace-separated word of prose that is a cookie name.
fn cookie_word(raw: &str) -> Option<&str> {
    if raw.contains("://") || raw.contains('@') || raw.contains('/') || raw.starts_with("www.") {
        return None;
    }
    let w = raw.trim_matches(|c: char| {
        matches!(
            c,
            '(' | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '"'
                | '\''
                | '“'
                | '”'
                | '‘'
                | '’'
                | ','
                | ';'
                | ':'
                | '!'
                | '?'
                | '.'
                | '`'
        )
    });
    if w.is_empty() {
        return None;
    }
    let alnum = w.chars().filter(|c| c.is_alphanumeric()).count();
    let underscored = w.contains('_')
        && alnum >= 2
        && w.chars().any(|c| c.is_alphabetic())
        && w.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '*'));
    if underscored || KNOWN_NAMES.contains(&w) {
        Some(w)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(String, MentionKind)> {
        let mut m = Mentions::default();
        m.read(text, &[], "https://x.gov.uk/");
        m.into_vec().into_iter().map(|p| (p.term, p.kind)).collect()
    }

    #[test]
    fn vendors_as_written_once_each() {
        let got = terms(
            "We use Google Analytics and Siteimprove Analytics. Videos from Youtube and YouTube.",
        );
        let vendors: Vec<_> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(vendors, ["Google Analytics", "Siteimprove", "Youtube"]);
    }

    #[test]
    fn cookie_names_in_prose() {
        let got = terms("The _ga cookie (and PHPSESSID) lasts; email data_protection@x.gov.uk.");
        let names: Vec<_> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(names, ["_ga", "PHPSESSID"]);
    }

    #[test]
    fn code_spans() {
        let mut m = Mentions::default();
        m.read("the cookie nmstat", &["nmstat".to_string()], "u");
        assert_eq!(m.into_vec().len(), 1);
    }

    #[test]
    fn title_vendor() {
        assert_eq!(
            vendor_in("Cookies set by Google Analytics").as_deref(),
            Some("Google Analytics")
        );
        assert_eq!(vendor_in("Strictly necessary"), None);
    }
}
