//! zhibo's domain layer: the types and rules every other layer speaks in.
//!
//! Nothing here does I/O, spawns tasks or reads the system time except
//! through [`clock::Clock`]. A value of a domain type is valid once built:
//! raw input is parsed into these types at the edges (web forms, JSON, files).

pub mod account;
pub mod automation;
pub mod budget;
pub mod catalog;
pub mod clock;
pub mod draw;
pub mod error;
pub mod event;
pub mod ids;
pub mod localtime;
pub mod moderation;
pub mod money;
pub mod order;
pub mod pricing;
pub mod promotion;
pub mod reorder;
pub mod role;
pub mod selection;
pub mod show;
pub mod stock;

pub use clock::{Clock, Timestamp, VirtualClock, WallClock};
pub use error::DomainError;
pub use ids::{FlashSaleId, ImageId, OrderId, ProductId, RoomId, ShopId, SkuId, UserId};
pub use money::Fen;
pub use role::{Permission, Role};
