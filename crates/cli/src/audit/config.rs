//! The audit config file: a `[defaults]` table of scan options and `[[site]]` entries, each a URL,
//! who looks after it, and any scan option as an override for that site.
//!
//! The file is read through toml's spanned document rather than straight into a struct, for two
//! reasons: every error can name the line and column of the key or value at fault (serde's
//! `flatten` would lose them), and a `[[site]]` can mix its own keys with the scan options while
//! the options stay the one [`ScanOptions`] struct the `scan` flags use, unknown keys refused.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use cookie_audit_audit::SiteJob;
use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::{host_of, parse_start_url};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use crate::options::{OptionsError, ScanOptions};

/// Keys a `[[site]]` takes besides the scan options.
const SITE_KEYS: [&str; 5] = ["url", "id", "owner", "contact", "tags"];

/// Scan options that are repeatable flags on the command line: in the file they are lists, and a
/// single string is taken as a list of one (`privacy_url = "https://…/cookies"`).
const LIST_OPTIONS: [&str; 6] = [
    "privacy_url",
    "resolve",
    "include_path",
    "exclude_path",
    "header",
    "cookie",
];

/// An audit config, checked: every site has a URL, a unique id and options that resolve.
#[derive(Debug)]
pub(crate) struct AuditConfig {
    /// `[defaults]`, with the command line over it: what the webhook client is built from.
    pub defaults: ScanOptions,
    /// Every `[[site]]`, its options the command line over the entry over `[defaults]`.
    pub sites: Vec<SiteJob>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read the audit config {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}\n{snippet}", path.display())]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        snippet: String,
    },
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
    #[error(transparent)]
    CommandLine(OptionsError),
}

/// The `[[site]]` keys that are not scan options.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFields {
    url: Option<Spanned<String>>,
    id: Option<Spanned<String>>,
    owner: Option<String>,
    contact: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Reads and checks the config at `path`; `cli` holds the scan flags given on the command line,
/// which win over the file for every site.
pub(crate) fn load(path: &Path, cli: &ScanOptions) -> Result<AuditConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, cli)
}

/// [`load`] for text already read.
pub(crate) fn parse(
    text: &str,
    path: &Path,
    cli: &ScanOptions,
) -> Result<AuditConfig, ConfigError> {
    // Command-line values are checked on their own first, so a bad flag is blamed on the flag and
    // a bad merged value below can only have come from the file.
    cli.resolve_settings().map_err(ConfigError::CommandLine)?;
    let file = File { text, path };
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();

    let root = DeTable::parse(text).map_err(|e| file.toml_error(&e))?;
    let mut defaults = ScanOptions::default();
    let mut defaults_keys = HashMap::new();
    let mut entries: Vec<Spanned<DeValue>> = Vec::new();
    for (key, value) in root.into_inner() {
        match key.get_ref().as_ref() {
            "defaults" => {
                let span = value.span();
                let DeValue::Table(table) = value.into_inner() else {
                    return Err(file.at(span, "`defaults` must be a table: write [defaults]"));
                };
                defaults_keys = key_spans(&table);
                defaults = scan_options(&file, table, span, false)?;
            }
            "site" => match value.get_ref() {
                DeValue::Array(sites) => entries = array_items(sites),
                _ => {
                    return Err(file.at(
                        key.span(),
                        "sites are an array of tables: write [[site]] (double brackets) \
                         before each site",
                    ));
                }
            },
            other => {
                return Err(file.at(
                    key.span(),
                    format!(
                        "unknown table `{other}`: an audit config has one [defaults] table and \
                         [[site]] entries"
                    ),
                ));
            }
        }
    }
    relative_to(&mut defaults, &base_dir);
    if entries.is_empty() {
        return Err(ConfigError::File {
            path: path.to_path_buf(),
            message: "no sites to audit: add a [[site]] entry with a `url`".into(),
        });
    }

    let base = Base {
        cli,
        defaults: &defaults,
        defaults_keys: &defaults_keys,
        dir: &base_dir,
    };
    let mut sites: Vec<SiteJob> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    for entry in entries {
        sites.push(site_entry(&file, &base, entry, &mut ids)?);
    }
    Ok(AuditConfig {
        defaults: cli.clone().merged_over(&defaults),
        sites,
    })
}

/// What every `[[site]]` is merged with: the command line over `[defaults]`, and where relative
/// paths start.
struct Base<'a> {
    cli: &'a ScanOptions,
    defaults: &'a ScanOptions,
    defaults_keys: &'a HashMap<String, Range<usize>>,
    dir: &'a Path,
}

