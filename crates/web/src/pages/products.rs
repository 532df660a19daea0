//! 商品: the product library as a list. The catalog work adds editing,
//! SKUs, stock and promotions.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Layout, PageCtx, render};
use crate::auth::Signed;
use crate::error::WebError;
use crate::state::AppState;

struct ProductRow {
    title: String,
    selling_points: String,
    price: String,
    list_price: String,
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    l: Layout,
    products: Vec<ProductRow>,
}

pub async fn list(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let products = state
        .store
        .products_of_shop(signed.user.shop)
        .await?
        .into_iter()
        .map(|p| ProductRow {
            title: p.title,
            selling_points: p.selling_points,
            price: p.price.to_string(),
            list_price: p.list_price.to_string(),
        })
        .collect();
    Ok(render(&ProductsPage { l: ctx.layout, products })?.into_response())
}
