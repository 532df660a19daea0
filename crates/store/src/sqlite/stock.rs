//! The stock ledger on SQLite. Each change is one `BEGIN IMMEDIATE`
//! transaction on the writer: read the SKU's balance, refuse if the change
//! would take it below zero, else update the balance and append the entry
//! with the balance it leaves. The balance row and the ledger row commit
//! together or not at all, so stock equals the sum of the ledger at every
//! commit; `CHECK (balance >= 0)` backs the refusal up in the schema.

use async_trait::async_trait;
use zhibo_domain::stock::{InsufficientStock, StockChange, StockReason};
use zhibo_domain::{ProductId, ShopId, SkuId, Timestamp, UserId};

use super::SqliteStore;
use crate::{LedgerEntry, Result, StockStore, StoreError};

#[derive(sqlx::FromRow)]
struct LedgerRow {
    id: i64,
    sku_id: i64,
    delta: i64,
    reason: String,
    actor_user_id: Option<i64>,
    note: String,
    balance_after: i64,
    time_ms: i64,
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = StoreError;
    fn try_from(row: LedgerRow) -> Result<LedgerEntry> {
        Ok(LedgerEntry {
            reason: StockReason::parse(&row.reason)
                .map_err(|e| StoreError::Corrupt(format!("ledger entry {}: {}", row.id, e.message)))?,
            id: row.id,
            sku: SkuId(row.sku_id),
            delta: row.delta,
            actor: row.actor_user_id.map(UserId),
            note: row.note,
            balance_after: row.balance_after,
            time: Timestamp(row.time_ms),
        })
    }
}

const LEDGER_COLUMNS: &str = "l.id, l.sku_id, l.delta, l.reason, l.actor_user_id, l.note, l.balance_after, l.time_ms";

#[async_trait]
impl StockStore for SqliteStore {
    async fn apply_stock_change(
        &self,
        shop: ShopId,
        change: &StockChange,
        actor: Option<UserId>,
    ) -> Result<Result<LedgerEntry, InsufficientStock>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let balance: Option<i64> = sqlx::query_scalar(
            "SELECT b.balance FROM stock_balances b JOIN skus s ON s.id = b.sku_id WHERE b.sku_id = ? AND s.shop_id = ?",
        )
        .bind(change.sku.0)
        .bind(shop.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(balance) = balance else { return Err(StoreError::NotFound(format!("sku {}", change.sku))) };
        let after = balance
            .checked_add(change.delta)
            .ok_or_else(|| StoreError::Corrupt(format!("stock of sku {} would overflow", change.sku)))?;
        if after < 0 {
            // Dropping the transaction rolls it back; nothing was written.
            return Ok(Err(InsufficientStock { sku: change.sku, available: balance, wanted: -change.delta }));
        }
        sqlx::query("UPDATE stock_balances SET balance = ? WHERE sku_id = ?")
            .bind(after)
            .bind(change.sku.0)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query_as::<_, LedgerRow>(
            "INSERT INTO stock_ledger (sku_id, delta, reason, actor_user_id, note, balance_after, time_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             RETURNING id, sku_id, delta, reason, actor_user_id, note, balance_after, time_ms",
        )
        .bind(change.sku.0)
        .bind(change.delta)
        .bind(change.reason.as_str())
        .bind(actor.map(|a| a.0))
        .bind(&change.note)
        .bind(after)
        .bind(self.clock.now().millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound(format!("user {}", actor.map(|a| a.0).unwrap_or_default()))
            }
            _ => StoreError::Database(err),
        })?;
        tx.commit().await?;
        Ok(Ok(LedgerEntry::try_from(row)?))
    }

    async fn sku_ledger(&self, shop: ShopId, sku: SkuId, before: Option<i64>, limit: u32) -> Result<Vec<LedgerEntry>> {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM skus WHERE id = ? AND shop_id = ?)")
            .bind(sku.0)
            .bind(shop.0)
            .fetch_one(&self.reader)
            .await?;
        if !exists {
            return Err(StoreError::NotFound(format!("sku {sku}")));
        }
        let rows = sqlx::query_as::<_, LedgerRow>(&format!(
            "SELECT {LEDGER_COLUMNS} FROM stock_ledger l WHERE l.sku_id = ? AND l.id < ? ORDER BY l.id DESC LIMIT ?"
        ))
        .bind(sku.0)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(LedgerEntry::try_from).collect()
    }

    async fn product_ledger(&self, shop: ShopId, product: ProductId, limit: u32) -> Result<Vec<LedgerEntry>> {
        let rows = sqlx::query_as::<_, LedgerRow>(&format!(
            "SELECT {LEDGER_COLUMNS} FROM stock_ledger l JOIN skus s ON s.id = l.sku_id
             WHERE s.product_id = ? AND s.shop_id = ? ORDER BY l.id DESC LIMIT ?"
        ))
        .bind(product.0)
        .bind(shop.0)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(LedgerEntry::try_from).collect()
    }

    async fn units_sold_since(&self, shop: ShopId, since: Timestamp) -> Result<Vec<(ProductId, i64)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT s.product_id, -SUM(l.delta) FROM stock_ledger l
             JOIN skus s ON s.id = l.sku_id JOIN products p ON p.id = s.product_id
             WHERE p.shop_id = ? AND l.reason = 'sale' AND l.time_ms >= ?
             GROUP BY s.product_id ORDER BY s.product_id",
        )
        .bind(shop.0)
        .bind(since.millis())
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(product, units)| (ProductId(product), units)).collect())
    }
}
