//! `<table>` shapes: a header row (in `<thead>`, `<th>` cells, bold cells or plain text mapped
//! through the synonym table), grouped rows (rowspans and empty group cells), section rows
//! ("Analytics cookies" spanning the table), responsive tables that repeat the column label in
//! each cell or carry it in `data-label`, key/value tables (one `Name | _ga` row per field), and
//! header-less tables whose columns are recognised from their content.

use cookie_audit_model::{DeclarationShape, DeclaredCookie};

use crate::dom::Table;

use super::grid::{GridRow, layout};
use crate::fields::{Origin, Values, declare, dropped_warning};
use crate::headers::{Role, classify, classify_exact, resolve_type};
use crate::lexicon;
use crate::names::{NameCell, read_name_cell};
use crate::text::{normalise_label, one_line, word_count};

/// Rows looked at to decide what a column holds (Type values, repeated labels, whether names
/// look like cookie names): enough to be sure, few enough that a 10,000-row table costs no
/// more to classify than a 50-row one.
const SAMPLE_ROWS: usize = 50;
/// Rows searched for a header.
const HEADER_SEARCH_ROWS: usize = 4;

/// What reading a table gave.
#[derive(Debug, Default)]
pub(crate) struct TableRead {
    pub cookies: Vec<DeclaredCookie>,
    pub warnings: Vec<String>,
}

/// Context from around the table: its caption or the title above it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableContext {
    pub values: Values,
    /// A heading or caption above the table speaks of cookies.
    pub cookie_context: bool,
}

/// Reads a table as a cookie declaration; `None` when it is not one.
///
/// A table whose "names" are mostly descriptions ("Strictly necessary cookies", "Google
/// Analytics") lists kinds of cookie or services, not cookies: it is not a declaration, and
/// reading it as one would report every row as a stale cookie.
pub(crate) fn read_table(
    table: &Table,
    ctx: &TableContext,
    url: &str,
    index: u32,
) -> Option<TableRead> {
    let read = read_any_table(table, ctx, url, index)?;
    let suspicious = read.cookies.iter().filter(|c| c.suspicious_name).count();
    if read.cookies.len() >= 2 && suspicious * 2 > read.cookies.len() {
        return None;
    }
    Some(read)
}

fn read_any_table(table: &Table, ctx: &TableContext, url: &str, index: u32) -> Option<TableRead> {
    let grid = layout(&table.rows);
    if grid.is_empty() {
        return None;
    }
    let caption_cookie = table
        .caption
        .as_deref()
        .is_some_and(|c| c.to_lowercase().contains("cookie"));
    let cookie_context = ctx.cookie_context || caption_cookie;
    let mut ctx_values = ctx.values.clone();
    if let Some(caption) = &table.caption {
        apply_title(&mut ctx_values, caption);
    }

    // Row headers down the first column (`<th scope="row">Name</th><td>_ga</td>`): one cookie
    // per table, or per further column.
    if row_headed(&grid)
        && let Some(read) = read_key_value(&grid, &ctx_values, url, index)
    {
        return Some(read);
    }
    if let Some((header_at, roles, header_texts)) = find_header(&grid) {
        let data: Vec<&GridRow> = grid[header_at + 1..].iter().filter(|r| !r.head).collect();
        for row in &grid[..header_at] {
            if let Some(title) = &row.section {
                apply_title(&mut ctx_values, title);
            }
        }
        let header_has_cookie = header_texts
            .iter()
            .any(|h| h.to_lowercase().contains("cookie"));
        let roles = resolve_roles(&roles, &data);
        let name_col = roles.iter().position(|r| *r == Some(Role::Name))?;
        // Without "cookie" in the header, the table must look like one: names that are single
        // tokens under a cookie heading or beside an expiry or domain column, or an expiry
        // column under a cookie heading. A "Name | Description" list of documents is not.
        let cookie_columns = roles
            .iter()
            .any(|r| matches!(r, Some(Role::Expiry | Role::Persistence | Role::Domain)));
        let has_expiry = roles
            .iter()
            .any(|r| matches!(r, Some(Role::Expiry | Role::Persistence)));
        let plausible = header_has_cookie
            || (cookie_context && has_expiry)
            || ((cookie_context || cookie_columns)
                && names_look_like_cookies(&data, name_col, false))
            || names_look_like_cookies(&data, name_col, true);
        if !plausible {
            return None;
        }
        return Some(read_rows(
            &data,
            &roles,
            &header_texts,
            &ctx_values,
            Origin {
                url,
                table: index,
                row: 0,
                shape: DeclarationShape::Table,
            },
        ));
    }
    if let Some(read) = read_key_value(&grid, &ctx_values, url, index) {
        return Some(read);
    }
    if let Some((roles, labels)) = labels_as_header(&grid) {
        let data: Vec<&GridRow> = grid.iter().collect();
        let roles = resolve_roles(&roles, &data);
        let name_col = roles.iter().position(|r| *r == Some(Role::Name))?;
        if !cookie_context && !names_look_like_cookies(&data, name_col, false) {
            return None;
        }
        return Some(read_rows(
            &data,
            &roles,
            &labels,
            &ctx_values,
            Origin {
                url,
                table: index,
                row: 0,
                shape: DeclarationShape::Table,
            },
        ));
    }
    if cookie_context {
        return read_headerless(&grid, &ctx_values, url, index);
    }
    None
}

