//! Persistence of shows (直播场次): the plan (title, schedule, people,
//! budget), its lineup and run sheet, and the show's lifecycle columns.
//!
//! A show is saved with its lineup and run sheet in one transaction or not
//! at all. Starting and ending a show change only its row here; the
//! `show.started` / `show.ended` events go to the room's log separately,
//! after this commit (see the web layer's `api::shows::transition`), so
//! this transaction and the log's group commit never wait on each other.

use async_trait::async_trait;
use zhibo_domain::automation::{ActionSpec, ShowAction};
use zhibo_domain::selection::ProductRole;
use zhibo_domain::show::{Lifecycle, Segment, ShowDraft};
use zhibo_domain::{DomainError, Fen, ProductId, RoomId, ShopId, Timestamp, UserId};

use crate::Result;

/// A show's own row. `id` is the room id of its event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowRecord {
    pub id: RoomId,
    pub shop: ShopId,
    pub title: String,
    pub intro: String,
    pub scheduled_start: Timestamp,
    pub streamer: Option<UserId>,
    pub assistant: Option<UserId>,
    pub promotion_budget: Option<Fen>,
    pub lifecycle: Lifecycle,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A lineup row with its product's title and current price (the cheapest
/// SKU's), read at the time of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineupRecord {
    pub product: ProductId,
    pub product_title: String,
    pub product_price: Fen,
    pub role: ProductRole,
    pub live_price: Option<Fen>,
    pub push_offset_minutes: Option<i64>,
    pub talking_points: String,
}

/// A show with its lineup and run sheet, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowDetail {
    pub show: ShowRecord,
    pub lineup: Vec<LineupRecord>,
    pub run_sheet: Vec<Segment>,
}

#[async_trait]
pub trait ShowStore: Send + Sync {
    /// Creates a planned show with its lineup and run sheet, all or
    /// nothing. A lineup product of another shop is
    /// [`StoreError::NotFound`](crate::StoreError::NotFound).
    async fn create_show(&self, shop: ShopId, draft: &ShowDraft) -> Result<RoomId>;
    /// Replaces a show's plan, lineup and run sheet, all or nothing.
    /// `Ok(Err(..))`: the show has ended and is no longer edited.
    async fn update_show(&self, shop: ShopId, id: RoomId, draft: &ShowDraft) -> Result<Result<(), DomainError>>;
    /// The shop's shows by scheduled start, earliest first.
    async fn shows_of_shop(&self, shop: ShopId) -> Result<Vec<ShowRecord>>;
    async fn show(&self, shop: ShopId, id: RoomId) -> Result<Option<ShowDetail>>;
    async fn show_by_title(&self, shop: ShopId, title: &str) -> Result<Option<ShowRecord>>;
    /// Planned → live at the store's clock. `Ok(Err(..))`: not a legal move.
    async fn start_show(&self, shop: ShopId, id: RoomId) -> Result<Result<ShowRecord, DomainError>>;
    /// Live → ended at the store's clock. `Ok(Err(..))`: not a legal move.
    async fn end_show(&self, shop: ShopId, id: RoomId) -> Result<Result<ShowRecord, DomainError>>;
    /// Changes one lineup product's live price (the console's 改价), so a
    /// room that restarts keeps it. [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// when the show is not the shop's or the product is not in its lineup;
    /// the caller checks the price (> 0, at most the product's price).
    async fn set_live_price(&self, shop: ShopId, id: RoomId, product: ProductId, price: Fen) -> Result<()>;
    /// Puts the show's lineup in a new order (the console's 排序), so a room
    /// that restarts keeps it: `order` names lineup products first to last;
    /// products it leaves out follow in their old order. Nothing is written
    /// and [`StoreError::NotFound`](crate::StoreError::NotFound) comes back
    /// when the show is not the shop's or `order` names a product outside
    /// its lineup; [`StoreError::Conflict`](crate::StoreError::Conflict)
    /// when it names one twice.
    async fn reorder_lineup(&self, shop: ShopId, id: RoomId, order: &[ProductId]) -> Result<()>;
    /// The show's automatic actions (run-sheet automation), in the plan's
    /// order; none for a show that is not the shop's.
    async fn show_actions(&self, shop: ShopId, id: RoomId) -> Result<Vec<ShowAction>>;
    /// Replaces the show's actions in one transaction: `(Some(id), spec)`
    /// rewrites that action in place (its id stays, as the room's log names
    /// it), `(None, spec)` adds one, and actions not listed are removed.
    /// Answers the ids in order. [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// when the show is not the shop's or an id is not one of its actions.
    async fn save_show_actions(
        &self,
        shop: ShopId,
        id: RoomId,
        actions: &[(Option<i64>, ActionSpec)],
    ) -> Result<Vec<i64>>;
}
