//! Where the history lives: a SQLite file (the embedded default) or a PostgreSQL database shared
//! by workers on several machines. One string names either, as `--db` and `COOKIE_AUDIT_DB` give
//! it; only a `postgres://` or `postgresql://` URL means PostgreSQL, anything else is a path.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A history database's location. Displays without the password, so it can go in errors and logs.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file, created on first open.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/database?options`),
    /// kept whole for connecting.
    Postgres(String),
}

/// The URL schemes that mean PostgreSQL, as libpq spells them.
const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

impl Location {
    /// A `postgres://`/`postgresql://` URL (scheme in any case) is PostgreSQL; anything else is
    /// the path of a SQLite file.
    pub fn parse(given: &str) -> Location {
        let lower = given.get(..13).unwrap_or(given).to_ascii_lowercase();
        if POSTGRES_SCHEMES.iter().any(|s| lower.starts_with(s)) {
            Location::Postgres(given.to_string())
        } else {
            Location::Sqlite(PathBuf::from(given))
        }
    }

    /// The SQLite file, `None` for PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }
}

impl FromStr for Location {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Location, Self::Err> {
        Ok(Location::parse(s))
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Sqlite(path.to_path_buf())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Sqlite(path)
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Location {
        Location::Sqlite(path.clone())
    }
}

impl From<&Location> for Location {
    fn from(location: &Location) -> Location {
        location.clone()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

/// Debug shows what Display shows: a location must never print its password, not even in a
/// `{:?}` of a struct that holds one.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Location::Postgres(_) => f.debug_tuple("Postgres").field(&self.to_string()).finish(),
        }
    }
}

/// The URL with the password of its user-info and any `password=` query parameter replaced by
/// `***`. Works on the text, so it redacts even a URL the driver will refuse.
fn without_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let (scheme, rest) = url.split_at(scheme_end);
    // The authority ends at the first '/', '?' or '#'; user-info ends at its last '@'.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (user_info, host) = authority.split_at(at);
            match user_info.split_once(':') {
                Some((user, _password)) => format!("{user}:***{host}"),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_by_either_scheme_and_paths_otherwise() {
        for url in [
            "postgres://u@db/history",
            "postgresql://u@db/history",
            "POSTGRES://u@db/history",
        ] {
            assert!(Location::parse(url).is_postgres(), "{url}");
        }
        for path in [
            "cookie-audit.db",
            "/var/lib/cookie-audit/history.db",
            "postgres.db",
            "postgres:/x",
            "",
        ] {
            assert_eq!(
                Location::parse(path),
                Location::Sqlite(PathBuf::from(path)),
                "{path}"
            );
        }
    }

    #[test]
    fn passwords_never_display() {
        let cases = [
            (
                "postgres://audit:s3cret@db.internal:5432/history",
                "postgres://audit:***@db.internal:5432/history",
            ),
            (
                "postgresql://audit:p%40ss@word@db/history?sslmode=require",
                "postgresql://audit:***@db/history?sslmode=require",
            ),
            (
                "postgres://db/history?user=audit&password=s3cret&application_name=x",
                "postgres://db/history?user=audit&password=***&application_name=x",
            ),
            ("postgres://audit@db/history", "postgres://audit@db/history"),
        ];
        for (url, shown) in cases {
            let location = Location::parse(url);
            assert_eq!(location.to_string(), shown);
            let debug = format!("{location:?}");
            assert!(
                !debug.contains("s3cret") && !debug.contains("p%40ss"),
                "{debug}"
            );
        }
    }
}
