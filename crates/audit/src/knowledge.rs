//! The knowledge base a scan classifies cookies with: the curated entries compiled in, plus an
//! optional Open Cookie Database CSV (`--cookie-db`).

use std::path::Path;

use cookie_audit_diff::{KbError, KnowledgeBase};

/// A `--cookie-db` file that could not be loaded. The source names the file and the line.
#[derive(Debug, thiserror::Error)]
#[error("--cookie-db")]
pub struct KnowledgeError(#[source] pub KbError);

/// The built-in knowledge base, with the cookie database at `cookie_db` added when given.
pub fn load_knowledge_base(cookie_db: Option<&Path>) -> Result<KnowledgeBase, KnowledgeError> {
    let mut kb = KnowledgeBase::builtin();
    if let Some(path) = cookie_db {
        let stats = kb.load_cookie_db(path).map_err(KnowledgeError)?;
        tracing::info!(?stats, "loaded the cookie database");
    }
    Ok(kb)
}
