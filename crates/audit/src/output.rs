//! Checks on where a command will write, made before the crawl: a report lost after a
//! twenty-minute crawl because its folder is missing costs the user the whole crawl.

use std::path::{Path, PathBuf};

/// A file that could not be written at the end, found out at the start.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {reason}", path.display())]
pub struct OutputError {
    /// The file as given.
    pub path: PathBuf,
    /// Why, in words.
    pub reason: String,
}

/// Fails now when `path` could not be written later: its folder is missing or not writable, or
/// it is a folder itself. The folder is probed by creating (and removing) a file in it, since
/// permission bits alone do not say what a read-only mount or an ACL allows.
pub fn check_writable(path: &Path) -> Result<(), OutputError> {
    let cannot = |reason: String| OutputError {
        path: path.to_path_buf(),
        reason,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(cannot("it is a folder".into()));
    }
    if !dir.is_dir() {
        return Err(cannot(format!(
            "the folder {} does not exist",
            dir.display()
        )));
    }
    // A named temporary file: unique even when two commands check one folder at once.
    tempfile::Builder::new()
        .prefix(".cookie-audit-check-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| {
            cannot(format!(
                "the folder {} is not writable ({e})",
                dir.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_or_a_folder_is_refused_and_a_plain_file_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder/report.json");
        let error = check_writable(&missing).unwrap_err().to_string();
        assert!(error.contains("does not exist"), "{error}");
        assert!(error.contains("no-such-folder"), "{error}");

        let error = check_writable(dir.path()).unwrap_err().to_string();
        assert!(error.contains("it is a folder"), "{error}");

        check_writable(&dir.path().join("report.json")).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "the probe is removed: {left:?}");
    }
}
