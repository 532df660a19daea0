//! The room's glue for `crate::reminders` (领券提醒 and the cart nudge):
//! the rules decide who gets what; this asks the room's data, logs and
//! sends.
//!
//! A console's `remind_coupon` / `nudge_carts` is rate-limited at once (on
//! the room's clock), then one task asks `RoomData` who holds a claim of
//! the coupon (or whose cart waits), picks the targets among the viewer
//! connections as they were when the console asked, and appends
//! `coupon.reminded` / `cart.nudged` with how many were targeted. It waits
//! in the room's in-order queue (`Then::Reminder`); once the event is
//! durable each target gets its frame privately (one who left meanwhile is
//! skipped) and every console the result. A refusal (an unknown coupon) or
//! a failed write tells the console and does not count against its limit.
//!
//! The automatic nudge never blocks the queue: on the tick, about once a
//! minute of the room's clock while a signed-in viewer is in, a task asks
//! for the waiting carts and the room picks its answer up on a later tick
//! (`try_recv`); only a nudge that reaches someone is logged.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::json;
use tokio::sync::oneshot;
use zhibo_domain::event::{Actor, Event, EventKind, NewEvent};
use zhibo_domain::{Timestamp, UserId};
use zhibo_store::StoreError;

use super::{AppendFuture, ConnectionKind, InFlight, Room, Then};
use crate::LiveError;
use crate::data::WaitingCart;
use crate::protocol::{ClientMessage, ErrorCode, ProtocolError};
use crate::reminders::{
    self as rules, CART_CHECK_EVERY_MS, CartTarget, KEPT_RESULTS, Pacer, ReminderFrame, ReminderKey, SentView,
};

/// The room's reminder state.
#[derive(Default)]
pub(super) struct ReminderDesk {
    pacer: Pacer,
    /// The last results, newest last, for a console that joins.
    recent: VecDeque<SentView>,
    /// Online buyers with a waiting cart at the last check.
    carts_waiting: Option<u64>,
    /// Per account, the cart change it was last nudged for.
    nudged: HashMap<UserId, Timestamp>,
    /// When to look at the waiting carts next; `None`: at the first tick.
    next_check: Option<Timestamp>,
    check: Option<oneshot::Receiver<Result<Vec<WaitingCart>, LiveError>>>,
}

/// What a reminder's task decided, for the room once its event is durable.
enum Plan {
    Refused(ProtocolError),
    Send {
        /// Each target connection with its frame.
        frames: Vec<(u64, Bytes)>,
        view: SentView,
        /// Carts nudged: the change each account was nudged for.
        nudged: Vec<(UserId, Timestamp)>,
    },
}

/// What waits in the room's queue for a reminder (`Then::Reminder`).
pub(super) struct Sending {
    /// The console that sent it; 0 for the room's own nudge.
    conn: u64,
    key: ReminderKey,
    at: Timestamp,
    plan: Arc<OnceLock<Plan>>,
}

fn unavailable(detail: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::Unavailable,
        format!("提醒暂时发不出，请稍后再试 / the reminder could not be sent, try again shortly ({detail})"),
    )
}

/// A data source's answer as the console's error frame.
fn refusal(error: LiveError) -> ProtocolError {
    match error {
        LiveError::Refused { field, message } => ProtocolError { code: ErrorCode::NotFound, message, field },
        LiveError::Unsupported(what) => unavailable(&format!("{what} unsupported")),
        other => unavailable(&other.to_string()),
    }
}

/// The cart nudge's frames, payload and console view for these targets.
fn cart_plan(targets: &[CartTarget], automatic: bool) -> (Plan, serde_json::Value) {
    let accounts = rules::accounts(targets);
    let units: u64 = {
        let mut seen = HashMap::new();
        for t in targets {
            seen.insert(t.cart.buyer, t.cart.units);
        }
        seen.values().sum()
    };
    let frames = targets
        .iter()
        .map(|t| (t.conn, ReminderFrame::CartNudge { units: t.cart.units, automatic }.to_bytes()))
        .collect();
    let nudged = targets.iter().map(|t| (t.cart.buyer, t.cart.changed_at)).collect();
    let view = SentView {
        kind: "cart",
        coupon: None,
        name: None,
        targeted: accounts,
        signed_in: accounts,
        anonymous: 0,
        automatic,
        at_ms: 0,
    };
    let payload = json!({ "targeted": accounts, "units": units, "automatic": automatic });
    (Plan::Send { frames, view, nudged }, payload)
}

