//! The RTMP server: a TCP listener, one tokio task per connection driving
//! an [`rtmp::Session`](crate::rtmp::Session), and the rules of who may
//! publish: the key must be a show's usable key, one publisher per show,
//! and a publisher who comes back within the grace period resumes the show
//! (judged on the [`Clock`]). A once-a-tick task reports each live show's
//! health and ends the shows whose publisher stayed away too long.
//!
//! Everything that happens to a stream leaves as a [`MediaEvent`] on the
//! channel given to [`MediaServer::start`]; lifecycle events wait for room
//! in it, health updates are dropped when it is full.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use zhibo_domain::{Clock, RoomId, Timestamp};
use zhibo_store::StreamKeyStore;

use crate::health::{Health, HealthReport};
use crate::hub::{HubLimits, StreamHub};
use crate::rtmp::chunk::Limits;
use crate::rtmp::{Action, Session};
use crate::{MediaError, keys};

/// How the media server runs.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Where RTMP publishers connect (default 127.0.0.1:1935).
    pub rtmp_addr: SocketAddr,
    /// The RTMP application name publishers use: rtmp://host/live/KEY.
    pub app: String,
    /// A publisher that returns within this many seconds of the clock
    /// resumes the same show.
    pub grace_secs: i64,
    /// A connection silent this long (real time) is dropped.
    pub stall_after: Duration,
    /// Health samples go to the room's log this often (clock seconds).
    pub sample_secs: i64,
    /// How often health is reported and grace periods are checked.
    pub tick: Duration,
    /// Connections at once; more wait to be accepted.
    pub max_connections: usize,
    pub limits: Limits,
    pub hub: HubLimits,
    /// HTTP-FLV viewers are written frames spanning this many milliseconds
    /// of stream time at once (0: every frame as it comes).
    pub flv_merge_ms: u32,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            rtmp_addr: SocketAddr::from(([127, 0, 0, 1], 1935)),
            app: "live".into(),
            grace_secs: 30,
            stall_after: Duration::from_secs(15),
            sample_secs: 10,
            tick: Duration::from_secs(1),
            max_connections: 64,
            limits: Limits::default(),
            hub: HubLimits::default(),
            flv_merge_ms: DEFAULT_FLV_MERGE_MS,
        }
    }
}

/// See [`MediaConfig::flv_merge_ms`].
pub const DEFAULT_FLV_MERGE_MS: u32 = 80;

/// What happened to a show's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEventKind {
    Started,
    Stopped,
    Dropped,
    Resumed,
    /// A health sample for the log.
    Health,
    /// A health update for consoles only (not logged).
    Live,
}

impl MediaEventKind {
    /// The event's name in the room's log (`stream.<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Stopped => "stopped",
            Self::Dropped => "dropped",
            Self::Resumed => "resumed",
            Self::Health => "health",
            Self::Live => "live",
        }
    }

    /// Whether viewers can play after this event.
    pub fn state(self) -> &'static str {
        match self {
            Self::Dropped => "down",
            Self::Stopped => "off",
            _ => "live",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MediaEvent {
    pub show: RoomId,
    pub kind: MediaEventKind,
    pub health: Option<HealthReport>,
}

/// One show's publishing state.
#[derive(Debug)]
struct Slot {
    /// The connection publishing now.
    conn: Option<u64>,
    health: Arc<Mutex<Health>>,
    dropped_at: Option<Timestamp>,
    last_sample: Timestamp,
}

struct Shared {
    config: MediaConfig,
    keys: Arc<dyn StreamKeyStore>,
    clock: Arc<dyn Clock>,
    hub: Arc<StreamHub>,
    /// HTTP-FLV viewers' sockets, written by shared tasks.
    fanout: crate::fanout::FlvFanout,
    hls: Arc<crate::hls::Hls>,
    events: mpsc::Sender<MediaEvent>,
    slots: Mutex<HashMap<RoomId, Slot>>,
    next_conn: AtomicU64,
    /// Records every publication once set (record/).
    recorder: std::sync::OnceLock<Arc<crate::record::Recorder>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running media server; its tasks stop when the runtime does.
#[derive(Clone)]
pub struct MediaServer {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
}

impl std::fmt::Debug for MediaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaServer").field("rtmp", &self.local_addr).finish_non_exhaustive()
    }
}

