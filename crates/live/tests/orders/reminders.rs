//! 领券提醒 and the cart nudge (crate::reminders) through a running room
//! with an in-memory `RoomData`: the coupon prompt reaches only viewers
//! without a claim (anonymous ones are asked to sign in), a viewer socket
//! cannot send it, the same coupon waits a minute of the room's clock, the
//! cart nudge reaches only buyers whose cart waits, and the room nudges a
//! quiet cart by itself. Self-contained: its own data source and helpers.
//! Nothing sleeps: batches are forced out with `flush`, time moves on a
//! `VirtualClock`.

use bytes::Bytes;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zhibo_domain::event::Actor;
use zhibo_domain::{Clock, Fen, ProductId, Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::data::{CouponClaimers, WaitingCart};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LineupEntry, LiveError, RoomConfig, RoomData, RoomHub, RoomInfo, RoomStatus,
};
use zhibo_store::{EventStore, SqliteStore};

const ROOM: RoomId = RoomId(4);
const COUPON: i64 = 8;
const T0: i64 = 1_795_608_000_000;

/// A show whose coupon 8 was claimed by account 5, with carts set by the test.
#[derive(Debug, Default)]
struct Shop {
    carts: Mutex<Vec<WaitingCart>>,
}

#[async_trait::async_trait]
impl RoomData for Shop {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let entry = LineupEntry {
            product: ProductId(7),
            title: "真丝睡衣".into(),
            price: Fen(1000),
            list_price: Fen(0),
            live_price: Fen(900),
            stock: 10,
            listed: true,
            facts: None,
        };
        Ok((room == ROOM)
            .then(|| RoomInfo { title: "睡衣专场".into(), status: RoomStatus::Live, lineup: vec![entry] }))
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

struct Peer {
    c: Connection,
    queue: VecDeque<Value>,
}

impl Peer {
    fn take(&mut self, bytes: Bytes) {
        let message: Value = serde_json::from_slice(&bytes).unwrap();
        if message["type"] == "batch" {
            self.queue.extend(message["frames"].as_array().unwrap().iter().cloned());
        } else {
            self.queue.push_back(message);
        }
    }

    /// Everything already sent to this connection.
    fn drain(&mut self) -> Vec<Value> {
        while let Some(bytes) = self.c.outbound.try_next() {
            self.take(bytes);
        }
        self.queue.drain(..).collect()
    }

    async fn until(&mut self, test: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(at) = self.queue.iter().position(&test) {
                let found = self.queue.remove(at).unwrap();
                self.queue.drain(..at);
                return found;
            }
            let bytes = tokio::time::timeout(Duration::from_secs(10), self.c.outbound.next())
                .await
                .expect("a frame within the safety timeout")
                .expect("the room is running");
            self.take(bytes);
        }
    }

    async fn say(&self, text: &str) {
        assert!(self.c.inbound.send_text(text).await);
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    clock: VirtualClock,
    store: Arc<SqliteStore>,
    data: Arc<Shop>,
    hub: RoomHub,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(Timestamp(T0));
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let data = Arc::new(Shop::default());
    // The tick never fires by itself: only `flush` runs it.
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), data.clone(), Arc::new(clock.clone()), config);
    Setup { _dir: dir, clock, store, data, hub }
}

async fn join(s: &Setup, actor: Actor, role: Option<Role>, kind: ConnectionKind) -> Peer {
    let identity = Identity { actor, name: "某人".into(), role, kind };
    let mut peer = Peer { c: s.hub.connect(ROOM, identity).await.unwrap(), queue: VecDeque::new() };
    peer.until(|f| f["type"] == "snapshot").await;
    peer
}

async fn buyer(s: &Setup, id: i64) -> Peer {
    join(s, Actor::User(UserId(id)), Some(Role::Viewer), ConnectionKind::Viewer).await
}

async fn console(s: &Setup) -> Peer {
    join(s, Actor::User(UserId(2)), Some(Role::Operator), ConnectionKind::Console).await
}

fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

async fn logged(s: &Setup, kind: &str) -> Vec<Value> {
    let events = s.store.events_after(ROOM, 0, 1000).await.unwrap();
    events.into_iter().filter(|e| e.kind.as_str() == kind).map(|e| e.payload).collect()
}

