//! Bad rules are refused, every problem at once, each naming its field.

use super::*;
use crate::ids::CouponId;
use crate::{ProductId, SkuId};

const START: Timestamp = Timestamp(1_000);
const END: Timestamp = Timestamp(2_000);

fn draft(rule: PromotionRule) -> PromotionDraft {
    PromotionDraft {
        id: PromotionId(1), name: "直播专场".into(), starts_at: START, ends_at: END, budget: None, rule
    }
}

fn tiered(tiers: &[(i64, i64)]) -> PromotionRule {
    PromotionRule::FullReduction(FullReduction {
        scope: Scope::Shop,
        form: ReductionForm::Tiers(
            tiers.iter().map(|&(t, o)| ReductionTier { threshold: Fen(t), off: Fen(o) }).collect(),
        ),
    })
}

fn live_price(price: i64) -> PromotionRule {
    PromotionRule::LivePrice(LivePrice { show: None, items: vec![LivePriceItem::product(ProductId(1), Fen(price))] })
}

fn coupon_draft(threshold: i64, benefit: CouponBenefit) -> CouponDraft {
    CouponDraft {
        id: CouponId(1),
        name: "满200减20".into(),
        scope: Scope::Shop,
        threshold: Fen(threshold),
        benefit,
        total_quantity: 100,
        per_buyer_limit: 1,
        claim_starts_at: START,
        claim_ends_at: END,
        use_starts_at: START,
        use_ends_at: END,
        budget: None,
    }
}

fn fields(errors: &[DomainError]) -> Vec<&'static str> {
    errors.iter().map(|e| e.field).collect()
}

fn messages(errors: &[DomainError]) -> String {
    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" | ")
}

#[test]
fn a_sound_promotion_passes_and_is_in_force_in_its_window_only() {
    let p = Promotion::new(draft(tiered(&[(30000, 4000), (50000, 8000)]))).unwrap();
    assert_eq!(p.kind(), PromotionKind::FullReduction);
    assert!(!p.is_active_at(Timestamp(999)));
    assert!(p.is_active_at(START));
    assert!(p.is_active_at(Timestamp(1_999)));
    assert!(!p.is_active_at(END));
}

#[test]
fn an_end_before_or_at_the_start_is_refused() {
    for end in [START, Timestamp(500)] {
        let errs = Promotion::new(PromotionDraft { ends_at: end, ..draft(live_price(100)) }).unwrap_err();
        assert_eq!(fields(&errs), ["ends_at"]);
        assert!(errs[0].message.contains("结束时间须晚于开始时间 / the end must be after the start"));
    }
}

#[test]
fn a_negative_price_is_refused() {
    let errs = Promotion::new(draft(live_price(-1))).unwrap_err();
    assert_eq!(fields(&errs), ["items"]);
    assert!(messages(&errs).contains("不能为负 / item 1: live price must not be negative"), "{errs:?}");
    let flash = PromotionRule::FlashSale(FlashSale {
        show: None,
        items: vec![FlashSaleItem { sku: SkuId(1), price: Fen(-100), quantity: 10, per_buyer_limit: 1 }],
    });
    assert_eq!(fields(&Promotion::new(draft(flash)).unwrap_err()), ["items"]);
}

#[test]
fn a_free_live_price_is_allowed() {
    assert!(Promotion::new(draft(live_price(0))).is_ok());
}

#[test]
fn overlapping_or_duplicate_tiers_are_refused() {
    // the same threshold twice
    let errs = Promotion::new(draft(tiered(&[(30000, 4000), (30000, 5000)]))).unwrap_err();
    assert_eq!(fields(&errs), ["tiers"]);
    assert!(messages(&errs).contains("duplicate or overlapping tiers"));
    // thresholds out of order
    let errs = Promotion::new(draft(tiered(&[(50000, 8000), (30000, 4000)]))).unwrap_err();
    assert!(messages(&errs).contains("tier 2 must have a higher threshold than tier 1"));
    // a higher tier taking less off
    let errs = Promotion::new(draft(tiered(&[(30000, 4000), (50000, 3000)]))).unwrap_err();
    assert!(messages(&errs).contains("tier 2 must take more off than tier 1"));
}

#[test]
fn a_reduction_worth_its_threshold_is_refused() {
    let errs = Promotion::new(draft(tiered(&[(30000, 30000)]))).unwrap_err();
    assert!(messages(&errs).contains("tier 1: the amount off must be below its threshold"));
    let repeating = PromotionRule::FullReduction(FullReduction {
        scope: Scope::Shop,
        form: ReductionForm::Repeating { every: Fen(10000), off: Fen(10000), max_times: Some(0) },
    });
    let errs = Promotion::new(draft(repeating)).unwrap_err();
    assert_eq!(fields(&errs), ["off", "max_times"]);
}

