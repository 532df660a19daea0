//! Navigation targets for the areas whose features arrive with later work.
//! Each is a real, role-checked route that says plainly that the area is
//! not open yet and which piece of work brings it — never a fake screen.

use askama::Template;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zhibo_domain::Permission;

use super::{Layout, PageCtx, areas, render};
use crate::auth::{Access, Routes};
use crate::error::WebError;

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    l: Layout,
    label: &'static str,
    description: &'static str,
    coming_with: &'static str,
}

/// (path, what brings it). Remove a row when its area gets real pages.
const NOT_YET_OPEN: [(&str, &str); 3] = [
    ("/reports", "数据与复盘 / reports"),
    ("/supply", "供应链 / supply chain"),
    ("/training", "#8 模拟观众与实训 / simulated audience and training"),
];

pub fn routes() -> Routes {
    let mut routes = Routes::default();
    for (path, _) in NOT_YET_OPEN {
        let permission = area_permission(path);
        routes = routes.add(path, Access::Needs(permission), get(move |ctx: PageCtx| show(ctx, path)));
    }
    routes
}

fn area_permission(path: &str) -> Permission {
    areas(crate::i18n::Lang::ZhCn.msg())
        .into_iter()
        .find(|(item, _)| item.href == path)
        .map(|(_, p)| p)
        .unwrap_or(Permission::ShopSettings)
}

async fn show(ctx: PageCtx, path: &'static str) -> Result<Response, WebError> {
    let t = ctx.layout.t;
    let (item, _) =
        areas(t).into_iter().find(|(item, _)| item.href == path).ok_or_else(|| WebError::NotFound(path.into()))?;
    let coming_with = NOT_YET_OPEN.iter().find(|(p, _)| *p == path).map(|(_, w)| *w).unwrap_or("");
    let page = AreaPage { l: ctx.layout, label: item.label, description: item.description, coming_with };
    Ok(render(&page)?.into_response())
}
