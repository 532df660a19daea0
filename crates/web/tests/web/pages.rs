//! The web shell: pages, language, settings, escaping, assets, health.

use crate::helpers::*;
use reqwest::StatusCode;
use zhibo_store::ShopStore;

#[tokio::test]
async fn healthz_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let r = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!((r.status(), r.text().await.unwrap().as_str()), (StatusCode::OK, "ok"));
    let r = app.client().get(app.url("/metrics")).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    assert!(text.contains("zhibo_http_requests_total"), "{text}");
}

#[tokio::test]
async fn a_stranger_is_sent_to_sign_in_and_brought_back_after() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let r = client.get(app.url("/products")).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login?next=%2Fproducts");
    let page = client.get(app.url("/login?next=%2Fproducts")).send().await.unwrap().text().await.unwrap();
    let token = hidden_input(&page, "csrf").unwrap();
    assert_eq!(hidden_input(&page, "next").unwrap(), "/products");
    let r = client
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", "operator"), ("password", "zhibo-demo"), ("next", "/products")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/products");
    // and never to another site
    let client = app.client();
    let token = app.login_form_token(&client).await;
    let r = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", token.as_str()),
            ("username", "operator"),
            ("password", "zhibo-demo"),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/dashboard");
}

#[tokio::test]
async fn the_language_switch_turns_the_pages_english_and_back() {
    let app = TestApp::spawn().await;
    let s = app.signed_in("operator").await;
    let page = s.get(&app, "/dashboard").await.text().await.unwrap();
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains(">商品<"));
    let r = s.get(&app, "/lang/en?next=%2Fdashboard").await;
    assert_eq!(r.headers()["location"], "/dashboard");
    let page = s.get(&app, "/dashboard").await.text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains(">Products<") && !page.contains(">商品<"), "{page}");
    assert_eq!(text_of(&page, "#lang-switch").unwrap(), "中文");
    s.get(&app, "/lang/zh-CN").await;
    assert!(s.get(&app, "/dashboard").await.text().await.unwrap().contains(">商品<"));
    assert_eq!(s.get(&app, "/lang/fr").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_shops_default_language_applies_until_a_person_chooses() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("owner").await;
    let r = owner
        .post_form(
            &app,
            "/settings",
            &[("name", "演示店铺"), ("unpaid_order_timeout_minutes", "30"), ("default_language", "en")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = app.client().get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_owner_saves_settings_and_bad_values_are_named_and_kept() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("owner").await;
    let r = owner
        .post_form(
            &app,
            "/settings",
            &[("name", "小雨的店"), ("unpaid_order_timeout_minutes", "abc"), ("default_language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("data-field=\"unpaid_order_timeout_minutes\""));
    assert_eq!(hidden_input(&page, "name").unwrap(), "小雨的店", "what was typed is kept");
    assert_ne!(app.store.first_shop().await.unwrap().unwrap().name, "小雨的店", "nothing half-saved");

    let r = owner
        .post_form(
            &app,
            "/settings",
            &[("name", "小雨的店"), ("unpaid_order_timeout_minutes", "30"), ("default_language", "zh-CN")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let shop = app.store.first_shop().await.unwrap().unwrap();
    assert_eq!((shop.name.as_str(), shop.settings.unpaid_order_timeout_minutes), ("小雨的店", 30));
    // the accounts are listed for the owner
    let page = owner.get(&app, "/settings").await.text().await.unwrap();
    assert!(page.contains("student2") && page.contains("学员 李四"));
}

#[tokio::test]
async fn user_text_is_escaped_on_every_page() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let evil = r#"<img src=x onerror=alert(1)>"#;
    let body = serde_json::json!({
        "title": evil,
        "selling_points": ["<script>alert(2)</script>"],
        "facts": {"size_chart": "<b>M</b>|<i>96</i>"},
        "skus": [{"price_fen": 100, "specs": [{"name": "<u>色</u>", "value": "<em>红</em>"}]}]
    });
    let r = op.send_json(&app, reqwest::Method::POST, "/api/v1/products", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let detail = op.get(&app, &format!("/products/{id}")).await.text().await.unwrap();
    let edit = op.get(&app, &format!("/products/{id}/edit")).await.text().await.unwrap();
    for page in [&detail, &edit] {
        for raw in [evil, "<script>alert(2)", "<b>M</b>", "<u>色</u>", "<em>红</em>"] {
            assert!(!page.contains(raw), "{raw} unescaped");
        }
    }
    let page = op.get(&app, "/products").await.text().await.unwrap();
    assert!(!page.contains(evil) && !page.contains("<script>alert(2)"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;") || page.contains("&#60;img"), "{page}");
    // and the table shows it as text
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("#products img").unwrap();
    assert_eq!(doc.select(&sel).count(), 0);
}

#[tokio::test]
async fn prices_show_in_yuan_from_fen() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let page = op.get(&app, "/products").await.text().await.unwrap();
    assert!(page.contains("¥199.00") && page.contains("¥299.00"), "the tea is 19900 fen");
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_page() {
    let app = TestApp::spawn().await;
    let r = app.client().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = r.text().await.unwrap();
    assert!(page.contains("页面不存在") && page.contains("<html"));
}

#[tokio::test]
async fn assets_are_embedded_with_an_etag() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let r = client.get(app.url("/assets/vendor/htmx/htmx.min.js")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let etag = r.headers()["etag"].clone();
    assert!(r.text().await.unwrap().contains("htmx"));
    let r = client.get(app.url("/assets/vendor/htmx/htmx.min.js")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(client.get(app.url("/assets/nope.js")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn seeding_the_demo_twice_changes_nothing() {
    let app = TestApp::spawn().await; // seeded once already
    let again = zhibo_web::demo::seed(app.store.as_ref()).await.unwrap();
    assert_eq!((again.accounts_created, again.products_created), (0, 0));
    let shop = app.store.first_shop().await.unwrap().unwrap();
    use zhibo_store::{AccountStore, CatalogStore};
    assert_eq!(app.store.users_of_shop(shop.id).await.unwrap().len(), 8);
    assert_eq!(app.store.products_of_shop(shop.id).await.unwrap().len(), 5);
}
