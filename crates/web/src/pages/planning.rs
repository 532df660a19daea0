//! 策划: the planning area. For now one tool, the promotion budget check
//! (促销成本测算, I1.2.4): the expected cost of the promotions in force at
//! a show's time, from a typical order and the expected number of orders,
//! against the show's promotion budget. The model is `zhibo_domain::budget`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zhibo_domain::budget::{BudgetEstimate, BudgetPlan, estimate};
use zhibo_domain::localtime::{format_shop_time, parse_shop_time};
use zhibo_domain::pricing::CartLine;
use zhibo_domain::promotion::Coupon;
use zhibo_domain::{DomainError, Fen, Permission};
use zhibo_store::promotions::StoredPromotion;

use super::{Layout, PageCtx, render};
use crate::auth::{Access, Routes, Signed};
use crate::error::{FieldError, WebError};
use crate::state::AppState;

pub fn routes() -> Routes {
    let planning = Access::Needs(Permission::Planning);
    Routes::default().add("/planning", planning, get(index)).add(
        "/planning/promotion-budget",
        planning,
        get(promotion_budget),
    )
}

#[derive(Template)]
#[template(path = "planning.html")]
struct PlanningPage {
    l: Layout,
}

async fn index(ctx: PageCtx) -> Result<Response, WebError> {
    Ok(render(&PlanningPage { l: ctx.layout })?.into_response())
}

/// Rows of the typical-order part of the form.
const BASKET_ROWS: usize = 5;

struct SkuChoice {
    id: i64,
    label: String,
}

struct BasketRow {
    sku: String,
    quantity: String,
}

struct ResultLine {
    kind: &'static str,
    name: String,
    per_order: String,
    orders: u32,
    total: String,
    own_budget: String,
    over_own_budget: bool,
}

#[derive(Template)]
#[template(path = "planning_budget.html")]
struct BudgetPage {
    l: Layout,
    skus: Vec<SkuChoice>,
    at: String,
    budget: String,
    orders: String,
    coupon_use: String,
    rows: Vec<BasketRow>,
    errors: Vec<FieldError>,
    result: Option<BudgetView>,
}

struct BudgetView {
    lines: Vec<ResultLine>,
    order_payable: String,
    order_payable_with_coupon: String,
    expected_gmv: String,
    total_cost: String,
    budget: String,
    over_by: Option<String>,
}

impl BudgetPage {
    fn selected(&self, row: &BasketRow, sku: &i64) -> bool {
        row.sku == sku.to_string()
    }
}

async fn promotion_budget(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let get = |key: &str| q.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned());
    let details = state.store.product_details_of_shop(shop).await?;
    let skus: Vec<SkuChoice> = details
        .iter()
        .flat_map(|d| {
            d.skus
                .iter()
                .map(move |s| SkuChoice { id: s.id.0, label: format!("{} {} ({})", d.product.title, s.specs, s.price) })
        })
        .collect();
    let rows: Vec<BasketRow> = (1..=BASKET_ROWS)
        .map(|i| BasketRow {
            sku: get(&format!("sku_{i}")).unwrap_or_default(),
            quantity: get(&format!("qty_{i}")).unwrap_or_default(),
        })
        .collect();
    let submitted = get("orders").is_some();
    let mut page = BudgetPage {
        l: ctx.layout,
        skus,
        at: get("at").unwrap_or_else(|| format_shop_time(state.clock.now())),
        budget: get("budget").unwrap_or_default(),
        orders: get("orders").unwrap_or_default(),
        coupon_use: get("coupon_use").unwrap_or_else(|| "30".into()),
        rows,
        errors: Vec::new(),
        result: None,
    };
    if !submitted {
        return Ok(render(&page)?.into_response());
    }
    match compute(&state, &signed, &page, &details).await? {
        Ok(estimate) => page.result = Some(view(&page.l, estimate)),
        Err(errors) => {
            page.errors = errors.into_iter().map(|e| FieldError { field: e.field.into(), message: e.message }).collect()
        }
    }
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)?).into_response())
}

