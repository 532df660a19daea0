//! Run-sheet automation (流程单自动化): when a show's automatic actions are
//! due. Pure: no clock of its own, no I/O — the room asks with its clock's
//! `now` on every tick and carries out what is due
//! (`room/automation.rs`), through the same paths a console's message takes.
//!
//! An action ([`zhibo_domain::automation::ActionSpec`]) comes due:
//! - `push_card`: when its segment starts (the console's `start_segment`,
//!   observed by the room);
//! - `lottery`: every N minutes counted from the show's start (its actual
//!   start, or the scheduled one while the room knows no other) or from the
//!   start of a segment; occurrence `k` (from 0) is due at
//!   `anchor + (k + 1) × N`, `times` occurrences or without end;
//! - `reminder`: at the first moment at or after the scheduled start when
//!   the shop's clock (UTC+08:00) reads its time.
//!
//! Each occurrence fires at most once and never before it is due. A room
//! that was not running when occurrences came due fires only the latest of
//! them, once (a lottery every ten minutes does not open five at once after
//! a restart); the skipped ones are counted as `missed`. A console may
//! cancel an action (every occurrence still to come) or fire its next
//! occurrence early, which then does not fire again when its time comes.
//! What was fired or cancelled is in the room's log (`automation.fired`,
//! `automation.failed`, `automation.cancelled`), and [`Schedule::restore`]
//! replays it, with the segment starts, when a room starts again.

use bytes::Bytes;
use serde::Serialize;
use zhibo_domain::automation::{ActionSpec, ShowAction};
use zhibo_domain::event::Event;
use zhibo_domain::{ProductId, Timestamp};

use crate::interactions::LotteryJoin;
use crate::protocol::{self, ClientMessage, ErrorCode, MAX_TOPIC_CHARS, ProtocolError};

/// The show's start as the room knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShowTimes {
    /// When it went live, once it has.
    pub started_at: Option<Timestamp>,
    /// When it was scheduled to.
    pub scheduled_start: Option<Timestamp>,
}

/// The room's own limits on an automatic lottery's fields (those of
/// `open_lottery`: joined by comment when a keyword is given, else by
/// following), for a form to check before it saves the action.
pub fn check_lottery(
    prize: &str,
    winners: u32,
    keyword: Option<&str>,
    duration_secs: u32,
) -> Result<(), ProtocolError> {
    let join = if keyword.is_some() { LotteryJoin::Comment } else { LotteryJoin::Follow };
    crate::interactions::lottery::check(prize, winners, &join, keyword, duration_secs)
}

/// One occurrence of an action to carry out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    pub action: i64,
    /// Which occurrence (from 0).
    pub occurrence: u32,
    /// When it was due; `None` when fired early by hand before its time was
    /// known (a segment not yet started).
    pub due_at: Option<Timestamp>,
    /// Earlier occurrences passed over because the room was not running.
    pub missed: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    /// Every occurrence fired (or failed).
    Done,
    Cancelled,
}

#[derive(Debug, Clone)]
struct Item {
    action: ShowAction,
    /// The start of the segment the action waits for or counts from, once
    /// that segment has started.
    anchor: Option<Timestamp>,
    /// The next occurrence's number.
    next: u32,
    state: State,
}

/// One pending action as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionView {
    pub id: i64,
    /// `push_card`, `lottery` or `reminder`.
    pub kind: &'static str,
    /// What it does, for people: the product, prize or text.
    pub detail: String,
    /// When its next occurrence is due; `null` while it waits for a segment.
    pub due_at_ms: Option<i64>,
    /// The segment (from 0) it waits for, while it does.
    pub waiting_for_segment: Option<u32>,
    /// The next occurrence (from 0) and how many there are (`null`: no end).
    pub occurrence: u32,
    pub times: Option<u32>,
}

/// The `automation` frame, to consoles only: the pending actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "automation")]
pub struct AutomationFrame {
    pub actions: Vec<ActionView>,
    /// The room's clock when sent: the page counts down from here.
    pub now: Timestamp,
}

