//! `zhibo bench media`: one 600 kbps publisher (ffmpeg's test pattern with
//! a tone, relayed by `media/relay.rs`), N viewers from child processes
//! (`media/load.rs`), and what the server holds: viewers per CPU core
//! without falling behind, memory per viewer and publish-to-play latency.
//! zhibo plays the stream as HTTP-FLV; the peer, in the same run and fed
//! the very same tags, is nginx with the RTMP module (`media/nginx.rs`),
//! its viewers playing RTMP.
//!
//! How each figure is made (also in BENCHMARKS.md):
//!
//! - **latency**: the relay notes when it wrote each video keyframe to a
//!   server's socket, every viewer when that keyframe had reached it
//!   whole (over HTTP-FLV with its PreviousTagSize, which a player waits
//!   for; over RTMP its last byte), both on the machine's monotonic clock;
//!   a keyframe is known on both sides by [`keyframe_id`] (its length and
//!   a hash of its last bytes).
//!   Encoder delay and a player's buffer are not in it.
//! - **held**: a viewer holds when it was still playing at the window's
//!   end and every keyframe written during the window (all but its last
//!   [`BEHIND_MS`]) reached it within [`BEHIND_MS`].
//! - **viewers per core**: held viewers ÷ the CPU the server's process used
//!   in the window (user + system, from /proc, ÷ the window's length).
//! - **bytes per viewer**: the growth of the server process's resident
//!   memory while the second half of the viewers joined ÷ that half.

mod load;
mod nginx;
mod relay;

pub use load::child_main;

use anyhow::Context;
use serde::Serialize;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use zhibo_domain::{Clock, WallClock};
use zhibo_store::{ShowStore, SqliteStore};
use zhibo_web::demo::{DEMO_SHOW, seed};
use zhibo_web::{Application, Settings};

use crate::bench::fanout::sys;
use load::{Go, Outcome, Plan, Ready, Source};

pub const TARGET_RATIO: f64 = 1.5;
pub const TARGET_LATENCY_MS: f64 = 1500.0;
/// A viewer this far behind the publisher has fallen behind.
pub const BEHIND_MS: u64 = 2000;
/// Viewers per load process.
const VIEWERS_PER_PROCESS: usize = 1000;
/// Publishing runs this long before the first viewer joins (a full GOP).
const WARM_UP: Duration = Duration::from_secs(3);

