//! Why a knowledge source could not be loaded.

use std::path::PathBuf;

/// Why a knowledge source could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    /// The `--cookie-db` file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The `--cookie-db` file is not CSV the reader can follow (an unclosed quote, invalid UTF-8).
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        /// The file as given.
        path: PathBuf,
        /// 1-based line of the file; 0 when the CSV reader gave no position.
        line: u64,
        /// The CSV reader's message.
        message: String,
    },
    /// The `--cookie-db` header row lacks a column the Open Cookie Database format requires.
    #[error("{}: no column named {column:?} in the header row", path.display())]
    MissingColumn {
        /// The file as given.
        path: PathBuf,
        /// The column missing, as the format names it (`Cookie / Data Key name`, …).
        column: String,
    },
    /// A knowledge base in the built-in format is not valid TOML, or not that format (an unknown or
    /// missing key).
    #[error("{origin}: {message}")]
    Toml {
        /// What names the knowledge base: the built-in file's path, or the caller's label.
        origin: String,
        /// The TOML parser's message, with the line.
        message: String,
    },
    /// A knowledge-base entry breaks a rule of the format (a vendor with no `[[vendor]]`, an
    /// unknown category, a prefix under [`MIN_LITERAL_PREFIX`](crate::MIN_LITERAL_PREFIX)
    /// characters, the same cookie twice).
    #[error("{origin}: cookie entry {entry:?}: {message}")]
    Invalid {
        /// What names the knowledge base the entry is in (as for `Toml`).
        origin: String,
        /// The entry's name, prefix or pattern, as written.
        entry: String,
        /// Which rule it breaks.
        message: String,
    },
}
