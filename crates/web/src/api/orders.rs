//! 订单 API: a buyer's cart in a show, checkout, sandbox payment and their
//! own orders; the shop's order list and its status changes.
//!
//! Checkout prices the cart through the same path as the quote API and the
//! product sheet (the SKU's price, [`live_promotions`] with the show's
//! lineup live price, the buyer's claimed coupons, the pure engine), so
//! card, cart, quote and order never disagree. The store places the order
//! with the engine's gifts as ¥0 lines, stock reserved and promotion
//! budgets drawn down in the same transaction (a budget another order
//! spent first is a 409 naming the promotion); only
//! after its commit is the event appended to the show's room log and the
//! running room told ([`announce`]), so the console's figures and the
//! lineup's stock follow.
//!
//! Bad input is a 4xx naming the field, and moves no stock: a SKU not on
//! sale or not in the show, a quantity of 0 or 10^9, a stale price (409 with
//! the new one), a coupon that is not the buyer's, paying twice (409), and
//! a replayed request key (the same order back, 200).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use zhibo_domain::catalog::ProductStatus;
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_domain::order::{self, OrderActor, OrderStatus, Party, ShippingAddress};
use zhibo_domain::pricing::{CartLine, PricedCart};
use zhibo_domain::promotion::Coupon;
use zhibo_domain::{DomainError, OrderId, Permission, ProductId, RoomId, ShopId, SkuId, Timestamp};
use zhibo_store::SkuRecord;
use zhibo_store::orders::{
    BudgetSpend, NewGiftLine, NewOrder, NewOrderLine, NewPayment, OrderExtras, OrderFilter, OrderRecord,
    OrderRejection, PaymentRefusal, StockSource,
};
use zhibo_store::shows::ShowDetail;

use super::json::ApiJson;
use super::promotions::{Quote, live_promotions, usable_claims};
use crate::auth::{Access, Routes, Signed};
use crate::error::{ErrorBody, FieldError, WebError};
use crate::payment::{self, PayRequest};
use crate::state::AppState;

pub fn routes() -> Routes {
    use Access::Needs;
    Routes::default()
        .add("/api/v1/shows/{id}/cart", Needs(Permission::SignedIn), get(get_cart))
        .add("/api/v1/shows/{id}/cart/{sku}", Needs(Permission::SignedIn), put(put_cart_item))
        .add("/api/v1/shows/{id}/checkout", Needs(Permission::SignedIn), post(checkout))
        .add("/api/v1/me/orders", Needs(Permission::SignedIn), get(my_orders))
        .add("/api/v1/me/orders/{id}", Needs(Permission::SignedIn), get(my_order))
        .add("/api/v1/me/orders/{id}/payment", Needs(Permission::SignedIn), post(pay))
        .add("/api/v1/me/orders/{id}/cancel", Needs(Permission::SignedIn), post(cancel))
        .add("/api/v1/orders", Needs(Permission::Orders), get(shop_orders))
        .add("/api/v1/orders/{id}", Needs(Permission::Orders), get(shop_order))
        .add("/api/v1/orders/{id}/transitions", Needs(Permission::Orders), post(shop_transition))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        get_cart,
        put_cart_item,
        checkout,
        my_orders,
        my_order,
        pay,
        cancel,
        shop_orders,
        shop_order,
        shop_transition
    ),
    components(schemas(
        CartView,
        CartItemView,
        SetQuantity,
        CheckoutRequest,
        CheckoutLine,
        AddressInput,
        OrderView,
        OrderLineView,
        AddressView,
        PaymentView,
        PayBody,
        OrderPage,
        OrderDetail,
        TransitionView,
        TransitionRequest
    ))
)]
pub struct OrdersApi;

// ------------------------------------------------------------ views

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineView {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub specs: String,
    pub quantity: u32,
    pub unit_price_fen: i64,
    pub total_fen: i64,
    /// A gift line (赠品, price 0): the promotion that granted it.
    pub gift_promotion_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    pub name: String,
    pub phone: String,
    pub region: String,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    /// pending_payment, paid, shipped, delivered, completed, cancelled or refunded
    pub status: String,
    pub status_zh: String,
    pub status_en: String,
    pub show_id: Option<i64>,
    pub buyer_id: i64,
    pub subtotal_fen: i64,
    pub discount_fen: i64,
    pub total_fen: i64,
    /// The coupon claim used, if any.
    pub claim_id: Option<i64>,
    /// checkout or flash_sale
    pub source: String,
    pub flash_sale_id: Option<i64>,
    pub lines: Vec<OrderLineView>,
    pub address: AddressView,
    pub tracking_number: Option<String>,
    pub created_at_ms: i64,
    /// An unpaid order is cancelled and its stock released at this time.
    pub expires_at_ms: i64,
    pub paid_at_ms: Option<i64>,
    pub shipped_at_ms: Option<i64>,
    pub delivered_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    /// True when this answer is an earlier order found by its request key.
    pub replayed: bool,
}

