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

    /// Keeps the lineup's new order after a console moved a product
    /// (crate::presentation): `order` is the whole lineup, first to last,
    /// so a room that restarts loads it in this order. Calls for one room
    /// arrive one at a time, in the room's order.
    async fn reorder_lineup(&self, _room: RoomId, _order: &[ProductId]) -> Result<(), LiveError> {
        Err(LiveError::Unsupported("reorder_lineup"))
    }

    /// Opens a flash sale (crate::flash_sale): stores it and takes its
    /// whole quantity out of the SKU's sellable stock (a `reservation`
    /// ledger entry) in one transaction. `InsufficientStock` when there is
    /// not that much; nothing is written then.
    async fn open_flash_sale(
        &self,
        _room: RoomId,
        _open: crate::flash_sale::FlashSaleOpen,
    ) -> Result<crate::flash_sale::FlashSaleTerms, LiveError> {
        Err(LiveError::Unsupported("open_flash_sale"))
    }

    /// Makes a burst of wins durable as orders (pending payment, at the
    /// sale's price) in one transaction; per win, in order, its order or
    /// why it was refused. `Err` when nothing was committed.
    async fn commit_flash_wins(
        &self,
        _room: RoomId,
        _wins: &[crate::flash_sale::FlashWin],
    ) -> Result<Vec<Result<zhibo_domain::OrderId, String>>, LiveError> {
        Err(LiveError::Unsupported("commit_flash_wins"))
    }

    /// Ends a sale: the units not sold go back to sellable stock (a
    /// `release` entry) and the sale is marked ended, in one transaction.
    /// Calls for one room come one at a time, after every earlier commit.
    async fn close_flash_sale(
        &self,
        _room: RoomId,
        _sale: zhibo_domain::FlashSaleId,
        _actor: Option<zhibo_domain::UserId>,
    ) -> Result<crate::flash_sale::FlashSaleClosed, LiveError> {
        Err(LiveError::Unsupported("close_flash_sale"))
    }

    /// The room's sales that have not ended, with their committed wins, so
    /// a restarted room carries on without overselling. By default none.
    async fn running_flash_sales(&self, _room: RoomId) -> Result<Vec<crate::flash_sale::RunningFlashSale>, LiveError> {
        Ok(Vec::new())
    }

    /// Sellable stock of each SKU of the lineup's products, for the
    /// console's stock view (crate::stock_view). By default none.
    async fn sku_stock(&self, _room: RoomId) -> Result<Vec<crate::stock_view::SkuStock>, LiveError> {
        Ok(Vec::new())
    }

    /// The show's automatic actions (crate::automation), loaded when the
    /// room starts; a reminder's text already names its coupon. By default
    /// none.
    async fn automation(&self, _room: RoomId) -> Result<Vec<zhibo_domain::automation::ShowAction>, LiveError> {
        Ok(Vec::new())
    }

    /// A coupon viewers of this room may claim now, with the set of
    /// accounts that already hold a claim of it (crate::reminders: the
    /// 领券提醒 goes to everyone else). `Refused` naming `coupon` when it is
    /// not claimable here now (unknown, another shop's, off, sold out).
    async fn coupon_claimers(&self, _room: RoomId, _coupon: i64) -> Result<CouponClaimers, LiveError> {
        Err(LiveError::Unsupported("coupon_claimers"))
    }

    /// The accounts with a non-empty cart in this show and no order placed
    /// since their cart last changed (crate::reminders: the cart nudge). By
    /// default none.
    async fn waiting_carts(&self, _room: RoomId) -> Result<Vec<WaitingCart>, LiveError> {
        Ok(Vec::new())
    }
}

/// A claimable coupon and who holds it ([`RoomData::coupon_claimers`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouponClaimers {
    pub coupon: i64,
    pub name: String,
    /// How many are left to claim.
    pub left: i64,
    pub claimed_by: std::collections::HashSet<zhibo_domain::UserId>,
}

/// A buyer's cart waiting for an order ([`RoomData::waiting_carts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingCart {
    pub buyer: zhibo_domain::UserId,
    /// Units over all its SKUs.
    pub units: u64,
    /// When the cart last changed, on the store's clock.
    pub changed_at: zhibo_domain::Timestamp,
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
