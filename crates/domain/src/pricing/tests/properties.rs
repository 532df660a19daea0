//! Properties of the engine over random carts, promotions and coupons:
//! adding a promotion or coupon never raises the payable; the cart's order
//! does not change the result; the result is deterministic; shares add up
//! exactly; no line and no total goes below zero.

use proptest::prelude::*;
use proptest::sample::subsequence;

use super::*;

/// A line of SKU `product * 10` (the one flash sales name) or, now and
/// then, of a second SKU `product * 10 + 1`, for live prices per SKU.
fn arb_line() -> impl Strategy<Value = CartLine> {
    (1i64..=4, 0i64..=15_000, 1u32..=3, any::<bool>(), prop_oneof![3 => Just(0i64), 1 => Just(1i64)]).prop_map(
        |(product, price, quantity, in_show, second)| {
            let l = sku_line(product, product * 10 + second, price, quantity);
            if in_show { l.in_show(7) } else { l }
        },
    )
}

fn arb_products() -> impl Strategy<Value = Vec<i64>> {
    subsequence(vec![1i64, 2, 3, 4], 1..=3)
}

fn arb_scope() -> impl Strategy<Value = Scope> {
    prop_oneof![Just(Scope::Shop), arb_products().prop_map(|p| products(&p))]
}

fn arb_rule() -> impl Strategy<Value = PromotionRule> {
    prop_oneof![
        // per product a product item, a SKU item, or both
        (
            proptest::option::of(Just(7i64)),
            arb_products(),
            proptest::collection::vec((0i64..=15_000, 0i64..=15_000, 0u8..3, 0i64..=1), 4)
        )
            .prop_map(|(show, ps, prices)| {
                let mut items: Vec<(i64, Option<i64>, i64)> = Vec::new();
                for (&p, (price, sku_price, which, second)) in ps.iter().zip(prices) {
                    if which != 1 {
                        items.push((p, None, price));
                    }
                    if which != 0 {
                        items.push((p, Some(p * 10 + second), sku_price));
                    }
                }
                live_skus(show, &items)
            }),
        (arb_products(), proptest::collection::vec((0i64..=15_000, 1u32..=5, 1u32..=5), 4)).prop_map(|(ps, items)| {
            let items: Vec<(i64, i64, u32, u32)> =
                ps.iter().zip(items).map(|(&p, (price, q, limit))| (p, price, q, limit.min(q))).collect();
            flash(&items)
        }),
        (arb_scope(), 1u32..=3, 1u32..=3000, proptest::option::of((1u32..=3, 1u32..=3000))).prop_map(
            |(scope, n, off, second)| {
                let mut t = vec![(n, off)];
                if let Some((dn, doff)) = second {
                    t.push((n + dn, off + doff));
                }
                per_items(scope, &t)
            }
        ),
        (arb_scope(), 1000i64..=40_000, 1i64..=1000, proptest::option::of((1i64..=40_000, 1i64..=1000))).prop_map(
            |(scope, threshold, off_part, second)| {
                let off = (threshold * off_part / 1000).clamp(1, threshold - 1);
                let mut t = vec![(threshold, off)];
                if let Some((dt, doff)) = second {
                    let (t2, o2) = (threshold + dt, off + doff);
                    if o2 < t2 {
                        t.push((t2, o2));
                    }
                }
                tiers(scope, &t)
            }
        ),
        (arb_scope(), 1000i64..=20_000, 1i64..=999, proptest::option::of(1u32..=5))
            .prop_map(|(scope, step, off_part, cap)| every(scope, step, (step * off_part / 1000).max(1), cap)),
        (1000i64..=60_000).prop_map(|t| gift_spend(t, 900)),
        (1i64..=4, 1u32..=4).prop_map(|(p, n)| gift_buy(p, n, 901)),
    ]
}

/// A promotion with the given id, in force at [`NOW`] most of the time.
fn arb_promotion(id: i64) -> impl Strategy<Value = Promotion> {
    (arb_rule(), prop_oneof![4 => Just(true), 1 => Just(false)]).prop_map(move |(rule, active)| {
        if active { promo(id, rule) } else { promo_in(id, END, END.plus_millis(1000), rule) }
    })
}

fn arb_promotions() -> impl Strategy<Value = Vec<Promotion>> {
    (0usize..=6).prop_flat_map(|n| (1..=n as i64).map(arb_promotion).collect::<Vec<_>>())
}

