//! Pages handed from one stage of the pipeline to the next. Runtime types, not part of the
//! report: the report records what was read in `Declaration::pages`.

use url::Url;

/// A page that may declare cookies: fetched (or not) by the crawl, read by the table extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationSource {
    /// The page, after redirects.
    pub url: Url,
    /// Why the page was read: `--privacy-url`, the link text that led to it, …
    pub found_by: String,
    /// The decoded page, when it could be fetched.
    pub html: Option<String>,
    /// Why it could not be fetched or read.
    pub error: Option<String>,
}
