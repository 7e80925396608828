//! Families of cookie names where part is an id that varies: `incap_ses_{digits}_{digits}`,
//! `_ga_{id}`, `SSESS{hex}`. Typed placeholders keep families apart (`_hjSession_{digits}` does
//! not claim `_hjSessionUser_1234`), and a placeholder never matches an empty run.

/// Names, prefixes and patterns need at least this many literal characters before their first
/// wildcard: a shorter prefix ("_s", "CT") would claim unrelated cookies.
pub const MIN_LITERAL_PREFIX: usize = 3;

/// A piece of a family pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Slot(Slot),
}

/// What a `{…}` placeholder of a family pattern stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// `{digits}`: 0-9, e.g. Imperva's proxy and site numbers.
    Digits,
    /// `{hex}`: 0-9a-f in either case, e.g. Drupal's session hash.
    Hex,
    /// `{id}`: letters, digits, `-`, `_`, `.`, e.g. a GA4 container or a UA property.
    Id,
    /// `{any}`: any characters, e.g. an Adobe org id with `%40`.
    Any,
}

impl Slot {
    fn parse(name: &str) -> Option<Slot> {
        Some(match name {
            "digits" => Slot::Digits,
            "hex" => Slot::Hex,
            "id" => Slot::Id,
            "any" => Slot::Any,
            _ => return None,
        })
    }

    fn accepts(self, c: char) -> bool {
        match self {
            Slot::Digits => c.is_ascii_digit(),
            Slot::Hex => c.is_ascii_hexdigit(),
            Slot::Id => c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'),
            Slot::Any => true,
        }
    }
}

/// A family of names where part is an id that varies: `incap_ses_{digits}_{digits}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

impl Pattern {
    pub(crate) fn parse(text: &str) -> Result<Pattern, String> {
        let mut segments = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let close = rest
                        .find('}')
                        .ok_or_else(|| format!("unclosed placeholder in {text:?}"))?;
                    let slot = Slot::parse(&rest[1..close]).ok_or_else(|| {
                        format!(
                            "unknown placeholder {{{}}} (use {{digits}}, {{hex}}, {{id}} or {{any}})",
                            &rest[1..close]
                        )
                    })?;
                    segments.push(Segment::Slot(slot));
                    rest = &rest[close + 1..];
                }
                Some(open) => {
                    segments.push(Segment::Literal(rest[..open].to_string()));
                    rest = &rest[open..];
                }
                None => {
                    segments.push(Segment::Literal(rest.to_string()));
                    rest = "";
                }
            }
        }
        let prefix_len = match segments.first() {
            Some(Segment::Literal(lit)) => lit.chars().count(),
            _ => 0,
        };
        if prefix_len < MIN_LITERAL_PREFIX {
            return Err(format!(
                "a pattern needs at least {MIN_LITERAL_PREFIX} literal characters before its first placeholder"
            ));
        }
        if !segments.iter().any(|s| matches!(s, Segment::Slot(_))) {
            return Err("a pattern needs a placeholder; use `name` for a fixed name".to_string());
        }
        Ok(Pattern {
            text: text.to_string(),
            segments,
        })
    }

    /// The values of the placeholders when `name` belongs to the family.
    pub(crate) fn captures(&self, name: &str) -> Option<Vec<String>> {
        let mut captures = Vec::new();
        match_segments(&self.segments, name, &mut captures).then_some(captures)
    }

    /// The family written as a cookie-table name that fits both `a` and `b` (two members'
    /// placeholder values): a value they share stays, one that differs becomes `*`
    /// (`incap_ses_*_913011`).
    pub(crate) fn generalise(&self, a: &[String], b: &[String]) -> String {
        let mut values = a.iter().zip(b);
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(literal) => literal.as_str(),
                Segment::Slot(_) => match values.next() {
                    Some((a, b)) if a == b => a.as_str(),
                    _ => "*",
                },
            })
            .collect()
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn literal_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => l.len(),
                Segment::Slot(_) => 0,
            })
            .sum()
    }
}

/// Backtracking match, longest placeholder first. Names and patterns are short, so the cost is
/// negligible; slots never match an empty run, so `_ga_{id}` does not claim `_ga_`.
fn match_segments(segments: &[Segment], name: &str, captures: &mut Vec<String>) -> bool {
    match segments.split_first() {
        None => name.is_empty(),
        Some((Segment::Literal(lit), rest)) => {
            name.starts_with(lit.as_str()) && match_segments(rest, &name[lit.len()..], captures)
        }
        Some((Segment::Slot(slot), rest)) => {
            let run_end = name
                .char_indices()
                .find(|(_, c)| !slot.accepts(*c))
                .map_or(name.len(), |(i, _)| i);
            let mut ends: Vec<usize> = name[..run_end]
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .collect();
            ends.reverse();
            for end in ends {
                captures.push(name[..end].to_string());
                if match_segments(rest, &name[end..], captures) {
                    return true;
                }
                captures.pop();
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_their_families() {
        let p = Pattern::parse("incap_ses_{digits}_{digits}").unwrap();
        assert_eq!(
            p.captures("incap_ses_771_913011"),
            Some(vec!["771".to_string(), "913011".to_string()])
        );
        assert_eq!(p.captures("incap_ses_771_"), None);
        assert_eq!(p.captures("incap_ses_x_1"), None);
        let p = Pattern::parse("_hjSession_{digits}").unwrap();
        assert!(p.captures("_hjSession_123456").is_some());
        assert!(p.captures("_hjSessionUser_123456").is_none());
        let p = Pattern::parse("_ga_{id}").unwrap();
        assert!(p.captures("_ga_ABC123XYZ").is_some());
        assert!(p.captures("_ga_").is_none());
        assert!(p.captures("_ga").is_none());
        let p = Pattern::parse("SSESS{hex}").unwrap();
        assert!(
            p.captures("SSESS0123456789abcdef0123456789abcdef")
                .is_some()
        );
        assert!(p.captures("SSESSxyz").is_none());
    }

    #[test]
    fn a_generalised_name_keeps_the_shared_values() {
        let p = Pattern::parse("incap_ses_{digits}_{digits}").unwrap();
        let a = p.captures("incap_ses_459_913011").unwrap();
        let b = p.captures("incap_ses_771_913011").unwrap();
        assert_eq!(p.generalise(&a, &b), "incap_ses_*_913011");
        let c = p.captures("incap_ses_771_100").unwrap();
        assert_eq!(p.generalise(&a, &c), "incap_ses_*_*");
        let p = Pattern::parse("_ga_{id}").unwrap();
        let (a, b) = (
            p.captures("_ga_AB12").unwrap(),
            p.captures("_ga_CD12").unwrap(),
        );
        assert_eq!(
            p.generalise(&a, &b),
            "_ga_*",
            "values are whole, never split"
        );
    }

    #[test]
    fn patterns_need_a_literal_prefix_and_a_placeholder() {
        assert!(Pattern::parse("{id}_x").is_err());
        assert!(Pattern::parse("_g{id}").is_err());
        assert!(Pattern::parse("_ga{id}").is_ok());
        assert!(Pattern::parse("_gat").is_err());
        assert!(Pattern::parse("_ga_{nope}").is_err());
        assert!(Pattern::parse("_ga_{id").is_err());
    }
}
