//! Selling over the real server: a viewer's cart priced like the quote,
//! checkout with an idempotency key, sandbox payment once, the shop's list
//! and status changes, the unpaid timeout, the room log's order events, and
//! every kind of bad input answered with a 4xx naming the field while no
//! stock moves. The show's live price (直播价) prices the sheet, the quote
//! and checkout alike; checkout draws promotion budgets down (given back on
//! cancel) and turns the engine's gifts into ¥0 lines with reserved stock.

use std::sync::Arc;

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zhibo_domain::catalog::ProductStatus;
use zhibo_domain::ids::CouponId;
use zhibo_domain::promotion::{CouponBenefit, CouponDraft, Scope};
use zhibo_domain::{Clock, Fen, ProductId, RoomId, ShopId, SkuId};
use zhibo_store::{CatalogStore, EventStore, OrderStore, PromotionStore, ShopStore, ShowStore, StockStore, Store};

struct Demo {
    shop: ShopId,
    show: i64,
    /// A lineup product and its SKUs.
    product: ProductId,
    skus: Vec<SkuId>,
}

async fn demo(app: &TestApp) -> Demo {
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let detail = app.store.show(shop, show.id).await.unwrap().unwrap();
    let product = detail.lineup[0].product;
    let skus = app.store.product(shop, product).await.unwrap().unwrap().skus.iter().map(|s| s.id).collect();
    Demo { shop, show: show.id.0, product, skus }
}

impl Demo {
    async fn stock(&self, app: &TestApp) -> Vec<i64> {
        let detail = app.store.product(self.shop, self.product).await.unwrap().unwrap();
        detail.skus.iter().map(|s| s.stock).collect()
    }

    /// The show lineup's live price of the product (直播价), if set.
    async fn live_price(&self, app: &TestApp) -> Option<i64> {
        let detail = app.store.show(self.shop, RoomId(self.show)).await.unwrap().unwrap();
        detail.lineup.iter().find(|l| l.product == self.product).and_then(|l| l.live_price).map(|p| p.0)
    }

    /// What one unit of SKU `sku` costs in the show with no other
    /// promotion: its price less what the live price takes off the
    /// product's cheapest SKU, never below 1 fen (docs/pricing.md).
    async fn unit_price(&self, app: &TestApp, sku: usize) -> i64 {
        let skus = app.store.product(self.shop, self.product).await.unwrap().unwrap().skus;
        let cheapest = skus.iter().map(|s| s.price.0).min().unwrap();
        let price = skus.iter().find(|s| s.id == self.skus[sku]).unwrap().price.0;
        let reduction = self.live_price(app).await.map_or(0, |live| (cheapest - live).max(0));
        if reduction == 0 { price } else { (price - reduction).max(1) }
    }

    /// What the live price takes off one unit of SKU `sku`.
    async fn live_discount(&self, app: &TestApp, sku: usize) -> i64 {
        let price = app.store.sku(self.shop, self.skus[sku]).await.unwrap().unwrap().price.0;
        price - self.unit_price(app, sku).await
    }
}

fn address() -> Value {
    json!({"name": "张三", "phone": "138 0013 8000", "region": "浙江省杭州市西湖区", "detail": "文三路100号"})
}

async fn send(s: &Signed, app: &TestApp, method: Method, path: &str, body: Value) -> reqwest::Response {
    s.send_json(app, method, path, &body.to_string()).await
}

async fn checkout(s: &Signed, app: &TestApp, show: i64, key: &str, body: Value) -> reqwest::Response {
    s.client
        .post(app.url(&format!("/api/v1/shows/{show}/checkout")))
        .header("content-type", "application/json")
        .header("x-csrf-token", &s.csrf)
        .header("idempotency-key", key)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn events(app: &TestApp, show: i64) -> Vec<(String, Option<i64>)> {
    let events = app.store.events_after(RoomId(show), 0, 1000).await.unwrap();
    events
        .into_iter()
        .filter(|e| e.kind.as_str().starts_with("order."))
        .map(|e| (e.kind.to_string(), e.amount.map(|a| a.0)))
        .collect()
}

#[tokio::test]
async fn a_viewer_buys_from_the_cart_at_the_quoted_price_pays_once_and_the_log_holds_it() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let before = d.stock(&app).await;

    let r = send(
        &viewer,
        &app,
        Method::PUT,
        &format!("/api/v1/shows/{}/cart/{}", d.show, d.skus[0]),
        json!({"quantity": 2}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cart: Value = r.json().await.unwrap();
    assert_eq!(cart["items"][0]["quantity"], 2);
    assert_eq!(cart["payment_is_sandbox"], true);
    assert!(cart["payment_label_zh"].as_str().unwrap().contains("沙箱"), "{cart}");
    // the cart, the quote API and the order agree on the price
    let quote: Value = send(
        &viewer,
        &app,
        Method::POST,
        "/api/v1/pricing/quote",
        json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 2}], "show_id": d.show}),
    )
    .await
    .json()
    .await
    .unwrap();
    let payable = quote["payable_fen"].as_i64().unwrap();
    assert_eq!(cart["quote"]["payable_fen"].as_i64(), Some(payable));
    assert_eq!(d.stock(&app).await, before, "a cart holds no stock");

    let body = json!({"address": address(), "expected_total_fen": payable});
    let r = checkout(&viewer, &app, d.show, "key-1", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let order: Value = r.json().await.unwrap();
    assert_eq!((order["status"].as_str(), order["total_fen"].as_i64()), (Some("pending_payment"), Some(payable)));
    assert_eq!(order["address"]["phone"], "13800138000");
    let id = order["id"].as_i64().unwrap();
    let mut after = before.clone();
    after[0] -= 2;
    assert_eq!(d.stock(&app).await, after);
    let cart: Value = viewer.get(&app, &format!("/api/v1/shows/{}/cart", d.show)).await.json().await.unwrap();
    assert!(cart["items"].as_array().unwrap().is_empty(), "checkout empties the cart");

    // the same key again: the same order, no stock moves
    let r = checkout(&viewer, &app, d.show, "key-1", body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let replay: Value = r.json().await.unwrap();
    assert_eq!((replay["id"].as_i64(), replay["replayed"].as_bool()), (Some(id), Some(true)));
    assert_eq!(d.stock(&app).await, after);

    // sandbox payment; a second one is refused and records nothing
    let r = send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{id}/payment"), json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let paid: Value = r.json().await.unwrap();
    assert_eq!(paid["reference"].as_str(), Some(format!("SBX-{id:010}").as_str()));
    assert_eq!((paid["sandbox"].as_bool(), paid["order"]["status"].as_str()), (Some(true), Some("paid")));
    let r = send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{id}/payment"), json!({})).await;
    let (status, error) = api_error(r).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("already_paid")));
    let payments = app.store.payments(d.shop, zhibo_domain::OrderId(id)).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(d.stock(&app).await, after, "paying moves no sellable stock");

    let mine: Vec<Value> = viewer.get(&app, "/api/v1/me/orders").await.json().await.unwrap();
    assert_eq!(mine.iter().map(|o| o["id"].as_i64()).collect::<Vec<_>>(), [Some(id)]);
    let logged = events(&app, d.show).await;
    assert_eq!(logged, [("order.placed".to_owned(), Some(payable)), ("order.paid".to_owned(), Some(payable))]);
}

