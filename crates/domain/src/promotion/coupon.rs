//! 优惠券: the coupon template a shop issues and buyers claim.
//!
//! A coupon has two windows: when it may be claimed (领取时间) and when a
//! claimed coupon may be used (使用时间). Claiming, the total quantity and
//! the per-buyer limit are enforced by the store under concurrency; the
//! pricing engine is handed the buyer's claimed, unused coupons and picks
//! the best one for the order.

use serde::{Deserialize, Serialize};

use super::check::Problems;
use super::rules::MAX_FLASH_STOCK;
use super::{Rate, Scope, check_budget, check_name, check_window};
use crate::ids::CouponId;
use crate::{DomainError, Fen, Timestamp};

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponBenefit {
    /// 满减券 / 无门槛券: a fixed amount.
    AmountOff(Fen),
    /// 折扣券: a rate off, optionally at most `cap` (最多减).
    PercentOff { off: Rate, cap: Option<Fen> },
}

impl CouponBenefit {
    /// The money off `amount` before it is limited to what is left to pay.
    pub fn value_on(self, amount: Fen) -> Fen {
        match self {
            CouponBenefit::AmountOff(off) => off,
            CouponBenefit::PercentOff { off, cap } => {
                let value = off.discount_on(amount);
                cap.map_or(value, |cap| value.min(cap))
            }
        }
    }
}

/// A coupon as entered, before any check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponDraft {
    pub id: CouponId,
    pub name: String,
    pub scope: Scope,
    /// 使用门槛: the covered amount needed; `Fen(0)` is a 无门槛券.
    pub threshold: Fen,
    pub benefit: CouponBenefit,
    /// How many may be claimed in all.
    pub total_quantity: u32,
    /// How many one buyer may claim.
    pub per_buyer_limit: u32,
    pub claim_starts_at: Timestamp,
    pub claim_ends_at: Timestamp,
    pub use_starts_at: Timestamp,
    pub use_ends_at: Timestamp,
    pub budget: Option<Fen>,
}

/// A checked coupon template. Build it with [`Coupon::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Coupon {
    draft: CouponDraft,
}

impl Coupon {
    /// Checks every field and reports every problem at once.
    pub fn new(mut draft: CouponDraft) -> Result<Coupon, Vec<DomainError>> {
        let mut problems = Problems::default();
        draft.name = check_name(&mut problems, &draft.name);
        draft.scope.normalize(&mut problems, "scope");
        problems.amount("threshold", "使用门槛", "threshold", draft.threshold);
        match draft.benefit {
            CouponBenefit::AmountOff(off) => {
                problems.positive_amount("amount_off", "优惠金额", "amount off", off);
                if draft.threshold.0 > 0 && off.0 > 0 && off >= draft.threshold {
                    // 满50减80 would pay the buyer to order: a typo, never a plan.
                    problems.push(
                        "amount_off",
                        "优惠金额须小于使用门槛 / the coupon must be worth less than its threshold",
                    );
                }
            }
            CouponBenefit::PercentOff { off, cap } => {
                off.check(&mut problems, "percent_off", "");
                if let Some(cap) = cap {
                    problems.positive_amount("cap", "最多优惠", "cap", cap);
                }
            }
        }
        problems.count("total_quantity", "发放总量", "total quantity", draft.total_quantity, MAX_FLASH_STOCK);
        if draft.per_buyer_limit == 0 || draft.per_buyer_limit > draft.total_quantity.max(1) {
            problems
                .push("per_buyer_limit", "每人限领须在1到发放总量之间 / the per-buyer limit must be 1 to the total");
        }
        check_window(&mut problems, "claim_ends_at", draft.claim_starts_at, draft.claim_ends_at);
        check_window(&mut problems, "use_ends_at", draft.use_starts_at, draft.use_ends_at);
        if draft.use_ends_at <= draft.claim_starts_at {
            problems.push("use_ends_at", "使用期须在开始领取之后结束 / the use window must end after claiming opens");
        }
        check_budget(&mut problems, draft.budget);
        problems.finish(Coupon { draft })
    }

    pub fn id(&self) -> CouponId {
        self.draft.id
    }

    pub fn name(&self) -> &str {
        &self.draft.name
    }

    pub fn scope(&self) -> &Scope {
        &self.draft.scope
    }

    pub fn threshold(&self) -> Fen {
        self.draft.threshold
    }

    pub fn benefit(&self) -> CouponBenefit {
        self.draft.benefit
    }

    pub fn total_quantity(&self) -> u32 {
        self.draft.total_quantity
    }

    pub fn per_buyer_limit(&self) -> u32 {
        self.draft.per_buyer_limit
    }

    pub fn budget(&self) -> Option<Fen> {
        self.draft.budget
    }

    pub fn use_ends_at(&self) -> Timestamp {
        self.draft.use_ends_at
    }

    /// May be claimed at `now`: `claim_starts_at <= now < claim_ends_at`.
    pub fn is_claimable_at(&self, now: Timestamp) -> bool {
        self.draft.claim_starts_at <= now && now < self.draft.claim_ends_at
    }

    /// A claimed coupon may be used at `now`: `use_starts_at <= now < use_ends_at`.
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        self.draft.use_starts_at <= now && now < self.draft.use_ends_at
    }

    /// Whether `base` (the covered amount) reaches the threshold. A 无门槛券
    /// still needs something covered to take money off.
    pub fn is_reached_by(&self, base: Fen) -> bool {
        if self.draft.threshold.0 == 0 { base.0 > 0 } else { base >= self.draft.threshold }
    }

    pub fn draft(&self) -> &CouponDraft {
        &self.draft
    }
}
