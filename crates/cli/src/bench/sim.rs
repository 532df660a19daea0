//! `zhibo bench sim`: a 2-hour headless show with about 100,000 arriving
//! viewers, played on one thread; reports the wall time, the viewer-seconds
//! simulated per second (agent steps) and the process's peak memory.
//!
//! Two figures, both timed here (each the best of three runs): the whole pipeline (model, operator, the
//! event log's values and the summary fold — the log is folded, not kept,
//! as `zhibo sim` does without `--log`), and the model alone (model,
//! operator, incidents; no log). The peer, same machine and same run: the
//! same viewer model written with Mesa (bench/peer-mesa/model.py), at a
//! smaller size; it keeps no log, so `ratio` compares it with the model
//! alone and `ratio_with_log` with the whole pipeline.

use anyhow::Context;
use serde::Serialize;
use std::path::PathBuf;
use zhibo_sim::{Report, RunStats, ScriptedOperator};

use super::timed;

/// The targets.
pub const TARGET_SECONDS: f64 = 5.0;
pub const TARGET_RSS_MB: f64 = 300.0;
pub const TARGET_RATIO: f64 = 100.0;

/// The benchmark's show: the default scenario's shape, stretched to two
/// hours with feed traffic for ~100,000 arrivals.
pub const BENCH_SCENARIO: &str = include_str!("sim_bench.toml");
pub const BENCH_SEED: u64 = 2026;
/// The peer's show: 30 minutes at 200 entries a minute (~6,000 arrivals).
const PEER_ARGS: [&str; 8] = ["--minutes", "30", "--entries-per-min", "200", "--seed", "2026", "--repeat", "3"];
/// Each side's time is the best of this many runs of the same show.
const RUNS: usize = 3;

#[derive(Debug, Serialize)]
pub struct SimBench {
    pub bench: &'static str,
    pub show_minutes: u32,
    pub seconds: f64,
    pub arrivals: usize,
    pub events: u64,
    /// Viewer-seconds simulated: every viewer online, every second.
    pub agent_steps: u64,
    /// Of those, the viewer-seconds the model looked at one by one; the
    /// rest it skipped as quiet (exactly: docs/sim.md).
    pub looked_at: u64,
    /// The whole pipeline, log included.
    pub agent_steps_per_s: f64,
    /// The model alone (no log), same show.
    pub model_seconds: f64,
    pub model_agent_steps_per_s: f64,
    pub peak_rss_mb: f64,
    pub peak_online: u64,
    pub gmv_fen: i64,
    pub peer: Option<&'static str>,
    pub peer_agent_steps: Option<u64>,
    pub peer_agent_steps_per_s: Option<f64>,
    /// model_agent_steps_per_s ÷ peer_agent_steps_per_s (like for like).
    pub ratio: Option<f64>,
    /// agent_steps_per_s ÷ peer_agent_steps_per_s.
    pub ratio_with_log: Option<f64>,
    /// Why there is no peer figure, when there is none.
    pub peer_error: Option<String>,
    pub target_seconds: f64,
    pub target_rss_mb: f64,
    pub target_ratio: f64,
    pub meets_target: bool,
}

