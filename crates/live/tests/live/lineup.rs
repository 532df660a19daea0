//! The console's lineup tools end to end: a live price change persisted
//! through `RoomData`, logged, then broadcast; stock adjusted through the
//! data source's ledger with refusals going back to the console alone; and
//! the reorder suggestion appearing when clicks favour a later product.
//! A virtual clock, an in-memory lineup, a real SQLite log; nothing sleeps.

use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use zhibo_domain::event::Actor;
use zhibo_domain::{Fen, ProductId, Role, RoomId, SkuId, UserId};
use zhibo_live::{LiveError, RoomData, RoomInfo, StockAdjustment};

use crate::harness::{Peer, Setup, Show, console, events_of, flush, join, product, start, viewer};

/// A lineup kept in memory: live prices and per-SKU stock change as the
/// console asks, the way the web layer's store-backed source does.
#[derive(Debug)]
struct Shop {
    show: Show,
    live_prices: Mutex<HashMap<ProductId, Fen>>,
    /// Per product, its SKUs' stock.
    skus: Mutex<HashMap<ProductId, Vec<(SkuId, i64)>>>,
    adjustments: Mutex<Vec<StockAdjustment>>,
}

#[async_trait::async_trait]
impl RoomData for Shop {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let mut info = self.show.load(room).await?;
        let prices = self.live_prices.lock().unwrap();
        let skus = self.skus.lock().unwrap();
        for entry in info.iter_mut().flat_map(|i| &mut i.lineup) {
            entry.live_price = prices.get(&entry.product).copied().unwrap_or(entry.live_price);
            entry.stock = skus.get(&entry.product).map_or(0, |s| s.iter().map(|(_, n)| n).sum());
        }
        Ok(info)
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

async fn setup() -> Setup<Shop> {
    let skus = [(ProductId(1), vec![(SkuId(10), 50)]), (ProductId(3), vec![(SkuId(30), 5), (SkuId(31), 7)])];
    let lineup = vec![product(1, "保温杯"), product(2, "五常大米"), product(3, "羊毛围巾")];
    start(Shop {
        show: Show { lineup, ..Show::titled("秋冬上新") },
        live_prices: Mutex::default(),
        skus: Mutex::new(skus.into_iter().collect()),
        adjustments: Mutex::default(),
    })
    .await
}

#[tokio::test]
async fn a_live_price_change_is_persisted_logged_then_seen_by_viewers() {
    let s = setup().await;
    let mut v = join(&s, viewer("a")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 6_900})).await;
    flush(&s).await;
    let frame = v.until("price_changed").await;
    assert_eq!((frame["product"].as_i64(), frame["live_price"].as_i64()), (Some(2), Some(6_900)));
    assert_eq!(s.data.live_prices.lock().unwrap().get(&ProductId(2)), Some(&Fen(6_900)));
    let logged = events_of(&s, "price.changed").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].payload, json!({"product": 2, "old": 7_900, "new": 6_900}));
    assert_eq!(logged[0].actor, Actor::User(UserId(3)));
    // A late viewer's snapshot has it.
    let mut late = Peer::connect(&s.hub, viewer("c")).await;
    let snapshot = late.next().await;
    assert_eq!(snapshot["products"][1]["live_price"], 6_900);

    // Above the product's price, zero, outside the lineup, from a viewer: refused, nothing changes.
    for (message, code, field) in [
        (json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 9_901}), "bad_message", "price_fen"),
        (json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 0}), "bad_message", "price_fen"),
        (json!({"v": 1, "type": "set_live_price", "product": 99, "price_fen": 100}), "not_in_lineup", "product"),
    ] {
        desk.say(message).await;
        let error = desk.until("error").await;
        assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some(code), Some(field)), "{error}");
    }
    v.say(json!({"v": 1, "type": "set_live_price", "product": 2, "price_fen": 1})).await;
    let error = v.until("error").await;
    assert_eq!(error["code"], "forbidden");
    flush(&s).await;
    assert_eq!(events_of(&s, "price.changed").await.len(), 1);
    assert_eq!(s.data.live_prices.lock().unwrap().get(&ProductId(2)), Some(&Fen(6_900)));
}

#[tokio::test]
async fn stock_is_adjusted_through_the_ledger_and_never_below_zero() {
    let s = setup().await;
    let mut v = join(&s, viewer("a")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 1, "delta": -8, "note": "样品损坏"})).await;
    flush(&s).await;
    let frame = v.until("stock").await;
    assert_eq!((frame["product"].as_i64(), frame["stock"].as_i64()), (Some(1), Some(42)));
    let adjusted = s.data.adjustments.lock().unwrap().clone();
    assert_eq!(adjusted.len(), 1);
    assert_eq!((adjusted[0].delta, adjusted[0].actor, adjusted[0].note.as_str()), (-8, Some(UserId(3)), "样品损坏"));
    let logged = events_of(&s, "stock.changed").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].payload["stock"], 42);
    assert_eq!(logged[0].payload["delta"], -8);

    // Below zero: the console alone hears why; nothing logged, nothing broadcast.
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 1, "delta": -43, "note": "盘亏"})).await;
    flush(&s).await;
    let error = desk.until("error").await;
    assert_eq!(error["code"], "insufficient_stock");
    assert!(error["message"].as_str().unwrap().contains("42"), "{error}");
    // Several SKUs and none named: refused naming `sku`; naming one works.
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 3, "delta": 3, "note": "到货"})).await;
    flush(&s).await;
    let error = desk.until("error").await;
    assert_eq!(error["field"], "sku");
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 3, "sku": 31, "delta": 3, "note": "到货"})).await;
    // Field rules before anything runs.
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 3, "delta": 0, "note": "x"})).await;
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 3, "delta": 1, "note": " "})).await;
    flush(&s).await;
    let (before, frame) = v.frames_until("stock").await;
    assert!(before.iter().all(|f| f["type"] != "stock"), "{before:?}");
    assert_eq!((frame["product"].as_i64(), frame["stock"].as_i64()), (Some(3), Some(15)));
    let zero = desk.until("error").await;
    assert_eq!(zero["field"], "delta");
    let blank = desk.until("error").await;
    assert_eq!(blank["field"], "note");
    assert_eq!(events_of(&s, "stock.changed").await.len(), 2);
}

#[tokio::test]
async fn clicks_on_a_later_product_bring_a_suggestion_with_its_reason() {
    let s = setup().await;
    let viewers: Vec<Peer> = join_viewers(&s, 4).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let first = desk.until("suggestion").await;
    assert!(first["suggestion"].is_null());
    // 保温杯 presented; 五常大米 next in the plan with 1 click, 羊毛围巾 with 6.
    desk.say(json!({"v": 1, "type": "push_card", "product": 1})).await;
    viewers[0].say(json!({"v": 1, "type": "product_click", "product": 2})).await;
    for i in 0..6 {
        viewers[i % 4].say(json!({"v": 1, "type": "product_click", "product": 3})).await;
    }
    flush(&s).await;
    let frame = desk.until("suggestion").await;
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
    let gone = desk.until("suggestion").await;
    assert!(gone["suggestion"].is_null(), "{gone}");
}

async fn join_viewers(s: &Setup<Shop>, n: usize) -> Vec<Peer> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(join(s, viewer(&format!("v{i}"))).await);
    }
    out
}
