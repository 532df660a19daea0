//! 新建促销: one create form per kind — 满减, 满件折, 优惠券, 直播间专享价 and
//! 赠品. (秒杀价 is set from the live console.)
//!
//! What is typed is read into the domain's draft: money with
//! [`Fen::parse_yuan`], times as Beijing wall-clock time, 折 and percentages
//! as integer rates. The draft is then checked by `Promotion::new` or
//! `Coupon::new`, the constructors the API uses, and the domain's problems
//! are named the way the API names them ([`invalid`]), so the page and the
//! API refuse the same things with the same words.
//!
//! Reading problems (a word where a number belongs, `12.345` yuan) and the
//! domain's problems are shown together, each beside its field. Where a
//! field could not be read, the domain's check of it is left out: it would
//! only judge a placeholder and repeat the problem in other words.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use zhibo_domain::ids::{CouponId, PromotionId};
use zhibo_domain::localtime::{format_shop_time, parse_shop_time};
use zhibo_domain::promotion::{
    Coupon, CouponBenefit, CouponDraft, FullReduction, Gift, GiftTrigger, LivePrice, LivePriceItem, Promotion,
    PromotionDraft, PromotionKind, PromotionRule, QuantityDiscount, QuantityTier, Rate, ReductionForm, ReductionTier,
    Scope,
};
use zhibo_domain::{DomainError, Fen, ProductId, ShopId, SkuId, Timestamp};
use zhibo_store::ProductDetail;
use zhibo_store::promotions as stored;

use crate::api::promotions::invalid;
use crate::auth::Signed;
use crate::error::{FieldError, WebError};
use crate::i18n::{Lang, Msg};
use crate::pages::error_page::render_error;
use crate::pages::{Layout, PageCtx, is_htmx, render};
use crate::state::AppState;

/// Rows of tiers a form offers (the domain allows more; three cover the
/// promotions shops actually run, and the API takes the rest).
pub const TIER_ROWS: usize = 3;

/// The kinds that have a create form here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    FullReduction,
    QuantityDiscount,
    Coupon,
    LivePrice,
    Gift,
}

impl FormKind {
    pub const ALL: [FormKind; 5] =
        [FormKind::FullReduction, FormKind::QuantityDiscount, FormKind::Coupon, FormKind::LivePrice, FormKind::Gift];

    pub fn promotion_kind(self) -> PromotionKind {
        match self {
            FormKind::FullReduction => PromotionKind::FullReduction,
            FormKind::QuantityDiscount => PromotionKind::QuantityDiscount,
            FormKind::Coupon => PromotionKind::Coupon,
            FormKind::LivePrice => PromotionKind::LivePrice,
            FormKind::Gift => PromotionKind::Gift,
        }
    }