#[test]
fn a_percentage_over_100_or_of_zero_is_refused() {
    for bp in [0, 10_000, 15_000] {
        let rule = PromotionRule::QuantityDiscount(QuantityDiscount {
            scope: Scope::Shop,
            tiers: vec![QuantityTier { min_items: 2, off: Rate(bp) }],
        });
        let errs = Promotion::new(draft(rule)).unwrap_err();
        assert_eq!(fields(&errs), ["tiers"], "{bp}");
        assert!(messages(&errs).contains("percent off must be above 0 and below 100%"));
    }
    let errs = Coupon::new(coupon_draft(0, CouponBenefit::PercentOff { off: Rate(12_000), cap: None })).unwrap_err();
    assert_eq!(fields(&errs), ["percent_off"]);
}

#[test]
fn quantity_tiers_must_grow() {
    let rule = PromotionRule::QuantityDiscount(QuantityDiscount {
        scope: Scope::Products(vec![]),
        tiers: vec![QuantityTier { min_items: 3, off: Rate(1000) }, QuantityTier { min_items: 2, off: Rate(500) }],
    });
    let errs = Promotion::new(draft(rule)).unwrap_err();
    assert_eq!(fields(&errs), ["scope", "tiers", "tiers"]);
}

#[test]
fn a_coupon_worth_more_than_its_threshold_is_refused() {
    let errs = Coupon::new(coupon_draft(5000, CouponBenefit::AmountOff(Fen(8000)))).unwrap_err();
    assert_eq!(fields(&errs), ["amount_off"]);
    assert!(errs[0].message.contains("优惠金额须小于使用门槛 / the coupon must be worth less than its threshold"));
    // equal is refused too: it would make the order free
    assert!(Coupon::new(coupon_draft(5000, CouponBenefit::AmountOff(Fen(5000)))).is_err());
    // a 无门槛券 has no threshold to exceed
    assert!(Coupon::new(coupon_draft(0, CouponBenefit::AmountOff(Fen(500)))).is_ok());
}

#[test]
fn a_coupon_reports_every_problem_at_once() {
    let errs = Coupon::new(CouponDraft {
        name: " ".into(),
        threshold: Fen(-1),
        total_quantity: 5,
        per_buyer_limit: 6,
        claim_ends_at: START,
        use_starts_at: END,
        use_ends_at: Timestamp(500),
        budget: Some(Fen(-3)),
        ..coupon_draft(0, CouponBenefit::AmountOff(Fen(0)))
    })
    .unwrap_err();
    assert_eq!(
        fields(&errs),
        ["name", "threshold", "amount_off", "per_buyer_limit", "claim_ends_at", "use_ends_at", "use_ends_at", "budget"]
    );
}

#[test]
fn flash_sale_limits_are_checked() {
    let rule = PromotionRule::FlashSale(FlashSale {
        show: Some(7),
        items: vec![
            FlashSaleItem { sku: SkuId(2), price: Fen(100), quantity: 5, per_buyer_limit: 6 },
            FlashSaleItem { sku: SkuId(2), price: Fen(100), quantity: 0, per_buyer_limit: 1 },
        ],
    });
    let errs = Promotion::new(draft(rule)).unwrap_err();
    assert_eq!(fields(&errs), ["per_buyer_limit", "quantity", "items"]);
}

#[test]
fn name_and_budget_are_checked() {
    let errs = Promotion::new(PromotionDraft {
        name: "很".repeat(MAX_NAME_CHARS + 1),
        budget: Some(Fen(0)),
        ..draft(live_price(100))
    })
    .unwrap_err();
    assert_eq!(fields(&errs), ["name", "budget"]);
}

#[test]
fn gifts_are_checked() {
    let rule = PromotionRule::Gift(Gift {
        trigger: GiftTrigger::Spend { threshold: Fen(0), scope: Scope::Shop },
        gift_product: ProductId(9),
        gift_sku: SkuId(90),
        quantity: 0,
    });
    assert_eq!(fields(&Promotion::new(draft(rule)).unwrap_err()), ["threshold", "quantity"]);
}

#[test]
fn product_lists_are_sorted_and_deduplicated() {
    let rule = PromotionRule::FullReduction(FullReduction {
        scope: Scope::Products(vec![ProductId(3), ProductId(1), ProductId(3)]),
        form: ReductionForm::Repeating { every: Fen(10000), off: Fen(1000), max_times: None },
    });
    let p = Promotion::new(draft(rule)).unwrap();
    let PromotionRule::FullReduction(r) = p.rule() else { panic!("kind changed") };
    assert_eq!(r.scope, Scope::Products(vec![ProductId(1), ProductId(3)]));
    assert!(r.scope.contains(ProductId(3)) && !r.scope.contains(ProductId(2)));
}

#[test]
fn rates_read_as_shoppers_say_them() {
    assert_eq!(Rate(1000).zhe().to_string(), "9折");
    assert_eq!(Rate(1500).zhe().to_string(), "8.5折");
    assert_eq!(Rate(1250).zhe().to_string(), "8.75折");
    assert_eq!(Rate::zhe_tenths(85), Rate(1500));
    assert_eq!(Rate(1000).percent().to_string(), "10%");
    assert_eq!(Rate(1250).percent().to_string(), "12.5%");
    assert_eq!(Rate(1).percent().to_string(), "0.01%");
    // rounded down: 12345 × 10% = 1234.5 → 1234
    assert_eq!(Rate::percent_off(10).discount_on(Fen(12345)), Fen(1234));
}

