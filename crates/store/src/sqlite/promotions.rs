//! Promotions and coupon claims on SQLite. Claims and budget spending are
//! single guarded statements on the one writer connection (or an IMMEDIATE
//! transaction where two statements must agree), so concurrent buyers can
//! never push a count past its limit.

use async_trait::async_trait;
use zhibo_domain::{Fen, ShopId, Timestamp, UserId};

use super::{SqliteStore, constraint_error};
use crate::promotions::{ClaimOutcome, CouponClaimRecord, CouponLimits, NewPromotion, PromotionRecord, PromotionStore};
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
struct PromotionRow {
    id: i64,
    shop_id: i64,
    show_id: Option<i64>,
    kind: String,
    name: String,
    starts_at: i64,
    ends_at: i64,
    budget_fen: Option<i64>,
    spent_fen: i64,
    rule: String,
    active: i64,
    coupon_total: Option<i64>,
    coupon_per_buyer: Option<i64>,
    coupon_claimed: i64,
    created_at: i64,
}

impl TryFrom<PromotionRow> for PromotionRecord {
    type Error = StoreError;
    fn try_from(row: PromotionRow) -> Result<PromotionRecord> {
        let rule = serde_json::from_str(&row.rule)
            .map_err(|e| StoreError::Corrupt(format!("promotion {} rule is not JSON: {e}", row.id)))?;
        let coupon = match (row.coupon_total, row.coupon_per_buyer) {
            (Some(total), Some(per_buyer)) => Some(CouponLimits { total, per_buyer }),
            _ => None,
        };
        Ok(PromotionRecord {
            id: row.id,
            shop: ShopId(row.shop_id),
            show: row.show_id,
            kind: row.kind,
            name: row.name,
            starts_at: Timestamp(row.starts_at),
            ends_at: Timestamp(row.ends_at),
            budget: row.budget_fen.map(Fen),
            spent: Fen(row.spent_fen),
            rule,
            active: row.active == 1,
            coupon,
            coupon_claimed: row.coupon_claimed,
            created_at: Timestamp(row.created_at),
        })
    }
}

const SELECT_PROMOTION: &str = "SELECT id, shop_id, show_id, kind, name, starts_at, ends_at, budget_fen, spent_fen, \
     rule, active, coupon_total, coupon_per_buyer, coupon_claimed, created_at FROM promotions";

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: i64,
    coupon_id: i64,
    buyer_id: i64,
    claimed_at: i64,
    used_at: Option<i64>,
    used_for: Option<String>,
}

impl From<ClaimRow> for CouponClaimRecord {
    fn from(row: ClaimRow) -> Self {
        CouponClaimRecord {
            id: row.id,
            coupon: row.coupon_id,
            buyer: UserId(row.buyer_id),
            claimed_at: Timestamp(row.claimed_at),
            used_at: row.used_at.map(Timestamp),
            used_for: row.used_for,
        }
    }
}

fn records(rows: Vec<PromotionRow>) -> Result<Vec<PromotionRecord>> {
    rows.into_iter().map(PromotionRecord::try_from).collect()
}

#[async_trait]
impl PromotionStore for SqliteStore {
    async fn create_promotion(&self, p: &NewPromotion) -> Result<i64> {
        let id = sqlx::query_scalar(
            "INSERT INTO promotions (shop_id, show_id, kind, name, starts_at, ends_at, budget_fen, rule,
                                     coupon_total, coupon_per_buyer, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(p.shop.0)
        .bind(p.show)
        .bind(&p.kind)
        .bind(&p.name)
        .bind(p.starts_at.millis())
        .bind(p.ends_at.millis())
        .bind(p.budget.map(|b| b.0))
        .bind(p.rule.to_string())
        .bind(p.coupon.map(|c| c.total))
        .bind(p.coupon.map(|c| c.per_buyer))
        .bind(self.clock.now().millis())
        .fetch_one(&self.writer)
        .await
        .map_err(|e| constraint_error(e, || format!("promotion {}", p.name), || format!("shop {}", p.shop)))?;
        Ok(id)
    }

    async fn promotion(&self, id: i64) -> Result<Option<PromotionRecord>> {
        let row = sqlx::query_as::<_, PromotionRow>(&format!("{SELECT_PROMOTION} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(PromotionRecord::try_from).transpose()
    }

    async fn promotions_of_shop(&self, shop: ShopId) -> Result<Vec<PromotionRecord>> {
        let rows = sqlx::query_as::<_, PromotionRow>(&format!("{SELECT_PROMOTION} WHERE shop_id = ? ORDER BY id DESC"))
            .bind(shop.0)
            .fetch_all(&self.reader)
            .await?;
        records(rows)
    }

    async fn live_promotions(&self, shop: ShopId, now: Timestamp) -> Result<Vec<PromotionRecord>> {
        let rows = sqlx::query_as::<_, PromotionRow>(&format!(
            "{SELECT_PROMOTION} WHERE shop_id = ? AND active = 1 AND starts_at <= ? AND ends_at > ? ORDER BY id"
        ))
        .bind(shop.0)
        .bind(now.millis())
        .bind(now.millis())
        .fetch_all(&self.reader)
        .await?;
        records(rows)
    }

    async fn set_promotion_active(&self, id: i64, active: bool) -> Result<()> {
        let done = sqlx::query("UPDATE promotions SET active = ? WHERE id = ?")
            .bind(i64::from(active))
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("promotion {id}")));
        }
        Ok(())
    }

