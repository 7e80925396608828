//! The scan options: one struct shared by the `scan` flags and the audit TOML (`[defaults]` and
//! each `[[site]]`), every field optional, and one merge that names every field, so the compiler
//! catches a forgotten one. CLI beats file. Defaults are not here: each lives with the runtime
//! type it belongs to (`CrawlOptions::default()`, `BrowserSettings::default()`), and
//! [`ScanOptions::resolve_settings`] fills what was not given from them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use cookie_audit_audit::{ConfigOptions, ConsentSettings, IgnoreError, IgnoreList, ScanSettings};
use cookie_audit_browser::BrowserSettings;
use cookie_audit_crawl::extras::{ExtraCookie, ExtraError, ExtraHeader};
use cookie_audit_crawl::paths::{PathFilter, PathPatternError};
use cookie_audit_crawl::{CrawlOptions, NetworkOptions};
use cookie_audit_model::{ConsentRuns, EngineChoice, FailOn, ResolveRule, Scope};
use serde::Deserialize;

// Option groups of `--help`, in the order a new user needs them.
const ENGINES: &str = "Engine";
const CRAWL: &str = "Crawl";
const SITE: &str = "Site";
const NETWORK: &str = "Network and access";
const FINDINGS: &str = "Findings";
const CONSENT: &str = "Consent (browser engine)";
const LIMITS: &str = "Limits";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EngineArg {
    Http,
    Browser,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ScopeArg {
    Registrable,
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailOnArg {
    None,
    Undeclared,
    Consent,
    Any,
}

/// How to scan a site. Flag names are the TOML keys in snake_case (`--max-pages` = `max_pages`).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanOptions {
    /// Engine: `http` (fast, no JavaScript), `browser` (headless Chromium), `auto` [default: auto]
    #[arg(help_heading = ENGINES, short, long, value_enum)]
    pub engine: Option<EngineArg>,

    /// Most pages to visit [default: 200]
    #[arg(help_heading = CRAWL, short = 'n', long, value_name = "N")]
    pub max_pages: Option<u32>,

    /// Deepest link level to follow from the start page [default: 6]
    #[arg(help_heading = CRAWL, long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Requests in flight at once [default: 8]
    #[arg(help_heading = CRAWL, long, value_name = "N")]
    pub concurrency: Option<u32>,

    /// Requests per second per host; 0 for no limit [default: 2]
    #[arg(help_heading = CRAWL, long, value_name = "R", allow_negative_numbers = true)]
    pub rate: Option<f64>,

    /// Timeout per request in seconds [default: 20]
    #[arg(help_heading = CRAWL, long, value_name = "SECS")]
    pub timeout: Option<u64>,

    /// Most embedded resources (iframes, scripts, images) to fetch [default: 500]
    #[arg(help_heading = LIMITS, long, value_name = "N")]
    pub max_resources: Option<u32>,

    /// Largest body read per response, in bytes [default: 5242880]
    #[arg(help_heading = LIMITS, long, value_name = "BYTES")]
    pub max_body_bytes: Option<u64>,

    /// Most redirects followed per request [default: 10]
    #[arg(help_heading = LIMITS, long, value_name = "N")]
    pub max_redirects: Option<u32>,

    /// Distinct query strings followed per path, against calendar traps [default: 10]
    #[arg(help_heading = LIMITS, long, value_name = "N")]
    pub max_query_variants: Option<u32>,

    /// Visit no new page after this many seconds; the report covers what was crawled [default: no limit]
    #[arg(help_heading = CRAWL, long, value_name = "SECS")]
    pub max_time: Option<u64>,

    /// Page that declares the cookies (repeatable); skips discovery
    #[arg(help_heading = SITE, long = "privacy-url", value_name = "URL")]
    #[serde(default)]
    pub privacy_url: Vec<String>,

    /// Pages crawled: every host of the site's registrable domain, or the start host only [default: registrable]
    #[arg(help_heading = SITE, long, value_enum)]
    pub scope: Option<ScopeArg>,

    /// Connect to ADDR for HOST on any port, like curl (repeatable); allows that address
    #[arg(help_heading = NETWORK, long, value_name = "HOST=ADDR")]
    #[serde(default)]
    pub resolve: Vec<String>,

    /// Resolve only --resolve names: anything else fails without a DNS query
    #[arg(help_heading = NETWORK, long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    pub offline: Option<bool>,

    /// Accept invalid TLS certificates (staging sites, self-signed fixtures)
    #[arg(help_heading = NETWORK, long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    pub insecure: Option<bool>,

    /// Allow private, loopback and link-local addresses (refused by default)
    #[arg(help_heading = NETWORK, long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    pub allow_private: Option<bool>,

    /// User-Agent header of the HTTP engine; the browser sends a visitor's Chrome's [default:
    /// cookie-audit/<version> (+<project url>)]
    #[arg(help_heading = NETWORK, long, value_name = "UA")]
    pub user_agent: Option<String>,

    /// Do not honour robots.txt (warns)
    #[arg(help_heading = CRAWL, long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    pub ignore_robots: Option<bool>,

    /// Keep cookie values in the report (redacted by default)
    #[arg(help_heading = FINDINGS, long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    pub show_values: Option<bool>,

    /// Exit 1 when findings of this kind exist: none, undeclared, consent (the ICO tests), any [default: none]
    #[arg(help_heading = FINDINGS, long, value_enum)]
    pub fail_on: Option<FailOnArg>,

    /// Browser engine: tabs working in parallel [default: 4]
    #[arg(help_heading = ENGINES, long, value_name = "N")]
    pub tabs: Option<u32>,

    /// Browser engine: quiet time after load (no request, write or timer due) that counts as
    /// settled, in ms [default: 500]
    #[arg(help_heading = ENGINES, long, value_name = "MS")]
    pub settle_ms: Option<u64>,

    /// Browser engine: the Chromium to run [default: $CHROME or chromium on PATH]
    #[arg(help_heading = ENGINES, long, value_name = "PATH")]
    pub chrome: Option<PathBuf>,

    /// Extra cookie knowledge: an Open Cookie Database CSV file
    #[arg(help_heading = FINDINGS, long, value_name = "FILE")]
    pub cookie_db: Option<PathBuf>,

    /// Browser engine: visits besides the crawl — after "Accept all", after "Reject all", both, or none [default: all]
    #[arg(help_heading = CONSENT, long, value_enum)]
    pub consent: Option<ConsentArg>,

    /// Browser engine: pages each consent visit revisits, the cookie page included [default: 10]
    #[arg(help_heading = CONSENT, long, value_name = "N")]
    pub consent_pages: Option<u32>,

    /// Browser engine: consent rules tried before the built-in ones (docs/consent.md)
    #[arg(help_heading = CONSENT, long, value_name = "FILE")]
    pub consent_rules: Option<PathBuf>,

    /// Crawl only pages whose path starts like this (repeatable; robots.txt syntax: /news,
    /// /*.pdf$); the start page and cookie page are always read
    #[arg(help_heading = SITE, long = "include-path", value_name = "PATTERN")]
    #[serde(default)]
    pub include_path: Vec<String>,

    /// Do not crawl pages whose path starts like this (repeatable; robots.txt syntax)
    #[arg(help_heading = SITE, long = "exclude-path", value_name = "PATTERN")]
    #[serde(default)]
    pub exclude_path: Vec<String>,

    /// Send this header to the site's own hosts, never to a third party (repeatable: a staging
    /// site's password); its value is not kept in the report
    #[arg(help_heading = NETWORK, short = 'H', long, value_name = "'NAME: VALUE'")]
    #[serde(default)]
    pub header: Vec<String>,

    /// Send this cookie to the site's own hosts (repeatable: a logged-in session); not reported
    /// as observed, its value not kept
    #[arg(help_heading = NETWORK, short = 'b', long, value_name = "NAME=VALUE")]
    #[serde(default)]
    pub cookie: Vec<String>,

    /// Findings you have accepted: a TOML file of [[ignore]] entries (code, cookie, reason,
    /// expires; docs/findings.md). They are listed as ignored and never fail --fail-on
    #[arg(help_heading = FINDINGS, long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
}

/// `declared`'s options: how one page is fetched or rendered, no crawl. A scan option that
/// means nothing for one page (`--max-pages`, `--consent`, …) is not offered.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct PageOptions {
    /// Engine: `http` (the page as served), `browser` (as a visitor's Chromium renders it), `auto` [default: auto]
    #[arg(short, long, value_enum)]
    engine: Option<EngineArg>,
    /// Timeout in seconds [default: 20]
    #[arg(long, value_name = "SECS")]
    timeout: Option<u64>,
    /// Connect to ADDR for HOST on any port, like curl (repeatable); allows that address
    #[arg(long, value_name = "HOST=ADDR")]
    resolve: Vec<String>,
    /// Resolve only --resolve names: anything else fails without a DNS query
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    offline: Option<bool>,
    /// Accept invalid TLS certificates (staging sites, self-signed fixtures)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    insecure: Option<bool>,
    /// Allow private, loopback and link-local addresses (refused by default)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", require_equals = true, value_name = "BOOL")]
    allow_private: Option<bool>,
    /// Send this header to the page's site (repeatable: a staging site's password)
    #[arg(short = 'H', long, value_name = "'NAME: VALUE'")]
    header: Vec<String>,
    /// Send this cookie to the page's site (repeatable: a logged-in session)
    #[arg(short = 'b', long, value_name = "NAME=VALUE")]
    cookie: Vec<String>,
    /// Browser engine: the Chromium to run [default: $CHROME or chromium on PATH]
    #[arg(long, value_name = "PATH")]
    chrome: Option<PathBuf>,
}

