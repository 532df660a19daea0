//! The console's lineup tools end to end: a live price change persisted
//! through `RoomData`, logged, then broadcast; stock adjusted through the
//! data source's ledger with refusals going back to the console alone; and
//! the reorder suggestion appearing when clicks favour a later product.
//! A virtual clock, an in-memory lineup, a real SQLite log; nothing sleeps.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;
use zhibo_domain::event::{Actor, Event};
use zhibo_domain::{Fen, ProductId, Role, RoomId, SkuId, Timestamp, UserId, VirtualClock};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LineupEntry, LiveError, RoomConfig, RoomData, RoomHub, RoomInfo, RoomStatus,
    StockAdjustment,
};
use zhibo_store::{EventStore, SqliteStore};

const ROOM: RoomId = RoomId(7);
const T0: Timestamp = Timestamp(1_795_608_000_000);

/// A lineup kept in memory: live prices and per-SKU stock change as the
/// console asks, the way the web layer's store-backed source does.
#[derive(Debug, Default)]
struct Shop {
    live_prices: Mutex<HashMap<ProductId, Fen>>,
    /// Per product, its SKUs' stock.
    skus: Mutex<HashMap<ProductId, Vec<(SkuId, i64)>>>,
    adjustments: Mutex<Vec<StockAdjustment>>,
}

#[async_trait::async_trait]
impl RoomData for Shop {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        if room != ROOM {
            return Ok(None);
        }
        let prices = self.live_prices.lock().unwrap().clone();
        let skus = self.skus.lock().unwrap().clone();
        let entry = |id: i64, title: &str| LineupEntry {
            product: ProductId(id),
            title: title.into(),
            price: Fen(9_900),
            list_price: Fen(12_900),
            live_price: prices.get(&ProductId(id)).copied().unwrap_or(Fen(7_900)),
            stock: skus.get(&ProductId(id)).map_or(0, |s| s.iter().map(|(_, n)| n).sum()),
            listed: true,
            facts: None,
        };
        Ok(Some(RoomInfo {
            title: "秋冬上新".into(),
            status: RoomStatus::Live,
            lineup: vec![entry(1, "保温杯"), entry(2, "五常大米"), entry(3, "羊毛围巾")],
        }))
    }

    async fn set_live_price(&self, _room: RoomId, product: ProductId, price: Fen) -> Result<(), LiveError> {
        self.live_prices.lock().unwrap().insert(product, price);
        Ok(())
    }

    async fn adjust_stock(&self, _room: RoomId, change: StockAdjustment) -> Result<i64, LiveError> {
        let mut all = self.skus.lock().unwrap();
        let skus = all.get_mut(&change.product).ok_or(LiveError::Unsupported("product"))?;
        let at = match change.sku {
            Some(sku) => skus.iter().position(|(id, _)| *id == sku),
            None if skus.len() == 1 => Some(0),
            None => None,
        }
        .ok_or_else(|| LiveError::Refused { field: Some("sku"), message: "请指定 sku / name the sku".into() })?;
        if skus[at].1 + change.delta < 0 {
            return Err(LiveError::InsufficientStock { available: skus[at].1, delta: change.delta });
        }
        skus[at].1 += change.delta;
        self.adjustments.lock().unwrap().push(change);
        Ok(skus.iter().map(|(_, n)| n).sum())
    }
}

struct Setup {
    hub: RoomHub,
    clock: VirtualClock,
    store: Arc<SqliteStore>,
    shop: Arc<Shop>,
    _dir: TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let shop = Arc::new(Shop::default());
    shop.skus.lock().unwrap().insert(ProductId(1), vec![(SkuId(10), 50)]);
    shop.skus.lock().unwrap().insert(ProductId(3), vec![(SkuId(30), 5), (SkuId(31), 7)]);
    // A long tick: batches leave only when a test flushes.
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), shop.clone(), Arc::new(clock.clone()), config);
    Setup { hub, clock, store, shop, _dir: dir }
}

fn viewer(id: &str) -> Identity {
    Identity { actor: Actor::Viewer(id.into()), name: format!("观众{id}"), role: None, kind: ConnectionKind::Viewer }
}

