//! Who is asking, and may they? Sessions, passwords, CSRF, route access and
//! sign-in rate limiting.
//!
//! Every request passes [`session::load_session`] (who is signed in) and
//! [`csrf::check_csrf`] (unsafe methods must echo the session's token); every
//! route is registered through [`access::Routes`], which makes it name the
//! permission it needs. There is no way to add a route that skips the check.

pub mod access;
pub mod csrf;
pub mod limiter;
pub mod password;
pub mod session;
pub mod sign_in;

pub use access::{Access, Routes};
pub use session::{Signed, SignedIn};
