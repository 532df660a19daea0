//! 店铺设置: the owner's settings for the shop, and its accounts.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use zhibo_store::ShopSettings;

use super::{Layout, PageCtx, is_htmx, render};
use crate::auth::Signed;
use crate::error::{FieldError, WebError};
use crate::i18n::Lang;
use crate::state::AppState;

struct UserRow {
    username: String,
    display_name: String,
    role_name: &'static str,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    l: Layout,
    name: String,
    timeout: String,
    default_language: String,
    saved: bool,
    errors: Vec<FieldError>,
    users: Vec<UserRow>,
}

#[derive(Template)]
#[template(path = "settings.html", block = "form")]
struct SettingsForm {
    l: Layout,
    name: String,
    timeout: String,
    default_language: String,
    saved: bool,
    errors: Vec<FieldError>,
}

pub async fn show(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let shop = state.store.shop(signed.user.shop).await?.ok_or_else(|| WebError::NotFound("shop".into()))?;
    let users = user_rows(&state, &ctx.layout, &signed).await?;
    let page = SettingsPage {
        l: ctx.layout,
        name: shop.name,
        timeout: shop.settings.unpaid_order_timeout_minutes.to_string(),
        default_language: shop.settings.default_language,
        saved: false,
        errors: Vec::new(),
        users,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct SettingsInput {
    name: String,
    unpaid_order_timeout_minutes: String,
    default_language: String,
}

/// Parses the form; every wrong field is reported at once.
fn parse(input: &SettingsInput) -> Result<(String, ShopSettings), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut wrong =
        |field: &str, message: &str| errors.push(FieldError { field: field.into(), message: message.into() });
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 40 {
        wrong("name", "店铺名称需1到40个字符 / shop name must be 1 to 40 characters");
    }
    let timeout = input.unpaid_order_timeout_minutes.trim().parse::<i64>().ok().filter(|m| (1..=1440).contains(m));
    if timeout.is_none() {
        wrong("unpaid_order_timeout_minutes", "请输入1到1440之间的整数 / a whole number from 1 to 1440");
    }
    let lang = Lang::parse(&input.default_language);
    if lang.is_none() {
        wrong("default_language", "语言只能是 zh-CN 或 en / language must be zh-CN or en");
    }
    match (timeout, lang) {
        (Some(timeout), Some(lang)) if errors.is_empty() => {
            Ok((name, ShopSettings { unpaid_order_timeout_minutes: timeout, default_language: lang.code().to_owned() }))
        }
        _ => Err(errors),
    }
}

pub async fn save(
    ctx: PageCtx,
    headers: HeaderMap,
    State(state): State<AppState>,
    signed: Signed,
    Form(input): Form<SettingsInput>,
) -> Result<Response, WebError> {
    let (status, saved, errors) = match parse(&input) {
        Ok((name, settings)) => {
            state.store.update_shop(signed.user.shop, &name, &settings).await?;
            (StatusCode::OK, true, Vec::new())
        }
        Err(errors) => (StatusCode::UNPROCESSABLE_ENTITY, false, errors),
    };
    // What the person typed goes back into the form, so nothing is lost.
    let (name, timeout, default_language) = (input.name, input.unpaid_order_timeout_minutes, input.default_language);
    if is_htmx(&headers) {
        let form = SettingsForm { l: ctx.layout, name, timeout, default_language, saved, errors };
        return Ok(render(&form)?.into_response());
    }
    let users = user_rows(&state, &ctx.layout, &signed).await?;
    let page = SettingsPage { l: ctx.layout, name, timeout, default_language, saved, errors, users };
    Ok((status, render(&page)?).into_response())
}

async fn user_rows(state: &AppState, layout: &Layout, signed: &Signed) -> Result<Vec<UserRow>, WebError> {
    Ok(state
        .store
        .users_of_shop(signed.user.shop)
        .await?
        .into_iter()
        .map(|u| UserRow { username: u.username, display_name: u.display_name, role_name: layout.t.role_name(u.role) })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wrong_field_is_named() {
        let input = SettingsInput {
            name: " ".into(),
            unpaid_order_timeout_minutes: "abc".into(),
            default_language: "fr".into(),
        };
        let fields: Vec<_> = parse(&input).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "unpaid_order_timeout_minutes", "default_language"]);
    }
}
