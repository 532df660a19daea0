//! The 直播场次 pages under `/live`: the list by scheduled start, the plan
//! form with its lineup and run-sheet rows (every wrong field marked beside
//! itself, what was typed kept, nothing saved), the detail with push and
//! segment times in Beijing time, 开播 / 下播 with their events in the
//! room's log, and who may see and plan.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use zhibo_domain::ShopId;
use zhibo_store::{AccountStore, CatalogStore, ShopStore, ShowStore};

const TEA: &str = "云南古树普洱茶 357g";
const RICE: &str = "五常稻花香大米 5kg";
/// A day after T0 (2026-11-25 12:00 UTC), as a Beijing wall clock.
const START: &str = "2026-11-26T20:00";

async fn shop(app: &TestApp) -> ShopId {
    app.store.first_shop().await.unwrap().unwrap().id
}

async fn product(app: &TestApp, title: &str) -> String {
    app.store.product_by_title(shop(app).await, title).await.unwrap().unwrap().id.0.to_string()
}

async fn user(app: &TestApp, username: &str) -> String {
    let users = app.store.users_of_shop(shop(app).await).await.unwrap();
    users.iter().find(|u| u.username == username).unwrap().id.0.to_string()
}

/// A sound plan as form fields: two lineup rows with a blank row between
/// them, three run-sheet rows with a blank row between them.
async fn plan(app: &TestApp) -> Vec<(String, String)> {
    let (rice, tea) = (product(app, RICE).await, product(app, TEA).await);
    let pairs = [
        ("title", "周末粮油专场"),
        ("intro", "新米上市"),
        ("scheduled_start", START),
        ("streamer", &user(app, "streamer").await),
        ("assistant", &user(app, "assistant").await),
        ("promotion_budget", "500"),
        ("lineup_1_product", &rice),
        ("lineup_1_role", "traffic"),
        ("lineup_1_live_price", "59.9"),
        ("lineup_1_push_offset_minutes", "5"),
        ("lineup_1_talking_points", "当季新米"),
        ("lineup_2_product", ""),
        ("lineup_2_role", ""),
        ("lineup_2_live_price", ""),
        ("lineup_2_push_offset_minutes", ""),
        ("lineup_2_talking_points", ""),
        ("lineup_3_product", &tea),
        ("lineup_3_role", "profit"),
        ("lineup_3_live_price", ""),
        ("lineup_3_push_offset_minutes", "20"),
        ("lineup_3_talking_points", "古树单株"),
        ("run_1_kind", "opening"),
        ("run_1_title", "开场暖场"),
        ("run_1_start_offset_minutes", "0"),
        ("run_1_minutes", "5"),
        ("run_2_kind", ""),
        ("run_2_title", ""),
        ("run_2_start_offset_minutes", ""),
        ("run_2_minutes", ""),
        ("run_3_kind", "product"),
        ("run_3_title", "讲大米"),
        ("run_3_start_offset_minutes", "5"),
        ("run_3_minutes", "15"),
        ("run_4_kind", "closing"),
        ("run_4_title", "收尾"),
        ("run_4_start_offset_minutes", "20"),
        ("run_4_minutes", "10"),
    ];
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
    pairs.iter_mut().find(|(k, _)| k == name).unwrap_or_else(|| panic!("no field {name}")).1 = value.to_owned();
}

async fn post(s: &Signed, app: &TestApp, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.post_form(app, path, &fields).await
}

fn attr(html: &str, css: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

/// Text of every element matching `css`, whitespace collapsed.
fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel).map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

/// The chosen option's value of a select.
fn selected(html: &str, name: &str) -> Option<String> {
    attr(html, &format!("select[name=\"{name}\"] option[selected]"), "value")
}

async fn show_count(app: &TestApp) -> usize {
    app.store.shows_of_shop(shop(app).await).await.unwrap().len()
}

