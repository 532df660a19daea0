//! The sign-in check shared by the sign-in page and the API: rate limit,
//! password, session.

use axum_extra::extract::cookie::Cookie;
use std::net::IpAddr;
use zhibo_domain::account::Username;
use zhibo_store::{SessionRecord, UserRecord};

use super::{password, session};
use crate::error::WebError;
use crate::state::AppState;

#[derive(Debug)]
pub enum SignInError {
    /// Wrong username or password (never says which).
    Wrong,
    /// Too many failures from this address for this name; wait this long.
    TooMany {
        retry_after_secs: i64,
    },
    Other(WebError),
}

impl From<WebError> for SignInError {
    fn from(e: WebError) -> Self {
        SignInError::Other(e)
    }
}

pub async fn sign_in(
    state: &AppState,
    from: IpAddr,
    username: &str,
    password_given: &str,
) -> Result<(Cookie<'static>, SessionRecord, UserRecord), SignInError> {
    let now = state.clock.now();
    // Failures count per address and name, and per address alone with a
    // looser limit, so one address cannot spray guesses over many names.
    let name_key = format!("{from}|{}", username.trim().to_lowercase());
    let addr_key = from.to_string();
    let too_many = |retry_after_secs| SignInError::TooMany { retry_after_secs };
    state.sign_in_limiter.check(&name_key, now).map_err(too_many)?;
    state.address_limiter.check(&addr_key, now).map_err(too_many)?;
    let user = match Username::parse(username) {
        Ok(name) => state.store.user_by_username(&name).await.map_err(WebError::from)?,
        Err(_) => None,
    };
    let ok = password::verify(password_given.to_owned(), user.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| ok) else {
        state.sign_in_limiter.record_failure(&name_key, now);
        state.address_limiter.record_failure(&addr_key, now);
        return Err(SignInError::Wrong);
    };
    state.sign_in_limiter.clear(&name_key);
    let (cookie, record) = session::start(state, &user).await?;
    Ok((cookie, record, user))
}
