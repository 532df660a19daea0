//! 促销: the shop's promotions and coupons as a table, with an on/off switch
//! per row, and the create forms ([`form`]). Flash sales are listed here
//! but set from the live console; the JSON API
//! (`crate::api::promotions`) shares the domain's validation.
//!
//! A row's status is computed from the clock: 已停用 when switched off,
//! else 未开始 / 进行中 / 已结束 by its window. Times show in Beijing time
//! (`zhibo_domain::localtime`), and the page says so.

pub mod form;
pub mod summary;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhibo_domain::localtime::format_shop_time;
use zhibo_domain::promotion::PromotionKind;
use zhibo_domain::{Permission, Timestamp};
use zhibo_store::ProductDetail;
use zhibo_store::promotions::{PromotionRecord, StoredPromotion};

use super::{Layout, PageCtx, render};
use crate::auth::{Access, Routes, Signed};
use crate::error::WebError;
use crate::i18n::{Lang, Msg};
use crate::state::AppState;
use form::FormKind;
use summary::Names;

pub fn routes() -> Routes {
    let catalog = Access::Needs(Permission::Catalog);
    Routes::default()
        .add("/promotions", catalog, get(list))
        .add("/promotions/new/{kind}", catalog, get(form::new).post(form::create))
        .add("/promotions/{id}/active", catalog, post(set_active))
}

/// Where a promotion stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    InForce,
    NotStarted,
    Ended,
    SwitchedOff,
}

impl Status {
    /// Switched off wins over the window; the window is `[starts, ends)`.
    pub fn at(active: bool, starts_at: Timestamp, ends_at: Timestamp, now: Timestamp) -> Status {
        if !active {
            Status::SwitchedOff
        } else if now < starts_at {
            Status::NotStarted
        } else if now >= ends_at {
            Status::Ended
        } else {
            Status::InForce
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Status::InForce => "in_force",
            Status::NotStarted => "not_started",
            Status::Ended => "ended",
            Status::SwitchedOff => "off",
        }
    }

    pub fn label(self, t: &Msg) -> &'static str {
        match self {
            Status::InForce => t.promo_status_in_force,
            Status::NotStarted => t.promo_status_not_started,
            Status::Ended => t.promo_status_ended,
            Status::SwitchedOff => t.promo_status_off,
        }
    }
}

const KINDS: [PromotionKind; 6] = [
    PromotionKind::LivePrice,
    PromotionKind::FlashSale,
    PromotionKind::QuantityDiscount,
    PromotionKind::FullReduction,
    PromotionKind::Coupon,
    PromotionKind::Gift,
];

struct Row {
    id: i64,
    kind_code: String,
    kind_zh: &'static str,
    kind_en: &'static str,
    name: String,
    /// One line, or two for a coupon (claim and use).
    window: Vec<String>,
    rule: String,
    budget: String,
    spent: String,
    /// `claimed/total` for a coupon, else "—".
    coupons: String,
    status_code: &'static str,
    status: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "promotions.html")]
struct ListPage {
    l: Layout,
    rows: Vec<Row>,
    /// (path segment, button label) of each create form.
    kinds: Vec<(&'static str, String)>,
}

/// Product and SKU names for the rule summaries.
pub fn names(details: &[ProductDetail]) -> Names {
    let mut names = Names::default();
    for d in details {
        let title = &d.product.title;
        names.products.insert(d.product.id, title.clone());
        for s in &d.skus {
            let label = if s.specs.is_empty() { title.clone() } else { format!("{title}（{}）", s.specs) };
            names.skus.insert(s.id, label);
        }
    }
    names
}

/// `2026-11-25 20:00`, Beijing time: minutes are enough for a promotion.
pub fn shop_time(t: Timestamp) -> String {
    format_shop_time(t).replacen('T', " ", 1)
}

fn window(from: Timestamp, to: Timestamp) -> String {
    format!("{} – {}", shop_time(from), shop_time(to))
}

fn row(record: PromotionRecord, t: &'static Msg, lang: Lang, names: &Names, now: Timestamp) -> Row {
    let kind = KINDS.into_iter().find(|k| k.as_str() == record.kind);
    let (rule, window) = match record.to_domain() {
        Ok(StoredPromotion::Promotion(p)) => {
            (summary::promotion(p.rule(), lang, names), vec![window(record.starts_at, record.ends_at)])
        }
        Ok(StoredPromotion::Coupon(c)) => {
            let d = c.draft();
            let lines = vec![
                format!("{} {}", t.promo_claim_window, window(d.claim_starts_at, d.claim_ends_at)),
                format!("{} {}", t.promo_use_window, window(d.use_starts_at, d.use_ends_at)),
            ];
            (summary::coupon(&c, lang, names), lines)
        }
        // one unreadable record must not take the whole list down
        Err(_) => (t.promo_rule_unreadable.to_owned(), vec![window(record.starts_at, record.ends_at)]),
    };
    let status = Status::at(record.active, record.starts_at, record.ends_at, now);
    Row {
        id: record.id,
        kind_zh: kind.map_or("", PromotionKind::name_zh),
        kind_en: kind.map_or("", PromotionKind::name_en),
        kind_code: record.kind,
        name: record.name,
        window,
        rule,
        budget: record.budget.map_or_else(|| t.promo_no_budget.to_owned(), |b| b.to_string()),
        spent: record.spent.to_string(),
        coupons: record.coupon.map_or_else(|| "—".to_owned(), |c| format!("{}/{}", record.coupon_claimed, c.total)),
        status_code: status.code(),
        status: status.label(t),
        active: record.active,
    }
}

pub async fn list(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let (t, lang) = (ctx.layout.t, ctx.layout.lang);
    let shop = signed.user.shop;
    let names = names(&state.store.product_details_of_shop(shop).await?);
    let now = state.clock.now();
    // the store lists newest first
    let rows = state.store.promotions_of_shop(shop).await?.into_iter().map(|r| row(r, t, lang, &names, now)).collect();
    let kinds = FormKind::ALL.into_iter().map(|k| (k.code(), t.promo_new_kind.replace("{}", k.name(lang)))).collect();
    Ok(render(&ListPage { l: ctx.layout, rows, kinds })?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct ActiveInput {
    active: String,
}

/// The on/off switch of a row.
pub async fn set_active(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(input): Form<ActiveInput>,
) -> Result<Response, WebError> {
    let active = match input.active.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(WebError::invalid(
                "active",
                format!("只能是 true 或 false / must be true or false: {other:?}"),
            ));
        }
    };
    // another shop's promotion is "not found", as in the API
    match state.store.promotion(id).await? {
        Some(p) if p.shop == signed.user.shop => {}
        _ => return Err(WebError::NotFound(format!("promotion {id}"))),
    }
    state.store.set_promotion_active(id, active).await?;
    Ok(Redirect::to("/promotions").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_switch_then_the_window() {
        let (s, e) = (Timestamp(1_000), Timestamp(2_000));
        assert_eq!(Status::at(true, s, e, Timestamp(999)), Status::NotStarted);
        assert_eq!(Status::at(true, s, e, Timestamp(1_000)), Status::InForce);
        assert_eq!(Status::at(true, s, e, Timestamp(1_999)), Status::InForce);
        assert_eq!(Status::at(true, s, e, Timestamp(2_000)), Status::Ended);
        assert_eq!(Status::at(false, s, e, Timestamp(1_500)), Status::SwitchedOff);
    }

    #[test]
    fn times_show_to_the_minute_in_beijing_time() {
        assert_eq!(shop_time(Timestamp(1_795_608_059_000)), "2026-11-25 20:00");
    }
}