/// One `[[site]]`: its own keys, its options merged, its id unique (`ids` remembers the line of
/// each id seen).
fn site_entry(
    file: &File<'_>,
    base: &Base<'_>,
    entry: Spanned<DeValue<'_>>,
    ids: &mut HashMap<String, usize>,
) -> Result<SiteJob, ConfigError> {
    let span = entry.span();
    let line = file.line_col(span.start).0;
    let DeValue::Table(table) = entry.into_inner() else {
        return Err(file.at(span, "each [[site]] must be a table"));
    };
    let site_keys = key_spans(&table);
    let (own, options) = split_site(table);
    let fields = SiteFields::deserialize(ValueDeserializer::from(Spanned::new(
        span.clone(),
        DeValue::Table(own),
    )))
    .map_err(|e| file.toml_error(&e))?;
    let mut site_options = scan_options(file, options, span.clone(), true)?;
    relative_to(&mut site_options, base.dir);

    let Some(url_value) = fields.url else {
        return Err(file.at(span, "this [[site]] has no `url`"));
    };
    let url = parse_start_url(url_value.get_ref())
        .map_err(|e| file.at(url_value.span(), format!("`url`: {e}")))?;
    let (id, id_span) = match fields.id {
        Some(id) => {
            check_id(id.get_ref()).map_err(|reason| file.at(id.span(), reason))?;
            (id.get_ref().clone(), id.span())
        }
        None => (registrable_domain(&host_of(&url)), url_value.span()),
    };
    if let Some(first) = ids.get(&id) {
        return Err(file.at(
            id_span,
            format!(
                "the [[site]] at line {first} already has the id `{id}` (sites on one \
                 registrable domain share it): give one of them its own `id`"
            ),
        ));
    }
    ids.insert(id.clone(), line);

    let effective = base
        .cli
        .clone()
        .merged_over(&site_options.clone().merged_over(base.defaults));
    let settings = effective.resolve_settings().map_err(|e| {
        let key = e.key();
        match site_keys.get(key).or_else(|| base.defaults_keys.get(key)) {
            Some(span) => file.at(span.clone(), e.to_string().replace("--", "")),
            None => file.at(span.clone(), e.to_string()),
        }
    })?;
    Ok(SiteJob {
        id,
        url,
        owner: fields.owner,
        contact: fields.contact,
        tags: fields.tags,
        settings,
        cookie_db: effective.cookie_db,
    })
}

/// The source text, for turning byte spans into `file:line:column` and a snippet.
struct File<'a> {
    text: &'a str,
    path: &'a Path,
}

impl File<'_> {
    fn at(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let start = span.start.min(self.text.len());
        let (line, column) = self.line_col(start);
        let line_text = self.text.lines().nth(line - 1).unwrap_or("");
        // Underline the span within its first line, at least one caret.
        let width = span
            .end
            .saturating_sub(start)
            .min(line_text.len().saturating_sub(column - 1))
            .max(1);
        let gutter = " ".repeat(line.to_string().len());
        ConfigError::At {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
            snippet: format!(
                "{gutter} |\n{line} | {line_text}\n{gutter} | {}{}",
                " ".repeat(column - 1),
                "^".repeat(width)
            ),
        }
    }

    fn toml_error(&self, error: &toml::de::Error) -> ConfigError {
        let message = error.message().trim_end().to_string();
        match error.span() {
            Some(span) => self.at(span, message),
            None => ConfigError::File {
                path: self.path.to_path_buf(),
                message,
            },
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn array_items<'i>(array: &DeArray<'i>) -> Vec<Spanned<DeValue<'i>>> {
    array.iter().cloned().collect()
}

fn key_spans(table: &DeTable<'_>) -> HashMap<String, Range<usize>> {
    table
        .iter()
        .map(|(k, _)| (k.get_ref().to_string(), k.span()))
        .collect()
}

/// A `[[site]]` table split into its own keys and its scan options.
fn split_site<'i>(table: DeTable<'i>) -> (DeTable<'i>, DeTable<'i>) {
    let mut own = DeTable::new();
    let mut options = DeTable::new();
    for (key, value) in table {
        if SITE_KEYS.contains(&key.get_ref().as_ref()) {
            own.insert(key, value);
        } else {
            options.insert(key, value);
        }
    }
    (own, options)
}

