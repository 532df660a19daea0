//! The product library's rules: what a product (商品) and its SKUs must be
//! before anything is stored.
//!
//! Raw input ([`ProductInput`], filled from a web form, a JSON body or a
//! spreadsheet row) is parsed by [`ProductDraft::parse`] into a
//! [`ProductDraft`], and every wrong field is reported at once as a
//! [`ProductError`] naming the field (and the SKU row), so a form can mark
//! every mistake in one go and the API can list them all. Pages, API and
//! imports share this one parser, so they cannot disagree about what is valid.
//!
//! SKUs, their specs and barcodes live in [`sku`]; the platform's return
//! rate and review score (平台数据) in [`figures`].

pub mod figures;
pub mod sku;

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use crate::{DomainError, Fen};
pub use figures::PlatformFigures;
pub use sku::{Barcode, SkuDraft, SkuInput, Specs};

/// Where a product stands in the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProductStatus {
    /// 草稿: being prepared; not offered anywhere.
    #[default]
    Draft,
    /// 在售: may be pushed as a card and sold.
    OnSale,
    /// 下架: taken off sale; kept with its history.
    OffSale,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 3] = [ProductStatus::Draft, ProductStatus::OnSale, ProductStatus::OffSale];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::OnSale => "on_sale",
            ProductStatus::OffSale => "off_sale",
        }
    }

    /// Parses `draft`, `on_sale` or `off_sale`.
    pub fn parse(text: &str) -> Result<ProductStatus, DomainError> {
        ProductStatus::ALL.into_iter().find(|s| s.as_str() == text.trim()).ok_or_else(|| {
            DomainError::new(
                "status",
                format!(
                    "状态须为 draft、on_sale 或 off_sale / status must be draft, on_sale or off_sale, not {text:?}"
                ),
            )
        })
    }

    /// Whether a product whose SKUs have these prices may take this status:
    /// nothing goes on sale at a price of 0, since a free item during a show
    /// is an incident, not a promotion (giveaways are promotions of their own).
    pub fn check_prices(self, prices: impl IntoIterator<Item = Fen>) -> Result<(), DomainError> {
        if self == ProductStatus::OnSale && prices.into_iter().any(|p| p.0 <= 0) {
            return Err(DomainError::new(
                "status",
                "有SKU售价为0，不能上架 / a product with a SKU priced 0 cannot go on sale",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for ProductStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Facts a streamer or assistant answers viewers' questions with during a
/// show, as fields of their own so they can be shown and searched as such.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductFacts {
    /// 材质, e.g. "22姆米桑蚕丝".
    pub material: String,
    /// 尺码表: lines of cells separated by `|` or a tab; the first line is
    /// the header. Plain text is allowed too.
    pub size_chart: String,
    /// 发货时间: ships within this many hours of payment.
    pub shipping_hours: Option<u32>,
    /// 售后政策, e.g. "7天无理由退换；运费险".
    pub after_sales: String,
}

impl ProductFacts {
    /// The size chart as rows of cells, for showing it as a table. Empty
    /// lines are skipped; a line without separators is one cell.
    pub fn size_chart_rows(&self) -> Vec<Vec<String>> {
        self.size_chart
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| line.split(['|', '\t']).map(|c| c.trim().to_owned()).collect())
            .collect()
    }
}

/// A product as someone typed or sent it, not yet checked. Money is already
/// in fen: the form turns what people type in yuan into fen first
/// ([`Fen::parse_yuan`]), the API takes fen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductInput {
    pub title: String,
    pub subtitle: String,
    /// One short line each; blank lines are dropped.
    pub selling_points: Vec<String>,
    pub category: String,
    pub brand: String,
    /// `draft`, `on_sale` or `off_sale`; empty means draft.
    pub status: String,
    pub material: String,
    pub size_chart: String,
    pub shipping_hours: Option<i64>,
    pub after_sales: String,
    /// 退货率 in ‰ as the platform shows it (平台数据); forms and sheets
    /// read the typed percentage with [`PlatformFigures::parse_return_rate`].
    pub return_rate_permille: Option<i64>,
    /// 商品评分 in tenths of a star (平台数据); typed stars are read with
    /// [`PlatformFigures::parse_review`].
    pub review_tenths: Option<i64>,
    pub skus: Vec<SkuInput>,
}

/// One wrong field of a product: `sku` is the SKU row (from 0) when the
/// field belongs to a SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductError {
    pub sku: Option<usize>,
    pub error: DomainError,
}

impl ProductError {
    fn product(error: DomainError) -> Self {
        ProductError { sku: None, error }
    }

