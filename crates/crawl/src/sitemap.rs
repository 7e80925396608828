//! Sitemaps: `Sitemap:` lines from robots.txt and `/sitemap.xml`, sitemap indexes and gzip.
//! Pages only a sitemap links to (no menu reaches them) still get audited.

use std::collections::{HashSet, VecDeque};
use std::io::Read;

use cookie_audit_model::LimitKind;
use cookie_audit_model::url_norm::resolve_link;
use quick_xml::Reader;
use quick_xml::events::Event;
use url::Url;

use crate::context::CrawlContext;
use crate::fetch::{BodyPolicy, FetchRequest, fetch};

/// Sitemap indexes nest at most this deep; deeper ones are noted and skipped.
pub(crate) const MAX_SITEMAP_DEPTH: u32 = 3;
/// At most this many sitemap files are read per crawl.
pub(crate) const MAX_SITEMAP_FILES: usize = 50;
/// Largest decompressed sitemap read (the protocol's own limit is 50 MB).
pub(crate) const MAX_SITEMAP_BYTES: u64 = 50 * 1024 * 1024;

/// What a sitemap file holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SitemapFile {
    /// `<sitemapindex>` entries.
    pub sitemaps: Vec<String>,
    /// `<urlset>` entries.
    pub urls: Vec<String>,
}

