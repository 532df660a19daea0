//! 策划: the promotion budget check.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use zhibo_domain::localtime::format_shop_time;
use zhibo_store::{CatalogStore, ShopStore};

#[tokio::test]
async fn the_budget_check_warns_when_the_promotions_cost_more_than_the_budget() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let rule =
        json!({"kind": "full_reduction", "scope": "shop", "form": {"tiers": [{"threshold": 30000, "off": 4000}]}});
    let body = json!({"name": "满300减40", "starts_at_ms": T0.0, "ends_at_ms": T0.plus_secs(7200).0, "rule": rule});
    assert_eq!(
        op.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await.status(),
        StatusCode::CREATED
    );

    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let tea = app.store.product_by_title(shop, "云南古树普洱茶 357g").await.unwrap().unwrap();
    let sku = app.store.product(shop, tea.id).await.unwrap().unwrap().skus[0].id.0;
    let planner = app.signed_in("operator").await;
    let at = format_shop_time(T0.plus_secs(600));
    let url = |budget: &str| {
        format!("/planning/promotion-budget?at={at}&budget={budget}&orders=100&coupon_use=0&sku_1={sku}&qty_1=2")
    };
    // 2 × ¥199 = ¥398 ≥ ¥300 → ¥40 off per order × 100 orders = ¥4,000
    let page = planner.get(&app, &url("3000")).await.text().await.unwrap();
    assert_eq!(text_of(&page, "#total-cost").unwrap(), "¥4000.00");
    assert_eq!(text_of(&page, "#over-budget").unwrap(), "超出预算 ¥1000.00");
    let page = planner.get(&app, &url("5000")).await.text().await.unwrap();
    assert!(text_of(&page, "#within-budget").is_some());
    // after the promotion's window it costs nothing
    let later = format_shop_time(T0.plus_secs(7200));
    let page = planner
        .get(
            &app,
            &format!("/planning/promotion-budget?at={later}&budget=1&orders=100&coupon_use=0&sku_1={sku}&qty_1=2"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text_of(&page, "#total-cost").unwrap(), "¥0.00");
}

#[tokio::test]
async fn a_wrong_budget_form_names_every_field_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let planner = app.signed_in("student1").await;
    let r = planner
        .get(&app, "/planning/promotion-budget?at=tomorrow&budget=12.345&orders=many&coupon_use=150&sku_1=&qty_1=3")
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for field in ["at", "budget", "orders", "coupon_use", "basket_1"] {
        assert!(page.contains(&format!("data-field=\"{field}\"")), "{field} not marked");
    }
    assert_eq!(hidden_input(&page, "orders").unwrap(), "many");
    // and the planning area is not for a viewer
    let viewer = app.signed_in("viewer").await;
    assert_eq!(viewer.get(&app, "/planning/promotion-budget").await.status(), StatusCode::FORBIDDEN);
}
