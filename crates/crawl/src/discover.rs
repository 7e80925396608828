//! Finding the pages that declare cookies: links whose text or URL says cookies, or privacy.
//!
//! Cookie pages are preferred over privacy notices; a privacy notice is read too, and one hop is
//! followed from it to a cookie page it links ("Cookies" in a privacy notice's contents). The
//! scores are ordinal only: they rank candidates, nothing else.

use std::collections::HashMap;

use url::Url;

/// Declaration pages read at most (cookie pages, privacy pages and one-hop cookie pages).
pub(crate) const MAX_DECLARATION_PAGES: usize = 6;
/// Cookie-page candidates read.
pub(crate) const MAX_COOKIE_PAGES: usize = 3;
/// Privacy-page candidates read.
pub(crate) const MAX_PRIVACY_PAGES: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CandidateKind {
    Cookie,
    Privacy,
}

/// A link that may lead to a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub url: Url,
    pub kind: CandidateKind,
    pub score: u32,
    /// Why, for the report: `link "Cookie policy" on https://…`.
    pub found_by: String,
    /// Depth of the page the link was found on (shallower is better: footers of the home page).
    pub depth: u32,
}

/// Scores a link. `None` when it does not look like a cookie or privacy page.
pub(crate) fn score_link(text: &str, url: &Url) -> Option<(CandidateKind, u32)> {
    let text = text.to_lowercase();
    let path = url.path().to_lowercase();
    let text_cookie = text.contains("cookie");
    let url_cookie = path.contains("cookie");
    let text_privacy = text.contains("privacy")
        || text.contains("data protection")
        || text.contains("personal information");
    let url_privacy =
        path.contains("privacy") || path.contains("data-protection") || path.contains("gdpr");
    // Downloads are not pages: a "cookie policy (PDF)" link is noted by the crawl, not read.
    if [".pdf", ".doc", ".docx", ".odt"]
        .iter()
        .any(|ext| path.ends_with(ext))
    {
        return None;
    }
    match (text_cookie, url_cookie, text_privacy, url_privacy) {
        (true, true, _, _) => Some((CandidateKind::Cookie, 100)),
        (true, false, _, _) => Some((CandidateKind::Cookie, 90)),
        (false, true, _, _) => Some((CandidateKind::Cookie, 80)),
        (_, _, true, true) => Some((CandidateKind::Privacy, 60)),
        (_, _, true, false) => Some((CandidateKind::Privacy, 50)),
        (_, _, false, true) => Some((CandidateKind::Privacy, 40)),
        _ => None,
    }
}

/// Collects candidates from every page's links; the best sighting of each URL wins.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    by_url: HashMap<Url, Candidate>,
}

impl Candidates {
    pub(crate) fn offer(&mut self, page_url: &Url, depth: u32, text: &str, url: &Url) {
        if url == page_url {
            // A "Cookie settings" button (href="#") points back at its own page.
            return;
        }
        let Some((kind, score)) = score_link(text, url) else {
            return;
        };
        let label = if text.is_empty() {
            url.path().to_string()
        } else {
            text.chars().take(80).collect()
        };
        let candidate = Candidate {
            url: url.clone(),
            kind,
            score,
            found_by: format!("link \"{label}\" on {page_url}"),
            depth,
        };
        match self.by_url.get(url) {
            Some(existing) if rank(existing) <= rank(&candidate) => {}
            _ => {
                self.by_url.insert(url.clone(), candidate);
            }
        }
    }

    /// The candidates to read, best first: cookie pages, then privacy pages.
    pub(crate) fn best(&self) -> Vec<Candidate> {
        let mut all: Vec<&Candidate> = self.by_url.values().collect();
        all.sort_by_key(|a| rank(a));
        let cookies = all
            .iter()
            .filter(|c| c.kind == CandidateKind::Cookie)
            .take(MAX_COOKIE_PAGES);
        let privacy = all
            .iter()
            .filter(|c| c.kind == CandidateKind::Privacy)
            .take(MAX_PRIVACY_PAGES);
        cookies.chain(privacy).map(|c| (*c).clone()).collect()
    }
}

fn rank(c: &Candidate) -> (std::cmp::Reverse<u32>, u32, String) {
    (std::cmp::Reverse(c.score), c.depth, c.url.to_string())
}

/// Paths tried when no page links to a cookie or privacy page at all.
pub(crate) const WELL_KNOWN_PATHS: [&str; 3] = ["/cookies", "/cookie-policy", "/privacy"];

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn scores_cookie_over_privacy() {
        assert_eq!(
            score_link("Cookies", &u("https://x.test/cookies")),
            Some((CandidateKind::Cookie, 100))
        );
        assert_eq!(
            score_link("How we use cookies", &u("https://x.test/p/123")),
            Some((CandidateKind::Cookie, 90))
        );
        assert_eq!(
            score_link("Privacy notice", &u("https://x.test/privacy")),
            Some((CandidateKind::Privacy, 60))
        );
        assert_eq!(score_link("Bins", &u("https://x.test/bins")), None);
        assert_eq!(
            score_link("Cookie policy (PDF)", &u("https://x.test/cookies.pdf")),
            None
        );
    }

    #[test]
    fn best_prefers_cookie_pages_then_shallow_then_url() {
        let mut c = Candidates::default();
        let home = u("https://x.test/");
        let deep = u("https://x.test/a/b");
        c.offer(&deep, 3, "Cookies", &u("https://x.test/b-cookies"));
        c.offer(&home, 0, "Cookies", &u("https://x.test/cookies"));
        c.offer(&home, 0, "Privacy", &u("https://x.test/privacy"));
        c.offer(&home, 0, "Cookie settings", &home);
        let best = c.best();
        let urls: Vec<&str> = best.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "https://x.test/cookies",
                "https://x.test/b-cookies",
                "https://x.test/privacy"
            ]
        );
        assert!(best[0].found_by.contains("\"Cookies\""));
    }
}
