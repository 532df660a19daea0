//! `zhibo bench flash-sale`: K units, N signed-in buyers, each on its own
//! WebSocket to the demo room on loopback, each keeping the same number of
//! `flash_buy` attempts in flight for a fixed time. Reported: successful
//! and rejected attempts per second, p50/p99 answer time, units sold, and
//! two checks read back from the store afterwards: `oversold` (units sold
//! beyond K) and `lost_orders` (successes a buyer was told whose order is
//! not stored). Both must be 0.
//!
//! The peer, in the same run with the same load generator, the same number
//! of connections and the same attempts in flight per connection: Redis 7
//! (Debian's `redis-server`, started here on a free port with
//! `--save "" --appendonly no` and stopped afterwards) running the usual
//! Lua check-and-decrement script with the same per-buyer limit. It records
//! no order at all; zhibo commits every win as an order before answering.
//!
//! zhibo runs in this process (the same `Application` as `zhibo demo`, on a
//! temporary folder); the load generator runs on a thread of its own with
//! its own single-threaded runtime, for both servers alike. Both share the
//! machine's cores with it, so the report also gives each server's CPU time
//! per answered attempt (and the load generator's), read from /proc around
//! the window: throughput on a busy 2-core machine says as much about the
//! neighbours as about the server.

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use memchr::memmem;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::stock::StockChange;
use zhibo_domain::{Clock, FlashSaleId, OrderId, Role, WallClock};
use zhibo_store::{AccountStore, CatalogStore, FlashSaleStore, NewUser, ShowStore, SqliteStore, StockStore};
use zhibo_web::demo::{DEMO_PASSWORD, DEMO_SHOW, seed};
use zhibo_web::{Application, Settings};

use super::ws_client;

/// The issue's target: at least this × Redis's attempts per second…
pub const TARGET_RATIO: f64 = 1.5;
/// …at a p99 answer time no worse than this.
pub const TARGET_P99_MS: f64 = 5.0;

/// Bytes each client connection reads at a time, for both servers (the
/// Redis client's `BufReader` has the same 8 KiB).
const CLIENT_READ_BUFFER: usize = 8 * 1024;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub units: u32,
    pub buyers: usize,
    pub in_flight: usize,
    pub seconds: f64,
    pub peer: bool,
}

#[derive(Debug, Serialize)]
pub struct FlashSaleReport {
    pub bench: &'static str,
    pub quantity: u32,
    pub per_buyer: u32,
    pub connections: usize,
    pub in_flight: usize,
    pub seconds: f64,
    pub attempts_per_s: f64,
    pub successful_per_s: f64,
    pub rejected_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Units sold: the sale's orders in the store.
    pub sold: u32,
    /// Units sold beyond the quantity (must be 0).
    pub oversold: u32,
    /// Successes told to a buyer whose order is not in the store (must be 0).
    pub lost_orders: u64,
    /// zhibo's CPU time per answered attempt, µs (this process less the
    /// load generator's thread; /proc, 10 ms ticks).
    pub cpu_us_per_attempt: Option<f64>,
    /// The load generator's CPU time per answered attempt, µs.
    pub load_cpu_us_per_attempt: Option<f64>,
    /// Answers that were neither a result nor expected (must be 0).
    pub errors: u64,
    pub peer: Option<&'static str>,
    pub peer_attempts_per_s: Option<f64>,
    pub peer_successful_per_s: Option<f64>,
    pub peer_p50_ms: Option<f64>,
    pub peer_p99_ms: Option<f64>,
    pub peer_sold: Option<u32>,
    pub peer_oversold: Option<u32>,
    pub peer_cpu_us_per_attempt: Option<f64>,
    pub peer_load_cpu_us_per_attempt: Option<f64>,
    /// attempts_per_s ÷ peer_attempts_per_s.
    pub ratio: Option<f64>,
    pub target_ratio: f64,
    pub target_p99_ms: f64,
}

/// One attempt's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Won(Option<OrderId>),
    Refused,
    Error,
}

/// One connection's way of attempting: send attempt `id`, hear answers.
trait Wire {
    async fn send(&mut self, id: u64) -> anyhow::Result<()>;
    /// The next answer: which attempt and what.
    async fn recv(&mut self) -> anyhow::Result<(u64, Answer)>;
}

