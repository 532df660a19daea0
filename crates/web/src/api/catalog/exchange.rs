//! 商品导入导出 API: the product library as an XLSX or CSV download, and an
//! upload that is previewed (`dry_run=true`) or imported all or nothing.
//! The rules of the sheet are the pages' too ([`crate::catalog::exchange`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zhibo_sheets::{Format, SheetIssue};

use crate::auth::Signed;
use crate::catalog::exchange::{self, Preview};
use crate::error::{ErrorBody, ErrorDetail, RenderedError, WebError};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true`: read and check the file and report, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One problem of the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssueView {
    /// The row as Excel shows it (the header is row 1).
    pub row: usize,
    /// The column as the file's header names it; null for the whole row.
    pub column: Option<String>,
    /// zh-CN, then English.
    pub message: String,
}

impl From<&SheetIssue> for IssueView {
    fn from(i: &SheetIssue) -> Self {
        IssueView { row: i.row, column: i.column.clone(), message: i.message.clone() }
    }
}

/// What a file holds and what is wrong with it; after an import, what was
/// created.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Products the file describes (rows grouped by title).
    pub products: usize,
    /// SKUs the file describes (one per row).
    pub skus: usize,
    /// Every problem, by row; an import happens only when there is none.
    pub issues: Vec<IssueView>,
    /// The products created, in file order; empty for a dry run.
    pub product_ids: Vec<i64>,
}

/// The 422 answer of an import refused for its rows: the usual error, with
/// the report beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRejected {
    pub error: ErrorDetail,
    pub products: usize,
    pub skus: usize,
    pub issues: Vec<IssueView>,
}

/// The multipart form of an import.
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "describes the multipart form in the API document; the handler reads it as a stream")]
pub struct ImportUpload {
    /// CSV (UTF-8, GBK or UTF-16) or XLSX, at most 5 MB; the type is read
    /// from the content. One row per SKU; rows with the same title are one
    /// product. Columns as the export writes them.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

fn report(preview: &Preview, product_ids: Vec<i64>) -> ImportReport {
    ImportReport {
        products: preview.products(),
        skus: preview.skus(),
        issues: preview.issues().iter().map(IssueView::from).collect(),
        product_ids,
    }
}

/// Imports products and SKUs from a CSV or XLSX file (multipart, field
/// `file`). With `dry_run=true` nothing is written and the answer is the
/// report: products, SKUs and every problem with its row, column and
/// reason. Without it the file is imported all or nothing: every product,
/// SKU and opening stock (a `purchase` ledger entry each) in one
/// transaction, or — when anything is wrong, including a title or barcode
/// the shop already has — nothing, with a 422 listing the problems.
/// An import only creates products. A file that is not CSV or XLSX is a
/// 415; over 5 MB a 413.
#[utoipa::path(post, path = "/api/v1/products/import", params(ImportQuery),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "dry run: the report", body = ImportReport),
        (status = 201, description = "imported", body = ImportReport),
        (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "problems in the file; nothing was imported", body = ImportRejected)))]
pub async fn import_products(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let upload = exchange::read_upload(&headers, multipart).await?;
    let preview = exchange::preview(&state, shop, upload).await?;
    if q.dry_run {
        return Ok(Json(report(&preview, Vec::new())).into_response());
    }
    if !preview.is_ready() {
        let error = exchange::issues_error(&preview);
        let body = ImportRejected {
            error: error.body().error,
            products: preview.products(),
            skus: preview.skus(),
            issues: preview.issues().iter().map(IssueView::from).collect(),
        };
        let mut response = (error.status(), Json(body)).into_response();
        // Marked as rendered, so the error middleware keeps this body.
        response.extensions_mut().insert(RenderedError(Arc::new(error)));
        return Ok(response);
    }
    let ids = exchange::commit(&state, shop, signed.user.id, &preview, None).await?;
    let body = report(&preview, ids.into_iter().map(|id| id.0).collect());
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Every product and SKU as an XLSX workbook: one row per SKU, the
/// product's columns repeated, money as yuan text, stock as it is now. An
/// export is also an import template.
#[utoipa::path(get, path = "/api/v1/products/export.xlsx",
    responses((status = 200, description = "the workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)")))]
pub async fn export_xlsx(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    exchange::download(&state, signed.user.shop, Format::Xlsx).await
}

/// The same as CSV (UTF-8 with a BOM, so Excel shows the Chinese).
#[utoipa::path(get, path = "/api/v1/products/export.csv",
    responses((status = 200, description = "the file (text/csv)")))]
pub async fn export_csv(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    exchange::download(&state, signed.user.shop, Format::Csv).await
}
