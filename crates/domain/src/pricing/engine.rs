//! The pricing engine's stages, in the order docs/pricing.md states:
//!
//! 1. unit price: 秒杀价 and 直播间专享价 — per unit the lowest wins, they
//!    never stack; flash units are limited by stock and the buyer's limit;
//! 2. 满件折, rate off each covered line, rounded down per line;
//! 3. the threshold base is fixed here: what the lines cost after 1 and 2;
//! 4. 满减 on the base of its covered lines, shared over them;
//! 5. one coupon, the buyer's best, shared over its covered lines;
//! 6. gifts, on the same threshold base.
//!
//! Then a guarantee: a price-level promotion (stage 1 or 2) that pulls the
//! threshold base under a 满减 or coupon threshold can cost the buyer more
//! than it saves. When that happens the engine weighs leaving such
//! promotions out and keeps the cheapest outcome, so adding a promotion never
//! raises what the buyer pays.
//!
//! Lines are processed in a canonical order (product, SKU, price…), not the
//! cart's, so the cart's order cannot change the result.

use super::cart::{CartLine, MAX_LINES, PricingInput};
use super::priced::{
    AppliedDiscount, DiscountDetail, DiscountSource, FlashLimit, GiftLine, GiftReason, PricedCart, PricedLine, Share,
    SkippedPromotion,
};
use crate::promotion::{
    Coupon, FlashSale, FullReduction, Gift, GiftTrigger, LivePrice, Promotion, PromotionRule, QuantityDiscount, Reached,
};
use crate::{DomainError, Fen};

/// Most price-level promotions touching an at-risk threshold whose use is
/// weighed in every combination (2^12 pricings at worst, only in the rare
/// case a threshold is at stake). Beyond it the engine compares "all used"
/// with "none of them used" only.
pub const MAX_SEARCH: usize = 12;

/// Not covered: the line is outside the promotion's scope.
const NONE: u32 = u32::MAX;

/// Prices a cart. Pure: the same input gives the same answer, and nothing
/// but the input is read. Fails only for a cart of more than
/// [`MAX_LINES`] lines.
pub fn price_cart(input: &PricingInput<'_>) -> Result<PricedCart, DomainError> {
    if input.lines.len() > MAX_LINES {
        return Err(DomainError::new(
            "lines",
            format!("购物车最多{MAX_LINES}行 / a cart may hold at most {MAX_LINES} lines"),
        ));
    }
    let prep = Prepared::new(input);
    let mut eval = Eval::new(prep.n);
    let mut skip = vec![false; prep.active.len()];
    eval.run(&prep, &skip);
    let skipped = match prep.search_candidates(&eval) {
        Some(candidates) => search(&prep, &mut eval, &mut skip, &candidates),
        None => Vec::new(),
    };
    Ok(eval.into_cart(&prep, skipped))
}

/// A flash-sale SKU as this buyer may use it now.
struct FlashSlot {
    price: i64,
    /// Units this buyer may still get at the flash price.
    allowance: u32,
    /// What bounds `allowance`, to explain a partial flash price.
    limit: FlashLimit,
}

