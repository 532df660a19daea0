//! Bulk import and export of the product library through the real server:
//! export → import into an empty shop recreates the catalog (CSV through
//! the API, XLSX through the pages), every problem of a file is named by
//! row and column before anything is written, an import is all or nothing,
//! and who may do any of it.

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::stock::StockReason;
use zhibo_domain::{Role, ShopId};
use zhibo_sheets::{Format, read};
use zhibo_store::{
    AccountStore, CatalogStore, NewUser, ProductDetail, ShopSettings, ShopStore, StockStore,
    imports::OPENING_STOCK_NOTE,
};
use zhibo_web::demo::DEMO_PASSWORD;

use crate::helpers::*;

const CSV: &str = "text/csv";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn demo_shop(app: &TestApp) -> ShopId {
    app.store.first_shop().await.unwrap().unwrap().id
}

/// A second, empty shop with an owner `username` (password the demo's).
async fn empty_shop(app: &TestApp, username: &str) -> ShopId {
    let shop = app.store.create_shop(&format!("空店 {username}"), &ShopSettings::default()).await.unwrap();
    let password_hash = zhibo_web::auth::password::hash(DEMO_PASSWORD.to_owned()).await.unwrap();
    app.store
        .create_user(&NewUser {
            shop,
            username: Username::parse(username).unwrap(),
            display_name: DisplayName::parse("新店店主").unwrap(),
            role: Role::Owner,
            password_hash,
        })
        .await
        .unwrap();
    shop
}

async fn details(app: &TestApp, shop: ShopId) -> Vec<ProductDetail> {
    app.store.product_details_of_shop(shop).await.unwrap()
}

fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Form {
    Form::new()
        .text("note", "ignored")
        .part("file", Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap())
}

async fn api_import(s: &Signed, app: &TestApp, bytes: &[u8], name: &str, dry_run: bool) -> Response {
    let path = if dry_run { "/api/v1/products/import?dry_run=true" } else { "/api/v1/products/import" };
    s.client
        .post(app.url(path))
        .header("x-csrf-token", &s.csrf)
        .multipart(file(bytes.to_vec(), name, CSV))
        .send()
        .await
        .unwrap()
}

/// The page's upload as htmx sends it: the CSRF header, and the answer is
/// the result section alone.
async fn page_upload(s: &Signed, app: &TestApp, bytes: &[u8], name: &str, mime: &str) -> String {
    let r = s
        .client
        .post(app.url("/products/import"))
        .header("x-csrf-token", &s.csrf)
        .header("hx-request", "true")
        .multipart(file(bytes.to_vec(), name, mime))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "htmx swaps only 2xx answers");
    let html = r.text().await.unwrap();
    assert!(html.trim_start().starts_with("<section id=\"import-result\""), "{html:.300}");
    html
}

fn attr(html: &str, css: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
}

/// (row, column) of every problem row in a preview's table.
fn page_issues(html: &str) -> Vec<(usize, String)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("#import-issues tbody tr").unwrap();
    doc.select(&sel)
        .map(|e| {
            (e.value().attr("data-row").unwrap().parse().unwrap(), e.value().attr("data-column").unwrap().to_owned())
        })
        .collect()
}

/// (row, column) of every problem in an API report.
fn api_issues(body: &Value) -> Vec<(u64, String)> {
    body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["row"].as_u64().unwrap(), i["column"].as_str().unwrap_or("").to_owned()))
        .collect()
}

