//! The data model every cookie-audit crate shares.
//!
//! - [`report`]: the wire format (schema v1), the contract other tools read.
//! - [`consent`]: the consent banner and the runs before a choice, after accept, after reject.
//! - [`set_cookie`]: the one Set-Cookie parser, RFC 6265bis as Chromium applies it.
//! - [`domain`]: registrable domains and first/third party by the Public Suffix List.
//! - [`url_norm`]: the one URL normaliser.
//! - [`expiry`]: the one parser of human expiry text, and its inverse.
//! - [`findings`]: finding codes.
//! - [`limits`]: the limits that can cut a crawl short.
//! - [`errors`]: an error and its sources as one line.
//! - [`redact`]: cookie values as fingerprints.
//! - [`pages`]: pages handed from one stage to the next (not part of the report).
//! - [`markup`]: markup no HTML parser should be handed (a tag with 200,000 attributes).
//!
//! Nothing here does I/O.

pub mod consent;
pub mod cookie_date;
pub mod domain;
pub mod errors;
pub mod expiry;
pub mod findings;
pub mod limits;
pub mod markup;
pub mod pages;
pub mod redact;
pub mod report;
pub mod set_cookie;
pub mod url_norm;
#[cfg(test)]
mod url_norm_props;

pub use consent::{
    Banner, Clicked, Cmp, Consent, ConsentRun, ConsentState, Detection, RejectPath, RunStatus,
};
pub use domain::Party;
pub use errors::error_chain;
pub use expiry::Expiry;
pub use findings::FindingCode;
pub use limits::LimitKind;
pub use pages::DeclarationSource;
pub use report::*;
pub use set_cookie::{CookieRecord, Lifetime, RejectReason, Rejection, SameSite, SetCookieContext};

/// The tool's name and version for `Report::tool`.
pub fn tool() -> Tool {
    Tool {
        name: "cookie-audit".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}
