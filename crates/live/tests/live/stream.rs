//! The room's side of the video stream: media reports become `stream.*`
//! events, consoles get the details and everyone the state, refreshes are
//! not logged, and a sample that arrives after a drop does not say "live"
//! again. A virtual clock and a real SQLite log; nothing sleeps (batches
//! are forced out with `RoomHandle::flush`).

use serde_json::json;
use zhibo_domain::Role;
use zhibo_live::room::{StreamEvent, StreamUpdate};
use zhibo_store::EventStore;

use crate::harness::{ROOM, Show, console, join, start, viewer};

fn update(event: StreamEvent, width: u32) -> StreamUpdate {
    StreamUpdate { event, health: Some(json!({ "width": width, "bitrate_kbps": 900 })) }
}

#[tokio::test]
async fn stream_changes_are_logged_and_told_to_consoles_and_viewers() {
    let s = start(Show::titled("推流")).await;
    let (hub, store) = (&s.hub, &s.store);

    let mut desk = join(&s, console(Role::Assistant)).await;
    assert_eq!(desk.until("stream").await["state"], "off");
    let mut viewer = join(&s, viewer("v-1")).await;
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
    let mut late = join(&s, crate::harness::viewer("v-1")).await;
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