#[tokio::test]
async fn a_declined_sandbox_card_is_recorded_and_the_order_stays_payable() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let body = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 1}], "address": address()});
    let order: Value = checkout(&viewer, &app, d.show, "k", body).await.json().await.unwrap();
    let id = order["id"].as_i64().unwrap();
    let path = format!("/api/v1/me/orders/{id}/payment");
    let (status, error) =
        api_error(send(&viewer, &app, Method::POST, &path, json!({"card": "4000 0000 0000 0002"})).await).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::PAYMENT_REQUIRED, Some("payment_declined")));
    let r = send(&viewer, &app, Method::POST, &path, json!({"simulate_failure": true})).await;
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let r = send(&viewer, &app, Method::POST, &path, json!({"card": "4242424242424242"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let payments = app.store.payments(d.shop, zhibo_domain::OrderId(id)).await.unwrap();
    assert_eq!(payments.iter().map(|p| p.succeeded).collect::<Vec<_>>(), [false, false, true]);
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_naming_the_field_and_moves_no_stock() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let before = d.stock(&app).await;
    let ledger_before = app.store.product_ledger(d.shop, d.product, 1000).await.unwrap().len();
    let line =
        |sku: i64, quantity: u64| json!({"lines": [{"sku_id": sku, "quantity": quantity}], "address": address()});
    let expect = |status: StatusCode, field: &'static str| {
        move |(s, e): (StatusCode, Value)| {
            assert_eq!(s, status, "{e}");
            let fields: Vec<&str> =
                e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
            assert!(fields.contains(&field), "{field} in {e}");
            assert!(e["message"].as_str().unwrap().contains(" / "), "bilingual: {e}");
        }
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

    // quantity 0 and 10^9
    expect(unprocessable, "lines[0].quantity")(
        api_error(checkout(&viewer, &app, d.show, "q0", line(d.skus[0].0, 0)).await).await,
    );
    expect(unprocessable, "lines[0].quantity")(
        api_error(checkout(&viewer, &app, d.show, "q9", line(d.skus[0].0, 1_000_000_000)).await).await,
    );
    // a SKU that does not exist, one of a product outside the show, one not on sale
    expect(unprocessable, "lines[0].sku_id")(
        api_error(checkout(&viewer, &app, d.show, "s1", line(987_654, 1)).await).await,
    );
    let show = app.store.show(d.shop, RoomId(d.show)).await.unwrap().unwrap();
    // a product of the shop that is not in the show's lineup
    let input = zhibo_domain::catalog::ProductInput {
        title: "不在直播间的商品".into(),
        status: "on_sale".into(),
        skus: vec![zhibo_domain::catalog::SkuInput {
            id: None,
            specs: Vec::new(),
            list_price: Fen(0),
            price: Fen(1000),
            cost: Fen(0),
            weight_g: 0,
            barcode: String::new(),
        }],
        ..Default::default()
    };
    let draft = zhibo_domain::catalog::ProductDraft::parse(&input).unwrap();
    let outside = app.store.create_product(d.shop, &draft).await.unwrap();
    let outside = app.store.product(d.shop, outside).await.unwrap().unwrap();
    let r = checkout(&viewer, &app, d.show, "s2", line(outside.skus[0].id.0, 1)).await;
    expect(unprocessable, "lines[0].sku_id")(api_error(r).await);
    let second = show.lineup[1].product;
    let second_sku = app.store.product(d.shop, second).await.unwrap().unwrap().skus[0].id;
    app.store.set_product_status(d.shop, second, ProductStatus::OffSale).await.unwrap();
    let (status, e) = api_error(checkout(&viewer, &app, d.show, "s3", line(second_sku.0, 1)).await).await;
    assert!(e["message"].as_str().unwrap().contains("not on sale"), "{e}");
    expect(unprocessable, "lines[0].sku_id")((status, e));
    // the cart refuses the same
    let r = send(
        &viewer,
        &app,
        Method::PUT,
        &format!("/api/v1/shows/{}/cart/{}", d.show, second_sku),
        json!({"quantity": 1}),
    )
    .await;
    expect(unprocessable, "sku_id")(api_error(r).await);
    // a stale price: 409 with the new one
    let mut stale = line(d.skus[0].0, 1);
    stale["expected_total_fen"] = json!(1);
    let (status, e) = api_error(checkout(&viewer, &app, d.show, "p1", stale).await).await;
    assert_eq!(e["code"], "price_changed");
    let price = d.unit_price(&app, 0).await;
    assert!(e["message"].as_str().unwrap().contains(&format!("{price} fen")), "{e}");
    expect(StatusCode::CONFLICT, "expected_total_fen")((status, e));
    // a bad address
    let mut bad = line(d.skus[0].0, 1);
    bad["address"]["phone"] = json!("12345");
    expect(unprocessable, "address.phone")(api_error(checkout(&viewer, &app, d.show, "a1", bad).await).await);
    // someone else's coupon
    let op = app.api_signed_in("operator").await;
    let mut coupon = serde_json::to_value(CouponDraft {
        id: CouponId(0),
        name: "专享券".into(),
        scope: Scope::Shop,
        threshold: Fen(0),
        benefit: CouponBenefit::AmountOff(Fen(500)),
        total_quantity: 5,
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
    let coupon = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let claimed: Value = send(&op, &app, Method::POST, &format!("/api/v1/coupons/{coupon}/claims"), json!({}))
        .await
        .json()
        .await
        .unwrap();
    let mut theirs = line(d.skus[0].0, 1);
    theirs["claim_id"] = claimed["claim_id"].clone();
    expect(unprocessable, "claim_id")(api_error(checkout(&viewer, &app, d.show, "c1", theirs).await).await);
    // an empty cart
    let empty = json!({"address": address()});
    expect(unprocessable, "lines")(api_error(checkout(&viewer, &app, d.show, "e1", empty).await).await);

    assert_eq!(d.stock(&app).await, before, "no stock moved");
    assert_eq!(app.store.product_ledger(d.shop, d.product, 1000).await.unwrap().len(), ledger_before);
    assert!(app.store.orders(d.shop, &Default::default()).await.unwrap().is_empty());
    assert!(events(&app, d.show).await.is_empty());
}

#[tokio::test]
async fn the_buyers_best_coupon_is_applied_and_used_once() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let op = app.api_signed_in("operator").await;
    let viewer = app.api_signed_in("viewer").await;
    let mut coupon = serde_json::to_value(CouponDraft {
        id: CouponId(0),
        name: "立减5元".into(),
        scope: Scope::Shop,
        threshold: Fen(0),
        benefit: CouponBenefit::AmountOff(Fen(500)),
        total_quantity: 5,
        per_buyer_limit: 1,
        claim_starts_at: T0,
        claim_ends_at: T0.plus_secs(3_600),
        use_starts_at: T0,
        use_ends_at: T0.plus_secs(7_200),
        budget: None,
    })
    .unwrap();
    coupon.as_object_mut().unwrap().remove("id");
    let coupon =
        op.send_json(&app, Method::POST, "/api/v1/coupons", &coupon.to_string()).await.json::<Value>().await.unwrap();
    let id = coupon["id"].as_i64().unwrap();
    let claim: Value = send(&viewer, &app, Method::POST, &format!("/api/v1/coupons/{id}/claims"), json!({}))
        .await
        .json()
        .await
        .unwrap();
    let body = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 1}], "address": address()});
    // the show's live price comes off first, then the coupon
    let live_off = d.live_discount(&app, 0).await;
    let order: Value = checkout(&viewer, &app, d.show, "c", body.clone()).await.json().await.unwrap();
    let claim_id = claim["claim_id"].as_i64();
    assert_eq!((order["discount_fen"].as_i64(), order["claim_id"].as_i64()), (Some(live_off + 500), claim_id));
    let second: Value = checkout(&viewer, &app, d.show, "c2", body).await.json().await.unwrap();
    assert_eq!((second["discount_fen"].as_i64(), second["claim_id"].as_i64()), (Some(live_off), None));
}

