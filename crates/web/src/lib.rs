//! zhibo's web layer: the axum server with server-rendered pages (askama +
//! htmx), the JSON API under `/api/v1`, sign-in and roles, and the embedded
//! static files. It holds no business rule: it parses input into domain
//! types, calls the store and the engine, and renders what comes back.

pub mod api;
pub mod app;
pub mod assets;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod error;
pub mod flash_sale_data;
pub mod flv_listener;
pub mod i18n;
pub mod live_ws;
pub mod media;
pub mod metrics;
pub mod pages;
pub mod payment;
pub mod reminders_data;
pub mod replay;
pub mod sim_audience;
pub mod state;
pub mod websocket;

pub use app::Application;
pub use config::Settings;
pub use error::WebError;
