//! Signed-in browsers, kept as hashes of their cookie tokens.

use async_trait::async_trait;
use zhibo_domain::{Timestamp, UserId};

use super::{SqliteStore, constraint_error};
use crate::{Result, SessionRecord, SessionStore};

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    user_id: i64,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

impl From<SessionRow> for SessionRecord {
    fn from(row: SessionRow) -> SessionRecord {
        SessionRecord {
            token_hash: row.token_hash,
            user: UserId(row.user_id),
            csrf_token: row.csrf_token,
            created_at: Timestamp(row.created_at),
            expires_at: Timestamp(row.expires_at),
        }
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &SessionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&session.token_hash)
        .bind(session.user.0)
        .bind(&session.csrf_token)
        .bind(session.created_at.millis())
        .bind(session.expires_at.millis())
        .execute(&self.writer)
        .await
        .map_err(|err| constraint_error(err, || "session token".into(), || format!("user {}", session.user)))?;
        Ok(())
    }

    async fn live_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        // Expired rows linger until the purge; they must never sign anyone in.
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT token_hash, user_id, csrf_token, created_at, expires_at
             FROM sessions WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(SessionRecord::from))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    async fn delete_other_sessions(&self, user: UserId, keep: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")
            .bind(user.0)
            .bind(keep)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(now.millis()).execute(&self.writer).await?;
        Ok(done.rows_affected())
    }
}
