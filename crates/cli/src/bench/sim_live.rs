//! `zhibo bench sim --live`: simulated viewers attached to a real room, on
//! the wall clock, as `zhibo demo` runs them (web/src/sim_audience): the
//! demo show's room on a fresh SQLite database, every simulated viewer one
//! in-process room connection, the model stepped once a wall second.
//!
//! The crowd is the demo scenario made to hold `viewers` at once: its
//! followers (8 % more than `viewers`) notified and arriving over the
//! first 30 s, no feed or paid traffic, and the leave chance cut tenfold
//! so the crowd stays for the measurement. Reported:
//! the simulated viewers online in the room (the room's own count), the
//! process's CPU seconds per wall second over the measured window (the
//! audience, the room task and the SQLite log writer together), peak
//! memory, the events the room logged, and the load average (other work
//! on this shared machine).

use anyhow::Context;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use zhibo_domain::{Clock, WallClock};
use zhibo_store::{ShopStore, ShowStore, SqliteStore, Store};
use zhibo_web::Settings;
use zhibo_web::sim_audience::{AudienceOptions, LiveAudience};
use zhibo_web::state::AppState;

use super::fanout::sys::{cpu_seconds, monotonic_us};

/// The target: 10,000 simultaneous simulated viewers under one core.
pub const TARGET_CPU_PER_WALL_SECOND: f64 = 1.0;
/// Seconds the crowd takes to arrive; the measurement starts after.
const RAMP_SECS: u32 = 40;

#[derive(Debug, Serialize)]
pub struct LiveBench {
    pub viewers_target: u32,
    /// The room's online count (simulated viewers), at the end of the window.
    pub online: u64,
    pub online_min: u64,
    pub measured_seconds: f64,
    pub cpu_seconds: f64,
    pub cpu_per_wall_second: f64,
    /// CPU seconds of the ramp (every arrival's connect), not in the window.
    pub ramp_cpu_seconds: f64,
    pub ramp_seconds: u32,
    /// Wall milliseconds the slowest audience step took (it must stay well
    /// under the second it simulates).
    pub slowest_step_ms: f64,
    pub room_events: u64,
    pub peak_rss_mb: Option<f64>,
    pub load_average_before: Option<String>,
    pub load_average_after: Option<String>,
    pub target_cpu_per_wall_second: f64,
}

pub async fn run(viewers: u32, seconds: u32) -> anyhow::Result<LiveBench> {
    let load_average_before = load_average();
    let dir = tempfile::tempdir().context("a temporary data folder")?;
    let mut settings = Settings::default();
    settings.data.dir = dir.path().to_owned();
    let clock: Arc<dyn Clock> = Arc::new(WallClock);
    let store = Arc::new(SqliteStore::open(&settings.database_path(), clock.clone()).await?);
    zhibo_web::demo::seed(store.as_ref()).await.map_err(|e| anyhow::anyhow!("seeding the demo shop: {e}"))?;
    let shop = store.first_shop().await?.context("the demo shop")?;
    let room = store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await?.context("the demo show")?.id;
    let state = AppState::new(settings, store.clone() as Arc<dyn Store>, clock.clone());
    let handle = state.live.hub.room(room);

    let mut scenario = zhibo_sim::default_scenario();
    scenario.params.follower_arrival_secs = 30;
    // 8 % more arrive than are wanted: some leave during the ramp and the
    // window, and the room should hold at least `viewers` throughout.
    let arrivals = f64::from(viewers) * 1.08;
    scenario.audience.followers = (arrivals / scenario.params.follower_open_share).ceil() as u32;
    scenario.params.leave_base /= 10.0;
    scenario.feed.impressions_per_min = vec![0; scenario.feed.impressions_per_min.len()];
    scenario.paid = None;
    let options = AudienceOptions { seed: 2026, actor_base: 0 };
    let mut audience = LiveAudience::attach(handle.clone(), clock, scenario, options).await?;

    let ramp_cpu0 = cpu_seconds("self").context("reading /proc/self/stat")?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for _ in 0..RAMP_SECS {
        tick.tick().await;
        audience.step().await;
    }
    let (cpu0, wall0) = (cpu_seconds("self").context("reading /proc/self/stat")?, monotonic_us());
    let mut slowest_us = 0;
    let mut online_min = u64::MAX;
    for _ in 0..seconds {
        tick.tick().await;
        let started = monotonic_us();
        audience.step().await;
        slowest_us = slowest_us.max(monotonic_us() - started);
        online_min = online_min.min(audience.status().online);
    }
    let (cpu1, wall1) = (cpu_seconds("self").context("reading /proc/self/stat")?, monotonic_us());
    let online = handle.stats().await.map_or(0, |s| s.online);
    audience.stop();
    // Ten thousand leaves overflow the room's queue and wait on tasks of
    // their own: let them all be logged before the store closes.
    for _ in 0..100 {
        handle.flush().await;
        if handle.stats().await.is_none_or(|s| s.online == 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let room_events = zhibo_store::EventStore::last_seq(store.as_ref(), room).await?;
    let measured_seconds = (wall1 - wall0) as f64 / 1e6;
    let cpu = cpu1 - cpu0;
    Ok(LiveBench {
        viewers_target: viewers,
        online,
        online_min,
        measured_seconds,
        cpu_seconds: cpu,
        cpu_per_wall_second: cpu / measured_seconds.max(1e-9),
        ramp_cpu_seconds: cpu0 - ramp_cpu0,
        ramp_seconds: RAMP_SECS,
        slowest_step_ms: slowest_us as f64 / 1000.0,
        room_events,
        peak_rss_mb: peak_rss_mb(),
        load_average_before,
        load_average_after: load_average(),
        target_cpu_per_wall_second: TARGET_CPU_PER_WALL_SECOND,
    })
}

fn load_average() -> Option<String> {
    std::fs::read_to_string("/proc/loadavg").ok().map(|l| l.trim().to_owned())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn command(viewers: u32, seconds: u32, json: bool) -> anyhow::Result<()> {
    let r = run(viewers, seconds).await?;
    if json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("模拟观众·直播模式 / simulated audience, live mode: {} viewers wanted in the demo room", r.viewers_target);
    println!("  online in the room (end / min): {} / {}", r.online, r.online_min);
    println!("  measured:                       {:.1} s wall, {:.2} s CPU", r.measured_seconds, r.cpu_seconds);
    println!(
        "  CPU per wall second:            {:.3} (target < {:.1})",
        r.cpu_per_wall_second, r.target_cpu_per_wall_second
    );
    println!("  ramp ({} s, all arrivals):       {:.2} s CPU", r.ramp_seconds, r.ramp_cpu_seconds);
    println!("  slowest audience step:          {:.1} ms", r.slowest_step_ms);
    println!("  events the room logged:         {}", r.room_events);
    if let Some(mb) = r.peak_rss_mb {
        println!("  peak RSS:                       {mb:.0} MB");
    }
    println!(
        "  load average before / after:    {} / {}",
        r.load_average_before.as_deref().unwrap_or("?"),
        r.load_average_after.as_deref().unwrap_or("?")
    );
    Ok(())
}
