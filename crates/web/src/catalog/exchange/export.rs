//! Writing the product library as a sheet: one row per SKU with the
//! product's columns repeated, in the columns the import reads, so an
//! export imported into an empty shop recreates the same catalog.
//!
//! Money is written as yuan text with two decimals ("199.00"), exactly the
//! fen it holds, never a float; a 划线价 of 0 (none) is left blank. Whole
//! numbers (weight, stock, shipping hours) are number cells. The platform's
//! return rate and review score are text with one decimal ("12.5", "4.8"),
//! blank when not entered. Stock is the SKU's current stock, which an
//! import takes as its opening stock.

use zhibo_domain::Fen;
use zhibo_sheets::{Cell, Format, SheetError, Table, header_labels, write_csv, write_xlsx};
use zhibo_store::ProductDetail;

use super::columns::{
    AFTER_SALES, BARCODE, BRAND, CATEGORY, COLUMNS, COST, LIST_PRICE, MATERIAL, PRICE, RETURN_RATE, REVIEW,
    SELLING_POINTS, SHIPPING, SIZE_CHART, SPECS, STATUS, STOCK, SUBTITLE, TITLE, WEIGHT,
};

/// The XLSX worksheet's name.
pub const SHEET_NAME: &str = "商品 products";

/// Every product and SKU as a table, products oldest first, SKUs in their
/// order.
pub fn table(details: &[ProductDetail]) -> Table {
    let mut table = Table::new(header_labels(COLUMNS));
    for detail in details {
        let p = &detail.product;
        for sku in &detail.skus {
            let cells = COLUMNS
                .iter()
                .map(|column| match column.key {
                    TITLE => Cell::from(p.title.as_str()),
                    SPECS => Cell::from(sku.specs.to_string()),
                    PRICE => yuan(sku.price),
                    LIST_PRICE if sku.list_price.0 == 0 => Cell::Empty,
                    LIST_PRICE => yuan(sku.list_price),
                    COST => yuan(sku.cost),
                    WEIGHT => Cell::Int(sku.weight_g),
                    BARCODE => Cell::from(sku.barcode.clone()),
                    STOCK => Cell::Int(sku.stock),
                    STATUS => Cell::from(p.status.as_str()),
                    SUBTITLE => Cell::from(p.subtitle.as_str()),
                    SELLING_POINTS => Cell::from(p.selling_points.join("\n")),
                    CATEGORY => Cell::from(p.category.as_str()),
                    BRAND => Cell::from(p.brand.as_str()),
                    MATERIAL => Cell::from(p.facts.material.as_str()),
                    SIZE_CHART => Cell::from(p.facts.size_chart.as_str()),
                    SHIPPING => Cell::from(p.facts.shipping_hours.map(i64::from)),
                    AFTER_SALES => Cell::from(p.facts.after_sales.as_str()),
                    RETURN_RATE => Cell::from(p.platform.return_rate_text()),
                    REVIEW => Cell::from(p.platform.review_text()),
                    _ => Cell::Empty,
                })
                .collect();
            table.push_row(cells);
        }
    }
    table
}

/// The table as a file of `format`.
pub fn write(table: &Table, format: Format) -> Result<Vec<u8>, SheetError> {
    match format {
        Format::Csv => Ok(write_csv(table)),
        Format::Xlsx => write_xlsx(table, SHEET_NAME),
    }
}

