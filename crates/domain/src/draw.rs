//! Seeded, deterministic draws for the live room's interaction tools: the
//! winners of a lottery (福袋) and the split of a red packet (红包).
//!
//! Both are pure functions of a `u64` seed and their inputs, so anyone
//! holding the room's log (where the seed, the entrants and the result are
//! recorded) can recompute a draw and check it. The algorithms are fixed
//! here and documented in docs/protocol.md; changing them would make old
//! logs fail to re-verify, so they must not change.
//!
//! - PRNG: SplitMix64 (Steele, Lea, Flood 2014), state = seed; each step
//!   adds 0x9E3779B97F4A7C15 and mixes. Implemented here so the domain needs
//!   no `rand` crate and the sequence can never change under us.
//! - A number below `n`: rejection sampling — draw `r`, reject while
//!   `r < (2^64 - n) mod n`, answer `r mod n` (no modulo bias).
//! - Winners: the entrants, first occurrences only, in their recorded
//!   order; then a partial Fisher–Yates shuffle: for `i` in `0..k`, swap
//!   position `i` with `i + below(len - i)`; the first `k` are the winners,
//!   in draw order. `k = min(count, entrants)`.
//! - Red packet: "double mean" (二倍均值). With `r` fen and `n` shares left,
//!   a share is `1 + below(max(1, 2r/n - 1))` fen (integer division) for
//!   all but the last share, which takes what is left. Every share is at
//!   least 1 fen, no share exceeds twice the mean of what was left, and the
//!   shares add up to the total exactly.

use crate::{DomainError, Fen};

/// The SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `0..n` (`n` ≥ 1; 0 answers 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        // 2^64 mod n: the values below it would make small answers likelier.
        let threshold = n.wrapping_neg() % n;
        loop {
            let r = self.next_u64();
            if r >= threshold {
                return r % n;
            }
        }
    }
}

/// The winners of a lottery: `min(count, distinct entrants)` of them, no
/// duplicates, in draw order (see the module doc for the algorithm).
pub fn draw_winners(seed: u64, entrants: &[String], count: usize) -> Vec<String> {
    let mut pool: Vec<&String> = Vec::with_capacity(entrants.len());
    let mut seen = std::collections::HashSet::new();
    for entrant in entrants {
        if seen.insert(entrant.as_str()) {
            pool.push(entrant);
        }
    }
    let k = count.min(pool.len());
    let mut rng = SplitMix64::new(seed);
    for i in 0..k {
        let j = i + rng.below((pool.len() - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.into_iter().take(k).cloned().collect()
}

/// Splits `total` into `count` shares by the double-mean rule (module doc).
/// Refuses a count of 0 and a total below one fen per share.
pub fn split_red_packet(seed: u64, total: Fen, count: usize) -> Result<Vec<Fen>, DomainError> {
    if count == 0 {
        return Err(DomainError::new("count", "红包个数至少为 1 / count must be at least 1"));
    }
    let n_total = count as i64;
    if total.0 < n_total {
        return Err(DomainError::new(
            "total_fen",
            format!(
                "红包总额（{} 分）不够每个至少 1 分（{count} 个） / total_fen {} is less than one fen for each of the {count} shares",
                total.0, total.0
            ),
        ));
    }
    let mut rng = SplitMix64::new(seed);
    let mut left = total.0;
    let mut shares = Vec::with_capacity(count);
    for n in (2..=n_total).rev() {
        let max = (2 * left / n - 1).max(1);
        // Never leave less than one fen for each share still to come.
        let share = (1 + rng.below(max as u64) as i64).min(left - (n - 1));
        shares.push(Fen(share));
        left -= share;
    }
    shares.push(Fen(left));
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("viewer:{i}")).collect()
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // First outputs for seed 1234567 of the reference C implementation.
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn a_draw_is_the_same_for_the_same_seed_and_changes_with_it() {
        let entrants = names(50);
        assert_eq!(draw_winners(7, &entrants, 3), draw_winners(7, &entrants, 3));
        let differs = (0..20u64).any(|s| draw_winners(s, &entrants, 3) != draw_winners(7, &entrants, 3));
        assert!(differs);
        assert!(draw_winners(7, &[], 3).is_empty());
        assert!(draw_winners(7, &entrants, 0).is_empty());
    }

    #[test]
    fn duplicate_entrants_count_once() {
        let entrants: Vec<String> = ["a", "b", "a", "a", "b"].iter().map(|s| s.to_string()).collect();
        let mut winners = draw_winners(3, &entrants, 5);
        winners.sort();
        assert_eq!(winners, vec!["a".to_string(), "b".to_string()]);
    }

    #[test]
    fn every_entrant_can_win() {
        let entrants = names(5);
        let mut won = std::collections::HashSet::new();
        for seed in 0..200u64 {
            won.extend(draw_winners(seed, &entrants, 1));
        }
        assert_eq!(won.len(), 5);
    }

    #[test]
    fn red_packets_refuse_totals_below_one_fen_each() {
        assert_eq!(split_red_packet(1, Fen(2), 3).unwrap_err().field, "total_fen");
        assert_eq!(split_red_packet(1, Fen(5), 0).unwrap_err().field, "count");
        assert_eq!(split_red_packet(1, Fen(3), 3).unwrap(), vec![Fen(1); 3]);
        assert_eq!(split_red_packet(9, Fen(100), 1).unwrap(), vec![Fen(100)]);
    }

    proptest! {
        #[test]
        fn winners_are_distinct_entrants_and_as_many_as_can_be(
            seed in any::<u64>(), n in 0usize..40, count in 0usize..50
        ) {
            let entrants = names(n);
            let winners = draw_winners(seed, &entrants, count);
            prop_assert_eq!(winners.len(), count.min(n));
            let distinct: std::collections::HashSet<_> = winners.iter().collect();
            prop_assert_eq!(distinct.len(), winners.len());
            prop_assert!(winners.iter().all(|w| entrants.contains(w)));
            prop_assert_eq!(&winners, &draw_winners(seed, &entrants, count));
        }

        #[test]
        fn red_packet_shares_are_at_least_a_fen_and_add_up_exactly(
            seed in any::<u64>(), count in 1usize..300, extra in 0i64..10_000_000
        ) {
            let total = Fen(count as i64 + extra);
            let shares = split_red_packet(seed, total, count).unwrap();
            prop_assert_eq!(shares.len(), count);
            prop_assert!(shares.iter().all(|s| s.0 >= 1));
            prop_assert_eq!(shares.iter().map(|s| s.0).sum::<i64>(), total.0);
            prop_assert_eq!(shares, split_red_packet(seed, total, count).unwrap());
        }
    }
}
