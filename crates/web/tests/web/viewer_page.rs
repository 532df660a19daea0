//! The viewer page's extras: the share QR code, the product sheet priced by
//! the engine, and the coupons a viewer can claim, over the real server.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zhibo_domain::Fen;
use zhibo_domain::ids::CouponId;
use zhibo_domain::promotion::{
    CouponBenefit, CouponDraft, FullReduction, PromotionRule, ReductionForm, ReductionTier, Scope,
};
use zhibo_store::{CatalogStore, ShopStore, ShowStore};

/// The demo show's id, a product of its lineup and that product's SKU prices.
async fn demo_show(app: &TestApp) -> (i64, i64, Vec<i64>) {
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let detail = app.store.show(shop, show.id).await.unwrap().unwrap();
    let product = detail.lineup[0].product;
    let skus = app.store.product(shop, product).await.unwrap().unwrap().skus;
    (show.id.0, product.0, skus.iter().map(|s| s.price.0).collect())
}

#[tokio::test]
async fn the_share_qr_code_is_an_svg_of_the_watch_link() {
    let app = TestApp::spawn().await;
    let (show, _, _) = demo_show(&app).await;
    let r = app.client().get(app.url(&format!("/live/shows/{show}/qr.svg"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let body = r.text().await.unwrap();
    assert!(body.contains("<svg"), "{body}");
    let missing = app.client().get(app.url("/live/shows/987654/qr.svg")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // the page offers the share button and shows the code
    let page = app.client().get(app.url(&format!("/live/shows/{show}/watch"))).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"id="share""#) && html.contains(&format!("/live/shows/{show}/qr.svg")), "{html}");
}

#[tokio::test]
async fn the_product_sheet_prices_one_unit_with_the_live_promotions() {
    let app = TestApp::spawn().await;
    let (show, product, prices) = demo_show(&app).await;
    let cheapest = *prices.iter().min().unwrap();
    let path = format!("/api/v1/shows/{show}/sheet/{product}");
    let sheet: Value = app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(sheet["product_id"].as_i64(), Some(product));
    assert!(!sheet["title"].as_str().unwrap().is_empty());
    assert_eq!(sheet["skus"].as_array().unwrap().len(), prices.len());
    assert_eq!(sheet["quote"]["subtotal_fen"].as_i64(), Some(cheapest), "{sheet}");
    let before = sheet["quote"]["payable_fen"].as_i64().unwrap();

    // a shop-wide 满减 the one unit reaches now (at its price in the show,
    // after the lineup's live price) lowers the sheet's price
    let op = app.api_signed_in("operator").await;
    let rule = PromotionRule::FullReduction(FullReduction {
        scope: Scope::Shop,
        form: ReductionForm::Tiers(vec![ReductionTier { threshold: Fen(before), off: Fen(100) }]),
    });
    let body = json!({"name": "一件减一元", "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(3_600).0,
        "rule": serde_json::to_value(rule).unwrap()});
    let r = op.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let sheet: Value = app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(sheet["quote"]["payable_fen"].as_i64(), Some(before - 100), "{sheet}");
    assert!(!sheet["quote"]["explanation_zh"].as_array().unwrap().is_empty(), "{sheet}");
    assert!(!sheet["quote"]["explanation_en"].as_array().unwrap().is_empty(), "{sheet}");

    // a product outside the lineup is not public
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let others = app.store.product_details_of_shop(shop).await.unwrap();
    let detail = app.store.show(shop, zhibo_domain::RoomId(show)).await.unwrap().unwrap();
    if let Some(outside) = others.iter().find(|d| detail.lineup.iter().all(|l| l.product != d.product.id)) {
        let r = app.client().get(app.url(&format!("/api/v1/shows/{show}/sheet/{}", outside.product.id.0))).send();
        assert_eq!(r.await.unwrap().status(), StatusCode::NOT_FOUND);
    }
    let r = app.client().get(app.url(&format!("/api/v1/shows/{show}/sheet/987654"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn viewers_see_claimable_coupons_and_a_signed_in_viewer_claims_one() {
    let app = TestApp::spawn().await;
    let (show, _, _) = demo_show(&app).await;
    let op = app.api_signed_in("operator").await;
    let mut coupon = serde_json::to_value(CouponDraft {
        id: CouponId(0),
        name: "直播间专享券".into(),
        scope: Scope::Shop,
        threshold: Fen(10_000),
        benefit: CouponBenefit::AmountOff(Fen(1_500)),
        total_quantity: 3,
        per_buyer_limit: 1,
        claim_starts_at: T0,
        claim_ends_at: T0.plus_secs(3_600),
        use_starts_at: T0,
        use_ends_at: T0.plus_secs(7_200),
        budget: None,
    })
    .unwrap();
    coupon.as_object_mut().unwrap().remove("id");
    let r = op.send_json(&app, Method::POST, "/api/v1/coupons", &coupon.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let path = format!("/api/v1/shows/{show}/coupons");
    let list: Vec<Value> = app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!((list[0]["id"].as_i64(), list[0]["left"].as_i64()), (Some(id), Some(3)));
    assert!(list[0]["summary_zh"].as_str().unwrap().contains("满100减15"), "{list:?}");

    // the page carries the session's CSRF token, as the claim button sends it
    let viewer = app.signed_in("viewer").await;
    let html = viewer.get(&app, &format!("/live/shows/{show}/watch")).await.text().await.unwrap();
    assert!(html.contains(&format!(r#"data-csrf="{}""#, viewer.csrf)), "{html}");
    let r = viewer.send_json(&app, Method::POST, &format!("/api/v1/coupons/{id}/claims"), "{}").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let list: Vec<Value> = app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["left"].as_i64(), Some(2));

    // anonymous: the page has no token; after the claim window the list is empty
    let html = app.client().get(app.url(&format!("/live/shows/{show}/watch"))).send().await.unwrap().text();
    assert!(html.await.unwrap().contains(r#"data-csrf="""#));
    app.clock.advance_secs(3_600);
    let list: Vec<Value> = app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap();
    assert!(list.is_empty(), "{list:?}");
}
