//! What `cookie-audit declared` shows: the cookie tables read from one page or file.

use cookie_audit_model::{DeclarationStatus, DeclaredCookie, ProseMention};
use serde::Serialize;

/// The cookie tables of one page, as `cookie-audit declared` prints them.
#[derive(Debug, Serialize)]
pub struct DeclaredListing {
    /// The page or file read.
    pub source: String,
    /// `found` when at least one cookie was declared.
    pub status: DeclarationStatus,
    /// Cookie tables (or table-like structures) read.
    pub tables: u32,
    /// Every declared cookie, in page order.
    pub cookies: Vec<DeclaredCookie>,
    /// Cookie names and vendors mentioned outside the tables.
    pub prose_mentions: Vec<ProseMention>,
    /// What the reader was unsure of.
    pub warnings: Vec<String>,
}

impl DeclaredListing {
    /// For a terminal: the cookies as a table, then the names mentioned in prose.
    pub fn table(&self) -> String {
        let mut table = comfy_table::Table::new();
        table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(["Name", "Provider", "Domain", "Expiry", "Purpose"]);
        for c in &self.cookies {
            let clip = |s: &Option<String>, n: usize| {
                s.as_deref()
                    .map(|v| v.chars().take(n).collect::<String>())
                    .unwrap_or_default()
            };
            table.add_row([
                if c.pattern {
                    format!("{} (pattern)", c.name)
                } else {
                    c.name.clone()
                },
                clip(&c.provider, 30),
                clip(&c.domain, 30),
                c.expiry
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default(),
                clip(&c.purpose, 60),
            ]);
        }
        let mut out = format!(
            "{}: {} cookie(s) in {} table(s)\n",
            self.source,
            self.cookies.len(),
            self.tables
        );
        if !self.cookies.is_empty() {
            out.push_str(&table.to_string());
            out.push('\n');
        }
        if !self.prose_mentions.is_empty() {
            let terms: Vec<&str> = self
                .prose_mentions
                .iter()
                .map(|m| m.term.as_str())
                .collect();
            out.push_str(&format!("Mentioned in prose: {}\n", terms.join(", ")));
        }
        out
    }
}