#[tokio::test]
async fn the_shop_lists_filters_ships_and_refunds_and_a_buyer_cancels_only_while_unpaid() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let op = app.api_signed_in("operator").await;
    let before = d.stock(&app).await;
    let line = |q: u64| json!({"lines": [{"sku_id": d.skus[0].0, "quantity": q}], "address": address()});
    let a: Value = checkout(&viewer, &app, d.show, "a", line(1)).await.json().await.unwrap();
    let b: Value = checkout(&viewer, &app, d.show, "b", line(2)).await.json().await.unwrap();
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{a}/payment"), json!({})).await;

    // the buyer may not use the shop's list; the operator may
    assert_eq!(viewer.get(&app, "/api/v1/orders").await.status(), StatusCode::FORBIDDEN);
    let page: Value = op.get(&app, &format!("/api/v1/orders?status=paid&show={}", d.show)).await.json().await.unwrap();
    assert_eq!((page["total"].as_u64(), page["orders"][0]["id"].as_i64()), (Some(1), Some(a)));
    let page: Value =
        op.get(&app, &format!("/api/v1/orders?product={}&per_page=1&page=2", d.product)).await.json().await.unwrap();
    assert_eq!((page["total"].as_u64(), page["orders"][0]["id"].as_i64()), (Some(2), Some(a)));
    let (s, e) = api_error(op.get(&app, "/api/v1/orders?status=lost").await).await;
    assert_eq!((s, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));

    // shipping needs a tracking number; the buyer cannot cancel a paid order
    let ship = format!("/api/v1/orders/{a}/transitions");
    let (s, e) = api_error(send(&op, &app, Method::POST, &ship, json!({"to": "shipped"})).await).await;
    assert_eq!((s, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("tracking_number")));
    let (s, e) =
        api_error(send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{a}/cancel"), json!({})).await).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
    let r = send(&op, &app, Method::POST, &ship, json!({"to": "shipped", "tracking_number": "SF1234567890"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (s, _) = api_error(send(&op, &app, Method::POST, &ship, json!({"to": "paid"})).await).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let r = send(&op, &app, Method::POST, &ship, json!({"to": "refunded", "note": "破损"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "refunded");
    let detail: Value = op.get(&app, &format!("/api/v1/orders/{a}")).await.json().await.unwrap();
    let path: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(path, ["pending_payment", "paid", "shipped", "refunded"]);

    // the unpaid one: the buyer cancels it and its stock comes back
    let r = send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{b}/cancel"), json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "cancelled");
    let mut expected = before.clone();
    expected[0] -= 1; // a's unit left with the parcel
    assert_eq!(d.stock(&app).await, expected);
    let kinds: Vec<String> = events(&app, d.show).await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        ["order.placed", "order.placed", "order.paid", "order.shipped", "order.refunded", "order.cancelled"]
    );
}

#[tokio::test]
async fn unpaid_orders_expire_after_the_shops_timeout_and_give_their_stock_back() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let before = d.stock(&app).await;
    let body = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 3}], "address": address()});
    let order: Value = checkout(&viewer, &app, d.show, "t", body).await.json().await.unwrap();
    assert_eq!(order["expires_at_ms"].as_i64(), Some(app.clock.now().plus_secs(15 * 60).0), "the shop's 15 minutes");
    let state = zhibo_web::state::AppState::new(
        app.settings.clone(),
        app.store.clone() as Arc<dyn Store>,
        Arc::new(app.clock.clone()),
    );
    app.clock.advance_secs(15 * 60 - 1);
    assert!(zhibo_web::api::orders::sweep(&state).await.unwrap().is_empty());
    app.clock.advance_secs(1);
    let id = order["id"].as_i64().unwrap();
    // paying after the time ran out is refused
    let (s, e) =
        api_error(send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{id}/payment"), json!({})).await).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("expired")));
    zhibo_web::api::orders::sweep(&state).await.unwrap();
    let mine: Value = viewer.get(&app, &format!("/api/v1/me/orders/{id}")).await.json().await.unwrap();
    assert_eq!(mine["status"], "cancelled");
    assert_eq!(d.stock(&app).await, before);
    let kinds: Vec<String> = events(&app, d.show).await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["order.placed", "order.cancelled"]);
}

