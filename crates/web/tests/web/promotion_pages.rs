//! The 促销 pages: the list with rules in words and statuses from the clock,
//! one create form per kind, the on/off switch, and the same refusals as
//! the API.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zhibo_domain::ShopId;
use zhibo_store::{CatalogStore, ShopStore};

/// T0 (2026-11-25 12:00 UTC) as a Beijing wall clock, and a day later.
const START: &str = "2026-11-25T20:00";
const END: &str = "2026-11-26T20:00";

async fn shop(app: &TestApp) -> ShopId {
    app.store.first_shop().await.unwrap().unwrap().id
}

/// The demo product `title`'s id and its first SKU's id, as form values.
async fn ids(app: &TestApp, title: &str) -> (String, String) {
    let shop = shop(app).await;
    let p = app.store.product_by_title(shop, title).await.unwrap().unwrap();
    let sku = app.store.product(shop, p.id).await.unwrap().unwrap().skus[0].id;
    (p.id.0.to_string(), sku.0.to_string())
}

const TEA: &str = "云南古树普洱茶 357g";
const RICE: &str = "五常稻花香大米 5kg";

/// One row of the list, by promotion name: (kind, window, rule, budget, coupons, status).
struct Row {
    kind: String,
    window: String,
    rule: String,
    budget: String,
    coupons: String,
    status: String,
    status_code: String,
    id: i64,
}

fn rows(page: &str) -> Vec<(String, Row)> {
    let doc = scraper::Html::parse_document(page);
    let tr = scraper::Selector::parse("#promotions tbody tr").unwrap();
    let cell = |row: &scraper::ElementRef, css: &str| {
        let sel = scraper::Selector::parse(css).unwrap();
        row.select(&sel).next().map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
    };
    doc.select(&tr)
        .map(|row| {
            let name = cell(&row, "td.name").unwrap();
            let r = Row {
                kind: cell(&row, "td.kind").unwrap(),
                window: cell(&row, "td.window").unwrap(),
                rule: cell(&row, "td.rule").unwrap(),
                budget: cell(&row, "td.budget").unwrap(),
                coupons: cell(&row, "td.coupons").unwrap(),
                status: cell(&row, ".status").unwrap(),
                status_code: row.value().attr("data-status").unwrap().to_owned(),
                id: row.value().attr("data-promotion").unwrap().parse().unwrap(),
            };
            (name, r)
        })
        .collect()
}

fn row<'a>(rows: &'a [(String, Row)], name: &str) -> &'a Row {
    &rows.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no row {name}")).1
}