/// The input sorted and indexed once per call: active promotions by id,
/// each line's coverage by each promotion, usable coupons in tie-break order.
struct Prepared<'a> {
    lines: &'a [CartLine],
    n: usize,
    /// Line indices in canonical order.
    order: Vec<usize>,
    /// Promotions in force at `now`, by id.
    active: Vec<&'a Promotion>,
    live: Vec<(usize, &'a LivePrice)>,
    flash: Vec<(usize, &'a FlashSale)>,
    quantity: Vec<(usize, &'a QuantityDiscount)>,
    reduction: Vec<(usize, &'a FullReduction)>,
    gifts: Vec<(usize, &'a Gift)>,
    /// `slots[p * n + l]`: whether active promotion `p` covers line `l`
    /// (`NONE` if not); for a live price the item's index, for a flash sale
    /// the index into `flash_slots`.
    slots: Vec<u32>,
    flash_slots: Vec<FlashSlot>,
    /// Usable coupons, by (use window end, id): the tie-break order.
    coupons: Vec<&'a Coupon>,
    /// `coupon_covers[c * n + l]`.
    coupon_covers: Vec<bool>,
    /// Each line's unit price × quantity.
    base: Vec<i64>,
}

impl<'a> Prepared<'a> {
    fn new(input: &PricingInput<'a>) -> Prepared<'a> {
        let lines = input.lines;
        let n = lines.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| lines[a].canonical_key().cmp(&lines[b].canonical_key()).then(a.cmp(&b)));

        let mut active: Vec<&Promotion> = input.promotions.iter().filter(|p| p.is_active_at(input.now)).collect();
        active.sort_by_key(|p| p.id());
        let mut prep = Prepared {
            lines,
            n,
            order,
            live: Vec::new(),
            flash: Vec::new(),
            quantity: Vec::new(),
            reduction: Vec::new(),
            gifts: Vec::new(),
            slots: vec![NONE; active.len() * n],
            flash_slots: Vec::new(),
            coupons: Vec::new(),
            coupon_covers: Vec::new(),
            base: lines.iter().map(|l| l.base_total().0).collect(),
            active: Vec::new(),
        };
        // (active promotion, item) of each flash slot, to share a slot between lines of one SKU
        let mut flash_keys: Vec<(usize, usize)> = Vec::new();
        for (p, promo) in active.iter().enumerate() {
            let row = &mut prep.slots[p * n..(p + 1) * n];
            match promo.rule() {
                PromotionRule::LivePrice(rule) => {
                    prep.live.push((p, rule));
                    for (slot, line) in row.iter_mut().zip(lines) {
                        // the SKU's own item first, else its product's
                        if rule.covers_show(line.show())
                            && let Some((i, _)) = rule.item_for(line.product(), line.sku())
                        {
                            *slot = i as u32;
                        }
                    }
                }
                PromotionRule::FlashSale(rule) => {
                    prep.flash.push((p, rule));
                    for (slot, line) in row.iter_mut().zip(lines) {
                        let Some((i, item)) = rule.item_for(line.sku()).filter(|_| rule.covers_show(line.show()))
                        else {
                            continue;
                        };
                        let at = match flash_keys.iter().position(|&k| k == (p, i)) {
                            Some(at) => at,
                            None => {
                                flash_keys.push((p, i));
                                let usage = input
                                    .flash_sale_usage
                                    .iter()
                                    .find(|u| u.promotion == promo.id() && u.sku == item.sku);
                                let (remaining, bought) =
                                    usage.map_or((item.quantity, 0), |u| (u.remaining, u.bought_by_buyer));
                                let stock_left = remaining.min(item.quantity);
                                let buyer_left = item.per_buyer_limit.saturating_sub(bought);
                                let limit = if buyer_left <= stock_left {
                                    FlashLimit::PerBuyer { limit: item.per_buyer_limit, already_bought: bought }
                                } else {
                                    FlashLimit::Stock { left: stock_left }
                                };
                                prep.flash_slots.push(FlashSlot {
                                    price: item.price.0,
                                    allowance: stock_left.min(buyer_left),
                                    limit,
                                });
                                prep.flash_slots.len() - 1
                            }
                        };
                        *slot = at as u32;
                    }
                }
                PromotionRule::QuantityDiscount(rule) => {
                    prep.quantity.push((p, rule));
                    cover(row, lines, |line| rule.scope.contains(line.product()));
                }
                PromotionRule::FullReduction(rule) => {
                    prep.reduction.push((p, rule));
                    cover(row, lines, |line| rule.scope.contains(line.product()));
                }
                PromotionRule::Gift(rule) => {
                    prep.gifts.push((p, rule));
                    match &rule.trigger {
                        GiftTrigger::Spend { scope, .. } => cover(row, lines, |line| scope.contains(line.product())),
                        GiftTrigger::Buy { product, .. } => cover(row, lines, |line| line.product() == *product),
                    }
                }
            }
        }
        prep.active = active;

        prep.coupons = input.coupons.iter().filter(|c| c.is_usable_at(input.now)).collect();
        prep.coupons.sort_by_key(|c| (c.use_ends_at(), c.id()));
        prep.coupon_covers =
            prep.coupons.iter().flat_map(|c| lines.iter().map(|line| c.scope().contains(line.product()))).collect();
        prep
    }

    fn covers(&self, p: usize, line: usize) -> bool {
        self.slots[p * self.n + line] != NONE
    }

    /// Σ of `amounts` over the lines promotion `p` covers.
    fn sum_covered(&self, p: usize, amounts: &[i64]) -> i64 {
        let row = &self.slots[p * self.n..(p + 1) * self.n];
        row.iter().zip(amounts).filter(|(s, _)| **s != NONE).map(|(_, a)| a).sum()
    }

    fn coupon_row(&self, c: usize) -> &[bool] {
        &self.coupon_covers[c * self.n..(c + 1) * self.n]
    }

    fn sum_coupon(&self, c: usize, amounts: &[i64]) -> i64 {
        self.coupon_row(c).iter().zip(amounts).filter(|(covered, _)| **covered).map(|(_, a)| a).sum()
    }

    /// After pricing with every promotion: the price-level promotions worth
    /// weighing, or `None` when no threshold is at stake — every 满减 grants
    /// the same and every coupon is as reachable as it would be at the
    /// cart's own prices, so using everything is already the cheapest.
    fn search_candidates(&self, eval: &Eval) -> Option<Vec<usize>> {
        let reduction_at_risk = |p: usize, rule: &FullReduction| {
            let at = |amounts: &[i64]| rule.reached(Fen(self.sum_covered(p, amounts))).map(Reached::off);
            at(&self.base) != at(&eval.threshold_base)
        };
        let coupon_at_risk = |c: usize| {
            let coupon = self.coupons[c];
            coupon.is_reached_by(Fen(self.sum_coupon(c, &self.base)))
                != coupon.is_reached_by(Fen(self.sum_coupon(c, &eval.threshold_base)))
        };
        // the common case decides without allocating
        let any = self.reduction.iter().any(|&(p, rule)| reduction_at_risk(p, rule))
            || (0..self.coupons.len()).any(coupon_at_risk);
        if !any {
            return None;
        }
        let mut risky = vec![false; self.n];
        for &(p, rule) in &self.reduction {
            if reduction_at_risk(p, rule) {
                (0..self.n).filter(|&l| self.covers(p, l)).for_each(|l| risky[l] = true);
            }
        }
        for c in 0..self.coupons.len() {
            if coupon_at_risk(c) {
                (0..self.n).filter(|&l| self.coupon_row(c)[l]).for_each(|l| risky[l] = true);
            }
        }
        let price_level = self.live.iter().map(|x| x.0).chain(self.flash.iter().map(|x| x.0));
        let mut candidates: Vec<usize> = price_level
            .chain(self.quantity.iter().map(|x| x.0))
            .filter(|&p| (0..self.n).any(|l| risky[l] && self.covers(p, l)))
            .collect();
        candidates.sort_unstable();
        (!candidates.is_empty()).then_some(candidates)
    }
}

fn cover(row: &mut [u32], lines: &[CartLine], covered: impl Fn(&CartLine) -> bool) {
    for (slot, line) in row.iter_mut().zip(lines) {
        if covered(line) {
            *slot = 0;
        }
    }
}

/// Weighs leaving out combinations of `candidates` (price-level promotions)
/// and leaves `eval` holding the cheapest pricing; on a tie, the one that
/// leaves out fewest, then the lowest combination. Returns what was left out.
fn search(prep: &Prepared, eval: &mut Eval, skip: &mut [bool], candidates: &[usize]) -> Vec<SkippedPromotion> {
    let set = |skip: &mut [bool], leave_out: &dyn Fn(usize) -> bool| {
        for (i, &p) in candidates.iter().enumerate() {
            skip[p] = leave_out(i);
        }
    };
    let all_used = eval.payable();
    let chosen: Vec<bool> = if candidates.len() <= MAX_SEARCH {
        let mut best = (all_used, 0u32, 0u32);
        for mask in 1..(1u32 << candidates.len()) {
            set(skip, &|i| mask >> i & 1 == 1);
            eval.run(prep, skip);
            best = best.min((eval.payable(), mask.count_ones(), mask));
        }
        (0..candidates.len()).map(|i| best.2 >> i & 1 == 1).collect()
    } else {
        set(skip, &|_| true);
        eval.run(prep, skip);
        vec![eval.payable() < all_used; candidates.len()]
    };
    set(skip, &|i| chosen[i]);
    eval.run(prep, skip);
    let best = eval.payable();
    let mut skipped = Vec::new();
    for (i, &p) in candidates.iter().enumerate().filter(|(i, _)| chosen[*i]) {
        set(skip, &|j| chosen[j] && j != i);
        eval.run(prep, skip);
        let promo = prep.active[p];
        skipped.push(SkippedPromotion {
            promotion: promo.id(),
            kind: promo.kind(),
            extra_cost: Fen((eval.payable() - best).max(0)),
        });
    }
    if !skipped.is_empty() {
        set(skip, &|i| chosen[i]);
        eval.run(prep, skip);
    }
    skipped
}

/// One line's part of a discount being allocated.
struct Part {
    line: usize,
    share: i64,
    remainder: i64,
    weight: i64,
}

/// One pricing pass. Its buffers are reused between passes.
struct Eval {
    /// What each line costs so far.
    amount: Vec<i64>,
    /// What each line costs after the price-level stages: thresholds are
    /// measured on this.
    threshold_base: Vec<i64>,
    allowance: Vec<u32>,
    discounts: Vec<AppliedDiscount>,
    shares: Vec<Share>,
    gifts: Vec<GiftLine>,
    coupon: Option<crate::ids::CouponId>,
    parts: Vec<Part>,
}

impl Eval {
    fn new(n: usize) -> Eval {
        Eval {
            amount: vec![0; n],
            threshold_base: vec![0; n],
            allowance: Vec::new(),
            discounts: Vec::with_capacity(n + 8),
            shares: Vec::with_capacity(4 * n + 8),
            gifts: Vec::new(),
            coupon: None,
            parts: Vec::with_capacity(n),
        }
    }

    fn payable(&self) -> i64 {
        self.amount.iter().sum()
    }

    fn run(&mut self, prep: &Prepared, skip: &[bool]) {
        self.discounts.clear();
        self.shares.clear();
        self.gifts.clear();
        self.coupon = None;
        self.allowance.clear();
        self.allowance.extend(prep.flash_slots.iter().map(|s| s.allowance));
        self.unit_prices(prep, skip);
        self.quantity_discounts(prep, skip);
        self.threshold_base.copy_from_slice(&self.amount);
        self.full_reductions(prep);
        self.best_coupon(prep);
        self.earn_gifts(prep);
    }

    /// A discount that belongs to one line alone.
    fn record_line(&mut self, line: usize, source: DiscountSource, amount: i64, detail: DiscountDetail) {
        self.shares.push(Share { discount: self.discounts.len(), line, amount: Fen(amount) });
        self.discounts.push(AppliedDiscount { source, amount: Fen(amount), detail });
    }

    /// Stage 1. Per unit the lowest of: the cart's price, the lowest live
    /// price, a flash price while this buyer's allowance lasts (cheapest
    /// flash offer first). Prices never add up: one price per unit.
    fn unit_prices(&mut self, prep: &Prepared, skip: &[bool]) {
        for &l in &prep.order {
            let line = &prep.lines[l];
            let unit = line.unit_price().0;
            let quantity = line.quantity();
            let (mut other, mut other_from) = (unit, None);
            for &(p, rule) in &prep.live {
                let slot = prep.slots[p * prep.n + l];
                if !skip[p] && slot != NONE && rule.items[slot as usize].price.0 < other {
                    other = rule.items[slot as usize].price.0;
                    other_from = Some(p);
                }
            }
            let mut left = quantity;
            let mut amount = 0i64;
            // flash offers are taken in (price, promotion) order, each once
            let mut taken: Option<(i64, usize)> = None;
            while left > 0 {
                let mut next: Option<(i64, usize, usize)> = None;
                for &(p, _) in &prep.flash {
                    let slot = prep.slots[p * prep.n + l];
                    if skip[p] || slot == NONE {
                        continue;
                    }
                    let s = slot as usize;
                    let key = (prep.flash_slots[s].price, p);
                    let fresh = taken.is_none_or(|t| key > t);
                    if key.0 < other && self.allowance[s] > 0 && fresh && next.is_none_or(|n| key < (n.0, n.1)) {
                        next = Some((key.0, p, s));
                    }
                }
                let Some((price, p, s)) = next else { break };
                taken = Some((price, p));
                let units = left.min(self.allowance[s]);
                self.allowance[s] -= units;
                left -= units;
                amount += price * i64::from(units);
                let detail = DiscountDetail::FlashSale {
                    unit_price: Fen(unit),
                    flash_price: Fen(price),
                    units,
                    quantity,
                    limit: (left > 0).then_some(prep.flash_slots[s].limit),
                };
                let source = DiscountSource::Promotion(prep.active[p].id());
                self.record_line(l, source, (unit - price) * i64::from(units), detail);
            }
            amount += other * i64::from(left);
            if let Some(p) = other_from.filter(|_| left > 0) {
                let detail = DiscountDetail::LivePrice { unit_price: Fen(unit), live_price: Fen(other), units: left };
                let source = DiscountSource::Promotion(prep.active[p].id());
                self.record_line(l, source, (unit - other) * i64::from(left), detail);
            }
            self.amount[l] = amount;
        }
    }

    /// Stage 2. The tier reached by the number of covered items; its rate
    /// off each covered line, rounded down per line (so a line's result
    /// never depends on another line's).
    fn quantity_discounts(&mut self, prep: &Prepared, skip: &[bool]) {
        for &(p, rule) in &prep.quantity {
            if skip[p] {
                continue;
            }
            let items: u64 =
                (0..prep.n).filter(|&l| prep.covers(p, l)).map(|l| u64::from(prep.lines[l].quantity())).sum();
            let Some(tier) = rule.tier_for(items) else { continue };
            let eligible = prep.sum_covered(p, &self.amount);
            let index = self.discounts.len();
            let mut total = 0;
            for &l in &prep.order {
                if !prep.covers(p, l) {
                    continue;
                }
                let off = tier.off.discount_on(Fen(self.amount[l])).0;
                if off > 0 {
                    self.amount[l] -= off;
                    total += off;
                    self.shares.push(Share { discount: index, line: l, amount: Fen(off) });
                }
            }
            if total > 0 {
                self.discounts.push(AppliedDiscount {
                    source: DiscountSource::Promotion(prep.active[p].id()),
                    amount: Fen(total),
                    detail: DiscountDetail::QuantityDiscount {
                        min_items: tier.min_items,
                        off: tier.off,
                        items,
                        eligible: Fen(eligible),
                    },
                });
            }
        }
    }

    /// Stage 4. Each 满减 measures its threshold on the threshold base of
    /// its lines, takes off at most what those lines still cost, and shares
    /// the discount over them.
    fn full_reductions(&mut self, prep: &Prepared) {
        for &(p, rule) in &prep.reduction {
            let base = prep.sum_covered(p, &self.threshold_base);
            let Some(reached) = rule.reached(Fen(base)) else { continue };
            let payable = prep.sum_covered(p, &self.amount);
            let nominal = reached.off().0;
            let off = nominal.min(payable);
            if off <= 0 {
                continue;
            }
            let index = self.discounts.len();
            self.allocate(prep, off, payable, index, |l| prep.covers(p, l));
            self.discounts.push(AppliedDiscount {
                source: DiscountSource::Promotion(prep.active[p].id()),
                amount: Fen(off),
                detail: DiscountDetail::FullReduction { reached, base: Fen(base), nominal: Fen(nominal) },
            });
        }
    }

    /// Stage 5. Of the usable coupons whose threshold the base reaches, the
    /// one taking most off (= the lowest payable); ties go to the coupon
    /// whose use window ends first, then the lowest id.
    fn best_coupon(&mut self, prep: &Prepared) {
        let mut best: Option<(usize, i64, i64, i64, i64)> = None;
        for (c, coupon) in prep.coupons.iter().enumerate() {
            let base = prep.sum_coupon(c, &self.threshold_base);
            if !coupon.is_reached_by(Fen(base)) {
                continue;
            }
            let payable = prep.sum_coupon(c, &self.amount);
            let nominal = coupon.benefit().value_on(Fen(payable)).0;
            let off = nominal.min(payable);
            if off > best.map_or(0, |b| b.1) {
                best = Some((c, off, base, payable, nominal));
            }
        }
        let Some((c, off, base, payable, nominal)) = best else { return };
        let coupon = prep.coupons[c];
        let index = self.discounts.len();
        self.allocate(prep, off, payable, index, |l| prep.coupon_row(c)[l]);
        self.discounts.push(AppliedDiscount {
            source: DiscountSource::Coupon(coupon.id()),
            amount: Fen(off),
            detail: DiscountDetail::Coupon {
                threshold: coupon.threshold(),
                benefit: coupon.benefit(),
                base: Fen(base),
                payable_before: Fen(payable),
                nominal: Fen(nominal),
            },
        });
        self.coupon = Some(coupon.id());
    }

    /// Stage 6. Gifts on the same threshold base as 满减 and coupons.
    fn earn_gifts(&mut self, prep: &Prepared) {
        for &(p, gift) in &prep.gifts {
            let reason = match gift.trigger {
                GiftTrigger::Spend { threshold, .. } => {
                    let base = Fen(prep.sum_covered(p, &self.threshold_base));
                    (base >= threshold).then_some(GiftReason::Spend { threshold, base })
                }
                GiftTrigger::Buy { product, min_quantity } => {
                    let bought: u64 =
                        (0..prep.n).filter(|&l| prep.covers(p, l)).map(|l| u64::from(prep.lines[l].quantity())).sum();
                    (bought >= u64::from(min_quantity)).then_some(GiftReason::Bought { product, min_quantity, bought })
                }
            };
            if let Some(reason) = reason {
                self.gifts.push(GiftLine {
                    promotion: prep.active[p].id(),
                    product: gift.gift_product,
                    sku: gift.gift_sku,
                    quantity: gift.quantity,
                    price: Fen::ZERO,
                    reason,
                });
            }
        }
    }

    /// Shares `total` (≤ `weight_sum`) over the covered lines in proportion
    /// to what each still costs, by the largest-remainder method: each line
    /// gets the whole fen of its exact share, and the fen left over go one
    /// each to the lines with the largest remainders — on a tie the line
    /// costing more, then the earlier line in canonical order. The shares
    /// add up to `total` exactly and no share exceeds its line.
    fn allocate(
        &mut self,
        prep: &Prepared,
        total: i64,
        weight_sum: i64,
        discount: usize,
        covered: impl Fn(usize) -> bool,
    ) {
        self.parts.clear();
        let mut given = 0;
        for &l in &prep.order {
            let weight = self.amount[l];
            if weight == 0 || !covered(l) {
                continue;
            }
            // i128: total × weight can pass i64 for large carts
            let exact = i128::from(total) * i128::from(weight);
            let share = (exact / i128::from(weight_sum)) as i64;
            let remainder = (exact % i128::from(weight_sum)) as i64;
            given += share;
            self.parts.push(Part { line: l, share, remainder, weight });
        }
        let left_over = (total - given) as usize;
        if left_over > 0 {
            // stable: equal keys keep canonical order
            self.parts.sort_by(|a, b| b.remainder.cmp(&a.remainder).then(b.weight.cmp(&a.weight)));
            self.parts.iter_mut().take(left_over).for_each(|part| part.share += 1);
        }
        for part in &self.parts {
            if part.share > 0 {
                self.amount[part.line] -= part.share;
                self.shares.push(Share { discount, line: part.line, amount: Fen(part.share) });
            }
        }
    }

    fn into_cart(self, prep: &Prepared, skipped: Vec<SkippedPromotion>) -> PricedCart {
        let lines: Vec<PricedLine> = prep
            .lines
            .iter()
            .zip(prep.base.iter().zip(&self.amount))
            .map(|(line, (&base, &amount))| PricedLine {
                product: line.product(),
                sku: line.sku(),
                quantity: line.quantity(),
                unit_price: line.unit_price(),
                list_price: line.list_price(),
                base_total: Fen(base),
                discount: Fen(base - amount),
                total: Fen(amount),
            })
            .collect();
        let subtotal: i64 = prep.base.iter().sum();
        let payable = self.payable();
        PricedCart {
            lines,
            discounts: self.discounts,
            shares: self.shares,
            gifts: self.gifts,
            skipped,
            coupon: self.coupon,
            subtotal: Fen(subtotal),
            total_discount: Fen(subtotal - payable),
            payable: Fen(payable),
        }
    }
}
