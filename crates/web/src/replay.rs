//! Replay (直播回放) and clips (高光剪辑): what a show's recording
//! (crates/media/src/record) becomes after the show.
//!
//! - `GET /live/shows/{id}/replay` (public once the show has ended and has
//!   a recording; staff with the console permission earlier): the replay
//!   page, the recording played with mpegts.js and the product timeline;
//!   each card can be bought there through the viewer page's own product
//!   sheet, cart and checkout (shoppable replay). `?t=SECONDS` opens it at
//!   that moment.
//! - `GET /live/shows/{id}/replay.flv` (same rule): the recording as one
//!   FLV with an `onMetaData` that lists every keyframe's time and byte
//!   position, served with HTTP Range, so the player seeks by keyframe.
//! - `GET /api/v1/shows/{id}/replay` (same rule): the timeline — the
//!   product cards with the span each was shown, the highlights — every
//!   moment of the room's log mapped onto the recording through its
//!   segments ([`RecordingRecord::offset_of`]).
//! - `GET /live/shows/{id}/replay/edit` (console): the replay editor; it
//!   lists the highlights and trims clips around them.
//! - `GET|POST /api/v1/shows/{id}/clips` (console): the clips; saving one
//!   checks its span against the recording.
//! - `GET /live/shows/{id}/clips/{clip}.flv|.mp4` (console): the clip,
//!   cut from the recording at keyframes by zhibo itself (FLV) on first
//!   download and kept in `recordings/clips/`; MP4 is the same cut put in
//!   an MP4 box by `ffmpeg -c copy` (no re-encoding; 501 when ffmpeg is
//!   not installed).

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use utoipa::{OpenApi, ToSchema};
use zhibo_domain::Permission;
use zhibo_domain::show::Lifecycle;
use zhibo_media::record::{self, file};
use zhibo_store::recordings::{ClipRecord, NewClip, RecordingRecord};
use zhibo_store::shows::ShowRecord;

use crate::api::json::ApiJson;
use crate::auth::session::SignedIn;
use crate::auth::{Access, Routes, Signed};
use crate::error::{ErrorBody, WebError};
use crate::pages::{Layout, PageCtx, render};
use crate::state::AppState;

/// The longest clip, in milliseconds (10 minutes).
pub const MAX_CLIP_MS: i64 = 10 * 60 * 1000;
/// Longest clip title, in characters.
pub const MAX_CLIP_TITLE_CHARS: usize = 60;

pub fn routes() -> Routes {
    use Access::{Needs, Public};
    Routes::default()
        .add("/live/shows/{id}/replay", Public, get(page))
        .add("/live/shows/{id}/replay.flv", Public, get(flv))
        .add("/api/v1/shows/{id}/replay", Public, get(timeline))
        .add("/live/shows/{id}/replay/edit", Needs(Permission::LiveConsole), get(edit_page))
        .add("/api/v1/shows/{id}/clips", Needs(Permission::LiveConsole), get(clips).post(create_clip))
        .add("/live/shows/{id}/clips/{file}", Needs(Permission::LiveConsole), get(clip_file))
}

#[derive(OpenApi)]
#[openapi(paths(timeline, clips, create_clip), components(schemas(Timeline, CardSpan, Highlight, ClipView, ClipBody)))]
pub struct ReplayApi;

// ---------------------------------------------------------------- who may watch

/// The show and its recording, when `signed` may watch it: anyone once
/// the show has ended, console staff as soon as there is a recording.
async fn replayable(state: &AppState, id: i64, signed: &SignedIn) -> Result<(ShowRecord, RecordingRecord), WebError> {
    let show = crate::pages::room::show(state, id).await?;
    let recording = state
        .store
        .recording(show.id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("本场没有录像 / show {id} has no recording")))?;
    let staff = signed.0.as_ref().is_some_and(|s| s.user.role.can(Permission::LiveConsole));
    if !staff && !matches!(show.lifecycle, Lifecycle::Ended { .. }) {
        return Err(WebError::NotFound(format!("回放在下播后开放 / the replay of show {id} opens when it has ended")));
    }
    Ok((show, recording))
}