impl PageOptions {
    /// The same values as scan options, the rest at their defaults.
    pub(crate) fn scan_options(&self) -> ScanOptions {
        let page = self.clone();
        ScanOptions {
            engine: page.engine,
            timeout: page.timeout,
            resolve: page.resolve,
            offline: page.offline,
            insecure: page.insecure,
            allow_private: page.allow_private,
            header: page.header,
            cookie: page.cookie,
            chrome: page.chrome,
            ..ScanOptions::default()
        }
    }
}

// Switches are `Option<bool>` so "not given" differs from "false": `--insecure` alone means true,
// `--insecure=false` overrides a config file's `insecure = true`.
impl ScanOptions {
    /// `self` with every field `other` sets replaced: CLI over site over defaults.
    pub(crate) fn merged_over(self, base: &ScanOptions) -> ScanOptions {
        let base = base.clone();
        ScanOptions {
            engine: self.engine.or(base.engine),
            max_pages: self.max_pages.or(base.max_pages),
            max_depth: self.max_depth.or(base.max_depth),
            concurrency: self.concurrency.or(base.concurrency),
            rate: self.rate.or(base.rate),
            timeout: self.timeout.or(base.timeout),
            max_resources: self.max_resources.or(base.max_resources),
            max_body_bytes: self.max_body_bytes.or(base.max_body_bytes),
            max_redirects: self.max_redirects.or(base.max_redirects),
            max_query_variants: self.max_query_variants.or(base.max_query_variants),
            max_time: self.max_time.or(base.max_time),
            privacy_url: or_list(self.privacy_url, base.privacy_url),
            scope: self.scope.or(base.scope),
            resolve: or_list(self.resolve, base.resolve),
            offline: self.offline.or(base.offline),
            insecure: self.insecure.or(base.insecure),
            allow_private: self.allow_private.or(base.allow_private),
            user_agent: self.user_agent.or(base.user_agent),
            ignore_robots: self.ignore_robots.or(base.ignore_robots),
            show_values: self.show_values.or(base.show_values),
            fail_on: self.fail_on.or(base.fail_on),
            tabs: self.tabs.or(base.tabs),
            settle_ms: self.settle_ms.or(base.settle_ms),
            chrome: self.chrome.or(base.chrome),
            cookie_db: self.cookie_db.or(base.cookie_db),
            consent: self.consent.or(base.consent),
            consent_pages: self.consent_pages.or(base.consent_pages),
            consent_rules: self.consent_rules.or(base.consent_rules),
            include_path: or_list(self.include_path, base.include_path),
            exclude_path: or_list(self.exclude_path, base.exclude_path),
            header: or_list(self.header, base.header),
            cookie: or_list(self.cookie, base.cookie),
            ignore_file: self.ignore_file.or(base.ignore_file),
        }
    }

