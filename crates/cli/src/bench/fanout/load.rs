//! The fanout load generator, run in child processes of the bench
//! (`zhibo bench fanout-load`, hidden), so the server's process holds only
//! the server's side of each socket and its memory can be read alone.
//!
//! A child gets its [`Plan`] as one JSON line on stdin, connects half its
//! share of the viewers (each counts the comment frames it receives and how
//! late each arrives) and answers [`Ready`], then on the bench's word the
//! other half and answers again, waits for [`Go`], offers its share of
//! the load until the window ends, and answers its [`Outcome`]. Comments
//! carry their send time as `t=<micros>` on the machine's monotonic clock,
//! which every process shares, so a comment sent by one child is timed by
//! the viewers of all of them. The same code drives zhibo and the peer.

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::client::{self, Reader, Writer};
use super::sys;

/// The issue's load: 500 comments and 2,000 likes a second.
pub const COMMENTS_PER_S: f64 = 500.0;
pub const LIKES_PER_S: f64 = 2_000.0;
/// zhibo lets a viewer comment once per 2 s; each sender comments every
/// 2.5 s, so the clock's jitter never trips the limit.
const SECONDS_BETWEEN_COMMENTS: f64 = 2.5;
/// zhibo allows 20 likes per viewer per clock second; stay under it.
const LIKES_PER_SENDER_PER_S: f64 = 16.0;
/// Latency histogram: 0.1 ms buckets up to 10 s, the last one open.
pub const BUCKET_US: u64 = 100;
pub const BUCKETS: usize = 100_000;
/// Handshakes in flight at once, per load process, while connecting.
const CONNECTING_AT_ONCE: usize = 64;
/// How long a load process waits for zhibo's snapshots before it reports
/// ready anyway (the parent then sees fewer snapshots than viewers).
const SNAPSHOT_WAIT: Duration = Duration::from_secs(30);

/// What the generator offers in all: the issue's rates, lowered only when
/// there are too few viewers to send them within zhibo's per-viewer limits.
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

/// A console connection to hold open (and drain) for the whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Console {
    pub url: String,
    pub cookie: String,
}

/// One load process's share of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub viewer_url: String,
    pub viewers: usize,
    /// zhibo: the first `senders` of this process's viewers send its share
    /// of the load (comments are per-viewer actions there).
    pub senders: usize,
    /// The peer: the load goes through this one producer connection instead.
    pub producer_url: Option<String>,
    pub console: Option<Console>,
    /// This process's share of the load.
    pub comments_per_s: f64,
    pub likes_per_s: f64,
    /// zhibo greets every viewer with a snapshot: wait for them before
    /// reporting ready, so memory is read with every viewer settled.
    pub wait_for_snapshots: bool,
}

/// Half the viewers, then all of them, are connected (and have their
/// snapshots, when waited for).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ready {
    pub connected: usize,
    pub snapshots: u64,
}

/// The common schedule, in [`sys::monotonic_us`] time: the load starts at
/// `begin_us`; comment frames arriving in `[window_start_us,
/// window_end_us)` are counted; the load stops at `window_end_us`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Go {
    pub begin_us: u64,
    pub window_start_us: u64,
    pub window_end_us: u64,
}

/// One load process's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// Comment frames received inside the window.
    pub delivered: u64,
    /// Messages and payload bytes received inside the window.
    pub messages: u64,
    pub bytes: u64,
    /// Their latencies: (bucket, count) for the non-empty buckets.
    pub histogram: Vec<(u32, u64)>,
    /// Snapshots after the first per connection: viewers that fell behind.
    pub resyncs: u64,
    /// Error frames received (a rate limit tripped, say).
    pub errors: u64,
    /// Comments and likes sent inside the window.
    pub comments: u64,
    pub likes: u64,
    /// This load process's own memory, and the CPU time it used from the
    /// go to the end of the window (for the record).
    pub rss_bytes: Option<u64>,
    pub cpu_seconds: Option<f64>,
}

struct Stats {
    window_start_us: AtomicU64,
    window_end_us: AtomicU64,
    delivered: AtomicU64,
    messages: AtomicU64,
    bytes: AtomicU64,
    snapshots: AtomicU64,
    errors: AtomicU64,
    histogram: Vec<AtomicU64>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            window_start_us: AtomicU64::new(u64::MAX),
            window_end_us: AtomicU64::new(u64::MAX),
            delivered: AtomicU64::new(0),
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            snapshots: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            histogram: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn in_window(&self, us: u64) -> bool {
        us >= self.window_start_us.load(Relaxed) && us < self.window_end_us.load(Relaxed)
    }