fn attr(html: &str, css: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

async fn list(s: &Signed, app: &TestApp) -> String {
    let r = s.get(app, "/promotions").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn api_list(app: &TestApp) -> Vec<Value> {
    let api = app.api_signed_in("operator").await;
    api.get(app, "/api/v1/promotions").await.json().await.unwrap()
}

async fn create(s: &Signed, app: &TestApp, kind: &str, fields: &[(&str, &str)]) {
    let r = s.post_form(app, &format!("/promotions/new/{kind}"), fields).await;
    let status = r.status();
    let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/promotions")),
        "{kind}: {}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn each_kind_is_created_through_its_form_and_listed_with_its_rule_in_words() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let (tea, _) = ids(&app, TEA).await;
    let (_, rice_sku) = ids(&app, RICE).await;

    for kind in ["full_reduction", "quantity_discount", "coupon", "live_price", "gift"] {
        let page = op.get(&app, &format!("/promotions/new/{kind}")).await.text().await.unwrap();
        assert!(page.contains("id=\"promotion-form\""), "{kind}");
        assert!(page.contains("UTC+08:00"), "{kind}: the form states the time zone");
    }
    // a new form opens on the next whole hour, Beijing time
    let page = op.get(&app, "/promotions/new/full_reduction").await.text().await.unwrap();
    assert_eq!(hidden_input(&page, "starts_at").as_deref(), Some("2026-11-25T21:00"));

    create(
        &op,
        &app,
        "full_reduction",
        &[
            ("name", "双十二满减"),
            ("starts_at", START),
            ("ends_at", END),
            ("form", "tiers"),
            ("tier_threshold_1", "300"),
            ("tier_off_1", "40"),
            ("tier_threshold_2", "500"),
            ("tier_off_2", "80"),
            ("tier_threshold_3", ""),
            ("tier_off_3", ""),
            ("scope", "shop"),
            ("budget", "10000"),
        ],
    )
    .await;
    create(
        &op,
        &app,
        "full_reduction",
        &[
            ("name", "每满减"),
            ("starts_at", START),
            ("ends_at", END),
            ("form", "repeating"),
            ("every", "100"),
            ("off", "10"),
            ("max_times", "5"),
            ("scope", "products"),
            ("products", &tea),
        ],
    )
    .await;
    create(
        &op,
        &app,
        "quantity_discount",
        &[
            ("name", "多买多省"),
            ("starts_at", END),
            ("ends_at", "2026-11-27T20:00"),
            ("tier_items_1", "2"),
            ("tier_zhe_1", "9"),
            ("tier_items_2", "3"),
            ("tier_zhe_2", "8.5"),
            ("scope", "shop"),
        ],
    )
    .await;
    create(
        &op,
        &app,
        "coupon",
        &[
            ("name", "满100减15券"),
            ("claim_starts_at", START),
            ("claim_ends_at", END),
            ("use_starts_at", START),
            ("use_ends_at", "2026-12-02T20:00"),
            ("threshold", "100"),
            ("benefit", "amount"),
            ("amount_off", "15"),
            ("total_quantity", "100"),
            ("per_buyer_limit", "1"),
            ("scope", "shop"),
        ],
    )
    .await;
    create(
        &op,
        &app,
        "coupon",
        &[
            ("name", "普洱九折券"),
            ("claim_starts_at", START),
            ("claim_ends_at", END),
            ("use_starts_at", START),
            ("use_ends_at", END),
            ("threshold", "0"),
            ("benefit", "percent"),
            ("amount_off", ""),
            ("percent_off", "10"),
            ("cap", "20"),
            ("total_quantity", "50"),
            ("per_buyer_limit", "2"),
            ("scope", "products"),
            ("products", &tea),
        ],
    )
    .await;
    create(
        &op,
        &app,
        "live_price",
        &[
            ("name", "普洱直播价"),
            ("starts_at", START),
            ("ends_at", END),
            ("product", &tea),
            ("price", "199"),
            ("show", "3"),
        ],
    )
    .await;
    create(
        &op,
        &app,
        "gift",
        &[
            ("name", "满199赠大米"),
            ("starts_at", START),
            ("ends_at", END),
            ("threshold", "199"),
            ("gift_sku", &rice_sku),
            ("quantity", "1"),
            ("scope", "shop"),
        ],
    )
    .await;

    let page = list(&op, &app).await;
    assert!(text_of(&page, "#promotion-notes").unwrap().contains("UTC+08:00"));
    let rows = rows(&page);
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["满199赠大米", "普洱直播价", "普洱九折券", "满100减15券", "多买多省", "每满减", "双十二满减"],
        "newest first"
    );

    let r = row(&rows, "双十二满减");
    assert_eq!(r.kind, "满减 spend-and-save");
    assert_eq!(r.rule, "满300减40、满500减80（全店）");
    assert_eq!(r.window, "2026-11-25 20:00 – 2026-11-26 20:00");
    assert_eq!(r.budget, "¥10000.00 / ¥0.00");
    assert_eq!((r.coupons.as_str(), r.status.as_str()), ("—", "进行中"));
    assert_eq!(row(&rows, "每满减").rule, format!("每满100减10，最多5次（限：{TEA}）"));
    let r = row(&rows, "多买多省");
    assert_eq!((r.rule.as_str(), r.status.as_str()), ("2件9折、3件8.5折（全店）", "未开始"));
    let r = row(&rows, "满100减15券");
    assert_eq!(r.rule, "满100减15券 ×100张 每人1张（全店）");
    assert_eq!(r.coupons, "0/100");
    assert_eq!(r.window, "领取 2026-11-25 20:00 – 2026-11-26 20:00 使用 2026-11-25 20:00 – 2026-12-02 20:00");
    assert_eq!(r.budget, "不限 / ¥0.00");
    assert_eq!(row(&rows, "普洱九折券").rule, format!("无门槛享9折券（最多减20） ×50张 每人2张（限：{TEA}）"));
    assert_eq!(row(&rows, "普洱直播价").rule, format!("{TEA} 直播价 ¥199.00（仅场次#3）"));
    assert_eq!(row(&rows, "满199赠大米").rule, format!("满199赠 {RICE} ×1（全店）"));

    // the windows were read as Beijing time: 20:00 there is 12:00 UTC, T0
    let stored = api_list(&app).await;
    let reduction = stored.iter().find(|p| p["name"] == "双十二满减").unwrap();
    assert_eq!(reduction["starts_at_ms"].as_i64(), Some(T0.0));
    assert_eq!(reduction["budget_fen"].as_i64(), Some(1_000_000));
    let live = stored.iter().find(|p| p["name"] == "普洱直播价").unwrap();
    assert_eq!((live["show_id"].as_i64(), live["rule"]["items"][0]["price"].as_i64()), (Some(3), Some(19_900)));

    // the statuses follow the clock (a day on, the sign-in has expired too)
    app.clock.advance_secs(24 * 3600);
    let op = app.signed_in("operator").await;
    let rows = self::rows(&list(&op, &app).await);
    assert_eq!(row(&rows, "双十二满减").status, "已结束");
    assert_eq!(row(&rows, "多买多省").status, "进行中");
    assert_eq!(row(&rows, "满100减15券").status, "进行中", "usable until 12-02");

    // and the English page says the rules in English
    op.get(&app, "/lang/en").await;
    let rows = self::rows(&list(&op, &app).await);
    let r = row(&rows, "双十二满减");
    assert_eq!((r.rule.as_str(), r.status.as_str()), ("spend ¥300 save ¥40; spend ¥500 save ¥80 (shop-wide)", "Ended"));
    assert_eq!(row(&rows, "满100减15券").rule, "coupon ¥15 off on ¥100 or more × 100, 1 per buyer (shop-wide)");
}

#[tokio::test]
async fn a_bad_form_is_a_422_with_the_field_marked_what_was_typed_kept_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;

    // overlapping tiers
    let r = op
        .post_form(
            &app,
            "/promotions/new/full_reduction",
            &[
                ("name", "重叠"),
                ("starts_at", START),
                ("ends_at", END),
                ("form", "tiers"),
                ("tier_threshold_1", "300"),
                ("tier_off_1", "40"),
                ("tier_threshold_2", "300"),
                ("tier_off_2", "50"),
                ("scope", "shop"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert_eq!(attr(&page, "fieldset#tiers", "aria-invalid").as_deref(), Some("true"));
    assert!(text_of(&page, "#e-tiers").unwrap().contains("档位重复或重叠"), "{page}");
    assert_eq!(hidden_input(&page, "tier_threshold_2").as_deref(), Some("300"));
    assert_eq!(hidden_input(&page, "tier_off_2").as_deref(), Some("50"));
    assert_eq!(hidden_input(&page, "name").as_deref(), Some("重叠"));

    // an end before its start
    let r = op
        .post_form(
            &app,
            "/promotions/new/quantity_discount",
            &[
                ("name", "倒序"),
                ("starts_at", START),
                ("ends_at", "2026-11-25T19:00"),
                ("tier_items_1", "2"),
                ("tier_zhe_1", "9"),
                ("scope", "shop"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert_eq!(attr(&page, "#f-ends_at", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(attr(&page, "#f-starts_at", "aria-invalid"), None, "only the wrong field is marked");
    assert_eq!(hidden_input(&page, "ends_at").as_deref(), Some("2026-11-25T19:00"));
    assert!(text_of(&page, "#e-ends_at").unwrap().contains("结束时间须晚于开始时间"));

    // a coupon worth more than its threshold: the API's words, on the page
    let coupon = [
        ("name", "满10减20"),
        ("claim_starts_at", START),
        ("claim_ends_at", END),
        ("use_starts_at", START),
        ("use_ends_at", END),
        ("threshold", "10"),
        ("benefit", "amount"),
        ("amount_off", "20"),
        ("total_quantity", "100"),
        ("per_buyer_limit", "1"),
        ("scope", "shop"),
    ];
    let r = op.post_form(&app, "/promotions/new/coupon", &coupon).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert_eq!(attr(&page, "#f-amount_off", "aria-invalid").as_deref(), Some("true"));
    let on_page = text_of(&page, "#e-amount_off").unwrap();
    assert!(on_page.contains("优惠金额须小于使用门槛"), "{on_page}");
    let api = app.api_signed_in("operator").await;
    let body = json!({
        "name": "满10减20", "scope": "shop", "threshold": 1000, "benefit": {"amount_off": 2000},
        "total_quantity": 100, "per_buyer_limit": 1, "claim_starts_at": T0.0, "claim_ends_at": T0.0 + 86_400_000,
        "use_starts_at": T0.0, "use_ends_at": T0.0 + 86_400_000, "budget": null
    });
    let (status, e) = api_error(api.send_json(&app, Method::POST, "/api/v1/coupons", &body.to_string()).await).await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_off")));
    assert_eq!(e["fields"][0]["message"].as_str(), Some(on_page.as_str()), "the same message on both");

    // more than two decimals of a yuan is refused, not rounded
    let r = op
        .post_form(
            &app,
            "/promotions/new/full_reduction",
            &[
                ("name", "小数"),
                ("starts_at", START),
                ("ends_at", END),
                ("form", "tiers"),
                ("tier_threshold_1", "12.345"),
                ("tier_off_1", "1"),
                ("scope", "shop"),
                ("budget", "abc"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert_eq!(attr(&page, "#f-tier_threshold_1", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(hidden_input(&page, "tier_threshold_1").as_deref(), Some("12.345"));
    assert!(text_of(&page, "#e-tier_threshold_1").unwrap().contains("最多两位小数"));
    assert_eq!(attr(&page, "#f-budget", "aria-invalid").as_deref(), Some("true"), "every wrong field at once");
    assert_eq!(hidden_input(&page, "budget").as_deref(), Some("abc"));

    // a time that is not a time
    let r = op
        .post_form(
            &app,
            "/promotions/new/live_price",
            &[("name", "直播价"), ("starts_at", "明天"), ("ends_at", END), ("product", ""), ("price", "-1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    for field in ["starts_at", "price"] {
        assert_eq!(attr(&page, &format!("#f-{field}"), "aria-invalid").as_deref(), Some("true"), "{field}");
    }
    assert_eq!(attr(&page, "#f-product", "aria-invalid").as_deref(), Some("true"));
    assert!(text_of(&page, "#e-price").unwrap().contains("不能为负"));

    // htmx gets the form alone, with the same marks, as a 200 it will swap in
    let r = op
        .client
        .post(app.url("/promotions/new/coupon"))
        .header("hx-request", "true")
        .header("x-csrf-token", &op.csrf)
        .form(&coupon)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let partial = r.text().await.unwrap();
    assert!(partial.trim_start().starts_with("<form") && !partial.contains("<html"), "{partial}");
    assert_eq!(attr(&partial, "#f-amount_off", "aria-invalid").as_deref(), Some("true"));

    assert!(api_list(&app).await.is_empty(), "nothing was saved");
    assert!(list(&op, &app).await.contains("id=\"no-promotions\""));
}

#[tokio::test]
async fn an_htmx_create_is_told_where_to_go_rather_than_swapping_in_a_page() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let r = op
        .client
        .post(app.url("/promotions/new/quantity_discount"))
        .header("hx-request", "true")
        .header("x-csrf-token", &op.csrf)
        .form(&[
            ("name", "两件九折"),
            ("starts_at", START),
            ("ends_at", END),
            ("tier_items_1", "2"),
            ("tier_zhe_1", "9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), r.headers()["hx-redirect"].to_str().unwrap()), (StatusCode::OK, "/promotions"));
    assert_eq!(api_list(&app).await.len(), 1);
}

#[tokio::test]
async fn the_switch_turns_a_promotion_off_and_on_and_the_api_agrees() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    create(
        &op,
        &app,
        "full_reduction",
        &[
            ("name", "满300减40"),
            ("starts_at", START),
            ("ends_at", END),
            ("tier_threshold_1", "300"),
            ("tier_off_1", "40"),
            ("scope", "shop"),
        ],
    )
    .await;
    let page = list(&op, &app).await;
    let id = row(&rows(&page), "满300减40").id;
    assert_eq!(hidden_input(&page, "active").as_deref(), Some("false"), "an active row offers to switch off");

    let r = op.post_form(&app, &format!("/promotions/{id}/active"), &[("active", "false")]).await;
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/promotions"));
    let page = list(&op, &app).await;
    let listed = rows(&page);
    let r = row(&listed, "满300减40");
    assert_eq!((r.status.as_str(), r.status_code.as_str()), ("已停用", "off"));
    assert_eq!(hidden_input(&page, "active").as_deref(), Some("true"));
    assert_eq!(api_list(&app).await[0]["active"], false);

    op.post_form(&app, &format!("/promotions/{id}/active"), &[("active", "true")]).await;
    assert_eq!(row(&rows(&list(&op, &app).await), "满300减40").status, "进行中");
    assert_eq!(api_list(&app).await[0]["active"], true);

    // a promotion that does not exist, or a wrong value, changes nothing
    assert_eq!(
        op.post_form(&app, "/promotions/99999/active", &[("active", "false")]).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = op.post_form(&app, &format!("/promotions/{id}/active"), &[("active", "maybe")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // and the switch needs the form's CSRF token
    let r =
        op.client.post(app.url(&format!("/promotions/{id}/active"))).form(&[("active", "false")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(api_list(&app).await[0]["active"], true);
}

#[tokio::test]
async fn flash_sales_from_the_api_are_listed_but_have_no_form_here() {
    let app = TestApp::spawn().await;
    let (_, tea_sku) = ids(&app, TEA).await;
    let api = app.api_signed_in("operator").await;
    let body = json!({
        "name": "整点秒杀", "starts_at_ms": T0.0, "ends_at_ms": T0.0 + 3_600_000,
        "rule": {"kind": "flash_sale", "show": null, "items": [
            {"sku": tea_sku.parse::<i64>().unwrap(), "price": 9_900, "quantity": 100, "per_buyer_limit": 1}
        ]}
    });
    let r = api.send_json(&app, Method::POST, "/api/v1/promotions", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let op = app.signed_in("operator").await;
    let page = list(&op, &app).await;
    assert!(text_of(&page, "#promotion-notes").unwrap().contains("秒杀请在直播中控台设置"));
    let listed = rows(&page);
    let r = row(&listed, "整点秒杀");
    assert_eq!(r.kind, "秒杀价 flash-sale price");
    assert_eq!(r.rule, format!("{TEA}（规格=单饼357g） 秒杀价 ¥99.00 ×100件 每人限1件"));
    let r = op.get(&app, "/promotions/new/flash_sale").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(text_of(&r.text().await.unwrap(), "#error-message").as_deref(), Some("秒杀请在直播中控台设置。"));
    // there is no create button for it either
    assert!(!page.contains("/promotions/new/flash_sale"));
}

#[tokio::test]
async fn a_streamer_cannot_open_or_post_the_promotion_pages_and_the_navigation_hides_them() {
    let app = TestApp::spawn().await;
    let streamer = app.signed_in("streamer").await;
    for path in ["/promotions", "/promotions/new/coupon"] {
        assert_eq!(streamer.get(&app, path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = streamer
        .post_form(
            &app,
            "/promotions/new/quantity_discount",
            &[("name", "x"), ("starts_at", START), ("ends_at", END), ("tier_items_1", "2"), ("tier_zhe_1", "9")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        streamer.post_form(&app, "/promotions/1/active", &[("active", "false")]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(api_list(&app).await.is_empty());
    assert!(!streamer.get(&app, "/account").await.text().await.unwrap().contains("href=\"/promotions\""));

    let op = app.signed_in("operator").await;
    let page = op.get(&app, "/promotions").await.text().await.unwrap();
    assert_eq!(attr(&page, "nav.areas a[href='/promotions']", "aria-current").as_deref(), Some("page"));
    let dashboard = op.get(&app, "/dashboard").await.text().await.unwrap();
    assert!(dashboard.contains("href=\"/promotions\""), "the operator's navigation offers it");
}