fn console() -> Identity {
    Identity {
        actor: Actor::User(UserId(3)),
        name: "场控".into(),
        role: Some(Role::Assistant),
        kind: ConnectionKind::Console,
    }
}

struct Peer {
    c: Connection,
    queue: VecDeque<Value>,
}

async fn join(s: &Setup, who: Identity) -> Peer {
    let mut p = Peer { c: s.hub.connect(ROOM, who).await.unwrap(), queue: VecDeque::new() };
    let snapshot = p.next().await;
    assert_eq!(snapshot["type"], "snapshot");
    p
}

impl Peer {
    async fn next(&mut self) -> Value {
        if let Some(f) = self.queue.pop_front() {
            return f;
        }
        let bytes: Bytes = tokio::time::timeout(Duration::from_secs(10), self.c.outbound.next())
            .await
            .expect("a frame within the safety timeout")
            .expect("the room is running");
        let message: Value = serde_json::from_slice(&bytes).unwrap();
        if message["type"] == "batch" {
            self.queue.extend(message["frames"].as_array().unwrap().iter().cloned());
            Box::pin(self.next()).await
        } else {
            message
        }
    }

    async fn until(&mut self, kind: &str) -> (Vec<Value>, Value) {
        let mut seen = Vec::new();
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return (seen, f);
            }
            seen.push(f);
        }
    }
}

async fn say(p: &Peer, message: Value) {
    assert!(p.c.inbound.send_text(&message.to_string()).await);
}

async fn flush(s: &Setup) {
    s.hub.room(ROOM).flush().await;
}

async fn events(s: &Setup, kind: &str) -> Vec<Event> {
    let all = s.store.events_after(ROOM, 0, 1000).await.unwrap();
    all.into_iter().filter(|e| e.kind.as_str() == kind).collect()
}

#[tokio::test]
async fn a_live_price_change_is_persisted_logged_then_seen_by_viewers() {
    let s = setup().await;
    let mut v = join(&s, viewer("a")).await;
    let mut desk = join(&s, console()).await;
    say(&desk, json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 6_900})).await;
    flush(&s).await;
    let (_, frame) = v.until("price_changed").await;
    assert_eq!((frame["product"].as_i64(), frame["live_price"].as_i64()), (Some(2), Some(6_900)));
    assert_eq!(s.shop.live_prices.lock().unwrap().get(&ProductId(2)), Some(&Fen(6_900)));
    let logged = events(&s, "price.changed").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].payload, json!({"product": 2, "old": 7_900, "new": 6_900}));
    assert_eq!(logged[0].actor, Actor::User(UserId(3)));
    // A late viewer's snapshot has it.
    let mut late = Peer { c: s.hub.connect(ROOM, viewer("c")).await.unwrap(), queue: VecDeque::new() };
    let snapshot = late.next().await;
    assert_eq!(snapshot["products"][1]["live_price"], 6_900);

    // Above the product's price, zero, outside the lineup, from a viewer: refused, nothing changes.
    for (message, code, field) in [
        (json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 9_901}), "bad_message", "price_fen"),
        (json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 0}), "bad_message", "price_fen"),
        (json!({"v": 1, "type": "set_live_price", "product": 99, "price_fen": 100}), "not_in_lineup", "product"),
    ] {
        say(&desk, message).await;
        let (_, error) = desk.until("error").await;
        assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some(code), Some(field)), "{error}");
    }
    say(&v, json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 1})).await;
    let (_, error) = v.until("error").await;
    assert_eq!(error["code"], "forbidden");
    flush(&s).await;
    assert_eq!(events(&s, "price.changed").await.len(), 1);
    assert_eq!(s.shop.live_prices.lock().unwrap().get(&ProductId(2)), Some(&Fen(6_900)));
}

