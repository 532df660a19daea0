//! The live room in a real browser: a console and a viewer page side by
//! side in two windows of one chromium.

use crate::browser::browser;
use crate::helpers::*;
use fantoccini::Locator;
use std::time::Duration;
use zhibo_store::{ShopStore, ShowStore};

/// A safety net for waiting on the room's frames, not a speed target
/// (latency belongs to the fan-out benchmark).
const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_push_from_the_console_appears_on_the_viewer_page_and_comments_stay_text() {
    let app = TestApp::spawn().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let first_product = app.store.show(shop, show.id).await.unwrap().unwrap().lineup[0].product_title.clone();

    // the assistant signs in and opens the console
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("assistant").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/console", show.id))).await.unwrap();
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#console[data-connection=open] #lineup tr")).await.unwrap();
    let console = c.window().await.unwrap();

    // a viewer page in a second window
    let viewer = c.new_window(false).await.unwrap().handle;
    c.switch_to_window(viewer.clone()).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/watch", show.id))).await.unwrap();
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#room[data-connection=open]")).await.unwrap();

    // a comment that tries to be HTML arrives as text on the console
    let attack = "<img src=x onerror=alert(1)>";
    c.find(Locator::Css("#comment-text")).await.unwrap().send_keys(attack).await.unwrap();
    c.find(Locator::Css("#comment-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.switch_to_window(console.clone()).await.unwrap();
    let comment = c.wait().at_most(PATIENCE).for_element(Locator::Css("#comments li .text")).await.unwrap();
    assert_eq!(comment.text().await.unwrap(), attack);
    assert!(c.find_all(Locator::Css("#comments img")).await.unwrap().is_empty(), "the comment became HTML");

    // the console pushes the first product; the viewer page shows its card
    c.find(Locator::Css("#lineup tr button.push")).await.unwrap().click().await.unwrap();
    c.switch_to_window(viewer).await.unwrap();
    let title = c.wait().at_most(PATIENCE).for_element(Locator::Css("#card:not([hidden]) #card-title")).await.unwrap();
    assert_eq!(title.text().await.unwrap(), first_product);
    assert!(c.find(Locator::Css("#card-price")).await.unwrap().text().await.unwrap().starts_with('¥'));
    b.client.clone().close().await.unwrap();
}

/// A signed-in viewer whose display name tries to be HTML, watching over a
/// WebSocket of its own (its name is known when it enters, so the welcome
/// line that names it is deterministic).
async fn html_named_viewer(
    app: &TestApp,
    room: zhibo_domain::RoomId,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use zhibo_domain::account::{DisplayName, Username};
    use zhibo_store::{AccountStore, NewUser};
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let password_hash = zhibo_web::auth::password::hash(zhibo_web::demo::DEMO_PASSWORD.to_owned()).await.unwrap();
    let user = NewUser {
        shop,
        username: Username::parse("htmlfan").unwrap(),
        display_name: DisplayName::parse("<img src=x onerror=alert(1)>小王").unwrap(),
        role: zhibo_domain::Role::Viewer,
        password_hash,
    };
    app.store.create_user(&user).await.unwrap();
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": "htmlfan", "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(r.headers()).into_iter().find(|c| c.starts_with("zhibo_session=")).unwrap();
    let url = app.url(&format!("/ws/rooms/{room}/viewer")).replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookie.split(';').next().unwrap().parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

#[tokio::test]
async fn a_pinned_comment_and_a_welcome_line_show_on_the_viewer_page_as_text() {
    let app = TestApp::spawn().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("assistant").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/console", show.id))).await.unwrap();
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#console[data-connection=open] #lineup tr")).await.unwrap();
    let console = c.window().await.unwrap();
    let viewer = c.new_window(false).await.unwrap().handle;
    c.switch_to_window(viewer.clone()).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/watch", show.id))).await.unwrap();
    c.wait().at_most(PATIENCE).for_element(Locator::Css("#room[data-connection=open]")).await.unwrap();

    // another viewer enters: the page welcomes them, the name as text
    let _fan = html_named_viewer(&app, show.id).await;
    let line = c
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath("//p[@id='welcome' and not(@hidden) and contains(., '小王')]"))
        .await
        .unwrap();
    assert_eq!(line.text().await.unwrap(), "欢迎 <img src=x onerror=alert(1)>小王 来到直播间");
    assert!(c.find_all(Locator::Css("#welcome img")).await.unwrap().is_empty(), "the name became HTML");

    // a comment from the page; the console pins it
    let text = "<b>几点开福袋？</b>";
    c.find(Locator::Css("#comment-text")).await.unwrap().send_keys(text).await.unwrap();
    c.find(Locator::Css("#comment-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.switch_to_window(console.clone()).await.unwrap();
    let pin = c.wait().at_most(PATIENCE).for_element(Locator::Css("#comments li button.pin")).await.unwrap();
    pin.click().await.unwrap();
    // the console's phone preview shows it pinned
    let preview =
        c.wait().at_most(PATIENCE).for_element(Locator::Css("#preview .pv-pinned .pv-pinned-text")).await.unwrap();
    assert_eq!(preview.text().await.unwrap(), text);

    c.switch_to_window(viewer.clone()).await.unwrap();
    let pinned = c
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#pinned-comment:not([hidden]) #pinned-text"))
        .await
        .unwrap();
    assert_eq!(pinned.text().await.unwrap(), text);
    assert!(c.find_all(Locator::Css("#pinned-comment #pinned-text b")).await.unwrap().is_empty(), "became HTML");

    // the console moves the first product down; the page's bag follows
    let lineup = app.store.show(shop, show.id).await.unwrap().unwrap().lineup;
    let second = lineup[1].product;
    c.switch_to_window(console).await.unwrap();
    c.find(Locator::Css("#lineup tr:first-child button.move-down")).await.unwrap().click().await.unwrap();
    c.switch_to_window(viewer).await.unwrap();
    let first_in_bag = format!("#bag li:first-child[data-product='{second}']");
    c.wait().at_most(PATIENCE).for_element(Locator::Css(&first_in_bag)).await.unwrap();
    b.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn the_console_counts_down_to_an_automatic_action_and_cancel_removes_it() {
    use zhibo_domain::automation::{ActionSpec, ClockTime};
    let app = TestApp::spawn().await;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let lottery = ActionSpec::Lottery {
        every_minutes: 600,
        from_segment: None,
        times: Some(1),
        prize: "<b>围巾</b>".into(),
        winners: 1,
        keyword: None,
        duration_secs: 60,
    };
    let reminder =
        ActionSpec::Reminder {
            at: ClockTime::parse("at", "23:59").unwrap(), text: "领券提醒".into(), coupon: None
        };
    let ids = app.store.save_show_actions(shop, show.id, &[(None, lottery), (None, reminder)]).await.unwrap();
    let Some(b) = browser().await else { return };
    let c = &b.client;
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("assistant").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{}/console", show.id))).await.unwrap();
    let row = format!("#automation:not([hidden]) #automation-list li[data-action='{}']", ids[0]);
    c.wait().at_most(PATIENCE).for_element(Locator::Css(&row)).await.unwrap();
    let countdown = c.find(Locator::Css(&format!("{row} .countdown"))).await.unwrap();
    assert!(countdown.text().await.unwrap().starts_with("还有 / in "), "{}", countdown.text().await.unwrap());
    let detail = c.find(Locator::Css(&format!("{row} .detail"))).await.unwrap();
    assert!(detail.text().await.unwrap().starts_with("<b>围巾</b>"), "the prize stays text");
    c.find(Locator::Css(&format!("{row} button.cancel"))).await.unwrap().click().await.unwrap();
    // gone from the list, while the other stays
    let after =
        format!("//ul[@id='automation-list' and not(li[@data-action='{}'])]/li[@data-action='{}']", ids[0], ids[1]);
    c.wait().at_most(PATIENCE).for_element(Locator::XPath(&after)).await.unwrap();
    b.client.clone().close().await.unwrap();
}
