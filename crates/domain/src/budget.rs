//! 促销成本测算 (I1.2.4): what a planned show's promotions are expected to
//! cost, from the sales the planner expects, set against the show's
//! promotion budget.
//!
//! The model is deliberately plain, so a planner can check it by hand:
//! the planner describes a typical order (the basket) and how many such
//! orders the show should bring. The pricing engine prices the basket at the
//! show's time with the promotions that will be in force; each discount the
//! engine grants one order is a cost per order, multiplied by the expected
//! orders. Coupons cost only on the orders expected to use one (a usage
//! rate), and never more than the coupon's quantity allows. Gifts cost what
//! the gift SKU costs the shop. The sum is compared with the budget.

use serde::Serialize;

use crate::ids::SkuId;
use crate::pricing::{CartLine, DiscountSource, PricingInput, price_cart};
use crate::promotion::{Coupon, Promotion, PromotionKind};
use crate::{DomainError, Fen, Timestamp};

/// What the planner expects of the show.
#[derive(Debug, Clone)]
pub struct BudgetPlan<'a> {
    /// A typical order.
    pub basket: &'a [CartLine],
    /// How many such orders the show should bring.
    pub orders: u32,
    /// Of those orders, how many use a coupon, in ‰ (0‥1000).
    pub coupon_use_permille: u32,
    /// When the show runs: promotions are taken as in force at this time.
    pub at: Timestamp,
    /// The show's promotion budget.
    pub budget: Fen,
    /// What each gift SKU costs the shop (its cost price), per unit.
    pub gift_costs: &'a [(SkuId, Fen)],
}

/// One promotion's expected cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLine {
    pub kind: PromotionKind,
    /// The promotion's or coupon's id.
    pub id: i64,
    pub name: String,
    /// What it gives one order that uses it.
    pub per_order: Fen,
    /// How many orders it is counted on.
    pub orders: u32,
    pub total: Fen,
    /// The promotion's own budget, if it has one, and whether this estimate passes it.
    pub own_budget: Option<Fen>,
    pub over_own_budget: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetEstimate {
    pub lines: Vec<CostLine>,
    /// What one typical order pays, without and with a coupon.
    pub order_payable: Fen,
    pub order_payable_with_coupon: Fen,
    /// Expected sales at promotion prices (orders × payable, coupons counted).
    pub expected_gmv: Fen,
    pub total_cost: Fen,
    pub budget: Fen,
    /// By how much the cost passes the budget; `None` when within it.
    pub over_by: Option<Fen>,
}

