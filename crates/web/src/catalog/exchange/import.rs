//! Reading a product sheet: rows to products, every problem to a
//! [`SheetIssue`] naming its row and column. Nothing here touches the
//! store; [`FileImport::check_against`] compares with what the shop holds.
//!
//! The rules of the sheet:
//!
//! - **One row per SKU.** Rows with the same title (trimmed, exact) are one
//!   product, wherever they are in the file: adjacent or not, since sorting
//!   a sheet by another column must not split a product. SKUs keep the
//!   order of their rows. A row without a title belongs to no product and
//!   is reported.
//! - **Product columns** ([`PRODUCT_COLUMNS`]) repeat on each row of the
//!   product, or are filled on one of its rows only: a blank cell there
//!   means "not stated on this row". Two rows of one product stating
//!   different values is a problem of the later row, naming the earlier.
//! - **Money** is yuan as text ("199", "19.90"), read exactly through
//!   [`Cell::as_decimal_text`] and [`Fen::parse_yuan`], never through a
//!   float; a third decimal is refused, not rounded. A blank 划线价 or cost
//!   is 0 (none); a blank price is a problem.
//! - **Stock** is the opening stock, recorded by the import as a
//!   `purchase` in the ledger; blank is 0.
//! - **Specs** read as typed on the product form ("颜色=红, 尺码=M"); a
//!   product with several rows needs specs on each of them.
//! - **Status** is `draft`, `on_sale` or `off_sale`, or 草稿, 在售 (上架),
//!   下架; blank is draft.
//! - **Selling points** are one per line of the cell.
//! - **The platform's figures** (平台数据): the return rate as a percentage
//!   ("12.5" or "12.5%") and the review score in stars ("4.8"), each with
//!   at most one decimal, read exactly as text; blank is not entered.
//!
//! Each product then goes through the domain's own parser
//! ([`ProductDraft::parse`]), as a form or an API body would, and its
//! errors are mapped to the row of the SKU (or of the product value) and
//! the column of the field. A cell already reported is not reported again
//! for a consequence of the same mistake.

use std::collections::{HashMap, HashSet};
use std::fmt;

use zhibo_domain::Fen;
use zhibo_domain::catalog::figures::one_decimal;
use zhibo_domain::catalog::{
    Barcode, PlatformFigures, ProductDraft, ProductInput, ProductStatus, SkuInput, Specs, split_lines,
};
use zhibo_domain::stock::StockChange;
use zhibo_sheets::{Cell, HeaderMap, Row, SheetIssue, Table, map_headers};
use zhibo_store::{ImportedProduct, ProductDetail};

use super::columns::{
    AFTER_SALES, BARCODE, BRAND, CATEGORY, COLUMNS, COST, LIST_PRICE, MATERIAL, PRICE, PRODUCT_COLUMNS, RETURN_RATE,
    REVIEW, SELLING_POINTS, SHIPPING, SIZE_CHART, SPECS, STATUS, STOCK, SUBTITLE, TITLE, WEIGHT, column_of,
};

/// One product as the file describes it.
#[derive(Debug, Clone)]
pub struct FileProduct {
    pub title: String,
    /// The row number (as Excel shows it) of each SKU, in file order.
    pub rows: Vec<usize>,
    pub input: ProductInput,
    /// Per SKU, in the same order.
    pub opening_stock: Vec<i64>,
    /// The domain's verdict; `None` when it found anything wrong.
    pub draft: Option<ProductDraft>,
}

impl FileProduct {
    /// The status the product would get (draft when not stated or not valid).
    pub fn status(&self) -> ProductStatus {
        ProductStatus::parse(&self.input.status).unwrap_or_default()
    }

    pub fn total_stock(&self) -> i64 {
        self.opening_stock.iter().sum()
    }
}

/// What a file holds: its products, and every problem found, by row.
#[derive(Debug, Clone, Default)]
pub struct FileImport {
    pub products: Vec<FileProduct>,
    issues: Issues,
}