    /// The effective settings: defaults (held by the runtime types themselves) for everything
    /// unset, `--resolve`, headers, cookies, patterns and the ignore file parsed, values checked:
    /// everything that can be wrong is found before a crawl starts.
    pub(crate) fn resolve_settings(&self) -> Result<ScanSettings, OptionsError> {
        self.check()?;
        let resolve = self
            .resolve
            .iter()
            .map(|r| parse_resolve(r))
            .collect::<Result<Vec<_>, _>>()?;
        let headers = self
            .header
            .iter()
            .map(|h| ExtraHeader::parse(h))
            .collect::<Result<Vec<_>, _>>()?;
        let mut cookies = Vec::new();
        for cookie in &self.cookie {
            cookies.extend(ExtraCookie::parse(cookie)?);
        }
        let paths = PathFilter::new(&self.include_path, &self.exclude_path)?;
        let ignore = self
            .ignore_file
            .as_deref()
            .map(IgnoreList::load)
            .transpose()?;
        let crawl = CrawlOptions::default();
        let browser = BrowserSettings::default();
        let network = NetworkOptions::default();
        let consent = ConsentSettings::default();
        Ok(ScanSettings {
            engine: self
                .engine
                .map_or(EngineChoice::default(), EngineArg::choice),
            crawl: CrawlOptions {
                max_pages: self.max_pages.unwrap_or(crawl.max_pages),
                max_depth: self.max_depth.unwrap_or(crawl.max_depth),
                concurrency: self.concurrency.unwrap_or(crawl.concurrency),
                rate: self.rate.unwrap_or(crawl.rate),
                timeout: self.timeout.map_or(crawl.timeout, Duration::from_secs),
                max_resources: self.max_resources.unwrap_or(crawl.max_resources),
                max_body_bytes: self.max_body_bytes.unwrap_or(crawl.max_body_bytes),
                max_redirects: self.max_redirects.unwrap_or(crawl.max_redirects),
                max_query_variants: self.max_query_variants.unwrap_or(crawl.max_query_variants),
                max_time: self.max_time.map(Duration::from_secs),
                scope: self.scope.map_or(crawl.scope, ScopeArg::scope),
                privacy_urls: self.privacy_url.clone(),
                ignore_robots: self.ignore_robots.unwrap_or(crawl.ignore_robots),
                show_values: self.show_values.unwrap_or(crawl.show_values),
                paths,
                headers,
                cookies,
                network: NetworkOptions {
                    resolve,
                    offline: self.offline.unwrap_or(network.offline),
                    allow_private: self.allow_private.unwrap_or(network.allow_private),
                    insecure: self.insecure.unwrap_or(network.insecure),
                    user_agent: self.user_agent.clone().unwrap_or(network.user_agent),
                },
            },
            browser: BrowserSettings {
                tabs: self.tabs.unwrap_or(browser.tabs),
                settle: self.settle_ms.map_or(browser.settle, Duration::from_millis),
            },
            fail_on: self.fail_on.map_or(FailOn::default(), FailOnArg::fail_on),
            chrome: self.chrome.clone(),
            consent: ConsentSettings {
                runs: self.consent.map_or(consent.runs, ConsentArg::runs),
                pages: self.consent_pages.unwrap_or(consent.pages),
                rules: self.consent_rules.clone(),
            },
            ignore,
        })
    }

