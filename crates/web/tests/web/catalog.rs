//! The product library and the stock ledger through the real server: the
//! product form and the API with the same validation, images, stock
//! changes and the ledger, and who may do any of it.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zhibo_domain::catalog::{Barcode, ProductStatus};
use zhibo_domain::{ProductId, ShopId};
use zhibo_store::{CatalogStore, ProductDetail, ShopStore, StockStore};

use crate::helpers::*;

async fn shop(app: &TestApp) -> ShopId {
    app.store.first_shop().await.unwrap().unwrap().id
}

async fn product(app: &TestApp, title: &str) -> Option<ProductDetail> {
    let shop = shop(app).await;
    let found = app.store.product_by_title(shop, title).await.unwrap()?;
    app.store.product(shop, found.id).await.unwrap()
}

async fn product_count(app: &TestApp) -> usize {
    app.store.products_of_shop(shop(app).await).await.unwrap().len()
}

fn barcode(body: &str) -> String {
    Barcode::with_check_digit(body).unwrap().as_str().to_owned()
}

/// All `data-field` names marked in a page.
fn marked_fields(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("[data-field]").unwrap();
    doc.select(&sel).filter_map(|e| e.value().attr("data-field")).map(str::to_owned).collect()
}

fn count(html: &str, css: &str) -> usize {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap()).count()
}

fn attr(html: &str, css: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

fn encode(image: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn photo(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 120]));
    encode(image::DynamicImage::ImageRgb8(img), format)
}

/// A form body for a product with SKU rows (specs, price, list price,
/// cost, weight, barcode), as the form posts it.
fn product_form<'a>(
    title: &'a str,
    rows: &'a [(&'a str, &'a str, &'a str, &'a str, &'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", title),
        ("subtitle", "遮光透气"),
        ("selling_points", "100%桑蚕丝\n\n立体遮光"),
        ("category", "家居"),
        ("brand", "丝语"),
        ("status", "on_sale"),
        ("material", "桑蚕丝"),
        ("size_chart", "尺码|头围cm\n均码|56-60"),
        ("shipping_hours", "48"),
        ("after_sales", "7天无理由退换"),
    ];
    for (specs, price, list_price, cost, weight, code) in rows {
        fields.extend([
            ("sku_id", ""),
            ("sku_specs", *specs),
            ("sku_price", *price),
            ("sku_list_price", *list_price),
            ("sku_cost", *cost),
            ("sku_weight_g", *weight),
            ("sku_barcode", *code),
        ]);
    }
    for (key, value) in extra {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value,
            None => fields.push((key, value)),
        }
    }
    fields
}

// ---------------------------------------------------------------- the form

#[tokio::test]
async fn an_operator_creates_a_product_with_skus_through_the_form_and_finds_it_in_the_list() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let page = op.get(&app, "/products/new").await.text().await.unwrap();
    assert_eq!(count(&page, "#product-form .sku-row"), 1, "a new product starts with one SKU row");
    assert!(count(&page, "label[for=title]") == 1 && count(&page, "#title") == 1, "fields have labels");

    let code = barcode("690999000001");
    let rows = [("颜色=黑", "59.90", "99", "20", "30", code.as_str()), ("颜色=粉", "59.9", "", "", "", "")];
    let r = op.post_form(&app, "/products/new", &product_form("真丝眼罩", &rows, &[("action", "save")])).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let saved = product(&app, "真丝眼罩").await.expect("saved");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/products/{}?saved=product", saved.product.id));

    let p = &saved.product;
    assert_eq!((p.status, p.subtitle.as_str(), p.brand.as_str()), (ProductStatus::OnSale, "遮光透气", "丝语"));
    assert_eq!(p.selling_points, ["100%桑蚕丝", "立体遮光"], "one line each, blank lines dropped");
    assert_eq!((p.facts.shipping_hours, p.facts.after_sales.as_str()), (Some(48), "7天无理由退换"));
    let skus: Vec<_> =
        saved.skus.iter().map(|s| (s.specs.to_string(), s.price.0, s.list_price.0, s.cost.0, s.weight_g)).collect();
    assert_eq!(skus, [("颜色=黑".into(), 5990, 9900, 2000, 30), ("颜色=粉".into(), 5990, 0, 0, 0)]);
    assert_eq!(saved.skus[0].barcode.as_deref(), Some(code.as_str()));

    let page = op.get(&app, &location).await.text().await.unwrap();
    assert_eq!(text_of(&page, "#notice").unwrap(), "商品已保存");
    assert_eq!(text_of(&page, "#size-chart tr th").unwrap(), "尺码", "the size chart is a table");
    assert_eq!(count(&page, "#sku-stock tbody tr"), 2);
    assert!(page.contains("付款后48小时内发货"));

    let list = op.get(&app, "/products").await.text().await.unwrap();
    assert!(list.contains("真丝眼罩") && list.contains("¥59.90"));
    let by_code = format!("?q={code}");
    for (query, found) in [
        ("?q=%E7%9C%BC%E7%BD%A9", true), // 眼罩
        (by_code.as_str(), true),
        ("?status=draft", false),
        ("?status=on_sale&q=%E4%B8%9D%E8%AF%AD", true), // 丝语, the brand
    ] {
        let page = op.get(&app, &format!("/products{query}")).await.text().await.unwrap();
        assert_eq!(page.contains("真丝眼罩"), found, "{query}");
    }
    let page = op.get(&app, "/products?q=nothing-like-this").await.text().await.unwrap();
    assert_eq!(text_of(&page, "#no-products").unwrap(), "没有符合条件的商品");
}

