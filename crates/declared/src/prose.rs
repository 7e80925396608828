//! Cookie names and vendors mentioned in prose, so the diff can say "Google Analytics is
//! mentioned but none of its cookies are listed". Prose is every block no declaration shape
//! consumed. A vendor is a lexicon entry ([`crate::lexicon::VENDORS`]); a cookie name is a word
//! with an underscore (`_ga`, `has_js`), a distinctive known name (`PHPSESSID`), or a name in
//! `<code>`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use cookie_audit_model::{MentionKind, ProseMention};

use crate::lexicon::{KNOWN_NAMES, VENDORS};

/// Vendor spellings by their first word, sorted for binary search: (first word, [(words,
/// vendor index)]).
type VendorIndex = Vec<(&'static str, Vec<(Vec<&'static str>, usize)>)>;

static VENDOR_INDEX: LazyLock<VendorIndex> = LazyLock::new(|| {
    let mut index: HashMap<&'static str, Vec<(Vec<&'static str>, usize)>> = HashMap::new();
    for (vendor, spellings) in VENDORS.iter().enumerate() {
        for spelling in *spellings {
            let words: Vec<&'static str> = spelling.split(' ').collect();
            index.entry(words[0]).or_default().push((words, vendor));
        }
    }
    let mut index: VendorIndex = index.into_iter().collect();
    // Longest spelling first, so "google analytics" wins over a shorter one.
    for (_, entries) in &mut index {
        entries.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
    }
    index.sort_unstable_by_key(|(first, _)| *first);
    index
});

/// Which two-letter starts a vendor's first word can have: most words of prose are rejected
/// on their first two letters, before any lookup.
static VENDOR_STARTS: LazyLock<[bool; 36 * 36]> = LazyLock::new(|| {
    let mut starts = [false; 36 * 36];
    for (first, _) in VENDOR_INDEX.iter() {
        if let Some(i) = start_index(first.as_bytes()) {
            starts[i] = true;
        }
    }
    starts
});

fn start_index(word: &[u8]) -> Option<usize> {
    let digit = |b: u8| match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => Some((c - b'a') as usize),
        c @ b'0'..=b'9' => Some(26 + (c - b'0') as usize),
        _ => None,
    };
    Some(digit(*word.first()?)? * 36 + digit(*word.get(1)?)?)
}

fn vendor_entries(first: &str) -> Option<&'static [(Vec<&'static str>, usize)]> {
    let i = VENDOR_INDEX
        .binary_search_by_key(&first, |(w, _)| *w)
        .ok()?;
    Some(&VENDOR_INDEX[i].1)
}

/// A word of the text: its byte range.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
}

/// Words (runs of letters and digits) from byte `from` on, lazily.
fn words_from(text: &str, from: usize) -> impl Iterator<Item = Word> + '_ {
    let mut pos = from;
    std::iter::from_fn(move || {
        let rest = text.get(pos..)?;
        let start = pos + rest.find(char::is_alphanumeric)?;
        let len = text[start..]
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(text.len() - start);
        pos = start + len;
        Some(Word {
            start,
            end: start + len,
        })
    })
}

/// Vendor mentions in `text`: (vendor index, the text as written).
fn vendors(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lower = String::new();
    let mut words = words_from(text, 0);
    while let Some(word) = words.next() {
        let w = &text[word.start..word.end];
        // Every spelling is ASCII and short: most words are rejected on their first two
        // letters, before any lookup.
        if w.len() > 16
            || !w.is_ascii()
            || !start_index(w.as_bytes()).is_some_and(|i| VENDOR_STARTS[i])
        {
            continue;
        }
        lower.clear();
        lower.extend(w.chars().map(|c| c.to_ascii_lowercase()));
        let Some(entries) = vendor_entries(&lower) else {
            continue;
        };
        for (spelling, vendor) in entries {
            let following: Vec<Word> = std::iter::once(word)
                .chain(words_from(text, word.end).take(spelling.len() - 1))
                .collect();
            if following.len() == spelling.len()
                && spelling
                    .iter()
                    .zip(&following)
                    .all(|(s, w)| s.eq_ignore_ascii_case(&text[w.start..w.end]))
                && adjacent(text, &following)
            {
                let last = following[following.len() - 1];
                out.push((*vendor, text[word.start..last.end].to_string()));
                // Continue after the spelling.
                words = words_from(text, last.end);
                break;
            }
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
    let bytes = raw.as_bytes();
    let underscore = bytes.contains(&b'_');
    // Known names are 3 to 21 ASCII letters; anything else needs an underscore.
    if !underscore && !(3..=24).contains(&raw.len()) {
        return None;
    }
    if raw.contains(['@', '/']) || raw.starts_with("www.") || raw.contains("://") {
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
    if !underscore {
        return KNOWN_NAMES.contains(&w).then_some(w);
    }
    let alnum = w.chars().filter(|c| c.is_alphanumeric()).count();
    let name = alnum >= 2
        && w.chars().any(|c| c.is_alphabetic())
        && w.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '*'));
    name.then_some(w)
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
    fn spellings_fit_the_fast_path() {
        for spellings in VENDORS {
            for s in *spellings {
                assert!(s.is_ascii() && s.split(' ').all(|w| w.len() <= 16), "{s}");
            }
        }
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
