//! 开播前检查 (pre-flight check, J1.1.3): the two endpoints the check page
//! (`/live/shows/{id}/preflight`) talks to, and the little state they keep.
//!
//! - `POST /api/v1/shows/{id}/preflight/upload`: an upload bandwidth probe.
//!   The page posts a few chunks of random bytes and times them itself; the
//!   server only counts what arrived. Each chunk is capped
//!   ([`CHUNK_MAX_BYTES`]) and each account has a byte budget per window on
//!   the server's [`Clock`](zhibo_domain::Clock) ([`BUDGET_BYTES`] per
//!   [`BUDGET_WINDOW_SECS`]), so the probe cannot be turned into a way to
//!   fill the server's link.
//! - `GET /api/v1/shows/{id}/preflight/push`: whether zhibo has received a
//!   push with this show's key, from the media server's state now and the
//!   last health report it sent about the show ([`PushLog`]), so a test
//!   push that has already ended still counts.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use utoipa::{OpenApi, ToSchema};
use zhibo_domain::{Permission, RoomId, Timestamp, UserId};
use zhibo_media::health::HealthReport;

use crate::auth::{Access, Routes, Signed};
use crate::error::{ErrorBody, WebError};
use crate::state::AppState;

/// The largest chunk one upload request may carry.
pub const CHUNK_MAX_BYTES: usize = 1 << 20;
/// Bytes one account may upload per window: eight runs of the page's
/// 4 MiB test.
pub const BUDGET_BYTES: u64 = 32 << 20;
pub const BUDGET_WINDOW_SECS: i64 = 600;
/// Accounts kept before expired ones are pruned (bounds the map's memory).
const PRUNE_ABOVE_USERS: usize = 10_000;

pub fn routes() -> Routes {
    use Access::Needs;
    Routes::default().add("/api/v1/shows/{id}/preflight/upload", Needs(Permission::LiveConsole), post(upload)).add(
        "/api/v1/shows/{id}/preflight/push",
        Needs(Permission::LiveConsole),
        get(push),
    )
}

#[derive(OpenApi)]
#[openapi(paths(upload, push), components(schemas(UploadReceived, PushStatus, LastPush)))]
pub struct PreflightApi;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the pre-flight check remembers: each account's recent uploads and
/// each show's last health report. Lives in [`crate::media::Media`].
#[derive(Debug, Default)]
pub struct Preflight {
    uploads: Mutex<HashMap<UserId, VecDeque<(i64, u64)>>>,
    pushes: Mutex<HashMap<RoomId, (Timestamp, HealthReport)>>,
}

impl Preflight {
    /// Counts `bytes` more against `user`'s budget at `now`: `Ok(bytes left
    /// in the window)`, or `Err(seconds until the oldest upload in the
    /// window expires)` once the budget is spent.
    pub fn charge(&self, user: UserId, now: Timestamp, bytes: u64) -> Result<u64, i64> {
        let second = now.0.div_euclid(1000);
        let mut all = lock(&self.uploads);
        if all.len() > PRUNE_ABOVE_USERS {
            all.retain(|_, q| q.back().is_some_and(|(s, _)| second - s < BUDGET_WINDOW_SECS));
        }
        let q = all.entry(user).or_default();
        while q.front().is_some_and(|(s, _)| second - s >= BUDGET_WINDOW_SECS) {
            q.pop_front();
        }
        let used: u64 = q.iter().map(|(_, b)| b).sum();
        if used + bytes > BUDGET_BYTES {
            let oldest = q.front().map_or(second, |(s, _)| *s);
            return Err((oldest + BUDGET_WINDOW_SECS - second).max(1));
        }
        // one entry per second at most, however small the frames
        match q.back_mut() {
            Some((s, b)) if *s == second => *b += bytes,
            _ => q.push_back((second, bytes)),
        }
        Ok(BUDGET_BYTES - used - bytes)
    }

    /// Keeps the latest report of a show that has received media.
    pub fn note_push(&self, show: RoomId, health: Option<&HealthReport>, now: Timestamp) {
        if let Some(h) = health.filter(|h| h.bytes > 0) {
            lock(&self.pushes).insert(show, (now, h.clone()));
        }
    }