#[tokio::test]
async fn stock_is_adjusted_through_the_ledger_and_never_below_zero() {
    let s = setup().await;
    let mut v = join(&s, viewer("a")).await;
    let mut desk = join(&s, console()).await;
    say(&desk, json!({"v": 1, "type": "adjust_stock", "product": 1, "delta": -8, "note": "样品损坏"})).await;
    flush(&s).await;
    let (_, frame) = v.until("stock").await;
    assert_eq!((frame["product"].as_i64(), frame["stock"].as_i64()), (Some(1), Some(42)));
    let adjusted = s.shop.adjustments.lock().unwrap().clone();
    assert_eq!(adjusted.len(), 1);
    assert_eq!((adjusted[0].delta, adjusted[0].actor, adjusted[0].note.as_str()), (-8, Some(UserId(3)), "样品损坏"));
    let logged = events(&s, "stock.changed").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].payload["stock"], 42);
    assert_eq!(logged[0].payload["delta"], -8);

    // Below zero: the console alone hears why; nothing logged, nothing broadcast.
    say(&desk, json!({"v": 1, "type": "adjust_stock", "product": 1, "delta": -43, "note": "盘亏"})).await;
    flush(&s).await;
    let (_, error) = desk.until("error").await;
    assert_eq!(error["code"], "insufficient_stock");
    assert!(error["message"].as_str().unwrap().contains("42"), "{error}");
    // Several SKUs and none named: refused naming `sku`; naming one works.
    say(&desk, json!({"v": 1, "type": "adjust_stock", "product": 3, "delta": 3, "note": "到货"})).await;
    flush(&s).await;
    let (_, error) = desk.until("error").await;
    assert_eq!(error["field"], "sku");
    say(&desk, json!({"v": 1, "type": "adjust_stock", "product": 3, "sku": 31, "delta": 3, "note": "到货"})).await;
    // Field rules before anything runs.
    say(&desk, json!({"v": 1, "type": "adjust_stock", "product": 3, "delta": 0, "note": "x"})).await;
    say(&desk, json!({"v": 1, "type": "adjust_stock", "product": 3, "delta": 1, "note": " "})).await;
    flush(&s).await;
    let (before, frame) = v.until("stock").await;
    assert!(before.iter().all(|f| f["type"] != "stock"), "{before:?}");
    assert_eq!((frame["product"].as_i64(), frame["stock"].as_i64()), (Some(3), Some(15)));
    let (_, zero) = desk.until("error").await;
    assert_eq!(zero["field"], "delta");
    let (_, blank) = desk.until("error").await;
    assert_eq!(blank["field"], "note");
    assert_eq!(events(&s, "stock.changed").await.len(), 2);
}

#[tokio::test]
async fn clicks_on_a_later_product_bring_a_suggestion_with_its_reason() {
    let s = setup().await;
    let viewers: Vec<Peer> = join_viewers(&s, 4).await;
    let mut desk = join(&s, console()).await;
    let (_, first) = desk.until("suggestion").await;
    assert!(first["suggestion"].is_null());
    // 保温杯 presented; 五常大米 next in the plan with 1 click, 羊毛围巾 with 6.
    say(&desk, json!({"v": 1, "type": "push_card", "product": 1})).await;
    say(&viewers[0], json!({"v": 1, "type": "product_click", "product": 2})).await;
    for i in 0..6 {
        say(&viewers[i % 4], json!({"v": 1, "type": "product_click", "product": 3})).await;
    }
    flush(&s).await;
    let (_, frame) = desk.until("suggestion").await;
    let suggestion = &frame["suggestion"];
    assert_eq!((suggestion["product"].as_i64(), suggestion["instead_of"].as_i64()), (Some(3), Some(2)));
    assert_eq!(
        suggestion["reason_zh"],
        "「羊毛围巾」近5分钟点击6次，高于下一个计划讲解的「五常大米」（1次），建议提前讲解"
    );
    // 6 clicks over 4 viewers online.
    assert_eq!(suggestion["clicks_per_thousand_viewers"], 1_500);
    // Once the clicks age out of the window, the suggestion is withdrawn.
    s.clock.advance_secs(5 * 60 + 1);
    flush(&s).await;
    let (_, gone) = desk.until("suggestion").await;
    assert!(gone["suggestion"].is_null(), "{gone}");
}

async fn join_viewers(s: &Setup, n: usize) -> Vec<Peer> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(join(s, viewer(&format!("v{i}"))).await);
    }
    out
}
