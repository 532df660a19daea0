//! The public API end to end: tables written as CSV and XLSX and read
//! back, XLSX files made in the test the way Excel makes them (numbers,
//! formulas with cached results, dates, hidden sheets), and the refusals
//! and limits an upload can run into. Every fixture is generated here.

use std::io::{Cursor, Write};

use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, Formula, Workbook};
use zhibo_sheets::{
    Cell, Format, HeaderSpec, Limit, Limits, ReadOptions, SheetError, Table, header_labels, map_headers, read,
    read_with, sniff, write_csv, write_xlsx,
};

fn sample() -> Table {
    let mut table = Table::new(["标题 title", "条码 barcode", "价格 price", "库存 stock", "备注 note", "上架 on sale"]);
    table.push_row(vec![
        Cell::from("纯棉连衣裙（夏季款）"),
        Cell::from("6901234567890"),
        Cell::from("199.90"),
        Cell::Int(120),
        Cell::from("含税, 包邮; \"官方\"\n第二行"),
        Cell::Bool(true),
    ]);
    table.push_row(vec![
        Cell::from("=HYPERLINK(\"http://evil\")"),
        Cell::from("007"),
        Cell::Float(19.9),
        Cell::Int(-3),
        Cell::Empty,
        Cell::Bool(false),
    ]);
    table.push_row(vec![
        Cell::from("  前后有空格  "),
        Cell::from("1234567890123456789"),
        Cell::Empty,
        Cell::Int(0),
        Cell::from("'-already quoted"),
        Cell::Empty,
    ]);
    table
}

fn shown(table: &Table) -> Vec<Vec<String>> {
    table.rows.iter().map(|r| r.cells.iter().map(ToString::to_string).collect()).collect()
}

fn numbers(table: &Table) -> Vec<usize> {
    table.rows.iter().map(|r| r.number).collect()
}

/// A workbook made cell by cell, for what `write_xlsx` never writes.
fn workbook(build: impl FnOnce(&mut Workbook) -> Result<(), rust_xlsxwriter::XlsxError>) -> Vec<u8> {
    let mut book = Workbook::new();
    build(&mut book).unwrap();
    book.save_to_buffer().unwrap()
}

/// One sheet's XML from an XLSX, to check what Excel will see.
fn part(xlsx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    std::io::read_to_string(archive.by_name(name).unwrap()).unwrap()
}

#[test]
fn csv_round_trips_as_text() {
    let table = sample();
    let bytes = write_csv(&table);
    assert_eq!(sniff("export.csv", &bytes).unwrap(), Format::Csv);
    let back = read(&bytes, Format::Csv).unwrap();
    assert_eq!(back.headers, table.headers);
    assert_eq!(numbers(&back), [2, 3, 4]);
    assert_eq!(shown(&back), shown(&table));
    // CSV has no types: everything is text, and the helpers read it alike
    assert_eq!(back.rows[0].cells[3], Cell::from("120"));
    assert_eq!(back.rows[0].cells[3].as_int().unwrap(), Some(120));
    assert_eq!(back.rows[1].cells[2].as_decimal_text().as_deref(), Some("19.9"));
    assert_eq!(back.rows[1].cells[5].as_bool().unwrap(), Some(false));
}

#[test]
fn xlsx_round_trips_with_types() {
    let table = sample();
    let bytes = write_xlsx(&table, "商品 products").unwrap();
    assert_eq!(sniff("export.xlsx", &bytes).unwrap(), Format::Xlsx);
    let back = read(&bytes, Format::Xlsx).unwrap();
    assert_eq!(back.headers, table.headers);
    assert_eq!(numbers(&back), [2, 3, 4]);
    let mut expected = table.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>();
    // beyond 15 digits Excel would round a number, so it was written as text
    expected[2][1] = Cell::from("1234567890123456789");
    assert_eq!(back.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>(), expected);
    // text that looks like a number stays text: the barcode and the leading zeros are exact
    assert_eq!(back.rows[0].cells[1], Cell::from("6901234567890"));
    assert_eq!(back.rows[1].cells[1], Cell::from("007"));
    // XLSX stores a string, never a formula, so nothing needed defusing
    assert_eq!(back.rows[1].cells[0], Cell::from("=HYPERLINK(\"http://evil\")"));
}