async fn download(s: &Signed, app: &TestApp, path: &str, content_type: &str) -> Vec<u8> {
    let r = s.get(app, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert_eq!(r.headers()["content-type"].to_str().unwrap().split(';').next().unwrap(), content_type, "{path}");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    r.bytes().await.unwrap().to_vec()
}

/// The catalog as a shop-independent value: everything but ids, times and
/// the shop, in order.
fn catalog_of(details: &[ProductDetail]) -> Vec<String> {
    details
        .iter()
        .map(|d| {
            let p = &d.product;
            let skus: Vec<String> = d
                .skus
                .iter()
                .map(|s| {
                    format!(
                        "{}|{}|{}|{}|{}|{:?}|{}",
                        s.specs, s.price.0, s.list_price.0, s.cost.0, s.weight_g, s.barcode, s.stock
                    )
                })
                .collect();
            format!(
                "{}|{}|{:?}|{}|{}|{}|{:?}|{:?}|{}|{}|{}",
                p.title,
                p.subtitle,
                p.selling_points,
                p.category,
                p.brand,
                p.status,
                p.facts,
                p.platform,
                p.price.0,
                p.list_price.0,
                skus.join(";")
            )
        })
        .collect()
}

const SKUS_IN_DEMO: usize = 14;

#[tokio::test]
async fn a_csv_export_imported_into_an_empty_shop_through_the_api_recreates_the_catalog_byte_for_byte() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let exported = download(&op, &app, "/products/export.csv", "text/csv").await;
    // the API serves the same file
    let api = app.api_signed_in("operator").await;
    assert_eq!(download(&api, &app, "/api/v1/products/export.csv", "text/csv").await, exported);
    assert!(exported.starts_with(b"\xEF\xBB\xBF"), "a BOM, so Excel reads the Chinese");

    let shop = empty_shop(&app, "newshop").await;
    let owner = app.api_signed_in("newshop").await;
    // a dry run first: the report, and nothing written
    let r = api_import(&owner, &app, &exported, "products.csv", true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!((report["products"].as_u64(), report["skus"].as_u64()), (Some(5), Some(SKUS_IN_DEMO as u64)));
    assert_eq!(report["issues"], serde_json::json!([]));
    assert_eq!(report["product_ids"], serde_json::json!([]));
    assert!(details(&app, shop).await.is_empty(), "a dry run writes nothing");

    let r = api_import(&owner, &app, &exported, "products.csv", false).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["product_ids"].as_array().unwrap().len(), 5);

    let demo = details(&app, demo_shop(&app).await).await;
    let imported = details(&app, shop).await;
    assert_eq!(catalog_of(&imported), catalog_of(&demo));
    let again = download(&owner, &app, "/api/v1/products/export.csv", "text/csv").await;
    assert_eq!(String::from_utf8(again).unwrap(), String::from_utf8(exported).unwrap(), "the export round-trips");

    // opening stock went in through the ledger, as purchases by the importer
    let importer = app.store.user_by_username(&Username::parse("newshop").unwrap()).await.unwrap().unwrap().id;
    for product in &imported {
        let ledger = app.store.product_ledger(shop, product.product.id, 100).await.unwrap();
        assert_eq!(ledger.len(), product.skus.iter().filter(|s| s.stock > 0).count());
        for entry in &ledger {
            assert_eq!(
                (entry.reason, entry.actor, entry.note.as_str()),
                (StockReason::Purchase, Some(importer), OPENING_STOCK_NOTE)
            );
            let sku = product.skus.iter().find(|s| s.id == entry.sku).unwrap();
            assert_eq!((entry.delta, entry.balance_after), (sku.stock, sku.stock));
        }
    }
}

#[tokio::test]
async fn an_xlsx_export_imported_through_the_pages_preview_and_confirm_recreates_the_catalog() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let page = op.get(&app, "/products").await.text().await.unwrap();
    assert_eq!(attr(&page, "#exchange-link", "href").as_deref(), Some("/products/import"));
    let exported = download(&op, &app, "/products/export.xlsx", XLSX).await;
    let api = app.api_signed_in("operator").await;
    let via_api = download(&api, &app, "/api/v1/products/export.xlsx", XLSX).await;
    assert_eq!(read(&via_api, Format::Xlsx).unwrap(), read(&exported, Format::Xlsx).unwrap());

    let shop = empty_shop(&app, "xlsxshop").await;
    let owner = app.signed_in("xlsxshop").await;
    let import_page = owner.get(&app, "/products/import").await.text().await.unwrap();
    assert!(import_page.contains("hx-encoding=\"multipart/form-data\"") && import_page.contains("hx-headers"));
    assert!(import_page.contains("售价(元) price"), "the page lists the columns");

    // named .csv on purpose: the content decides
    let preview = page_upload(&owner, &app, &exported, "catalog.csv", CSV).await;
    assert!(page_issues(&preview).is_empty(), "{preview}");
    assert!(text_of(&preview, "#import-summary").unwrap().contains(&format!("5 个商品，{SKUS_IN_DEMO} 个SKU")));
    assert_eq!(
        scraper::Html::parse_fragment(&preview)
            .select(&scraper::Selector::parse("#import-products tbody tr").unwrap())
            .count(),
        5
    );
    assert!(details(&app, shop).await.is_empty(), "a preview writes nothing");
    let action = attr(&preview, "#import-confirm", "action").expect("a file without problems can be confirmed");

    let r = owner.post_form(&app, &action, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/products/import?imported=5&skus={SKUS_IN_DEMO}"));
    let done = owner.get(&app, &to).await.text().await.unwrap();
    assert!(text_of(&done, "#notice").unwrap().contains(&format!("已导入 5 个商品、{SKUS_IN_DEMO} 个SKU")));

    assert_eq!(catalog_of(&details(&app, shop).await), catalog_of(&details(&app, demo_shop(&app).await).await));
    let again = download(&owner, &app, "/products/export.xlsx", XLSX).await;
    assert_eq!(read(&again, Format::Xlsx).unwrap(), read(&exported, Format::Xlsx).unwrap());

    // the same confirm again finds nothing to import
    let r = owner.post_form(&app, &action, &[]).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(text_of(&r.text().await.unwrap(), "#import-error").unwrap().contains("重新上传"));
    assert_eq!(details(&app, shop).await.len(), 5);
}

