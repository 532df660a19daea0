//! A room's task stops once nobody has been connected for a while, and
//! the next connection starts a fresh one. A room with a lottery, red
//! packet or poll open does not stop, because those live only in the task
//! (an idle stop lost them); what consoles set (welcome template, pinned
//! topic and comment) comes back from the room's log.

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use zhibo_domain::event::Actor;
use zhibo_domain::{Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::{ConnectionKind, Identity, LiveError, RoomConfig, RoomData, RoomHub, RoomInfo, RoomStatus};
use zhibo_store::{EventStore, SqliteStore};

const WITH_LOTTERY: RoomId = RoomId(21);
const EMPTY: RoomId = RoomId(22);
const T0: Timestamp = Timestamp(1_795_608_000_000);

#[derive(Debug)]
struct Rooms;

#[async_trait::async_trait]
impl RoomData for Rooms {
    async fn load(&self, _room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        Ok(Some(RoomInfo { title: "空场".into(), status: RoomStatus::Live, lineup: vec![] }))
    }
}

fn console() -> Identity {
    Identity {
        actor: Actor::User(UserId(3)),
        name: "场控".into(),
        role: Some(Role::Assistant),
        kind: ConnectionKind::Console,
    }
}

/// Waits (bounded) until `done` holds, looking again after each of the
/// room's ticks; the rooms' own pace decides, not a guess of ours.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..2_000 {
        if done().await {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never: {what}");
}

fn viewer(id: &str) -> Identity {
    Identity { actor: Actor::Viewer(id.into()), name: format!("观众{id}"), role: None, kind: ConnectionKind::Viewer }
}

/// The first frame of a fresh connection.
async fn snapshot(c: &mut zhibo_live::Connection) -> serde_json::Value {
    let bytes = tokio::time::timeout(Duration::from_secs(10), c.outbound.next()).await.unwrap().unwrap();
    let frame: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(frame["type"], "snapshot");
    frame
}

#[tokio::test]
async fn a_restarted_room_takes_back_the_welcome_template_and_what_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config =
        RoomConfig { tick: Duration::from_millis(5), idle_after: Duration::from_millis(25), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(Rooms), Arc::new(clock.clone()), config);

    let mut desk = hub.connect(EMPTY, console()).await.unwrap();
    let fresh = snapshot(&mut desk).await;
    let v = hub.connect(EMPTY, viewer("a")).await.unwrap();
    assert!(v.inbound.send_text(&json!({"v": 1, "type": "comment", "text": "这条围巾有灰色吗"}).to_string()).await);
    hub.room(EMPTY).flush().await;
    let comment = store
        .events_after(EMPTY, 0, 100)
        .await
        .unwrap()
        .iter()
        .find(|e| e.kind.as_str() == "comment.posted")
        .unwrap()
        .seq;
    for message in [
        json!({"v": 1, "type": "set_welcome", "template": "欢迎{name}，今晚围巾五折"}),
        json!({"v": 1, "type": "pin_topic", "text": "满199减30"}),
        json!({"v": 1, "type": "pin_comment", "comment": comment}),
    ] {
        assert!(desk.inbound.send_text(&message.to_string()).await);
    }
    hub.room(EMPTY).flush().await;
    drop((desk, v));
    eventually("the room stops", async || hub.running(EMPTY).is_none()).await;

    let mut again = hub.connect(EMPTY, console()).await.unwrap();
    let restored = snapshot(&mut again).await;
    assert_ne!(fresh["welcome_template"], restored["welcome_template"], "the default at first");
    assert_eq!(restored["welcome_template"], "欢迎{name}，今晚围巾五折");
    assert_eq!(restored["topic"], "满199减30");
    assert_eq!(restored["pinned_comment"]["id"], comment);
    assert_eq!(restored["pinned_comment"]["text"], "这条围巾有灰色吗");

    // Unpinned before the next stop: stays unpinned after it.
    for message in [json!({"v": 1, "type": "unpin_topic"}), json!({"v": 1, "type": "unpin_comment"})] {
        assert!(again.inbound.send_text(&message.to_string()).await);
    }
    hub.room(EMPTY).flush().await;
    drop(again);
    eventually("the room stops", async || hub.running(EMPTY).is_none()).await;
    let mut third = hub.connect(EMPTY, console()).await.unwrap();
    let restored = snapshot(&mut third).await;
    assert!(restored["topic"].is_null() && restored["pinned_comment"].is_null(), "{restored}");
    assert_eq!(restored["welcome_template"], "欢迎{name}，今晚围巾五折");
}

#[tokio::test]
async fn an_idle_room_stops_unless_a_lottery_is_open_which_it_then_draws() {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config =
        RoomConfig { tick: Duration::from_millis(5), idle_after: Duration::from_millis(25), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(Rooms), Arc::new(clock.clone()), config);

    let desk = hub.connect(WITH_LOTTERY, console()).await.unwrap();
    assert!(
        desk.inbound
            .send_text(
                &json!({"v": 1, "type": "open_lottery", "prize": "围巾", "winners": 1,
        "join": "follow", "duration_secs": 60})
                .to_string()
            )
            .await
    );
    hub.room(WITH_LOTTERY).flush().await;
    let empty = hub.connect(EMPTY, console()).await.unwrap();
    drop(desk);
    drop(empty);

    eventually("the empty room stops", async || hub.running(EMPTY).is_none()).await;
    // Three more whole idle periods, each measured by the empty room
    // starting and stopping again.
    for _ in 0..3 {
        drop(hub.connect(EMPTY, console()).await.unwrap());
        eventually("the empty room stops again", async || hub.running(EMPTY).is_none()).await;
    }
    assert!(hub.running(WITH_LOTTERY).is_some(), "the room with an open lottery keeps running");
    // Its lottery's time comes: the room draws it on its own tick.
    clock.advance_secs(61);
    eventually("the open lottery is drawn", async || {
        store.events_after(WITH_LOTTERY, 0, 100).await.unwrap().iter().any(|e| e.kind.as_str() == "lottery.drawn")
    })
    .await;
    // Nothing open any more: now it stops too.
    eventually("the room stops once nothing is open", async || hub.running(WITH_LOTTERY).is_none()).await;
}
