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

/// A Chromium network error (`net::ERR_…`): the codes the engine acts on, and the rest by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NetError {
    /// The guard proxy did not open a tunnel; the proxy knows why.
    TunnelConnectionFailed,
    /// Any other code, e.g. `ERR_TOO_MANY_REDIRECTS`, `ERR_ABORTED` (a download).
    Other(String),
}

impl NetError {
    /// Reads `net::ERR_…`; `None` for text that is not a network error code.
    pub(crate) fn parse(text: &str) -> Option<NetError> {
        let code = text.trim().strip_prefix("net::")?;
        if !code.starts_with("ERR_") || code.contains(char::is_whitespace) {
            return None;
        }
        Some(match code {
            "ERR_TUNNEL_CONNECTION_FAILED" => NetError::TunnelConnectionFailed,
            other => NetError::Other(other.to_string()),
        })
    }
}

impl NetError {
    /// What the code means, in the words the HTTP engine uses for the same failure (the code
    /// follows in brackets): a report reads the same whichever engine ran. `None` for codes
    /// without a plain meaning (`ERR_ABORTED`).
    pub(crate) fn words(&self) -> Option<&'static str> {
        let NetError::Other(code) = self else {
            return Some("could not connect through the address guard");
        };
        Some(match code.as_str() {
            "ERR_NAME_NOT_RESOLVED" | "ERR_NAME_RESOLUTION_FAILED" => "could not resolve the host",
            "ERR_CONNECTION_REFUSED" => "could not connect: connection refused",
            "ERR_CONNECTION_RESET" | "ERR_CONNECTION_CLOSED" | "ERR_EMPTY_RESPONSE" => {
                "the server closed the connection without an answer"
            }
            "ERR_CONNECTION_TIMED_OUT" | "ERR_TIMED_OUT" => "timed out",
            "ERR_ADDRESS_UNREACHABLE" | "ERR_INTERNET_DISCONNECTED" => {
                "could not connect: the host is unreachable from here (no route)"
            }
            "ERR_TOO_MANY_REDIRECTS" => "more than 20 redirects, so browsers give up",
            "ERR_UNSAFE_PORT" => {
                "the port is one browsers refuse to connect to, so a visitor could not load it"
            }
            "ERR_INVALID_RESPONSE" | "ERR_INVALID_HTTP_RESPONSE" => {
                "the response is not valid HTTP, so browsers refuse it"
            }
            "ERR_RESPONSE_HEADERS_TOO_BIG" => "the response's headers are too big for browsers",
            "ERR_SSL_PROTOCOL_ERROR" | "ERR_SSL_VERSION_OR_CIPHER_MISMATCH" => {
                "TLS error: the secure connection could not be set up"
            }
            code if code.starts_with("ERR_CERT_") => {
                "TLS error: the certificate is not valid (use --insecure for self-signed or staging certificates)"
            }
            _ => return None,
        })
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = match self {
            NetError::TunnelConnectionFailed => "ERR_TUNNEL_CONNECTION_FAILED",
            NetError::Other(code) => code,
        };
        match self.words() {
            Some(words) => write!(f, "{words} (net::{code})"),
            None => write!(f, "net::{code}"),
        }
    }
}

/// Why the page's own document did not arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocumentError {
    /// Chromium's network error, with the reason it blocked the request when it did.
    Net {
        error: NetError,
        blocked: Option<String>,
    },
    /// The guard proxy's own words (a refused or unreachable target), as the HTTP engine says them.
    Guard(String),
    /// Anything else Chromium said (`Page.navigate`'s error text that is not a `net::` code).
    Other(String),
}

impl DocumentError {
    /// Whether it reads as words, not only as Chromium's code.
    pub(crate) fn has_words(&self) -> bool {
        match self {
            DocumentError::Net { error, .. } => error.words().is_some(),
            DocumentError::Guard(_) | DocumentError::Other(_) => true,
        }
    }

