//! A flash sale in a real browser: a signed-in viewer fills in a delivery
//! address on the watch page, the console opens a sale, the page shows the
//! card, the viewer presses buy and sees the order it won, which the
//! viewer's own order API then shows pending payment at the flash price.

use crate::browser::browser;
use crate::helpers::*;
use fantoccini::Locator;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use zhibo_store::{CatalogStore, ShopStore, ShowStore};

const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_viewer_buys_in_a_flash_sale_and_sees_the_order() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = TestApp::spawn().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let product = app.store.show(shop, show.id).await.unwrap().unwrap().lineup[0].product;
    let sku = app.store.product(shop, product).await.unwrap().unwrap().skus[0].id;

    // the viewer signs in and watches
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("viewer").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    // signed in once the form is gone
    c.wait().at_most(PATIENCE).for_element(Locator::Css("body:not(:has(#sign-in))")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/watch", show.id))).await.unwrap();
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#room[data-connection=open]")).await.unwrap();

    // the console opens a sale over its socket
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": "assistant", "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(r.headers()).into_iter().find(|c| c.starts_with("zhibo_session=")).unwrap();
    let url = app.url(&format!("/ws/rooms/{}/console", show.id)).replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookie.split(';').next().unwrap().parse().unwrap());
    let (mut desk, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let open = serde_json::json!({"v": 1, "type": "open_flash_sale", "product": product, "sku": sku,
        "price_fen": 100, "quantity": 3, "per_buyer": 1});
    desk.send(Message::text(open.to_string())).await.unwrap();

    // the card appears; the address goes in; buy
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#flash-sale[data-state=running]")).await.unwrap();
    assert_eq!(c.find(Locator::Css("#flash-price")).await.unwrap().text().await.unwrap(), "¥1.00");
    // (the page's fixed comment bar may cover the card: the form is opened
    // and the button scrolled into view the way a thumb would)
    c.execute("document.querySelector('#flash-sale details').open = true", vec![]).await.unwrap();
    for (id, value) in
        [("name", "小明"), ("phone", "13800138000"), ("region", "浙江省杭州市"), ("detail", "西湖区文三路 1 号")]
    {
        c.find(Locator::Css(&format!("#flash-{id}"))).await.unwrap().send_keys(value).await.unwrap();
    }
    c.execute("document.getElementById('flash-buy').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    c.find(Locator::Css("#flash-buy")).await.unwrap().click().await.unwrap();
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#flash-sale[data-result=won]")).await.unwrap();
    // one per buyer: the button is done
    assert!(!c.find(Locator::Css("#flash-buy")).await.unwrap().is_enabled().await.unwrap());
    let message = c.find(Locator::Css("#flash-message")).await.unwrap().text().await.unwrap();
    let order: i64 = message.split('#').nth(1).and_then(|r| r.split_whitespace().next()).unwrap().parse().unwrap();

    // the viewer's order, as the viewer's own API shows it in the browser
    c.goto(&app.url(&format!("/api/v1/me/orders/{order}"))).await.unwrap();
    let body = c.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "pending_payment", "{json}");
    assert_eq!(json["total_fen"], 100, "{json}");
    let _ = desk.next().await;
    b.client.clone().close().await.unwrap();
}
