//! The corrected cookie table as CSV, for a spreadsheet or a CMS that imports tables.
//!
//! The `csv` crate writes RFC 4180 (quotes, doubled quotes, CRLF-free `\n` rows) so a comma or a
//! quote in a purpose cannot shift a column. What it cannot know is that spreadsheets run a cell
//! that starts with `=`, `+`, `-` or `@` as a formula: a cookie a hostile site names
//! `=HYPERLINK(…)` would become a link in the editor's spreadsheet. Such cells get a leading `'`,
//! which spreadsheets show as text (OWASP's advice for CSV injection).

use crate::view::View;

/// The columns, the same as the paste-ready HTML table's.
const HEADER: [&str; 6] = [
    "Cookie", "Provider", "Purpose", "Expiry", "Domain", "Category",
];

pub(crate) fn render(view: &View) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail; a record of the header's length is always accepted.
    writer.write_record(HEADER).expect("write to memory");
    for row in &view.paste.rows {
        let cells = [
            &row.name,
            &row.provider,
            &row.purpose,
            &row.expiry,
            &row.domain,
            &row.category,
        ];
        writer
            .write_record(cells.map(|c| defuse(c)))
            .expect("write to memory");
    }
    let bytes = writer.into_inner().expect("flush to memory");
    String::from_utf8(bytes).expect("the cells are UTF-8 strings")
}

/// A cell a spreadsheet will not run as a formula.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("_ga"), "_ga");
        assert_eq!(defuse("2 years"), "2 years");
    }
}
