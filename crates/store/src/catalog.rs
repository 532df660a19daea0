//! The product library and the stock ledger, as the store sees them: the
//! records it hands back and the two traits, [`CatalogStore`] (products,
//! SKUs, images) and [`StockStore`] (the ledger).
//!
//! What goes in is already checked by the domain ([`ProductDraft`],
//! [`StockChange`]); the store adds what only it can guarantee: a product
//! and its SKUs are written all or nothing, titles and barcodes are unique
//! per shop, and a SKU's stock is always the sum of its ledger entries and
//! never below zero, however many changes race.
//!
//! Every method takes the caller's shop and answers "not found" for a row of
//! another shop, so an id guessed in a URL reaches nothing.

use async_trait::async_trait;
use zhibo_domain::catalog::{PlatformFigures, ProductDraft, ProductFacts, ProductStatus, Specs};
use zhibo_domain::stock::{InsufficientStock, StockChange, StockReason};
use zhibo_domain::{Fen, ImageId, ProductId, ShopId, SkuId, Timestamp, UserId};

use crate::Result;

/// A product without its SKUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub shop: ShopId,
    pub title: String,
    pub subtitle: String,
    pub selling_points: Vec<String>,
    pub category: String,
    pub brand: String,
    pub status: ProductStatus,
    pub facts: ProductFacts,
    /// The platform's return rate and review score (平台数据), when entered.
    pub platform: PlatformFigures,
    /// The cheapest SKU's price: what a list shows ("from").
    pub price: Fen,
    /// That SKU's 划线价 (0: none).
    pub list_price: Fen,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A SKU with its current stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuRecord {
    pub id: SkuId,
    pub product: ProductId,
    pub specs: Specs,
    pub list_price: Fen,
    pub price: Fen,
    pub cost: Fen,
    pub weight_g: i64,
    pub barcode: Option<String>,
    /// Units that can be sold now: the sum of the SKU's ledger entries.
    pub stock: i64,
}

/// A product with its SKUs in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDetail {
    pub product: ProductRecord,
    pub skus: Vec<SkuRecord>,
}

/// A line of the product list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSummary {
    pub product: ProductRecord,
    pub sku_count: i64,
    /// Stock of all its SKUs together.
    pub stock: i64,
    /// The first image, if any.
    pub cover: Option<ImageId>,
}

/// Which products to list. An empty `text` matches every product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    pub status: Option<ProductStatus>,
    /// Found in the title, subtitle, brand or category, or equal to a
    /// SKU's barcode.
    pub text: String,
}

/// An image to store: the original bytes as uploaded and a thumbnail, both
/// already checked and measured by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImage {
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    pub original: Vec<u8>,
    /// SHA-256 of `original`, hex.
    pub sha256: String,
    pub thumb_mime: &'static str,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub thumbnail: Vec<u8>,
}

/// A stored image, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    pub id: ImageId,
    pub product: ProductId,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub byte_size: i64,
    pub sha256: String,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub sort_order: i64,
    pub created_at: Timestamp,
}

/// Which bytes of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    Original,
    Thumbnail,
}

/// An image's bytes with what serving them needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBytes {
    pub mime: String,
    /// SHA-256 of the original, hex; with the rendition, the ETag.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Creates a product with its SKUs in one transaction; each SKU starts
    /// with stock 0. [`StoreError::Conflict`](crate::StoreError::Conflict)
    /// when the title or a barcode is taken in the shop; nothing is written
    /// then. SKU ids in the draft must be `None`.
    async fn create_product(&self, shop: ShopId, draft: &ProductDraft) -> Result<ProductId>;
    /// Creates several products in one transaction: all of them or none
    /// (for an import).
    async fn create_products(&self, shop: ShopId, drafts: &[ProductDraft]) -> Result<Vec<ProductId>>;
    /// Replaces a product's fields and SKUs in one transaction: a SKU with an
    /// id is updated (its stock untouched), one without is added, and a SKU
    /// left out is removed, unless it has stock history (then
    /// `Conflict`, and nothing is written).
    async fn update_product(&self, shop: ShopId, id: ProductId, draft: &ProductDraft) -> Result<()>;
    async fn set_product_status(&self, shop: ShopId, id: ProductId, status: ProductStatus) -> Result<()>;
    async fn product(&self, shop: ShopId, id: ProductId) -> Result<Option<ProductDetail>>;
    /// Every product of the shop, oldest first.
    async fn products_of_shop(&self, shop: ShopId) -> Result<Vec<ProductRecord>>;
    /// Every product of the shop with its SKUs, oldest first (for exports).
    async fn product_details_of_shop(&self, shop: ShopId) -> Result<Vec<ProductDetail>>;
    /// The product list, oldest first.
    async fn search_products(&self, shop: ShopId, filter: &ProductFilter) -> Result<Vec<ProductSummary>>;
    async fn product_by_title(&self, shop: ShopId, title: &str) -> Result<Option<ProductRecord>>;
    async fn sku(&self, shop: ShopId, id: SkuId) -> Result<Option<SkuRecord>>;
    async fn sku_by_barcode(&self, shop: ShopId, barcode: &str) -> Result<Option<SkuRecord>>;

    /// Adds an image after the product's others.
    async fn add_product_image(&self, shop: ShopId, product: ProductId, image: &NewImage) -> Result<ImageRecord>;
    /// A product's images in their order, without bytes.
    async fn product_images(&self, shop: ShopId, product: ProductId) -> Result<Vec<ImageRecord>>;
    async fn image_bytes(
        &self,
        shop: ShopId,
        product: ProductId,
        image: ImageId,
        rendition: Rendition,
    ) -> Result<Option<ImageBytes>>;
    async fn delete_product_image(&self, shop: ShopId, product: ProductId, image: ImageId) -> Result<()>;
}

/// One entry of the stock ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub sku: SkuId,
    pub delta: i64,
    pub reason: StockReason,
    /// Who made the change; `None` for zhibo itself.
    pub actor: Option<UserId>,
    pub note: String,
    /// The SKU's stock right after this entry.
    pub balance_after: i64,
    pub time: Timestamp,
}

#[async_trait]
pub trait StockStore: Send + Sync {
    /// Applies one change: the ledger entry and the SKU's new stock in one
    /// transaction, stamped by the store's clock. A change that would take
    /// stock below zero writes nothing and comes back as
    /// `Ok(Err(InsufficientStock))`, with what there was.
    async fn apply_stock_change(
        &self,
        shop: ShopId,
        change: &StockChange,
        actor: Option<UserId>,
    ) -> Result<Result<LedgerEntry, InsufficientStock>>;
    /// A SKU's entries, newest first: at most `limit`, with ids below
    /// `before` when given (to page back).
    async fn sku_ledger(&self, shop: ShopId, sku: SkuId, before: Option<i64>, limit: u32) -> Result<Vec<LedgerEntry>>;
    /// The entries of every SKU of a product, newest first, at most `limit`.
    async fn product_ledger(&self, shop: ShopId, product: ProductId, limit: u32) -> Result<Vec<LedgerEntry>>;
    /// Units each product of the shop sold (its `sale` entries) at or after
    /// `since`; products without sales are left out.
    async fn units_sold_since(&self, shop: ShopId, since: Timestamp) -> Result<Vec<(ProductId, i64)>>;
}