/// A keyframe's name on both sides: its length and an FNV-1a hash of its
/// last 256 bytes (x264 keyframes begin alike; their ends differ).
pub fn keyframe_id(body: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ body.len() as u64;
    for b in &body[body.len().saturating_sub(256)..] {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[derive(Debug, Clone, Serialize)]
pub struct MediaReport {
    pub bench: &'static str,
    pub viewers: usize,
    /// zhibo's `[media] flv_merge_ms` in the run.
    pub flv_merge_ms: u32,
    pub seconds: f64,
    pub stream: &'static str,
    /// The publisher's media bitrate as relayed (kbps).
    pub publisher_kbps: f64,
    pub held_viewers: usize,
    pub fell_behind: usize,
    /// Held viewers ÷ CPU cores zhibo's process used.
    pub viewers_per_core: Option<f64>,
    pub server_cpu_cores_used: Option<f64>,
    pub bytes_per_viewer: Option<u64>,
    /// Publish-to-play over HTTP-FLV, median of every keyframe at every viewer.
    pub latency_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    pub load_cpu_cores_used: Option<f64>,
    pub peer: String,
    pub peer_error: Option<String>,
    pub peer_held_viewers: Option<usize>,
    pub peer_fell_behind: Option<usize>,
    pub peer_viewers_per_core: Option<f64>,
    pub peer_cpu_cores_used: Option<f64>,
    pub peer_bytes_per_viewer: Option<u64>,
    pub peer_latency_ms: Option<f64>,
    pub peer_latency_p99_ms: Option<f64>,
    /// CPU the RTMP players' load processes used (rml_rtmp's client
    /// session costs more per byte than the HTTP-FLV reader).
    pub peer_load_cpu_cores_used: Option<f64>,
    /// viewers_per_core ÷ peer_viewers_per_core.
    pub ratio: Option<f64>,
    pub cores: usize,
    /// /proc/loadavg when the run began: other work on the machine.
    pub load_average: Option<String>,
    pub target_ratio: f64,
    pub target_latency_ms: f64,
}

/// One server's figures.
#[derive(Debug, Clone, Default)]
struct Phase {
    held: usize,
    fell_behind: usize,
    first_error: Option<String>,
    cpu_cores_used: Option<f64>,
    bytes_per_viewer: Option<u64>,
    latencies_ms: Vec<f64>,
    load_cpu_cores_used: Option<f64>,
}

impl Phase {
    fn per_core(&self) -> Option<f64> {
        self.cpu_cores_used.filter(|c| *c > 0.0 && self.held > 0).map(|c| round(self.held as f64 / c))
    }

    fn percentile(&self, p: f64) -> Option<f64> {
        let mut v = self.latencies_ms.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let i = ((v.len() - 1) as f64 * p).round() as usize;
        Some(round(v[i]))
    }
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `zhibo bench media`: checks the options, runs, prints.
pub async fn command(
    viewers: usize,
    seconds: f64,
    json: bool,
    with_peer: bool,
    flv_merge_ms: Option<u32>,
) -> anyhow::Result<()> {
    if !(1..=50_000).contains(&viewers) {
        anyhow::bail!("--viewers 须在 1 到 50000 之间 / --viewers must be between 1 and 50000");
    }
    if !(5.0..=600.0).contains(&seconds) {
        anyhow::bail!("--seconds 须在 5 到 600 之间 / --seconds must be between 5 and 600 (keyframes come every 2 s)");
    }
    let report = run(viewers, seconds, with_peer, flv_merge_ms).await?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_human(&report);
    }
    Ok(())
}

pub async fn run(
    viewers: usize,
    seconds: f64,
    with_peer: bool,
    flv_merge_ms: Option<u32>,
) -> anyhow::Result<MediaReport> {
    sys::raise_open_files_limit();
    let load_average = std::fs::read_to_string("/proc/loadavg").ok().map(|l| l.trim().to_owned());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    // zhibo, in this process, as `zhibo demo` runs it
    let data = tempfile::tempdir().context("creating a temporary data folder")?;
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.media.rtmp_port = 0;
    settings.data.dir = data.path().to_owned();
    if let Some(ms) = flv_merge_ms {
        settings.media.flv_merge_ms = ms;
    }
    let flv_merge_ms = settings.media.flv_merge_ms;
    settings.validate()?;
    let clock: Arc<dyn Clock> = Arc::new(WallClock);
    let store = SqliteStore::open(&settings.database_path(), clock.clone()).await.context("opening the database")?;
    let seeded = seed(&store).await.map_err(|e| anyhow::anyhow!("seeding the demo shop: {e}"))?;
    let room = store.show_by_title(seeded.shop, DEMO_SHOW).await?.context("the demo seed made no show")?.id;
    let app = Application::build(settings, Arc::new(store), clock).await?;
    let http = app.local_addr();
    let media = app.state().media.server().context("zhibo's RTMP ingest did not start")?.clone();
    let key = media.new_key(seeded.shop, room).await.map_err(|e| anyhow::anyhow!("making a stream key: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let mut peer_error = None;
    let peer = if with_peer {
        match nginx::start(viewers).await {
            Ok(n) => Some(n),
            Err(e) => {
                peer_error = Some(e);
                None
            }
        }
    } else {
        peer_error = Some("--no-peer".into());
        None
    };
    let peer_name =
        peer.as_ref().map_or_else(|| "nginx-rtmp".to_owned(), |n| format!("nginx {} + rtmp module", n.version));

    let mut sinks = vec![relay::Sink { name: "zhibo", addr: media.local_addr(), app: media.app().to_owned(), key }];
    if let Some(n) = &peer {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], n.port));
        sinks.push(relay::Sink { name: "nginx-rtmp", addr, app: "live".into(), key: "bench".into() });
    }
    let result = async {
        let relay = relay::start(&sinks).await?;
        let began = sys::monotonic_us();
        tokio::time::sleep(WARM_UP).await;
        anyhow::ensure!(media.hub().is_live(room), "zhibo is not receiving the stream");
        let flv = Source::HttpFlv { addr: http.to_string(), path: format!("/live/shows/{}/stream.flv", room.0) };
        let ours = measure("self", flv, viewers, seconds, &relay, 0).await.context("zhibo's run")?;
        let theirs = match &peer {
            Some(n) => {
                let rtmp =
                    Source::Rtmp { addr: format!("127.0.0.1:{}", n.port), app: "live".into(), key: "bench".into() };
                match measure(&n.pid.to_string(), rtmp, viewers, seconds, &relay, 1).await {
                    Ok(p) => Some(p),
                    Err(e) => {
                        peer_error = Some(format!("{e:#}"));
                        None
                    }
                }
            }
            None => None,
        };
        let elapsed_s = (sys::monotonic_us() - began) as f64 / 1e6;
        let kbps = relay.bytes.load(std::sync::atomic::Ordering::Relaxed) as f64 * 8.0 / 1000.0 / elapsed_s;
        Ok::<_, anyhow::Error>((ours, theirs, kbps))
    }
    .await;
    if let Some(n) = peer {
        n.stop().await;
    }
    let _ = stop.send(());
    server.abort();
    let (ours, theirs, kbps) = result?;
    if let Some(e) = &ours.first_error {
        tracing::warn!(error = %e, "a zhibo viewer failed");
    }
    let ratio =
        ours.per_core().zip(theirs.as_ref().and_then(Phase::per_core)).map(|(a, b)| (a / b * 100.0).round() / 100.0);
    Ok(MediaReport {
        bench: "media",
        flv_merge_ms,
        viewers,
        seconds,
        stream: relay::VIDEO,
        publisher_kbps: kbps.round(),
        held_viewers: ours.held,
        fell_behind: ours.fell_behind,
        viewers_per_core: ours.per_core(),
        server_cpu_cores_used: ours.cpu_cores_used.map(|c| (c * 1000.0).round() / 1000.0),
        bytes_per_viewer: ours.bytes_per_viewer,
        latency_ms: ours.percentile(0.5),
        latency_p99_ms: ours.percentile(0.99),
        latency_max_ms: ours.percentile(1.0),
        load_cpu_cores_used: ours.load_cpu_cores_used.map(|c| (c * 1000.0).round() / 1000.0),
        peer: peer_name,
        peer_error,
        peer_held_viewers: theirs.as_ref().map(|p| p.held),
        peer_fell_behind: theirs.as_ref().map(|p| p.fell_behind),
        peer_viewers_per_core: theirs.as_ref().and_then(Phase::per_core),
        peer_cpu_cores_used: theirs.as_ref().and_then(|p| p.cpu_cores_used).map(|c| (c * 1000.0).round() / 1000.0),
        peer_bytes_per_viewer: theirs.as_ref().and_then(|p| p.bytes_per_viewer),
        peer_latency_ms: theirs.as_ref().and_then(|p| p.percentile(0.5)),
        peer_latency_p99_ms: theirs.as_ref().and_then(|p| p.percentile(0.99)),
        peer_load_cpu_cores_used: theirs
            .as_ref()
            .and_then(|p| p.load_cpu_cores_used)
            .map(|c| (c * 1000.0).round() / 1000.0),
        ratio,
        cores,
        load_average,
        target_ratio: TARGET_RATIO,
        target_latency_ms: TARGET_LATENCY_MS,
    })
}

/// Viewers of one server (`pid`): join in two halves (memory read before,
/// between and after), play through the window (CPU read at its ends),
/// then their keyframes are matched with the relay's send log for `sink`.
async fn measure(
    pid: &str,
    source: Source,
    viewers: usize,
    seconds: f64,
    relay: &relay::Relay,
    sink: usize,
) -> anyhow::Result<Phase> {
    let processes = viewers.div_ceil(VIEWERS_PER_PROCESS).max(1);
    let plans: Vec<Plan> = (0..processes)
        .map(|i| Plan { source: source.clone(), viewers: viewers / processes + usize::from(i < viewers % processes) })
        .collect();
    let within = Duration::from_secs(60 + viewers as u64 / 50);
    let mut fleet = Fleet::start(&plans).await?;
    let first: Vec<Ready> = fleet.hear_all(within, "the first half's first keyframes").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_half = sys::rss_bytes(pid);
    fleet.tell_all(&"more").await?;
    let second: Vec<Ready> = fleet.hear_all(within, "the second half's first keyframes").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = sys::rss_bytes(pid);
    let first_error = first.iter().chain(&second).find_map(|r| r.first_error.clone());
    let half_joined: usize = second.iter().map(|r| r.playing).sum();

    let start = sys::monotonic_us() + 200_000;
    let go = Go { window_start_us: start, window_end_us: start + (seconds * 1e6) as u64 };
    fleet.tell_all(&go).await?;
    tokio::time::sleep(Duration::from_micros(go.window_start_us.saturating_sub(sys::monotonic_us()))).await;
    let cpu_start = sys::cpu_seconds(pid);
    tokio::time::sleep(Duration::from_micros(go.window_end_us.saturating_sub(sys::monotonic_us()))).await;
    let cpu_end = sys::cpu_seconds(pid);
    let outcomes: Vec<Outcome> = fleet.hear_all(Duration::from_secs(60), "the viewers' figures").await?;
    fleet.finish().await;

    let sent = relay.sent.lock().unwrap_or_else(|e| e.into_inner())[sink].clone();
    let behind_us = BEHIND_MS * 1000;
    let due: Vec<(u64, u64)> = sent
        .iter()
        .filter(|(_, t)| **t >= go.window_start_us && **t + behind_us <= go.window_end_us)
        .map(|(id, t)| (*id, *t))
        .collect();
    let mut phase = Phase { first_error, ..Phase::default() };
    for viewer in outcomes.iter().flat_map(|o| &o.viewers) {
        let mut arrived = std::collections::HashMap::new();
        for (id, at) in &viewer.keyframes {
            if let Some(sent_at) = sent.get(id) {
                let latency_us = at.saturating_sub(*sent_at);
                phase.latencies_ms.push(latency_us as f64 / 1000.0);
                arrived.insert(*id, latency_us);
            }
        }
        let kept_up = due.iter().all(|(id, _)| arrived.get(id).is_some_and(|l| *l <= behind_us));
        if viewer.ended.is_none() && kept_up && !due.is_empty() {
            phase.held += 1;
        } else {
            phase.fell_behind += 1;
            if phase.first_error.is_none() {
                phase.first_error = viewer.ended.clone();
            }
        }
    }
    // viewers that never started count as fallen behind too
    phase.fell_behind += viewers.saturating_sub(outcomes.iter().map(|o| o.viewers.len()).sum());
    phase.cpu_cores_used = cpu_start.zip(cpu_end).map(|(s, e)| (e - s) / seconds);
    phase.bytes_per_viewer =
        at_half.zip(after).filter(|_| half_joined > 0).map(|(a, b)| b.saturating_sub(a) / half_joined as u64);
    let load_cpu: Option<f64> = outcomes.iter().map(|o| o.cpu_seconds).sum();
    phase.load_cpu_cores_used = load_cpu.map(|c| c / seconds);
    Ok(phase)
}

/// The load processes: this same binary as `zhibo bench media-load`, one
/// JSON line at a time each way; killed if dropped.
struct Fleet {
    members: Vec<(Child, ChildStdin, Lines<BufReader<ChildStdout>>)>,
}

impl Fleet {
    async fn start(plans: &[Plan]) -> anyhow::Result<Fleet> {
        let exe = std::env::current_exe().context("finding this program to start the load processes")?;
        let mut fleet = Fleet { members: Vec::new() };
        for _ in plans {
            let mut child = Command::new(&exe)
                .args(["bench", "media-load"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .context("starting a load process")?;
            let input = child.stdin.take().context("a load process's stdin")?;
            let output = BufReader::new(child.stdout.take().context("a load process's stdout")?).lines();
            fleet.members.push((child, input, output));
        }
        for (member, plan) in fleet.members.iter_mut().zip(plans) {
            tell(&mut member.1, plan).await?;
        }
        Ok(fleet)
    }

    async fn tell_all(&mut self, what: &impl Serialize) -> anyhow::Result<()> {
        for member in &mut self.members {
            tell(&mut member.1, what).await?;
        }
        Ok(())
    }

    async fn hear_all<T: serde::de::DeserializeOwned>(
        &mut self,
        within: Duration,
        what: &str,
    ) -> anyhow::Result<Vec<T>> {
        let heard = futures_util::future::try_join_all(self.members.iter_mut().map(|m| async {
            let line = m.2.next_line().await?.context("a load process stopped early (its error is above)")?;
            serde_json::from_str::<T>(&line).with_context(|| format!("a load process said {line:?}"))
        }));
        tokio::time::timeout(within, heard)
            .await
            .with_context(|| format!("负载进程超时 / the load processes took over {within:?} for {what}"))?
    }

    /// Closes their stdin so they exit; kills any that lingers.
    async fn finish(self) {
        for (mut child, input, _) in self.members {
            drop(input);
            if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
        }
    }
}

async fn tell(input: &mut ChildStdin, what: &impl Serialize) -> anyhow::Result<()> {
    let mut line = serde_json::to_vec(what)?;
    line.push(b'\n');
    input.write_all(&line).await.context("writing to a load process")?;
    input.flush().await.context("writing to a load process")?;
    Ok(())
}

fn opt(x: Option<f64>) -> String {
    x.map_or("—".to_owned(), |v| format!("{v}"))
}

pub fn print_human(r: &MediaReport) {
    println!("媒体基准 / media benchmark: {} viewers, {} s window, {}", r.viewers, r.seconds, r.stream);
    println!(
        "  publisher: {} kbps relayed to both servers; load average at start: {}",
        r.publisher_kbps,
        r.load_average.as_deref().unwrap_or("—")
    );
    println!(
        "  zhibo HTTP-FLV (flv_merge_ms {}): {} held, {} fell behind; {} cores used → {} viewers/core; {} bytes/viewer",
        r.flv_merge_ms,
        r.held_viewers,
        r.fell_behind,
        opt(r.server_cpu_cores_used),
        opt(r.viewers_per_core),
        r.bytes_per_viewer.map_or("—".into(), |b| b.to_string())
    );
    println!(
        "  latency publish→play: p50 {} ms, p99 {} ms, max {} ms (target < {} ms)",
        opt(r.latency_ms),
        opt(r.latency_p99_ms),
        opt(r.latency_max_ms),
        r.target_latency_ms
    );
    match &r.peer_error {
        Some(e) => println!("  peer ({}): not measured: {e}", r.peer),
        None => println!(
            "  peer {} (RTMP play): {} held, {} fell behind; {} cores used → {} viewers/core; {} bytes/viewer; latency p50 {} ms, p99 {} ms",
            r.peer,
            r.peer_held_viewers.map_or("—".into(), |v| v.to_string()),
            r.peer_fell_behind.map_or("—".into(), |v| v.to_string()),
            opt(r.peer_cpu_cores_used),
            opt(r.peer_viewers_per_core),
            r.peer_bytes_per_viewer.map_or("—".into(), |b| b.to_string()),
            opt(r.peer_latency_ms),
            opt(r.peer_latency_p99_ms)
        ),
    }
    println!(
        "  viewers per core vs peer: ×{} (target ×{}); load processes used {} cores",
        opt(r.ratio),
        r.target_ratio,
        opt(r.load_cpu_cores_used)
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn keyframe_ids_tell_different_ends_and_lengths_apart() {
        let a = vec![1u8; 1000];
        let mut b = a.clone();
        b[999] = 2;
        let mut c = a.clone();
        c.push(1);
        assert_ne!(super::keyframe_id(&a), super::keyframe_id(&b));
        assert_ne!(super::keyframe_id(&a), super::keyframe_id(&c));
        assert_eq!(super::keyframe_id(&a), super::keyframe_id(&a.clone()));
    }
}