#[test]
fn awkward_text_survives_both_formats() {
    // XML escapes (`_x000D_` is how XLSX spells a carriage return), control
    // characters, line breaks, characters outside the BMP, a lone quote
    let awkward = ["_x000D_", "tab\there", "line\r\nbreak", "控制\u{1}字符", "𠀀𠀁", "\"", "a\u{7f}b", " x "];
    let mut table = Table::new(["text"]);
    for text in awkward {
        table.push_row(vec![Cell::from(text)]);
    }
    assert_eq!(read(&write_xlsx(&table, "s").unwrap(), Format::Xlsx).unwrap(), table);
    assert_eq!(read(&write_csv(&table), Format::Csv).unwrap(), table);
}

#[test]
fn a_large_whole_number_is_written_as_text_and_still_reads_as_an_integer() {
    let mut table = Table::new(["n"]);
    table.push_row(vec![Cell::Int(999_999_999_999_999)]);
    table.push_row(vec![Cell::Int(1_000_000_000_000_000)]);
    let back = read(&write_xlsx(&table, "s").unwrap(), Format::Xlsx).unwrap();
    assert_eq!(back.rows[0].cells[0], Cell::Int(999_999_999_999_999));
    assert_eq!(back.rows[1].cells[0], Cell::from("1000000000000000"));
    assert_eq!(back.rows[1].cells[0].as_int().unwrap(), Some(1_000_000_000_000_000));
}

#[test]
fn written_xlsx_has_a_bold_frozen_filtered_header_and_fitting_columns() {
    let mut table = Table::new(["标题 title", "sku", "价格"]);
    table.push_row(vec![Cell::from("纯棉连衣裙纯棉连衣裙纯棉连衣裙"), Cell::from("ABCDEFGHIJKLMNO"), Cell::Float(9.9)]);
    let bytes = write_xlsx(&table, "商品").unwrap();
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#), "{sheet}");
    assert!(sheet.contains(r#"<autoFilter ref="A1:C2"/>"#), "{sheet}");
    assert!(sheet.contains("numberStoredAsText"), "{sheet}");
    let widths: Vec<f64> = sheet
        .split("<col ")
        .skip(1)
        .map(|col| {
            let w = col.split("width=\"").nth(1).unwrap();
            w[..w.find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(widths.len(), 3, "{sheet}");
    // 15 CJK characters are 30 wide; 15 ASCII letters 15
    assert!(widths[0] > 30.0 && widths[0] < 33.0, "{widths:?}");
    assert!(widths[1] > 15.0 && widths[1] < 18.0, "{widths:?}");
    assert!(widths[2] < widths[1], "{widths:?}");
    let styles = part(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "the header font is bold: {styles}");
    assert!(part(&bytes, "xl/workbook.xml").contains(r#"name="商品""#));
}

#[test]
fn money_cells_read_exactly_as_excel_shows_them() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "价格 price")?;
        sheet.write_number(1, 0, 19.9)?;
        sheet.write_number(2, 0, 0.1 + 0.2)?;
        // a formula cell: calamine reads the result Excel cached
        sheet.write_formula(3, 0, Formula::new("=0.1+0.2").set_result("0.30000000000000004"))?;
        sheet.write_formula(4, 0, Formula::new("=1.1*3").set_result("3.3000000000000003"))?;
        sheet.write_number(5, 0, 1299.0)?;
        sheet.write_number(6, 0, 0.07)?;
        sheet.write_string(7, 0, " 1,299.50 ")?;
        Ok(())
    });
    let table = read(&bytes, Format::Xlsx).unwrap();
    let amounts: Vec<String> = table.rows.iter().map(|r| r.cells[0].as_decimal_text().unwrap()).collect();
    assert_eq!(amounts, ["19.9", "0.3", "0.3", "3.3", "1299", "0.07", "1299.50"]);
    assert_eq!(table.rows[0].cells[0], Cell::Float(19.9));
    assert_eq!(table.rows[4].cells[0], Cell::Int(1299));
}

/// Rewrites one part of an XLSX, the way another program would have
/// written it.
fn patch(xlsx: &[u8], name: &str, from: &str, to: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let entry = archive.by_index(index).unwrap();
        let entry_name = entry.name().unwrap().into_owned();
        if entry_name == name {
            let text = std::io::read_to_string(entry).unwrap();
            assert!(text.contains(from), "{text}");
            out.start_file(entry_name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(text.replace(from, to).as_bytes()).unwrap();
        } else {
            out.raw_copy_file(entry).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn money_written_by_excel_with_17_digits_reads_as_shown() {
    // Excel stores 19.9 as "19.899999999999999" and 0.07 as "7.0000000000000007E-2"
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "价格 price")?;
        sheet.write_number(1, 0, 19.9)?;
        sheet.write_number(2, 0, 0.07)?;
        Ok(())
    });
    let bytes = patch(&bytes, "xl/worksheets/sheet1.xml", "<v>19.9</v>", "<v>19.899999999999999</v>");
    let bytes = patch(&bytes, "xl/worksheets/sheet1.xml", "<v>0.07</v>", "<v>7.0000000000000007E-2</v>");
    let table = read(&bytes, Format::Xlsx).unwrap();
    let amounts: Vec<String> = table.rows.iter().map(|r| r.cells[0].as_decimal_text().unwrap()).collect();
    assert_eq!(amounts, ["19.9", "0.07"]);
}

#[test]
fn dates_and_errors_read_as_text() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        let date = XlsxFormat::new().set_num_format("yyyy-mm-dd");
        let stamp = XlsxFormat::new().set_num_format("yyyy-mm-dd hh:mm");
        sheet.write_row(0, 0, ["上架日期", "时间", "公式"])?;
        sheet.write_datetime_with_format(1, 0, ExcelDateTime::from_ymd(2026, 11, 5)?, &date)?;
        sheet.write_datetime_with_format(1, 1, ExcelDateTime::parse_from_str("2026-11-05 14:30:00")?, &stamp)?;
        sheet.write_formula(1, 2, Formula::new("=1/0").set_result("#DIV/0!"))?;
        Ok(())
    });
    let table = read(&bytes, Format::Xlsx).unwrap();
    assert_eq!(shown(&table), [["2026-11-05", "2026-11-05 14:30:00", "#DIV/0!"]]);
}

