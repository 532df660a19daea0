//! 促销 API: promotions and coupons under `/api/v1/promotions` and
//! `/api/v1/coupons`, coupon claims for buyers, and price quotes from the
//! pricing engine (`/api/v1/pricing/quote`).
//!
//! Rules travel as the domain's own JSON (`zhibo_domain::promotion`), money
//! in fen and times in Unix milliseconds; the domain checks them, so the
//! pages and the API refuse the same things with the same messages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use zhibo_domain::ids::{PromotionId, SkuId};
use zhibo_domain::pricing::{CartLine, DiscountSource, PricedCart, PricingInput, price_cart};
use zhibo_domain::promotion::{
    Coupon, CouponDraft, LivePrice, LivePriceItem, Promotion, PromotionDraft, PromotionRule, Scope,
};
use zhibo_domain::{DomainError, Fen, Permission, ProductId, RoomId, Timestamp};
use zhibo_store::orders::BudgetSpend;
use zhibo_store::promotions::{self as stored, ClaimOutcome, PromotionRecord, StoredPromotion};
use zhibo_store::shows::ShowDetail;

use super::json::{ApiJson, parse};
use crate::auth::{Access, Routes, Signed};
use crate::error::{ErrorBody, FieldError, WebError};
use crate::state::AppState;

pub fn routes() -> Routes {
    use Access::Needs;
    Routes::default()
        .add("/api/v1/promotions", Needs(Permission::Catalog), get(list).post(create_promotion))
        .add("/api/v1/promotions/{id}/active", Needs(Permission::Catalog), put(set_active))
        .add("/api/v1/coupons", Needs(Permission::Catalog), post(create_coupon))
        .add("/api/v1/coupons/{id}/claims", Needs(Permission::SignedIn), post(claim))
        .add("/api/v1/me/coupons", Needs(Permission::SignedIn), get(my_coupons))
        .add("/api/v1/pricing/quote", Needs(Permission::SignedIn), post(quote))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create_promotion, set_active, create_coupon, claim, my_coupons, quote),
    components(schemas(PromotionView, CreatePromotion, SetActive, ClaimView, QuoteRequest, QuoteLine, Quote))
)]
pub struct PromotionsApi;

/// Domain problems as a 422 naming every field.
pub fn invalid(errors: Vec<DomainError>) -> WebError {
    invalid_under("", errors)
}