/// The header row: the first of the top rows whose cells name at least two different kinds of
/// column, one of them the cookie's name.
fn find_header(grid: &[GridRow]) -> Option<(usize, Vec<Option<Role>>, Vec<String>)> {
    let last_head = grid.iter().rposition(|r| r.head);
    let search = HEADER_SEARCH_ROWS.max(last_head.map_or(0, |i| i + 1));
    for (i, row) in grid.iter().enumerate().take(search) {
        if row.section.is_some() {
            continue;
        }
        let texts: Vec<String> = row.cells.iter().map(|c| one_line(&c.text)).collect();
        if texts.iter().any(|t| word_count(t) > 8) {
            continue;
        }
        // Header cells are short labels; keywords are only trusted in those.
        let roles: Vec<Option<Role>> = texts
            .iter()
            .map(|t| {
                if word_count(t) <= 4 && !t.ends_with('.') {
                    classify(t)
                } else {
                    classify_exact(t)
                }
            })
            .collect();
        let mut distinct: Vec<Role> = roles.iter().flatten().copied().collect();
        distinct.sort_by_key(|r| *r as u8);
        distinct.dedup();
        let has_name = distinct.contains(&Role::Name) || distinct.contains(&Role::Cookie);
        let marked = row.head
            || row
                .cells
                .iter()
                .all(|c| c.header || c.bold || c.text.is_empty());
        // Plain-text header rows must be unambiguous: most cells map exactly.
        let exact = texts.iter().filter(|t| classify_exact(t).is_some()).count();
        let non_empty = texts.iter().filter(|t| !t.is_empty()).count();
        if has_name && distinct.len() >= 2 && (marked || exact * 2 >= non_empty) {
            return Some((i, roles, texts));
        }
    }
    None
}

