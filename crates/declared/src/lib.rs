//! Reads the cookie tables a site publishes: an HTML `<table>` whose header row names a cookie
//! column (name/cookie) and at least one of purpose, expiry, domain or provider.

use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::{
    Declaration, DeclarationPage, DeclarationStatus, DeclaredCookie, DeclaredSource, ProseMention,
};
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// Everything read from one page.
#[derive(Debug, Default, Clone)]
pub struct PageExtraction {
    pub cookies: Vec<DeclaredCookie>,
    pub tables: u32,
    pub prose_mentions: Vec<ProseMention>,
    pub warnings: Vec<String>,
}

/// A page handed over by the crawler for reading.
#[derive(Debug, Clone)]
pub struct DeclaredPage {
    pub url: Url,
    pub found_by: String,
    pub html: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Purpose,
    Expiry,
    Domain,
    Provider,
    Category,
}

fn column(header: &str) -> Option<Column> {
    let h = header.trim().to_lowercase();
    Some(match h.as_str() {
        "name" | "cookie name" | "cookie" | "cookies" => Column::Name,
        "purpose" | "description" | "used for" | "what it does" | "why" | "why we use it" => {
            Column::Purpose
        }
        "expiry" | "expires" | "duration" | "lasts for" | "retention" | "expiry period"
        | "persistence" => Column::Expiry,
        "domain" | "host" => Column::Domain,
        "provider" | "set by" | "software" | "third party" | "service" => Column::Provider,
        "category" | "type of cookie" | "type" => Column::Category,
        _ => return None,
    })
}

fn cell_text(cell: ElementRef<'_>) -> String {
    cell.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads every cookie table on one page.
pub fn extract_declarations(html: &str, page_url: &Url) -> PageExtraction {
    let table_sel = Selector::parse("table").expect("valid selector");
    let row_sel = Selector::parse("tr").expect("valid selector");
    let cell_sel = Selector::parse("th, td").expect("valid selector");
    let document = Html::parse_document(html);
    let mut out = PageExtraction::default();
    for table in document.select(&table_sel) {
        let mut rows = table.select(&row_sel);
        let Some(header) = rows.next() else { continue };
        let mut columns: Vec<Option<Column>> = header
            .select(&cell_sel)
            .map(|c| column(&cell_text(c)))
            .collect();
        // "Cookie" + "Name": Name is the name, Cookie the provider (Barking & Dagenham's layout).
        if columns.iter().filter(|c| **c == Some(Column::Name)).count() > 1
            && let Some(first) = columns.iter_mut().find(|c| **c == Some(Column::Name))
        {
            *first = Some(Column::Provider);
        }
        if !columns.contains(&Some(Column::Name)) || columns.iter().flatten().count() < 2 {
            continue;
        }
        let table_index = out.tables;
        out.tables += 1;
        for (row_index, row) in rows.enumerate() {
            let cells: Vec<String> = row.select(&cell_sel).map(cell_text).collect();
            let get = |col: Column| {
                columns
                    .iter()
                    .position(|c| *c == Some(col))
                    .and_then(|i| cells.get(i))
                    .filter(|v| !v.is_empty())
                    .cloned()
            };
            let Some(name) = get(Column::Name) else {
                continue;
            };
            let name = name.trim_end_matches(['.', ',', ';', ':']).to_string();
            out.cookies.push(DeclaredCookie {
                pattern: name.contains('*'),
                glob: name.contains('*').then(|| name.clone()),
                suspicious_name: name.contains(' '),
                name,
                provider: get(Column::Provider),
                domain: get(Column::Domain),
                purpose: get(Column::Purpose),
                category: get(Column::Category),
                expiry: get(Column::Expiry).map(|t| parse_expiry_text(&t)),
                source: DeclaredSource {
                    url: page_url.to_string(),
                    table: table_index,
                    row: row_index as u32,
                    shape: Some("table".into()),
                },
            });
        }
    }
    out
}

/// Reads every page and builds the report's declaration.
pub fn read_declaration(pages: &[DeclaredPage]) -> (Declaration, Vec<DeclaredCookie>) {
    let mut declared = Vec::new();
    let mut declaration = Declaration {
        status: DeclarationStatus::NotFound,
        pages: Vec::new(),
        prose_mentions: Vec::new(),
        warnings: Vec::new(),
    };
    for page in pages {
        let extraction = page
            .html
            .as_deref()
            .map(|html| extract_declarations(html, &page.url))
            .unwrap_or_default();
        declaration.pages.push(DeclarationPage {
            url: page.url.to_string(),
            found_by: page.found_by.clone(),
            tables: extraction.tables,
            cookies: extraction.cookies.len() as u32,
            error: page.error.clone(),
        });
        declaration.prose_mentions.extend(extraction.prose_mentions);
        declaration.warnings.extend(extraction.warnings);
        declared.extend(extraction.cookies);
    }
    if !declared.is_empty() {
        declaration.status = DeclarationStatus::Found;
    }
    (declaration, declared)
}
