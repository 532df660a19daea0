//! Route registration with access rules. [`Routes::add`] is the only way
//! pages and API endpoints join the router, and it makes each one state its
//! [`Access`]; the table it keeps is what the role-matrix test walks.

use axum::Router;
use axum::extract::Request;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use zhibo_domain::Permission;

use super::session::SignedIn;
use crate::error::WebError;
use crate::state::AppState;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in page, health, assets, viewer pages).
    Public,
    /// A signed-in account whose role has the permission.
    Needs(Permission),
}

/// A router under construction, with the access rule of every route.
#[derive(Debug)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, Access)>,
}

impl Default for Routes {
    fn default() -> Self {
        Self { router: Router::new(), table: Vec::new() }
    }
}

impl Routes {
    pub fn add(mut self, path: &'static str, access: Access, route: MethodRouter<AppState>) -> Self {
        self.table.push((path, access));
        let route = match access {
            Access::Public => route,
            Access::Needs(permission) => {
                route.route_layer(from_fn(move |req: Request, next: Next| require(permission, req, next)))
            }
        };
        self.router = self.router.route(path, route);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<(&'static str, Access)>) {
        (self.router, self.table)
    }
}

async fn require(permission: Permission, request: Request, next: Next) -> Response {
    match request.extensions().get::<SignedIn>().and_then(|s| s.0.as_ref()) {
        None => WebError::Unauthenticated.into_response(),
        Some(signed) if !signed.user.role.can(permission) => WebError::Forbidden.into_response(),
        Some(_) => next.run(request).await,
    }
}
