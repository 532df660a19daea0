//! Run-sheet automation on the show form (流程单自动化): actions saved with
//! the plan keep their ids when it is saved again, come back on the edit
//! form, reach the live room's console as its `automation` frame; bad rows
//! are named field by field (zh-CN first) and nothing is saved.

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zhibo_domain::automation::{ActionSpec, ClockTime};
use zhibo_domain::{ProductId, RoomId, ShopId};
use zhibo_store::{CatalogStore, ShopStore, ShowStore};

use crate::helpers::*;

const TEA: &str = "云南古树普洱茶 357g";
const RICE: &str = "五常稻花香大米 5kg";

async fn shop(app: &TestApp) -> ShopId {
    app.store.first_shop().await.unwrap().unwrap().id
}

async fn product(app: &TestApp, title: &str) -> i64 {
    app.store.product_by_title(shop(app).await, title).await.unwrap().unwrap().id.0
}

/// A plan with the rice in its lineup, three segments, and `auto` rows.
async fn plan(app: &TestApp, auto: &[(&str, String)]) -> Vec<(String, String)> {
    let rice = product(app, RICE).await.to_string();
    let mut pairs: Vec<(String, String)> = [
        ("title", "自动化专场"),
        ("scheduled_start", "2026-11-26T20:00"),
        ("lineup_1_product", rice.as_str()),
        ("lineup_1_role", "traffic"),
        ("run_1_kind", "opening"),
        ("run_1_title", "开场"),
        ("run_1_start_offset_minutes", "0"),
        ("run_1_minutes", "5"),
        ("run_2_kind", "product"),
        ("run_2_title", "讲大米"),
        ("run_2_start_offset_minutes", "5"),
        ("run_2_minutes", "15"),
        ("run_3_kind", "closing"),
        ("run_3_title", "收尾"),
        ("run_3_start_offset_minutes", "20"),
        ("run_3_minutes", "10"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    pairs.extend(auto.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    pairs
}

async fn post(s: &Signed, app: &TestApp, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.post_form(app, path, &fields).await
}

fn sound_rows(rice: i64) -> Vec<(&'static str, String)> {
    vec![
        ("auto_1_kind", "push_card".into()),
        ("auto_1_product", rice.to_string()),
        ("auto_1_segment", "2".into()),
        ("auto_2_kind", "lottery".into()),
        ("auto_2_every_minutes", "10".into()),
        ("auto_2_times", "3".into()),
        ("auto_2_prize", "大米一袋".into()),
        ("auto_2_winners", "2".into()),
        ("auto_2_keyword", "新米".into()),
        ("auto_2_duration_secs", "120".into()),
        ("auto_3_kind", "reminder".into()),
        ("auto_3_at", "20:30".into()),
        ("auto_3_text", "满199减30券已可领取".into()),
    ]
}

/// The show's room id from a redirect to its page.
fn show_id(r: &reqwest::Response) -> i64 {
    let to = r.headers()["location"].to_str().unwrap();
    to.strip_prefix("/live/shows/").unwrap().parse().unwrap()
}

#[tokio::test]
async fn actions_saved_with_a_plan_keep_their_ids_and_reach_the_console() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let rice = product(&app, RICE).await;
    let r = post(&op, &app, "/live/shows/new", &plan(&app, &sound_rows(rice)).await).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let id = show_id(&r);
    let shop = shop(&app).await;
    let saved = app.store.show_actions(shop, RoomId(id)).await.unwrap();
    let specs: Vec<&ActionSpec> = saved.iter().map(|a| &a.spec).collect();
    assert_eq!(specs[0], &ActionSpec::PushCard { product: ProductId(rice), segment: 1 });
    assert_eq!(
        specs[1],
        &ActionSpec::Lottery {
            every_minutes: 10,
            from_segment: None,
            times: Some(3),
            prize: "大米一袋".into(),
            winners: 2,
            keyword: Some("新米".into()),
            duration_secs: 120,
        }
    );
    assert_eq!(
        specs[2],
        &ActionSpec::Reminder {
            at: ClockTime::parse("at", "20:30").unwrap(),
            text: "满199减30券已可领取".into(),
            coupon: None
        }
    );

    // The edit form shows them with their ids; saving it again without the
    // lottery keeps the other two ids and drops the lottery.
    let form = op.get(&app, &format!("/live/shows/{id}/edit")).await.text().await.unwrap();
    assert_eq!(hidden_input(&form, "auto_1_id"), Some(saved[0].id.to_string()));
    assert_eq!(hidden_input(&form, "auto_3_at").as_deref(), Some("20:30"));
    assert_eq!(hidden_input(&form, "auto_2_every_minutes").as_deref(), Some("10"));
    let mut rows: Vec<(&str, String)> =
        sound_rows(rice).into_iter().filter(|(k, _)| !k.starts_with("auto_2_")).collect();
    rows.push(("auto_1_id", saved[0].id.to_string()));
    rows.push(("auto_3_id", saved[2].id.to_string()));
    rows.push(("auto_3_text", "20:30 领券".into()));
    rows.retain(|(k, v)| *k != "auto_3_text" || v == "20:30 领券");
    let r = post(&op, &app, &format!("/live/shows/{id}/edit"), &plan(&app, &rows).await).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let again = app.store.show_actions(shop, RoomId(id)).await.unwrap();
    assert_eq!(again.iter().map(|a| a.id).collect::<Vec<_>>(), [saved[0].id, saved[2].id]);
    assert!(matches!(&again[1].spec, ActionSpec::Reminder { text, .. } if text == "20:30 领券"));

    // The room loads them: a console gets the pending list.
    let cookie = session_cookie(&app, "assistant").await;
    let mut request =
        app.url(&format!("/ws/rooms/{id}/console")).replacen("http://", "ws://", 1).into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookie.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let frame = loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = message else { continue };
        let value: Value = serde_json::from_str(text.as_str()).unwrap();
        if value["type"] == "automation" {
            break value;
        }
    };
    let ids: Vec<i64> = frame["actions"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [saved[2].id, saved[0].id], "the reminder has a time; the card waits for segment 2");
    let reminder_due = ClockTime::parse("at", "20:30")
        .unwrap()
        .first_at_or_after(zhibo_domain::localtime::parse_shop_time("t", "2026-11-26T20:00").unwrap());
    assert_eq!(frame["actions"][0]["due_at_ms"], reminder_due.0);
    assert_eq!(frame["actions"][1]["waiting_for_segment"], 1);
    assert_eq!(frame["actions"][1]["detail"], RICE);
}

#[tokio::test]
async fn bad_action_rows_are_named_by_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let shop = shop(&app).await;
    let before = app.store.shows_of_shop(shop).await.unwrap().len();
    let tea = product(&app, TEA).await; // not in this plan's lineup
    let rows = vec![
        ("auto_1_kind", "push_card".to_owned()),
        ("auto_1_product", tea.to_string()),
        ("auto_1_segment", "2".into()),
        ("auto_2_kind", "lottery".into()),
        ("auto_2_every_minutes", "0".into()),
        ("auto_2_prize", "大米一袋".into()),
        ("auto_2_winners", "1".into()),
        ("auto_2_duration_secs", "60".into()),
        ("auto_3_kind", "reminder".into()),
        ("auto_3_at", "25:00".into()),
        ("auto_3_text", "领券".into()),
        ("auto_3_coupon", "987654".into()),
    ];
    let r = post(&op, &app, "/live/shows/new", &plan(&app, &rows).await).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("#form-errors li").unwrap();
    let errors: Vec<(String, String)> = doc
        .select(&sel)
        .map(|e| (e.value().attr("data-field").unwrap().to_owned(), e.text().collect::<String>()))
        .collect();
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["auto_1_product", "auto_2_every_minutes", "auto_3_at", "auto_3_coupon"]);
    assert!(errors[0].1.starts_with("自动动作第1行 / action row 1: 商品"), "{}", errors[0].1);
    assert!(errors[0].1.contains("is not in this show's lineup"), "{}", errors[0].1);
    assert!(errors[1].1.contains("间隔须在 1 到 600 分钟 / every_minutes must be 1 to 600"), "{}", errors[1].1);
    assert!(errors[2].1.contains("时间格式应为 20:30 / expected a clock time like 20:30"), "{}", errors[2].1);
    // what was typed is kept, the field marked
    assert_eq!(hidden_input(&page, "auto_3_at").as_deref(), Some("25:00"));
    assert!(page.contains("id=\"e-auto_2_every_minutes\""));
    assert_eq!(app.store.shows_of_shop(shop).await.unwrap().len(), before, "nothing saved");

    // A lottery the room would refuse (too short) is refused here too.
    let rows = vec![
        ("auto_1_kind", "lottery".to_owned()),
        ("auto_1_every_minutes", "10".into()),
        ("auto_1_prize", "大米一袋".into()),
        ("auto_1_winners", "1".into()),
        ("auto_1_duration_secs", "1".into()),
    ];
    let r = post(&op, &app, "/live/shows/new", &plan(&app, &rows).await).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("data-field=\"auto_1_duration_secs\""), "the room's own limit names the field");
    assert_eq!(app.store.shows_of_shop(shop).await.unwrap().len(), before);
}

/// The `zhibo_session=...` cookie of a fresh API sign-in.
async fn session_cookie(app: &TestApp, username: &str) -> String {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": username, "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies = set_cookies(r.headers());
    let session = cookies.iter().find(|c| c.starts_with("zhibo_session=")).expect("a session cookie");
    session.split(';').next().unwrap().to_owned()
}