/// Scan options from a table, through the same serde struct as the flags.
fn scan_options(
    file: &File<'_>,
    mut table: DeTable<'_>,
    span: Range<usize>,
    in_site: bool,
) -> Result<ScanOptions, ConfigError> {
    for (key, value) in table.iter_mut() {
        if LIST_OPTIONS.contains(&key.get_ref().as_ref())
            && matches!(value.get_ref(), DeValue::String(_))
        {
            let span = value.span();
            let mut list = DeArray::new();
            list.push(value.clone());
            *value = Spanned::new(span, DeValue::Array(list));
        }
    }
    ScanOptions::deserialize(ValueDeserializer::from(Spanned::new(
        span,
        DeValue::Table(table),
    )))
    .map_err(|e| {
        let mut error = file.toml_error(&e);
        if in_site
            && e.message().starts_with("unknown field")
            && let ConfigError::At { message, .. } = &mut error
        {
            message.push_str(", or one of the site keys `url`, `id`, `owner`, `contact`, `tags`");
        }
        error
    })
}

/// Paths in the file are taken from the file's directory, wherever the job runs from.
fn relative_to(options: &mut ScanOptions, base: &Path) {
    for path in [
        &mut options.cookie_db,
        &mut options.chrome,
        &mut options.consent_rules,
        &mut options.ignore_file,
    ]
    .into_iter()
    .flatten()
    {
        if path.is_relative() {
            *path = base.join(&*path);
        }
    }
}