#[tokio::test]
async fn a_csv_without_a_required_column_names_it_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let op = app.api_signed_in("operator").await;
    let shop = demo_shop(&app).await;
    let before = details(&app, shop).await;
    let csv = "商品标题,规格,库存\n新款茶杯,颜色=白,5\n".as_bytes();

    let r = api_import(&op, &app, csv, "a.csv", true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(api_issues(&report), [(1, "售价(元) price".to_owned())]);
    assert_eq!(report["issues"][0]["message"], "缺少必填列 / required column is missing");

    let r = api_import(&op, &app, csv, "a.csv", false).await;
    let (status, error) = api_error(r).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_rows")));
    assert!(error["message"].as_str().unwrap().contains("售价(元) price"), "{error}");
    assert!(error["fields"][0]["field"].as_str().unwrap().contains("售价(元) price"), "{error}");
    assert_eq!(details(&app, shop).await, before);
}

#[tokio::test]
async fn wrong_values_are_named_by_row_and_column_on_the_page_and_in_the_api() {
    let app = TestApp::spawn().await;
    let csv = "商品标题,规格,售价(元),库存,重量(克)\n\
               坏品,颜色=红,abc,-1,1.5\n\
               坏品,红色,10,2,\n"
        .as_bytes();
    let expected =
        [(2, "售价(元)".to_owned()), (2, "库存".to_owned()), (2, "重量(克)".to_owned()), (3, "规格".to_owned())];

    let api = app.api_signed_in("operator").await;
    let r = api_import(&api, &app, csv, "bad.csv", true).await;
    let report: Value = r.json().await.unwrap();
    let found: Vec<(usize, String)> = api_issues(&report).into_iter().map(|(r, c)| (r as usize, c)).collect();
    assert_eq!(found, expected);
    let messages: Vec<&str> =
        report["issues"].as_array().unwrap().iter().map(|i| i["message"].as_str().unwrap()).collect();
    assert!(messages[0].contains("\"abc\"") && messages[0].contains(" / "), "{}", messages[0]);
    assert_eq!(messages[1], "库存不能为负 / stock must not be negative");
    assert!(messages[2].contains("整数"), "{}", messages[2]);
    assert!(messages[3].contains("名称=值"), "{}", messages[3]);

    let op = app.signed_in("operator").await;
    let preview = page_upload(&op, &app, csv, "bad.csv", CSV).await;
    assert_eq!(page_issues(&preview), expected);
    assert!(text_of(&preview, "#import-issues-title").unwrap().contains("4 个问题"));
    assert!(attr(&preview, "#import-confirm", "action").is_none(), "nothing to confirm");
    assert!(app.store.product_by_title(demo_shop(&app).await, "坏品").await.unwrap().is_none());
}