#[tokio::test]
async fn anonymous_callers_cannot_buy_and_other_buyers_orders_are_not_found() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let r = app.client().get(app.url(&format!("/api/v1/shows/{}/cart", d.show))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let viewer = app.api_signed_in("viewer").await;
    let body = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 1}], "address": address()});
    let order: Value = checkout(&viewer, &app, d.show, "x", body).await.json().await.unwrap();
    let other = app.api_signed_in("streamer").await;
    let id = order["id"].as_i64().unwrap();
    assert_eq!(other.get(&app, &format!("/api/v1/me/orders/{id}")).await.status(), StatusCode::NOT_FOUND);
    let r = send(&other, &app, Method::POST, &format!("/api/v1/me/orders/{id}/payment"), json!({})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_orders_page_filters_ships_with_a_tracking_number_and_exports_the_list_to_excel() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let body = |q: u64| json!({"lines": [{"sku_id": d.skus[0].0, "quantity": q}], "address": address()});
    let a: Value = checkout(&viewer, &app, d.show, "pa", body(1)).await.json().await.unwrap();
    let _b: Value = checkout(&viewer, &app, d.show, "pb", body(2)).await.json().await.unwrap();
    let a = a["id"].as_i64().unwrap();
    send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{a}/payment"), json!({})).await;

    let op = app.signed_in("operator").await;
    let html = op.get(&app, "/orders?status=paid").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"data-order="{a}""#)) && html.contains("共 1 单"), "{html}");
    assert!(html.contains("导出 Excel") && html.contains(r#"data-to="shipped""#), "{html}");
    let html = op.get(&app, "/orders?from=nonsense").await.text().await.unwrap();
    assert!(text_of(&html, "#filter-error").unwrap().contains("from"), "{html}");

    // shipping from the page needs the tracking number
    let r = op.post_form(&app, &format!("/orders/{a}/move"), &[("to", "shipped"), ("tracking_number", "x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = op
        .post_form(
            &app,
            &format!("/orders/{a}/move"),
            &[("to", "shipped"), ("tracking_number", "YT88888888"), ("back", "/orders")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let detail = app.store.order(d.shop, zhibo_domain::OrderId(a)).await.unwrap().unwrap();
    assert_eq!(detail.tracking_number.as_deref(), Some("YT88888888"));

    let r = op.get(&app, "/orders/export.xlsx?status=shipped").await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let table = zhibo_sheets::read(&bytes, zhibo_sheets::Format::Xlsx).unwrap();
    assert_eq!(table.headers[0], "订单号 Order");
    assert_eq!(table.rows.len(), 1, "only the filtered list");
    let cells = &table.rows[0].cells;
    assert_eq!(cells[0].to_string(), a.to_string());
    assert!(cells.iter().any(|c| c.to_string() == "YT88888888"));
    let all = zhibo_sheets::read(
        &op.get(&app, "/orders/export.xlsx").await.bytes().await.unwrap(),
        zhibo_sheets::Format::Xlsx,
    )
    .unwrap();
    assert_eq!(all.rows.len(), 2);
    // a viewer has no order list
    let v = app.signed_in("viewer").await;
    assert_eq!(v.get(&app, "/orders/export.xlsx").await.status(), StatusCode::FORBIDDEN);

    // in English the page's words come from the catalogue
    op.get(&app, "/lang/en").await;
    let html = op.get(&app, "/orders").await.text().await.unwrap();
    assert_eq!(text_of(&html, "#order-count").as_deref(), Some("2 orders"), "{html}");
    assert!(html.contains("Export to Excel") && html.contains(">pending payment<"), "{html}");
    let han = |text: String| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    assert!(
        !han(text_of(&html, "#order-filters label:nth-of-type(2)").unwrap()
            + &text_of(&html, "#order-filters button").unwrap()),
        "{html}"
    );
    assert!(!han(text_of(&html, "#orders thead").unwrap()), "{html}");
}

/// In chromium: a viewer adds a SKU from the product sheet, checks out
/// with an address, pays with the sandbox and finds the order in 我的订单.
#[tokio::test]
async fn in_a_real_browser_a_viewer_buys_from_the_cart_pays_and_sees_the_order() {
    use fantoccini::Locator;
    let app = TestApp::spawn().await;
    let Some(b) = crate::browser::browser().await else { return };
    let c = &b.client;
    let d = demo(&app).await;
    let patience = std::time::Duration::from_secs(10);

    // anonymous: the buy box asks to sign in
    c.goto(&app.url(&format!("/live/shows/{}/watch", d.show))).await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#room[data-connection=open] #bag li")).await.unwrap();
    // the bag (购物袋) is a closed <details> under the fixed comment bar:
    // open it and pick the first product as a tap would
    c.execute(
        "const b = document.querySelector('#bag'); b.closest('details').open = true; b.querySelector('li').click();",
        vec![],
    )
    .await
    .unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#sheet-sign-in")).await.unwrap();

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("viewer").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#sign-out")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/watch", d.show))).await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#room[data-connection=open] #bag li")).await.unwrap();
    // the bag (购物袋) is a closed <details> under the fixed comment bar:
    // open it and pick the first product as a tap would
    c.execute(
        "const b = document.querySelector('#bag'); b.closest('details').open = true; b.querySelector('li').click();",
        vec![],
    )
    .await
    .unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#add-to-cart")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(patience)
        .for_element(Locator::XPath("//p[@id='sheet-buy-message' and contains(., '已加入购物车')]"))
        .await
        .unwrap();
    c.find(Locator::Css("#product-sheet form[method=dialog] button")).await.unwrap().click().await.unwrap();

    c.find(Locator::Css("#cart-open")).await.unwrap().click().await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#cart-items li")).await.unwrap();
    // the drawer renders its quote as it opens: wait for the price, not just the list
    let payable = c
        .wait()
        .at_most(patience)
        .for_element(Locator::XPath("//*[@id='cart-payable' and starts-with(normalize-space(.), '¥')]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(payable.starts_with('¥'), "{payable}");
    // The sandbox label, read once the drawer shows it (a read during the
    // drawer's opening saw no text once, on a loaded machine).
    c.wait()
        .at_most(patience)
        .for_element(Locator::XPath("//*[@id='pay-label' and contains(., '沙箱')]"))
        .await
        .expect("the payment is labelled as the sandbox");
    for (id, value) in
        [("name", "李四"), ("phone", "13900139000"), ("region", "上海市 浦东新区"), ("detail", "世纪大道1号")]
    {
        c.find(Locator::Css(&format!("#address-{id}"))).await.unwrap().send_keys(value).await.unwrap();
    }
    c.find(Locator::Css("#place-order")).await.unwrap().click().await.unwrap();
    c.wait()
        .at_most(patience)
        .for_element(Locator::Css("#pay-box:not([hidden]) #pay-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(patience)
        .for_element(Locator::XPath("//p[@id='cart-message' and contains(., '支付成功')]"))
        .await
        .unwrap();
    c.find(Locator::Css("#cart-sheet form[method=dialog] button")).await.unwrap().click().await.unwrap();

    c.find(Locator::Css("#orders-open")).await.unwrap().click().await.unwrap();
    let row = c.wait().at_most(patience).for_element(Locator::Css("#my-orders li[data-status=paid]")).await.unwrap();
    assert!(row.text().await.unwrap().contains("待发货"));
    let orders = app.store.orders(d.shop, &Default::default()).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].address.name(), orders[0].total.to_string()), ("李四", payable));
    b.client.clone().close().await.unwrap();
}

/// Changes a lineup product's live price as the console does: a
/// `set_live_price` message on the console's socket; returns once a viewer
/// socket gets the `price_changed` frame, which the room sends only after
/// the store has the new price.
async fn console_live_price(app: &TestApp, show: i64, product: ProductId, price: i64) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "assistant", "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies = set_cookies(r.headers());
    let session = cookies.iter().find(|c| c.starts_with("zhibo_session=")).expect("a session cookie");
    let ws = |path: String| app.url(&path).replacen("http://", "ws://", 1).into_client_request().unwrap();
    let mut request = ws(format!("/ws/rooms/{show}/console"));
    request.headers_mut().insert("cookie", session.split(';').next().unwrap().parse().unwrap());
    let (mut desk, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let (mut viewer, _) = tokio_tungstenite::connect_async(ws(format!("/ws/rooms/{show}/viewer"))).await.unwrap();
    let message = json!({"v": 1, "type": "set_live_price", "product": product.0, "price_fen": price});
    desk.send(Message::text(message.to_string())).await.unwrap();
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), viewer.next()).await;
        let Message::Text(text) = next.expect("a frame within the safety timeout").expect("open").unwrap() else {
            continue;
        };
        let value: Value = serde_json::from_str(text.as_str()).unwrap();
        let frames = if value["type"] == "batch" { value["frames"].as_array().unwrap().clone() } else { vec![value] };
        if frames.iter().any(|f| f["type"] == "price_changed" && f["live_price"] == price) {
            return;
        }
    }
}

/// The public product sheet's quoted payable for one unit.
async fn sheet_payable(app: &TestApp, show: i64, product: ProductId) -> i64 {
    let path = format!("/api/v1/shows/{show}/sheet/{}", product.0);
    let sheet: Value = app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap();
    sheet["quote"]["payable_fen"].as_i64().unwrap()
}

async fn quote_payable(viewer: &Signed, app: &TestApp, show: i64, sku: SkuId, quantity: u32) -> Value {
    let body = json!({"lines": [{"sku_id": sku.0, "quantity": quantity}], "show_id": show});
    send(viewer, app, Method::POST, "/api/v1/pricing/quote", body).await.json().await.unwrap()
}

#[tokio::test]
async fn the_shows_live_price_prices_the_card_the_sheet_the_quote_and_checkout_alike() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let sku_price = app.store.sku(d.shop, d.skus[0]).await.unwrap().unwrap().price.0;
    let live = d.live_price(&app).await.expect("the demo lineup sets a live price");
    assert!(live < sku_price, "the demo's live price is below the shop's price");
    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 1).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(live), "{q}");
    assert!(q["explanation_zh"][0].as_str().unwrap().contains("直播间专享价"), "{q}");
    assert_eq!(sheet_payable(&app, d.show, d.product).await, live);
    // outside the show (no show_id) the shop's own price stands
    let body = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 1}]});
    let off: Value = send(&viewer, &app, Method::POST, "/api/v1/pricing/quote", body).await.json().await.unwrap();
    assert_eq!(off["payable_fen"].as_i64(), Some(sku_price));

    // the console changes the live price: the next quote, sheet and cart follow
    let new_price = live - 1000;
    console_live_price(&app, d.show, d.product, new_price).await;
    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 2).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(2 * new_price), "{q}");
    assert_eq!(sheet_payable(&app, d.show, d.product).await, new_price);
    let cart_path = format!("/api/v1/shows/{}/cart/{}", d.show, d.skus[0]);
    let cart: Value = send(&viewer, &app, Method::PUT, &cart_path, json!({"quantity": 2})).await.json().await.unwrap();
    assert_eq!(cart["quote"]["payable_fen"].as_i64(), Some(2 * new_price), "{cart}");

    // the buyer was shown that price; the live price changes again before
    // they press buy: 409 with the new price, nothing ordered, no stock moves
    let before = d.stock(&app).await;
    let newer = new_price + 500;
    app.store.set_live_price(d.shop, RoomId(d.show), d.product, Fen(newer)).await.unwrap();
    let shown = json!({"address": address(), "expected_total_fen": 2 * new_price});
    let (status, e) = api_error(checkout(&viewer, &app, d.show, "stale", shown).await).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("price_changed")), "{e}");
    assert!(e["message"].as_str().unwrap().contains(&format!("{} fen", 2 * newer)), "{e}");
    assert_eq!(d.stock(&app).await, before);
    assert!(events(&app, d.show).await.is_empty());

    // at the price shown now, the order charges exactly that
    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 2).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(2 * newer));
    assert_eq!(sheet_payable(&app, d.show, d.product).await, newer);
    let body = json!({"address": address(), "expected_total_fen": 2 * newer});
    let r = checkout(&viewer, &app, d.show, "fresh", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["total_fen"].as_i64(), Some(2 * newer));
    assert_eq!(order["discount_fen"].as_i64(), Some(2 * (sku_price - newer)));
    assert_eq!(order["lines"][0]["unit_price_fen"].as_i64(), Some(sku_price), "lines keep the shop's price");
    assert_eq!(events(&app, d.show).await, vec![("order.placed".to_owned(), Some(2 * newer))]);
}

