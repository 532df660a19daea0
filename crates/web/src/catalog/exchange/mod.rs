//! Bulk import and export of the product library as XLSX or CSV, shared by
//! the pages and the API: receiving the upload, reading and checking it
//! ([`preview`]), writing it all or nothing ([`commit`]), and the export
//! download ([`download`]). The sheet's columns are in [`columns`], the
//! row ↔ product rules in [`import`] and [`export`].
//!
//! - **By content, bounded.** The format is sniffed from the bytes, never
//!   taken from the name; an upload is refused from its declared length
//!   and otherwise as soon as it passes [`MAX_FILE_BYTES`]; reading runs
//!   off the async threads, a few at a time, within [`LIMITS`].
//! - **Preview before anything is written.** [`preview`] lists what the
//!   file would create and every problem with its row, column and reason,
//!   including what only the shop can tell (a title or a barcode it
//!   already has). It writes nothing.
//! - **All or nothing.** [`commit`] writes every product, SKU and opening
//!   stock entry in one store transaction
//!   ([`ImportStore::import_products`](zhibo_store::ImportStore::import_products)).
//!   A file with any problem imports nothing.
//! - **Between preview and confirm** the page keeps the previewed file as a
//!   pending import in the store (for [`PENDING_MINUTES`] on the store's
//!   clock), so the confirm is a plain form post that writes exactly the
//!   file that was previewed, checked once more against the shop as it is
//!   then. The API needs no pending file: `dry_run=true` previews, and the
//!   same upload without it checks and writes in one request.

pub mod columns;
pub mod export;
pub mod import;

use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use zhibo_domain::{ProductId, ShopId, UserId};
use zhibo_sheets::{Format, Limits, ReadOptions, SheetError, SheetIssue, read_with, sniff};
use zhibo_store::StoreError;

use crate::error::{FieldError, WebError};
use crate::state::AppState;
use import::{FileImport, read_products};

/// The largest file accepted: 5 MB, far more than a shop's catalog needs.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The upload routes' body limit: one file plus room for the multipart
/// framing. It replaces the server's general limit on those routes only.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_FILE_BYTES + 64 * 1024;
/// The form and API field that carries the file.
pub const FIELD: &str = "file";
/// How long a previewed file waits for its confirmation.
pub const PENDING_MINUTES: i64 = 30;
/// What a file may hold: 10,000 SKU rows (a catalog of a hundred products
/// of a hundred SKUs each), and a bound on an XLSX's unzipped size.
pub const LIMITS: Limits = Limits { max_rows: 10_000, max_cells: 500_000, max_unzipped_bytes: 64 << 20 };
/// Files read at the same time, so memory stays bounded under load.
const READERS: usize = 2;

static READING: Semaphore = Semaphore::const_new(READERS);

/// An uploaded file as received.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file read and checked: what it would create and what is wrong with it.
#[derive(Debug, Clone)]
pub struct Preview {
    pub file_name: String,
    pub format: Format,
    pub import: FileImport,
}

impl Preview {
    pub fn products(&self) -> usize {
        self.import.products.len()
    }

    pub fn skus(&self) -> usize {
        self.import.sku_count()
    }

    pub fn issues(&self) -> &[SheetIssue] {
        self.import.issues()
    }

    /// Whether confirming would import it: products and no problem.
    pub fn is_ready(&self) -> bool {
        self.import.ready().is_some()
    }
}

/// The 413 answer for a file over the limit, naming the limit.
pub fn too_large() -> WebError {
    let message = format!("文件不能超过 5 MB / the file may be at most 5 MB ({MAX_FILE_BYTES} bytes)");
    WebError::Invalid {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        fields: vec![FieldError { field: FIELD.into(), message: message.clone() }],
        message,
    }
}

/// Receives the upload: refused from its declared length before a byte is
/// read, else read from the `file` field and refused as soon as it passes
/// the limit. Other fields are skipped.
pub async fn read_upload(
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Upload, WebError> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut multipart = multipart.map_err(|e| WebError::Invalid {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message: format!(
            "请以 multipart/form-data 上传文件（字段 file）/ upload the file as multipart/form-data (field file): {}",
            e.body_text()
        ),
        fields: vec![FieldError { field: FIELD.into(), message: e.body_text() }],
    })?;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some(FIELD) {
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(WebError::invalid(FIELD, "没有选择文件，或文件是空的 / no file was chosen, or it is empty"));
        }
        return Ok(Upload { file_name, bytes });
    }
    Err(WebError::invalid(FIELD, "缺少文件（字段 file）/ the file is missing (field file)"))
}

fn multipart_error(e: MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        WebError::invalid(FIELD, format!("上传的表单无法读取 / the upload could not be read: {}", e.body_text()))
    }
}

