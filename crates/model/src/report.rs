//! The report: cookie-audit's wire format, schema version 1.
//!
//! These structs are the contract other tools build on. They are plain data, serialised and read
//! back (`cookie-audit report <file>` renders saved reports), and `docs/report-schema.json` is
//! generated from them (a test keeps it in sync). The contract grows by addition only: a new field
//! gets `#[serde(default)]` so older reports still load, and keeps `schema_version` "1"; renaming
//! or removing a field bumps it.
//!
//! Determinism: the pipeline sorts every array before writing (observed by name, domain, path;
//! declared by source; findings by kind, cookie, field), and "first seen" means first in crawl
//! order (depth, then URL), so the same site gives the same report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{Consent, ConsentRuns, ConsentState};
use crate::domain::Party;
use crate::expiry::Expiry;
use crate::findings::FindingCode;
use crate::limits::LimitKind;
use crate::redact::CookieValue;
use crate::set_cookie::{Lifetime, Rejection, SameSite};

/// The version of this wire format. Bumped only when a field is renamed or removed.
pub const SCHEMA_VERSION: &str = "1";

/// A complete audit of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// "1". Readers should refuse versions they do not know.
    pub schema_version: String,
    /// The program that wrote the report.
    pub tool: Tool,
    /// The start URL of the audit, normalised.
    pub site: String,
    /// The registrable domain of the site (`barnet.gov.uk`): its identity in history.
    #[serde(default)]
    pub registrable_domain: String,
    /// The engine that produced the observations.
    pub engine: EngineKind,
    /// When the audit began (RFC 3339, UTC).
    pub started_at: DateTime<Utc>,
    /// When the audit ended (RFC 3339, UTC).
    pub finished_at: DateTime<Utc>,
    /// The options in effect.
    pub config: ScanConfig,
    /// What this audit could not see, in plain words ("cookies set by JavaScript are not observed").
    #[serde(default)]
    pub limitations: Vec<String>,
    /// The browser used by the browser engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<BrowserInfo>,
    /// What the crawl visited, fetched, skipped and could not read.
    pub crawl: CrawlStats,
    /// Where the cookie table was looked for and found.
    pub declaration: Declaration,
    /// Every cookie the site's published table(s) declare.
    pub declared: Vec<DeclaredCookie>,
    /// Every cookie the site was seen to set, one per (name, domain, path).
    pub observed: Vec<ObservedCookie>,
    /// Every mismatch between `declared` and `observed`, sorted by kind, cookie, field.
    pub findings: Vec<Finding>,
    /// Counts of the lists above.
    pub summary: Summary,
    /// The corrected declaration: what the cookie table should say.
    #[serde(default)]
    pub suggested_table: Vec<SuggestedRow>,
    /// What changed since the previous complete audit of the same site (audit job only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    /// The consent banner, and the visits made before a choice, after "Accept all" and after
    /// "Reject all". A report of the HTTP engine or of `--consent none` has only the `none` run.
    #[serde(default)]
    pub consent: Consent,
    /// Keys the site's pages wrote to `localStorage` and `sessionStorage` (browser engine): PECR
    /// covers every storage, not only cookies. Sorted by kind, origin, key. Always present (an
    /// empty list for the HTTP engine), so `jq '.storage[]'` never fails.
    #[serde(default)]
    pub storage: Vec<StorageEntry>,
    /// Findings an ignore file (`--ignore-file`) accepted: not in `findings`, not counted in
    /// `summary` (except `summary.ignored`), never a reason to exit 1. Sorted as `findings`.
    #[serde(default)]
    pub ignored: Vec<IgnoredFinding>,
}

/// A finding an ignore file accepted, with the entry that accepted it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IgnoredFinding {
    /// The finding, as it would have been reported.
    pub finding: Finding,
    /// The entry's `reason`: why the finding was accepted.
    pub reason: String,
    /// The entry's `expires` date, after which the finding counts again; `null`: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<chrono::NaiveDate>,
    /// The 1-based number of the `[[ignore]]` entry in the file.
    pub entry: u32,
}

/// A request header or cookie the user gave (`--header`, `--cookie`), as the report records it:
/// its name, and its value only as a fingerprint, even with `--show-values` (they are
/// credentials: a staging password, a session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SentValue {
    /// The header or cookie name.
    pub name: String,
    /// The value's length and short SHA-256; never the value.
    pub value: CookieValue,
}

/// One key a page wrote to web storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StorageEntry {
    /// `local` or `session`.
    pub kind: StorageKind,
    /// The origin whose storage holds it (`https://www.council.gov.uk`).
    pub origin: String,
    /// The key.
    pub key: String,
    /// The script that wrote it first, or the page for inline code.
    pub set_by_url: String,
    /// The page being visited when it was first written (crawl order).
    pub first_seen_page: String,
    /// The runs that saw it written (`none`, `accept`, `reject`).
    #[serde(default)]
    pub states: Vec<ConsentState>,
    /// The value as a fingerprint; the value itself only with `--show-values`.
    pub value: CookieValue,
}

/// Which web storage.
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
pub enum StorageKind {
    /// `localStorage`: kept until cleared.
    Local,
    /// `sessionStorage`: kept for the tab's session.
    Session,
}

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    /// `cookie-audit`.
    pub name: String,
    /// The version that wrote the report (`0.1.0`).
    pub version: String,
}

