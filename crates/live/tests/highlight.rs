//! 标记高光: a console marks a highlight; the room logs `highlight.marked`
//! with the stream time (the time away after a drop left out) and tells
//! consoles; a viewer's mark and an over-long note are refused with an
//! error frame and log nothing. A virtual clock and a real SQLite log;
//! nothing sleeps.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use zhibo_domain::event::Actor;
use zhibo_domain::{Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::room::{StreamEvent, StreamUpdate};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LiveError, RoomConfig, RoomData, RoomHub, RoomInfo, RoomStatus,
};
use zhibo_store::{EventStore, SqliteStore};

const ROOM: RoomId = RoomId(9);

#[derive(Debug)]
struct Show;

#[async_trait::async_trait]
impl RoomData for Show {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        Ok((room == ROOM).then(|| RoomInfo { title: "高光".into(), status: RoomStatus::Live, lineup: vec![] }))
    }
}

struct Peer(Connection, VecDeque<Value>);

impl Peer {
    async fn join(hub: &RoomHub, role: Option<Role>, kind: ConnectionKind) -> Peer {
        let actor = if role.is_some() { Actor::User(UserId(2)) } else { Actor::Viewer("v-1".into()) };
        let who = Identity { actor, name: "x".into(), role, kind };
        let mut p = Peer(hub.connect(ROOM, who).await.unwrap(), VecDeque::new());
        assert_eq!(p.next().await["type"], "snapshot");
        p
    }

    async fn next(&mut self) -> Value {
        loop {
            if let Some(f) = self.1.pop_front() {
                return f;
            }
            let bytes: Bytes = tokio::time::timeout(Duration::from_secs(10), self.0.outbound.next())
                .await
                .expect("a frame within the safety timeout")
                .expect("the room is running");
            let message: Value = serde_json::from_slice(&bytes).unwrap();
            if message["type"] == "batch" {
                self.1.extend(message["frames"].as_array().unwrap().iter().cloned());
            } else {
                return message;
            }
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

    async fn send(&self, message: Value) {
        assert!(self.0.inbound.send_text(&message.to_string()).await);
    }
}

#[tokio::test]
async fn a_console_marks_highlights_at_the_stream_time_and_a_viewer_cannot() {
    let dir = TempDir::new().unwrap();
    let clock = VirtualClock::starting_at(Timestamp(1_795_608_000_000));
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(Show), Arc::new(clock.clone()), config);
    let mut desk = Peer::join(&hub, Some(Role::Operator), ConnectionKind::Console).await;
    let mut viewer = Peer::join(&hub, None, ConnectionKind::Viewer).await;
    let room = hub.room(ROOM);

    // before any stream: the mark is kept, without a stream time
    desk.send(json!({"v": 1, "type": "mark_highlight"})).await;
    room.flush().await;
    let f = desk.until("highlight").await;
    assert_eq!((f["stream_ms"].clone(), f["note"].clone()), (Value::Null, Value::Null));

    // live 3 s, away 4 s, live again 1.5 s (each change handled before the clock moves)
    assert!(room.stream(StreamUpdate { event: StreamEvent::Started, health: None }).await);
    room.flush().await;
    clock.advance_millis(3_000);
    assert!(room.stream(StreamUpdate { event: StreamEvent::Dropped, health: None }).await);
    room.flush().await;
    clock.advance_millis(4_000);
    assert!(room.stream(StreamUpdate { event: StreamEvent::Resumed, health: None }).await);
    room.flush().await;
    clock.advance_millis(1_500);
    desk.send(json!({"v": 1, "type": "mark_highlight", "note": "  上链接  "})).await;
    room.flush().await;
    let f = desk.until("highlight").await;
    assert_eq!((f["stream_ms"].as_i64(), f["note"].as_str()), (Some(4_500), Some("上链接")));

    // a viewer may not; nor a note over 100 characters
    viewer.send(json!({"v": 1, "type": "mark_highlight", "note": "me"})).await;
    let e = viewer.until("error").await;
    assert_eq!(e["code"], "forbidden");
    desk.send(json!({"v": 1, "type": "mark_highlight", "note": "长".repeat(101)})).await;
    let e = desk.until("error").await;
    assert_eq!(e["field"], "note");
    room.flush().await;

    let marks: Vec<Value> = store
        .events_after(ROOM, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.to_string() == "highlight.marked")
        .map(|e| {
            assert_eq!(e.actor, Actor::User(UserId(2)));
            e.payload
        })
        .collect();
    assert_eq!(marks, [json!({"note": null, "stream_ms": null}), json!({"note": "上链接", "stream_ms": 4_500})]);
}
