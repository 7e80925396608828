//! What a visit's outcome was, decided from what the page's own document did. A pure function:
//! the same facts always give the same verdict, and each branch has a test.

use std::time::Duration;

use cookie_audit_crawl::VisitStatus;
use cookie_audit_crawl::html;
use url::Url;

use crate::capture::MainDocument;
use crate::error::DocumentError;

/// What is known about the main document when the visit stops waiting.
#[derive(Debug, Clone, Default)]
pub(crate) struct DocumentFacts {
    pub main: MainDocument,
    /// Its last status from the raw headers, for a response the browser did not go on to show (a
    /// download) or a redirect chain that never ended.
    pub raw_status: Option<u16>,
    /// Why it failed, if it did: Chromium's error, or the guard proxy's words for a tunnel it did
    /// not open.
    pub error: Option<DocumentError>,
    /// The load event never came within the page timeout.
    pub load_timed_out: bool,
    pub page_timeout: Duration,
}

/// The outcome of a visit, before its DOM is read (only a `Loaded` page's is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub status: Option<u16>,
    pub final_url: Option<Url>,
    pub outcome: VisitStatus,
}

pub(crate) fn classify(facts: &DocumentFacts) -> Verdict {
    let main = &facts.main;
    let status = main.status.or(facts.raw_status);
    let final_url = main
        .url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let failed = |error: String| VisitStatus::Failed { error };
    let outcome = if let Some(verdict) = &main.proxy_verdict {
        // The proxy answered instead of the site (a refused or unreachable target): the page
        // failed as it does with the HTTP engine, with the guard's reason, and has no response.
        return Verdict {
            status: None,
            final_url: None,
            outcome: failed(verdict.clone()),
        };
    } else if status.is_none() {
        failed(match &facts.error {
            Some(error) if error.has_words() => error.to_string(),
            Some(error @ DocumentError::Net { .. }) => {
                format!("the browser could not load the page: {error}")
            }
            Some(words) => words.to_string(),
            None if facts.load_timed_out => {
                format!("no response within {}s", facts.page_timeout.as_secs())
            }
            None => "no response".to_string(),
        })
    } else if main.status.is_none() && status.is_some_and(|s| (300..400).contains(&s)) {
        // Redirected, and no response ever ended the chain: a loop, or more hops than Chromium
        // follows (20).
        failed(match &facts.error {
            Some(error) if error.has_words() => error.to_string(),
            Some(error) => format!("the browser could not load the page: {error}"),
            None => "the browser could not load the page: its redirects did not end".to_string(),
        })
    } else if status.is_some_and(|s| s >= 400) {
        VisitStatus::HttpError
    } else if !main
        .mime_type
        .as_deref()
        .is_none_or(|m| html::is_html(Some(m)))
        || (facts.error.is_some() && main.mime_type.is_none())
    {
        VisitStatus::NotHtml {
            content_type: main
                .mime_type
                .clone()
                .unwrap_or_else(|| "unknown (a download)".into()),
        }
    } else {
        VisitStatus::Loaded
    };
    Verdict {
        status,
        final_url,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NetError;

    fn loaded_html() -> DocumentFacts {
        DocumentFacts {
            main: MainDocument {
                status: Some(200),
                url: Some("https://www.example.gov.uk/landed".into()),
                mime_type: Some("text/html".into()),
                error: None,
                proxy_verdict: None,
            },
            page_timeout: Duration::from_secs(20),
            ..DocumentFacts::default()
        }
    }

    fn net(code: &str) -> Option<DocumentError> {
        Some(DocumentError::Net {
            error: NetError::Other(code.into()),
            blocked: None,
        })
    }

    fn failure(verdict: &Verdict) -> &str {
        match &verdict.outcome {
            VisitStatus::Failed { error } => error,
            other => panic!("not a failure: {other:?}"),
        }
    }

    #[test]
    fn an_html_page_is_loaded_at_its_final_url() {
        let verdict = classify(&loaded_html());
        assert_eq!(verdict.outcome, VisitStatus::Loaded);
        assert_eq!(verdict.status, Some(200));
        assert_eq!(
            verdict.final_url.unwrap().as_str(),
            "https://www.example.gov.uk/landed"
        );
        // Chromium's error page is no final URL of ours.
        let mut facts = loaded_html();
        facts.main.url = Some("chrome-error://chromewebdata/".into());
        assert_eq!(classify(&facts).final_url, None);
    }

    #[test]
    fn the_guard_proxy_answering_is_a_failure_with_its_words_and_no_status() {
        let mut facts = loaded_html();
        facts.main.status = Some(403);
        facts.main.proxy_verdict = Some("the address guard refused 10.0.0.1".into());
        let verdict = classify(&facts);
        assert_eq!(failure(&verdict), "the address guard refused 10.0.0.1");
        assert_eq!((verdict.status, verdict.final_url), (None, None));
    }

    #[test]
    fn no_response_says_why_by_kind_of_error() {
        let none = DocumentFacts {
            page_timeout: Duration::from_secs(7),
            ..DocumentFacts::default()
        };
        assert_eq!(failure(&classify(&none)), "no response");
        let timed_out = DocumentFacts {
            load_timed_out: true,
            ..none.clone()
        };
        assert_eq!(failure(&classify(&timed_out)), "no response within 7s");
        let refused = DocumentFacts {
            error: net("ERR_CONNECTION_REFUSED"),
            ..none.clone()
        };
        assert_eq!(
            failure(&classify(&refused)),
            "could not connect: connection refused (net::ERR_CONNECTION_REFUSED)"
        );
        let guard = DocumentFacts {
            error: Some(DocumentError::Guard(
                "connection to 127.0.0.2 refused".into(),
            )),
            ..none
        };
        assert_eq!(
            failure(&classify(&guard)),
            "connection to 127.0.0.2 refused"
        );
    }

    #[test]
    fn a_redirect_chain_that_never_ended_fails_the_page() {
        let facts = DocumentFacts {
            raw_status: Some(302),
            error: net("ERR_TOO_MANY_REDIRECTS"),
            ..DocumentFacts::default()
        };
        let verdict = classify(&facts);
        assert_eq!(
            failure(&verdict),
            "more than 20 redirects, so browsers give up (net::ERR_TOO_MANY_REDIRECTS)"
        );
        assert_eq!(verdict.status, Some(302));
        let silent = DocumentFacts {
            error: None,
            ..facts
        };
        assert_eq!(
            failure(&classify(&silent)),
            "the browser could not load the page: its redirects did not end"
        );
    }

    #[test]
    fn an_error_status_is_an_http_error() {
        let mut facts = loaded_html();
        facts.main.status = Some(500);
        assert_eq!(classify(&facts).outcome, VisitStatus::HttpError);
    }

    #[test]
    fn a_download_or_another_type_is_not_html() {
        let mut pdf = loaded_html();
        pdf.main.mime_type = Some("application/pdf".into());
        assert_eq!(
            classify(&pdf).outcome,
            VisitStatus::NotHtml {
                content_type: "application/pdf".into()
            }
        );
        // A download: the raw headers said 200, the browser showed nothing and aborted.
        let download = DocumentFacts {
            raw_status: Some(200),
            error: net("ERR_ABORTED"),
            ..DocumentFacts::default()
        };
        let verdict = classify(&download);
        assert_eq!(
            verdict.outcome,
            VisitStatus::NotHtml {
                content_type: "unknown (a download)".into()
            }
        );
        assert_eq!(verdict.status, Some(200));
    }

    #[test]
    fn a_page_without_a_content_type_is_read_as_html() {
        let mut facts = loaded_html();
        facts.main.mime_type = None;
        assert_eq!(classify(&facts).outcome, VisitStatus::Loaded);
    }
}
