//! Reading cookie names out of a name cell (or heading, or list item): splitting several names,
//! normalising each, recognising families (`_ga_*`, `_gat_UA-xxxxxx`, `SSESS<hash>`), flagging
//! names that look like descriptions, and refusing sentences.
//!
//! Rules (docs/declared.md lists them with examples):
//! - Names are trimmed of surrounding quotes and trailing punctuation (`ASP.NET_sessionID.` →
//!   `ASP.NET_sessionID`); case is kept.
//! - A cell holds several names when its lines (`<br>`, paragraphs, list items) each hold one, or
//!   when a line splits on `,` `;` `|` "and" "or" "&" " / " into parts that are all names.
//! - Placeholders make a pattern: `*`, `…`, runs of three or more `x`/`X`, `#`, bracketed words
//!   (`<id>`, `[id]`, `{ID}`, `(number)`), a trailing `_` or `-` meant as a prefix, and "plus
//!   several further characters"-style tails. The glob replaces each with `*`.
//! - A line of more than five words, or a sentence, is never a name.

use crate::text::{is_blank_value, word_count};

/// One declared name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameEntry {
    pub name: String,
    pub glob: Option<String>,
    pub suspicious: bool,
    /// Which line of the cell it was on (for pairing with other columns).
    pub line: usize,
    /// A domain written beside the name ("_ga (.example.gov.uk)"): the bracketed part says
    /// where the cookie is set, it is not a second name.
    pub domain: Option<String>,
}

/// The names of one cell.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameCell {
    pub names: Vec<NameEntry>,
    /// Lines that held names.
    pub lines: usize,
    /// Some line held several names split on commas, "and", …
    pub inline: bool,
    /// Lines dropped because they read as prose.
    pub dropped: Vec<String>,
}

#[derive(Debug)]
enum LineRead {
    Blank,
    Note,
    Sentence,
    Names(Vec<NameEntry>, bool),
}

/// Reads every name in a cell's text (lines separated by `\n`).
pub(crate) fn read_name_cell(text: &str) -> NameCell {
    let mut cell = NameCell::default();
    let mut reads = Vec::new();
    for line in text.split('\n') {
        reads.push((line, read_line(line)));
    }
    let has_clean_name = reads.iter().any(
        |(_, r)| matches!(r, LineRead::Names(names, _) if names.iter().any(|n| !n.suspicious)),
    );
    // Several lines of code-like names, and one ordinary word among them ("_ga" over
    // "Google"): the word labels the names, it is not one.
    let identifier_lines = if reads.len() > 1 {
        reads
            .iter()
            .filter(|(_, r)| {
                matches!(r, LineRead::Names(names, _) if names.iter().all(|n| identifier_like(&n.name)))
            })
            .count()
    } else {
        0
    };
    for (line, read) in reads {
        match read {
            LineRead::Blank | LineRead::Note => {}
            LineRead::Sentence => cell.dropped.push(line.to_string()),
            LineRead::Names(names, inline) => {
                // A cell with real names and a few words beside them ("_ga" over "Google
                // Analytics cookie"): the words describe, they are not a second name.
                if has_clean_name && names.iter().all(|n| n.suspicious) {
                    cell.dropped.push(line.to_string());
                    continue;
                }
                if identifier_lines > 0
                    && names.len() == 1
                    && !identifier_like(&names[0].name)
                    && names[0].glob.is_none()
                {
                    cell.dropped.push(line.to_string());
                    continue;
                }
                let line_no = cell.lines;
                cell.lines += 1;
                cell.inline |= inline;
                cell.names.extend(names.into_iter().map(|mut n| {
                    n.line = line_no;
                    n
                }));
            }
        }
    }
    cell
}