    /// Values no scan can run with.
    fn check(&self) -> Result<(), OptionsError> {
        if self.engine == Some(EngineArg::Http)
            && self.consent.is_some_and(|c| c != ConsentArg::None)
        {
            return Err(OptionsError::Invalid {
                option: "consent",
                reason: "the HTTP engine cannot see or click a consent banner: use --engine browser, or --consent none".into(),
            });
        }
        if let Some(rate) = self.rate
            && (!rate.is_finite() || rate < 0.0)
        {
            return Err(OptionsError::Invalid {
                option: "rate",
                reason: format!(
                    "{rate} is not a rate: use a number of requests per second, 0 for no limit"
                ),
            });
        }
        for (option, value) in [
            ("max_pages", self.max_pages.map(u64::from)),
            ("concurrency", self.concurrency.map(u64::from)),
            ("tabs", self.tabs.map(u64::from)),
            ("timeout", self.timeout),
            ("consent_pages", self.consent_pages.map(u64::from)),
            ("max_time", self.max_time),
        ] {
            if value == Some(0) {
                return Err(OptionsError::Invalid {
                    option,
                    reason: "must be at least 1".into(),
                });
            }
        }
        Ok(())
    }
}

/// `--consent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ConsentArg {
    None,
    Accept,
    Reject,
    All,
}

impl ConsentArg {
    fn runs(self) -> ConsentRuns {
        match self {
            ConsentArg::None => ConsentRuns::None,
            ConsentArg::Accept => ConsentRuns::Accept,
            ConsentArg::Reject => ConsentRuns::Reject,
            ConsentArg::All => ConsentRuns::All,
        }
    }
}

