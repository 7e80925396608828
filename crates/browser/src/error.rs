//! What can go wrong with the browser itself. Page-level failures are not errors: they are data in
//! the report (`PageVisit::failed`).

use std::path::PathBuf;

/// Why the browser engine could not run.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "no Chromium found (looked at --chrome, $CHROME, then chromium, chromium-browser, google-chrome on PATH); install it with `apt-get install chromium` or pass --chrome PATH"
    )]
    NotFound,
    #[error("{path} is not an executable file (from {origin})")]
    NotExecutable { path: PathBuf, origin: &'static str },
    #[error("could not prepare the browser profile in {path}")]
    Profile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not start {path}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} did not open its DevTools endpoint within {secs}s; its last words: {stderr}")]
    NoEndpoint {
        path: PathBuf,
        secs: u64,
        stderr: String,
    },
    #[error("could not connect to Chromium's DevTools endpoint {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("DevTools command {method} failed: {reason}")]
    Command { method: String, reason: String },
    #[error("could not start the browser's guard proxy on 127.0.0.1")]
    Proxy { source: std::io::Error },
}

/// Why one DevTools call failed. `Closed` means the browser (or its connection) is gone.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum CallError {
    #[error("the connection to Chromium is closed")]
    Closed,
    #[error("{method} timed out after {secs}s")]
    Timeout { method: String, secs: u64 },
    #[error("{method}: {message}")]
    Protocol { method: String, message: String },
}
