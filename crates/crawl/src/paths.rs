//! `--include-path` and `--exclude-path`: which of the site's pages are crawled, by patterns in
//! robots.txt's syntax (RFC 9309 §2.2.3), which web teams already write: a pattern matches the
//! start of a URL's path and query, `*` stands for any run of characters, and `$` at the end
//! anchors it. Compiled to anchored regular expressions (the `regex` crate: linear time
//! whatever the pattern).

use url::Url;

/// A pattern that is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{option} {pattern:?}: {reason}")]
pub struct PathPatternError {
    /// `include-path` or `exclude-path`.
    pub option: &'static str,
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// One pattern, compiled.
#[derive(Debug, Clone)]
pub struct PathPattern {
    text: String,
    regex: regex::Regex,
}

impl PartialEq for PathPattern {
    fn eq(&self, other: &PathPattern) -> bool {
        self.text == other.text
    }
}

impl PathPattern {
    /// `/news`, `/*.pdf$`, `/search?*`: must start with `/` or `*`.
    fn parse(option: &'static str, text: &str) -> Result<PathPattern, PathPatternError> {
        let error = |reason| PathPatternError {
            option,
            pattern: text.to_string(),
            reason,
        };
        if !(text.starts_with('/') || text.starts_with('*')) {
            return Err(error(
                "a path pattern starts with / (or *), as in robots.txt: /news, /*.pdf$",
            ));
        }
        let (body, anchored) = match text.strip_suffix('$') {
            Some(body) => (body, true),
            None => (text, false),
        };
        let mut source = String::from("^");
        for (i, part) in body.split('*').enumerate() {
            if i > 0 {
                source.push_str(".*");
            }
            source.push_str(&regex::escape(part));
        }
        if anchored {
            source.push('$');
        }
        let regex = regex::Regex::new(&source).map_err(|_| error("not a usable pattern"))?;
        Ok(PathPattern {
            text: text.to_string(),
            regex,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn matches(&self, path_and_query: &str) -> bool {
        self.regex.is_match(path_and_query)
    }
}

/// The include and exclude patterns of a crawl. The default includes everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathFilter {
    include: Vec<PathPattern>,
    exclude: Vec<PathPattern>,
}

impl PathFilter {
    /// Compiles `--include-path` and `--exclude-path` patterns.
    pub fn new(include: &[String], exclude: &[String]) -> Result<PathFilter, PathPatternError> {
        let compile = |option, list: &[String]| {
            list.iter()
                .map(|p| PathPattern::parse(option, p))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(PathFilter {
            include: compile("include-path", include)?,
            exclude: compile("exclude-path", exclude)?,
        })
    }

    /// Whether a page may be crawled: it matches an include pattern (when there are any) and
    /// no exclude pattern.
    pub fn allows(&self, url: &Url) -> bool {
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let included = self.include.is_empty() || self.include.iter().any(|p| p.matches(&target));
        included && !self.exclude.iter().any(|p| p.matches(&target))
    }

    /// The include patterns as given, for the report.
    pub fn include_texts(&self) -> Vec<String> {
        self.include.iter().map(|p| p.text.clone()).collect()
    }

    /// The exclude patterns as given, for the report.
    pub fn exclude_texts(&self) -> Vec<String> {
        self.exclude.iter().map(|p| p.text.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(filter: &PathFilter, path: &str) -> bool {
        filter.allows(&Url::parse(&format!("https://www.council.gov.uk{path}")).unwrap())
    }

    #[test]
    fn patterns_read_as_robots_txt_reads_them() {
        let f = PathFilter::new(
            &[],
            &["/news".into(), "/*.pdf$".into(), "/search?*q=".into()],
        )
        .unwrap();
        assert!(!allows(&f, "/news"));
        assert!(!allows(&f, "/newsletter/1"), "a prefix, as in robots.txt");
        assert!(!allows(&f, "/files/plan.pdf"));
        assert!(
            allows(&f, "/files/plan.pdf?download=1"),
            "$ anchors the end"
        );
        assert!(!allows(&f, "/search?page=2&q=bins"));
        assert!(allows(&f, "/search"));
        assert!(allows(&f, "/bins"));
        // Regex characters are literal.
        let f = PathFilter::new(&[], &["/a.b(c)+".into()]).unwrap();
        assert!(!allows(&f, "/a.b(c)+/x") && allows(&f, "/axb(c)+"));
    }

    #[test]
    fn include_limits_and_exclude_wins() {
        let f = PathFilter::new(&["/services".into()], &["/services/old".into()]).unwrap();
        assert!(allows(&f, "/services/bins"));
        assert!(!allows(&f, "/services/old/x"));
        assert!(!allows(&f, "/about"));
        assert_eq!(f.include_texts(), ["/services"]);
        assert!(PathFilter::default().allows(&Url::parse("https://a.test/x").unwrap()));
    }

    #[test]
    fn a_pattern_without_a_slash_is_refused() {
        let e = PathFilter::new(&[], &["news".into()]).unwrap_err();
        assert_eq!(e.option, "exclude-path");
        assert!(e.to_string().contains("starts with /"), "{e}");
    }
}