#[test]
fn the_header_is_the_first_non_blank_row_and_blank_rows_keep_excel_numbers() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 3, "   ")?;
        sheet.write_row(2, 0, ["标题", "价格"])?;
        sheet.write_row(3, 0, ["裙", "1"])?;
        sheet.write_row(6, 0, ["衫", "2"])?;
        Ok(())
    });
    let table = read(&bytes, Format::Xlsx).unwrap();
    assert_eq!(table.header_row, 3);
    assert_eq!(table.headers, ["标题", "价格"]);
    assert_eq!(numbers(&table), [4, 7]);
}

#[test]
fn an_xlsx_value_without_a_header_names_its_cell() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_row(0, 0, ["标题", "价格"])?;
        sheet.write_row(1, 0, ["裙", "1"])?;
        sheet.write_string(4, 5, "stray")?;
        Ok(())
    });
    let err = read(&bytes, Format::Xlsx).unwrap_err();
    assert_eq!(err, SheetError::NoHeader { row: 5, column: "F".into() });
    assert_eq!(err.to_string(), "第 5 行 F 列有数据，但这一列没有表头 / row 5, column F has a value but no header");
}

#[test]
fn the_first_visible_sheet_is_read_unless_one_is_named() {
    let bytes = workbook(|book| {
        book.add_worksheet().set_name("说明")?.write_string(0, 0, "hidden notes")?.set_hidden(true);
        // the first sheet can only be hidden once another one is active
        book.add_worksheet().set_name("商品")?.set_active(true).write_row(0, 0, ["标题"])?.write_string(1, 0, "裙")?;
        book.add_worksheet().set_name("SKU")?.write_row(0, 0, ["SKU编码"])?.write_string(1, 0, "A-1")?;
        Ok(())
    });
    assert_eq!(read(&bytes, Format::Xlsx).unwrap().headers, ["标题"]);
    let named = ReadOptions { sheet: Some("SKU".into()), ..ReadOptions::default() };
    assert_eq!(read_with(&bytes, Format::Xlsx, &named).unwrap().headers, ["SKU编码"]);
    let missing = ReadOptions { sheet: Some("库存".into()), ..ReadOptions::default() };
    assert_eq!(read_with(&bytes, Format::Xlsx, &missing).unwrap_err(), SheetError::NoSuchSheet { name: "库存".into() });
}