    fn sku(row: usize, error: DomainError) -> Self {
        ProductError { sku: Some(row), error }
    }

    /// The field as a path: `title`, or `skus[2].price` (rows from 0, as in
    /// a JSON path).
    pub fn path(&self) -> String {
        self.path_with(|f| f)
    }

    /// The path with the field renamed, for a caller whose field names
    /// differ (the API says `price_fen` for `price`).
    pub fn path_with(&self, rename: impl Fn(&'static str) -> &'static str) -> String {
        match self.sku {
            None => rename(self.error.field).to_owned(),
            Some(row) => format!("skus[{row}].{}", rename(self.error.field)),
        }
    }
}

impl fmt::Display for ProductError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.error.message)
    }
}

/// A product with its SKUs, checked: every field within its limits, at
/// least one SKU, every SKU with the same spec names, no combination or
/// barcode twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub title: String,
    pub subtitle: String,
    pub selling_points: Vec<String>,
    pub category: String,
    pub brand: String,
    pub status: ProductStatus,
    pub facts: ProductFacts,
    /// The platform's return rate and review score, when entered.
    pub platform: PlatformFigures,
    pub skus: Vec<SkuDraft>,
}

impl ProductDraft {
    pub const MAX_TITLE_CHARS: usize = 60;
    pub const MAX_SUBTITLE_CHARS: usize = 60;
    pub const MAX_SELLING_POINTS: usize = 10;
    pub const MAX_SELLING_POINT_CHARS: usize = 40;
    pub const MAX_CATEGORY_CHARS: usize = 20;
    pub const MAX_BRAND_CHARS: usize = 30;
    pub const MAX_MATERIAL_CHARS: usize = 100;
    pub const MAX_SIZE_CHART_CHARS: usize = 2000;
    pub const MAX_AFTER_SALES_CHARS: usize = 500;
    /// 30 days.
    pub const MAX_SHIPPING_HOURS: i64 = 720;
    pub const MAX_SKUS: usize = 100;

    /// Checks every field of the product and of each SKU, and the rules
    /// across SKUs, reporting every problem at once.
    pub fn parse(input: &ProductInput) -> Result<ProductDraft, Vec<ProductError>> {
        let mut errors = Vec::new();
        let mut check = |result: Result<String, DomainError>| match result {
            Ok(text) => text,
            Err(e) => {
                errors.push(ProductError::product(e));
                String::new()
            }
        };
        let title = check(required_line("title", "商品名称", "title", &input.title, Self::MAX_TITLE_CHARS));
        let subtitle = check(line("subtitle", "副标题", "subtitle", &input.subtitle, Self::MAX_SUBTITLE_CHARS));
        let category = check(line("category", "类目", "category", &input.category, Self::MAX_CATEGORY_CHARS));
        let brand = check(line("brand", "品牌", "brand", &input.brand, Self::MAX_BRAND_CHARS));
        let material = check(line("material", "材质", "material", &input.material, Self::MAX_MATERIAL_CHARS));
        let size_chart =
            check(text_block("size_chart", "尺码表", "size chart", &input.size_chart, Self::MAX_SIZE_CHART_CHARS));
        let after_sales = check(text_block(
            "after_sales",
            "售后政策",
            "after-sales policy",
            &input.after_sales,
            Self::MAX_AFTER_SALES_CHARS,
        ));
        let selling_points = match selling_points(&input.selling_points) {
            Ok(points) => points,
            Err(e) => {
                errors.push(ProductError::product(e));
                Vec::new()
            }
        };
        let status = if input.status.trim().is_empty() {
            ProductStatus::Draft
        } else {
            ProductStatus::parse(&input.status).unwrap_or_else(|e| {
                errors.push(ProductError::product(e));
                ProductStatus::Draft
            })
        };
        let shipping_hours = match input.shipping_hours {
            None => None,
            Some(h) if (1..=Self::MAX_SHIPPING_HOURS).contains(&h) => u32::try_from(h).ok(),
            Some(_) => {
                errors.push(ProductError::product(DomainError::new(
                    "shipping_hours",
                    "发货时间须为1到720小时 / shipping time must be 1 to 720 hours",
                )));
                None
            }
        };
        let platform = PlatformFigures::check(input.return_rate_permille, input.review_tenths).unwrap_or_else(|errs| {
            errors.extend(errs.into_iter().map(ProductError::product));
            PlatformFigures::default()
        });

        let skus = parse_skus(&input.skus, status, &mut errors);
        if errors.is_empty() {
            Ok(ProductDraft {
                title,
                subtitle,
                selling_points,
                category,
                brand,
                status,
                facts: ProductFacts { material, size_chart, shipping_hours, after_sales },
                platform,
                skus,
            })
        } else {
            Err(errors)
        }
    }

