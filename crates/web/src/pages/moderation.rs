//! 评论审核 (/live/moderation): the shop's sensitive-word list and what a
//! hit does (block or hold for review). It is shop policy, so editing it
//! needs `Permission::ShopSettings` (the owner), like the shop settings
//! page; the live console only sees its effects. Rooms load the list when
//! they start, so a change applies from the next room start.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use zhibo_domain::Permission;
use zhibo_domain::moderation::{ModerationMode, parse_word_list};

use super::{Layout, PageCtx, is_htmx, render};
use crate::auth::{Access, Routes, Signed};
use crate::error::{FieldError, WebError};
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default().add("/live/moderation", Access::Needs(Permission::ShopSettings), get(show).post(save))
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage {
    l: Layout,
    words: String,
    mode: String,
    count: usize,
    saved: bool,
    errors: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "moderation.html", block = "form")]
struct ModerationForm {
    l: Layout,
    words: String,
    mode: String,
    count: usize,
    saved: bool,
    errors: Vec<FieldError>,
}

pub async fn show(ctx: PageCtx, State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    let policy = state.store.moderation_policy(signed.user.shop).await?;
    let page = ModerationPage {
        l: ctx.layout,
        count: policy.words.len(),
        words: policy.words.join("\n"),
        mode: policy.mode.as_str().to_owned(),
        saved: false,
        errors: Vec::new(),
    };
    Ok(render(&page)?.into_response())
}

#[derive(Debug, Deserialize)]
pub struct ModerationInput {
    #[serde(default)]
    words: String,
    mode: String,
}

/// Parses the form; every wrong field is reported at once.
fn parse(input: &ModerationInput) -> Result<(ModerationMode, Vec<String>), Vec<FieldError>> {
    let field = |e: zhibo_domain::DomainError| FieldError { field: e.field.into(), message: e.message };
    match (ModerationMode::parse(&input.mode), parse_word_list(&input.words)) {
        (Ok(mode), Ok(words)) => Ok((mode, words)),
        (mode, words) => Err(mode.err().into_iter().chain(words.err()).map(field).collect()),
    }
}

pub async fn save(
    ctx: PageCtx,
    headers: HeaderMap,
    State(state): State<AppState>,
    signed: Signed,
    Form(input): Form<ModerationInput>,
) -> Result<Response, WebError> {
    let (status, saved, errors, words, count) = match parse(&input) {
        Ok((mode, words)) => {
            state.store.save_moderation_policy(signed.user.shop, mode, &words).await?;
            (StatusCode::OK, true, Vec::new(), words.join("\n"), words.len())
        }
        // What the person typed goes back into the form, so nothing is lost.
        Err(errors) => {
            let count = state.store.moderation_policy(signed.user.shop).await?.words.len();
            (StatusCode::UNPROCESSABLE_ENTITY, false, errors, input.words, count)
        }
    };
    let mode = input.mode;
    if is_htmx(&headers) {
        let form = ModerationForm { l: ctx.layout, words, mode, count, saved, errors };
        return Ok((status, render(&form)?).into_response());
    }
    let page = ModerationPage { l: ctx.layout, words, mode, count, saved, errors };
    Ok((status, render(&page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wrong_field_is_named() {
        let input = ModerationInput { words: "私聊\n。。。".into(), mode: "delete".into() };
        let fields: Vec<_> = parse(&input).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["mode", "words"]);
        let ok = ModerationInput { words: "加微信\n\n私聊".into(), mode: "hold".into() };
        assert_eq!(parse(&ok).unwrap(), (ModerationMode::Hold, vec!["加微信".to_owned(), "私聊".to_owned()]));
    }
}