    /// Counts the comment frames in one message. zhibo's frames come inside
    /// `batch` messages and the peer's one per message; either way each
    /// carries `"t=<micros>"`, so a substring scan finds them without
    /// parsing the JSON (the clients share the machine with the server).
    fn record(&self, finder: &Finders, text: &[u8]) {
        // Standalone frames have their keys in any order; a string value
        // cannot hold `"type":` (its quotes would be escaped).
        if !text.starts_with(br#"{"v":1,"type":"batch""#) {
            if finder.snapshot.find(text).is_some() {
                self.snapshots.fetch_add(1, Relaxed);
                return;
            }
            if finder.error.find(text).is_some() {
                self.errors.fetch_add(1, Relaxed);
                return;
            }
        }
        let now = sys::monotonic_us();
        // Counted when it arrives inside the window, whenever it was sent:
        // a server that falls behind delivers fewer, later.
        if !self.in_window(now) {
            return;
        }
        self.messages.fetch_add(1, Relaxed);
        self.bytes.fetch_add(text.len() as u64, Relaxed);
        for i in finder.stamp.find_iter(text) {
            let digits = text[i + 3..].iter().take_while(|b| b.is_ascii_digit());
            let sent = digits.fold(0u64, |n, d| n.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
            self.delivered.fetch_add(1, Relaxed);
            let bucket = ((now.saturating_sub(sent)) / BUCKET_US).min(BUCKETS as u64 - 1) as usize;
            self.histogram[bucket].fetch_add(1, Relaxed);
        }
    }
}

/// The `p` quantile (0..1) of a merged histogram, in milliseconds: the
/// bucket's upper edge, so it never flatters. NaN when empty.
pub fn percentile_ms(histogram: &[u64], p: f64) -> f64 {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return f64::NAN;
    }
    let rank = ((total as f64) * p).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (i, c) in histogram.iter().enumerate() {
        seen += c;
        if seen >= rank {
            return ((i as u64 + 1) * BUCKET_US) as f64 / 1000.0;
        }
    }
    f64::NAN
}

/// The byte patterns [`Stats::record`] looks for, built once.
struct Finders {
    snapshot: memchr::memmem::Finder<'static>,
    error: memchr::memmem::Finder<'static>,
    stamp: memchr::memmem::Finder<'static>,
}

impl Finders {
    fn new() -> Finders {
        Finders {
            snapshot: memchr::memmem::Finder::new(br#""type":"snapshot""#),
            error: memchr::memmem::Finder::new(br#""type":"error""#),
            stamp: memchr::memmem::Finder::new(br#""t="#),
        }
    }
}

async fn read(mut reader: Reader, stats: Arc<Stats>, finders: Arc<Finders>) {
    let _ = reader.each_text(|text| stats.record(&finders, text)).await;
}

/// The hidden `zhibo bench fanout-load` command: one load process. Runs on
/// a single thread of its own; the bench starts as many as it needs.
pub fn child_main() -> anyhow::Result<()> {
    sys::raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(child())
}

async fn child() -> anyhow::Result<()> {
    let line = next_line().await?.context("no plan on stdin")?;
    let plan: Plan = serde_json::from_str(&line).context("reading the plan")?;
    let stats = Arc::new(Stats::new());
    let finders = Arc::new(Finders::new());

    let console = match &plan.console {
        Some(c) => {
            let (mut reader, writer) =
                client::connect(&c.url, &[("Cookie", &c.cookie)]).await.context("opening the console")?;
            Some(tokio::spawn(async move {
                let _writer = writer;
                let _ = reader.each_text(|_| {}).await;
            }))
        }
        None => None,
    };
    // Two halves, each answered with `Ready`: the bench reads the server's
    // memory after each, and the second half's growth is what a viewer
    // costs once the allocator's free memory from start-up is used up.
    let mut sinks: Vec<Writer> = Vec::with_capacity(plan.viewers);
    let mut readers = Vec::with_capacity(plan.viewers);
    let half = plan.viewers / 2;
    for (stage, count) in [half, plan.viewers - half].into_iter().enumerate() {
        if stage > 0 {
            next_line().await?.context("no word from the bench to connect the rest")?;
        }
        let sockets: Vec<(Reader, Writer)> = futures_util::stream::iter(0..count)
            .map(|_| client::connect(&plan.viewer_url, &[]))
            .buffer_unordered(CONNECTING_AT_ONCE)
            .try_collect()
            .await?;
        for (reader, writer) in sockets {
            sinks.push(writer);
            readers.push(tokio::spawn(read(reader, stats.clone(), finders.clone())));
        }
        if plan.wait_for_snapshots {
            let waited = tokio::time::timeout(SNAPSHOT_WAIT, async {
                while stats.snapshots.load(Relaxed) < sinks.len() as u64 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
            let _ = waited.await;
        }
        say(&Ready { connected: sinks.len(), snapshots: stats.snapshots.load(Relaxed) })?;
    }
    let mut load_sinks: Vec<Writer> = match &plan.producer_url {
        Some(url) => vec![client::connect(url, &[]).await?.1],
        None => sinks.drain(..plan.senders.min(plan.viewers)).collect(),
    };

    let line = next_line().await?.context("no go from the bench")?;
    let go: Go = serde_json::from_str(&line).context("reading go")?;
    let snapshots_at_start = stats.snapshots.load(Relaxed);
    let cpu_at_go = sys::cpu_seconds("self");
    stats.window_start_us.store(go.window_start_us, Relaxed);
    stats.window_end_us.store(go.window_end_us, Relaxed);
    let (comments, likes) = generate(&mut load_sinks, &plan, &stats, go).await?;

    // Frames still in flight when the window closed are not counted.
    for reader in &readers {
        reader.abort();
    }
    if let Some(console) = console {
        console.abort();
    }
    let histogram = stats
        .histogram
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i as u32, c.load(Relaxed))).filter(|(_, n)| *n > 0))
        .collect();
    let outcome = Outcome {
        delivered: stats.delivered.load(Relaxed),
        messages: stats.messages.load(Relaxed),
        bytes: stats.bytes.load(Relaxed),
        histogram,
        resyncs: stats.snapshots.load(Relaxed) - snapshots_at_start,
        errors: stats.errors.load(Relaxed),
        comments,
        likes,
        rss_bytes: sys::rss_bytes("self"),
        cpu_seconds: sys::cpu_seconds("self").zip(cpu_at_go).map(|(end, go)| end - go),
    };
    say(&outcome)?;
    drop(load_sinks);
    drop(sinks);
    Ok(())
}

/// One line from the bench, read on a blocking thread (the viewers keep
/// running meanwhile); `None` once the bench closed the pipe.
async fn next_line() -> anyhow::Result<Option<String>> {
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let read = std::io::stdin().read_line(&mut line)?;
        Ok((read > 0).then_some(line))
    })
    .await?
}

