//! 直播场次 API: shows under `/api/v1/shows` — list, create, read, replace
//! the plan, start and end — and the pieces the show pages share with it:
//! checking a plan against the shop ([`check_plan`]) and moving a show along
//! its lifecycle with its event ([`transition`]).
//!
//! A show's id is the room id of its event log. Starting and ending commit
//! the show's state first and then append `show.started` / `show.ended` to
//! the room's log: the log's group commit never runs inside the store's
//! transaction, and an event is never logged for a move that was refused.
//! Should the append fail after the commit, the show's state is still right
//! and the error is reported; the log then lacks that one event.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{OpenApi, ToSchema};
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_domain::show::{LineupInput, SegmentInput, ShowDraft, ShowError, ShowInput};
use zhibo_domain::{Fen, Permission, ProductId, Role, RoomId, ShopId, Timestamp, UserId};
use zhibo_store::shows::{ShowDetail, ShowRecord};

use super::json::ApiJson;
use crate::auth::{Access, Routes, Signed};
use crate::error::{ErrorBody, FieldError, WebError};
use crate::state::AppState;

pub fn routes() -> Routes {
    use Access::Needs;
    Routes::default()
        .add("/api/v1/shows", Needs(Permission::LiveConsole), get(list).post(create))
        .add("/api/v1/shows/{id}", Needs(Permission::LiveConsole), get(read).put(replace))
        .add("/api/v1/shows/{id}/start", Needs(Permission::LiveConsole), post(start))
        .add("/api/v1/shows/{id}/end", Needs(Permission::LiveConsole), post(end))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, read, replace, start, end),
    components(schemas(ShowBody, LineupBody, SegmentBody, ShowView, LineupView, SegmentView))
)]
pub struct ShowsApi;

/// The shop's products and their current prices (the cheapest SKU's), to
/// check a lineup against.
pub async fn prices(state: &AppState, shop: ShopId) -> Result<BTreeMap<ProductId, Fen>, WebError> {
    Ok(state.store.products_of_shop(shop).await?.into_iter().map(|p| (p.id, p.price)).collect())
}

/// Checks a plan against the domain's rules and the shop: its products and
/// prices, and that the streamer and assistant are the shop's accounts with
/// a role that can do the job. Every problem at once.
pub async fn check_plan(
    state: &AppState,
    shop: ShopId,
    input: &ShowInput,
) -> Result<Result<ShowDraft, Vec<ShowError>>, WebError> {
    let prices = prices(state, shop).await?;
    let mut errors = match ShowDraft::parse(input, &prices) {
        Ok(draft) => return people(state, shop, input).await.map(|e| if e.is_empty() { Ok(draft) } else { Err(e) }),
        Err(errors) => errors,
    };
    errors.extend(people(state, shop, input).await?);
    Ok(Err(errors))
}

async fn people(state: &AppState, shop: ShopId, input: &ShowInput) -> Result<Vec<ShowError>, WebError> {
    let users = state.store.users_of_shop(shop).await?;
    let mut errors = Vec::new();
    for (field, user, zh, en) in
        [("streamer", input.streamer, "主播", "streamer"), ("assistant", input.assistant, "场控", "assistant")]
    {
        let Some(user) = user else { continue };
        let ok = users.iter().any(|u| u.id == user && eligible(u.role));
        if !ok {
            errors.push(ShowError {
                section: zhibo_domain::show::Section::Show,
                error: zhibo_domain::DomainError::new(
                    field,
                    format!("本店没有可任{zh}的账号 {user} / no account {user} of this shop can be the {en}"),
                ),
            });
        }
    }
    Ok(errors)
}

/// Who may present or run a show: staff and the training side, not buyers.
pub fn eligible(role: Role) -> bool {
    role != Role::Viewer
}

/// A show's problems as a 422, with the API's own field names.
pub fn invalid(errors: &[ShowError]) -> WebError {
    let fields: Vec<FieldError> =
        errors.iter().map(|e| FieldError { field: api_path(e), message: e.error.message.clone() }).collect();
    let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    WebError::Invalid { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", message, fields }
}

fn api_path(e: &ShowError) -> String {
    let path = e.path();
    let (head, field) =
        path.rsplit_once('.').map(|(h, f)| (format!("{h}."), f.to_owned())).unwrap_or((String::new(), path));
    let renamed = match field.as_str() {
        "scheduled_start" => "scheduled_start_ms",
        "streamer" => "streamer_id",
        "assistant" => "assistant_id",
        "promotion_budget" => "promotion_budget_fen",
        "product" => "product_id",
        "live_price" => "live_price_fen",
        other => other,
    };
    format!("{head}{renamed}")
}

/// Writing a plan needs [`Permission::Planning`] on top of the route's
/// `LiveConsole`: a path has one access rule in the route table, and
/// reading shows is the wider of the two.
pub fn require_planning(signed: &Signed) -> Result<(), WebError> {
    if signed.user.role.can(Permission::Planning) { Ok(()) } else { Err(WebError::Forbidden) }
}

/// Which way a show moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Start,
    End,
}