/// The public product sheet.
async fn sheet(app: &TestApp, show: i64, product: ProductId) -> Value {
    let path = format!("/api/v1/shows/{show}/sheet/{}", product.0);
    app.client().get(app.url(&path)).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_live_price_takes_the_same_amount_off_every_sku_of_the_product() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let viewer = app.api_signed_in("viewer").await;
    let detail = app.store.show(d.shop, RoomId(d.show)).await.unwrap().unwrap();
    // the demo's tea: a single cake and a gift box of two at about twice its price
    let tea =
        detail.lineup.iter().find(|l| l.product_title.starts_with("云南古树普洱茶")).expect("the tea is in the lineup");
    let (product, live) = (tea.product, tea.live_price.expect("the demo sets the tea's live price").0);
    let mut skus = app.store.product(d.shop, product).await.unwrap().unwrap().skus;
    skus.sort_by_key(|s| s.price);
    let (cake, gift_box) = (&skus[0], &skus[skus.len() - 1]);
    assert_eq!(tea.product_price, cake.price, "the lineup's price is the cheapest SKU's");
    assert!(gift_box.price.0 >= 2 * live, "the gift box costs about twice the single cake");
    let reduction = cake.price.0 - live;
    assert!(reduction > 0, "the demo's live price is below the single cake's price");
    let gift_box_live = gift_box.price.0 - reduction;

    // the quote: the cake at the live price, the gift box at its own price
    // less the same reduction (not the cake's live price)
    let q = quote_payable(&viewer, &app, d.show, cake.id, 1).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(live), "{q}");
    let q = quote_payable(&viewer, &app, d.show, gift_box.id, 1).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(gift_box_live), "{q}");
    assert_ne!(gift_box_live, live);
    assert!(q["explanation_zh"][0].as_str().unwrap().contains("直播间专享价"), "{q}");
    // the sheet: each SKU at that price, the quote on the cheapest
    let s = sheet(&app, d.show, product).await;
    assert_eq!(s["quoted_sku_id"].as_i64(), Some(cake.id.0), "{s}");
    assert_eq!(s["quote"]["payable_fen"].as_i64(), Some(live), "{s}");
    let sheet_price = |s: &Value, sku: zhibo_domain::SkuId| {
        let k = s["skus"].as_array().unwrap().iter().find(|k| k["id"] == sku.0).unwrap().clone();
        (k["price_fen"].as_i64().unwrap(), k["payable_fen"].as_i64().unwrap())
    };
    assert_eq!(sheet_price(&s, cake.id), (cake.price.0, live));
    assert_eq!(sheet_price(&s, gift_box.id), (gift_box.price.0, gift_box_live));

    // checkout charges what the quote and the sheet said, SKU by SKU
    let both = json!([{"sku_id": cake.id.0, "quantity": 1}, {"sku_id": gift_box.id.0, "quantity": 2}]);
    let total = live + 2 * gift_box_live;
    let body = json!({"lines": both.clone(), "show_id": d.show});
    let q: Value = send(&viewer, &app, Method::POST, "/api/v1/pricing/quote", body).await.json().await.unwrap();
    assert_eq!(q["payable_fen"].as_i64(), Some(total), "{q}");
    let body = json!({"lines": both, "address": address(), "expected_total_fen": total});
    let r = checkout(&viewer, &app, d.show, "both", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let order: Value = r.json().await.unwrap();
    assert_eq!(order["total_fen"].as_i64(), Some(total), "{order}");
    assert_eq!(order["discount_fen"].as_i64(), Some(3 * reduction), "the same amount off each unit: {order}");

    // a live price at the cheapest price (allowed) lowers no SKU
    app.store.set_live_price(d.shop, RoomId(d.show), product, cake.price).await.unwrap();
    for sku in [cake, gift_box] {
        let q = quote_payable(&viewer, &app, d.show, sku.id, 1).await;
        assert_eq!(q["payable_fen"].as_i64(), Some(sku.price.0), "{q}");
        assert_eq!(sheet_price(&sheet(&app, d.show, product).await, sku.id), (sku.price.0, sku.price.0));
    }
}