/// Decides the name column and what "Cookie" and "Type" columns mean (NOTES: with both a
/// Cookie and a Name column, Name is the name and Cookie the provider or group; Type by values).
pub(super) fn resolve_roles_with(
    roles: &[Option<Role>],
    column_values: impl Fn(usize) -> Vec<String>,
) -> Vec<Option<Role>> {
    let mut out: Vec<Option<Role>> = roles.to_vec();
    for (i, role) in out.iter_mut().enumerate() {
        if *role == Some(Role::Type) {
            let values = column_values(i);
            *role = Some(resolve_type(values.iter().map(String::as_str)));
        }
    }
    let has = |out: &[Option<Role>], r: Role| out.contains(&Some(r));
    let first_name = out.iter().position(|r| *r == Some(Role::Name));
    let first_cookie = out.iter().position(|r| *r == Some(Role::Cookie));
    let name_col = match (first_name, first_cookie) {
        // NOTES: with both, Name holds the names and Cookie the provider — unless the values
        // say the opposite ("Name: Google Analytics | Cookie: _ga").
        (Some(n), Some(c)) => {
            let (name_share, cookie_share) = (
                token_share(&column_values(n)),
                token_share(&column_values(c)),
            );
            if cookie_share >= 0.8 && name_share < 0.5 {
                Some(c)
            } else {
                Some(n)
            }
        }
        (n, c) => n.or(c),
    };
    let Some(name_col) = name_col else {
        return out;
    };
    for i in 0..out.len() {
        if i == name_col {
            out[i] = Some(Role::Name);
        } else if matches!(out[i], Some(Role::Name) | Some(Role::Cookie)) {
            // The other name-like column describes the cookie's provider or group.
            out[i] = if !has(&out, Role::Provider) {
                Some(Role::Provider)
            } else if !has(&out, Role::Category) {
                Some(Role::Category)
            } else {
                None
            };
        }
    }
    out
}

/// Share of values that read as cookie names rather than descriptions.
fn token_share(values: &[String]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let tokens = values
        .iter()
        .filter(|v| {
            let cell = read_name_cell(v);
            !cell.names.is_empty() && cell.names.iter().all(|n| !n.suspicious)
        })
        .count();
    tokens as f64 / values.len() as f64
}

fn resolve_roles(roles: &[Option<Role>], data: &[&GridRow]) -> Vec<Option<Role>> {
    resolve_roles_with(roles, |i| {
        data.iter()
            .filter_map(|r| r.cells.get(i))
            .map(|c| one_line(&c.text))
            .filter(|t| !t.is_empty())
            .take(SAMPLE_ROWS)
            .collect()
    })
}

/// Whether the name column holds what look like cookie names: single tokens in at least half of
/// its cells — a "Name | Description" table of services does not. `strongly` asks for names no
/// ordinary word looks like (`_ga`, `NID`, `ARRAffinity`): enough on their own, with no cookie
/// heading or expiry column around.
fn names_look_like_cookies(data: &[&GridRow], name_col: usize, strongly: bool) -> bool {
    let mut total = 0;
    let mut tokens = 0;
    for row in data.iter().take(SAMPLE_ROWS) {
        let Some(cell) = row.cells.get(name_col) else {
            continue;
        };
        if cell.text.trim().is_empty() {
            continue;
        }
        total += 1;
        let cell = read_name_cell(&cell.text);
        let ok = !cell.names.is_empty()
            && cell.names.iter().all(|n| {
                !n.suspicious
                    && (!strongly
                        || (crate::names::strongly_name_like(&n.name)
                            && !lexicon::is_not_a_cookie(&n.name)))
            });
        if ok {
            tokens += 1;
        }
    }
    total > 0 && tokens * 2 >= total
}

