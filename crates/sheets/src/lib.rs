//! Spreadsheet files to tables and back: CSV (UTF-8, GBK/GB18030 or UTF-16)
//! and XLSX are read into a [`Table`] of typed [`Cell`]s with Excel's row
//! numbers, and a [`Table`] is written as CSV or XLSX. The crate knows
//! nothing about products; importers map rows to their own types on top
//! of it, with [`map_headers`] for the header row and [`SheetIssue`] as
//! the shape of every per-row problem they report.
//!
//! ```
//! use zhibo_sheets::{Cell, Format, HeaderSpec, Table, map_headers, read, sniff, write_xlsx};
//!
//! const COLUMNS: &[HeaderSpec] = &[
//!     HeaderSpec::required("title", "标题", "title"),
//!     HeaderSpec::required("price", "价格", "price"),
//! ];
//! let mut table = Table::new(zhibo_sheets::header_labels(COLUMNS));
//! table.push_row(vec![Cell::from("纯棉连衣裙"), Cell::Float(19.9)]);
//! let bytes = write_xlsx(&table, "商品 products").unwrap();
//!
//! let format = sniff("upload.xlsx", &bytes).unwrap();
//! let back = read(&bytes, format).unwrap();
//! let columns = map_headers(&back, COLUMNS).unwrap();
//! let row = &back.rows[0];
//! assert_eq!(row.number, 2);
//! assert_eq!(columns.cell(row, "price").as_decimal_text().as_deref(), Some("19.9"));
//! ```
//!
//! Limits: [`Limits`] bounds rows, cells and (for XLSX) the unzipped
//! size; the caller bounds the upload's byte size.

mod cell;
mod csv_file;
mod error;
mod grid;
mod headers;
mod sniff;
mod table;
mod xlsx_file;

pub use cell::Cell;
pub use csv_file::write_csv;
pub use error::{Limit, SheetError, SheetIssue, ValueKind};
pub use headers::{HeaderMap, HeaderSpec, header_labels, map_headers};
pub use sniff::{Format, sniff};
pub use table::{Row, Table, column_letter};
pub use xlsx_file::write_xlsx;

/// How much a file may hold; beyond any of these, reading stops with
/// [`SheetError::TooLarge`] before the rest is in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Data rows (the header and blank rows do not count).
    pub max_rows: usize,
    /// Cells held, header included: rows × header width.
    pub max_cells: usize,
    /// XLSX only: the total declared size of the archive's contents.
    pub max_unzipped_bytes: u64,
}

impl Default for Limits {
    /// 50,000 rows, 2,000,000 cells, 256 MiB unzipped: far beyond a shop's
    /// catalog, well inside a server's memory.
    fn default() -> Self {
        Limits { max_rows: 50_000, max_cells: 2_000_000, max_unzipped_bytes: 256 << 20 }
    }
}

/// Options for [`read_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    pub limits: Limits,
    /// XLSX only: the worksheet to read; by default the first visible one.
    pub sheet: Option<String>,
}

/// Reads a file in `format` (see [`sniff`]) with the default limits.
pub fn read(bytes: &[u8], format: Format) -> Result<Table, SheetError> {
    read_with(bytes, format, &ReadOptions::default())
}

/// Reads a file in `format` with the given limits and sheet.
pub fn read_with(bytes: &[u8], format: Format, options: &ReadOptions) -> Result<Table, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    match format {
        Format::Csv => csv_file::read_csv(bytes, &options.limits),
        Format::Xlsx => xlsx_file::read_xlsx(bytes, options),
    }
}