fn arb_coupon(id: i64) -> impl Strategy<Value = Coupon> {
    (
        arb_scope(),
        prop_oneof![Just(0i64), 1000i64..=40_000],
        prop_oneof![
            (1i64..=5000).prop_map(|off| (Some(off), None)),
            (1u32..=9999, proptest::option::of(1i64..=5000)).prop_map(|(bp, cap)| (None, Some((bp, cap)))),
        ],
        prop_oneof![4 => Just(true), 1 => Just(false)],
    )
        .prop_map(move |(scope, threshold, benefit, usable)| {
            let benefit = match benefit {
                (Some(off), _) => {
                    let off = if threshold > 0 { off.min(threshold - 1) } else { off };
                    CouponBenefit::AmountOff(Fen(off))
                }
                (None, Some((bp, cap))) => CouponBenefit::PercentOff { off: Rate(bp), cap: cap.map(Fen) },
                (None, None) => CouponBenefit::AmountOff(Fen(1)),
            };
            let (from, to) = if usable { (START, END) } else { (START, NOW) };
            coupon_with(id, scope, threshold, benefit, from, to)
        })
}

fn arb_coupons() -> impl Strategy<Value = Vec<Coupon>> {
    (0usize..=4).prop_flat_map(|n| (101..=100 + n as i64).map(arb_coupon).collect::<Vec<_>>())
}

fn arb_lines() -> impl Strategy<Value = Vec<CartLine>> {
    proptest::collection::vec(arb_line(), 0..=6)
}

/// The line results as a multiset, independent of the cart's order.
fn line_results(lines: &[CartLine], cart: &PricedCart) -> Vec<(CartLine, i64)> {
    let mut results: Vec<(CartLine, i64)> = lines.iter().cloned().zip(cart.lines.iter().map(|l| l.total.0)).collect();
    results.sort_by(|a, b| a.0.canonical_key().cmp(&b.0.canonical_key()).then(a.1.cmp(&b.1)));
    results
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn adding_a_promotion_never_raises_the_payable(
        lines in arb_lines(),
        promotions in arb_promotions(),
        coupons in arb_coupons(),
        extra in arb_promotion(50),
    ) {
        let before = price(&lines, &promotions, &coupons);
        let mut more = promotions.clone();
        more.push(extra);
        let after = price(&lines, &more, &coupons);
        prop_assert!(after.payable <= before.payable, "{:?} → {:?}", before.payable, after.payable);
    }

    #[test]
    fn adding_a_coupon_never_raises_the_payable(
        lines in arb_lines(),
        promotions in arb_promotions(),
        coupons in arb_coupons(),
        extra in arb_coupon(150),
    ) {
        let before = price(&lines, &promotions, &coupons);
        let mut more = coupons.clone();
        more.push(extra);
        let after = price(&lines, &promotions, &more);
        prop_assert!(after.payable <= before.payable);
    }

    #[test]
    fn the_order_of_lines_does_not_change_the_result(
        (lines, shuffled) in arb_lines().prop_flat_map(|l| (Just(l.clone()), Just(l).prop_shuffle())),
        promotions in arb_promotions(),
        coupons in arb_coupons(),
    ) {
        let a = price(&lines, &promotions, &coupons);
        let b = price(&shuffled, &promotions, &coupons);
        prop_assert_eq!(a.payable, b.payable);
        prop_assert_eq!(a.total_discount, b.total_discount);
        prop_assert_eq!(a.coupon, b.coupon);
        prop_assert_eq!(&a.gifts, &b.gifts);
        prop_assert_eq!(line_results(&lines, &a), line_results(&shuffled, &b));
    }

    #[test]
    fn pricing_is_deterministic_and_adds_up(
        lines in arb_lines(),
        promotions in arb_promotions(),
        coupons in arb_coupons(),
    ) {
        // `price` checks every sum (shares add up to each discount and each
        // line's discount, no line and no total below zero)
        let a = price(&lines, &promotions, &coupons);
        let b = price(&lines, &promotions, &coupons);
        prop_assert_eq!(&a, &b);
        prop_assert!(a.payable <= a.subtotal);
        for d in &a.discounts {
            // every explanation renders in both languages
            prop_assert!(!d.explain_zh().is_empty() && !d.explain_en().is_empty());
        }
    }
}
