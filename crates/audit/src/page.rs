//! One declaration page, fetched or rendered on its own (`cookie-audit declared URL`): the page a
//! table reader is tried on without crawling the site.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cookie_audit_browser::{BrowserEngine, BrowserOptions};
use cookie_audit_crawl::fetch::{ACCEPT_HTML, BodyPolicy, FetchRequest, fetch};
use cookie_audit_crawl::record::PageRef;
use cookie_audit_crawl::{CrawlContext, Engine, NoProgress, PageTask};
use url::Url;

use crate::scan::{ResolvedEngine, ScanError, resolve_engine};
use crate::settings::ScanSettings;

/// A page that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The engine could not start.
    #[error(transparent)]
    Setup(#[from] ScanError),
    /// The page gave no HTML to read.
    #[error("{url} could not be read: {reason}")]
    Unreadable {
        /// The page.
        url: Url,
        /// Why, in words (HTTP 404, not an HTML page, …).
        reason: String,
    },
    /// A local file that cannot hold a cookie table: missing, empty, or not text (a PDF, an
    /// image, a program).
    #[error("{}: {reason}", path.display())]
    File {
        /// The file as given.
        path: std::path::PathBuf,
        /// Why, in words.
        reason: String,
    },
}

/// Bytes of a file looked at to tell text from a binary (as `file` and git do: a NUL byte in
/// the first 8 KiB).
const SNIFF_BYTES: usize = 8192;

/// `source` as a local file, when it is one or is written as one: it exists, or it reads as a
/// path (`/…`, `./…`, `~/…`, `file://…`, a name ending in `.html`, `.htm`, `.txt`, `.pdf`), so a
/// missing file says "no such file" instead of becoming a DNS lookup of `nonexistent.html`.
/// `None`: a URL or host name.
pub fn local_path(source: &str) -> Option<PathBuf> {
    let lower = source.to_ascii_lowercase();
    if lower.starts_with("file://") {
        return Some(PathBuf::from(&source["file://".len()..]));
    }
    let written_as_path = !lower.contains("://")
        && (source.starts_with(['/', '.', '~', '\\'])
            || [".html", ".htm", ".xhtml", ".txt", ".pdf"]
                .iter()
                .any(|ext| lower.ends_with(ext)));
    (written_as_path || Path::new(source).exists()).then(|| PathBuf::from(source))
}

/// A local HTML file as [`read_page`] would give it: its `file:` URL and decoded text. An
/// empty file, a PDF or any other binary is an error naming what it is, not an empty table.
pub fn read_file_page(path: &Path) -> Result<(Url, String), PageError> {
    let fail = |reason: String| PageError::File {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail("no such file".into()),
        _ => fail(format!("could not be read: {e}")),
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(
            "the file is empty: there is no cookie table to read".into(),
        ));
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    // infer knows HTML and XML too (by `<!DOCTYPE html>`, `<html`, `<?xml`): text is what we
    // read, so only its binary kinds are refused.
    if let Some(kind) = infer::get(head).filter(|k| k.matcher_type() != infer::MatcherType::Text) {
        return Err(fail(format!(
            "this is {} ({}), not an HTML page: save the cookie page as HTML, or give its URL",
            article(kind.extension()),
            kind.mime_type()
        )));
    }
    if head.contains(&0) {
        return Err(fail(
            "this is a binary file, not an HTML page: save the cookie page as HTML, or give its URL"
                .into(),
        ));
    }
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let url = Url::from_file_path(&absolute).map_err(|()| fail("is not a usable path".into()))?;
    Ok((url, cookie_audit_crawl::html::decode(&bytes, None)))
}

/// "a PDF document", "a PNG image": what `infer` found, for a person.
fn article(extension: &str) -> String {
    let upper = extension.to_ascii_uppercase();
    let vowel = upper.starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X']);
    format!("{} {upper} file", if vowel { "an" } else { "a" })
}

/// The page at `url` as the engine of `settings` sees it: as served (HTTP engine) or as a
/// visitor's browser renders it (a Cookiebot table exists only after its script ran). Returns
/// the URL after redirects and the decoded HTML.
pub async fn read_page(url: &Url, settings: &ScanSettings) -> Result<(Url, String), PageError> {
    let engine = resolve_engine(settings.engine, settings.chrome.as_deref())?;
    let ctx = CrawlContext::new(settings.crawl.clone(), url.clone(), Box::new(NoProgress))
        .map_err(ScanError::Client)?;
    match engine {
        ResolvedEngine::Http => fetch_page(&ctx, url).await,
        ResolvedEngine::Browser(chrome) => {
            let mut options = BrowserOptions::new(chrome, &settings.crawl, &settings.browser);
            options.extras.site = Some(url.clone());
            render_page(&ctx, url, options).await
        }
    }
}

async fn fetch_page(ctx: &CrawlContext, url: &Url) -> Result<(Url, String), PageError> {
    let unreadable = |reason: String| PageError::Unreadable {
        url: url.clone(),
        reason,
    };
    let fetched = fetch(
        ctx,
        FetchRequest {
            url,
            accept: ACCEPT_HTML,
            body: BodyPolicy::IfHtml,
            page: None,
        },
    )
    .await
    .map_err(|f| unreadable(f.error.to_string()))?;
    if fetched.status >= 400 {
        return Err(unreadable(format!("HTTP {}", fetched.status)));
    }
    let Some(body) = fetched.body else {
        return Err(unreadable(format!(
            "not an HTML page ({})",
            fetched.content_type.unwrap_or_default()
        )));
    };
    let html = cookie_audit_crawl::html::decode(&body.bytes, fetched.content_type.as_deref());
    Ok((fetched.final_url, html))
}

async fn render_page(
    ctx: &CrawlContext,
    url: &Url,
    options: BrowserOptions,
) -> Result<(Url, String), PageError> {
    let engine = Arc::new(
        BrowserEngine::launch(options)
            .await
            .map_err(ScanError::Browser)?,
    );
    let task = PageTask {
        page: PageRef {
            url: url.clone(),
            depth: 0,
        },
        keep_html: true,
    };
    let visit = engine.visit(task, ctx).await;
    engine.shutdown().await;
    if let Some(problem) = visit.problem() {
        return Err(PageError::Unreadable {
            url: url.clone(),
            reason: problem,
        });
    }
    Ok((
        visit.final_url.unwrap_or_else(|| url.clone()),
        visit.html.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 15: `declared /nonexistent.html` resolved "nonexistent.html" in DNS.
    #[test]
    fn what_is_written_as_a_path_is_a_path_and_a_host_is_not() {
        for path in [
            "/nonexistent.html",
            "./cookies",
            "~/saved.htm",
            "cookies.HTML",
            "notice.pdf",
        ] {
            assert_eq!(local_path(path), Some(PathBuf::from(path)), "{path}");
        }
        assert_eq!(
            local_path("file:///tmp/cookies.html"),
            Some(PathBuf::from("/tmp/cookies.html"))
        );
        for url in [
            "www.barnet.gov.uk",
            "https://www.barnet.gov.uk/cookies.html",
            "barnet.gov.uk/cookies",
        ] {
            assert_eq!(local_path(url), None, "{url}");
        }
    }
}