#[test]
fn a_file_that_is_not_an_xlsx_is_refused_clearly() {
    let err = sniff("商品.xlsx", "标题,价格\n裙,1\n".as_bytes()).unwrap_err();
    assert!(matches!(err, SheetError::NotXlsx { .. }), "{err:?}");
    assert!(matches!(read(b"title,price\n", Format::Xlsx).unwrap_err(), SheetError::NotXlsx { .. }));
    // a zip, but not a workbook
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("hello.txt", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"hello").unwrap();
    let not_a_workbook = zip.finish().unwrap().into_inner();
    assert_eq!(sniff("a.xlsx", &not_a_workbook).unwrap(), Format::Xlsx);
    let err = read(&not_a_workbook, Format::Xlsx).unwrap_err();
    assert!(matches!(err, SheetError::NotXlsx { .. }), "{err:?}");
    // cut short in the middle
    let whole = write_xlsx(&sample(), "s").unwrap();
    assert!(matches!(read(&whole[..whole.len() / 2], Format::Xlsx).unwrap_err(), SheetError::NotXlsx { .. }));
    assert_eq!(read(b"", Format::Xlsx).unwrap_err(), SheetError::Empty);
}

#[test]
fn limits_are_enforced_for_both_formats() {
    let mut table = Table::new(["a", "b"]);
    for i in 0..30 {
        table.push_row(vec![Cell::Int(i), Cell::from("x")]);
    }
    let csv = write_csv(&table);
    let xlsx = write_xlsx(&table, "s").unwrap();
    let rows = ReadOptions { limits: Limits { max_rows: 29, ..Limits::default() }, sheet: None };
    let cells = ReadOptions { limits: Limits { max_cells: 61, ..Limits::default() }, sheet: None };
    for (bytes, format) in [(&csv, Format::Csv), (&xlsx, Format::Xlsx)] {
        assert_eq!(read_with(bytes, format, &rows).unwrap_err(), SheetError::TooLarge { limit: Limit::Rows, max: 29 });
        assert_eq!(
            read_with(bytes, format, &cells).unwrap_err(),
            SheetError::TooLarge { limit: Limit::Cells, max: 61 }
        );
        let exact = ReadOptions { limits: Limits { max_rows: 30, max_cells: 62, ..Limits::default() }, sheet: None };
        assert_eq!(read_with(bytes, format, &exact).unwrap().rows.len(), 30);
    }
    let unzipped = ReadOptions { limits: Limits { max_unzipped_bytes: 4096, ..Limits::default() }, sheet: None };
    assert_eq!(
        read_with(&xlsx, Format::Xlsx, &unzipped).unwrap_err(),
        SheetError::TooLarge { limit: Limit::UnzippedBytes, max: 4096 }
    );
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    // about 6 MB of distinct long strings (one shared-strings part) that
    // compress to a few KiB: the same shape as a real bomb, scaled down
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "标题")?;
        for row in 1..=64u32 {
            sheet.write_string(row, 0, format!("{row}{}", "裙".repeat(32_000)))?;
        }
        Ok(())
    });
    assert!(bytes.len() < 256 << 10, "fixture is {} bytes", bytes.len());
    let small = ReadOptions { limits: Limits { max_unzipped_bytes: 4 << 20, ..Limits::default() }, sheet: None };
    assert_eq!(
        read_with(&bytes, Format::Xlsx, &small).unwrap_err(),
        SheetError::TooLarge { limit: Limit::UnzippedBytes, max: 4 << 20 }
    );
    // and under the default limit the same file reads
    assert_eq!(read(&bytes, Format::Xlsx).unwrap().rows.len(), 64);
}