    /// The show's latest report and when it came.
    pub fn last_push(&self, show: RoomId) -> Option<(Timestamp, HealthReport)> {
        lock(&self.pushes).get(&show).cloned()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadReceived {
    /// Bytes of this request's body the server received.
    pub received: u64,
    /// Bytes this account may still upload in the current window.
    pub budget_left: u64,
    pub chunk_max_bytes: u64,
}

/// Counts an upload chunk (any bytes, `application/octet-stream`, at most
/// 1 MiB) for the pre-flight bandwidth test; the page times it.
#[utoipa::path(post, path = "/api/v1/shows/{id}/preflight/upload",
    params(("id" = i64, Path, description = "the show")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = UploadReceived), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    crate::pages::room::show(&state, id).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("application/octet-stream") {
        return Err(WebError::Invalid {
            status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: format!(
                "Content-Type 应为 application/octet-stream / Content-Type must be application/octet-stream, not {content_type:?}"
            ),
            fields: Vec::new(),
        });
    }
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > CHUNK_MAX_BYTES as u64) {
        return Err(crate::api::json::too_large(CHUNK_MAX_BYTES));
    }
    let user = signed.user.id;
    let mut received: u64 = 0;
    let mut left = state.media.preflight.charge(user, state.clock.now(), 0).map_err(limited)?;
    let mut frames = body.into_data_stream();
    while let Some(frame) = frames.next().await {
        let frame =
            frame.map_err(|e| WebError::invalid("body", format!("读取上传失败 / the upload broke off: {e}")))?;
        received += frame.len() as u64;
        if received > CHUNK_MAX_BYTES as u64 {
            return Err(crate::api::json::too_large(CHUNK_MAX_BYTES));
        }
        left = state.media.preflight.charge(user, state.clock.now(), frame.len() as u64).map_err(limited)?;
    }
    if received == 0 {
        return Err(WebError::invalid("body", "上传内容不能为空 / the upload must not be empty"));
    }
    let answer = UploadReceived { received, budget_left: left, chunk_max_bytes: CHUNK_MAX_BYTES as u64 };
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(answer)).into_response())
}

fn limited(retry_after_secs: i64) -> WebError {
    WebError::TooManyRequests { retry_after_secs }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastPush {
    /// When zhibo last heard about this push (Unix ms, server clock).
    pub at: i64,
    /// Its health then: codec, resolution, bitrate, frame rate, keyframes.
    #[schema(value_type = Object)]
    pub health: HealthReport,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PushStatus {
    /// Whether the RTMP server is listening.
    pub ingest: bool,
    pub rtmp_port: Option<u16>,
    pub app: String,
    /// Whether the show has a usable stream key.
    pub has_key: bool,
    /// `live` (someone is pushing now), `down` (dropped, within the grace
    /// period) or `off`.
    pub state: &'static str,
    /// The push now, while one is live.
    #[schema(value_type = Option<Object>)]
    pub health: Option<HealthReport>,
    /// The latest push zhibo received with this show's key since it
    /// started, live or ended.
    pub last_push: Option<LastPush>,
    /// A push with this show's key has delivered H.264 video.
    pub received: bool,
}

/// What zhibo has received with the show's key: the pre-flight
/// checklist's last item.
#[utoipa::path(get, path = "/api/v1/shows/{id}/preflight/push",
    params(("id" = i64, Path, description = "the show")),
    responses((status = 200, body = PushStatus), (status = 404, body = ErrorBody)))]
async fn push(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let key = state.store.stream_key_of(show.shop, show.id).await?;
    let server = state.media.server();
    let health = server.and_then(|s| s.health(show.id));
    let last_push = state.media.preflight.last_push(show.id);
    let received = health.iter().chain(last_push.as_ref().map(|(_, h)| h)).any(|h| h.video_codec == Some("h264"));
    let status = PushStatus {
        ingest: server.is_some(),
        rtmp_port: server.map(|s| s.local_addr().port()),
        app: server.map_or_else(|| "live".to_owned(), |s| s.app().to_owned()),
        has_key: key.is_some(),
        state: server.map_or("off", |s| s.state(show.id)),
        health,
        last_push: last_push.map(|(at, health)| LastPush { at: at.0, health }),
        received,
    };
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(status)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_per_account_and_frees_up_as_the_window_moves() {
        let p = Preflight::default();
        let (a, b) = (UserId(1), UserId(2));
        let t0 = Timestamp(1_000_000);
        assert_eq!(p.charge(a, t0, BUDGET_BYTES - 10), Ok(10));
        assert_eq!(p.charge(a, t0.plus_secs(5), 10), Ok(0));
        // spent: the wait is until the first upload leaves the window
        assert_eq!(p.charge(a, t0.plus_secs(60), 1), Err(BUDGET_WINDOW_SECS - 60));
        assert_eq!(p.charge(b, t0.plus_secs(60), 1), Ok(BUDGET_BYTES - 1));
        // the first upload has left the window, the 10 bytes have not
        assert_eq!(p.charge(a, t0.plus_secs(BUDGET_WINDOW_SECS), 0), Ok(BUDGET_BYTES - 10));
        assert_eq!(p.charge(a, t0.plus_secs(BUDGET_WINDOW_SECS + 5), 0), Ok(BUDGET_BYTES));
    }

    #[test]
    fn tiny_frames_do_not_grow_the_record() {
        let p = Preflight::default();
        for i in 0..10_000 {
            p.charge(UserId(1), Timestamp(i), 1).unwrap();
        }
        assert_eq!(lock(&p.uploads)[&UserId(1)].len(), 10);
    }
}
