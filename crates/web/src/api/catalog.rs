//! 商品 API: the product library and the stock ledger under `/api/v1`.
//!
//! Products are written whole, with their SKUs (`POST` creates, `PUT`
//! replaces; SKUs with an `id` are kept, without are added, left out are
//! removed), checked by the same domain parser as the pages
//! ([`crate::catalog`]). Money is integer fen in fields ending `_fen`; a
//! field error names the path, e.g. `skus[1].price_fen`. The platform's
//! figures (平台数据) are integers in the unit their name says:
//! `return_rate_permille` (0‥1000, 12.5% is 125) and `review_tenths` (0‥50,
//! 4.8 stars is 48); null or left out when not entered.
//!
//! Bulk import and export as XLSX or CSV are in [`exchange`].

mod exchange;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use zhibo_domain::catalog::{ProductInput, ProductStatus, SkuInput};
use zhibo_domain::{Fen, ImageId, Permission, ProductId, SkuId};
use zhibo_store::{ImageRecord, LedgerEntry, ProductDetail, ProductFilter, ProductSummary, Rendition, SkuRecord};

use super::json::ApiJson;
use crate::auth::{Access, Routes, Signed};
use crate::catalog::exchange::MAX_UPLOAD_BODY_BYTES as EXCHANGE_UPLOAD_BODY_BYTES;
use crate::catalog::images::{self, MAX_UPLOAD_BODY_BYTES};
use crate::catalog::{Naming, StockRequest, change_stock, save_product};
use crate::error::{ErrorBody, WebError};
use crate::state::AppState;

pub fn routes() -> Routes {
    let catalog = Access::Needs(Permission::Catalog);
    Routes::default()
        .add("/api/v1/products", catalog, get(list_products).post(create_product))
        .add(
            "/api/v1/products/import",
            catalog,
            post(exchange::import_products).layer(DefaultBodyLimit::max(EXCHANGE_UPLOAD_BODY_BYTES)),
        )
        .add("/api/v1/products/export.xlsx", catalog, get(exchange::export_xlsx))
        .add("/api/v1/products/export.csv", catalog, get(exchange::export_csv))
        .add("/api/v1/products/{id}", catalog, get(get_product).put(update_product))
        .add("/api/v1/products/{id}/status", catalog, post(set_status))
        .add(
            "/api/v1/products/{id}/images",
            catalog,
            post(upload_image).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES)),
        )
        .add("/api/v1/products/{id}/images/{image}", catalog, get(image_original).delete(delete_image))
        .add("/api/v1/products/{id}/images/{image}/thumbnail", catalog, get(image_thumbnail))
        .add("/api/v1/skus/{sku}/ledger", catalog, get(sku_ledger))
        .add("/api/v1/skus/{sku}/stock", catalog, post(change_sku_stock))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_products,
        create_product,
        get_product,
        update_product,
        set_status,
        upload_image,
        image_original,
        image_thumbnail,
        delete_image,
        sku_ledger,
        change_sku_stock,
        exchange::import_products,
        exchange::export_xlsx,
        exchange::export_csv
    ),
    components(schemas(
        ProductView,
        ProductSummaryView,
        FactsView,
        SkuView,
        SpecPair,
        ImageView,
        LedgerView,
        ProductBody,
        FactsBody,
        SkuBody,
        StatusBody,
        StockBody,
        ImageUpload,
        ErrorBody,
        exchange::ImportReport,
        exchange::ImportRejected,
        exchange::IssueView,
        exchange::ImportUpload
    ))
)]
pub struct CatalogApi;

