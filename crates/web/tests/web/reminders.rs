//! 领券提醒 and the cart nudge over the real server and store: a buyer who
//! claimed the coupon gets no prompt, one who did not does; the cart nudge
//! reaches a buyer whose cart waits and not one who ordered since; and in a
//! real browser the viewer page shows the prompt's banner and its button
//! claims the coupon. Frames are awaited with a bounded timeout as a safety
//! net; nothing sleeps.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use zhibo_domain::account::Username;
use zhibo_domain::ids::CouponId;
use zhibo_domain::promotion::{CouponBenefit, CouponDraft, Scope};
use zhibo_domain::{Fen, RoomId, SkuId, UserId};
use zhibo_store::{AccountStore, CatalogStore, EventStore, OrderStore, ShopStore, ShowStore};

use crate::helpers::{Signed, T0, TestApp};
use crate::live_ws::{Peer, session_cookie};

fn kinds(frames: &[Value], kind: &str) -> usize {
    frames.iter().filter(|f| f["type"] == kind).count()
}

async fn demo_show(app: &TestApp) -> (i64, Vec<SkuId>) {
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let show = app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let detail = app.store.show(shop.id, show.id).await.unwrap().unwrap();
    let product = app.store.product(shop.id, detail.lineup[0].product).await.unwrap().unwrap();
    (show.id.0, product.skus.iter().map(|s| s.id).collect())
}

async fn user_id(app: &TestApp, username: &str) -> UserId {
    app.store.user_by_username(&Username::parse(username).unwrap()).await.unwrap().unwrap().id
}

/// A coupon claimable for the next hour; its id.
async fn coupon(app: &TestApp, op: &Signed, name: &str) -> i64 {
    let mut draft = serde_json::to_value(CouponDraft {
        id: CouponId(0),
        name: name.into(),
        scope: Scope::Shop,
        threshold: Fen(0),
        benefit: CouponBenefit::AmountOff(Fen(500)),
        total_quantity: 50,
        per_buyer_limit: 1,
        claim_starts_at: T0,
        claim_ends_at: T0.plus_secs(3_600),
        use_starts_at: T0,
        use_ends_at: T0.plus_secs(7_200),
        budget: None,
    })
    .unwrap();
    draft.as_object_mut().unwrap().remove("id");
    let r = op.send_json(app, Method::POST, "/api/v1/coupons", &draft.to_string()).await;
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn logged(app: &TestApp, show: i64, kind: &str) -> Vec<Value> {
    let events = app.store.events_after(RoomId(show), 0, 1000).await.unwrap();
    events.into_iter().filter(|e| e.kind.as_str() == kind).map(|e| e.payload).collect()
}

#[tokio::test]
async fn a_buyer_who_claimed_gets_no_coupon_prompt_and_one_who_did_not_does() {
    let app = TestApp::spawn().await;
    let (show, _) = demo_show(&app).await;
    let op = app.api_signed_in("operator").await;
    let id = coupon(&app, &op, "满0减5").await;
    let claimer = app.api_signed_in("viewer").await;
    let r = claimer.send_json(&app, Method::POST, &format!("/api/v1/coupons/{id}/claims"), "{}").await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    let room = format!("/ws/rooms/{show}");
    let mut claimed =
        Peer::open(&app, &format!("{room}/viewer"), Some(&session_cookie(&app, "viewer").await)).await.unwrap();
    let mut not_yet =
        Peer::open(&app, &format!("{room}/viewer"), Some(&session_cookie(&app, "student1").await)).await.unwrap();
    let mut desk =
        Peer::open(&app, &format!("{room}/console"), Some(&session_cookie(&app, "assistant").await)).await.unwrap();

    // a coupon of no one's: refused naming the field
    desk.say(json!({"v": 1, "type": "remind_coupon", "coupon": 987654})).await;
    let error = desk.until("error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_found"), Some("coupon")));

    desk.say(json!({"v": 1, "type": "remind_coupon", "coupon": id})).await;
    let sent = desk.until("reminder_sent").await;
    assert_eq!((sent["targeted"].as_u64(), sent["anonymous"].as_u64()), (Some(1), Some(0)));
    let prompt = not_yet.until("coupon_reminder").await;
    assert_eq!((prompt["coupon"].as_i64(), prompt["name"].as_str()), (Some(id), Some("满0减5")));
    assert_eq!(prompt["sign_in"], false);
    assert_eq!(kinds(&claimed.everything_so_far().await, "coupon_reminder"), 0);
    let events = logged(&app, show, "coupon.reminded").await;
    assert_eq!((events.len(), events[0]["targeted"].as_u64()), (1, Some(1)));

    // a viewer socket may not send it, even a staff account's
    let mut staff =
        Peer::open(&app, &format!("{room}/viewer"), Some(&session_cookie(&app, "operator").await)).await.unwrap();
    staff.say(json!({"v": 1, "type": "remind_coupon", "coupon": id})).await;
    assert_eq!(staff.until("error").await["code"], "forbidden");
}

