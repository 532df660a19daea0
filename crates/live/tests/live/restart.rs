//! A room's task stops once nobody has been connected for a while, and
//! the next connection starts a fresh one. A room with a lottery, red
//! packet or poll open does not stop, because those live only in the task
//! (an idle stop lost them); what consoles set (welcome template, pinned
//! topic and comment) comes back from the room's log.
//!
//! These rooms run on a real 5 ms tick (idle time is counted in ticks),
//! so the tests wait for what the rooms do, bounded, and never for a
//! guessed length of time.

use serde_json::json;
use std::time::Duration;
use zhibo_domain::Role;
use zhibo_live::{RoomConfig, RoomHub};

use crate::harness::{Peer, ROOM, Setup, Show, console, events_of, flush, start_with, viewer};

fn quick_idle() -> RoomConfig {
    RoomConfig { tick: Duration::from_millis(5), idle_after: Duration::from_millis(25), ..RoomConfig::default() }
}

/// Waits (bounded) until `done` holds, looking again every few ms.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..2_000 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never: {what}");
}

async fn stopped(hub: &RoomHub) {
    eventually("the room stops", async || hub.running(ROOM).is_none()).await;
}

#[tokio::test]
async fn a_restarted_room_takes_back_the_welcome_template_and_what_is_pinned() {
    let s = start_with(Show::titled("空场"), quick_idle()).await;
    let mut desk = Peer::connect(&s.hub, console(Role::Assistant)).await;
    let fresh = desk.next().await;
    let v = Peer::join(&s.hub, viewer("a")).await;
    v.say(json!({"v": 1, "type": "comment", "text": "这条围巾有灰色吗"})).await;
    flush(&s).await;
    let comment = events_of(&s, "comment.posted").await[0].seq;
    desk.say(json!({"v": 1, "type": "set_welcome", "template": "欢迎{name}，今晚围巾五折"})).await;
    desk.say(json!({"v": 1, "type": "pin_topic", "text": "满199减30"})).await;
    desk.say(json!({"v": 1, "type": "pin_comment", "comment": comment})).await;
    flush(&s).await;
    drop((desk, v));
    stopped(&s.hub).await;

    let mut again = Peer::connect(&s.hub, console(Role::Assistant)).await;
    let restored = again.next().await;
    assert_eq!(restored["type"], "snapshot");
    assert_ne!(fresh["welcome_template"], restored["welcome_template"], "the default at first");
    assert_eq!(restored["welcome_template"], "欢迎{name}，今晚围巾五折");
    assert_eq!(restored["topic"], "满199减30");
    assert_eq!(restored["pinned_comment"]["id"], comment);
    assert_eq!(restored["pinned_comment"]["text"], "这条围巾有灰色吗");

    // Unpinned before the next stop: stays unpinned after it.
    again.say(json!({"v": 1, "type": "unpin_topic"})).await;
    again.say(json!({"v": 1, "type": "unpin_comment"})).await;
    flush(&s).await;
    drop(again);
    stopped(&s.hub).await;
    let mut third = Peer::connect(&s.hub, console(Role::Assistant)).await;
    let restored = third.next().await;
    assert!(restored["topic"].is_null() && restored["pinned_comment"].is_null(), "{restored}");
    assert_eq!(restored["welcome_template"], "欢迎{name}，今晚围巾五折");
}

/// Two rooms on the same ticks: the empty one (in a hub of its own)
/// stopping and starting again measures whole idle periods for both.
#[tokio::test]
async fn an_idle_room_stops_unless_a_lottery_is_open_which_it_then_draws() {
    let s = start_with(Show::titled("福袋"), quick_idle()).await;
    let empty: Setup = start_with(Show::titled("空场"), quick_idle()).await;
    let desk = Peer::join(&s.hub, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "open_lottery", "prize": "围巾", "winners": 1, "join": "follow",
        "duration_secs": 60}))
        .await;
    flush(&s).await;
    drop(desk);
    // Four whole idle periods, each measured by the empty room starting
    // and stopping.
    for _ in 0..4 {
        drop(Peer::join(&empty.hub, console(Role::Assistant)).await);
        stopped(&empty.hub).await;
    }
    assert!(s.hub.running(ROOM).is_some(), "the room with an open lottery keeps running");
    // Its lottery's time comes: the room draws it on its own tick.
    s.clock.advance_secs(61);
    eventually("the open lottery is drawn", async || !events_of(&s, "lottery.drawn").await.is_empty()).await;
    // Nothing open any more: now it stops too.
    stopped(&s.hub).await;
}
