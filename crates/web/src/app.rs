//! Builds the server: the router with its layers, bound to a port.
//! [`Application::build`] binds first and exposes the port, so tests can ask
//! for port 0 and learn which one they got.

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use zhibo_domain::Clock;
use zhibo_store::Store;

use crate::auth::{Access, Routes, SignedIn, csrf, session};
use crate::config::Settings;
use crate::error::{RenderedError, WebError};
use crate::pages::{Layout, error_page, request_lang};
use crate::state::AppState;
use crate::{api, assets, live_ws, metrics, pages};

/// The whole route table with access rules, and the router it builds.
pub fn router(state: AppState) -> (Router, Vec<(&'static str, Access)>) {
    let routes = Routes::default()
        .add("/healthz", Access::Public, get(healthz))
        .add("/metrics", Access::Public, get(metrics::render))
        .add("/assets/{*path}", Access::Public, get(assets::serve))
        .merge(pages::routes())
        .merge(api::routes())
        .merge(live_ws::routes())
        .merge(crate::sim_audience::pages::routes())
        .merge(crate::media::routes())
        .merge(crate::replay::routes());
    let (router, table) = routes.into_parts();
    let max_body = state.settings.server.max_body_bytes;
    // Layers run outside-in from the last one added.
    let router = router
        .fallback(|| async { WebError::NotFound("page".into()) })
        .layer(from_fn_with_state(state.clone(), csrf::check_csrf))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(from_fn_with_state(state.clone(), render_errors))
        .layer(from_fn_with_state(state.clone(), session::load_session))
        .layer(from_fn(metrics::track))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    (router, table)
}

async fn healthz(State(state): State<AppState>) -> Result<&'static str, WebError> {
    state.store.ping().await?;
    Ok("ok")
}

/// Turns every error answer into the right shape for who asked: the JSON
/// error body under `/api/`, a friendly page (or a redirect to sign-in)
/// elsewhere. Also catches axum's own plain-text rejections (a bad path or
/// query, a 405), so no client ever gets an unexplained body.
async fn render_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let path_and_query = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| path.clone());
    let is_get = request.method() == Method::GET;
    let jar = CookieJar::from_headers(request.headers());
    let signed = request.extensions().get::<SignedIn>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let rendered = response.extensions().get::<RenderedError>().map(|r| r.0.clone());
    let is_api = path.starts_with("/api/");
    let is_html = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !is_api && rendered.is_none() && is_html {
        // a page that shows its own error (a form with its mistakes marked)
        return response;
    }
    match (is_api, rendered) {
        (true, Some(_)) => response,
        (true, None) => {
            let text = body_text(response).await;
            let err = WebError::Invalid { status, code: code_for(status), message: text, fields: Vec::new() };
            let mut r = err.into_response();
            *r.status_mut() = status;
            r
        }
        (false, rendered) => {
            if status == StatusCode::UNAUTHORIZED
                && is_get
                && matches!(rendered.as_deref(), Some(WebError::Unauthenticated))
            {
                let to = format!("/login?next={}", urlencode(&path_and_query));
                return Redirect::to(&to).into_response();
            }
            let lang = request_lang(&state, &jar).await;
            let signed = signed.and_then(|s| s.0);
            let layout = Layout::new(lang, signed.as_deref(), &path);
            let t = layout.t;
            let message = match rendered.as_deref() {
                Some(WebError::Forbidden) => t.forbidden.to_owned(),
                Some(WebError::Csrf) => t.form_expired.to_owned(),
                Some(WebError::NotFound(_)) => t.not_found.to_owned(),
                Some(e) => e.to_string(),
                None => body_text(response).await,
            };
            (status, Html(error_page::render_error(layout, status, message))).into_response()
        }
    }
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

async fn body_text(response: Response) -> String {
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    if text.is_empty() { status.canonical_reason().unwrap_or("error").to_owned() } else { text }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|q| q.trim_start_matches('=').to_owned()).unwrap_or_default()
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    table: Vec<(&'static str, Access)>,
    state: AppState,
}

impl Application {
    pub async fn build(
        settings: Settings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        metrics::init();
        let addr = SocketAddr::new(settings.server.host, settings.server.port);
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {addr}: {e} (is another zhibo running? choose another port with --port)")
        })?;
        let state = AppState::new(settings, store, clock);
        crate::media::start(&state).await;
        let (router, table) = router(state.clone());
        Ok(Application { listener, router, table, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Every route with the access it requires.
    pub fn route_table(&self) -> &[(&'static str, Access)] {
        &self.table
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        // Unpaid orders give their stock back on the clock while the server runs.
        let sweeper = tokio::spawn(api::orders::sweeper(self.state.clone()));
        // HTTP-FLV viewers' sockets go to the media fan-out; the rest is
        // axum's (flv_listener sets no-Nagle on every connection). The
        // no-op tap gives axum the connection's address for ConnectInfo.
        let listener =
            axum::serve::ListenerExt::tap_io(crate::flv_listener::split(self.listener, self.state.clone())?, |_| {});
        let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
        sweeper.abort();
        served
    }
}