fn recording_path(state: &AppState, recording: &RecordingRecord) -> PathBuf {
    state.settings.recordings_dir().join(&recording.file)
}

async fn read_index(path: PathBuf) -> Result<Vec<file::IndexEntry>, WebError> {
    tokio::task::spawn_blocking(move || file::read_index(&record::index_path(&path)))
        .await
        .map_err(|e| WebError::Internal(e.into()))?
        .map_err(|e| WebError::Internal(e.into()))
}

// ---------------------------------------------------------------- the timeline

/// A product card as it was shown: from its push to its take-down (or the
/// next card, or the end), on the recording's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardSpan {
    pub product: i64,
    pub title: String,
    /// The live price it was pushed at.
    pub live_price_fen: Option<i64>,
    pub from_ms: i64,
    pub to_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Highlight {
    /// The `highlight.marked` event's number in the room's log.
    pub seq: u64,
    pub at_ms: i64,
    /// The stream time the room measured when it was marked.
    pub stream_ms: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timeline {
    pub show: i64,
    pub title: String,
    pub duration_ms: i64,
    /// Where the player gets the recording.
    pub url: String,
    pub cards: Vec<CardSpan>,
    pub highlights: Vec<Highlight>,
}

/// Folds the room's log into the timeline.
async fn build_timeline(
    state: &AppState,
    show: &ShowRecord,
    recording: &RecordingRecord,
) -> Result<Timeline, WebError> {
    let titles: std::collections::HashMap<i64, String> = state
        .store
        .show(show.shop, show.id)
        .await?
        .map(|d| d.lineup.into_iter().map(|l| (l.product.0, l.product_title)).collect())
        .unwrap_or_default();
    let duration = recording.duration_ms;
    let mut cards: Vec<CardSpan> = Vec::new();
    let mut open: Option<CardSpan> = None;
    let mut highlights = Vec::new();
    let mut after = 0;
    loop {
        let events = state.store.events_after(show.id, after, 1000).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for e in &events {
            let at = recording.offset_of(e.time).min(duration);
            match e.kind.as_str() {
                "card.pushed" => {
                    if let Some(mut span) = open.take() {
                        span.to_ms = at;
                        cards.push(span);
                    }
                    let Some(product) = e.payload["product"].as_i64() else { continue };
                    open = Some(CardSpan {
                        product,
                        title: titles.get(&product).cloned().unwrap_or_else(|| format!("#{product}")),
                        live_price_fen: e.payload["live_price"].as_i64(),
                        from_ms: at,
                        to_ms: duration,
                    });
                }
                "card.unpushed" => {
                    if let Some(mut span) = open.take() {
                        span.to_ms = at;
                        cards.push(span);
                    }
                }
                "highlight.marked" => highlights.push(Highlight {
                    seq: e.seq,
                    at_ms: at,
                    stream_ms: e.payload["stream_ms"].as_i64(),
                    note: e.payload["note"].as_str().map(str::to_owned),
                }),
                _ => {}
            }
        }
    }
    cards.extend(open);
    // a card pushed and taken down while the stream was away has no span
    cards.retain(|c| c.to_ms > c.from_ms);
    Ok(Timeline {
        show: show.id.0,
        title: show.title.clone(),
        duration_ms: duration,
        url: format!("/live/shows/{}/replay.flv", show.id.0),
        cards,
        highlights,
    })
}

/// The replay's timeline: product cards and highlights on the recording.
#[utoipa::path(get, path = "/api/v1/shows/{id}/replay", params(("id" = i64, Path)),
    responses((status = 200, body = Timeline), (status = 404, body = ErrorBody)))]
