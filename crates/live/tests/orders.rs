//! Order events reach a running room (`RoomHandle::observe`): a paid order
//! counts into the console's figures (orders, GMV, conversion) and the
//! products' new stock reaches the lineup and every viewer as a `stock`
//! frame. Batches are forced out with `flush`; nothing sleeps.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_domain::{Fen, ProductId, Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LineupEntry, LiveError, RoomConfig, RoomData, RoomHub, RoomInfo, RoomStatus,
};
use zhibo_store::{EventStore, SqliteStore};

const ROOM: RoomId = RoomId(3);

// 领券提醒 and cart nudges (crate::reminders): self-contained tests of their own.
#[path = "orders/reminders.rs"]
mod reminders;

#[derive(Debug)]
struct OneProduct;

#[async_trait::async_trait]
impl RoomData for OneProduct {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let entry = LineupEntry {
            product: ProductId(7),
            title: "真丝睡衣".into(),
            price: Fen(1000),
            list_price: Fen(0),
            live_price: Fen(900),
            stock: 10,
            listed: true,
            facts: None,
        };
        Ok((room == ROOM)
            .then(|| RoomInfo { title: "睡衣专场".into(), status: RoomStatus::Live, lineup: vec![entry] }))
    }
}

struct Peer {
    c: Connection,
    queue: VecDeque<Value>,
}

impl Peer {
    async fn next(&mut self) -> Value {
        loop {
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
            } else {
                return message;
            }
        }
    }

    async fn until(&mut self, test: impl Fn(&Value) -> bool) -> Value {
        loop {
            let f = self.next().await;
            if test(&f) {
                return f;
            }
        }
    }
}

fn order_event(kind: &str, buyer: i64, amount: i64, stock: i64) -> NewEvent {
    NewEvent {
        room: ROOM,
        kind: EventKind::parse(kind).unwrap(),
        actor: Actor::User(UserId(buyer)),
        amount: Some(Fen(amount)),
        payload: json!({"order": 1, "stock": [{"product": 7, "stock": stock}]}),
    }
}

#[tokio::test]
async fn paid_orders_reach_the_console_figures_and_stock_reaches_every_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(Timestamp(1_795_608_000_000));
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(OneProduct), Arc::new(clock), config);
    let buyer = Identity {
        actor: Actor::User(UserId(5)),
        name: "买家".into(),
        role: Some(Role::Viewer),
        kind: ConnectionKind::Viewer,
    };
    let desk = Identity {
        actor: Actor::User(UserId(2)),
        name: "运营".into(),
        role: Some(Role::Operator),
        kind: ConnectionKind::Console,
    };
    let mut viewer = Peer { c: hub.connect(ROOM, buyer).await.unwrap(), queue: VecDeque::new() };
    let mut console = Peer { c: hub.connect(ROOM, desk).await.unwrap(), queue: VecDeque::new() };

    // placed: 2 units reserved, stock 10 → 8
    let placed = store.append(order_event("order.placed", 5, 1800, 8)).await.unwrap();
    hub.room(ROOM).observe(placed).await;
    hub.room(ROOM).flush().await;
    let stock = viewer.until(|f| f["type"] == "stock").await;
    assert_eq!((stock["product"].as_i64(), stock["stock"].as_i64()), (Some(7), Some(8)));

    // paid: counted once, GMV at payment, one paying buyer of one viewer
    let paid = store.append(order_event("order.paid", 5, 1800, 8)).await.unwrap();
    hub.room(ROOM).observe(paid).await;
    hub.room(ROOM).flush().await;
    let figures = console.until(|f| f["type"] == "figures" && f["orders"] == 1).await;
    assert_eq!(figures["gmv_fen"], 1800);
    assert_eq!(figures["conversion_permille"], 1000);

    // an event of another room changes nothing here
    let mut other = order_event("order.paid", 6, 500, 1);
    other.room = RoomId(99);
    let other = store.append(other).await.unwrap();
    hub.room(ROOM).observe(other).await;
    let again = store.append(order_event("order.paid", 6, 200, 8)).await.unwrap();
    hub.room(ROOM).observe(again).await;
    hub.room(ROOM).flush().await;
    let figures = console.until(|f| f["type"] == "figures" && f["orders"] == 2).await;
    assert_eq!(figures["gmv_fen"], 2000);
    let snapshot_stock = {
        let late = Identity {
            actor: Actor::Viewer("late".into()),
            name: "晚到".into(),
            role: None,
            kind: ConnectionKind::Viewer,
        };
        let mut p = Peer { c: hub.connect(ROOM, late).await.unwrap(), queue: VecDeque::new() };
        p.next().await
    };
    assert!(snapshot_stock.to_string().contains("\"stock\":8"), "{snapshot_stock}");
}
