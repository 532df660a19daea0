//! CSV in and out.
//!
//! Reading accepts what people's spreadsheet programs actually save: UTF-8
//! with or without a BOM, GBK/GB18030 (what Excel on a Chinese Windows
//! writes by default), UTF-16 with a BOM (Excel's "Unicode text"); comma,
//! tab or semicolon as the delimiter, chosen from the header line (or an
//! Excel `sep=;` first line); quoted fields with line breaks. Every
//! non-empty field is [`Cell::Text`]: CSV has no types.
//!
//! Writing produces UTF-8 with a BOM (without one, Excel on Windows reads
//! the file as GBK and garbles the Chinese), CRLF line ends and RFC 4180
//! quoting.
//!
//! **Formula injection.** A spreadsheet program opening a CSV runs any
//! field that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as
//! a formula, so a product title like `=HYPERLINK(...)` typed by one person
//! could act on the machine of whoever opens the export. The writer puts an
//! apostrophe before such text (Excel shows the text as typed, with the
//! apostrophe); numbers are never touched. The reader takes exactly that
//! apostrophe off again, so export → import round-trips: it strips one
//! leading `'` when what follows is apostrophes and then one of those
//! characters, and the writer adds one in exactly the same case (text that
//! already starts with `'=` is written as `''=`). A hand-made CSV's `'=x`
//! therefore imports as `=x`; nothing ever evaluates it.

use std::borrow::Cow;

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};

use crate::Limits;
use crate::cell::Cell;
use crate::error::SheetError;
use crate::grid::{GridBuilder, Width};
use crate::table::Table;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Characters that make a spreadsheet program read a field as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub(crate) fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    let text = decode(bytes)?;
    if text.contains('\0') {
        return Err(SheetError::NotSpreadsheet);
    }
    let (text, delimiter) = match sep_line(&text) {
        Some((delimiter, rest)) => (rest, delimiter),
        None => (&*text, guess_delimiter(&text)),
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut grid = GridBuilder::new(limits, Width::Counted);
    let mut record = csv::StringRecord::new();
    // Excel shows each CSV record as one row (a quoted field with line
    // breaks included) and each blank line as an empty row. The csv crate
    // skips blank lines, so the line breaks between one record's content
    // and the next are counted here to keep Excel's row numbers.
    let bytes = text.as_bytes();
    let mut row = 1usize;
    let mut last_end = 0usize;
    let mut first = true;
    loop {
        let before = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let after = (reader.position().byte() as usize).min(bytes.len());
                let start = (before..after).find(|&i| !matches!(bytes[i], b'\r' | b'\n')).unwrap_or(after);
                let breaks = line_breaks(&bytes[last_end.min(start)..start]);
                row += if first { breaks } else { breaks.max(1) };
                first = false;
                last_end = (start..after).rev().find(|&i| !matches!(bytes[i], b'\r' | b'\n')).map_or(start, |i| i + 1);
                grid.push(row, record.iter().map(read_field).collect())?;
            }
            Err(e) => return Err(SheetError::Csv { row: row + 1, detail: e.to_string() }),
        }
    }
    grid.finish()
}

/// Line breaks as the csv crate counts them: `\r\n`, `\n` or a lone `\r`.
fn line_breaks(gap: &[u8]) -> usize {
    gap.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && gap.get(i + 1) != Some(&b'\n'))).count()
}

/// The text of the file, whatever of the supported encodings it is in.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, SheetError> {
    if let Some(rest) = bytes.strip_prefix(BOM) {
        return std::str::from_utf8(rest).map(Cow::Borrowed).map_err(|_| SheetError::Encoding);
    }
    let (encoding, rest) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (UTF_16LE, rest),
        [0xFE, 0xFF, rest @ ..] => (UTF_16BE, rest),
        _ => match std::str::from_utf8(bytes) {
            Ok(text) => return Ok(Cow::Borrowed(text)),
            // Not UTF-8: Excel's default "CSV" on a Chinese system is GBK,
            // which GB18030 contains.
            Err(_) => (GB18030, bytes),
        },
    };
    encoding.decode_without_bom_handling_and_without_replacement(rest).ok_or(SheetError::Encoding)
}

/// Excel's `sep=;` first line names the delimiter; Excel does not show
/// the line, so the next line is row 1.
fn sep_line(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n')?;
    let delimiter = first.trim_end_matches('\r').strip_prefix("sep=")?;
    match delimiter.as_bytes() {
        [d] if d.is_ascii_punctuation() || *d == b'\t' => Some((*d, rest)),
        _ => None,
    }
}

