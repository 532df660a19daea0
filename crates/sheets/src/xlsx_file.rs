//! XLSX in (calamine) and out (rust_xlsxwriter).
//!
//! Reading streams one worksheet's cells (the first visible worksheet, or
//! one named) so the row and cell limits stop a huge sheet before it is in
//! memory. Before calamine opens anything, the zip's central directory is
//! summed: the zip crate refuses to inflate an entry past its declared
//! size, so a bound on the declared sizes bounds what a zip bomb can
//! expand to (calamine loads the shared-strings table whole).
//!
//! Writing puts text in text cells (with the `@` text format, so barcodes
//! such as 6901234567890 and codes with leading zeros stay exact even when
//! someone retypes them in Excel) and numbers in number cells; the header
//! row is bold, frozen and filterable; columns are sized to their content
//! with CJK characters counting double.

use std::io::Cursor;

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx};
use rust_xlsxwriter::{ColNum, Format, IgnoreError, RowNum, Workbook, Worksheet, XlsxError};

use crate::cell::Cell;
use crate::error::{Limit, SheetError};
use crate::grid::{GridBuilder, Width};
use crate::table::{Table, column_letter};
use crate::{Limits, ReadOptions};

/// Excel's own sheet size.
const MAX_EXCEL_ROWS: usize = 1_048_576;
const MAX_EXCEL_COLUMNS: usize = 16_384;
/// Excel shows 15 significant digits; a whole number longer than that is
/// written as text so it is not shown (or retyped) rounded.
const MAX_EXACT_INT: i64 = 999_999_999_999_999;
/// The largest whole number a float holds exactly (2^53).
const MAX_FLOAT_INT: f64 = 9_007_199_254_740_992.0;
/// Column widths in characters (Excel's unit), before padding.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 50;

pub(crate) fn read_xlsx(bytes: &[u8], options: &ReadOptions) -> Result<Table, SheetError> {
    check_zip(bytes, &options.limits)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let name = choose_sheet(&book, options.sheet.as_deref())?;
    let mut cells = book.worksheet_cells_reader(&name).map_err(not_xlsx)?;
    let mut grid = GridBuilder::new(&options.limits, Width::Sparse);
    let mut current: Option<(u32, Vec<Cell>)> = None;
    while let Some(found) = cells.next_cell().map_err(not_xlsx)? {
        let value = cell_value(found.get_value());
        if value == Cell::Empty {
            continue;
        }
        let (row, column) = found.get_position();
        let column = column as usize;
        let excel_row = row as usize + 1;
        if column >= MAX_EXCEL_COLUMNS {
            return Err(SheetError::NotXlsx { detail: format!("cell beyond column XFD in row {excel_row}") });
        }
        if grid.width().is_some_and(|width| column >= width) {
            // a stray space out there is nothing; a value is an error,
            // refused before allocating (the column may be far away)
            if value.is_blank() {
                continue;
            }
            return Err(SheetError::NoHeader { row: excel_row, column: column_letter(column) });
        }
        match &mut current {
            Some((r, _)) if *r > row => {
                return Err(SheetError::NotXlsx { detail: format!("rows out of order at row {excel_row}") });
            }
            Some((r, _)) if *r == row => {}
            _ => {
                if let Some((r, done)) = current.take() {
                    grid.push(r as usize + 1, done)?;
                }
                current = Some((row, Vec::new()));
            }
        }
        if let Some((_, values)) = &mut current {
            if values.len() <= column {
                values.resize(column + 1, Cell::Empty);
            }
            values[column] = value;
        }
    }
    if let Some((r, done)) = current {
        grid.push(r as usize + 1, done)?;
    }
    grid.finish()
}

/// Refuses an archive whose declared contents exceed the limit, or that is
/// not a zip at all.
fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    if bytes.starts_with(crate::sniff::OLE_MAGIC) {
        return Err(SheetError::LegacyExcel);
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(index).map_err(not_xlsx)?.size());
        if total > limits.max_unzipped_bytes {
            return Err(SheetError::TooLarge { limit: Limit::UnzippedBytes, max: limits.max_unzipped_bytes });
        }
    }
    Ok(())
}

