//! The audit config file: a `[defaults]` table of scan options and `[[site]]` entries, each a URL,
//! who looks after it, and any scan option as an override for that site.
//!
//! The file is read through toml's spanned document rather than straight into a struct, for two
//! reasons: every error can name the line and column of the key or value at fault (serde's
//! `flatten` would lose them), and a `[[site]]` can mix its own keys with the scan options while
//! the options stay the one struct the command line's flags fill (the [`ConfigOptions`] the
//! caller gives), unknown keys refused. The loader is generic over that struct so the library
//! needs no argument parser: the binary owns its flags, this module owns the file.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use cookie_audit_model::domain::registrable_domain;
use cookie_audit_model::url_norm::{host_of, parse_start_url};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use serde::de::DeserializeOwned;

use crate::job::SiteJob;
use crate::settings::ScanSettings;

/// Keys a `[[site]]` takes besides the scan options.
const SITE_KEYS: [&str; 5] = ["url", "id", "owner", "contact", "tags"];

/// The scan options of a config's `[defaults]` and `[[site]]` entries: the struct the command
/// line's flags fill, its keys the flag names in snake_case, every field optional so that "not
/// given" can fall through to the layer below.
pub trait ConfigOptions: DeserializeOwned + Clone + Default {
    /// Why options do not resolve into settings.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Keys that are repeatable flags: lists in the file, where a single string is taken as a
    /// list of one (`privacy_url = "https://…/cookies"`).
    const LIST_KEYS: &'static [&'static str];

    /// `self` with every option it leaves unset taken from `base`.
    fn merged_over(self, base: &Self) -> Self;

    /// The settings a scan runs with, every value checked.
    fn resolve(&self) -> Result<ScanSettings, Self::Error>;

    /// The config key an error is about (`max_pages`), so the error can point at its line.
    fn error_key(error: &Self::Error) -> &str;

    /// The options that are file paths: taken from the config's directory when relative.
    fn paths_mut(&mut self) -> Vec<&mut PathBuf>;

    /// `--cookie-db`: the cookie database the site's diff reads.
    fn cookie_db(&self) -> Option<PathBuf>;
}

/// An audit config, checked: every site has a URL, a unique id and options that resolve.
#[derive(Debug)]
pub struct AuditConfig<O> {
    /// `[defaults]`, with the command line over it: what the webhook client is built from.
    pub defaults: O,
    /// Every `[[site]]`, its options the command line over the entry over `[defaults]`.
    pub sites: Vec<SiteJob>,
}

/// Why an audit config cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the audit config {}", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// A key or value at a place in the file.
    #[error("{}:{line}:{column}: {message}\n{snippet}", path.display())]
    At {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong there.
        message: String,
        /// The line with the place underlined.
        snippet: String,
    },
    /// The file as a whole (no sites, or an error toml gives no place for).
    #[error("{}: {message}", path.display())]
    File {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A command-line value, wrong whatever the file says.
    #[error(transparent)]
    CommandLine(Box<dyn std::error::Error + Send + Sync>),
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
pub fn load<O: ConfigOptions>(path: &Path, cli: &O) -> Result<AuditConfig<O>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path, cli)
}

/// [`load`] for text already read.
pub fn parse<O: ConfigOptions>(
    text: &str,
    path: &Path,
    cli: &O,
) -> Result<AuditConfig<O>, ConfigError> {
    // Command-line values are checked on their own first, so a bad flag is blamed on the flag and
    // a bad merged value below can only have come from the file.
    cli.resolve()
        .map_err(|e| ConfigError::CommandLine(Box::new(e)))?;
    let file = File { text, path };
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();

    let root = DeTable::parse(text).map_err(|e| file.toml_error(&e))?;
    let mut defaults = O::default();
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
struct Base<'a, O> {
    cli: &'a O,
    defaults: &'a O,
    defaults_keys: &'a HashMap<String, Range<usize>>,
    dir: &'a Path,
}

/// One `[[site]]`: its own keys, its options merged, its id unique (`ids` remembers the line of
/// each id seen).
fn site_entry<O: ConfigOptions>(
    file: &File<'_>,
    base: &Base<'_, O>,
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
    let mut site_options: O = scan_options(file, options, span.clone(), true)?;
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
    let settings = effective.resolve().map_err(|e| {
        let key = O::error_key(&e);
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
        cookie_db: effective.cookie_db(),
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
fn scan_options<O: ConfigOptions>(
    file: &File<'_>,
    mut table: DeTable<'_>,
    span: Range<usize>,
    in_site: bool,
) -> Result<O, ConfigError> {
    for (key, value) in table.iter_mut() {
        if O::LIST_KEYS.contains(&key.get_ref().as_ref())
            && matches!(value.get_ref(), DeValue::String(_))
        {
            let span = value.span();
            let mut list = DeArray::new();
            list.push(value.clone());
            *value = Spanned::new(span, DeValue::Array(list));
        }
    }
    O::deserialize(ValueDeserializer::from(Spanned::new(
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
fn relative_to<O: ConfigOptions>(options: &mut O, base: &Path) {
    for path in options.paths_mut() {
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

    /// Errors are for people: columns count characters, not bytes (Welsh and accented council
    /// names are common), and the caret sits under the span.
    #[test]
    fn places_count_characters_and_underline_the_span() {
        let text = "[[site]]\nowner = \"Cyngor Sir Ynys Môn\"\nbad = 1\n";
        let file = File {
            text,
            path: Path::new("audit.toml"),
        };
        let n = text.find("Môn").unwrap() + "Mô".len();
        assert_eq!(
            file.line_col(n),
            (2, "owner = \"Cyngor Sir Ynys Mô".chars().count() + 1)
        );
        // An offset inside a character counts from the character's start.
        assert_eq!(file.line_col(n - 1), file.line_col(n - 2));

        let start = text.find("bad").unwrap();
        let error = file.at(start..start + 3, "unknown field `bad`").to_string();
        assert_eq!(
            error,
            "audit.toml:3:1: unknown field `bad`\n  |\n3 | bad = 1\n  | ^^^"
        );
    }
}