/// The engine that produced a report's observations: `auto` is already resolved to one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// Plain HTTP requests: sees the `Set-Cookie` headers of pages and embedded resources, runs no
    /// JavaScript.
    Http,
    /// Headless Chromium over the DevTools protocol: sees headers, script writes and the browser's
    /// jar.
    Browser,
}

impl EngineKind {
    /// The wire name (`http`, `browser`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Http => "http",
            EngineKind::Browser => "browser",
        }
    }
}

/// The engine the user asked for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EngineChoice {
    /// The HTTP engine, even where Chromium is available.
    Http,
    /// The browser engine, with no fallback: the scan fails when Chromium cannot be found.
    Browser,
    /// The browser when Chromium is found, else the HTTP engine.
    #[default]
    Auto,
}

impl EngineChoice {
    /// The wire name (`http`, `browser`, `auto`), as serde writes it and `--engine` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineChoice::Http => "http",
            EngineChoice::Browser => "browser",
            EngineChoice::Auto => "auto",
        }
    }
}

/// Which hosts the crawl may visit as pages.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every host under the start URL's registrable domain (by the Public Suffix List).
    #[default]
    Registrable,
    /// Only the start URL's host.
    Host,
}

/// When the command exits with status 1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Never: findings are reported, the exit status stays 0.
    #[default]
    None,
    /// When a cookie is undeclared or no cookie table could be read (`no_declaration`).
    Undeclared,
    /// When the visitor's choice is not respected (the ICO's tests): a non-essential cookie stored
    /// before a choice or after "Reject all", or no reject beside accept on the banner's first
    /// layer — `consent:before_choice`, `consent:after_reject`, `consent:no_reject_option` at
    /// medium severity or above. A click we could not confirm (`consent:choice_not_verified`) and
    /// an unknown cookie before a choice (low) do not fail the run.
    Consent,
    /// When there is any finding at all, whatever its severity.
    Any,
}

/// A `--resolve HOST=ADDR` rule: connect to ADDR whenever HOST is requested, on any port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResolveRule {
    /// The host name, as typed.
    pub host: String,
    /// The address used for it.
    pub addr: std::net::IpAddr,
}

impl ResolveRule {
    /// `HOST=ADDR` (curl's `HOST:PORT:ADDR` is accepted too, the port ignored: any port maps).
    /// The error says what is wrong with the value.
    pub fn parse(value: &str) -> Result<ResolveRule, &'static str> {
        let (host, addr) = if let Some((host, addr)) = value.split_once('=') {
            (host, addr)
        } else {
            let mut parts = value.splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(host), Some(_port), Some(addr)) => (host, addr),
                _ => return Err("expected HOST=ADDR"),
            }
        };
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return Err("the host is empty");
        }
        let addr = addr
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| "ADDR is not an IP address")?;
        Ok(ResolveRule { host, addr })
    }
}

/// The effective options of an audit, after defaults, config file and flags were merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScanConfig {
    /// The engine asked for (`auto` resolves to the one in `Report::engine`).
    pub engine: EngineChoice,
    /// Pages visited at most (`--max-pages`).
    pub max_pages: u32,
    /// Links followed at most this deep from the start URL (`--max-depth`).
    pub max_depth: u32,
    /// Requests in flight at once (`--concurrency`).
    pub concurrency: u32,
    /// Requests per second per host; 0 means no limit.
    pub rate: f64,
    /// Per-request timeout in seconds.
    pub timeout_secs: u64,
    /// Budget of embedded third-party/first-party resources fetched (HTTP engine).
    pub max_resources: u32,
    /// Largest body read, in bytes; longer bodies are cut and noted.
    pub max_body_bytes: u64,
    /// Redirects followed per request.
    pub max_redirects: u32,
    /// Distinct query strings followed per path (calendar traps).
    pub max_query_variants: u32,
    /// Which hosts count as the site's pages (`--scope`).
    pub scope: Scope,
    /// Privacy/cookie pages given by the user; discovery is skipped when set.
    #[serde(default)]
    pub privacy_urls: Vec<String>,
    /// `--resolve HOST=ADDR` rules in effect.
    #[serde(default)]
    pub resolve: Vec<ResolveRule>,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// Resolve only `--resolve` names; everything else fails without a DNS query.
    #[serde(default)]
    pub offline: bool,
    /// Allow private, loopback and link-local addresses (off: the SSRF guard refuses them).
    #[serde(default)]
    pub allow_private: bool,
    /// The `User-Agent` header the HTTP engine sends (the browser's is `BrowserInfo::user_agent`).
    pub user_agent: String,
    /// robots.txt was not obeyed (`--ignore-robots`).
    pub ignore_robots: bool,
    /// Cookie values are in the report (otherwise only length and fingerprint).
    pub show_values: bool,
    /// When the command exits 1 (`--fail-on`).
    pub fail_on: FailOn,
    /// Browser engine: tabs working in parallel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tabs: Option<u32>,
    /// Browser engine: the quiet window after load that counts as "settled" (no request in
    /// flight, no cookie or storage write, no timer due), in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_ms: Option<u64>,
    /// Seconds after which the crawl visits no new page (`--max-time`); `null`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_time_secs: Option<u64>,
    /// The visits asked for (`--consent`): `none`, `accept`, `reject` or `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRuns>,
    /// Pages each choice run visits (`--consent-pages`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_pages: Option<u32>,
    /// `--include-path` patterns: when any is given, only pages whose path matches one are
    /// crawled (the start page always is). robots.txt syntax: a prefix, `*` any run, `$` the end.
    #[serde(default)]
    pub include_paths: Vec<String>,
    /// `--exclude-path` patterns: pages whose path matches one are not crawled.
    #[serde(default)]
    pub exclude_paths: Vec<String>,
    /// `--header` headers sent to the site's own hosts (never to third parties), values redacted.
    #[serde(default)]
    pub headers: Vec<SentValue>,
    /// `--cookie` cookies sent to the site's own hosts, values redacted. Never reported as
    /// observed.
    #[serde(default)]
    pub cookies: Vec<SentValue>,
    /// The ignore file whose entries were applied (`--ignore-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_file: Option<String>,
}