    /// The cheapest SKU's price and list price: what a list shows as the
    /// product's price ("from").
    pub fn lead_price(&self) -> (Fen, Fen) {
        self.skus.iter().min_by_key(|s| s.price).map(|s| (s.price, s.list_price)).unwrap_or_default()
    }
}

/// The SKU rows, each checked alone, then the rules across rows.
fn parse_skus(inputs: &[SkuInput], status: ProductStatus, errors: &mut Vec<ProductError>) -> Vec<SkuDraft> {
    if inputs.is_empty() {
        errors.push(ProductError::product(DomainError::new("skus", "至少需要一个SKU / at least one SKU is needed")));
        return Vec::new();
    }
    if inputs.len() > ProductDraft::MAX_SKUS {
        errors.push(ProductError::product(DomainError::new(
            "skus",
            format!("SKU最多{0}个 / at most {0} SKUs", ProductDraft::MAX_SKUS),
        )));
        return Vec::new();
    }
    let mut skus = Vec::new();
    for (row, input) in inputs.iter().enumerate() {
        match SkuDraft::parse(input) {
            Ok(sku) => skus.push(Some(sku)),
            Err(errs) => {
                errors.extend(errs.into_iter().map(|e| ProductError::sku(row, e)));
                skus.push(None);
            }
        }
    }
    // Rules across rows, over each field that is sound by itself, even in a
    // row with other mistakes: two rows with the same specs are reported
    // whatever else is wrong with them.
    let specs: Vec<Option<Specs>> = inputs.iter().map(|i| Specs::parse(&i.specs).ok()).collect();
    let first = specs.iter().flatten().next();
    let first_names = first.map(|s| s.names().collect::<BTreeSet<_>>());
    // the first SKU's names in its own order, for the message
    let first_order: Vec<&str> = first.map(|s| s.names().collect()).unwrap_or_default();
    let mut combos = HashSet::new();
    let mut barcodes = HashSet::new();
    let mut ids = HashSet::new();
    for (row, input) in inputs.iter().enumerate() {
        if let Some(specs) = &specs[row] {
            let names: BTreeSet<_> = specs.names().collect();
            if first_names.as_ref().is_some_and(|first| *first != names) {
                let message = format!(
                    "每个SKU的规格项须相同（{0}）/ every SKU must have the same spec names ({0})",
                    if first_order.is_empty() { "无 / none".to_owned() } else { first_order.join(", ") }
                );
                errors.push(ProductError::sku(row, DomainError::new("specs", message)));
            } else if !combos.insert(specs.key()) {
                errors.push(ProductError::sku(
                    row,
                    DomainError::new(
                        "specs",
                        format!("规格组合重复：{0} / the spec combination {0} appears twice", specs),
                    ),
                ));
            }
        }
        if let Ok(code) = Barcode::parse(&input.barcode)
            && !barcodes.insert(code.as_str().to_owned())
        {
            errors.push(ProductError::sku(
                row,
                DomainError::new("barcode", format!("条码重复：{0} / barcode {0} appears twice", code.as_str())),
            ));
        }
        if let Some(id) = input.id.filter(|id| *id > 0)
            && !ids.insert(id)
        {
            errors.push(ProductError::sku(
                row,
                DomainError::new("id", format!("SKU {id} 重复 / SKU {id} appears twice")),
            ));
        }
        if let Some(sku) = &skus[row]
            && status.check_prices([sku.price]).is_err()
        {
            errors.push(ProductError::sku(
                row,
                DomainError::new("price", "在售商品的售价须大于0 / a product on sale needs a price above 0"),
            ));
        }
    }
    skus.into_iter().flatten().collect()
}

/// Splits a block of text into its non-blank lines, trimmed: how a form's
/// textarea of selling points becomes a list.
pub fn split_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn selling_points(lines: &[String]) -> Result<Vec<String>, DomainError> {
    let points: Vec<String> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    let field = "selling_points";
    if points.len() > ProductDraft::MAX_SELLING_POINTS {
        return Err(DomainError::new(
            field,
            format!("卖点最多{0}条 / at most {0} selling points", ProductDraft::MAX_SELLING_POINTS),
        ));
    }
    for (i, point) in points.iter().enumerate() {
        let n = i + 1;
        if point.chars().count() > ProductDraft::MAX_SELLING_POINT_CHARS {
            return Err(DomainError::new(
                field,
                format!(
                    "第{n}条卖点超过{0}个字符 / selling point {n} is longer than {0} characters",
                    ProductDraft::MAX_SELLING_POINT_CHARS
                ),
            ));
        }
        if point.chars().any(char::is_control) {
            return Err(DomainError::new(
                field,
                format!("第{n}条卖点含有控制字符 / selling point {n} holds control characters"),
            ));
        }
    }
    Ok(points)
}

