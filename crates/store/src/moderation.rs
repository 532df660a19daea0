//! Persistence of a shop's comment-moderation policy: its sensitive-word
//! list and whether a hit is blocked or held for review. The rules for what
//! a valid list is are the domain's ([`zhibo_domain::moderation`]); the
//! store keeps the list in the shop's order and replaces it as a whole.

use async_trait::async_trait;
use zhibo_domain::moderation::ModerationMode;
use zhibo_domain::{ShopId, Timestamp};

use crate::Result;

/// A shop's moderation policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModerationPolicy {
    pub mode: ModerationMode,
    /// In the order the shop typed them.
    pub words: Vec<String>,
    /// `None` until the shop first saves a policy.
    pub updated_at: Option<Timestamp>,
}

#[async_trait]
pub trait ModerationStore: Send + Sync {
    /// The shop's policy; a shop that never saved one blocks and has no
    /// words.
    async fn moderation_policy(&self, shop: ShopId) -> Result<ModerationPolicy>;
    /// Replaces the shop's mode and word list, all or nothing.
    async fn save_moderation_policy(&self, shop: ShopId, mode: ModerationMode, words: &[String]) -> Result<()>;
}
