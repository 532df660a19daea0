//! What the product pages and the product API share, so both validate and
//! save the same way: the domain's one parser plus the store's uniqueness
//! rules (title, barcode) turned into field errors, saving a product, and
//! applying a stock change. The two differ only in how they name fields
//! ([`Naming`]: the API says `price_fen` where the form says `price`).
//!
//! Image upload and serving are in [`images`]; bulk import and export of
//! products as XLSX or CSV in [`exchange`].

pub mod exchange;
pub mod images;

use axum::http::StatusCode;
use zhibo_domain::catalog::{Barcode, PlatformFigures, ProductDraft, ProductError, ProductInput, ProductStatus};
use zhibo_domain::stock::StockChange;
use zhibo_domain::{DomainError, ProductId, ShopId, SkuId, UserId};
use zhibo_store::{LedgerEntry, StoreError};

use crate::error::{FieldError, WebError};
use crate::state::AppState;

/// How a caller names the fields it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// The HTML form: the domain's names (`price`, `skus[0].price`).
    Form,
    /// The JSON API: money fields end in `_fen`, the platform's figures
    /// say their unit (`return_rate_permille`, `review_tenths`).
    Api,
}

impl Naming {
    pub fn field(self, domain_field: &'static str) -> &'static str {
        match (self, domain_field) {
            (Naming::Api, "price") => "price_fen",
            (Naming::Api, "list_price") => "list_price_fen",
            (Naming::Api, "cost") => "cost_fen",
            (Naming::Api, PlatformFigures::RETURN_RATE_FIELD) => "return_rate_permille",
            (Naming::Api, PlatformFigures::REVIEW_FIELD) => "review_tenths",
            (_, other) => other,
        }
    }

    /// A product error as a field error; a SKU's message says which row
    /// (counted from 1, as people count).
    pub fn product_error(self, e: &ProductError) -> FieldError {
        let message = match e.sku {
            Some(row) => format!("SKU {}：{}", row + 1, e.error.message),
            None => e.error.message.clone(),
        };
        FieldError { field: e.path_with(|f| self.field(f)), message }
    }

    pub fn domain_error(self, e: &DomainError) -> FieldError {
        FieldError { field: self.field(e.field).to_owned(), message: e.message.clone() }
    }
}

/// An error naming several fields. Its message lists them all, so a client
/// that shows only the message still sees every problem.
pub fn invalid_fields(status: StatusCode, code: &'static str, fields: Vec<FieldError>) -> WebError {
    let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    WebError::Invalid { status, code, message, fields }
}

/// Parses a product and checks what only the store knows (a title or a
/// barcode used by another product of the shop). `errors` holds what the
/// caller already found (a price that is not a number); a domain error on a
/// field already named there is not repeated. Everything wrong comes back at
/// once: 422, or 409 when the only problem is something already taken.
pub async fn check_product(
    state: &AppState,
    shop: ShopId,
    editing: Option<ProductId>,
    input: &ProductInput,
    mut errors: Vec<FieldError>,
    naming: Naming,
) -> Result<ProductDraft, WebError> {
    let parsed = ProductDraft::parse(input);
    if let Err(domain) = &parsed {
        for e in domain {
            let field = naming.product_error(e);
            if !errors.iter().any(|x| x.field == field.field) {
                errors.push(field);
            }
        }
    }
    let mut taken = Vec::new();
    let title = input.title.trim();
    if !title.is_empty()
        && !errors.iter().any(|e| e.field == "title")
        && let Some(other) = state.store.product_by_title(shop, title).await?
        && Some(other.id) != editing
    {
        taken.push(FieldError {
            field: "title".into(),
            message: format!("商品名称“{title}”已被使用 / the title {title:?} is already used"),
        });
    }
    for (row, sku) in input.skus.iter().enumerate() {
        let field = format!("skus[{row}].barcode");
        if sku.barcode.trim().is_empty() || errors.iter().any(|e| e.field == field) {
            continue;
        }
        let Ok(code) = Barcode::parse(&sku.barcode) else { continue };
        if let Some(other) = state.store.sku_by_barcode(shop, code.as_str()).await?
            && Some(other.product) != editing
        {
            let code = code.as_str();
            taken.push(FieldError {
                field,
                message: format!(
                    "SKU {}：条码{code}已被其他商品使用 / barcode {code} is used by another product",
                    row + 1
                ),
            });
        }
    }
    match parsed {
        Ok(draft) if errors.is_empty() && taken.is_empty() => Ok(draft),
        _ => {
            let (status, code) = if errors.is_empty() {
                (StatusCode::CONFLICT, "conflict")
            } else {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            };
            errors.extend(taken);
            Err(invalid_fields(status, code, errors))
        }
    }
}

/// Checks and saves a product (a new one when `editing` is `None`), all or
/// nothing. A conflict the check could not see (a race, a SKU left out that
/// has stock history) comes back as a 409 naming `skus` or the field.
pub async fn save_product(
    state: &AppState,
    shop: ShopId,
    editing: Option<ProductId>,
    input: &ProductInput,
    errors: Vec<FieldError>,
    naming: Naming,
) -> Result<ProductId, WebError> {
    let draft = check_product(state, shop, editing, input, errors, naming).await?;
    let saved = match editing {
        None => state.store.create_product(shop, &draft).await,
        Some(id) => state.store.update_product(shop, id, &draft).await.map(|()| id),
    };
    saved.map_err(|e| match e {
        StoreError::Conflict(what) => {
            let field = if what.contains("title") { "title" } else { "skus" };
            let message = if what.contains(" / ") {
                what
            } else {
                format!("已被使用，请重试 / already used, try again: {what}")
            };
            invalid_fields(StatusCode::CONFLICT, "conflict", vec![FieldError { field: field.into(), message }])
        }
        other => other.into(),
    })
}

/// A stock change as asked for, before checking.
#[derive(Debug, Clone, Copy)]
pub struct StockRequest<'a> {
    pub sku: SkuId,
    pub reason: &'a str,
    pub delta: i64,
    pub note: &'a str,
}

