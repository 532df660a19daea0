//! The product sheet's columns: one list that both the export writes and
//! the import reads, so an export is always an import template.
//!
//! A column's key is the domain's field name (`price`, `weight_g`,
//! `after_sales`…), so a [`ProductError`](zhibo_domain::catalog::ProductError)
//! from the domain's parser maps to its column without a table of its own.

use zhibo_domain::catalog::PlatformFigures;
use zhibo_sheets::HeaderSpec;

pub const TITLE: &str = "title";
pub const SPECS: &str = "specs";
pub const PRICE: &str = "price";
pub const LIST_PRICE: &str = "list_price";
pub const COST: &str = "cost";
pub const WEIGHT: &str = "weight_g";
pub const BARCODE: &str = "barcode";
pub const STOCK: &str = "stock";
pub const STATUS: &str = "status";
pub const SUBTITLE: &str = "subtitle";
pub const SELLING_POINTS: &str = "selling_points";
pub const CATEGORY: &str = "category";
pub const BRAND: &str = "brand";
pub const MATERIAL: &str = "material";
pub const SIZE_CHART: &str = "size_chart";
pub const SHIPPING: &str = "shipping_hours";
pub const AFTER_SALES: &str = "after_sales";
/// The platform's return rate, as a percentage with one decimal.
pub const RETURN_RATE: &str = PlatformFigures::RETURN_RATE_FIELD;
/// The platform's review score, in stars with one decimal.
pub const REVIEW: &str = PlatformFigures::REVIEW_FIELD;

/// Every column in the order an export writes them: what identifies the
/// SKU and is edited most first, then the product's own fields. Headers
/// may come in any order, in either language or both ("售价(元) price").
pub const COLUMNS: &[HeaderSpec] = &[
    HeaderSpec::required(TITLE, "商品标题", "title"),
    HeaderSpec::optional(SPECS, "规格", "specs"),
    HeaderSpec::required(PRICE, "售价(元)", "price"),
    HeaderSpec::optional(LIST_PRICE, "划线价(元)", "list price"),
    HeaderSpec::optional(COST, "成本(元)", "cost"),
    HeaderSpec::optional(WEIGHT, "重量(克)", "weight g"),
    HeaderSpec::optional(BARCODE, "条码", "barcode"),
    HeaderSpec::optional(STOCK, "库存", "stock"),
    HeaderSpec::optional(STATUS, "状态", "status"),
    HeaderSpec::optional(SUBTITLE, "副标题", "subtitle"),
    HeaderSpec::optional(SELLING_POINTS, "卖点", "selling points"),
    HeaderSpec::optional(CATEGORY, "类目", "category"),
    HeaderSpec::optional(BRAND, "品牌", "brand"),
    HeaderSpec::optional(MATERIAL, "材质", "material"),
    HeaderSpec::optional(SIZE_CHART, "尺码表", "size chart"),
    HeaderSpec::optional(SHIPPING, "发货时限(小时)", "shipping hours"),
    HeaderSpec::optional(AFTER_SALES, "售后政策", "after-sales policy"),
    HeaderSpec::optional(RETURN_RATE, "退货率(%)", "return rate"),
    HeaderSpec::optional(REVIEW, "商品评分", "review score"),
];

/// The columns that belong to the product rather than to one SKU: every
/// row of a product must agree on them.
pub const PRODUCT_COLUMNS: [&str; 11] = [
    STATUS,
    SUBTITLE,
    SELLING_POINTS,
    CATEGORY,
    BRAND,
    MATERIAL,
    SIZE_CHART,
    SHIPPING,
    AFTER_SALES,
    RETURN_RATE,
    REVIEW,
];

/// The column a domain field is shown in, if it has one (`skus`, the SKU
/// count, has none).
pub fn column_of(field: &str) -> Option<&'static str> {
    COLUMNS.iter().map(|c| c.key).find(|key| *key == field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_sheets::{Table, header_labels, map_headers};

    #[test]
    fn every_label_and_each_half_of_it_maps_back_to_its_own_column() {
        let exported = Table::new(header_labels(COLUMNS));
        let map = map_headers(&exported, COLUMNS).unwrap();
        for (i, spec) in COLUMNS.iter().enumerate() {
            assert_eq!(map.get(spec.key), Some(i), "{}", spec.label());
        }
        // a file written by hand, in either language, in any order
        let zh = Table::new(COLUMNS.iter().rev().map(|c| c.zh));
        let map = map_headers(&zh, COLUMNS).unwrap();
        assert_eq!(map.get(PRICE), Some(COLUMNS.len() - 3));
        // the platform's figures as people label them, and by their keys
        let figures = Table::new(["商品标题", "售价(元)", "退货率（%）", "review_score"]);
        let map = map_headers(&figures, COLUMNS).unwrap();
        assert_eq!((map.get(RETURN_RATE), map.get(REVIEW)), (Some(2), Some(3)));
        let en = Table::new(COLUMNS.iter().map(|c| c.en));
        assert!(map_headers(&en, COLUMNS).is_ok());
        let keys = Table::new(COLUMNS.iter().map(|c| c.key));
        assert!(map_headers(&keys, COLUMNS).is_ok());
    }

    #[test]
    fn product_columns_and_domain_fields_are_columns() {
        for key in PRODUCT_COLUMNS {
            assert_eq!(column_of(key), Some(key));
        }
        assert_eq!(column_of("skus"), None);
    }
}
