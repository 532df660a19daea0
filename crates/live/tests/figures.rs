//! The console's live figures end to end: a virtual clock and a real
//! SQLite event log in a temporary folder. Nothing sleeps: the room's tick
//! is an hour long and batches are forced out with `RoomHandle::flush`;
//! time passes only when the test advances the clock, so every watch time
//! below is checked by hand.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use zhibo_domain::event::Actor;
use zhibo_domain::{Fen, ProductId, Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::{Connection, ConnectionKind, Identity, LineupEntry, LiveError, RoomConfig, RoomData, RoomHub};
use zhibo_live::{RoomInfo, RoomStatus};
use zhibo_store::SqliteStore;

const ROOM: RoomId = RoomId(21);
/// A whole minute of the clock, so minute buckets start at T0.
const T0: Timestamp = Timestamp(1_795_608_000_000);

#[derive(Debug)]
struct Show;

#[async_trait::async_trait]
impl RoomData for Show {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let scarf = LineupEntry {
            product: ProductId(7),
            title: "羊毛围巾".into(),
            price: Fen(9900),
            list_price: Fen(12900),
            live_price: Fen(7900),
            stock: 50,
            listed: true,
            facts: None,
        };
        Ok((room == ROOM).then(|| RoomInfo { title: "数据".into(), status: RoomStatus::Live, lineup: vec![scarf] }))
    }
}

struct Setup {
    hub: RoomHub,
    clock: VirtualClock,
    _dir: TempDir,
}

async fn setup() -> Setup {
    assert_eq!(T0.minute_floor(), T0);
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store, Arc::new(Show), Arc::new(clock.clone()), config);
    Setup { hub, clock, _dir: dir }
}

fn viewer(id: &str) -> Identity {
    Identity { actor: Actor::Viewer(id.into()), name: format!("观众{id}"), role: None, kind: ConnectionKind::Viewer }
}

fn console() -> Identity {
    Identity {
        actor: Actor::User(UserId(3)),
        name: "场控".into(),
        role: Some(Role::Assistant),
        kind: ConnectionKind::Console,
    }
}

struct Peer {
    c: Connection,
    queue: VecDeque<Value>,
}

impl Peer {
    /// Joins and waits for the snapshot, which the room sends after it has
    /// counted the entry: the entry happened at the clock's time now.
    async fn join(s: &Setup, who: Identity) -> Peer {
        let mut p = Peer { c: s.hub.connect(ROOM, who).await.unwrap(), queue: VecDeque::new() };
        assert_eq!(p.next(Duration::from_secs(10)).await.expect("a snapshot")["type"], "snapshot");
        p
    }

    /// The next frame; `None` when none arrives within `wait` (zero: only
    /// what is already there).
    async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            if let Some(f) = self.queue.pop_front() {
                return Some(f);
            }
            let bytes: Bytes = tokio::time::timeout(wait, self.c.outbound.next()).await.ok()??;
            let message: Value = serde_json::from_slice(&bytes).unwrap();
            if message["type"] == "batch" {
                self.queue.extend(message["frames"].as_array().unwrap().iter().cloned());
            } else {
                return Some(message);
            }
        }
    }

    /// Every frame already delivered.
    async fn drain(&mut self) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Some(f) = self.next(Duration::ZERO).await {
            frames.push(f);
        }
        frames
    }

    /// The newest `figures` frame already delivered, if any.
    async fn figures(&mut self) -> Option<Value> {
        self.drain().await.into_iter().rfind(|f| f["type"] == "figures")
    }

    async fn say(&self, message: Value) {
        assert!(self.c.inbound.send_text(&message.to_string()).await);
    }
}

/// Every command sent so far is handled (a dropped connection's leave
/// included) and the room has run its tick.
async fn flush(s: &Setup) {
    s.hub.room(ROOM).flush().await;
}

#[tokio::test]
async fn entries_viewers_and_average_watch_time_follow_who_entered_and_left_when() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    let first = desk.figures().await.expect("figures right after the console's snapshot");
    assert_eq!((first["online"].as_u64(), first["entries"].as_u64()), (Some(0), Some(0)));
    assert_eq!((first["avg_watch_secs"].as_u64(), first["conversion_permille"].as_u64()), (Some(0), Some(0)));

    // 0 s: A enters. 10 s: B enters. 20 s: A opens a second tab.
    let a1 = Peer::join(&s, viewer("a")).await;
    s.clock.advance_secs(10);
    let b = Peer::join(&s, viewer("b")).await;
    s.clock.advance_secs(10);
    let a2 = Peer::join(&s, viewer("a")).await;
    // 30 s: A closes the first tab (still watching in the second).
    s.clock.advance_secs(10);
    drop(a1);
    flush(&s).await;
    // 70 s: B leaves after 60 s.
    s.clock.advance_secs(40);
    drop(b);
    flush(&s).await;
    // 100 s: A has watched 100 s (one visit, two tabs), B 60 s: 160 s ÷ 2.
    s.clock.advance_secs(30);
    flush(&s).await;
    let f = desk.figures().await.expect("figures after the leaves");
    assert_eq!(f["now"].as_i64(), Some(T0.0 + 100_000));
    assert_eq!(f["entries"], 3, "PV counts every entry");
    assert_eq!(f["viewers"], 2, "UV counts A once");
    assert_eq!(f["online"], 1);
    assert_eq!(f["peak"], 3);
    assert_eq!(f["avg_watch_secs"], 80);
    // 130 s: A, still online, counts up to now: (130 + 60) ÷ 2 = 95.
    s.clock.advance_secs(30);
    flush(&s).await;
    assert_eq!(desk.figures().await.expect("a figures frame a second later")["avg_watch_secs"], 95);
    // A leaves at 135 s: (135 + 60) ÷ 2 = 97.5, rounded down; time stops.
    s.clock.advance_secs(5);
    drop(a2);
    flush(&s).await;
    s.clock.advance_secs(600);
    flush(&s).await;
    let f = desk.figures().await.expect("figures");
    assert_eq!((f["online"].as_u64(), f["avg_watch_secs"].as_u64()), (Some(0), Some(97)));
    assert_eq!((f["orders"].as_u64(), f["gmv_fen"].as_i64()), (Some(0), Some(0)), "no orders before selling");
}