pub fn run(with_peer: bool) -> anyhow::Result<SimBench> {
    let scenario = zhibo_sim::parse(BENCH_SCENARIO).map_err(|e| anyhow::anyhow!("the bench scenario: {e}"))?;
    // The model alone first, so the pipeline's memory is what VmHWM shows.
    // Each the best of RUNS runs: the machine is shared and noisy.
    let mut model_seconds = f64::INFINITY;
    let mut silent = None;
    for _ in 0..RUNS {
        let (stats, took) = timed(|| {
            let mut op = ScriptedOperator::new(&scenario, BENCH_SEED);
            zhibo_sim::play_silent(&scenario, BENCH_SEED, &mut op)
        });
        model_seconds = model_seconds.min(took.as_secs_f64());
        silent = Some(stats);
    }
    let mut seconds = f64::INFINITY;
    let mut played: Option<(Report, RunStats)> = None;
    for _ in 0..RUNS {
        let (run, took) = timed(|| zhibo_sim::play_scenario(&scenario, BENCH_SEED, &mut |_| {}));
        seconds = seconds.min(took.as_secs_f64());
        played = Some(run);
    }
    let (report, stats) = played.context("no run")?;
    anyhow::ensure!(silent.is_some_and(|s| s.agent_steps == stats.agent_steps), "the silent run played another show");
    let peak_rss_mb = peak_rss_mb().unwrap_or(f64::NAN);
    let agent_steps_per_s = stats.agent_steps as f64 / seconds;
    let model_agent_steps_per_s = stats.agent_steps as f64 / model_seconds;
    let (peer, peer_error) = if with_peer {
        match run_peer() {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    } else {
        (None, Some("skipped (--no-peer)".to_owned()))
    };
    let peer_rate = peer.as_ref().map(|p| p.agent_steps_per_s);
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let ratio = peer_rate.map(|r| round2(model_agent_steps_per_s / r));
    let time_and_memory = seconds < TARGET_SECONDS && peak_rss_mb < TARGET_RSS_MB;
    Ok(SimBench {
        bench: "sim",
        show_minutes: scenario.duration_s / 60,
        seconds: (seconds * 1000.0).round() / 1000.0,
        arrivals: stats.arrivals,
        events: stats.events,
        agent_steps: stats.agent_steps,
        looked_at: stats.looked_at,
        agent_steps_per_s: agent_steps_per_s.round(),
        model_seconds: (model_seconds * 1000.0).round() / 1000.0,
        model_agent_steps_per_s: model_agent_steps_per_s.round(),
        peak_rss_mb: (peak_rss_mb * 10.0).round() / 10.0,
        peak_online: report.peak_online,
        gmv_fen: report.gmv_fen,
        peer: peer.as_ref().map(|_| "mesa"),
        peer_agent_steps: peer.as_ref().map(|p| p.agent_steps),
        peer_agent_steps_per_s: peer_rate.map(f64::round),
        ratio,
        ratio_with_log: peer_rate.map(|r| round2(agent_steps_per_s / r)),
        peer_error,
        target_seconds: TARGET_SECONDS,
        target_rss_mb: TARGET_RSS_MB,
        target_ratio: TARGET_RATIO,
        meets_target: time_and_memory && ratio.is_none_or(|r| r >= TARGET_RATIO),
    })
}

#[derive(Debug, serde::Deserialize)]
struct PeerOutput {
    agent_steps: u64,
    agent_steps_per_s: f64,
}

/// The peer's folder: beside the sources this binary was built from, or
/// under the working directory.
fn peer_folder() -> anyhow::Result<PathBuf> {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/peer-mesa");
    let here = PathBuf::from("bench/peer-mesa");
    [built, here].into_iter().find(|p| p.join("model.py").is_file()).ok_or_else(|| {
        anyhow::anyhow!(
            "找不到对照模型 / cannot find bench/peer-mesa/model.py (run from the repository, or pass --no-peer)"
        )
    })
}

fn run_peer() -> anyhow::Result<PeerOutput> {
    let dir = peer_folder()?;
    let out = std::process::Command::new("python3")
        .arg("model.py")
        .args(PEER_ARGS)
        .current_dir(&dir)
        .output()
        .context("starting python3 for the Mesa peer (or pass --no-peer)")?;
    anyhow::ensure!(
        out.status.success(),
        "the Mesa peer failed ({}): {} — install it with `pip install -r bench/peer-mesa/requirements.txt`",
        out.status,
        String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
    );
    serde_json::from_slice(&out.stdout).context("reading the Mesa peer's JSON")
}

/// The process's peak resident memory (VmHWM), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn print_human(r: &SimBench) {
    println!("模拟观众基准 / simulated-audience benchmark: a {}-minute show, one thread", r.show_minutes);
    println!("  arrivals:                     {:>12}", r.arrivals);
    println!("  events logged:                {:>12}", r.events);
    println!("  agent steps (viewer-seconds): {:>12}", r.agent_steps);
    println!("  of them looked at one by one: {:>12}", r.looked_at);
    println!("  wall time, with the log:      {:>12.3} s  (target < {} s)", r.seconds, r.target_seconds);
    println!("  agent steps/s, with the log:  {:>12.0}", r.agent_steps_per_s);
    println!("  agent steps/s, model alone:   {:>12.0}  ({:.3} s)", r.model_agent_steps_per_s, r.model_seconds);
    println!("  peak RSS:                     {:>12.1} MB (target < {} MB)", r.peak_rss_mb, r.target_rss_mb);
    match (r.peer_agent_steps_per_s, r.ratio, r.ratio_with_log) {
        (Some(peer), Some(ratio), Some(with_log)) => {
            println!("  Mesa peer agent steps/s:      {peer:>12.0}");
            println!(
                "  ratio, model ÷ peer:          {ratio:>12.2}  (target ≥ {}); with the log {with_log:.2}",
                r.target_ratio
            );
        }
        _ => println!("  Mesa peer: {}", r.peer_error.as_deref().unwrap_or("none")),
    }
    println!("  peak online {}, GMV ¥{:.2}; targets met: {}", r.peak_online, r.gmv_fen as f64 / 100.0, r.meets_target);
}