/// Reads data rows under resolved column roles.
fn read_rows(
    data: &[&GridRow],
    roles: &[Option<Role>],
    header_texts: &[String],
    ctx: &Values,
    mut origin: Origin<'_>,
) -> TableRead {
    let mut read = TableRead::default();
    let Some(name_col) = roles.iter().position(|r| *r == Some(Role::Name)) else {
        return read;
    };
    let strip = repeated_labels(data, header_texts);
    let has_expiry_column = roles
        .iter()
        .any(|r| matches!(r, Some(Role::Expiry | Role::Persistence)));
    let mut section = Values::default();
    // Group cells left of the name column apply to the rows below until the next one.
    let mut groups: Vec<Option<String>> = vec![None; roles.len()];
    let mut row_no = 0u32;
    for row in data {
        let lone_title = (row.single && roles.len() >= 3)
            .then(|| row.cells.first().map(|c| one_line(&c.text)))
            .flatten()
            .filter(|t| t.contains(' ') && !crate::names::is_sentence(t));
        if let Some(title) = row.section.as_ref().or(lone_title.as_ref()) {
            if !is_header_repeat(row, header_texts) {
                section = Values::default();
                apply_title(&mut section, title);
                groups.iter_mut().for_each(|g| *g = None);
            }
            continue;
        }
        if is_header_repeat(row, header_texts) {
            continue;
        }
        let text_at = |c: usize| -> String {
            let Some(cell) = row.cells.get(c) else {
                return String::new();
            };
            match &strip[c] {
                Some(label) => strip_label(&cell.text, label).to_string(),
                None => cell.text.clone(),
            }
        };
        if row.cells.iter().all(|c| c.text.trim().is_empty()) {
            continue;
        }
        origin.row = row_no;
        row_no += 1;
        let mut values = Values::default();
        for (c, role) in roles.iter().enumerate() {
            let Some(role) = role else { continue };
            if c == name_col {
                continue;
            }
            let mut text = text_at(c);
            if c < name_col {
                if text.trim().is_empty() {
                    text = groups[c].clone().unwrap_or_default();
                } else {
                    groups[c] = Some(text.clone());
                }
            }
            values.set(*role, &text);
        }
        let name_text = text_at(name_col);
        let names = read_name_cell(&name_text);
        for line in &names.dropped {
            read.warnings
                .push(dropped_warning(&origin, "not read as a cookie name:", line));
        }
        if names.names.is_empty() {
            continue;
        }
        let mut values = values.or(&section).or(ctx);
        if !has_expiry_column {
            values.expiry_from_purpose();
        }
        declare(
            &names,
            &values,
            &origin,
            &mut read.cookies,
            &mut read.warnings,
        );
    }
    read
}

/// Responsive tables repeat the column label inside each cell ("Name _ga", "Expiry: 2 years"),
/// often hidden by CSS. A column's label is stripped when most of its cells start with it.
fn repeated_labels(data: &[&GridRow], header_texts: &[String]) -> Vec<Option<String>> {
    let width = header_texts
        .len()
        .max(data.iter().map(|r| r.cells.len()).max().unwrap_or(0));
    (0..width)
        .map(|c| {
            let mut candidates: Vec<String> = Vec::new();
            if let Some(h) = header_texts.get(c).filter(|h| !h.is_empty()) {
                candidates.push(h.clone());
            }
            if let Some(l) = data
                .iter()
                .find_map(|r| r.cells.get(c).and_then(|cell| cell.label.clone()))
            {
                candidates.push(l);
            }
            candidates.into_iter().find(|label| {
                let mut total = 0;
                let mut starts = 0;
                for row in data.iter().take(SAMPLE_ROWS) {
                    let Some(cell) = row.cells.get(c) else {
                        continue;
                    };
                    if cell.text.trim().is_empty() {
                        continue;
                    }
                    total += 1;
                    if strip_label(&cell.text, label).len() < cell.text.len() {
                        starts += 1;
                    }
                }
                total > 0 && starts * 2 > total
            })
        })
        .collect()
}

/// `text` without a leading `label` followed by a colon, a line break or a space.
fn strip_label<'a>(text: &'a str, label: &str) -> &'a str {
    let t = text.trim_start();
    if t.len() <= label.len() || !t.is_char_boundary(label.len()) {
        return text;
    }
    let (head, rest) = t.split_at(label.len());
    if !head.eq_ignore_ascii_case(label) {
        return text;
    }
    let rest_trimmed = rest.trim_start_matches([':', ' ', '\n', '-', '–']);
    if rest_trimmed.len() == rest.len() || rest_trimmed.trim().is_empty() {
        return text;
    }
    rest_trimmed
}

fn is_header_repeat(row: &GridRow, header_texts: &[String]) -> bool {
    if header_texts.is_empty() {
        return false;
    }
    let mut same = 0;
    let mut non_empty = 0;
    for (c, cell) in row.cells.iter().enumerate() {
        let t = cell.text.trim();
        if t.is_empty() {
            continue;
        }
        non_empty += 1;
        let same_text = header_texts.get(c).is_some_and(|h| {
            (h.len() == t.len() && h.eq_ignore_ascii_case(t))
                || (t.len() < h.len() + 8 && one_line(t).eq_ignore_ascii_case(h))
        });
        if same_text {
            same += 1;
        }
    }
    non_empty > 0 && same * 2 > non_empty
}