impl AutomationFrame {
    pub fn to_bytes(&self) -> Bytes {
        protocol::single(self)
    }
}

/// A room's automatic actions and how far each has got.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    items: Vec<Item>,
    times: ShowTimes,
    /// The action being carried out right now: its events are marked.
    firing: Option<i64>,
}

impl Schedule {
    pub fn new(actions: Vec<ShowAction>, times: ShowTimes) -> Schedule {
        let items =
            actions.into_iter().map(|action| Item { action, anchor: None, next: 0, state: State::Pending }).collect();
        Schedule { items, times, firing: None }
    }

    /// The show went live at `at` while the room ran: actions counted
    /// from the show's start count from it now.
    pub fn show_started(&mut self, at: Timestamp) {
        self.times.started_at = Some(at);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// When occurrence `k` of `item` is due; `None` when it never is (past
    /// the last) or not yet known (its segment has not started).
    fn due_at(&self, item: &Item, k: u32) -> Option<Timestamp> {
        match &item.action.spec {
            ActionSpec::PushCard { .. } => (k == 0).then_some(item.anchor).flatten(),
            ActionSpec::Lottery { every_minutes, from_segment, times, .. } => {
                if times.is_some_and(|t| k >= t) {
                    return None;
                }
                let anchor = match from_segment {
                    Some(_) => item.anchor?,
                    None => self.times.started_at.or(self.times.scheduled_start)?,
                };
                Some(anchor.plus_secs((i64::from(k) + 1) * i64::from(*every_minutes) * 60))
            }
            ActionSpec::Reminder { at, .. } => {
                let base = self.times.scheduled_start.or(self.times.started_at)?;
                (k == 0).then(|| at.first_at_or_after(base))
            }
        }
    }

    /// How many occurrences an action has, `None` for no end.
    fn occurrences(spec: &ActionSpec) -> Option<u32> {
        match spec {
            ActionSpec::Lottery { times, .. } => *times,
            _ => Some(1),
        }
    }

    /// The room saw segment `index` start at `at`: actions waiting for it
    /// or counting from it know their times now. Only a segment's first
    /// start counts. `true` when an action's time changed.
    pub fn segment_started(&mut self, index: u32, at: Timestamp) -> bool {
        let mut changed = false;
        for item in &mut self.items {
            let waits = match &item.action.spec {
                ActionSpec::PushCard { segment, .. } => *segment == index,
                ActionSpec::Lottery { from_segment, .. } => *from_segment == Some(index),
                ActionSpec::Reminder { .. } => false,
            };
            if waits && item.anchor.is_none() {
                item.anchor = Some(at);
                changed |= item.state == State::Pending;
            }
        }
        changed
    }

    /// What is due at `now`, oldest action first; nothing changes until
    /// the room [`commit`](Schedule::commit)s what it carried out.
    pub fn due(&self, now: Timestamp) -> Vec<Firing> {
        let mut out = Vec::new();
        for item in self.items.iter().filter(|i| i.state == State::Pending) {
            let Some(first) = self.due_at(item, item.next) else { continue };
            if first > now {
                continue;
            }
            // The latest occurrence already due; the ones before it were missed.
            let mut k = item.next;
            while let Some(t) = self.due_at(item, k + 1)
                && t <= now
            {
                k += 1;
            }
            out.push(Firing {
                action: item.action.id,
                occurrence: k,
                due_at: self.due_at(item, k),
                missed: k - item.next,
            });
        }
        out
    }

    fn find(&self, action: i64) -> Result<&Item, ProtocolError> {
        self.items.iter().find(|i| i.action.id == action).ok_or_else(|| ProtocolError {
            code: ErrorCode::NotFound,
            message: format!("本场没有自动动作 {action} / no automatic action {action} in this show"),
            field: Some("action"),
        })
    }

    fn check_pending(item: &Item) -> Result<(), ProtocolError> {
        let id = item.action.id;
        let done = |zh: &str, en: &str| ProtocolError {
            code: ErrorCode::AlreadyDone,
            message: format!("自动动作 {id} {zh} / automatic action {id} {en}"),
            field: Some("action"),
        };
        match item.state {
            State::Pending => Ok(()),
            State::Done => Err(done("已执行完", "has already fired")),
            State::Cancelled => Err(done("已取消", "was cancelled")),
        }
    }

    /// A console fires an action's next occurrence now.
    pub fn fire_now(&self, action: i64) -> Result<Firing, ProtocolError> {
        let item = self.find(action)?;
        Self::check_pending(item)?;
        Ok(Firing { action, occurrence: item.next, due_at: self.due_at(item, item.next), missed: 0 })
    }

    /// A console cancels an action: no occurrence of it fires any more.
    pub fn cancel(&mut self, action: i64) -> Result<&'static str, ProtocolError> {
        let item = self.find(action)?;
        Self::check_pending(item)?;
        let kind = item.action.spec.kind();
        self.set_state(action, State::Cancelled);
        Ok(kind)
    }

