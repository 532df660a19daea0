//! CSRF protection for every unsafe request (POST, PUT, PATCH, DELETE), in
//! one place so no form can forget it.
//!
//! A signed-in request must echo its session's token, either in the
//! `X-CSRF-Token` header (htmx and the API send it) or in a `csrf` form
//! field. Before sign-in the only form is the sign-in form, protected by a
//! double-submit cookie ([`PRE_SESSION_COOKIE`]). An API request with no
//! session is let through: it carries no authority to abuse, the route's
//! access rule answers 401 where a session is needed, and the one public
//! unsafe endpoint (API sign-in) takes only JSON, which browsers cannot send
//! cross-site without a CORS preflight that zhibo never grants.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::session::{SignedIn, random_token};
use crate::error::WebError;
use crate::state::AppState;

pub const HEADER: &str = "x-csrf-token";
pub const FORM_FIELD: &str = "csrf";
pub const PRE_SESSION_COOKIE: &str = "zhibo_csrf";

pub async fn check_csrf(State(state): State<AppState>, jar: CookieJar, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let signed = request.extensions().get::<SignedIn>().and_then(|s| s.0.clone());
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let expected = match &signed {
        Some(s) => Some(s.session.csrf_token.clone()),
        None if request.uri().path().starts_with("/api/") => return next.run(request).await,
        None => jar.get(PRE_SESSION_COOKIE).map(|c| c.value().to_owned()),
    };
    let Some(expected) = expected.filter(|e| !e.is_empty()) else { return WebError::Csrf.into_response() };

    let from_header = request.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(given) = from_header {
        return if constant_time_eq(&given, &expected) {
            next.run(request).await
        } else {
            WebError::Csrf.into_response()
        };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return WebError::Csrf.into_response();
    }
    // Read the form to find its token, then hand the same bytes on.
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, state.settings.server.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return crate::api::json::too_large(state.settings.server.max_body_bytes).into_response(),
    };
    let given = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FORM_FIELD).map(|(_, v)| v));
    match given {
        Some(given) if constant_time_eq(&given, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        _ => WebError::Csrf.into_response(),
    }
}

/// The pre-session token for the sign-in form: the one in the browser's
/// cookie, or a new one with the cookie that carries it.
pub fn pre_session_token(jar: &CookieJar, secure: bool) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = jar.get(PRE_SESSION_COOKIE).filter(|c| c.value().len() == 64) {
        return (c.value().to_owned(), None);
    }
    let token = random_token();
    let cookie = Cookie::build((PRE_SESSION_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build();
    (token, Some(cookie))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
