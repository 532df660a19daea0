//! The rules of the room's reminders (I2.3.3), with no I/O: 领券提醒, a
//! console's prompt to claim one of the show's coupons, goes to the viewers
//! who hold no claim of it (anonymous viewers are asked to sign in first);
//! the cart nudge (购物车提醒) goes to signed-in viewers whose cart in the
//! show waits for an order. Who gets what, how often a console may send the
//! same reminder, and the frames; `room/reminders.rs` asks the room's data,
//! logs and sends.
//!
//! Cart nudges are sent by a console (`nudge_carts`) and also by the room
//! itself: about once a minute of the room's clock it asks for the waiting
//! carts, tells the consoles how many online buyers have one, and nudges a
//! buyer whose cart has not changed for [`CART_NUDGE_AFTER_MS`], once per
//! change of that cart (a console's nudge counts too).

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use serde::Serialize;
use zhibo_domain::event::Actor;
use zhibo_domain::{Timestamp, UserId};

use crate::data::{CouponClaimers, WaitingCart};
use crate::protocol::{self, ClientMessage, ErrorCode, ProtocolError};

/// A console may send the same reminder (one coupon's, or the cart nudge)
/// at most once in this long of the room's clock: a reminder repeated
/// every few seconds is noise that drives viewers away.
pub const REMIND_EVERY_MS: i64 = 60_000;
/// A cart unchanged this long (and with no order since) gets the
/// automatic nudge.
pub const CART_NUDGE_AFTER_MS: i64 = 5 * 60_000;
/// How often the room asks for the waiting carts.
pub const CART_CHECK_EVERY_MS: i64 = 60_000;
/// Results a console sees on joining.
pub const KEPT_RESULTS: usize = 5;

/// The field rules of `remind_coupon` that need no room state.
pub(crate) fn check(message: &ClientMessage) -> Result<(), ProtocolError> {
    match message {
        ClientMessage::RemindCoupon { coupon } if *coupon <= 0 => {
            Err(ProtocolError::field("coupon", "优惠券编号须为正整数 / coupon must be a positive id"))
        }
        _ => Ok(()),
    }
}

/// Which reminder a console sent, for its rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderKey {
    Coupon(i64),
    Carts,
}

/// The per-reminder rate limit on the room's clock.
#[derive(Debug, Default)]
pub struct Pacer {
    last: HashMap<ReminderKey, Timestamp>,
}

impl Pacer {
    /// Lets the reminder go and remembers when, or says how long to wait.
    pub fn allow(&mut self, key: ReminderKey, now: Timestamp) -> Result<(), ProtocolError> {
        if let Some(last) = self.last.get(&key) {
            let wait_ms = last.0 + REMIND_EVERY_MS - now.0;
            if wait_ms > 0 {
                let secs = (wait_ms + 999) / 1000;
                let (zh, en, field) = match key {
                    ReminderKey::Coupon(_) => ("这张券的领券提醒", "this coupon's reminder", Some("coupon")),
                    ReminderKey::Carts => ("购物车提醒", "the cart reminder", None),
                };
                return Err(ProtocolError {
                    code: ErrorCode::RateLimited,
                    message: format!(
                        "{zh}刚发过，请 {secs} 秒后再发（每 {every} 秒最多一次） / {en} was just sent: send it again in {secs} s (at most once every {every} s)",
                        every = REMIND_EVERY_MS / 1000
                    ),
                    field,
                });
            }
        }
        self.last.insert(key, now);
        Ok(())
    }

    /// A reminder allowed at `at` was refused after all (an unknown coupon,
    /// a failed write): it does not count against the console.
    pub fn forget(&mut self, key: ReminderKey, at: Timestamp) {
        if self.last.get(&key) == Some(&at) {
            self.last.remove(&key);
        }
    }
}

/// The connections a reminder goes to, and how many people that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// Connections of signed-in viewers.
    pub signed_in: Vec<u64>,
    /// Connections of anonymous viewers (told to sign in to claim).
    pub anonymous: Vec<u64>,
    /// Distinct accounts among `signed_in` (one may watch in two tabs).
    pub accounts: u64,
    /// Distinct anonymous viewers.
    pub viewers: u64,
}

