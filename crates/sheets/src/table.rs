//! The table a file turns into: a header row and numbered data rows, plus
//! the column lookup that tolerates how people actually type headers.

use crate::cell::Cell;
use crate::headers::header_keys;

/// A sheet's header and data rows. Readers put the header on the first
/// non-blank row, drop trailing blank header cells, and skip blank rows
/// (keeping every other row's Excel number, so messages still point at the
/// right line). Every row is exactly `headers.len()` cells wide.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The header's row number as Excel shows it: 1 unless blank rows come
    /// first. (A title row above the header would be taken as the header,
    /// so templates must not have one.)
    pub header_row: usize,
    /// Header texts, trimmed. A header may be blank where a column has no
    /// name (see [`crate::map_headers`] for how that is judged).
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based row number as the person sees it in Excel, counting the
    /// header row and any blank rows. For a CSV it counts records, the way
    /// Excel shows the file (a quoted field with line breaks is one row).
    pub number: usize,
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell in a column; [`Cell::Empty`] past the end of the row.
    pub fn cell(&self, column: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.cells.get(column).unwrap_or(&EMPTY)
    }
}

impl Table {
    /// An empty table to fill for export; the header goes on row 1.
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        Table { header_row: 1, headers: headers.into_iter().map(Into::into).collect(), rows: Vec::new() }
    }

    /// Appends a row numbered after the last one. Writers write rows in
    /// order and do not look at the numbers; they matter for messages.
    pub fn push_row(&mut self, cells: Vec<Cell>) {
        let number = self.rows.last().map_or(self.header_row + 1, |r| r.number + 1);
        self.rows.push(Row { number, cells });
    }

    /// The index of the column whose header matches `name`, ignoring case,
    /// surrounding and inner spaces, full-width forms and separators such
    /// as `/`, `()`, `*`, `_`. A bilingual header matches either half:
    /// "标题 title", "标题(title)" and "Title/标题" all answer to "标题",
    /// to "title" and to "标题 title".
    pub fn column(&self, name: &str) -> Option<usize> {
        let wanted = header_keys(name).whole;
        if wanted.is_empty() {
            return None;
        }
        self.headers.iter().position(|h| header_keys(h).answers_to(&wanted))
    }
}

/// Excel's letter for a 0-based column: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(column: usize) -> String {
    let mut n = column + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_match_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16383), "XFD");
    }

    #[test]
    fn columns_are_found_by_either_language() {
        let table =
            Table::new(["标题 title", " 价格（price）", "SKU编码 SKU code", "Stock/库存*", "备注", "ＳＫＵ　条码"]);
        assert_eq!(table.column("标题"), Some(0));
        assert_eq!(table.column("Title"), Some(0));
        assert_eq!(table.column(" 标题  title "), Some(0));
        assert_eq!(table.column("price"), Some(1));
        assert_eq!(table.column("价格"), Some(1));
        assert_eq!(table.column("SKU编码"), Some(2));
        assert_eq!(table.column("sku code"), Some(2));
        assert_eq!(table.column("库存"), Some(3));
        assert_eq!(table.column("stock"), Some(3));
        assert_eq!(table.column("备注"), Some(4));
        assert_eq!(table.column("sku 条码"), Some(5));
        assert_eq!(table.column("条码"), Some(5));
        // only a whole side of a bilingual header counts, not any word of it
        assert_eq!(table.column("code"), None);
        assert_eq!(table.column("标"), None);
        assert_eq!(table.column(""), None);
    }

    #[test]
    fn pushed_rows_are_numbered_after_the_header() {
        let mut table = Table::new(["a"]);
        table.push_row(vec![Cell::Int(1)]);
        table.push_row(vec![Cell::Int(2)]);
        assert_eq!(table.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(table.rows[0].cell(5), &Cell::Empty);
    }
}