impl From<&OrderRecord> for OrderView {
    fn from(o: &OrderRecord) -> Self {
        OrderView {
            id: o.id.0,
            status: o.status.as_str().into(),
            status_zh: o.status.zh().into(),
            status_en: o.status.en().into(),
            show_id: o.show.map(|s| s.0),
            buyer_id: o.buyer.0,
            subtotal_fen: o.subtotal.0,
            discount_fen: o.discount.0,
            total_fen: o.total.0,
            claim_id: o.claim,
            source: o.source.kind().into(),
            flash_sale_id: o.source.flash_sale().map(|f| f.0),
            lines: o
                .lines
                .iter()
                .map(|l| OrderLineView {
                    sku_id: l.sku.0,
                    product_id: l.product.0,
                    title: l.product_title.clone(),
                    specs: l.specs.clone(),
                    quantity: l.quantity,
                    unit_price_fen: l.unit_price.0,
                    total_fen: l.base_total().0,
                    gift_promotion_id: l.gift,
                })
                .collect(),
            address: AddressView {
                name: o.address.name().into(),
                phone: o.address.phone().into(),
                region: o.address.region().into(),
                detail: o.address.detail().into(),
            },
            tracking_number: o.tracking_number.clone(),
            created_at_ms: o.created_at.0,
            expires_at_ms: o.expires_at.0,
            paid_at_ms: o.paid_at.map(|t| t.0),
            shipped_at_ms: o.shipped_at.map(|t| t.0),
            delivered_at_ms: o.delivered_at.map(|t| t.0),
            closed_at_ms: o.closed_at.map(|t| t.0),
            replayed: o.replayed,
        }
    }
}

fn view(o: &OrderRecord) -> Json<OrderView> {
    Json(OrderView::from(o))
}

// ------------------------------------------------------------ helpers

/// A 422 for domain problems, their fields under `prefix` (`address.phone`).
fn invalid_under(prefix: &str, errors: Vec<DomainError>) -> WebError {
    let fields: Vec<FieldError> = errors
        .iter()
        .map(|e| FieldError {
            field: if prefix.is_empty() { e.field.to_owned() } else { format!("{prefix}.{}", e.field) },
            message: e.message.clone(),
        })
        .collect();
    let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    WebError::Invalid { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields }
}

/// A 409 with a code and the field it concerns.
fn conflict(code: &'static str, field: &str, message: String) -> WebError {
    WebError::Invalid {
        status: StatusCode::CONFLICT,
        code,
        fields: vec![FieldError { field: field.to_owned(), message: message.clone() }],
        message,
    }
}

/// The show if it is the signed-in account's shop's.
async fn own_show(state: &AppState, shop: ShopId, id: i64) -> Result<ShowDetail, WebError> {
    state.store.show(shop, RoomId(id)).await?.ok_or_else(|| WebError::NotFound(format!("show {id}")))
}

/// One requested line, checked: the SKU is the shop's, its product is in the
/// show's lineup and on sale, the quantity is 1 to 99,999.
async fn resolve_line(
    state: &AppState,
    show: &ShowDetail,
    field: &str,
    sku_id: i64,
    quantity: u64,
) -> Result<(SkuRecord, u32), WebError> {
    let shop = show.show.shop;
    let sku = state
        .store
        .sku(shop, SkuId(sku_id))
        .await?
        .ok_or_else(|| WebError::invalid(format!("{field}.sku_id"), format!("没有这个SKU / no SKU {sku_id}")))?;
    if !show.lineup.iter().any(|l| l.product == sku.product) {
        return Err(WebError::invalid(
            format!("{field}.sku_id"),
            format!("SKU {sku_id} 不在本场直播的货盘中 / SKU {sku_id} is not in this show's lineup"),
        ));
    }
    let product = state.store.product(shop, sku.product).await?;
    if product.is_none_or(|p| p.product.status != ProductStatus::OnSale) {
        return Err(WebError::invalid(
            format!("{field}.sku_id"),
            format!("SKU {sku_id} 的商品未在售 / the product of SKU {sku_id} is not on sale"),
        ));
    }
    let quantity = order::quantity(quantity).map_err(|e| invalid_under(field, vec![e]))?;
    Ok((sku, quantity))
}

/// A cart priced by the engine for this buyer, and the claim to use.
pub(crate) struct Priced {
    pub priced: PricedCart,
    pub quote: Quote,
    /// The buyer's claim of the coupon the engine applied.
    pub claim: Option<i64>,
    /// What the order would spend of each promotion's budget.
    pub spends: Vec<BudgetSpend>,
}