/// One line to the bench (a few hundred bytes; writing it blocks no one).
fn say(what: &impl Serialize) -> anyhow::Result<()> {
    let mut line = serde_json::to_vec(what)?;
    line.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&line)?;
    out.flush()?;
    Ok(())
}

/// Sends this process's share of the load from `go.begin_us` until the
/// window ends; returns the comments and likes sent inside the window.
async fn generate(sinks: &mut [Writer], plan: &Plan, stats: &Stats, go: Go) -> anyhow::Result<(u64, u64)> {
    if plan.comments_per_s <= 0.0 && plan.likes_per_s <= 0.0 {
        // a viewers-only process: nothing to send, just listen until the end
        let wait = go.window_end_us.saturating_sub(sys::monotonic_us());
        tokio::time::sleep(Duration::from_micros(wait)).await;
        return Ok((0, 0));
    }
    anyhow::ensure!(!sinks.is_empty(), "no connection to send the load on");
    let wait = go.begin_us.saturating_sub(sys::monotonic_us());
    tokio::time::sleep(Duration::from_micros(wait)).await;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let (mut comments, mut likes) = (0u64, 0u64);
    let (mut in_window_comments, mut in_window_likes) = (0u64, 0u64);
    let (mut next_commenter, mut next_liker) = (0usize, 0usize);
    let like = r#"{"v":1,"type":"like","count":1}"#;
    loop {
        tick.tick().await;
        let now = sys::monotonic_us();
        if now >= go.window_end_us {
            return Ok((in_window_comments, in_window_likes));
        }
        let elapsed = now.saturating_sub(go.begin_us) as f64 / 1e6;
        while (comments as f64) < elapsed * plan.comments_per_s {
            let sent = sys::monotonic_us();
            let text = format!(r#"{{"v":1,"type":"comment","text":"t={sent}"}}"#);
            let sink = &mut sinks[next_commenter % sinks.len()];
            next_commenter += 1;
            sink.send_text(&text).await.context("sending a comment")?;
            comments += 1;
            in_window_comments += u64::from(stats.in_window(sent));
        }
        while (likes as f64) < elapsed * plan.likes_per_s {
            let sink = &mut sinks[next_liker % sinks.len()];
            next_liker += 1;
            sink.send_text(like).await.context("sending a like")?;
            likes += 1;
            in_window_likes += u64::from(stats.in_window(sys::monotonic_us()));
        }
    }
}
