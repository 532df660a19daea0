//! The run sheet timer end to end: a run sheet loaded through `RoomData`,
//! a virtual clock and a real SQLite event log in a temporary folder.
//! Nothing sleeps: batches are forced out with `RoomHandle::flush` and an
//! overrun is reached by advancing the clock.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use zhibo_domain::event::{Actor, Event};
use zhibo_domain::show::{Segment, SegmentKind};
use zhibo_domain::{Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LiveError, RoomConfig, RoomData, RoomHub, RoomInfo, RoomStatus, RunSheetPlan,
};
use zhibo_store::{EventStore, SqliteStore};

const ROOM: RoomId = RoomId(11);
const T0: Timestamp = Timestamp(1_795_608_000_000);
/// The show went live two minutes after the test's clock starts.
const STARTED: Timestamp = Timestamp(T0.0 + 120_000);
const MINUTE: i64 = 60_000;

#[derive(Debug)]
struct Show;

#[async_trait::async_trait]
impl RoomData for Show {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        Ok((room == ROOM).then(|| RoomInfo { title: "流程单".into(), status: RoomStatus::Live, lineup: vec![] }))
    }

    async fn run_sheet(&self, _room: RoomId) -> Result<RunSheetPlan, LiveError> {
        let seg = |kind, title: &str, start, minutes| Segment {
            kind,
            title: title.into(),
            start_offset_minutes: start,
            minutes,
        };
        Ok(RunSheetPlan {
            started_at: Some(STARTED),
            scheduled_start: Some(T0),
            segments: vec![
                seg(SegmentKind::Opening, "开场寒暄", 0, 5),
                seg(SegmentKind::Product, "围巾讲解", 5, 15),
                seg(SegmentKind::Closing, "收尾", 20, 3),
            ],
        })
    }
}

struct Setup {
    hub: RoomHub,
    clock: VirtualClock,
    store: Arc<SqliteStore>,
    _dir: TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(Show), Arc::new(clock.clone()), config);
    Setup { hub, clock, store, _dir: dir }
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
    async fn join(s: &Setup, who: Identity) -> Peer {
        let mut p = Peer { c: s.hub.connect(ROOM, who).await.unwrap(), queue: VecDeque::new() };
        assert_eq!(p.next().await["type"], "snapshot");
        p
    }

    async fn next(&mut self) -> Value {
        if let Some(f) = self.queue.pop_front() {
            return f;
        }
        let bytes: Bytes = tokio::time::timeout(Duration::from_secs(10), self.c.outbound.next())
            .await
            .expect("a frame within the safety timeout")
            .expect("the room is running");
        let message: Value = serde_json::from_slice(&bytes).unwrap();
        if message["type"] == "batch" {
            self.queue.extend(message["frames"].as_array().unwrap().iter().cloned());
            Box::pin(self.next()).await
        } else {
            message
        }
    }

    async fn until(&mut self, kind: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return f;
            }
        }
    }

    async fn say(&self, message: Value) {
        assert!(self.c.inbound.send_text(&message.to_string()).await);
    }
}

async fn events(s: &Setup) -> Vec<Event> {
    s.store.events_after(ROOM, 0, 1000).await.unwrap()
}

#[tokio::test]
async fn a_console_gets_the_run_sheet_with_planned_times_from_the_actual_start() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["now"], T0.0);
    assert_eq!(sheet["started_at"], STARTED.0);
    assert_eq!(sheet["current"], Value::Null);
    let segments = sheet["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 3);
    assert_eq!(segments[1]["kind"], "product");
    assert_eq!(segments[1]["title"], "围巾讲解");
    assert_eq!(segments[1]["planned_start_ms"], STARTED.0 + 5 * MINUTE);
    assert_eq!(segments[1]["planned_end_ms"], STARTED.0 + 20 * MINUTE);
}

