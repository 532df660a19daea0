//! The rule of each promotion kind and its checks: 直播间专享价, 秒杀价,
//! 满件折, 满减 and 赠品. (Coupons are in `coupon.rs`.)
//!
//! Lists inside a rule are sorted while they are checked, so the engine can
//! look a product or SKU up by binary search without a map.

use serde::{Deserialize, Serialize};

use super::check::Problems;
use super::{Rate, Scope};
use crate::{Fen, ProductId, SkuId};

/// Most units of one SKU in one line or one rule (and most items a tier may ask for).
pub const MAX_QUANTITY: u32 = 99_999;
/// Most tiers in a 满减 or 满件折 rule.
pub const MAX_TIERS: usize = 10;
/// Most SKUs priced by one flash-sale rule.
pub const MAX_ITEMS: usize = 1000;
/// Most items of one live-price rule: enough for a whole show lineup priced
/// SKU by SKU (every lineup product with every one of its SKUs).
pub const MAX_LIVE_PRICE_ITEMS: usize = crate::show::ShowDraft::MAX_LINEUP * crate::catalog::ProductDraft::MAX_SKUS;
/// Most units a flash sale may offer.
pub const MAX_FLASH_STOCK: u32 = 10_000_000;
/// Most gift units per order from one rule.
pub const MAX_GIFT_QUANTITY: u32 = 99;

fn check_item_count(problems: &mut Problems, field: &'static str, n: usize, max: usize) {
    if n == 0 {
        problems.push(field, "至少需要一项 / at least one item is needed");
    } else if n > max {
        problems.push(field, format!("最多{max}项 / at most {max} items"));
    }
}

/// 直播间专享价: a fixed unit price for a product's SKUs, optionally only
/// for lines bought in one show. An item names a product and, optionally,
/// one of its SKUs: an SKU's own item comes before its product's item, and
/// a product's item prices every SKU of it that has no item of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePrice {
    /// Only lines added in this show get the price; `None`: any line.
    pub show: Option<i64>,
    pub items: Vec<LivePriceItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LivePriceItem {
    pub product: ProductId,
    /// Only this SKU of `product`; `None`: every SKU of it without an item
    /// of its own. Absent in JSON stored before SKU items existed, and left
    /// out when `None`, so product items read and write as they always did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<SkuId>,
    pub price: Fen,
}

impl LivePriceItem {
    /// The item pricing every SKU of `product` at `price`.
    pub fn product(product: ProductId, price: Fen) -> LivePriceItem {
        LivePriceItem { product, sku: None, price }
    }

    /// The item pricing only `sku` of `product` at `price`.
    pub fn sku(product: ProductId, sku: SkuId, price: Fen) -> LivePriceItem {
        LivePriceItem { product, sku: Some(sku), price }
    }

    fn key(&self) -> (ProductId, Option<SkuId>) {
        (self.product, self.sku)
    }
}

impl LivePrice {
    pub(super) fn check(&mut self, problems: &mut Problems) {
        check_item_count(problems, "items", self.items.len(), MAX_LIVE_PRICE_ITEMS);
        for (i, item) in self.items.iter().enumerate() {
            let n = i + 1;
            problems.amount("items", &format!("第{n}项专享价"), &format!("item {n}: live price"), item.price);
        }
        // (product, None) sorts before the product's SKU items
        self.items.sort_by_key(LivePriceItem::key);
        for pair in self.items.windows(2) {
            if pair[0].key() == pair[1].key() {
                let p = pair[0].product;
                match pair[0].sku {
                    None => problems.push("items", format!("商品#{p}重复 / product #{p} is listed twice")),
                    Some(s) => problems
                        .push("items", format!("商品#{p}的SKU#{s}重复 / SKU #{s} of product #{p} is listed twice")),
                }
            }
        }
    }

    /// The item that prices `sku` of `product`, and its position in
    /// [`LivePrice::items`]: the SKU's own item, else the product's.
    pub fn item_for(&self, product: ProductId, sku: SkuId) -> Option<(usize, &LivePriceItem)> {
        let find = |key| self.items.binary_search_by_key(&key, LivePriceItem::key).ok();
        find((product, Some(sku))).or_else(|| find((product, None))).map(|i| (i, &self.items[i]))
    }

    /// The live price of `sku` of `product`, if this rule sets one.
    pub fn price_for(&self, product: ProductId, sku: SkuId) -> Option<Fen> {
        self.item_for(product, sku).map(|(_, item)| item.price)
    }

    /// Whether a line added in `show` (or outside any show) may get the price.
    pub fn covers_show(&self, show: Option<i64>) -> bool {
        self.show.is_none() || self.show == show
    }

