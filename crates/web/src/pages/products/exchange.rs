//! 批量导入导出: the import page (upload, preview, confirm) and the export
//! downloads of the product library. The rules and the checking are the
//! API's too ([`crate::catalog::exchange`]).
//!
//! The upload is multipart, which the CSRF middleware checks by the
//! `X-CSRF-Token` header only, so the upload form is sent by htmx (like the
//! image upload) and the preview is swapped in as the `result` block.
//! A preview without problems is kept as a pending import; confirming it
//! is a plain form post naming that pending import, which writes exactly
//! the file that was previewed — checked once more against the shop as it
//! is then — or nothing.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use zhibo_sheets::Format;

use super::status_name;
use crate::auth::Signed;
use crate::catalog::exchange::{self, PENDING_MINUTES, Preview, columns::COLUMNS};
use crate::error::WebError;
use crate::pages::{Layout, PageCtx, is_htmx, render};
use crate::state::AppState;

/// A column of the sheet as the page lists it.
struct ColumnLine {
    label: String,
    required: bool,
}

struct ProductLine {
    title: String,
    /// "2" or "2, 5, 6": where its rows are.
    rows: String,
    skus: usize,
    stock: i64,
    status: &'static str,
}

struct IssueLine {
    row: usize,
    column: String,
    message: String,
}

/// What the result section shows.
#[derive(Default)]
struct Outcome {
    /// The file could not be taken at all, or the confirm failed.
    error: Option<String>,
    /// The shop changed between preview and confirm.
    changed: bool,
    previewed: bool,
    /// "File a.csv: 3 products, 8 SKUs".
    summary: String,
    /// "2 problems found; nothing was written…".
    issues_title: String,
    /// "The preview is valid for 30 minutes."
    valid_for: String,
    products: Vec<ProductLine>,
    issues: Vec<IssueLine>,
    /// The pending import to confirm, when the file is ready.
    confirm: Option<i64>,
}

impl Outcome {
    fn of(t: &crate::i18n::Msg, preview: &Preview, confirm: Option<i64>) -> Outcome {
        let products = preview
            .import
            .products
            .iter()
            .map(|p| ProductLine {
                title: p.title.clone(),
                rows: p.rows.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                skus: p.rows.len(),
                stock: p.total_stock(),
                status: status_name(t, p.status()),
            })
            .collect();
        let issues = preview
            .issues()
            .iter()
            .map(|i| IssueLine { row: i.row, column: i.column.clone().unwrap_or_default(), message: i.message.clone() })
            .collect();
        let name = if preview.file_name.is_empty() { "-" } else { preview.file_name.as_str() };
        Outcome {
            previewed: true,
            summary: t
                .import_summary
                .replace("{file}", name)
                .replace("{products}", &preview.products().to_string())
                .replace("{skus}", &preview.skus().to_string()),
            issues_title: t.import_issues.replace("{}", &preview.issues().len().to_string()),
            valid_for: t.import_valid_for.replace("{}", &PENDING_MINUTES.to_string()),
            products,
            issues,
            confirm,
            ..Outcome::default()
        }
    }

    fn failed(message: String) -> Outcome {
        Outcome { error: Some(message), ..Outcome::default() }
    }
}

#[derive(Template)]
#[template(path = "products_import.html")]
struct ImportPage {
    l: Layout,
    columns: Vec<ColumnLine>,
    notice: Option<String>,
    o: Outcome,
}

/// The result section alone, for htmx to swap after an upload.
#[derive(Template)]
#[template(path = "products_import.html", block = "result")]
struct ResultBlock {
    l: Layout,
    o: Outcome,
}

fn page(l: Layout, notice: Option<String>, o: Outcome) -> ImportPage {
    let columns = COLUMNS.iter().map(|c| ColumnLine { label: c.label(), required: c.required }).collect();
    ImportPage { l, columns, notice, o }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    imported: Option<usize>,
    skus: Option<usize>,
}

pub async fn show(ctx: PageCtx, Query(q): Query<DoneQuery>) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let notice = q.imported.map(|n| {
        t.import_done.replace("{products}", &n.to_string()).replace("{skus}", &q.skus.unwrap_or(0).to_string())
    });
    Ok(render(&page(ctx.layout, notice, Outcome::default()))?.into_response())
}

/// Receives a file and shows its preview; writes nothing but the pending
/// import of a file that is ready.
pub async fn upload(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let t = ctx.layout.t;
    let checked = match exchange::read_upload(&headers, multipart).await {
        Ok(upload) => {
            let bytes = upload.bytes.clone();
            exchange::preview(&state, shop, upload).await.map(|preview| (preview, bytes))
        }
        Err(e) => Err(e),
    };
    let (outcome, status) = match checked {
        Ok((preview, bytes)) => {
            let confirm = if preview.is_ready() {
                let ttl_ms = PENDING_MINUTES * 60 * 1000;
                Some(
                    state.store.save_pending_import(shop, signed.user.id, &preview.file_name, &bytes, ttl_ms).await?.id,
                )
            } else {
                None
            };
            (Outcome::of(t, &preview, confirm), StatusCode::OK)
        }
        Err(e @ WebError::Invalid { .. }) => (Outcome::failed(e.to_string()), e.status()),
        Err(other) => return Err(other),
    };
    if is_htmx(&headers) {
        // htmx swaps only 2xx answers: the section carries its own error.
        let block = ResultBlock { l: ctx.layout, o: outcome };
        return Ok(render(&block)?.into_response());
    }
    Ok((status, render(&page(ctx.layout, None, outcome))?).into_response())
}

/// Imports a previewed file, all or nothing.
pub async fn confirm(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let t = ctx.layout.t;
    let Some(pending) = state.store.pending_import(shop, signed.user.id, id).await? else {
        let e = exchange::expired();
        return Ok((e.status(), render(&page(ctx.layout, None, Outcome::failed(e.to_string())))?).into_response());
    };
    let upload = exchange::Upload { file_name: pending.file_name, bytes: pending.content };
    let preview = exchange::preview(&state, shop, upload).await?;
    if !preview.is_ready() {
        // Something in the shop changed since the preview (a title or a
        // barcode was taken): show what, import nothing.
        let outcome = Outcome { changed: true, ..Outcome::of(t, &preview, None) };
        return Ok((StatusCode::CONFLICT, render(&page(ctx.layout, None, outcome))?).into_response());
    }
    match exchange::commit(&state, shop, signed.user.id, &preview, Some(id)).await {
        Ok(ids) => {
            let to = format!("/products/import?imported={}&skus={}", ids.len(), preview.skus());
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ WebError::Invalid { .. }) => {
            let status = e.status();
            Ok((status, render(&page(ctx.layout, None, Outcome::failed(e.to_string())))?).into_response())
        }
        Err(other) => Err(other),
    }
}

pub async fn export_xlsx(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    exchange::download(&state, signed.user.shop, Format::Xlsx).await
}

pub async fn export_csv(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    exchange::download(&state, signed.user.shop, Format::Csv).await
}
