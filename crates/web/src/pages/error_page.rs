//! The friendly page an HTML request gets instead of an error's JSON.

use askama::Template;
use axum::http::StatusCode;

use super::Layout;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    message: String,
}

pub fn render_error(layout: Layout, status: StatusCode, message: String) -> String {
    let page = ErrorPage { l: layout, status: status.as_u16(), message };
    page.render().unwrap_or_else(|_| format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")))
}