    async fn spend_promotion_budget(&self, id: i64, amount: Fen) -> Result<bool> {
        if amount.0 < 0 {
            return Err(StoreError::Corrupt(format!("negative spend {amount} on promotion {id}")));
        }
        // One guarded UPDATE: the check and the addition cannot be split.
        let done = sqlx::query(
            "UPDATE promotions SET spent_fen = spent_fen + ?1
             WHERE id = ?2 AND (budget_fen IS NULL OR spent_fen + ?1 <= budget_fen)",
        )
        .bind(amount.0)
        .bind(id)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        match self.promotion(id).await? {
            Some(_) => Ok(false),
            None => Err(StoreError::NotFound(format!("promotion {id}"))),
        }
    }

    async fn claim_coupon(&self, coupon: i64, buyer: UserId, now: Timestamp) -> Result<ClaimOutcome> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let limits: Option<(Option<i64>, Option<i64>, i64)> =
            sqlx::query_as("SELECT coupon_total, coupon_per_buyer, coupon_claimed FROM promotions WHERE id = ?")
                .bind(coupon)
                .fetch_optional(&mut *tx)
                .await?;
        let (total, per_buyer, claimed) = match limits {
            Some((Some(total), Some(per_buyer), claimed)) => (total, per_buyer, claimed),
            Some(_) => return Err(StoreError::NotFound(format!("coupon {coupon} (promotion is not a coupon)"))),
            None => return Err(StoreError::NotFound(format!("coupon {coupon}"))),
        };
        if claimed >= total {
            return Ok(ClaimOutcome::SoldOut);
        }
        let mine: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coupon_claims WHERE coupon_id = ? AND buyer_id = ?")
            .bind(coupon)
            .bind(buyer.0)
            .fetch_one(&mut *tx)
            .await?;
        if mine >= per_buyer {
            return Ok(ClaimOutcome::LimitReached);
        }
        sqlx::query("UPDATE promotions SET coupon_claimed = coupon_claimed + 1 WHERE id = ?")
            .bind(coupon)
            .execute(&mut *tx)
            .await?;
        let claim_id = sqlx::query_scalar(
            "INSERT INTO coupon_claims (coupon_id, buyer_id, claimed_at) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(coupon)
        .bind(buyer.0)
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| constraint_error(e, || format!("claim of coupon {coupon}"), || format!("buyer {buyer}")))?;
        tx.commit().await?;
        Ok(ClaimOutcome::Claimed { claim_id })
    }

    async fn unused_claims(&self, buyer: UserId) -> Result<Vec<CouponClaimRecord>> {
        let rows = sqlx::query_as::<_, ClaimRow>(
            "SELECT id, coupon_id, buyer_id, claimed_at, used_at, used_for FROM coupon_claims
             WHERE buyer_id = ? AND used_at IS NULL ORDER BY id",
        )
        .bind(buyer.0)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(CouponClaimRecord::from).collect())
    }

    async fn use_claim(&self, claim: i64, buyer: UserId, used_for: &str, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE coupon_claims SET used_at = ?, used_for = ? WHERE id = ? AND buyer_id = ? AND used_at IS NULL",
        )
        .bind(now.millis())
        .bind(used_for)
        .bind(claim)
        .bind(buyer.0)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn coupon_claimants(&self, coupon: i64) -> Result<Vec<UserId>> {
        // coupon_claims_by_coupon_buyer answers this from the index alone.
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT buyer_id FROM coupon_claims WHERE coupon_id = ? ORDER BY buyer_id")
                .bind(coupon)
                .fetch_all(&self.reader)
                .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }
}