/// The browser behind a browser-engine report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BrowserInfo {
    /// e.g. "Chromium/156.0.8078.79".
    pub version: String,
    /// The third-party cookie policy the browser ran with, in words.
    pub cookie_policy: String,
    /// The `User-Agent` the browser sent: a visitor's desktop Chrome's, as Chromium builds it
    /// (reports made before this field existed read as empty).
    #[serde(default)]
    pub user_agent: String,
}

/// What the crawl did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CrawlStats {
    /// Pages fetched and read.
    pub pages_visited: u32,
    /// Pages that could not be fetched or read (listed in `errors`).
    pub pages_failed: u32,
    /// Embedded resources (scripts, images, frames, …) fetched.
    pub resources_fetched: u32,
    /// Pages not fetched because robots.txt disallows them.
    pub robots_disallowed: u32,
    /// Links to the site's pages not followed because of `--include-path`/`--exclude-path`.
    #[serde(default)]
    pub pages_excluded: u32,
    /// Every page or resource that could not be fetched or read, with why.
    pub errors: Vec<CrawlError>,
    /// Every limit that cut the crawl short (max pages, body cap, query variants, …).
    pub limits_hit: Vec<LimitHit>,
    /// Pages visited, in crawl order.
    #[serde(default)]
    pub pages: Vec<VisitedPage>,
}

/// A page or resource that could not be fetched or read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CrawlError {
    /// The page or resource.
    pub url: String,
    /// What went wrong, in words.
    pub error: String,
}

/// A limit that cut the crawl short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LimitHit {
    /// The option or built-in cap that set the limit (`max_pages`, `max_body_bytes`,
    /// `frontier_urls`, …; see docs/crawl.md).
    pub limit: LimitKind,
    /// What was cut, in words.
    pub detail: String,
    /// Where it was hit, when it was one place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A page the crawl visited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VisitedPage {
    /// The page, normalised.
    pub url: String,
    /// Links followed from the start URL to reach it (0 for the start URL).
    pub depth: u32,
    /// Final HTTP status, `null` when no response arrived.
    pub status: Option<u16>,
}

/// Where the site's cookie declaration was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Declaration {
    /// `found` when at least one cookie table (or table-like list) was read; `unreadable` when
    /// no cookie or privacy page could be read at all.
    pub status: DeclarationStatus,
    /// For `unreadable`: why, in words (each page and its error), as stderr says it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every privacy or cookie page read, whether or not it held a table.
    pub pages: Vec<DeclarationPage>,
    /// Cookie names and vendors the privacy pages mention in prose (outside tables).
    #[serde(default)]
    pub prose_mentions: Vec<ProseMention>,
    /// Things the extractor was unsure of.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Whether the site's privacy and cookie pages gave any declared cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationStatus {
    /// At least one declared cookie was read.
    Found,
    /// No declared cookie could be read from any page; the diff then raises `no_declaration`.
    NotFound,
    /// Every cookie or privacy page failed to load (an HTTP error, a network failure, an
    /// interrupted scan): the table was never read, so no finding that depends on it
    /// (`undeclared`, `stale`, `no_declaration`) is raised. `Declaration::reason` says why.
    Unreadable,
}

impl DeclarationStatus {
    /// The wire name (`found`, `not_found`, `unreadable`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationStatus::Found => "found",
            DeclarationStatus::NotFound => "not_found",
            DeclarationStatus::Unreadable => "unreadable",
        }
    }
}

/// A privacy or cookie page the audit read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeclarationPage {
    /// The page, normalised.
    pub url: String,
    /// Why this page was read: `--privacy-url`, the link text that led to it, …
    pub found_by: String,
    /// Cookie tables (or table-like structures) read on the page.
    pub tables: u32,
    /// Declared cookies read from this page.
    #[serde(default)]
    pub cookies: u32,
    /// Set when the page could not be fetched or read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A cookie or vendor the privacy pages name outside their tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProseMention {
    /// The cookie name or vendor as written ("Google Analytics", "_ga").
    pub term: String,
    /// Whether `term` names a cookie or a vendor.
    pub kind: MentionKind,
    /// Where it was read.
    pub url: String,
}

/// What a prose mention names.
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
pub enum MentionKind {
    /// A word shaped like a cookie name (`_ga`), in running text or in `<code>`.
    Cookie,
    /// A vendor the table reader's word list knows ("Google Analytics"), as the page wrote it.
    Vendor,
}

