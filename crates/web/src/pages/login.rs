//! Sign-in, sign-out and the language switch.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use std::net::SocketAddr;
use zhibo_domain::Role;

use super::{Layout, PageCtx, render};
use crate::auth::sign_in::{SignInError, sign_in};
use crate::auth::{Signed, csrf, session};
use crate::error::WebError;
use crate::i18n::Lang;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    form_csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// A `next` target is followed only when it is a path on this site, so the
/// sign-in page cannot be used to bounce people elsewhere.
pub fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    local.then_some(next)
}

/// Where a role lands after signing in.
pub fn home_of(role: Role) -> &'static str {
    if role == Role::Viewer { "/account" } else { "/dashboard" }
}

pub async fn show(
    ctx: PageCtx,
    State(state): State<AppState>,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    if let Some(signed) = &ctx.signed {
        return Ok(Redirect::to(safe_next(&q.next).unwrap_or(home_of(signed.user.role))).into_response());
    }
    let (token, cookie) = csrf::pre_session_token(&ctx.jar, state.settings.auth.cookie_secure);
    let page = LoginPage { l: ctx.layout, form_csrf: token, next: q.next, username: String::new(), error: None };
    let jar = match cookie {
        Some(c) => ctx.jar.add(c),
        None => ctx.jar,
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    ctx: PageCtx,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let (status, error) = match sign_in(&state, peer.ip(), &form.username, &form.password).await {
        Ok((cookie, _, user)) => {
            let to = safe_next(&form.next).unwrap_or(home_of(user.role)).to_owned();
            return Ok((ctx.jar.add(cookie), Redirect::to(&to)).into_response());
        }
        Err(SignInError::Wrong) => (StatusCode::UNAUTHORIZED, t.sign_in_failed.to_owned()),
        Err(SignInError::TooMany { retry_after_secs }) => {
            (StatusCode::TOO_MANY_REQUESTS, format!("{} ({} s)", t.sign_in_too_many, retry_after_secs))
        }
        Err(SignInError::Other(e)) => return Err(e),
    };
    let (token, _) = csrf::pre_session_token(&ctx.jar, state.settings.auth.cookie_secure);
    let page =
        LoginPage { l: ctx.layout, form_csrf: token, next: form.next, username: form.username, error: Some(error) };
    Ok((status, render(&page)?).into_response())
}

pub async fn sign_out(State(state): State<AppState>, jar: CookieJar, signed: Signed) -> Result<Response, WebError> {
    let cleared = session::end(&state, &signed).await?;
    Ok((jar.add(cleared), Redirect::to("/login")).into_response())
}

/// `GET /lang/en?next=/dashboard`: remembers the choice in a cookie and goes
/// back. A plain link, so it works without JavaScript and from any page.
pub async fn switch_language(
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let lang = Lang::parse(&code).ok_or_else(|| {
        WebError::invalid("code", format!("不支持的语言 / unsupported language {code:?}: zh-CN or en"))
    })?;
    let cookie = Cookie::build((Lang::COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::days(365))
        .build();
    Ok((jar.add(cookie), Redirect::to(safe_next(&q.next).unwrap_or("/"))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/products?x=1"), Some("/products?x=1"));
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "evil", ""] {
            assert_eq!(safe_next(bad), None, "{bad}");
        }
    }
}
