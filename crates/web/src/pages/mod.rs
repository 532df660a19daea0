//! Server-rendered pages, one module per screen. Each page template extends
//! `base.html` and takes a [`Layout`]; forms that htmx swaps in place have a
//! `form` block rendered alone as the partial.

pub mod account;
pub mod areas;
pub mod dashboard;
pub mod error_page;
pub mod login;
pub mod moderation;
pub mod orders;
pub mod planning;
pub mod preflight;
pub mod products;
pub mod promotions;
pub mod room;
pub mod selection;
pub mod settings;
pub mod shows;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Html;
use axum_extra::extract::cookie::CookieJar;
use std::sync::Arc;
use zhibo_domain::{Permission, Role};

use crate::auth::{Access, Routes, Signed, SignedIn};
use crate::error::WebError;
use crate::i18n::{Lang, Msg};
use crate::state::AppState;

/// Every page route, with the permission it needs.
pub fn routes() -> Routes {
    use Access::{Needs, Public};
    use axum::routing::{get, post};
    Routes::default()
        .add("/", Public, get(dashboard::home))
        .add("/login", Public, get(login::show).post(login::submit))
        .add("/logout", Needs(Permission::SignedIn), post(login::sign_out))
        .add("/lang/{code}", Public, get(login::switch_language))
        .add("/dashboard", Needs(Permission::BackOffice), get(dashboard::show))
        .add("/account", Needs(Permission::SignedIn), get(account::show))
        .add("/account/password", Needs(Permission::SignedIn), post(account::change_password))
        .add("/settings", Needs(Permission::ShopSettings), get(settings::show).post(settings::save))
        .merge(products::routes())
        .merge(promotions::routes())
        .merge(selection::routes())
        .merge(room::routes())
        .merge(preflight::routes())
        .merge(moderation::routes())
        .merge(planning::routes())
        .merge(shows::routes())
        .merge(orders::routes())
        .merge(areas::routes())
}

/// A signed-in user as the layout shows them.
#[derive(Debug, Clone)]
pub struct UserBadge {
    pub display_name: String,
    pub role_name: &'static str,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub active: bool,
}

/// What `base.html` needs: language, messages, who is signed in, the CSRF
/// token for forms and htmx, and the navigation their role may use.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: Lang,
    pub t: &'static Msg,
    pub user: Option<UserBadge>,
    pub csrf: String,
    pub path: String,
    pub nav: Vec<NavItem>,
}

/// The areas of the back office in navigation order, each with the
/// permission that shows it.
pub fn areas(t: &'static Msg) -> [(NavItem, Permission); 9] {
    let item = |href, label, description| NavItem { href, label, description, active: false };
    [
        (item("/dashboard", t.nav_dashboard, t.welcome), Permission::BackOffice),
        (item("/products", t.nav_products, t.area_products_desc), Permission::Catalog),
        (item("/promotions", t.nav_promotions, t.area_promotions_desc), Permission::Catalog),
        (item("/live", t.nav_live, t.area_live_desc), Permission::LiveConsole),
        (item("/orders", t.nav_orders, t.area_orders_desc), Permission::Orders),
        (item("/reports", t.nav_reports, t.area_reports_desc), Permission::Reports),
        (item("/planning", t.nav_planning, t.area_planning_desc), Permission::Planning),
        (item("/supply", t.nav_supply, t.area_supply_desc), Permission::SupplyChain),
        (item("/training", t.nav_training, t.area_training_desc), Permission::Training),
    ]
}

impl Layout {
    pub fn new(lang: Lang, signed: Option<&Signed>, path: &str) -> Layout {
        let t = lang.msg();
        let (user, csrf, nav) = match signed {
            None => (None, String::new(), Vec::new()),
            Some(s) => {
                let role = s.user.role;
                let mut nav: Vec<NavItem> = areas(t)
                    .into_iter()
                    .filter(|(_, p)| role.can(*p))
                    .map(|(mut item, _)| {
                        item.active = path == item.href || path.starts_with(&format!("{}/", item.href));
                        item
                    })
                    .collect();
                if role.can(Permission::ShopSettings) {
                    nav.push(NavItem {
                        href: "/settings",
                        label: t.nav_settings,
                        description: "",
                        active: path == "/settings",
                    });
                }
                let badge = UserBadge { display_name: s.user.display_name.clone(), role_name: t.role_name(role), role };
                (Some(badge), s.session.csrf_token.clone(), nav)
            }
        };
        Layout { lang, t, user, csrf, path: path.to_owned(), nav }
    }
}

/// The language of this request: the visitor's choice (cookie), else the
/// shop's default, else zh-CN.
pub async fn request_lang(state: &AppState, jar: &CookieJar) -> Lang {
    if let Some(lang) = jar.get(Lang::COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    match state.store.first_shop().await {
        Ok(Some(shop)) => Lang::parse(&shop.settings.default_language).unwrap_or(Lang::ZhCn),
        _ => Lang::ZhCn,
    }
}

/// Extractor with everything a page handler needs to build its [`Layout`].
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub layout: Layout,
    pub signed: Option<Arc<Signed>>,
    pub jar: CookieJar,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let signed = parts.extensions.get::<SignedIn>().and_then(|s| s.0.clone());
        let lang = request_lang(state, &jar).await;
        let layout = Layout::new(lang, signed.as_deref(), parts.uri.path());
        Ok(PageCtx { layout, signed, jar })
    }
}

pub fn render(template: &impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(template.render()?))
}

/// Whether the request came from htmx, which wants a partial, not a page.
pub fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}
