//! Turning the rows a reader finds into a [`Table`], the same way for CSV
//! and XLSX: the first non-blank row is the header, blank rows are
//! skipped, every data row is cut or padded to the header's width, and the
//! size limits are enforced as rows arrive, before memory is spent on them.

use crate::Limits;
use crate::cell::Cell;
use crate::error::{Limit, SheetError};
use crate::table::{Row, Table, column_letter};

/// How a reader's rows relate to the header's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Width {
    /// CSV: each record has its own field count, and a count that differs
    /// from the header's is a damaged file (trailing empty fields are fine).
    Counted,
    /// XLSX: rows are as wide as their last value; missing cells are empty.
    /// A value under no header is an error naming its column.
    Sparse,
}

pub(crate) struct GridBuilder<'a> {
    limits: &'a Limits,
    width_rule: Width,
    table: Option<Table>,
    cells: usize,
    /// Non-blank data rows seen, ragged ones included.
    data_rows: usize,
    /// The first ragged row (row, found, expected) and how many more.
    ragged: Option<(usize, usize, usize)>,
    more_ragged: usize,
}

impl<'a> GridBuilder<'a> {
    pub(crate) fn new(limits: &'a Limits, width_rule: Width) -> Self {
        GridBuilder { limits, width_rule, table: None, cells: 0, data_rows: 0, ragged: None, more_ragged: 0 }
    }

    /// The header's width once it has been seen; readers use it to refuse
    /// far-off cells before allocating for them.
    pub(crate) fn width(&self) -> Option<usize> {
        self.table.as_ref().map(|t| t.headers.len())
    }

    /// Adds the row Excel numbers `number`.
    pub(crate) fn push(&mut self, number: usize, mut cells: Vec<Cell>) -> Result<(), SheetError> {
        if cells.iter().all(Cell::is_blank) {
            return Ok(());
        }
        let Some(table) = &mut self.table else {
            let mut headers: Vec<String> = cells.iter().map(|c| c.as_text().unwrap_or_default().into_owned()).collect();
            while headers.last().is_some_and(String::is_empty) {
                headers.pop();
            }
            self.add_cells(headers.len())?;
            self.table = Some(Table { header_row: number, headers, rows: Vec::new() });
            return Ok(());
        };
        let width = table.headers.len();
        self.data_rows += 1;
        if self.data_rows > self.limits.max_rows {
            return Err(SheetError::TooLarge { limit: Limit::Rows, max: self.limits.max_rows as u64 });
        }
        let beyond = cells.iter().skip(width).position(|c| !c.is_blank()).map(|i| width + i);
        match (self.width_rule, beyond) {
            (Width::Counted, _) if beyond.is_some() || cells.len() < width => {
                if self.ragged.is_none() {
                    self.ragged = Some((number, cells.len(), width));
                } else {
                    self.more_ragged += 1;
                }
                return Ok(());
            }
            (Width::Sparse, Some(column)) => {
                return Err(SheetError::NoHeader { row: number, column: column_letter(column) });
            }
            _ => {}
        }
        cells.resize(width, Cell::Empty);
        table.rows.push(Row { number, cells });
        self.add_cells(width)
    }

    fn add_cells(&mut self, n: usize) -> Result<(), SheetError> {
        self.cells += n;
        if self.cells > self.limits.max_cells {
            return Err(SheetError::TooLarge { limit: Limit::Cells, max: self.limits.max_cells as u64 });
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<Table, SheetError> {
        if let Some((row, found, expected)) = self.ragged {
            return Err(SheetError::Ragged { row, found, expected, other_rows: self.more_ragged });
        }
        self.table.filter(|t| !t.headers.is_empty()).ok_or(SheetError::Empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(texts: &[&str]) -> Vec<Cell> {
        texts.iter().map(|t| Cell::from(*t)).collect()
    }

    #[test]
    fn header_is_the_first_non_blank_row_and_blank_rows_keep_numbers() {
        let limits = Limits::default();
        let mut grid = GridBuilder::new(&limits, Width::Counted);
        grid.push(1, row(&["", " "])).unwrap();
        grid.push(2, row(&[" 标题 ", "价格", "", ""])).unwrap();
        grid.push(3, row(&["a", "1", "", ""])).unwrap();
        grid.push(4, row(&["", "", "", ""])).unwrap();
        grid.push(5, row(&["b", "2", "", ""])).unwrap();
        let table = grid.finish().unwrap();
        assert_eq!(table.header_row, 2);
        assert_eq!(table.headers, ["标题", "价格"]);
        assert_eq!(table.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(table.rows[1].cells, row(&["b", "2"]));
    }

    #[test]
    fn ragged_csv_rows_are_named_with_a_count_of_the_rest() {
        let limits = Limits::default();
        let mut grid = GridBuilder::new(&limits, Width::Counted);
        grid.push(1, row(&["a", "b", "c"])).unwrap();
        grid.push(2, row(&["1", "2", "3", ""])).unwrap();
        grid.push(3, row(&["1", "2"])).unwrap();
        grid.push(4, row(&["1", "2", "3", "4"])).unwrap();
        grid.push(5, row(&["1"])).unwrap();
        assert_eq!(grid.finish().unwrap_err(), SheetError::Ragged { row: 3, found: 2, expected: 3, other_rows: 2 });
    }

    #[test]
    fn a_sparse_value_without_header_names_its_column() {
        let limits = Limits::default();
        let mut grid = GridBuilder::new(&limits, Width::Sparse);
        grid.push(1, row(&["a", "b"])).unwrap();
        grid.push(2, row(&["1"])).unwrap();
        assert_eq!(
            grid.push(3, row(&["1", "2", "", "x"])).unwrap_err(),
            SheetError::NoHeader { row: 3, column: "D".into() }
        );
    }

    #[test]
    fn limits_stop_reading_early() {
        let limits = Limits { max_rows: 2, ..Limits::default() };
        let mut grid = GridBuilder::new(&limits, Width::Counted);
        grid.push(1, row(&["a"])).unwrap();
        grid.push(2, row(&["1"])).unwrap();
        grid.push(3, row(&["2"])).unwrap();
        assert_eq!(grid.push(4, row(&["3"])).unwrap_err(), SheetError::TooLarge { limit: Limit::Rows, max: 2 });

        let limits = Limits { max_cells: 5, ..Limits::default() };
        let mut grid = GridBuilder::new(&limits, Width::Counted);
        grid.push(1, row(&["a", "b"])).unwrap();
        grid.push(2, row(&["1", "2"])).unwrap();
        assert_eq!(grid.push(3, row(&["1", "2"])).unwrap_err(), SheetError::TooLarge { limit: Limit::Cells, max: 5 });
    }

    #[test]
    fn nothing_but_blanks_is_empty() {
        let limits = Limits::default();
        let mut grid = GridBuilder::new(&limits, Width::Sparse);
        grid.push(1, row(&["", "  "])).unwrap();
        assert_eq!(grid.finish().unwrap_err(), SheetError::Empty);
    }
}