/// Creates a promotion through the API and returns its id.
async fn create_promotion(op: &Signed, app: &TestApp, name: &str, budget: Option<i64>, rule: Value) -> i64 {
    let body = json!({"name": name, "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(7_200).0,
        "budget_fen": budget, "rule": rule});
    let r = send(op, app, Method::POST, "/api/v1/promotions", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn checkout_spends_promotion_budgets_and_a_used_up_budget_no_longer_applies() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let op = app.api_signed_in("operator").await;
    let viewer = app.api_signed_in("viewer").await;
    let unit = d.unit_price(&app, 0).await;
    // 满减: one unit reaches it; ¥1 off each order, a budget of ¥1.50
    let rule = json!({"kind": "full_reduction", "scope": "shop",
        "form": {"tiers": [{"threshold": unit, "off": 100}]}});
    let promo = create_promotion(&op, &app, "一件减一元", Some(150), rule).await;
    let spent = |app: &TestApp| {
        let store = app.store.clone();
        async move { store.promotion(promo).await.unwrap().unwrap().spent.0 }
    };
    let line = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 1}], "address": address()});

    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 1).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(unit - 100), "{q}");
    let first: Value = checkout(&viewer, &app, d.show, "b1", line.clone()).await.json().await.unwrap();
    assert_eq!(first["total_fen"].as_i64(), Some(unit - 100), "{first}");
    assert_eq!(spent(&app).await, 100, "the order drew ¥1 from the budget");
    let spends = app.store.order_spends(d.shop, zhibo_domain::OrderId(first["id"].as_i64().unwrap())).await.unwrap();
    assert_eq!(spends.iter().map(|s| (s.promotion, s.amount.0)).collect::<Vec<_>>(), [(promo, 100)]);

    // ¥0.50 left cannot pay for another ¥1: the quote leaves it out and says why
    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 1).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(unit), "{q}");
    let notes: Vec<&str> = q["explanation_zh"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(notes.iter().any(|n| n.contains("预算已用完") && n.contains("一件减一元")), "{notes:?}");
    let second: Value = checkout(&viewer, &app, d.show, "b2", line.clone()).await.json().await.unwrap();
    assert_eq!(second["total_fen"].as_i64(), Some(unit), "{second}");
    assert_eq!(spent(&app).await, 100);

    // cancelling the first order gives its ¥1 back, and the 满减 applies again
    let id = first["id"].as_i64().unwrap();
    let r = send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{id}/cancel"), json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(spent(&app).await, 0);
    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 1).await;
    assert_eq!(q["payable_fen"].as_i64(), Some(unit - 100), "{q}");

    // the budget spent behind the buyer's back after they saw the price:
    // the order is re-priced and refused as a stale price, nothing moves
    assert!(app.store.spend_promotion_budget(promo, zhibo_domain::Fen(150)).await.unwrap());
    let before = d.stock(&app).await;
    let mut shown = line.clone();
    shown["expected_total_fen"] = json!(unit - 100);
    let (status, e) = api_error(checkout(&viewer, &app, d.show, "b3", shown).await).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::CONFLICT, Some("price_changed")), "{e}");
    assert_eq!(d.stock(&app).await, before);
    assert_eq!(spent(&app).await, 150);
}