#[tokio::test]
async fn starting_and_ending_segments_logs_events_in_order_with_planned_and_actual_times() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    desk.until("run_sheet").await;
    s.clock.advance_secs(120);
    desk.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["current"]["index"], 0);
    assert_eq!(sheet["current"]["started_at_ms"], STARTED.0);
    assert_eq!(sheet["current"]["left_ms"], 5 * MINUTE);
    assert_eq!(sheet["current"]["overrun"], false);
    // Four minutes in, the console moves on: segment 0 ends, 1 starts.
    s.clock.advance_secs(240);
    desk.say(json!({"v": 1, "type": "start_segment", "index": 1})).await;
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["current"]["index"], 1);
    assert_eq!(sheet["segments"][0]["done"], true);
    s.clock.advance_secs(600);
    desk.say(json!({"v": 1, "type": "end_segment"})).await;
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["current"], Value::Null);
    desk.say(json!({"v": 1, "type": "end_segment"})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");
    desk.say(json!({"v": 1, "type": "start_segment", "index": 3})).await;
    assert_eq!(desk.until("error").await["field"], "index");

    let log = events(&s).await;
    let segment_events: Vec<&Event> = log.iter().filter(|e| e.kind.as_str().starts_with("segment.")).collect();
    let kinds: Vec<(&str, u64)> =
        segment_events.iter().map(|e| (e.kind.as_str(), e.payload["index"].as_u64().unwrap())).collect();
    assert_eq!(kinds, [("segment.started", 0), ("segment.ended", 0), ("segment.started", 1), ("segment.ended", 1)]);
    let ended0 = segment_events[1];
    assert_eq!(ended0.payload["planned_start"], STARTED.0);
    assert_eq!(ended0.payload["planned_end"], STARTED.0 + 5 * MINUTE);
    assert_eq!(ended0.payload["actual_start"], STARTED.0);
    assert_eq!(ended0.payload["actual_end"], STARTED.0 + 4 * MINUTE);
    assert_eq!(ended0.payload["overrun_ms"], 0);
    let started1 = segment_events[2];
    assert_eq!(started1.payload["planned_start"], STARTED.0 + 5 * MINUTE);
    assert_eq!(started1.payload["actual_start"], STARTED.0 + 4 * MINUTE);
    assert_eq!(started1.actor, Actor::User(UserId(3)));
    assert_eq!(segment_events[3].payload["actual_ms"], 10 * MINUTE);
}

#[tokio::test]
async fn an_overrun_is_flagged_once_the_clock_passes_the_planned_length() {
    let s = setup().await;
    let mut desk = Peer::join(&s, console()).await;
    desk.until("run_sheet").await;
    desk.say(json!({"v": 1, "type": "start_segment", "index": 2})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(desk.until("run_sheet").await["current"]["overrun"], false);
    // Exactly at the planned end it is not over yet: no frame.
    s.clock.advance_secs(180);
    s.hub.room(ROOM).flush().await;
    s.clock.advance_secs(1);
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["now"], T0.0 + 181_000);
    assert_eq!(sheet["current"]["overrun"], true);
    assert_eq!(sheet["current"]["left_ms"], -1000);
    // A console joining now sees the overrun too.
    let mut other = Peer::join(&s, console()).await;
    assert_eq!(other.until("run_sheet").await["current"]["overrun"], true);
    // Ending logs how far over it ran.
    s.clock.advance_secs(29);
    desk.say(json!({"v": 1, "type": "end_segment"})).await;
    s.hub.room(ROOM).flush().await;
    let log = events(&s).await;
    let ended = log.iter().find(|e| e.kind.as_str() == "segment.ended").unwrap();
    assert_eq!(ended.payload["overrun_ms"], 30_000);
}

#[tokio::test]
async fn a_viewer_socket_cannot_start_or_end_segments() {
    let s = setup().await;
    let mut v = Peer::join(
        &s,
        Identity { actor: Actor::Viewer("a".into()), name: "观众a".into(), role: None, kind: ConnectionKind::Viewer },
    )
    .await;
    // Even an assistant's account on the viewer endpoint is refused.
    let mut staff_as_viewer = Peer::join(&s, Identity { kind: ConnectionKind::Viewer, ..console() }).await;
    v.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    staff_as_viewer.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    assert_eq!(staff_as_viewer.until("error").await["code"], "forbidden");
    v.say(json!({"v": 1, "type": "end_segment"})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    s.hub.room(ROOM).flush().await;
    let log = events(&s).await;
    assert!(log.iter().all(|e| !e.kind.as_str().starts_with("segment.")));
}