async fn timeline(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<Timeline>, WebError> {
    let (show, recording) = replayable(&state, id, &signed).await?;
    Ok(Json(build_timeline(&state, &show, &recording).await?))
}

// ---------------------------------------------------------------- the recording over HTTP

/// A `Range: bytes=…` header against a body of `len` bytes: `Ok(None)`
/// for the whole body, `Err` when it cannot be satisfied.
fn parse_range(headers: &HeaderMap, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(value) = headers.get(header::RANGE) else { return Ok(None) };
    let text = value.to_str().map_err(|_| ())?.trim();
    let spec = text.strip_prefix("bytes=").ok_or(())?;
    // one range only; a list is answered with the whole body
    if spec.contains(',') {
        return Ok(None);
    }
    let (from, to) = spec.split_once('-').ok_or(())?;
    let (from, to) = match (from.trim(), to.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            (len.saturating_sub(n), len.checked_sub(1).ok_or(())?)
        }
        (from, "") => (from.parse().map_err(|_| ())?, len.checked_sub(1).ok_or(())?),
        (from, to) => {
            let to: u64 = to.parse().map_err(|_| ())?;
            (from.parse().map_err(|_| ())?, to.min(len.saturating_sub(1)))
        }
    };
    if from >= len || from > to {
        return Err(());
    }
    Ok(Some((from, to)))
}

/// `len` bytes of `path` from `start`, in chunks.
fn file_chunks(path: PathBuf, start: u64, len: u64) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    futures_util::stream::unfold((None::<tokio::fs::File>, path, start, len), |(file, path, at, left)| async move {
        if left == 0 {
            return None;
        }
        let mut file = match file {
            Some(f) => f,
            None => {
                let opened = async {
                    let mut f = tokio::fs::File::open(&path).await?;
                    f.seek(std::io::SeekFrom::Start(at)).await?;
                    Ok::<_, std::io::Error>(f)
                }
                .await;
                match opened {
                    Ok(f) => f,
                    Err(e) => return Some((Err(e), (None, path, at, 0))),
                }
            }
        };
        let mut buf = vec![0u8; left.min(64 * 1024) as usize];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), (Some(file), path, at + n as u64, left - n as u64)))
            }
            Err(e) => Some((Err(e), (None, path, at, 0))),
        }
    })
}

/// The recording as one FLV: a fresh header and `onMetaData` with the
/// keyframe index, then the file's tags; HTTP Range is honoured so the
/// player fetches from a keyframe's position when it seeks.
async fn flv(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (_, recording) = replayable(&state, id, &signed).await?;
    let path = recording_path(&state, &recording);
    let index = read_index(path.clone()).await?;
    let file_len = tokio::fs::metadata(&path)
        .await
        .map_err(|_| WebError::NotFound(format!("录像文件不见了 / the recording of show {id} is missing")))?
        .len();
    let header_len = file::FILE_HEADER.len() as u64;
    let prefix = file::replay_prefix(&index, u32::try_from(recording.duration_ms).unwrap_or(u32::MAX));
    let prefix_len = prefix.len() as u64;
    let total = prefix_len + file_len.saturating_sub(header_len);
    let range = match parse_range(&headers, total) {
        Ok(range) => range,
        Err(()) => {
            let headers = [(header::CONTENT_RANGE, format!("bytes */{total}"))];
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response());
        }
    };
    let (from, to) = range.unwrap_or((0, total.saturating_sub(1)));
    let len = if total == 0 { 0 } else { to - from + 1 };
    // the part of the prefix asked for, then the part of the file
    let head =
        if from < prefix_len { prefix.slice(from as usize..(to + 1).min(prefix_len) as usize) } else { Bytes::new() };
    let file_from = from.max(prefix_len) - prefix_len + header_len;
    let file_len_wanted = len - head.len() as u64;
    let body = futures_util::StreamExt::chain(
        futures_util::stream::iter([Ok::<Bytes, std::io::Error>(head)]),
        file_chunks(path, file_from, file_len_wanted),
    );
    let mut response = Body::from_stream(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/x-flv"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if range.is_some() {
        let value = format!("bytes {from}-{to}/{total}");
        h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&value).map_err(|e| WebError::Internal(e.into()))?);
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(response)
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "replay.html")]
struct ReplayPage {
    l: Layout,
    room: i64,
    title: String,
    intro: String,
    csrf: String,
    signed_in: bool,
    /// Where to start, in seconds (`?t=`).
    start: f64,
}

