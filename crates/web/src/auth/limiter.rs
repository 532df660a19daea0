//! Sign-in rate limiting: a sliding window of failures per key, on the
//! server's [`Clock`], so tests move time instead of sleeping.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use zhibo_domain::Timestamp;

#[derive(Debug)]
pub struct SignInLimiter {
    max_failures: usize,
    window_ms: i64,
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

/// Keys beyond this are pruned of expired entries, bounding memory under a
/// spray of made-up usernames.
const PRUNE_ABOVE_KEYS: usize = 10_000;

impl SignInLimiter {
    pub fn new(max_failures: u32, window_minutes: i64) -> Self {
        Self { max_failures: max_failures as usize, window_ms: window_minutes * 60_000, failures: Mutex::default() }
    }

    /// `Err(seconds)` to wait when `key` has used up its failures.
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), i64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = map.get_mut(key) else { return Ok(()) };
        Self::expire(q, now, self.window_ms);
        if q.len() >= self.max_failures {
            let oldest = q.front().copied().unwrap_or(now);
            let wait_ms = (oldest.0 + self.window_ms - now.0).max(1000);
            return Err((wait_ms + 999) / 1000);
        }
        Ok(())
    }

    pub fn record_failure(&self, key: &str, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > PRUNE_ABOVE_KEYS {
            let window = self.window_ms;
            map.retain(|_, q| {
                Self::expire(q, now, window);
                !q.is_empty()
            });
        }
        map.entry(key.to_owned()).or_default().push_back(now);
    }

    pub fn clear(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    fn expire(q: &mut VecDeque<Timestamp>, now: Timestamp, window_ms: i64) {
        while q.front().is_some_and(|t| t.0 + window_ms <= now.0) {
            q.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_opens_when_the_window_passes() {
        let l = SignInLimiter::new(3, 15);
        let t0 = Timestamp(1_000_000);
        for i in 0..3 {
            assert!(l.check("k", t0.plus_secs(i)).is_ok());
            l.record_failure("k", t0.plus_secs(i));
        }
        let wait = l.check("k", t0.plus_secs(3)).unwrap_err();
        assert_eq!(wait, 15 * 60 - 3);
        assert!(l.check("other", t0).is_ok());
        assert!(l.check("k", t0.plus_secs(15 * 60)).is_ok());
    }

    #[test]
    fn success_clears_the_count() {
        let l = SignInLimiter::new(1, 15);
        l.record_failure("k", Timestamp(0));
        assert!(l.check("k", Timestamp(1)).is_err());
        l.clear("k");
        assert!(l.check("k", Timestamp(1)).is_ok());
    }
}