impl EngineArg {
    fn choice(self) -> EngineChoice {
        match self {
            EngineArg::Http => EngineChoice::Http,
            EngineArg::Browser => EngineChoice::Browser,
            EngineArg::Auto => EngineChoice::Auto,
        }
    }
}

impl ScopeArg {
    fn scope(self) -> Scope {
        match self {
            ScopeArg::Registrable => Scope::Registrable,
            ScopeArg::Host => Scope::Host,
        }
    }
}

impl FailOnArg {
    fn fail_on(self) -> FailOn {
        match self {
            FailOnArg::None => FailOn::None,
            FailOnArg::Undeclared => FailOn::Undeclared,
            FailOnArg::Consent => FailOn::Consent,
            FailOnArg::Any => FailOn::Any,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum OptionsError {
    #[error("--resolve {value:?}: {reason}")]
    Resolve { value: String, reason: String },
    #[error("--{}: {reason}", option.replace('_', "-"))]
    Invalid {
        option: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Extra(#[from] ExtraError),
    #[error(transparent)]
    Paths(#[from] PathPatternError),
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
}

impl OptionsError {
    /// The option at fault, as a config file's key (`max_pages`).
    pub(crate) fn key(&self) -> &'static str {
        match self {
            OptionsError::Invalid { option, .. } => option,
            OptionsError::Resolve { .. } => "resolve",
            OptionsError::Extra(ExtraError::Header { .. }) => "header",
            OptionsError::Extra(ExtraError::Cookie { .. }) => "cookie",
            OptionsError::Paths(e) if e.option == "include-path" => "include_path",
            OptionsError::Paths(_) => "exclude_path",
            OptionsError::Ignore(_) => "ignore_file",
        }
    }
}

/// The audit config's `[defaults]` and `[[site]]` entries are these options, by the flag names in
/// snake_case.
impl ConfigOptions for ScanOptions {
    type Error = OptionsError;

    const LIST_KEYS: &'static [&'static str] = &[
        "privacy_url",
        "resolve",
        "include_path",
        "exclude_path",
        "header",
        "cookie",
    ];

    fn merged_over(self, base: &ScanOptions) -> ScanOptions {
        ScanOptions::merged_over(self, base)
    }

    fn resolve(&self) -> Result<ScanSettings, OptionsError> {
        self.resolve_settings()
    }

    fn error_key(error: &OptionsError) -> &str {
        error.key()
    }

    fn paths_mut(&mut self) -> Vec<&mut PathBuf> {
        [
            &mut self.cookie_db,
            &mut self.chrome,
            &mut self.consent_rules,
            &mut self.ignore_file,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    fn cookie_db(&self) -> Option<PathBuf> {
        self.cookie_db.clone()
    }
}

/// A repeatable option: the one given wins whole, as a scalar does.
fn or_list(given: Vec<String>, base: Vec<String>) -> Vec<String> {
    if given.is_empty() { base } else { given }
}

/// A `--resolve` value, or the usage error that names it.
fn parse_resolve(value: &str) -> Result<ResolveRule, OptionsError> {
    ResolveRule::parse(value).map_err(|reason| OptionsError::Resolve {
        value: value.to_string(),
        reason: reason.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_beats_file() {
        let file = ScanOptions {
            max_pages: Some(50),
            rate: Some(1.0),
            resolve: vec!["a.test=127.0.0.1".into()],
            ..ScanOptions::default()
        };
        let cli = ScanOptions {
            max_pages: Some(10),
            ..ScanOptions::default()
        };
        let merged = cli.merged_over(&file);
        assert_eq!(merged.max_pages, Some(10));
        assert_eq!(merged.rate, Some(1.0));
        assert_eq!(merged.resolve, vec!["a.test=127.0.0.1".to_string()]);
    }

    #[test]
    fn invalid_values_are_usage_errors() {
        let bad = ScanOptions {
            rate: Some(-1.0),
            ..ScanOptions::default()
        };
        assert!(
            bad.resolve_settings()
                .unwrap_err()
                .to_string()
                .contains("--rate")
        );
        let bad = ScanOptions {
            max_pages: Some(0),
            ..ScanOptions::default()
        };
        assert!(
            bad.resolve_settings()
                .unwrap_err()
                .to_string()
                .contains("--max-pages")
        );
    }
}