impl Targets {
    /// People targeted.
    pub fn people(&self) -> u64 {
        self.accounts + self.viewers
    }
}

/// A coupon reminder's audience among the room's viewer connections:
/// every signed-in viewer without a claim of it, and every anonymous
/// viewer. Simulated viewers (`sim:`) are left out.
pub fn coupon_targets(viewers: &[(u64, Actor)], claimers: &CouponClaimers) -> Targets {
    let mut targets = Targets::default();
    let mut accounts = HashSet::new();
    let mut anonymous = HashSet::new();
    for (conn, actor) in viewers {
        match actor {
            Actor::User(id) if !claimers.claimed_by.contains(id) => {
                targets.signed_in.push(*conn);
                accounts.insert(*id);
            }
            Actor::Viewer(id) => {
                targets.anonymous.push(*conn);
                anonymous.insert(id.as_str());
            }
            _ => {}
        }
    }
    targets.accounts = accounts.len() as u64;
    targets.viewers = anonymous.len() as u64;
    targets
}

/// One connection a cart nudge goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartTarget {
    pub conn: u64,
    pub cart: WaitingCart,
}

/// A cart nudge's audience: the signed-in viewer connections whose
/// account's cart waits. With `automatic` (the room's own nudge at `now`)
/// only carts unchanged for [`CART_NUDGE_AFTER_MS`] and not nudged since
/// their last change (`nudged`: the change each account was last nudged
/// for).
pub fn cart_targets(
    viewers: &[(u64, Actor)],
    waiting: &[WaitingCart],
    automatic: Option<(Timestamp, &HashMap<UserId, Timestamp>)>,
) -> Vec<CartTarget> {
    let carts: HashMap<UserId, &WaitingCart> = waiting.iter().map(|w| (w.buyer, w)).collect();
    viewers
        .iter()
        .filter_map(|(conn, actor)| {
            let Actor::User(id) = actor else { return None };
            let cart = **carts.get(id)?;
            if let Some((now, nudged)) = automatic {
                let due = cart.changed_at.0 + CART_NUDGE_AFTER_MS <= now.0;
                let done = nudged.get(id).is_some_and(|change| *change >= cart.changed_at);
                if !due || done {
                    return None;
                }
            }
            Some(CartTarget { conn: *conn, cart })
        })
        .collect()
}

/// Distinct accounts among cart targets.
pub fn accounts(targets: &[CartTarget]) -> u64 {
    targets.iter().map(|t| t.cart.buyer).collect::<HashSet<_>>().len() as u64
}

/// What a console hears of a reminder that went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentView {
    /// `coupon` or `cart`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// People it went to: accounts plus anonymous viewers.
    pub targeted: u64,
    pub signed_in: u64,
    pub anonymous: u64,
    /// Sent by the room itself (the cart nudge after a quiet cart).
    pub automatic: bool,
    /// When its event was logged, on the room's clock.
    pub at_ms: i64,
}

/// The reminders' frames, each standalone (`{"v":1,"type":…}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReminderFrame {
    /// To one viewer: claim this coupon. `sign_in`: the viewer is
    /// anonymous and must sign in to claim.
    CouponReminder { coupon: i64, name: String, left: i64, sign_in: bool },
    /// To one signed-in viewer: items are waiting in your cart.
    CartNudge { units: u64, automatic: bool },
    /// To every console: a reminder went out.
    ReminderSent(SentView),
    /// To every console: online buyers whose cart waits for an order now
    /// (whom `nudge_carts` would reach).
    CartsWaiting { count: u64 },
    /// To a console as it joins: the count and the last results, newest last.
    Reminders { carts_waiting: Option<u64>, recent: Vec<SentView> },
}

