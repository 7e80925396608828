//! Flattened tables: a CMS (or a copy-paste) turned every cell into its own paragraph, so the
//! page reads "Cookie / Name / Purpose / Expiry period" and then each cell in turn. A cell may
//! run over several paragraphs (NOTES), and an empty cell may be an empty paragraph or nothing
//! at all, so rows cannot be counted off. Instead a dynamic programme chooses how the paragraphs
//! after the header split into rows: each column scores how well a stretch of paragraphs fits
//! it (a name is one token, an expiry parses as one, a purpose is prose), and the best-scoring
//! split wins. It stops where paragraphs stop fitting, so prose after the table is left alone.

use cookie_audit_model::expiry::parse_expiry_text;
use cookie_audit_model::{DeclarationShape, DeclaredCookie};

use crate::dom::{Block, BlockKind};
use crate::fields::{Origin, Values, declare, dropped_warning};
use crate::headers::{Role, classify_exact, resolve_type};
use crate::names::{identifier_like, read_name_cell};
use crate::text::word_count;

use super::table::resolve_roles_with;

/// One line of a block: the unit the programme places into cells.
#[derive(Debug, Clone)]
pub(crate) struct Unit<'a> {
    pub block: usize,
    pub text: &'a str,
    pub heading: bool,
}

impl Unit<'_> {
    fn empty(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Lines of the blocks not yet consumed, in order.
pub(crate) fn units<'a>(blocks: &'a [Block], consumed: &[bool]) -> Vec<Unit<'a>> {
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        if consumed[i] || block.nav || block.chrome {
            continue;
        }
        let heading = block.kind.is_heading_like();
        if block.text.is_empty() {
            out.push(Unit {
                block: i,
                text: "",
                heading,
            });
            continue;
        }
        for line in block.text.split('\n') {
            out.push(Unit {
                block: i,
                text: line,
                heading,
            });
        }
    }
    out
}

/// A flattened table found on the page.
#[derive(Debug)]
pub(crate) struct Flattened {
    /// First block of the header.
    pub start_block: usize,
    /// Every block it used.
    pub blocks: Vec<usize>,
    pub cookies: Vec<DeclaredCookie>,
    pub warnings: Vec<String>,
}

/// Paragraphs read after a flattened header: far more than any real table, and a bound on the
/// programme's memory.
const MAX_REGION_UNITS: usize = 60_000;
/// Columns a flattened header may have.
const MAX_COLUMNS: usize = 12;
/// Longest run of paragraphs one purpose cell may take.
const MAX_PURPOSE_UNITS: usize = 8;
/// Score for each completed row, so more fitting rows beat fewer.
const ROW_BONUS: f64 = 1.0;
/// A cell left out entirely (no empty paragraph for it).
const MISSING_CELL: f64 = -1.5;
/// A stray empty paragraph between rows.
const STRAY_EMPTY: f64 = -0.25;

/// Finds every flattened table among the units.
pub(crate) fn find(units: &[Unit<'_>], blocks: &[Block], url: &str) -> Vec<Flattened> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let Some((roles, header_len)) = header_run(units, blocks, i) else {
            i += 1;
            continue;
        };
        let region_start = i + header_len;
        let table = blocks[units[i].block].table;
        let mut region_end = region_start;
        while region_end < units.len()
            && region_end - region_start < MAX_REGION_UNITS
            && !units[region_end].heading
            && blocks[units[region_end].block].table == table
        {
            region_end += 1;
        }
        let region = &units[region_start..region_end];
        let rows = split_rows(region, &roles);
        if rows.is_empty() {
            i += 1;
            continue;
        }
        let mut flat = Flattened {
            start_block: units[i].block,
            blocks: units[i..region_start].iter().map(|u| u.block).collect(),
            cookies: Vec::new(),
            warnings: Vec::new(),
        };
        read_rows(region, &rows, &roles, url, &mut flat);
        let used_end = rows.last().map_or(region_start, |r| region_start + r.end);
        flat.blocks.dedup();
        i = used_end.max(i + 1);
        found.push(flat);
    }
    found
}

