//! A room's event log and rollups through the API.

use crate::helpers::*;
use zhibo_domain::event::{Actor, EventKind, MinuteRollups, NewEvent, fold};
use zhibo_domain::{Fen, RoomId, UserId};
use zhibo_store::EventStore;

#[tokio::test]
async fn the_api_pages_through_a_rooms_log_and_its_rollups_match_a_fold() {
    let app = TestApp::spawn().await;
    let room = RoomId(7);
    for i in 0..130i64 {
        let (kind, amount) = if i % 10 == 0 { ("order.paid", Some(Fen(1990 + i))) } else { ("viewer.entered", None) };
        let event = NewEvent {
            room,
            kind: EventKind::parse(kind).unwrap(),
            actor: Actor::User(UserId(1)),
            amount,
            payload: serde_json::json!({"i": i}),
        };
        app.store.append(event).await.unwrap();
        app.clock.advance_secs(7);
    }
    let op = app.api_signed_in("operator").await;
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page: Vec<serde_json::Value> =
            op.get(&app, &format!("/api/v1/rooms/7/events?after={after}&limit=50")).await.json().await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().unwrap()["seq"].as_u64().unwrap();
        seen.extend(page);
    }
    let seqs: Vec<u64> = seen.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=130).collect::<Vec<_>>());
    assert_eq!(seen[10]["payload"]["i"], 10);
    assert_eq!(seen[10]["amount_fen"], 2000);

    let rollups: Vec<serde_json::Value> = op.get(&app, "/api/v1/rooms/7/rollups").await.json().await.unwrap();
    let all = app.store.events_after(room, 0, 1000).await.unwrap();
    let expected = fold(MinuteRollups::default(), &all);
    assert_eq!(rollups.len(), expected.cells.len());
    for r in &rollups {
        let key = (
            zhibo_domain::Timestamp(r["minute_ms"].as_i64().unwrap()),
            EventKind::parse(r["kind"].as_str().unwrap()).unwrap(),
        );
        let cell = expected.cells[&key];
        assert_eq!((r["count"].as_i64().unwrap(), r["amount_fen"].as_i64().unwrap()), (cell.count, cell.amount.0));
    }
    let total_paid: i64 =
        rollups.iter().filter(|r| r["kind"] == "order.paid").map(|r| r["amount_fen"].as_i64().unwrap()).sum();
    assert_eq!(total_paid, (0..130).step_by(10).map(|i| 1990 + i).sum::<i64>());
}