/// One row of a published cookie table (one name: a cell with several names gives several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeclaredCookie {
    /// The name as published, trimmed of surrounding punctuation, case kept.
    pub name: String,
    /// The name stands for a family (`_ga_*`, `_gat_UA-xxxx`).
    pub pattern: bool,
    /// The normalised pattern, `*` standing for any run of characters (`_gat_UA-*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    /// The name has spaces or other signs of being a description rather than a cookie name.
    #[serde(default)]
    pub suspicious_name: bool,
    /// Who sets it, as the table says ("Google Analytics").
    pub provider: Option<String>,
    /// The domain the table gives.
    pub domain: Option<String>,
    /// What the table says it is for.
    pub purpose: Option<String>,
    /// The category as written ("Strictly necessary", "Analytics", …).
    pub category: Option<String>,
    /// The lifetime the table gives, parsed.
    pub expiry: Option<Expiry>,
    /// Where the row was read.
    pub source: DeclaredSource,
}

/// Where a declared row was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeclaredSource {
    /// The page the table is on.
    pub url: String,
    /// 0-based index of the table on the page (the views number tables and rows from 1, as
    /// people count: table 0 row 2 here is "table 1, row 3" there).
    pub table: u32,
    /// 0-based index of the data row in that table (1-based in the views).
    pub row: u32,
    /// The shape it was read from (`table`, `flattened`, `headings`, `list`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<DeclarationShape>,
    /// Where the declaration is: the page's own table, or the consent platform's machine-readable
    /// cookie list (`cmp`; `table` is then the group, `row` the cookie within it).
    #[serde(default)]
    pub kind: DeclaredSourceKind,
    /// For `cmp`: the platform's rule id (`onetrust`, `cookiebot`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmp: Option<String>,
}

/// Where a declared row comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredSourceKind {
    /// A table (or table-like text) on the site's cookie or privacy page.
    #[default]
    Page,
    /// The consent platform's own cookie list, read from its JavaScript objects.
    Cmp,
}

/// The shape of published markup a declared row was read from (`docs/declared.md`, "Shapes").
/// Serialised as the snake-case words reports have always carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationShape {
    /// A `<table>` (or ARIA table) with a header row, a guessed header, or none.
    Table,
    /// One row per field (`Name | _ga`), one table or column per cookie.
    KeyValue,
    /// A table turned into one paragraph per cell.
    Flattened,
    /// One heading (or accordion summary) per cookie.
    Headings,
    /// `<dt>` names with `<dd>` descriptions.
    Definitions,
    /// "Name: _ga" lines, label/value runs, labelled blocks.
    LabelValue,
    /// List items or lines "name – description", lists of bare names.
    List,
}

impl DeclarationShape {
    /// Every shape, in the order docs/declared.md lists them; a test checks each one's wire word.
    pub const ALL: [DeclarationShape; 7] = [
        DeclarationShape::Table,
        DeclarationShape::KeyValue,
        DeclarationShape::Flattened,
        DeclarationShape::Headings,
        DeclarationShape::Definitions,
        DeclarationShape::LabelValue,
        DeclarationShape::List,
    ];

    /// The wire word (`key_value`), as serde writes it and warnings name the shape.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationShape::Table => "table",
            DeclarationShape::KeyValue => "key_value",
            DeclarationShape::Flattened => "flattened",
            DeclarationShape::Headings => "headings",
            DeclarationShape::Definitions => "definitions",
            DeclarationShape::LabelValue => "label_value",
            DeclarationShape::List => "list",
        }
    }
}

/// How a cookie came to be observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CookieSource {
    /// A `Set-Cookie` response header.
    Http,
    /// JavaScript (`document.cookie`, CookieStore) — seen only by the browser engine.
    Script,
    /// Seen only in the browser's cookie jar after a page settled: neither a response header nor
    /// a script write the engine could attribute (a service worker, a write before the hook ran).
    Jar,
}

impl CookieSource {
    /// The wire name (`http`, `script`, `jar`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CookieSource::Http => "http",
            CookieSource::Script => "script",
            CookieSource::Jar => "jar",
        }
    }
}

/// A cookie the site set, one per (name, domain, path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ObservedCookie {
    /// The cookie's name, case kept; empty for a nameless cookie.
    pub name: String,
    /// The `Domain` attribute without its leading dot, or the host for host-only cookies.
    pub domain: String,
    /// No `Domain` attribute: only the exact host that set it receives it.
    pub host_only: bool,
    /// The `Path` attribute, or the default path of the URL that set it.
    pub path: String,
    /// What the site asked for (`Max-Age`, or `Expires` relative to the response's `Date`).
    pub lifetime: Lifetime,
    /// The `Secure` attribute.
    pub secure: bool,
    /// The `HttpOnly` attribute.
    pub http_only: bool,
    /// `null` when absent or unrecognised (browsers then treat it as `lax`).
    pub same_site: Option<SameSite>,
    /// The `Partitioned` attribute (CHIPS).
    pub partitioned: bool,
    /// First party when the cookie's registrable domain is the site's.
    pub party: Party,
    /// A response header or a script.
    pub source: CookieSource,
    /// The response (a redirect hop's own URL) or script that first set it.
    pub set_by_url: String,
    /// The page being visited when it was first set (crawl order).
    pub first_seen_page: String,
    /// On how many visited pages it was set.
    pub pages: u32,
    /// The value as a fingerprint (length and short SHA-256); the value itself only with `--show-
    /// values`.
    pub value: CookieValue,
    /// A browser would not store it; why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Rejection>,
    /// The header could not be read as a cookie; its raw text with the value redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed: Option<Malformed>,
    /// Attributes a browser ignored. Always present, empty when there are none.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Where it was seen: the page, the response, the script.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// What the cookie is known to be (vendor, category) and which knowledge source said so.
    /// Filled by the diff; `null` when no source knows the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
    /// The runs that saw it set (`none`, `accept`, `reject`), in that order.
    #[serde(default)]
    pub states: Vec<ConsentState>,
    /// The choice runs (`accept`, `reject`) in which it was stored after the click on the banner:
    /// what the choice let through, as opposed to what the page stored before it was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stored_after_click: Vec<ConsentState>,
    /// It was set and removed again within a visit (a consent platform deleting what a tag
    /// wrote before consent): a jar read at the end of the visit would not have seen it.
    #[serde(default)]
    pub set_then_deleted: bool,
}

