//! The benchmark case of issue 4 (`zhibo bench pricing`): a 20-line cart,
//! 10 promotions of every price-changing kind in force, 5 coupons of the
//! buyer. Built here, beside the engine, so the benchmark and the tests
//! price the very same cart.

use super::cart::CartLine;
use crate::ids::{CouponId, PromotionId};
use crate::promotion::{
    Coupon, CouponBenefit, CouponDraft, FlashSale, FlashSaleItem, FullReduction, Gift, GiftTrigger, LivePrice,
    LivePriceItem, Promotion, PromotionDraft, PromotionRule, QuantityDiscount, QuantityTier, Rate, ReductionForm,
    ReductionTier, Scope,
};
use crate::{Fen, ProductId, SkuId, Timestamp};

/// The show the first ten lines were added in.
const SHOW: i64 = 7;
const HOUR_MS: i64 = 3_600_000;

/// (cart lines, promotions, the buyer's coupons, now): 20 lines, 10
/// promotions all in force (2 live prices, 2 flash sales, 2 满件折,
/// 2 满减, 2 gifts) and 5 usable coupons.
pub fn bench_fixture() -> (Vec<CartLine>, Vec<Promotion>, Vec<Coupon>, Timestamp) {
    // 2025-06-15 20:00 +08:00, during a show
    let now = Timestamp(1_749_988_800_000);
    let prices: [i64; 20] = [
        4990, 12900, 8900, 2990, 19900, 6990, 3990, 15900, 9990, 2590, 39900, 5990, 7990, 1990, 24900, 4590, 11900,
        3290, 6590, 8990,
    ];
    let quantities: [u32; 20] = [1, 2, 1, 3, 1, 2, 1, 1, 2, 1, 1, 2, 1, 4, 1, 1, 2, 1, 1, 2];
    let lines = (0..20)
        .map(|i| {
            let product = 101 + i as i64;
            let line = CartLine::new(
                ProductId(product),
                SkuId(product * 100 + 1),
                Fen(prices[i]),
                quantities[i],
                Some(Fen(prices[i] * 13 / 10)),
            )
            .expect("the benchmark lines are valid");
            if i < 10 { line.in_show(SHOW) } else { line }
        })
        .collect();

    let products = |ids: &[i64]| Scope::Products(ids.iter().map(|&p| ProductId(p)).collect());
    let live = |items: &[(i64, i64)]| {
        items.iter().map(|&(p, price)| LivePriceItem::product(ProductId(p), Fen(price))).collect()
    };
    let flash = |sku: i64, price: i64, quantity: u32, per_buyer_limit: u32| FlashSaleItem {
        sku: SkuId(sku),
        price: Fen(price),
        quantity,
        per_buyer_limit,
    };
    let tier = |min_items: u32, percent: u32| QuantityTier { min_items, off: Rate::percent_off(percent) };
    let rules = vec![
        PromotionRule::LivePrice(LivePrice {
            show: Some(SHOW),
            items: live(&[(101, 3990), (102, 9900), (105, 15900)]),
        }),
        PromotionRule::LivePrice(LivePrice { show: None, items: live(&[(111, 35900), (115, 19900)]) }),
        PromotionRule::FlashSale(FlashSale {
            show: Some(SHOW),
            items: vec![flash(10301, 5900, 100, 1), flash(10801, 9900, 50, 2)],
        }),
        PromotionRule::FlashSale(FlashSale { show: None, items: vec![flash(10201, 8800, 20, 1)] }),
        PromotionRule::QuantityDiscount(QuantityDiscount {
            scope: products(&[104, 110, 114]),
            tiers: vec![tier(2, 10), tier(3, 15)],
        }),
        PromotionRule::QuantityDiscount(QuantityDiscount { scope: products(&[112, 113]), tiers: vec![tier(2, 5)] }),
        PromotionRule::FullReduction(FullReduction {
            scope: Scope::Shop,
            form: ReductionForm::Tiers(vec![
                ReductionTier { threshold: Fen(30000), off: Fen(4000) },
                ReductionTier { threshold: Fen(50000), off: Fen(8000) },
                ReductionTier { threshold: Fen(100000), off: Fen(18000) },
            ]),
        }),
        PromotionRule::FullReduction(FullReduction {
            scope: products(&[116, 117, 118, 119, 120]),
            form: ReductionForm::Repeating { every: Fen(10000), off: Fen(1000), max_times: Some(5) },
        }),
        PromotionRule::Gift(Gift {
            trigger: GiftTrigger::Spend { threshold: Fen(80000), scope: Scope::Shop },
            gift_product: ProductId(999),
            gift_sku: SkuId(99901),
            quantity: 1,
        }),
        PromotionRule::Gift(Gift {
            trigger: GiftTrigger::Buy { product: ProductId(114), min_quantity: 3 },
            gift_product: ProductId(999),
            gift_sku: SkuId(99902),
            quantity: 1,
        }),
    ];
    let promotions = rules
        .into_iter()
        .zip(1..)
        .map(|(rule, id)| {
            Promotion::new(PromotionDraft {
                id: PromotionId(id),
                name: format!("直播专场活动{id}"),
                starts_at: now.plus_millis(-HOUR_MS),
                ends_at: now.plus_millis(2 * HOUR_MS),
                budget: Some(Fen(5_000_000)),
                rule,
            })
            .expect("the benchmark promotions are valid")
        })
        .collect();

    let coupon = |id: i64, scope: Scope, threshold: i64, benefit: CouponBenefit| {
        Coupon::new(CouponDraft {
            id: CouponId(id),
            name: format!("优惠券{id}"),
            scope,
            threshold: Fen(threshold),
            benefit,
            total_quantity: 1000,
            per_buyer_limit: 1,
            claim_starts_at: now.plus_millis(-24 * HOUR_MS),
            claim_ends_at: now.plus_millis(HOUR_MS),
            use_starts_at: now.plus_millis(-24 * HOUR_MS),
            use_ends_at: now.plus_millis(id * 24 * HOUR_MS),
            budget: None,
        })
        .expect("the benchmark coupons are valid")
    };
    let coupons = vec![
        coupon(201, Scope::Shop, 20000, CouponBenefit::AmountOff(Fen(2000))),
        coupon(202, Scope::Shop, 100000, CouponBenefit::AmountOff(Fen(12000))),
        coupon(203, Scope::Shop, 50000, CouponBenefit::PercentOff { off: Rate::percent_off(10), cap: Some(Fen(5000)) }),
        coupon(204, products(&[111, 115]), 30000, CouponBenefit::AmountOff(Fen(3000))),
        coupon(205, Scope::Shop, 0, CouponBenefit::AmountOff(Fen(500))),
    ];
    (lines, promotions, coupons, now)
}
