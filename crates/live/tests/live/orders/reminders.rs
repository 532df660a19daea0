//! 领券提醒 and the cart nudge (crate::reminders) through a running room
//! with an in-memory `RoomData`: the coupon prompt reaches only viewers
//! without a claim (anonymous ones are asked to sign in), a viewer socket
//! cannot send it, the same coupon waits a minute of the room's clock, the
//! cart nudge reaches only buyers whose cart waits, and the room nudges a
//! quiet cart by itself. Its data source adds a coupon and carts to the
//! orders' show.
//! Nothing sleeps: batches are forced out with `flush`, time moves on a
//! `VirtualClock`.

use serde_json::Value;
use std::sync::Mutex;
use zhibo_domain::{Clock, Role, RoomId, UserId};
use zhibo_live::data::{CouponClaimers, WaitingCart};
use zhibo_live::{ConnectionKind, Identity, LiveError, RoomData, RoomInfo};

use crate::harness::{Peer, ROOM, Setup, Show, T0, buyer, console, events_of, join, start, viewer};

const COUPON: i64 = 8;

/// The orders' show, whose coupon 8 was claimed by account 5, with carts
/// set by the test.
#[derive(Debug)]
struct Shop {
    show: Show,
    carts: Mutex<Vec<WaitingCart>>,
}

#[async_trait::async_trait]
impl RoomData for Shop {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        self.show.load(room).await
    }

    async fn coupon_claimers(&self, _room: RoomId, coupon: i64) -> Result<CouponClaimers, LiveError> {
        if coupon != COUPON {
            return Err(LiveError::Refused { field: Some("coupon"), message: format!("no coupon {coupon}") });
        }
        Ok(CouponClaimers {
            coupon, name: "满100减15".into(), left: 40, claimed_by: [UserId(5)].into_iter().collect()
        })
    }

    async fn waiting_carts(&self, _room: RoomId) -> Result<Vec<WaitingCart>, LiveError> {
        Ok(self.carts.lock().unwrap().clone())
    }
}

async fn setup() -> Setup<Shop> {
    start(Shop { show: super::show(), carts: Mutex::default() }).await
}

fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

async fn logged(s: &Setup<Shop>, kind: &str) -> Vec<Value> {
    events_of(s, kind).await.into_iter().map(|e| e.payload).collect()
}

#[tokio::test]
async fn a_coupon_reminder_reaches_only_viewers_without_a_claim() {
    let s = setup().await;
    let mut claimer = join(&s, buyer(5)).await;
    let mut other = join(&s, buyer(6)).await;
    let mut guest = join(&s, viewer("guest1")).await;
    let mut desk = join(&s, console(Role::Operator)).await;
    s.hub.room(ROOM).flush().await;
    let _ = (claimer.drain(), other.drain(), guest.drain(), desk.drain());

    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    s.hub.room(ROOM).flush().await;

    let to_other = other.drain();
    let prompt = of_type(&to_other, "coupon_reminder");
    assert_eq!(prompt.len(), 1, "{to_other:?}");
    assert_eq!((prompt[0]["coupon"].as_i64(), prompt[0]["sign_in"].as_bool()), (Some(COUPON), Some(false)));
    assert_eq!(prompt[0]["name"], "满100减15");
    let to_guest = guest.drain();
    assert_eq!(of_type(&to_guest, "coupon_reminder")[0]["sign_in"], true, "{to_guest:?}");
    let to_claimer = claimer.drain();
    assert!(of_type(&to_claimer, "coupon_reminder").is_empty(), "the claimer was prompted: {to_claimer:?}");

    let sent = desk.until("reminder_sent").await;
    assert_eq!(
        (sent["targeted"].as_u64(), sent["signed_in"].as_u64(), sent["anonymous"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    let events = logged(&s, "coupon.reminded").await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0]["coupon"].as_i64(), events[0]["targeted"].as_u64()), (Some(COUPON), Some(2)));
}

#[tokio::test]
async fn a_viewer_socket_cannot_send_reminders_even_as_staff() {
    let s = setup().await;
    // an operator watching on the viewer page is still a viewer connection
    let mut staff = join(&s, Identity { kind: ConnectionKind::Viewer, ..console(Role::Operator) }).await;
    let mut other = join(&s, buyer(6)).await;
    for text in [r#"{"v":1,"type":"remind_coupon","coupon":8}"#, r#"{"v":1,"type":"nudge_carts"}"#] {
        staff.say(text).await;
        let error = staff.until("error").await;
        assert_eq!(error["code"], "forbidden");
    }
    s.hub.room(ROOM).flush().await;
    assert!(of_type(&other.drain(), "coupon_reminder").is_empty());
    assert!(logged(&s, "coupon.reminded").await.is_empty());
}

