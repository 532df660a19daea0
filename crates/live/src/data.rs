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

    /// The show's run sheet and actual start, for the console's timer
    /// (crate::run_sheet). By default none.
    async fn run_sheet(&self, _room: RoomId) -> Result<crate::run_sheet::RunSheetPlan, LiveError> {
        Ok(crate::run_sheet::RunSheetPlan::default())
    }

    /// Keeps a lineup product's new live price (crate::lineup), so a room
    /// that restarts loads it. The room has checked the price already.
    async fn set_live_price(&self, _room: RoomId, _product: ProductId, _price: Fen) -> Result<(), LiveError> {
        Err(LiveError::Unsupported("set_live_price"))
    }

    /// Applies a manual change of a lineup product's sellable stock through
    /// the stock ledger (crate::lineup); answers the product's new stock.
    async fn adjust_stock(&self, _room: RoomId, _change: StockAdjustment) -> Result<i64, LiveError> {
        Err(LiveError::Unsupported("adjust_stock"))
    }
}

/// A console's manual stock change (手工调整) for one lineup product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockAdjustment {
    pub product: ProductId,
    /// Which SKU; required when the product has more than one.
    pub sku: Option<zhibo_domain::SkuId>,
    /// Units; negative takes stock away.
    pub delta: i64,
    pub note: String,
    /// The console's account, for the ledger entry.
    pub actor: Option<zhibo_domain::UserId>,
}

/// The shop's comment-moderation policy as a room loads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModerationSettings {
    pub mode: ModerationMode,
    /// The words as the shop typed them (one per entry).
    pub words: Vec<String>,
}
