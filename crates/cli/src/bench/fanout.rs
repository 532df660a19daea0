//! `zhibo bench fanout`: one live room, N WebSocket viewers on loopback,
//! the issue's load (500 comments/s, 2,000 likes/s) coming in, and how
//! many comment frames reach viewers per second, how late, and what each
//! viewer costs the server in memory — beside the same load against a
//! broadcast server written with the npm `ws` package (the peer), in the
//! same run.
//!
//! zhibo runs in this process (the same `Application` as `zhibo demo`, on
//! a temporary data folder and a free port); the viewers and the load come
//! from child processes (`fanout/load.rs`, driven by `fanout/fleet.rs`), so
//! this process's memory growth is the server's alone. The peer gets the
//! same child processes.

use super::ws_client as client;
mod fleet;
mod load;
mod peer;
pub(crate) mod sys;

pub use load::child_main;

use anyhow::Context;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zhibo_domain::{Clock, WallClock};
use zhibo_store::{ShowStore, SqliteStore};
use zhibo_web::demo::{DEMO_PASSWORD, DEMO_SHOW, seed};
use zhibo_web::{Application, Settings};

use fleet::Fleet;
use load::{Console, Go, Load, Outcome, Plan};
use peer::Peer;

/// The issue's targets on this 2-core machine.
pub const TARGET_VIEWERS: usize = 20_000;
pub const TARGET_P99_MS: f64 = 250.0;
pub const TARGET_BYTES_PER_VIEWER: u64 = 24 * 1024;
pub const TARGET_RATIO_PER_CORE: f64 = 3.0;
/// Viewers per load process (each runs on one thread of its own).
const VIEWERS_PER_LOAD_PROCESS: usize = 5_000;
/// Descriptors kept free in a server's process beyond those it holds
/// before the viewers come and one per viewer.
const SPARE_FILES: u64 = 16;
/// Load runs this long before the measured window.
const WARM_UP_US: u64 = 500_000;

#[derive(Debug, Serialize)]
pub struct FanoutReport {
    pub bench: &'static str,
    pub viewers: usize,
    pub seconds: f64,
    /// The load offered (lower than 500/2,000 only with too few viewers
    /// to send it within zhibo's per-viewer limits).
    pub comments_per_s: f64,
    pub likes_per_s: f64,
    pub comments_sent_per_s: f64,
    pub likes_sent_per_s: f64,
    /// Comment frames delivered to viewers per second (each frame counted
    /// once per viewer that received it).
    pub deliveries_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub delivered_fraction: f64,
    /// WebSocket messages and megabytes reaching viewers per second.
    pub messages_per_s: f64,
    pub megabytes_per_s: f64,
    pub resyncs: u64,
    pub errors: u64,
    /// The server process's memory (VmRSS; no client in it) per viewer,
    /// idle: its growth while the second half of the viewers connected ÷
    /// that half. The first half reuses memory the allocator kept from
    /// start-up (seeding, password hashing), which would flatter the figure.
    pub bytes_per_viewer: Option<u64>,
    /// Growth from before any viewer to all of them idle, ÷ viewers.
    pub bytes_per_viewer_whole_growth: Option<u64>,
    /// `bytes_per_viewer` plus what delivering the load added (from all
    /// viewers idle to the end of the load, ÷ viewers).
    pub bytes_per_viewer_under_load: Option<u64>,
    /// How long the room took, once every viewer was in, to log their
    /// entries and show a new comment (the load starts after that).
    pub settle_ms: Option<f64>,
    /// Cores zhibo's runtime had (its worker threads).
    pub server_cores: usize,
    /// CPU the server's process used during the window ÷ its length.
    pub server_cpu_cores_used: Option<f64>,
    /// Processes the viewers and load came from, and the CPU they used
    /// (they share the machine with the server).
    pub load_processes: usize,
    pub load_cpu_cores_used: Option<f64>,
    pub peer_deliveries_per_s: Option<f64>,
    pub peer_p50_ms: Option<f64>,
    pub peer_p99_ms: Option<f64>,
    pub peer_delivered_fraction: Option<f64>,
    pub peer_messages_per_s: Option<f64>,
    pub peer_megabytes_per_s: Option<f64>,
    /// The node process's memory per viewer, measured as zhibo's is.
    pub peer_bytes_per_viewer: Option<u64>,
    pub peer_bytes_per_viewer_under_load: Option<u64>,
    pub peer_cpu_cores_used: Option<f64>,
    /// Node runs JavaScript, and so `ws`, on one thread.
    pub peer_cores: usize,
    /// (deliveries_per_s ÷ server_cores) ÷ (peer_deliveries_per_s ÷ peer_cores).
    pub ratio_per_core: Option<f64>,
    pub open_files_limit: Option<u64>,
    pub target_viewers: usize,
    pub target_p99_ms: f64,
    pub target_bytes_per_viewer: u64,
    pub target_ratio_per_core: f64,
}