#[tokio::test]
async fn three_good_rows_and_one_bad_row_import_nothing() {
    let app = TestApp::spawn().await;
    let shop = demo_shop(&app).await;
    let before = details(&app, shop).await;
    let csv = "商品标题,规格,售价(元),库存\n\
               新品甲,颜色=红,10,1\n\
               新品甲,颜色=蓝,10,2\n\
               新品乙,,20,3\n\
               新品丙,,19.999,4\n"
        .as_bytes();
    let api = app.api_signed_in("operator").await;
    let r = api_import(&api, &app, csv, "four.csv", false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_rows");
    assert_eq!((body["products"].as_u64(), body["skus"].as_u64()), (Some(3), Some(4)));
    assert_eq!(api_issues(&body), [(5, "售价(元)".to_owned())]);
    assert_eq!(details(&app, shop).await, before, "not one of the good rows was written");
    for title in ["新品甲", "新品乙", "新品丙"] {
        assert!(app.store.product_by_title(shop, title).await.unwrap().is_none(), "{title}");
    }
}

#[tokio::test]
async fn a_gbk_csv_from_chinese_excel_imports() {
    let app = TestApp::spawn().await;
    // "商品标题,规格,售价(元),库存,类目\r\n国货老茶,规格=单饼,99.5,12,茶叶\r\n" in GBK, as Excel on a
    // Chinese Windows saves it (not UTF-8: the compiler itself says so if one checks)
    let gbk: &[u8] = b"\xc9\xcc\xc6\xb7\xb1\xea\xcc\xe2,\xb9\xe6\xb8\xf1,\xca\xdb\xbc\xdb(\xd4\xaa),\xbf\xe2\xb4\xe6,\xc0\xe0\xc4\xbf\r\n\
\xb9\xfa\xbb\xf5\xc0\xcf\xb2\xe8,\xb9\xe6\xb8\xf1=\xb5\xa5\xb1\xfd,99.5,12,\xb2\xe8\xd2\xb6\r\n";
    let api = app.api_signed_in("operator").await;
    let r = api_import(&api, &app, gbk, "gbk.csv", false).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let shop = demo_shop(&app).await;
    let found = app.store.product_by_title(shop, "国货老茶").await.unwrap().expect("imported with its Chinese title");
    assert_eq!(found.category, "茶叶");
    let detail = app.store.product(shop, found.id).await.unwrap().unwrap();
    let sku = &detail.skus[0];
    assert_eq!((sku.specs.to_string(), sku.price.0, sku.stock), ("规格=单饼".to_owned(), 9950, 12));
}

#[tokio::test]
async fn what_is_not_a_spreadsheet_is_refused_with_a_clear_4xx() {
    let app = TestApp::spawn().await;
    let api = app.api_signed_in("operator").await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
    let r = api_import(&api, &app, &png, "products.csv", true).await;
    let (status, error) = api_error(r).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_file")));
    assert!(error["message"].as_str().unwrap().contains("不是 CSV 或 XLSX 文件 / neither a CSV nor an XLSX file"));
    assert_eq!(error["fields"][0]["field"], "file");

    // a text file named .xlsx, and an old .xls
    let r = api_import(&api, &app, b"title,price\n", "products.xlsx", true).await;
    assert_eq!(api_error(r).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let ole = [&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..], &[0u8; 64][..]].concat();
    let r = api_import(&api, &app, &ole, "products.xls", true).await;
    let (status, error) = api_error(r).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error["message"].as_str().unwrap().contains(".xlsx"), "{error}");

    // over 5 MB, and no file at all
    let big = vec![b'a'; 5 * 1024 * 1024 + 1];
    let r = api_import(&api, &app, &big, "big.csv", true).await;
    let (status, error) = api_error(r).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error["message"].as_str().unwrap().contains("5 MB"), "{error}");
    let r = api
        .client
        .post(app.url("/api/v1/products/import"))
        .header("x-csrf-token", &api.csrf)
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    let (status, error) = api_error(r).await;
    assert_eq!((status, error["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("file")));

    // the page: inside the section for htmx, a 415 page without it
    let op = app.signed_in("operator").await;
    let html = page_upload(&op, &app, &png, "p.csv", CSV).await;
    assert!(text_of(&html, "#import-error").unwrap().contains("neither a CSV nor an XLSX file"));
    let r = op
        .client
        .post(app.url("/products/import"))
        .header("x-csrf-token", &op.csrf)
        .multipart(file(png, "p.csv", CSV))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(text_of(&r.text().await.unwrap(), "#import-error").unwrap().contains("不是 CSV 或 XLSX 文件"));
}

#[tokio::test]
async fn a_change_in_the_shop_after_the_preview_is_reported_at_the_confirm_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let shop = demo_shop(&app).await;
    let op = app.signed_in("operator").await;
    let csv = "商品标题,规格,售价(元),库存\n春茶,规格=罐装,88,10\n夏茶,规格=袋装,66,5\n".as_bytes();
    let preview = page_upload(&op, &app, csv, "tea.csv", CSV).await;
    let action = attr(&preview, "#import-confirm", "action").unwrap();

    // meanwhile someone creates a product with one of the titles
    let api = app.api_signed_in("owner").await;
    let body = r#"{"title": "夏茶", "skus": [{"price_fen": 100}]}"#;
    assert_eq!(
        api.send_json(&app, reqwest::Method::POST, "/api/v1/products", body).await.status(),
        StatusCode::CREATED
    );
    let before = details(&app, shop).await;

    let r = op.post_form(&app, &action, &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(text_of(&html, "#import-changed").is_some());
    assert_eq!(page_issues(&html), [(3, "商品标题".to_owned())]);
    assert_eq!(details(&app, shop).await, before, "nothing written");
    assert!(app.store.product_by_title(shop, "春茶").await.unwrap().is_none());
}

#[tokio::test]
async fn a_preview_expires_on_the_clock_and_belongs_to_whoever_uploaded_it() {
    let app = TestApp::spawn().await;
    let shop = demo_shop(&app).await;
    let op = app.signed_in("operator").await;
    let csv = "商品标题,售价(元)\n秋茶,50\n".as_bytes();
    let preview = page_upload(&op, &app, csv, "a.csv", CSV).await;
    let action = attr(&preview, "#import-confirm", "action").unwrap();

    // another person of the shop cannot confirm it
    let owner = app.signed_in("owner").await;
    assert_eq!(owner.post_form(&app, &action, &[]).await.status(), StatusCode::GONE);

    app.clock.advance_secs(30 * 60);
    let r = op.post_form(&app, &action, &[]).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(app.store.product_by_title(shop, "秋茶").await.unwrap().is_none());

    // uploaded again, it goes in
    let preview = page_upload(&op, &app, csv, "a.csv", CSV).await;
    let action = attr(&preview, "#import-confirm", "action").unwrap();
    assert_eq!(op.post_form(&app, &action, &[]).await.status(), StatusCode::SEE_OTHER);
    assert!(app.store.product_by_title(shop, "秋茶").await.unwrap().is_some());
}

#[tokio::test]
async fn an_upload_or_a_confirm_without_the_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let shop = demo_shop(&app).await;
    let csv = b"title,price\nnew tea,5\n".to_vec();
    let op = app.signed_in("operator").await;
    // a token in the multipart body is not read: only the header counts
    let form = Form::new().text("csrf", op.csrf.clone()).part("file", Part::bytes(csv.clone()).file_name("a.csv"));
    let r = op.client.post(app.url("/products/import")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let api = app.api_signed_in("operator").await;
    let form = Form::new().part("file", Part::bytes(csv.clone()).file_name("a.csv"));
    let r = api.client.post(app.url("/api/v1/products/import")).multipart(form).send().await.unwrap();
    assert_eq!(api_error(r).await.1["code"], "csrf");

    let preview = page_upload(&op, &app, &csv, "a.csv", CSV).await;
    let action = attr(&preview, "#import-confirm", "action").unwrap();
    let r = op.client.post(app.url(&action)).form(&[("csrf", "0".repeat(64))]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.store.product_by_title(shop, "new tea").await.unwrap().is_none());
}

#[tokio::test]
async fn a_viewer_may_neither_import_nor_export() {
    let app = TestApp::spawn().await;
    let shop = demo_shop(&app).await;
    let before = details(&app, shop).await;
    let csv = b"title,price\nnew tea,5\n";
    let viewer = app.signed_in("viewer").await;
    for path in ["/products/import", "/products/export.csv", "/products/export.xlsx"] {
        assert_eq!(viewer.get(&app, path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = viewer
        .client
        .post(app.url("/products/import"))
        .header("x-csrf-token", &viewer.csrf)
        .multipart(file(csv.to_vec(), "a.csv", CSV))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let api = app.api_signed_in("viewer").await;
    for path in ["/api/v1/products/export.csv", "/api/v1/products/export.xlsx"] {
        assert_eq!(api_error(api.get(&app, path).await).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let r = api_import(&api, &app, csv, "a.csv", false).await;
    assert_eq!(api_error(r).await, (StatusCode::FORBIDDEN, api_error_forbidden()));
    assert_eq!(details(&app, shop).await, before);
}

fn api_error_forbidden() -> Value {
    serde_json::json!({"code": "forbidden", "message": "你的角色无权执行此操作 / your role may not do this"})
}