impl FileImport {
    /// Every problem, ordered by row (header problems first).
    pub fn issues(&self) -> &[SheetIssue] {
        &self.issues.list
    }

    /// SKUs in all the file's products.
    pub fn sku_count(&self) -> usize {
        self.products.iter().map(|p| p.rows.len()).sum()
    }

    /// A file whose sheet could not be read as rows at all (a malformed
    /// CSV line, a ragged row): its one problem.
    pub fn unreadable(issue: SheetIssue) -> FileImport {
        FileImport { products: Vec::new(), issues: Issues::from_header(vec![issue]) }
    }

    /// What to write, when nothing at all is wrong.
    pub fn ready(&self) -> Option<Vec<ImportedProduct>> {
        if !self.issues.list.is_empty() || self.products.is_empty() {
            return None;
        }
        self.products.iter().map(|p| ImportedProduct::new(p.draft.clone()?, p.opening_stock.clone()).ok()).collect()
    }

    /// Adds what only the shop can tell: a title or a barcode that one of
    /// its products already has. An import only creates products; it
    /// never changes one that exists.
    pub fn check_against(&mut self, existing: &[ProductDetail]) {
        let titles: HashSet<&str> = existing.iter().map(|d| d.product.title.as_str()).collect();
        let barcodes: HashMap<&str, &str> = existing
            .iter()
            .flat_map(|d| d.skus.iter().filter_map(move |s| Some((s.barcode.as_deref()?, d.product.title.as_str()))))
            .collect();
        for p in &self.products {
            if titles.contains(p.title.as_str()) {
                self.issues.cell(
                    p.rows[0],
                    TITLE,
                    format!(
                        "店铺里已有商品“{0}”；导入只新建商品，请换一个标题 / the shop already has a product titled \"{0}\"; an import only creates new products, so choose another title",
                        p.title
                    ),
                );
            }
            for (sku, &row) in p.input.skus.iter().zip(&p.rows) {
                let Ok(code) = Barcode::parse(&sku.barcode) else { continue };
                if let Some(owner) = barcodes.get(code.as_str()) {
                    let code = code.as_str();
                    self.issues.cell(
                        row,
                        BARCODE,
                        format!(
                            "条码{code}已被店铺商品“{owner}”使用 / barcode {code} is already used by \"{owner}\" in the shop"
                        ),
                    );
                }
            }
        }
        self.issues.sort();
    }
}

/// The problems found so far, at most one per cell: the first mistake in a
/// cell is the one to fix, and what follows from it would only repeat it.
#[derive(Debug, Clone, Default)]
struct Issues {
    /// Where each column is in the file, and its name there.
    names: Option<HeaderMap>,
    list: Vec<SheetIssue>,
    /// Per issue, the file column it is about, for ordering a row's issues
    /// the way the row reads (`usize::MAX`: the whole row).
    columns: Vec<usize>,
    marked: HashSet<(usize, &'static str)>,
}

impl Issues {
    fn from_header(list: Vec<SheetIssue>) -> Issues {
        Issues { columns: vec![0; list.len()], list, ..Issues::default() }
    }

    fn cell(&mut self, row: usize, key: &'static str, message: impl fmt::Display) {
        if self.marked.insert((row, key)) {
            let (name, column) = match &self.names {
                Some(map) => (map.column_name(key), map.get(key).unwrap_or(usize::MAX)),
                None => (key.to_owned(), usize::MAX),
            };
            self.list.push(SheetIssue::new(row, Some(&name), message));
            self.columns.push(column);
        }
    }

    fn row(&mut self, row: usize, message: impl fmt::Display) {
        self.list.push(SheetIssue::new(row, None, message));
        self.columns.push(usize::MAX);
    }