/// The same, with the fields placed under `prefix` (`lines[2].quantity`).
fn invalid_under(prefix: &str, errors: Vec<DomainError>) -> WebError {
    let name = |field: &str| if prefix.is_empty() { field.to_owned() } else { format!("{prefix}.{field}") };
    let fields: Vec<FieldError> =
        errors.iter().map(|e| FieldError { field: name(e.field), message: e.message.clone() }).collect();
    let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    WebError::Invalid { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionView {
    pub id: i64,
    /// live_price, flash_sale, quantity_discount, full_reduction, coupon or gift
    pub kind: String,
    pub name: String,
    pub show_id: Option<i64>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub budget_fen: Option<i64>,
    pub spent_fen: i64,
    pub active: bool,
    /// Coupons: how many may be claimed in all and by one buyer, and how many are.
    pub coupon_total: Option<i64>,
    pub coupon_per_buyer: Option<i64>,
    pub coupon_claimed: i64,
    /// The rule, as the domain stores it (a coupon: its whole definition).
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
}

impl From<PromotionRecord> for PromotionView {
    fn from(p: PromotionRecord) -> Self {
        PromotionView {
            id: p.id,
            kind: p.kind,
            name: p.name,
            show_id: p.show,
            starts_at_ms: p.starts_at.0,
            ends_at_ms: p.ends_at.0,
            budget_fen: p.budget.map(|b| b.0),
            spent_fen: p.spent.0,
            active: p.active,
            coupon_total: p.coupon.map(|c| c.total),
            coupon_per_buyer: p.coupon.map(|c| c.per_buyer),
            coupon_claimed: p.coupon_claimed,
            rule: p.rule,
        }
    }
}

/// The shop's promotions and coupons, newest first.
#[utoipa::path(get, path = "/api/v1/promotions", responses((status = 200, body = Vec<PromotionView>)))]
async fn list(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<PromotionView>>, WebError> {
    let all = state.store.promotions_of_shop(signed.user.shop).await?;
    Ok(Json(all.into_iter().map(PromotionView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePromotion {
    pub name: String,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub budget_fen: Option<i64>,
    /// The show a live price or flash sale belongs to.
    pub show_id: Option<i64>,
    /// `{"kind": "full_reduction", ...}` — see docs/pricing.md for each kind.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
}

/// Creates a promotion (直播价, 秒杀价, 满件折, 满减, 赠品); coupons have their own endpoint.
#[utoipa::path(post, path = "/api/v1/promotions", request_body = CreatePromotion,
    responses((status = 201, body = PromotionView), (status = 422, body = ErrorBody)))]
async fn create_promotion(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(body): ApiJson<CreatePromotion>,
) -> Result<Response, WebError> {
    // the rule's own field errors name their path under `rule`
    let rule: PromotionRule = parse(body.rule.to_string().as_bytes()).map_err(|e| prefix_fields(e, "rule"))?;
    let draft = PromotionDraft {
        id: zhibo_domain::ids::PromotionId(0),
        name: body.name,
        starts_at: Timestamp(body.starts_at_ms),
        ends_at: Timestamp(body.ends_at_ms),
        budget: body.budget_fen.map(Fen),
        rule,
    };
    let promotion = Promotion::new(draft).map_err(invalid)?;
    let (products, skus) = promotion.rule().references();
    check_references(&state, signed.user.shop, "rule", &products, &skus).await?;
    if let PromotionRule::LivePrice(rule) = promotion.rule() {
        check_live_price_skus(&state, signed.user.shop, rule).await?;
    }
    let record = stored::new_promotion(signed.user.shop, body.show_id, &promotion)?;
    let id = state.store.create_promotion(&record).await?;
    created(&state, id).await
}

/// Creates a coupon: the body is a coupon definition without `id`.
#[utoipa::path(post, path = "/api/v1/coupons", request_body = Object,
    responses((status = 201, body = PromotionView), (status = 422, body = ErrorBody)))]
async fn create_coupon(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(mut body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, WebError> {
    if body.contains_key("id") {
        return Err(WebError::invalid("id", "编号由系统分配 / the id is assigned by zhibo"));
    }
    body.insert("id".into(), 0.into());
    let draft: CouponDraft = parse(serde_json::Value::Object(body).to_string().as_bytes())?;
    let coupon = Coupon::new(draft).map_err(invalid)?;
    if let Scope::Products(products) = coupon.scope() {
        check_references(&state, signed.user.shop, "scope", products, &[]).await?;
    }
    let record = stored::new_coupon(signed.user.shop, &coupon)?;
    let id = state.store.create_promotion(&record).await?;
    created(&state, id).await
}

/// Refuses a rule that names products or SKUs the shop does not have, as
/// the pages do (they only offer the shop's own).
async fn check_references(
    state: &AppState,
    shop: zhibo_domain::ShopId,
    field: &str,
    products: &[ProductId],
    skus: &[SkuId],
) -> Result<(), WebError> {
    let mut unknown = Vec::new();
    for &p in products {
        if state.store.product(shop, p).await?.is_none() {
            unknown.push(format!("product {p}"));
        }
    }
    for &s in skus {
        if state.store.sku(shop, s).await?.is_none() {
            unknown.push(format!("SKU {s}"));
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    Err(WebError::invalid(field, format!("本店没有 / not in this shop: {}", unknown.join(", "))))
}

/// Refuses a live price whose SKU item names a SKU of another product: the
/// engine would never meet that pair, so the price would silently not apply.
async fn check_live_price_skus(state: &AppState, shop: zhibo_domain::ShopId, rule: &LivePrice) -> Result<(), WebError> {
    for item in &rule.items {
        let Some(sku) = item.sku else { continue };
        if let Some(record) = state.store.sku(shop, sku).await?
            && record.product != item.product
        {
            let p = item.product;
            return Err(WebError::invalid(
                "items",
                format!("SKU {sku} 不是商品 {p} 的 / SKU {sku} is not one of product {p}'s"),
            ));
        }
    }
    Ok(())
}

async fn created(state: &AppState, id: i64) -> Result<Response, WebError> {
    let record = state.store.promotion(id).await?.ok_or_else(|| WebError::NotFound(format!("promotion {id}")))?;
    Ok((StatusCode::CREATED, Json(PromotionView::from(record))).into_response())
}

fn prefix_fields(e: WebError, prefix: &str) -> WebError {
    match e {
        WebError::Invalid { status, code, message, fields } => WebError::Invalid {
            status,
            code,
            message,
            fields: fields.into_iter().map(|f| FieldError { field: format!("{prefix}.{}", f.field), ..f }).collect(),
        },
        other => other,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetActive {
    pub active: bool,
}

/// Switches a promotion or coupon on or off.
#[utoipa::path(put, path = "/api/v1/promotions/{id}/active", params(("id" = i64, Path)), request_body = SetActive,
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn set_active(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<SetActive>,
) -> Result<StatusCode, WebError> {
    own_promotion(&state, &signed, id).await?;
    state.store.set_promotion_active(id, body.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The promotion if it is this shop's; another shop's is "not found".
async fn own_promotion(state: &AppState, signed: &Signed, id: i64) -> Result<PromotionRecord, WebError> {
    match state.store.promotion(id).await? {
        Some(p) if p.shop == signed.user.shop => Ok(p),
        _ => Err(WebError::NotFound(format!("promotion {id}"))),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub claim_id: i64,
    pub coupon_id: i64,
    pub name: String,
    pub claimed_at_ms: i64,
    /// Whether it can be used right now (its use window is open).
    pub usable_now: bool,
}

/// Claims one coupon for the signed-in buyer (领券).
#[utoipa::path(post, path = "/api/v1/coupons/{id}/claims", params(("id" = i64, Path)),
    responses((status = 201, body = ClaimView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn claim(State(state): State<AppState>, signed: Signed, Path(id): Path<i64>) -> Result<Response, WebError> {
    let record = own_promotion(&state, &signed, id).await?;
    let StoredPromotion::Coupon(coupon) = record.to_domain()? else {
        return Err(WebError::NotFound(format!("coupon {id}")));
    };
    let now = state.clock.now();
    if !record.active || !coupon.is_claimable_at(now) {
        return Err(WebError::invalid("coupon", "不在领取时间内 / this coupon cannot be claimed now"));
    }
    match state.store.claim_coupon(id, signed.user.id, now).await? {
        ClaimOutcome::Claimed { claim_id } => {
            let view = ClaimView {
                claim_id,
                coupon_id: id,
                name: coupon.name().to_owned(),
                claimed_at_ms: now.0,
                usable_now: coupon.is_usable_at(now),
            };
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
        ClaimOutcome::SoldOut => Err(WebError::Conflict("券已领完 / all coupons have been claimed".into())),
        ClaimOutcome::LimitReached => {
            Err(WebError::Conflict("已达到每人限领数量 / you already hold as many as one buyer may".into()))
        }
    }
}

/// The signed-in buyer's unused coupons.
#[utoipa::path(get, path = "/api/v1/me/coupons", responses((status = 200, body = Vec<ClaimView>)))]
async fn my_coupons(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<ClaimView>>, WebError> {
    let now = state.clock.now();
    let mut out = Vec::new();
    for (claim, coupon) in usable_claims(&state, &signed).await? {
        out.push(ClaimView {
            claim_id: claim.id,
            coupon_id: claim.coupon,
            name: coupon.name().to_owned(),
            claimed_at_ms: claim.claimed_at.0,
            usable_now: coupon.is_usable_at(now),
        });
    }
    Ok(Json(out))
}

pub(crate) async fn usable_claims(
    state: &AppState,
    signed: &Signed,
) -> Result<Vec<(zhibo_store::promotions::CouponClaimRecord, Coupon)>, WebError> {
    let mut out = Vec::new();
    for claim in state.store.unused_claims(signed.user.id).await? {
        let Some(record) = state.store.promotion(claim.coupon).await? else { continue };
        if !record.active {
            continue;
        }
        if let StoredPromotion::Coupon(coupon) = record.to_domain()? {
            out.push((claim, coupon));
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLine {
    pub sku_id: i64,
    pub quantity: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub lines: Vec<QuoteLine>,
    /// The show the cart is bought in, for live and flash prices (the
    /// lineup's 直播价 among them).
    pub show_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    pub subtotal_fen: i64,
    pub discount_fen: i64,
    pub payable_fen: i64,
    /// The coupon the engine chose for the buyer (a coupon id), if any.
    pub coupon_id: Option<i64>,
    /// Every line: sku, quantity, unit price, base, discount and final totals.
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<serde_json::Value>,
    /// Gift lines at price 0.
    #[schema(value_type = Vec<Object>)]
    pub gifts: Vec<serde_json::Value>,
    /// One sentence per discount, in Chinese and in English.
    pub explanation_zh: Vec<String>,
    pub explanation_en: Vec<String>,
}

/// Prices a cart for the signed-in buyer with the shop's promotions in force
/// now and the buyer's best coupon.
#[utoipa::path(post, path = "/api/v1/pricing/quote", request_body = QuoteRequest,
    responses((status = 200, body = Quote), (status = 422, body = ErrorBody)))]
async fn quote(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(body): ApiJson<QuoteRequest>,
) -> Result<Json<Quote>, WebError> {
    let shop = signed.user.shop;
    let now = state.clock.now();
    let show =
        match body.show_id {
            Some(id) => Some(state.store.show(shop, RoomId(id)).await?.ok_or_else(|| {
                WebError::invalid("show_id", format!("本店没有这场直播 / no show {id} in this shop"))
            })?),
            None => None,
        };
    let mut lines = Vec::with_capacity(body.lines.len());
    for (i, line) in body.lines.iter().enumerate() {
        let sku = state.store.sku(shop, SkuId(line.sku_id)).await?.ok_or_else(|| {
            WebError::invalid(format!("lines[{i}].sku_id"), format!("没有这个SKU / no SKU {}", line.sku_id))
        })?;
        let list_price = (sku.list_price.0 > 0).then_some(sku.list_price);
        let cart_line = CartLine::new(sku.product, sku.id, sku.price, line.quantity, list_price)
            .map_err(|errors| invalid_under(&format!("lines[{i}]"), errors))?;
        lines.push(match body.show_id {
            Some(show) => cart_line.in_show(show),
            None => cart_line,
        });
    }
    let mut live = live_promotions(&state, shop, show.as_ref(), now).await?;
    let coupons: Vec<Coupon> = usable_claims(&state, &signed).await?.into_iter().map(|(_, c)| c).collect();
    let priced = live.price(&lines, &coupons, now)?;
    Ok(Json(live.quote(&priced)))
}

/// The id the show lineup's live price (直播价) carries in the engine.
/// Stored promotions are numbered from 1, so it never names one; it has no
/// budget to draw down.
pub(crate) const LINEUP_LIVE_PRICE: PromotionId = PromotionId(0);

/// The shop's promotions in force at `now` as the pricing engine takes
/// them (with the show lineup's live prices as one more 直播间专享价 rule,
/// built per SKU for the lines of each pricing), what is left of each
/// budget, and a note for each promotion left out (a gift out of stock, a
/// budget used up).
///
/// This is the one pricing path: the quote API, the viewer page's product
/// sheet, the cart and checkout all load it and price through
/// [`LivePromotions::price`], so they cannot disagree. Cloned to price
/// several carts alike (the sheet prices each SKU alone).
#[derive(Clone)]
pub(crate) struct LivePromotions {
    promotions: Vec<Promotion>,
    /// The show's lineup live prices, when the cart is bought in a show.
    lineup: Option<LineupPrices>,
    /// What is left of each budget, by promotion or coupon id (only those with one).
    left: Vec<(i64, Fen)>,
    /// What each gift SKU costs the shop, per unit: what a gift spends of its budget.
    gift_costs: Vec<(SkuId, Fen)>,
    notes_zh: Vec<String>,
    notes_en: Vec<String>,
}

impl LivePromotions {
    /// Prices `lines` with these promotions and `coupons`. A promotion or
    /// coupon whose budget has less left than it would give this cart is
    /// left out (and noted), and the cart priced again without it, so the
    /// price shown is one the shop can still honour.
    pub(crate) fn price(
        &mut self,
        lines: &[CartLine],
        coupons: &[Coupon],
        now: Timestamp,
    ) -> Result<PricedCart, WebError> {
        // the lineup's rule names the SKUs of these lines: rebuilt for each cart
        let lineup = match &self.lineup {
            Some(lineup) => lineup.rule(lines, now)?,
            None => None,
        };
        self.promotions.retain(|p| p.id() != LINEUP_LIVE_PRICE);
        self.promotions.extend(lineup);
        let mut coupons = coupons.to_vec();
        loop {
            let priced = price_cart(&PricingInput::new(lines, &self.promotions, &coupons, now))?;
            let over: Vec<i64> = self
                .spends(&priced)
                .into_iter()
                .filter(|s| self.left.iter().any(|&(id, left)| id == s.promotion && left < s.amount))
                .map(|s| s.promotion)
                .collect();
            if over.is_empty() {
                return Ok(priced);
            }
            // each round removes at least one, so this ends
            for id in over {
                if let Some(i) = self.promotions.iter().position(|p| p.id().0 == id) {
                    let p = self.promotions.remove(i);
                    self.note_budget(p.name());
                }
                if let Some(i) = coupons.iter().position(|c| c.id().0 == id) {
                    let c = coupons.remove(i);
                    self.note_budget(c.name());
                }
            }
        }
    }

    fn note_budget(&mut self, name: &str) {
        self.notes_zh.push(format!("活动预算已用完：{name}"));
        self.notes_en.push(format!("Promotion budget used up: {name}"));
    }

    /// What a priced cart costs each promotion and coupon: its discounts,
    /// and each gift at its SKU's cost. The lineup's live price has no
    /// budget and is not listed.
    pub(crate) fn spends(&self, priced: &PricedCart) -> Vec<BudgetSpend> {
        let mut out: Vec<BudgetSpend> = Vec::new();
        let mut add = |promotion: i64, amount: Fen| {
            if promotion == LINEUP_LIVE_PRICE.0 || amount.0 <= 0 {
                return;
            }
            match out.iter_mut().find(|s| s.promotion == promotion) {
                Some(s) => s.amount = Fen(s.amount.0.saturating_add(amount.0)),
                None => out.push(BudgetSpend { promotion, amount }),
            }
        };
        for d in &priced.discounts {
            match d.source {
                DiscountSource::Promotion(id) => add(id.0, d.amount),
                DiscountSource::Coupon(id) => add(id.0, d.amount),
            }
        }
        for g in &priced.gifts {
            let unit = self.gift_costs.iter().find(|(sku, _)| *sku == g.sku).map_or(Fen::ZERO, |(_, c)| *c);
            add(g.promotion.0, Fen(unit.0.saturating_mul(i64::from(g.quantity))));
        }
        out
    }

    /// The priced cart as the API shows it, the left-out promotions explained.
    pub(crate) fn quote(self, priced: &PricedCart) -> Quote {
        let mut quote = quote_view(priced);
        quote.explanation_zh.extend(self.notes_zh);
        quote.explanation_en.extend(self.notes_en);
        quote
    }
}

/// A show lineup's live prices (直播价, set in the show editor and changed
/// live from the console): one per product, what its cheapest SKU costs in
/// the show. Read from the lineup for every pricing, so a change is priced
/// at once.
#[derive(Clone)]
struct LineupPrices {
    show: i64,
    /// (product, its cheapest SKU's price, live price), only where the live
    /// price is below that price: the others lower nothing.
    products: Vec<(ProductId, Fen, Fen)>,
}

impl LineupPrices {
    fn of(show: &ShowDetail) -> Option<LineupPrices> {
        let products: Vec<(ProductId, Fen, Fen)> = show
            .lineup
            .iter()
            .filter_map(|l| {
                l.live_price.filter(|live| *live < l.product_price).map(|live| (l.product, l.product_price, live))
            })
            .collect();
        (!products.is_empty()).then_some(LineupPrices { show: show.show.id.0, products })
    }

    /// The lineup's live prices as one 直播间专享价 rule for lines bought in
    /// the show, per SKU of `lines` (docs/pricing.md, *The show's live
    /// price*): the cheapest SKU at the live price, every other SKU its own
    /// price less the same reduction. A line's unit price is its SKU's own
    /// price: every caller builds lines from the SKU's record. In force at
    /// `now` only; `None` when it lowers no line's price.
    fn rule(&self, lines: &[CartLine], now: Timestamp) -> Result<Option<Promotion>, WebError> {
        let mut items: Vec<LivePriceItem> = Vec::new();
        for &(product, cheapest, live) in &self.products {
            let mut skus: Vec<(SkuId, Fen)> =
                lines.iter().filter(|l| l.product() == product).map(|l| (l.sku(), l.unit_price())).collect();
            // one item per SKU, however many lines carry it
            skus.sort_by_key(|&(sku, _)| sku);
            skus.dedup_by_key(|&mut (sku, _)| sku);
            items.extend(LivePrice::lineup_items(product, cheapest, live, skus));
        }
        if items.is_empty() {
            return Ok(None);
        }
        let draft = PromotionDraft {
            id: LINEUP_LIVE_PRICE,
            name: "本场直播价".into(),
            starts_at: now,
            ends_at: now.plus_millis(1),
            budget: None,
            rule: PromotionRule::LivePrice(LivePrice { show: Some(self.show), items }),
        };
        Promotion::new(draft).map(Some).map_err(invalid)
    }
}

/// Loads [`LivePromotions`] for the shop at `now`, with `show`'s lineup
/// live prices when the cart is bought in a show.
pub(crate) async fn live_promotions(
    state: &AppState,
    shop: zhibo_domain::ShopId,
    show: Option<&ShowDetail>,
    now: Timestamp,
) -> Result<LivePromotions, WebError> {
    let mut live = LivePromotions {
        promotions: Vec::new(),
        lineup: show.and_then(LineupPrices::of),
        left: Vec::new(),
        gift_costs: Vec::new(),
        notes_zh: Vec::new(),
        notes_en: Vec::new(),
    };
    for record in state.store.live_promotions(shop, now).await? {
        // A used-up budget (0 left) is left out by `price` only for a cart
        // that would use it, so other carts carry no note about it. Coupons'
        // budgets are here too: the buyer's coupons are priced against them.
        if let Some(budget) = record.budget {
            live.left.push((record.id, Fen(budget.0.saturating_sub(record.spent.0).max(0))));
        }
        let StoredPromotion::Promotion(p) = record.to_domain()? else { continue };
        // A gift is promised only while its own stock lasts.
        if let PromotionRule::Gift(g) = p.rule() {
            let sku = state.store.sku(shop, g.gift_sku).await?;
            if sku.as_ref().map_or(0, |s| s.stock) < i64::from(g.quantity) {
                live.notes_zh.push(format!("赠品已送完：{}", p.name()));
                live.notes_en.push(format!("Gift out of stock: {}", p.name()));
                continue;
            }
            if let Some(sku) = sku {
                live.gift_costs.push((sku.id, sku.cost));
            }
        }
        live.promotions.push(p);
    }
    Ok(live)
}

fn quote_view(p: &PricedCart) -> Quote {
    let lines = p
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "sku_id": l.sku.0, "product_id": l.product.0, "quantity": l.quantity,
                "unit_price_fen": l.unit_price.0, "list_price_fen": l.list_price.map(|f| f.0),
                "base_total_fen": l.base_total.0, "discount_fen": l.discount.0,
                "total_fen": l.base_total.0 - l.discount.0,
            })
        })
        .collect();
    let gifts = p
        .gifts
        .iter()
        .map(|g| serde_json::json!({"sku_id": g.sku.0, "product_id": g.product.0, "quantity": g.quantity, "promotion_id": g.promotion.0}))
        .collect();
    Quote {
        subtotal_fen: p.subtotal.0,
        discount_fen: p.total_discount.0,
        payable_fen: p.payable.0,
        coupon_id: p.coupon.map(|c| c.0),
        lines,
        gifts,
        explanation_zh: p.explanation_zh(),
        explanation_en: p.explanation_en(),
    }
}
