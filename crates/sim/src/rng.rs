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

    /// How many seconds pass before the next one that has an event, when
    /// each second independently has one with probability `p`: the count of
    /// failures before the first success of a Bernoulli(`p`) sequence, by
    /// inversion, `floor(ln u / ln(1 − p))`, one draw. `u32::MAX` (never)
    /// for `p ≤ 0`; 0 (no draw) for `p ≥ 1`. The logarithms are [`ln`],
    /// built from the four exact operations, so a seed skips the same
    /// seconds on every machine.
    pub fn skip(&mut self, p: f64) -> u32 {
        if p.is_nan() || p <= 0.0 {
            return u32::MAX;
        }
        if p >= 1.0 {
            return 0;
        }
        // In (0, 1]: ln is finite and ≤ 0.
        let u = 1.0 - self.unit();
        let k = ln(u) / ln_1m(p);
        if k >= f64::from(u32::MAX) { u32::MAX } else { k as u32 }
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

/// `ln(1 + (i + ½)/64)` for `i` in 0..64, worked out when compiling
/// (IEEE arithmetic, the same on every machine) from the series of atanh:
/// `ln c = 2·atanh((c − 1)/(c + 1))`, |(c − 1)/(c + 1)| < ⅓, 40 terms.
const LN_TABLE: [f64; 64] = {
    let mut table = [0.0; 64];
    let mut i = 0;
    while i < 64 {
        let c = 1.0 + (i as f64 + 0.5) / 64.0;
        let s = (c - 1.0) / (c + 1.0);
        let s2 = s * s;
        let mut sum = 0.0;
        let mut k = 40;
        while k > 0 {
            k -= 1;
            sum = sum * s2 + 1.0 / (2 * k + 1) as f64;
        }
        table[i] = 2.0 * s * sum;
        i += 1;
    }
    table
};

/// `2·atanh(s)` for |s| < 1/255: four terms of its series (the next is
/// below 1e-20 of the first).
#[inline]
fn two_atanh_small(s: f64) -> f64 {
    let s2 = s * s;
    2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0))))
}

/// The natural logarithm of a positive, finite, normal `x`, from the four
/// exact operations only (the module comment says why not `f64::ln`):
/// `x = m·2^e` with `m` in [1, 2) read off the bits; `c`, the middle of
/// `m`'s 64th of [1, 2), from its top six mantissa bits; then
/// `ln x = e·ln 2 + ln c + 2·atanh((m − c)/(m + c))` with `ln c` from a
/// table and |(m − c)/(m + c)| ≤ 1/256. Within a few ulps of `f64::ln`
/// (absolute, near 1).
#[inline]
pub fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let i = ((bits >> 46) & 63) as usize;
    let c = 1.0 + (i as f64 + 0.5) / 64.0;
    e as f64 * std::f64::consts::LN_2 + LN_TABLE[i] + two_atanh_small((m - c) / (m + c))
}

/// `ln(1 − p)` for `p` in (0, 1). Small `p` (the usual case: a viewer's
/// chance of doing anything in a second) without forming `1 − p`, whose
/// rounding would cost relative precision: `2·atanh(−p / (2 − p))`;
/// otherwise [`ln`] of `1 − p` (relative error below 1e-13).
#[inline]
pub fn ln_1m(p: f64) -> f64 {
    if p < 1.0 / 128.0 { two_atanh_small(-p / (2.0 - p)) } else { ln(1.0 - p) }
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

    #[test]
    fn ln_matches_the_library_logarithm() {
        for x in [
            1e-300,
            2f64.powi(-53),
            1e-9,
            0.001,
            0.3,
            0.5,
            0.72,
            0.99,
            0.999_999,
            1.0,
            1.000_001,
            1.5,
            1.999,
            2.0,
            10.0,
            1e12,
        ] {
            let (ours, std) = (ln(x), x.ln());
            assert!((ours - std).abs() <= 4.0 * f64::EPSILON * std.abs().max(1.0), "ln({x}) = {ours}, not {std}");
        }
        for p in [1e-12, 1e-6, 0.001, 0.0078, 0.0079, 0.02, 0.25, 0.5, 0.9, 0.999] {
            let (ours, std) = (ln_1m(p), (-p).ln_1p());
            assert!((ours - std).abs() <= 1e-13 * std.abs(), "ln(1 - {p}) = {ours}, not {std}");
        }
    }

    #[test]
    fn skip_is_geometric() {
        let mut r = Rng::new(11);
        assert_eq!(r.skip(0.0), u32::MAX);
        assert_eq!(r.skip(1.0), 0);
        for p in [0.5, 0.05, 0.002] {
            let n = 40_000;
            let draws: Vec<u32> = (0..n).map(|_| r.skip(p)).collect();
            // Mean (1 − p)/p, and P(skip = 0) = p.
            let mean = draws.iter().map(|&k| f64::from(k)).sum::<f64>() / f64::from(n);
            let want = (1.0 - p) / p;
            assert!((mean / want - 1.0).abs() < 0.03, "p = {p}: mean {mean}, want {want}");
            let zeros = draws.iter().filter(|&&k| k == 0).count() as f64 / f64::from(n);
            assert!((zeros - p).abs() < 4.0 * (p * (1.0 - p) / f64::from(n)).sqrt() + 1e-4, "p = {p}: {zeros}");
        }
    }
}