/// One server's figures.
#[derive(Debug, Clone, Copy)]
struct Phase {
    deliveries_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Comment frames delivered ÷ (comments sent in the window × viewers).
    delivered_fraction: f64,
    messages_per_s: f64,
    megabytes_per_s: f64,
    comments_sent_per_s: f64,
    likes_sent_per_s: f64,
    resyncs: u64,
    errors: u64,
    /// Growth of the server's memory from before the viewers connected to
    /// when they were all in and idle, and to the end of the load.
    rss_growth_bytes: Option<u64>,
    settle_ms: Option<f64>,
    /// The growth from half the viewers to all ÷ the second half: the
    /// cost of one more viewer, once memory freed at start-up is reused.
    second_half_bytes_per_viewer: Option<u64>,
    /// What delivering the load adds, from all viewers idle to the end of
    /// the load, ÷ viewers.
    under_load_bytes_per_viewer: Option<u64>,
    cpu_cores_used: Option<f64>,
    load_cpu_cores_used: Option<f64>,
}

pub async fn run(viewers: usize, seconds: f64, with_peer: bool) -> anyhow::Result<FanoutReport> {
    let limit = sys::raise_open_files_limit();
    let load = Load::for_viewers(viewers);
    let zhibo = run_zhibo(viewers, seconds, load, limit).await?;
    let per = |b: Option<u64>| b.map(|b| b / viewers.max(1) as u64);
    let peer = if with_peer {
        let p = Peer::start().await?;
        let result = run_peer(&p, viewers, seconds, load, limit).await;
        p.stop().await;
        Some(result.context("the peer's run")?)
    } else {
        None
    };
    let server_cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let peer_cores = 1;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let ratio = peer
        .filter(|p| p.deliveries_per_s > 0.0)
        .map(|p| round((zhibo.deliveries_per_s / server_cores as f64) / (p.deliveries_per_s / peer_cores as f64)));
    Ok(FanoutReport {
        bench: "fanout",
        viewers,
        seconds,
        comments_per_s: round(load.comments_per_s),
        likes_per_s: round(load.likes_per_s),
        comments_sent_per_s: round(zhibo.comments_sent_per_s),
        likes_sent_per_s: round(zhibo.likes_sent_per_s),
        deliveries_per_s: zhibo.deliveries_per_s.round(),
        p50_ms: zhibo.p50_ms,
        p99_ms: zhibo.p99_ms,
        delivered_fraction: round(zhibo.delivered_fraction * 100.0) / 100.0,
        messages_per_s: zhibo.messages_per_s.round(),
        megabytes_per_s: round(zhibo.megabytes_per_s),
        resyncs: zhibo.resyncs,
        errors: zhibo.errors,
        bytes_per_viewer: zhibo.second_half_bytes_per_viewer,
        bytes_per_viewer_whole_growth: per(zhibo.rss_growth_bytes),
        bytes_per_viewer_under_load: zhibo
            .second_half_bytes_per_viewer
            .zip(zhibo.under_load_bytes_per_viewer)
            .map(|(a, b)| a + b),
        settle_ms: zhibo.settle_ms,
        server_cores,
        server_cpu_cores_used: zhibo.cpu_cores_used.map(round),
        load_processes: load_processes(viewers),
        load_cpu_cores_used: zhibo.load_cpu_cores_used.map(round),
        peer_deliveries_per_s: peer.map(|p| p.deliveries_per_s.round()),
        peer_p50_ms: peer.map(|p| p.p50_ms),
        peer_p99_ms: peer.map(|p| p.p99_ms),
        peer_delivered_fraction: peer.map(|p| round(p.delivered_fraction * 100.0) / 100.0),
        peer_messages_per_s: peer.map(|p| p.messages_per_s.round()),
        peer_megabytes_per_s: peer.map(|p| round(p.megabytes_per_s)),
        peer_bytes_per_viewer: peer.and_then(|p| p.second_half_bytes_per_viewer),
        peer_bytes_per_viewer_under_load: peer
            .and_then(|p| p.second_half_bytes_per_viewer.zip(p.under_load_bytes_per_viewer).map(|(a, b)| a + b)),
        peer_cpu_cores_used: peer.and_then(|p| p.cpu_cores_used.map(round)),
        peer_cores,
        ratio_per_core: ratio,
        open_files_limit: limit,
        target_viewers: TARGET_VIEWERS,
        target_p99_ms: TARGET_P99_MS,
        target_bytes_per_viewer: TARGET_BYTES_PER_VIEWER,
        target_ratio_per_core: TARGET_RATIO_PER_CORE,
    })
}