/// A run of two or more short paragraphs that are all header labels, one of them the name.
fn header_run(units: &[Unit<'_>], blocks: &[Block], at: usize) -> Option<(Vec<Role>, usize)> {
    let mut roles = Vec::new();
    let mut texts = Vec::new();
    let mut j = at;
    while j < units.len() && roles.len() < MAX_COLUMNS {
        let u = &units[j];
        // Cells of a table that was not read as a cookie table are not a flattened one.
        if u.text.len() > 48
            || u.heading
            || u.empty()
            || word_count(u.text) > 4
            // "Name:" is a label; "Name: _ga" is a record, not a header.
            || u.text.trim_end().trim_end_matches(':').contains(':')
            || blocks[u.block].kind == BlockKind::Cell
        {
            break;
        }
        // A one-line block was classified when it was read.
        let block = &blocks[u.block];
        let role = if block.text.len() == u.text.len() {
            block.label
        } else {
            classify_exact(u.text)
        };
        let Some(role) = role else {
            break;
        };
        roles.push(role);
        texts.push(u.text.to_lowercase());
        j += 1;
    }
    let has_name = roles.iter().any(|r| matches!(r, Role::Name | Role::Cookie));
    let others = roles
        .iter()
        .filter(|r| !matches!(r, Role::Name | Role::Cookie | Role::Party))
        .count();
    if roles.len() < 2 || !has_name || others == 0 {
        return None;
    }
    let context =
        blocks[units[at].block].cookie_context || texts.iter().any(|t| t.contains("cookie"));
    if !context {
        return None;
    }
    // Name/Cookie precedence now; a Type column is decided by its values once rows are known.
    let prelim: Vec<Option<Role>> = roles.iter().copied().map(Some).collect();
    let resolved = resolve_roles_with(&prelim, |_| Vec::new());
    let roles = resolved
        .into_iter()
        .zip(&roles)
        .map(|(r, original)| {
            if *original == Role::Type {
                Role::Type
            } else {
                r.unwrap_or(Role::Party)
            }
        })
        .collect();
    Some((roles, j - at))
}

/// What the programme asks of a unit, worked out once per unit rather than per state.
#[derive(Debug, Clone, Copy)]
struct Feat {
    empty: bool,
    words: usize,
    expiry_like: bool,
    identifier: bool,
    domain_like: bool,
    /// The unit's score as a name cell.
    name: f64,
}

impl Feat {
    fn of(unit: &Unit<'_>) -> Feat {
        let text = unit.text;
        let words = word_count(text);
        let name = if unit.empty() {
            f64::NEG_INFINITY
        } else {
            let names = read_name_cell(text);
            if names.names.is_empty() {
                f64::NEG_INFINITY
            } else if names.names.iter().all(|n| n.suspicious) {
                -5.0
            } else if names.names.iter().all(|n| identifier_like(&n.name)) {
                6.0
            } else {
                4.0
            }
        };
        Feat {
            empty: unit.empty(),
            words,
            expiry_like: !unit.empty() && expiry_like(text),
            identifier: words == 1 && identifier_like(text),
            domain_like: text.contains('.') && !text.contains(' '),
            name,
        }
    }
}

/// A row: for each column, the units (relative to the region) it took, if any.
#[derive(Debug, Clone)]
struct FlatRow {
    cells: Vec<Option<(usize, usize)>>,
    end: usize,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Cell { col: usize, span: usize },
    Missing { col: usize },
    Stray,
    NewRow,
}

fn split_rows(region: &[Unit<'_>], roles: &[Role]) -> Vec<FlatRow> {
    let feats: Vec<Feat> = region.iter().map(Feat::of).collect();
    let Some(name_col) = roles.iter().position(|r| *r == Role::Name) else {
        return Vec::new();
    };
    let table = Programme::fill(&feats, roles, name_col);
    let Some(end) = table.best_end() else {
        return Vec::new();
    };
    rows_of(&table.steps_to(end), roles.len())
}

/// The dynamic programme over (units read, next column): the best score of each state and the
/// step that reached it. Column `n` (one past the last) means a row was just completed.
struct Programme {
    width: usize,
    units: usize,
    score: Vec<f64>,
    back: Vec<Option<(usize, Step)>>,
}

impl Programme {
    fn idx(&self, i: usize, c: usize) -> usize {
        i * self.width + c
    }

    fn relax(&mut self, from: usize, to: usize, add: f64, step: Step) {
        let s = self.score[from] + add;
        if s > self.score[to] {
            self.score[to] = s;
            self.back[to] = Some((from, step));
        }
    }

    fn fill(feats: &[Feat], roles: &[Role], name_col: usize) -> Programme {
        let n = roles.len();
        let m = feats.len();
        let width = n + 1;
        let mut p = Programme {
            width,
            units: m,
            score: vec![f64::NEG_INFINITY; (m + 1) * width],
            back: vec![None; (m + 1) * width],
        };
        p.score[0] = 0.0;
        // Columns right of the name first: a row may start with the cells left of it.
        let cols: Vec<usize> = (name_col + 1..n)
            .chain(std::iter::once(n))
            .chain(0..=name_col)
            .collect();
        for i in 0..=m {
            for &c in &cols {
                let here = p.idx(i, c);
                if p.score[here] == f64::NEG_INFINITY {
                    continue;
                }
                if c == n {
                    let to = p.idx(i, 0);
                    p.relax(here, to, 0.0, Step::NewRow);
                    continue;
                }
                p.steps_from(feats, roles, name_col, i, c);
            }
        }
        p
    }

    /// Every step out of state (`i`, `c`): a stray empty paragraph, a cell of one or more
    /// units, or the cell left out.
    fn steps_from(&mut self, feats: &[Feat], roles: &[Role], name_col: usize, i: usize, c: usize) {
        let n = roles.len();
        let m = feats.len();
        let here = self.idx(i, c);
        if c == 0 && i < m && feats[i].empty {
            let to = self.idx(i + 1, 0);
            self.relax(here, to, STRAY_EMPTY, Step::Stray);
        }
        let role = roles[c];
        let row_bonus = if c + 1 == n { ROW_BONUS } else { 0.0 };
        let max_span = if role == Role::Purpose {
            MAX_PURPOSE_UNITS
        } else {
            1
        };
        for span in 1..=max_span {
            if i + span > m {
                break;
            }
            let cell = &feats[i..i + span];
            if span > 1 && cell.iter().any(|f| f.empty) {
                break;
            }
            let fit = fit(role, cell);
            if fit == f64::NEG_INFINITY {
                continue;
            }
            let to = self.idx(i + span, c + 1);
            self.relax(here, to, fit + row_bonus, Step::Cell { col: c, span });
        }
        if c != name_col {
            let to = self.idx(i, c + 1);
            self.relax(here, to, MISSING_CELL + row_bonus, Step::Missing { col: c });
        }
    }

    /// The best place to stop: after a complete row.
    fn best_end(&self) -> Option<usize> {
        let n = self.width - 1;
        let mut best: Option<(usize, f64)> = None;
        for i in 1..=self.units {
            let s = self.score[self.idx(i, n)];
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((i, s));
            }
        }
        best.map(|(i, _)| i)
    }

    /// The steps of the best path to `end`, in order, each with the unit it started at.
    fn steps_to(&self, end: usize) -> Vec<(usize, Step)> {
        let mut steps = Vec::new();
        let mut at = self.idx(end, self.width - 1);
        while let Some((from, step)) = self.back[at] {
            steps.push((from / self.width, step));
            at = from;
        }
        steps.reverse();
        steps
    }
}

/// Rows from the programme's steps.
fn rows_of(steps: &[(usize, Step)], n: usize) -> Vec<FlatRow> {
    let empty = || FlatRow {
        cells: vec![None; n],
        end: 0,
    };
    let mut rows = Vec::new();
    let mut current = empty();
    for &(from_i, step) in steps {
        let (col, end) = match step {
            Step::Cell { col, span } => {
                current.cells[col] = Some((from_i, from_i + span));
                (col, from_i + span)
            }
            Step::Missing { col } => (col, from_i),
            Step::Stray | Step::NewRow => continue,
        };
        if col + 1 == n {
            current.end = end;
            rows.push(std::mem::replace(&mut current, empty()));
        }
    }
    rows
}

fn expiry_like(text: &str) -> bool {
    word_count(text) <= 8 && parse_expiry_text(text).session.is_some()
}

/// How well `cell` fits a column of `role`; `-inf` when it cannot be one.
fn fit(role: Role, cell: &[Feat]) -> f64 {
    let first = &cell[0];
    let words = first.words;
    match role {
        Role::Name => {
            if cell.len() > 1 {
                f64::NEG_INFINITY
            } else {
                first.name
            }
        }
        Role::Type if !first.empty && first.expiry_like => 3.0,
        Role::Expiry | Role::Persistence => {
            if first.empty {
                0.5
            } else if first.expiry_like {
                4.0
            } else if words <= 3 {
                -1.0
            } else {
                -4.0
            }
        }
        Role::Purpose => {
            if cell.len() == 1 && first.empty {
                return 0.0;
            }
            cell.iter()
                .map(|f| {
                    let w = f.words;
                    if w <= 4 && f.expiry_like {
                        -3.0
                    } else if w >= 5 {
                        1.5
                    } else if w >= 2 {
                        0.3
                    } else if f.identifier {
                        -4.0
                    } else {
                        -1.0
                    }
                })
                .sum()
        }
        _ => {
            if first.empty {
                0.0
            } else if words > 8 {
                -3.0
            } else if first.expiry_like && role != Role::Category {
                -1.0
            } else if role == Role::Domain && first.domain_like {
                2.0
            } else if words <= 5 {
                1.0
            } else {
                0.0
            }
        }
    }
}

fn read_rows(
    region: &[Unit<'_>],
    rows: &[FlatRow],
    roles: &[Role],
    url: &str,
    flat: &mut Flattened,
) {
    let text_of = |span: Option<(usize, usize)>| -> String {
        span.map(|(a, b)| {
            region[a..b]
                .iter()
                .map(|u| u.text)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
    };
    // A Type column is decided by what it holds.
    let roles: Vec<Role> = roles
        .iter()
        .enumerate()
        .map(|(c, role)| {
            if *role == Role::Type {
                let values: Vec<String> = rows.iter().map(|r| text_of(r.cells[c])).collect();
                return resolve_type(values.iter().map(String::as_str));
            }
            *role
        })
        .collect();
    let Some(name_col) = roles.iter().position(|r| *r == Role::Name) else {
        return;
    };
    let mut groups: Vec<Option<String>> = vec![None; roles.len()];
    for (row_no, row) in rows.iter().enumerate() {
        for (a, b) in row.cells.iter().flatten() {
            flat.blocks.extend(region[*a..*b].iter().map(|u| u.block));
        }
        let origin = Origin {
            url,
            table: 0,
            row: row_no as u32,
            shape: DeclarationShape::Flattened,
        };
        let mut values = Values::default();
        for (c, role) in roles.iter().enumerate() {
            if c == name_col {
                continue;
            }
            let mut text = text_of(row.cells[c]);
            if c < name_col {
                if text.trim().is_empty() {
                    text = groups[c].clone().unwrap_or_default();
                } else {
                    groups[c] = Some(text.clone());
                }
            }
            values.set(*role, &text);
        }
        let names = read_name_cell(&text_of(row.cells[name_col]));
        for line in &names.dropped {
            flat.warnings
                .push(dropped_warning(&origin, "not read as a cookie name:", line));
        }
        declare(
            &names,
            &values,
            &origin,
            &mut flat.cookies,
            &mut flat.warnings,
        );
    }
}
