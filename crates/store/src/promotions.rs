//! Persistence of promotions and coupon claims, as the store sees them.
//!
//! The rule itself is the domain's business and travels as JSON; the store
//! enforces only what must hold under concurrency: a coupon is never claimed
//! more often than its total or a buyer's limit, a claim is used at most
//! once, and a promotion never spends beyond its budget.

use async_trait::async_trait;
use zhibo_domain::ids::{CouponId, PromotionId};
use zhibo_domain::promotion::{Coupon, CouponDraft, Promotion, PromotionDraft, PromotionKind};
use zhibo_domain::{Fen, ShopId, Timestamp, UserId};

use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct PromotionRecord {
    pub id: i64,
    pub shop: ShopId,
    pub show: Option<i64>,
    /// The rule's kind, e.g. `full_reduction`, `coupon` (for listing and filtering).
    pub kind: String,
    pub name: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub budget: Option<Fen>,
    pub spent: Fen,
    /// The domain rule, as JSON.
    pub rule: serde_json::Value,
    pub active: bool,
    pub coupon: Option<CouponLimits>,
    /// Coupons: how many have been claimed so far.
    pub coupon_claimed: i64,
    pub created_at: Timestamp,
}

/// How many of a coupon may be claimed, in all and by one buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CouponLimits {
    pub total: i64,
    pub per_buyer: i64,
}

#[derive(Debug, Clone)]
pub struct NewPromotion {
    pub shop: ShopId,
    pub show: Option<i64>,
    pub kind: String,
    pub name: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub budget: Option<Fen>,
    pub rule: serde_json::Value,
    pub coupon: Option<CouponLimits>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    Claimed {
        claim_id: i64,
    },
    /// Every coupon of the total has been claimed.
    SoldOut,
    /// This buyer holds as many as the per-buyer limit allows.
    LimitReached,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponClaimRecord {
    pub id: i64,
    pub coupon: i64,
    pub buyer: UserId,
    pub claimed_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub used_for: Option<String>,
}

#[async_trait]
pub trait PromotionStore: Send + Sync {
    async fn create_promotion(&self, promotion: &NewPromotion) -> Result<i64>;
    async fn promotion(&self, id: i64) -> Result<Option<PromotionRecord>>;
    /// Newest first.
    async fn promotions_of_shop(&self, shop: ShopId) -> Result<Vec<PromotionRecord>>;
    /// Active promotions of the shop whose window contains `now`.
    async fn live_promotions(&self, shop: ShopId, now: Timestamp) -> Result<Vec<PromotionRecord>>;
    async fn set_promotion_active(&self, id: i64, active: bool) -> Result<()>;
    /// Adds `amount` to what the promotion has spent, unless that would pass
    /// its budget; `Ok(false)` then, and nothing changes.
    async fn spend_promotion_budget(&self, id: i64, amount: Fen) -> Result<bool>;
    /// Claims one coupon for `buyer`, atomically against the total and the
    /// buyer's limit. The caller checks the claim window.
    async fn claim_coupon(&self, coupon: i64, buyer: UserId, now: Timestamp) -> Result<ClaimOutcome>;
    /// The buyer's claims that are not used yet, oldest first.
    async fn unused_claims(&self, buyer: UserId) -> Result<Vec<CouponClaimRecord>>;
    /// Marks a claim used for `used_for` (an order number). `Ok(false)` when
    /// it was already used or is not this buyer's: a claim is used once.
    async fn use_claim(&self, claim: i64, buyer: UserId, used_for: &str, now: Timestamp) -> Result<bool>;
    /// Every buyer who holds a claim of `coupon`, used or not, by id: who a
    /// 领券提醒 must leave out (the live room's coupon reminder).
    async fn coupon_claimants(&self, coupon: i64) -> Result<Vec<UserId>>;
}

// ------------------------------------------------ to and from the domain

/// The record to store for a checked promotion.
pub fn new_promotion(shop: ShopId, show: Option<i64>, promotion: &Promotion) -> Result<NewPromotion> {
    let rule = serde_json::to_value(promotion.rule()).map_err(|e| StoreError::Corrupt(format!("rule to JSON: {e}")))?;
    Ok(NewPromotion {
        shop,
        show,
        kind: promotion.kind().as_str().to_owned(),
        name: promotion.name().to_owned(),
        starts_at: promotion.starts_at(),
        ends_at: promotion.ends_at(),
        budget: promotion.budget(),
        rule,
        coupon: None,
    })
}

/// The record to store for a checked coupon. Its window in the store spans
/// both the claim and the use windows, so `live_promotions` lists a coupon
/// while it can be claimed or used.
pub fn new_coupon(shop: ShopId, coupon: &Coupon) -> Result<NewPromotion> {
    let draft = coupon.draft();
    let rule = serde_json::to_value(draft).map_err(|e| StoreError::Corrupt(format!("coupon to JSON: {e}")))?;
    Ok(NewPromotion {
        shop,
        show: None,
        kind: PromotionKind::Coupon.as_str().to_owned(),
        name: coupon.name().to_owned(),
        starts_at: draft.claim_starts_at.min(draft.use_starts_at),
        ends_at: draft.claim_ends_at.max(draft.use_ends_at),
        budget: coupon.budget(),
        rule,
        coupon: Some(CouponLimits {
            total: i64::from(coupon.total_quantity()),
            per_buyer: i64::from(coupon.per_buyer_limit()),
        }),
    })
}

/// What a stored record is, read back into checked domain values.
#[derive(Debug, Clone)]
pub enum StoredPromotion {
    Promotion(Promotion),
    Coupon(Coupon),
}

impl PromotionRecord {
    /// Rebuilds and re-checks the domain value; stored data that no longer
    /// passes the domain's rules is [`StoreError::Corrupt`].
    pub fn to_domain(&self) -> Result<StoredPromotion> {
        let corrupt = |what: String| StoreError::Corrupt(format!("promotion {}: {what}", self.id));
        if self.kind == PromotionKind::Coupon.as_str() {
            let mut draft: CouponDraft =
                serde_json::from_value(self.rule.clone()).map_err(|e| corrupt(e.to_string()))?;
            draft.id = CouponId(self.id);
            let coupon = Coupon::new(draft).map_err(|errors| corrupt(format!("{errors:?}")))?;
            return Ok(StoredPromotion::Coupon(coupon));
        }
        let rule = serde_json::from_value(self.rule.clone()).map_err(|e| corrupt(e.to_string()))?;
        let draft = PromotionDraft {
            id: PromotionId(self.id),
            name: self.name.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            budget: self.budget,
            rule,
        };
        Promotion::new(draft).map(StoredPromotion::Promotion).map_err(|errors| corrupt(format!("{errors:?}")))
    }
}
