//! Sessions: a random token in an HttpOnly, SameSite cookie; the store keeps
//! only the token's SHA-256. [`load_session`] runs on every request and puts
//! a [`SignedIn`] into the request's extensions; handlers take [`Signed`].

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use zhibo_store::{SessionRecord, UserRecord};

use crate::error::WebError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "zhibo_session";

/// Who is signed in on this request, if anyone.
#[derive(Debug, Clone, Default)]
pub struct SignedIn(pub Option<Arc<Signed>>);

/// A signed-in account and its session.
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: UserRecord,
    pub session: SessionRecord,
}

/// 32 random bytes as hex: session tokens and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Middleware: resolves the session cookie into [`SignedIn`].
pub async fn load_session(State(state): State<AppState>, jar: CookieJar, mut request: Request, next: Next) -> Response {
    let mut signed = SignedIn::default();
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        match lookup(&state, cookie.value()).await {
            Ok(found) => signed.0 = found.map(Arc::new),
            Err(e) => return axum::response::IntoResponse::into_response(e),
        }
    }
    request.extensions_mut().insert(signed);
    next.run(request).await
}

async fn lookup(state: &AppState, token: &str) -> Result<Option<Signed>, WebError> {
    let now = state.clock.now();
    let Some(session) = state.store.live_session(&token_hash(token), now).await? else { return Ok(None) };
    let Some(user) = state.store.user_by_id(session.user).await? else { return Ok(None) };
    Ok(Some(Signed { user, session }))
}

/// Starts a session for `user` and returns the cookie that carries it.
pub async fn start(state: &AppState, user: &UserRecord) -> Result<(Cookie<'static>, SessionRecord), WebError> {
    let token = random_token();
    let now = state.clock.now();
    let hours = state.settings.auth.session_hours;
    let record = SessionRecord {
        token_hash: token_hash(&token),
        user: user.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now.plus_secs(hours * 3600),
    };
    state.store.create_session(&record).await?;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.auth.cookie_secure)
        .path("/")
        .max_age(time_duration_hours(hours))
        .build();
    Ok((cookie, record))
}

/// Ends the session and returns a cookie that clears it in the browser.
pub async fn end(state: &AppState, signed: &Signed) -> Result<Cookie<'static>, WebError> {
    state.store.delete_session(&signed.session.token_hash).await?;
    Ok(Cookie::build((SESSION_COOKIE, "")).path("/").max_age(time_duration_hours(0)).build())
}

fn time_duration_hours(hours: i64) -> cookie::time::Duration {
    cookie::time::Duration::hours(hours)
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<SignedIn>().cloned().unwrap_or_default())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<SignedIn>() {
            Some(SignedIn(Some(signed))) => Ok(Signed::clone(signed)),
            _ => Err(WebError::Unauthenticated),
        }
    }
}