fn load_processes(viewers: usize) -> usize {
    viewers.div_ceil(VIEWERS_PER_LOAD_PROCESS).max(1)
}

/// Refuses, before anything connects, a run the server's process cannot
/// hold: every viewer is one descriptor there, beside those it already has.
fn check_open_files(who: &str, pid: &str, viewers: usize, extra: u64, limit: Option<u64>) -> anyhow::Result<()> {
    let (Some(limit), Some(open)) = (limit, sys::open_files(pid)) else { return Ok(()) };
    let needed = open + viewers as u64 + extra + SPARE_FILES;
    if needed > limit {
        let most = limit.saturating_sub(open + extra + SPARE_FILES);
        anyhow::bail!(
            "打开文件数上限不足 / {who} cannot hold --viewers {viewers}: it has {open} files open already and \
             needs one per viewer, about {needed} in all, and the open-files limit here is {limit} (hard limit; \
             raising it needs root's CAP_SYS_RESOURCE). At most {most} viewers fit."
        );
    }
    Ok(())
}

/// Splits the viewers and the load over the load processes.
fn plans(
    viewers: usize,
    load: Load,
    viewer_url: &str,
    producer_url: Option<&str>,
    console: Option<Console>,
) -> Vec<Plan> {
    let processes = load_processes(viewers);
    let mut console = console;
    (0..processes)
        .map(|i| {
            let mine = viewers / processes + usize::from(i < viewers % processes);
            let senders = load.senders / processes + usize::from(i < load.senders % processes);
            let (share, senders) = match producer_url {
                // the peer's one producer connection carries all the load
                Some(_) => (if i == 0 { 1.0 } else { 0.0 }, 0),
                None => (senders as f64 / load.senders as f64, senders.min(mine)),
            };
            Plan {
                viewer_url: viewer_url.to_owned(),
                viewers: mine,
                senders,
                producer_url: producer_url.filter(|_| i == 0).map(str::to_owned),
                console: console.take(),
                comments_per_s: load.comments_per_s * share,
                likes_per_s: load.likes_per_s * share,
                wait_for_snapshots: producer_url.is_none(),
            }
        })
        .collect()
}

