//! zhibo-live's integration tests as one binary: a module per part of the
//! room engine, over the shared in-memory data, hub and connections of
//! `harness`. One binary links the crate once instead of once per file.

mod harness;

mod figures;
mod flash_sale;
mod highlight;
mod interactions;
mod lineup;
mod moderation;
mod orders;
mod restart;
mod room;
mod run_sheet;
mod stream;
