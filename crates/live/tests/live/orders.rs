//! Order events reach a running room (`RoomHandle::observe`): a paid order
//! counts into the console's figures (orders, GMV, conversion) and the
//! products' new stock reaches the lineup and every viewer as a `stock`
//! frame. Batches are forced out with `flush`; nothing sleeps.

use serde_json::json;
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_domain::{Fen, Role, RoomId, UserId};
use zhibo_live::LineupEntry;
use zhibo_store::EventStore;

use crate::harness::{Peer, ROOM, Show, buyer, console, product, start};

// 领券提醒 and cart nudges (crate::reminders), over the same show.
mod reminders;

/// One product, 10 元 (9 元 in the show), 10 in stock.
fn show() -> Show {
    let pajamas =
        LineupEntry {
            price: Fen(1000), list_price: Fen(0), live_price: Fen(900), stock: 10, ..product(7, "真丝睡衣")
        };
    Show { lineup: vec![pajamas], ..Show::titled("睡衣专场") }
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
    let s = start(show()).await;
    let (hub, store) = (&s.hub, &s.store);
    let mut viewer = Peer::connect(hub, buyer(5)).await;
    let mut console = Peer::connect(hub, console(Role::Operator)).await;

    // placed: 2 units reserved, stock 10 → 8
    let placed = store.append(order_event("order.placed", 5, 1800, 8)).await.unwrap();
    hub.room(ROOM).observe(placed).await;
    hub.room(ROOM).flush().await;
    let stock = viewer.until("stock").await;
    assert_eq!((stock["product"].as_i64(), stock["stock"].as_i64()), (Some(7), Some(8)));

    // paid: counted once, GMV at payment, one paying buyer of one viewer
    let paid = store.append(order_event("order.paid", 5, 1800, 8)).await.unwrap();
    hub.room(ROOM).observe(paid).await;
    hub.room(ROOM).flush().await;
    let figures = console.until_match(|f| f["type"] == "figures" && f["orders"] == 1).await;
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
    let figures = console.until_match(|f| f["type"] == "figures" && f["orders"] == 2).await;
    assert_eq!(figures["gmv_fen"], 2000);
    let snapshot_stock = {
        let mut p = Peer::connect(hub, crate::harness::viewer("late")).await;
        p.next().await
    };
    assert!(snapshot_stock.to_string().contains("\"stock\":8"), "{snapshot_stock}");
}