impl Room {
    /// The viewer connections now, with who is on each.
    fn viewer_actors(&self) -> Vec<(u64, Actor)> {
        self.conns
            .iter()
            .filter(|(_, c)| c.identity.kind == ConnectionKind::Viewer)
            .map(|(conn, c)| (*conn, c.identity.actor.clone()))
            .collect()
    }

    /// A console's `remind_coupon` or `nudge_carts`: allowed by the rate
    /// limit, its task started and queued on `Ok`.
    pub(super) fn remind(&mut self, conn: u64, actor: Actor, message: ClientMessage) -> Result<(), ProtocolError> {
        let key = match message {
            ClientMessage::RemindCoupon { coupon } => ReminderKey::Coupon(coupon),
            ClientMessage::NudgeCarts {} => ReminderKey::Carts,
            _ => return Ok(()),
        };
        let now = self.now();
        self.reminders.pacer.allow(key, now)?;
        let viewers = self.viewer_actors();
        let plan = Arc::new(OnceLock::new());
        let slot = plan.clone();
        let (room, data, store) = (self.id, self.deps.data.clone(), self.deps.store.clone());
        let task = tokio::spawn(async move {
            let refuse = |error: LiveError| {
                let frame = refusal(error);
                let message = frame.message.clone();
                let _ = slot.set(Plan::Refused(frame));
                StoreError::Conflict(message)
            };
            let (kind, payload) = match key {
                ReminderKey::Coupon(coupon) => {
                    let claimers = data.coupon_claimers(room, coupon).await.map_err(refuse)?;
                    let targets = rules::coupon_targets(&viewers, &claimers);
                    let frame = |sign_in| {
                        ReminderFrame::CouponReminder {
                            coupon,
                            name: claimers.name.clone(),
                            left: claimers.left,
                            sign_in,
                        }
                        .to_bytes()
                    };
                    let (members, guests) = (frame(false), frame(true));
                    let frames = targets
                        .signed_in
                        .iter()
                        .map(|c| (*c, members.clone()))
                        .chain(targets.anonymous.iter().map(|c| (*c, guests.clone())))
                        .collect();
                    let view = SentView {
                        kind: "coupon",
                        coupon: Some(coupon),
                        name: Some(claimers.name.clone()),
                        targeted: targets.people(),
                        signed_in: targets.accounts,
                        anonymous: targets.viewers,
                        automatic: false,
                        at_ms: 0,
                    };
                    let payload = json!({
                        "coupon": coupon, "name": claimers.name, "targeted": targets.people(),
                        "signed_in": targets.accounts, "anonymous": targets.viewers,
                        "claimed": claimers.claimed_by.len(),
                    });
                    let _ = slot.set(Plan::Send { frames, view, nudged: Vec::new() });
                    ("coupon.reminded", payload)
                }
                ReminderKey::Carts => {
                    let waiting = data.waiting_carts(room).await.map_err(refuse)?;
                    let (plan, payload) = cart_plan(&rules::cart_targets(&viewers, &waiting, None), false);
                    let _ = slot.set(plan);
                    ("cart.nudged", payload)
                }
            };
            let kind = EventKind::parse(kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            store.append(NewEvent { room, kind, actor, amount: None, payload }).await
        });
        let future: AppendFuture = Box::pin(async move {
            task.await.unwrap_or_else(|e| Err(StoreError::Corrupt(format!("reminder task failed: {e}"))))
        });
        let then = Then::Reminder(Sending { conn, key, at: now, plan });
        self.inflight.push_back(InFlight { future, done: None, then });
        Ok(())
    }

    /// The reminder's event is durable: its targets and the consoles hear.
    pub(super) fn reminder_acknowledged(&mut self, sending: Sending, event: &Event) {
        let Some(Plan::Send { frames, view, nudged }) = sending.plan.get() else { return };
        for (conn, bytes) in frames {
            self.tell(*conn, bytes.clone());
        }
        for (buyer, change) in nudged {
            let last = self.reminders.nudged.entry(*buyer).or_insert(*change);
            *last = (*last).max(*change);
        }
        let mut view = view.clone();
        view.at_ms = event.time.0;
        self.reminders.recent.push_back(view.clone());
        while self.reminders.recent.len() > KEPT_RESULTS {
            self.reminders.recent.pop_front();
        }
        self.tell_consoles_bytes(ReminderFrame::ReminderSent(view).to_bytes());
    }

    /// Refused by the data or not logged: nobody was told; the console
    /// that asked hears why and may send it again at once.
    pub(super) fn reminder_failed(&mut self, sending: Sending, error: &StoreError) {
        self.reminders.pacer.forget(sending.key, sending.at);
        let frame = match sending.plan.get() {
            Some(Plan::Refused(frame)) => frame.clone(),
            _ => {
                tracing::error!(room = %self.id, %error, "reminder not logged; nobody was told");
                unavailable(&error.to_string())
            }
        };
        self.tell(sending.conn, frame.to_frame());
    }

    /// On the tick: starts the periodic look at the waiting carts, or
    /// takes its answer.
    pub(super) fn reminders_tick(&mut self) {
        if let Some(check) = &mut self.reminders.check {
            match check.try_recv() {
                Ok(answer) => {
                    self.reminders.check = None;
                    self.carts_checked(answer);
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
                Err(oneshot::error::TryRecvError::Closed) => self.reminders.check = None,
            }
            return;
        }
        let now = self.now();
        // Only accounts have carts (and consoles are accounts too).
        if self.reminders.next_check.is_some_and(|at| now < at)
            || !self.conns.values().any(|c| matches!(c.identity.actor, Actor::User(_)))
        {
            return;
        }
        self.reminders.next_check = Some(now.plus_secs(CART_CHECK_EVERY_MS / 1000));
        let (reply, answer) = oneshot::channel();
        let (room, data) = (self.id, self.deps.data.clone());
        tokio::spawn(async move {
            let _ = reply.send(data.waiting_carts(room).await);
        });
        self.reminders.check = Some(answer);
    }

    /// The waiting carts came in: the consoles hear how many online buyers
    /// have one, and the quiet ones get the automatic nudge.
    fn carts_checked(&mut self, answer: Result<Vec<WaitingCart>, LiveError>) {
        let waiting = match answer {
            Ok(waiting) => waiting,
            Err(LiveError::Unsupported(_)) => return,
            Err(error) => {
                tracing::error!(room = %self.id, %error, "waiting carts not loaded");
                return;
            }
        };
        let viewers = self.viewer_actors();
        let online = rules::accounts(&rules::cart_targets(&viewers, &waiting, None));
        if self.reminders.carts_waiting != Some(online) {
            self.reminders.carts_waiting = Some(online);
            self.tell_consoles_bytes(ReminderFrame::CartsWaiting { count: online }.to_bytes());
        }
        let now = self.now();
        let due = rules::cart_targets(&viewers, &waiting, Some((now, &self.reminders.nudged)));
        if due.is_empty() {
            return;
        }
        let (plan, payload) = cart_plan(&due, true);
        let sending =
            Sending { conn: 0, key: ReminderKey::Carts, at: Timestamp(i64::MIN), plan: Arc::new(plan.into()) };
        self.append("cart.nudged", Actor::System, payload, Then::Reminder(sending));
    }

    /// The reminder state, to a console right after its snapshot.
    pub(super) fn tell_reminders(&self, conn: u64) {
        if self.conns.get(&conn).is_some_and(|c| c.identity.may_run_console()) {
            let recent = self.reminders.recent.iter().cloned().collect();
            let frame = ReminderFrame::Reminders { carts_waiting: self.reminders.carts_waiting, recent };
            self.tell(conn, frame.to_bytes());
        }
    }

    fn tell_consoles_bytes(&self, bytes: Bytes) {
        for c in self.consoles() {
            let _ = c.private.try_send(bytes.clone());
        }
    }
}