/// What a cookie is known to be, and which source says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Classification {
    /// The product or company that sets it ("Google Analytics", "Cloudflare").
    pub vendor: String,
    /// The category the knowledge source files it under: what `misdescribed:category` and the
    /// consent findings judge by.
    pub category: CookieCategory,
    /// The knowledge source that classified it.
    pub source: ClassificationSource,
    /// The entry that matched: a name (`_ga`), a family (`_ga_{id}`) or a prefix (`ARRAffinity*`).
    pub matched: String,
    /// What it is for, in one plain sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// How long it usually lives, in words ("2 years", "Session").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<String>,
    /// The party it usually is on the sites that use it; `null` when that varies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Party>,
    /// Set when the vendor no longer sets this cookie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<Retirement>,
    /// Where the facts come from (the vendor's documentation for built-in entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The four cookie categories of UK guidance: only `strictly_necessary` is exempt from consent.
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
pub enum CookieCategory {
    /// Needed for a service the visitor asked for (a session, a load balancer, the consent choice
    /// itself): no consent needed.
    StrictlyNecessary,
    /// Remembers the visitor's choices and settings (language, preferences) beyond what the
    /// service strictly needs; needs consent.
    Functional,
    /// Measures how the site is used; needs consent, though UK law lets it run before a choice when
    /// disclosed with a simple way to object.
    Analytics,
    /// Advertising and tracking across sites; needs consent, and the most serious when set without
    /// it.
    Marketing,
}

impl CookieCategory {
    /// Headings that name a category without a category word, as GOV.UK's cookie pages write
    /// them ("Cookies that make our website work", "Cookies that measure website use"). Lower
    /// case, matched inside a normalised heading: the table reader takes such a heading as a
    /// category and the diff reads which one.
    pub const HEADING_PHRASES: &'static [(CookieCategory, &'static str)] = &[
        (CookieCategory::StrictlyNecessary, "make the site work"),
        (CookieCategory::StrictlyNecessary, "make our site work"),
        (CookieCategory::StrictlyNecessary, "make this site work"),
        (CookieCategory::StrictlyNecessary, "make the website work"),
        (CookieCategory::StrictlyNecessary, "make our website work"),
        (CookieCategory::StrictlyNecessary, "make this website work"),
        (CookieCategory::Functional, "remember your settings"),
        (CookieCategory::Functional, "remember your preferences"),
        (CookieCategory::Analytics, "measure website use"),
        (CookieCategory::Analytics, "measure how you use"),
    ];

    /// The one category vocabulary: single lower-case words cookie tables and headings use for
    /// each category ("Essential", "Performance", "Advertisement"). The table reader takes a
    /// title with one of these (or of [`Self::UNSPECIFIC_WORDS`]) for a category; the diff reads
    /// which category a declared cell claims. Phrases without such a word are
    /// [`Self::HEADING_PHRASES`].
    pub const WORDS: &'static [(CookieCategory, &'static str)] = &[
        (CookieCategory::StrictlyNecessary, "necessary"),
        (CookieCategory::StrictlyNecessary, "essential"),
        (CookieCategory::StrictlyNecessary, "required"),
        (CookieCategory::StrictlyNecessary, "security"),
        (CookieCategory::Functional, "functional"),
        (CookieCategory::Functional, "functionality"),
        (CookieCategory::Functional, "preference"),
        (CookieCategory::Functional, "preferences"),
        (CookieCategory::Functional, "personalisation"),
        (CookieCategory::Functional, "personalization"),
        (CookieCategory::Analytics, "analytics"),
        (CookieCategory::Analytics, "analytical"),
        (CookieCategory::Analytics, "analytic"),
        (CookieCategory::Analytics, "statistics"),
        (CookieCategory::Analytics, "statistical"),
        (CookieCategory::Analytics, "statistic"),
        (CookieCategory::Analytics, "performance"),
        (CookieCategory::Analytics, "measurement"),
        // GOV.UK's "Cookies that measure website use".
        (CookieCategory::Analytics, "measure"),
        (CookieCategory::Marketing, "marketing"),
        (CookieCategory::Marketing, "advertising"),
        // CookieYes' category name.
        (CookieCategory::Marketing, "advertisement"),
        (CookieCategory::Marketing, "targeting"),
        (CookieCategory::Marketing, "targetting"),
    ];

    /// Words that make a title a cookie category without saying which of the four ("Social
    /// media cookies", "Tracking cookies", consent platforms' "Unclassified"/"Uncategorised"):
    /// the table reader keeps them as the category as written; the diff claims nothing.
    pub const UNSPECIFIC_WORDS: &'static [&'static str] = &[
        "tracking",
        "social",
        "unclassified",
        "uncategorised",
        "uncategorized",
    ];

    /// The four categories, least intrusive first (the order `Ord` gives them too).
    pub const ALL: [CookieCategory; 4] = [
        CookieCategory::StrictlyNecessary,
        CookieCategory::Functional,
        CookieCategory::Analytics,
        CookieCategory::Marketing,
    ];

    /// The category one lower-case word names ("performance" → analytics).
    pub fn of_word(word: &str) -> Option<CookieCategory> {
        Self::WORDS
            .iter()
            .find(|(_, w)| *w == word)
            .map(|(category, _)| *category)
    }

    /// The wire name (`strictly_necessary`, …), as serde writes it and [`CookieCategory::parse`]
    /// reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            CookieCategory::StrictlyNecessary => "strictly_necessary",
            CookieCategory::Functional => "functional",
            CookieCategory::Analytics => "analytics",
            CookieCategory::Marketing => "marketing",
        }
    }

    /// The category as a cookie table would head it ("Strictly necessary").
    pub fn label(self) -> &'static str {
        match self {
            CookieCategory::StrictlyNecessary => "Strictly necessary",
            CookieCategory::Functional => "Functional",
            CookieCategory::Analytics => "Analytics",
            CookieCategory::Marketing => "Marketing",
        }
    }

    /// The category written by its wire name (`analytics`), as the knowledge base's data files
    /// write it; `None` for anything else. Words a cookie table uses ("Performance") go through
    /// [`CookieCategory::of_word`].
    pub fn parse(text: &str) -> Option<CookieCategory> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// Which knowledge source classified a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassificationSource {
    /// cookie-audit's curated knowledge base, compiled in.
    Builtin,
    /// A cookie database loaded with `--cookie-db` (Open Cookie Database format).
    CookieDb,
}

