//! The moderation policy on SQLite: one settings row per shop and its
//! words, replaced together in one `BEGIN IMMEDIATE` transaction.

use async_trait::async_trait;
use zhibo_domain::moderation::ModerationMode;
use zhibo_domain::{ShopId, Timestamp};

use super::SqliteStore;
use crate::moderation::{ModerationPolicy, ModerationStore};
use crate::{Result, StoreError};

#[async_trait]
impl ModerationStore for SqliteStore {
    async fn moderation_policy(&self, shop: ShopId) -> Result<ModerationPolicy> {
        let settings: Option<(String, i64)> =
            sqlx::query_as("SELECT mode, updated_at FROM moderation_settings WHERE shop_id = ?")
                .bind(shop.0)
                .fetch_optional(&self.reader)
                .await?;
        let words: Vec<String> =
            sqlx::query_scalar("SELECT word FROM sensitive_words WHERE shop_id = ? ORDER BY position")
                .bind(shop.0)
                .fetch_all(&self.reader)
                .await?;
        let (mode, updated_at) = match settings {
            Some((mode, at)) => (
                ModerationMode::parse(&mode).map_err(|e| StoreError::Corrupt(format!("shop {shop}: {e}")))?,
                Some(Timestamp(at)),
            ),
            None => (ModerationMode::default(), None),
        };
        Ok(ModerationPolicy { mode, words, updated_at })
    }

    async fn save_moderation_policy(&self, shop: ShopId, mode: ModerationMode, words: &[String]) -> Result<()> {
        let now = self.clock.now().millis();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO moderation_settings (shop_id, mode, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (shop_id) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at",
        )
        .bind(shop.0)
        .bind(mode.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sensitive_words WHERE shop_id = ?").bind(shop.0).execute(&mut *tx).await?;
        for (position, word) in words.iter().enumerate() {
            sqlx::query("INSERT INTO sensitive_words (shop_id, position, word) VALUES (?, ?, ?)")
                .bind(shop.0)
                .bind(position as i64)
                .bind(word)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ShopSettings, ShopStore};
    use std::sync::Arc;
    use zhibo_domain::VirtualClock;

    #[tokio::test]
    async fn a_policy_is_saved_whole_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let clock = VirtualClock::starting_at(Timestamp(1_000));
        let store = SqliteStore::open(&dir.path().join("z.db"), Arc::new(clock.clone())).await.unwrap();
        let settings = ShopSettings { unpaid_order_timeout_minutes: 30, default_language: "zh-CN".into() };
        let shop = store.create_shop("店", &settings).await.unwrap();
        let other = store.create_shop("别家", &settings).await.unwrap();
        assert_eq!(store.moderation_policy(shop).await.unwrap(), ModerationPolicy::default());
        let words = vec!["私聊".to_owned(), "加微信".to_owned()];
        store.save_moderation_policy(shop, ModerationMode::Hold, &words).await.unwrap();
        let saved = store.moderation_policy(shop).await.unwrap();
        assert_eq!(
            (saved.mode, saved.words.clone(), saved.updated_at),
            (ModerationMode::Hold, words, Some(Timestamp(1_000)))
        );
        store.save_moderation_policy(shop, ModerationMode::Block, &["最便宜".to_owned()]).await.unwrap();
        let saved = store.moderation_policy(shop).await.unwrap();
        assert_eq!((saved.mode, saved.words), (ModerationMode::Block, vec!["最便宜".to_owned()]));
        assert!(store.moderation_policy(other).await.unwrap().words.is_empty());
    }
}