#[tokio::test]
async fn the_same_coupon_waits_a_minute_and_a_refused_one_does_not_count() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Operator)).await;
    let mut other = join(&s, buyer(6)).await;

    // an unknown coupon: the console hears why, nothing is logged or sent
    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":99}"#).await;
    s.hub.room(ROOM).flush().await;
    let error = desk.until("error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_found"), Some("coupon")));

    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    s.hub.room(ROOM).flush().await;
    desk.until("reminder_sent").await;
    s.clock.advance_secs(59);
    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    let error = desk.until("error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("rate_limited"), Some("coupon")));
    assert!(error["message"].as_str().unwrap().contains("1 s"), "{error}");
    s.clock.advance_secs(1);
    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    s.hub.room(ROOM).flush().await;
    desk.until("reminder_sent").await;
    assert_eq!(of_type(&other.drain(), "coupon_reminder").len(), 2);
    assert_eq!(logged(&s, "coupon.reminded").await.len(), 2);
}

#[tokio::test]
async fn a_cart_nudge_reaches_only_buyers_whose_cart_waits() {
    let s = setup().await;
    *s.data.carts.lock().unwrap() = vec![WaitingCart { buyer: UserId(6), units: 3, changed_at: T0 }];
    let mut waiting = join(&s, buyer(6)).await;
    let mut ordered = join(&s, buyer(5)).await;
    let mut guest = join(&s, viewer("guest2")).await;
    let mut desk = join(&s, console(Role::Operator)).await;
    s.hub.room(ROOM).flush().await;
    let _ = (waiting.drain(), ordered.drain(), guest.drain());

    desk.say(r#"{"v":1,"type":"nudge_carts"}"#).await;
    s.hub.room(ROOM).flush().await;
    let to_waiting = waiting.drain();
    let nudge = of_type(&to_waiting, "cart_nudge");
    assert_eq!(nudge.len(), 1, "{to_waiting:?}");
    assert_eq!((nudge[0]["units"].as_u64(), nudge[0]["automatic"].as_bool()), (Some(3), Some(false)));
    assert!(of_type(&ordered.drain(), "cart_nudge").is_empty());
    assert!(of_type(&guest.drain(), "cart_nudge").is_empty());
    let sent = desk.until("reminder_sent").await;
    assert_eq!((sent["kind"].as_str(), sent["targeted"].as_u64()), (Some("cart"), Some(1)));
    // the nudge is rate-limited too
    desk.say(r#"{"v":1,"type":"nudge_carts"}"#).await;
    assert_eq!(desk.until("error").await["code"], "rate_limited");
    assert_eq!(logged(&s, "cart.nudged").await[0]["targeted"], 1);
}

/// Flushes until `peer` has a frame matching `test`: the room's look at the
/// carts runs on a task of its own and is picked up on a later tick.
async fn flush_until(s: &Setup<Shop>, peer: &mut Peer, test: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1000 {
        s.hub.room(ROOM).flush().await;
        if let Some(found) = peer.take_ready(&test) {
            return found;
        }
        tokio::task::yield_now().await;
    }
    panic!("no matching frame; got {:?}", peer.drain());
}

#[tokio::test]
async fn the_room_nudges_a_quiet_cart_by_itself_once_and_tells_the_console_the_count() {
    let s = setup().await;
    *s.data.carts.lock().unwrap() = vec![
        WaitingCart { buyer: UserId(6), units: 2, changed_at: T0 },
        // waiting, but not in the room: not counted, not nudged
        WaitingCart { buyer: UserId(9), units: 1, changed_at: T0 },
    ];
    let mut desk = join(&s, console(Role::Operator)).await;
    let mut waiting = join(&s, buyer(6)).await;
    let count = flush_until(&s, &mut desk, |f| f["type"] == "carts_waiting").await;
    assert_eq!(count["count"], 1);
    // not quiet long enough yet
    assert!(of_type(&waiting.drain(), "cart_nudge").is_empty());

    s.clock.advance_secs(5 * 60);
    let nudge = flush_until(&s, &mut waiting, |f| f["type"] == "cart_nudge").await;
    assert_eq!((nudge["units"].as_u64(), nudge["automatic"].as_bool()), (Some(2), Some(true)));
    let sent = flush_until(&s, &mut desk, |f| f["type"] == "reminder_sent").await;
    assert_eq!((sent["automatic"].as_bool(), sent["targeted"].as_u64()), (Some(true), Some(1)));

    // later looks at the same cart do not nudge it again
    for _ in 0..3 {
        s.clock.advance_secs(60);
        for _ in 0..20 {
            s.hub.room(ROOM).flush().await;
            tokio::task::yield_now().await;
        }
    }
    assert!(of_type(&waiting.drain(), "cart_nudge").is_empty());
    assert_eq!(logged(&s, "cart.nudged").await.len(), 1);

    // the buyer changes the cart and leaves it again: one more nudge, 5 minutes on
    let changed = s.clock.now();
    *s.data.carts.lock().unwrap() = vec![WaitingCart { buyer: UserId(6), units: 4, changed_at: changed }];
    s.clock.advance_secs(5 * 60);
    let nudge = flush_until(&s, &mut waiting, |f| f["type"] == "cart_nudge").await;
    assert_eq!(nudge["units"], 4);
    let nudged = logged(&s, "cart.nudged").await;
    assert_eq!(nudged.len(), 2);
    assert!(nudged.iter().all(|e| e["automatic"] == true));
}
