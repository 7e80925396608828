//! `--webhook URL`: each site's summary POSTed as JSON when the site is done.
//!
//! The POST goes through the project's one guarded HTTP client, so the SSRF guard applies to it
//! as to every crawl request: a webhook on a loopback or private address must be allowed like a
//! crawl target — `resolve = ["hooks.internal=10.0.0.5"]` in `[defaults]` or `--resolve` on the
//! command line (that address only), or `allow_private`. The client is built from `[defaults]`
//! with the command line over it, never from one site's overrides.
//!
//! A webhook URL often carries a secret (Slack's and Teams' do, in the path), so messages name
//! only its origin.

use cookie_audit_crawl::CrawlOptions;
use cookie_audit_crawl::net::{ClientOptions, FetchError, HttpClient};
use url::Url;

use crate::job::summary::SiteSummary;

/// A webhook that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Not an http(s) URL with a host.
    #[error("--webhook: expected an http:// or https:// URL")]
    NotHttp,
    /// The guarded client could not be built.
    #[error("--webhook: could not set up the HTTP client")]
    Client(#[source] FetchError),
}

/// Where summaries are POSTed, and the client that POSTs them.
#[derive(Debug)]
pub struct Webhook {
    url: Url,
    client: HttpClient,
}

impl Webhook {
    /// A webhook at `url`, reached with the network options of `defaults`.
    pub fn new(url: &str, defaults: &CrawlOptions) -> Result<Webhook, WebhookError> {
        let url = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or(WebhookError::NotHttp)?;
        let options = ClientOptions::new(&defaults.network, defaults.timeout);
        let client = HttpClient::new(&options).map_err(WebhookError::Client)?;
        Ok(Webhook { url, client })
    }

    /// Where the webhook goes, without the path and query that may hold its secret.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// POSTs one site's summary. Any answer but 2xx is a failure, reported and never retried:
    /// the next run posts again, and the reports and history do not depend on it.
    pub async fn post(&self, summary: &SiteSummary) -> Result<(), String> {
        let body = serde_json::to_vec(summary).map_err(|e| e.to_string())?;
        match self.client.post_json(&self.url, body).await {
            Ok(status) if (200..300).contains(&status) => Ok(()),
            Ok(status) => Err(format!("{} answered HTTP {status}", self.origin())),
            Err(error) => Err(format!("{}: {error}", self.origin())),
        }
    }
}
