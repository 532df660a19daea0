//! Bulk imports on SQLite: pending files in `pending_imports`, and the
//! import itself in one `BEGIN IMMEDIATE` transaction on the writer that
//! claims the pending file, inserts the products and SKUs the way
//! [`CatalogStore::create_products`](crate::CatalogStore::create_products)
//! does, and writes the opening stock to the ledger and the balances.

use async_trait::async_trait;
use zhibo_domain::stock::StockReason;
use zhibo_domain::{ProductId, ShopId, Timestamp, UserId};

use super::SqliteStore;
use super::catalog::{insert_product, map_write_error};
use crate::imports::{ImportStore, ImportedProduct, OPENING_STOCK_NOTE, PendingImport};
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    shop_id: i64,
    user_id: i64,
    file_name: String,
    content: Vec<u8>,
    created_at: i64,
    expires_at: i64,
}

impl From<PendingRow> for PendingImport {
    fn from(row: PendingRow) -> Self {
        PendingImport {
            id: row.id,
            shop: ShopId(row.shop_id),
            user: UserId(row.user_id),
            file_name: row.file_name,
            content: row.content,
            created_at: Timestamp(row.created_at),
            expires_at: Timestamp(row.expires_at),
        }
    }
}

#[async_trait]
impl ImportStore for SqliteStore {
    async fn save_pending_import(
        &self,
        shop: ShopId,
        user: UserId,
        file_name: &str,
        content: &[u8],
        ttl_ms: i64,
    ) -> Result<PendingImport> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM pending_imports WHERE user_id = ? OR expires_at <= ?")
            .bind(user.0)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query_as::<_, PendingRow>(
            "INSERT INTO pending_imports (shop_id, user_id, file_name, content, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)
             RETURNING id, shop_id, user_id, file_name, content, created_at, expires_at",
        )
        .bind(shop.0)
        .bind(user.0)
        .bind(file_name)
        .bind(content)
        .bind(now.millis())
        .bind(now.plus_millis(ttl_ms.max(1)).millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound(format!("shop {shop} or user {user}"))
            }
            _ => StoreError::Database(err),
        })?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn pending_import(&self, shop: ShopId, user: UserId, id: i64) -> Result<Option<PendingImport>> {
        let row = sqlx::query_as::<_, PendingRow>(
            "SELECT id, shop_id, user_id, file_name, content, created_at, expires_at FROM pending_imports
             WHERE id = ? AND shop_id = ? AND user_id = ? AND expires_at > ?",
        )
        .bind(id)
        .bind(shop.0)
        .bind(user.0)
        .bind(self.clock.now().millis())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(PendingImport::from))
    }

    async fn import_products(
        &self,
        shop: ShopId,
        actor: UserId,
        products: &[ImportedProduct],
        pending: Option<i64>,
    ) -> Result<Vec<ProductId>> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(pending) = pending {
            // Claimed first: a second confirm of the same file finds nothing
            // to claim and writes nothing.
            let claimed = sqlx::query(
                "DELETE FROM pending_imports WHERE id = ? AND shop_id = ? AND user_id = ? AND expires_at > ?",
            )
            .bind(pending)
            .bind(shop.0)
            .bind(actor.0)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                return Err(StoreError::NotFound(format!("pending import {pending}")));
            }
        }
        let mut ids = Vec::with_capacity(products.len());
        for product in products {
            let draft = product.draft();
            let id = insert_product(&mut tx, shop, draft, now).await.map_err(|e| match e {
                StoreError::Database(err) => map_write_error(err, Some(draft), shop),
                other => other,
            })?;
            let skus: Vec<i64> = sqlx::query_scalar("SELECT id FROM skus WHERE product_id = ? ORDER BY position, id")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
            if skus.len() != product.opening_stock().len() {
                return Err(StoreError::Corrupt(format!("product {id}: {} SKUs written", skus.len())));
            }
            for (sku, &units) in skus.iter().zip(product.opening_stock()) {
                if units == 0 {
                    continue;
                }
                // A new SKU's balance is 0, so the entry's balance is its units.
                sqlx::query("UPDATE stock_balances SET balance = balance + ? WHERE sku_id = ?")
                    .bind(units)
                    .bind(sku)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO stock_ledger (sku_id, delta, reason, actor_user_id, note, balance_after, time_ms)
                     VALUES (?, ?, ?, ?, ?, (SELECT balance FROM stock_balances WHERE sku_id = ?), ?)",
                )
                .bind(sku)
                .bind(units)
                .bind(StockReason::Purchase.as_str())
                .bind(actor.0)
                .bind(OPENING_STOCK_NOTE)
                .bind(sku)
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(|err| match &err {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                        StoreError::NotFound(format!("user {actor}"))
                    }
                    _ => StoreError::Database(err),
                })?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use zhibo_domain::account::{DisplayName, Username};
    use zhibo_domain::catalog::{ProductDraft, ProductInput, SkuInput};
    use zhibo_domain::stock::StockChange;
    use zhibo_domain::{Fen, Role, VirtualClock};

    use super::*;
    use crate::{AccountStore, CatalogStore, NewUser, ShopSettings, ShopStore, StockStore};

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    struct Fixture {
        store: SqliteStore,
        clock: VirtualClock,
        shop: ShopId,
        user: UserId,
        _dir: tempfile::TempDir,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::TempDir::new().unwrap();
        let clock = VirtualClock::starting_at(T0);
        let store = SqliteStore::open(&dir.path().join("z.db"), Arc::new(clock.clone())).await.unwrap();
        let shop = store.create_shop("导入店", &ShopSettings::default()).await.unwrap();
        let user = store
            .create_user(&NewUser {
                shop,
                username: Username::parse("importer").unwrap(),
                display_name: DisplayName::parse("导入员").unwrap(),
                role: Role::Operator,
                password_hash: "x".into(),
            })
            .await
            .unwrap();
        Fixture { store, clock, shop, user, _dir: dir }
    }

    fn product(title: &str, barcodes: &[&str], stock: &[i64]) -> ImportedProduct {
        let skus = barcodes
            .iter()
            .enumerate()
            .map(|(i, code)| SkuInput {
                specs: vec![("颜色".into(), format!("色{i}"))],
                price: Fen(1990),
                barcode: (*code).into(),
                ..Default::default()
            })
            .collect();
        let draft = ProductDraft::parse(&ProductInput { title: title.into(), skus, ..Default::default() }).unwrap();
        ImportedProduct::new(draft, stock.to_vec()).unwrap()
    }

    #[test]
    fn opening_stock_must_fit_the_skus_and_the_ledger() {
        let draft = product("a", &["", ""], &[0, 0]).draft().clone();
        assert_eq!(ImportedProduct::new(draft.clone(), vec![1]).unwrap_err().field, "stock");
        assert_eq!(ImportedProduct::new(draft.clone(), vec![1, -1]).unwrap_err().field, "stock");
        assert_eq!(
            ImportedProduct::new(draft.clone(), vec![0, StockChange::MAX_UNITS + 1]).unwrap_err().field,
            "stock"
        );
        assert!(ImportedProduct::new(draft, vec![0, StockChange::MAX_UNITS]).is_ok());
    }

    #[tokio::test]
    async fn an_import_writes_products_and_opening_stock_as_purchases_by_the_importer() {
        let f = fixture().await;
        // the platform's figures go in with the product
        let mut rated = product("甲", &["", ""], &[5, 0]).draft().clone();
        rated.platform.return_rate_permille = Some(125);
        rated.platform.review_tenths = Some(48);
        let rated = ImportedProduct::new(rated, vec![5, 0]).unwrap();
        let ids = f.store.import_products(f.shop, f.user, &[rated, product("乙", &[""], &[7])], None).await.unwrap();
        assert_eq!(ids.len(), 2);
        let first = f.store.product(f.shop, ids[0]).await.unwrap().unwrap();
        let figures = (first.product.platform.return_rate_permille, first.product.platform.review_tenths);
        assert_eq!(figures, (Some(125), Some(48)));
        assert_eq!(first.skus.iter().map(|s| s.stock).collect::<Vec<_>>(), [5, 0]);
        let ledger = f.store.product_ledger(f.shop, ids[0], 10).await.unwrap();
        assert_eq!(ledger.len(), 1, "no entry for a SKU that starts at 0");
        let entry = &ledger[0];
        assert_eq!(
            (entry.sku, entry.delta, entry.reason, entry.actor, entry.balance_after, entry.time),
            (first.skus[0].id, 5, StockReason::Purchase, Some(f.user), 5, T0)
        );
        assert_eq!(entry.note, OPENING_STOCK_NOTE);
        let second = f.store.product(f.shop, ids[1]).await.unwrap().unwrap();
        assert_eq!(second.skus[0].stock, 7);
    }

    #[tokio::test]
    async fn a_taken_title_or_barcode_anywhere_in_the_import_writes_nothing() {
        let f = fixture().await;
        f.store.import_products(f.shop, f.user, &[product("已有", &["6901234567892"], &[3])], None).await.unwrap();
        let before = f.store.product_details_of_shop(f.shop).await.unwrap();

        let late_title = [product("新品", &[""], &[9]), product("已有", &[""], &[1])];
        let err = f.store.import_products(f.shop, f.user, &late_title, None).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(what) if what.contains("已有")), "{err}");
        let late_barcode = [product("新品", &[""], &[9]), product("另一个", &["6901234567892"], &[1])];
        let err = f.store.import_products(f.shop, f.user, &late_barcode, None).await.unwrap_err();
        assert!(matches!(&err, StoreError::Conflict(what) if what.contains("barcode")), "{err}");

        assert_eq!(f.store.product_details_of_shop(f.shop).await.unwrap(), before, "nothing half-saved");
        assert!(f.store.product_by_title(f.shop, "新品").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_pending_file_is_for_its_owner_until_it_expires_and_is_used_once() {
        let f = fixture().await;
        let pending = f.store.save_pending_import(f.shop, f.user, "商品.csv", b"a,b\n", 60_000).await.unwrap();
        assert_eq!((pending.created_at, pending.expires_at), (T0, T0.plus_millis(60_000)));
        let found = f.store.pending_import(f.shop, f.user, pending.id).await.unwrap().unwrap();
        assert_eq!((found.file_name.as_str(), found.content.as_slice()), ("商品.csv", b"a,b\n".as_slice()));
        assert!(f.store.pending_import(f.shop, UserId(f.user.0 + 1), pending.id).await.unwrap().is_none());
        assert!(f.store.pending_import(ShopId(f.shop.0 + 1), f.user, pending.id).await.unwrap().is_none());

        // used once: the import claims it in its own transaction
        let ids =
            f.store.import_products(f.shop, f.user, &[product("一次", &[""], &[1])], Some(pending.id)).await.unwrap();
        assert_eq!(ids.len(), 1);
        assert!(f.store.pending_import(f.shop, f.user, pending.id).await.unwrap().is_none());
        let again = f.store.import_products(f.shop, f.user, &[product("两次", &[""], &[1])], Some(pending.id)).await;
        assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
        assert!(f.store.product_by_title(f.shop, "两次").await.unwrap().is_none(), "nothing written");

        // expiry on the store's clock
        let pending = f.store.save_pending_import(f.shop, f.user, "b.csv", b"x", 60_000).await.unwrap();
        f.clock.advance_millis(60_000);
        assert!(f.store.pending_import(f.shop, f.user, pending.id).await.unwrap().is_none());
        let late = f.store.import_products(f.shop, f.user, &[product("过期", &[""], &[1])], Some(pending.id)).await;
        assert!(matches!(late, Err(StoreError::NotFound(_))), "{late:?}");
        assert!(f.store.product_by_title(f.shop, "过期").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_new_upload_replaces_the_persons_older_one() {
        let f = fixture().await;
        let old = f.store.save_pending_import(f.shop, f.user, "a.csv", b"a", 60_000).await.unwrap();
        let new = f.store.save_pending_import(f.shop, f.user, "b.csv", b"b", 60_000).await.unwrap();
        assert!(new.id > old.id);
        assert!(f.store.pending_import(f.shop, f.user, old.id).await.unwrap().is_none());
        assert!(f.store.pending_import(f.shop, f.user, new.id).await.unwrap().is_some());
    }
}