/// A site id names a folder and a history: letters, digits, `.`, `_` and `-`.
fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !id.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`id` {id:?} is not usable as a folder name: use letters, digits, `.`, `_` and `-` \
             (not first), at most 100"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::FailOnArg;

    fn parse_ok(text: &str) -> AuditConfig {
        parse(text, Path::new("conf/audit.toml"), &ScanOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> String {
        parse(text, Path::new("conf/audit.toml"), &ScanOptions::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/audit.example.toml"
        ));
        let config = load(path, &ScanOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = config.sites.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["barnet.gov.uk", "lbbd.gov.uk", "buckinghamshire.gov.uk"]
        );
        for site in &config.sites {
            assert!(
                site.owner.is_some() && site.contact.is_some(),
                "{}",
                site.id
            );
        }
    }

    #[test]
    fn defaults_then_site_then_command_line() {
        let text = r#"
[defaults]
engine = "http"
max_pages = 50
rate = 1

[[site]]
url = "https://www.barnet.gov.uk/"
max_pages = 20
privacy_url = "https://www.barnet.gov.uk/cookies"
tags = ["london"]
owner = "Digital team"

[[site]]
url = "www.lbbd.gov.uk"
"#;
        let cli = ScanOptions {
            rate: Some(4.0),
            fail_on: Some(FailOnArg::Undeclared),
            ..ScanOptions::default()
        };
        let config = parse(text, Path::new("audit.toml"), &cli).unwrap();
        let [barnet, lbbd] = &config.sites[..] else {
            panic!("two sites")
        };
        assert_eq!(barnet.id, "barnet.gov.uk");
        assert_eq!(barnet.settings.crawl.max_pages, 20);
        assert_eq!(barnet.settings.crawl.rate, 4.0);
        assert_eq!(
            barnet.settings.crawl.privacy_urls,
            ["https://www.barnet.gov.uk/cookies"]
        );
        assert_eq!(barnet.tags, ["london"]);
        assert_eq!(
            barnet.settings.engine,
            cookie_audit_model::EngineChoice::Http
        );
        assert_eq!(lbbd.id, "lbbd.gov.uk");
        assert_eq!(lbbd.url.as_str(), "https://www.lbbd.gov.uk/");
        assert_eq!(lbbd.settings.crawl.max_pages, 50);
        assert_eq!(
            lbbd.settings.fail_on,
            cookie_audit_model::FailOn::Undeclared
        );
        assert_eq!(config.defaults.rate, Some(4.0));
    }

    #[test]
    fn unknown_keys_point_at_their_line() {
        let error = parse_err("[defaults]\nmax_page = 10\n\n[[site]]\nurl = \"a.gov.uk\"\n");
        assert!(
            error.starts_with("conf/audit.toml:2:1: unknown field `max_page`"),
            "{error}"
        );
        assert!(error.contains("2 | max_page = 10\n  | ^^^^^^^^"), "{error}");

        let error = parse_err("[[site]]\nurl = \"a.gov.uk\"\nownr = \"x\"\n");
        assert!(error.starts_with("conf/audit.toml:3:1:"), "{error}");
        assert!(error.contains("`url`, `id`, `owner`"), "{error}");

        let error = parse_err("[site]\nurl = \"a.gov.uk\"\n");
        assert!(error.contains("[[site]] (double brackets)"), "{error}");
        let error = parse_err("[sites]\n");
        assert!(error.starts_with("conf/audit.toml:1:2: unknown table `sites`"));
    }

    #[test]
    fn bad_values_point_at_their_line() {
        let error = parse_err("[[site]]\nurl = \"a.gov.uk\"\nmax_pages = \"many\"\n");
        assert!(error.starts_with("conf/audit.toml:3:13:"), "{error}");
        assert!(error.contains("invalid type"), "{error}");

        let error = parse_err("[defaults]\nrate = -1\n[[site]]\nurl = \"a.gov.uk\"\n");
        assert!(error.starts_with("conf/audit.toml:2:1: rate:"), "{error}");

        let error = parse_err("[[site]]\nurl = \"a.gov.uk\"\nresolve = \"a.gov.uk=nowhere\"\n");
        assert!(error.starts_with("conf/audit.toml:3:1: resolve"), "{error}");

        let error = parse_err("[[site]]\nurl = \"ftp://a.gov.uk/\"\n");
        assert!(error.starts_with("conf/audit.toml:2:7: `url`:"), "{error}");

        let error = parse_err("[defaults]\nrate = 1\n\n[[site]]\nowner = \"x\"\n");
        assert!(
            error.starts_with("conf/audit.toml:") && error.contains("has no `url`"),
            "{error}"
        );

        let error = parse_err("[[site]]\nurl = \"a.gov.uk\"\nid = \"../up\"\n");
        assert!(error.starts_with("conf/audit.toml:3:6:"), "{error}");

        let error = parse_err("[defaults\n");
        assert!(error.starts_with("conf/audit.toml:1:"), "{error}");

        assert!(parse_err("[defaults]\nrate = 1\n").contains("no sites to audit"));
    }

    #[test]
    fn two_entries_on_one_registrable_domain_need_an_id() {
        let text = "[[site]]\nurl = \"https://www.barnet.gov.uk/\"\n\n[[site]]\nurl = \"https://libraries.barnet.gov.uk/\"\n";
        let error = parse_err(text);
        assert!(error.starts_with("conf/audit.toml:5:7:"), "{error}");
        assert!(
            error.contains("line 1 already has the id `barnet.gov.uk`"),
            "{error}"
        );

        let config = parse_ok(&format!("{text}id = \"barnet-libraries\"\n"));
        assert_eq!(config.sites[1].id, "barnet-libraries");
        assert_eq!(
            config.sites[0].politeness_key(),
            config.sites[1].politeness_key()
        );
    }

    #[test]
    fn a_bad_command_line_value_is_blamed_on_the_flag() {
        let cli = ScanOptions {
            max_pages: Some(0),
            ..ScanOptions::default()
        };
        let error = parse("[[site]]\nurl = \"a.gov.uk\"\n", Path::new("a.toml"), &cli)
            .unwrap_err()
            .to_string();
        assert_eq!(error, "--max-pages: must be at least 1");
    }

    /// Issue 15's options in an audit config: checked before any crawl, each error at its key's
    /// line; a single string is a list of one; the ignore file is relative to the config.
    #[test]
    fn issue_15_options_are_checked_at_their_line() {
        let error = parse_err("[[site]]\nurl = \"a.gov.uk\"\nheader = \"no colon\"\n");
        assert!(error.starts_with("conf/audit.toml:3:1:"), "{error}");
        assert!(error.contains("NAME: VALUE"), "{error}");

        let error = parse_err(
            "[defaults]\nexclude_path = [\"/ok\", \"news\"]\n[[site]]\nurl = \"a.gov.uk\"\n",
        );
        assert!(error.starts_with("conf/audit.toml:2:1:"), "{error}");
        assert!(error.contains("starts with /"), "{error}");

        let error = parse_err("[[site]]\nurl = \"a.gov.uk\"\nignore_file = \"accepted.toml\"\n");
        assert!(error.starts_with("conf/audit.toml:3:1:"), "{error}");
        assert!(error.contains("conf/accepted.toml"), "{error}");

        let config = parse_ok(
            "[defaults]\ninclude_path = \"/services\"\ncookie = [\"a=1\", \"b=2\"]\n[[site]]\nurl = \"a.gov.uk\"\n",
        );
        let record = config.sites[0].settings.record();
        assert_eq!(record.include_paths, ["/services"]);
        let sent: Vec<_> = record.cookies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(sent, ["a", "b"]);
    }

    #[test]
    fn file_paths_are_relative_to_the_config() {
        let config = parse_ok(
            "[defaults]\ncookie_db = \"data/ocd.csv\"\n[[site]]\nurl = \"a.gov.uk\"\nchrome = \"/opt/chrome\"\n",
        );
        let site = &config.sites[0];
        assert_eq!(
            site.cookie_db.as_deref(),
            Some(Path::new("conf/data/ocd.csv"))
        );
        assert_eq!(
            site.settings.chrome.as_deref(),
            Some(Path::new("/opt/chrome"))
        );
    }
}
