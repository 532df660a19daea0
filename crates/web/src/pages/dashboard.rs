//! The landing page after sign-in: the shop, a few figures, and the areas
//! this role may use.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Layout, NavItem, PageCtx, UserBadge, areas, render};
use crate::auth::{Signed, SignedIn};
use crate::error::WebError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    user: UserBadge,
    shop_name: String,
    products: usize,
    accounts: usize,
    areas: Vec<NavItem>,
}

/// `/`: the sign-in page for strangers, the role's home for everyone else.
pub async fn home(signed: SignedIn) -> Response {
    match signed.0 {
        Some(s) => Redirect::to(super::login::home_of(s.user.role)).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn show(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let shop = state.store.shop(signed.user.shop).await?.ok_or_else(|| WebError::NotFound("shop".into()))?;
    let products = state.store.products_of_shop(shop.id).await?.len();
    let accounts = state.store.users_of_shop(shop.id).await?.len();
    let role = signed.user.role;
    let areas = areas(ctx.layout.t)
        .into_iter()
        .skip(1) // the dashboard itself
        .filter(|(_, p)| role.can(*p))
        .map(|(item, _)| item)
        .collect();
    let user = ctx.layout.user.clone().ok_or(WebError::Unauthenticated)?;
    let page = DashboardPage { l: ctx.layout, user, shop_name: shop.name, products, accounts, areas };
    Ok(render(&page)?.into_response())
}