#[tokio::test]
async fn sku_rows_are_added_and_removed_without_javascript_and_nothing_is_saved_meanwhile() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let rows = [("颜色=黑", "10", "", "", "", ""), ("颜色=白", "12", "", "", "", "")];
    let r = op.post_form(&app, "/products/new", &product_form("发圈", &rows, &[("action", "add_sku")])).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert_eq!(count(&page, ".sku-row"), 3);
    assert_eq!(hidden_input(&page, "title").unwrap(), "发圈", "what was typed is kept");
    assert_eq!(attr(&page, "#sku-1-specs", "value").unwrap(), "颜色=白");
    assert_eq!(attr(&page, "#sku-2-specs", "value").unwrap(), "");

    let r = op.post_form(&app, "/products/new", &product_form("发圈", &rows, &[("action", "remove_sku_0")])).await;
    let page = r.text().await.unwrap();
    assert_eq!(count(&page, ".sku-row"), 1);
    assert_eq!(attr(&page, "#sku-0-specs", "value").unwrap(), "颜色=白");
    assert!(product(&app, "发圈").await.is_none());
    // pressing Enter submits with the first submit button: it must be "save"
    assert_eq!(attr(&page, "#product-form button[type=submit]", "value").unwrap(), "save");
}

#[tokio::test]
async fn a_wrong_form_marks_every_wrong_field_keeps_what_was_typed_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let before = product_count(&app).await;
    let rows = [("颜色=黑", "abc", "", "", "", ""), ("颜色=黑", "10", "5", "-1", "1.5", "123")];
    let form = product_form("", &rows, &[("shipping_hours", "两天"), ("action", "save")]);
    let r = op.post_form(&app, "/products/new", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let marked = marked_fields(&page);
    for field in [
        "title",
        "shipping_hours",
        "skus[0].price",
        "skus[1].list_price",
        "skus[1].cost",
        "skus[1].weight_g",
        "skus[1].barcode",
        "skus[1].specs",
    ] {
        assert!(marked.iter().any(|m| m == field), "{field} not marked in {marked:?}");
    }
    assert_eq!(attr(&page, "#sku-0-price", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(attr(&page, "#sku-0-price", "value").as_deref(), Some("abc"), "kept as typed");
    assert_eq!(attr(&page, "#sku-1-barcode", "value").as_deref(), Some("123"));
    assert_eq!(attr(&page, "#sku-1-specs", "aria-invalid").as_deref(), Some("true"), "the same specs as row 1");
    assert!(page.contains("SKU 2："), "messages say which row");
    assert_eq!(product_count(&app).await, before, "nothing saved");

    // a duplicate combination once both rows are sound
    let rows = [("颜色=黑", "10", "", "", "", ""), ("颜色=黑", "10", "", "", "", "")];
    let r = op.post_form(&app, "/products/new", &product_form("发圈", &rows, &[])).await;
    assert_eq!(marked_fields(&r.text().await.unwrap()), ["skus[1].specs"]);

    // a title and a barcode already used by a demo product
    let pajamas = product(&app, "真丝睡衣套装").await.unwrap();
    let taken = pajamas.skus[0].barcode.clone().unwrap();
    let rows = [("", "10", "", "", "", taken.as_str())];
    let r = op.post_form(&app, "/products/new", &product_form("真丝睡衣套装", &rows, &[])).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(marked_fields(&r.text().await.unwrap()), ["title", "skus[0].barcode"]);
    assert_eq!(product_count(&app).await, before);
}

#[tokio::test]
async fn editing_through_the_form_keeps_sku_stock_and_refuses_to_drop_a_sku_with_history() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let tea = product(&app, "云南古树普洱茶 357g").await.unwrap();
    let id = tea.product.id;
    let page = op.get(&app, &format!("/products/{id}/edit")).await.text().await.unwrap();
    assert_eq!(hidden_input(&page, "title").unwrap(), "云南古树普洱茶 357g");
    assert_eq!(count(&page, ".sku-row"), 2);
    assert_eq!(attr(&page, "#sku-0-price", "value").unwrap(), "199.00");
    assert_eq!(attr(&page, "#sku-1-specs", "value").unwrap(), "规格=礼盒双饼");

    let ids: Vec<String> = tea.skus.iter().map(|s| s.id.to_string()).collect();
    let mut form: Vec<(&str, &str)> = vec![("title", "云南古树普洱茶 357g"), ("status", "on_sale"), ("action", "save")];
    // only the first SKU: the second has stock history, so this is refused whole
    form.extend([("sku_id", ids[0].as_str()), ("sku_specs", "规格=单饼357g"), ("sku_price", "1")]);
    let r = op.post_form(&app, &format!("/products/{id}/edit"), &form).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.unwrap();
    assert_eq!(marked_fields(&page), ["skus"]);
    assert!(page.contains("has stock history"));
    assert_eq!(product(&app, "云南古树普洱茶 357g").await.unwrap(), tea, "nothing half-saved");

    // both kept with new prices, and a third added
    form.truncate(3);
    form.extend([
        ("sku_id", ids[0].as_str()),
        ("sku_specs", "规格=单饼357g"),
        ("sku_price", "189"),
        ("sku_list_price", "299"),
    ]);
    form.extend([
        ("sku_id", ids[1].as_str()),
        ("sku_specs", "规格=礼盒双饼"),
        ("sku_price", "359"),
        ("sku_list_price", ""),
    ]);
    form.extend([("sku_id", ""), ("sku_specs", "规格=试饮装"), ("sku_price", "29.9"), ("sku_list_price", "")]);
    let r = op.post_form(&app, &format!("/products/{id}/edit"), &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = product(&app, "云南古树普洱茶 357g").await.unwrap();
    let got: Vec<_> = after.skus.iter().map(|s| (s.specs.values_label(), s.price.0, s.stock)).collect();
    assert_eq!(got, [("单饼357g".into(), 18900, 120), ("礼盒双饼".into(), 35900, 40), ("试饮装".into(), 2990, 0)]);
    assert_eq!((after.skus[0].id, after.skus[1].id), (tea.skus[0].id, tea.skus[1].id));
}

// ---------------------------------------------------------------- the API

#[tokio::test]
async fn the_api_creates_reads_replaces_and_lists_products_with_skus() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let body = json!({
        "title": "桑蚕丝枕套",
        "subtitle": "一对装",
        "selling_points": ["22姆米", "隐形拉链"],
        "category": "床品",
        "brand": "丝语",
        "facts": {"material": "桑蚕丝", "size_chart": "规格|尺寸\n标准|48×74cm", "shipping_hours": 24, "after_sales": "7天无理由"},
        "skus": [
            {"specs": [{"name": "颜色", "value": "白"}], "price_fen": 25900, "list_price_fen": 39900, "cost_fen": 9000, "weight_g": 200, "barcode": barcode("690999000002")},
            {"specs": [{"name": "颜色", "value": "灰"}], "price_fen": 24900}
        ]
    });
    let r = op.send_json(&app, Method::POST, "/api/v1/products", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["status"], "draft", "draft unless said otherwise");
    assert_eq!((created["price_fen"].as_i64(), created["list_price_fen"].as_i64()), (Some(24900), Some(0)));
    assert_eq!(created["skus"][0]["specs"], json!([{"name": "颜色", "value": "白"}]));
    assert_eq!((created["skus"][0]["stock"].as_i64(), created["skus"][0]["cost_fen"].as_i64()), (Some(0), Some(9000)));
    assert_eq!(created["facts"]["shipping_hours"], 24);
    let fetched: Value = op.get(&app, &format!("/api/v1/products/{id}")).await.json().await.unwrap();
    assert_eq!(fetched, created);

    // keep the white one at a new price, drop the grey, add a pink
    let white = created["skus"][0]["id"].as_i64().unwrap();
    let put = json!({
        "title": "桑蚕丝枕套", "status": "on_sale",
        "skus": [
            {"id": white, "specs": [{"name": "颜色", "value": "白"}], "price_fen": 23900, "list_price_fen": 39900},
            {"specs": [{"name": "颜色", "value": "粉"}], "price_fen": 23900}
        ]
    });
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/products/{id}"), &put.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let replaced: Value = r.json().await.unwrap();
    assert_eq!(replaced["status"], "on_sale");
    assert_eq!(replaced["skus"][0]["id"], white);
    assert_eq!(replaced["skus"][1]["specs"][0]["value"], "粉");
    assert_eq!(replaced["skus"].as_array().unwrap().len(), 2);
    assert_eq!(replaced["subtitle"], "", "a PUT replaces the whole product");

    let r =
        op.send_json(&app, Method::POST, &format!("/api/v1/products/{id}/status"), r#"{"status": "off_sale"}"#).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "off_sale");

    let listed: Vec<Value> = op.get(&app, "/api/v1/products?status=off_sale").await.json().await.unwrap();
    assert_eq!(listed.iter().map(|p| p["id"].as_i64().unwrap()).collect::<Vec<_>>(), [id]);
    assert_eq!((listed[0]["sku_count"].as_i64(), listed[0]["stock"].as_i64()), (Some(2), Some(0)));
    let listed: Vec<Value> = op.get(&app, "/api/v1/products?q=%E6%9E%95%E5%A5%97").await.json().await.unwrap();
    assert_eq!(listed.len(), 1);
    let all: Vec<Value> = op.get(&app, "/api/v1/products").await.json().await.unwrap();
    assert_eq!(all.len(), 6);
    let (status, e) = api_error(op.get(&app, "/api/v1/products?status=sold").await).await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
}

#[tokio::test]
async fn bad_api_input_names_every_field_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let before = product_count(&app).await;
    let body = json!({
        "title": "坏商品", "status": "selling",
        "facts": {"shipping_hours": 0},
        "skus": [
            {"specs": [{"name": "颜色", "value": "红"}], "price_fen": -1},
            {"specs": [{"name": "颜色", "value": "蓝"}], "price_fen": 100, "list_price_fen": 50, "cost_fen": -5, "weight_g": -1, "barcode": "6901234567893"},
            {"specs": [{"name": "颜色", "value": "蓝"}], "price_fen": 100}
        ]
    });
    let r = op.send_json(&app, Method::POST, "/api/v1/products", &body.to_string()).await;
    let (status, e) = api_error(r).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")));
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "status",
            "shipping_hours",
            "skus[0].price_fen",
            "skus[1].list_price_fen",
            "skus[1].cost_fen",
            "skus[1].weight_g",
            "skus[1].barcode",
            "skus[2].specs"
        ]
    );
    assert!(e["message"].as_str().unwrap().contains("skus[1].barcode"), "the message lists them too");

    // on sale with a price of 0 is refused; a barcode of another product is a conflict
    let zero = json!({"title": "赠品", "status": "on_sale", "skus": [{"price_fen": 0}]});
    let (_, e) = api_error(op.send_json(&app, Method::POST, "/api/v1/products", &zero.to_string()).await).await;
    assert_eq!(e["fields"][0]["field"], "skus[0].price_fen");
    let taken = product(&app, "便携榨汁杯").await.unwrap().skus[1].barcode.clone().unwrap();
    let dup = json!({"title": "新榨汁杯", "skus": [{"price_fen": 100, "barcode": taken}]});
    let (status, e) = api_error(op.send_json(&app, Method::POST, "/api/v1/products", &dup.to_string()).await).await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (StatusCode::CONFLICT, Some("skus[0].barcode")));
    assert_eq!(product_count(&app).await, before, "nothing saved by any of them");

    // a status change that would put a price of 0 on sale, and unknown ids
    let draft = json!({"title": "待定价", "skus": [{"price_fen": 0}]});
    let id = op
        .send_json(&app, Method::POST, "/api/v1/products", &draft.to_string())
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = op.send_json(&app, Method::POST, &format!("/api/v1/products/{id}/status"), r#"{"status":"on_sale"}"#).await;
    let (status, e) = api_error(r).await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (status, _) = api_error(op.get(&app, "/api/v1/products/999999").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other_sku = product(&app, "便携榨汁杯").await.unwrap().skus[0].id.0;
    let steal = json!({"title": "待定价", "skus": [{"id": other_sku, "price_fen": 1}]});
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/products/{id}"), &steal.to_string()).await;
    assert_eq!(api_error(r).await.0, StatusCode::NOT_FOUND);
    assert_eq!(product(&app, "便携榨汁杯").await.unwrap().skus[0].price.0, 12_900, "the other product is untouched");
}

// ---------------------------------------------------------------- stock

#[tokio::test]
async fn stock_changes_through_the_api_are_ledgered_and_overselling_is_a_409() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let me: Value = op.get(&app, "/api/v1/me").await.json().await.unwrap();
    let sku = product(&app, "云南古树普洱茶 357g").await.unwrap().skus[0].id.0; // opening stock 120
    let url = format!("/api/v1/skus/{sku}/stock");

    let r = op.send_json(&app, Method::POST, &url, r#"{"reason": "sale", "delta": -20}"#).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let entry: Value = r.json().await.unwrap();
    assert_eq!((entry["balance_after"].as_i64(), entry["actor_user_id"].clone()), (Some(100), me["id"].clone()));
    assert_eq!(entry["time_ms"].as_i64(), Some(T0.0), "stamped by the server's clock");

    let (status, e) =
        api_error(op.send_json(&app, Method::POST, &url, r#"{"reason": "sale", "delta": -101}"#).await).await;
    assert_eq!(
        (status, e["code"].as_str(), e["fields"][0]["field"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_stock"), Some("delta"))
    );
    assert!(e["message"].as_str().unwrap().contains("has 100"), "{e}");
    for (body, field) in [
        (r#"{"reason": "purchase", "delta": -1}"#, "delta"),
        (r#"{"reason": "theft", "delta": 1}"#, "reason"),
        (r#"{"reason": "manual", "delta": 1}"#, "note"),
        (r#"{"reason": "sale", "delta": 0}"#, "delta"),
        (r#"{"reason": "sale", "delta": "-1"}"#, "delta"),
    ] {
        let (status, e) = api_error(op.send_json(&app, Method::POST, &url, body).await).await;
        assert_eq!(
            (status, e["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let ledger: Vec<Value> = op.get(&app, &format!("/api/v1/skus/{sku}/ledger")).await.json().await.unwrap();
    let deltas: Vec<i64> = ledger.iter().map(|e| e["delta"].as_i64().unwrap()).collect();
    assert_eq!(deltas, [-20, 120], "newest first; refusals leave nothing");
    assert_eq!(ledger[1]["reason"], "purchase");
    let older: Vec<Value> = op
        .get(&app, &format!("/api/v1/skus/{sku}/ledger?limit=1&before={}", ledger[0]["id"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(older, ledger[1..]);
    let (status, _) = api_error(op.get(&app, &format!("/api/v1/skus/{sku}/ledger?limit=0")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api_error(op.get(&app, "/api/v1/skus/999999/ledger").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r =
        op.send_json(&app, Method::POST, "/api/v1/skus/999999/stock", r#"{"reason": "purchase", "delta": 1}"#).await;
    assert_eq!(api_error(r).await.0, StatusCode::NOT_FOUND);
    let shop = shop(&app).await;
    assert_eq!(app.store.sku(shop, zhibo_domain::SkuId(sku)).await.unwrap().unwrap().stock, 100);
}

#[tokio::test]
async fn the_stock_form_adjusts_stock_and_the_ledger_shows_who_did_what() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let rice = product(&app, "五常稻花香大米 5kg").await.unwrap();
    let (id, sku) = (rice.product.id, rice.skus[0].id.to_string());
    let url = format!("/products/{id}/stock");
    let r =
        op.post_form(&app, &url, &[("sku", &sku), ("reason", "purchase"), ("delta", "+5"), ("note", "二批到货")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = op.get(&app, r.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    assert_eq!(text_of(&page, "#sku-stock .stock").unwrap(), "305");
    let first: Vec<String> = {
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse("#ledger tbody tr:first-child td").unwrap();
        doc.select(&sel).map(|td| td.text().collect::<String>()).collect()
    };
    assert_eq!(first[1..], ["默认规格", "采购入库", "+5", "305", "运营 李强", "二批到货"]);
    assert_eq!(first[0], "2026-11-25 20:00:00", "Beijing time of the virtual clock");
    assert_eq!(count(&page, "#ledger tbody tr"), 2, "and the opening stock below it");

    // wrong sign for the reason: refused, marked, kept as typed
    let r = op.post_form(&app, &url, &[("sku", &sku), ("reason", "sale"), ("delta", "5"), ("note", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert_eq!(marked_fields(&page), ["delta"]);
    assert_eq!(attr(&page, "#stock-delta", "value").as_deref(), Some("5"));
    assert_eq!(attr(&page, "#stock-reason option[selected]", "value").as_deref(), Some("sale"));
    // more than there is
    let r = op.post_form(&app, &url, &[("sku", &sku), ("reason", "sale"), ("delta", "-306"), ("note", "")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("库存不足"));
    // a SKU of another product
    let other = product(&app, "便携榨汁杯").await.unwrap().skus[0].id.to_string();
    let r = op.post_form(&app, &url, &[("sku", &other), ("reason", "purchase"), ("delta", "x"), ("note", "")]).await;
    assert_eq!(marked_fields(&r.text().await.unwrap()), ["sku", "delta"]);
    let shop = shop(&app).await;
    assert_eq!(app.store.product_ledger(shop, id, 10).await.unwrap().len(), 2);
    assert_eq!(product(&app, "便携榨汁杯").await.unwrap().skus[0].stock, 80);
}

// ---------------------------------------------------------------- images

async fn upload(s: &Signed, app: &TestApp, path: &str, bytes: Vec<u8>, name: &str, mime: &str) -> reqwest::Response {
    let part = Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap();
    s.client
        .post(app.url(path))
        .header("x-csrf-token", &s.csrf)
        .multipart(Form::new().text("note", "ignored").part("image", part))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_image_is_checked_by_its_content_thumbnailed_and_served_with_an_etag() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let scarf = product(&app, "羊毛混纺围巾").await.unwrap().product.id;
    let path = format!("/api/v1/products/{scarf}/images");
    // a PNG sent as "photo.txt", text/plain: the bytes decide
    let png = photo(1200, 800, image::ImageFormat::Png);
    let r = upload(&op, &app, &path, png.clone(), "photo.txt", "text/plain").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        (created["mime"].as_str(), created["width"].as_u64(), created["height"].as_u64()),
        (Some("image/png"), Some(1200), Some(800))
    );

    let original = op.get(&app, created["url"].as_str().unwrap()).await;
    assert_eq!(original.headers()["content-type"], "image/png");
    assert!(original.headers()["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    let etag = original.headers()["etag"].clone();
    assert_eq!(original.bytes().await.unwrap().to_vec(), png, "the original is kept byte for byte");
    let again = op
        .client
        .get(app.url(created["url"].as_str().unwrap()))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let thumb = op.get(&app, created["thumbnail_url"].as_str().unwrap()).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    assert_ne!(thumb.headers()["etag"], etag, "each rendition has its own tag");
    let decoded = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (400, 267), "fits in 400×400, proportions kept");

    // JPEG and WebP are welcome too
    for (format, mime) in [(image::ImageFormat::Jpeg, "image/jpeg"), (image::ImageFormat::WebP, "image/webp")] {
        let r = upload(&op, &app, &path, photo(64, 48, format), "x.png", "image/png").await;
        assert_eq!(r.status(), StatusCode::CREATED, "{mime}");
        assert_eq!(r.json::<Value>().await.unwrap()["mime"], mime);
    }
    let product: Value = op.get(&app, &format!("/api/v1/products/{scarf}")).await.json().await.unwrap();
    assert_eq!(product["images"].as_array().unwrap().len(), 3);

    // the page shows the thumbnails; the list shows the first as the cover
    let page = op.get(&app, &format!("/products/{scarf}")).await.text().await.unwrap();
    assert_eq!(count(&page, "#images .thumbs img"), 3);
    assert_eq!(attr(&page, "#images .thumbs img", "src").unwrap(), created["thumbnail_url"].as_str().unwrap());
    let list = op.get(&app, "/products").await.text().await.unwrap();
    assert_eq!(
        attr(&list, &format!("tr[data-product='{scarf}'] img.cover"), "src").unwrap(),
        created["thumbnail_url"].as_str().unwrap()
    );

    // deleting one; another shop's guess of the URL finds nothing
    let r = op.send_json(&app, Method::DELETE, created["url"].as_str().unwrap(), "").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(api_error(op.get(&app, created["url"].as_str().unwrap()).await).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn what_is_not_an_accepted_image_is_a_422_naming_the_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let scarf = product(&app, "羊毛混纺围巾").await.unwrap().product.id;
    let path = format!("/api/v1/products/{scarf}/images");
    let mut truncated = photo(300, 300, image::ImageFormat::Png);
    truncated.truncate(truncated.len() / 2);
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    for (bytes, name, why) in [
        (b"just some text, honestly".to_vec(), "cat.png", "text named .png"),
        (gif, "anim.gif", "a GIF"),
        (truncated, "half.png", "a cut-off PNG"),
        (bomb_png(40_000, 40_000), "bomb.png", "a decompression bomb"),
    ] {
        let (status, e) = api_error(upload(&op, &app, &path, bytes, name, "image/png").await).await;
        assert_eq!(
            (status, e["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("image")),
            "{why}: {e}"
        );
    }
    // not multipart at all, or no file in it
    let r = op.send_json(&app, Method::POST, &path, "{}").await;
    assert_eq!(api_error(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = op
        .client
        .post(app.url(&path))
        .header("x-csrf-token", &op.csrf)
        .multipart(Form::new().text("image2", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r).await.1["fields"][0]["field"], "image");
    let shop = shop(&app).await;
    assert!(app.store.product_images(shop, scarf).await.unwrap().is_empty());
}

/// A PNG header claiming `width` × `height` pixels and nothing else.
fn bomb_png(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &ihdr {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&(!crc).to_be_bytes());
    png
}

#[tokio::test]
async fn an_image_over_5_mb_is_a_413_naming_the_limit() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let scarf = product(&app, "羊毛混纺围巾").await.unwrap().product.id;
    let mut big = photo(16, 16, image::ImageFormat::Png);
    big.resize(5 * 1024 * 1024 + 1, 0);
    let (status, e) = api_error(
        upload(&op, &app, &format!("/api/v1/products/{scarf}/images"), big.clone(), "a.png", "image/png").await,
    )
    .await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));
    assert!(e["message"].as_str().unwrap().contains("5 MB"), "{e}");
    assert_eq!(e["fields"][0]["field"], "image");
    // the page's upload answers the same way
    let page = app.signed_in("operator").await;
    let r = upload(&page, &app, &format!("/products/{scarf}/images"), big, "a.png", "image/png").await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("5 MB"));
    let shop = shop(&app).await;
    assert!(app.store.product_images(shop, scarf).await.unwrap().is_empty());
}

/// The client announces 50 MB and sends only the start: the answer comes
/// from the declared length, without waiting for (or storing) the rest.
#[tokio::test]
async fn a_50_mb_upload_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let scarf = product(&app, "羊毛混纺围巾").await.unwrap().product.id;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "operator", "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(r.headers()).into_iter().find(|c| c.starts_with("zhibo_session=")).unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_owned();

    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/products/{scarf}/images HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n\
         Content-Type: multipart/form-data; boundary=zhibo\r\nContent-Length: {}\r\n\r\n\
         --zhibo\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n",
        50 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![0u8; 64 * 1024]).await.unwrap();

    // read the head, then exactly the body it announces
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed without answering");
        received.extend_from_slice(&buf[..n]);
        if let Some(i) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.1 413"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("a sized answer");
    while received.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        received.extend_from_slice(&buf[..n]);
    }
    let body: Value = serde_json::from_slice(&received[head_end..head_end + length]).unwrap();
    assert_eq!(body["error"]["code"], "too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("5 MB"));
}

#[tokio::test]
async fn a_multipart_upload_without_the_csrf_token_is_refused_and_htmx_sends_it() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let scarf = product(&app, "羊毛混纺围巾").await.unwrap().product.id;
    let path = format!("/products/{scarf}/images");
    let form = || {
        Form::new()
            .text("csrf", op.csrf.clone())
            .part("image", Part::bytes(photo(20, 20, image::ImageFormat::Png)).file_name("a.png"))
    };
    // a token in the multipart body is not read: only the header counts
    let r = op.client.post(app.url(&path)).multipart(form()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r =
        op.client.post(app.url(&path)).header("x-csrf-token", "0".repeat(64)).multipart(form()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r =
        op.client.post(app.url(&format!("/api/v1/products/{scarf}/images"))).multipart(form()).send().await.unwrap();
    assert_eq!(api_error(r).await.1["code"], "csrf");
    let shop = shop(&app).await;
    assert!(app.store.product_images(shop, scarf).await.unwrap().is_empty());

    // what htmx sends: the header from <body hx-headers>; the answer is the images section alone
    let page = op.get(&app, &format!("/products/{scarf}")).await.text().await.unwrap();
    assert!(page.contains("hx-headers") && page.contains("hx-encoding=\"multipart/form-data\""));
    let r = op
        .client
        .post(app.url(&path))
        .header("x-csrf-token", &op.csrf)
        .header("hx-request", "true")
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let partial = r.text().await.unwrap();
    assert!(partial.trim_start().starts_with("<section id=\"images\">"), "{partial:.200}");
    assert_eq!(count(&partial, ".thumbs img"), 1);
    assert_eq!(text_of(&partial, ".ok").unwrap(), "图片已上传");
    // and an error stays inside the section, for htmx to show
    let bad = Form::new().part("image", Part::bytes(b"nope".to_vec()).file_name("a.png"));
    let r = op
        .client
        .post(app.url(&path))
        .header("x-csrf-token", &op.csrf)
        .header("hx-request", "true")
        .multipart(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(text_of(&r.text().await.unwrap(), "#upload-error").unwrap().contains("JPEG"));
}

// ---------------------------------------------------------------- who may

#[tokio::test]
async fn a_streamer_or_a_viewer_cannot_touch_the_catalog() {
    let app = TestApp::spawn().await;
    let tea = product(&app, "云南古树普洱茶 357g").await.unwrap();
    let (id, sku) = (tea.product.id, tea.skus[0].id);
    for who in ["streamer", "viewer"] {
        let page = app.signed_in(who).await;
        for path in
            ["/products".to_owned(), "/products/new".into(), format!("/products/{id}"), format!("/products/{id}/edit")]
        {
            assert_eq!(page.get(&app, &path).await.status(), StatusCode::FORBIDDEN, "{who} GET {path}");
        }
        let r = page
            .post_form(
                &app,
                &format!("/products/{id}/stock"),
                &[("sku", &sku.to_string()), ("reason", "purchase"), ("delta", "1")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = page.post_form(&app, &format!("/products/{id}/status"), &[("status", "off_sale")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = upload(
            &page,
            &app,
            &format!("/products/{id}/images"),
            photo(8, 8, image::ImageFormat::Png),
            "a.png",
            "image/png",
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let api = app.api_signed_in(who).await;
        let body = json!({"title": "偷偷上架", "skus": [{"price_fen": 1}]}).to_string();
        for (method, path, body) in [
            (Method::POST, "/api/v1/products".to_owned(), body.as_str()),
            (Method::PUT, format!("/api/v1/products/{id}"), body.as_str()),
            (Method::POST, format!("/api/v1/skus/{sku}/stock"), r#"{"reason":"purchase","delta":1}"#),
            (Method::GET, format!("/api/v1/skus/{sku}/ledger"), ""),
        ] {
            let (status, e) = api_error(api.send_json(&app, method.clone(), &path, body).await).await;
            assert_eq!(
                (status, e["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{who} {method} {path}"
            );
        }
    }
    assert_eq!(product(&app, "云南古树普洱茶 357g").await.unwrap(), tea, "nothing changed");
    assert!(product(&app, "偷偷上架").await.is_none());
}

// ---------------------------------------------------------------- the demo

#[tokio::test]
async fn the_demo_products_have_skus_facts_and_opening_stock_from_the_ledger() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let pajamas = product(&app, "真丝睡衣套装").await.unwrap();
    let combos: Vec<String> = pajamas.skus.iter().map(|s| s.specs.values_label()).collect();
    assert_eq!(combos, ["香槟 / M", "香槟 / L", "香槟 / XL", "墨绿 / M", "墨绿 / L", "墨绿 / XL"]);
    assert_eq!(pajamas.product.facts.size_chart_rows().len(), 4);
    for detail in app.store.product_details_of_shop(shop).await.unwrap() {
        let p = &detail.product;
        assert_eq!(p.status, ProductStatus::OnSale, "{}", p.title);
        assert!(!p.facts.material.is_empty() && p.facts.shipping_hours.is_some() && !p.facts.after_sales.is_empty());
        for sku in &detail.skus {
            assert!(
                sku.cost.0 > 0 && sku.weight_g > 0 && sku.barcode.is_some() && sku.stock > 0,
                "{} {}",
                p.title,
                sku.specs
            );
            let ledger = app.store.sku_ledger(shop, sku.id, None, 10).await.unwrap();
            assert_eq!(ledger.len(), 1);
            assert_eq!(
                (ledger[0].reason.as_str(), ledger[0].delta),
                ("purchase", sku.stock),
                "opening stock is a purchase"
            );
        }
    }
    // seeding again adds nothing, not even stock
    zhibo_web::demo::seed(app.store.as_ref()).await.unwrap();
    assert_eq!(product(&app, "真丝睡衣套装").await.unwrap(), pajamas);
    let id: ProductId = pajamas.product.id;
    assert_eq!(app.store.product_ledger(shop, id, 100).await.unwrap().len(), 6);
}

// ---------------------------------------------------------------- in a browser

/// The form's add-row button, the htmx image upload (which must carry the
/// CSRF header from `<body hx-headers>`) and the stock form, in Chromium.
#[tokio::test]
async fn in_a_real_browser_a_product_gets_sku_rows_an_image_and_stock() {
    use fantoccini::Locator;
    let app = TestApp::spawn().await;
    let Some(b) = crate::browser::browser().await else { return };
    let c = &b.client;
    let fill = |css: &'static str, text: &'static str| async move {
        let field = c.wait().for_element(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    };

    c.goto(&app.url("/login")).await.unwrap();
    fill("#username", "operator").await;
    fill("#password", zhibo_web::demo::DEMO_PASSWORD).await;
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();

    c.goto(&app.url("/products/new")).await.unwrap();
    fill("#title", "浏览器里的发夹").await;
    fill("#sku-0-specs", "颜色=红").await;
    fill("#sku-0-price", "19.9").await;
    c.find(Locator::Css("#add-sku")).await.unwrap().click().await.unwrap();
    fill("#sku-1-specs", "颜色=蓝").await;
    fill("#sku-1-price", "18.8").await;
    assert_eq!(
        c.find(Locator::Css("#sku-0-specs")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("颜色=红")
    );
    c.find(Locator::Css("#save-product")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#notice")).await.unwrap();
    assert_eq!(notice.text().await.unwrap(), "商品已保存");
    let saved = product(&app, "浏览器里的发夹").await.unwrap();
    assert_eq!(saved.skus.iter().map(|s| s.price.0).collect::<Vec<_>>(), [1990, 1880]);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("发夹.png");
    std::fs::write(&file, photo(640, 480, image::ImageFormat::Png)).unwrap();
    c.find(Locator::Css("#image-file")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    c.find(Locator::Css("#image-upload button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#images .thumbs img")).await.unwrap();
    let shop = shop(&app).await;
    assert_eq!(app.store.product_images(shop, saved.product.id).await.unwrap().len(), 1);

    fill("#stock-delta", "7").await;
    fill("#stock-note", "首批").await;
    c.find(Locator::Css("#stock-submit")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#ledger")).await.unwrap();
    let row = c.find(Locator::Css("#ledger tbody tr")).await.unwrap().text().await.unwrap();
    assert!(row.contains("采购入库") && row.contains("+7") && row.contains("首批"), "{row}");
    b.client.clone().close().await.unwrap();
}

// ---------------------------------------------------------------- the platform's figures

#[tokio::test]
async fn the_platform_figures_are_typed_as_percent_and_stars_shown_and_edited_in_the_form() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let rows = [("", "39", "", "", "", "")];
    let extra = [("return_rate", "12.5%"), ("review_score", "4.8"), ("action", "save")];
    let r = op.post_form(&app, "/products/new", &product_form("蚕丝发带", &rows, &extra)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let saved = product(&app, "蚕丝发带").await.unwrap();
    let figures = |d: &ProductDetail| (d.product.platform.return_rate_permille, d.product.platform.review_tenths);
    assert_eq!(figures(&saved), (Some(125), Some(48)));
    let id = saved.product.id;
    let page = op.get(&app, &format!("/products/{id}")).await.text().await.unwrap();
    assert_eq!(text_of(&page, "#return-rate").unwrap(), "12.5%");
    assert_eq!(text_of(&page, "#review-score").unwrap(), "4.8");
    let edit = op.get(&app, &format!("/products/{id}/edit")).await.text().await.unwrap();
    assert_eq!(attr(&edit, "#return_rate", "value").as_deref(), Some("12.5"));
    assert_eq!(attr(&edit, "#review_score", "value").as_deref(), Some("4.8"));

    // a second decimal and a score above 5 are named and nothing changes
    let bad = [("return_rate", "12.55"), ("review_score", "5.5"), ("action", "save")];
    let r = op.post_form(&app, &format!("/products/{id}/edit"), &product_form("蚕丝发带", &rows, &bad)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let marked = marked_fields(&page);
    assert!(marked.iter().any(|m| m == "return_rate") && marked.iter().any(|m| m == "review_score"), "{marked:?}");
    assert_eq!(attr(&page, "#return_rate", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(attr(&page, "#return_rate", "value").as_deref(), Some("12.55"), "kept as typed");
    assert!(page.contains("最多一位小数") && page.contains("0到5分"), "both messages shown");
    assert_eq!(figures(&product(&app, "蚕丝发带").await.unwrap()), (Some(125), Some(48)));

    // blank clears them
    let clear = [("return_rate", ""), ("review_score", " "), ("action", "save")];
    let r = op.post_form(&app, &format!("/products/{id}/edit"), &product_form("蚕丝发带", &rows, &clear)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(figures(&product(&app, "蚕丝发带").await.unwrap()), (None, None));
    let page = op.get(&app, &format!("/products/{id}")).await.text().await.unwrap();
    assert_eq!(text_of(&page, "#return-rate").unwrap(), "未填写");
}

#[tokio::test]
async fn the_api_takes_the_platform_figures_as_integers_and_names_a_bad_one() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let body = json!({
        "title": "真丝发圈", "return_rate_permille": 125, "review_tenths": 48,
        "skus": [{"price_fen": 2900}]
    });
    let r = op.send_json(&app, Method::POST, "/api/v1/products", &body.to_string()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!((created["return_rate_permille"].as_i64(), created["review_tenths"].as_i64()), (Some(125), Some(48)));
    let id = created["id"].as_i64().unwrap();

    // a PUT replaces them: one changed, one left out (not entered)
    let put = json!({"title": "真丝发圈", "return_rate_permille": 0, "skus": [{"price_fen": 2900}]});
    let r = op.send_json(&app, Method::PUT, &format!("/api/v1/products/{id}"), &put.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let replaced: Value = r.json().await.unwrap();
    assert_eq!((replaced["return_rate_permille"].as_i64(), replaced["review_tenths"].clone()), (Some(0), Value::Null));
    let fetched: Value = op.get(&app, &format!("/api/v1/products/{id}")).await.json().await.unwrap();
    assert_eq!(fetched, replaced);

    for (body, field) in [
        (
            json!({"title": "真丝发圈", "return_rate_permille": 1001, "skus": [{"price_fen": 2900}]}),
            "return_rate_permille",
        ),
        (json!({"title": "真丝发圈", "review_tenths": -1, "skus": [{"price_fen": 2900}]}), "review_tenths"),
    ] {
        let r = op.send_json(&app, Method::PUT, &format!("/api/v1/products/{id}"), &body.to_string()).await;
        let (status, e) = api_error(r).await;
        assert_eq!((status, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{e}");
        assert!(e["fields"][0]["message"].as_str().unwrap().contains(" / "), "{e}");
    }
    let (status, e) = api_error(
        op.send_json(&app, Method::POST, "/api/v1/products", r#"{"title": "x", "review_tenths": 4.8, "skus": []}"#)
            .await,
    )
    .await;
    assert_eq!((status, e["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("review_tenths")));
    let unchanged = product(&app, "真丝发圈").await.unwrap().product.platform;
    assert_eq!((unchanged.return_rate_permille, unchanged.review_tenths), (Some(0), None));

    // the document says what they are
    let doc: Value = app.client().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let body = &doc["components"]["schemas"]["ProductBody"]["properties"];
    assert_eq!(
        (body["return_rate_permille"]["maximum"].as_f64(), body["review_tenths"]["maximum"].as_f64()),
        (Some(1000.0), Some(50.0))
    );
    assert!(doc["components"]["schemas"]["ProductView"]["properties"]["review_tenths"].is_object());
}
