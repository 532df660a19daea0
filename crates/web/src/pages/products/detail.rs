//! A product's page: its facts, SKUs with current stock, images (upload
//! through htmx, thumbnails), the stock ledger (latest first) and the stock
//! adjustment form, and the status buttons.
//!
//! Image uploads are multipart, which the CSRF middleware checks by the
//! `X-CSRF-Token` header only: the upload form is sent by htmx, which adds
//! the header from `<body hx-headers>`. Without JavaScript the page says so
//! instead of offering a form that would be refused.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhibo_domain::catalog::ProductStatus;
use zhibo_domain::stock::StockReason;
use zhibo_domain::{ImageId, ProductId, SkuId, UserId};
use zhibo_store::{ImageRecord, ProductDetail};

use super::{beijing_time, reason_name, status_name};
use crate::api::catalog::{original_url, thumbnail_url};
use crate::auth::Signed;
use crate::catalog::{StockRequest, change_stock, images};
use crate::error::{FieldError, WebError};
use crate::i18n::Msg;
use crate::pages::{Layout, PageCtx, is_htmx, render};
use crate::state::AppState;

/// How many ledger entries the page shows.
const LEDGER_ROWS: u32 = 50;

struct SkuLine {
    id: i64,
    label: String,
    price: String,
    list_price: Option<String>,
    cost: String,
    weight_g: i64,
    barcode: String,
    stock: i64,
}

struct ImageLine {
    id: i64,
    url: String,
    thumb: String,
    thumb_width: u32,
    thumb_height: u32,
}

struct LedgerLine {
    time: String,
    sku: String,
    reason: &'static str,
    delta: String,
    balance: i64,
    actor: String,
    note: String,
}

/// The stock form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StockForm {
    sku: String,
    reason: String,
    delta: String,
    note: String,
}

/// What a page shows beyond the product itself: a notice after a
/// redirect, or a form that came back with its mistakes.
#[derive(Default)]
struct Extras {
    notice: Option<&'static str>,
    status_error: Option<String>,
    stock: StockForm,
    stock_errors: Vec<FieldError>,
    upload_error: Option<String>,
}

#[derive(Template)]
#[template(path = "products_detail.html")]
struct DetailPage {
    l: Layout,
    id: i64,
    title: String,
    subtitle: String,
    status: &'static str,
    status_code: &'static str,
    status_actions: Vec<(&'static str, &'static str)>,
    category: String,
    brand: String,
    selling_points: Vec<String>,
    material: String,
    size_chart: Vec<Vec<String>>,
    shipping: Option<String>,
    after_sales: String,
    /// The platform's return rate as a percentage ("12.5"), when entered.
    return_rate: Option<String>,
    /// The platform's review score in stars ("4.8"), when entered.
    review_score: Option<String>,
    skus: Vec<SkuLine>,
    images: Vec<ImageLine>,
    ledger: Vec<LedgerLine>,
    reasons: Vec<(&'static str, &'static str)>,
    notice: Option<&'static str>,
    status_error: Option<String>,
    stock: StockForm,
    stock_errors: Vec<FieldError>,
    upload_ok: bool,
    upload_error: Option<String>,
}

