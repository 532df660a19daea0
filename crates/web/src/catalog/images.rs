//! Product images: receiving an upload, checking it, making its thumbnail,
//! and serving either rendition.
//!
//! - The type is read from the bytes (magic numbers, `image::guess_format`),
//!   never from the file name or the browser's content type: only JPEG, PNG
//!   and WebP are accepted.
//! - Size: an upload is refused from its `Content-Length` before any of it
//!   is read, and otherwise while it streams in, as soon as it passes
//!   [`MAX_IMAGE_BYTES`], so a 50 MB upload is never held in memory.
//! - Decoding runs off the async threads, at most [`DECODERS`] at a time,
//!   with limits on width, height and decoded size, so a small file that
//!   claims to be 100 000 × 100 000 pixels (a decompression bomb) is refused
//!   before any pixel memory is taken.
//! - The original bytes are kept as uploaded; the thumbnail fits in
//!   [`THUMB_SIDE`]² (JPEG, or PNG when the image has transparency).
//! - Served with the right content type, an ETag from the content's SHA-256
//!   and a year of `immutable` caching: an image id never names other bytes.

use std::io::Cursor;

use axum::extract::Multipart;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use zhibo_domain::{ProductId, ShopId};
use zhibo_store::{ImageBytes, ImageRecord, NewImage, Rendition};

use crate::error::{FieldError, WebError};
use crate::state::AppState;

/// The largest image accepted: 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The upload route's body limit: one image plus room for the multipart
/// framing and a few small fields. It replaces the server's general limit
/// on that route only.
pub const MAX_UPLOAD_BODY_BYTES: usize = MAX_IMAGE_BYTES + 64 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 8000;
/// The most decoded pixel memory one image may need (about 6000 × 6000 RGBA).
pub const MAX_DECODED_BYTES: u64 = 144 * 1024 * 1024;
/// Thumbnails fit in a square of this side.
pub const THUMB_SIDE: u32 = 400;
/// Images decoded at the same time, so memory stays bounded under load.
pub const DECODERS: usize = 2;
/// The form and API field that carries the file.
pub const FIELD: &str = "image";

static DECODING: Semaphore = Semaphore::const_new(DECODERS);

/// The 413 answer for an image over the limit, naming the limit.
pub fn too_large() -> WebError {
    let message = format!("图片不能超过 5 MB / an image may be at most 5 MB ({MAX_IMAGE_BYTES} bytes)");
    WebError::Invalid {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        fields: vec![FieldError { field: FIELD.into(), message: message.clone() }],
        message,
    }
}

/// Refuses an upload whose declared length is over the route's limit,
/// before reading a byte of it.
pub fn check_declared_length(headers: &HeaderMap) -> Result<(), WebError> {
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > MAX_UPLOAD_BODY_BYTES as u64 => Err(too_large()),
        _ => Ok(()),
    }
}

fn multipart_error(e: MultipartError) -> WebError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        WebError::invalid(FIELD, format!("上传的表单无法读取 / the upload could not be read: {}", e.body_text()))
    }
}

/// Reads the file in the `image` field, refusing it as soon as it passes
/// the limit. Other fields are skipped.
pub async fn read_upload(mut multipart: Multipart) -> Result<Vec<u8>, WebError> {
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some(FIELD) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(WebError::invalid(FIELD, "没有选择图片文件 / no image file was chosen"));
        }
        return Ok(bytes);
    }
    Err(WebError::invalid(FIELD, "缺少图片文件（字段 image）/ the image file is missing (field image)"))
}

/// The most images one product keeps.
pub const MAX_IMAGES_PER_PRODUCT: usize = 12;

/// Receives one upload for a product, end to end: the declared length, the
/// product (before reading the body), the file, its content, the thumbnail,
/// and the stored row.
pub async fn receive(
    state: &AppState,
    shop: ShopId,
    product: ProductId,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<ImageRecord, WebError> {
    check_declared_length(headers)?;
    let multipart = multipart.map_err(|_| WebError::Invalid {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message: "请以 multipart/form-data 上传，文件放在 image 字段 / upload as multipart/form-data with the file in the field image".into(),
        fields: vec![FieldError { field: FIELD.into(), message: "multipart/form-data".into() }],
    })?;
    let existing = state.store.product_images(shop, product).await?;
    if existing.len() >= MAX_IMAGES_PER_PRODUCT {
        return Err(WebError::invalid(
            FIELD,
            format!("每个商品最多{MAX_IMAGES_PER_PRODUCT}张图片 / at most {MAX_IMAGES_PER_PRODUCT} images per product"),
        ));
    }
    let bytes = read_upload(multipart).await?;
    let image = process(bytes).await?;
    Ok(state.store.add_product_image(shop, product, &image).await?)
}

/// Checks, decodes and thumbnails an upload, off the async threads.
pub async fn process(original: Vec<u8>) -> Result<NewImage, WebError> {
    let _permit = DECODING.acquire().await.map_err(|e| WebError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || process_now(original))
        .await
        .map_err(|e| WebError::Internal(anyhow::anyhow!("image worker failed: {e}")))?
}

fn not_an_image(detail: &str) -> WebError {
    WebError::invalid(
        FIELD,
        format!(
            "不是有效的图片，仅支持 JPEG、PNG、WebP / not a valid image: only JPEG, PNG and WebP are accepted ({detail})"
        ),
    )
}

/// The same as [`process`], on the calling thread.
pub fn process_now(original: Vec<u8>) -> Result<NewImage, WebError> {
    let format = image::guess_format(&original).map_err(|_| not_an_image("unknown format"))?;
    let mime = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Png => "image/png",
        ImageFormat::WebP => "image/webp",
        other => return Err(not_an_image(&format!("{other:?}"))),
    };
    let mut reader = ImageReader::with_format(Cursor::new(&original), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let too_big = || {
        WebError::invalid(
            FIELD,
            format!(
                "图片尺寸过大，边长不能超过{MAX_SIDE}像素 / the image is too large: at most {MAX_SIDE} pixels a side"
            ),
        )
    };
    let decode_error = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => too_big(),
        other => not_an_image(&other.to_string()),
    };
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        let megapixels = MAX_DECODED_BYTES / 4 / 1_000_000;
        return Err(WebError::invalid(
            FIELD,
            format!(
                "图片像素过多（最多约{megapixels}00万像素）/ the image has too many pixels: at most about {megapixels} megapixels"
            ),
        ));
    }
    // Phone photos are often stored sideways with an EXIF note to turn them.
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    picture.apply_orientation(orientation);
    let (width, height) = (picture.width(), picture.height());

    let thumb =
        if width > THUMB_SIDE || height > THUMB_SIDE { picture.thumbnail(THUMB_SIDE, THUMB_SIDE) } else { picture };
    let mut thumbnail = Vec::new();
    let encoded = if thumb.color().has_alpha() {
        thumb.to_rgba8().write_with_encoder(PngEncoder::new(&mut thumbnail)).map(|()| "image/png")
    } else {
        thumb.to_rgb8().write_with_encoder(JpegEncoder::new_with_quality(&mut thumbnail, 82)).map(|()| "image/jpeg")
    };
    let thumb_mime = encoded.map_err(|e| WebError::Internal(anyhow::anyhow!("thumbnail: {e}")))?;
    Ok(NewImage {
        mime,
        width,
        height,
        sha256: hex::encode(Sha256::digest(&original)),
        original,
        thumb_mime,
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
        thumbnail,
    })
}

