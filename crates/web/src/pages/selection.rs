//! 选品: the products ranked by a transparent selection score with weights
//! the planner can move, and a suggested role per product (I1.1.1,
//! I1.1.2). The scoring is `zhibo_domain::selection`; this page gathers each
//! product's history: sales from the stock ledger, margin from its SKU's
//! price and cost, and the return rate and review score from the product's
//! platform figures (平台数据). A figure not entered shows as "—" and is
//! scored as middling.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zhibo_domain::catalog::PlatformFigures;
use zhibo_domain::selection::{ProductHistory, SelectionWeights, score, suggest_roles};
use zhibo_domain::{DomainError, Permission};

use super::{Layout, PageCtx, render};
use crate::auth::{Access, Routes, Signed};
use crate::error::{FieldError, WebError};
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().add("/products/selection", Access::Needs(Permission::Catalog), get(show))
}

struct Row {
    rank: usize,
    product: i64,
    title: String,
    price: String,
    cost: String,
    margin: String,
    sold: i64,
    /// The platform's return rate ("12.5%"), or "—" when not entered.
    return_rate: String,
    /// The platform's review score ("4.8"), or "—".
    review: String,
    score: i64,
    points: String,
    role: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "selection.html")]
struct SelectionPage {
    l: Layout,
    sales: String,
    returns: String,
    reviews: String,
    margin: String,
    days: String,
    errors: Vec<FieldError>,
    rows: Vec<Row>,
}

/// What a figure that was not entered shows as.
const NOT_ENTERED: &str = "—";

/// How far back sales count, by default.
const DEFAULT_DAYS: i64 = 90;

async fn show(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let get = |key: &str, default: &str| {
        q.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_else(|| default.to_owned())
    };
    let d = SelectionWeights::default();
    let mut page = SelectionPage {
        l: ctx.layout,
        sales: get("sales", &d.sales.to_string()),
        returns: get("returns", &d.returns.to_string()),
        reviews: get("reviews", &d.reviews.to_string()),
        margin: get("margin", &d.margin.to_string()),
        days: get("days", &DEFAULT_DAYS.to_string()),
        errors: Vec::new(),
        rows: Vec::new(),
    };
    let mut errors = Vec::new();
    let mut weight = |field: &'static str, text: &str| {
        text.parse::<i64>()
            .map_err(|_| errors.push(DomainError::new(field, "请输入整数 / a whole number, please")))
            .unwrap_or(0)
    };
    let weights = SelectionWeights {
        sales: weight("sales", &page.sales),
        returns: weight("returns", &page.returns),
        reviews: weight("reviews", &page.reviews),
        margin: weight("margin", &page.margin),
    };
    let days = page.days.parse::<i64>().ok().filter(|d| (1..=3650).contains(d));
    if days.is_none() {
        errors.push(DomainError::new("days", "天数须在1到3650之间 / days: 1 to 3650"));
    }
    if errors.is_empty()
        && let Err(e) = weights.validate()
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        page.errors = errors.into_iter().map(|e| FieldError { field: e.field.into(), message: e.message }).collect();
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let shop = signed.user.shop;
    let since = state.clock.now().plus_secs(-days.unwrap_or(DEFAULT_DAYS) * 86_400);
    let sold = state.store.units_sold_since(shop, since).await?;
    let details = state.store.product_details_of_shop(shop).await?;
    // A product's price and cost are those of its cheapest SKU, the one a
    // show would lead with.
    let history: Vec<ProductHistory> = details
        .iter()
        .filter_map(|d| {
            let sku = d.skus.iter().min_by_key(|s| (s.price, s.id))?;
            Some(ProductHistory {
                product: d.product.id.0,
                title: d.product.title.clone(),
                units_sold: sold.iter().find(|(p, _)| *p == d.product.id).map_or(0, |(_, n)| *n),
                // the platform's figures; blank ones the score counts as middling
                return_rate_permille: d.product.platform.return_rate_permille,
                review_tenths: d.product.platform.review_tenths,
                price: sku.price,
                cost: sku.cost,
            })
        })
        .collect();
    let scores = score(&history, weights).map_err(WebError::from)?;
    let roles = suggest_roles(&history);
    let zh = page.l.lang == Lang::ZhCn;
    page.rows = scores
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let h = history.iter().find(|h| h.product == s.product)?;
            let r = roles.iter().find(|r| r.product == s.product)?;
            let m = h.margin_permille();
            let figures =
                PlatformFigures { return_rate_permille: h.return_rate_permille, review_tenths: h.review_tenths };
            Some(Row {
                rank: i + 1,
                product: h.product,
                title: h.title.clone(),
                price: h.price.to_string(),
                cost: h.cost.to_string(),
                margin: format!("{}.{}%", m / 10, (m % 10).abs()),
                sold: h.units_sold,
                return_rate: figures.return_rate_text().map_or_else(|| NOT_ENTERED.to_owned(), |r| format!("{r}%")),
                review: figures.review_text().unwrap_or_else(|| NOT_ENTERED.to_owned()),
                score: s.score,
                points: format!(
                    "{} + {} + {} + {}",
                    s.sales_points, s.returns_points, s.reviews_points, s.margin_points
                ),
                role: if zh { r.role.zh() } else { role_en(r.role) },
                reason: if zh { r.reason_zh.clone() } else { r.reason_en.clone() },
            })
        })
        .collect();
    Ok(render(&page)?.into_response())
}

fn role_en(role: zhibo_domain::selection::ProductRole) -> &'static str {
    use zhibo_domain::selection::ProductRole::*;
    match role {
        Traffic => "Traffic",
        Profit => "Profit",
        Image => "Image",
        Giveaway => "Giveaway",
    }
}
