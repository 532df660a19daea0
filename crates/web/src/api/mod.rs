//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/v1/openapi.json`. Each handler carries its own `#[utoipa::path]`
//! so the document cannot drift from the code. Money is integer fen, times
//! are milliseconds since the Unix epoch.

pub mod catalog;
pub mod json;
pub mod orders;
pub mod preflight;
pub mod promotions;
pub mod shows;
pub mod viewer;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::{IntoParams, OpenApi, ToSchema};
use zhibo_domain::{Permission, RoomId, Timestamp};
use zhibo_store::UserRecord;

use crate::auth::sign_in::{SignInError, sign_in};
use crate::auth::{Access, Routes, Signed, session};
use crate::error::{ErrorBody, WebError};
use crate::state::AppState;
use json::ApiJson;

pub fn routes() -> Routes {
    use Access::{Needs, Public};
    Routes::default()
        .add("/api/v1/openapi.json", Public, get(openapi_json))
        .add("/api/v1/session", Public, axum::routing::post(create_session))
        .add("/api/v1/session/current", Needs(Permission::SignedIn), axum::routing::delete(delete_session))
        .add("/api/v1/me", Needs(Permission::SignedIn), get(me))
        .add("/api/v1/rooms/{room}/events", Needs(Permission::Reports), get(room_events))
        .add("/api/v1/rooms/{room}/rollups", Needs(Permission::Reports), get(room_rollups))
        .merge(catalog::routes())
        .merge(promotions::routes())
        .merge(orders::routes())
        .merge(shows::routes())
        .merge(viewer::routes())
        .merge(preflight::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "zhibo API",
        description = "直播电商工作室 zhibo 的 JSON 接口 / the JSON API of zhibo, the live-commerce studio. Money is integer fen; times are Unix milliseconds. Sign in with POST /api/v1/session, then send the returned csrf_token as X-CSRF-Token on every unsafe request."
    ),
    paths(create_session, delete_session, me, room_events, room_rollups),
    components(schemas(ErrorBody, UserView, SessionCreated, SignInRequest, EventView, RollupView))
)]
pub struct ApiDoc;

/// The whole document: this module's paths and each area's own `OpenApi`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(catalog::CatalogApi::openapi());
    doc.merge(promotions::PromotionsApi::openapi());
    doc.merge(orders::OrdersApi::openapi());
    doc.merge(shows::ShowsApi::openapi());
    doc.merge(viewer::ViewerApi::openapi());
    doc.merge(preflight::PreflightApi::openapi());
    doc.merge(crate::replay::ReplayApi::openapi());
    doc
}

async fn openapi_json() -> Response {
    Json(openapi()).into_response()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// owner, operator, streamer, assistant, teacher, student or viewer
    pub role: String,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            id: u.id.0,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    pub user: UserView,
    /// Send as the `X-CSRF-Token` header on POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
}

/// Signs in; the session travels in the `zhibo_session` cookie.
#[utoipa::path(post, path = "/api/v1/session", request_body = SignInRequest,
    responses((status = 200, body = SessionCreated), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn create_session(
    State(state): State<AppState>,
    jar: CookieJar,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<SignInRequest>,
) -> Result<Response, WebError> {
    match sign_in(&state, peer.ip(), &body.username, &body.password).await {
        Ok((cookie, session, user)) => {
            let created = SessionCreated { user: UserView::from(&user), csrf_token: session.csrf_token };
            Ok((jar.add(cookie), Json(created)).into_response())
        }
        Err(SignInError::Wrong) => Err(WebError::Invalid {
            status: StatusCode::UNAUTHORIZED,
            code: "wrong_credentials",
            message: "用户名或密码不正确 / wrong username or password".into(),
            fields: Vec::new(),
        }),
        Err(SignInError::TooMany { retry_after_secs }) => Err(WebError::TooManyRequests { retry_after_secs }),
        Err(SignInError::Other(e)) => Err(e),
    }
}

/// Signs out this session.
#[utoipa::path(delete, path = "/api/v1/session/current", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn delete_session(State(state): State<AppState>, jar: CookieJar, signed: Signed) -> Result<Response, WebError> {
    let cleared = session::end(&state, &signed).await?;
    Ok((jar.add(cleared), StatusCode::NO_CONTENT).into_response())
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(signed: Signed) -> Json<UserView> {
    Json(UserView::from(&signed.user))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events with a higher sequence number (default 0: from the start).
    #[serde(default)]
    pub after: u64,
    /// At most this many, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: u64,
    pub time_ms: i64,
    pub kind: String,
    pub actor: String,
    pub amount_fen: Option<i64>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// A room's event log, in order, a page at a time.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/events", params(("room" = i64, Path), EventsQuery),
    responses((status = 200, body = Vec<EventView>), (status = 422, body = ErrorBody)))]
async fn room_events(
    State(state): State<AppState>,
    Path(room): Path<i64>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Vec<EventView>>, WebError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(WebError::invalid("limit", "须在1到1000之间 / must be from 1 to 1000"));
    }
    let events = state.store.events_after(RoomId(room), q.after, limit).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| EventView {
                seq: e.seq,
                time_ms: e.time.0,
                kind: e.kind.to_string(),
                actor: e.actor.to_string(),
                amount_fen: e.amount.map(|a| a.0),
                payload: e.payload,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RollupsQuery {
    /// First minute wanted, Unix ms (default: the beginning).
    pub from: Option<i64>,
    /// End of the range, exclusive, Unix ms (default: the end).
    pub to: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RollupView {
    pub minute_ms: i64,
    pub kind: String,
    pub count: i64,
    pub amount_fen: i64,
}

/// Per-minute counts and money by event kind, kept up to date as events arrive.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/rollups", params(("room" = i64, Path), RollupsQuery),
    responses((status = 200, body = Vec<RollupView>), (status = 422, body = ErrorBody)))]
async fn room_rollups(
    State(state): State<AppState>,
    Path(room): Path<i64>,
    Query(q): Query<RollupsQuery>,
) -> Result<Json<Vec<RollupView>>, WebError> {
    let (from, to) = (q.from.unwrap_or(i64::MIN), q.to.unwrap_or(i64::MAX));
    if from > to {
        return Err(WebError::invalid("to", "结束时间早于开始时间 / to is before from"));
    }
    let cells = state.store.rollups(RoomId(room), Timestamp(from), Timestamp(to)).await?;
    Ok(Json(
        cells
            .into_iter()
            .map(|((minute, kind), cell)| RollupView {
                minute_ms: minute.0,
                kind: kind.to_string(),
                count: cell.count,
                amount_fen: cell.amount.0,
            })
            .collect(),
    ))
}
