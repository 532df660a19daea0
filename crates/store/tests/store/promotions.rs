//! Promotions, coupon claims and budgets: the limits hold under concurrency.

use std::sync::Arc;

use serde_json::json;
use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::{Fen, Role, ShopId, Timestamp, UserId};
use zhibo_store::promotions::{ClaimOutcome, CouponLimits, NewPromotion, PromotionStore};
use zhibo_store::{AccountStore, NewUser, ShopSettings, ShopStore};

use crate::helpers::{T0, TestStore};

async fn shop_with_buyers(t: &TestStore, buyers: usize) -> (ShopId, Vec<UserId>) {
    let shop = t.store.create_shop("券店", &ShopSettings::default()).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..buyers {
        let user = NewUser {
            shop,
            username: Username::parse(&format!("buyer{i}")).unwrap(),
            display_name: DisplayName::parse(&format!("买家{i}")).unwrap(),
            role: Role::Viewer,
            password_hash: "$argon2id$not-a-real-hash".into(),
        };
        ids.push(t.store.create_user(&user).await.unwrap());
    }
    (shop, ids)
}

fn coupon(shop: ShopId, total: i64, per_buyer: i64) -> NewPromotion {
    NewPromotion {
        shop,
        show: None,
        kind: "coupon".into(),
        name: "满100减10券".into(),
        starts_at: T0,
        ends_at: T0.plus_secs(3600),
        budget: None,
        rule: json!({"threshold_fen": 10000, "off_fen": 1000}),
        coupon: Some(CouponLimits { total, per_buyer }),
    }
}

#[tokio::test]
async fn a_promotion_round_trips_and_only_live_ones_are_listed_as_live() {
    let t = TestStore::new().await;
    let (shop, _) = shop_with_buyers(&t, 0).await;
    let id = t.store.create_promotion(&coupon(shop, 10, 1)).await.unwrap();
    let p = t.store.promotion(id).await.unwrap().unwrap();
    assert_eq!((p.kind.as_str(), p.rule["off_fen"].as_i64()), ("coupon", Some(1000)));
    assert_eq!(p.coupon, Some(CouponLimits { total: 10, per_buyer: 1 }));
    assert_eq!(t.store.live_promotions(shop, T0).await.unwrap().len(), 1);
    assert_eq!(t.store.live_promotions(shop, T0.plus_secs(3600)).await.unwrap().len(), 0, "the end is exclusive");
    assert_eq!(t.store.live_promotions(shop, Timestamp(T0.0 - 1)).await.unwrap().len(), 0);
    t.store.set_promotion_active(id, false).await.unwrap();
    assert!(t.store.live_promotions(shop, T0).await.unwrap().is_empty());
    assert_eq!(t.store.promotions_of_shop(shop).await.unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_claims_never_exceed_the_total_or_a_buyers_limit() {
    let t = TestStore::new().await;
    let (shop, buyers) = shop_with_buyers(&t, 12).await;
    let id = t.store.create_promotion(&coupon(shop, 15, 2)).await.unwrap();
    let store = Arc::new(t.store.clone());
    // every buyer tries 4 times at once: 48 attempts for 15 coupons, 2 each
    let mut tasks = Vec::new();
    for &buyer in &buyers {
        for _ in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move { store.claim_coupon(id, buyer, T0).await.unwrap() }));
        }
    }
    let mut claimed = 0;
    let mut sold_out = 0;
    for task in tasks {
        match task.await.unwrap() {
            ClaimOutcome::Claimed { .. } => claimed += 1,
            ClaimOutcome::SoldOut => sold_out += 1,
            ClaimOutcome::LimitReached => {}
        }
    }
    assert_eq!(claimed, 15, "exactly min(attempts allowed, total)");
    assert!(sold_out > 0);
    for &buyer in &buyers {
        assert!(t.store.unused_claims(buyer).await.unwrap().len() <= 2, "per-buyer limit");
    }
    assert_eq!(t.store.promotion(id).await.unwrap().unwrap().coupon_claimed, 15);
}

