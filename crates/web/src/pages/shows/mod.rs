//! 直播场次 pages under `/live`: the shop's shows by scheduled start, the
//! plan form ([`form`]), a show's detail (lineup with push times, run sheet
//! with planned times) and its 开播 / 下播 buttons.
//!
//! Reading shows needs [`Permission::LiveConsole`]; the form's paths need
//! [`Permission::Planning`] (every role that plans also runs the console).
//! The plan is checked by the API's [`check_plan`] and a show is moved by
//! the API's [`transition`], so the `show.started` / `show.ended` events
//! are logged the same way from either side. Times show in Beijing time.

pub mod automation;
pub mod form;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use zhibo_domain::localtime::format_shop_time_seconds;
use zhibo_domain::show::{Lifecycle, ShowState};
use zhibo_domain::{Permission, RoomId, ShopId, Timestamp, UserId};
use zhibo_store::shows::ShowDetail;

use super::promotions::form::FormInput;
use super::promotions::shop_time;
use super::{Layout, PageCtx, is_htmx, render};
use crate::api::shows::{Move, check_plan, eligible, transition};
use crate::auth::{Access, Routes, Signed};
use crate::error::WebError;
use crate::i18n::Msg;
use crate::state::AppState;
use form::{FormView, Options};

pub fn routes() -> Routes {
    use Access::Needs;
    Routes::default()
        .add("/live", Needs(Permission::LiveConsole), get(list))
        .add("/live/shows/new", Needs(Permission::Planning), get(new).post(create))
        .add("/live/shows/{id}", Needs(Permission::LiveConsole), get(detail))
        .add("/live/shows/{id}/edit", Needs(Permission::Planning), get(edit).post(update))
        .add("/live/shows/{id}/start", Needs(Permission::LiveConsole), post(start))
        .add("/live/shows/{id}/end", Needs(Permission::LiveConsole), post(end))
}

/// A state as the pages show it: 直播中 with `live` beside it.
pub struct StateLabel {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl From<ShowState> for StateLabel {
    fn from(s: ShowState) -> Self {
        StateLabel { code: s.as_str(), zh: s.zh(), en: s.en() }
    }
}

/// The names of the shop's accounts, for the streamer and assistant columns.
async fn people(state: &AppState, shop: ShopId) -> Result<Vec<(UserId, String, zhibo_domain::Role)>, WebError> {
    Ok(state.store.users_of_shop(shop).await?.into_iter().map(|u| (u.id, u.display_name, u.role)).collect())
}

fn name_of(people: &[(UserId, String, zhibo_domain::Role)], user: Option<UserId>, t: &Msg) -> String {
    match user {
        None => t.show_nobody.to_owned(),
        Some(id) => people.iter().find(|(u, _, _)| *u == id).map_or_else(|| format!("#{id}"), |(_, n, _)| n.clone()),
    }
}

async fn load(state: &AppState, shop: ShopId, id: i64) -> Result<ShowDetail, WebError> {
    state.store.show(shop, RoomId(id)).await?.ok_or_else(|| WebError::NotFound(format!("show {id}")))
}

// ---------------------------------------------------------------- list

struct ListRow {
    id: i64,
    title: String,
    state: StateLabel,
    scheduled_start: String,
    streamer: String,
    lineup: usize,
}

#[derive(Template)]
#[template(path = "shows.html")]
struct ListPage {
    l: Layout,
    rows: Vec<ListRow>,
    can_plan: bool,
}

pub async fn list(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let shop = signed.user.shop;
    let people = people(&state, shop).await?;
    let mut rows = Vec::new();
    // the store lists by scheduled start; a shop plans tens of shows, so one
    // read per show for its lineup count is cheap
    for show in state.store.shows_of_shop(shop).await? {
        let lineup = state.store.show(shop, show.id).await?.map_or(0, |d| d.lineup.len());
        rows.push(ListRow {
            id: show.id.0,
            state: show.lifecycle.state().into(),
            scheduled_start: shop_time(show.scheduled_start),
            streamer: name_of(&people, show.streamer, t),
            lineup,
            title: show.title,
        });
    }
    let can_plan = signed.user.role.can(Permission::Planning);
    Ok(render(&ListPage { l: ctx.layout, rows, can_plan })?.into_response())
}

// -------------------------------------------------------------- detail

struct LineupLine {
    n: usize,
    title: String,
    role_zh: &'static str,
    role_en: &'static str,
    price: String,
    live_price: String,
    push_at: String,
    talking_points: String,
}

struct SegmentLine {
    kind_zh: &'static str,
    kind_en: &'static str,
    title: String,
    from: String,
    to: String,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "shows_detail.html")]