    /// By row, and within a row by column.
    fn sort(&mut self) {
        let mut both: Vec<(usize, SheetIssue)> = self.columns.drain(..).zip(self.list.drain(..)).collect();
        both.sort_by_key(|(column, issue)| (issue.row, *column));
        (self.columns, self.list) = both.into_iter().unzip();
    }
}

/// One data row, read cell by cell.
struct SheetRow {
    number: usize,
    title: String,
    sku: SkuInput,
    /// Whether the specs cell was blank (and not wrong).
    specs_blank: bool,
    stock: i64,
    /// Product columns stated on this row, as comparable text.
    product: Vec<(&'static str, String)>,
}

/// Reads a table of products. Header problems (a required column missing,
/// an unknown or repeated column) stop there, since no row can be read
/// with certainty; otherwise every row is read and every problem listed.
pub fn read_products(table: &Table) -> FileImport {
    let map = match map_headers(table, COLUMNS) {
        Ok(map) => map,
        Err(list) => return FileImport { products: Vec::new(), issues: Issues::from_header(list) },
    };
    let mut issues = Issues { names: Some(map.clone()), ..Issues::default() };
    if table.rows.is_empty() {
        issues.row(
            table.header_row,
            "表头下面没有商品行：每个SKU一行 / there are no product rows under the header: one row per SKU",
        );
        return FileImport { products: Vec::new(), issues };
    }

    // Rows grouped by title, products in order of their first row.
    let mut groups: Vec<Vec<SheetRow>> = Vec::new();
    let mut by_title: HashMap<String, usize> = HashMap::new();
    for row in &table.rows {
        let read = read_row(row, &map, &mut issues);
        if read.title.is_empty() {
            issues.cell(row.number, TITLE, "商品标题不能为空 / the title must not be empty");
            continue;
        }
        match by_title.get(&read.title) {
            Some(&i) => groups[i].push(read),
            None => {
                by_title.insert(read.title.clone(), groups.len());
                groups.push(vec![read]);
            }
        }
    }

    let products: Vec<FileProduct> = groups.into_iter().map(|rows| product(rows, &mut issues)).collect();
    repeated_barcodes(&products, &mut issues);
    issues.sort();
    FileImport { products, issues }
}

fn read_row(row: &Row, map: &HeaderMap, issues: &mut Issues) -> SheetRow {
    let number = row.number;
    let text = |key: &str| cell_text(map.cell(row, key));

    let specs_text = text(SPECS);
    let specs = match Specs::parse_text(&specs_text) {
        Ok(specs) => specs.pairs().to_vec(),
        Err(e) => {
            issues.cell(number, SPECS, e.message);
            Vec::new()
        }
    };
    let specs_blank = specs_text.is_empty();
    let price = money(row, map, PRICE, true, issues);
    let list_price = money(row, map, LIST_PRICE, false, issues);
    let cost = money(row, map, COST, false, issues);
    let weight_g = whole(row, map, WEIGHT, issues).unwrap_or(0);
    let barcode = text(BARCODE);
    let stock = match whole(row, map, STOCK, issues) {
        None => 0,
        Some(n) if n < 0 => {
            issues.cell(number, STOCK, "库存不能为负 / stock must not be negative");
            0
        }
        Some(n) if n > StockChange::MAX_UNITS => {
            issues.cell(
                number,
                STOCK,
                format!("期初库存最多{0}件 / opening stock: at most {0} units", StockChange::MAX_UNITS),
            );
            0
        }
        Some(n) => n,
    };

    let mut product = Vec::new();
    for key in PRODUCT_COLUMNS {
        let value = match key {
            STATUS => {
                let t = text(STATUS);
                if t.is_empty() {
                    continue;
                }
                match status(&t) {
                    Some(s) => s.as_str().to_owned(),
                    None => {
                        issues.cell(
                            number,
                            STATUS,
                            format!(
                                "状态须为 draft（草稿）、on_sale（在售）或 off_sale（下架），不能是“{t}” / status must be draft, on_sale or off_sale, not \"{t}\""
                            ),
                        );
                        continue;
                    }
                }
            }
            SHIPPING => match whole(row, map, SHIPPING, issues) {
                Some(hours) => hours.to_string(),
                None => continue,
            },
            // written back with one decimal, so "12" and "12.0%" agree
            RETURN_RATE | REVIEW => match figure(row, map, key, issues) {
                Some(tenths) => one_decimal(tenths),
                None => continue,
            },
            other => text(other),
        };
        if !value.is_empty() {
            product.push((key, value));
        }
    }

    SheetRow {
        number,
        title: text(TITLE),
        sku: SkuInput { id: None, specs, list_price, price, cost, weight_g, barcode },
        specs_blank,
        stock,
        product,
    }
}

/// A product from its rows: the product values the rows agree on, the SKUs
/// in row order, and the domain's check of the whole.
fn product(rows: Vec<SheetRow>, issues: &mut Issues) -> FileProduct {
    let first = rows[0].number;
    // key → (value, the row it came from)
    let mut values: HashMap<&'static str, (String, usize)> = HashMap::new();
    for row in &rows {
        for (key, value) in &row.product {
            match values.get(key) {
                None => {
                    values.insert(key, (value.clone(), row.number));
                }
                Some((stated, at)) if stated != value => issues.cell(
                    row.number,
                    key,
                    format!(
                        "同一商品（标题相同）的各行此列须一致：第 {at} 行是“{0}” / rows of one product (same title) must agree here: row {at} has \"{0}\"",
                        shorten(stated)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    if rows.len() > 1 {
        for row in rows.iter().filter(|r| r.specs_blank) {
            issues.cell(
                row.number,
                SPECS,
                "同一商品有多行时，每行须填写不同的规格，如 颜色=红 / a product with several rows needs different specs on each row, e.g. 颜色=红",
            );
        }
    }
    let value = |key: &str| values.get(key).map(|(v, _)| v.clone()).unwrap_or_default();
    let input = ProductInput {
        title: rows[0].title.clone(),
        subtitle: value(SUBTITLE),
        selling_points: split_lines(&value(SELLING_POINTS)),
        category: value(CATEGORY),
        brand: value(BRAND),
        status: value(STATUS),
        material: value(MATERIAL),
        size_chart: value(SIZE_CHART),
        shipping_hours: values.get(SHIPPING).and_then(|(v, _)| v.parse().ok()),
        after_sales: value(AFTER_SALES),
        return_rate_permille: PlatformFigures::parse_return_rate(&value(RETURN_RATE)).ok().flatten(),
        review_tenths: PlatformFigures::parse_review(&value(REVIEW)).ok().flatten(),
        skus: rows.iter().map(|r| r.sku.clone()).collect(),
    };
    let numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
    let draft = match ProductDraft::parse(&input) {
        Ok(draft) => Some(draft),
        Err(errors) => {
            for e in errors {
                let field = e.error.field;
                let row = match e.sku {
                    Some(i) => numbers.get(i).copied().unwrap_or(first),
                    None => values.get(field).map_or(first, |(_, at)| *at),
                };
                match column_of(field) {
                    Some(key) => issues.cell(row, key, e.error.message),
                    None => issues.row(row, e.error.message),
                }
            }
            None
        }
    };
    FileProduct {
        title: input.title.clone(),
        opening_stock: rows.iter().map(|r| r.stock).collect(),
        rows: numbers,
        input,
        draft,
    }
}

/// A barcode is unique in the shop, so two products of one file cannot
/// share one (two SKUs of one product sharing one is the domain's check).
fn repeated_barcodes(products: &[FileProduct], issues: &mut Issues) {
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    for (index, p) in products.iter().enumerate() {
        for (sku, &row) in p.input.skus.iter().zip(&p.rows) {
            let Ok(code) = Barcode::parse(&sku.barcode) else { continue };
            match seen.get(code.as_str()) {
                Some(&(owner, at)) if owner != index => {
                    let code = code.as_str();
                    issues.cell(
                        row,
                        BARCODE,
                        format!(
                            "条码{code}与第 {at} 行（另一商品）重复 / barcode {code} repeats row {at}, which is another product"
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(code.as_str().to_owned(), (index, row));
                }
            }
        }
    }
}

/// A cell as text: trimmed, line ends as `\n`, empty when blank.
fn cell_text(cell: &Cell) -> String {
    cell.as_text().map(|t| t.replace("\r\n", "\n")).unwrap_or_default()
}

/// An amount in yuan; blank is 0 unless the column is required.
fn money(row: &Row, map: &HeaderMap, key: &'static str, required: bool, issues: &mut Issues) -> Fen {
    match map.cell(row, key).as_decimal_text() {
        None if required => {
            issues.cell(row.number, key, "不能为空 / must not be empty");
            Fen(0)
        }
        None => Fen(0),
        Some(text) => Fen::parse_yuan(key, &text).unwrap_or_else(|e| {
            issues.cell(row.number, key, e.message);
            Fen(0)
        }),
    }
}

/// A whole number; `None` when blank or wrong (and then reported).
fn whole(row: &Row, map: &HeaderMap, key: &'static str, issues: &mut Issues) -> Option<i64> {
    map.cell(row, key).as_int().unwrap_or_else(|e| {
        issues.cell(row.number, key, e);
        None
    })
}

/// One of the platform's figures in tenths (‰ for the return rate);
/// `None` when blank or wrong (and then reported).
fn figure(row: &Row, map: &HeaderMap, key: &'static str, issues: &mut Issues) -> Option<i64> {
    let text = map.cell(row, key).as_decimal_text()?;
    let parse = if key == RETURN_RATE { PlatformFigures::parse_return_rate } else { PlatformFigures::parse_review };
    parse(&text).unwrap_or_else(|e| {
        issues.cell(row.number, key, e.message);
        None
    })
}

/// A status as people write it: the code in any case, with a space or a
/// dash for the underscore, or its Chinese name.
fn status(text: &str) -> Option<ProductStatus> {
    let code = text.trim().to_lowercase().replace([' ', '-'], "_");
    match code.as_str() {
        "草稿" => Some(ProductStatus::Draft),
        "在售" | "上架" => Some(ProductStatus::OnSale),
        "下架" => Some(ProductStatus::OffSale),
        other => ProductStatus::parse(other).ok(),
    }
}

/// A value quoted in a message: its first line, at most 20 characters.
fn shorten(value: &str) -> String {
    let line = value.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(20).collect();
    if short.len() < value.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_sheets::header_labels;

    fn sheet(headers: &[&str], rows: &[&[&str]]) -> Table {
        let mut table = Table::new(headers.iter().copied());
        for row in rows {
            table.push_row(row.iter().map(|c| Cell::from(*c)).collect());
        }
        table
    }

    const HEAD: &[&str] = &["商品标题", "规格", "售价(元)", "库存", "状态", "类目", "卖点"];

    fn shown(import: &FileImport) -> Vec<(usize, String)> {
        import.issues().iter().map(|i| (i.row, i.column.clone().unwrap_or_default())).collect()
    }

    #[test]
    fn rows_with_one_title_are_one_product_even_apart_and_values_may_be_stated_once() {
        let t = sheet(
            HEAD,
            &[
                &["睡衣", "颜色=红", "199", "5", "在售", "家居服", "亲肤\n透气"],
                &["围巾", "", "89.9", "", "", "", ""],
                &["睡衣", "颜色=蓝", "189.50", "0", "", "家居服", ""],
            ],
        );
        let import = read_products(&t);
        assert!(import.issues().is_empty(), "{:?}", import.issues());
        assert_eq!(import.products.len(), 2);
        assert_eq!(import.sku_count(), 3);
        let p = &import.products[0];
        assert_eq!(
            (p.title.as_str(), p.rows.as_slice(), p.opening_stock.as_slice()),
            ("睡衣", &[2, 4][..], &[5, 0][..])
        );
        let draft = p.draft.as_ref().unwrap();
        assert_eq!(draft.status, ProductStatus::OnSale);
        assert_eq!(draft.selling_points, ["亲肤", "透气"]);
        assert_eq!(draft.skus.iter().map(|s| s.price).collect::<Vec<_>>(), [Fen(19900), Fen(18950)]);
        assert_eq!(import.products[1].draft.as_ref().unwrap().status, ProductStatus::Draft);
        assert_eq!(import.ready().unwrap().len(), 2);
    }

    #[test]
    fn every_wrong_cell_is_named_by_row_and_column_and_nothing_is_ready() {
        let t = sheet(
            HEAD,
            &[
                &["睡衣", "颜色=红", "abc", "-1", "selling", "家居服", ""],
                &["睡衣", "红色", "1.999", "2.5", "", "服装", ""],
                &["", "", "10", "", "", "", ""],
                &["好", "", "10", "", "", "", ""],
            ],
        );
        let import = read_products(&t);
        assert_eq!(
            shown(&import),
            [
                (2, "售价(元)".to_owned()),
                (2, "库存".to_owned()),
                (2, "状态".to_owned()),
                (3, "规格".to_owned()),
                (3, "售价(元)".to_owned()),
                (3, "库存".to_owned()),
                (3, "类目".to_owned()),
                (4, "商品标题".to_owned()),
            ]
        );
        let messages: Vec<&str> = import.issues().iter().map(|i| i.message.as_str()).collect();
        assert!(messages[0].contains("不是有效金额") && messages[0].contains("\"abc\""), "{}", messages[0]);
        assert!(messages[1].contains("不能为负"), "{}", messages[1]);
        assert!(messages[3].contains("名称=值"), "{}", messages[3]);
        assert!(messages[4].contains("两位小数"), "{}", messages[4]);
        assert!(messages[5].contains("整数"), "{}", messages[5]);
        assert!(messages[6].contains("第 2 行是“家居服”"), "{}", messages[6]);
        assert!(import.ready().is_none());
    }

    #[test]
    fn domain_rules_land_on_the_row_and_column_they_are_about() {
        let t = sheet(
            &["商品标题", "规格", "售价(元)", "划线价(元)", "条码", "状态"],
            &[
                &["茶", "规格=单饼", "100", "90", "6901234567892", "on_sale"],
                &["茶", "规格=单饼", "0", "", "6901234567892", ""],
                &["杯", "", "50", "", "6901234567892", ""],
            ],
        );
        let import = read_products(&t);
        let found: Vec<(usize, String, bool)> = import
            .issues()
            .iter()
            .map(|i| (i.row, i.column.clone().unwrap_or_default(), i.message.contains(" / ")))
            .collect();
        assert_eq!(
            found,
            [
                (2, "划线价(元)".to_owned(), true),
                (3, "规格".to_owned(), true),
                (3, "售价(元)".to_owned(), true),
                (3, "条码".to_owned(), true),
                (4, "条码".to_owned(), true),
            ]
        );
        assert!(import.issues()[4].message.contains("第 2 行"), "{}", import.issues()[4].message);
    }

    #[test]
    fn platform_figures_read_exactly_and_wrong_ones_are_named_by_row_and_column() {
        let head = &["商品标题", "规格", "售价(元)", "退货率(%)", "商品评分"];
        let t = sheet(
            head,
            &[
                &["茶", "规格=单饼", "100", "12.5%", "4.8"],
                &["茶", "规格=双饼", "180", "12.50", ""],
                &["杯", "", "50", "", ""],
            ],
        );
        let import = read_products(&t);
        assert!(import.issues().is_empty(), "{:?}", import.issues());
        let tea = import.products[0].draft.as_ref().unwrap();
        assert_eq!((tea.platform.return_rate_permille, tea.platform.review_tenths), (Some(125), Some(48)));
        assert_eq!(import.products[1].draft.as_ref().unwrap().platform, PlatformFigures::default());

        let t = sheet(
            head,
            &[
                &["茶", "", "100", "12.55", "4.8"],
                &["杯", "", "50", "101", "5.1"],
                &["碗", "规格=大", "30", "3", "4"],
                &["碗", "规格=小", "20", "4", ""],
            ],
        );
        let import = read_products(&t);
        assert_eq!(
            shown(&import),
            [
                (2, "退货率(%)".to_owned()),
                (3, "退货率(%)".to_owned()),
                (3, "商品评分".to_owned()),
                (5, "退货率(%)".to_owned()),
            ]
        );
        let messages: Vec<&str> = import.issues().iter().map(|i| i.message.as_str()).collect();
        assert!(messages[0].contains("最多一位小数") && messages[0].contains("\"12.55\""), "{}", messages[0]);
        assert!(messages[1].contains("0到100%"), "{}", messages[1]);
        assert!(messages[2].contains("0到5分"), "{}", messages[2]);
        assert!(messages[3].contains("第 4 行是“3.0”"), "{}", messages[3]);
        assert!(import.ready().is_none());
    }

    #[test]
    fn several_rows_of_one_product_need_specs() {
        let t = sheet(&["商品标题", "售价(元)"], &[&["米", "69.9"], &["米", "69.9"]]);
        let import = read_products(&t);
        assert_eq!(shown(&import), [(2, "规格 specs".to_owned()), (3, "规格 specs".to_owned())]);
    }

    #[test]
    fn header_problems_stop_before_the_rows_and_name_the_column() {
        let t = sheet(&["商品标题", "规格", "库存"], &[&["a", "", "1"]]);
        let import = read_products(&t);
        assert_eq!(shown(&import), [(1, "售价(元) price".to_owned())]);
        assert!(import.issues()[0].message.contains("缺少必填列"));
        let empty = read_products(&Table::new(header_labels(COLUMNS)));
        assert_eq!(empty.issues().len(), 1);
        assert!(empty.ready().is_none());
    }

    #[test]
    fn titles_and_barcodes_the_shop_has_are_named() {
        use zhibo_domain::{ProductId, ShopId, SkuId, Timestamp};
        use zhibo_store::{ProductRecord, SkuRecord};
        let t = sheet(&["商品标题", "售价(元)", "条码"], &[&["旧品", "1", ""], &["新品", "1", "6901234567892"]]);
        let mut import = read_products(&t);
        assert!(import.issues().is_empty());
        let existing = ProductDetail {
            product: ProductRecord {
                id: ProductId(1),
                shop: ShopId(1),
                title: "旧品".into(),
                subtitle: String::new(),
                selling_points: Vec::new(),
                category: String::new(),
                brand: String::new(),
                status: ProductStatus::Draft,
                facts: Default::default(),
                platform: Default::default(),
                price: Fen(1),
                list_price: Fen(0),
                created_at: Timestamp(0),
                updated_at: Timestamp(0),
            },
            skus: vec![SkuRecord {
                id: SkuId(1),
                product: ProductId(1),
                specs: Specs::default(),
                list_price: Fen(0),
                price: Fen(1),
                cost: Fen(0),
                weight_g: 0,
                barcode: Some("6901234567892".into()),
                stock: 0,
            }],
        };
        import.check_against(&[existing]);
        assert_eq!(shown(&import), [(2, "商品标题".to_owned()), (3, "条码".to_owned())]);
        assert!(import.issues()[1].message.contains("旧品"));
        assert!(import.ready().is_none());
    }

    #[test]
    fn statuses_in_either_language() {
        for (text, status_) in [
            ("在售", ProductStatus::OnSale),
            ("On Sale", ProductStatus::OnSale),
            ("off-sale", ProductStatus::OffSale),
            ("草稿", ProductStatus::Draft),
        ] {
            assert_eq!(status(text), Some(status_), "{text}");
        }
        assert_eq!(status("sold"), None);
        assert_eq!(shorten("一二三四五六七八九十一二三四五六七八九十多"), "一二三四五六七八九十一二三四五六七八九十…");
        assert_eq!(shorten("短"), "短");
    }
}
