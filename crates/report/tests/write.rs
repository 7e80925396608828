//! `write_atomic`: readers see the old file or the new one, and nothing is left behind.

use cookie_audit_report::{to_json, write_atomic, write_atomic_with, write_json};

use crate::sample;

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn writes_and_replaces_leaving_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latest.json");
    write_atomic(&path, b"first").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    write_atomic(&path, b"second, longer").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
    assert_eq!(entries(dir.path()), ["latest.json"]);
}

#[test]
fn a_failed_write_leaves_the_old_file_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir").join("report.json");
    let error = write_atomic(&missing, b"x").unwrap_err();
    assert!(error.to_string().contains("no-such-dir"), "{error}");

    // Renaming over a directory fails after the temporary file was written: it must go.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"old").unwrap();
    assert!(write_atomic(&target, b"new").is_err());
    assert_eq!(entries(dir.path()), ["taken"]);
    assert_eq!(std::fs::read(target.join("keep")).unwrap(), b"old");
}

#[cfg(unix)]
#[test]
fn files_get_ordinary_permissions_not_tempfile_ones() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    write_atomic(&path, b"new").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "a replaced file keeps its mode");

    let fresh = dir.path().join("fresh.html");
    write_atomic(&fresh, b"new").unwrap();
    let reference = dir.path().join("reference");
    std::fs::write(&reference, b"").unwrap();
    assert_eq!(
        std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
        std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777,
        "a new file gets what std::fs::write would give it"
    );
}

#[test]
fn a_bare_file_name_writes_in_the_current_directory_semantics() {
    // `Path::new("report.json").parent()` is `Some("")`: it must mean ".", not fail.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let relative = pathdiff(&path);
    write_atomic(&relative, b"{}").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"{}");
}

/// `path` written relative to the current directory through `..` hops, so the test does not
/// have to change the process's working directory (other tests run in parallel).
fn pathdiff(path: &std::path::Path) -> std::path::PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let mut up = std::path::PathBuf::new();
    for _ in cwd.components().skip(1) {
        up.push("..");
    }
    up.join(path.strip_prefix("/").unwrap())
}

#[test]
fn a_streamed_report_is_the_json_and_a_failed_stream_leaves_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    let report = sample::report();
    write_atomic_with(&path, |file| write_json(&report, file)).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        to_json(&report),
        "the same bytes as the whole string"
    );
    assert!(written.ends_with("}\n"), "with its final newline");

    let failed = write_atomic_with(&path, |file| {
        std::io::Write::write_all(file, b"{ half a rep")?;
        Err(std::io::Error::other("the writer gave up"))
    });
    let error = failed.unwrap_err();
    assert!(error.to_string().contains("the writer gave up"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
    assert_eq!(entries(dir.path()), ["report.json"]);
}

/// A writer that takes `room` bytes and then refuses, as a full disk or a closed pipe does.
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn streaming_json_passes_the_writers_error_on() {
    let error = write_json(&sample::report(), Full { room: 100 }).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
}