pub fn estimate(
    plan: &BudgetPlan<'_>,
    promotions: &[Promotion],
    coupons: &[Coupon],
) -> Result<BudgetEstimate, Vec<DomainError>> {
    let mut problems = Vec::new();
    if plan.basket.is_empty() {
        problems.push(DomainError::new("basket", "请至少填写一件商品 / the typical order needs at least one item"));
    }
    if plan.orders == 0 || plan.orders > 10_000_000 {
        problems.push(DomainError::new("orders", "预计订单数需在1到10,000,000之间 / expected orders: 1 to 10,000,000"));
    }
    if plan.coupon_use_permille > 1000 {
        problems.push(DomainError::new("coupon_use", "用券比例不能超过100% / coupon usage cannot pass 100%"));
    }
    if plan.budget.0 < 0 {
        problems.push(DomainError::new("budget", "预算不能为负 / the budget must not be negative"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let without = price_cart(&PricingInput::new(plan.basket, promotions, &[], plan.at)).map_err(|e| vec![e])?;
    let with = price_cart(&PricingInput::new(plan.basket, promotions, coupons, plan.at)).map_err(|e| vec![e])?;

    let mut lines: Vec<CostLine> = Vec::new();
    let mut add = |kind, id: i64, name: &str, per_order: Fen, orders: u32, own_budget: Option<Fen>| {
        if let Some(line) = lines.iter_mut().find(|l| l.id == id && l.kind == kind) {
            line.per_order = Fen(line.per_order.0 + per_order.0);
            line.total = Fen(line.per_order.0 * i64::from(line.orders));
        } else {
            lines.push(CostLine {
                kind,
                id,
                name: name.to_owned(),
                per_order,
                orders,
                total: Fen(per_order.0 * i64::from(orders)),
                own_budget,
                over_own_budget: false,
            });
        }
    };
    for d in &without.discounts {
        if let DiscountSource::Promotion(pid) = d.source
            && let Some(p) = promotions.iter().find(|p| p.id() == pid)
        {
            add(d.kind(), pid.0, p.name(), d.amount, plan.orders, p.budget());
        }
    }
    let coupon_orders = (u64::from(plan.orders) * u64::from(plan.coupon_use_permille) / 1000) as u32;
    let mut coupon_cost_orders = 0;
    for d in &with.discounts {
        if let DiscountSource::Coupon(cid) = d.source
            && let Some(c) = coupons.iter().find(|c| c.id() == cid)
        {
            coupon_cost_orders = coupon_orders.min(c.total_quantity());
            add(PromotionKind::Coupon, cid.0, c.name(), d.amount, coupon_cost_orders, c.budget());
        }
    }
    for g in &without.gifts {
        let unit_cost = plan.gift_costs.iter().find(|(sku, _)| *sku == g.sku).map(|(_, c)| *c).unwrap_or(Fen::ZERO);
        let name = promotions.iter().find(|p| p.id() == g.promotion).map(|p| p.name()).unwrap_or("");
        let budget = promotions.iter().find(|p| p.id() == g.promotion).and_then(|p| p.budget());
        add(PromotionKind::Gift, g.promotion.0, name, Fen(unit_cost.0 * i64::from(g.quantity)), plan.orders, budget);
    }
    for line in &mut lines {
        line.over_own_budget = line.own_budget.is_some_and(|b| line.total > b);
    }
    let total_cost = Fen(lines.iter().map(|l| l.total.0).sum());
    let plain_orders = i64::from(plan.orders - coupon_cost_orders);
    let expected_gmv = Fen(without.payable.0 * plain_orders + with.payable.0 * i64::from(coupon_cost_orders));
    Ok(BudgetEstimate {
        lines,
        order_payable: without.payable,
        order_payable_with_coupon: with.payable,
        expected_gmv,
        total_cost,
        budget: plan.budget,
        over_by: (total_cost > plan.budget).then(|| Fen(total_cost.0 - plan.budget.0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CouponId, PromotionId};
    use crate::promotion::{
        CouponBenefit, CouponDraft, FullReduction, Gift, GiftTrigger, PromotionDraft, PromotionRule, ReductionForm,
        ReductionTier, Scope,
    };
    use crate::{ProductId, Timestamp};

    const AT: Timestamp = Timestamp(1_000_000);

    fn line(product: i64, price: i64, qty: u32) -> CartLine {
        CartLine::new(ProductId(product), SkuId(product * 10), Fen(price), qty, None).unwrap()
    }

    fn full_reduction(id: i64, budget: Option<i64>) -> Promotion {
        Promotion::new(PromotionDraft {
            id: PromotionId(id),
            name: "满300减40".into(),
            starts_at: Timestamp(0),
            ends_at: Timestamp(2_000_000),
            budget: budget.map(Fen),
            rule: PromotionRule::FullReduction(FullReduction {
                scope: Scope::Shop,
                form: ReductionForm::Tiers(vec![ReductionTier { threshold: Fen(30_000), off: Fen(4_000) }]),
            }),
        })
        .unwrap()
    }

    fn gift(id: i64) -> Promotion {
        Promotion::new(PromotionDraft {
            id: PromotionId(id),
            name: "满200送茶杯".into(),
            starts_at: Timestamp(0),
            ends_at: Timestamp(2_000_000),
            budget: None,
            rule: PromotionRule::Gift(Gift {
                trigger: GiftTrigger::Spend { threshold: Fen(20_000), scope: Scope::Shop },
                gift_product: ProductId(9),
                gift_sku: SkuId(90),
                quantity: 1,
            }),
        })
        .unwrap()
    }

    fn coupon(id: i64, total: u32) -> Coupon {
        Coupon::new(CouponDraft {
            id: CouponId(id),
            name: "满100减10券".into(),
            scope: Scope::Shop,
            threshold: Fen(10_000),
            benefit: CouponBenefit::AmountOff(Fen(1_000)),
            total_quantity: total,
            per_buyer_limit: 1,
            claim_starts_at: Timestamp(0),
            claim_ends_at: Timestamp(2_000_000),
            use_starts_at: Timestamp(0),
            use_ends_at: Timestamp(2_000_000),
            budget: None,
        })
        .unwrap()
    }

    #[test]
    fn a_hand_checked_estimate_over_budget() {
        // basket: 2 × ¥199 = ¥398 → 满300减40 → ¥358; a coupon takes ¥10 more → ¥348
        // 1000 orders; 30% use the coupon, but only 200 coupons exist
        // cost: 40 × 1000 = 40,000; coupon 10 × 200 = 2,000; gift (cost ¥8) × 1000 = 8,000
        // total ¥50,000 against ¥45,000 → over by ¥5,000
        let basket = [line(1, 19_900, 2)];
        let plan = BudgetPlan {
            basket: &basket,
            orders: 1000,
            coupon_use_permille: 300,
            at: AT,
            budget: Fen(4_500_000),
            gift_costs: &[(SkuId(90), Fen(800))],
        };
        let e = estimate(&plan, &[full_reduction(1, Some(3_000_000)), gift(2)], &[coupon(7, 200)]).unwrap();
        let totals: Vec<_> = e.lines.iter().map(|l| (l.kind, l.per_order.0, l.orders, l.total.0)).collect();
        assert_eq!(
            totals,
            [
                (PromotionKind::FullReduction, 4_000, 1000, 4_000_000),
                (PromotionKind::Coupon, 1_000, 200, 200_000),
                (PromotionKind::Gift, 800, 1000, 800_000),
            ]
        );
        assert_eq!(e.total_cost, Fen(5_000_000));
        assert_eq!(e.over_by, Some(Fen(500_000)));
        assert!(e.lines[0].over_own_budget, "¥40,000 passes its own ¥30,000");
        assert_eq!((e.order_payable, e.order_payable_with_coupon), (Fen(35_800), Fen(34_800)));
        // 800 orders at 358 + 200 at 348
        assert_eq!(e.expected_gmv, Fen(800 * 35_800 + 200 * 34_800));
    }

    #[test]
    fn within_budget_there_is_no_warning_and_promotions_out_of_window_cost_nothing() {
        let basket = [line(1, 19_900, 2)];
        let plan = BudgetPlan {
            basket: &basket,
            orders: 10,
            coupon_use_permille: 0,
            at: Timestamp(3_000_000),
            budget: Fen(100),
            gift_costs: &[],
        };
        let e = estimate(&plan, &[full_reduction(1, None)], &[]).unwrap();
        assert!(e.lines.is_empty());
        assert_eq!((e.total_cost, e.over_by), (Fen(0), None));
    }

    #[test]
    fn bad_plans_name_every_field() {
        let plan =
            BudgetPlan { basket: &[], orders: 0, coupon_use_permille: 1001, at: AT, budget: Fen(-1), gift_costs: &[] };
        let fields: Vec<_> = estimate(&plan, &[], &[]).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["basket", "orders", "coupon_use", "budget"]);
    }
}
