//! Bulk imports of the product library, as the store sees them: files
//! waiting between their preview and their confirmation
//! ([`PendingImport`]), and writing a whole import — every product, every
//! SKU and every SKU's opening stock as a `purchase` ledger entry — in one
//! transaction ([`ImportStore::import_products`]).
//!
//! Why one more write path instead of [`CatalogStore::create_products`]
//! followed by [`StockStore::apply_stock_change`]: those are separate
//! transactions, so a failure between them would leave products without
//! their stock, and an import must be all or nothing.
//!
//! [`CatalogStore::create_products`]: crate::CatalogStore::create_products
//! [`StockStore::apply_stock_change`]: crate::StockStore::apply_stock_change

use async_trait::async_trait;
use zhibo_domain::catalog::ProductDraft;
use zhibo_domain::stock::StockChange;
use zhibo_domain::{DomainError, ProductId, ShopId, Timestamp, UserId};

use crate::Result;

/// A product to import with each SKU's opening stock. Built only through
/// [`ImportedProduct::new`], so the counts are known to fit the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedProduct {
    draft: ProductDraft,
    opening_stock: Vec<i64>,
}

impl ImportedProduct {
    /// `opening_stock` holds one count per SKU of the draft, in the draft's
    /// order, each from 0 to [`StockChange::MAX_UNITS`] (0: no ledger entry).
    pub fn new(draft: ProductDraft, opening_stock: Vec<i64>) -> std::result::Result<Self, DomainError> {
        if opening_stock.len() != draft.skus.len() {
            return Err(DomainError::new(
                "stock",
                format!(
                    "期初库存须每个SKU一个（{} 个SKU，{} 个库存）/ one opening stock per SKU ({} SKUs, {} counts)",
                    draft.skus.len(),
                    opening_stock.len(),
                    draft.skus.len(),
                    opening_stock.len()
                ),
            ));
        }
        if let Some(bad) = opening_stock.iter().find(|n| !(0..=StockChange::MAX_UNITS).contains(*n)) {
            return Err(DomainError::new(
                "stock",
                format!(
                    "期初库存须为0到{0}件，不能是 {bad} / opening stock must be 0 to {0} units, not {bad}",
                    StockChange::MAX_UNITS
                ),
            ));
        }
        Ok(ImportedProduct { draft, opening_stock })
    }

    pub fn draft(&self) -> &ProductDraft {
        &self.draft
    }

    /// Per SKU, in the draft's order.
    pub fn opening_stock(&self) -> &[i64] {
        &self.opening_stock
    }
}

/// The note on every opening-stock entry an import writes.
pub const OPENING_STOCK_NOTE: &str = "期初库存（批量导入）/ opening stock (import)";

/// An uploaded file kept between its preview and its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingImport {
    pub id: i64,
    pub shop: ShopId,
    pub user: UserId,
    pub file_name: String,
    pub content: Vec<u8>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Keeps a previewed file for `ttl_ms` on the store's clock. A person
    /// has at most one pending import: their older ones are dropped, and so
    /// is every expired one, so the table stays small.
    async fn save_pending_import(
        &self,
        shop: ShopId,
        user: UserId,
        file_name: &str,
        content: &[u8],
        ttl_ms: i64,
    ) -> Result<PendingImport>;

    /// The pending import `id` of this person in this shop, if it exists and
    /// has not expired.
    async fn pending_import(&self, shop: ShopId, user: UserId, id: i64) -> Result<Option<PendingImport>>;

    /// Writes an import in one transaction: every product with its SKUs,
    /// then each SKU's opening stock as a `purchase` ledger entry by `actor`
    /// (noted [`OPENING_STOCK_NOTE`]), and — when `pending` is given — the
    /// deletion of that pending import. All of it or nothing:
    /// [`StoreError::Conflict`](crate::StoreError::Conflict) naming what was
    /// taken (a title or a barcode that another product got meanwhile), or
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) when the
    /// pending import is gone (expired, replaced, or already confirmed).
    async fn import_products(
        &self,
        shop: ShopId,
        actor: UserId,
        products: &[ImportedProduct],
        pending: Option<i64>,
    ) -> Result<Vec<ProductId>>;
}