    /// A show lineup's live price (直播价, one per product) as items for the
    /// product's SKUs. The live price is what the cheapest SKU costs, so it
    /// takes `cheapest - live` off that SKU; every SKU gets the same
    /// reduction off its own price, never below 1 fen (a SKU cheaper than
    /// the reduction is not given away) and never above its own price. A
    /// live price not below `cheapest` reduces nothing: no items. `skus` are
    /// (SKU, its own price); a SKU the reduction does not lower gets no item.
    pub fn lineup_items(
        product: ProductId,
        cheapest: Fen,
        live: Fen,
        skus: impl IntoIterator<Item = (SkuId, Fen)>,
    ) -> Vec<LivePriceItem> {
        let reduction = cheapest.0.saturating_sub(live.0);
        if reduction <= 0 {
            return Vec::new();
        }
        skus.into_iter()
            .filter_map(|(sku, price)| {
                let lowered = price.0.saturating_sub(reduction).max(1).min(price.0);
                (lowered < price.0).then(|| LivePriceItem::sku(product, sku, Fen(lowered)))
            })
            .collect()
    }
}

/// 秒杀价: per SKU a price for a limited number of units, with a limit per
/// buyer. The store tracks units sold; the engine is told what remains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSale {
    /// Only lines added in this show get the price; `None`: any line.
    pub show: Option<i64>,
    pub items: Vec<FlashSaleItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSaleItem {
    pub sku: SkuId,
    pub price: Fen,
    /// Units offered at the flash price in all.
    pub quantity: u32,
    /// Units one buyer may get at the flash price, over all their orders.
    pub per_buyer_limit: u32,
}

impl FlashSale {
    pub(super) fn check(&mut self, problems: &mut Problems) {
        check_item_count(problems, "items", self.items.len(), MAX_ITEMS);
        for (i, item) in self.items.iter().enumerate() {
            let n = i + 1;
            problems.amount("items", &format!("第{n}项秒杀价"), &format!("item {n}: flash price"), item.price);
            problems.count(
                "quantity",
                &format!("第{n}项秒杀数量"),
                &format!("item {n}: quantity"),
                item.quantity,
                MAX_FLASH_STOCK,
            );
            if item.per_buyer_limit == 0 || item.per_buyer_limit > item.quantity.max(1) {
                problems.push(
                    "per_buyer_limit",
                    format!(
                        "第{n}项每人限购须在1到秒杀数量之间 / item {n}: the per-buyer limit must be 1 to the quantity offered"
                    ),
                );
            }
        }
        self.items.sort_by_key(|item| item.sku);
        for pair in self.items.windows(2) {
            if pair[0].sku == pair[1].sku {
                let s = pair[0].sku;
                problems.push("items", format!("SKU#{s}重复 / SKU #{s} is listed twice"));
            }
        }
    }

    /// The item for `sku` and its position in [`FlashSale::items`].
    pub fn item_for(&self, sku: SkuId) -> Option<(usize, &FlashSaleItem)> {
        self.items.binary_search_by_key(&sku, |item| item.sku).ok().map(|i| (i, &self.items[i]))
    }

    pub fn covers_show(&self, show: Option<i64>) -> bool {
        self.show.is_none() || self.show == show
    }
}

/// 满件折: N or more items of the covered products → a rate off each of
/// them, e.g. 2件9折, 3件8折. The highest tier reached applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityDiscount {
    pub scope: Scope,
    pub tiers: Vec<QuantityTier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantityTier {
    pub min_items: u32,
    pub off: Rate,
}

impl QuantityDiscount {
    pub(super) fn check(&mut self, problems: &mut Problems) {
        self.scope.normalize(problems, "scope");
        check_tier_count(problems, self.tiers.len());
        for (i, tier) in self.tiers.iter().enumerate() {
            let n = i + 1;
            problems.count("tiers", &format!("第{n}档件数"), &format!("tier {n}: items"), tier.min_items, MAX_QUANTITY);
            tier.off.check(problems, "tiers", &format!("第{n}档 / tier {n}: "));
        }
        for (i, pair) in self.tiers.windows(2).enumerate() {
            let (a, b) = (i + 1, i + 2);
            if pair[1].min_items <= pair[0].min_items {
                problems.push(
                    "tiers",
                    format!(
                        "第{b}档件数须多于第{a}档（档位重复或重叠）/ tier {b} must need more items than tier {a} (duplicate or overlapping tiers)"
                    ),
                );
            }
            if pair[1].off <= pair[0].off {
                problems.push("tiers", format!("第{b}档折扣须大于第{a}档 / tier {b} must give more off than tier {a}"));
            }
        }
    }

    /// The highest tier reached with `items` items.
    pub fn tier_for(&self, items: u64) -> Option<&QuantityTier> {
        self.tiers.iter().rev().find(|t| u64::from(t.min_items) <= items)
    }
}

fn check_tier_count(problems: &mut Problems, n: usize) {
    if n == 0 {
        problems.push("tiers", "至少需要一档 / at least one tier is needed");
    } else if n > MAX_TIERS {
        problems.push("tiers", format!("最多{MAX_TIERS}档 / at most {MAX_TIERS} tiers"));
    }
}

