//! The limits that can cut a crawl short, as listed in a report's `crawl.limits_hit`.
//!
//! One variant per option or built-in cap, serialised as the name the report has always used
//! (the option's snake_case name where there is one: `max_pages`). `docs/crawl.md` lists every
//! one (a test checks it), so a reader of a report can always look up what cut their crawl.

use serde::{Deserialize, Serialize};

/// Every limit a crawl can hit.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// `--max-pages`.
    MaxPages,
    /// `--max-depth`.
    MaxDepth,
    /// `--max-time`.
    MaxTime,
    /// `--max-query-variants`.
    MaxQueryVariants,
    /// `--max-body-bytes`.
    MaxBodyBytes,
    /// `--max-redirects`.
    MaxRedirects,
    /// `--max-resources`.
    MaxResources,
    /// Links read from one page.
    LinksPerPage,
    /// Embedded resources read from one page.
    ResourcesPerPage,
    /// URLs the frontier remembers.
    FrontierUrls,
    /// Attributes on one tag.
    HtmlAttributes,
    /// Bytes of robots.txt read.
    RobotsTxtSize,
    /// Sitemap index nesting.
    SitemapDepth,
    /// Sitemap files read.
    SitemapFiles,
    /// URLs read from sitemaps.
    SitemapUrls,
    /// Requests the browser's guard refused, beyond those listed one by one.
    BrowserRefusals,
    /// A host that stopped answering (timeouts or failed connections in a row).
    HostUnresponsive,
    /// The scan was stopped (Ctrl-C, SIGTERM): the report covers what was visited before.
    Interrupted,
}

impl LimitKind {
    /// Every limit, in the order docs/crawl.md lists them.
    pub const ALL: [LimitKind; 18] = [
        LimitKind::MaxPages,
        LimitKind::MaxDepth,
        LimitKind::MaxTime,
        LimitKind::MaxQueryVariants,
        LimitKind::MaxBodyBytes,
        LimitKind::MaxRedirects,
        LimitKind::MaxResources,
        LimitKind::LinksPerPage,
        LimitKind::ResourcesPerPage,
        LimitKind::FrontierUrls,
        LimitKind::HtmlAttributes,
        LimitKind::RobotsTxtSize,
        LimitKind::SitemapDepth,
        LimitKind::SitemapFiles,
        LimitKind::SitemapUrls,
        LimitKind::BrowserRefusals,
        LimitKind::HostUnresponsive,
        LimitKind::Interrupted,
    ];

    /// The name in reports and docs: `max_pages`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::MaxPages => "max_pages",
            LimitKind::MaxDepth => "max_depth",
            LimitKind::MaxTime => "max_time",
            LimitKind::MaxQueryVariants => "max_query_variants",
            LimitKind::MaxBodyBytes => "max_body_bytes",
            LimitKind::MaxRedirects => "max_redirects",
            LimitKind::MaxResources => "max_resources",
            LimitKind::LinksPerPage => "links_per_page",
            LimitKind::ResourcesPerPage => "resources_per_page",
            LimitKind::FrontierUrls => "frontier_urls",
            LimitKind::HtmlAttributes => "html_attributes",
            LimitKind::RobotsTxtSize => "robots_txt_size",
            LimitKind::SitemapDepth => "sitemap_depth",
            LimitKind::SitemapFiles => "sitemap_files",
            LimitKind::SitemapUrls => "sitemap_urls",
            LimitKind::BrowserRefusals => "browser_refusals",
            LimitKind::HostUnresponsive => "host_unresponsive",
            LimitKind::Interrupted => "interrupted",
        }
    }

    /// One line: what was cut when this limit was hit.
    pub fn description(self) -> &'static str {
        match self {
            LimitKind::MaxPages => "later pages in (depth, URL) order were not visited",
            LimitKind::MaxDepth => "pages deeper than the limit were not visited",
            LimitKind::MaxTime => "no new page was visited after the time limit",
            LimitKind::MaxQueryVariants => "more query strings on one path were not followed",
            LimitKind::MaxBodyBytes => "the rest of a body was not read",
            LimitKind::MaxRedirects => "a redirect chain was cut",
            LimitKind::MaxResources => "later embedded resources were not fetched",
            LimitKind::LinksPerPage => "later links on a page were not followed",
            LimitKind::ResourcesPerPage => "later embedded resources on a page were not fetched",
            LimitKind::FrontierUrls => "links to new pages were not queued",
            LimitKind::HtmlAttributes => {
                "a page was read only up to a tag with too many attributes"
            }
            LimitKind::RobotsTxtSize => "the rest of robots.txt was ignored",
            LimitKind::SitemapDepth => "deeper sitemap indexes were not read",
            LimitKind::SitemapFiles => "more sitemap files were not read",
            LimitKind::SitemapUrls => "more sitemap URLs were not read",
            LimitKind::BrowserRefusals => "more refused browser requests were not listed",
            LimitKind::HostUnresponsive => {
                "nothing more was sent to a host that stopped answering; its queued pages were not visited"
            }
            LimitKind::Interrupted => "the scan was stopped; pages not yet visited were not",
        }
    }
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_documented_names() {
        let mut seen = std::collections::HashSet::new();
        for limit in LimitKind::ALL {
            assert!(seen.insert(limit.as_str()), "{limit} twice");
            assert_eq!(
                serde_json::to_value(limit).unwrap(),
                serde_json::Value::String(limit.as_str().into())
            );
            assert!(!limit.description().is_empty());
        }
    }

    #[test]
    fn every_limit_is_in_the_crawl_guide() {
        let guide = include_str!("../../../docs/crawl.md");
        for limit in LimitKind::ALL {
            assert!(
                guide.contains(&format!("| `{}` |", limit.as_str())),
                "docs/crawl.md has no row for the `{limit}` limit"
            );
        }
    }
}
