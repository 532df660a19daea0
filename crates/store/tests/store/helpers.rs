//! A fresh store per test, and small builders.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use tempfile::TempDir;
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_domain::{Fen, RoomId, Timestamp, VirtualClock};
use zhibo_store::SqliteStore;

/// 2026-01-01T00:00:00Z.
pub const T0: Timestamp = Timestamp(1_767_225_600_000);

/// All time, for `rollups`.
pub const EVER: (Timestamp, Timestamp) = (Timestamp(i64::MIN), Timestamp(i64::MAX));

pub struct TestStore {
    pub store: SqliteStore,
    pub clock: VirtualClock,
    pub dir: TempDir,
}

impl TestStore {
    pub async fn new() -> TestStore {
        let dir = TempDir::new().unwrap();
        let clock = VirtualClock::starting_at(T0);
        let store = SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap();
        TestStore { store, clock, dir }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("zhibo.db")
    }
}

pub fn new_event(room: i64, kind: &str, amount: Option<i64>) -> NewEvent {
    NewEvent {
        room: RoomId(room),
        kind: EventKind::parse(kind).unwrap(),
        actor: Actor::Sim(room as u64),
        amount: amount.map(Fen),
        payload: json!({ "room": room, "note": "评论 ✓" }),
    }
}
