//! Promotions and coupons through the API, and quotes priced by the engine.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zhibo_domain::ids::CouponId;
use zhibo_domain::promotion::{
    CouponBenefit, CouponDraft, FullReduction, PromotionRule, ReductionForm, ReductionTier, Scope,
};
use zhibo_domain::{Fen, Timestamp};
use zhibo_store::{CatalogStore, ShopStore};

fn tiers(t: &[(i64, i64)]) -> Value {
    let rule = PromotionRule::FullReduction(FullReduction {
        scope: Scope::Shop,
        form: ReductionForm::Tiers(
            t.iter().map(|&(threshold, off)| ReductionTier { threshold: Fen(threshold), off: Fen(off) }).collect(),
        ),
    });
    serde_json::to_value(rule).unwrap()
}

fn coupon(threshold: i64, off: i64, total: u32, per_buyer: u32, from: Timestamp, to: Timestamp) -> Value {
    let mut v = serde_json::to_value(CouponDraft {
        id: CouponId(0),
        name: format!("满{}减{}券", threshold / 100, off / 100),
        scope: Scope::Shop,
        threshold: Fen(threshold),
        benefit: CouponBenefit::AmountOff(Fen(off)),
        total_quantity: total,
        per_buyer_limit: per_buyer,
        claim_starts_at: from,
        claim_ends_at: to,
        use_starts_at: from,
        use_ends_at: to,
        budget: None,
    })
    .unwrap();
    v.as_object_mut().unwrap().remove("id");
    v
}

/// A SKU of the demo tea (¥199.00) and of the rice (¥69.90).
async fn demo_skus(app: &TestApp) -> (i64, i64) {
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let sku_of = |title: &'static str| async move {
        let p = app.store.product_by_title(shop, title).await.unwrap().unwrap();
        app.store.product(shop, p.id).await.unwrap().unwrap().skus[0].id.0
    };
    (sku_of("云南古树普洱茶 357g").await, sku_of("五常稻花香大米 5kg").await)
}

#[tokio::test]
async fn a_full_reduction_set_up_through_the_api_prices_a_buyers_cart() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let body = json!({
        "name": "双十二满减", "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(3_600).0,
        "budget_fen": 1_000_000, "rule": tiers(&[(30_000, 4_000), (50_000, 8_000)])
    });
    let r = op.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!((created["kind"].as_str(), created["active"].as_bool()), (Some("full_reduction"), Some(true)));

    let (tea, rice) = demo_skus(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    // 199.00 + 2 × 69.90 = 338.80 ≥ 300 → 40 off → 298.80
    let cart = json!({"lines": [{"sku_id": tea, "quantity": 1}, {"sku_id": rice, "quantity": 2}]});
    let q: Value =
        viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await.json().await.unwrap();
    assert_eq!(
        (q["subtotal_fen"].as_i64(), q["discount_fen"].as_i64(), q["payable_fen"].as_i64()),
        (Some(33_880), Some(4_000), Some(29_880)),
        "{q}"
    );
    let line_discounts: i64 = q["lines"].as_array().unwrap().iter().map(|l| l["discount_fen"].as_i64().unwrap()).sum();
    assert_eq!(line_discounts, 4_000, "the shares add up to the discount");
    assert!(q["explanation_zh"][0].as_str().unwrap().contains("满300减40"), "{q}");
    assert!(q["explanation_en"][0].as_str().unwrap().contains("40.00"), "{q}");

    // switched off, it no longer applies
    let id = created["id"].as_i64().unwrap();
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/promotions/{id}/active"), r#"{"active": false}"#).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let q: Value =
        viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await.json().await.unwrap();
    assert_eq!(q["payable_fen"].as_i64(), Some(33_880));

    // outside its window neither
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/promotions/{id}/active"), r#"{"active": true}"#).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.clock.advance_secs(3_600);
    let q: Value =
        viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await.json().await.unwrap();
    assert_eq!(q["payable_fen"].as_i64(), Some(33_880));
}

