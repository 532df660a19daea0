//! The fanout load generator and its viewers: N WebSocket clients that
//! count the comment frames they receive and how late each arrives, and
//! one task that sends comments (each carrying its send time as
//! `t=<micros>`) and likes at a steady rate. The same code drives zhibo and
//! the peer, so both see the same load and are measured the same way.

use anyhow::Context;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt, TryStreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Socket, Message>;

/// The issue's load: 500 comments and 2,000 likes a second.
pub const COMMENTS_PER_S: f64 = 500.0;
pub const LIKES_PER_S: f64 = 2_000.0;
/// zhibo lets a viewer comment once per 2 s; each sender comments every
/// 2.5 s, so the clock's jitter never trips the limit.
const SECONDS_BETWEEN_COMMENTS: f64 = 2.5;
/// zhibo allows 20 likes per viewer per clock second; stay under it.
const LIKES_PER_SENDER_PER_S: f64 = 16.0;
/// Load runs this long before the measured window.
const WARM_UP: Duration = Duration::from_millis(500);
/// Latency histogram: 0.1 ms buckets up to 10 s, the last one open.
const BUCKET_US: u64 = 100;
const BUCKETS: usize = 100_000;
const CLIENT_READ_BUFFER: usize = 8 * 1024;
/// Handshakes in flight at once while connecting viewers.
const CONNECTING_AT_ONCE: usize = 64;

/// What the generator offers: the issue's rates, lowered only when there
/// are too few viewers to send them within zhibo's per-viewer limits.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub senders: usize,
    pub comments_per_s: f64,
    pub likes_per_s: f64,
}

impl Load {
    pub fn for_viewers(viewers: usize) -> Load {
        let senders = viewers.min((COMMENTS_PER_S * SECONDS_BETWEEN_COMMENTS).ceil() as usize).max(1);
        Load {
            senders,
            comments_per_s: (senders as f64 / SECONDS_BETWEEN_COMMENTS).min(COMMENTS_PER_S),
            likes_per_s: (senders as f64 * LIKES_PER_SENDER_PER_S).min(LIKES_PER_S),
        }
    }
}

/// Who sends the load: zhibo's first `senders` viewers (comments are
/// per-viewer actions there), or the peer's one producer connection.
pub enum Senders {
    Viewers,
    Producer(String),
}

/// One server's figures.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    pub deliveries_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Comment frames delivered ÷ (comments sent in the window × viewers).
    pub delivered_fraction: f64,
    pub comments_sent_per_s: f64,
    pub likes_sent_per_s: f64,
    /// Snapshots beyond each connection's first: viewers that fell behind.
    pub resyncs: u64,
    /// Error frames received (a rate limit tripped, say).
    pub errors: u64,
    /// Memory growth of the probed process from before the viewers
    /// connected to when they were all in and idle.
    pub rss_growth_bytes: Option<u64>,
    /// This process's growth from before the viewers connected to the end
    /// of the load.
    pub self_growth_under_load_bytes: Option<u64>,
}

struct Stats {
    base: Instant,
    window_start_us: AtomicU64,
    window_end_us: AtomicU64,
    delivered: AtomicU64,
    snapshots: AtomicU64,
    errors: AtomicU64,
    histogram: Vec<AtomicU64>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            base: Instant::now(),
            window_start_us: AtomicU64::new(u64::MAX),
            window_end_us: AtomicU64::new(u64::MAX),
            delivered: AtomicU64::new(0),
            snapshots: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            histogram: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn now_us(&self) -> u64 {
        self.base.elapsed().as_micros() as u64
    }

    fn in_window(&self, us: u64) -> bool {
        us >= self.window_start_us.load(Relaxed) && us < self.window_end_us.load(Relaxed)
    }

    /// Counts the comment frames in one message. zhibo's frames come inside
    /// `batch` messages and the peer's one per message; either way each
    /// carries `"t=<micros>"`, so a substring scan finds them without
    /// parsing the JSON (the clients share the machine with the server).
    fn record(&self, text: &str) {
        if text.starts_with(r#"{"v":1,"type":"snapshot""#) {
            self.snapshots.fetch_add(1, Relaxed);
            return;
        }
        if text.starts_with(r#"{"v":1,"type":"error""#) {
            self.errors.fetch_add(1, Relaxed);
            return;
        }
        let now = self.now_us();
        let mut rest = text;
        while let Some(i) = rest.find("\"t=") {
            rest = &rest[i + 3..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let Ok(sent) = rest[..digits].parse::<u64>() else { continue };
            // Counted when it arrives inside the window, whenever it was
            // sent: a server that falls behind delivers fewer, later.
            if self.in_window(now) {
                self.delivered.fetch_add(1, Relaxed);
                let bucket = ((now.saturating_sub(sent)) / BUCKET_US).min(BUCKETS as u64 - 1) as usize;
                self.histogram[bucket].fetch_add(1, Relaxed);
            }
        }
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        let counts: Vec<u64> = self.histogram.iter().map(|c| c.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return f64::NAN;
        }
        let rank = ((total as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                // the bucket's upper edge: never flatters
                return ((i as u64 + 1) * BUCKET_US) as f64 / 1000.0;
            }
        }
        f64::NAN
    }
}

async fn connect(
    url: &str,
    request: Option<tokio_tungstenite::tungstenite::handshake::client::Request>,
) -> anyhow::Result<Socket> {
    // The clients' side of a socket is not what is measured: keep its
    // read buffer small (tungstenite's default is 128 KiB).
    let config = Some(WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER));
    let (socket, _) = match request {
        Some(r) => tokio_tungstenite::connect_async_with_config(r, config, true).await,
        None => tokio_tungstenite::connect_async_with_config(url, config, true).await,
    }
    .with_context(|| format!("connecting to {url}"))?;
    Ok(socket)
}