/// A title above rows (caption, section row, heading) says which category or provider they
/// belong to.
pub(crate) fn apply_title(values: &mut Values, title: &str) {
    if normalise_label(title).is_empty() || word_count(title) > 8 {
        return;
    }
    // "Google Analytics" names a vendor even though "analytics" is also a category word; what
    // is left once the vendor is taken out ("… cookies") may still name a category.
    let vendor = crate::prose::vendor_in(title);
    let rest = match &vendor {
        Some(v) => title.replacen(v.as_str(), " ", 1),
        None => title.to_string(),
    };
    let rest = normalise_label(&rest);
    if lexicon::is_category(&rest) {
        values.category = crate::fields::clean_category(Some(title));
    }
    // The title is the vendor's section ("Google Analytics", "Cookies set by Hotjar"), not a
    // sentence that names one in passing ("Cookies we use, including Google Analytics"): only
    // then does it say who sets the cookies below.
    if let Some(vendor) = vendor
        && rest.split(' ').all(|w| {
            // A count beside the vendor ("Cookiebot 1" in a consent dialog) is no word.
            w.is_empty()
                || w.chars().all(|c| c.is_ascii_digit())
                || TITLE_FILLER.contains(&w)
                || lexicon::is_category(w)
        })
    {
        values.provider = Some(vendor);
    }
}

/// Words a vendor's section title may have besides the vendor's name.
const TITLE_FILLER: &[&str] = &[
    "cookie", "cookies", "set", "by", "from", "the", "our", "used", "and", "s",
];

/// Every row starts with a `<th>` and has no other.
fn row_headed(grid: &[GridRow]) -> bool {
    let rows: Vec<&GridRow> = grid
        .iter()
        .filter(|r| r.cells.iter().any(|c| !c.text.trim().is_empty()))
        .collect();
    rows.len() >= 2
        && rows.iter().all(|r| {
            r.cells.first().is_some_and(|c| c.header) && r.cells.iter().skip(1).all(|c| !c.header)
        })
}

/// Key/value tables: each row a field (`Name | _ga`, `Purpose | …`), a new "Name" row starting
/// the next cookie; with more than two columns, each further column is another cookie.
fn read_key_value(grid: &[GridRow], ctx: &Values, url: &str, index: u32) -> Option<TableRead> {
    let (width, name_role) = key_value_layout(grid)?;
    let mut read = TableRead::default();
    let mut records: Vec<(String, Values)> = Vec::new();
    let mut record_no = 0u32;
    let flush = |records: &mut Vec<(String, Values)>, read: &mut TableRead, record_no: &mut u32| {
        for (name_text, values) in records.drain(..) {
            let origin = Origin {
                url,
                table: index,
                row: *record_no,
                shape: DeclarationShape::KeyValue,
            };
            *record_no += 1;
            let names: NameCell = read_name_cell(&name_text);
            for line in &names.dropped {
                read.warnings
                    .push(dropped_warning(&origin, "not read as a cookie name:", line));
            }
            let values = values.or(ctx);
            declare(
                &names,
                &values,
                &origin,
                &mut read.cookies,
                &mut read.warnings,
            );
        }
    };
    let mut types: Vec<(usize, String)> = Vec::new();
    for row in grid {
        let Some(first) = row.cells.first() else {
            continue;
        };
        let Some(mut role) = classify(&first.text) else {
            continue;
        };
        if role == name_role {
            flush(&mut records, &mut read, &mut record_no);
            for c in 1..width {
                let text = row.cells.get(c).map(|c| c.text.clone()).unwrap_or_default();
                records.push((text, Values::default()));
            }
            continue;
        }
        if role == Role::Cookie {
            role = Role::Provider;
        }
        for (k, record) in records.iter_mut().enumerate() {
            let text = row
                .cells
                .get(k + 1)
                .map(|c| c.text.clone())
                .unwrap_or_default();
            if role == Role::Type {
                types.push((k, text));
                continue;
            }
            record.1.set(role, &text);
        }
        // A Type row reads like its values say.
        if role == Role::Type {
            let resolved = resolve_type(types.iter().map(|(_, t)| t.as_str()));
            for (k, text) in types.drain(..) {
                if let Some(record) = records.get_mut(k) {
                    record.1.set(resolved, &text);
                }
            }
        }
    }
    flush(&mut records, &mut read, &mut record_no);
    Some(read)
}