/// `19900` fen → `"199.00"`: the digits as they are, no float between.
fn yuan(fen: Fen) -> Cell {
    Cell::from(fen.to_string().replace('¥', ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::exchange::import::read_products;
    use zhibo_domain::catalog::{PlatformFigures, ProductFacts, ProductStatus, Specs};
    use zhibo_domain::{ProductId, ShopId, SkuId, Timestamp};
    use zhibo_sheets::read;
    use zhibo_store::{ProductRecord, SkuRecord};

    fn detail() -> ProductDetail {
        let product = ProductId(7);
        let sku = |id: i64, color: &str, list_price: i64, stock: i64, barcode: Option<&str>| SkuRecord {
            id: SkuId(id),
            product,
            specs: Specs::parse_text(&format!("颜色={color}, 尺码=M")).unwrap(),
            list_price: Fen(list_price),
            price: Fen(39_990),
            cost: Fen(15_805),
            weight_g: 350,
            barcode: barcode.map(str::to_owned),
            stock,
        };
        ProductDetail {
            product: ProductRecord {
                id: product,
                shop: ShopId(1),
                title: "=真丝睡衣".into(),
                subtitle: "22姆米".into(),
                selling_points: vec!["亲肤".into(), "可机洗".into()],
                category: "家居服".into(),
                brand: "丝语".into(),
                status: ProductStatus::OnSale,
                facts: ProductFacts {
                    material: "桑蚕丝".into(),
                    size_chart: "尺码|胸围\nM|96".into(),
                    shipping_hours: Some(24),
                    after_sales: "7天无理由\n运费险".into(),
                },
                platform: PlatformFigures { return_rate_permille: Some(125), review_tenths: Some(48) },
                price: Fen(39_990),
                list_price: Fen(69_900),
                created_at: Timestamp(0),
                updated_at: Timestamp(0),
            },
            skus: vec![sku(1, "香槟", 69_900, 30, Some("0036000291452")), sku(2, "墨绿", 0, 0, None)],
        }
    }

    #[test]
    fn an_export_reads_back_as_the_same_products_in_both_formats() {
        let original = detail();
        for format in [Format::Csv, Format::Xlsx] {
            let bytes = write(&table(std::slice::from_ref(&original)), format).unwrap();
            let back = read_products(&read(&bytes, format).unwrap());
            assert!(back.issues().is_empty(), "{format:?}: {:?}", back.issues());
            let ready = back.ready().unwrap();
            let draft = ready[0].draft();
            let p = &original.product;
            assert_eq!(
                (&draft.title, &draft.subtitle, &draft.selling_points, &draft.category, &draft.brand, draft.status),
                (&p.title, &p.subtitle, &p.selling_points, &p.category, &p.brand, p.status),
                "{format:?}"
            );
            assert_eq!(draft.facts, p.facts, "{format:?}");
            assert_eq!(draft.platform, p.platform, "{format:?}");
            for (got, want) in draft.skus.iter().zip(&original.skus) {
                assert_eq!(
                    (&got.specs, got.list_price, got.price, got.cost, got.weight_g),
                    (&want.specs, want.list_price, want.price, want.cost, want.weight_g),
                    "{format:?}"
                );
                assert_eq!(got.barcode.as_ref().map(|b| b.as_str()), want.barcode.as_deref(), "{format:?}");
            }
            assert_eq!(ready[0].opening_stock(), [30, 0], "{format:?}");
        }
    }

    #[test]
    fn money_is_written_as_exact_yuan_text() {
        let t = table(&[detail()]);
        let price = COLUMNS.iter().position(|c| c.key == PRICE).unwrap();
        let list = COLUMNS.iter().position(|c| c.key == LIST_PRICE).unwrap();
        let cost = COLUMNS.iter().position(|c| c.key == COST).unwrap();
        assert_eq!(t.rows[0].cells[price], Cell::from("399.90"));
        assert_eq!(t.rows[0].cells[list], Cell::from("699.00"));
        assert_eq!(t.rows[0].cells[cost], Cell::from("158.05"));
        assert_eq!(t.rows[1].cells[list], Cell::Empty, "0 is no 划线价");
        let rate = COLUMNS.iter().position(|c| c.key == RETURN_RATE).unwrap();
        let review = COLUMNS.iter().position(|c| c.key == REVIEW).unwrap();
        assert_eq!((&t.rows[0].cells[rate], &t.rows[0].cells[review]), (&Cell::from("12.5"), &Cell::from("4.8")));
        assert_eq!(t.rows.len(), 2, "one row per SKU");
    }
}
