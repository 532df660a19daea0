//! What a room needs to know from outside the engine: its title, status and
//! lineup. The web layer implements [`RoomData`] over the store; tests
//! implement it in memory.

use async_trait::async_trait;
use serde::Serialize;
use zhibo_domain::catalog::ProductFacts;
use zhibo_domain::moderation::ModerationMode;
use zhibo_domain::{Fen, ProductId, RoomId};

use crate::LiveError;

/// One product of the show's lineup, as the room shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineupEntry {
    pub product: ProductId,
    pub title: String,
    /// The shop's price (the cheapest SKU's).
    pub price: Fen,
    /// 划线价; 0 when none.
    pub list_price: Fen,
    /// The price in this show (直播价).
    pub live_price: Fen,
    /// Units left to sell.
    pub stock: i64,
    /// Whether the product is in the bag (上架) when the room starts.
    pub listed: bool,
    /// Material, size chart, shipping and after-sales, for the console's
    /// quick answers (J2.4.3); not sent to viewers.
    #[serde(skip)]
    pub facts: Option<ProductFacts>,
}

/// Where the show is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomStatus {
    Planned,
    Live,
    Ended,
}

/// A room as the engine loads it when its task starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomInfo {
    pub title: String,
    pub status: RoomStatus,
    /// In the show's order.
    pub lineup: Vec<LineupEntry>,
}

/// The room's data source. `Ok(None)` means there is no such room.
#[async_trait]
pub trait RoomData: Send + Sync + std::fmt::Debug {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError>;

    /// The shop's sensitive-word list and what a hit does, loaded when the
    /// room starts. By default none: nothing is filtered.
    async fn moderation(&self, _room: RoomId) -> Result<ModerationSettings, LiveError> {
        Ok(ModerationSettings::default())
    }
}

/// The shop's comment-moderation policy as a room loads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModerationSettings {
    pub mode: ModerationMode,
    /// The words as the shop typed them (one per entry).
    pub words: Vec<String>,
}