// ---------------------------------------------------------------- views

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecPair {
    /// 规格名, e.g. 颜色
    pub name: String,
    /// 规格值, e.g. 红
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FactsView {
    pub material: String,
    /// Lines of cells separated by `|`; the first line is the header.
    pub size_chart: String,
    /// Ships within this many hours of payment.
    pub shipping_hours: Option<u32>,
    pub after_sales: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkuView {
    pub id: i64,
    pub specs: Vec<SpecPair>,
    /// 划线价; 0: none.
    pub list_price_fen: i64,
    pub price_fen: i64,
    pub cost_fen: i64,
    pub weight_g: i64,
    pub barcode: Option<String>,
    /// Units that can be sold now: the sum of the SKU's ledger.
    pub stock: i64,
}

impl From<&SkuRecord> for SkuView {
    fn from(s: &SkuRecord) -> Self {
        SkuView {
            id: s.id.0,
            specs: s.specs.pairs().iter().map(|(n, v)| SpecPair { name: n.clone(), value: v.clone() }).collect(),
            list_price_fen: s.list_price.0,
            price_fen: s.price.0,
            cost_fen: s.cost.0,
            weight_g: s.weight_g,
            barcode: s.barcode.clone(),
            stock: s.stock,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    pub id: i64,
    /// image/jpeg, image/png or image/webp, read from the bytes.
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub byte_size: i64,
    pub url: String,
    pub thumbnail_url: String,
}

fn image_url(product: ProductId, image: ImageId) -> String {
    format!("/api/v1/products/{product}/images/{image}")
}

/// Where a product image's thumbnail is served (pages use it too).
pub fn thumbnail_url(product: ProductId, image: ImageId) -> String {
    format!("{}/thumbnail", image_url(product, image))
}

/// Where a product image's original is served.
pub fn original_url(product: ProductId, image: ImageId) -> String {
    image_url(product, image)
}

impl From<&ImageRecord> for ImageView {
    fn from(i: &ImageRecord) -> Self {
        ImageView {
            id: i.id.0,
            mime: i.mime.clone(),
            width: i.width,
            height: i.height,
            byte_size: i.byte_size,
            url: original_url(i.product, i.id),
            thumbnail_url: thumbnail_url(i.product, i.id),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub selling_points: Vec<String>,
    pub category: String,
    pub brand: String,
    /// draft, on_sale or off_sale
    pub status: String,
    pub facts: FactsView,
    /// 退货率 as the platform shows it (平台数据), in ‰ (12.5% is 125);
    /// null when not entered.
    pub return_rate_permille: Option<i64>,
    /// 商品评分 as the platform shows it (平台数据), in tenths of a star
    /// (4.8 is 48); null when not entered.
    pub review_tenths: Option<i64>,
    /// The cheapest SKU's price.
    pub price_fen: i64,
    /// That SKU's 划线价 (0: none).
    pub list_price_fen: i64,
    pub skus: Vec<SkuView>,
    pub images: Vec<ImageView>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl ProductView {
    fn new(detail: &ProductDetail, images: &[ImageRecord]) -> Self {
        let p = &detail.product;
        ProductView {
            id: p.id.0,
            title: p.title.clone(),
            subtitle: p.subtitle.clone(),
            selling_points: p.selling_points.clone(),
            category: p.category.clone(),
            brand: p.brand.clone(),
            status: p.status.as_str().into(),
            facts: FactsView {
                material: p.facts.material.clone(),
                size_chart: p.facts.size_chart.clone(),
                shipping_hours: p.facts.shipping_hours,
                after_sales: p.facts.after_sales.clone(),
            },
            return_rate_permille: p.platform.return_rate_permille,
            review_tenths: p.platform.review_tenths,
            price_fen: p.price.0,
            list_price_fen: p.list_price.0,
            skus: detail.skus.iter().map(SkuView::from).collect(),
            images: images.iter().map(ImageView::from).collect(),
            created_at_ms: p.created_at.0,
            updated_at_ms: p.updated_at.0,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSummaryView {
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub category: String,
    pub brand: String,
    pub status: String,
    pub price_fen: i64,
    pub list_price_fen: i64,
    pub sku_count: i64,
    /// Stock of all SKUs together.
    pub stock: i64,
    pub cover_thumbnail_url: Option<String>,
}

impl From<ProductSummary> for ProductSummaryView {
    fn from(s: ProductSummary) -> Self {
        let p = s.product;
        ProductSummaryView {
            cover_thumbnail_url: s.cover.map(|image| thumbnail_url(p.id, image)),
            id: p.id.0,
            title: p.title,
            subtitle: p.subtitle,
            category: p.category,
            brand: p.brand,
            status: p.status.as_str().into(),
            price_fen: p.price.0,
            list_price_fen: p.list_price.0,
            sku_count: s.sku_count,
            stock: s.stock,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerView {
    pub id: i64,
    pub sku_id: i64,
    /// Units added (positive) or taken (negative).
    pub delta: i64,
    /// purchase, sale, reservation, release, count_adjustment or manual
    pub reason: String,
    /// Who made the change; null for zhibo itself.
    pub actor_user_id: Option<i64>,
    pub note: String,
    /// The SKU's stock right after this entry.
    pub balance_after: i64,
    pub time_ms: i64,
}

impl From<LedgerEntry> for LedgerView {
    fn from(e: LedgerEntry) -> Self {
        LedgerView {
            id: e.id,
            sku_id: e.sku.0,
            delta: e.delta,
            reason: e.reason.as_str().into(),
            actor_user_id: e.actor.map(|a| a.0),
            note: e.note,
            balance_after: e.balance_after,
            time_ms: e.time.0,
        }
    }
}

// ---------------------------------------------------------------- bodies

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactsBody {
    #[serde(default)]
    pub material: String,
    #[serde(default)]
    pub size_chart: String,
    pub shipping_hours: Option<i64>,
    #[serde(default)]
    pub after_sales: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuBody {
    /// The SKU to keep when updating; leave out for a new SKU.
    pub id: Option<i64>,
    /// Ordered spec pairs; empty for a product without variants.
    #[serde(default)]
    pub specs: Vec<SpecPair>,
    /// 划线价; 0 or left out for none. Not below `price_fen`.
    #[serde(default)]
    pub list_price_fen: i64,
    pub price_fen: i64,
    #[serde(default)]
    pub cost_fen: i64,
    #[serde(default)]
    pub weight_g: i64,
    /// GTIN (8, 12, 13 or 14 digits with a correct check digit), unique in the shop.
    pub barcode: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Short lines, at most 10 of 40 characters.
    #[serde(default)]
    pub selling_points: Vec<String>,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub brand: String,
    /// draft (default), on_sale or off_sale
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub facts: FactsBody,
    /// 退货率 from the platform's shop backend (平台数据), in ‰, 0 to 1000
    /// (12.5% is 125); left out or null when not known, which selection
    /// counts as middling.
    #[schema(minimum = 0, maximum = 1000)]
    pub return_rate_permille: Option<i64>,
    /// 商品评分 from the platform's shop backend (平台数据), in tenths of a
    /// star, 0 to 50 (4.8 is 48); left out or null when not known.
    #[schema(minimum = 0, maximum = 50)]
    pub review_tenths: Option<i64>,
    /// At least one.
    #[serde(default)]
    pub skus: Vec<SkuBody>,
}

impl ProductBody {
    fn into_input(self) -> ProductInput {
        ProductInput {
            title: self.title,
            subtitle: self.subtitle,
            selling_points: self.selling_points,
            category: self.category,
            brand: self.brand,
            status: self.status,
            material: self.facts.material,
            size_chart: self.facts.size_chart,
            shipping_hours: self.facts.shipping_hours,
            after_sales: self.facts.after_sales,
            return_rate_permille: self.return_rate_permille,
            review_tenths: self.review_tenths,
            skus: self
                .skus
                .into_iter()
                .map(|s| SkuInput {
                    id: s.id,
                    specs: s.specs.into_iter().map(|p| (p.name, p.value)).collect(),
                    list_price: Fen(s.list_price_fen),
                    price: Fen(s.price_fen),
                    cost: Fen(s.cost_fen),
                    weight_g: s.weight_g,
                    barcode: s.barcode.unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// draft, on_sale or off_sale
    pub status: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockBody {
    /// purchase (+), sale (−), reservation (−), release (+), count_adjustment (±) or manual (±, needs a note)
    pub reason: String,
    /// Units added (positive) or taken (negative); never 0.
    pub delta: i64,
    #[serde(default)]
    pub note: String,
}

/// The multipart form of an image upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "describes the multipart form in the API document; the handler reads it as a stream")]
pub struct ImageUpload {
    /// JPEG, PNG or WebP, at most 5 MB; the type is read from the content.
    #[schema(value_type = String, format = Binary)]
    pub image: Vec<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this status: draft, on_sale or off_sale.
    pub status: Option<String>,
    /// Text in the title, subtitle, brand or category, or a SKU's barcode.
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// Only entries with a lower id (to page back).
    pub before: Option<i64>,
    /// At most this many, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

// ---------------------------------------------------------------- handlers

async fn product_view(state: &AppState, signed: &Signed, id: ProductId) -> Result<ProductView, WebError> {
    let shop = signed.user.shop;
    let detail = state.store.product(shop, id).await?.ok_or_else(|| WebError::NotFound(format!("product {id}")))?;
    let images = state.store.product_images(shop, id).await?;
    Ok(ProductView::new(&detail, &images))
}

/// The shop's products, oldest first, optionally by status and text.
#[utoipa::path(get, path = "/api/v1/products", params(ListQuery),
    responses((status = 200, body = Vec<ProductSummaryView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_products(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ProductSummaryView>>, WebError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(ProductStatus::parse(s)?),
        None => None,
    };
    let filter = ProductFilter { status, text: q.q.unwrap_or_default() };
    let products = state.store.search_products(signed.user.shop, &filter).await?;
    Ok(Json(products.into_iter().map(ProductSummaryView::from).collect()))
}

/// Adds a product with its SKUs, all or nothing. Each SKU starts with stock 0.
#[utoipa::path(post, path = "/api/v1/products", request_body = ProductBody,
    responses((status = 201, body = ProductView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(body): ApiJson<ProductBody>,
) -> Result<Response, WebError> {
    let input = body.into_input();
    let id = save_product(&state, signed.user.shop, None, &input, Vec::new(), Naming::Api).await?;
    Ok((StatusCode::CREATED, Json(product_view(&state, &signed, id).await?)).into_response())
}

/// A product with its SKUs (and their stock) and images.
#[utoipa::path(get, path = "/api/v1/products/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<ProductView>, WebError> {
    Ok(Json(product_view(&state, &signed, ProductId(id)).await?))
}

/// Replaces a product and its SKUs, all or nothing: SKUs with an id are kept
/// (with their stock), without are added, left out are removed (refused with
/// 409 for a SKU that has stock history).
#[utoipa::path(put, path = "/api/v1/products/{id}", params(("id" = i64, Path)), request_body = ProductBody,
    responses((status = 200, body = ProductView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ProductBody>,
) -> Result<Json<ProductView>, WebError> {
    let id = ProductId(id);
    let shop = signed.user.shop;
    if state.store.product(shop, id).await?.is_none() {
        return Err(WebError::NotFound(format!("product {id}")));
    }
    save_product(&state, shop, Some(id), &body.into_input(), Vec::new(), Naming::Api).await?;
    Ok(Json(product_view(&state, &signed, id).await?))
}

/// Puts a product on sale, takes it off sale or back to draft. Nothing goes
/// on sale with a SKU priced 0.
#[utoipa::path(post, path = "/api/v1/products/{id}/status", params(("id" = i64, Path)), request_body = StatusBody,
    responses((status = 200, body = ProductView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<ProductView>, WebError> {
    let id = ProductId(id);
    crate::catalog::set_status(&state, signed.user.shop, id, &body.status).await?;
    Ok(Json(product_view(&state, &signed, id).await?))
}

/// Uploads an image (multipart, field `image`). The type is read from the
/// bytes: JPEG, PNG or WebP only; at most 5 MB (413 beyond, refused from the
/// declared length before reading); a thumbnail is made.
#[utoipa::path(post, path = "/api/v1/products/{id}/images", params(("id" = i64, Path)),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ImageView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_image(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let image = images::receive(&state, signed.user.shop, ProductId(id), &headers, multipart).await?;
    Ok((StatusCode::CREATED, Json(ImageView::from(&image))).into_response())
}

async fn image_bytes(
    state: &AppState,
    signed: &Signed,
    (id, image): (i64, i64),
    rendition: Rendition,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    let bytes = state
        .store
        .image_bytes(signed.user.shop, ProductId(id), ImageId(image), rendition)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("image {image}")))?;
    Ok(images::serve(bytes, rendition, headers))
}

/// The image as uploaded, with its content type, an ETag and long caching.
#[utoipa::path(get, path = "/api/v1/products/{id}/images/{image}", params(("id" = i64, Path), ("image" = i64, Path)),
    responses((status = 200, description = "the image (image/jpeg, image/png or image/webp)"), (status = 304), (status = 404, body = ErrorBody)))]
async fn image_original(
    State(state): State<AppState>,
    signed: Signed,
    Path(ids): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    image_bytes(&state, &signed, ids, Rendition::Original, &headers).await
}

/// The image's thumbnail (fits in 400×400; JPEG, or PNG with transparency).
#[utoipa::path(get, path = "/api/v1/products/{id}/images/{image}/thumbnail", params(("id" = i64, Path), ("image" = i64, Path)),
    responses((status = 200, description = "the thumbnail (image/jpeg or image/png)"), (status = 304), (status = 404, body = ErrorBody)))]
async fn image_thumbnail(
    State(state): State<AppState>,
    signed: Signed,
    Path(ids): Path<(i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    image_bytes(&state, &signed, ids, Rendition::Thumbnail, &headers).await
}

/// Removes an image.
#[utoipa::path(delete, path = "/api/v1/products/{id}/images/{image}", params(("id" = i64, Path), ("image" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_image(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, image)): Path<(i64, i64)>,
) -> Result<StatusCode, WebError> {
    state.store.delete_product_image(signed.user.shop, ProductId(id), ImageId(image)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A SKU's stock ledger, newest first.
#[utoipa::path(get, path = "/api/v1/skus/{sku}/ledger", params(("sku" = i64, Path), LedgerQuery),
    responses((status = 200, body = Vec<LedgerView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn sku_ledger(
    State(state): State<AppState>,
    signed: Signed,
    Path(sku): Path<i64>,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<Vec<LedgerView>>, WebError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(WebError::invalid("limit", "须在1到500之间 / must be from 1 to 500"));
    }
    let entries = state.store.sku_ledger(signed.user.shop, SkuId(sku), q.before, limit).await?;
    Ok(Json(entries.into_iter().map(LedgerView::from).collect()))
}

/// Changes a SKU's stock by one ledger entry. Taking more than there is is
/// refused with 409 `insufficient_stock` and writes nothing.
#[utoipa::path(post, path = "/api/v1/skus/{sku}/stock", params(("sku" = i64, Path)), request_body = StockBody,
    responses((status = 201, body = LedgerView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_sku_stock(
    State(state): State<AppState>,
    signed: Signed,
    Path(sku): Path<i64>,
    ApiJson(body): ApiJson<StockBody>,
) -> Result<Response, WebError> {
    let request = StockRequest { sku: SkuId(sku), reason: &body.reason, delta: body.delta, note: &body.note };
    let entry = change_stock(&state, signed.user.shop, signed.user.id, request, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(LedgerView::from(entry))).into_response())
}
