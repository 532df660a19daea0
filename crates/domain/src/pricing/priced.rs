//! What the engine answers: a priced cart with a line-by-line breakdown,
//! every discount with the facts that explain it, the gifts earned and the
//! promotions deliberately left out.
//!
//! Discounts are kept as structured values ([`DiscountDetail`]); the zh-CN
//! and English sentences are rendered only when asked for (`explain.rs`),
//! so pricing a cart builds no strings.

use serde::Serialize;

use crate::ids::{CouponId, PromotionId};
use crate::promotion::{CouponBenefit, PromotionKind, Rate, Reached};
use crate::{Fen, ProductId, SkuId};

/// A priced cart. Amounts are integer fen and add up exactly:
/// `subtotal - total_discount == payable`, each line's `base_total -
/// discount == total`, and the shares of each discount sum to its amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedCart {
    /// In the order the cart gave them.
    pub lines: Vec<PricedLine>,
    /// In the order they were applied (see docs/pricing.md).
    pub discounts: Vec<AppliedDiscount>,
    /// How each discount is split over lines, grouped by discount.
    pub shares: Vec<Share>,
    /// Gifts earned, at price 0.
    pub gifts: Vec<GiftLine>,
    /// Price-level promotions left out because using them would have cost
    /// the buyer more (they would have lost a spend threshold).
    pub skipped: Vec<SkippedPromotion>,
    /// The coupon chosen, if any of the buyer's coupons takes money off.
    pub coupon: Option<CouponId>,
    /// Σ unit price × quantity, before any promotion.
    pub subtotal: Fen,
    pub total_discount: Fen,
    pub payable: Fen,
}

impl PricedCart {
    /// Each discount that touched line `line` (index into [`PricedCart::lines`])
    /// with the part of it that line carries.
    pub fn line_adjustments(&self, line: usize) -> impl Iterator<Item = (&AppliedDiscount, Fen)> + '_ {
        self.shares.iter().filter(move |s| s.line == line).map(|s| (&self.discounts[s.discount], s.amount))
    }

    /// How discount `discount` (index into [`PricedCart::discounts`]) is split over lines.
    pub fn shares_of(&self, discount: usize) -> impl Iterator<Item = &Share> + '_ {
        self.shares.iter().filter(move |s| s.discount == discount)
    }

    /// One sentence per discount, gift and skipped promotion, in zh-CN.
    pub fn explanation_zh(&self) -> Vec<String> {
        let discounts = self.discounts.iter().map(AppliedDiscount::explain_zh);
        let gifts = self.gifts.iter().map(GiftLine::explain_zh);
        discounts.chain(gifts).chain(self.skipped.iter().map(SkippedPromotion::explain_zh)).collect()
    }

    /// The same sentences in English.
    pub fn explanation_en(&self) -> Vec<String> {
        let discounts = self.discounts.iter().map(AppliedDiscount::explain_en);
        let gifts = self.gifts.iter().map(GiftLine::explain_en);
        discounts.chain(gifts).chain(self.skipped.iter().map(SkippedPromotion::explain_en)).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricedLine {
    pub product: ProductId,
    pub sku: SkuId,
    pub quantity: u32,
    /// The price the cart gave, before promotions.
    pub unit_price: Fen,
    /// 划线价, carried through for display.
    pub list_price: Option<Fen>,
    /// `unit_price × quantity`.
    pub base_total: Fen,
    /// Σ of this line's shares of every discount.
    pub discount: Fen,
    /// What this line costs: never below zero.
    pub total: Fen,
}

/// One line's part of one discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Share {
    /// Index into [`PricedCart::discounts`].
    pub discount: usize,
    /// Index into [`PricedCart::lines`].
    pub line: usize,
    pub amount: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountSource {
    Promotion(PromotionId),
    Coupon(CouponId),
}

/// One applied discount. Price-level discounts (live price, flash sale)
/// are one per line; the others one per promotion, shared over lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppliedDiscount {
    pub source: DiscountSource,
    /// What it took off, in fen: always above zero.
    pub amount: Fen,
    pub detail: DiscountDetail,
}

impl AppliedDiscount {
    pub fn kind(&self) -> PromotionKind {
        match self.detail {
            DiscountDetail::LivePrice { .. } => PromotionKind::LivePrice,
            DiscountDetail::FlashSale { .. } => PromotionKind::FlashSale,
            DiscountDetail::QuantityDiscount { .. } => PromotionKind::QuantityDiscount,
            DiscountDetail::FullReduction { .. } => PromotionKind::FullReduction,
            DiscountDetail::Coupon { .. } => PromotionKind::Coupon,
        }
    }
}

/// The facts behind a discount, enough to explain it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscountDetail {
    LivePrice {
        unit_price: Fen,
        live_price: Fen,
        units: u32,
    },
    FlashSale {
        unit_price: Fen,
        flash_price: Fen,
        /// Units at the flash price.
        units: u32,
        /// Units in the line.
        quantity: u32,
        /// Why fewer than wanted got the flash price; `None` if all did.
        limit: Option<FlashLimit>,
    },
    QuantityDiscount {
        min_items: u32,
        off: Rate,
        /// Items of the covered products in the cart.
        items: u64,
        /// The covered amount the rate was applied to.
        eligible: Fen,
    },
    FullReduction {
        reached: Reached,
        /// The covered amount the threshold was measured on.
        base: Fen,
        /// What the rule grants; above `amount` only when limited to what
        /// was left to pay.
        nominal: Fen,
    },
    Coupon {
        threshold: Fen,
        benefit: CouponBenefit,
        /// The covered amount the threshold was measured on.
        base: Fen,
        /// The covered amount still payable when the coupon came, which a
        /// percentage coupon is applied to.
        payable_before: Fen,
        nominal: Fen,
    },
}

/// Why a flash sale priced fewer units than the line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashLimit {
    /// 每人限购: the buyer's limit, counting what they bought before.
    PerBuyer { limit: u32, already_bought: u32 },
    /// 秒杀库存: only this many were left at the flash price.
    Stock { left: u32 },
}

/// A free gift the order earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GiftLine {
    pub promotion: PromotionId,
    pub product: ProductId,
    pub sku: SkuId,
    pub quantity: u32,
    /// Always zero: gifts are free. Present so gift lines print like lines.
    pub price: Fen,
    pub reason: GiftReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GiftReason {
    Spend { threshold: Fen, base: Fen },
    Bought { product: ProductId, min_quantity: u32, bought: u64 },
}

/// A price-level promotion the engine did not use, because with it the
/// order would fall below a 满减 or coupon threshold and cost more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SkippedPromotion {
    pub promotion: PromotionId,
    pub kind: PromotionKind,
    /// How much more the buyer would pay with it.
    pub extra_cost: Fen,
}