/// Creates the plan through the form; returns the new show's id.
async fn create(app: &TestApp, s: &Signed) -> i64 {
    let r = post(s, app, "/live/shows/new", &plan(app).await).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    to.strip_prefix("/live/shows/").unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_show_planned_on_the_form_is_listed_and_detailed_in_beijing_time() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let form = op.get(&app, "/live/shows/new").await;
    assert_eq!(form.status(), StatusCode::OK);
    let form = form.text().await.unwrap();
    // eight lineup rows and six run-sheet rows; the start defaults to the next hour
    assert_eq!(texts(&form, "#lineup-rows tbody tr").len(), 8);
    assert_eq!(texts(&form, "#run-sheet-rows tbody tr").len(), 6);
    assert_eq!(hidden_input(&form, "scheduled_start").as_deref(), Some("2026-11-25T21:00"));
    // a viewer cannot present a show
    assert!(!texts(&form, "select[name=streamer] option").iter().any(|o| o.contains("观众")));

    let id = create(&app, &op).await;
    let list = op.get(&app, "/live").await.text().await.unwrap();
    let row = format!("#shows tr[data-show=\"{id}\"]");
    assert_eq!(texts(&list, &format!("{row} td.title")), ["周末粮油专场"]);
    assert_eq!(attr(&list, &row, "data-state").as_deref(), Some("planned"));
    assert_eq!(texts(&list, &format!("{row} .status")), ["未开播 planned"]);
    assert_eq!(texts(&list, &format!("{row} td.start")), ["2026-11-26 20:00"]);
    assert_eq!(texts(&list, &format!("{row} td.streamer")), ["主播 小雨"]);
    assert_eq!(texts(&list, &format!("{row} td.lineup")), ["2"]);
    // by scheduled start: the demo show (tonight) comes before this one
    let titles = texts(&list, "#shows td.title");
    let demo = titles.iter().position(|t| t == zhibo_web::demo::DEMO_SHOW).unwrap();
    assert!(demo < titles.iter().position(|t| t == "周末粮油专场").unwrap(), "{titles:?}");

    let page = op.get(&app, &format!("/live/shows/{id}")).await.text().await.unwrap();
    assert_eq!(texts(&page, "#lineup td.product"), [RICE, TEA]);
    assert_eq!(texts(&page, "#lineup td.role"), ["引流款 traffic", "利润款 profit"]);
    assert_eq!(texts(&page, "#lineup td.price")[0], "¥69.90");
    assert_eq!(texts(&page, "#lineup td.live-price"), ["¥59.90", "—"]);
    assert_eq!(texts(&page, "#lineup td.push-at"), ["2026-11-26 20:05", "2026-11-26 20:20"]);
    assert_eq!(texts(&page, "#lineup td.talking-points"), ["当季新米", "古树单株"]);
    assert_eq!(
        texts(&page, "#run-sheet td.planned"),
        [
            "2026-11-26 20:00 – 2026-11-26 20:05",
            "2026-11-26 20:05 – 2026-11-26 20:20",
            "2026-11-26 20:20 – 2026-11-26 20:30"
        ]
    );
    assert_eq!(texts(&page, "#run-sheet td.kind"), ["开场 opening", "讲品 product", "收尾 closing"]);
    assert_eq!(texts(&page, "#streamer"), ["主播 小雨"]);
    assert_eq!(texts(&page, "#assistant"), ["场控 阿杰"]);
    assert_eq!(texts(&page, "#budget"), ["¥500.00"]);
    assert!(page.contains("id=\"start-show\"") && !page.contains("id=\"end-show\""));
}

