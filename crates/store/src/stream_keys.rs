//! RTMP stream keys: which show a publisher's key opens. The store keeps
//! only each key's SHA-256 (hex); the media layer makes and hashes keys.

use async_trait::async_trait;
use zhibo_domain::{RoomId, ShopId, Timestamp};

use crate::Result;

/// A show's usable key, without the key itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamKeyRecord {
    pub show: RoomId,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait StreamKeyStore: Send + Sync {
    /// Makes `key_hash` the show's key, revoking the previous one, in one
    /// transaction. [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// when the show is not the shop's.
    async fn replace_stream_key(&self, shop: ShopId, show: RoomId, key_hash: &str) -> Result<StreamKeyRecord>;
    /// Revokes the show's key; `false` when it had none.
    async fn revoke_stream_key(&self, shop: ShopId, show: RoomId) -> Result<bool>;
    /// The show's usable key, if any.
    async fn stream_key_of(&self, shop: ShopId, show: RoomId) -> Result<Option<StreamKeyRecord>>;
    /// The show a usable key opens.
    async fn show_for_stream_key(&self, key_hash: &str) -> Result<Option<RoomId>>;
}
