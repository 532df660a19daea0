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

/// The rows of the table: (title, return rate, review, score).
fn table_rows(page: &str) -> Vec<(String, String, String, i64)> {
    let doc = scraper::Html::parse_document(page);
    let row = scraper::Selector::parse("#selection tbody tr").unwrap();
    let cell = |r: &scraper::ElementRef, css: &str| {
        let sel = scraper::Selector::parse(css).unwrap();
        r.select(&sel).next().map(|c| c.text().collect::<String>().trim().to_owned()).unwrap_or_default()
    };
    doc.select(&row)
        .map(|r| {
            (
                cell(&r, "td:nth-child(2)"),
                cell(&r, "td.return-rate"),
                cell(&r, "td.review"),
                cell(&r, "td.score").parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_best_seller_with_poor_reviews_and_many_returns_drops_when_those_weigh_most() {
    let app = TestApp::spawn().await;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let api = app.api_signed_in("operator").await;
    // same price and cost, so margin cannot decide; the troubled one sells twice as much
    for (title, rate, review, sold) in [("爆款拖鞋", 350, 29, 40), ("口碑拖鞋", 20, 49, 20)] {
        let body = serde_json::json!({
            "title": title, "return_rate_permille": rate, "review_tenths": review,
            "skus": [{"price_fen": 9900, "cost_fen": 4900}]
        });
        let r = api.send_json(&app, reqwest::Method::POST, "/api/v1/products", &body.to_string()).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = zhibo_domain::ProductId(r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap());
        let sku = app.store.product(shop, id).await.unwrap().unwrap().skus[0].id;
        for (reason, delta) in [("purchase", 100), ("sale", -sold)] {
            let change = StockChange::parse(sku, reason, delta, "测试").unwrap();
            app.store.apply_stock_change(shop, &change, None).await.unwrap().unwrap();
        }
    }
    let op = app.signed_in("operator").await;
    let rank = |rows: &[(String, String, String, i64)], title: &str| rows.iter().position(|r| r.0 == title).unwrap();

    let by_sales = table_rows(
        &op.get(&app, "/products/selection?sales=100&returns=0&reviews=0&margin=0&days=90").await.text().await.unwrap(),
    );
    assert_eq!(by_sales[0].0, "爆款拖鞋", "{by_sales:?}");
    assert!(rank(&by_sales, "爆款拖鞋") < rank(&by_sales, "口碑拖鞋"));

    let page =
        op.get(&app, "/products/selection?sales=10&returns=45&reviews=45&margin=0&days=90").await.text().await.unwrap();
    let by_quality = table_rows(&page);
    assert!(rank(&by_quality, "口碑拖鞋") < rank(&by_quality, "爆款拖鞋"), "{by_quality:?}");
    assert!(rank(&by_quality, "爆款拖鞋") > rank(&by_sales, "爆款拖鞋"), "it dropped");
    let troubled = &by_quality[rank(&by_quality, "爆款拖鞋")];
    assert_eq!((troubled.1.as_str(), troubled.2.as_str()), ("35.0%", "2.9"));
    // sales 1000·10 + returns 0·45 (35% is past the worst) + reviews 580·45 = 36,100 / 100
    assert_eq!(troubled.3, 361);
    // a demo product without figures shows "—" and the notice says where figures come from
    let scarf = &by_quality[rank(&by_quality, "羊毛混纺围巾")];
    assert_eq!((scarf.1.as_str(), scarf.2.as_str()), ("—", "—"));
    assert!(text_of(&page, "#selection-missing").unwrap().contains("平台数据"));
}