impl ClassificationSource {
    /// The wire name (`builtin`, `cookie_db`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClassificationSource::Builtin => "builtin",
            ClassificationSource::CookieDb => "cookie_db",
        }
    }
}

/// The vendor stopped setting a cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Retirement {
    /// From when it is no longer set (or no longer does anything).
    pub date: chrono::NaiveDate,
    /// What happened, in one sentence.
    pub note: String,
    /// The vendor's announcement.
    pub source: String,
}

/// A `Set-Cookie` header that could not be read as a cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Malformed {
    /// Why it could not be read.
    pub error: String,
    /// The `Set-Cookie` line with the value redacted.
    pub raw: String,
}

/// One piece of evidence: a URL and what it is.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Evidence {
    /// What the URL is: the page, the response, the script or the declared row.
    pub kind: EvidenceKind,
    /// The URL of that page, response, script or cookie page.
    pub url: String,
    /// HTTP status of the response, for `response` evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// For `declared_row`: the 0-based table on the page (1-based in the views).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    /// 0-based index of the data row in that table (1-based in the views).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// Anything else worth saying ("redirect hop 1 of 2").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The run that saw it (`none`, `accept`, `reject`), when the report has consent runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ConsentState>,
    /// Milliseconds from the run's click on the banner to this write: negative before the click.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
}

/// What an [`Evidence`] URL points at.
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
pub enum EvidenceKind {
    /// The page being visited.
    Page,
    /// The HTTP response whose `Set-Cookie` set it.
    Response,
    /// The script that set it.
    Script,
    /// The row of the published table.
    DeclaredRow,
    /// A published source the knowledge base cites (a vendor's cookie list or announcement).
    Reference,
}

impl Evidence {
    /// Evidence of `kind` at `url` with every optional detail empty; callers set the ones they
    /// know.
    pub fn new(kind: EvidenceKind, url: impl Into<String>) -> Evidence {
        Evidence {
            kind,
            url: url.into(),
            status: None,
            table: None,
            row: None,
            note: None,
            state: None,
            at_ms: None,
        }
    }
}

/// A finding's kind: the first word of its code, and what [`Summary`] counts by.
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
pub enum FindingKind {
    /// Set by the site, not in its table.
    Undeclared,
    /// In the table, not set (or retired by its vendor).
    Stale,
    /// In the table, but described wrongly.
    Misdescribed,
    /// The site publishes no cookie table that could be read: one finding for the whole site.
    NoDeclaration,
    /// What the consent banner does: cookies before a choice or after a rejection, no way to
    /// reject, a choice that could not be confirmed.
    Consent,
    /// The consent platform's own cookie list and the page's table disagree about a cookie.
    CmpMismatch,
}

impl FindingKind {
    /// The wire name (`no_declaration`): the part of a code before the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Undeclared => "undeclared",
            FindingKind::Stale => "stale",
            FindingKind::Misdescribed => "misdescribed",
            FindingKind::NoDeclaration => "no_declaration",
            FindingKind::Consent => "consent",
            FindingKind::CmpMismatch => "cmp_mismatch",
        }
    }
}

/// What a `misdescribed` finding is about.
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
pub enum FindingField {
    /// The declared lifetime, against the one the site asks for.
    Expiry,
    /// Session against persistent.
    Persistence,
    /// The declared domain or provider, against where the cookie is set.
    Domain,
    /// The first or third party the row claims, against the real one.
    Party,
    /// The declared category, against the knowledge base's.
    Category,
    /// The declared name's letter case, against the real name's.
    NameCase,
    /// The declared name, one instance of a varying name, against the instance the site set.
    NameInstance,
}