#[tokio::test]
async fn figures_go_out_when_something_changed_and_at_least_once_a_second() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    let v = Peer::join(&s, viewer("v")).await;
    flush(&s).await;
    assert_eq!(desk.figures().await.expect("the entry changed the figures")["online"], 1);
    // Same instant, nothing new: no frame.
    flush(&s).await;
    assert_eq!(desk.figures().await, None);
    // Half a second later, still nothing new: no frame yet.
    s.clock.advance_millis(500);
    flush(&s).await;
    assert_eq!(desk.figures().await, None);
    // A comment is a change: a frame at once.
    v.say(json!({"v": 1, "type": "comment", "text": "好看"})).await;
    flush(&s).await;
    assert_eq!(desk.figures().await.expect("the comment changed the figures")["comments"], 1);
    // A full second with nothing new: the refresh.
    s.clock.advance_millis(1000);
    flush(&s).await;
    let f = desk.figures().await.expect("a refresh once a second");
    assert_eq!(f["now"].as_i64(), Some(T0.0 + 1500));
    assert_eq!(f["avg_watch_secs"], 1);
}

#[tokio::test]
async fn a_viewer_never_gets_the_figures() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    let mut v = Peer::join(&s, viewer("v")).await;
    v.say(json!({"v": 1, "type": "like", "count": 3})).await;
    v.say(json!({"v": 1, "type": "follow"})).await;
    v.say(json!({"v": 1, "type": "product_click", "product": 7})).await;
    for _ in 0..3 {
        s.clock.advance_secs(1);
        flush(&s).await;
    }
    let seen = v.drain().await;
    assert!(seen.iter().any(|f| f["type"] == "likes"), "the viewer does get the room's frames: {seen:?}");
    assert!(seen.iter().all(|f| f["type"] != "figures"), "no figures on a viewer socket: {seen:?}");
    let f = desk.figures().await.expect("the console gets them");
    assert_eq!(
        (f["likes"].as_u64(), f["new_followers"].as_u64(), f["product_clicks"].as_u64()),
        (Some(3), Some(1), Some(1))
    );
}

#[tokio::test]
async fn the_trend_buckets_by_clock_minute() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    // minute 0: A enters at 5 s and comments; minute 1: B enters at 65 s,
    // likes 4 and clicks; B leaves at 100 s; minute 2: nothing happens.
    s.clock.advance_secs(5);
    let a = Peer::join(&s, viewer("a")).await;
    a.say(json!({"v": 1, "type": "comment", "text": "来了"})).await;
    flush(&s).await;
    s.clock.advance_secs(60);
    let b = Peer::join(&s, viewer("b")).await;
    b.say(json!({"v": 1, "type": "like", "count": 4})).await;
    b.say(json!({"v": 1, "type": "product_click", "product": 7})).await;
    flush(&s).await;
    s.clock.advance_secs(35);
    drop(b);
    flush(&s).await;
    s.clock.advance_secs(40); // 140 s: minute 2
    flush(&s).await;
    let f = desk.figures().await.expect("figures");
    let t = &f["trend"];
    let tail = |series: &str| -> Vec<u64> {
        let all = t[series].as_array().unwrap();
        assert_eq!(all.len(), 60, "{series}: one value a minute for an hour");
        all[57..].iter().map(|v| v.as_u64().unwrap()).collect()
    };
    assert_eq!(t["from_ms"].as_i64(), Some(T0.0 + 2 * 60_000 - 59 * 60_000));
    assert_eq!(tail("online"), [1, 2, 1], "the most online in each minute; minute 2 carries the one still online");
    assert_eq!(tail("entries"), [1, 1, 0]);
    assert_eq!(tail("comments"), [1, 0, 0]);
    assert_eq!(tail("likes"), [0, 4, 0]);
    assert_eq!(tail("clicks"), [0, 1, 0]);
    assert!(t["online"].as_array().unwrap()[..57].iter().all(|v| v == 0), "before the show: nobody");
    drop(a);
}