/// Connects `viewers` clients to `viewer_url`, offers `load` for a warm-up
/// and then `seconds`, waits for the stragglers, and measures. `rss` reads
/// the memory of the process whose growth per viewer is reported.
pub async fn run(
    viewer_url: &str,
    senders: Senders,
    viewers: usize,
    load: Load,
    seconds: f64,
    rss: impl Fn() -> Option<u64>,
) -> anyhow::Result<Phase> {
    let stats = Arc::new(Stats::new());
    let before = rss();
    let client_before = rss_self();
    let sockets: Vec<Socket> = futures_util::stream::iter(0..viewers)
        .map(|_| connect(viewer_url, None))
        .buffer_unordered(CONNECTING_AT_ONCE)
        .try_collect()
        .await?;
    let mut sinks: Vec<Sink> = Vec::with_capacity(viewers);
    let mut readers = Vec::with_capacity(viewers);
    for socket in sockets {
        let (sink, stream) = socket.split();
        sinks.push(sink);
        readers.push(tokio::spawn(read(stream, stats.clone())));
    }
    let mut load_sinks = match &senders {
        Senders::Viewers => sinks.drain(..load.senders.min(viewers)).collect(),
        Senders::Producer(url) => vec![connect(url, None).await?.split().0],
    };
    // zhibo greets every viewer with a snapshot; wait for them (bounded)
    // so memory is measured with every viewer in and settled.
    let settle_until = stats.now_us() + 10_000_000;
    while matches!(senders, Senders::Viewers)
        && stats.snapshots.load(Relaxed) < viewers as u64
        && stats.now_us() < settle_until
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = rss();
    let snapshots_at_start = stats.snapshots.load(Relaxed);

    let start = stats.now_us() + WARM_UP.as_micros() as u64;
    let end = start + (seconds * 1e6) as u64;
    stats.window_start_us.store(start, Relaxed);
    stats.window_end_us.store(end, Relaxed);
    let (comments, likes) = generate(&mut load_sinks, load, &stats, end).await?;
    let client_after = rss_self();

    for reader in &readers {
        reader.abort();
    }
    drop(load_sinks);
    drop(sinks);
    let delivered = stats.delivered.load(Relaxed);
    let expected = comments as f64 * viewers as f64;
    Ok(Phase {
        deliveries_per_s: delivered as f64 / seconds,
        p50_ms: stats.percentile_ms(0.50),
        p99_ms: stats.percentile_ms(0.99),
        delivered_fraction: if expected > 0.0 { delivered as f64 / expected } else { 0.0 },
        comments_sent_per_s: comments as f64 / seconds,
        likes_sent_per_s: likes as f64 / seconds,
        resyncs: stats.snapshots.load(Relaxed) - snapshots_at_start,
        errors: stats.errors.load(Relaxed),
        rss_growth_bytes: growth(before, after),
        self_growth_under_load_bytes: growth(client_before, client_after),
    })
}

fn growth(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    before.zip(after).map(|(b, a)| a.saturating_sub(b))
}

/// This process's resident memory.
fn rss_self() -> Option<u64> {
    super::rss_bytes("self")
}

/// Opens a console-style connection with extra handshake headers (the
/// session cookie) and drains it in the background until aborted.
pub async fn connect_draining(
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let url = request.uri().to_string();
    let socket = connect(&url, Some(request)).await?;
    Ok(tokio::spawn(async move {
        let (_sink, mut stream) = socket.split();
        while let Some(Ok(_)) = stream.next().await {}
    }))
}

async fn read(mut stream: SplitStream<Socket>, stats: Arc<Stats>) {
    while let Some(Ok(message)) = stream.next().await {
        if let Message::Text(text) = message {
            stats.record(text.as_str());
        }
    }
}

/// Sends the load until `end_us`; returns the comments and likes sent
/// inside the measured window.
async fn generate(sinks: &mut [Sink], load: Load, stats: &Stats, end_us: u64) -> anyhow::Result<(u64, u64)> {
    anyhow::ensure!(!sinks.is_empty(), "no connection to send the load on");
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let began = stats.now_us();
    let (mut comments, mut likes) = (0u64, 0u64);
    let (mut in_window_comments, mut in_window_likes) = (0u64, 0u64);
    let (mut next_commenter, mut next_liker) = (0usize, 0usize);
    let like = r#"{"v":1,"type":"like","count":1}"#;
    loop {
        tick.tick().await;
        let now = stats.now_us();
        if now >= end_us {
            return Ok((in_window_comments, in_window_likes));
        }
        let elapsed = (now - began) as f64 / 1e6;
        while (comments as f64) < elapsed * load.comments_per_s {
            let sent = stats.now_us();
            let text = format!(r#"{{"v":1,"type":"comment","text":"t={sent}"}}"#);
            let sink = &mut sinks[next_commenter % sinks.len()];
            next_commenter += 1;
            sink.send(Message::text(text)).await.context("sending a comment")?;
            comments += 1;
            in_window_comments += u64::from(stats.in_window(sent));
        }
        while (likes as f64) < elapsed * load.likes_per_s {
            let sink = &mut sinks[next_liker % sinks.len()];
            next_liker += 1;
            sink.send(Message::text(like)).await.context("sending a like")?;
            likes += 1;
            in_window_likes += u64::from(stats.in_window(stats.now_us()));
        }
    }
}