    /// From an error text and an optional blocked reason, as DevTools reports them.
    pub(crate) fn from_devtools(text: &str, blocked: Option<&str>) -> DocumentError {
        match NetError::parse(text) {
            Some(error) => DocumentError::Net {
                error,
                blocked: blocked.map(str::to_string),
            },
            None => DocumentError::Other(text.to_string()),
        }
    }
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocumentError::Net {
                error,
                blocked: Some(reason),
            } => write!(f, "{error} (blocked: {reason})"),
            DocumentError::Net {
                error,
                blocked: None,
            } => write!(f, "{error}"),
            DocumentError::Guard(words) | DocumentError::Other(words) => f.write_str(words),
        }
    }
}

/// Why a visit did not reach its end. Decided on variants: which are worth a retry on a fresh tab
/// and which mean the browser itself must be replaced.
#[derive(Debug)]
pub(crate) enum VisitFailure {
    /// The DevTools connection closed: the browser died or was killed.
    BrowserGone,
    /// The tab's renderer crashed (`Inspector.targetCrashed`).
    TabCrashed,
    /// The tab was detached from its DevTools session (`Inspector.detached`).
    TabDetached,
    /// No tab could be opened in time. A browser that cannot is as good as dead.
    TabNotOpened(CallError),
    /// The whole visit outlasted its budget (page timeout, settle cap and reads).
    TimedOut { secs: u64 },
    /// The page itself failed (a DevTools command about it failed or timed out). Not retried.
    Page(CallError),
}

impl VisitFailure {
    /// Replace the browser even if its process still runs.
    pub(crate) fn browser_is_unusable(&self) -> bool {
        matches!(
            self,
            VisitFailure::BrowserGone | VisitFailure::TabNotOpened(_)
        )
    }
}

impl From<CallError> for VisitFailure {
    fn from(error: CallError) -> VisitFailure {
        match error {
            CallError::Closed => VisitFailure::BrowserGone,
            other => VisitFailure::Page(other),
        }
    }
}

impl std::fmt::Display for VisitFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VisitFailure::BrowserGone => f.write_str("the connection to Chromium closed"),
            VisitFailure::TabCrashed => f.write_str("the tab crashed"),
            VisitFailure::TabDetached => f.write_str("the tab was detached"),
            VisitFailure::TabNotOpened(error) => write!(f, "could not open a tab: {error}"),
            VisitFailure::TimedOut { secs } => {
                write!(f, "the tab did not finish the page within {secs}s")
            }
            VisitFailure::Page(error) => write!(f, "{error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_errors_are_read_by_code() {
        assert_eq!(
            NetError::parse("net::ERR_TUNNEL_CONNECTION_FAILED"),
            Some(NetError::TunnelConnectionFailed)
        );
        assert_eq!(
            NetError::parse("net::ERR_NAME_NOT_RESOLVED"),
            Some(NetError::Other("ERR_NAME_NOT_RESOLVED".into()))
        );
        assert_eq!(NetError::parse("Cannot navigate to invalid URL"), None);
        assert_eq!(NetError::parse("net::something else"), None);
        // Codes with a plain meaning say it first, in the HTTP engine's words.
        assert_eq!(
            DocumentError::from_devtools("net::ERR_CERT_AUTHORITY_INVALID", None).to_string(),
            "TLS error: the certificate is not valid (use --insecure for self-signed or staging certificates) (net::ERR_CERT_AUTHORITY_INVALID)"
        );
        let blocked = DocumentError::from_devtools("net::ERR_BLOCKED_BY_CLIENT", Some("inspector"));
        assert_eq!(
            blocked.to_string(),
            "net::ERR_BLOCKED_BY_CLIENT (blocked: inspector)"
        );
        assert_eq!(
            DocumentError::from_devtools("Cannot navigate to invalid URL", None),
            DocumentError::Other("Cannot navigate to invalid URL".into())
        );
    }

    #[test]
    fn a_closed_connection_is_a_crash_and_a_failed_command_is_the_page() {
        let closed = VisitFailure::from(CallError::Closed);
        assert!(matches!(closed, VisitFailure::BrowserGone));
        assert!(closed.browser_is_unusable());
        let timeout = VisitFailure::from(CallError::Timeout {
            method: "Runtime.evaluate".into(),
            secs: 15,
        });
        assert!(matches!(timeout, VisitFailure::Page(_)));
        assert!(!VisitFailure::TabCrashed.browser_is_unusable());
        assert!(VisitFailure::TabNotOpened(CallError::Closed).browser_is_unusable());
    }
}