/// What one connection saw in the window.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u32>,
    won: u64,
    refused: u64,
    errors: u64,
    orders: Vec<OrderId>,
}

/// Keeps `in_flight` attempts outstanding until `end`; counts answers that
/// arrive before it.
async fn drive(mut wire: impl Wire, in_flight: usize, start: Instant, end: Instant) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut sent: HashMap<u64, Instant> = HashMap::new();
    let mut next = 0u64;
    let now = Instant::now();
    if now < start {
        tokio::time::sleep(start - now).await;
    }
    for _ in 0..in_flight {
        sent.insert(next, Instant::now());
        wire.send(next).await?;
        next += 1;
    }
    loop {
        let (id, answer) = match tokio::time::timeout_at(end.into(), wire.recv()).await {
            Ok(answer) => answer?,
            Err(_) => break,
        };
        let now = Instant::now();
        let Some(at) = sent.remove(&id) else {
            tally.errors += 1;
            continue;
        };
        tally.latencies_us.push(u32::try_from(now.duration_since(at).as_micros()).unwrap_or(u32::MAX));
        match answer {
            Answer::Won(order) => {
                tally.won += 1;
                tally.orders.extend(order);
            }
            Answer::Refused => tally.refused += 1,
            Answer::Error => tally.errors += 1,
        }
        sent.insert(next, Instant::now());
        wire.send(next).await?;
        next += 1;
    }
    Ok(tally)
}

/// Whose CPU time is the server's, read from /proc around the window.
#[derive(Debug, Clone, Copy)]
enum ServerCpu {
    /// This process, less the load thread (zhibo runs in process).
    ThisProcess,
    /// Another process (redis-server).
    Process(u32),
}

/// CPU seconds (user + system) in a /proc `stat` file; `None` off Linux.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat).ok()?;
    // utime and stime are the 12th and 13th fields after the command name.
    let mut fields = text.get(text.rfind(')')? + 1..)?.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    // In USER_HZ ticks, 100 a second on Linux.
    Some((user + system) / 100.0)
}

/// CPU seconds the server and the load generator spent in a window.
#[derive(Debug, Clone, Copy, Default)]
struct CpuUse {
    server: Option<f64>,
    load: Option<f64>,
}

impl ServerCpu {
    fn read(self) -> CpuUse {
        let load = cpu_seconds("/proc/thread-self/stat");
        let server = match self {
            ServerCpu::ThisProcess => cpu_seconds("/proc/self/stat").zip(load).map(|(all, load)| all - load),
            ServerCpu::Process(pid) => cpu_seconds(&format!("/proc/{pid}/stat")),
        };
        CpuUse { server, load }
    }
}

/// Runs the load on a thread of its own: `wires` are made there (by
/// `connect`, one per connection), then all start together. Also returns
/// the CPU time the server and this thread used meanwhile.
fn load<W: Wire + 'static, F: std::future::Future<Output = anyhow::Result<W>> + 'static>(
    connections: usize,
    in_flight: usize,
    seconds: f64,
    server: ServerCpu,
    connect: impl Fn(usize) -> F + Send + 'static,
) -> anyhow::Result<(Vec<Tally>, f64, CpuUse)> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async move {
            let mut wires = Vec::with_capacity(connections);
            for i in 0..connections {
                wires.push(connect(i).await?);
            }
            let start = Instant::now() + Duration::from_millis(50);
            let end = start + Duration::from_secs_f64(seconds);
            let before = server.read();
            let tasks: Vec<_> =
                wires.into_iter().map(|w| tokio::task::spawn_local(drive(w, in_flight, start, end))).collect();
            let mut tallies = Vec::with_capacity(tasks.len());
            for t in tasks {
                tallies.push(t.await??);
            }
            let after = server.read();
            let spent = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| (a - b).max(0.0));
            let cpu = CpuUse { server: spent(after.server, before.server), load: spent(after.load, before.load) };
            Ok((tallies, (Instant::now().min(end) - start).as_secs_f64(), cpu))
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the load thread panicked"))?
}