fn read_line(line: &str) -> LineRead {
    let t = strip_repeat_counter(strip_bullet(line.trim()));
    if is_blank_value(t) {
        return LineRead::Blank;
    }
    // "(Google Analytics)" under a name, or "Google Analytics cookies:" over a list of names.
    if (t.starts_with('(') && t.ends_with(')')) || (t.ends_with(':') && word_count(t) >= 2) {
        return LineRead::Note;
    }
    if let Some(entry) = prefix_phrase(t) {
        return LineRead::Names(vec![entry], false);
    }
    if let Some(entry) = name_with_domain(t) {
        return LineRead::Names(vec![entry], false);
    }
    if let Some(parts) = split_inline(t) {
        return LineRead::Names(parts, true);
    }
    if let Some(parts) = split_on_spaces(t) {
        return LineRead::Names(parts, true);
    }
    if let Some(names) = parenthesised_names(t) {
        return LineRead::Names(names, true);
    }
    if let Some(entry) = name_then_description(t) {
        return LineRead::Names(vec![entry], false);
    }
    let t = drop_note(t);
    if let Some(entry) = normalise(t) {
        if !entry.suspicious {
            return LineRead::Names(vec![entry], false);
        }
        if !is_sentence(t) && word_count(t) <= 5 {
            return LineRead::Names(vec![entry], false);
        }
    }
    LineRead::Sentence
}

/// "_ga (.example.gov.uk)": a name with the domain it is set on in brackets.
fn name_with_domain(t: &str) -> Option<NameEntry> {
    let open = t.find(" (")?;
    let inner = t.strip_suffix(')')?.get(open + 2..)?.trim();
    if !crate::text::host_like(inner) {
        return None;
    }
    let mut entry = normalise(&t[..open]).filter(|e| !e.suspicious)?;
    entry.domain = Some(inner.to_string());
    Some(entry)
}

fn strip_bullet(t: &str) -> &str {
    for bullet in ["• ", "· ", "- ", "– ", "— ", "* ", "▪ ", "◦ "] {
        if let Some(rest) = t.strip_prefix(bullet) {
            return rest.trim_start();
        }
    }
    t
}

/// A sentence: more than five words, or three or more ending in a full stop or holding one.
pub(crate) fn is_sentence(t: &str) -> bool {
    let words = word_count(t);
    words > 5 || (words >= 3 && (t.trim_end().ends_with('.') || t.contains(". ")))
}

/// "_ga_ plus several further characters", "wordpress_logged_in_ followed by a hash".
fn prefix_phrase(t: &str) -> Option<NameEntry> {
    let (first, rest) = t.split_once(char::is_whitespace)?;
    if rest.len() > 80 {
        return None;
    }
    let rest_lower = rest.trim().to_lowercase();
    const TAILS: &[&str] = &[
        "plus ",
        "followed by ",
        "+ ",
        "then ",
        "and then ",
        "with a suffix",
        "with suffix",
        "suffixed ",
        "and a number",
        "and a unique",
        "and a random",
        "with a unique",
        "with a random",
        "with an id",
        "with a number",
        "(plus ",
        "(followed by ",
    ];
    if !TAILS.iter().any(|tail| rest_lower.starts_with(tail)) {
        return None;
    }
    let mut entry = normalise(first)?;
    if entry.suspicious {
        return None;
    }
    let base = entry.glob.clone().unwrap_or_else(|| entry.name.clone());
    let base = base.trim_end_matches('*');
    entry.glob = Some(format!("{base}*"));
    Some(entry)
}