    fn set_state(&mut self, action: i64, state: State) {
        if let Some(item) = self.items.iter_mut().find(|i| i.action.id == action) {
            item.state = state;
        }
    }

    /// Occurrence `occurrence` of `action` was carried out (or refused for
    /// good): it and the ones before it never fire again.
    pub fn commit(&mut self, action: i64, occurrence: u32) {
        let Some(item) = self.items.iter_mut().find(|i| i.action.id == action) else { return };
        item.next = item.next.max(occurrence.saturating_add(1));
        if Self::occurrences(&item.action.spec).is_some_and(|n| item.next >= n) && item.state == State::Pending {
            item.state = State::Done;
        }
    }

    /// Replays what a room's log says about its automation: segment starts,
    /// occurrences fired or failed, actions cancelled.
    pub fn restore<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        for e in events {
            let int = |key: &str| e.payload.get(key).and_then(serde_json::Value::as_i64);
            match e.kind.as_str() {
                "segment.started" => {
                    if let (Some(index), Some(at)) = (int("index"), int("actual_start")) {
                        self.segment_started(index as u32, Timestamp(at));
                    }
                }
                "automation.fired" | "automation.failed" => {
                    if let (Some(action), Some(occurrence)) = (int("action"), int("occurrence")) {
                        self.commit(action, occurrence as u32);
                    }
                }
                "automation.cancelled" => {
                    if let Some(action) = int("action") {
                        self.set_state(action, State::Cancelled);
                    }
                }
                _ => {}
            }
        }
    }

    /// The console message that carries an action out, as a console would
    /// send it.
    pub fn message(&self, action: i64) -> Option<ClientMessage> {
        let item = self.items.iter().find(|i| i.action.id == action)?;
        Some(match &item.action.spec {
            ActionSpec::PushCard { product, .. } => ClientMessage::PushCard { product: *product },
            ActionSpec::Lottery { prize, winners, keyword, duration_secs, .. } => ClientMessage::OpenLottery {
                prize: prize.clone(),
                winners: *winners,
                join: if keyword.is_some() { LotteryJoin::Comment } else { LotteryJoin::Follow },
                keyword: keyword.clone(),
                duration_secs: *duration_secs,
            },
            ActionSpec::Reminder { text, .. } => {
                ClientMessage::PinTopic { text: text.chars().take(MAX_TOPIC_CHARS).collect() }
            }
        })
    }

    pub fn kind(&self, action: i64) -> &'static str {
        self.items.iter().find(|i| i.action.id == action).map_or("", |i| i.action.spec.kind())
    }

    /// Marks the events of the action being carried out.
    pub fn start_firing(&mut self, action: Option<i64>) {
        self.firing = action;
    }

    /// An event's payload, with `"automatic": true` and the action's id
    /// while an action is being carried out.
    pub fn mark(&self, mut payload: serde_json::Value) -> serde_json::Value {
        if let (Some(action), serde_json::Value::Object(object)) = (self.firing, &mut payload) {
            object.insert("automatic".into(), true.into());
            object.insert("action".into(), action.into());
        }
        payload
    }

    /// The pending actions, soonest first (those waiting for a segment
    /// last), for the consoles.
    pub fn frame(&self, now: Timestamp, title: impl Fn(ProductId) -> Option<String>) -> AutomationFrame {
        let mut actions: Vec<ActionView> = self
            .items
            .iter()
            .filter(|i| i.state == State::Pending)
            .map(|item| {
                let due = self.due_at(item, item.next);
                let (detail, waiting) = match &item.action.spec {
                    ActionSpec::PushCard { product, segment } => {
                        (title(*product).unwrap_or_else(|| format!("#{product}")), Some(*segment))
                    }
                    ActionSpec::Lottery { prize, keyword, from_segment, .. } => {
                        let detail = match keyword {
                            Some(k) => format!("{prize} · 口令 / keyword {k}"),
                            None => format!("{prize} · 关注参与 / by follow"),
                        };
                        (detail, *from_segment)
                    }
                    ActionSpec::Reminder { text, .. } => (text.clone(), None),
                };
                ActionView {
                    id: item.action.id,
                    kind: item.action.spec.kind(),
                    detail,
                    due_at_ms: due.map(Timestamp::millis),
                    waiting_for_segment: if due.is_none() { waiting } else { None },
                    occurrence: item.next,
                    times: Self::occurrences(&item.action.spec),
                }
            })
            .collect();
        actions.sort_by_key(|a| (a.due_at_ms.is_none(), a.due_at_ms, a.id));
        AutomationFrame { actions, now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use zhibo_domain::automation::ClockTime;
    use zhibo_domain::localtime::parse_shop_time;

    const MIN: i64 = 60_000;

    fn start() -> Timestamp {
        parse_shop_time("t", "2026-11-25T20:00").unwrap()
    }

    fn lottery(id: i64, every: u32, from_segment: Option<u32>, times: Option<u32>) -> ShowAction {
        ShowAction {
            id,
            spec: ActionSpec::Lottery {
                every_minutes: every,
                from_segment,
                times,
                prize: "围巾".into(),
                winners: 1,
                keyword: Some("好".into()),
                duration_secs: 60,
            },
        }
    }

    fn actions() -> Vec<ShowAction> {
        vec![
            ShowAction { id: 1, spec: ActionSpec::PushCard { product: ProductId(7), segment: 1 } },
            lottery(2, 10, None, Some(3)),
            ShowAction {
                id: 3,
                spec: ActionSpec::Reminder {
                    at: ClockTime::parse("at", "20:30").unwrap(),
                    text: "领券".into(),
                    coupon: None,
                },
            },
            lottery(4, 5, Some(1), None),
        ]
    }

    fn schedule() -> Schedule {
        Schedule::new(actions(), ShowTimes { started_at: Some(start()), scheduled_start: Some(start()) })
    }

    fn ids(f: &[Firing]) -> Vec<(i64, u32)> {
        f.iter().map(|f| (f.action, f.occurrence)).collect()
    }

    #[test]
    fn intervals_clock_times_and_segments_come_due_on_time() {
        let mut s = schedule();
        let t = |m: i64| start().plus_millis(m * MIN);
        assert!(s.due(t(9)).is_empty());
        assert_eq!(ids(&s.due(t(10))), [(2, 0)]);
        s.commit(2, 0);
        assert!(s.due(t(19)).is_empty());
        // 20:30 shop time is 30 minutes in; the lottery's second is at 20.
        assert_eq!(ids(&s.due(t(29))), [(2, 1)]);
        s.commit(2, 1);
        assert_eq!(ids(&s.due(t(30))), [(2, 2), (3, 0)]);
        s.commit(2, 2);
        s.commit(3, 0);
        assert!(s.due(t(500)).is_empty(), "three times, then done; the reminder once");
        // The segment's card and its interval wait for it.
        assert!(s.segment_started(1, t(40)));
        assert_eq!(ids(&s.due(t(40))), [(1, 0)]);
        s.commit(1, 0);
        assert_eq!(ids(&s.due(t(45))), [(4, 0)]);
        // A second start of the segment does not move anything.
        assert!(!s.segment_started(1, t(50)));
    }

    #[test]
    fn a_room_that_was_away_fires_only_the_latest_occurrence() {
        let s = schedule();
        let due = s.due(start().plus_millis(25 * MIN));
        assert_eq!(ids(&due), [(2, 1)]);
        assert_eq!(due[0].missed, 1);
        assert_eq!(due[0].due_at, Some(start().plus_millis(20 * MIN)));
    }

    #[test]
    fn cancel_and_fire_now_answer_for_unknown_and_finished_actions() {
        let mut s = schedule();
        assert_eq!(s.cancel(99).unwrap_err().code, ErrorCode::NotFound);
        assert_eq!(s.cancel(3).unwrap(), "reminder");
        assert_eq!(s.cancel(3).unwrap_err().code, ErrorCode::AlreadyDone);
        assert_eq!(s.fire_now(3).unwrap_err().code, ErrorCode::AlreadyDone);
        assert!(s.due(start().plus_millis(31 * MIN)).iter().all(|f| f.action != 3));
        // Fired early, the card waiting for its segment does not fire again.
        let early = s.fire_now(1).unwrap();
        assert_eq!((early.occurrence, early.due_at), (0, None));
        s.commit(1, 0);
        s.segment_started(1, start());
        assert!(s.due(start().plus_millis(MIN)).iter().all(|f| f.action != 1));
        assert_eq!(s.fire_now(1).unwrap_err().code, ErrorCode::AlreadyDone);
        // The frame lists what is still pending, with its due time.
        let frame = s.frame(start(), |_| Some("围巾".into()));
        let listed: Vec<i64> = frame.actions.iter().map(|a| a.id).collect();
        assert_eq!(listed, [4, 2]);
        assert_eq!(frame.actions[1].due_at_ms, Some(start().plus_millis(10 * MIN).millis()));
    }

    #[test]
    fn the_log_restores_what_was_done() {
        use zhibo_domain::RoomId;
        use zhibo_domain::event::{Actor, EventKind};
        let event = |seq, kind: &str, payload: serde_json::Value| Event {
            room: RoomId(1),
            seq,
            time: start(),
            kind: EventKind::parse(kind).unwrap(),
            actor: Actor::System,
            amount: None,
            payload,
        };
        let log = [
            event(1, "automation.fired", serde_json::json!({"action": 2, "occurrence": 0})),
            event(2, "automation.cancelled", serde_json::json!({"action": 3})),
            event(3, "segment.started", serde_json::json!({"index": 1, "actual_start": start().millis()})),
        ];
        let mut s = schedule();
        s.restore(&log);
        assert_eq!(ids(&s.due(start().plus_millis(31 * MIN))), [(1, 0), (2, 2), (4, 5)]);
    }

    #[test]
    fn marking_only_while_firing() {
        let mut s = schedule();
        assert_eq!(s.mark(serde_json::json!({"a": 1})), serde_json::json!({"a": 1}));
        s.start_firing(Some(4));
        assert_eq!(s.mark(serde_json::json!({"a": 1})), serde_json::json!({"a": 1, "automatic": true, "action": 4}));
    }

    proptest! {
        /// Whatever the ticks and segment starts, each occurrence fires at
        /// most once and never before it is due.
        #[test]
        fn each_occurrence_fires_at_most_once_and_never_early(
            steps in proptest::collection::vec((0i64..7 * MIN, proptest::option::of(0u32..3)), 1..80),
        ) {
            let mut s = schedule();
            let mut now = start().plus_millis(-5 * MIN);
            let mut fired = std::collections::HashSet::new();
            for (dt, segment) in steps {
                now = now.plus_millis(dt);
                if let Some(index) = segment {
                    s.segment_started(index, now);
                }
                for f in s.due(now) {
                    prop_assert!(f.due_at.is_some_and(|d| d <= now), "{f:?} at {now:?}");
                    prop_assert!(fired.insert((f.action, f.occurrence)), "{f:?} twice");
                    s.commit(f.action, f.occurrence);
                }
            }
        }
    }
}