    /// The path segment: `full_reduction`, `coupon`, ….
    pub fn code(self) -> &'static str {
        self.promotion_kind().as_str()
    }

    /// The kind's name in the page's language.
    pub fn name(self, lang: Lang) -> &'static str {
        match lang {
            Lang::ZhCn => self.promotion_kind().name_zh(),
            Lang::En => self.promotion_kind().name_en(),
        }
    }

    fn has_scope(self) -> bool {
        !matches!(self, FormKind::LivePrice)
    }

    /// The kind named in a path (flash sales have no form here).
    pub fn from_path(code: &str) -> Option<FormKind> {
        FormKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The 404 for a kind without a form, saying where flash sales are set.
fn no_form(layout: Layout, code: &str) -> Response {
    let message =
        if code == PromotionKind::FlashSale.as_str() { layout.t.promo_flash_note } else { layout.t.not_found };
    (StatusCode::NOT_FOUND, Html(render_error(layout, StatusCode::NOT_FOUND, message.to_owned()))).into_response()
}

// ------------------------------------------------------------- reading

/// A posted form as name/value pairs (checkboxes repeat a name).
#[derive(Debug, Clone, Default)]
pub struct FormInput(pub Vec<(String, String)>);

impl FormInput {
    /// The first value of `name`, or "".
    pub fn one(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn many(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Where the field `name` was posted (a tier problem: where the tiers
    /// start), so problems can be listed in the form's order.
    fn position(&self, name: &str) -> usize {
        let is = |k: &str| if name == "tiers" { k.starts_with("tier_") } else { k == name };
        self.0.iter().position(|(k, _)| is(k)).unwrap_or(usize::MAX)
    }

    fn set(&mut self, name: &str, value: String) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_owned(), value));
    }
}

/// The shop's products and SKUs, to offer in the form and to check what
/// was chosen against.
#[derive(Debug, Default)]
pub struct Catalog {
    products: Vec<(ProductId, String, Fen)>,
    /// SKU → (its product, label, stock), grouped by product in order.
    skus: BTreeMap<SkuId, (ProductId, String, i64)>,
}

impl Catalog {
    pub fn new(details: &[ProductDetail], t: &Msg) -> Catalog {
        let mut catalog = Catalog::default();
        for d in details {
            let p = &d.product;
            catalog.products.push((p.id, p.title.clone(), p.price));
            for s in &d.skus {
                let label = if s.specs.is_empty() { t.sku_default.to_owned() } else { s.specs.to_string() };
                catalog.skus.insert(s.id, (p.id, label, s.stock));
            }
        }
        catalog
    }

    fn has_product(&self, id: ProductId) -> bool {
        self.products.iter().any(|(p, _, _)| *p == id)
    }
}

/// What a valid form becomes.
#[derive(Debug)]
pub enum Built {
    Promotion { promotion: Promotion, show: Option<i64> },
    Coupon(Coupon),
}

const EMPTY: &str = "不能为空 / must not be empty";

/// Reads fields one by one, collecting every reading problem.
struct Reader<'a> {
    input: &'a FormInput,
    errors: Vec<FieldError>,
    /// Domain fields whose check would only repeat a reading problem.
    covered: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    fn new(input: &'a FormInput) -> Self {
        Reader { input, errors: Vec::new(), covered: Vec::new() }
    }

    fn text(&self, name: &str) -> &'a str {
        self.input.one(name).trim()
    }

    fn wrong(&mut self, field: &str, covers: &[&'static str], message: impl Into<String>) {
        self.errors.push(FieldError { field: field.to_owned(), message: message.into() });
        self.covered.extend_from_slice(covers);
    }

    /// Money in yuan; `prefix` names the tier row, if any.
    fn money_in(&mut self, name: &str, prefix: &str, covers: &[&'static str]) -> Fen {
        match Fen::parse_yuan("amount", self.text(name)) {
            Ok(fen) => fen,
            Err(e) => {
                self.wrong(name, covers, format!("{prefix}{}", e.message));
                Fen::ZERO
            }
        }
    }

    fn money(&mut self, name: &str, covers: &[&'static str]) -> Fen {
        self.money_in(name, "", covers)
    }

    fn optional_money(&mut self, name: &str, covers: &[&'static str]) -> Option<Fen> {
        (!self.text(name).is_empty()).then(|| self.money(name, covers))
    }

    /// A `datetime-local` value, read as Beijing time.
    fn time(&mut self, name: &str, covers: &[&'static str]) -> Timestamp {
        let text = self.text(name);
        if text.is_empty() {
            self.wrong(name, covers, EMPTY);
            return Timestamp(0);
        }
        parse_shop_time("time", text).unwrap_or_else(|e| {
            self.wrong(name, covers, e.message);
            Timestamp(0)
        })
    }

    fn whole_in(&mut self, name: &str, prefix: &str, covers: &[&'static str]) -> u32 {
        let text = self.text(name);
        if text.is_empty() {
            self.wrong(name, covers, format!("{prefix}{EMPTY}"));
            return 0;
        }
        text.parse().unwrap_or_else(|_| {
            self.wrong(name, covers, format!("{prefix}须为整数 / must be a whole number: {text:?}"));
            0
        })
    }

    fn whole(&mut self, name: &str, covers: &[&'static str]) -> u32 {
        self.whole_in(name, "", covers)
    }

    fn optional_whole(&mut self, name: &str, covers: &[&'static str]) -> Option<u32> {
        (!self.text(name).is_empty()).then(|| self.whole(name, covers))
    }

    /// 折 as shoppers write it: `9` (10% off) or `8.5` (15% off). Out of
    /// range (0, 10 and above) is left to the domain's rate check.
    fn zhe(&mut self, name: &str, prefix: &str, covers: &[&'static str]) -> Rate {
        let text = self.text(name);
        match decimal(text, 2, 1) {
            Some(tenths) => Rate::zhe_tenths(tenths),
            None => {
                let message = match text {
                    "" => EMPTY.to_owned(),
                    _ => format!("折扣请写成9或8.5这样的数 / write the rate in zhe, like 9 or 8.5: {text:?}"),
                };
                self.wrong(name, covers, format!("{prefix}{message}"));
                Rate(0)
            }
        }
    }

    /// Percent off: `10` or `12.5` → basis points.
    fn percent(&mut self, name: &str, covers: &[&'static str]) -> Rate {
        let text = self.text(name);
        decimal(text, 3, 2).map(Rate).unwrap_or_else(|| {
            let message = match text {
                "" => EMPTY.to_owned(),
                _ => format!("请填写百分比，如10或12.5 / a percentage such as 10 or 12.5: {text:?}"),
            };
            self.wrong(name, covers, message);
            Rate(0)
        })
    }

    /// The whole shop, or the products ticked (each must be this shop's).
    fn scope(&mut self, catalog: &Catalog) -> Scope {
        if self.text("scope") != "products" {
            return Scope::Shop;
        }
        let mut list = Vec::new();
        for value in self.input.many("products") {
            match value.trim().parse::<i64>().map(ProductId) {
                Ok(id) if catalog.has_product(id) => list.push(id),
                // covers the domain's "choose at least one", which would follow
                _ => self.wrong("scope", &["scope"], format!("没有这个商品 / no such product: {value:?}")),
            }
        }
        Scope::Products(list)
    }

    /// A product chosen from the select.
    fn product(&mut self, name: &str, catalog: &Catalog) -> ProductId {
        let text = self.text(name);
        match text.parse::<i64>().map(ProductId) {
            Ok(id) if catalog.has_product(id) => id,
            _ if text.is_empty() => {
                self.wrong(name, &[], "请选择商品 / choose a product");
                ProductId(0)
            }
            _ => {
                self.wrong(name, &[], format!("没有这个商品 / no such product: {text:?}"));
                ProductId(0)
            }
        }
    }

    /// A SKU chosen from the select, with its product.
    fn sku(&mut self, name: &str, catalog: &Catalog) -> (ProductId, SkuId) {
        let text = self.text(name);
        let found = text.parse::<i64>().ok().map(SkuId).and_then(|id| catalog.skus.get(&id).map(|s| (s.0, id)));
        found.unwrap_or_else(|| {
            let message = match text {
                "" => "请选择赠品 / choose the gift".to_owned(),
                _ => format!("没有这个SKU / no such SKU: {text:?}"),
            };
            self.wrong(name, &[], message);
            (ProductId(0), SkuId(0))
        })
    }

    /// An optional show number: a positive whole number.
    fn show(&mut self, name: &str) -> Option<i64> {
        let text = self.text(name);
        if text.is_empty() {
            return None;
        }
        match text.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.wrong(
                    name,
                    &[],
                    format!("场次编号须为正整数 / the show number must be a positive whole number: {text:?}"),
                );
                None
            }
        }
    }

    /// The reading problems and the domain's, or the checked value.
    /// `alias` renames a domain field to the form field that holds it.
    fn finish<T>(self, checked: Result<T, Vec<DomainError>>, alias: &[(&str, &str)]) -> Result<T, Vec<FieldError>> {
        let mut errors = self.errors;
        let value = match checked {
            Ok(value) => Some(value),
            Err(problems) => {
                let (covered, kept): (Vec<DomainError>, Vec<DomainError>) =
                    problems.into_iter().partition(|p| self.covered.contains(&p.field));
                // a field is covered only beside a reading problem, so this
                // never empties the list; if it did, the domain's word stands
                let shown = if kept.is_empty() && errors.is_empty() { covered } else { kept };
                if !shown.is_empty() {
                    let rename = |field: &str| alias.iter().find(|(from, _)| *from == field).map(|(_, to)| *to);
                    errors.extend(invalid(shown).fields().iter().map(|f| FieldError {
                        field: rename(&f.field).map_or_else(|| f.field.clone(), str::to_owned),
                        message: f.message.clone(),
                    }));
                }
                None
            }
        };
        match value {
            Some(value) if errors.is_empty() => Ok(value),
            _ => {
                // the summary above the form lists them in the form's order
                let input = self.input;
                errors.sort_by_key(|e| input.position(&e.field));
                Err(errors)
            }
        }
    }
}

/// `9`, `8.5`, `12.25`: at most `whole_digits` digits before the point and
/// `frac_digits` after, as an integer in units of the last place.
fn decimal(text: &str, whole_digits: usize, frac_digits: u32) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > whole_digits
        || frac.len() > frac_digits as usize
        || !digits(whole)
        || !digits(frac)
    {
        return None;
    }
    let scale = 10u32.pow(frac_digits);
    let frac_value =
        if frac.is_empty() { 0 } else { frac.parse::<u32>().ok()? * 10u32.pow(frac_digits - frac.len() as u32) };
    Some(whole.parse::<u32>().ok()? * scale + frac_value)
}

fn tier_prefix(n: usize) -> String {
    format!("第{n}档 / tier {n}: ")
}

/// Reads the form of `kind` and checks it with the domain.
pub fn read(kind: FormKind, input: &FormInput, catalog: &Catalog) -> Result<Built, Vec<FieldError>> {
    let r = Reader::new(input);
    match kind {
        FormKind::Coupon => read_coupon(r, catalog),
        FormKind::FullReduction => read_promotion(r, |r| full_reduction(r, catalog)),
        FormKind::QuantityDiscount => read_promotion(r, |r| quantity_discount(r, catalog)),
        FormKind::LivePrice => read_promotion(r, |r| live_price(r, catalog)),
        FormKind::Gift => read_promotion(r, |r| gift(r, catalog)),
    }
}

/// A rule as read: the rule, its show, and domain fields to rename.
type RuleRead = (PromotionRule, Option<i64>, &'static [(&'static str, &'static str)]);

fn read_promotion(mut r: Reader<'_>, rule: impl FnOnce(&mut Reader<'_>) -> RuleRead) -> Result<Built, Vec<FieldError>> {
    let name = r.text("name").to_owned();
    let starts_at = r.time("starts_at", &["ends_at"]);
    let ends_at = r.time("ends_at", &["ends_at"]);
    let (rule, show, alias) = rule(&mut r);
    let budget = r.optional_money("budget", &["budget"]);
    let draft = PromotionDraft { id: PromotionId(0), name, starts_at, ends_at, budget, rule };
    r.finish(Promotion::new(draft), alias).map(|promotion| Built::Promotion { promotion, show })
}

fn full_reduction(r: &mut Reader<'_>, catalog: &Catalog) -> RuleRead {
    let form = if r.text("form") == "repeating" {
        ReductionForm::Repeating {
            every: r.money("every", &["every", "off"]),
            off: r.money("off", &["off"]),
            max_times: r.optional_whole("max_times", &["max_times"]),
        }
    } else {
        let mut tiers = Vec::new();
        for n in 1..=TIER_ROWS {
            let (a, b) = (format!("tier_threshold_{n}"), format!("tier_off_{n}"));
            if r.text(&a).is_empty() && r.text(&b).is_empty() {
                continue; // an unused row
            }
            let threshold = r.money_in(&a, &tier_prefix(n), &["tiers"]);
            let off = r.money_in(&b, &tier_prefix(n), &["tiers"]);
            tiers.push(ReductionTier { threshold, off });
        }
        ReductionForm::Tiers(tiers)
    };
    (PromotionRule::FullReduction(FullReduction { scope: r.scope(catalog), form }), None, &[])
}

fn quantity_discount(r: &mut Reader<'_>, catalog: &Catalog) -> RuleRead {
    let mut tiers = Vec::new();
    for n in 1..=TIER_ROWS {
        let (a, b) = (format!("tier_items_{n}"), format!("tier_zhe_{n}"));
        if r.text(&a).is_empty() && r.text(&b).is_empty() {
            continue;
        }
        let min_items = r.whole_in(&a, &tier_prefix(n), &["tiers"]);
        let off = r.zhe(&b, &tier_prefix(n), &["tiers"]);
        tiers.push(QuantityTier { min_items, off });
    }
    (PromotionRule::QuantityDiscount(QuantityDiscount { scope: r.scope(catalog), tiers }), None, &[])
}

fn live_price(r: &mut Reader<'_>, catalog: &Catalog) -> RuleRead {
    let product = r.product("product", catalog);
    let price = r.money("price", &["items"]);
    let show = r.show("show");
    let rule = PromotionRule::LivePrice(LivePrice { show, items: vec![LivePriceItem::product(product, price)] });
    // the rule's one item is the form's price field
    (rule, show, &[("items", "price")])
}

fn gift(r: &mut Reader<'_>, catalog: &Catalog) -> RuleRead {
    let threshold = r.money("threshold", &["threshold"]);
    let (gift_product, gift_sku) = r.sku("gift_sku", catalog);
    let quantity = r.whole("quantity", &["quantity"]);
    let trigger = GiftTrigger::Spend { threshold, scope: r.scope(catalog) };
    (PromotionRule::Gift(Gift { trigger, gift_product, gift_sku, quantity }), None, &[])
}

fn read_coupon(mut r: Reader<'_>, catalog: &Catalog) -> Result<Built, Vec<FieldError>> {
    let name = r.text("name").to_owned();
    let claim_starts_at = r.time("claim_starts_at", &["claim_ends_at", "use_ends_at"]);
    let claim_ends_at = r.time("claim_ends_at", &["claim_ends_at"]);
    let use_starts_at = r.time("use_starts_at", &["use_ends_at"]);
    let use_ends_at = r.time("use_ends_at", &["use_ends_at"]);
    let threshold = r.money("threshold", &["threshold"]);
    let benefit = match r.text("benefit") {
        "percent" => CouponBenefit::PercentOff {
            off: r.percent("percent_off", &["percent_off"]),
            cap: r.optional_money("cap", &["cap"]),
        },
        _ => CouponBenefit::AmountOff(r.money("amount_off", &["amount_off"])),
    };
    let total_quantity = r.whole("total_quantity", &["total_quantity", "per_buyer_limit"]);
    let per_buyer_limit = r.whole("per_buyer_limit", &["per_buyer_limit"]);
    let scope = r.scope(catalog);
    let budget = r.optional_money("budget", &["budget"]);
    let draft = CouponDraft {
        id: CouponId(0),
        name,
        scope,
        threshold,
        benefit,
        total_quantity,
        per_buyer_limit,
        claim_starts_at,
        claim_ends_at,
        use_starts_at,
        use_ends_at,
        budget,
    };
    r.finish(Coupon::new(draft), &[]).map(Built::Coupon)
}

/// What a new form starts with: the window from the next whole hour for a
/// week (a coupon usable a week longer), the shop as scope, one per buyer.
pub fn defaults(kind: FormKind, now: Timestamp) -> FormInput {
    const HOUR_MS: i64 = 3_600_000;
    const WEEK_SECS: i64 = 7 * 24 * 3600;
    let start = Timestamp((now.0.div_euclid(HOUR_MS) + 1) * HOUR_MS);
    let at = format_shop_time;
    let mut input = FormInput::default();
    input.set("scope", "shop".into());
    match kind {
        FormKind::Coupon => {
            input.set("claim_starts_at", at(start));
            input.set("claim_ends_at", at(start.plus_secs(WEEK_SECS)));
            input.set("use_starts_at", at(start));
            input.set("use_ends_at", at(start.plus_secs(2 * WEEK_SECS)));
            input.set("benefit", "amount".into());
            input.set("per_buyer_limit", "1".into());
        }
        _ => {
            input.set("starts_at", at(start));
            input.set("ends_at", at(start.plus_secs(WEEK_SECS)));
        }
    }
    match kind {
        FormKind::FullReduction => input.set("form", "tiers".into()),
        FormKind::Gift => input.set("quantity", "1".into()),
        _ => {}
    }
    input
}

// ------------------------------------------------------------ the page

/// One input as the template's `input` macro shows it.
pub struct Field {
    pub name: String,
    pub value: String,
    pub error: Option<String>,
    /// `text` or `datetime-local`.
    pub kind: &'static str,
    /// `decimal`, `numeric` or "".
    pub inputmode: &'static str,
}

pub struct TierRow {
    pub a: Field,
    pub a_label: String,
    pub b: Field,
    pub b_label: String,
}

pub struct ProductChoice {
    pub id: i64,
    pub title: String,
    pub price: String,
    /// Ticked in the scope list.
    pub checked: bool,
    /// Chosen in the product select.
    pub selected: bool,
}

pub struct SkuChoice {
    pub id: i64,
    pub label: String,
    pub stock: i64,
    pub selected: bool,
}

pub struct SkuGroup {
    pub title: String,
    pub skus: Vec<SkuChoice>,
}

/// Everything the form template shows.
pub struct FormView {
    pub code: &'static str,
    pub heading: String,
    pub has_scope: bool,
    values: FormInput,
    pub errors: Vec<FieldError>,
    pub products: Vec<ProductChoice>,
    pub sku_groups: Vec<SkuGroup>,
    pub tier_rows: Vec<TierRow>,
}

impl FormView {
    pub fn new(
        kind: FormKind,
        t: &Msg,
        lang: Lang,
        values: FormInput,
        errors: Vec<FieldError>,
        catalog: &Catalog,
    ) -> Self {
        let chosen = values.many("products");
        let products = catalog
            .products
            .iter()
            .map(|(id, title, price)| ProductChoice {
                id: id.0,
                title: title.clone(),
                price: price.to_string(),
                checked: chosen.contains(&id.0.to_string().as_str()),
                selected: values.one("product") == id.0.to_string(),
            })
            .collect();
        let sku_groups = catalog
            .products
            .iter()
            .map(|(product, title, _)| SkuGroup {
                title: title.clone(),
                skus: catalog
                    .skus
                    .iter()
                    .filter(|(_, (p, _, _))| p == product)
                    .map(|(id, (_, label, stock))| SkuChoice {
                        id: id.0,
                        label: label.clone(),
                        stock: *stock,
                        selected: values.one("gift_sku") == id.0.to_string(),
                    })
                    .collect(),
            })
            .collect();
        let mut view = FormView {
            code: kind.code(),
            heading: t.promo_new_kind.replace("{}", kind.name(lang)),
            has_scope: kind.has_scope(),
            values,
            errors,
            products,
            sku_groups,
            tier_rows: Vec::new(),
        };
        let (a, b, a_label, b_label, a_money) = match kind {
            FormKind::FullReduction => ("tier_threshold", "tier_off", t.promo_threshold_yuan, t.promo_off_yuan, true),
            FormKind::QuantityDiscount => ("tier_items", "tier_zhe", t.promo_items, t.promo_zhe, false),
            _ => return view,
        };
        view.tier_rows = (1..=TIER_ROWS)
            .map(|n| {
                let tier = t.promo_tier.replace("{}", &n.to_string());
                let a = format!("{a}_{n}");
                TierRow {
                    a: if a_money { view.money(&a) } else { view.count(&a) },
                    a_label: format!("{tier} {a_label}"),
                    b: view.money(&format!("{b}_{n}")),
                    b_label: format!("{tier} {b_label}"),
                }
            })
            .collect();
        view
    }

    /// The problems of `name`, joined.
    pub fn err(&self, name: &str) -> Option<String> {
        let found: Vec<&str> = self.errors.iter().filter(|e| e.field == name).map(|e| e.message.as_str()).collect();
        (!found.is_empty()).then(|| found.join("；"))
    }

    /// Whether the radio `name` is at `value`.
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.values.one(name) == value
    }

    fn field(&self, name: &str, kind: &'static str, inputmode: &'static str) -> Field {
        Field { name: name.to_owned(), value: self.values.one(name).to_owned(), error: self.err(name), kind, inputmode }
    }

    pub fn text(&self, name: &str) -> Field {
        self.field(name, "text", "")
    }

    pub fn money(&self, name: &str) -> Field {
        self.field(name, "text", "decimal")
    }

    pub fn count(&self, name: &str) -> Field {
        self.field(name, "text", "numeric")
    }

    pub fn time(&self, name: &str) -> Field {
        self.field(name, "datetime-local", "")
    }
}

#[derive(Template)]
#[template(path = "promotions_form.html")]
struct FormPage {
    l: Layout,
    v: FormView,
}

#[derive(Template)]
#[template(path = "promotions_form.html", block = "form")]
struct FormPartial {
    l: Layout,
    v: FormView,
}

async fn catalog(state: &AppState, shop: ShopId, t: &Msg) -> Result<Catalog, WebError> {
    Ok(Catalog::new(&state.store.product_details_of_shop(shop).await?, t))
}

pub async fn new(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(kind): Path<String>,
) -> Result<Response, WebError> {
    let Some(kind) = FormKind::from_path(&kind) else { return Ok(no_form(ctx.layout, &kind)) };
    let (t, lang) = (ctx.layout.t, ctx.layout.lang);
    let catalog = catalog(&state, signed.user.shop, t).await?;
    let view = FormView::new(kind, t, lang, defaults(kind, state.clock.now()), Vec::new(), &catalog);
    Ok(render(&FormPage { l: ctx.layout, v: view })?.into_response())
}

pub async fn create(
    ctx: PageCtx,
    headers: HeaderMap,
    State(state): State<AppState>,
    signed: Signed,
    Path(kind): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let Some(kind) = FormKind::from_path(&kind) else { return Ok(no_form(ctx.layout, &kind)) };
    let (t, lang) = (ctx.layout.t, ctx.layout.lang);
    let shop = signed.user.shop;
    let catalog = catalog(&state, shop, t).await?;
    let input = FormInput(pairs.into_iter().filter(|(k, _)| k != "csrf").collect());
    match read(kind, &input, &catalog) {
        Ok(built) => {
            let record = match built {
                Built::Promotion { promotion, show } => stored::new_promotion(shop, show, &promotion)?,
                Built::Coupon(coupon) => stored::new_coupon(shop, &coupon)?,
            };
            state.store.create_promotion(&record).await?;
            if is_htmx(&headers) {
                // htmx follows a 303 itself and would swap the list into the form
                return Ok(([("HX-Redirect", "/promotions")], "").into_response());
            }
            Ok(Redirect::to("/promotions").into_response())
        }
        Err(errors) => {
            // what was typed goes back into the form, every problem beside its field
            let view = FormView::new(kind, t, lang, input, errors, &catalog);
            if is_htmx(&headers) {
                return Ok(render(&FormPartial { l: ctx.layout, v: view })?.into_response());
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&FormPage { l: ctx.layout, v: view })?).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> FormInput {
        FormInput(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    fn fields(result: Result<Built, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    const WINDOW: [(&str, &str); 2] = [("starts_at", "2026-11-25T20:00"), ("ends_at", "2026-11-26T20:00")];

    #[test]
    fn decimals_read_as_integers_without_floats() {
        assert_eq!(decimal("9", 2, 1), Some(90));
        assert_eq!(decimal("8.5", 2, 1), Some(85));
        assert_eq!(decimal("12.25", 3, 2), Some(1225));
        assert_eq!(decimal("12.5", 3, 2), Some(1250));
        for bad in ["", ".5", "8.55", "1e1", "-1", "123", "9.x", "8,5"] {
            assert_eq!(decimal(bad, 2, 1), None, "{bad:?}");
        }
    }

    #[test]
    fn tiers_read_from_the_filled_rows_in_fen() {
        let mut pairs = WINDOW.to_vec();
        pairs.extend([
            ("name", "双十二"),
            ("form", "tiers"),
            ("tier_threshold_1", "300"),
            ("tier_off_1", "40"),
            ("tier_threshold_3", "500"),
            ("tier_off_3", "80.5"),
            ("scope", "shop"),
        ]);
        let Ok(Built::Promotion { promotion, show: None }) =
            read(FormKind::FullReduction, &input(&pairs), &Catalog::default())
        else {
            panic!("a valid form");
        };
        let PromotionRule::FullReduction(FullReduction { form: ReductionForm::Tiers(tiers), .. }) = promotion.rule()
        else {
            panic!("tiers");
        };
        assert_eq!(
            tiers,
            &[
                ReductionTier { threshold: Fen(30_000), off: Fen(4_000) },
                ReductionTier { threshold: Fen(50_000), off: Fen(8_050) }
            ]
        );
        // 2026-11-25 20:00 Beijing = 12:00 UTC
        assert_eq!(promotion.starts_at(), Timestamp(1_795_608_000_000));
    }

    #[test]
    fn an_unreadable_amount_is_named_once_and_the_domain_still_checks_the_rest() {
        let pairs = [
            ("name", ""),
            ("starts_at", "2026-11-25T20:00"),
            ("ends_at", "2026-11-25T19:00"),
            ("tier_threshold_1", "12.345"),
            ("tier_off_1", "5"),
        ];
        let errors = read(FormKind::FullReduction, &input(&pairs), &Catalog::default()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        // in the form's order; the row's reading problem is not followed by
        // a second "tiers" complaint about the placeholder
        assert_eq!(fields, ["name", "ends_at", "tier_threshold_1"]);
        assert!(errors[2].message.starts_with("第1档 / tier 1: 最多两位小数"), "{}", errors[2].message);
    }

    #[test]
    fn zhe_and_percent_become_rates() {
        let mut pairs = WINDOW.to_vec();
        pairs.extend([
            ("name", "多买多省"),
            ("tier_items_1", "2"),
            ("tier_zhe_1", "9"),
            ("tier_items_2", "3"),
            ("tier_zhe_2", "8.5"),
        ]);
        let Ok(Built::Promotion { promotion, .. }) =
            read(FormKind::QuantityDiscount, &input(&pairs), &Catalog::default())
        else {
            panic!("a valid form");
        };
        let PromotionRule::QuantityDiscount(q) = promotion.rule() else { panic!("multi-buy") };
        assert_eq!((q.tiers[0].off, q.tiers[1].off), (Rate(1000), Rate(1500)));
        // 10折 is no discount: the domain refuses it, naming the tiers
        let mut pairs = WINDOW.to_vec();
        pairs.extend([("name", "x"), ("tier_items_1", "2"), ("tier_zhe_1", "10")]);
        assert_eq!(fields(read(FormKind::QuantityDiscount, &input(&pairs), &Catalog::default())), ["tiers"]);
    }

    #[test]
    fn a_coupon_worth_more_than_its_threshold_is_refused_as_the_api_refuses_it() {
        let pairs = [
            ("name", "满10减20"),
            ("claim_starts_at", "2026-11-25T20:00"),
            ("claim_ends_at", "2026-11-26T20:00"),
            ("use_starts_at", "2026-11-25T20:00"),
            ("use_ends_at", "2026-11-26T20:00"),
            ("threshold", "10"),
            ("benefit", "amount"),
            ("amount_off", "20"),
            ("total_quantity", "100"),
            ("per_buyer_limit", "1"),
            ("scope", "shop"),
        ];
        assert_eq!(fields(read(FormKind::Coupon, &input(&pairs), &Catalog::default())), ["amount_off"]);
    }

    #[test]
    fn chosen_products_must_be_the_shops() {
        let mut pairs = WINDOW.to_vec();
        pairs.extend([
            ("name", "x"),
            ("tier_threshold_1", "100"),
            ("tier_off_1", "10"),
            ("scope", "products"),
            ("products", "42"),
        ]);
        assert_eq!(fields(read(FormKind::FullReduction, &input(&pairs), &Catalog::default())), ["scope"]);
    }

    #[test]
    fn flash_sales_have_no_form_here() {
        assert_eq!(FormKind::from_path("flash_sale"), None);
        assert_eq!(FormKind::from_path("free_money"), None);
        for kind in FormKind::ALL {
            assert_eq!(FormKind::from_path(kind.code()), Some(kind));
        }
    }
}