fn choose_sheet(book: &Xlsx<Cursor<&[u8]>>, wanted: Option<&str>) -> Result<String, SheetError> {
    let sheets = book.sheets_metadata();
    match wanted {
        Some(name) => sheets
            .iter()
            .find(|s| s.name == name && s.typ == SheetType::WorkSheet)
            .map(|s| s.name.clone())
            .ok_or_else(|| SheetError::NoSuchSheet { name: name.to_owned() }),
        None => sheets
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .map(|s| s.name.clone())
            .ok_or(SheetError::NoWorksheet),
    }
}

fn not_xlsx(error: impl std::fmt::Display) -> SheetError {
    SheetError::NotXlsx { detail: error.to_string() }
}

fn cell_value(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Int(*i),
        // Every XLSX number is a float; whole ones are what people mean as
        // integers (a stock of 5), so they come back as Int.
        DataRef::Float(x) if x.fract() == 0.0 && x.abs() <= MAX_FLOAT_INT => Cell::Int(*x as i64),
        DataRef::Float(x) => Cell::Float(*x),
        DataRef::String(text) => Cell::from(text.as_str()),
        DataRef::SharedString(text) => Cell::from(*text),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => Cell::Text(date_text(dt)),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => Cell::from(text.as_str()),
        DataRef::Error(error) => Cell::Text(error.to_string()),
    }
}

/// A date-formatted number as ISO text: `2026-11-05`, with the time when
/// there is one, a time of day alone when there is no date, and a duration
/// as hours:minutes:seconds.
fn date_text(dt: &ExcelDateTime) -> String {
    let serial = dt.as_f64();
    if dt.is_duration() {
        let seconds = (serial * 86_400.0).round() as i64;
        let sign = if seconds < 0 { "-" } else { "" };
        let s = seconds.abs();
        return format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    }
    let (year, month, day, hour, minute, second, _milli) = dt.to_ymd_hms_milli();
    let time = format!("{hour:02}:{minute:02}:{second:02}");
    if (0.0..1.0).contains(&serial) {
        time
    } else if (hour, minute, second) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

/// The table as an XLSX workbook of one sheet named `sheet_name` (1 to 31
/// characters, none of `[ ] : * ? / \`). Rows are written in order from
/// row 2; their `number`s are not used. Whole numbers beyond 15 digits and
/// non-finite floats are written as text, so what Excel shows is exact.
pub fn write_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>, SheetError> {
    let width = table.rows.iter().map(|r| r.cells.len()).chain([table.headers.len()]).max().unwrap_or(0);
    if table.rows.len() + 1 > MAX_EXCEL_ROWS {
        return Err(SheetError::TooLarge { limit: Limit::Rows, max: (MAX_EXCEL_ROWS - 1) as u64 });
    }
    if width > MAX_EXCEL_COLUMNS {
        return Err(SheetError::Write {
            detail: format!("Excel 最多 {MAX_EXCEL_COLUMNS} 列 / Excel holds at most {MAX_EXCEL_COLUMNS} columns"),
        });
    }
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(|_| SheetError::SheetName { name: sheet_name.to_owned() })?;
    let text = Format::new().set_num_format("@");
    let header = Format::new().set_bold().set_num_format("@");

    for (column, name) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(0, column as ColNum, name, &header).map_err(|e| write_error(0, column, e))?;
    }
    for (index, row) in table.rows.iter().enumerate() {
        let r = index + 1;
        for (column, cell) in row.cells.iter().enumerate() {
            write_cell(sheet, r, column, cell, &text).map_err(|e| write_error(r, column, e))?;
        }
    }
    finish_layout(sheet, table, width, &text).map_err(|e| SheetError::Write { detail: e.to_string() })?;
    book.save_to_buffer().map_err(|e| SheetError::Write { detail: e.to_string() })
}