#[tokio::test]
async fn a_wrong_plan_is_marked_field_by_field_keeps_what_was_typed_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let before = show_count(&app).await;
    let mut bad = plan(&app).await;
    set(&mut bad, "lineup_3_live_price", "9999"); // above the tea's price
    set(&mut bad, "run_3_start_offset_minutes", "3"); // runs into the opening (0–5)
    set(&mut bad, "promotion_budget", "1.234");
    let r = post(&op, &app, "/live/shows/new", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    // blank rows moved last, so "row 2" in a message is row 2 on screen
    let fields: Vec<String> = {
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse("#form-errors li").unwrap();
        doc.select(&sel).map(|e| e.value().attr("data-field").unwrap().to_owned()).collect()
    };
    assert_eq!(fields, ["promotion_budget", "lineup_2_live_price", "run_2_start_offset_minutes"]);
    let live = texts(&page, "#e-lineup_2_live_price").join("");
    assert!(live.contains("第2行") && live.contains("above the price"), "{live}");
    let overlap = texts(&page, "#e-run_2_start_offset_minutes").join("");
    assert!(overlap.contains("第2段与第1段时间重叠") && overlap.contains("segment 2 overlaps segment 1"), "{overlap}");
    assert_eq!(attr(&page, "#f-lineup_2_live_price", "aria-invalid").as_deref(), Some("true"));
    // everything typed is still there
    assert_eq!(hidden_input(&page, "title").as_deref(), Some("周末粮油专场"));
    assert_eq!(hidden_input(&page, "promotion_budget").as_deref(), Some("1.234"));
    assert_eq!(hidden_input(&page, "lineup_2_live_price").as_deref(), Some("9999"));
    assert_eq!(hidden_input(&page, "lineup_1_live_price").as_deref(), Some("59.9"));
    assert_eq!(selected(&page, "lineup_2_product"), Some(product(&app, TEA).await));
    assert_eq!(selected(&page, "lineup_2_role").as_deref(), Some("profit"));
    assert_eq!(selected(&page, "streamer"), Some(user(&app, "streamer").await));
    assert_eq!(hidden_input(&page, "run_2_start_offset_minutes").as_deref(), Some("3"));
    assert_eq!(hidden_input(&page, "run_3_title").as_deref(), Some("收尾"));
    assert_eq!(texts(&page, "#f-lineup_1_talking_points"), ["当季新米"]);
    assert_eq!(show_count(&app).await, before, "nothing is saved");

    // htmx gets the form alone, to swap in place
    let fields: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vec![("csrf", op.csrf.as_str())];
    all.extend(fields);
    let r = op.client.post(app.url("/live/shows/new")).header("hx-request", "true").form(&all).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let partial = r.text().await.unwrap();
    assert!(partial.trim_start().starts_with("<form") && partial.contains("id=\"e-lineup_2_live_price\""));
    assert_eq!(show_count(&app).await, before);
}

