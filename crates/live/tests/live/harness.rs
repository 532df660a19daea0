//! What every module of this binary shares: a room's data kept in memory
//! ([`Show`]), a hub over a real SQLite log in a temporary folder on a
//! virtual clock ([`Setup`]), connections that read the room's frames
//! ([`Peer`]) and who connects. Nothing sleeps: the room's tick is an hour
//! long, so batches (and timers) go out only when a test flushes, and time
//! passes only when a test advances the clock. Frames are awaited with a
//! bounded timeout, a safety net and never a timing assertion.

use bytes::Bytes;
use serde_json::Value;
use std::collections::VecDeque;
use std::fmt::Display;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use zhibo_domain::automation::ShowAction;
use zhibo_domain::event::{Actor, Event};
use zhibo_domain::{Fen, ProductId, Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LineupEntry, LiveError, ModerationSettings, RoomConfig, RoomData, RoomHub,
    RoomInfo, RoomStatus, RunSheetPlan,
};
use zhibo_store::{EventStore, SqliteStore};

/// The one room every test runs; any other id is a room that does not exist.
pub const ROOM: RoomId = RoomId(7);
/// When every test's clock starts: 20:00 shop time, on a whole minute (so
/// the figures' minute buckets start here).
pub const T0: Timestamp = Timestamp(1_795_608_000_000);

/// A room's data as plain values, the same every time the room loads it.
/// A module states what its show has (`Show { lineup, ..Show::titled(..) }`)
/// and leaves the rest empty; data that reacts to the room (saved orders,
/// a stock ledger, flash sales) is a module's own `RoomData` wrapping a
/// `Show` for what does not change.
#[derive(Debug, Clone)]
pub struct Show {
    pub title: &'static str,
    pub status: RoomStatus,
    pub lineup: Vec<LineupEntry>,
    pub moderation: ModerationSettings,
    pub run_sheet: RunSheetPlan,
    pub automation: Vec<ShowAction>,
}

impl Show {
    /// A live show with nothing in it yet.
    pub fn titled(title: &'static str) -> Show {
        Show {
            title,
            status: RoomStatus::Live,
            lineup: Vec::new(),
            moderation: ModerationSettings::default(),
            run_sheet: RunSheetPlan::default(),
            automation: Vec::new(),
        }
    }
}

#[async_trait::async_trait]
impl RoomData for Show {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        Ok((room == ROOM).then(|| RoomInfo {
            title: self.title.into(),
            status: self.status,
            lineup: self.lineup.clone(),
        }))
    }

    async fn moderation(&self, _room: RoomId) -> Result<ModerationSettings, LiveError> {
        Ok(self.moderation.clone())
    }

    async fn run_sheet(&self, _room: RoomId) -> Result<RunSheetPlan, LiveError> {
        Ok(self.run_sheet.clone())
    }

    async fn automation(&self, _room: RoomId) -> Result<Vec<ShowAction>, LiveError> {
        Ok(self.automation.clone())
    }
}

/// A listed lineup product at the prices most tests use: 99 元, 划线 129 元,
/// 79 元 in the show, 50 in stock, no facts. Tests that need others change
/// the fields they care about (`LineupEntry { stock: 10, ..product(..) }`).
pub fn product(id: i64, title: &str) -> LineupEntry {
    LineupEntry {
        product: ProductId(id),
        title: title.into(),
        price: Fen(9_900),
        list_price: Fen(12_900),
        live_price: Fen(7_900),
        stock: 50,
        listed: true,
        facts: None,
    }
}

/// A hub over `data`, its log and its clock. The folder lives as long as
/// the setup does.
pub struct Setup<D = Show> {
    pub hub: RoomHub,
    pub data: Arc<D>,
    pub clock: VirtualClock,
    pub store: Arc<SqliteStore>,
    _dir: TempDir,
}

/// The room configuration of every test unless it says otherwise: a tick
/// so long it only runs when a test flushes.
pub fn long_tick() -> RoomConfig {
    RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() }
}

pub async fn start<D: RoomData + 'static>(data: D) -> Setup<D> {
    start_with(data, long_tick()).await
}

pub async fn start_with<D: RoomData + 'static>(data: D, config: RoomConfig) -> Setup<D> {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let data = Arc::new(data);
    let hub = RoomHub::new(store.clone(), data.clone(), Arc::new(clock.clone()), config);
    Setup { hub, data, clock, store, _dir: dir }
}

impl<D: RoomData + 'static> Setup<D> {
    /// A second hub over the same log and data: the room starting again,
    /// as after a crash or a deploy.
    pub fn restarted(&self) -> RoomHub {
        RoomHub::new(self.store.clone(), self.data.clone(), Arc::new(self.clock.clone()), long_tick())
    }
}