/// 满减: money off when the covered amount reaches a threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullReduction {
    pub scope: Scope,
    pub form: ReductionForm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReductionForm {
    /// 阶梯满减, e.g. 满300减40 / 满500减80: the highest tier reached applies.
    Tiers(Vec<ReductionTier>),
    /// 每满100减10: `off` for every whole `every`, at most `max_times` times.
    Repeating { every: Fen, off: Fen, max_times: Option<u32> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReductionTier {
    pub threshold: Fen,
    pub off: Fen,
}

impl FullReduction {
    pub(super) fn check(&mut self, problems: &mut Problems) {
        self.scope.normalize(problems, "scope");
        match &self.form {
            ReductionForm::Tiers(tiers) => {
                check_tier_count(problems, tiers.len());
                for (i, tier) in tiers.iter().enumerate() {
                    let n = i + 1;
                    problems.positive_amount(
                        "tiers",
                        &format!("第{n}档门槛"),
                        &format!("tier {n}: threshold"),
                        tier.threshold,
                    );
                    problems.positive_amount(
                        "tiers",
                        &format!("第{n}档减免"),
                        &format!("tier {n}: amount off"),
                        tier.off,
                    );
                    if tier.off.0 > 0 && tier.off >= tier.threshold {
                        problems.push(
                            "tiers",
                            format!("第{n}档减免须小于门槛 / tier {n}: the amount off must be below its threshold"),
                        );
                    }
                }
                for (i, pair) in tiers.windows(2).enumerate() {
                    let (a, b) = (i + 1, i + 2);
                    if pair[1].threshold <= pair[0].threshold {
                        problems.push(
                            "tiers",
                            format!(
                                "第{b}档门槛须高于第{a}档（档位重复或重叠）/ tier {b} must have a higher threshold than tier {a} (duplicate or overlapping tiers)"
                            ),
                        );
                    }
                    if pair[1].off <= pair[0].off {
                        problems.push(
                            "tiers",
                            format!("第{b}档减免须大于第{a}档 / tier {b} must take more off than tier {a}"),
                        );
                    }
                }
            }
            ReductionForm::Repeating { every, off, max_times } => {
                problems.positive_amount("every", "每满金额", "step", *every);
                problems.positive_amount("off", "减免金额", "amount off", *off);
                if off.0 > 0 && off >= every {
                    problems.push("off", "减免须小于每满金额 / the amount off must be below the step");
                }
                if let Some(times) = max_times {
                    problems.count("max_times", "最多次数", "maximum times", *times, MAX_QUANTITY);
                }
            }
        }
    }

    /// What `base` (the covered amount) earns: the tier reached or the
    /// number of repetitions, and the money off before any clamping.
    pub fn reached(&self, base: Fen) -> Option<Reached> {
        match &self.form {
            ReductionForm::Tiers(tiers) => tiers
                .iter()
                .rev()
                .find(|t| t.threshold <= base)
                .map(|t| Reached::Tier { threshold: t.threshold, off: t.off }),
            ReductionForm::Repeating { every, off, max_times } => {
                let whole = (base.0 / every.0).max(0);
                let times = match max_times {
                    Some(cap) => whole.min(i64::from(*cap)),
                    None => whole,
                };
                (times > 0).then_some(Reached::Repeat {
                    every: *every,
                    off: *off,
                    times: times as u32,
                    capped: max_times.is_some_and(|cap| whole > i64::from(cap)),
                })
            }
        }
    }
}

/// What a 满减 rule earns on an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reached {
    Tier { threshold: Fen, off: Fen },
    Repeat { every: Fen, off: Fen, times: u32, capped: bool },
}

impl Reached {
    /// The money off, before it is limited to what is left to pay.
    pub fn off(self) -> Fen {
        match self {
            Reached::Tier { off, .. } => off,
            Reached::Repeat { off, times, .. } => Fen(off.0 * i64::from(times)),
        }
    }
}

/// 赠品: a gift SKU, free, when the order qualifies. The gift's own stock is
/// the store's to check; the engine says which gifts the order earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gift {
    pub trigger: GiftTrigger,
    pub gift_product: ProductId,
    pub gift_sku: SkuId,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GiftTrigger {
    /// 满赠: the covered amount reaches `threshold`.
    Spend { threshold: Fen, scope: Scope },
    /// 买赠: at least `min_quantity` units of `product`.
    Buy { product: ProductId, min_quantity: u32 },
}

impl Gift {
    pub(super) fn check(&mut self, problems: &mut Problems) {
        match &mut self.trigger {
            GiftTrigger::Spend { threshold, scope } => {
                problems.positive_amount("threshold", "门槛", "threshold", *threshold);
                scope.normalize(problems, "scope");
            }
            GiftTrigger::Buy { min_quantity, .. } => {
                problems.count("min_quantity", "购买件数", "items to buy", *min_quantity, MAX_QUANTITY);
            }
        }
        problems.count("quantity", "赠品数量", "gift quantity", self.quantity, MAX_GIFT_QUANTITY);
    }
}
