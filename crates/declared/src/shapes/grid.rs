//! Laying a table's rows out on a grid: rowspans repeat a cell on the rows it covers,
//! colspans keep their text in their first column, and a row that is one cell spanning
//! several columns is a section title.

use crate::dom::Row;
use crate::text::one_line;

/// A cell after rowspans and colspans are laid out.
#[derive(Debug, Clone, Default)]
pub(super) struct GridCell {
    pub text: String,
    pub header: bool,
    pub bold: bool,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct GridRow {
    pub cells: Vec<GridCell>,
    pub head: bool,
    /// The row is one cell spanning several columns: a section title.
    pub section: Option<String>,
    /// The row had a single cell.
    pub single: bool,
}

/// Widest grid we lay out; wider tables keep their first columns.
pub(super) const MAX_COLUMNS: usize = 64;

/// Lays rowspans and colspans out on a grid. A rowspanned cell is repeated on the rows it covers;
/// a colspanned cell keeps its text in its first column.
pub(super) fn layout(rows: &[Row]) -> Vec<GridRow> {
    let mut grid = Vec::with_capacity(rows.len());
    // Per column: rows still covered by a rowspan above, and the text it carries.
    let mut pending: Vec<Option<(u32, GridCell)>> = Vec::new();
    for row in rows {
        let mut out: Vec<GridCell> = Vec::new();
        let mut col = 0usize;
        let mut cells = row.cells.iter();
        let non_empty = row.cells.iter().filter(|c| !c.text.is_empty()).count();
        let section = (row.cells.len() == 1 && row.cells[0].colspan > 1 && non_empty == 1)
            .then(|| one_line(&row.cells[0].text));
        loop {
            while col < MAX_COLUMNS
                && let Some(Some((left, cell))) = pending.get_mut(col)
            {
                set(&mut out, col, cell.clone());
                *left -= 1;
                if *left == 0 {
                    pending[col] = None;
                }
                col += 1;
            }
            let Some(cell) = cells.next() else { break };
            if col >= MAX_COLUMNS {
                continue;
            }
            let g = GridCell {
                text: cell.text.clone(),
                header: cell.header,
                bold: cell.bold,
                label: cell.label.clone(),
            };
            let span = (cell.colspan as usize).clamp(1, MAX_COLUMNS - col);
            // rowspan=0 covers the rest of the table section.
            let down = if cell.rowspan == 0 {
                u32::MAX
            } else {
                cell.rowspan
            };
            for c in col..col + span {
                let placed = if c == col {
                    g.clone()
                } else {
                    GridCell::default()
                };
                if down > 1 && section.is_none() {
                    if pending.len() <= c {
                        pending.resize(c + 1, None);
                    }
                    pending[c] = Some((down - 1, placed.clone()));
                }
                set(&mut out, c, placed);
            }
            col += span;
        }
        // Columns to the right still covered by rowspans from above.
        while col < pending.len().min(MAX_COLUMNS) {
            if let Some((left, cell)) = pending[col].as_mut() {
                set(&mut out, col, cell.clone());
                *left -= 1;
                if *left == 0 {
                    pending[col] = None;
                }
            }
            col += 1;
        }
        grid.push(GridRow {
            cells: out,
            head: row.head,
            section,
            single: row.cells.len() == 1,
        });
    }
    grid
}

fn set(out: &mut Vec<GridCell>, col: usize, cell: GridCell) {
    if out.len() <= col {
        out.resize(col + 1, GridCell::default());
    }
    out[col] = cell;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dom::Cell;

    fn cell(text: &str, colspan: u32, rowspan: u32) -> Cell {
        Cell {
            text: text.to_string(),
            colspan,
            rowspan,
            ..Cell::default()
        }
    }

    fn texts(grid: &[GridRow]) -> Vec<Vec<&str>> {
        grid.iter()
            .map(|r| r.cells.iter().map(|c| c.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn rowspans_repeat_and_colspans_keep_their_first_column() {
        let rows = vec![
            Row {
                cells: vec![cell("G", 1, 2), cell("a", 1, 1), cell("x", 1, 1)],
                head: false,
            },
            Row {
                cells: vec![cell("b", 1, 1), cell("y", 1, 1)],
                head: false,
            },
            Row {
                cells: vec![cell("Section", 3, 1)],
                head: false,
            },
            Row {
                cells: vec![cell("H", 1, 0), cell("c", 2, 1)],
                head: false,
            },
            Row {
                cells: vec![cell("d", 1, 1), cell("z", 1, 1)],
                head: false,
            },
        ];
        let grid = layout(&rows);
        assert_eq!(
            texts(&grid),
            [
                vec!["G", "a", "x"],
                vec!["G", "b", "y"],
                vec!["Section", "", ""],
                vec!["H", "c", ""],
                vec!["H", "d", "z"],
            ]
        );
        assert_eq!(grid[2].section.as_deref(), Some("Section"));
    }
}
