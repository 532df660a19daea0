//! Promotion rules (促销规则) as validated values: 直播间专享价, 满减, 满件折,
//! 赠品, 秒杀价 and 优惠券.
//!
//! Each rule arrives as a plain draft (public fields, serde, what a form or
//! the store's JSON holds) and becomes a [`Promotion`] or a [`Coupon`] only
//! through a constructor that checks every field and reports every problem
//! at once, naming the field, zh-CN first with English beside it. Once built
//! a value cannot be changed, so the pricing engine ([`crate::pricing`])
//! never meets a negative price, an overlapping tier or a window that ends
//! before it starts.
//!
//! Only the rules live here. Bookkeeping that must hold under concurrency —
//! coupon claims, budget spent, flash-sale stock sold, gift stock — is the
//! store's; the engine is told the figures it needs.

pub(crate) mod check;
mod coupon;
mod rules;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::ids::PromotionId;
use crate::{DomainError, Fen, ProductId, SkuId, Timestamp};

pub use coupon::{Coupon, CouponBenefit, CouponDraft};
pub use rules::{
    FlashSale, FlashSaleItem, FullReduction, Gift, GiftTrigger, LivePrice, LivePriceItem, MAX_LIVE_PRICE_ITEMS,
    MAX_QUANTITY, QuantityDiscount, QuantityTier, Reached, ReductionForm, ReductionTier,
};

use check::Problems;

/// The largest amount any rule or cart line may carry: ¥1,000,000,000. Far
/// above any real price, and low enough that a 200-line cart of 99,999 units
/// each still sums without overflow in `i64` fen.
pub const MAX_AMOUNT: Fen = Fen(100_000_000_000);

/// The longest promotion or coupon name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// A discount rate in basis points *off* the price (1 bp = 0.01%):
/// `Rate(1000)` is 10% off, which Chinese shoppers read as 9折 (pay 90%).
/// Integer on purpose: no floating point ever touches money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rate(pub u32);

impl Rate {
    /// 100% in basis points.
    pub const WHOLE: u32 = 10_000;

    /// `percent` percent off: `Rate::percent_off(10)` is 9折.
    pub const fn percent_off(percent: u32) -> Rate {
        Rate(percent * 100)
    }

    /// A rate given as 折 in tenths: `Rate::zhe_tenths(85)` is 8.5折 = 15% off.
    pub const fn zhe_tenths(tenths: u32) -> Rate {
        Rate(Self::WHOLE.saturating_sub(tenths * 100))
    }

    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// The discount this rate gives on `amount`, rounded down to whole fen:
    /// the buyer is never given a fraction of a fen more than the rate says.
    pub fn discount_on(self, amount: Fen) -> Fen {
        // i128: a large amount times 10,000 can pass i64.
        Fen((i128::from(amount.0) * i128::from(self.0) / i128::from(Self::WHOLE)) as i64)
    }

    /// Valid as a discount: more than 0 and less than 100% off.
    fn check(self, problems: &mut Problems, field: &'static str, what: &str) {
        if self.0 == 0 || self.0 >= Self::WHOLE {
            problems
                .push(field, format!("{what}折扣须大于0且小于100% / {what}percent off must be above 0 and below 100%"));
        }
    }

    /// As Chinese shoppers say it: 1000 bp off → "9折", 1250 → "8.75折".
    pub fn zhe(self) -> impl fmt::Display {
        Decimal { value: Self::WHOLE.saturating_sub(self.0), scale: 1000, suffix: "折" }
    }

    /// As English shoppers say it: 1000 bp → "10%".
    pub fn percent(self) -> impl fmt::Display {
        Decimal { value: self.0, scale: 100, suffix: "%" }
    }
}

/// `value / scale` printed without trailing zeros.
struct Decimal {
    value: u32,
    scale: u32,
    suffix: &'static str,
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value / self.scale)?;
        let mut frac = self.value % self.scale;
        if frac > 0 {
            let mut width = self.scale.ilog10() as usize;
            while frac.is_multiple_of(10) {
                frac /= 10;
                width -= 1;
            }
            write!(f, ".{frac:0width$}")?;
        }
        f.write_str(self.suffix)
    }
}

/// Which products a rule covers: the whole shop (全店) or a chosen list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Shop,
    Products(Vec<ProductId>),
}

impl Scope {
    pub const MAX_PRODUCTS: usize = 1000;

    pub fn contains(&self, product: ProductId) -> bool {
        match self {
            Scope::Shop => true,
            // sorted when the rule was validated
            Scope::Products(list) => list.binary_search(&product).is_ok(),
        }
    }

    /// Checks the list and sorts it (duplicates are harmless and dropped).
    fn normalize(&mut self, problems: &mut Problems, field: &'static str) {
        if let Scope::Products(list) = self {
            if list.is_empty() {
                problems.push(field, "至少选择一个商品 / choose at least one product");
            } else if list.len() > Self::MAX_PRODUCTS {
                problems.push(field, format!("最多{0}个商品 / at most {0} products", Self::MAX_PRODUCTS));
            }
            list.sort_unstable();
            list.dedup();
        }
    }
}

/// The six kinds of promotion, named as the store and the pages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionKind {
    LivePrice,
    FlashSale,
    QuantityDiscount,
    FullReduction,
    Coupon,
    Gift,
}