impl MediaServer {
    /// Binds the RTMP listener and starts serving. Must be called inside a
    /// tokio runtime.
    pub async fn start(
        config: MediaConfig,
        keys: Arc<dyn StreamKeyStore>,
        clock: Arc<dyn Clock>,
        events: mpsc::Sender<MediaEvent>,
    ) -> std::io::Result<MediaServer> {
        let listener = TcpListener::bind(config.rtmp_addr).await?;
        let local_addr = listener.local_addr()?;
        let hub = Arc::new(StreamHub::new(config.hub));
        let merge_ms = config.flv_merge_ms;
        let shared = Arc::new(Shared {
            config,
            keys,
            clock,
            fanout: crate::fanout::FlvFanout::new(hub.clone(), crate::fanout::PER_SHARD, merge_ms),
            hub,
            hls: Arc::default(),
            events,
            slots: Mutex::default(),
            next_conn: AtomicU64::new(1),
            recorder: std::sync::OnceLock::new(),
        });
        tokio::spawn(accept(listener, shared.clone()));
        tokio::spawn(ticker(Arc::downgrade(&shared)));
        Ok(MediaServer { shared, local_addr })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The RTMP application name.
    pub fn app(&self) -> &str {
        &self.shared.config.app
    }

    pub fn hub(&self) -> &Arc<StreamHub> {
        &self.shared.hub
    }

    /// Where HTTP-FLV viewers' sockets join a show's stream.
    pub fn fanout(&self) -> &crate::fanout::FlvFanout {
        &self.shared.fanout
    }

    /// Records every publication from now on; `false` when a recorder
    /// was set already.
    pub fn record_to(&self, recorder: Arc<crate::record::Recorder>) -> bool {
        self.shared.recorder.set(recorder).is_ok()
    }

    /// The shows' HLS playlists and segments.
    pub fn hls(&self) -> &Arc<crate::hls::Hls> {
        &self.shared.hls
    }

    /// The show's health now, when someone is publishing to it.
    pub fn health(&self, show: RoomId) -> Option<HealthReport> {
        let slots = lock(&self.shared.slots);
        let slot = slots.get(&show).filter(|s| s.conn.is_some())?;
        let report = lock(&slot.health).report(self.shared.clock.now());
        Some(report)
    }

    /// The stream's state for viewers: "live", "down" (dropped, within the
    /// grace period) or "off".
    pub fn state(&self, show: RoomId) -> &'static str {
        match lock(&self.shared.slots).get(&show) {
            Some(s) if s.conn.is_some() => "live",
            Some(s) if s.dropped_at.is_some() => "down",
            _ => "off",
        }
    }

    /// Makes a new key for a show (revoking its old one) and returns it:
    /// the only time the key itself is seen.
    pub async fn new_key(&self, shop: zhibo_domain::ShopId, show: RoomId) -> Result<String, MediaError> {
        let key = keys::generate();
        self.shared.keys.replace_stream_key(shop, show, &keys::hash(&key)).await?;
        Ok(key)
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    let permits = Arc::new(Semaphore::new(shared.config.max_connections.max(1)));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        match listener.accept().await {
            Ok((socket, peer)) => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
                    if let Err(error) = serve(&shared, conn, socket, peer).await {
                        tracing::info!(%peer, %error, "RTMP connection closed");
                    }
                    drop(permit);
                });
            }
            Err(error) => tracing::warn!(%error, "RTMP accept failed"),
        }
    }
}

/// Why a publication ended.
enum End {
    Clean,
    Dropped,
}

/// One connection, start to end. Publishing state is released whatever
/// way the connection ends.
async fn serve(shared: &Arc<Shared>, conn: u64, mut socket: TcpStream, peer: SocketAddr) -> Result<(), MediaError> {
    let _ = socket.set_nodelay(true);
    let (mut session, hello) = Session::new(&shared.config.app, shared.config.limits)?;
    socket.write_all(&hello).await?;
    let mut publishing: Option<Publishing> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let result = async {
        loop {
            let n = match tokio::time::timeout(shared.config.stall_after, socket.read(&mut buf)).await {
                Ok(read) => read?,
                Err(_) => return Err(MediaError::Protocol("stalled".into())),
            };
            if n == 0 {
                return Ok(());
            }
            for action in session.input(&buf[..n])? {
                match action {
                    Action::Send(bytes) => socket.write_all(&bytes).await?,
                    Action::Close => return Ok(()),
                    Action::Publish { key } => match claim(shared, conn, &key, peer).await {
                        Ok(p) => {
                            socket.write_all(&session.accept()?).await?;
                            publishing = Some(p);
                        }
                        Err((code, description)) => {
                            socket.write_all(&session.refuse(code, &description)?).await?;
                            let _ = socket.shutdown().await;
                            return Err(MediaError::Protocol(format!("publish refused: {description}")));
                        }
                    },
                    Action::Media(tag) => {
                        if let Some(p) = &mut publishing {
                            lock(&p.health).observe(&tag, shared.clock.now());
                            if let Some(recording) = &mut p.recording {
                                recording.push(&tag);
                            }
                            p.publisher.push(tag);
                        }
                    }
                    Action::Metadata { width, height } => {
                        if let Some(p) = &publishing {
                            lock(&p.health).metadata_size(width, height);
                        }
                    }
                    Action::Unpublish => {
                        if let Some(p) = publishing.take() {
                            release(shared, conn, p, End::Clean).await;
                        }
                    }
                }
            }
        }
    }
    .await;
    if let Some(p) = publishing.take() {
        release(shared, conn, p, End::Dropped).await;
    }
    result
}

