//! The store's integration tests: one binary (linking is slow), one module
//! per area. Every test gets its own database file in a temporary folder and
//! a virtual clock; nothing sleeps or depends on the machine's speed.

mod accounts;
mod admin;
mod catalog;
mod event_log;
mod flash_sales;
mod helpers;
mod orders;
mod promotions;
mod recordings;
mod shows;
mod stream_keys;
