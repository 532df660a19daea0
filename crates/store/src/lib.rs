//! zhibo's persistence layer.
//!
//! Callers see only the traits in this file, bundled as [`Store`]; each
//! backend (SQLite now in [`sqlite`], PostgreSQL later) implements them with
//! its own migrations folder. Nothing outside this crate writes SQL, so
//! adding a backend never touches the web layer or the engine.
//!
//! Money is `i64` fen and times are `i64` milliseconds in every table, which
//! keeps both backends (and sqlx's `Any`) exact.

pub mod catalog;
pub mod error;
pub mod event_log;
pub mod flash_sales;
pub mod imports;
pub mod moderation;
pub mod orders;
pub mod promotions;
pub mod recordings;
pub mod shows;
pub mod sqlite;
pub mod stream_keys;

use async_trait::async_trait;
use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::event::{Event, NewEvent, RollupCell, RollupKey};
use zhibo_domain::{Role, RoomId, ShopId, Timestamp, UserId};

pub use catalog::{
    CatalogStore, ImageBytes, ImageRecord, LedgerEntry, NewImage, ProductDetail, ProductFilter, ProductRecord,
    ProductSummary, Rendition, SkuRecord, StockStore,
};
pub use error::StoreError;
pub use event_log::fold_room;
pub use flash_sales::FlashSaleStore;
pub use imports::{ImportStore, ImportedProduct, PendingImport};
pub use moderation::{ModerationPolicy, ModerationStore};
pub use orders::OrderStore;
pub use promotions::PromotionStore;
pub use recordings::RecordingStore;
pub use shows::ShowStore;
pub use sqlite::SqliteStore;
pub use stream_keys::{StreamKeyRecord, StreamKeyStore};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything the rest of zhibo needs from storage.
pub trait Store:
    ShopStore
    + AccountStore
    + SessionStore
    + CatalogStore
    + StockStore
    + EventStore
    + AdminStore
    + PromotionStore
    + ImportStore
    + ShowStore
    + ModerationStore
    + OrderStore
    + FlashSaleStore
    + StreamKeyStore
    + RecordingStore
{
}
impl<
    T: ShopStore
        + AccountStore
        + SessionStore
        + CatalogStore
        + StockStore
        + EventStore
        + AdminStore
        + PromotionStore
        + ImportStore
        + ShowStore
        + ModerationStore
        + OrderStore
        + FlashSaleStore
        + StreamKeyStore
        + RecordingStore,
> Store for T
{
}

// ---------------------------------------------------------------- shops

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRecord {
    pub id: ShopId,
    pub name: String,
    pub settings: ShopSettings,
    pub created_at: Timestamp,
}

/// What the owner edits on the settings page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSettings {
    /// Minutes before an unpaid order releases its stock (used by orders).
    pub unpaid_order_timeout_minutes: i64,
    /// Language for pages when a person has not chosen one: "zh-CN" or "en".
    pub default_language: String,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self { unpaid_order_timeout_minutes: 15, default_language: "zh-CN".into() }
    }
}

#[async_trait]
pub trait ShopStore: Send + Sync {
    async fn create_shop(&self, name: &str, settings: &ShopSettings) -> Result<ShopId>;
    async fn shop(&self, id: ShopId) -> Result<Option<ShopRecord>>;
    /// The oldest shop: a one-shop deployment's shop.
    async fn first_shop(&self) -> Result<Option<ShopRecord>>;
    async fn update_shop(&self, id: ShopId, name: &str, settings: &ShopSettings) -> Result<()>;
}

// ---------------------------------------------------------------- accounts

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub shop: ShopId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An argon2 PHC string; never the password.
    pub password_hash: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub shop: ShopId,
    pub username: Username,
    pub display_name: DisplayName,
    pub role: Role,
    pub password_hash: String,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the username is taken.
    async fn create_user(&self, user: &NewUser) -> Result<UserId>;
    async fn user_by_username(&self, username: &Username) -> Result<Option<UserRecord>>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>>;
    async fn users_of_shop(&self, shop: ShopId) -> Result<Vec<UserRecord>>;
    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()>;
}

// ---------------------------------------------------------------- sessions

/// A signed-in browser. The cookie holds a random token; the store keeps only
/// its SHA-256, so a copy of the database opens no sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user: UserId,
    /// The synchronizer token every form of this session must echo.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &SessionRecord) -> Result<()>;
    /// The session, if it exists and has not expired at `now`.
    async fn live_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Signs a user out everywhere but `keep` (after a password change).
    async fn delete_other_sessions(&self, user: UserId, keep: &str) -> Result<u64>;
    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64>;
}

// ---------------------------------------------------------------- catalog
//
// Products, SKUs, images and the stock ledger: see [`catalog`].

// ---------------------------------------------------------------- event log

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Appends one event and returns it numbered and stamped, only once it is
    /// durable. Concurrent appends are batched into one transaction (group
    /// commit); sequence numbers per room have no gaps.
    async fn append(&self, event: NewEvent) -> Result<Event>;
    /// Events of a room with `seq > after`, in order, at most `limit`.
    async fn events_after(&self, room: RoomId, after: u64, limit: u32) -> Result<Vec<Event>>;
    /// The highest sequence number of a room, 0 when it has no events.
    async fn last_seq(&self, room: RoomId) -> Result<u64>;
    /// The room's latest event of one of `kinds`, if any: state a room
    /// takes back from its own log when it starts again (the welcome
    /// template, what is pinned).
    async fn last_of_kinds(&self, room: RoomId, kinds: &[&str]) -> Result<Option<Event>>;
    /// The per-minute rollup buckets of a room, maintained at append time,
    /// for minutes in `[from, to)`, ordered by minute then kind.
    async fn rollups(&self, room: RoomId, from: Timestamp, to: Timestamp) -> Result<Vec<(RollupKey, RollupCell)>>;
}

// ---------------------------------------------------------------- admin

#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Cheap liveness check for /healthz.
    async fn ping(&self) -> Result<()>;
    /// Writes a consistent copy of the whole database to `path` while the
    /// store stays in use.
    async fn backup_to(&self, path: &std::path::Path) -> Result<()>;
}
