//! Time, always from a [`Clock`]. Engine code never reads the system time
//! itself: production passes a [`WallClock`], tests and the simulator pass a
//! [`VirtualClock`] they move by hand, so nothing depends on the machine's
//! speed and no test sleeps.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MINUTE_MS: i64 = 60_000;

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The start of the minute this instant falls in: the key of per-minute
    /// rollups.
    pub fn minute_floor(self) -> Timestamp {
        Timestamp(self.0.div_euclid(Self::MINUTE_MS) * Self::MINUTE_MS)
    }

    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    pub fn plus_secs(self, secs: i64) -> Timestamp {
        self.plus_millis(secs.saturating_mul(1000))
    }

    /// Seconds since the epoch, for cookie expiry and such.
    pub fn unix_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The real time of the machine. The one place in zhibo that reads it.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp(since_epoch.as_millis() as i64)
    }
}

/// A clock that moves only when told. Clones share the same time.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    now_ms: Arc<AtomicI64>,
}

impl VirtualClock {
    pub fn starting_at(t: Timestamp) -> Self {
        Self { now_ms: Arc::new(AtomicI64::new(t.0)) }
    }

    pub fn advance_millis(&self, ms: i64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn advance_secs(&self, secs: i64) {
        self.advance_millis(secs * 1000);
    }

    pub fn set(&self, t: Timestamp) {
        self.now_ms.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now_ms.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_floor_handles_times_before_the_epoch() {
        assert_eq!(Timestamp(61_234).minute_floor(), Timestamp(60_000));
        assert_eq!(Timestamp(-1).minute_floor(), Timestamp(-60_000));
    }

    #[test]
    fn virtual_clock_clones_share_time() {
        let a = VirtualClock::starting_at(Timestamp(1_000));
        let b = a.clone();
        a.advance_secs(2);
        assert_eq!(b.now(), Timestamp(3_000));
    }
}