/// Whether the table is one row per field: most rows start with a label, one of them the
/// name's. Gives the table's width and which label names the cookie ("Name" if present, else
/// "Cookie").
fn key_value_layout(grid: &[GridRow]) -> Option<(usize, Role)> {
    let mut keyed = 0;
    let mut has_name = false;
    let mut non_empty = 0;
    for row in grid {
        let Some(first) = row.cells.first() else {
            continue;
        };
        if row.cells.iter().all(|c| c.text.trim().is_empty()) {
            continue;
        }
        non_empty += 1;
        if let Some(role) = classify(&first.text) {
            keyed += 1;
            has_name |= matches!(role, Role::Name | Role::Cookie);
        }
    }
    if !has_name || keyed < 2 || keyed * 10 < non_empty * 6 {
        return None;
    }
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    if width < 2 {
        return None;
    }
    let name_role = if grid
        .iter()
        .any(|r| r.cells.first().and_then(|c| classify(&c.text)) == Some(Role::Name))
    {
        Role::Name
    } else {
        Role::Cookie
    };
    Some((width, name_role))
}

/// Responsive tables without a header row, whose cells carry `data-label`.
fn labels_as_header(grid: &[GridRow]) -> Option<(Vec<Option<Role>>, Vec<String>)> {
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let labels: Vec<String> = (0..width)
        .map(|c| {
            grid.iter()
                .find_map(|r| r.cells.get(c).and_then(|cell| cell.label.clone()))
                .unwrap_or_default()
        })
        .collect();
    let roles: Vec<Option<Role>> = labels.iter().map(|l| classify(l)).collect();
    let has_name = roles
        .iter()
        .any(|r| matches!(r, Some(Role::Name) | Some(Role::Cookie)));
    (has_name && roles.iter().flatten().count() >= 2).then_some((roles, labels))
}

/// A table with no header in a cookie section: the name column is the one whose cells are
/// nearly all single tokens, expiry and domain columns are recognised by their values, and the
/// wordiest remaining column is the purpose.
fn read_headerless(grid: &[GridRow], ctx: &Values, url: &str, index: u32) -> Option<TableRead> {
    let mut rows: Vec<&GridRow> = grid.iter().filter(|r| r.section.is_none()).collect();
    let labelled = unknown_name_header(&mut rows);
    // One row alone is a declaration only when its name is one no ordinary word looks like.
    let lone_name = rows.len() == 1
        && rows[0].cells.first().is_some_and(|c| {
            let cell = read_name_cell(&c.text);
            cell.names.len() == 1 && crate::names::strongly_name_like(&cell.names[0].name)
        });
    if (rows.len() < 2 && labelled.is_empty() && !lone_name) || rows.is_empty() {
        return None;
    }
    let roles = guess_roles(&rows, &labelled)?;
    let roles = resolve_roles(&roles, &rows);
    if roles.iter().flatten().count() < 2 {
        return None;
    }
    let mut read = read_rows(
        &rows,
        &roles,
        &[],
        ctx,
        Origin {
            url,
            table: index,
            row: 0,
            shape: DeclarationShape::Table,
        },
    );
    read.warnings
        .push("no header row; columns recognised from their content".to_string());
    Some(read)
}