#[derive(Template)]
#[template(path = "replay_edit.html")]
struct EditPage {
    l: Layout,
    room: i64,
    title: String,
    duration_secs: f64,
}

#[derive(Debug, Deserialize)]
struct At {
    #[serde(default)]
    t: Option<f64>,
}

async fn page(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(at): Query<At>,
) -> Result<Response, WebError> {
    let signed = SignedIn(ctx.signed.clone());
    let (show, _) = replayable(&state, id, &signed).await?;
    let page = ReplayPage {
        csrf: ctx.layout.csrf.clone(),
        signed_in: ctx.layout.user.is_some(),
        l: ctx.layout,
        room: show.id.0,
        title: show.title,
        intro: show.intro,
        start: at.t.filter(|t| t.is_finite() && *t >= 0.0).unwrap_or(0.0),
    };
    Ok(render(&page)?.into_response())
}

async fn edit_page(ctx: PageCtx, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let signed = SignedIn(ctx.signed.clone());
    let (show, recording) = replayable(&state, id, &signed).await?;
    let page = EditPage {
        l: ctx.layout,
        room: show.id.0,
        title: show.title,
        duration_secs: recording.duration_ms as f64 / 1000.0,
    };
    Ok(render(&page)?.into_response())
}

// ---------------------------------------------------------------- clips

#[derive(Debug, Serialize, ToSchema)]
pub struct ClipView {
    pub id: i64,
    pub title: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub highlight: Option<u64>,
    pub created_at: i64,
    /// The clip as FLV, cut at keyframes.
    pub flv: String,
    /// The same cut as MP4 (needs ffmpeg on the server).
    pub mp4: String,
}

impl From<ClipRecord> for ClipView {
    fn from(c: ClipRecord) -> ClipView {
        let base = format!("/live/shows/{}/clips/{}", c.show.0, c.id);
        ClipView {
            id: c.id,
            title: c.title,
            start_ms: c.start_ms,
            end_ms: c.end_ms,
            highlight: c.highlight_seq,
            created_at: c.created_at.0,
            flv: format!("{base}.flv"),
            mp4: format!("{base}.mp4"),
        }
    }
}

/// A clip to cut: seconds on the recording's timeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClipBody {
    pub start_secs: f64,
    pub end_secs: f64,
    #[serde(default)]
    pub title: Option<String>,
    /// The highlight (its event number) the clip was cut around.
    #[serde(default)]
    pub highlight: Option<u64>,
}

/// The show's clips, newest first.
#[utoipa::path(get, path = "/api/v1/shows/{id}/clips", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ClipView>), (status = 404, body = ErrorBody)))]
async fn clips(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Vec<ClipView>>, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    Ok(Json(state.store.clips(show.id).await?.into_iter().map(ClipView::from).collect()))
}

fn mmss(ms: i64) -> String {
    format!("{:02}:{:02}", ms / 60_000, (ms / 1000) % 60)
}