impl PromotionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PromotionKind::LivePrice => "live_price",
            PromotionKind::FlashSale => "flash_sale",
            PromotionKind::QuantityDiscount => "quantity_discount",
            PromotionKind::FullReduction => "full_reduction",
            PromotionKind::Coupon => "coupon",
            PromotionKind::Gift => "gift",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            PromotionKind::LivePrice => "直播间专享价",
            PromotionKind::FlashSale => "秒杀价",
            PromotionKind::QuantityDiscount => "满件折",
            PromotionKind::FullReduction => "满减",
            PromotionKind::Coupon => "优惠券",
            PromotionKind::Gift => "赠品",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            PromotionKind::LivePrice => "live-room price",
            PromotionKind::FlashSale => "flash-sale price",
            PromotionKind::QuantityDiscount => "multi-buy discount",
            PromotionKind::FullReduction => "spend-and-save",
            PromotionKind::Coupon => "coupon",
            PromotionKind::Gift => "gift with purchase",
        }
    }
}

/// What a promotion does. Coupons are the sixth kind but a type of their
/// own ([`Coupon`]): buyers hold them, and they have two windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PromotionRule {
    LivePrice(LivePrice),
    FlashSale(FlashSale),
    QuantityDiscount(QuantityDiscount),
    FullReduction(FullReduction),
    Gift(Gift),
}

impl PromotionRule {
    /// Every product and SKU the rule names, so a caller can check they are
    /// the shop's own before storing it.
    pub fn references(&self) -> (Vec<ProductId>, Vec<SkuId>) {
        let scope = |s: &Scope| match s {
            Scope::Shop => Vec::new(),
            Scope::Products(ids) => ids.clone(),
        };
        match self {
            PromotionRule::LivePrice(r) => {
                (r.items.iter().map(|i| i.product).collect(), r.items.iter().filter_map(|i| i.sku).collect())
            }
            PromotionRule::FlashSale(r) => (Vec::new(), r.items.iter().map(|i| i.sku).collect()),
            PromotionRule::QuantityDiscount(r) => (scope(&r.scope), Vec::new()),
            PromotionRule::FullReduction(r) => (scope(&r.scope), Vec::new()),
            PromotionRule::Gift(g) => {
                let mut products = vec![g.gift_product];
                match &g.trigger {
                    GiftTrigger::Spend { scope: s, .. } => products.extend(scope(s)),
                    GiftTrigger::Buy { product, .. } => products.push(*product),
                }
                (products, vec![g.gift_sku])
            }
        }
    }

    pub fn kind(&self) -> PromotionKind {
        match self {
            PromotionRule::LivePrice(_) => PromotionKind::LivePrice,
            PromotionRule::FlashSale(_) => PromotionKind::FlashSale,
            PromotionRule::QuantityDiscount(_) => PromotionKind::QuantityDiscount,
            PromotionRule::FullReduction(_) => PromotionKind::FullReduction,
            PromotionRule::Gift(_) => PromotionKind::Gift,
        }
    }

    fn check(&mut self, problems: &mut Problems) {
        match self {
            PromotionRule::LivePrice(r) => r.check(problems),
            PromotionRule::FlashSale(r) => r.check(problems),
            PromotionRule::QuantityDiscount(r) => r.check(problems),
            PromotionRule::FullReduction(r) => r.check(problems),
            PromotionRule::Gift(r) => r.check(problems),
        }
    }
}

/// A promotion as entered, before any check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionDraft {
    pub id: PromotionId,
    pub name: String,
    /// First instant the promotion applies.
    pub starts_at: Timestamp,
    /// First instant it no longer applies: the window is `[starts_at, ends_at)`.
    pub ends_at: Timestamp,
    /// What the shop is willing to spend on it; the store stops the
    /// promotion when it is used up. `None`: no budget set.
    pub budget: Option<Fen>,
    pub rule: PromotionRule,
}

/// A checked promotion. Build it with [`Promotion::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Promotion {
    draft: PromotionDraft,
}

impl Promotion {
    /// Checks every field and reports every problem at once.
    pub fn new(mut draft: PromotionDraft) -> Result<Promotion, Vec<DomainError>> {
        let mut problems = Problems::default();
        draft.name = check_name(&mut problems, &draft.name);
        check_window(&mut problems, "ends_at", draft.starts_at, draft.ends_at);
        check_budget(&mut problems, draft.budget);
        draft.rule.check(&mut problems);
        problems.finish(Promotion { draft })
    }

    pub fn id(&self) -> PromotionId {
        self.draft.id
    }

    pub fn name(&self) -> &str {
        &self.draft.name
    }

    pub fn starts_at(&self) -> Timestamp {
        self.draft.starts_at
    }

    pub fn ends_at(&self) -> Timestamp {
        self.draft.ends_at
    }

    pub fn budget(&self) -> Option<Fen> {
        self.draft.budget
    }

    pub fn rule(&self) -> &PromotionRule {
        &self.draft.rule
    }

    pub fn kind(&self) -> PromotionKind {
        self.draft.rule.kind()
    }

    /// In force at `now`: `starts_at <= now < ends_at`.
    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.draft.starts_at <= now && now < self.draft.ends_at
    }

    /// The checked draft, e.g. to store it or to edit it in a form.
    pub fn draft(&self) -> &PromotionDraft {
        &self.draft
    }
}

fn check_name(problems: &mut Problems, name: &str) -> String {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        problems
            .push("name", format!("名称需1到{MAX_NAME_CHARS}个字符 / name must be 1 to {MAX_NAME_CHARS} characters"));
    }
    name.to_owned()
}

/// A window `[start, end)` must not be empty. `end_field` names the end,
/// which is what a person corrects.
fn check_window(problems: &mut Problems, end_field: &'static str, start: Timestamp, end: Timestamp) {
    if end <= start {
        problems.push(end_field, "结束时间须晚于开始时间 / the end must be after the start");
    }
}

fn check_budget(problems: &mut Problems, budget: Option<Fen>) {
    if let Some(budget) = budget {
        problems.amount("budget", "预算", "budget", budget);
        if budget.0 == 0 {
            problems.push("budget", "预算须大于0，不设预算请留空 / budget must be above 0, or left empty for none");
        }
    }
}