/// A file that cannot be taken at all, as an error naming the `file` field:
/// 415 for what is not a CSV or an XLSX, 413 past a limit, 422 otherwise.
fn file_error(e: SheetError) -> WebError {
    let (status, code) = match e {
        SheetError::NotSpreadsheet | SheetError::LegacyExcel | SheetError::NotXlsx { .. } | SheetError::Encoding => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_file")
        }
        SheetError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_file"),
    };
    let message = e.to_string();
    WebError::Invalid {
        status,
        code,
        fields: vec![FieldError { field: FIELD.into(), message: message.clone() }],
        message,
    }
}

/// Reads and checks a file against the shop as it is now. Writes nothing.
/// A file that is not a spreadsheet at all is an error; a sheet with wrong
/// rows is a preview listing them.
pub async fn preview(state: &AppState, shop: ShopId, upload: Upload) -> Result<Preview, WebError> {
    let Upload { file_name, bytes } = upload;
    let format = sniff(&file_name, &bytes).map_err(file_error)?;
    let read = {
        let _permit = READING.acquire().await.map_err(|e| WebError::Internal(e.into()))?;
        let options = ReadOptions { limits: LIMITS, sheet: None };
        tokio::task::spawn_blocking(move || read_with(&bytes, format, &options))
            .await
            .map_err(|e| WebError::Internal(e.into()))?
    };
    let mut import = match read {
        Ok(table) => read_products(&table),
        Err(e) => {
            // A broken line is a problem of its row, listed like the others.
            let issue = match &e {
                SheetError::Csv { row, .. } | SheetError::Ragged { row, .. } => Some(SheetIssue::new(*row, None, &e)),
                SheetError::NoHeader { row, column } => Some(SheetIssue::new(*row, Some(column), &e)),
                _ => None,
            };
            match issue {
                Some(issue) => FileImport::unreadable(issue),
                None => return Err(file_error(e)),
            }
        }
    };
    if !import.products.is_empty() {
        import.check_against(&state.store.product_details_of_shop(shop).await?);
    }
    Ok(Preview { file_name, format, import })
}

/// The problems of a file as one 422 error, each as a field named by row
/// and column, so a client that shows only the message still sees them.
pub fn issues_error(preview: &Preview) -> WebError {
    let fields: Vec<FieldError> = preview
        .issues()
        .iter()
        .map(|i| FieldError {
            field: match &i.column {
                Some(column) => format!("第 {0} 行 {column} / row {0} {column}", i.row),
                None => format!("第 {0} 行 / row {0}", i.row),
            },
            message: i.message.clone(),
        })
        .collect();
    let message = if fields.is_empty() {
        "文件里没有可导入的商品 / the file holds no products to import".to_owned()
    } else {
        format!(
            "文件有 {0} 个问题，未导入任何内容 / the file has {0} problem(s); nothing was imported: {1}",
            fields.len(),
            preview.issues().iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        )
    };
    WebError::Invalid { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid_rows", message, fields }
}

/// Writes a checked file, all or nothing, by `actor`; `pending` is the
/// pending import it came from, claimed in the same transaction. A file
/// with problems is a 422 listing them; a title or barcode taken while
/// the import ran is a 409; a pending import that is gone is a 410.
pub async fn commit(
    state: &AppState,
    shop: ShopId,
    actor: UserId,
    preview: &Preview,
    pending: Option<i64>,
) -> Result<Vec<ProductId>, WebError> {
    let Some(products) = preview.import.ready() else { return Err(issues_error(preview)) };
    state.store.import_products(shop, actor, &products, pending).await.map_err(|e| match e {
        StoreError::Conflict(what) => {
            let message = format!(
                "导入时店铺有了变化（{what} 已被使用），未导入任何内容 / the shop changed during the import ({what} is taken); nothing was imported"
            );
            WebError::Invalid {
                status: StatusCode::CONFLICT,
                code: "conflict",
                fields: vec![FieldError { field: FIELD.into(), message: message.clone() }],
                message,
            }
        }
        StoreError::NotFound(_) if pending.is_some() => expired(),
        other => other.into(),
    })
}

/// A 410 for a preview that can no longer be confirmed.
pub fn expired() -> WebError {
    let message = format!(
        "这次预览已失效（超过 {PENDING_MINUTES} 分钟、已经导入，或有了新的上传），请重新上传文件 / this preview is no longer valid (older than {PENDING_MINUTES} minutes, already imported, or replaced by a newer upload); upload the file again"
    );
    WebError::Invalid {
        status: StatusCode::GONE,
        code: "expired",
        fields: vec![FieldError { field: FIELD.into(), message: message.clone() }],
        message,
    }
}

/// The shop's whole catalog as a download in `format`.
pub async fn download(state: &AppState, shop: ShopId, format: Format) -> Result<Response, WebError> {
    let details = state.store.product_details_of_shop(shop).await?;
    let bytes = tokio::task::spawn_blocking(move || export::write(&export::table(&details), format))
        .await
        .map_err(|e| WebError::Internal(e.into()))?
        .map_err(|e| WebError::Internal(e.into()))?;
    let disposition = format!("attachment; filename=\"zhibo-products.{}\"", format.extension());
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // The catalog changes; a download is always the catalog as it is now.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
