//! 商品: the product library's pages. The list with its status filter and
//! search is here; creating and editing a product with its SKUs is in
//! [`form`]; a product's page with images, stock and the ledger in
//! [`detail`]; bulk import and export in [`exchange`]. Validation is the
//! API's too ([`crate::catalog`]).

pub mod detail;
pub mod exchange;
pub mod form;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhibo_domain::catalog::ProductStatus;
use zhibo_domain::stock::StockReason;
use zhibo_domain::{Fen, Permission, Timestamp};
use zhibo_store::ProductFilter;

use super::{Layout, PageCtx, render};
use crate::api::catalog::thumbnail_url;
use crate::auth::{Access, Routes, Signed};
use crate::catalog::exchange::MAX_UPLOAD_BODY_BYTES as EXCHANGE_UPLOAD_BODY_BYTES;
use crate::catalog::images::MAX_UPLOAD_BODY_BYTES;
use crate::error::WebError;
use crate::i18n::Msg;
use crate::state::AppState;

pub fn routes() -> Routes {
    let catalog = Access::Needs(Permission::Catalog);
    Routes::default()
        .add("/products", catalog, get(list))
        .add("/products/new", catalog, get(form::new).post(form::create))
        .add(
            "/products/import",
            catalog,
            get(exchange::show).post(exchange::upload).layer(DefaultBodyLimit::max(EXCHANGE_UPLOAD_BODY_BYTES)),
        )
        .add("/products/import/{id}/confirm", catalog, post(exchange::confirm))
        .add("/products/export.xlsx", catalog, get(exchange::export_xlsx))
        .add("/products/export.csv", catalog, get(exchange::export_csv))
        .add("/products/{id}", catalog, get(detail::show))
        .add("/products/{id}/edit", catalog, get(form::edit).post(form::update))
        .add("/products/{id}/status", catalog, post(detail::set_status))
        .add("/products/{id}/stock", catalog, post(detail::adjust_stock))
        .add(
            "/products/{id}/images",
            catalog,
            post(detail::upload_image).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES)),
        )
        .add("/products/{id}/images/{image}/delete", catalog, post(detail::delete_image))
}

pub fn status_name(t: &Msg, status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Draft => t.status_draft,
        ProductStatus::OnSale => t.status_on_sale,
        ProductStatus::OffSale => t.status_off_sale,
    }
}

pub fn reason_name(t: &Msg, reason: StockReason) -> &'static str {
    match reason {
        StockReason::Purchase => t.reason_purchase,
        StockReason::Sale => t.reason_sale,
        StockReason::Reservation => t.reason_reservation,
        StockReason::Release => t.reason_release,
        StockReason::CountAdjustment => t.reason_count_adjustment,
        StockReason::Manual => t.reason_manual,
    }
}

/// An amount as typed in a form, in yuan without the sign: `12.50`.
pub fn yuan_text(fen: Fen) -> String {
    fen.to_string().replace('¥', "")
}

/// `2026-11-25 20:00:00` in Beijing time (UTC+8), the time zone of the
/// people using zhibo; the column heading says so.
pub fn beijing_time(t: Timestamp) -> String {
    zhibo_domain::localtime::format_shop_time_seconds(t)
}

struct ProductRow {
    id: i64,
    title: String,
    subtitle: String,
    status: &'static str,
    status_code: &'static str,
    category: String,
    brand: String,
    price: String,
    list_price: Option<String>,
    sku_count: i64,
    stock: i64,
    cover: Option<String>,
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    l: Layout,
    products: Vec<ProductRow>,
    /// The filter as asked, to keep it in the form.
    status: String,
    q: String,
    statuses: Vec<(&'static str, &'static str)>,
    filtered: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
}

pub async fn list(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let status = match query.status.trim() {
        "" => None,
        s => Some(ProductStatus::parse(s)?),
    };
    let filter = ProductFilter { status, text: query.q.trim().to_owned() };
    let products = state
        .store
        .search_products(signed.user.shop, &filter)
        .await?
        .into_iter()
        .map(|s| {
            let p = s.product;
            ProductRow {
                id: p.id.0,
                status: status_name(t, p.status),
                status_code: p.status.as_str(),
                price: p.price.to_string(),
                list_price: (p.list_price.0 > 0).then(|| p.list_price.to_string()),
                cover: s.cover.map(|image| thumbnail_url(p.id, image)),
                title: p.title,
                subtitle: p.subtitle,
                category: p.category,
                brand: p.brand,
                sku_count: s.sku_count,
                stock: s.stock,
            }
        })
        .collect();
    let statuses = ProductStatus::ALL.into_iter().map(|s| (s.as_str(), status_name(t, s))).collect();
    let page = ProductsPage {
        l: ctx.layout,
        products,
        filtered: status.is_some() || !filter.text.is_empty(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        q: query.q,
        statuses,
    };
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_beijing_time() {
        assert_eq!(beijing_time(Timestamp(0)), "1970-01-01 08:00:00");
        // 2026-11-25 12:00:00 UTC
        assert_eq!(beijing_time(Timestamp(1_795_608_000_000)), "2026-11-25 20:00:00");
        assert_eq!(beijing_time(Timestamp(951_782_400_000)), "2000-02-29 08:00:00", "a leap day");
        assert_eq!(beijing_time(Timestamp(-1000)), "1970-01-01 07:59:59");
    }

    #[test]
    fn yuan_text_has_no_sign() {
        assert_eq!(yuan_text(Fen(39900)), "399.00");
        assert_eq!(yuan_text(Fen(5)), "0.05");
    }
}