struct DetailPage {
    l: Layout,
    id: i64,
    title: String,
    intro: String,
    state: StateLabel,
    scheduled_start: String,
    started_at: Option<String>,
    ended_at: Option<String>,
    streamer: String,
    assistant: String,
    budget: String,
    lineup: Vec<LineupLine>,
    run_sheet: Vec<SegmentLine>,
    can_plan: bool,
    can_start: bool,
    can_end: bool,
    /// Why the last move was refused.
    refused: Option<String>,
}

fn at_offset(start: Timestamp, minutes: i64) -> String {
    shop_time(start.plus_secs(minutes * 60))
}

async fn detail_page(
    ctx: PageCtx,
    state: &AppState,
    signed: &Signed,
    id: i64,
    refused: Option<String>,
) -> Result<String, WebError> {
    let t = ctx.layout.t;
    let shop = signed.user.shop;
    let d = load(state, shop, id).await?;
    let people = people(state, shop).await?;
    let s = &d.show;
    let start = s.scheduled_start;
    let lineup = d
        .lineup
        .iter()
        .enumerate()
        .map(|(i, l)| LineupLine {
            n: i + 1,
            title: l.product_title.clone(),
            role_zh: l.role.zh(),
            role_en: l.role.as_str(),
            price: l.product_price.to_string(),
            live_price: l.live_price.map_or_else(|| "—".to_owned(), |p| p.to_string()),
            push_at: l.push_offset_minutes.map_or_else(|| "—".to_owned(), |m| at_offset(start, m)),
            talking_points: l.talking_points.clone(),
        })
        .collect();
    let run_sheet = d
        .run_sheet
        .iter()
        .map(|g| SegmentLine {
            kind_zh: g.kind.zh(),
            kind_en: g.kind.en(),
            title: g.title.clone(),
            from: at_offset(start, g.start_offset_minutes),
            to: at_offset(start, g.end_offset_minutes()),
            minutes: g.minutes,
        })
        .collect();
    let page = DetailPage {
        id,
        title: s.title.clone(),
        intro: s.intro.clone(),
        state: s.lifecycle.state().into(),
        scheduled_start: shop_time(start),
        started_at: s.lifecycle.started_at().map(format_shop_time_seconds),
        ended_at: s.lifecycle.ended_at().map(format_shop_time_seconds),
        streamer: name_of(&people, s.streamer, t),
        assistant: name_of(&people, s.assistant, t),
        budget: s.promotion_budget.map_or_else(|| t.show_no_budget.to_owned(), |b| b.to_string()),
        lineup,
        run_sheet,
        can_plan: signed.user.role.can(Permission::Planning) && s.lifecycle.check_editable().is_ok(),
        can_start: s.lifecycle == Lifecycle::Planned,
        can_end: matches!(s.lifecycle, Lifecycle::Live { .. }),
        refused,
        l: ctx.layout,
    };
    Ok(page.render()?)
}

pub async fn detail(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    Ok(axum::response::Html(detail_page(ctx, &state, &signed, id, None).await?).into_response())
}

