//! Bad input to the API: always a 4xx with the error shape and the field
//! named, never a 500, and nothing half-saved.

use crate::helpers::*;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn malformed_json_is_a_400_naming_the_position() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let r = op.send_json(&app, Method::POST, "/api/v1/products", r#"{"title": "茶", "skus": [{"price_fen": "#).await;
    let (status, e) = api_error(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["code"], "malformed_json");
    assert!(e["message"].as_str().unwrap().contains("line 1"), "{e}");
}

#[tokio::test]
async fn missing_unknown_and_mistyped_fields_are_named() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    for (body, field) in [
        (r#"{"skus": [{"price_fen": 100}]}"#, "title"),
        (r#"{"title": "茶", "skus": [{"price_fen": 100}], "colour": "red"}"#, "colour"),
        (r#"{"title": "茶", "skus": [{"price_fen": "一百"}]}"#, "skus[0].price_fen"),
        (r#"{"title": "茶", "skus": [{"price_fen": -1}]}"#, "skus[0].price_fen"),
        (r#"{"title": "茶", "skus": [{"price_fen": 1000, "list_price_fen": 10}]}"#, "skus[0].list_price_fen"),
        (r#"{"title": "", "skus": [{"price_fen": 1}]}"#, "title"),
        (r#"{"title": "茶"}"#, "skus"),
    ] {
        let r = op.send_json(&app, Method::POST, "/api/v1/products", body).await;
        let (status, e) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(e["fields"][0]["field"], field, "{body}: {e}");
    }
    // nothing was saved by any of them
    let list: Vec<serde_json::Value> = op.get(&app, "/api/v1/products").await.json().await.unwrap();
    assert_eq!(list.len(), 5, "only the demo products");
}

#[tokio::test]
async fn an_oversized_body_is_a_413() {
    let app = TestApp::spawn_with(|s| s.server.max_body_bytes = 4096).await;
    let op = app.api_signed_in("operator").await;
    let big = format!(r#"{{"title": "{}", "price_fen": 1}}"#, "茶".repeat(4000));
    let r = op.send_json(&app, Method::POST, "/api/v1/products", &big).await;
    let (status, e) = api_error(r).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(e["code"], "too_large");
    // an oversized form is refused the same way, before anything reads it
    let s = app.signed_in("owner").await;
    let long = "x".repeat(8000);
    let r = s.post_form(&app, "/settings", &[("name", long.as_str())]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let r = op
        .client
        .post(app.url("/api/v1/products"))
        .header("x-csrf-token", &op.csrf)
        .header("content-type", "text/plain")
        .body("title=tea")
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn bad_paths_and_queries_get_the_error_shape_too() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    for path in [
        "/api/v1/rooms/abc/events",
        "/api/v1/rooms/1/events?limit=lots",
        "/api/v1/rooms/1/events?limit=0",
        "/api/v1/rooms/1/events?colour=red",
    ] {
        let (status, _) = api_error(op.get(&app, path).await).await;
        assert!(status.is_client_error(), "{path}: {status}");
    }
    let (status, e) = api_error(op.get(&app, "/api/v1/nothing-here").await).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn a_product_created_through_the_api_is_listed_and_a_duplicate_conflicts() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let body = r#"{"title": "手工红糖 500g", "selling_points": ["古法熬制"], "skus": [{"price_fen": 2990, "list_price_fen": 3990}]}"#;
    let r = op.send_json(&app, Method::POST, "/api/v1/products", body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["price_fen"], 2990);
    let r = op.send_json(&app, Method::POST, "/api/v1/products", body).await;
    assert_eq!(api_error(r).await.0, StatusCode::CONFLICT);
    let list: Vec<serde_json::Value> = op.get(&app, "/api/v1/products").await.json().await.unwrap();
    assert_eq!(list.iter().filter(|p| p["title"] == "手工红糖 500g").count(), 1);
}

#[tokio::test]
async fn the_openapi_document_lists_the_endpoints() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value =
        app.client().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/products",
        "/api/v1/rooms/{room}/events",
        "/api/v1/rooms/{room}/rollups",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    // every API route the server has is documented
    for (pattern, _) in app.routes.iter().filter(|(p, _)| p.starts_with("/api/v1/") && *p != "/api/v1/openapi.json") {
        assert!(doc["paths"][*pattern].is_object(), "{pattern} is served but not documented");
    }
}