/// Parses the form and runs the estimate; `Ok(Err(..))` lists every wrong field.
async fn compute(
    state: &AppState,
    signed: &Signed,
    page: &BudgetPage,
    details: &[zhibo_store::ProductDetail],
) -> Result<Result<BudgetEstimate, Vec<DomainError>>, WebError> {
    let mut errors = Vec::new();
    let at = parse_shop_time("at", &page.at).map_err(|e| errors.push(e)).ok();
    let budget = Fen::parse_yuan("budget", &page.budget).map_err(|e| errors.push(e)).ok();
    let orders = page.orders.parse::<u32>().map_err(|_| {
        errors.push(DomainError::new("orders", "请输入整数 / a whole number, please"));
    });
    let coupon_use = page.coupon_use.parse::<u32>().ok().filter(|p| *p <= 100);
    if coupon_use.is_none() {
        errors.push(DomainError::new("coupon_use", "请输入0到100的整数 / a whole number from 0 to 100"));
    }
    let mut basket = Vec::new();
    let mut gift_costs = Vec::new();
    for d in details {
        for s in &d.skus {
            gift_costs.push((s.id, s.cost));
        }
    }
    for (i, row) in page.rows.iter().enumerate() {
        if row.sku.is_empty() && row.quantity.is_empty() {
            continue;
        }
        let field: &'static str = ["basket_1", "basket_2", "basket_3", "basket_4", "basket_5"][i];
        let sku =
            row.sku.parse::<i64>().ok().and_then(|id| details.iter().flat_map(|d| &d.skus).find(|s| s.id.0 == id));
        let quantity = row.quantity.parse::<u32>().ok();
        match (sku, quantity) {
            (Some(sku), Some(quantity)) => {
                let list = (sku.list_price.0 > 0).then_some(sku.list_price);
                match CartLine::new(sku.product, sku.id, sku.price, quantity, list) {
                    Ok(line) => basket.push(line),
                    Err(problems) => errors.extend(problems.into_iter().map(|p| DomainError::new(field, p.message))),
                }
            }
            (None, _) => errors.push(DomainError::new(field, "请选择商品 / choose a product")),
            (_, None) => errors.push(DomainError::new(field, "数量须为正整数 / the quantity must be a whole number")),
        }
    }
    let (Some(at), Some(budget), Ok(orders), Some(coupon_use), true) =
        (at, budget, orders, coupon_use, errors.is_empty())
    else {
        return Ok(Err(errors));
    };
    let mut promotions = Vec::new();
    let mut coupons: Vec<Coupon> = Vec::new();
    for record in state.store.live_promotions(signed.user.shop, at).await? {
        match record.to_domain()? {
            StoredPromotion::Promotion(p) => promotions.push(p),
            StoredPromotion::Coupon(c) if c.is_usable_at(at) => coupons.push(c),
            StoredPromotion::Coupon(_) => {}
        }
    }
    let plan = BudgetPlan {
        basket: &basket,
        orders,
        coupon_use_permille: coupon_use * 10,
        at,
        budget,
        gift_costs: &gift_costs,
    };
    Ok(estimate(&plan, &promotions, &coupons))
}

fn view(l: &Layout, e: BudgetEstimate) -> BudgetView {
    let zh = l.lang == crate::i18n::Lang::ZhCn;
    BudgetView {
        lines: e
            .lines
            .iter()
            .map(|c| ResultLine {
                kind: if zh { c.kind.name_zh() } else { c.kind.name_en() },
                name: c.name.clone(),
                per_order: c.per_order.to_string(),
                orders: c.orders,
                total: c.total.to_string(),
                own_budget: c.own_budget.map(|b| b.to_string()).unwrap_or_else(|| "—".into()),
                over_own_budget: c.over_own_budget,
            })
            .collect(),
        order_payable: e.order_payable.to_string(),
        order_payable_with_coupon: e.order_payable_with_coupon.to_string(),
        expected_gmv: e.expected_gmv.to_string(),
        total_cost: e.total_cost.to_string(),
        budget: e.budget.to_string(),
        over_by: e.over_by.map(|f| f.to_string()),
    }
}
