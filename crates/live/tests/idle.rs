//! A room stops once nobody has been connected for a while; a room with a
//! lottery, red packet or poll open does not, because those live only in
//! the room task (an idle stop lost them). Two rooms on the same ticks:
//! the empty one stopping shows the idle time has passed for both.

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
