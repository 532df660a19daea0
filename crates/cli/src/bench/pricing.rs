//! `zhibo bench pricing`: how many carts one core prices per second, for the
//! case the catalog issue sets (20 lines, 10 promotions in force, 5 coupons
//! of the buyer), beside a baseline measured in the same run: the same cart
//! with no promotion and no coupon, which is the engine's fixed cost
//! (validation, ordering, sums) on this machine at this moment.

use serde::Serialize;
use std::hint::black_box;
use std::time::Duration;
use zhibo_domain::pricing::{PricingInput, bench_fixture, price_cart};

use super::ops_per_second;

/// The catalog issue's target.
pub const TARGET_CARTS_PER_S_PER_CORE: f64 = 200_000.0;

#[derive(Debug, Serialize)]
pub struct PricingReport {
    pub bench: &'static str,
    pub lines: usize,
    pub promotions: usize,
    pub coupons: usize,
    /// What the benchmark cart comes to, so the figure is of a real answer.
    pub payable_fen: i64,
    pub discount_fen: i64,
    pub carts_per_s_per_core: f64,
    /// The same cart with no promotions and no coupons, same run.
    pub baseline_carts_per_s: f64,
    /// How many times slower promotions make pricing than the baseline.
    pub cost_vs_baseline: f64,
    pub target_carts_per_s_per_core: f64,
    pub meets_target: bool,
    pub seconds_per_measurement: f64,
}

pub fn run(seconds: f64) -> anyhow::Result<PricingReport> {
    let (lines, promotions, coupons, now) = bench_fixture();
    let input = PricingInput::new(&lines, &promotions, &coupons, now);
    let priced = price_cart(&input).map_err(|e| anyhow::anyhow!("the benchmark cart does not price: {e}"))?;
    let bare = PricingInput::new(&lines, &[], &[], now);
    let duration = Duration::from_secs_f64(seconds);
    // one thread: the figure is per core by construction
    let carts_per_s = ops_per_second(duration, || {
        black_box(price_cart(black_box(&input)).ok());
    });
    let baseline = ops_per_second(duration, || {
        black_box(price_cart(black_box(&bare)).ok());
    });
    Ok(PricingReport {
        bench: "pricing",
        lines: lines.len(),
        promotions: promotions.len(),
        coupons: coupons.len(),
        payable_fen: priced.payable.0,
        discount_fen: priced.total_discount.0,
        carts_per_s_per_core: carts_per_s.round(),
        baseline_carts_per_s: baseline.round(),
        cost_vs_baseline: (baseline / carts_per_s * 100.0).round() / 100.0,
        target_carts_per_s_per_core: TARGET_CARTS_PER_S_PER_CORE,
        meets_target: carts_per_s >= TARGET_CARTS_PER_S_PER_CORE,
        seconds_per_measurement: seconds,
    })
}

pub fn print_human(r: &PricingReport) {
    println!("定价基准 / pricing benchmark: {} lines, {} promotions, {} coupons", r.lines, r.promotions, r.coupons);
    println!("  payable ¥{:.2}, discount ¥{:.2}", r.payable_fen as f64 / 100.0, r.discount_fen as f64 / 100.0);
    println!(
        "  carts/s per core:          {:>12.0}  (target {:.0})",
        r.carts_per_s_per_core, r.target_carts_per_s_per_core
    );
    println!("  baseline, no promotions:   {:>12.0}", r.baseline_carts_per_s);
    println!("  promotions cost ×{:.2} of the baseline; target met: {}", r.cost_vs_baseline, r.meets_target);
}