impl FindingField {
    /// The wire name (`name_case`): the part of a `misdescribed:` code after the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingField::Expiry => "expiry",
            FindingField::Persistence => "persistence",
            FindingField::Domain => "domain",
            FindingField::Party => "party",
            FindingField::Category => "category",
            FindingField::NameCase => "name_case",
            FindingField::NameInstance => "name_instance",
        }
    }
}

/// Why a `stale` finding is stale.
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
pub enum StaleReason {
    /// No cookie set during the crawl matched the row.
    NotObserved,
    /// The knowledge base says the vendor no longer sets the cookie.
    Retired,
}

impl StaleReason {
    /// The wire name (`not_observed`): the part of a `stale:` code after the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            StaleReason::NotObserved => "not_observed",
            StaleReason::Retired => "retired",
        }
    }
}

/// How urgent a finding is.
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
pub enum Severity {
    /// Worth correcting but misleads little: a row the crawl may not have reached, a name's letter
    /// case, a table stricter than needed. Severities order low < medium < high.
    Low,
    /// The table is wrong about a cookie: the default of most codes.
    Medium,
    /// Consent is bypassed or visitors are misled about tracking: a third-party, analytics or
    /// marketing cookie undeclared, stored after "Reject all", no way to reject.
    High,
}

impl Severity {
    /// The wire name (`low`, `medium`, `high`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// A mismatch between the declaration and what was observed. Data with evidence, never an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// `undeclared`, `stale:not_observed`, `misdescribed:expiry`, … (see docs/findings.md).
    pub code: FindingCode,
    /// `undeclared`, `stale` or `misdescribed`.
    pub kind: FindingKind,
    /// The observed cookie's name; for `stale`, the declared name; empty for `no_declaration`.
    pub cookie: String,
    /// The observed cookie's domain, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// For `misdescribed`: what is wrong (`expiry`, `persistence`, `domain`, `party`, `category`,
    /// `name_case`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<FindingField>,
    /// For `stale`: `not_observed` or `retired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<StaleReason>,
    /// `high`, `medium` or `low`.
    pub severity: Severity,
    /// One sentence a web editor understands.
    pub message: String,
    /// What the declaration says (for the field in question), in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// What was observed, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    /// Where to see it for yourself: pages, responses, scripts, declared rows.
    pub evidence: Vec<Evidence>,
    /// The table row that fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<SuggestedRow>,
}

/// Counts of the report's lists, by kind and by severity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Cookies declared (rows of `declared`).
    pub declared: u32,
    /// Cookies observed (entries of `observed`).
    pub observed: u32,
    /// Findings of kind `undeclared`.
    pub undeclared: u32,
    /// Findings of kind `stale`.
    pub stale: u32,
    /// Findings of kind `misdescribed`.
    pub misdescribed: u32,
    /// Findings of kind `consent`.
    #[serde(default)]
    pub consent: u32,
    /// Findings of kind `cmp_mismatch`.
    #[serde(default)]
    pub cmp_mismatch: u32,
    /// Findings of kind `no_declaration` (0 or 1: one finding for the whole site).
    #[serde(default)]
    pub no_declaration: u32,
    /// Findings an ignore file accepted (`Report::ignored`): in no other count.
    #[serde(default)]
    pub ignored: u32,
    /// Findings of severity `high`.
    #[serde(default)]
    pub high: u32,
    /// Findings of severity `medium`.
    #[serde(default)]
    pub medium: u32,
    /// Findings of severity `low`.
    #[serde(default)]
    pub low: u32,
}

impl Summary {
    /// Counts everything from the report's own lists, so the summary can never disagree with them.
    pub fn tally(
        declared: &[DeclaredCookie],
        observed: &[ObservedCookie],
        findings: &[Finding],
    ) -> Summary {
        let mut summary = Summary {
            declared: declared.len() as u32,
            observed: observed.len() as u32,
            ..Summary::default()
        };
        for finding in findings {
            match finding.kind {
                FindingKind::Undeclared => summary.undeclared += 1,
                FindingKind::Stale => summary.stale += 1,
                FindingKind::Misdescribed => summary.misdescribed += 1,
                FindingKind::Consent => summary.consent += 1,
                FindingKind::CmpMismatch => summary.cmp_mismatch += 1,
                FindingKind::NoDeclaration => summary.no_declaration += 1,
            }
            match finding.severity {
                Severity::High => summary.high += 1,
                Severity::Medium => summary.medium += 1,
                Severity::Low => summary.low += 1,
            }
        }
        summary
    }
}

/// A row of the corrected cookie table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuggestedRow {
    /// The cookie name (or pattern, `_ga_*`) to list.
    pub name: String,
    /// Who sets it.
    pub provider: Option<String>,
    /// One plain sentence.
    pub purpose: Option<String>,
    /// The lifetime in words ("2 years", "Session").
    pub expiry: String,
    /// The domain to list.
    pub domain: String,
    /// The category to list.
    pub category: Option<String>,
    /// Whether the row is new, corrected or kept as declared.
    pub status: SuggestedStatus,
}

/// What the suggested table did with a row, so an editor sees what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedStatus {
    /// A cookie the table is missing.
    New,
    /// A declared row with corrections.
    Corrected,
    /// A declared row that is right as it is.
    Kept,
}

