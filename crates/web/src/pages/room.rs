//! The live room's two faces: the viewer page (观众页, public, mobile-first)
//! and the live console (中控台). Both are thin HTML shells; the room itself
//! arrives over the WebSocket (docs/protocol.md) and small modules in
//! `assets/live/` render it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zhibo_domain::{Permission, RoomId};
use zhibo_store::shows::ShowRecord;

use super::{Layout, PageCtx, render};
use crate::auth::{Access, Routes};
use crate::error::WebError;
use crate::i18n::Msg;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .add("/live/shows/{id}/watch", Access::Public, get(watch))
        .add("/live/shows/{id}/qr.svg", Access::Public, get(qr))
        .add("/live/shows/{id}/console", Access::Needs(Permission::LiveConsole), get(console))
}

#[derive(Template)]
#[template(path = "room_viewer.html")]
struct ViewerPage {
    l: Layout,
    room: i64,
    title: String,
    intro: String,
    /// The session's CSRF token for the viewer's API calls (empty when anonymous).
    csrf: String,
    signed_in: bool,
    /// Texts the script needs, as JSON built from the catalogue (no user text).
    texts: String,
}

#[derive(Template)]
#[template(path = "room_console.html")]
struct ConsolePage {
    l: Layout,
    room: i64,
    title: String,
    texts: String,
}

/// The show a room id names, in this (one-shop) deployment.
pub(crate) async fn show(state: &AppState, id: i64) -> Result<ShowRecord, WebError> {
    let shop = state.store.first_shop().await?.ok_or_else(|| WebError::NotFound("shop".into()))?;
    let detail = state.store.show(shop.id, RoomId(id)).await?;
    detail.map(|d| d.show).ok_or_else(|| WebError::NotFound(format!("show {id}")))
}

pub(crate) fn texts(pairs: &[(&str, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v))).collect();
    // The values are catalogue strings; `</` is escaped anyway so the JSON
    // can never end its <script> element early.
    serde_json::Value::Object(map).to_string().replace("</", "<\\/")
}

async fn watch(ctx: PageCtx, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = show(&state, id).await?;
    let t: &Msg = ctx.layout.t;
    let page = ViewerPage {
        texts: texts(&[
            ("stock", t.room_stock_left),
            ("copied", t.room_share_copied),
            ("copy", t.room_share_copy),
            ("claim", t.room_claim),
            ("claimed", t.room_claimed),
            ("sign_in", t.room_sign_in_to_claim),
        ]),
        csrf: ctx.layout.csrf.clone(),
        signed_in: ctx.layout.user.is_some(),
        l: ctx.layout,
        room: show.id.0,
        title: show.title,
        intro: show.intro,
    };
    Ok(render(&page)?.into_response())
}

/// The watch page's address as the viewer reached this server: the share
/// link must open on a phone, so it is absolute (scheme from a proxy's
/// `X-Forwarded-Proto`, else plain http).
fn watch_url(headers: &HeaderMap, id: i64) -> String {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text("host").unwrap_or("localhost");
    let scheme = if text("x-forwarded-proto") == Some("https") { "https" } else { "http" };
    format!("{scheme}://{host}/live/shows/{id}/watch")
}

/// The share QR code (分享二维码): the watch URL as an SVG image.
async fn qr(State(state): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> Result<Response, WebError> {
    let show = show(&state, id).await?;
    let url = watch_url(&headers, show.id.0);
    let code = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| WebError::invalid("url", format!("无法生成二维码 / cannot encode the link as a QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    Ok((headers, svg).into_response())
}

async fn console(ctx: PageCtx, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = show(&state, id).await?;
    let t: &Msg = ctx.layout.t;
    let page = ConsolePage {
        texts: texts(&[
            ("push", t.console_push),
            ("list", t.console_list),
            ("delist", t.console_delist),
            ("hide", t.console_hide),
            ("mute", t.console_mute),
            ("none", t.console_none),
            ("move_up", t.console_move_up),
            ("move_down", t.console_move_down),
            ("move_to", t.console_move_to),
            ("move", t.console_move),
            ("pin_comment", t.console_pin_comment),
            ("mute_for", t.console_mute_for),
            ("minutes", t.console_minutes),
            ("ban", t.console_ban),
            ("ban_confirm", t.console_ban_confirm),
            ("online", t.room_online),
            ("presenting", t.room_presenting),
            ("stock", t.room_stock_left),
            ("bag", t.room_bag),
            ("pinned", t.room_pinned_comment),
            ("lottery", t.console_lottery),
            ("red_packet", t.console_red_packet),
            ("poll", t.console_poll),
        ]),
        l: ctx.layout,
        room: show.id.0,
        title: show.title,
    };
    Ok(render(&page)?.into_response())
}