/// Prices lines the way the quote API does: each SKU's own price in this
/// show, the show's live prices and the shop's promotions in force now
/// (within their budgets), and the buyer's coupons (all of them, the
/// engine picking the best, or only `chosen`).
pub(crate) async fn price_lines(
    state: &AppState,
    signed: &Signed,
    show: &ShowDetail,
    lines: &[(SkuRecord, u32)],
    chosen: Option<i64>,
) -> Result<Priced, WebError> {
    let now = state.clock.now();
    let mut cart = Vec::with_capacity(lines.len());
    for (i, (sku, quantity)) in lines.iter().enumerate() {
        let list_price = (sku.list_price.0 > 0).then_some(sku.list_price);
        let line = CartLine::new(sku.product, sku.id, sku.price, *quantity, list_price)
            .map_err(|e| invalid_under(&format!("lines[{i}]"), e))?;
        cart.push(line.in_show(show.show.id.0));
    }
    let mut live = live_promotions(state, show.show.shop, Some(show), now).await?;
    let claims = usable_claims(state, signed).await?;
    let claims: Vec<_> = match chosen {
        None => claims,
        Some(id) => {
            let mine: Vec<_> = claims.into_iter().filter(|(c, _)| c.id == id).collect();
            if mine.is_empty() {
                return Err(WebError::invalid(
                    "claim_id",
                    format!("优惠券 {id} 不可用：不是你的或已使用 / coupon claim {id} is not yours or already used"),
                ));
            }
            mine
        }
    };
    let coupons: Vec<Coupon> = claims.iter().map(|(_, c)| c.clone()).collect();
    let priced = live.price(&cart, &coupons, now)?;
    if chosen.is_some() && priced.coupon.is_none() {
        return Err(WebError::invalid(
            "claim_id",
            "这张优惠券不适用于本单（未达门槛、不在范围内或预算已用完） / this coupon does not apply to this cart (threshold, scope or budget)",
        ));
    }
    let claim = priced.coupon.and_then(|coupon| claims.iter().find(|(c, _)| c.coupon == coupon.0).map(|(c, _)| c.id));
    let spends = live.spends(&priced);
    let quote = live.quote(&priced);
    Ok(Priced { priced, quote, claim, spends })
}

// ------------------------------------------------------------ cart

#[derive(Debug, Serialize, ToSchema)]
pub struct CartItemView {
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub specs: String,
    pub quantity: u32,
    pub unit_price_fen: i64,
    pub list_price_fen: i64,
    pub stock: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    pub show_id: i64,
    pub items: Vec<CartItemView>,
    /// The engine's price of the whole cart with the buyer's best coupon;
    /// `null` for an empty cart.
    pub quote: Option<Quote>,
    /// The buyer's claim the quote uses.
    pub claim_id: Option<i64>,
    /// The payment provider's label, e.g. 沙箱支付 / Sandbox payment.
    pub payment_label_zh: String,
    pub payment_label_en: String,
    pub payment_is_sandbox: bool,
}

async fn cart_view(state: &AppState, signed: &Signed, show: &ShowDetail) -> Result<CartView, WebError> {
    let shop = show.show.shop;
    let mut items = Vec::new();
    let mut lines = Vec::new();
    for item in state.store.cart(signed.user.id, show.show.id).await? {
        let Some(sku) = state.store.sku(shop, item.sku).await? else { continue };
        let Some(product) = state.store.product(shop, sku.product).await? else { continue };
        items.push(CartItemView {
            sku_id: sku.id.0,
            product_id: sku.product.0,
            title: product.product.title.clone(),
            specs: sku.specs.to_string(),
            quantity: item.quantity,
            unit_price_fen: sku.price.0,
            list_price_fen: sku.list_price.0,
            stock: sku.stock,
        });
        lines.push((sku, item.quantity));
    }
    let (quote, claim_id) = if lines.is_empty() {
        (None, None)
    } else {
        let p = price_lines(state, signed, show, &lines, None).await?;
        (Some(p.quote), p.claim)
    };
    let provider = payment::provider();
    let (zh, en) = provider.label();
    Ok(CartView {
        show_id: show.show.id.0,
        items,
        quote,
        claim_id,
        payment_label_zh: zh.into(),
        payment_label_en: en.into(),
        payment_is_sandbox: provider.is_sandbox(),
    })
}

/// The signed-in buyer's cart in a show, priced by the engine.
#[utoipa::path(get, path = "/api/v1/shows/{id}/cart", params(("id" = i64, Path)),
    responses((status = 200, body = CartView), (status = 404, body = ErrorBody)))]
