//! Why a knowledge source could not be loaded.

use std::path::PathBuf;

/// Why a knowledge source could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KbError {
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: no column named {column:?} in the header row", path.display())]
    MissingColumn { path: PathBuf, column: String },
    #[error("{origin}: {message}")]
    Toml { origin: String, message: String },
    #[error("{origin}: cookie entry {entry:?}: {message}")]
    Invalid {
        origin: String,
        entry: String,
        message: String,
    },
}
