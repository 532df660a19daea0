//! Shops and their settings.

use async_trait::async_trait;
use zhibo_domain::{ShopId, Timestamp};

use super::SqliteStore;
use crate::{Result, ShopRecord, ShopSettings, ShopStore, StoreError};

#[derive(sqlx::FromRow)]
struct ShopRow {
    id: i64,
    name: String,
    unpaid_order_timeout_minutes: i64,
    default_language: String,
    created_at: i64,
}

impl From<ShopRow> for ShopRecord {
    fn from(row: ShopRow) -> ShopRecord {
        ShopRecord {
            id: ShopId(row.id),
            name: row.name,
            settings: ShopSettings {
                unpaid_order_timeout_minutes: row.unpaid_order_timeout_minutes,
                default_language: row.default_language,
            },
            created_at: Timestamp(row.created_at),
        }
    }
}

const SELECT_SHOP: &str = "SELECT id, name, unpaid_order_timeout_minutes, default_language, created_at FROM shops";

#[async_trait]
impl ShopStore for SqliteStore {
    async fn create_shop(&self, name: &str, settings: &ShopSettings) -> Result<ShopId> {
        let id = sqlx::query_scalar(
            "INSERT INTO shops (name, unpaid_order_timeout_minutes, default_language, created_at)
             VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(name)
        .bind(settings.unpaid_order_timeout_minutes)
        .bind(&settings.default_language)
        .bind(self.clock.now().millis())
        .fetch_one(&self.writer)
        .await?;
        Ok(ShopId(id))
    }

    async fn shop(&self, id: ShopId) -> Result<Option<ShopRecord>> {
        let row = sqlx::query_as::<_, ShopRow>(&format!("{SELECT_SHOP} WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(ShopRecord::from))
    }

    async fn first_shop(&self) -> Result<Option<ShopRecord>> {
        let row = sqlx::query_as::<_, ShopRow>(&format!("{SELECT_SHOP} ORDER BY created_at, id LIMIT 1"))
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(ShopRecord::from))
    }

    async fn update_shop(&self, id: ShopId, name: &str, settings: &ShopSettings) -> Result<()> {
        let done = sqlx::query(
            "UPDATE shops SET name = ?, unpaid_order_timeout_minutes = ?, default_language = ? WHERE id = ?",
        )
        .bind(name)
        .bind(settings.unpaid_order_timeout_minutes)
        .bind(&settings.default_language)
        .bind(id.0)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("shop {id}")));
        }
        Ok(())
    }
}