async fn get_cart(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<CartView>, WebError> {
    let show = own_show(&state, signed.user.shop, id).await?;
    Ok(Json(cart_view(&state, &signed, &show).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// 0 removes the SKU from the cart; at most 99,999.
    pub quantity: u64,
}

/// Sets how many of a SKU are in the cart (加入购物车); 0 removes it.
#[utoipa::path(put, path = "/api/v1/shows/{id}/cart/{sku}", params(("id" = i64, Path), ("sku" = i64, Path)),
    request_body = SetQuantity,
    responses((status = 200, body = CartView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_cart_item(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, sku)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<SetQuantity>,
) -> Result<Json<CartView>, WebError> {
    let show = own_show(&state, signed.user.shop, id).await?;
    let quantity = if body.quantity == 0 {
        0
    } else {
        resolve_line(&state, &show, "cart", sku, body.quantity).await.map_err(|e| rename_field(e, "cart.", ""))?.1
    };
    state.store.set_cart_quantity(signed.user.id, show.show.id, SkuId(sku), quantity).await?;
    Ok(Json(cart_view(&state, &signed, &show).await?))
}

/// Renames a field prefix in a 422 (`cart.sku_id` → `sku_id`).
fn rename_field(e: WebError, from: &str, to: &str) -> WebError {
    match e {
        WebError::Invalid { status, code, message, fields } => WebError::Invalid {
            status,
            code,
            message: message.replace(from, to),
            fields: fields
                .into_iter()
                .map(|f| FieldError { field: f.field.replacen(from, to, 1), message: f.message })
                .collect(),
        },
        other => other,
    }
}

// ------------------------------------------------------------ checkout

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutLine {
    pub sku_id: i64,
    pub quantity: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    /// 11-digit mainland mobile.
    pub phone: String,
    /// 省 市 区.
    pub region: String,
    pub detail: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// What to buy; left out: the whole cart of this show (emptied on success).
    pub lines: Option<Vec<CheckoutLine>>,
    pub address: AddressInput,
    /// A claim of the buyer's to use; left out: the engine's best.
    pub claim_id: Option<i64>,
    /// The total the buyer was shown; if the price is now different the
    /// answer is 409 with the new price and nothing is ordered.
    pub expected_total_fen: Option<i64>,
    /// Idempotency key, if not sent as the `Idempotency-Key` header.
    pub request_key: Option<String>,
}

/// Places an order (下单) for the buyer: priced by the engine, stock
/// reserved until it is paid or the shop's unpaid timeout passes. Send an
/// `Idempotency-Key` header (or `request_key`): a replay answers 200 with
/// the same order and moves no stock.
#[utoipa::path(post, path = "/api/v1/shows/{id}/checkout", params(("id" = i64, Path)), request_body = CheckoutRequest,
    responses((status = 201, body = OrderView), (status = 200, body = OrderView, description = "a replay"),
        (status = 409, body = ErrorBody, description = "stale price or not enough stock"), (status = 422, body = ErrorBody)))]
async fn checkout(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckoutRequest>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let show = own_show(&state, shop, id).await?;
    let header_key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map(str::to_owned).map_err(|_| {
            WebError::invalid("Idempotency-Key", "须为可见ASCII字符 / must be printable ASCII characters")
        })?),
        None => None,
    };
    let request_key = match header_key.or(body.request_key) {
        Some(k) => {
            let k = k.trim().to_owned();
            if !(1..=128).contains(&k.len()) || !k.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(WebError::invalid(
                    "request_key",
                    "请求键须为1到128个可见ASCII字符 / the request key must be 1 to 128 printable ASCII characters",
                ));
            }
            k
        }
        None => crate::auth::session::random_token(),
    };
    // A replay is answered before anything is priced again.
    let filter =
        OrderFilter { buyer: Some(signed.user.id), request_key: Some(request_key.clone()), ..Default::default() };
    if let Some(mut existing) = state.store.orders(shop, &filter).await?.pop() {
        existing.replayed = true;
        return Ok((StatusCode::OK, view(&existing)).into_response());
    }
    let a = &body.address;
    let address = ShippingAddress::parse(&a.name, &a.phone, &a.region, &a.detail)
        .map_err(|errors| invalid_under("address", errors))?;
    let from_cart = body.lines.is_none();
    let requested: Vec<(i64, u64)> = match body.lines {
        Some(lines) => lines.iter().map(|l| (l.sku_id, l.quantity)).collect(),
        None => state
            .store
            .cart(signed.user.id, show.show.id)
            .await?
            .iter()
            .map(|c| (c.sku.0, u64::from(c.quantity)))
            .collect(),
    };
    if requested.is_empty() {
        return Err(WebError::invalid("lines", "购物车是空的 / the cart is empty"));
    }
    let mut lines = Vec::with_capacity(requested.len());
    for (i, (sku, quantity)) in requested.into_iter().enumerate() {
        lines.push(resolve_line(&state, &show, &format!("lines[{i}]"), sku, quantity).await?);
    }
    let priced = price_lines(&state, &signed, &show, &lines, body.claim_id).await?;
    if let Some(expected) = body.expected_total_fen
        && expected != priced.priced.payable.0
    {
        let now = priced.priced.payable;
        return Err(conflict(
            "price_changed",
            "expected_total_fen",
            format!("价格已变化，现价{now}（{} 分） / the price has changed: it is now {now} ({} fen)", now.0, now.0),
        ));
    }
    let settings = state.store.shop(shop).await?.map(|s| s.settings).unwrap_or_default();
    let expires_at = state.clock.now().plus_secs(settings.unpaid_order_timeout_minutes.saturating_mul(60));
    let new = NewOrder {
        shop,
        show: Some(show.show.id),
        buyer: signed.user.id,
        lines: lines
            .iter()
            .map(|(sku, quantity)| NewOrderLine { sku: sku.id, quantity: *quantity, unit_price: sku.price })
            .collect(),
        discount: priced.priced.total_discount,
        claim: priced.claim,
        address,
        source: zhibo_domain::order::OrderSource::Checkout,
        request_key,
        expires_at,
        stock: StockSource::Reserve,
    };
    // The engine's gifts become lines at ¥0 with their stock reserved, and
    // the budgets are drawn down, in the order's own transaction.
    let extras = OrderExtras {
        gifts: priced
            .priced
            .gifts
            .iter()
            .map(|g| NewGiftLine { sku: g.sku, quantity: g.quantity, promotion: g.promotion.0 })
            .collect(),
        spends: priced.spends,
    };
    let placed = match state.store.place_checkout(new, extras).await? {
        Ok(placed) => placed,
        Err(rejection) => return Err(rejected(rejection, &lines)),
    };
    if placed.replayed {
        return Ok((StatusCode::OK, view(&placed)).into_response());
    }
    if from_cart {
        state.store.clear_cart(signed.user.id, show.show.id).await?;
    }
    announce(&state, &placed, "order.placed", Actor::User(signed.user.id)).await;
    Ok((StatusCode::CREATED, view(&placed)).into_response())
}