/// The figures of one server's run.
struct Phase {
    attempts_per_s: f64,
    successful_per_s: f64,
    rejected_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    won: u64,
    errors: u64,
    orders: Vec<OrderId>,
    /// Server CPU µs per answered attempt.
    cpu_us: Option<f64>,
    /// Load generator CPU µs per answered attempt.
    load_cpu_us: Option<f64>,
}

fn phase(tallies: Vec<Tally>, seconds: f64, cpu: CpuUse) -> Phase {
    let mut latencies: Vec<u32> = tallies.iter().flat_map(|t| t.latencies_us.iter().copied()).collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let at = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        f64::from(latencies[at]) / 1000.0
    };
    let won: u64 = tallies.iter().map(|t| t.won).sum();
    let refused: u64 = tallies.iter().map(|t| t.refused).sum();
    let per_attempt = |s: Option<f64>| s.map(|s| s * 1e6 / (won + refused).max(1) as f64);
    Phase {
        cpu_us: per_attempt(cpu.server),
        load_cpu_us: per_attempt(cpu.load),
        attempts_per_s: (won + refused) as f64 / seconds,
        successful_per_s: won as f64 / seconds,
        rejected_per_s: refused as f64 / seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        won,
        errors: tallies.iter().map(|t| t.errors).sum(),
        orders: tallies.into_iter().flat_map(|t| t.orders).collect(),
    }
}

pub async fn run(o: Options) -> anyhow::Result<FlashSaleReport> {
    let per_buyer = (2 * o.units).div_ceil(o.buyers as u32).clamp(1, o.units);
    let (zhibo, sold, lost) = run_zhibo(o, per_buyer).await?;
    let peer = if o.peer { Some(run_redis(o, per_buyer).await?) } else { None };
    Ok(FlashSaleReport {
        bench: "flash-sale",
        quantity: o.units,
        per_buyer,
        connections: o.buyers,
        in_flight: o.in_flight,
        seconds: o.seconds,
        attempts_per_s: zhibo.attempts_per_s,
        successful_per_s: zhibo.successful_per_s,
        rejected_per_s: zhibo.rejected_per_s,
        p50_ms: zhibo.p50_ms,
        p99_ms: zhibo.p99_ms,
        sold,
        oversold: sold
            .saturating_sub(o.units)
            .max(u32::try_from(zhibo.won).unwrap_or(u32::MAX).saturating_sub(o.units)),
        lost_orders: lost,
        cpu_us_per_attempt: zhibo.cpu_us,
        load_cpu_us_per_attempt: zhibo.load_cpu_us,
        errors: zhibo.errors,
        peer: peer.as_ref().map(|_| "redis-server 7 + Lua check-and-decrement"),
        peer_attempts_per_s: peer.as_ref().map(|(p, _)| p.attempts_per_s),
        peer_successful_per_s: peer.as_ref().map(|(p, _)| p.successful_per_s),
        peer_p50_ms: peer.as_ref().map(|(p, _)| p.p50_ms),
        peer_p99_ms: peer.as_ref().map(|(p, _)| p.p99_ms),
        peer_sold: peer.as_ref().map(|(_, sold)| *sold),
        peer_oversold: peer.as_ref().map(|(_, sold)| sold.saturating_sub(o.units)),
        peer_cpu_us_per_attempt: peer.as_ref().and_then(|(p, _)| p.cpu_us),
        peer_load_cpu_us_per_attempt: peer.as_ref().and_then(|(p, _)| p.load_cpu_us),
        ratio: peer.as_ref().map(|(p, _)| zhibo.attempts_per_s / p.attempts_per_s.max(f64::MIN_POSITIVE)),
        target_ratio: TARGET_RATIO,
        target_p99_ms: TARGET_P99_MS,
    })
}

// ---------------------------------------------------------------- zhibo

/// A buyer's WebSocket to the room. The load generator must cost about as
/// little per attempt as the Redis one (a line of RESP), so the message is
/// pre-built around the request id and answers are scanned, not parsed
/// into a JSON tree.
struct ZhiboWire {
    reader: ws_client::Reader,
    writer: ws_client::Writer,
    /// The `flash_buy` message up to the request id, and after it.
    head: String,
    tail: String,
    ready: VecDeque<(u64, Answer)>,
}