/// Checks a clip against the recording: every problem at once.
fn check_clip(body: &ClipBody, recording: &RecordingRecord, highlights: &[Highlight]) -> Result<NewClip, WebError> {
    let mut fields = Vec::new();
    let mut bad = |field: &str, message: String| fields.push(crate::error::FieldError { field: field.into(), message });
    let duration = recording.duration_ms;
    let secs = |ms: i64| ms as f64 / 1000.0;
    if !body.start_secs.is_finite() || body.start_secs < 0.0 {
        bad("start_secs", "开始时间须是不小于 0 的秒数 / start_secs must be a number of seconds, 0 or more".into());
    }
    if !body.end_secs.is_finite() || body.end_secs <= body.start_secs {
        bad("end_secs", "结束须晚于开始 / end_secs must be after start_secs".into());
    }
    let start_ms = (body.start_secs * 1000.0).round() as i64;
    let end_ms = (body.end_secs * 1000.0).round() as i64;
    if body.end_secs.is_finite() && end_ms > duration {
        bad(
            "end_secs",
            format!("超出录像长度（{:.1} 秒） / beyond the recording ({:.1} s)", secs(duration), secs(duration)),
        );
    }
    if end_ms - start_ms > MAX_CLIP_MS {
        bad("end_secs", "剪辑最长 10 分钟 / a clip is at most 10 minutes".into());
    }
    let title = body.title.as_deref().map(str::trim).unwrap_or_default();
    if title.chars().count() > MAX_CLIP_TITLE_CHARS {
        bad(
            "title",
            format!("标题最多 {MAX_CLIP_TITLE_CHARS} 字 / title is at most {MAX_CLIP_TITLE_CHARS} characters"),
        );
    }
    let highlight = body.highlight.map(|seq| highlights.iter().find(|h| h.seq == seq));
    if let Some(None) = highlight {
        bad("highlight", "本场没有这个高光 / no such highlight in this show".into());
    }
    if !fields.is_empty() {
        let message = fields.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("；");
        return Err(WebError::Invalid { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields });
    }
    let title = match (title, highlight.flatten()) {
        ("", Some(Highlight { note: Some(note), .. })) => note.clone(),
        ("", _) => format!("高光 {} / highlight {}", mmss(start_ms), mmss(start_ms)),
        (title, _) => title.to_owned(),
    };
    Ok(NewClip { title, start_ms, end_ms, highlight_seq: body.highlight, created_by: None })
}

/// Saves a clip: a span of the recording (seconds), usually around a
/// highlight. Its file is cut on first download.
#[utoipa::path(post, path = "/api/v1/shows/{id}/clips", params(("id" = i64, Path)), request_body = ClipBody,
    responses((status = 201, body = ClipView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_clip(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ClipBody>,
) -> Result<Response, WebError> {
    let staff = SignedIn(Some(std::sync::Arc::new(signed.clone())));
    let (show, recording) = replayable(&state, id, &staff).await?;
    let timeline = build_timeline(&state, &show, &recording).await?;
    let mut clip = check_clip(&body, &recording, &timeline.highlights)?;
    clip.created_by = Some(signed.user.id);
    let saved = state.store.add_clip(show.id, &clip).await?;
    Ok((StatusCode::CREATED, Json(ClipView::from(saved))).into_response())
}

/// Cuts a clip to `dest` unless it is there already (written to a
/// temporary name first, so a half-cut file is never served).
async fn ensure_flv(
    state: &AppState,
    recording: &RecordingRecord,
    clip: &ClipRecord,
    dest: PathBuf,
) -> Result<(), WebError> {
    if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
        return Ok(());
    }
    let src = recording_path(state, recording);
    let index = read_index(src.clone()).await?;
    let (start, end) = (u32::try_from(clip.start_ms).unwrap_or(0), u32::try_from(clip.end_ms).unwrap_or(u32::MAX));
    let cut = tokio::task::spawn_blocking(move || -> std::io::Result<bool> {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = dest.with_extension(format!("{}.part", rand::random::<u32>()));
        let done = file::cut(&src, &index, start, end, &tmp)?;
        if done.is_some() {
            std::fs::rename(&tmp, &dest)?;
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(done.is_some())
    })
    .await
    .map_err(|e| WebError::Internal(e.into()))?
    .map_err(|e| WebError::Internal(e.into()))?;
    if cut {
        Ok(())
    } else {
        Err(WebError::NotFound("录像里没有可剪的关键帧 / the recording has no keyframe to cut from".into()))
    }
}

/// Puts the FLV cut in an MP4 box with ffmpeg, copying the streams.
async fn ensure_mp4(flv: PathBuf, dest: PathBuf) -> Result<(), WebError> {
    if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
        return Ok(());
    }
    let tmp = dest.with_extension(format!("{}.part.mp4", rand::random::<u32>()));
    let output = tokio::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i"])
        .arg(&flv)
        .args(["-c", "copy", "-movflags", "+faststart"])
        .arg(&tmp)
        .kill_on_drop(true)
        .output()
        .await;
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(WebError::Invalid {
                status: StatusCode::NOT_IMPLEMENTED,
                code: "no_ffmpeg",
                message: "服务器未安装 ffmpeg，请下载 FLV / ffmpeg is not installed here: download the FLV".into(),
                fields: Vec::new(),
            });
        }
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    if !output.status.success() {
        let _ = tokio::fs::remove_file(&tmp).await;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        return Err(WebError::Internal(anyhow::anyhow!("ffmpeg -c copy failed: {stderr}")));
    }
    tokio::fs::rename(&tmp, &dest).await.map_err(|e| WebError::Internal(e.into()))
}

