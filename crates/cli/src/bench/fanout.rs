//! `zhibo bench fanout`: one live room, N WebSocket viewers on loopback,
//! the load (500 comments/s, 2,000 likes/s) coming in, and how
//! many comment frames reach viewers per second, how late, and what each
//! viewer costs in memory — beside the same load against a broadcast server
//! written with the npm `ws` package (the peer), in the same run.
//!
//! zhibo runs in this process (the same `Application` as `zhibo demo`, on
//! a temporary data folder and a free port), so its memory figure includes
//! the clients' side of every socket: it is an upper bound for the server.

mod load;
mod peer;

use anyhow::Context;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use zhibo_domain::{Clock, WallClock};
use zhibo_store::{ShowStore, SqliteStore};
use zhibo_web::demo::{DEMO_PASSWORD, DEMO_SHOW, seed};
use zhibo_web::{Application, Settings};

use load::{Load, Phase, Senders};
use peer::Peer;

/// The targets on this 2-core machine.
pub const TARGET_VIEWERS: usize = 20_000;
pub const TARGET_P99_MS: f64 = 250.0;
pub const TARGET_BYTES_PER_VIEWER: u64 = 24 * 1024;
pub const TARGET_RATIO_PER_CORE: f64 = 3.0;

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
    pub resyncs: u64,
    pub errors: u64,
    /// Process memory growth ÷ viewers, clients' sockets included.
    pub bytes_per_viewer: Option<u64>,
    pub bytes_per_viewer_includes_clients: bool,
    /// The same, measured at the end of the load (batches in flight).
    pub bytes_per_viewer_under_load: Option<u64>,
    /// Cores zhibo's runtime had (its worker threads), shared with the clients.
    pub server_cores: usize,
    pub peer_deliveries_per_s: Option<f64>,
    pub peer_p50_ms: Option<f64>,
    pub peer_p99_ms: Option<f64>,
    pub peer_delivered_fraction: Option<f64>,
    /// The node process's memory growth ÷ viewers (server side only).
    pub peer_bytes_per_viewer: Option<u64>,
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

pub async fn run(viewers: usize, seconds: f64, with_peer: bool) -> anyhow::Result<FanoutReport> {
    let limit = open_files_limit();
    // both ends of every socket live in this process, plus the database and the peer's producer
    let needed = 2 * viewers as u64 + 256;
    if let Some(limit) = limit
        && needed > limit
    {
        anyhow::bail!(
            "打开文件数上限不足 / --viewers {viewers} needs about {needed} open files in this process, the limit is {limit} \
             (raise it with `ulimit -n`, or ask for fewer viewers)"
        );
    }
    let load = Load::for_viewers(viewers);
    let zhibo = run_zhibo(viewers, seconds, load).await?;
    let per = |b: Option<u64>| b.map(|b| b / viewers.max(1) as u64);
    let (peer, peer_rss) = if with_peer {
        let p = Peer::start().await?;
        let url = format!("ws://127.0.0.1:{}", p.port);
        let pid = p.pid.to_string();
        let result = load::run(
            &format!("{url}/viewer"),
            Senders::Producer(format!("{url}/producer")),
            viewers,
            load,
            seconds,
            || rss_bytes(&pid),
        )
        .await;
        p.stop().await;
        let phase = result.context("the peer's run")?;
        (Some(phase), phase.rss_growth_bytes)
    } else {
        (None, None)
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
        resyncs: zhibo.resyncs,
        errors: zhibo.errors,
        bytes_per_viewer: per(zhibo.rss_growth_bytes),
        bytes_per_viewer_includes_clients: true,
        bytes_per_viewer_under_load: per(zhibo.self_growth_under_load_bytes),
        server_cores,
        peer_deliveries_per_s: peer.map(|p| p.deliveries_per_s.round()),
        peer_p50_ms: peer.map(|p| p.p50_ms),
        peer_p99_ms: peer.map(|p| p.p99_ms),
        peer_delivered_fraction: peer.map(|p| round(p.delivered_fraction * 100.0) / 100.0),
        peer_bytes_per_viewer: per(peer_rss),
        peer_cores,
        ratio_per_core: ratio,
        open_files_limit: limit,
        target_viewers: TARGET_VIEWERS,
        target_p99_ms: TARGET_P99_MS,
        target_bytes_per_viewer: TARGET_BYTES_PER_VIEWER,
        target_ratio_per_core: TARGET_RATIO_PER_CORE,
    })
}

/// zhibo's run: the demo server in this process, the demo show as the
/// room, the demo assistant on the console, then the load.
async fn run_zhibo(viewers: usize, seconds: f64, load: Load) -> anyhow::Result<Phase> {
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
        let cookie = sign_in(addr, "assistant").await?;
        let mut console = format!("ws://{addr}/ws/rooms/{}/console", room.0).into_client_request()?;
        console.headers_mut().insert("cookie", HeaderValue::from_str(&cookie)?);
        let console = load::connect_draining(console).await.context("opening the console")?;
        let viewer_url = format!("ws://{addr}/ws/rooms/{}/viewer", room.0);
        let phase = load::run(&viewer_url, Senders::Viewers, viewers, load, seconds, || rss_bytes("self")).await;
        console.abort();
        // let the room log the viewers' leaving before the server stops
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        phase
    }
    .await;
    let _ = stop.send(());
    server.abort();
    result
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

/// Resident memory of a process (`self` or a pid), from /proc.
pub(super) fn rss_bytes(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// This process's soft limit on open files, from /proc.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

pub fn print_human(r: &FanoutReport) {
    let opt = |x: Option<f64>| x.map_or("—".to_owned(), |v| format!("{v:.1}"));
    println!("扇出基准 / fanout benchmark: {} viewers, {:.1} s, one room", r.viewers, r.seconds);
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
        "  memory: {} bytes/viewer (this process: server and clients; target {} for the server)",
        r.bytes_per_viewer.map_or("—".into(), |b| b.to_string()),
        r.target_bytes_per_viewer
    );
    println!(
        "          {} bytes/viewer at the end of the load",
        r.bytes_per_viewer_under_load.map_or("—".into(), |b| b.to_string())
    );
    println!(
        "  peer (node ws): {} deliveries/s  p50 {} ms  p99 {} ms  {} bytes/viewer",
        opt(r.peer_deliveries_per_s),
        opt(r.peer_p50_ms),
        opt(r.peer_p99_ms),
        r.peer_bytes_per_viewer.map_or("—".into(), |b| b.to_string())
    );
    println!(
        "  per core vs peer: ×{} ({} zhibo cores, {} peer core; target ×{})",
        opt(r.ratio_per_core),
        r.server_cores,
        r.peer_cores,
        r.target_ratio_per_core
    );
}
