//! 标记高光: a console marks a highlight; the room logs `highlight.marked`
//! with the stream time (the time away after a drop left out) and tells
//! consoles; a viewer's mark and an over-long note are refused with an
//! error frame and log nothing. A virtual clock and a real SQLite log;
//! nothing sleeps.

use serde_json::{Value, json};
use zhibo_domain::event::Actor;
use zhibo_domain::{Role, UserId};
use zhibo_live::Identity;
use zhibo_live::room::{StreamEvent, StreamUpdate};
use zhibo_store::EventStore;

use crate::harness::{ROOM, Show, console, join, start, viewer};

#[tokio::test]
async fn a_console_marks_highlights_at_the_stream_time_and_a_viewer_cannot() {
    let s = start(Show::titled("高光")).await;
    let (hub, clock, store) = (&s.hub, &s.clock, &s.store);
    let mut desk = join(&s, Identity { actor: Actor::User(UserId(2)), ..console(Role::Operator) }).await;
    let mut viewer = join(&s, viewer("v-1")).await;
    let room = hub.room(ROOM);

    // before any stream: the mark is kept, without a stream time
    desk.say(json!({"v": 1, "type": "mark_highlight"})).await;
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
    desk.say(json!({"v": 1, "type": "mark_highlight", "note": "  上链接  "})).await;
    room.flush().await;
    let f = desk.until("highlight").await;
    assert_eq!((f["stream_ms"].as_i64(), f["note"].as_str()), (Some(4_500), Some("上链接")));

    // a viewer may not; nor a note over 100 characters
    viewer.say(json!({"v": 1, "type": "mark_highlight", "note": "me"})).await;
    let e = viewer.until("error").await;
    assert_eq!(e["code"], "forbidden");
    desk.say(json!({"v": 1, "type": "mark_highlight", "note": "长".repeat(101)})).await;
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
