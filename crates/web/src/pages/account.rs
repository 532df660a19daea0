//! 我的账号: who you are, and changing your password. Changing it signs
//! out every other session of the account.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use zhibo_domain::account::NewPassword;

use super::{Layout, PageCtx, is_htmx, render};
use crate::auth::{Signed, password};
use crate::error::WebError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    username: String,
    role_name: &'static str,
    message: Option<&'static str>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html", block = "form")]
struct PasswordForm {
    l: Layout,
    message: Option<&'static str>,
    error: Option<String>,
}

pub async fn show(ctx: PageCtx, signed: Signed) -> Result<Response, WebError> {
    let role_name = ctx.layout.t.role_name(signed.user.role);
    let page = AccountPage { l: ctx.layout, username: signed.user.username, role_name, message: None, error: None };
    Ok(render(&page)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(
    ctx: PageCtx,
    headers: HeaderMap,
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<ChangePassword>,
) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let outcome = async {
        let ok = password::verify(form.current_password, Some(signed.user.password_hash.clone())).await?;
        if !ok {
            return Err(WebError::invalid("current_password", t.password_wrong_current));
        }
        if form.new_password != form.confirm_password {
            return Err(WebError::invalid("confirm_password", t.password_mismatch));
        }
        let new = NewPassword::parse(&form.new_password)?;
        let hash = password::hash(new.expose().to_owned()).await?;
        state.store.set_password_hash(signed.user.id, &hash).await?;
        state.store.delete_other_sessions(signed.user.id, &signed.session.token_hash).await?;
        Ok(())
    }
    .await;
    let (status, message, error) = match outcome {
        Ok(()) => (StatusCode::OK, Some(t.password_changed), None),
        Err(e @ WebError::Invalid { .. }) => (e.status(), None, Some(e.to_string())),
        Err(other) => return Err(other),
    };
    let html = if is_htmx(&headers) {
        render(&PasswordForm { l: ctx.layout, message, error })?
    } else {
        let role_name = t.role_name(signed.user.role);
        render(&AccountPage { l: ctx.layout, username: signed.user.username, role_name, message, error })?
    };
    // htmx swaps only 2xx answers by default; the form carries its own error
    let status = if is_htmx(&headers) { StatusCode::OK } else { status };
    Ok((status, html).into_response())
}