/// A header row whose name column has a label we do not know ("Title | Description |
/// Expiry"): its known labels name their columns, and it is not a row of data (it is removed
/// from `rows`).
fn unknown_name_header(rows: &mut Vec<&GridRow>) -> Vec<Option<Role>> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let roles: Vec<Option<Role>> = first
        .cells
        .iter()
        .map(|c| {
            let t = one_line(&c.text);
            (word_count(&t) <= 4).then(|| classify(&t)).flatten()
        })
        .collect();
    let short = first.cells.iter().all(|c| word_count(&c.text) <= 4);
    if short && roles.iter().flatten().count() >= 2 {
        rows.remove(0);
        return roles;
    }
    Vec::new()
}

/// Share of the non-empty values that pass `test`.
fn share(values: &[String], test: impl Fn(&str) -> bool) -> f64 {
    let non_empty: Vec<&String> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    if non_empty.is_empty() {
        return 0.0;
    }
    non_empty.iter().filter(|v| test(v)).count() as f64 / non_empty.len() as f64
}

/// Columns recognised by their content: the name column (nearly all code-like tokens), expiry
/// and domain columns by their values, the wordiest other column as the purpose, and beside it
/// columns of short names as the provider (or category); labels a header row did have win.
fn guess_roles(rows: &[&GridRow], labelled: &[Option<Role>]) -> Option<Vec<Option<Role>>> {
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    if width < 2 {
        return None;
    }
    let column = |c: usize| -> Vec<String> {
        rows.iter()
            .map(|r| r.cells.get(c).map(|x| x.text.clone()).unwrap_or_default())
            .collect()
    };
    let is_token = |v: &str| {
        let cell = read_name_cell(v);
        !cell.names.is_empty()
            && cell.names.iter().all(|n| !n.suspicious)
            && cell
                .names
                .iter()
                .any(|n| crate::names::identifier_like(&n.name))
    };
    let is_expiry = |v: &str| {
        word_count(v) <= 8
            && cookie_audit_model::expiry::parse_expiry_text(v)
                .session
                .is_some()
    };
    let is_domain = |v: &str| {
        let t = v.trim();
        !t.contains(' ')
            && t.contains('.')
            && t.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
    };
    let name_col = (0..width)
        .filter(|&c| labelled.get(c).copied().flatten().is_none())
        .find(|&c| share(&column(c), is_token) >= 0.8)?;
    let mut roles: Vec<Option<Role>> = vec![None; width];
    roles[name_col] = Some(Role::Name);
    let mut best_purpose: Option<(usize, f64)> = None;
    for (c, role) in roles.iter_mut().enumerate() {
        if c == name_col {
            continue;
        }
        let values = column(c);
        if share(&values, is_expiry) >= 0.6 {
            *role = Some(Role::Expiry);
        } else if share(&values, is_domain) >= 0.6 {
            *role = Some(Role::Domain);
        } else {
            let words: usize = values.iter().map(|v| word_count(v)).sum();
            let avg = words as f64 / values.len().max(1) as f64;
            if avg >= 4.0 && best_purpose.is_none_or(|(_, a)| avg > a) {
                best_purpose = Some((c, avg));
            }
        }
    }
    if let Some((c, _)) = best_purpose {
        roles[c] = Some(Role::Purpose);
        short_name_columns(&mut roles, column);
    }
    for (c, role) in labelled.iter().enumerate() {
        if let Some(role) = role
            && c != name_col
            && c < roles.len()
        {
            roles[c] = Some(*role);
        }
    }
    Some(roles)
}

/// Beside a purpose, a column of short names is who sets the cookie, or its category when its
/// values are category words.
fn short_name_columns(roles: &mut [Option<Role>], column: impl Fn(usize) -> Vec<String>) {
    for (c, role) in roles.iter_mut().enumerate() {
        if role.is_some() {
            continue;
        }
        let values = column(c);
        let short = values
            .iter()
            .all(|v| word_count(v) <= 3 && !crate::names::is_sentence(v) && !v.contains('\n'));
        if short && values.iter().any(|v| !v.trim().is_empty()) {
            let categories = values
                .iter()
                .all(|v| v.trim().is_empty() || lexicon::is_category(&normalise_label(v)));
            *role = Some(if categories {
                Role::Category
            } else {
                Role::Provider
            });
        }
    }
}
