//! Static files embedded in the binary (CSS, and the pinned third-party
//! browser files under `assets/vendor/`, refreshed by
//! `scripts/vendor-assets.sh`), served with an ETag so browsers revalidate
//! cheaply.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::WebError;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let file = Assets::get(&path).ok_or_else(|| WebError::NotFound(format!("asset {path}")))?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                mime.essence_str().to_owned()
                    + if mime.type_() == "text" || path.ends_with(".js") { "; charset=utf-8" } else { "" },
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "public, max-age=3600, must-revalidate".to_owned()),
        ],
        file.data.into_owned(),
    )
        .into_response())
}