/// 开播 / 下播: a refused move shows the detail again with the reason (409).
async fn step(ctx: PageCtx, state: AppState, signed: Signed, id: i64, step: Move) -> Result<Response, WebError> {
    match transition(&state, &signed, RoomId(id), step).await {
        Ok(_) => Ok(Redirect::to(&format!("/live/shows/{id}")).into_response()),
        Err(WebError::Invalid { status: StatusCode::CONFLICT, message, .. }) => {
            let page = detail_page(ctx, &state, &signed, id, Some(message)).await?;
            Ok((StatusCode::CONFLICT, axum::response::Html(page)).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn start(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    step(ctx, state, signed, id, Move::Start).await
}

pub async fn end(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    step(ctx, state, signed, id, Move::End).await
}

// ---------------------------------------------------------------- form

#[derive(Template)]
#[template(path = "shows_form.html")]
struct FormPage {
    l: Layout,
    v: FormView,
}

#[derive(Template)]
#[template(path = "shows_form.html", block = "form")]
struct FormPartial {
    l: Layout,
    v: FormView,
}

async fn options(state: &AppState, shop: ShopId, t: &Msg) -> Result<Options, WebError> {
    let products = state.store.products_of_shop(shop).await?.into_iter().map(|p| (p.id.0, p.title, p.price)).collect();
    let people = people(state, shop)
        .await?
        .into_iter()
        .filter(|(_, _, role)| eligible(*role))
        .map(|(id, name, role)| (id.0, name, t.role_name(role)))
        .collect();
    let coupons = coupons(state, shop).await?;
    Ok(Options { products, people, coupons })
}

/// The shop's coupons (promotion id, name), for automatic reminders.
async fn coupons(state: &AppState, shop: ShopId) -> Result<Vec<(i64, String)>, WebError> {
    let all = state.store.promotions_of_shop(shop).await?;
    Ok(all.into_iter().filter(|p| p.kind == "coupon").map(|p| (p.id, p.name)).collect())
}

/// Which form: a new show, or editing show `id`.
#[derive(Clone, Copy)]
enum Target {
    New,
    Edit(i64),
}

impl Target {
    fn action(self) -> String {
        match self {
            Target::New => "/live/shows/new".into(),
            Target::Edit(id) => format!("/live/shows/{id}/edit"),
        }
    }
}

fn view(
    t: &'static Msg,
    target: Target,
    values: FormInput,
    errors: Vec<crate::error::FieldError>,
    o: &Options,
) -> FormView {
    let (heading, submit) = match target {
        Target::New => (t.show_new.to_owned(), t.show_create),
        Target::Edit(_) => (t.show_edit.to_owned(), t.show_save),
    };
    FormView::new(t, target.action(), heading, submit, values, errors, o)
}

pub async fn new(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let options = options(&state, signed.user.shop, t).await?;
    let v = view(t, Target::New, form::defaults(state.clock.now()), Vec::new(), &options);
    Ok(render(&FormPage { l: ctx.layout, v })?.into_response())
}

pub async fn edit(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let shop = signed.user.shop;
    let d = load(&state, shop, id).await?;
    d.show.lifecycle.check_editable().map_err(|e| WebError::Conflict(e.message))?;
    let options = options(&state, shop, t).await?;
    let mut values = form::from_detail(&d);
    values.0.extend(automation::pairs(&state.store.show_actions(shop, RoomId(id)).await?));
    let v = view(t, Target::Edit(id), values, Vec::new(), &options);
    Ok(render(&FormPage { l: ctx.layout, v })?.into_response())
}

pub async fn create(
    ctx: PageCtx,
    headers: HeaderMap,
    State(state): State<AppState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    save(ctx, headers, state, signed, Target::New, pairs).await
}

pub async fn update(
    ctx: PageCtx,
    headers: HeaderMap,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    // an ended show is refused before its form is judged, as on the GET
    let d = load(&state, signed.user.shop, id).await?;
    d.show.lifecycle.check_editable().map_err(|e| WebError::Conflict(e.message))?;
    save(ctx, headers, state, signed, Target::Edit(id), pairs).await
}

/// Checks the form; saves and goes to the show, or shows the form again
/// with what was typed and every problem beside its field (nothing saved).
async fn save(
    ctx: PageCtx,
    headers: HeaderMap,
    state: AppState,
    signed: Signed,
    target: Target,
    pairs: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let shop = signed.user.shop;
    let (values, lineup_rows, run_rows) = form::compact(&FormInput(pairs));
    let (input, reading) = form::read(&values, lineup_rows, run_rows);
    let coupon_ids: Vec<i64> = coupons(&state, shop).await?.into_iter().map(|(id, _)| id).collect();
    let (actions, action_errors) = automation::read(&values, &input, &coupon_ids);
    let mut errors = match check_plan(&state, shop, &input).await? {
        Ok(draft) if reading.is_empty() && action_errors.is_empty() => {
            let id = match target {
                Target::New => state.store.create_show(shop, &draft).await?.0,
                Target::Edit(id) => {
                    state
                        .store
                        .update_show(shop, RoomId(id), &draft)
                        .await?
                        .map_err(|e| WebError::Conflict(e.message))?;
                    id
                }
            };
            // The actions name the show's id, so they follow its row; a new
            // show has no actions yet, whatever ids were posted.
            let actions: Vec<_> = match target {
                Target::New => actions.into_iter().map(|(_, spec)| (None, spec)).collect(),
                Target::Edit(_) => actions,
            };
            state.store.save_show_actions(shop, RoomId(id), &actions).await?;
            let to = format!("/live/shows/{id}");
            if is_htmx(&headers) {
                // htmx follows a 303 itself and would swap the page into the form
                return Ok(([("HX-Redirect", to)], "").into_response());
            }
            return Ok(Redirect::to(&to).into_response());
        }
        Ok(_) => form::merge(reading, &[], lineup_rows, run_rows),
        Err(domain) => form::merge(reading, &domain, lineup_rows, run_rows),
    };
    errors.extend(action_errors);
    let options = options(&state, shop, t).await?;
    let v = view(t, target, values, errors, &options);
    if is_htmx(&headers) {
        return Ok(render(&FormPartial { l: ctx.layout, v })?.into_response());
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&FormPage { l: ctx.layout, v })?).into_response())
}
