//! 选品: scores move with sales and weights; roles come with reasons.

use crate::helpers::*;
use reqwest::StatusCode;
use zhibo_domain::stock::StockChange;
use zhibo_store::{CatalogStore, ShopStore, StockStore};

fn first_title(page: &str) -> String {
    text_of(page, "#selection tbody tr td:nth-child(2)").unwrap()
}

#[tokio::test]
async fn sales_recorded_in_the_ledger_lift_a_product_when_sales_weigh_most() {
    let app = TestApp::spawn().await;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let rice = app.store.product_by_title(shop, "五常稻花香大米 5kg").await.unwrap().unwrap();
    let sku = app.store.product(shop, rice.id).await.unwrap().unwrap().skus[0].id;
    let sale = StockChange::parse(sku, "sale", -20, "直播销售").unwrap();
    app.store.apply_stock_change(shop, &sale, None).await.unwrap().unwrap();

    let op = app.signed_in("operator").await;
    let by_sales =
        op.get(&app, "/products/selection?sales=100&returns=0&reviews=0&margin=0&days=90").await.text().await.unwrap();
    assert_eq!(first_title(&by_sales), "五常稻花香大米 5kg");
    assert_eq!(text_of(&by_sales, "#selection tbody tr td.score").unwrap(), "1000");
    let by_margin =
        op.get(&app, "/products/selection?sales=0&returns=0&reviews=0&margin=100&days=90").await.text().await.unwrap();
    assert_ne!(first_title(&by_margin), "五常稻花香大米 5kg", "rice has the thinnest margin of the demo shop");
    // every product gets a role with its reason
    let doc = scraper::Html::parse_document(&by_margin);
    let roles = scraper::Selector::parse("#selection .role").unwrap();
    assert_eq!(doc.select(&roles).count(), 5);
    // sales older than the window do not count
    app.clock.advance_secs(10 * 86_400);
    let op = app.signed_in("operator").await; // the old session has expired
    let recent =
        op.get(&app, "/products/selection?sales=100&returns=0&reviews=0&margin=0&days=7").await.text().await.unwrap();
    assert_eq!(text_of(&recent, "#selection tbody tr td.score").unwrap(), "0");
}

#[tokio::test]
async fn bad_weights_are_named() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let r = op.get(&app, "/products/selection?sales=lots&returns=0&reviews=0&margin=0&days=0").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("data-field=\"sales\"") && page.contains("data-field=\"days\""));
    let r = op.get(&app, "/products/selection?sales=0&returns=0&reviews=0&margin=0").await;
    assert!(r.text().await.unwrap().contains("data-field=\"weights\""));
}
