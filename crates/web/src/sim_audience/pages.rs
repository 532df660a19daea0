//! The staff side of simulated audiences: a page per show to attach one
//! from a scenario file (`[sim] scenarios_dir`, `scenarios/` by default)
//! with a seed, and to pause, resume or stop it; the JSON status the
//! console shows ("模拟观众 N"); and the demo's audience at start.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::time::Duration;
use zhibo_domain::{Permission, RoomId};
use zhibo_sim::Scenario;

use super::{AudienceStatus, Pace};
use crate::auth::{Access, Routes};
use crate::error::WebError;
use crate::pages::{Layout, PageCtx, render};
use crate::state::AppState;

/// The built-in scenario's name in the form (the demo shop's evening).
pub const BUILT_IN: &str = "tea-evening (内置 / built in)";

pub fn routes() -> Routes {
    let console = Access::Needs(Permission::LiveConsole);
    Routes::default().add("/live/shows/{id}/audience", console, get(show).post(act)).add(
        "/live/shows/{id}/audience/status",
        console,
        get(status),
    )
}

#[derive(Template)]
#[template(path = "sim_audience.html")]
struct AudiencePage {
    l: Layout,
    room: i64,
    title: String,
    scenarios: Vec<String>,
    chosen: String,
    seed: u64,
    status: Option<AudienceStatus>,
    error: Option<String>,
}

/// The scenario files staff may choose: `*.toml` in the scenarios folder,
/// by name, after the built-in one.
fn scenario_names(state: &AppState) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(&state.settings.sim.scenarios_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".toml") && !n.starts_with('.'))
        .collect();
    names.sort();
    names.insert(0, BUILT_IN.to_owned());
    names
}

/// Reads and checks a chosen scenario. Only a name from the list is
/// accepted, so no path reaches the file system from the form.
fn load_scenario(state: &AppState, name: &str) -> Result<Scenario, String> {
    if name.is_empty() || name == BUILT_IN {
        return Ok(zhibo_sim::default_scenario());
    }
    if !scenario_names(state).iter().any(|n| n == name) {
        return Err(format!("场景文件不存在 / no such scenario file: {name}"));
    }
    let path = state.settings.sim.scenarios_dir.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("无法读取场景文件 / cannot read {name}: {e}"))?;
    zhibo_sim::parse(&text).map_err(|e| format!("{name}: {e}"))
}

async fn page(
    ctx: PageCtx,
    state: &AppState,
    id: i64,
    chosen: String,
    seed: u64,
    error: Option<String>,
) -> Result<Response, WebError> {
    let show = crate::pages::room::show(state, id).await?;
    let failed = error.is_some();
    let page = AudiencePage {
        l: ctx.layout,
        room: show.id.0,
        title: show.title,
        scenarios: scenario_names(state),
        chosen,
        seed,
        status: state.audiences.status(show.id),
        error,
    };
    let html = render(&page)?;
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, html).into_response() } else { html.into_response() })
}

async fn show(ctx: PageCtx, State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let seed = state.audiences.status(RoomId(id)).map_or(1, |s| s.seed);
    page(ctx, &state, id, BUILT_IN.to_owned(), seed, None).await
}

#[derive(Debug, Deserialize)]
struct AudienceForm {
    action: String,
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    seed: String,
}

async fn act(
    ctx: PageCtx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<AudienceForm>,
) -> Result<Response, WebError> {
    let show = crate::pages::room::show(&state, id).await?;
    let room = show.id;
    let seed_text = form.seed.trim();
    let seed = if seed_text.is_empty() { Ok(1) } else { seed_text.parse::<u64>() };
    let back = Redirect::to(&format!("/live/shows/{id}/audience")).into_response();
    match form.action.as_str() {
        "start" => {
            let Ok(seed) = seed else {
                let message = format!("随机种子须为非负整数 / seed must be a whole number ≥ 0: {seed_text:?}");
                return page(ctx, &state, id, form.scenario, 1, Some(message)).await;
            };
            let scenario = match load_scenario(&state, &form.scenario) {
                Ok(s) => s,
                Err(message) => return page(ctx, &state, id, form.scenario, seed, Some(message)).await,
            };
            let pace = Pace::Wall(Duration::from_secs(1));
            state
                .audiences
                .start(&state.live.hub, state.clock.clone(), room, scenario, seed, pace)
                .await
                .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
            Ok(back)
        }
        "stop" => {
            state.audiences.stop(room).await;
            Ok(back)
        }
        "pause" | "resume" => {
            state.audiences.pause(room, form.action == "pause").await;
            Ok(back)
        }
        other => Err(WebError::invalid(
            "action",
            format!(
                "action 须为 start、stop、pause 或 resume / action must be start, stop, pause or resume: {other:?}"
            ),
        )),
    }
}

/// The room's audience as JSON: `{"running": false}` when none is attached.
async fn status(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match state.audiences.status(RoomId(id)) {
        Some(status) => axum::Json(status).into_response(),
        None => axum::Json(serde_json::json!({ "running": false, "online": 0 })).into_response(),
    }
}

/// Attaches the demo audience when `[sim] demo_audience` is on and the demo
/// show exists (`zhibo demo`); `None` when off or there is no demo show.
pub async fn start_configured(state: &AppState, pace: Pace) -> Result<Option<AudienceStatus>, WebError> {
    if !state.settings.sim.demo_audience {
        return Ok(None);
    }
    let Some(shop) = state.store.first_shop().await? else { return Ok(None) };
    let Some(show) = state.store.show_by_title(shop.id, crate::demo::DEMO_SHOW).await? else { return Ok(None) };
    let scenario = zhibo_sim::default_scenario();
    let seed = state.settings.sim.demo_seed;
    let status = state
        .audiences
        .start(&state.live.hub, state.clock.clone(), show.id, scenario, seed, pace)
        .await
        .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    Ok(Some(status))
}
