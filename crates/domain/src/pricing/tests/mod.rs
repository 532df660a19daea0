//! Tests of the pricing engine: hand-checked examples and properties, with
//! the small builders they share.

mod examples;
mod properties;

use super::{CartLine, FlashSaleUsage, PricedCart, PricingInput, price_cart};
use crate::ids::{CouponId, PromotionId};
use crate::promotion::{
    Coupon, CouponBenefit, CouponDraft, FlashSale, FlashSaleItem, FullReduction, Gift, GiftTrigger, LivePrice,
    LivePriceItem, Promotion, PromotionDraft, PromotionRule, QuantityDiscount, QuantityTier, Rate, ReductionForm,
    ReductionTier, Scope,
};
use crate::{Fen, ProductId, SkuId, Timestamp};

/// The instant every example is priced at.
pub(super) const NOW: Timestamp = Timestamp(1_000_000_000);
/// Promotions in the examples run `[NOW - 1000, NOW + 1000)` unless said otherwise.
pub(super) const START: Timestamp = Timestamp(NOW.0 - 1000);
pub(super) const END: Timestamp = Timestamp(NOW.0 + 1000);

/// SKU of product `p` in the examples: `p * 10`.
pub(super) fn sku(product: i64) -> SkuId {
    SkuId(product * 10)
}

/// A line of `quantity` units of product `product` (SKU `product * 10`) at `price` fen.
pub(super) fn line(product: i64, price: i64, quantity: u32) -> CartLine {
    CartLine::new(ProductId(product), sku(product), Fen(price), quantity, None).unwrap()
}

/// A line of `quantity` units of SKU `sku` of product `product` at `price` fen,
/// for products with several SKUs.
pub(super) fn sku_line(product: i64, sku: i64, price: i64, quantity: u32) -> CartLine {
    CartLine::new(ProductId(product), SkuId(sku), Fen(price), quantity, None).unwrap()
}

pub(super) fn products(ids: &[i64]) -> Scope {
    Scope::Products(ids.iter().map(|&p| ProductId(p)).collect())
}

pub(super) fn promo_in(id: i64, starts_at: Timestamp, ends_at: Timestamp, rule: PromotionRule) -> Promotion {
    Promotion::new(PromotionDraft {
        id: PromotionId(id),
        name: format!("活动{id}"),
        starts_at,
        ends_at,
        budget: None,
        rule,
    })
    .unwrap()
}

pub(super) fn promo(id: i64, rule: PromotionRule) -> Promotion {
    promo_in(id, START, END, rule)
}

pub(super) fn live(show: Option<i64>, items: &[(i64, i64)]) -> PromotionRule {
    PromotionRule::LivePrice(LivePrice {
        show,
        items: items.iter().map(|&(p, price)| LivePriceItem::product(ProductId(p), Fen(price))).collect(),
    })
}

/// Live-price items as (product, SKU or `None` for every SKU of it, price).
pub(super) fn live_skus(show: Option<i64>, items: &[(i64, Option<i64>, i64)]) -> PromotionRule {
    PromotionRule::LivePrice(LivePrice {
        show,
        items: items
            .iter()
            .map(|&(p, sku, price)| LivePriceItem { product: ProductId(p), sku: sku.map(SkuId), price: Fen(price) })
            .collect(),
    })
}

/// Flash items as (product whose SKU it is, price, quantity, per-buyer limit).
pub(super) fn flash(items: &[(i64, i64, u32, u32)]) -> PromotionRule {
    PromotionRule::FlashSale(FlashSale {
        show: None,
        items: items
            .iter()
            .map(|&(p, price, quantity, per_buyer_limit)| FlashSaleItem {
                sku: sku(p),
                price: Fen(price),
                quantity,
                per_buyer_limit,
            })
            .collect(),
    })
}

/// Tiers as (items, basis points off).
pub(super) fn per_items(scope: Scope, tiers: &[(u32, u32)]) -> PromotionRule {
    PromotionRule::QuantityDiscount(QuantityDiscount {
        scope,
        tiers: tiers.iter().map(|&(min_items, bp)| QuantityTier { min_items, off: Rate(bp) }).collect(),
    })
}

/// Tiers as (threshold fen, off fen).
pub(super) fn tiers(scope: Scope, tiers: &[(i64, i64)]) -> PromotionRule {
    PromotionRule::FullReduction(FullReduction {
        scope,
        form: ReductionForm::Tiers(
            tiers.iter().map(|&(t, o)| ReductionTier { threshold: Fen(t), off: Fen(o) }).collect(),
        ),
    })
}