/// Moves a show (committed first), then appends `show.started` or
/// `show.ended` to its room's log. A refused move is a 409 and logs nothing.
pub async fn transition(state: &AppState, signed: &Signed, id: RoomId, step: Move) -> Result<ShowRecord, WebError> {
    let shop = signed.user.shop;
    let moved = match step {
        Move::Start => state.store.start_show(shop, id).await?,
        Move::End => state.store.end_show(shop, id).await?,
    };
    let show = moved.map_err(|e| WebError::Invalid {
        status: StatusCode::CONFLICT,
        code: "illegal_transition",
        message: e.message.clone(),
        fields: vec![FieldError { field: e.field.into(), message: e.message }],
    })?;
    let (kind, payload) = match step {
        Move::Start => (
            "show.started",
            json!({"title": show.title, "scheduled_start_ms": show.scheduled_start.0,
                   "started_at_ms": show.lifecycle.started_at().map(|t| t.0)}),
        ),
        Move::End => (
            "show.ended",
            json!({"title": show.title, "started_at_ms": show.lifecycle.started_at().map(|t| t.0),
                   "ended_at_ms": show.lifecycle.ended_at().map(|t| t.0)}),
        ),
    };
    let event =
        NewEvent { room: id, kind: EventKind::parse(kind)?, actor: Actor::User(signed.user.id), amount: None, payload };
    let logged = state.store.append(event).await?;
    // A room already running (a console opened before the show) learns it
    // went live or ended without a restart.
    if let Some(room) = state.live.hub.running(id) {
        room.observe(logged).await;
    }
    Ok(show)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineupBody {
    pub product_id: i64,
    /// traffic (引流款), profit (利润款), image (形象款) or giveaway (福利款)
    pub role: String,
    /// At most the product's current price.
    pub live_price_fen: Option<i64>,
    /// Minutes after the scheduled start at which to push the card.
    pub push_offset_minutes: Option<i64>,
    #[serde(default)]
    pub talking_points: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    /// opening, product, interaction, lottery or closing
    pub kind: String,
    pub title: String,
    /// Minutes after the scheduled start.
    pub start_offset_minutes: i64,
    /// Length in minutes, above 0; segments may not overlap.
    pub minutes: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowBody {
    pub title: String,
    #[serde(default)]
    pub intro: String,
    pub scheduled_start_ms: i64,
    pub streamer_id: Option<i64>,
    pub assistant_id: Option<i64>,
    pub promotion_budget_fen: Option<i64>,
    #[serde(default)]
    pub lineup: Vec<LineupBody>,
    #[serde(default)]
    pub run_sheet: Vec<SegmentBody>,
}

impl From<ShowBody> for ShowInput {
    fn from(b: ShowBody) -> Self {
        ShowInput {
            title: b.title,
            intro: b.intro,
            scheduled_start: Timestamp(b.scheduled_start_ms),
            streamer: b.streamer_id.map(UserId),
            assistant: b.assistant_id.map(UserId),
            promotion_budget: b.promotion_budget_fen.map(Fen),
            lineup: b
                .lineup
                .into_iter()
                .map(|l| LineupInput {
                    product: ProductId(l.product_id),
                    role: l.role,
                    live_price: l.live_price_fen.map(Fen),
                    push_offset_minutes: l.push_offset_minutes,
                    talking_points: l.talking_points,
                })
                .collect(),
            run_sheet: b
                .run_sheet
                .into_iter()
                .map(|s| SegmentInput {
                    kind: s.kind,
                    title: s.title,
                    start_offset_minutes: s.start_offset_minutes,
                    minutes: s.minutes,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineupView {
    pub product_id: i64,
    pub product_title: String,
    /// The product's current price (its cheapest SKU).
    pub price_fen: i64,
    pub role: String,
    pub live_price_fen: Option<i64>,
    pub push_offset_minutes: Option<i64>,
    pub talking_points: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    pub kind: String,
    pub title: String,
    pub start_offset_minutes: i64,
    pub minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShowView {
    /// Also the room id of the show's event log.
    pub id: i64,
    pub title: String,
    pub intro: String,
    pub scheduled_start_ms: i64,
    pub streamer_id: Option<i64>,
    pub assistant_id: Option<i64>,
    pub promotion_budget_fen: Option<i64>,
    /// planned, live or ended
    pub state: String,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    /// Only in single-show answers; empty in the list.
    pub lineup: Vec<LineupView>,
    pub run_sheet: Vec<SegmentView>,
}

impl From<&ShowRecord> for ShowView {
    fn from(s: &ShowRecord) -> Self {
        ShowView {
            id: s.id.0,
            title: s.title.clone(),
            intro: s.intro.clone(),
            scheduled_start_ms: s.scheduled_start.0,
            streamer_id: s.streamer.map(|u| u.0),
            assistant_id: s.assistant.map(|u| u.0),
            promotion_budget_fen: s.promotion_budget.map(|b| b.0),
            state: s.lifecycle.state().as_str().into(),
            started_at_ms: s.lifecycle.started_at().map(|t| t.0),
            ended_at_ms: s.lifecycle.ended_at().map(|t| t.0),
            lineup: Vec::new(),
            run_sheet: Vec::new(),
        }
    }
}

impl From<&ShowDetail> for ShowView {
    fn from(d: &ShowDetail) -> Self {
        ShowView {
            lineup: d
                .lineup
                .iter()
                .map(|l| LineupView {
                    product_id: l.product.0,
                    product_title: l.product_title.clone(),
                    price_fen: l.product_price.0,
                    role: l.role.as_str().into(),
                    live_price_fen: l.live_price.map(|p| p.0),
                    push_offset_minutes: l.push_offset_minutes,
                    talking_points: l.talking_points.clone(),
                })
                .collect(),
            run_sheet: d
                .run_sheet
                .iter()
                .map(|s| SegmentView {
                    kind: s.kind.as_str().into(),
                    title: s.title.clone(),
                    start_offset_minutes: s.start_offset_minutes,
                    minutes: s.minutes,
                })
                .collect(),
            ..ShowView::from(&d.show)
        }
    }
}

async fn detail(state: &AppState, shop: ShopId, id: RoomId) -> Result<ShowDetail, WebError> {
    state.store.show(shop, id).await?.ok_or_else(|| WebError::NotFound(format!("show {id}")))
}

/// The shop's shows by scheduled start (without lineups).
#[utoipa::path(get, path = "/api/v1/shows", responses((status = 200, body = Vec<ShowView>)))]
async fn list(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<ShowView>>, WebError> {
    let shows = state.store.shows_of_shop(signed.user.shop).await?;
    Ok(Json(shows.iter().map(ShowView::from).collect()))
}

/// Plans a show with its lineup and run sheet; every wrong field is named.
#[utoipa::path(post, path = "/api/v1/shows", request_body = ShowBody,
    responses((status = 201, body = ShowView), (status = 422, body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    signed: Signed,
    ApiJson(body): ApiJson<ShowBody>,
) -> Result<Response, WebError> {
    require_planning(&signed)?;
    let shop = signed.user.shop;
    let draft = check_plan(&state, shop, &body.into()).await?.map_err(|e| invalid(&e))?;
    let id = state.store.create_show(shop, &draft).await?;
    let d = detail(&state, shop, id).await?;
    Ok((StatusCode::CREATED, Json(ShowView::from(&d))).into_response())
}

/// One show with its lineup (with each product's current price) and run sheet.
#[utoipa::path(get, path = "/api/v1/shows/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ShowView), (status = 404, body = ErrorBody)))]
async fn read(State(state): State<AppState>, signed: Signed, Path(id): Path<i64>) -> Result<Json<ShowView>, WebError> {
    Ok(Json(ShowView::from(&detail(&state, signed.user.shop, RoomId(id)).await?)))
}

/// Replaces a show's plan, lineup and run sheet (not once it has ended).
#[utoipa::path(put, path = "/api/v1/shows/{id}", params(("id" = i64, Path)), request_body = ShowBody,
    responses((status = 200, body = ShowView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ShowBody>,
) -> Result<Json<ShowView>, WebError> {
    require_planning(&signed)?;
    let (shop, id) = (signed.user.shop, RoomId(id));
    detail(&state, shop, id).await?;
    let draft = check_plan(&state, shop, &body.into()).await?.map_err(|e| invalid(&e))?;
    state.store.update_show(shop, id, &draft).await?.map_err(|e| WebError::Conflict(e.message))?;
    Ok(Json(ShowView::from(&detail(&state, shop, id).await?)))
}

/// Starts a planned show (开播) and logs `show.started` in its room.
#[utoipa::path(post, path = "/api/v1/shows/{id}/start", params(("id" = i64, Path)),
    responses((status = 200, body = ShowView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start(State(state): State<AppState>, signed: Signed, Path(id): Path<i64>) -> Result<Json<ShowView>, WebError> {
    Ok(Json(ShowView::from(&transition(&state, &signed, RoomId(id), Move::Start).await?)))
}

/// Ends a live show (下播) and logs `show.ended` in its room.
#[utoipa::path(post, path = "/api/v1/shows/{id}/end", params(("id" = i64, Path)),
    responses((status = 200, body = ShowView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn end(State(state): State<AppState>, signed: Signed, Path(id): Path<i64>) -> Result<Json<ShowView>, WebError> {
    Ok(Json(ShowView::from(&transition(&state, &signed, RoomId(id), Move::End).await?)))
}