/// Every command sent so far is handled (a dropped connection's leave
/// included) and the room has run its tick.
pub async fn flush<D>(s: &Setup<D>) {
    s.hub.room(ROOM).flush().await;
}

/// The room's whole log, oldest first.
pub async fn events<D>(s: &Setup<D>) -> Vec<Event> {
    s.store.events_after(ROOM, 0, 10_000).await.unwrap()
}

/// The room's events of one kind, oldest first.
pub async fn events_of<D>(s: &Setup<D>, kind: &str) -> Vec<Event> {
    events(s).await.into_iter().filter(|e| e.kind.as_str() == kind).collect()
}

pub fn of_kind<'a>(log: &'a [Event], kind: &str) -> Vec<&'a Event> {
    log.iter().filter(|e| e.kind.as_str() == kind).collect()
}

/// An anonymous viewer (no account) on the viewer page.
pub fn viewer(id: &str) -> Identity {
    Identity { actor: Actor::Viewer(id.into()), name: format!("观众{id}"), role: None, kind: ConnectionKind::Viewer }
}

/// A signed-in buyer on the viewer page.
pub fn buyer(n: i64) -> Identity {
    Identity {
        actor: Actor::User(UserId(n)),
        name: format!("买家{n}"),
        role: Some(Role::Viewer),
        kind: ConnectionKind::Viewer,
    }
}

/// Account 3 on the console, in `role`.
pub fn console(role: Role) -> Identity {
    Identity { actor: Actor::User(UserId(3)), name: "场控".into(), role: Some(role), kind: ConnectionKind::Console }
}

/// Joins the room and reads the snapshot every connection gets first. The
/// room sends it once it has counted the entry, so the entry happened at
/// the clock's time now.
pub async fn join<D>(s: &Setup<D>, who: Identity) -> Peer {
    Peer::join(&s.hub, who).await
}

/// A connection and the frames already received but not yet looked at (a
/// batch may hold several).
pub struct Peer {
    pub c: Connection,
    queue: VecDeque<Value>,
}

impl Peer {
    /// Connects and reads nothing yet: the snapshot is the first frame.
    pub async fn connect(hub: &RoomHub, who: Identity) -> Peer {
        Peer { c: hub.connect(ROOM, who).await.unwrap(), queue: VecDeque::new() }
    }

    pub async fn join(hub: &RoomHub, who: Identity) -> Peer {
        let mut p = Peer::connect(hub, who).await;
        assert_eq!(p.next().await["type"], "snapshot");
        p
    }

    /// The next frame, batches flattened.
    pub async fn next(&mut self) -> Value {
        loop {
            if let Some(f) = self.queue.pop_front() {
                return f;
            }
            let bytes = tokio::time::timeout(Duration::from_secs(10), self.c.outbound.next())
                .await
                .expect("a frame within the safety timeout")
                .expect("the room is running");
            self.receive(bytes);
        }
    }

    /// The first frame of `kind`, those before it skipped.
    pub async fn until(&mut self, kind: &str) -> Value {
        self.until_match(|f| f["type"] == kind).await
    }

    /// Frames until the first of `kind`: those skipped, and that one.
    pub async fn frames_until(&mut self, kind: &str) -> (Vec<Value>, Value) {
        let mut seen = Vec::new();
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return (seen, f);
            }
            seen.push(f);
        }
    }

    /// The first frame passing `test`, those before it skipped.
    pub async fn until_match(&mut self, test: impl Fn(&Value) -> bool) -> Value {
        loop {
            let f = self.next().await;
            if test(&f) {
                return f;
            }
        }
    }

    /// Every frame already delivered, without waiting.
    pub fn drain(&mut self) -> Vec<Value> {
        self.receive_ready();
        self.queue.drain(..).collect()
    }

    /// The first frame already delivered that passes `test`, taken out; the
    /// others stay to be read.
    pub fn take_ready(&mut self, test: impl Fn(&Value) -> bool) -> Option<Value> {
        self.receive_ready();
        let at = self.queue.iter().position(test)?;
        self.queue.remove(at)
    }

    /// A message as the client would send it: JSON, or any text at all.
    pub async fn say(&self, message: impl Display) {
        assert!(self.c.inbound.send_text(&message.to_string()).await);
    }

    fn receive_ready(&mut self) {
        while let Some(bytes) = self.c.outbound.try_next() {
            self.receive(bytes);
        }
    }

    fn receive(&mut self, bytes: Bytes) {
        let message: Value = serde_json::from_slice(&bytes).unwrap();
        if message["type"] == "batch" {
            self.queue.extend(message["frames"].as_array().unwrap().iter().cloned());
        } else {
            self.queue.push_back(message);
        }
    }
}
