//! The room event log on SQLite: the [`BatchWriter`] that stores one group
//! commit batch (events plus their rollups, in one IMMEDIATE transaction),
//! and the reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::SqlitePool;
use zhibo_domain::event::{Actor, Event, EventKind, MinuteRollups, NewEvent, Projection, RollupCell, RollupKey};
use zhibo_domain::{Clock, Fen, RoomId, Timestamp};

use super::{SqliteStore, to_u64};
use crate::event_log::{BatchWriter, RoomTails, Tail};
use crate::{EventStore, Result, StoreError};

/// Owned by the group commit writer task: the only code that appends.
pub(super) struct SqliteLogWriter {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    tails: RoomTails,
}

impl SqliteLogWriter {
    pub(super) fn new(pool: SqlitePool, clock: Arc<dyn Clock>) -> Self {
        SqliteLogWriter { pool, clock, tails: RoomTails::default() }
    }

    async fn store(&mut self, batch: &[NewEvent]) -> Result<Vec<Event>> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        for room in self.tails.unknown(batch) {
            let last: Option<(i64, i64)> =
                sqlx::query_as("SELECT seq, time_ms FROM room_events WHERE room_id = ? ORDER BY seq DESC LIMIT 1")
                    .bind(room.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let tail = match last {
                Some((seq, time)) => Tail { seq: to_u64(seq, "seq")?, time: Timestamp(time) },
                None => Tail::EMPTY,
            };
            self.tails.learn(room, tail);
        }

        // Read once per batch, after the lock is held.
        let events = self.tails.stamp(batch, self.clock.now());
        let mut rollups: BTreeMap<RoomId, MinuteRollups> = BTreeMap::new();
        for event in &events {
            sqlx::query(
                "INSERT INTO room_events (room_id, seq, time_ms, kind, actor, amount_fen, payload)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(event.room.0)
            .bind(i64::try_from(event.seq).map_err(|_| StoreError::Corrupt(format!("seq {} too large", event.seq)))?)
            .bind(event.time.millis())
            .bind(event.kind.as_str())
            .bind(event.actor.to_string())
            .bind(event.amount.map(|fen| fen.0))
            .bind(event.payload.to_string())
            .execute(&mut *tx)
            .await?;
            // The domain's own fold decides what each event adds, so the
            // table can never disagree with `fold(MinuteRollups, events)`.
            rollups.entry(event.room).or_default().apply(event);
        }
        for (room, minutes) in &rollups {
            for ((minute, kind), cell) in &minutes.cells {
                sqlx::query(
                    "INSERT INTO room_minute_rollups (room_id, minute_ms, kind, count, amount_fen)
                     VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT (room_id, minute_ms, kind) DO UPDATE SET
                         count = count + excluded.count,
                         amount_fen = amount_fen + excluded.amount_fen",
                )
                .bind(room.0)
                .bind(minute.millis())
                .bind(kind.as_str())
                .bind(cell.count)
                .bind(cell.amount.0)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(events)
    }
}

impl BatchWriter for SqliteLogWriter {
    async fn append_batch(&mut self, batch: &[NewEvent]) -> Result<Vec<Event>> {
        // On any error the transaction is dropped, which rolls it back.
        match self.store(batch).await {
            Ok(events) => {
                self.tails.advance(&events);
                Ok(events)
            }
            Err(err) => {
                self.tails.forget(batch);
                Err(err)
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    room_id: i64,
    seq: i64,
    time_ms: i64,
    kind: String,
    actor: String,
    amount_fen: Option<i64>,
    payload: String,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(row: EventRow) -> Result<Event> {
        let corrupt = |what: &str, why: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("room {} event {}: {what}: {why}", row.room_id, row.seq))
        };
        Ok(Event {
            room: RoomId(row.room_id),
            seq: to_u64(row.seq, "seq")?,
            time: Timestamp(row.time_ms),
            kind: EventKind::parse(&row.kind).map_err(|e| corrupt("kind", &e))?,
            actor: Actor::parse(&row.actor).map_err(|e| corrupt("actor", &e))?,
            amount: row.amount_fen.map(Fen),
            payload: serde_json::from_str(&row.payload).map_err(|e| corrupt("payload", &e))?,
        })
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(&self, event: NewEvent) -> Result<Event> {
        self.log.append(event).await
    }

    async fn events_after(&self, room: RoomId, after: u64, limit: u32) -> Result<Vec<Event>> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT room_id, seq, time_ms, kind, actor, amount_fen, payload
             FROM room_events WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(room.0)
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(Event::try_from).collect()
    }

    async fn last_seq(&self, room: RoomId) -> Result<u64> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM room_events WHERE room_id = ?")
            .bind(room.0)
            .fetch_one(&self.reader)
            .await?;
        to_u64(last.unwrap_or(0), "seq")
    }

    async fn last_of_kinds(&self, room: RoomId, kinds: &[&str]) -> Result<Option<Event>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        // Walks the room's primary key from its newest event back.
        let sql = format!(
            "SELECT room_id, seq, time_ms, kind, actor, amount_fen, payload
             FROM room_events WHERE room_id = ? AND kind IN ({}) ORDER BY seq DESC LIMIT 1",
            vec!["?"; kinds.len()].join(", ")
        );
        let mut query = sqlx::query_as::<_, EventRow>(&sql).bind(room.0);
        for kind in kinds {
            query = query.bind(*kind);
        }
        query.fetch_optional(&self.reader).await?.map(Event::try_from).transpose()
    }

    async fn rollups(&self, room: RoomId, from: Timestamp, to: Timestamp) -> Result<Vec<(RollupKey, RollupCell)>> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT minute_ms, kind, count, amount_fen FROM room_minute_rollups
             WHERE room_id = ? AND minute_ms >= ? AND minute_ms < ? ORDER BY minute_ms, kind",
        )
        .bind(room.0)
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(minute, kind, count, amount)| {
                let kind = EventKind::parse(&kind)
                    .map_err(|e| StoreError::Corrupt(format!("room {room} rollup kind: {e}")))?;
                Ok(((Timestamp(minute), kind), RollupCell { count, amount: Fen(amount) }))
            })
            .collect()
    }
}
