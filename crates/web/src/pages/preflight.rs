//! 开播前检查 (pre-flight check, J1.1.3): the page staff open before a
//! show. The browser tests the camera and microphone itself
//! (`assets/live/preflight.js`); the upload test and the test push talk to
//! [`crate::api::preflight`]. This module only renders the shell and the
//! catalogue texts the script needs.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zhibo_domain::Permission;

use super::{Layout, PageCtx, render};
use crate::auth::{Access, Routes};
use crate::error::WebError;
use crate::i18n::Msg;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().add("/live/shows/{id}/preflight", Access::Needs(Permission::LiveConsole), get(page))
}

#[derive(Template)]
#[template(path = "preflight.html")]
struct PreflightPage {
    l: Layout,
    room: i64,
    title: String,
    /// Catalogue texts for the script, as JSON (no user text).
    texts: String,
}

async fn page(ctx: PageCtx, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let show = super::room::show(&state, id).await?;
    let t: &Msg = ctx.layout.t;
    let page = PreflightPage {
        texts: super::room::texts(&[
            ("denied", t.preflight_denied),
            ("no_device", t.preflight_no_device),
            ("no_camera", t.preflight_no_camera),
            ("no_mic", t.preflight_no_mic),
            ("busy", t.preflight_busy),
            ("insecure", t.preflight_insecure),
            ("start", t.preflight_devices_start),
            ("stop", t.preflight_devices_stop),
            ("failed", t.preflight_bandwidth_failed),
            ("ingest_off", t.preflight_ingest_off),
            ("push_live", t.preflight_push_live),
            ("push_ended", t.preflight_push_ended),
            ("push_none", t.preflight_push_none),
            ("waiting", t.preflight_waiting),
            ("passed", t.preflight_passed),
            ("not_passed", t.preflight_failed),
            ("all_passed", t.preflight_all_passed),
        ]),
        l: ctx.layout,
        room: show.id.0,
        title: show.title,
    };
    Ok(render(&page)?.into_response())
}