/// One line of text, trimmed, at most `max` characters, no control
/// characters; may be empty.
pub(crate) fn line(field: &'static str, zh: &str, en: &str, text: &str, max: usize) -> Result<String, DomainError> {
    let t = text.trim();
    if t.chars().count() > max {
        return Err(DomainError::new(field, format!("{zh}最多{max}个字符 / {en}: at most {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(DomainError::new(field, format!("{zh}须为一行文字 / {en} must be one line of text")));
    }
    Ok(t.to_owned())
}

fn required_line(field: &'static str, zh: &str, en: &str, text: &str, max: usize) -> Result<String, DomainError> {
    let t = line(field, zh, en, text, max)?;
    if t.is_empty() {
        return Err(DomainError::new(field, format!("{zh}需1到{max}个字符 / {en} must be 1 to {max} characters")));
    }
    Ok(t)
}

/// Several lines of text (line breaks and tabs allowed), trimmed.
pub(crate) fn text_block(
    field: &'static str,
    zh: &str,
    en: &str,
    text: &str,
    max: usize,
) -> Result<String, DomainError> {
    let t = text.trim().replace("\r\n", "\n");
    if t.chars().count() > max {
        return Err(DomainError::new(field, format!("{zh}最多{max}个字符 / {en}: at most {max} characters")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DomainError::new(field, format!("{zh}含有控制字符 / {en} holds control characters")));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sku(specs: &[(&str, &str)], price: i64) -> SkuInput {
        SkuInput {
            id: None,
            specs: specs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            list_price: Fen(0),
            price: Fen(price),
            cost: Fen(0),
            weight_g: 0,
            barcode: String::new(),
        }
    }

    fn input(skus: Vec<SkuInput>) -> ProductInput {
        ProductInput {
            title: " 真丝睡衣 ".into(),
            selling_points: vec!["22姆米".into(), " ".into()],
            skus,
            ..Default::default()
        }
    }

    fn paths(errors: &[ProductError]) -> Vec<String> {
        errors.iter().map(ProductError::path).collect()
    }

    #[test]
    fn a_sound_product_passes_trimmed_with_blank_lines_dropped() {
        let p =
            ProductDraft::parse(&input(vec![sku(&[("颜色", "红")], 19900), sku(&[("颜色", "蓝")], 18900)])).unwrap();
        assert_eq!(p.title, "真丝睡衣");
        assert_eq!(p.selling_points, ["22姆米"]);
        assert_eq!(p.status, ProductStatus::Draft);
        assert_eq!(p.lead_price(), (Fen(18900), Fen(0)));
    }

    #[test]
    fn every_problem_is_reported_with_its_row() {
        let mut bad = sku(&[("颜色", "红")], -1);
        bad.list_price = Fen(-5);
        bad.cost = Fen(-2);
        bad.weight_g = -1;
        bad.barcode = "12ab".into();
        let mut i = input(vec![sku(&[("颜色", "蓝")], 100), bad]);
        i.title = String::new();
        i.status = "selling".into();
        i.shipping_hours = Some(0);
        i.return_rate_permille = Some(1001);
        i.review_tenths = Some(51);
        let errs = ProductDraft::parse(&i).unwrap_err();
        assert_eq!(
            paths(&errs),
            [
                "title",
                "status",
                "shipping_hours",
                "return_rate",
                "review_score",
                "skus[1].list_price",
                "skus[1].price",
                "skus[1].cost",
                "skus[1].weight_g",
                "skus[1].barcode"
            ]
        );
        assert!(errs.iter().all(|e| e.error.message.contains(" / ")), "bilingual: {errs:?}");
    }

    #[test]
    fn platform_figures_are_kept_and_out_of_range_ones_named() {
        let mut i = input(vec![sku(&[], 100)]);
        assert_eq!(ProductDraft::parse(&i).unwrap().platform, PlatformFigures::default(), "blank: not entered");
        i.return_rate_permille = Some(125);
        i.review_tenths = Some(48);
        let p = ProductDraft::parse(&i).unwrap();
        assert_eq!((p.platform.return_rate_permille, p.platform.review_tenths), (Some(125), Some(48)));
        i.return_rate_permille = Some(-1);
        let errs = ProductDraft::parse(&i).unwrap_err();
        assert_eq!(paths(&errs), ["return_rate"]);
        assert!(errs[0].error.message.contains("退货率") && errs[0].error.message.contains("return rate"));
        i.return_rate_permille = Some(1000);
        i.review_tenths = Some(60);
        let errs = ProductDraft::parse(&i).unwrap_err();
        assert_eq!(paths(&errs), ["review_score"]);
        assert!(errs[0].error.message.contains("商品评分") && errs[0].error.message.contains("review score"));
    }

    #[test]
    fn a_list_price_below_the_price_is_a_false_anchor() {
        let mut s = sku(&[], 1000);
        s.list_price = Fen(900);
        let errs = ProductDraft::parse(&input(vec![s])).unwrap_err();
        assert_eq!(paths(&errs), ["skus[0].list_price"]);
    }

    #[test]
    fn a_product_needs_a_sku_and_spec_combinations_are_unique() {
        assert_eq!(paths(&ProductDraft::parse(&input(vec![])).unwrap_err()), ["skus"]);
        let twice = vec![
            sku(&[("颜色", "红"), ("尺码", "M")], 100),
            sku(&[("尺码", "M"), ("颜色", "红")], 100),
            sku(&[("颜色", "红")], 100),
        ];
        let errs = ProductDraft::parse(&input(twice)).unwrap_err();
        assert_eq!(paths(&errs), ["skus[1].specs", "skus[2].specs"]);
        assert!(errs[1].error.message.contains("颜色, 尺码"), "{}", errs[1]);
    }

    #[test]
    fn a_repeated_combination_is_reported_even_in_a_row_with_other_mistakes() {
        let errs =
            ProductDraft::parse(&input(vec![sku(&[("颜色", "红")], -1), sku(&[("颜色", "红")], 100)])).unwrap_err();
        assert_eq!(paths(&errs), ["skus[0].price", "skus[1].specs"]);
    }

    #[test]
    fn barcodes_and_ids_may_not_repeat_within_a_product() {
        let mut a = sku(&[("颜色", "红")], 100);
        let mut b = sku(&[("颜色", "蓝")], 100);
        a.barcode = "6901234567892".into();
        b.barcode = "6901234567892".into();
        a.id = Some(4);
        b.id = Some(4);
        let errs = ProductDraft::parse(&input(vec![a, b])).unwrap_err();
        assert_eq!(paths(&errs), ["skus[1].barcode", "skus[1].id"]);
    }

    #[test]
    fn nothing_goes_on_sale_at_price_zero() {
        let mut i = input(vec![sku(&[("颜色", "红")], 100), sku(&[("颜色", "蓝")], 0)]);
        assert!(ProductDraft::parse(&i).is_ok(), "a draft may be unpriced");
        i.status = "on_sale".into();
        assert_eq!(paths(&ProductDraft::parse(&i).unwrap_err()), ["skus[1].price"]);
        assert!(ProductStatus::OnSale.check_prices([Fen(1), Fen(0)]).is_err());
        assert!(ProductStatus::OffSale.check_prices([Fen(0)]).is_ok());
    }

    #[test]
    fn selling_points_are_short_lines() {
        let mut i = input(vec![sku(&[], 100)]);
        i.selling_points = vec!["好".repeat(41)];
        let errs = ProductDraft::parse(&i).unwrap_err();
        assert_eq!(paths(&errs), ["selling_points"]);
        assert!(errs[0].error.message.contains("第1条"));
        i.selling_points = (0..11).map(|n| n.to_string()).collect();
        assert_eq!(paths(&ProductDraft::parse(&i).unwrap_err()), ["selling_points"]);
        assert_eq!(split_lines(" a \r\n\n b\n"), ["a", "b"]);
    }

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_named() {
        for s in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(ProductStatus::parse("sold").unwrap_err().field, "status");
    }

    #[test]
    fn a_size_chart_reads_as_a_table() {
        let facts = ProductFacts { size_chart: "尺码|胸围\nM | 96\n\nL\t100".into(), ..Default::default() };
        assert_eq!(facts.size_chart_rows(), [vec!["尺码", "胸围"], vec!["M", "96"], vec!["L", "100"]]);
    }

    #[test]
    fn single_line_fields_refuse_line_breaks_but_blocks_keep_them() {
        let mut i = input(vec![sku(&[], 100)]);
        i.brand = "a\nb".into();
        i.after_sales = "7天无理由\n运费险".into();
        assert_eq!(paths(&ProductDraft::parse(&i).unwrap_err()), ["brand"]);
        i.brand = "丝语".into();
        assert_eq!(ProductDraft::parse(&i).unwrap().facts.after_sales, "7天无理由\n运费险");
    }
}
