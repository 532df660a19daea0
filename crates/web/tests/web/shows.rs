//! 直播场次 through the API: the demo show is seeded once, a plan is created
//! and replaced with every bad field named, starting and ending log
//! `show.started` / `show.ended` in the show's room, illegal moves are
//! refused, and the roles are checked (a viewer is refused, a student plans).

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zhibo_store::{CatalogStore, ShopStore};

async fn product_id(app: &TestApp, title: &str) -> i64 {
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    app.store.product_by_title(shop, title).await.unwrap().unwrap().id.0
}

async fn body(app: &TestApp) -> Value {
    json!({
        "title": "周末专场",
        "intro": "大米与普洱",
        "scheduled_start_ms": T0.0 + 86_400_000,
        "promotion_budget_fen": 100_000,
        "lineup": [
            {"product_id": product_id(app, "五常稻花香大米 5kg").await, "role": "traffic", "live_price_fen": 5_990,
             "push_offset_minutes": 0, "talking_points": "新米"},
            {"product_id": product_id(app, "云南古树普洱茶 357g").await, "role": "profit"}
        ],
        "run_sheet": [
            {"kind": "opening", "title": "开场", "start_offset_minutes": 0, "minutes": 5},
            {"kind": "product", "title": "讲大米", "start_offset_minutes": 5, "minutes": 10}
        ]
    })
}

fn fields(error: &Value) -> Vec<String> {
    error["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_demo_show_is_seeded_once_with_its_lineup_and_run_sheet() {
    let app = TestApp::spawn().await;
    // seeding again changes nothing
    zhibo_web::demo::seed(app.store.as_ref()).await.unwrap();
    let op = app.api_signed_in("operator").await;
    let list: Value = op.get(&app, "/api/v1/shows").await.json().await.unwrap();
    let demo: Vec<&Value> =
        list.as_array().unwrap().iter().filter(|s| s["title"] == zhibo_web::demo::DEMO_SHOW).collect();
    assert_eq!(demo.len(), 1, "{list}");
    let id = demo[0]["id"].as_i64().unwrap();
    let show: Value = op.get(&app, &format!("/api/v1/shows/{id}")).await.json().await.unwrap();
    assert_eq!(show["state"], "planned");
    assert_eq!(show["lineup"].as_array().unwrap().len(), 5);
    assert_eq!(show["run_sheet"].as_array().unwrap().len(), 6);
    assert_eq!(show["lineup"][0]["role"], "traffic");
}

#[tokio::test]
async fn a_show_is_created_replaced_started_and_ended_with_events_in_its_room() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let r = op.send_json(&app, Method::POST, "/api/v1/shows", &body(&app).await.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let show: Value = r.json().await.unwrap();
    let id = show["id"].as_i64().unwrap();
    assert_eq!(show["lineup"][0]["live_price_fen"], 5_990);
    assert_eq!(show["lineup"][0]["price_fen"], 6_990);
    assert_eq!(show["lineup"][1]["product_title"], "云南古树普洱茶 357g");

    let mut changed = body(&app).await;
    changed["title"] = json!("周末专场（改）");
    changed["run_sheet"].as_array_mut().unwrap().pop();
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/shows/{id}"), &changed.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let show: Value = r.json().await.unwrap();
    assert_eq!((show["title"].as_str(), show["run_sheet"].as_array().unwrap().len()), (Some("周末专场（改）"), 1));

    // ending a planned show is refused and logs nothing
    let (status, error) =
        api_error(op.send_json(&app, Method::POST, &format!("/api/v1/shows/{id}/end"), "").await).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));

    // A viewer already in the room (opened before the show) hears the start.
    let mut early = crate::live_ws::Peer::open(&app, &format!("/ws/rooms/{id}/viewer"), None).await.unwrap();
    app.clock.advance_secs(120);
    let assistant = app.api_signed_in("assistant").await;
    let r = assistant.send_json(&app, Method::POST, &format!("/api/v1/shows/{id}/start"), "").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(early.until("status").await["status"], "live");
    let live: Value = r.json().await.unwrap();
    assert_eq!((live["state"].as_str(), live["started_at_ms"].as_i64()), (Some("live"), Some(T0.0 + 120_000)));
    let (status, _) = api_error(op.send_json(&app, Method::POST, &format!("/api/v1/shows/{id}/start"), "").await).await;
    assert_eq!(status, StatusCode::CONFLICT, "a live show does not start twice");

    app.clock.advance_secs(3600);
    let r = assistant.send_json(&app, Method::POST, &format!("/api/v1/shows/{id}/end"), "").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(early.until("status").await["status"], "ended");
    drop(early);

    let events: Value = op.get(&app, &format!("/api/v1/rooms/{id}/events")).await.json().await.unwrap();
    // (the early viewer's entry is logged too)
    let events: Vec<&Value> =
        events.as_array().unwrap().iter().filter(|e| e["kind"].as_str().unwrap().starts_with("show.")).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["show.started", "show.ended"]);
    assert_eq!(events[0]["payload"]["started_at_ms"], T0.0 + 120_000);
    assert!(events[0]["actor"].as_str().unwrap().starts_with("user:"));

    // an ended show is no longer edited
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/shows/{id}"), &changed.to_string()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let before: Value = op.get(&app, "/api/v1/shows").await.json().await.unwrap();
    let mut bad = body(&app).await;
    bad["scheduled_start_ms"] = json!(1_795_608_000); // seconds, not milliseconds
    bad["streamer_id"] = json!(99_999);
    bad["lineup"][0]["live_price_fen"] = json!(9_990); // above 69.90
    bad["lineup"][1]["product_id"] = json!(424_242);
    bad["run_sheet"][1]["start_offset_minutes"] = json!(3); // runs into the opening
    let (status, error) = api_error(op.send_json(&app, Method::POST, "/api/v1/shows", &bad.to_string()).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&error),
        [
            "scheduled_start_ms",
            "lineup[0].live_price_fen",
            "lineup[1].product_id",
            "run_sheet[1].start_offset_minutes",
            "streamer_id"
        ]
    );
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("segment 2 overlaps segment 1") && message.contains("第2段与第1段时间重叠"), "{message}");
    let after: Value = op.get(&app, "/api/v1/shows").await.json().await.unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_viewer_is_refused_a_streamer_reads_but_does_not_plan_and_a_student_plans() {
    let app = TestApp::spawn().await;
    let plan = body(&app).await.to_string();
    let viewer = app.api_signed_in("viewer").await;
    assert_eq!(viewer.get(&app, "/api/v1/shows").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(viewer.send_json(&app, Method::POST, "/api/v1/shows", &plan).await.status(), StatusCode::FORBIDDEN);
    let streamer = app.api_signed_in("streamer").await;
    assert_eq!(streamer.get(&app, "/api/v1/shows").await.status(), StatusCode::OK);
    assert_eq!(streamer.send_json(&app, Method::POST, "/api/v1/shows", &plan).await.status(), StatusCode::FORBIDDEN);
    let student = app.api_signed_in("student1").await;
    assert_eq!(student.send_json(&app, Method::POST, "/api/v1/shows", &plan).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_show_endpoints_are_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc: Value = app.client().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in ["/api/v1/shows", "/api/v1/shows/{id}", "/api/v1/shows/{id}/start", "/api/v1/shows/{id}/end"] {
        assert!(doc["paths"][path].is_object(), "{path} is missing");
    }
}
