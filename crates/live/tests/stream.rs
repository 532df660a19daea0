//! The room's side of the video stream: media reports become `stream.*`
//! events, consoles get the details and everyone the state, refreshes are
//! not logged, and a sample that arrives after a drop does not say "live"
//! again. A virtual clock and a real SQLite log; nothing sleeps (batches
//! are forced out with `RoomHandle::flush`).

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

const ROOM: RoomId = RoomId(5);

#[derive(Debug)]
struct Show;

#[async_trait::async_trait]
impl RoomData for Show {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        Ok((room == ROOM).then(|| RoomInfo { title: "推流".into(), status: RoomStatus::Live, lineup: vec![] }))
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
}

fn update(event: StreamEvent, width: u32) -> StreamUpdate {
    StreamUpdate { event, health: Some(json!({ "width": width, "bitrate_kbps": 900 })) }
}

#[tokio::test]
async fn stream_changes_are_logged_and_told_to_consoles_and_viewers() {
    let dir = TempDir::new().unwrap();
    let clock = VirtualClock::starting_at(Timestamp(1_795_608_000_000));
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(Show), Arc::new(clock), config);

    let mut desk = Peer::join(&hub, Some(Role::Assistant), ConnectionKind::Console).await;
    assert_eq!(desk.until("stream").await["state"], "off");
    let mut viewer = Peer::join(&hub, None, ConnectionKind::Viewer).await;
    assert_eq!(viewer.until("stream_state").await["state"], "off");

    let room = hub.room(ROOM);
    assert!(room.stream(update(StreamEvent::Started, 320)).await);
    room.flush().await;
    let f = desk.until("stream").await;
    assert_eq!(
        (f["event"].as_str(), f["state"].as_str(), f["health"]["width"].as_u64()),
        (Some("started"), Some("live"), Some(320))
    );
    assert_eq!(viewer.until("stream_state").await["state"], "live");

    // a refresh reaches consoles only and is not logged
    room.stream_refresh(update(StreamEvent::Refresh, 640));
    room.flush().await;
    let f = desk.until("stream").await;
    assert_eq!((f["event"].as_str(), f["health"]["width"].as_u64()), (Some("refresh"), Some(640)));

    assert!(room.stream(update(StreamEvent::Dropped, 640)).await);
    room.flush().await;
    assert_eq!(desk.until("stream").await["state"], "down");
    assert_eq!(viewer.until("stream_state").await["state"], "down");
    // a sample overtaken by the drop does not bring the stream back
    room.stream_refresh(update(StreamEvent::Refresh, 640));
    room.flush().await;
    assert_eq!(desk.until("stream").await["state"], "down");

    assert!(room.stream(update(StreamEvent::Resumed, 640)).await);
    assert!(room.stream(update(StreamEvent::Health, 640)).await);
    assert!(room.stream(StreamUpdate { event: StreamEvent::Stopped, health: None }).await);
    room.flush().await;
    assert_eq!(viewer.until("stream_state").await["state"], "live");
    assert_eq!(viewer.until("stream_state").await["state"], "off");

    // a viewer joining now hears the state right after the snapshot
    let mut late = Peer::join(&hub, None, ConnectionKind::Viewer).await;
    assert_eq!(late.until("stream_state").await["state"], "off");

    let kinds: Vec<String> = store
        .events_after(ROOM, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind.to_string())
        .filter(|k| k.starts_with("stream."))
        .collect();
    assert_eq!(kinds, ["stream.started", "stream.dropped", "stream.resumed", "stream.health", "stream.stopped"]);
}