/// "Google Analytics (_ga, _gid)": words naming a service, the cookie names in brackets.
fn parenthesised_names(t: &str) -> Option<Vec<NameEntry>> {
    let open = t.find(" (")?;
    if !t.ends_with(')') || !t[..open].trim().contains(' ') {
        return None;
    }
    let inner = &t[open + 2..t.len() - 1];
    let parts: Vec<&str> = inner
        .split([',', ';', '/'])
        .flat_map(|p| p.split(" and "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty()
        || !parts
            .iter()
            .all(|p| strongly_name_like(p) && !p.contains(' '))
    {
        return None;
    }
    parts.into_iter().map(normalise).collect()
}

/// The text is nothing but names: no description beside them ("1P_JAR, NID and CONSENT" is;
/// "CFID – Persistent cookie" is not).
pub(crate) fn names_only(text: &str) -> bool {
    let text = strip_repeat_counter(text.trim());
    let cell = read_name_cell(text);
    if cell.names.is_empty() || !cell.dropped.is_empty() {
        return false;
    }
    let name_words: usize = cell.names.iter().map(|n| word_count(&n.name)).sum();
    // A spaced note in brackets ("_ga (Google Analytics)") is allowed beside the names.
    let mut bare = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut prev = ' ';
    for c in text.chars() {
        match c {
            '(' if prev.is_whitespace() || depth > 0 => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => bare.push(c),
            _ => {}
        }
        prev = c;
    }
    let text_words = bare
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|' | '/'))
        .filter(|w| !w.is_empty() && !matches!(*w, "and" | "or" | "&" | "AND" | "OR"))
        .count();
    text_words == name_words
}

/// "_ga: Google Analytics", "_ga – used to count visitors": a code-like name, then words about
/// it.
fn name_then_description(t: &str) -> Option<NameEntry> {
    let (left, right) = [": ", " – ", " — ", " - "]
        .into_iter()
        .find_map(|sep| t.split_once(sep))?;
    let left = left.trim();
    if left.contains(char::is_whitespace) || right.trim().is_empty() || !identifier_like(left) {
        return None;
    }
    normalise(left).filter(|e| !e.suspicious)
}

/// "X (note)": a spaced parenthetical is a note unless it is a placeholder ("_ga_ (number)").
fn drop_note(t: &str) -> &str {
    if let Some(open) = t.find(" (")
        && t.ends_with(')')
    {
        let inner = &t[open + 2..t.len() - 1];
        if !is_placeholder_word(inner) && !t[..open].trim().is_empty() {
            return t[..open].trim_end();
        }
    }
    t
}

fn is_placeholder_word(inner: &str) -> bool {
    let norm = inner.trim().to_lowercase();
    const WORDS: &[&str] = &[
        "number",
        "numbers",
        "n",
        "id",
        "ids",
        "x",
        "xx",
        "xxx",
        "digits",
        "digit",
        "random",
        "hash",
        "site id",
        "site",
        "container id",
        "container",
        "property id",
        "property",
        "account id",
        "account",
        "unique id",
        "uid",
        "guid",
        "suffix",
        "variable",
        "varies",
        "timestamp",
        "time",
        "session id",
        "string",
        "identifier",
        "code",
        "counter",
        "numeric",
    ];
    WORDS.contains(&norm.as_str())
}

/// Splits "a, b and c" when every part is a name. `/` splits only with spaces around it or
/// before another underscore name, so "ads/ga-audiences" stays whole.
fn split_inline(t: &str) -> Option<Vec<NameEntry>> {
    if !t.contains([',', ';', '|', '•', '·', '，', '/', '&', ' ']) {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut split_any = false;
    let mut iter = t.char_indices().peekable();
    let mut prev: Option<char> = None;
    while let Some((i, c)) = iter.next() {
        let rest = &t[i..];
        if c == ' '
            && let Some(sep) = [" and ", " or ", " & ", " AND ", " OR "]
                .into_iter()
                .find(|sep| rest.starts_with(sep))
        {
            parts.push(&t[start..i]);
            split_any = true;
            start = i + sep.len();
            // Skip the separator's remaining characters.
            while iter.peek().is_some_and(|(j, _)| *j < start) {
                iter.next();
            }
            prev = Some(' ');
            continue;
        }
        let next = iter.peek().map(|(_, n)| *n);
        let slash_split = c == '/'
            && (prev.is_some_and(char::is_whitespace)
                || next.is_some_and(|n| n.is_whitespace() || n == '_'));
        if matches!(c, ',' | ';' | '|' | '•' | '·' | '，') || slash_split {
            parts.push(&t[start..i]);
            split_any = true;
            start = i + c.len_utf8();
        }
        prev = Some(c);
    }
    parts.push(&t[start..]);
    if !split_any {
        return None;
    }
    let parts: Vec<&str> = parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        // "_ga," is one name with a stray comma.
        return None;
    }
    let mut entries = Vec::new();
    for part in parts {
        let entry = normalise(part)?;
        if entry.suspicious {
            return None;
        }
        entries.push(entry);
    }
    Some(entries)
}

/// "_utma _utmz" (a newline in the source that renders as a space): every word must carry a
/// mark of a cookie name, so "Session Id" stays one (suspicious) name.
fn split_on_spaces(t: &str) -> Option<Vec<NameEntry>> {
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() < 2 || !words.iter().all(|w| strongly_name_like(w)) {
        return None;
    }
    words.into_iter().map(normalise).collect()
}

/// Carries a mark no ordinary word has: an underscore, a digit, a dot between letters, a capital
/// after a small letter (`ARRAffinity`, `CookieControl`), or all capitals (`NID`, `CONSENT`).
pub(crate) fn strongly_name_like(word: &str) -> bool {
    let w = word.trim_end_matches(['.', ',', ';', ':']);
    if w.is_empty() || w.contains('@') || (w.contains(':') && w.contains("://")) {
        return false;
    }
    let mut letters = 0usize;
    let mut all_upper = true;
    for c in w.chars() {
        if c == '_' || c == '*' || c.is_ascii_digit() {
            return true;
        }
        if c.is_alphabetic() {
            letters += 1;
            all_upper &= c.is_uppercase();
        }
    }
    (w.contains('.') && !w.starts_with('.') && !w.ends_with('.') && letters >= 2)
        || has_inner_capital(w)
        || (letters >= 2 && all_upper)
}

/// Looks like a code identifier rather than an English word: a strong mark, a leading small
/// letter ("nmstat", "vuid"), or an inner hyphen.
pub(crate) fn identifier_like(word: &str) -> bool {
    strongly_name_like(word)
        || word.chars().next().is_some_and(|c| c.is_lowercase())
        || (word.contains('-') && !word.starts_with('-') && !word.ends_with('-'))
}

fn has_inner_capital(w: &str) -> bool {
    // "CookieControl" (small then capital) or "ARRAffinity" (an acronym run into a word).
    let (mut before, mut prev) = (None::<char>, None::<char>);
    for c in w.chars() {
        if let Some(p) = prev {
            if p.is_lowercase() && c.is_uppercase() {
                return true;
            }
            if before.is_some_and(char::is_uppercase) && p.is_uppercase() && c.is_lowercase() {
                return true;
            }
        }
        before = prev;
        prev = Some(c);
    }
    false
}

/// Look-alike characters a CMS or a word processor puts in a name, as the browser's cookie name
/// holds them: the non-breaking and plain Unicode hyphens are `-`.
fn fold_lookalikes(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.is_ascii() || !raw.contains(['\u{2010}', '\u{2011}', '\u{2012}']) {
        return std::borrow::Cow::Borrowed(raw);
    }
    std::borrow::Cow::Owned(raw.replace(['\u{2010}', '\u{2011}', '\u{2012}'], "-"))
}

/// Cookiebot counts repeats of a name ("_ga [x2]"): the counter is not part of it.
fn strip_repeat_counter(t: &str) -> &str {
    if let Some(body) = t.strip_suffix(']')
        && let Some(at) = body.rfind(" [x")
        && !body[at + 3..].is_empty()
        && body[at + 3..].chars().all(|c| c.is_ascii_digit())
    {
        return body[..at].trim_end();
    }
    t
}

/// Normalises one name; `None` when nothing name-like is left.
pub(crate) fn normalise(raw: &str) -> Option<NameEntry> {
    let folded = fold_lookalikes(raw);
    let mut t = strip_repeat_counter(folded.trim());
    // Surrounding quotes or backticks.
    for (open, close) in [('"', '"'), ('\'', '\''), ('`', '`'), ('“', '”'), ('‘', '’')] {
        if t.len() >= 2 && t.starts_with(open) && t.ends_with(close) {
            t = t[open.len_utf8()..t.len() - close.len_utf8()].trim();
        }
    }
    t = t.trim_start_matches(['"', '\'', '“', '‘', '`']);
    // Trailing punctuation, but an ellipsis is a wildcard and a `*` is a pattern.
    loop {
        if t.ends_with("...") || t.ends_with('…') {
            break;
        }
        match t.chars().last() {
            Some('.' | ',' | ';' | ':' | '!' | '?' | '"' | '\'' | '”' | '’' | '`') => {
                t = t[..t.len() - t.chars().last().map_or(0, char::len_utf8)].trim_end();
            }
            _ => break,
        }
    }
    if t.is_empty() || !t.chars().any(|c| c.is_alphanumeric()) {
        return None;
    }
    if (t.contains(':') && t.contains("://")) || t.starts_with("www.") {
        return None;
    }
    if t.contains('@') && t.contains('.') && !t.contains(' ') {
        // An email address.
        return None;
    }
    let suspicious = t.chars().any(char::is_whitespace)
        || t.chars().count() > 100
        || t.contains(['"', '=', ',', ';']);
    let glob = if suspicious { None } else { glob_of(t) };
    Some(NameEntry {
        name: t.to_string(),
        glob,
        suspicious,
        line: 0,
        domain: None,
    })
}

/// The normalised pattern of a name with placeholders, `*` for each.
pub(crate) fn glob_of(name: &str) -> Option<String> {
    let may_have_placeholder = name.contains(['*', '…', '#', '<', '[', '{', '('])
        || name.contains("xxx")
        || name.contains("XXX")
        || name.contains("...")
        || (name.ends_with(['_', '-']) && !(name.starts_with("__") && name.ends_with("__")));
    if !may_have_placeholder {
        return None;
    }
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 1);
    let mut wild = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' | '…' => {
                push_star(&mut out);
                wild = true;
                i += 1;
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                push_star(&mut out);
                wild = true;
                i += 3;
            }
            '#' => {
                while chars.get(i) == Some(&'#') {
                    i += 1;
                }
                push_star(&mut out);
                wild = true;
            }
            '<' | '[' | '{' | '(' => {
                let close = match c {
                    '<' => '>',
                    '[' => ']',
                    '{' => '}',
                    _ => ')',
                };
                let end = chars[i + 1..]
                    .iter()
                    .take(41)
                    .position(|&x| x == close)
                    .map(|p| i + 1 + p);
                let attached = i > 0 && !chars[i - 1].is_whitespace();
                match end {
                    Some(end) if end > i + 1 => {
                        let inner: String = chars[i + 1..end].iter().collect();
                        let plain = inner
                            .chars()
                            .all(|x| x.is_alphanumeric() || matches!(x, ' ' | '_' | '-' | '.'));
                        if plain && (c != '(' || attached || is_placeholder_word(&inner)) {
                            push_star(&mut out);
                            wild = true;
                            i = end + 1;
                            continue;
                        }
                        out.push(c);
                        i += 1;
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            'x' | 'X' => {
                let run = chars[i..].iter().take_while(|&&x| x == c).count();
                let after = chars.get(i + run);
                let ends_word = after.is_none_or(|a| matches!(a, '_' | '-' | '.' | ':' | '|'));
                if run >= 3 && ends_word {
                    push_star(&mut out);
                    wild = true;
                } else {
                    out.extend(std::iter::repeat_n(c, run));
                }
                i += run;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // A trailing `_` or `-` is a prefix ("_hjSession_"), but a name wrapped in the same run of
    // underscores on both sides (`__KBCookie__`, `__tld__`) is whole.
    let dunder = out.starts_with("__") && out.ends_with("__");
    if (out.ends_with('_') || out.ends_with('-')) && out.chars().count() >= 3 && !dunder {
        out.push('*');
        wild = true;
    }
    // A name that is nothing but placeholders says nothing.
    if wild && out.chars().any(|c| c != '*') {
        Some(out)
    } else {
        None
    }
}

fn push_star(out: &mut String) {
    if !out.ends_with('*') {
        out.push('*');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        read_name_cell(text)
            .names
            .into_iter()
            .map(|n| n.name)
            .collect()
    }

    fn glob(name: &str) -> Option<String> {
        normalise(name).and_then(|n| n.glob)
    }

    #[test]
    fn trailing_punctuation_and_case() {
        assert_eq!(names("ASP.NET_sessionID."), ["ASP.NET_sessionID"]);
        assert_eq!(names(" \"_ga\" "), ["_ga"]);
        assert_eq!(
            names("MyB&DIdentificationBarking"),
            ["MyB&DIdentificationBarking"]
        );
    }

    #[test]
    fn several_names() {
        assert_eq!(names("_utma\n_utmz"), ["_utma", "_utmz"]);
        assert_eq!(
            names("1P_JAR, NID and CONSENT"),
            ["1P_JAR", "NID", "CONSENT"]
        );
        assert_eq!(names("_ga / _gid"), ["_ga", "_gid"]);
        assert_eq!(names("_ga/_gid"), ["_ga", "_gid"]);
        assert_eq!(names("_utma _utmz"), ["_utma", "_utmz"]);
        assert_eq!(names("ads/ga-audiences"), ["ads/ga-audiences"]);
        assert_eq!(names("_ga,"), ["_ga"]);
    }

    #[test]
    fn suspicious_and_sentences() {
        let cell = read_name_cell("ASP.Net Session Id");
        assert_eq!(cell.names.len(), 1);
        assert!(cell.names[0].suspicious);
        assert!(
            read_name_cell("We do not set any cookies in this category.")
                .names
                .is_empty()
        );
        assert_eq!(names("_ga\nGoogle Analytics cookie"), ["_ga"]);
        assert_eq!(names("_ga\n(Google Analytics)"), ["_ga"]);
        assert_eq!(names("_ga (Google Analytics)"), ["_ga"]);
        assert!(names("N/A").is_empty());
        assert_eq!(names("Google Analytics (_ga, _gid)"), ["_ga", "_gid"]);
        assert_eq!(names("_ga: Google Analytics"), ["_ga"]);
        assert_eq!(names("_gid – groups a day's page views"), ["_gid"]);
        assert!(read_name_cell("Google Analytics: counts visits").names[0].suspicious);
        assert!(names_only("1P_JAR, NID and CONSENT"));
        assert!(names_only("_ga (Google Analytics)"));
        assert!(names_only("incap_ses_(number)_913011"));
        assert!(!names_only("CFID – Persistent cookie"));
        assert!(!names_only("_ga: Google Analytics"));
        assert_eq!(names("_ga\nGoogle"), ["_ga"]);
        assert_eq!(names("analytics\nmarketing"), ["analytics", "marketing"]);
    }

    #[test]
    fn patterns() {
        assert_eq!(glob("_ga_*"), Some("_ga_*".into()));
        assert_eq!(glob("_gat_UA-xxxxxx"), Some("_gat_UA-*".into()));
        assert_eq!(glob("_ga_XXXXXXX"), Some("_ga_*".into()));
        assert_eq!(glob("_gclxxxx"), Some("_gcl*".into()));
        assert_eq!(glob("ASPSESSIONIDXXXXXXXX"), Some("ASPSESSIONID*".into()));
        assert_eq!(glob("_ga_<id>"), Some("_ga_*".into()));
        assert_eq!(glob("_hjSession_[id]"), Some("_hjSession_*".into()));
        assert_eq!(glob("AMCV_{ID}"), Some("AMCV_*".into()));
        assert_eq!(
            glob("incap_ses_(number)_913011"),
            Some("incap_ses_*_913011".into())
        );
        assert_eq!(glob("_hjSession_"), Some("_hjSession_*".into()));
        assert_eq!(glob("_gat_UA-"), Some("_gat_UA-*".into()));
        assert_eq!(glob("_ga_#"), Some("_ga_*".into()));
        assert_eq!(glob("SSESS…"), Some("SSESS*".into()));
        assert_eq!(glob("_ga..."), Some("_ga*".into()));
        assert_eq!(glob("_ga"), None);
        assert_eq!(glob("__KBCookie__"), None);
        assert_eq!(glob("_mglogon_"), Some("_mglogon_*".into()));
        assert_eq!(glob("Maxx"), None);
        let cell = read_name_cell("_ga_ plus several further characters");
        assert_eq!(cell.names[0].name, "_ga_");
        assert_eq!(cell.names[0].glob.as_deref(), Some("_ga_*"));
        let cell = read_name_cell("_gat_UA- followed by your property ID");
        assert_eq!(cell.names[0].glob.as_deref(), Some("_gat_UA-*"));
    }

    #[test]
    fn name_marks() {
        assert!(strongly_name_like("_ga"));
        assert!(strongly_name_like("NID"));
        assert!(strongly_name_like("ARRAffinity"));
        assert!(!strongly_name_like("Session"));
        assert!(identifier_like("nmstat"));
        assert!(!identifier_like("Analytics"));
    }
}
