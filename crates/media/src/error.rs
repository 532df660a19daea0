//! The media layer's one error type.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum MediaError {
    /// The peer broke the protocol or a limit; its connection is dropped.
    #[error("RTMP protocol: {0}")]
    Protocol(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("store: {0}")]
    Store(#[from] zhibo_store::StoreError),
}