#[tokio::test]
async fn a_coupon_whose_budget_is_used_up_is_kept_by_the_buyer_and_not_applied() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let op = app.api_signed_in("operator").await;
    let mut coupon = serde_json::to_value(CouponDraft {
        id: CouponId(0),
        name: "立减3元".into(),
        scope: Scope::Shop,
        threshold: Fen(0),
        benefit: CouponBenefit::AmountOff(Fen(300)),
        total_quantity: 5,
        per_buyer_limit: 1,
        claim_starts_at: T0,
        claim_ends_at: T0.plus_secs(3_600),
        use_starts_at: T0,
        use_ends_at: T0.plus_secs(7_200),
        budget: Some(Fen(300)),
    })
    .unwrap();
    coupon.as_object_mut().unwrap().remove("id");
    let r = op.send_json(&app, Method::POST, "/api/v1/coupons", &coupon.to_string()).await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let line = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 1}], "address": address()});
    let unit = d.unit_price(&app, 0).await;
    let mut totals = Vec::new();
    for (n, who) in ["viewer", "operator"].into_iter().enumerate() {
        let buyer = app.api_signed_in(who).await;
        let r = send(&buyer, &app, Method::POST, &format!("/api/v1/coupons/{id}/claims"), json!({})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let order: Value = checkout(&buyer, &app, d.show, &format!("k{n}"), line.clone()).await.json().await.unwrap();
        totals.push((order["total_fen"].as_i64().unwrap(), order["claim_id"].as_i64()));
        if n == 1 {
            let mine: Vec<Value> = buyer.get(&app, "/api/v1/me/coupons").await.json().await.unwrap();
            assert_eq!(mine.len(), 1, "the second buyer keeps the coupon the budget could not pay for");
        }
    }
    assert_eq!(totals[0].0, unit - 300);
    assert!(totals[0].1.is_some());
    assert_eq!(totals[1], (unit, None));
    assert_eq!(app.store.promotion(id).await.unwrap().unwrap().spent.0, 300);
}