#[test]
fn header_mapping_problems_are_named_on_an_uploaded_file() {
    const SPECS: &[HeaderSpec] = &[
        HeaderSpec::required("title", "标题", "title"),
        HeaderSpec::required("price", "价格", "price"),
        HeaderSpec::optional("stock", "库存", "stock"),
    ];
    let bytes = "标题,售价,库存,Stock\n裙,1,2,3\n".as_bytes();
    let table = read(bytes, sniff("x.csv", bytes).unwrap()).unwrap();
    let issues = map_headers(&table, SPECS).unwrap_err();
    let named: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        named,
        [
            "第 1 行 / row 1 · 售价: B 列：未知的列，请对照模板的表头 / column B: unknown column; compare with the template",
            "第 1 行 / row 1 · Stock: D 列与 C 列「库存」重复 / column D repeats column C \"库存\"",
            "第 1 行 / row 1 · 价格 price: 缺少必填列 / required column is missing",
        ]
    );
    // the export's own header maps back through either format
    let mut export = Table::new(header_labels(SPECS));
    export.push_row(vec![Cell::from("裙"), Cell::from("19.90"), Cell::Int(3)]);
    for bytes in [write_csv(&export), write_xlsx(&export, "s").unwrap()] {
        let back = read(&bytes, sniff("", &bytes).unwrap()).unwrap();
        let map = map_headers(&back, SPECS).unwrap();
        assert_eq!(map.cell(&back.rows[0], "price").as_decimal_text().as_deref(), Some("19.90"));
        assert_eq!(map.cell(&back.rows[0], "stock").as_int().unwrap(), Some(3));
    }
}

#[test]
fn a_gbk_csv_from_chinese_excel_reads_like_utf8() {
    let text = "商品标题,颜色,尺码,价格\r\n纯棉T恤,黑色,XL,59.00\r\n\"连衣裙,长款\",藏青,M,\"1,299.00\"\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let utf8 = read(text.as_bytes(), Format::Csv).unwrap();
    let from_gbk = read(&gbk, sniff("商品.csv", &gbk).unwrap()).unwrap();
    assert_eq!(from_gbk, utf8);
    assert_eq!(from_gbk.rows[1].cells[0], Cell::from("连衣裙,长款"));
    assert_eq!(from_gbk.rows[1].cells[3].as_decimal_text().as_deref(), Some("1299.00"));
}

/// Text that exercises quoting, CJK, formula starts, apostrophes, leading
/// zeros and surrounding spaces; possibly empty (which is `Cell::Empty`).
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-z0-9 标题价格颜色裙，,;\"'=+@\\-\n\t\r𠀀_x]{0,12}").unwrap()
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Empty),
        text().prop_map(Cell::from),
        (-999_999_999_999_999i64..=999_999_999_999_999).prop_map(Cell::Int),
        proptest::string::string_regex("0[0-9]{1,15}").unwrap().prop_map(Cell::from),
    ]
}

fn table() -> impl Strategy<Value = Table> {
    let header = proptest::string::string_regex("[a-z标题价格=+;'][a-z 标题价格,;\"']{0,6}[a-z标题价格]").unwrap();
    proptest::collection::vec(header, 1..6).prop_flat_map(|headers| {
        let width = headers.len();
        let rows = proptest::collection::vec(proptest::collection::vec(cell(), width), 0..12);
        rows.prop_map(move |rows| {
            let mut table = Table::new(headers.clone());
            // a blank row is skipped on reading, so none is generated
            for cells in rows.into_iter().filter(|cells| !cells.iter().all(Cell::is_blank)) {
                table.push_row(cells);
            }
            table
        })
    })
}

proptest! {
    #[test]
    fn random_tables_round_trip_through_csv(table in table()) {
        let back = read(&write_csv(&table), Format::Csv).unwrap();
        prop_assert_eq!(&back.headers, &table.headers);
        prop_assert_eq!(numbers(&back), numbers(&table));
        prop_assert_eq!(shown(&back), shown(&table));
    }

    #[test]
    fn random_tables_round_trip_through_xlsx(table in table()) {
        let back = read(&write_xlsx(&table, "商品").unwrap(), Format::Xlsx).unwrap();
        prop_assert_eq!(back, table);
    }
}
