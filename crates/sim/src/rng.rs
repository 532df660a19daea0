//! The simulator's random numbers: the domain's SplitMix64, drawn in a
//! fixed order, so a seed fixes the whole show.
//!
//! Probabilities are `f64`, but only the four IEEE-754 operations (which
//! are correctly rounded everywhere) are applied to them, in a fixed order:
//! no `exp`, `ln` or `powf`, whose last bit may differ between C libraries.
//! So a seed gives the same log on every machine, not only on this one.

use zhibo_domain::draw::SplitMix64;

#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(SplitMix64::new(seed))
    }

    /// A uniform number in [0, 1) with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (clamped to [0, 1]).
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform integer in `0..n` (0 when `n` is 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    /// A uniform integer in `lo..=hi`.
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(u64::from(hi.saturating_sub(lo)) + 1) as u32
    }

    /// An index drawn with the given weights (all ≥ 0, not all 0; else 0).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return 0;
        }
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// `mean` rounded to a whole number at random, keeping the mean:
    /// `floor(mean)` plus one with probability `fract(mean)`. Used for
    /// arrivals per second, where the exact spread matters less than the
    /// rate and one draw per second is cheap.
    pub fn round(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        let whole = mean as u32;
        whole + u32::from(self.chance(mean - f64::from(whole)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_in_range_and_fair_enough() {
        let mut r = Rng::new(5);
        let mut sum = 0.0;
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            sum += u;
        }
        assert!((sum / 10_000.0 - 0.5).abs() < 0.02);
    }

    #[test]
    fn weighted_follows_weights_and_round_keeps_the_mean() {
        let mut r = Rng::new(9);
        let mut counts = [0u32; 3];
        for _ in 0..9_000 {
            counts[r.weighted(&[1.0, 0.0, 2.0])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 3 / 2, "{counts:?}");
        let total: u32 = (0..2_000).map(|_| r.round(2.5)).sum();
        assert!((4_900..5_100).contains(&total), "{total}");
    }
}