/// A store refusal as the buyer reads it, naming the line (or `gifts`
/// when a gift's SKU is what ran short).
fn rejected(rejection: OrderRejection, lines: &[(SkuRecord, u32)]) -> WebError {
    let line_of = |sku: SkuId| lines.iter().position(|(s, _)| s.id == sku);
    match rejection {
        OrderRejection::InsufficientStock(short) => {
            let field = match line_of(short.sku) {
                Some(i) => format!("lines[{i}].quantity"),
                None => "gifts".to_owned(),
            };
            conflict("insufficient_stock", &field, short.to_string())
        }
        OrderRejection::BudgetSpent { .. } => conflict("budget_spent", "promotion", rejection.to_string()),
        OrderRejection::UnknownSku { line, .. } if line >= lines.len() => {
            WebError::invalid("gifts", rejection.to_string())
        }
        OrderRejection::UnknownSku { line, sku } => {
            WebError::invalid(format!("lines[{line}].sku_id"), format!("没有这个SKU / no SKU {sku}"))
        }
        OrderRejection::ClaimNotUsable(_) => WebError::invalid("claim_id", rejection.to_string()),
        OrderRejection::Invalid(e) => WebError::invalid(e.field, e.message),
    }
}

// ------------------------------------------------------------ buyer's orders

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MyOrdersQuery {
    /// Only orders of this show.
    pub show: Option<i64>,
}

/// The signed-in buyer's orders (我的订单), newest first.
#[utoipa::path(get, path = "/api/v1/me/orders", params(MyOrdersQuery), responses((status = 200, body = Vec<OrderView>)))]
async fn my_orders(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<MyOrdersQuery>,
) -> Result<Json<Vec<OrderView>>, WebError> {
    let filter =
        OrderFilter { buyer: Some(signed.user.id), show: q.show.map(RoomId), limit: 200, ..Default::default() };
    let orders = state.store.orders(signed.user.shop, &filter).await?;
    Ok(Json(orders.iter().map(OrderView::from).collect()))
}

/// The order if it is the signed-in buyer's; anyone else's is "not found".
async fn buyers_order(state: &AppState, signed: &Signed, id: i64) -> Result<OrderRecord, WebError> {
    match state.store.order(signed.user.shop, OrderId(id)).await? {
        Some(o) if o.buyer == signed.user.id => Ok(o),
        _ => Err(WebError::NotFound(format!("order {id}"))),
    }
}

