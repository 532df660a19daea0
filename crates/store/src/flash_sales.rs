//! Flash sales (秒杀) as the store keeps them: the sale's terms, its stock
//! moves through the ledger, and its end.
//!
//! The live room decides who wins in memory (zhibo-live's `flash_sale`);
//! the store's part is what must be atomic:
//!
//! - **Open** writes the sale and takes its whole quantity from the SKU's
//!   sellable stock (one `reservation` ledger entry) in one transaction,
//!   or refuses with what there is and writes nothing.
//! - **Wins** are orders placed through
//!   [`OrderStore::place_orders`](crate::OrderStore::place_orders) with
//!   `OrderSource::FlashSale(id)` and `StockSource::AlreadyReserved`; the
//!   sale's sold count is read from those orders, never kept twice.
//! - **Close** counts the sale's orders, gives the rest back (one
//!   `release` entry), and records sold and returned, in one transaction:
//!   `sold + returned == quantity`. Closing an ended sale changes nothing.

use async_trait::async_trait;
use zhibo_domain::stock::InsufficientStock;
use zhibo_domain::{Fen, FlashSaleId, OrderId, ProductId, RoomId, ShopId, SkuId, Timestamp, UserId};

use crate::Result;

/// A sale to open; the room has checked its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlashSale {
    pub shop: ShopId,
    pub show: RoomId,
    pub product: ProductId,
    pub sku: SkuId,
    pub price: Fen,
    pub quantity: u32,
    pub per_buyer: u32,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    /// The console's account; `None` for zhibo itself.
    pub actor: Option<UserId>,
}

/// A stored sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashSaleRecord {
    pub id: FlashSaleId,
    pub shop: ShopId,
    pub show: RoomId,
    pub product: ProductId,
    pub sku: SkuId,
    pub price: Fen,
    pub quantity: u32,
    pub per_buyer: u32,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub opened_by: Option<UserId>,
    pub opened_at: Timestamp,
    /// Set once the sale has ended, with its final figures.
    pub ended: Option<FlashSaleEnd>,
}

/// How a sale ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashSaleEnd {
    pub at: Timestamp,
    pub sold: u32,
    pub returned: u32,
}

/// One order a sale sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashSaleOrder {
    pub order: OrderId,
    pub buyer: UserId,
    pub units: u32,
    /// The order's idempotency key as the room wrote it.
    pub request_key: String,
}

#[async_trait]
pub trait FlashSaleStore: Send + Sync {
    /// Stores the sale and reserves its quantity in one transaction,
    /// stamped by the store's clock. `Ok(Err(..))`: the SKU has less, and
    /// nothing was written. [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// when the SKU is not the product's in this shop.
    async fn open_flash_sale(&self, sale: &NewFlashSale) -> Result<Result<FlashSaleRecord, InsufficientStock>>;

    async fn flash_sale(&self, shop: ShopId, id: FlashSaleId) -> Result<Option<FlashSaleRecord>>;

    /// A show's sales that have not ended, oldest first.
    async fn open_flash_sales(&self, shop: ShopId, show: RoomId) -> Result<Vec<FlashSaleRecord>>;

    /// The orders the sale sold, oldest first (whatever became of them since).
    async fn flash_sale_orders(&self, shop: ShopId, id: FlashSaleId) -> Result<Vec<FlashSaleOrder>>;

    /// Ends the sale: counts its orders, gives the rest back to the
    /// ledger, records both. An ended sale is answered as it is.
    async fn close_flash_sale(&self, shop: ShopId, id: FlashSaleId, actor: Option<UserId>) -> Result<FlashSaleRecord>;
}