pub(super) fn every(scope: Scope, every: i64, off: i64, max_times: Option<u32>) -> PromotionRule {
    PromotionRule::FullReduction(FullReduction {
        scope,
        form: ReductionForm::Repeating { every: Fen(every), off: Fen(off), max_times },
    })
}

pub(super) fn gift_spend(threshold: i64, gift_product: i64) -> PromotionRule {
    PromotionRule::Gift(Gift {
        trigger: GiftTrigger::Spend { threshold: Fen(threshold), scope: Scope::Shop },
        gift_product: ProductId(gift_product),
        gift_sku: sku(gift_product),
        quantity: 1,
    })
}

pub(super) fn gift_buy(product: i64, min_quantity: u32, gift_product: i64) -> PromotionRule {
    PromotionRule::Gift(Gift {
        trigger: GiftTrigger::Buy { product: ProductId(product), min_quantity },
        gift_product: ProductId(gift_product),
        gift_sku: sku(gift_product),
        quantity: 1,
    })
}

pub(super) fn coupon_with(
    id: i64,
    scope: Scope,
    threshold: i64,
    benefit: CouponBenefit,
    use_starts_at: Timestamp,
    use_ends_at: Timestamp,
) -> Coupon {
    Coupon::new(CouponDraft {
        id: CouponId(id),
        name: format!("券{id}"),
        scope,
        threshold: Fen(threshold),
        benefit,
        total_quantity: 100,
        per_buyer_limit: 1,
        claim_starts_at: START,
        claim_ends_at: END,
        use_starts_at,
        use_ends_at,
        budget: None,
    })
    .unwrap()
}

/// 满`threshold`减`off`, shop-wide, usable `[START, END)`.
pub(super) fn coupon(id: i64, threshold: i64, off: i64) -> Coupon {
    coupon_with(id, Scope::Shop, threshold, CouponBenefit::AmountOff(Fen(off)), START, END)
}

/// `bp` basis points off, at most `cap`, shop-wide.
pub(super) fn coupon_rate(id: i64, threshold: i64, bp: u32, cap: Option<i64>) -> Coupon {
    let benefit = CouponBenefit::PercentOff { off: Rate(bp), cap: cap.map(Fen) };
    coupon_with(id, Scope::Shop, threshold, benefit, START, END)
}

pub(super) fn price_at(lines: &[CartLine], promotions: &[Promotion], coupons: &[Coupon], now: Timestamp) -> PricedCart {
    let cart = price_cart(&PricingInput::new(lines, promotions, coupons, now)).unwrap();
    check_sums(&cart);
    cart
}

pub(super) fn price(lines: &[CartLine], promotions: &[Promotion], coupons: &[Coupon]) -> PricedCart {
    price_at(lines, promotions, coupons, NOW)
}

pub(super) fn price_with_usage(lines: &[CartLine], promotions: &[Promotion], usage: &[FlashSaleUsage]) -> PricedCart {
    let input = PricingInput::new(lines, promotions, &[], NOW).with_flash_sale_usage(usage);
    let cart = price_cart(&input).unwrap();
    check_sums(&cart);
    cart
}

/// What every priced cart must satisfy, checked after every example too:
/// amounts add up exactly and nothing is negative.
pub(super) fn check_sums(cart: &PricedCart) {
    assert!(cart.payable.0 >= 0, "payable below zero: {cart:?}");
    assert_eq!(cart.subtotal.0 - cart.total_discount.0, cart.payable.0);
    assert_eq!(cart.lines.iter().map(|l| l.total.0).sum::<i64>(), cart.payable.0);
    for (i, l) in cart.lines.iter().enumerate() {
        assert!(l.total.0 >= 0, "line {i} below zero");
        assert_eq!(l.base_total.0 - l.discount.0, l.total.0);
        assert_eq!(cart.line_adjustments(i).map(|(_, a)| a.0).sum::<i64>(), l.discount.0, "line {i}'s shares");
    }
    for (d, discount) in cart.discounts.iter().enumerate() {
        assert!(discount.amount.0 > 0, "an empty discount was recorded");
        assert_eq!(cart.shares_of(d).map(|s| s.amount.0).sum::<i64>(), discount.amount.0, "discount {d}'s shares");
    }
    assert!(cart.shares.iter().all(|s| s.amount.0 > 0));
}