/// What changed since the previous complete audit of the same site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Changes {
    /// When the previous run finished; `null` for the first run.
    pub previous_run_at: Option<DateTime<Utc>>,
    /// Cookies observed now and not in the previous run, by (name, domain, path).
    pub new_cookies: Vec<CookieKey>,
    /// Cookies observed in the previous run and not now.
    pub gone_cookies: Vec<CookieKey>,
    /// Findings now that the previous run did not have, by (code, cookie, domain).
    pub new_findings: Vec<FindingKey>,
    /// Findings of the previous run that are gone now.
    pub resolved_findings: Vec<FindingKey>,
    /// The declared rows differ from the previous run's (compared by a hash of the normalised rows:
    /// order, page and whitespace do not count).
    pub declaration_changed: bool,
    /// Cookies set before a choice now (their `states` include `none`) that the previous run did
    /// not see set before a choice: new cookies, and cookies that moved in front of the banner.
    #[serde(default)]
    pub new_before_choice: Vec<CookieKey>,
    /// Cookies of the previous run not observed now whose pages this run did not visit again: they
    /// may still be set there, so they are neither gone nor kept.
    #[serde(default)]
    pub not_rechecked_cookies: Vec<CookieKey>,
    /// Findings whose change this run could not check because it did not visit again the pages
    /// where their cookie was seen: findings of the previous run not found now (neither resolved
    /// nor kept), and `stale:not_observed` findings for cookies the previous run saw on those
    /// pages (not new: the cookie was not looked for there).
    #[serde(default)]
    pub not_rechecked_findings: Vec<FindingKey>,
    /// How much of the previous run's crawl this run saw again; `null` on a first run, or when the
    /// previous run's pages are not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// The pages a run visited, against the previous run's: what `changes` could re-check.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Coverage {
    /// Pages this run read (a response below 500, crawled or read for the cookie table).
    pub pages_visited: u32,
    /// Pages the previous run read, counted the same way.
    pub previous_pages_visited: u32,
    /// Pages of the previous run this run read again. Cookies and findings tied to the others are
    /// listed as not re-checked.
    pub pages_revisited: u32,
}

impl Coverage {
    /// This run read every page the previous one did: every change it reports was re-checked.
    pub fn is_complete(&self) -> bool {
        self.pages_revisited >= self.previous_pages_visited
    }
}

/// A cookie's identity: (name, domain, path), as browsers key their jars. The one key for a
/// cookie everywhere — the recorder, the browser engine, and from one run to the next.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct CookieKey {
    /// The cookie's name.
    pub name: String,
    /// Its domain, as in `ObservedCookie::domain`.
    pub domain: String,
    /// Its path.
    pub path: String,
}

impl CookieKey {
    /// The key of a cookie with these fields.
    pub fn new(name: &str, domain: &str, path: &str) -> CookieKey {
        CookieKey {
            name: name.to_string(),
            domain: domain.to_string(),
            path: path.to_string(),
        }
    }
}

impl ObservedCookie {
    /// This cookie's identity.
    pub fn key(&self) -> CookieKey {
        CookieKey::new(&self.name, &self.domain, &self.path)
    }
}

/// A finding's identity from one run to the next.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct FindingKey {
    /// The finding's code (`undeclared`, `misdescribed:expiry`, …).
    pub code: FindingCode,
    /// The cookie it is about.
    pub cookie: String,
    /// The cookie's domain, when the finding has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports carried the shape as a string before it was an enum: the words must not change.
    #[test]
    fn declaration_shapes_serialise_as_their_words() {
        for shape in DeclarationShape::ALL {
            let json = serde_json::to_string(&shape).expect("a unit variant serialises");
            assert_eq!(json, format!("\"{}\"", shape.as_str()));
            let back: DeclarationShape = serde_json::from_str(&json).expect("and reads back");
            assert_eq!(back, shape);
        }
    }

    /// One vocabulary for the table reader and the diff: each word once, lower case, one word.
    #[test]
    fn category_words_are_listed_once() {
        let mut seen = std::collections::HashSet::new();
        let words = CookieCategory::WORDS.iter().map(|(_, w)| *w);
        for word in words.chain(CookieCategory::UNSPECIFIC_WORDS.iter().copied()) {
            assert!(seen.insert(word), "{word} listed twice");
            assert!(word.chars().all(|c| c.is_ascii_lowercase()), "{word}");
        }
        assert_eq!(
            CookieCategory::of_word("performance"),
            Some(CookieCategory::Analytics)
        );
        assert_eq!(CookieCategory::of_word("social"), None);
    }

    #[test]
    fn resolve_rules_like_curl() {
        let r = ResolveRule::parse("WWW.Council.test=127.0.0.1").unwrap();
        assert_eq!(
            (r.host.as_str(), r.addr.to_string().as_str()),
            ("www.council.test", "127.0.0.1")
        );
        let r = ResolveRule::parse("a.test:443:[::1]").unwrap();
        assert_eq!(r.addr.to_string(), "::1");
        assert_eq!(ResolveRule::parse("a.test"), Err("expected HOST=ADDR"));
        assert_eq!(
            ResolveRule::parse("a.test=not-an-ip"),
            Err("ADDR is not an IP address")
        );
        assert_eq!(ResolveRule::parse("=127.0.0.1"), Err("the host is empty"));
    }
}