#[test]
fn a_draft_round_trips_through_json() {
    let p = Promotion::new(draft(tiered(&[(30000, 4000)]))).unwrap();
    let json = serde_json::to_string(p.draft()).unwrap();
    assert!(json.contains("\"kind\":\"full_reduction\""), "{json}");
    let back: PromotionDraft = serde_json::from_str(&json).unwrap();
    assert_eq!(Promotion::new(back).unwrap(), p);
}

fn live_items(items: &[(i64, Option<i64>, i64)]) -> PromotionRule {
    PromotionRule::LivePrice(LivePrice {
        show: None,
        items: items
            .iter()
            .map(|&(p, sku, price)| LivePriceItem { product: ProductId(p), sku: sku.map(SkuId), price: Fen(price) })
            .collect(),
    })
}

#[test]
fn a_live_price_may_name_a_product_and_its_skus_once_each() {
    let p = Promotion::new(draft(live_items(&[(1, Some(12), 34900), (1, None, 16900), (1, Some(11), 16900)])));
    let p = p.unwrap();
    let PromotionRule::LivePrice(rule) = p.rule() else { unreachable!("built as a live price") };
    // the SKU's own item first, else the product's
    assert_eq!(rule.price_for(ProductId(1), SkuId(12)), Some(Fen(34900)));
    assert_eq!(rule.price_for(ProductId(1), SkuId(11)), Some(Fen(16900)));
    assert_eq!(rule.price_for(ProductId(1), SkuId(13)), Some(Fen(16900)));
    assert_eq!(rule.price_for(ProductId(2), SkuId(12)), None, "SKU 12 of another product is not priced");
    assert_eq!(p.rule().references(), (vec![ProductId(1); 3], vec![SkuId(11), SkuId(12)]));
}

#[test]
fn a_product_or_a_sku_listed_twice_is_refused_naming_the_items() {
    let errs = Promotion::new(draft(live_items(&[(1, Some(12), 100), (2, None, 100), (1, Some(12), 200)])));
    let errs = errs.unwrap_err();
    assert_eq!(fields(&errs), ["items"]);
    assert!(messages(&errs).contains("商品#1的SKU#12重复 / SKU #12 of product #1 is listed twice"), "{errs:?}");
    let errs = Promotion::new(draft(live_items(&[(1, None, 100), (1, None, 200)]))).unwrap_err();
    assert_eq!(fields(&errs), ["items"]);
    assert!(messages(&errs).contains("商品#1重复 / product #1 is listed twice"), "{errs:?}");
}

#[test]
fn a_stored_live_price_without_skus_reads_and_writes_as_before() {
    // JSON stored before SKU items existed
    let json = r#"{"kind":"live_price","show":3,"items":[{"product":7,"price":19900}]}"#;
    let rule: PromotionRule = serde_json::from_str(json).unwrap();
    let PromotionRule::LivePrice(live) = &rule else { unreachable!("parsed as a live price") };
    assert_eq!(live.items, [LivePriceItem::product(ProductId(7), Fen(19900))]);
    assert_eq!(serde_json::to_string(&rule).unwrap(), json, "a product item is written without `sku`");
    let sku = r#"{"kind":"live_price","show":null,"items":[{"product":7,"sku":71,"price":34900}]}"#;
    let rule: PromotionRule = serde_json::from_str(sku).unwrap();
    let PromotionRule::LivePrice(live) = &rule else { unreachable!("parsed as a live price") };
    assert_eq!(live.items, [LivePriceItem::sku(ProductId(7), SkuId(71), Fen(34900))]);
    assert_eq!(serde_json::to_string(&rule).unwrap(), sku);
}

#[test]
fn a_lineup_live_price_takes_the_same_reduction_off_every_sku() {
    let items = |cheapest: i64, live: i64, skus: &[(i64, i64)]| {
        let skus = skus.iter().map(|&(s, price)| (SkuId(s), Fen(price)));
        LivePrice::lineup_items(ProductId(1), Fen(cheapest), Fen(live), skus)
            .into_iter()
            .map(|i| (i.sku.map(|s| s.0), i.price.0))
            .collect::<Vec<_>>()
    };
    // the demo's tea: ¥199 单饼 and ¥379 礼盒, live price ¥169 → ¥30 off each
    assert_eq!(items(19900, 16900, &[(11, 19900), (12, 37900)]), [(Some(11), 16900), (Some(12), 34900)]);
    // equal cheapest SKUs both get the live price
    assert_eq!(items(19900, 16900, &[(11, 19900), (12, 19900)]), [(Some(11), 16900), (Some(12), 16900)]);
    // a live price not below the cheapest price lowers nothing
    assert!(items(19900, 19900, &[(11, 19900), (12, 37900)]).is_empty());
    assert!(items(19900, 25000, &[(11, 19900), (12, 37900)]).is_empty());
    // never below 1 fen (a SKU read cheaper than the reduction), and a free SKU stays free
    assert_eq!(items(19900, 100, &[(11, 19900), (12, 5000), (13, 0)]), [(Some(11), 100), (Some(12), 1)]);
}
