//! The web side of video: starts the RTMP server ([`zhibo_media`]) with the
//! app, forwards what happens to each stream to its live room (which logs
//! it and tells consoles and viewers), and serves
//!
//! - `GET /live/shows/{id}/stream.flv` (public, like the viewer page): the
//!   show's stream as HTTP-FLV, starting at the cached keyframe, for
//!   mpegts.js; 404 while nobody publishes;
//! - `GET /live/shows/{id}/hls/index.m3u8` and `.../hls/{n}.ts` (public):
//!   the same stream as HLS (remuxed in memory), for iOS Safari;
//! - `GET /live/shows/{id}/stream` (console): RTMP address, whether a key
//!   exists, the stream's state and health;
//! - `POST /live/shows/{id}/stream-key` (console): a new key, shown once;
//! - `POST /live/shows/{id}/stream-key/revoke` (console).

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderValue, Method, Version, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::OnceLock;
use tokio::sync::mpsc;
use zhibo_domain::Permission;
use zhibo_live::room::{StreamEvent, StreamUpdate};
use zhibo_media::flv_out::FlvOut;
use zhibo_media::{MediaConfig, MediaEvent, MediaEventKind, MediaServer};

use crate::auth::{Access, Routes};
use crate::error::WebError;
use crate::state::AppState;

/// The RTMP server once it is listening (absent when its port was taken).
#[derive(Debug, Default)]
pub struct Media {
    server: OnceLock<MediaServer>,
    /// The pre-flight check's upload budgets and each show's last push.
    pub preflight: crate::api::preflight::Preflight,
    /// axum's connections an FLV request may take over (flv_listener).
    pub handoffs: std::sync::Arc<crate::flv_listener::Handoffs>,
}

impl Media {
    pub fn server(&self) -> Option<&MediaServer> {
        self.server.get()
    }

    /// Where publishers connect, when ingest is on.
    pub fn rtmp_addr(&self) -> Option<SocketAddr> {
        self.server().map(MediaServer::local_addr)
    }
}

/// Starts ingest for the app. A taken RTMP port is not fatal: the rest of
/// zhibo runs without video and says so in the log and the console.
pub async fn start(state: &AppState) {
    let settings = &state.settings.media;
    let config = MediaConfig {
        rtmp_addr: SocketAddr::new(settings.rtmp_host, settings.rtmp_port),
        grace_secs: settings.grace_seconds,
        flv_merge_ms: settings.flv_merge_ms,
        ..MediaConfig::default()
    };
    let (tx, rx) = mpsc::channel(256);
    match MediaServer::start(config.clone(), state.store.clone(), state.clock.clone(), tx).await {
        Ok(server) => {
            tracing::info!(rtmp = %server.local_addr(), "RTMP ingest listening");
            // every publication is recorded (crate::replay serves it)
            let recorder = zhibo_media::record::Recorder::new(
                state.settings.recordings_dir(),
                state.store.clone(),
                state.store.clone(),
                state.clock.clone(),
            );
            server.record_to(std::sync::Arc::new(recorder));
            let _ = state.media.server.set(server);
            tokio::spawn(forward(state.clone(), rx));
        }
        Err(error) => tracing::warn!(
            addr = %config.rtmp_addr,
            %error,
            "RTMP 推流端口不可用，视频接入关闭 / cannot listen for RTMP: video ingest is off"
        ),
    }
}

/// Media events to the show's room.
async fn forward(state: AppState, mut events: mpsc::Receiver<MediaEvent>) {
    while let Some(event) = events.recv().await {
        state.media.preflight.note_push(event.show, event.health.as_ref(), state.clock.now());
        let health = event.health.as_ref().and_then(|h| serde_json::to_value(h).ok());
        let kind = match event.kind {
            MediaEventKind::Started => StreamEvent::Started,
            MediaEventKind::Stopped => StreamEvent::Stopped,
            MediaEventKind::Dropped => StreamEvent::Dropped,
            MediaEventKind::Resumed => StreamEvent::Resumed,
            MediaEventKind::Health => StreamEvent::Health,
            MediaEventKind::Live => StreamEvent::Refresh,
        };
        let update = StreamUpdate { event: kind, health };
        let room = state.live.hub.room(event.show);
        if kind == StreamEvent::Refresh {
            room.stream_refresh(update);
        } else if !room.stream(update.clone()).await {
            // the room stopped between lookup and send: once more, fresh
            state.live.hub.room(event.show).stream(update).await;
        }
    }
}

pub fn routes() -> Routes {
    Routes::default()
        .add("/live/shows/{id}/stream.flv", Access::Public, get(flv))
        .add("/live/shows/{id}/hls/index.m3u8", Access::Public, get(hls_playlist))
        .add("/live/shows/{id}/hls/{segment}", Access::Public, get(hls_segment))
        .add("/live/shows/{id}/stream", Access::Needs(Permission::LiveConsole), get(status))
        .add("/live/shows/{id}/stream-key", Access::Needs(Permission::LiveConsole), post(new_key))
        .add("/live/shows/{id}/stream-key/revoke", Access::Needs(Permission::LiveConsole), post(revoke_key))
}