#[tokio::test]
async fn bad_promotions_are_refused_naming_the_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let window = |start: i64, end: i64| (T0.plus_secs(start).0, T0.plus_secs(end).0);
    let (s, e) = window(0, 3600);
    let (late_s, late_e) = window(3600, 0);
    for (body, field) in [
        (
            json!({"name": "重叠", "starts_at_ms": s, "ends_at_ms": e, "rule": tiers(&[(30_000, 4_000), (30_000, 5_000)])}),
            None,
        ),
        (
            json!({"name": "倒序", "starts_at_ms": late_s, "ends_at_ms": late_e, "rule": tiers(&[(30_000, 4_000)])}),
            Some("ends_at"),
        ),
        (json!({"name": "缺规则", "starts_at_ms": s, "ends_at_ms": e}), Some("rule")),
        (json!({"name": "怪规则", "starts_at_ms": s, "ends_at_ms": e, "rule": {"kind": "free_money"}}), None),
    ] {
        let r = op.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await;
        let (status, err) = api_error(r).await;
        assert!(status.is_client_error(), "{body}: {status}");
        assert!(err["fields"][0]["field"].is_string(), "{body}: {err}");
        if let Some(field) = field {
            assert_eq!(err["fields"][0]["field"], field, "{err}");
        }
    }
    // a coupon worth more than its threshold
    let bad = coupon(1_000, 2_000, 10, 1, T0, T0.plus_secs(3600));
    let (status, _) = api_error(op.send_json(&app, Method::POST, "/api/v1/coupons", &bad.to_string()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let list: Vec<Value> = op.get(&app, "/api/v1/promotions").await.json().await.unwrap();
    assert!(list.is_empty(), "{list:?}");
}

#[tokio::test]
async fn a_buyer_claims_a_coupon_within_its_limits_and_the_quote_uses_it() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let body = coupon(10_000, 1_500, 1, 1, T0, T0.plus_secs(3600));
    let r = op.send_json(&app, Method::POST, "/api/v1/coupons", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let viewer = app.api_signed_in("viewer").await;
    let claim = format!("/api/v1/coupons/{id}/claims");
    let r = viewer.send_json(&app, Method::POST, &claim, "{}").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // one per buyer
    assert_eq!(api_error(viewer.send_json(&app, Method::POST, &claim, "{}").await).await.0, StatusCode::CONFLICT);
    // and only one in all: the next buyer finds it gone
    let student = app.api_signed_in("student1").await;
    let (status, e) = api_error(student.send_json(&app, Method::POST, &claim, "{}").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(e["message"].as_str().unwrap().contains("领完"));

    let mine: Vec<Value> = viewer.get(&app, "/api/v1/me/coupons").await.json().await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["usable_now"], true);

    let (tea, _) = demo_skus(&app).await;
    let cart = json!({"lines": [{"sku_id": tea, "quantity": 1}]});
    let q: Value =
        viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await.json().await.unwrap();
    assert_eq!((q["coupon_id"].as_i64(), q["payable_fen"].as_i64()), (Some(id), Some(19_900 - 1_500)), "{q}");
    // the student, without the coupon, pays full price
    let q: Value =
        student.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await.json().await.unwrap();
    assert_eq!(q["payable_fen"].as_i64(), Some(19_900));
}

#[tokio::test]
async fn coupons_cannot_be_claimed_outside_their_claim_window() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let body = coupon(10_000, 1_000, 10, 1, T0.plus_secs(3600), T0.plus_secs(7200));
    let id = op
        .send_json(&app, Method::POST, "/api/v1/coupons", &body.to_string())
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let viewer = app.api_signed_in("viewer").await;
    let claim = format!("/api/v1/coupons/{id}/claims");
    assert_eq!(
        api_error(viewer.send_json(&app, Method::POST, &claim, "{}").await).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.clock.advance_secs(3600);
    assert_eq!(viewer.send_json(&app, Method::POST, &claim, "{}").await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_quote_names_the_line_that_is_wrong() {
    let app = TestApp::spawn().await;
    let viewer = app.api_signed_in("viewer").await;
    let (tea, _) = demo_skus(&app).await;
    let cart = json!({"lines": [{"sku_id": tea, "quantity": 1}, {"sku_id": 999_999, "quantity": 1}]});
    let (status, e) =
        api_error(viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["fields"][0]["field"], "lines[1].sku_id");
    let cart = json!({"lines": [{"sku_id": tea, "quantity": 0}]});
    let (_, e) =
        api_error(viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart.to_string()).await).await;
    assert_eq!(e["fields"][0]["field"], "lines[0].quantity", "{e}");
}

#[tokio::test]
async fn a_rule_naming_another_shops_product_is_refused() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let rule = json!({"kind": "live_price", "show": null, "items": [{"product": 999_999, "price": 100}]});
    let body = json!({"name": "别家的商品", "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(60).0, "rule": rule});
    let (status, e) = api_error(op.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["fields"][0]["field"], "rule");
    assert!(e["message"].as_str().unwrap().contains("999999"), "{e}");
}

#[tokio::test]
async fn a_stored_live_price_may_price_one_sku_of_a_product_but_not_another_products_sku() {
    let app = TestApp::spawn().await;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let tea = app.store.product_by_title(shop, "云南古树普洱茶 357g").await.unwrap().unwrap();
    let skus = app.store.product(shop, tea.id).await.unwrap().unwrap().skus;
    assert!(skus.len() >= 2, "the demo's tea has a single cake and a gift box");
    let (single, gift_box) = (&skus[0], &skus[1]);
    let (_, rice) = demo_skus(&app).await;
    let op = app.api_signed_in("operator").await;
    let create = |rule: Value| {
        let body =
            json!({"name": "礼盒直播价", "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(3_600).0, "rule": rule});
        let (op, app) = (&op, &app);
        async move { op.send_json(app, Method::POST, "/api/v1/promotions", &body.to_string()).await }
    };
    // the rice's SKU named under the tea: refused, naming the items (as the
    // domain's own checks of the rule name them)
    let rule = json!({"kind": "live_price", "show": null, "items": [{"product": tea.id.0, "sku": rice, "price": 100}]});
    let (status, e) = api_error(create(rule).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["fields"][0]["field"], "items", "{e}");
    assert!(e["fields"][0]["message"].as_str().unwrap().contains(&format!("SKU {rice} is not one of")), "{e}");
    // the same SKU twice: the domain's check
    let twice = json!({"product": tea.id.0, "sku": gift_box.id.0, "price": 100});
    let rule = json!({"kind": "live_price", "show": null, "items": [twice, twice]});
    let (status, e) = api_error(create(rule).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["fields"][0]["field"], "items", "{e}");
    assert!(e["fields"][0]["message"].as_str().unwrap().contains("listed twice"), "{e}");

    // the gift box's own price; the single cake keeps its price
    let price = gift_box.price.0 - 2_000;
    let rule = json!({"kind": "live_price", "show": null,
        "items": [{"product": tea.id.0, "sku": gift_box.id.0, "price": price}]});
    let r = create(rule).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let viewer = app.api_signed_in("viewer").await;
    for (sku, payable) in [(gift_box.id.0, price), (single.id.0, single.price.0)] {
        let cart = json!({"lines": [{"sku_id": sku, "quantity": 1}]}).to_string();
        let q: Value = viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart).await.json().await.unwrap();
        assert_eq!(q["payable_fen"].as_i64(), Some(payable), "SKU {sku}: {q}");
    }
}

#[tokio::test]
async fn a_gift_is_promised_only_while_its_stock_lasts() {
    use zhibo_domain::stock::StockChange;
    use zhibo_store::StockStore;
    let app = TestApp::spawn().await;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let (tea, rice) = demo_skus(&app).await;
    let rice_sku = app.store.sku(shop, zhibo_domain::SkuId(rice)).await.unwrap().unwrap();
    let op = app.api_signed_in("operator").await;
    let rule = json!({"kind": "gift", "trigger": {"spend": {"threshold": 10_000, "scope": "shop"}},
                      "gift_product": rice_sku.product.0, "gift_sku": rice, "quantity": 1});
    let body = json!({"name": "满100送大米", "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(3600).0, "rule": rule});
    let r = op.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());

    let viewer = app.api_signed_in("viewer").await;
    let cart = json!({"lines": [{"sku_id": tea, "quantity": 1}]}).to_string();
    let q: Value = viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart).await.json().await.unwrap();
    assert_eq!(q["gifts"][0]["sku_id"].as_i64(), Some(rice), "{q}");

    // every bag of rice reserved: the gift is no longer promised, and the quote says why
    let all = StockChange::parse(rice_sku.id, "reservation", -rice_sku.stock, "直播预占").unwrap();
    app.store.apply_stock_change(shop, &all, None).await.unwrap().unwrap();
    let q: Value = viewer.send_json(&app, Method::POST, "/api/v1/pricing/quote", &cart).await.json().await.unwrap();
    assert!(q["gifts"].as_array().unwrap().is_empty(), "{q}");
    assert!(q["explanation_zh"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("赠品已送完")), "{q}");
}