/// A clip's file, `{clip}.flv` or `{clip}.mp4`, as a download.
async fn clip_file(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, name)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let gone = || WebError::NotFound(format!("没有这个剪辑 / no clip {name}"));
    let (clip_id, mp4) = match (name.strip_suffix(".flv"), name.strip_suffix(".mp4")) {
        (Some(n), _) => (n.parse::<i64>().map_err(|_| gone())?, false),
        (_, Some(n)) => (n.parse::<i64>().map_err(|_| gone())?, true),
        _ => return Err(gone()),
    };
    let staff = SignedIn(Some(std::sync::Arc::new(signed)));
    let (show, recording) = replayable(&state, id, &staff).await?;
    let clip = state.store.clip(show.id, clip_id).await?.ok_or_else(gone)?;
    let dir = state.settings.recordings_dir().join("clips");
    let flv = dir.join(format!("show-{}-clip-{}.flv", show.id.0, clip.id));
    ensure_flv(&state, &recording, &clip, flv.clone()).await?;
    let (path, kind) = if mp4 {
        let dest = flv.with_extension("mp4");
        ensure_mp4(flv, dest.clone()).await?;
        (dest, "video/mp4")
    } else {
        (flv, "video/x-flv")
    };
    let len = tokio::fs::metadata(&path).await.map_err(|e| WebError::Internal(e.into()))?.len();
    let download =
        format!("attachment; filename=\"show-{}-clip-{}.{}\"", show.id.0, clip.id, if mp4 { "mp4" } else { "flv" });
    let mut response = Body::from_stream(file_chunks(path, 0, len)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&download).map_err(|e| WebError::Internal(e.into()))?);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
            h
        };
        assert_eq!(parse_range(&HeaderMap::new(), 100), Ok(None));
        assert_eq!(parse_range(&with("bytes=0-"), 100), Ok(Some((0, 99))));
        assert_eq!(parse_range(&with("bytes=10-19"), 100), Ok(Some((10, 19))));
        assert_eq!(parse_range(&with("bytes=90-200"), 100), Ok(Some((90, 99))));
        assert_eq!(parse_range(&with("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(parse_range(&with("bytes=100-"), 100), Err(()));
        assert_eq!(parse_range(&with("bytes=20-10"), 100), Err(()));
        assert_eq!(parse_range(&with("lines=1-2"), 100), Err(()));
        assert_eq!(parse_range(&with("bytes=0-1,5-6"), 100), Ok(None));
    }
}