impl ZhiboWire {
    fn new((reader, writer): (ws_client::Reader, ws_client::Writer), sale: i64) -> ZhiboWire {
        let address = serde_json::json!({"name": "买家", "phone": "13800138000", "region": "上海市",
            "detail": "浦东新区世纪大道 1 号"});
        let head = format!(r#"{{"v":1,"type":"flash_buy","sale":{sale},"quantity":1,"request":"a"#);
        let tail = format!(r#"","address":{address}}}"#);
        ZhiboWire { reader, writer, head, tail, ready: VecDeque::new() }
    }
}

/// The unsigned number right after what `key` finds in `text`.
fn number_after(text: &[u8], key: &memmem::Finder<'_>) -> Option<u64> {
    let at = key.find(text)? + key.needle().len();
    let digits = text[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[at..at + digits]).ok()?.parse().ok()
}

/// What an answer is scanned for, each searcher built once (building one
/// per answer showed in the load generator's profile).
struct Keys {
    error: memmem::Finder<'static>,
    result: memmem::Finder<'static>,
    request: memmem::Finder<'static>,
    won: memmem::Finder<'static>,
    refused: memmem::Finder<'static>,
    order: memmem::Finder<'static>,
}

static KEYS: std::sync::LazyLock<Keys> = std::sync::LazyLock::new(|| Keys {
    error: memmem::Finder::new(r#""type":"error""#),
    result: memmem::Finder::new(r#""type":"flash_result""#),
    request: memmem::Finder::new(r#""request":"a"#),
    won: memmem::Finder::new(r#""ok":true"#),
    refused: memmem::Finder::new(r#""ok":false"#),
    order: memmem::Finder::new(r#""order":"#),
});

impl Wire for ZhiboWire {
    async fn send(&mut self, id: u64) -> anyhow::Result<()> {
        let message = format!("{}{id}{}", self.head, self.tail);
        self.writer.send_text(&message).await
    }

    async fn recv(&mut self) -> anyhow::Result<(u64, Answer)> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Ok(ready);
            }
            let (ready, mut refused) = (&mut self.ready, None);
            self.reader
                .each_text(|bytes| {
                    let keys = &*KEYS;
                    if keys.error.find(bytes).is_some() {
                        refused = Some(String::from_utf8_lossy(bytes).into_owned());
                        return false;
                    }
                    // Batches (units left, viewer counts) are not answers.
                    if keys.result.find(bytes).is_none() {
                        return true;
                    }
                    let id = number_after(bytes, &keys.request).unwrap_or(u64::MAX);
                    let answer = if keys.won.find(bytes).is_some() {
                        Answer::Won(number_after(bytes, &keys.order).and_then(|o| i64::try_from(o).ok()).map(OrderId))
                    } else if keys.refused.find(bytes).is_some() {
                        Answer::Refused
                    } else {
                        Answer::Error
                    };
                    ready.push_back((id, answer));
                    false
                })
                .await?;
            if let Some(text) = refused {
                anyhow::bail!("the server refused an attempt: {text}");
            }
            anyhow::ensure!(!self.ready.is_empty(), "the server closed the socket");
        }
    }
}

async fn ws_connect(url: &str, cookie: &str) -> anyhow::Result<tokio_tungstenite::WebSocketStream<TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Cookie", cookie.parse()?);
    let addr = url.trim_start_matches("ws://").split('/').next().unwrap_or_default().to_owned();
    let stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    // tungstenite zeroes its whole read buffer (128 KiB by default) before
    // every read; answers are a few hundred bytes, so the client reads
    // with 8 KiB, as the Redis client's `BufReader` does.
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
    let (socket, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .context("opening a WebSocket")?;
    Ok(socket)
}

/// Reads frames until one of `kind` arrives.
async fn until(
    socket: &mut tokio_tungstenite::WebSocketStream<TcpStream>,
    kind: &str,
) -> anyhow::Result<serde_json::Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("waiting for the room")?
            .context("the server closed the socket")??;
        let Message::Text(text) = message else { continue };
        let v: serde_json::Value = serde_json::from_str(&text)?;
        let frames = if v["type"] == "batch" { v["frames"].as_array().cloned().unwrap_or_default() } else { vec![v] };
        for f in frames {
            if f["type"] == "error" {
                anyhow::bail!("the room refused: {}", f["message"]);
            }
            if f["type"] == kind {
                return Ok(f);
            }
        }
    }
}

async fn run_zhibo(o: Options, per_buyer: u32) -> anyhow::Result<(Phase, u32, u64)> {
    let data = tempfile::tempdir().context("creating a temporary data folder")?;
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.data.dir = data.path().to_owned();
    settings.validate()?;
    let clock: Arc<dyn Clock> = Arc::new(WallClock);
    let store = Arc::new(SqliteStore::open(&settings.database_path(), clock.clone()).await?);
    let seeded = seed(store.as_ref()).await.map_err(|e| anyhow::anyhow!("seeding the demo shop: {e}"))?;
    let shop = seeded.shop;
    let room = store.show_by_title(shop, DEMO_SHOW).await?.context("the demo seed made no show")?.id;
    // The sale's SKU: the first lineup product's first SKU, stocked for K units.
    let show = store.show(shop, room).await?.context("the demo show")?;
    let product = show.lineup.first().context("the demo show has a lineup")?.product;
    let sku = store.product(shop, product).await?.context("the lineup product")?.skus[0].id;
    let purchase = StockChange::parse(sku, "purchase", i64::from(o.units), "bench")
        .map_err(|e| anyhow::anyhow!("stock for the bench: {e:?}"))?;
    store.apply_stock_change(shop, &purchase, None).await?.map_err(|e| anyhow::anyhow!("{e}"))?;
    // Buyers share the demo viewer's password (its hash is reused).
    let viewer = store.user_by_username(&Username::parse("viewer")?).await?.context("the demo viewer")?;
    let mut names = Vec::with_capacity(o.buyers);
    for i in 0..o.buyers {
        let name = format!("bench{i}");
        store
            .create_user(&NewUser {
                shop,
                username: Username::parse(&name)?,
                display_name: DisplayName::parse(&name)?,
                role: Role::Viewer,
                password_hash: viewer.password_hash.clone(),
            })
            .await?;
        names.push(name);
    }
    let app = Application::build(settings, store.clone(), clock).await?;
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let result = async {
        let url = |kind: &str| format!("ws://{addr}/ws/rooms/{}/{kind}", room.0);
        let mut console = ws_connect(&url("console"), &sign_in(addr, "assistant").await?).await?;
        let open = serde_json::json!({"v": 1, "type": "open_flash_sale", "product": product, "sku": sku,
            "price_fen": 100, "quantity": o.units, "per_buyer": per_buyer});
        console.send(Message::text(open.to_string())).await?;
        let sale = until(&mut console, "flash_sale").await?["sale"].as_i64().context("the sale's id")?;
        let mut cookies = Vec::with_capacity(names.len());
        for name in &names {
            cookies.push(sign_in(addr, name).await?);
        }
        let viewer_url = url("viewer");
        let (tallies, seconds, cpu) = load(o.buyers, o.in_flight, o.seconds, ServerCpu::ThisProcess, move |i| {
            let (url, cookie) = (viewer_url.clone(), cookies[i].clone());
            async move {
                let (mut reader, writer) = ws_client::connect(&url, &[("Cookie", &cookie)]).await?;
                let mut snapshot = false;
                reader
                    .each_text(|text| {
                        snapshot = memmem::find(text, br#""type":"snapshot""#).is_some();
                        !snapshot
                    })
                    .await?;
                anyhow::ensure!(snapshot, "the room closed before its snapshot");
                Ok(ZhiboWire::new((reader, writer), sale))
            }
        })?;
        let phase = phase(tallies, seconds, cpu);
        // Read back: every success told is an order; nothing beyond K.
        let stored = store.flash_sale_orders(shop, FlashSaleId(sale)).await?;
        let sold: u32 = stored.iter().map(|s| s.units).sum();
        let known: std::collections::HashSet<OrderId> = stored.iter().map(|s| s.order).collect();
        let lost =
            phase.orders.iter().filter(|o| !known.contains(o)).count() as u64 + (phase.won - phase.orders.len() as u64);
        let stop = serde_json::json!({"v": 1, "type": "stop_flash_sale", "sale": sale});
        console.send(Message::text(stop.to_string())).await?;
        // Its close (the rest back to the ledger) is done before the server stops.
        while until(&mut console, "flash_sale").await?["state"] != "ended" {}
        anyhow::Ok((phase, sold, lost))
    }
    .await;
    let _ = stop.send(());
    let _ = server.await;
    store.close().await;
    result
}

/// Signs in through the API and returns the session cookie.
async fn sign_in(addr: SocketAddr, username: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({ "username": username, "password": DEMO_PASSWORD }).to_string();
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response);
    anyhow::ensure!(
        response.starts_with("HTTP/1.1 200"),
        "signing in as {username}: {}",
        response.lines().next().unwrap_or("")
    );
    let cookie = response
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .find(|c| c.starts_with("zhibo_session="))
        .with_context(|| format!("signing in as {username} set no session cookie"))?;
    Ok(cookie.to_owned())
}

// ---------------------------------------------------------------- Redis

/// The usual check-and-decrement, with the same per-buyer limit: 1 won,
/// 0 sold out, -1 over the buyer's limit.
const SCRIPT: &str = "local left = tonumber(redis.call('GET', KEYS[1]) or '0') \
local want = tonumber(ARGV[2]) \
if left < want then return 0 end \
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') \
if had + want > tonumber(ARGV[3]) then return -1 end \
redis.call('DECRBY', KEYS[1], want) \
redis.call('HINCRBY', KEYS[2], ARGV[1], want) \
return 1";

/// A RESP command.
fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// One reply line (simple, error, integer or bulk header; a bulk body is read too).
async fn reply(reader: &mut BufReader<TcpStream>) -> anyhow::Result<String> {
    let mut line = String::new();
    anyhow::ensure!(reader.read_line(&mut line).await? > 0, "redis closed the connection");
    let line = line.trim_end().to_owned();
    if let Some(len) = line.strip_prefix('$').and_then(|n| n.parse::<i64>().ok())
        && len >= 0
    {
        let mut body = vec![0u8; len as usize + 2];
        reader.read_exact(&mut body).await?;
        return Ok(String::from_utf8_lossy(&body[..len as usize]).into_owned());
    }
    anyhow::ensure!(!line.starts_with('-'), "redis: {line}");
    Ok(line)
}

struct RedisWire {
    reader: BufReader<TcpStream>,
    sha: String,
    buyer: String,
    per_buyer: String,
    /// Replies come in order: the ids sent, oldest first.
    order: VecDeque<u64>,
}

impl Wire for RedisWire {
    async fn send(&mut self, id: u64) -> anyhow::Result<()> {
        let command = resp(&["EVALSHA", &self.sha, "2", "stock", "bought", &self.buyer, "1", &self.per_buyer]);
        self.reader.get_mut().write_all(&command).await?;
        self.order.push_back(id);
        Ok(())
    }

    async fn recv(&mut self) -> anyhow::Result<(u64, Answer)> {
        let line = reply(&mut self.reader).await?;
        let id = self.order.pop_front().context("a reply nobody asked for")?;
        Ok((
            id,
            match line.as_str() {
                ":1" => Answer::Won(None),
                ":0" | ":-1" => Answer::Refused,
                _ => Answer::Error,
            },
        ))
    }
}

/// redis-server on a free port; stopped when dropped.
struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_redis() -> anyhow::Result<RedisServer> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = std::process::Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting redis-server (apt-get install redis-server)")?;
    let server = RedisServer { child, port };
    // Ready once it answers PING; polled, at most 10 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut r) = redis_connect(port).await
            && r.get_mut().write_all(&resp(&["PING"])).await.is_ok()
            && reply(&mut r).await.is_ok_and(|line| line == "+PONG")
        {
            return Ok(server);
        }
        anyhow::ensure!(Instant::now() < deadline, "redis-server did not answer on port {port}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn redis_connect(port: u16) -> anyhow::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    Ok(BufReader::with_capacity(CLIENT_READ_BUFFER, stream))
}

async fn run_redis(o: Options, per_buyer: u32) -> anyhow::Result<(Phase, u32)> {
    let server = start_redis().await?;
    let (port, pid) = (server.port, server.child.id());
    let sha = async {
        let mut r = redis_connect(port).await?;
        for command in [resp(&["SET", "stock", &o.units.to_string()]), resp(&["DEL", "bought"])] {
            r.get_mut().write_all(&command).await?;
            reply(&mut r).await?;
        }
        r.get_mut().write_all(&resp(&["SCRIPT", "LOAD", SCRIPT])).await?;
        reply(&mut r).await
    }
    .await?;
    let per = per_buyer.to_string();
    let (tallies, seconds, cpu) = load(o.buyers, o.in_flight, o.seconds, ServerCpu::Process(pid), move |i| {
        let (sha, per_buyer) = (sha.clone(), per.clone());
        async move {
            let reader = redis_connect(port).await?;
            Ok(RedisWire { reader, sha, buyer: format!("b{i}"), per_buyer, order: VecDeque::new() })
        }
    })?;
    let phase = phase(tallies, seconds, cpu);
    let left: i64 = {
        let mut r = redis_connect(port).await?;
        r.get_mut().write_all(&resp(&["GET", "stock"])).await?;
        reply(&mut r).await?.parse()?
    };
    drop(server);
    // Sold by the counter; a negative counter would be overselling too.
    let sold = u32::try_from(i64::from(o.units) - left).unwrap_or(u32::MAX);
    Ok((phase, sold))
}

pub fn print_human(r: &FlashSaleReport) {
    println!(
        "秒杀基准 / flash-sale benchmark: {} units, {} buyers on {} connections, {} in flight each, {:.1} s",
        r.quantity, r.connections, r.connections, r.in_flight, r.seconds
    );
    println!(
        "  zhibo: {:.0} attempts/s ({:.0} won, {:.0} rejected), p50 {:.2} ms, p99 {:.2} ms; sold {} of {}, oversold {}, lost orders {}, errors {}",
        r.attempts_per_s,
        r.successful_per_s,
        r.rejected_per_s,
        r.p50_ms,
        r.p99_ms,
        r.sold,
        r.quantity,
        r.oversold,
        r.lost_orders,
        r.errors
    );
    if let (Some(a), Some(p50), Some(p99), Some(sold)) =
        (r.peer_attempts_per_s, r.peer_p50_ms, r.peer_p99_ms, r.peer_sold)
    {
        println!("  redis (Lua, no order recorded): {a:.0} attempts/s, p50 {p50:.2} ms, p99 {p99:.2} ms; sold {sold}");
    }
    let us = |v: Option<f64>| v.map_or_else(|| "?".to_owned(), |v| format!("{v:.2}"));
    println!(
        "  CPU µs per attempt: zhibo {}, its load generator {}; redis {}, its load generator {}",
        us(r.cpu_us_per_attempt),
        us(r.load_cpu_us_per_attempt),
        us(r.peer_cpu_us_per_attempt),
        us(r.peer_load_cpu_us_per_attempt)
    );
    if let Some(ratio) = r.ratio {
        println!("  ratio {ratio:.2}× (target ≥ {}× at p99 ≤ {} ms)", r.target_ratio, r.target_p99_ms);
    }
}

/// `zhibo bench flash-sale`: checks the options, runs, prints.
pub async fn command(o: Options, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!((1..=100_000).contains(&o.units), "--units 须在 1 到 100000 之间 / --units must be 1 to 100000");
    anyhow::ensure!((1..=2_000).contains(&o.buyers), "--buyers 须在 1 到 2000 之间 / --buyers must be 1 to 2000");
    anyhow::ensure!((1..=64).contains(&o.in_flight), "--in-flight 须在 1 到 64 之间 / --in-flight must be 1 to 64");
    anyhow::ensure!(
        (0.5..=600.0).contains(&o.seconds),
        "--seconds 须在 0.5 到 600 之间 / --seconds must be 0.5 to 600"
    );
    let report = run(o).await?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_human(&report);
    }
    Ok(())
}
