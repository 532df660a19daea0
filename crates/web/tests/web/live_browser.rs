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