#[tokio::test]
async fn a_coupon_reminder_reaches_only_viewers_without_a_claim() {
    let s = setup().await;
    let mut claimer = buyer(&s, 5).await;
    let mut other = buyer(&s, 6).await;
    let mut guest = join(&s, Actor::Viewer("guest1".into()), None, ConnectionKind::Viewer).await;
    let mut desk = console(&s).await;
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

    let sent = desk.until(|f| f["type"] == "reminder_sent").await;
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
    let mut staff = join(&s, Actor::User(UserId(2)), Some(Role::Operator), ConnectionKind::Viewer).await;
    let mut other = buyer(&s, 6).await;
    for text in [r#"{"v":1,"type":"remind_coupon","coupon":8}"#, r#"{"v":1,"type":"nudge_carts"}"#] {
        staff.say(text).await;
        let error = staff.until(|f| f["type"] == "error").await;
        assert_eq!(error["code"], "forbidden");
    }
    s.hub.room(ROOM).flush().await;
    assert!(of_type(&other.drain(), "coupon_reminder").is_empty());
    assert!(logged(&s, "coupon.reminded").await.is_empty());
}

#[tokio::test]
async fn the_same_coupon_waits_a_minute_and_a_refused_one_does_not_count() {
    let s = setup().await;
    let mut desk = console(&s).await;
    let mut other = buyer(&s, 6).await;

    // an unknown coupon: the console hears why, nothing is logged or sent
    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":99}"#).await;
    s.hub.room(ROOM).flush().await;
    let error = desk.until(|f| f["type"] == "error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_found"), Some("coupon")));

    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    s.hub.room(ROOM).flush().await;
    desk.until(|f| f["type"] == "reminder_sent").await;
    s.clock.advance_secs(59);
    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    let error = desk.until(|f| f["type"] == "error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("rate_limited"), Some("coupon")));
    assert!(error["message"].as_str().unwrap().contains("1 s"), "{error}");
    s.clock.advance_secs(1);
    desk.say(r#"{"v":1,"type":"remind_coupon","coupon":8}"#).await;
    s.hub.room(ROOM).flush().await;
    desk.until(|f| f["type"] == "reminder_sent").await;
    assert_eq!(of_type(&other.drain(), "coupon_reminder").len(), 2);
    assert_eq!(logged(&s, "coupon.reminded").await.len(), 2);
}

#[tokio::test]
async fn a_cart_nudge_reaches_only_buyers_whose_cart_waits() {
    let s = setup().await;
    *s.data.carts.lock().unwrap() = vec![WaitingCart { buyer: UserId(6), units: 3, changed_at: Timestamp(T0) }];
    let mut waiting = buyer(&s, 6).await;
    let mut ordered = buyer(&s, 5).await;
    let mut guest = join(&s, Actor::Viewer("guest2".into()), None, ConnectionKind::Viewer).await;
    let mut desk = console(&s).await;
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
    let sent = desk.until(|f| f["type"] == "reminder_sent").await;
    assert_eq!((sent["kind"].as_str(), sent["targeted"].as_u64()), (Some("cart"), Some(1)));
    // the nudge is rate-limited too
    desk.say(r#"{"v":1,"type":"nudge_carts"}"#).await;
    assert_eq!(desk.until(|f| f["type"] == "error").await["code"], "rate_limited");
    assert_eq!(logged(&s, "cart.nudged").await[0]["targeted"], 1);
}

/// Flushes until `peer` has a frame matching `test`: the room's look at the
/// carts runs on a task of its own and is picked up on a later tick.
async fn flush_until(s: &Setup, peer: &mut Peer, test: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..1000 {
        s.hub.room(ROOM).flush().await;
        while let Some(bytes) = peer.c.outbound.try_next() {
            peer.take(bytes);
        }
        if let Some(at) = peer.queue.iter().position(&test) {
            return peer.queue.remove(at).unwrap();
        }
        tokio::task::yield_now().await;
    }
    panic!("no matching frame; got {:?}", peer.queue);
}

#[tokio::test]
async fn the_room_nudges_a_quiet_cart_by_itself_once_and_tells_the_console_the_count() {
    let s = setup().await;
    *s.data.carts.lock().unwrap() = vec![
        WaitingCart { buyer: UserId(6), units: 2, changed_at: Timestamp(T0) },
        // waiting, but not in the room: not counted, not nudged
        WaitingCart { buyer: UserId(9), units: 1, changed_at: Timestamp(T0) },
    ];
    let mut desk = console(&s).await;
    let mut waiting = buyer(&s, 6).await;
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