impl DetailPage {
    fn stock_err(&self, field: &str) -> Option<&str> {
        self.stock_errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

/// The images section alone, for htmx to swap after an upload.
#[derive(Template)]
#[template(path = "products_detail.html", block = "images")]
struct ImagesBlock {
    l: Layout,
    id: i64,
    title: String,
    images: Vec<ImageLine>,
    upload_ok: bool,
    upload_error: Option<String>,
}

fn sku_label(t: &Msg, specs: &zhibo_domain::catalog::Specs) -> String {
    if specs.is_empty() { t.sku_default.to_owned() } else { specs.to_string() }
}

fn image_lines(images: &[ImageRecord]) -> Vec<ImageLine> {
    images
        .iter()
        .map(|i| ImageLine {
            id: i.id.0,
            url: original_url(i.product, i.id),
            thumb: thumbnail_url(i.product, i.id),
            thumb_width: i.thumb_width,
            thumb_height: i.thumb_height,
        })
        .collect()
}

async fn load(state: &AppState, signed: &Signed, id: ProductId) -> Result<ProductDetail, WebError> {
    state.store.product(signed.user.shop, id).await?.ok_or_else(|| WebError::NotFound(format!("product {id}")))
}

async fn page(
    layout: Layout,
    state: &AppState,
    signed: &Signed,
    detail: ProductDetail,
    extras: Extras,
) -> Result<DetailPage, WebError> {
    let t = layout.t;
    let shop = signed.user.shop;
    let p = detail.product;
    let images = state.store.product_images(shop, p.id).await?;
    let entries = state.store.product_ledger(shop, p.id, LEDGER_ROWS).await?;
    let names: HashMap<UserId, String> =
        state.store.users_of_shop(shop).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
    let labels: HashMap<SkuId, String> = detail.skus.iter().map(|s| (s.id, sku_label(t, &s.specs))).collect();
    let ledger = entries
        .into_iter()
        .map(|e| LedgerLine {
            time: beijing_time(e.time),
            sku: labels.get(&e.sku).cloned().unwrap_or_else(|| e.sku.to_string()),
            reason: reason_name(t, e.reason),
            delta: format!("{:+}", e.delta),
            balance: e.balance_after,
            actor: e.actor.and_then(|a| names.get(&a).cloned()).unwrap_or_else(|| t.actor_system.to_owned()),
            note: e.note,
        })
        .collect();
    let skus = detail
        .skus
        .iter()
        .map(|s| SkuLine {
            id: s.id.0,
            label: sku_label(t, &s.specs),
            price: s.price.to_string(),
            list_price: (s.list_price.0 > 0).then(|| s.list_price.to_string()),
            cost: s.cost.to_string(),
            weight_g: s.weight_g,
            barcode: s.barcode.clone().unwrap_or_default(),
            stock: s.stock,
        })
        .collect();
    let status_actions = [
        (ProductStatus::OnSale, t.status_to_on_sale),
        (ProductStatus::OffSale, t.status_to_off_sale),
        (ProductStatus::Draft, t.status_to_draft),
    ]
    .into_iter()
    .filter(|(s, _)| *s != p.status)
    .map(|(s, label)| (s.as_str(), label))
    .collect();
    let reasons = StockReason::ALL.into_iter().map(|r| (r.as_str(), reason_name(t, r))).collect();
    let mut stock = extras.stock;
    if stock.sku.is_empty()
        && let Some(first) = detail.skus.first()
    {
        stock.sku = first.id.to_string();
    }
    Ok(DetailPage {
        l: layout,
        id: p.id.0,
        status: status_name(t, p.status),
        status_code: p.status.as_str(),
        status_actions,
        size_chart: p.facts.size_chart_rows(),
        shipping: p.facts.shipping_hours.map(|h| t.product_shipping_within.replace("{}", &h.to_string())),
        return_rate: p.platform.return_rate_text(),
        review_score: p.platform.review_text(),
        title: p.title,
        subtitle: p.subtitle,
        category: p.category,
        brand: p.brand,
        selling_points: p.selling_points,
        material: p.facts.material,
        after_sales: p.facts.after_sales,
        skus,
        images: image_lines(&images),
        ledger,
        reasons,
        notice: extras.notice,
        status_error: extras.status_error,
        stock,
        stock_errors: extras.stock_errors,
        upload_ok: false,
        upload_error: extras.upload_error,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn show(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let detail = load(&state, &signed, ProductId(id)).await?;
    let t = ctx.layout.t;
    let notice = match q.saved.as_str() {
        "product" => Some(t.product_saved),
        "stock" => Some(t.stock_saved),
        "status" => Some(t.settings_saved),
        "image" => Some(t.image_uploaded),
        _ => None,
    };
    let page = page(ctx.layout, &state, &signed, detail, Extras { notice, ..Default::default() }).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, WebError> {
    let id = ProductId(id);
    match crate::catalog::set_status(&state, signed.user.shop, id, &form.status).await {
        Ok(_) => Ok(Redirect::to(&format!("/products/{id}?saved=status")).into_response()),
        Err(e @ WebError::Invalid { .. }) => {
            let status = e.status();
            let detail = load(&state, &signed, id).await?;
            let extras = Extras { status_error: Some(e.to_string()), ..Default::default() };
            Ok((status, render(&page(ctx.layout, &state, &signed, detail, extras).await?)?).into_response())
        }
        Err(other) => Err(other),
    }
}

pub async fn adjust_stock(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<StockForm>,
) -> Result<Response, WebError> {
    let id = ProductId(id);
    let detail = load(&state, &signed, id).await?;
    let mut errors = Vec::new();
    let sku = form.sku.trim().parse::<i64>().ok().map(SkuId).filter(|s| detail.skus.iter().any(|k| k.id == *s));
    if sku.is_none() {
        errors.push(FieldError {
            field: "sku".into(),
            message: "请选择本商品的SKU / choose a SKU of this product".into(),
        });
    }
    let delta = match form.delta.trim().trim_start_matches('+').parse::<i64>() {
        Ok(d) => d,
        Err(_) => {
            errors.push(FieldError {
                field: "delta".into(),
                message: format!("数量须为整数 / the quantity must be a whole number, not {:?}", form.delta),
            });
            0
        }
    };
    let request = StockRequest { sku: sku.unwrap_or(SkuId(0)), reason: &form.reason, delta, note: &form.note };
    match change_stock(&state, signed.user.shop, signed.user.id, request, errors).await {
        Ok(_) => Ok(Redirect::to(&format!("/products/{id}?saved=stock#stock")).into_response()),
        Err(WebError::Invalid { status, fields, .. }) => {
            let extras = Extras { stock: form, stock_errors: fields, ..Default::default() };
            Ok((status, render(&page(ctx.layout, &state, &signed, detail, extras).await?)?).into_response())
        }
        Err(other) => Err(other),
    }
}

pub async fn upload_image(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let id = ProductId(id);
    let shop = signed.user.shop;
    let outcome = images::receive(&state, shop, id, &headers, multipart).await;
    let (upload_ok, upload_error, status) = match outcome {
        Ok(_) => (true, None, StatusCode::OK),
        Err(e @ WebError::Invalid { .. }) => (false, Some(e.to_string()), e.status()),
        Err(other) => return Err(other),
    };
    if is_htmx(&headers) {
        // htmx swaps only 2xx answers: the section carries its own error.
        let detail = load(&state, &signed, id).await?;
        let images = image_lines(&state.store.product_images(shop, id).await?);
        let block =
            ImagesBlock { l: ctx.layout, id: id.0, title: detail.product.title, images, upload_ok, upload_error };
        return Ok(render(&block)?.into_response());
    }
    if upload_ok {
        return Ok(Redirect::to(&format!("/products/{id}?saved=image#images")).into_response());
    }
    let detail = load(&state, &signed, id).await?;
    let extras = Extras { upload_error, ..Default::default() };
    Ok((status, render(&page(ctx.layout, &state, &signed, detail, extras).await?)?).into_response())
}

pub async fn delete_image(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, image)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    state.store.delete_product_image(signed.user.shop, ProductId(id), ImageId(image)).await?;
    Ok(Redirect::to(&format!("/products/{id}#images")).into_response())
}