#[tokio::test]
async fn a_claim_is_used_once_and_only_by_its_buyer() {
    let t = TestStore::new().await;
    let (shop, buyers) = shop_with_buyers(&t, 2).await;
    let id = t.store.create_promotion(&coupon(shop, 5, 1)).await.unwrap();
    let ClaimOutcome::Claimed { claim_id } = t.store.claim_coupon(id, buyers[0], T0).await.unwrap() else {
        panic!("first claim must succeed")
    };
    assert_eq!(t.store.claim_coupon(id, buyers[0], T0).await.unwrap(), ClaimOutcome::LimitReached);
    assert!(!t.store.use_claim(claim_id, buyers[1], "ORDER-1", T0).await.unwrap(), "not theirs");
    assert!(t.store.use_claim(claim_id, buyers[0], "ORDER-1", T0).await.unwrap());
    assert!(!t.store.use_claim(claim_id, buyers[0], "ORDER-2", T0).await.unwrap(), "used once");
    assert!(t.store.unused_claims(buyers[0]).await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_spending_never_passes_the_budget() {
    let t = TestStore::new().await;
    let (shop, _) = shop_with_buyers(&t, 0).await;
    let mut p = coupon(shop, 1, 1);
    p.kind = "full_reduction".into();
    p.coupon = None;
    p.budget = Some(Fen(10_000));
    let id = t.store.create_promotion(&p).await.unwrap();
    let store = Arc::new(t.store.clone());
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.spend_promotion_budget(id, Fen(700)).await.unwrap() })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += i64::from(task.await.unwrap());
    }
    assert_eq!(accepted, 14, "14 × ¥7 fits in ¥100, the 15th would not");
    assert_eq!(t.store.promotion(id).await.unwrap().unwrap().spent, Fen(9_800));
    assert!(t.store.spend_promotion_budget(id, Fen(200)).await.unwrap(), "exactly to the budget is fine");
    assert!(!t.store.spend_promotion_budget(id, Fen(1)).await.unwrap());
}

#[tokio::test]
async fn claiming_something_that_is_not_a_coupon_is_not_found() {
    let t = TestStore::new().await;
    let (shop, buyers) = shop_with_buyers(&t, 1).await;
    let mut p = coupon(shop, 1, 1);
    p.coupon = None;
    let id = t.store.create_promotion(&p).await.unwrap();
    assert!(t.store.claim_coupon(id, buyers[0], T0).await.is_err());
    assert!(t.store.claim_coupon(9999, buyers[0], T0).await.is_err());
}

#[tokio::test]
async fn live_prices_stored_before_and_after_sku_items_both_come_back() {
    use zhibo_domain::promotion::{LivePrice, LivePriceItem, Promotion, PromotionDraft, PromotionRule};
    use zhibo_domain::{ProductId, SkuId, ids::PromotionId};
    use zhibo_store::promotions::{StoredPromotion, new_promotion};
    let t = TestStore::new().await;
    let (shop, _) = shop_with_buyers(&t, 0).await;
    let live = |rule: serde_json::Value| NewPromotion {
        shop,
        show: None,
        kind: "live_price".into(),
        name: "直播价".into(),
        starts_at: T0,
        ends_at: T0.plus_secs(3600),
        budget: None,
        rule,
        coupon: None,
    };
    // a row written before live-price items could name a SKU
    let old = json!({"kind": "live_price", "show": 3, "items": [{"product": 7, "price": 19900}]});
    let id = t.store.create_promotion(&live(old)).await.unwrap();
    let StoredPromotion::Promotion(p) = t.store.promotion(id).await.unwrap().unwrap().to_domain().unwrap() else {
        panic!("a live price is a promotion")
    };
    let PromotionRule::LivePrice(rule) = p.rule() else { panic!("read back as a live price") };
    assert_eq!(rule.items, [LivePriceItem::product(ProductId(7), Fen(19900))]);
    assert_eq!(rule.price_for(ProductId(7), SkuId(71)), Some(Fen(19900)), "every SKU of the product");

    // a product item and a SKU item, written through the store's own record
    let items =
        vec![LivePriceItem::product(ProductId(7), Fen(16900)), LivePriceItem::sku(ProductId(7), SkuId(72), Fen(34900))];
    let draft = PromotionDraft {
        id: PromotionId(0),
        name: "礼盒直播价".into(),
        starts_at: T0,
        ends_at: T0.plus_secs(3600),
        budget: None,
        rule: PromotionRule::LivePrice(LivePrice { show: None, items }),
    };
    let record = new_promotion(shop, None, &Promotion::new(draft).unwrap()).unwrap();
    let id = t.store.create_promotion(&record).await.unwrap();
    let stored = t.store.promotion(id).await.unwrap().unwrap();
    assert_eq!(stored.rule["items"][0].get("sku"), None, "a product item is stored as before");
    let StoredPromotion::Promotion(p) = stored.to_domain().unwrap() else { panic!("a live price is a promotion") };
    let PromotionRule::LivePrice(rule) = p.rule() else { panic!("read back as a live price") };
    assert_eq!(rule.price_for(ProductId(7), SkuId(72)), Some(Fen(34900)));
    assert_eq!(rule.price_for(ProductId(7), SkuId(71)), Some(Fen(16900)));
}
