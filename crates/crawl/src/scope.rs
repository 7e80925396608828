//! Which URLs are pages of the audited site.

use cookie_audit_model::Scope;
use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::host_of;
use url::Url;

/// The crawl's scope: pages are fetched only inside it. Subresources are fetched wherever they
/// are (a third-party iframe is part of what a visitor gets), but never crawled.
#[derive(Debug, Clone)]
pub(crate) struct CrawlScope {
    kind: Scope,
    /// Hosts (for `host`) or registrable domains (for `registrable`) that are in scope.
    roots: Vec<String>,
}

impl CrawlScope {
    pub(crate) fn new(kind: Scope, start: &Url) -> CrawlScope {
        let mut scope = CrawlScope {
            kind,
            roots: Vec::new(),
        };
        scope.admit(start);
        scope
    }

    /// Widens the scope to another start point (the start URL redirected to `www.` or to a new
    /// domain).
    pub(crate) fn admit(&mut self, url: &Url) {
        let root = self.root_of(url);
        if !root.is_empty() && !self.roots.contains(&root) {
            self.roots.push(root);
        }
    }

    fn root_of(&self, url: &Url) -> String {
        let host = host_of(url).to_ascii_lowercase();
        match self.kind {
            Scope::Host => host,
            Scope::Registrable => registrable_domain(&host),
        }
    }

    pub(crate) fn contains(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https") && self.roots.contains(&self.root_of(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn registrable_scope_uses_the_public_suffix_list() {
        let scope = CrawlScope::new(Scope::Registrable, &u("https://www.barnet.gov.uk/"));
        assert!(scope.contains(&u("https://forms.barnet.gov.uk/x")));
        assert!(scope.contains(&u("http://barnet.gov.uk/")));
        assert!(
            !scope.contains(&u("https://www.lbbd.gov.uk/")),
            "gov.uk is a public suffix"
        );
        assert!(!scope.contains(&u("https://www.gov.uk/")));
    }

    #[test]
    fn host_scope_is_exact() {
        let scope = CrawlScope::new(Scope::Host, &u("https://www.barnet.gov.uk/"));
        assert!(scope.contains(&u("https://www.barnet.gov.uk/a")));
        assert!(!scope.contains(&u("https://forms.barnet.gov.uk/")));
    }
}