#[tokio::test]
async fn gifts_become_order_lines_at_no_charge_with_their_stock_reserved_and_released() {
    let app = TestApp::spawn().await;
    let d = demo(&app).await;
    let op = app.api_signed_in("operator").await;
    let viewer = app.api_signed_in("viewer").await;
    // the gift: a SKU of another lineup product
    let detail = app.store.show(d.shop, RoomId(d.show)).await.unwrap().unwrap();
    let gift_product = detail.lineup.iter().map(|l| l.product).find(|p| *p != d.product).unwrap();
    let gift = app.store.product(d.shop, gift_product).await.unwrap().unwrap().skus[0].clone();
    let rule = json!({"kind": "gift", "trigger": {"buy": {"product": d.product.0, "min_quantity": 2}},
        "gift_product": gift_product.0, "gift_sku": gift.id.0, "quantity": 1});
    let promo = create_promotion(&op, &app, "买二送一", Some(gift.cost.0 * 10), rule).await;
    let gift_stock = |app: &TestApp| {
        let (store, shop, sku) = (app.store.clone(), d.shop, gift.id);
        async move { store.sku(shop, sku).await.unwrap().unwrap().stock }
    };
    let before = gift_stock(&app).await;

    let q = quote_payable(&viewer, &app, d.show, d.skus[0], 2).await;
    assert_eq!(q["gifts"][0]["sku_id"].as_i64(), Some(gift.id.0), "{q}");
    let body = json!({"lines": [{"sku_id": d.skus[0].0, "quantity": 2}], "address": address(),
        "expected_total_fen": q["payable_fen"]});
    let r = checkout(&viewer, &app, d.show, "gift", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let order: Value = r.json().await.unwrap();
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{order}");
    let g = &lines[1];
    assert_eq!(
        (g["sku_id"].as_i64(), g["quantity"].as_i64(), g["unit_price_fen"].as_i64(), g["gift_promotion_id"].as_i64()),
        (Some(gift.id.0), Some(1), Some(0), Some(promo))
    );
    assert_eq!(lines[0]["gift_promotion_id"], Value::Null);
    assert_eq!(order["total_fen"], q["payable_fen"], "a gift costs the buyer nothing");
    assert_eq!(gift_stock(&app).await, before - 1, "the gift's unit is reserved with the order");
    // the gift spends what it costs the shop from the promotion's budget
    assert_eq!(app.store.promotion(promo).await.unwrap().unwrap().spent.0, gift.cost.0);

    let id = order["id"].as_i64().unwrap();
    let r = send(&viewer, &app, Method::POST, &format!("/api/v1/me/orders/{id}/cancel"), json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(gift_stock(&app).await, before, "cancelling gives the gift back");
    assert_eq!(app.store.promotion(promo).await.unwrap().unwrap().spent.0, 0);
}
