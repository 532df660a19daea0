//! The viewer page's public API (观众页): a lineup product's sheet with
//! its price breakdown from the pricing engine, and the shop's coupons a
//! viewer can claim now. Public on purpose: anonymous viewers see the same
//! sheet; claiming itself stays behind `/api/v1/coupons/{id}/claims`.

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use zhibo_domain::pricing::CartLine;
use zhibo_domain::{ProductId, RoomId};
use zhibo_store::promotions::StoredPromotion;
use zhibo_store::shows::ShowDetail;

use super::promotions::{Quote, invalid, live_promotions};
use crate::auth::{Access, Routes};
use crate::error::{ErrorBody, WebError};
use crate::i18n::Lang;
use crate::pages::promotions::{names, summary};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().add("/api/v1/shows/{id}/sheet/{product}", Access::Public, get(sheet)).add(
        "/api/v1/shows/{id}/coupons",
        Access::Public,
        get(coupons),
    )
}

#[derive(OpenApi)]
#[openapi(paths(sheet, coupons), components(schemas(ProductSheet, SheetFact, SheetSku, ShowCoupon)))]
pub struct ViewerApi;

#[derive(Debug, Serialize, ToSchema)]
pub struct SheetFact {
    /// `材质 / Material`: both languages, the page shows it as is.
    pub label: String,
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SheetSku {
    pub id: i64,
    /// `颜色=红, 尺码=M`, empty for a SKU without specs.
    pub specs: String,
    /// The shop's price.
    pub price_fen: i64,
    pub list_price_fen: i64,
    pub stock: i64,
    /// One unit of this SKU bought in this show now (its own price after
    /// the show's live price and the shop's live promotions, no buyer
    /// coupons): what the quote and checkout charge for it alone.
    pub payable_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSheet {
    pub product_id: i64,
    pub title: String,
    pub subtitle: String,
    pub facts: Vec<SheetFact>,
    pub skus: Vec<SheetSku>,
    /// The SKU the quote prices: the cheapest (its `payable_fen` is the
    /// quote's).
    pub quoted_sku_id: Option<i64>,
    /// One unit of that SKU bought in this show now, with the show's live
    /// price (直播价), the shop's live promotions and no buyer coupons;
    /// `null` for a product without SKUs.
    pub quote: Option<Quote>,
}

/// The show and its lineup, for a public caller: any show id of this shop.
async fn show_detail(state: &AppState, id: i64) -> Result<ShowDetail, WebError> {
    let show = crate::pages::room::show(state, id).await?;
    state.store.show(show.shop, RoomId(id)).await?.ok_or_else(|| WebError::NotFound(format!("show {id}")))
}

/// A lineup product's sheet (商品详情) with its price breakdown.
#[utoipa::path(get, path = "/api/v1/shows/{id}/sheet/{product}", params(("id" = i64, Path), ("product" = i64, Path)),
    responses((status = 200, body = ProductSheet), (status = 404, body = ErrorBody)))]
async fn sheet(
    State(state): State<AppState>,
    Path((id, product)): Path<(i64, i64)>,
) -> Result<Json<ProductSheet>, WebError> {
    let detail = show_detail(&state, id).await?;
    // Only what the show offers is public; drafts elsewhere in the shop are not.
    if !detail.lineup.iter().any(|l| l.product == ProductId(product)) {
        return Err(WebError::NotFound(format!("product {product} in show {id}")));
    }
    let shop = detail.show.shop;
    let found = state.store.product(shop, ProductId(product)).await?;
    let found = found.ok_or_else(|| WebError::NotFound(format!("product {product}")))?;
    let p = &found.product;
    let mut facts = Vec::new();
    let mut fact = |label: &str, value: String| {
        if !value.trim().is_empty() {
            facts.push(SheetFact { label: label.to_owned(), value });
        }
    };
    fact("材质 / Material", p.facts.material.clone());
    fact("尺码 / Sizes", p.facts.size_chart.clone());
    fact("发货 / Ships within (h)", p.facts.shipping_hours.map(|h| h.to_string()).unwrap_or_default());
    fact("售后 / After-sales", p.facts.after_sales.clone());
    // the cheapest SKU; the first of equals, in the product's own order
    let cheapest = found.skus.iter().reduce(|a, b| if b.price < a.price { b } else { a }).map(|s| s.id);
    // Each SKU priced alone through the shared path, with the show's live
    // price (per SKU, docs/pricing.md), so the sheet shows what the card,
    // the quote and checkout charge; each from the same loaded promotions,
    // as a budget may leave a promotion out of one SKU's price but not another's.
    let now = state.clock.now();
    let loaded = live_promotions(&state, shop, Some(&detail), now).await?;
    let mut skus = Vec::with_capacity(found.skus.len());
    let mut quote = None;
    for sku in &found.skus {
        let list_price = (sku.list_price.0 > 0).then_some(sku.list_price);
        let line = CartLine::new(sku.product, sku.id, sku.price, 1, list_price).map_err(invalid)?.in_show(id);
        let mut live = loaded.clone();
        let priced = live.price(&[line], &[], now)?;
        skus.push(SheetSku {
            id: sku.id.0,
            specs: sku.specs.to_string(),
            price_fen: sku.price.0,
            list_price_fen: sku.list_price.0,
            stock: sku.stock,
            payable_fen: priced.payable.0,
        });
        if Some(sku.id) == cheapest {
            quote = Some(live.quote(&priced));
        }
    }
    Ok(Json(ProductSheet {
        product_id: p.id.0,
        title: p.title.clone(),
        subtitle: p.subtitle.clone(),
        facts,
        skus,
        quoted_sku_id: cheapest.map(|s| s.0),
        quote,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShowCoupon {
    pub id: i64,
    pub name: String,
    /// 满100减15券 ×100张 每人1张, and the same in English.
    pub summary_zh: String,
    pub summary_en: String,
    /// How many are still there to claim.
    pub left: i64,
}

/// The shop's coupons a viewer can claim now (领券), with how many are left.
#[utoipa::path(get, path = "/api/v1/shows/{id}/coupons", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ShowCoupon>), (status = 404, body = ErrorBody)))]
async fn coupons(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Vec<ShowCoupon>>, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let now = state.clock.now();
    let mut out = Vec::new();
    let mut product_names = None;
    for record in state.store.promotions_of_shop(show.shop).await? {
        let Some(limits) = record.coupon else { continue };
        let left = limits.total - record.coupon_claimed;
        if !record.active || left <= 0 {
            continue;
        }
        let StoredPromotion::Coupon(coupon) = record.to_domain()? else { continue };
        if !coupon.is_claimable_at(now) {
            continue;
        }
        // product names only when a coupon is there to summarise
        if product_names.is_none() {
            product_names = Some(names(&state.store.product_details_of_shop(show.shop).await?));
        }
        let Some(n) = product_names.as_ref() else { continue };
        out.push(ShowCoupon {
            id: record.id,
            name: record.name,
            summary_zh: summary::coupon(&coupon, Lang::ZhCn, n),
            summary_en: summary::coupon(&coupon, Lang::En, n),
            left,
        });
    }
    Ok(Json(out))
}