/// Checks and applies one stock change by `actor`. A change that would
/// take stock below zero is a 409 `insufficient_stock` naming `delta`.
pub async fn change_stock(
    state: &AppState,
    shop: ShopId,
    actor: UserId,
    request: StockRequest<'_>,
    mut errors: Vec<FieldError>,
) -> Result<LedgerEntry, WebError> {
    let change = StockChange::parse(request.sku, request.reason, request.delta, request.note);
    if let Err(domain) = &change {
        for e in domain {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(Naming::Form.domain_error(e));
            }
        }
    }
    let change = match change {
        Ok(change) if errors.is_empty() => change,
        _ => return Err(invalid_fields(StatusCode::UNPROCESSABLE_ENTITY, "invalid", errors)),
    };
    match state.store.apply_stock_change(shop, &change, Some(actor)).await? {
        Ok(entry) => Ok(entry),
        Err(short) => Err(WebError::Invalid {
            status: StatusCode::CONFLICT,
            code: "insufficient_stock",
            message: short.to_string(),
            fields: vec![FieldError { field: "delta".into(), message: short.to_string() }],
        }),
    }
}

/// Changes a product's status (`draft`, `on_sale`, `off_sale`); nothing
/// goes on sale with a SKU priced 0. Errors name `status`.
pub async fn set_status(
    state: &AppState,
    shop: ShopId,
    id: ProductId,
    status: &str,
) -> Result<ProductStatus, WebError> {
    let status = ProductStatus::parse(status)?;
    let detail = state.store.product(shop, id).await?.ok_or_else(|| WebError::NotFound(format!("product {id}")))?;
    status.check_prices(detail.skus.iter().map(|s| s.price))?;
    state.store.set_product_status(shop, id, status).await?;
    Ok(status)
}