/// Serves an image's bytes: its content type, an ETag, a year of caching
/// (`private`: it is behind sign-in), and 304 when the browser has it.
pub fn serve(image: ImageBytes, rendition: Rendition, headers: &HeaderMap) -> Response {
    let suffix = match rendition {
        Rendition::Original => "o",
        Rendition::Thumbnail => "t",
    };
    let etag = format!("\"{}-{suffix}\"", &image.sha256[..image.sha256.len().min(32)]);
    let cache = "private, max-age=31536000, immutable";
    let common = [(header::ETAG, etag.clone()), (header::CACHE_CONTROL, cache.to_owned())];
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| etag_matches(v, &etag)) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let mime = HeaderValue::from_str(&image.mime).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        common,
        [(header::CONTENT_TYPE, mime), (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))],
        image.bytes,
    )
        .into_response()
}

fn etag_matches(header: &HeaderValue, etag: &str) -> bool {
    header.to_str().is_ok_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    fn field(err: WebError) -> (u16, String) {
        (err.status().as_u16(), err.fields()[0].field.clone())
    }

    #[test]
    fn a_large_photo_keeps_its_bytes_and_gets_a_thumbnail_that_fits() {
        let bytes = png(1200, 600);
        let image = process_now(bytes.clone()).unwrap();
        assert_eq!((image.mime, image.width, image.height), ("image/png", 1200, 600));
        assert_eq!(image.original, bytes);
        assert_eq!((image.thumb_mime, image.thumb_width, image.thumb_height), ("image/jpeg", 400, 200));
        let thumb = image::load_from_memory(&image.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 200));
        assert_eq!(image.sha256, hex::encode(Sha256::digest(&bytes)));
    }

    #[test]
    fn a_small_image_is_not_blown_up_and_transparency_stays_png() {
        let img = RgbaImage::from_pixel(30, 20, Rgba([1, 2, 3, 100]));
        let mut bytes = Vec::new();
        img.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
        let image = process_now(bytes).unwrap();
        assert_eq!((image.thumb_mime, image.thumb_width, image.thumb_height), ("image/png", 30, 20));
    }

    #[test]
    fn anything_else_is_refused_naming_the_field() {
        assert_eq!(field(process_now(b"hello, not an image".to_vec()).unwrap_err()), (422, "image".into()));
        assert_eq!(field(process_now(b"GIF89a\x01\x00\x01\x00".to_vec()).unwrap_err()), (422, "image".into()));
        let mut cut = png(50, 50);
        cut.truncate(cut.len() / 2);
        assert_eq!(field(process_now(cut).unwrap_err()), (422, "image".into()));
    }

    /// A PNG header that claims 30 000 × 30 000 pixels: 3.6 GB decoded from
    /// a few bytes. It is refused from the header, before any allocation.
    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let err = process_now(bomb_png(30_000, 30_000)).unwrap_err();
        assert!(err.to_string().contains("8000 pixels a side"), "{err}");
        assert_eq!(field(err), (422, "image".into()));
        // within the sides but over the decoded-size budget
        let err = process_now(bomb_png(7_000, 7_000)).unwrap_err();
        assert!(err.to_string().contains("megapixels"), "{err}");
    }

    pub(crate) fn bomb_png(width: u32, height: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        // the start of the pixel data, so the header reads as complete
        let idat = b"IDAT\x78\x9c\x00\x00\x00\xff\xff".to_vec();
        png.extend_from_slice(&((idat.len() - 4) as u32).to_be_bytes());
        png.extend_from_slice(&idat);
        png.extend_from_slice(&crc32(&idat).to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn etags_match_lists_and_wildcards() {
        let tag = "\"abc-o\"";
        assert!(etag_matches(&HeaderValue::from_static("\"x\", \"abc-o\""), tag));
        assert!(etag_matches(&HeaderValue::from_static("*"), tag));
        assert!(!etag_matches(&HeaderValue::from_static("\"abc-t\""), tag));
    }
}
