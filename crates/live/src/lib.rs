//! zhibo's live room engine.
//!
//! One tokio task per live room owns that room's hot state (who is online,
//! the pushed card, the listed products, the pinned topic, mutes and bans,
//! per-minute counters); nothing else touches it, so there is no lock to
//! hold across an await. Connections talk to the room through a channel of
//! [`room::Command`]s and hear from it through a `tokio::sync::broadcast` of
//! `bytes::Bytes`: every frame is serialized once and the same bytes go to
//! every viewer. Every action is first appended to the room's event log and
//! only then broadcast, so what a viewer sees is in the log.
//!
//! The wire format is in [`protocol`] and docs/protocol.md; what the room
//! needs to know from outside (its lineup) comes through [`RoomData`].

pub mod automation;
pub mod data;
pub mod error;
pub mod figures;
pub mod flash_sale;
pub mod hub;
pub mod interactions;
pub mod limits;
pub mod lineup;
pub mod moderation;
pub mod presentation;
pub mod protocol;
pub mod reminders;
pub mod room;
pub mod run_sheet;
pub mod stock_view;

pub use data::{LineupEntry, ModerationSettings, RoomData, RoomInfo, RoomStatus, StockAdjustment};
pub use error::LiveError;
pub use hub::{RoomConfig, RoomHub};
pub use room::{Connection, ConnectionKind, Identity, Inbound, Outbound, RoomHandle, RoomStats};
pub use run_sheet::RunSheetPlan;
