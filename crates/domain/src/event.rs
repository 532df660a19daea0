//! A live room's event log, as values: what happened, in what order, and the
//! folds that turn a log into any view of the show.
//!
//! The log is the only truth about a show (docs/ARCHITECTURE.md). The store
//! appends [`NewEvent`]s and hands back [`Event`]s with a gap-free sequence
//! number; every projection — console figures, reports, assessment — is a
//! [`Projection`] folded over them. Per-minute rollups ([`MinuteRollups`])
//! are one such projection that the store also keeps up to date at append
//! time, so reports cost O(minutes) instead of O(events).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::{DomainError, Fen, RoomId, Timestamp, UserId};

/// The name of an event kind, dotted lower-case: `viewer.entered`,
/// `card.pushed`, `order.paid`. Open-ended on purpose: each feature adds its
/// kinds without touching the log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventKind(String);

impl EventKind {
    pub fn parse(text: &str) -> Result<EventKind, DomainError> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
            && !text.starts_with('.')
            && !text.ends_with('.');
        if ok {
            Ok(EventKind(text.to_owned()))
        } else {
            Err(DomainError::new(
                "kind",
                format!("事件类型格式不对 / bad event kind {text:?}: use dotted lower-case such as viewer.entered"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EventKind {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EventKind::parse(&value)
    }
}

impl From<EventKind> for String {
    fn from(kind: EventKind) -> String {
        kind.0
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Actor {
    /// zhibo itself: a timer, an automation, a timeout.
    System,
    /// A signed-in account.
    User(UserId),
    /// An anonymous viewer, by the signed viewer id given to the browser.
    Viewer(String),
    /// A simulated viewer of the audience simulator.
    Sim(u64),
}

impl Actor {
    pub fn parse(text: &str) -> Result<Actor, DomainError> {
        let bad = || DomainError::new("actor", format!("bad actor {text:?}: system, user:N, viewer:ID or sim:N"));
        if text == "system" {
            return Ok(Actor::System);
        }
        let (tag, rest) = text.split_once(':').ok_or_else(bad)?;
        match tag {
            "user" => rest.parse().map(|n| Actor::User(UserId(n))).map_err(|_| bad()),
            "sim" => rest.parse().map(Actor::Sim).map_err(|_| bad()),
            "viewer" if !rest.is_empty() && rest.len() <= 64 => Ok(Actor::Viewer(rest.to_owned())),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for Actor {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Actor::parse(&value)
    }
}

impl From<Actor> for String {
    fn from(actor: Actor) -> String {
        actor.to_string()
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::System => f.write_str("system"),
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Viewer(id) => write!(f, "viewer:{id}"),
            Actor::Sim(n) => write!(f, "sim:{n}"),
        }
    }
}

/// An event as a producer hands it to the log: no sequence number and no
/// time yet; the log assigns both when the event becomes durable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub room: RoomId,
    pub kind: EventKind,
    pub actor: Actor,
    /// Money the event moves, if any (an order's paid amount, a red packet).
    /// Rolled up per minute so GMV and friends never need a scan.
    pub amount: Option<Fen>,
    pub payload: serde_json::Value,
}

/// An event in the log: durable, numbered 1, 2, 3… within its room with no
/// gaps, and stamped with the log's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub room: RoomId,
    pub seq: u64,
    pub time: Timestamp,
    pub kind: EventKind,
    pub actor: Actor,
    pub amount: Option<Fen>,
    pub payload: serde_json::Value,
}

/// Any view of a room built by reading its events in order.
pub trait Projection {
    fn apply(&mut self, event: &Event);
}

/// Folds events, in the order given, into a projection.
pub fn fold<'a, P: Projection>(mut projection: P, events: impl IntoIterator<Item = &'a Event>) -> P {
    for event in events {
        projection.apply(event);
    }
    projection
}

/// One bucket of the per-minute rollup: how many events of one kind a room
/// had in one minute, and the money they moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RollupCell {
    pub count: i64,
    pub amount: Fen,
}

/// Key of a rollup bucket: the minute (its first millisecond) and the kind.
pub type RollupKey = (Timestamp, EventKind);

impl Event {
    /// The bucket this event adds to, and what it adds. The store calls this
    /// at append time and [`MinuteRollups`] calls it in a fold, so the two can
    /// never disagree about what a rollup means.
    pub fn rollup_contribution(&self) -> (RollupKey, RollupCell) {
        (
            (self.time.minute_floor(), self.kind.clone()),
            RollupCell { count: 1, amount: self.amount.unwrap_or(Fen::ZERO) },
        )
    }
}

/// Per-minute counts and money by event kind, for one room.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MinuteRollups {
    pub cells: BTreeMap<RollupKey, RollupCell>,
}

impl Projection for MinuteRollups {
    fn apply(&mut self, event: &Event) {
        let (key, add) = event.rollup_contribution();
        let cell = self.cells.entry(key).or_default();
        cell.count += add.count;
        cell.amount = Fen(cell.amount.0 + add.amount.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, ms: i64, kind: &str, amount: Option<i64>) -> Event {
        Event {
            room: RoomId(1),
            seq,
            time: Timestamp(ms),
            kind: EventKind::parse(kind).unwrap(),
            actor: Actor::System,
            amount: amount.map(Fen),
            payload: serde_json::Value::Null,
        }
    }

    #[test]
    fn kinds_are_dotted_lower_case() {
        assert!(EventKind::parse("viewer.entered").is_ok());
        assert!(EventKind::parse("order.paid_v2").is_ok());
        for bad in ["", "Viewer", ".x", "x.", "a b", "评论"] {
            assert!(EventKind::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn actors_round_trip_through_text() {
        for actor in [Actor::System, Actor::User(UserId(7)), Actor::Viewer("v-abc".into()), Actor::Sim(42)] {
            assert_eq!(Actor::parse(&actor.to_string()).unwrap(), actor);
        }
        assert!(Actor::parse("user:x").is_err());
        assert!(Actor::parse("viewer:").is_err());
    }

    #[test]
    fn minute_rollups_count_and_sum_per_minute_and_kind() {
        let events = [
            event(1, 1_000, "order.paid", Some(990)),
            event(2, 59_999, "order.paid", Some(10)),
            event(3, 60_000, "order.paid", Some(500)),
            event(4, 60_001, "viewer.entered", None),
        ];
        let r = fold(MinuteRollups::default(), &events);
        let paid = EventKind::parse("order.paid").unwrap();
        assert_eq!(r.cells[&(Timestamp(0), paid.clone())], RollupCell { count: 2, amount: Fen(1000) });
        assert_eq!(r.cells[&(Timestamp(60_000), paid)], RollupCell { count: 1, amount: Fen(500) });
        assert_eq!(r.cells.len(), 3);
    }
}