/// The delimiter of the header line, outside quotes: a comma if it has
/// one, else a tab (Excel's "Unicode text"), else a semicolon (Excel where
/// the decimal mark is a comma), else a comma (a one-column file). Commas
/// come first because that is what CSV means here and what the writer
/// writes; the writer quotes a one-column header so it cannot look like
/// anything else.
fn guess_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut seen = [false; 3];
    let mut quoted = false;
    for c in header.bytes() {
        match c {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b',' => seen[0] = true,
            b'\t' => seen[1] = true,
            b';' => seen[2] = true,
            _ => {}
        }
    }
    [b',', b'\t', b';'].into_iter().zip(seen).find(|(_, seen)| *seen).map_or(b',', |(d, _)| d)
}

fn read_field(field: &str) -> Cell {
    match field.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => Cell::Text(rest.to_owned()),
        _ => Cell::from(field),
    }
}

/// Text that, after any apostrophes, starts like a formula.
fn needs_guard(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// The table as CSV: UTF-8 with a BOM, CRLF, quoted where needed, text
/// that starts like a formula prefixed with `'` (see the module doc).
/// Rows shorter than the header are padded; cells are never dropped.
pub fn write_csv(table: &Table) -> Vec<u8> {
    const MEMORY: &str = "writing CSV to memory cannot fail";
    let builder = || {
        let mut builder = csv::WriterBuilder::new();
        builder.terminator(csv::Terminator::CRLF);
        builder
    };
    let mut out = BOM.to_vec();
    // csv refuses an empty record (it would be an ambiguous empty line)
    if !table.headers.is_empty() {
        // A one-column header is quoted, so a `;` or tab in it, or a
        // leading `sep=`, cannot be taken for a delimiter by the reader.
        let style = if table.headers.len() == 1 { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
        let mut writer = builder().quote_style(style).from_writer(out);
        writer.write_record(table.headers.iter().map(|h| guard(h).into_owned().into_bytes())).expect(MEMORY);
        out = writer.into_inner().expect(MEMORY);
    }
    let mut writer = builder().from_writer(out);
    let width = table.headers.len();
    for row in &table.rows {
        let mut fields: Vec<Cow<'_, str>> = row.cells.iter().map(write_field).collect();
        if fields.len() < width {
            fields.resize(width, Cow::Borrowed(""));
        }
        if !fields.is_empty() {
            writer.write_record(fields.iter().map(|f| f.as_bytes())).expect(MEMORY);
        }
    }
    writer.into_inner().expect(MEMORY)
}

fn write_field(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Text(text) => guard(text),
        other => Cow::Owned(other.to_string()),
    }
}

fn guard(text: &str) -> Cow<'_, str> {
    if needs_guard(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<Table, SheetError> {
        read_csv(bytes, &Limits::default())
    }

    fn texts(table: &Table) -> Vec<Vec<String>> {
        table.rows.iter().map(|r| r.cells.iter().map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn reads_utf8_with_and_without_bom() {
        for bytes in [
            &b"\xEF\xBB\xBF\xE6\xA0\x87\xE9\xA2\x98,price\r\n\xE8\xA3\x99,19.9\r\n"[..],
            "标题,price\n裙,19.9\n".as_bytes(),
        ] {
            let table = read(bytes).unwrap();
            assert_eq!(table.headers, ["标题", "price"]);
            assert_eq!(texts(&table), [["裙", "19.9"]]);
        }
    }

    #[test]
    fn reads_gbk_as_excel_on_chinese_windows_saves_it() {
        let (gbk, _, unmappable) = GB18030.encode("标题,价格,备注\n纯棉连衣裙,99.90,\"含税，包邮\"\n");
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err(), "the fixture must not be valid UTF-8");
        let table = read(&gbk).unwrap();
        assert_eq!(table.headers, ["标题", "价格", "备注"]);
        assert_eq!(texts(&table), [["纯棉连衣裙", "99.90", "含税，包邮"]]);
    }

    #[test]
    fn reads_utf16_unicode_text() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "标题\t价格\r\n裙\t5\r\n".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        let table = read(&bytes).unwrap();
        assert_eq!(table.headers, ["标题", "价格"]);
        assert_eq!(texts(&table), [["裙", "5"]]);
    }

    #[test]
    fn undecodable_bytes_are_an_encoding_error() {
        assert_eq!(read(b"a,b\n\xFF\xFF,1\n").unwrap_err(), SheetError::Encoding);
        assert_eq!(read(b"\xEF\xBB\xBFa,\xC3\n").unwrap_err(), SheetError::Encoding);
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks_in_one_row() {
        let table = read(b"title,note\n\"a, b\",\"say \"\"hi\"\"\nsecond line\"\nc,d\n").unwrap();
        assert_eq!(texts(&table), [["a, b", "say \"hi\"\nsecond line"], ["c", "d"]]);
        assert_eq!(table.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn blank_lines_are_skipped_but_counted() {
        let table = read(b"\r\ntitle,n\r\n\r\na,1\r\n,\r\n\r\nb,2\r\n\r\n\r\n").unwrap();
        assert_eq!(table.header_row, 2);
        assert_eq!(table.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [4, 7]);
        let table = read(b"a,b\n\"multi\nline\",1\n\n\"x\",\"\"\r\r\"\"\"\",2\n").unwrap();
        assert_eq!(table.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 4, 6]);
        assert_eq!(texts(&table)[2], ["\"", "2"]);
    }

    #[test]
    fn ragged_rows_are_named() {
        let err = read(b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n1,2,3,,\n").unwrap_err();
        assert_eq!(err, SheetError::Ragged { row: 3, found: 2, expected: 3, other_rows: 1 });
        assert!(err.to_string().contains("第 3 行有 2 列，表头有 3 列"), "{err}");
    }

    #[test]
    fn delimiter_follows_the_header_line() {
        assert_eq!(texts(&read(b"a;b\n1,5;2\n").unwrap()), [["1,5", "2"]]);
        assert_eq!(texts(&read(b"a;b,c\n1;2,3\n").unwrap()), [["1;2", "3"]]);
        assert_eq!(texts(&read(b"a\tb\n1,5\t2\n").unwrap()), [["1,5", "2"]]);
        assert_eq!(texts(&read(b"\"x;y\",b\n1,2\n").unwrap()), [["1", "2"]]);
        assert_eq!(texts(&read(b"title\nhello; world\n").unwrap()), [["hello; world"]]);
        let table = read(b"sep=;\r\na;b\r\n1;2\r\n").unwrap();
        assert_eq!((table.header_row, texts(&table)), (1, vec![vec!["1".to_owned(), "2".to_owned()]]));
    }

    #[test]
    fn formula_injection_is_defused_on_write_and_undone_on_read() {
        let mut table = Table::new(["=title", "note"]);
        for text in ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-5", "@SUM(A1)", "\tx", "'=already", "'plain", "ok"] {
            table.push_row(vec![Cell::from(text), Cell::Int(-5)]);
        }
        let bytes = write_csv(&table);
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "'=title,note");
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5");
        assert_eq!(
            &lines[2..9],
            ["'+1,-5", "'-5,-5", "'@SUM(A1),-5", "'\tx,-5", "''=already,-5", "'plain,-5", "ok,-5"]
        );
        let back = read(&bytes).unwrap();
        assert_eq!(back.headers, ["=title", "note"]);
        let firsts: Vec<String> = back.rows.iter().map(|r| r.cells[0].to_string()).collect();
        assert_eq!(
            firsts,
            ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-5", "@SUM(A1)", "\tx", "'=already", "'plain", "ok"]
        );
    }

    #[test]
    fn a_one_column_header_is_quoted_so_it_reads_back_as_one_column() {
        for header in ["颜色;尺码", "a\tb", "sep=;", "plain"] {
            let mut table = Table::new([header]);
            table.push_row(vec![Cell::from("x;y")]);
            let back = read(&write_csv(&table)).unwrap();
            assert_eq!(back.headers, [header]);
            assert_eq!(texts(&back), [["x;y"]]);
        }
    }

    #[test]
    fn writes_bom_crlf_and_pads_short_rows() {
        let mut table = Table::new(["标题", "价格", "备注"]);
        table.push_row(vec![Cell::from("裙"), Cell::Float(19.9)]);
        table.push_row(vec![Cell::Bool(true), Cell::Int(6901234567890), Cell::from("x")]);
        let bytes = write_csv(&table);
        assert_eq!(&bytes[..3], BOM);
        assert_eq!(std::str::from_utf8(&bytes[3..]).unwrap(), "标题,价格,备注\r\n裙,19.9,\r\nTRUE,6901234567890,x\r\n");
    }
}