/// Connects the load processes' viewers to a server (`pid`), reads its
/// memory before and after, offers the load and gathers the figures.
async fn measure(
    pid: &str,
    plans: &[Plan],
    viewers: usize,
    seconds: f64,
    probe: Option<&str>,
) -> anyhow::Result<Phase> {
    let before = sys::rss_bytes(pid);
    let within = Duration::from_secs(60 + viewers as u64 / 100);
    let mut fleet = Fleet::start(plans).await?;
    let half: usize = fleet.ready(within).await?.iter().map(|r| r.connected).sum();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_half = sys::rss_bytes(pid);
    fleet.more().await?;
    let ready = fleet.ready(within).await?;
    let snapshots: u64 = ready.iter().map(|r| r.snapshots).sum();
    if plans.iter().any(|p| p.wait_for_snapshots) && snapshots < viewers as u64 {
        tracing::warn!(snapshots, viewers, "not every viewer had its snapshot when the load began");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = sys::rss_bytes(pid);
    let settle_ms = match probe {
        Some(url) => Some(settle(url, within).await?),
        None => None,
    };

    let begin_us = sys::monotonic_us() + 100_000;
    let go = Go {
        begin_us,
        window_start_us: begin_us + WARM_UP_US,
        window_end_us: begin_us + WARM_UP_US + (seconds * 1e6) as u64,
    };
    fleet.go(&go).await?;
    sleep_until_us(go.window_start_us).await;
    let cpu_start = sys::cpu_seconds(pid);
    sleep_until_us(go.window_end_us).await;
    let cpu_end = sys::cpu_seconds(pid);
    let under_load = sys::rss_bytes(pid);
    let outcomes: Vec<Outcome> = fleet.outcomes(Duration::from_secs(60)).await?;
    fleet.finish(Duration::from_secs(10)).await;

    let mut histogram = vec![0u64; load::BUCKETS];
    for o in &outcomes {
        for &(bucket, count) in &o.histogram {
            if let Some(slot) = histogram.get_mut(bucket as usize) {
                *slot += count;
            }
        }
    }
    let delivered: u64 = outcomes.iter().map(|o| o.delivered).sum();
    let comments: u64 = outcomes.iter().map(|o| o.comments).sum();
    let likes: u64 = outcomes.iter().map(|o| o.likes).sum();
    let expected = comments as f64 * viewers as f64;
    let growth = |b: Option<u64>, a: Option<u64>| b.zip(a).map(|(b, a)| a.saturating_sub(b));
    let load_cpu: Option<f64> = outcomes.iter().map(|o| o.cpu_seconds).sum();
    Ok(Phase {
        deliveries_per_s: delivered as f64 / seconds,
        p50_ms: load::percentile_ms(&histogram, 0.50),
        p99_ms: load::percentile_ms(&histogram, 0.99),
        delivered_fraction: if expected > 0.0 { delivered as f64 / expected } else { 0.0 },
        messages_per_s: outcomes.iter().map(|o| o.messages).sum::<u64>() as f64 / seconds,
        megabytes_per_s: outcomes.iter().map(|o| o.bytes).sum::<u64>() as f64 / seconds / 1e6,
        comments_sent_per_s: comments as f64 / seconds,
        likes_sent_per_s: likes as f64 / seconds,
        resyncs: outcomes.iter().map(|o| o.resyncs).sum(),
        errors: outcomes.iter().map(|o| o.errors).sum(),
        rss_growth_bytes: growth(before, after),
        settle_ms,
        second_half_bytes_per_viewer: growth(at_half, after)
            .filter(|_| viewers > half)
            .map(|g| g / (viewers - half) as u64),
        under_load_bytes_per_viewer: growth(after, under_load).map(|g| g / viewers.max(1) as u64),
        cpu_cores_used: cpu_start.zip(cpu_end).map(|(s, e)| (e - s) / seconds),
        // from the go to the end of the window: the warm-up included
        load_cpu_cores_used: load_cpu.map(|c| c / (seconds + WARM_UP_US as f64 / 1e6)),
    })
}

/// Waits until the room has caught up with the viewers' arrival: every
/// entry is logged before a later comment's frame may go out, so one more
/// viewer comments and waits to see it. The load then meets a room in its
/// steady state, not one still logging a crowd's entries. Returns how long
/// that took.
async fn settle(viewer_url: &str, within: Duration) -> anyhow::Result<f64> {
    let started = sys::monotonic_us();
    let (mut reader, mut writer) = client::connect(viewer_url, &[]).await.context("connecting the probe")?;
    writer.send_text(r#"{"v":1,"type":"comment","text":"settled?"}"#).await?;
    let seen = reader.each_text(|text| memchr::memmem::find(text, b"settled?").is_none());
    tokio::time::timeout(within, seen)
        .await
        .context("房间未能赶上 / the room did not catch up with the viewers' arrival")??;
    Ok((sys::monotonic_us() - started) as f64 / 1000.0)
}

async fn sleep_until_us(target: u64) {
    tokio::time::sleep(Duration::from_micros(target.saturating_sub(sys::monotonic_us()))).await;
}

/// zhibo's run: the demo server in this process, the demo show as the
/// room, the demo assistant on the console (from the first load process),
/// then the viewers and the load.
async fn run_zhibo(viewers: usize, seconds: f64, load: Load, limit: Option<u64>) -> anyhow::Result<Phase> {
    let data = tempfile::tempdir().context("creating a temporary data folder")?;
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.data.dir = data.path().to_owned();
    settings.validate()?;
    let clock: Arc<dyn Clock> = Arc::new(WallClock);
    let store = SqliteStore::open(&settings.database_path(), clock.clone()).await.context("opening the database")?;
    let seeded = seed(&store).await.map_err(|e| anyhow::anyhow!("seeding the demo shop: {e}"))?;
    let room = store.show_by_title(seeded.shop, DEMO_SHOW).await?.context("the demo seed made no show")?.id;
    let app = Application::build(settings, Arc::new(store), clock).await?;
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let result = async {
        // the console, the probe (both its ends), and two pipes per load process
        let extra = 3 + 2 * load_processes(viewers) as u64;
        check_open_files("zhibo's process", "self", viewers, extra, limit)?;
        let cookie = sign_in(addr, "assistant").await?;
        let console = Console { url: format!("ws://{addr}/ws/rooms/{}/console", room.0), cookie };
        let viewer_url = format!("ws://{addr}/ws/rooms/{}/viewer", room.0);
        let plans = plans(viewers, load, &viewer_url, None, Some(console));
        let phase = measure("self", &plans, viewers, seconds, Some(&viewer_url)).await;
        // let the room log the viewers' leaving before the server stops
        tokio::time::sleep(Duration::from_secs(1)).await;
        phase
    }
    .await;
    let _ = stop.send(());
    server.abort();
    result
}

/// The peer's run: the same load processes against node.
async fn run_peer(p: &Peer, viewers: usize, seconds: f64, load: Load, limit: Option<u64>) -> anyhow::Result<Phase> {
    let pid = p.pid.to_string();
    // node raises its own soft limit to the hard one, as this process did
    check_open_files("the peer's node process", &pid, viewers, 1, limit)?;
    let url = format!("ws://127.0.0.1:{}", p.port);
    let plans = plans(viewers, load, &format!("{url}/viewer"), Some(&format!("{url}/producer")), None);
    measure(&pid, &plans, viewers, seconds, None).await
}

/// Signs in through the API (`POST /api/v1/session`) with a plain HTTP/1.1
/// request and returns the cookies it sets, for the console's handshake.
async fn sign_in(addr: SocketAddr, username: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({ "username": username, "password": DEMO_PASSWORD }).to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response);
    let status = response.lines().next().unwrap_or_default();
    anyhow::ensure!(status.contains(" 200 ") || status.contains(" 201 "), "signing in as {username}: {status}");
    let cookies: Vec<&str> = response
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .collect();
    anyhow::ensure!(!cookies.is_empty(), "signing in as {username} set no cookie");
    Ok(cookies.join("; "))
}

pub fn print_human(r: &FanoutReport) {
    let opt = |x: Option<f64>| x.map_or("—".to_owned(), |v| format!("{v:.1}"));
    let bytes = |b: Option<u64>| b.map_or("—".to_owned(), |b| b.to_string());
    println!(
        "扇出基准 / fanout benchmark: {} viewers from {} load processes, {:.1} s, one room",
        r.viewers, r.load_processes, r.seconds
    );
    println!(
        "  load offered: {:.0} comments/s, {:.0} likes/s (sent {:.0} / {:.0})",
        r.comments_per_s, r.likes_per_s, r.comments_sent_per_s, r.likes_sent_per_s
    );
    println!(
        "  zhibo: {:>10.0} deliveries/s  p50 {:.1} ms  p99 {:.1} ms  delivered {:.1}%  resyncs {}  errors {}",
        r.deliveries_per_s,
        r.p50_ms,
        r.p99_ms,
        r.delivered_fraction * 100.0,
        r.resyncs,
        r.errors
    );
    println!(
        "  received: {:.0} messages/s, {:.1} MB/s (the room caught up with the arrivals in {} ms)",
        r.messages_per_s,
        r.megabytes_per_s,
        opt(r.settle_ms)
    );
    println!(
        "  memory: {} bytes/viewer, {} at the end of the load, {} from the whole growth (server process only; target {})",
        bytes(r.bytes_per_viewer),
        bytes(r.bytes_per_viewer_under_load),
        bytes(r.bytes_per_viewer_whole_growth),
        r.target_bytes_per_viewer
    );
    println!(
        "  cpu: zhibo {} cores used of {}, load processes {}",
        opt(r.server_cpu_cores_used),
        r.server_cores,
        opt(r.load_cpu_cores_used)
    );
    println!(
        "  peer (node ws): {} deliveries/s  p50 {} ms  p99 {} ms  {} bytes/viewer ({} under load)  {} cores used",
        opt(r.peer_deliveries_per_s),
        opt(r.peer_p50_ms),
        opt(r.peer_p99_ms),
        bytes(r.peer_bytes_per_viewer),
        bytes(r.peer_bytes_per_viewer_under_load),
        opt(r.peer_cpu_cores_used)
    );
    println!(
        "  per core vs peer: ×{} ({} zhibo cores, {} peer core; target ×{})",
        opt(r.ratio_per_core),
        r.server_cores,
        r.peer_cores,
        r.target_ratio_per_core
    );
}
