//! 商品 API: the product library under `/api/v1/products`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use zhibo_domain::catalog::ProductDraft;
use zhibo_domain::{Fen, Permission};
use zhibo_store::{NewProduct, ProductRecord};

use super::json::ApiJson;
use crate::auth::{Access, Routes, Signed};
use crate::error::{ErrorBody, FieldError, WebError};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().add(
        "/api/v1/products",
        Access::Needs(Permission::Catalog),
        get(list_products).post(create_product),
    )
}

#[derive(OpenApi)]
#[openapi(paths(list_products, create_product), components(schemas(ProductView, CreateProduct, ErrorBody)))]
pub struct CatalogApi;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub title: String,
    pub selling_points: String,
    pub price_fen: i64,
    pub list_price_fen: i64,
}

impl From<ProductRecord> for ProductView {
    fn from(p: ProductRecord) -> Self {
        ProductView {
            id: p.id,
            title: p.title,
            selling_points: p.selling_points,
            price_fen: p.price.0,
            list_price_fen: p.list_price.0,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    pub title: String,
    #[serde(default)]
    pub selling_points: String,
    pub price_fen: i64,
    /// 划线价; 0 for none.
    #[serde(default)]
    pub list_price_fen: i64,
}

/// The shop's products.
#[utoipa::path(get, path = "/api/v1/products", responses((status = 200, body = Vec<ProductView>), (status = 403, body = ErrorBody)))]
async fn list_products(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<ProductView>>, WebError> {
    let products = state.store.products_of_shop(signed.user.shop).await?;
    Ok(Json(products.into_iter().map(ProductView::from).collect()))
}

/// Adds a product to the shop's library.
#[utoipa::path(post, path = "/api/v1/products", request_body = CreateProduct,
    responses((status = 201, body = ProductView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(body): ApiJson<CreateProduct>,
) -> Result<Response, WebError> {
    let draft = ProductDraft::parse(&body.title, &body.selling_points, Fen(body.price_fen), Fen(body.list_price_fen))
        .map_err(|errors| {
        let fields: Vec<FieldError> = errors
            .iter()
            .map(|e| FieldError { field: api_field(e.field).into(), message: e.message.clone() })
            .collect();
        let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
        WebError::Invalid { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields }
    })?;
    let shop = signed.user.shop;
    let new = NewProduct {
        shop,
        title: draft.title,
        selling_points: draft.selling_points,
        price: draft.price,
        list_price: draft.list_price,
    };
    state.store.create_product(&new).await?;
    let created = state
        .store
        .product_by_title(shop, &new.title)
        .await?
        .ok_or_else(|| WebError::Internal(anyhow::anyhow!("product vanished after insert")))?;
    Ok((StatusCode::CREATED, Json(ProductView::from(created))).into_response())
}

/// Domain field names as the API spells them.
fn api_field(domain_field: &str) -> &str {
    match domain_field {
        "price" => "price_fen",
        "list_price" => "list_price_fen",
        other => other,
    }
}