/// One of the buyer's own orders.
#[utoipa::path(get, path = "/api/v1/me/orders/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
async fn my_order(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<OrderView>, WebError> {
    Ok(view(&buyers_order(&state, &signed, id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayBody {
    /// Sandbox: a test card number; 4000000000000002 is always declined.
    pub card: Option<String>,
    /// Sandbox: make this payment fail.
    #[serde(default)]
    pub simulate_failure: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub provider: String,
    /// 沙箱支付（测试，不扣款） / Sandbox payment: no money moves.
    pub provider_label_zh: String,
    pub provider_label_en: String,
    pub sandbox: bool,
    pub reference: String,
    pub amount_fen: i64,
    pub succeeded: bool,
    pub order: OrderView,
}

/// Pays one of the buyer's orders with the configured provider (the
/// sandbox: 沙箱支付, no money moves). Paying a paid order is 409 and
/// records nothing; a declined payment is 402 and is recorded.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/payment", params(("id" = i64, Path)), request_body = PayBody,
    responses((status = 200, body = PaymentView), (status = 402, body = ErrorBody, description = "declined"),
        (status = 409, body = ErrorBody, description = "already paid, expired or cancelled")))]
async fn pay(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PayBody>,
) -> Result<Json<PaymentView>, WebError> {
    let order = buyers_order(&state, &signed, id).await?;
    // Refused before the provider is asked, so a paid order is never charged again.
    if let Some(refusal) = payable(&order, state.clock.now()) {
        return Err(payment_refused(refusal));
    }
    let provider = payment::provider();
    let charge =
        provider.charge(&order, &PayRequest { card: body.card, simulate_failure: body.simulate_failure }).await;
    let attempt = NewPayment {
        order: order.id,
        provider: provider.name().into(),
        reference: charge.reference.clone(),
        amount: charge.amount,
        succeeded: charge.succeeded,
        message: charge.message.clone(),
        actor: OrderActor::Buyer(signed.user.id),
    };
    let (paid, payment) = match state.store.record_payment(signed.user.shop, &attempt).await? {
        Ok(done) => done,
        Err(refusal) => return Err(payment_refused(refusal)),
    };
    if !payment.succeeded {
        announce(&state, &paid, "payment.failed", Actor::User(signed.user.id)).await;
        return Err(WebError::Invalid {
            status: StatusCode::PAYMENT_REQUIRED,
            code: "payment_declined",
            fields: vec![FieldError { field: "card".into(), message: charge.message.clone() }],
            message: charge.message,
        });
    }
    announce(&state, &paid, "order.paid", Actor::User(signed.user.id)).await;
    let (zh, en) = provider.label();
    Ok(Json(PaymentView {
        provider: payment.provider,
        provider_label_zh: zh.into(),
        provider_label_en: en.into(),
        sandbox: provider.is_sandbox(),
        reference: payment.reference,
        amount_fen: payment.amount.0,
        succeeded: true,
        order: OrderView::from(&paid),
    }))
}

/// Why an order cannot be paid now, as the store would say it.
fn payable(order: &OrderRecord, now: Timestamp) -> Option<PaymentRefusal> {
    match order.status {
        OrderStatus::PendingPayment if now >= order.expires_at => Some(PaymentRefusal::Expired),
        OrderStatus::PendingPayment => None,
        OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Completed => {
            Some(PaymentRefusal::AlreadyPaid)
        }
        other => Some(PaymentRefusal::NotPayable(other)),
    }
}

fn payment_refused(refusal: PaymentRefusal) -> WebError {
    let code = match refusal {
        PaymentRefusal::AlreadyPaid => "already_paid",
        PaymentRefusal::Expired => "expired",
        PaymentRefusal::NotPayable(_) => "not_payable",
        PaymentRefusal::AmountMismatch { .. } => "amount_mismatch",
        PaymentRefusal::NotTheBuyer => "not_the_buyer",
    };
    conflict(code, "order", refusal.to_string())
}

/// Cancels one of the buyer's unpaid orders; its stock goes back at once.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/cancel", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<OrderView>, WebError> {
    let order = buyers_order(&state, &signed, id).await?;
    let actor = OrderActor::Buyer(signed.user.id);
    let moved =
        move_order(&state, order.shop, order.id, OrderStatus::Cancelled, actor, "买家取消 / cancelled by buyer")
            .await?;
    Ok(view(&moved))
}

/// One transition through the store, then its event; a refused move is 409.
async fn move_order(
    state: &AppState,
    shop: ShopId,
    id: OrderId,
    to: OrderStatus,
    actor: OrderActor,
    note: &str,
) -> Result<OrderRecord, WebError> {
    match state.store.transition(shop, id, to, actor, note).await? {
        Ok(moved) => {
            let who = match actor.user() {
                Some(user) => Actor::User(user),
                None => Actor::System,
            };
            announce(state, &moved, &format!("order.{}", to.as_str()), who).await;
            Ok(moved)
        }
        Err(e) if e.field == "status" => Err(conflict("illegal_transition", "status", e.message)),
        Err(e) => Err(WebError::invalid(e.field, e.message)),
    }
}

// ------------------------------------------------------------ the shop's side

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub show: Option<i64>,
    /// pending_payment, paid, shipped, delivered, completed, cancelled or refunded
    pub status: Option<String>,
    /// Orders with a line of this product.
    pub product: Option<i64>,
    /// Placed at or after, Unix ms.
    pub from: Option<i64>,
    /// Placed before, Unix ms.
    pub to: Option<i64>,
    /// 1-based (default 1).
    pub page: Option<u32>,
    /// 1 to 200 (default 50).
    pub per_page: Option<u32>,
}

/// A checked filter from the list's query.
pub(crate) fn filter_of(
    show: Option<i64>,
    status: Option<&str>,
    product: Option<i64>,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<OrderFilter, WebError> {
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(OrderStatus::parse(s)?),
        None => None,
    };
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(WebError::invalid("to", "结束时间早于开始时间 / to is before from"));
    }
    let per_page = per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(WebError::invalid("per_page", "须在1到200之间 / must be from 1 to 200"));
    }
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(WebError::invalid("page", "从1开始 / pages start at 1"));
    }
    Ok(OrderFilter {
        show: show.map(RoomId),
        status,
        buyer: None,
        product: product.map(ProductId),
        request_key: None,
        from,
        to,
        offset: (page - 1).saturating_mul(per_page),
        limit: per_page,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    /// Orders matching the filter, on every page.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub orders: Vec<OrderView>,
}

/// The shop's orders (订单列表), newest first, filtered and paged.
#[utoipa::path(get, path = "/api/v1/orders", params(OrderQuery),
    responses((status = 200, body = OrderPage), (status = 422, body = ErrorBody)))]
