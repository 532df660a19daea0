//! The SQLite backend: opening the file, its connection pools, migrations,
//! and the admin operations. Each store trait lives in its own submodule.
//!
//! # Connections
//!
//! A writer pool of exactly ONE connection carries every write, and a pool
//! of a few reader connections carries every read. SQLite allows one writer
//! at a time anyway; making that one connection a pool slot means writers in
//! this process queue fairly in the pool instead of spinning in SQLite's busy
//! handler, and WAL lets the readers run beside the writer without blocking
//! it. Multi-statement writes still begin with `BEGIN IMMEDIATE` (through
//! sqlx's `begin_with`), which takes the write lock up front where
//! `busy_timeout` applies; a plain `BEGIN` that later writes can fail with
//! `SQLITE_BUSY` the busy handler never retries, which matters as soon as
//! another process (the `zhibo` CLI, an sqlite3 shell) touches the file.
//!
//! # Durability
//!
//! `synchronous=FULL`: in WAL mode that fsyncs the log on every commit, so an
//! appended event that was acknowledged survives a power cut. `NORMAL` would
//! only survive a crash of the process and could lose the last commits on
//! power loss, which breaks the event log's promise ("acknowledged only once
//! durable"). Group commit (see [`crate::event_log`]) is what keeps FULL
//! cheap: one fsync per batch, not per event.

mod accounts;
mod catalog;
mod events;
mod flash_sales;
mod imports;
mod moderation;
mod orders;
mod promotions;
mod recordings;
mod sessions;
mod shops;
mod shows;
mod stock;
mod stream_keys;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use zhibo_domain::Clock;

use crate::event_log::{GroupCommit, MAX_BATCH};
use crate::{AdminStore, Result, StoreError};

/// The SQLite schema, compiled into the binary.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Reader connections: enough for the web layer's concurrent pages on a
/// small machine; each is a thread in sqlx's SQLite driver.
const READERS: u32 = 4;

/// zhibo's store on one SQLite file. Cloning shares the pools and the event
/// log writer.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    log: GroupCommit,
    clock: Arc<dyn Clock>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path` and applies any
    /// pending migrations.
    pub async fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<SqliteStore> {
        let store = Self::open_without_migrating(path, clock).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens the database without touching its schema, for `zhibo migrate`
    /// to show what is applied before applying anything.
    pub async fn open_without_migrating(path: &Path, clock: Arc<dyn Clock>) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        // A local file connection does not go stale, so the pools skip the
        // ping before each use. The writer connects first: it creates the
        // file and switches it to WAL before any reader opens it.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let reader =
            SqlitePoolOptions::new().max_connections(READERS).test_before_acquire(false).connect_with(options).await?;
        let log = GroupCommit::spawn(events::SqliteLogWriter::new(writer.clone(), clock.clone()), MAX_BATCH);
        Ok(SqliteStore { writer, reader, log, clock })
    }

    /// Applies pending migrations and returns the versions it applied.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let before = self.applied_migrations().await?;
        MIGRATOR.run(&self.writer).await?;
        let after = self.applied_migrations().await?;
        Ok(after.into_iter().filter(|v| !before.contains(v)).collect())
    }

    /// Versions of the migrations applied to this database, oldest first.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>> {
        let tracked: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations')",
        )
        .fetch_one(&self.reader)
        .await?;
        if !tracked {
            return Ok(Vec::new());
        }
        let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.reader)
            .await?;
        Ok(versions)
    }

    /// How many batches the event log writer has committed (see
    /// [`GroupCommit::commits`]).
    pub fn commits(&self) -> u64 {
        self.log.commits()
    }

    /// Runs SQLite's `PRAGMA integrity_check`; anything but "ok" is
    /// [`StoreError::Corrupt`]. For checking a backup.
    pub async fn integrity_check(&self) -> Result<()> {
        let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.reader).await?;
        if report == ["ok"] { Ok(()) } else { Err(StoreError::Corrupt(report.join("; "))) }
    }

    /// Closes every connection. When the last one closes SQLite checkpoints
    /// the WAL into the main file, so call this on a clean shutdown. Appends
    /// after this fail.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// `VACUUM INTO` copies the database inside one read transaction: a
    /// consistent snapshot taken on a reader connection, so the writer (and
    /// the event log) keeps going while it runs.
    async fn backup_to(&self, path: &Path) -> Result<()> {
        if tokio::fs::try_exists(path).await? {
            return Err(StoreError::Conflict(format!("backup file {}", path.display())));
        }
        let target = path.to_str().ok_or_else(|| {
            StoreError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, "backup path is not valid UTF-8"))
        })?;
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.reader).await?;
        Ok(())
    }
}

/// Turns a constraint violation into what the caller can act on: a taken
/// unique value becomes [`StoreError::Conflict`]`(taken)`, a missing parent
/// row [`StoreError::NotFound`]`(parent)`.
fn constraint_error(err: sqlx::Error, taken: impl FnOnce() -> String, parent: impl FnOnce() -> String) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(taken()),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound(parent()),
        _ => StoreError::Database(err),
    }
}

/// A count or id read back from SQLite's signed integers.
fn to_u64(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::{Timestamp, VirtualClock};

    /// The settings the durability and locking arguments above rest on, as
    /// every connection of both pools sees them.
    #[tokio::test]
    async fn every_connection_is_wal_fully_synchronous_with_foreign_keys_and_a_busy_timeout() {
        let dir = tempfile::TempDir::new().unwrap();
        let clock = Arc::new(VirtualClock::starting_at(Timestamp(0)));
        let store = SqliteStore::open(&dir.path().join("z.db"), clock).await.unwrap();
        for pool in [&store.writer, &store.reader] {
            let mut conn = pool.acquire().await.unwrap();
            let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
            let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
            let busy_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(&mut *conn).await.unwrap();
            assert_eq!((journal.as_str(), synchronous, foreign_keys, busy_ms), ("wal", 2, 1, 5000));
        }
    }
}
