//! zhibo-web's integration tests: one binary (linking is the slow part),
//! a module per area. Each test starts the real server on 127.0.0.1:0 with
//! its own temporary SQLite database and a virtual clock.

mod helpers;

mod access;
mod api_errors;
mod browser;
mod catalog;
mod events_api;
mod exchange;
mod flash_sale_browser;
mod live_browser;
mod live_ws;
mod media;
mod moderation;
mod orders;
mod pages;
mod planning;
mod preflight;
mod promotion_pages;
mod promotions;
mod reminders;
mod replay;
mod selection;
mod show_automation;
mod show_pages;
mod shows;
mod sign_in;
mod sim_audience;
mod viewer_page;
