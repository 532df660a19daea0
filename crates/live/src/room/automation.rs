//! The room's glue for run-sheet automation (`crate::automation` decides
//! what is due; this loads the plan, carries actions out and logs them).
//!
//! An action is carried out through [`Room::act`], the very path a
//! console's message takes, as the console message it stands for
//! (`push_card`, `open_lottery`, `pin_topic`): the same checks, state
//! changes, events and frames. While it runs, every event it appends is
//! marked `"automatic": true` with the action's id, and an
//! `automation.fired` event follows (or `automation.failed` with the
//! refusal, e.g. a product no longer in the lineup). A lottery that cannot
//! open because another is still running stays due and is tried again on
//! the next tick. A console's `cancel_action` logs `automation.cancelled`;
//! its `fire_action` fires the next occurrence now, logged with the
//! console as its actor. Each changes the consoles' `automation` frame.

use bytes::Bytes;
use serde_json::json;
use zhibo_domain::RoomId;
use zhibo_domain::event::Actor;

use super::{Room, Then};
use crate::automation::{Firing, Schedule, ShowTimes};
use crate::data::RoomStatus;
use crate::hub::Deps;
use crate::protocol::{ClientMessage, ErrorCode, ProtocolError};
use crate::run_sheet::{RunSheetPlan, SegmentEvent};

/// Events read at a time when a room replays its log.
const LOG_PAGE: u32 = 1000;

/// The name automatic actions carry where a console's would.
const AUTOMATION_NAME: &str = "自动化";

/// The room's schedule as it starts: the show's actions, with what its log
/// says was already fired or cancelled and which segments have started. A
/// show that has ended runs nothing. If the log cannot be read the room
/// fires nothing rather than fire something twice.
pub(super) async fn load(room: RoomId, deps: &Deps, status: RoomStatus, plan: &RunSheetPlan) -> Schedule {
    if status == RoomStatus::Ended {
        return Schedule::default();
    }
    let actions = match deps.data.automation(room).await {
        Ok(actions) if !actions.is_empty() => actions,
        Ok(_) => return Schedule::default(),
        Err(error) => {
            tracing::error!(%room, %error, "automatic actions not loaded");
            return Schedule::default();
        }
    };
    let times = ShowTimes { started_at: plan.started_at, scheduled_start: plan.scheduled_start };
    let mut schedule = Schedule::new(actions, times);
    let mut after = 0;
    loop {
        match deps.store.events_after(room, after, LOG_PAGE).await {
            Ok(events) => {
                schedule.restore(&events);
                match events.last() {
                    Some(last) if events.len() == LOG_PAGE as usize => after = last.seq,
                    _ => break,
                }
            }
            Err(error) => {
                tracing::error!(%room, %error, "room log not read: automatic actions off");
                return Schedule::default();
            }
        }
    }
    schedule
}

impl Room {
    /// On the tick: carries out what is due.
    pub(super) fn automation_tick(&mut self) {
        if self.automation.is_empty() {
            return;
        }
        for firing in self.automation.due(self.now()) {
            // A refusal is logged by `fire`; a conflict is tried again.
            let _ = self.fire(firing, Actor::System, AUTOMATION_NAME.to_owned(), "schedule");
        }
    }

    /// Carries out one occurrence as its console message, marked automatic.
    fn fire(&mut self, firing: Firing, actor: Actor, name: String, by: &'static str) -> Result<(), ProtocolError> {
        let Some(message) = self.automation.message(firing.action) else { return Ok(()) };
        let kind = self.automation.kind(firing.action);
        self.automation.start_firing(Some(firing.action));
        // The parser's field rules, which a message built here has not met.
        let result = crate::interactions::check(&message).and_then(|()| self.act(0, actor.clone(), name, message));
        if matches!(&result, Err(e) if e.code == ErrorCode::Conflict) {
            self.automation.start_firing(None);
            return result;
        }
        self.automation.commit(firing.action, firing.occurrence);
        let mut payload = json!({
            "action": firing.action,
            "kind": kind,
            "occurrence": firing.occurrence,
            "due_at": firing.due_at.map(|t| t.millis()),
            "missed": firing.missed,
            "by": by,
        });
        let event = match &result {
            Ok(()) => "automation.fired",
            Err(e) => {
                payload["error"] = json!({ "code": e.code, "message": e.message });
                "automation.failed"
            }
        };
        let frame = self.automation_frame();
        self.append(event, actor, payload, Then::Consoles(frame));
        self.automation.start_firing(None);
        result
    }

    /// A console's `cancel_action` or `fire_action` (role-checked already).
    pub(super) fn automation_message(
        &mut self,
        actor: Actor,
        name: String,
        message: ClientMessage,
    ) -> Result<(), ProtocolError> {
        match message {
            ClientMessage::CancelAction { action } => {
                let kind = self.automation.cancel(action)?;
                let frame = self.automation_frame();
                let payload = json!({ "action": action, "kind": kind });
                self.append("automation.cancelled", actor, payload, Then::Consoles(frame));
                Ok(())
            }
            ClientMessage::FireAction { action } => {
                let firing = self.automation.fire_now(action)?;
                self.fire(firing, actor, name, "console")
            }
            _ => Ok(()),
        }
    }

    /// Segments started (crate::run_sheet's events): actions waiting for
    /// them now have a time, and the consoles hear it at once.
    pub(super) fn automation_segments(&mut self, events: &[SegmentEvent], now: zhibo_domain::Timestamp) {
        let mut changed = false;
        for e in events.iter().filter(|e| e.kind == "segment.started") {
            if let Some(index) = e.payload.get("index").and_then(serde_json::Value::as_u64) {
                changed |= self.automation.segment_started(index as u32, now);
            }
        }
        if changed {
            let bytes = self.automation_frame();
            for c in self.consoles() {
                let _ = c.private.try_send(bytes.clone());
            }
        }
    }

    fn automation_frame(&self) -> Bytes {
        let lineup = &self.lineup;
        let title = |p| lineup.iter().find(|e| e.product == p).map(|e| e.title.clone());
        self.automation.frame(self.now(), title).to_bytes()
    }

    /// The pending actions, to a console right after its snapshot (when
    /// the show has any).
    pub(super) fn tell_automation(&self, conn: u64) {
        if !self.automation.is_empty() && self.conns.get(&conn).is_some_and(|c| c.identity.may_run_console()) {
            self.tell(conn, self.automation_frame());
        }
    }
}