/// Parses a sitemap or sitemap index; tolerant of namespaces, whitespace and junk.
pub(crate) fn parse_sitemap(xml: &[u8], max_urls: usize) -> Result<SitemapFile, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut out = SitemapFile::default();
    let mut buf = Vec::new();
    // `<loc>` text arrives in pieces: quick-xml reports `&amp;` as its own event.
    let mut loc: Option<String> = None;
    let mut parent_is_index = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "sitemapindex" => parent_is_index = true,
                "loc" => loc = Some(String::new()),
                _ => {}
            },
            Ok(Event::Text(t)) => {
                if let Some(loc) = loc.as_mut() {
                    loc.push_str(t.as_ref());
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(loc) = loc.as_mut() {
                    loc.push_str(&t.into_inner());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some(loc) = loc.as_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        loc.push(c);
                    } else if let Some(text) =
                        quick_xml::escape::resolve_predefined_entity(r.as_ref())
                    {
                        loc.push_str(text);
                    }
                }
            }
            Ok(Event::End(e)) if e.local_name().as_ref() == "loc" => {
                if let Some(text) = loc.take() {
                    let text = text.trim().to_string();
                    if parent_is_index {
                        out.sitemaps.push(text);
                    } else {
                        out.urls.push(text);
                    }
                    if out.urls.len() + out.sitemaps.len() >= max_urls {
                        break;
                    }
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => {
                if out.urls.is_empty() && out.sitemaps.is_empty() {
                    return Err(format!("not a readable sitemap: {e}"));
                }
                // Keep what was read before the error.
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Decompresses a gzip sitemap (by its magic bytes, whatever the headers say), capped.
pub(crate) fn maybe_gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_SITEMAP_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip sitemap could not be decompressed: {e}"))?;
    Ok(out)
}

/// Reads the sitemaps starting from `seeds`, following indexes breadth first, and returns page
/// URLs (normalised, deduplicated, in file order) up to `max_urls`.
pub(crate) async fn collect(ctx: &CrawlContext, seeds: Vec<Url>, max_urls: usize) -> Vec<Url> {
    let mut queue: VecDeque<(Url, u32)> = seeds.into_iter().map(|u| (u, 0)).collect();
    let mut seen_files: HashSet<Url> = HashSet::new();
    let mut seen_urls: HashSet<Url> = HashSet::new();
    let mut pages = Vec::new();
    while let Some((sitemap_url, depth)) = queue.pop_front() {
        if !seen_files.insert(sitemap_url.clone()) {
            continue;
        }
        if seen_files.len() > MAX_SITEMAP_FILES {
            ctx.limit(
                LimitKind::SitemapFiles,
                format!("more than {MAX_SITEMAP_FILES} sitemap files; the rest were not read"),
                None,
            );
            break;
        }
        let fetched = fetch(
            ctx,
            FetchRequest {
                url: &sitemap_url,
                accept: "application/xml,text/xml,*/*;q=0.5",
                body: BodyPolicy::Always,
                page: None,
            },
        )
        .await;
        let body = match fetched {
            Ok(f) if (200..300).contains(&f.status) => f.body.map(|b| b.bytes).unwrap_or_default(),
            Ok(f) => {
                // A missing /sitemap.xml is normal; a listed one that fails is worth saying.
                if depth > 0 || f.status != 404 {
                    ctx.error(&sitemap_url, format!("sitemap answered HTTP {}", f.status));
                }
                continue;
            }
            Err(failure) => {
                ctx.error(
                    &sitemap_url,
                    format!("sitemap not fetched: {}", failure.error),
                );
                continue;
            }
        };
        let xml = match maybe_gunzip(&body) {
            Ok(xml) => xml,
            Err(e) => {
                ctx.error(&sitemap_url, e);
                continue;
            }
        };
        let remaining = max_urls.saturating_sub(pages.len()).max(1);
        let file = match parse_sitemap(&xml, remaining + MAX_SITEMAP_FILES) {
            Ok(file) => file,
            Err(e) => {
                ctx.error(&sitemap_url, e);
                continue;
            }
        };
        for child in file.sitemaps {
            let Ok(child) = resolve_link(&sitemap_url, &child) else {
                continue;
            };
            if depth + 1 > MAX_SITEMAP_DEPTH {
                ctx.limit(
                    LimitKind::SitemapDepth,
                    format!("sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH} levels were not followed"),
                    Some(&sitemap_url),
                );
                continue;
            }
            queue.push_back((child, depth + 1));
        }
        for loc in file.urls {
            if pages.len() >= max_urls {
                ctx.limit(
                    LimitKind::SitemapUrls,
                    format!("sitemaps list more than {max_urls} URLs; the rest were not queued"),
                    Some(&sitemap_url),
                );
                return pages;
            }
            if let Ok(url) = resolve_link(&sitemap_url, &loc)
                && seen_urls.insert(url.clone())
            {
                pages.push(url);
            }
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlset_and_index() {
        let xml = br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <url><loc> https://www.council.test/a?x=1&amp;y=2 </loc></url><url><loc>https://www.council.test/b</loc></url></urlset>"#;
        let file = parse_sitemap(xml, 100).unwrap();
        assert_eq!(
            file.urls,
            vec![
                "https://www.council.test/a?x=1&y=2",
                "https://www.council.test/b"
            ]
        );
        let index = br#"<sitemapindex><sitemap><loc>https://www.council.test/s1.xml</loc></sitemap></sitemapindex>"#;
        assert_eq!(
            parse_sitemap(index, 100).unwrap().sitemaps,
            vec!["https://www.council.test/s1.xml"]
        );
    }

    #[test]
    fn caps_and_garbage() {
        let many: String = (0..1000)
            .map(|i| format!("<url><loc>https://x.test/{i}</loc></url>"))
            .collect();
        let xml = format!("<urlset>{many}</urlset>");
        assert_eq!(parse_sitemap(xml.as_bytes(), 10).unwrap().urls.len(), 10);
        assert!(
            parse_sitemap(b"<html><body>not a sitemap", 10)
                .unwrap()
                .urls
                .is_empty()
        );
        assert!(
            parse_sitemap(b"\xff\xfe\x00<<<>", 10)
                .map(|f| f.urls.is_empty())
                .unwrap_or(true)
        );
    }

    #[test]
    fn gzip_by_magic_bytes() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"<urlset><url><loc>https://x.test/</loc></url></urlset>")
            .unwrap();
        let gz = enc.finish().unwrap();
        let xml = maybe_gunzip(&gz).unwrap();
        assert_eq!(
            parse_sitemap(&xml, 10).unwrap().urls,
            vec!["https://x.test/"]
        );
        assert_eq!(maybe_gunzip(b"plain").unwrap(), b"plain");
    }
}