impl ReminderFrame {
    pub fn to_bytes(&self) -> Bytes {
        protocol::single(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: i64) -> Actor {
        Actor::User(UserId(n))
    }

    #[test]
    fn the_same_reminder_waits_a_minute_of_the_clock_and_a_refused_one_does_not_count() {
        let mut pacer = Pacer::default();
        let t = Timestamp(1_000_000);
        pacer.allow(ReminderKey::Coupon(1), t).unwrap();
        let again = pacer.allow(ReminderKey::Coupon(1), Timestamp(t.0 + 59_001)).unwrap_err();
        assert_eq!((again.code, again.field), (ErrorCode::RateLimited, Some("coupon")));
        assert!(again.message.contains("1 秒") && again.message.contains("1 s"), "{}", again.message);
        // another coupon and the cart nudge have their own limits
        pacer.allow(ReminderKey::Coupon(2), t).unwrap();
        pacer.allow(ReminderKey::Carts, t).unwrap();
        pacer.allow(ReminderKey::Coupon(1), Timestamp(t.0 + 60_000)).unwrap();
        // refused after all: the console may send it at once
        pacer.forget(ReminderKey::Carts, t);
        pacer.allow(ReminderKey::Carts, Timestamp(t.0 + 1)).unwrap();
        // forgetting an older send leaves the newer one's limit alone
        pacer.forget(ReminderKey::Carts, t);
        assert!(pacer.allow(ReminderKey::Carts, Timestamp(t.0 + 2)).is_err());
    }

    #[test]
    fn a_coupon_reminder_skips_claimers_and_simulated_viewers_and_counts_people() {
        let claimers = CouponClaimers { claimed_by: [UserId(2)].into_iter().collect(), ..Default::default() };
        let viewers = [
            (1, user(1)),
            (2, user(2)),
            (3, user(1)),
            (4, Actor::Viewer("abc".into())),
            (5, Actor::Sim(9)),
            (6, Actor::Viewer("abc".into())),
        ];
        let t = coupon_targets(&viewers, &claimers);
        assert_eq!(t.signed_in, vec![1, 3]);
        assert_eq!(t.anonymous, vec![4, 6]);
        assert_eq!((t.accounts, t.viewers, t.people()), (1, 1, 2));
    }

    #[test]
    fn cart_nudges_go_to_waiting_buyers_and_the_automatic_one_waits_and_fires_once_per_change() {
        let cart = |buyer, at| WaitingCart { buyer: UserId(buyer), units: 2, changed_at: Timestamp(at) };
        let waiting = [cart(1, 0), cart(2, 200_000)];
        let viewers = [(10, user(1)), (11, user(2)), (12, user(3)), (13, Actor::Viewer("x".into()))];
        let all = cart_targets(&viewers, &waiting, None);
        assert_eq!(all.iter().map(|t| t.conn).collect::<Vec<_>>(), vec![10, 11]);
        assert_eq!(accounts(&all), 2);
        let mut nudged = HashMap::new();
        let now = Timestamp(CART_NUDGE_AFTER_MS);
        let due = cart_targets(&viewers, &waiting, Some((now, &nudged)));
        assert_eq!(due.iter().map(|t| t.conn).collect::<Vec<_>>(), vec![10]);
        nudged.insert(UserId(1), Timestamp(0));
        assert!(cart_targets(&viewers, &waiting, Some((Timestamp(now.0 * 10), &nudged))).iter().all(|t| t.conn != 10));
        // the cart changed again: it may be nudged again once quiet
        let changed = [cart(1, 1_000)];
        assert!(cart_targets(&viewers, &changed, Some((Timestamp(1_000 + CART_NUDGE_AFTER_MS), &nudged))).len() == 1);
    }

    #[test]
    fn a_coupon_id_must_be_positive() {
        let err = ClientMessage::parse(r#"{"v":1,"type":"remind_coupon","coupon":0}"#).unwrap_err();
        assert_eq!(err.field, Some("coupon"));
        let ok = ClientMessage::parse(r#"{"v":1,"type":"remind_coupon","coupon":4}"#).unwrap();
        assert!(ok.is_console());
        assert!(ClientMessage::parse(r#"{"v":1,"type":"nudge_carts"}"#).unwrap().is_console());
    }
}