#[tokio::test]
async fn the_cart_nudge_reaches_a_buyer_whose_cart_waits_and_not_one_who_ordered() {
    let app = TestApp::spawn().await;
    let (show, skus) = demo_show(&app).await;
    let waiting = app.api_signed_in("viewer").await;
    let ordered = app.api_signed_in("student1").await;
    let cart = format!("/api/v1/shows/{show}/cart/{}", skus[0].0);
    for buyer in [&waiting, &ordered] {
        let r = buyer.send_json(&app, Method::PUT, &cart, r#"{"quantity": 2}"#).await;
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    // student1 orders (the lines named, so the cart stays as it was)
    app.clock.advance_secs(30);
    let body = json!({
        "lines": [{"sku_id": skus[0].0, "quantity": 1}],
        "address": {"name": "张三", "phone": "138 0013 8000", "region": "浙江省杭州市西湖区", "detail": "文三路100号"},
    });
    let r = ordered
        .client
        .post(app.url(&format!("/api/v1/shows/{show}/checkout")))
        .header("content-type", "application/json")
        .header("x-csrf-token", &ordered.csrf)
        .header("idempotency-key", "nudge-1")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let (viewer_id, student_id) = (user_id(&app, "viewer").await, user_id(&app, "student1").await);
    let carts = app.store.waiting_carts(RoomId(show)).await.unwrap();
    assert_eq!(carts.iter().map(|c| (c.buyer, c.units)).collect::<Vec<_>>(), vec![(viewer_id, 2)]);

    let room = format!("/ws/rooms/{show}");
    let mut to_waiting =
        Peer::open(&app, &format!("{room}/viewer"), Some(&session_cookie(&app, "viewer").await)).await.unwrap();
    let mut to_ordered =
        Peer::open(&app, &format!("{room}/viewer"), Some(&session_cookie(&app, "student1").await)).await.unwrap();
    let mut desk =
        Peer::open(&app, &format!("{room}/console"), Some(&session_cookie(&app, "assistant").await)).await.unwrap();
    desk.say(json!({"v": 1, "type": "nudge_carts"})).await;
    let sent = desk.until("reminder_sent").await;
    assert_eq!((sent["kind"].as_str(), sent["targeted"].as_u64()), (Some("cart"), Some(1)));
    let nudge = to_waiting.until("cart_nudge").await;
    assert_eq!(nudge["units"], 2);
    assert_eq!(kinds(&to_ordered.everything_so_far().await, "cart_nudge"), 0);
    assert_eq!(logged(&app, show, "cart.nudged").await[0]["targeted"], 1);

    // changing the cart after the order makes it wait again
    app.clock.advance_secs(30);
    let r = ordered.send_json(&app, Method::PUT, &cart, r#"{"quantity": 3}"#).await;
    assert!(r.status().is_success());
    let carts = app.store.waiting_carts(RoomId(show)).await.unwrap();
    let mut expected = vec![viewer_id.0, student_id.0];
    expected.sort_unstable();
    assert_eq!(carts.iter().map(|c| c.buyer.0).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn in_a_real_browser_the_coupon_prompt_shows_a_banner_whose_button_claims_it() {
    use fantoccini::Locator;
    use zhibo_store::PromotionStore;
    let app = TestApp::spawn().await;
    let Some(b) = crate::browser::browser().await else { return };
    let c = &b.client;
    let (show, _) = demo_show(&app).await;
    let op = app.api_signed_in("operator").await;
    let id = coupon(&app, &op, "直播专享券").await;
    let patience = Duration::from_secs(10);

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("viewer").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    // signed in once the sign-in form is gone (a viewer lands on no dashboard)
    c.wait().at_most(patience).for_element(Locator::Css("body:not(:has(#sign-in))")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{show}/watch"))).await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#room[data-connection=open]")).await.unwrap();

    let mut desk =
        Peer::open(&app, &format!("/ws/rooms/{show}/console"), Some(&session_cookie(&app, "assistant").await))
            .await
            .unwrap();
    desk.say(json!({"v": 1, "type": "remind_coupon", "coupon": id})).await;
    assert_eq!(desk.until("reminder_sent").await["targeted"], 1);

    let name = c.wait().at_most(patience).for_element(Locator::Css("#reminder:not([hidden]) #reminder-name")).await;
    assert_eq!(name.unwrap().text().await.unwrap(), "直播专享券");
    c.find(Locator::Css("#reminder-act")).await.unwrap().click().await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#reminder-act[disabled]")).await.unwrap();
    let viewer = user_id(&app, "viewer").await;
    assert_eq!(app.store.coupon_claimants(id).await.unwrap(), vec![viewer]);
    // dismissed, the banner goes away
    c.find(Locator::Css("#reminder-close")).await.unwrap().click().await.unwrap();
    c.wait().at_most(patience).for_element(Locator::Css("#reminder[hidden]")).await.unwrap();
    b.client.clone().close().await.unwrap();
}
