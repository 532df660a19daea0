//! Stream keys on SQLite: replacing a key is one IMMEDIATE transaction
//! (check the show is the shop's, revoke, insert), so a show never has two
//! usable keys (the partial unique index says the same).

use async_trait::async_trait;
use zhibo_domain::{RoomId, ShopId, Timestamp};

use super::SqliteStore;
use crate::stream_keys::{StreamKeyRecord, StreamKeyStore};
use crate::{Result, StoreError};

#[async_trait]
impl StreamKeyStore for SqliteStore {
    async fn replace_stream_key(&self, shop: ShopId, show: RoomId, key_hash: &str) -> Result<StreamKeyRecord> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let owned: Option<i64> = sqlx::query_scalar("SELECT id FROM shows WHERE id = ? AND shop_id = ?")
            .bind(show.0)
            .bind(shop.0)
            .fetch_optional(&mut *tx)
            .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound(format!("show {}", show.0)));
        }
        sqlx::query("UPDATE stream_keys SET revoked_at = ? WHERE show_id = ? AND revoked_at IS NULL")
            .bind(now.0)
            .bind(show.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO stream_keys (key_hash, show_id, created_at) VALUES (?, ?, ?)")
            .bind(key_hash)
            .bind(show.0)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(StreamKeyRecord { show, created_at: now })
    }

    async fn revoke_stream_key(&self, shop: ShopId, show: RoomId) -> Result<bool> {
        let now = self.clock.now();
        let done = sqlx::query(
            "UPDATE stream_keys SET revoked_at = ? WHERE show_id = ? AND revoked_at IS NULL \
             AND show_id IN (SELECT id FROM shows WHERE shop_id = ?)",
        )
        .bind(now.0)
        .bind(show.0)
        .bind(shop.0)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn stream_key_of(&self, shop: ShopId, show: RoomId) -> Result<Option<StreamKeyRecord>> {
        let created: Option<i64> = sqlx::query_scalar(
            "SELECT k.created_at FROM stream_keys k JOIN shows s ON s.id = k.show_id \
             WHERE k.show_id = ? AND s.shop_id = ? AND k.revoked_at IS NULL",
        )
        .bind(show.0)
        .bind(shop.0)
        .fetch_optional(&self.reader)
        .await?;
        Ok(created.map(|at| StreamKeyRecord { show, created_at: Timestamp(at) }))
    }

    async fn show_for_stream_key(&self, key_hash: &str) -> Result<Option<RoomId>> {
        let show: Option<i64> =
            sqlx::query_scalar("SELECT show_id FROM stream_keys WHERE key_hash = ? AND revoked_at IS NULL")
                .bind(key_hash)
                .fetch_optional(&self.reader)
                .await?;
        Ok(show.map(RoomId))
    }
}
