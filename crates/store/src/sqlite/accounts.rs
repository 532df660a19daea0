//! Accounts: who can sign in, to which shop, in which role.

use async_trait::async_trait;
use zhibo_domain::account::Username;
use zhibo_domain::{Role, ShopId, Timestamp, UserId};

use super::{SqliteStore, constraint_error};
use crate::{AccountStore, NewUser, Result, StoreError, UserRecord};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    shop_id: i64,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    created_at: i64,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<UserRecord> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| StoreError::Corrupt(format!("user {} has unknown role {:?}", row.id, row.role)))?;
        Ok(UserRecord {
            id: UserId(row.id),
            shop: ShopId(row.shop_id),
            username: row.username,
            display_name: row.display_name,
            role,
            password_hash: row.password_hash,
            created_at: Timestamp(row.created_at),
        })
    }
}

const SELECT_USER: &str = "SELECT id, shop_id, username, display_name, role, password_hash, created_at FROM users";

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: &NewUser) -> Result<UserId> {
        let id = sqlx::query_scalar(
            "INSERT INTO users (shop_id, username, display_name, role, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(user.shop.0)
        .bind(user.username.as_str())
        .bind(user.display_name.as_str())
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(self.clock.now().millis())
        .fetch_one(&self.writer)
        .await
        .map_err(|err| {
            constraint_error(err, || format!("username {}", user.username.as_str()), || format!("shop {}", user.shop))
        })?;
        Ok(UserId(id))
    }

    async fn user_by_username(&self, username: &Username) -> Result<Option<UserRecord>> {
        let row = sqlx::query_as::<_, UserRow>(&format!("{SELECT_USER} WHERE username = ?"))
            .bind(username.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(UserRecord::try_from).transpose()
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>> {
        let row = sqlx::query_as::<_, UserRow>(&format!("{SELECT_USER} WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await?;
        row.map(UserRecord::try_from).transpose()
    }

    async fn users_of_shop(&self, shop: ShopId) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query_as::<_, UserRow>(&format!("{SELECT_USER} WHERE shop_id = ? ORDER BY id"))
            .bind(shop.0)
            .fetch_all(&self.reader)
            .await?;
        rows.into_iter().map(UserRecord::try_from).collect()
    }

    async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id.0)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        Ok(())
    }
}
