//! `zhibo bench …`: speed figures for BENCHMARKS.md, never for tests.
//!
//! Each benchmark measures zhibo and, in the same run, a peer or baseline,
//! because these machines are noisy and a ratio travels better than a time.
//! Wall-clock durations are read here (and only here in the CLI): they
//! measure the machine, they never enter the engine.

pub mod fanout;
pub mod flash_sale;
pub mod media;
pub mod pricing;
pub mod sim;
pub mod sim_live;
/// The lean WebSocket client of the load generators (fanout, flash sale).
mod ws_client;

use std::time::{Duration, Instant};

/// Runs `work` (one operation per call) single-threaded for about
/// `duration`, after a warm-up, and returns operations per second.
pub fn ops_per_second(duration: Duration, mut work: impl FnMut()) -> f64 {
    // warm caches and the branch predictor
    let warm_until = Instant::now() + duration / 10;
    while Instant::now() < warm_until {
        work();
    }
    let mut done: u64 = 0;
    let started = Instant::now();
    // check the clock every batch, not every call: Instant::now costs ~20 ns
    const BATCH: u64 = 256;
    loop {
        for _ in 0..BATCH {
            work();
        }
        done += BATCH;
        let elapsed = started.elapsed();
        if elapsed >= duration {
            return done as f64 / elapsed.as_secs_f64();
        }
    }
}

/// Runs `work` once and returns its result with the wall time it took.
pub fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = work();
    (out, started.elapsed())
}