fn ingest(state: &AppState) -> Result<&MediaServer, WebError> {
    state.media.server().ok_or_else(|| WebError::NotFound("RTMP 推流服务未开启 / RTMP ingest is off".into()))
}

/// The show's stream as FLV: header, metadata, sequence headers, the GOP
/// cache, then live tags, each tag's body the publisher's own bytes. A
/// fresh connection's stream request never gets here (flv_listener hands
/// it to the fan-out at once); one on a reused HTTP/1 connection is handed
/// over once this answer is done; only what cannot be (HTTP/2, a HEAD, a
/// connection served some other way) is streamed from here.
async fn flv(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    version: Version,
) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let server = ingest(&state)?;
    let http1 = matches!(version, Version::HTTP_11 | Version::HTTP_10);
    if method == Method::GET
        && http1
        && server.hub().is_live(show.id)
        && state.media.handoffs.take_over(peer, show.id, server.clone())
    {
        // not sent: the fan-out writes its own head on this socket
        return Ok(([(header::CONNECTION, HeaderValue::from_static("close"))], ()).into_response());
    }
    let Some(viewer) = server.hub().subscribe(show.id) else {
        return Err(WebError::NotFound("直播画面尚未开始 / the stream has not started".into()));
    };
    // merged writes: about one socket write per video frame (flv_out)
    let batches = futures_util::stream::unfold(FlvOut::new(viewer), |mut out| async move {
        let pieces = out.next_batch().await?;
        Some((futures_util::stream::iter(pieces.into_iter().map(Ok::<Bytes, std::io::Error>)), out))
    });
    let body = Body::from_stream(futures_util::StreamExt::flatten(batches));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("video/x-flv")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
    ];
    Ok((headers, body).into_response())
}

/// The HLS playlist. While a publication is starting, waits (a few
/// seconds at most) for its first segment instead of failing the player.
async fn hls_playlist(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let server = ingest(&state)?;
    let hls = server.hls();
    if hls.playlist(show.id).is_none() && server.hub().is_live(show.id) {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(8), hls.first_segment(show.id)).await;
    }
    let playlist = hls
        .playlist(show.id)
        .ok_or_else(|| WebError::NotFound("直播画面尚未开始 / the stream has not started".into()))?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.apple.mpegurl")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
    ];
    Ok((headers, playlist).into_response())
}

/// One HLS segment, `{n}.ts`, while it is in the playlist.
async fn hls_segment(
    State(state): State<AppState>,
    Path((id, segment)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let server = ingest(&state)?;
    let gone = || WebError::NotFound(format!("分片 {segment} 不存在或已过期 / segment {segment} is gone"));
    let seq: u64 = segment.strip_suffix(".ts").and_then(|n| n.parse().ok()).ok_or_else(gone)?;
    let data = server.hls().segment(show.id, seq).ok_or_else(gone)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("video/mp2t")),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
    ];
    Ok((headers, data).into_response())
}

#[derive(Serialize)]
struct StreamStatus {
    /// RTMP port publishers connect to; `null` when ingest is off.
    rtmp_port: Option<u16>,
    app: String,
    has_key: bool,
    key_created_at: Option<i64>,
    state: &'static str,
    health: Option<zhibo_media::health::HealthReport>,
}

async fn status(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let key = state.store.stream_key_of(show.shop, show.id).await?;
    let server = state.media.server();
    Ok(Json(StreamStatus {
        rtmp_port: server.map(|s| s.local_addr().port()),
        app: server.map_or_else(|| "live".to_owned(), |s| s.app().to_owned()),
        has_key: key.is_some(),
        key_created_at: key.map(|k| k.created_at.0),
        state: server.map_or("off", |s| s.state(show.id)),
        health: server.and_then(|s| s.health(show.id)),
    })
    .into_response())
}

#[derive(Serialize)]
struct NewKey {
    key: String,
    rtmp_port: u16,
    app: String,
}

async fn new_key(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let server = ingest(&state)?;
    let key = server.new_key(show.shop, show.id).await.map_err(|e| match e {
        zhibo_media::MediaError::Store(e) => WebError::from(e),
        other => WebError::Internal(other.into()),
    })?;
    let body = NewKey { key, rtmp_port: server.local_addr().port(), app: server.app().to_owned() };
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(body)).into_response())
}

async fn revoke_key(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let revoked = state.store.revoke_stream_key(show.shop, show.id).await?;
    Ok(Json(serde_json::json!({ "revoked": revoked })).into_response())
}
