//! The store's one error type.

/// What can go wrong in storage. `NotFound` and `Conflict` are for the caller
/// to act on (a 404, a "name taken" message); the rest are unexpected.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness rule was hit; the text names what was taken.
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The batch this append was committed with failed, so nothing of it
    /// was stored; the text is the batch's error. Retrying is safe.
    #[error("the event was not stored, its batch failed: {0}")]
    BatchFailed(String),
    #[error("the event log writer has stopped")]
    WriterStopped,
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}