async fn shop_orders(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<OrderQuery>,
) -> Result<Json<OrderPage>, WebError> {
    let filter = filter_of(
        q.show,
        q.status.as_deref(),
        q.product,
        q.from.map(Timestamp),
        q.to.map(Timestamp),
        q.page,
        q.per_page,
    )?;
    let shop = signed.user.shop;
    let total = state.store.count_orders(shop, &filter).await?;
    let orders = state.store.orders(shop, &filter).await?;
    Ok(Json(OrderPage {
        total,
        page: q.page.unwrap_or(1),
        per_page: filter.limit,
        orders: orders.iter().map(OrderView::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub from: Option<String>,
    pub to: String,
    /// buyer, staff or system
    pub party: String,
    pub user_id: Option<i64>,
    pub note: String,
    pub at_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderView,
    pub history: Vec<TransitionView>,
    /// Statuses the shop may move it to now.
    pub next: Vec<String>,
}

/// One order of the shop with its history.
#[utoipa::path(get, path = "/api/v1/orders/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = ErrorBody)))]
async fn shop_order(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Json<OrderDetail>, WebError> {
    let shop = signed.user.shop;
    let order = state.store.order(shop, OrderId(id)).await?.ok_or_else(|| WebError::NotFound(format!("order {id}")))?;
    let history = state.store.order_transitions(shop, order.id).await?;
    Ok(Json(OrderDetail {
        next: order.status.next_for(Party::Staff).map(|s| s.as_str().to_owned()).collect(),
        order: OrderView::from(&order),
        history: history
            .into_iter()
            .map(|h| TransitionView {
                from: h.from.map(|f| f.as_str().to_owned()),
                to: h.to.as_str().into(),
                party: h.party.as_str().into(),
                user_id: h.user.map(|u| u.0),
                note: h.note,
                at_ms: h.at.0,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// shipped, delivered, completed, refunded or cancelled
    pub to: String,
    /// Required to ship: the carrier's tracking number (运单号).
    pub tracking_number: Option<String>,
    /// Why (a refund reason), at most 200 characters.
    pub note: Option<String>,
}

/// Moves an order on (发货, 签收, 完成, 退款, 取消) if the status table lets
/// the shop do it; stock goes back to the ledger where the move says so.
#[utoipa::path(post, path = "/api/v1/orders/{id}/transitions", params(("id" = i64, Path)), request_body = TransitionRequest,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn shop_transition(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<Json<OrderView>, WebError> {
    let moved =
        staff_move(&state, &signed, id, &body.to, body.tracking_number.as_deref(), body.note.as_deref()).await?;
    Ok(view(&moved))
}

/// What the API and the /orders page share for a staff move.
pub(crate) async fn staff_move(
    state: &AppState,
    signed: &Signed,
    id: i64,
    to: &str,
    tracking_number: Option<&str>,
    note: Option<&str>,
) -> Result<OrderRecord, WebError> {
    let to = OrderStatus::parse(to).map_err(|e| WebError::invalid("to", e.message))?;
    let note = if to == OrderStatus::Shipped {
        let tracking = tracking_number.unwrap_or_default();
        order::tracking_number(tracking)?
    } else {
        order::note(note.unwrap_or_default())?
    };
    let shop = signed.user.shop;
    state.store.order(shop, OrderId(id)).await?.ok_or_else(|| WebError::NotFound(format!("order {id}")))?;
    move_order(state, shop, OrderId(id), to, OrderActor::Staff(signed.user.id), &note).await
}

// ------------------------------------------------------------ the room's log

/// After a committed order change: appends `kind` (`order.placed`,
/// `order.paid`, `order.cancelled`, …) with the order's total as `amount`
/// to its show's room log, then tells the running room so its figures and
/// the lineup's stock follow. The order stands whatever happens here, so a
/// failure is logged, not returned.
pub(crate) async fn announce(state: &AppState, order: &OrderRecord, kind: &str, actor: Actor) {
    let Some(room) = order.show else { return };
    let mut products: Vec<ProductId> = order.lines.iter().map(|l| l.product).collect();
    products.sort();
    products.dedup();
    let mut stock = Vec::with_capacity(products.len());
    for product in products {
        match state.store.product(order.shop, product).await {
            Ok(Some(detail)) => stock.push(serde_json::json!({
                "product": product.0,
                "stock": detail.skus.iter().map(|s| s.stock).sum::<i64>(),
            })),
            Ok(None) => {}
            Err(error) => tracing::error!(%error, order = %order.id, "stock for the order event not read"),
        }
    }
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| serde_json::json!({"sku": l.sku.0, "product": l.product.0, "quantity": l.quantity, "gift": l.gift.is_some()}))
        .collect();
    let Ok(kind) = EventKind::parse(kind) else {
        tracing::error!(kind, "not an event kind");
        return;
    };
    let event = NewEvent {
        room,
        kind,
        actor,
        amount: Some(order.total),
        payload: serde_json::json!({
            "order": order.id.0,
            "buyer": order.buyer.0,
            "status": order.status.as_str(),
            "source": order.source.kind(),
            "flash_sale": order.source.flash_sale().map(|f| f.0),
            "total_fen": order.total.0,
            "units": order.units(),
            "lines": lines,
            "stock": stock,
        }),
    };
    match state.store.append(event).await {
        Ok(event) => state.live.hub.room(room).observe(event).await,
        Err(error) => tracing::error!(%error, order = %order.id, "order event not appended"),
    }
}

// ------------------------------------------------------------ the sweeper

/// Cancels every unpaid order whose time has run out on the clock, giving
/// its stock back, and logs each in its room. Returns the cancelled orders.
/// The background task calls this; tests call it directly.
pub async fn sweep(state: &AppState) -> Result<Vec<OrderRecord>, WebError> {
    let now = state.clock.now();
    let mut all = Vec::new();
    // the store cancels a bounded batch per call; a few rounds drain a backlog
    for _ in 0..50 {
        let batch = state.store.expire_unpaid(now).await?;
        if batch.is_empty() {
            break;
        }
        for order in &batch {
            announce(state, order, "order.cancelled", Actor::System).await;
        }
        all.extend(batch);
    }
    Ok(all)
}

/// How often the background sweeper looks for expired orders.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The background sweeper, spawned with the server: [`sweep`] every
/// [`SWEEP_EVERY`]. Expiry itself is judged on the store's clock.
pub async fn sweeper(state: AppState) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate: the server has just started
    loop {
        tick.tick().await;
        if let Err(error) = sweep(&state).await {
            tracing::error!(%error, "unpaid orders not swept");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::Fen;
    use zhibo_domain::stock::InsufficientStock;

    fn parts(e: WebError) -> (StatusCode, &'static str, Vec<String>, String) {
        match e {
            WebError::Invalid { status, code, fields, message } => {
                (status, code, fields.into_iter().map(|f| f.field).collect(), message)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_budget_another_order_spent_first_is_a_409_naming_the_promotion() {
        let r = OrderRejection::BudgetSpent { promotion: 7, name: "满减".into(), left: Fen(50), needed: Fen(100) };
        let (status, code, fields, message) = parts(rejected(r, &[]));
        assert_eq!((status, code, fields), (StatusCode::CONFLICT, "budget_spent", vec!["promotion".to_owned()]));
        assert!(message.contains("满减") && message.contains("#7") && message.contains(" / "), "{message}");
    }

    #[test]
    fn a_gift_out_of_stock_or_unknown_names_the_gifts() {
        let short = InsufficientStock { sku: SkuId(3), available: 0, wanted: 1 };
        let (status, code, fields, _) = parts(rejected(OrderRejection::InsufficientStock(short), &[]));
        assert_eq!((status, code, fields), (StatusCode::CONFLICT, "insufficient_stock", vec!["gifts".to_owned()]));
        let (status, _, fields, _) = parts(rejected(OrderRejection::UnknownSku { line: 0, sku: SkuId(3) }, &[]));
        assert_eq!((status, fields), (StatusCode::UNPROCESSABLE_ENTITY, vec!["gifts".to_owned()]));
    }
}