struct Publishing {
    show: RoomId,
    publisher: crate::hub::Publisher,
    health: Arc<Mutex<Health>>,
    /// Dropped with the publication, which ends its recording's segment.
    recording: Option<crate::record::RecordFeed>,
}

/// Checks the key and takes the show for this connection.
async fn claim(
    shared: &Arc<Shared>,
    conn: u64,
    key: &str,
    peer: SocketAddr,
) -> Result<Publishing, (&'static str, String)> {
    let bad = || ("NetStream.Publish.BadName", "推流码无效或已作废 / unknown or revoked stream key".to_owned());
    if key.is_empty() || key.len() > 128 {
        return Err(bad());
    }
    let show = match shared.keys.show_for_stream_key(&keys::hash(key)).await {
        Ok(Some(show)) => show,
        Ok(None) => return Err(bad()),
        Err(error) => {
            tracing::error!(%error, "stream key lookup failed");
            return Err(("NetStream.Publish.Failed", "暂时无法推流 / cannot publish now".to_owned()));
        }
    };
    let now = shared.clock.now();
    let health = Arc::new(Mutex::new(Health::new(now, peer)));
    let (kinds, publisher) = {
        let mut slots = lock(&shared.slots);
        let mut kinds = Vec::new();
        match slots.get(&show) {
            Some(s) if s.conn.is_some() => {
                return Err(("NetStream.Publish.BadName", "该场次已在推流 / this show already has a publisher".into()));
            }
            Some(s) => {
                let within = s.dropped_at.is_some_and(|at| now.0 - at.0 <= shared.config.grace_secs * 1000);
                if within {
                    kinds.push(MediaEventKind::Resumed);
                } else {
                    kinds.extend([MediaEventKind::Stopped, MediaEventKind::Started]);
                }
            }
            None => kinds.push(MediaEventKind::Started),
        }
        slots.insert(show, Slot { conn: Some(conn), health: health.clone(), dropped_at: None, last_sample: now });
        (kinds, shared.hub.publish(show))
    };
    // HLS segments this publication from its own subscription
    if let Some(viewer) = shared.hub.subscribe(show) {
        tokio::spawn(shared.hls.clone().run(show, viewer));
    }
    for kind in kinds {
        let report = (kind != MediaEventKind::Stopped).then(|| lock(&health).report(now));
        let _ = shared.events.send(MediaEvent { show, kind, health: report }).await;
    }
    let recording = shared.recorder.get().map(|r| r.begin(show, now));
    tracing::info!(%show, %peer, "RTMP publishing");
    Ok(Publishing { show, publisher, health, recording })
}

/// Ends a publication: a clean stop frees the show, a drop keeps it for
/// the grace period.
async fn release(shared: &Arc<Shared>, conn: u64, p: Publishing, end: End) {
    let Publishing { show, publisher, health, recording } = p;
    drop(recording);
    drop(publisher);
    let now = shared.clock.now();
    let report = lock(&health).report(now);
    let kind = {
        let mut slots = lock(&shared.slots);
        if slots.get(&show).is_none_or(|s| s.conn != Some(conn)) {
            return;
        }
        match end {
            End::Clean => {
                slots.remove(&show);
                MediaEventKind::Stopped
            }
            End::Dropped => {
                if let Some(s) = slots.get_mut(&show) {
                    s.conn = None;
                    s.dropped_at = Some(now);
                }
                MediaEventKind::Dropped
            }
        }
    };
    let _ = shared.events.send(MediaEvent { show, kind, health: Some(report) }).await;
}

/// Health to the consoles, samples to the log, and the end of shows whose
/// publisher did not come back in time. Stops with the server.
async fn ticker(shared: std::sync::Weak<Shared>) {
    let period = match shared.upgrade() {
        Some(s) => s.config.tick,
        None => return,
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(shared) = shared.upgrade() else { return };
        let now = shared.clock.now();
        let mut out = Vec::new();
        {
            let mut slots = lock(&shared.slots);
            slots.retain(|show, slot| {
                if let Some(at) = slot.dropped_at {
                    if now.0 - at.0 > shared.config.grace_secs * 1000 {
                        out.push(MediaEvent { show: *show, kind: MediaEventKind::Stopped, health: None });
                        return false;
                    }
                    return true;
                }
                let report = lock(&slot.health).report(now);
                if now.0 - slot.last_sample.0 >= shared.config.sample_secs * 1000 {
                    slot.last_sample = now;
                    out.push(MediaEvent { show: *show, kind: MediaEventKind::Health, health: Some(report.clone()) });
                }
                out.push(MediaEvent { show: *show, kind: MediaEventKind::Live, health: Some(report) });
                true
            });
        }
        for event in out {
            if event.kind == MediaEventKind::Live {
                let _ = shared.events.try_send(event);
            } else {
                let _ = shared.events.send(event).await;
            }
        }
    }
}