#[tokio::test]
async fn starting_and_ending_on_the_page_log_their_events_and_illegal_moves_are_refused() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let id = create(&app, &op).await;
    let assistant = app.signed_in("assistant").await;
    let (start, end) = (format!("/live/shows/{id}/start"), format!("/live/shows/{id}/end"));

    // ending a planned show: a clear message, 409, nothing logged
    let r = assistant.post_form(&app, &end, &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert!(texts(&page, "#show-refused")[0].contains("has not started"), "{page:.300}");
    assert_eq!(texts(&page, "#show-state"), ["未开播 planned"]);

    app.clock.advance_secs(90);
    let r = assistant.post_form(&app, &start, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/live/shows/{id}").as_str());
    let page = assistant.get(&app, &format!("/live/shows/{id}")).await.text().await.unwrap();
    assert_eq!(texts(&page, "#show-state"), ["直播中 live"]);
    assert_eq!(texts(&page, "#started-at"), ["2026-11-25 20:01:30"]);
    assert!(page.contains("id=\"end-show\"") && !page.contains("id=\"start-show\""));
    let list = assistant.get(&app, "/live").await.text().await.unwrap();
    assert_eq!(attr(&list, &format!("tr[data-show=\"{id}\"]"), "data-state").as_deref(), Some("live"));

    let r = assistant.post_form(&app, &start, &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "a live show does not start twice");
    assert!(texts(&r.text().await.unwrap(), "#show-refused")[0].contains("already live"));

    app.clock.advance_secs(3600);
    assert_eq!(assistant.post_form(&app, &end, &[]).await.status(), StatusCode::SEE_OTHER);
    let page = assistant.get(&app, &format!("/live/shows/{id}")).await.text().await.unwrap();
    assert_eq!(texts(&page, "#show-state"), ["已结束 ended"]);
    assert!(!page.contains("id=\"end-show\"") && !page.contains("id=\"edit-show\""));

    let events: Value = op.get(&app, &format!("/api/v1/rooms/{id}/events")).await.json().await.unwrap();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["show.started", "show.ended"]);
    assert_eq!(events[0]["payload"]["started_at_ms"], T0.0 + 90_000);

    // an ended show's plan is no longer edited
    let r = op.get(&app, &format!("/live/shows/{id}/edit")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post(&op, &app, &format!("/live/shows/{id}/edit"), &plan(&app).await).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_edit_form_shows_the_stored_plan_and_saves_changes() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("owner").await;
    let id = create(&app, &op).await;
    let form = op.get(&app, &format!("/live/shows/{id}/edit")).await.text().await.unwrap();
    assert_eq!(hidden_input(&form, "scheduled_start").as_deref(), Some(START));
    assert_eq!(hidden_input(&form, "promotion_budget").as_deref(), Some("500"));
    assert_eq!(hidden_input(&form, "lineup_1_live_price").as_deref(), Some("59.9"));
    assert_eq!(selected(&form, "lineup_2_product"), Some(product(&app, TEA).await));
    assert_eq!(selected(&form, "run_3_kind").as_deref(), Some("closing"));

    let mut changed = plan(&app).await;
    set(&mut changed, "title", "周末粮油专场（改）");
    set(&mut changed, "run_4_kind", "");
    set(&mut changed, "run_4_title", "");
    set(&mut changed, "run_4_start_offset_minutes", "");
    set(&mut changed, "run_4_minutes", "");
    let r = post(&op, &app, &format!("/live/shows/{id}/edit"), &changed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let d = app.store.show(shop(&app).await, zhibo_domain::RoomId(id)).await.unwrap().unwrap();
    assert_eq!((d.show.title.as_str(), d.run_sheet.len(), d.lineup.len()), ("周末粮油专场（改）", 2, 2));
}

#[tokio::test]
async fn a_viewer_is_refused_and_a_streamer_sees_shows_but_does_not_plan() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let id = create(&app, &op).await;
    let viewer = app.signed_in("viewer").await;
    for path in ["/live".to_owned(), format!("/live/shows/{id}"), "/live/shows/new".to_owned()] {
        assert_eq!(viewer.get(&app, &path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(viewer.post_form(&app, &format!("/live/shows/{id}/start"), &[]).await.status(), StatusCode::FORBIDDEN);

    let streamer = app.signed_in("streamer").await;
    let list = streamer.get(&app, "/live").await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    assert!(list.contains(&format!("data-show=\"{id}\"")) && !list.contains("id=\"new-show\""));
    let page = streamer.get(&app, &format!("/live/shows/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(!page.text().await.unwrap().contains("id=\"edit-show\""));
    assert_eq!(streamer.get(&app, "/live/shows/new").await.status(), StatusCode::FORBIDDEN);
    let before = show_count(&app).await;
    assert_eq!(post(&streamer, &app, "/live/shows/new", &plan(&app).await).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(show_count(&app).await, before);
    assert_eq!(streamer.get(&app, &format!("/live/shows/{id}/edit")).await.status(), StatusCode::FORBIDDEN);
    // the operator's list offers 新建场次
    assert!(op.get(&app, "/live").await.text().await.unwrap().contains("id=\"new-show\""));
}

#[tokio::test]
async fn a_missing_show_is_not_found() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    assert_eq!(op.get(&app, "/live/shows/999999").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(op.post_form(&app, "/live/shows/999999/start", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(op.get(&app, "/live/shows/999999/edit").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_show_page_leads_to_its_console_and_viewer_page() {
    let app = TestApp::spawn().await;
    use zhibo_store::{ShopStore, ShowStore};
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let show = app.store.show_by_title(shop, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let assistant = app.signed_in("assistant").await;
    let page = assistant.get(&app, &format!("/live/shows/{}", show.id)).await.text().await.unwrap();
    assert!(page.contains(&format!("href=\"/live/shows/{}/console\"", show.id)));
    assert!(page.contains(&format!("href=\"/live/shows/{}/watch\"", show.id)));
    let console = assistant.get(&app, &format!("/live/shows/{}/console", show.id)).await;
    assert_eq!(console.status(), reqwest::StatusCode::OK);
    // anyone may watch, without signing in; a viewer account may not run the console
    let watch = app.client().get(app.url(&format!("/live/shows/{}/watch", show.id))).send().await.unwrap();
    assert_eq!(watch.status(), reqwest::StatusCode::OK);
    assert!(watch.text().await.unwrap().contains("data-room="));
    let viewer = app.signed_in("viewer").await;
    assert_eq!(
        viewer.get(&app, &format!("/live/shows/{}/console", show.id)).await.status(),
        reqwest::StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client().get(app.url("/live/shows/987654/watch")).send().await.unwrap().status(),
        reqwest::StatusCode::NOT_FOUND
    );
}