fn write_cell(sheet: &mut Worksheet, row: usize, column: usize, cell: &Cell, text: &Format) -> Result<(), XlsxError> {
    let (r, c) = (row as RowNum, column as ColNum);
    match cell {
        Cell::Empty => {}
        Cell::Text(t) => {
            sheet.write_string_with_format(r, c, t, text)?;
        }
        Cell::Int(i) if i.abs() <= MAX_EXACT_INT => {
            sheet.write_number(r, c, *i as f64)?;
        }
        Cell::Float(x) if x.is_finite() => {
            sheet.write_number(r, c, *x)?;
        }
        Cell::Int(_) | Cell::Float(_) => {
            sheet.write_string_with_format(r, c, cell.to_string(), text)?;
        }
        Cell::Bool(b) => {
            sheet.write_boolean(r, c, *b)?;
        }
    }
    Ok(())
}

/// Frozen, filterable header; widths from content; columns holding only
/// text keep the text format for rows people add; no "number stored as
/// text" warnings on the text cells that are text on purpose.
fn finish_layout(sheet: &mut Worksheet, table: &Table, width: usize, text: &Format) -> Result<(), XlsxError> {
    if width == 0 {
        return Ok(());
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_col = (width - 1) as ColNum;
    let last_row = table.rows.len() as RowNum;
    sheet.autofilter(0, 0, last_row, last_col)?;
    if !table.rows.is_empty() {
        sheet.ignore_error_range(1, 0, last_row, last_col, IgnoreError::NumberStoredAsText)?;
    }
    for column in 0..width {
        let cells = table.rows.iter().map(|r| r.cell(column));
        let header = table.headers.get(column).map_or(0, |h| display_width(h));
        // room for the filter button beside the header
        let widest = cells.clone().map(|c| display_width(&c.to_string())).chain([header + 2]).max().unwrap_or(0);
        sheet.set_column_width(column as ColNum, (widest.clamp(MIN_WIDTH, MAX_WIDTH) + 1) as f64)?;
        let mut filled = cells.filter(|c| !matches!(c, Cell::Empty)).peekable();
        if filled.peek().is_some() && filled.all(|c| matches!(c, Cell::Text(_))) {
            sheet.set_column_format(column as ColNum, text)?;
        }
    }
    Ok(())
}

fn write_error(row: usize, column: usize, error: XlsxError) -> SheetError {
    SheetError::Write { detail: format!("{}{}: {error}", column_letter(column), row + 1) }
}

/// Width in Excel's character units of the longest line: East Asian wide
/// characters (Han, kana, Hangul, full-width forms) take two.
fn display_width(text: &str) -> usize {
    text.lines().map(|line| line.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()).max().unwrap_or(0)
}

fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{303E}'
        | '\u{3041}'..='\u{33FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{A000}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{20000}'..='\u{3FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("连衣裙"), 6);
        assert_eq!(display_width("ＳＫＵ-1"), 8);
        assert_eq!(display_width("短\n更长一些的行"), 12);
    }

    #[test]
    fn dates_become_iso_text() {
        use calamine::ExcelDateTimeType::{DateTime, TimeDelta};
        assert_eq!(date_text(&ExcelDateTime::new(46_331.0, DateTime, false)), "2026-11-05");
        assert_eq!(date_text(&ExcelDateTime::new(46_331.604_166_666_67, DateTime, false)), "2026-11-05 14:30:00");
        assert_eq!(date_text(&ExcelDateTime::new(0.5, DateTime, false)), "12:00:00");
        assert_eq!(date_text(&ExcelDateTime::new(1.5, TimeDelta, false)), "36:00:00");
        assert_eq!(date_text(&ExcelDateTime::new(44_869.0, DateTime, true)), "2026-11-05");
    }

    #[test]
    fn numbers_without_fraction_read_as_integers() {
        assert_eq!(cell_value(&DataRef::Float(5.0)), Cell::Int(5));
        assert_eq!(cell_value(&DataRef::Float(19.9)), Cell::Float(19.9));
        assert_eq!(cell_value(&DataRef::Float(1e300)), Cell::Float(1e300));
        assert_eq!(cell_value(&DataRef::SharedString("")), Cell::Empty);
    }
}
