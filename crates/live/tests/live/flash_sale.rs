//! The flash sale (秒杀) through the room end to end: a console opens a sale
//! (its quantity reserved through the data source), buyers attempt over
//! their connections, wins become orders and `flash_sale.sold` events
//! before the buyer hears, and a stop gives the rest back. Also the
//! countdown on the virtual clock, replays, refusals, a failed commit, a
//! restart that resumes the sale, and the console's stock view.
//! An in-memory shop and orders, a real SQLite log; nothing sleeps.

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use zhibo_domain::event::{Actor, Event};
use zhibo_domain::{Clock, Fen, FlashSaleId, OrderId, ProductId, Role, RoomId, SkuId, UserId};
use zhibo_live::flash_sale::{
    FlashSaleClosed, FlashSaleOpen, FlashSaleTerms, FlashWin, FlashWinRecord, RunningFlashSale,
};
use zhibo_live::room::Received;
use zhibo_live::stock_view::SkuStock;
use zhibo_live::{LiveError, RoomData, RoomInfo, StockAdjustment};

use crate::harness::{Peer, ROOM, Setup, Show, T0, buyer, console, events_of, flush, join, product, start, viewer};

#[derive(Debug, Clone)]
struct Order {
    id: OrderId,
    sale: FlashSaleId,
    buyer: UserId,
    quantity: u32,
    price: Fen,
    request: String,
}

/// A shop kept in memory: SKU stock, sales and their orders, the way the
/// web layer's store-backed source keeps them.
#[derive(Debug, Default)]
struct Shop {
    stock: Mutex<BTreeMap<SkuId, i64>>,
    sales: Mutex<Vec<(FlashSaleTerms, Option<FlashSaleClosed>)>>,
    orders: Mutex<Vec<Order>>,
    /// The next commit fails as a whole (nothing stored).
    fail_next_commit: AtomicBool,
    commits: Mutex<Vec<usize>>,
    /// Held by a test (write) to keep wins pending: commits wait on it.
    commit_gate: tokio::sync::RwLock<()>,
}

impl Shop {
    fn sold(&self, sale: FlashSaleId) -> u32 {
        self.orders.lock().unwrap().iter().filter(|o| o.sale == sale).map(|o| o.quantity).sum()
    }
}

#[async_trait::async_trait]
impl RoomData for Shop {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let mut info = show().load(room).await?;
        let stock = self.stock.lock().unwrap();
        for entry in info.iter_mut().flat_map(|i| &mut i.lineup) {
            entry.stock = stock.iter().filter(|(sku, _)| product_of(**sku) == entry.product).map(|(_, n)| n).sum();
        }
        Ok(info)
    }

    async fn adjust_stock(&self, _room: RoomId, change: StockAdjustment) -> Result<i64, LiveError> {
        let sku = change.sku.unwrap_or(SkuId(10));
        let mut stock = self.stock.lock().unwrap();
        *stock.get_mut(&sku).unwrap() += change.delta;
        Ok(stock[&sku])
    }

    async fn open_flash_sale(&self, _room: RoomId, open: FlashSaleOpen) -> Result<FlashSaleTerms, LiveError> {
        let mut stock = self.stock.lock().unwrap();
        let have = *stock.get(&open.sku).ok_or(LiveError::Refused { field: Some("sku"), message: "no sku".into() })?;
        if have < i64::from(open.quantity) {
            return Err(LiveError::InsufficientStock { available: have, delta: -i64::from(open.quantity) });
        }
        *stock.get_mut(&open.sku).unwrap() -= i64::from(open.quantity);
        let mut sales = self.sales.lock().unwrap();
        let terms = FlashSaleTerms {
            sale: FlashSaleId(sales.len() as i64 + 1),
            product: open.product,
            sku: open.sku,
            price: open.price,
            quantity: open.quantity,
            per_buyer: open.per_buyer,
            starts_at: open.starts_at,
            ends_at: open.ends_at,
        };
        sales.push((terms.clone(), None));
        Ok(terms)
    }

    async fn commit_flash_wins(
        &self,
        _room: RoomId,
        wins: &[FlashWin],
    ) -> Result<Vec<Result<OrderId, String>>, LiveError> {
        let _open = self.commit_gate.read().await;
        if self.fail_next_commit.swap(false, Ordering::SeqCst) {
            return Err(LiveError::Data("disk full".into()));
        }
        self.commits.lock().unwrap().push(wins.len());
        let mut orders = self.orders.lock().unwrap();
        Ok(wins
            .iter()
            .map(|w| {
                let id = OrderId(orders.len() as i64 + 1);
                orders.push(Order {
                    id,
                    sale: w.sale,
                    buyer: w.buyer,
                    quantity: w.quantity,
                    price: w.price,
                    request: w.request.clone(),
                });
                Ok(id)
            })
            .collect())
    }

    async fn close_flash_sale(
        &self,
        _room: RoomId,
        sale: FlashSaleId,
        _actor: Option<UserId>,
    ) -> Result<FlashSaleClosed, LiveError> {
        let sold = self.sold(sale);
        let mut sales = self.sales.lock().unwrap();
        let (terms, closed) = sales.iter_mut().find(|(t, _)| t.sale == sale).unwrap();
        if let Some(closed) = closed {
            return Ok(*closed);
        }
        let returned = terms.quantity - sold;
        *self.stock.lock().unwrap().get_mut(&terms.sku).unwrap() += i64::from(returned);
        *closed = Some(FlashSaleClosed { sale, sold, returned });
        Ok(FlashSaleClosed { sale, sold, returned })
    }

    async fn running_flash_sales(&self, _room: RoomId) -> Result<Vec<RunningFlashSale>, LiveError> {
        let orders = self.orders.lock().unwrap().clone();
        Ok(self
            .sales
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, closed)| closed.is_none())
            .map(|(terms, _)| RunningFlashSale {
                terms: terms.clone(),
                wins: orders
                    .iter()
                    .filter(|o| o.sale == terms.sale)
                    .map(|o| FlashWinRecord {
                        buyer: o.buyer,
                        quantity: o.quantity,
                        order: o.id,
                        request: Some(o.request.clone()),
                    })
                    .collect(),
            })
            .collect())
    }

    async fn sku_stock(&self, _room: RoomId) -> Result<Vec<SkuStock>, LiveError> {
        Ok(self
            .stock
            .lock()
            .unwrap()
            .iter()
            .map(|(sku, stock)| SkuStock {
                product: product_of(*sku),
                sku: *sku,
                label: format!("SKU {sku}"),
                stock: *stock,
            })
            .collect())
    }
}

/// The cup (SKU 10) and the scarf (SKUs 30 and 31); their stock is the
/// shop's.
fn show() -> Show {
    Show { lineup: vec![product(1, "保温杯"), product(3, "羊毛围巾")], ..Show::titled("秋冬上新") }
}

fn product_of(sku: SkuId) -> ProductId {
    ProductId(if sku == SkuId(10) { 1 } else { 3 })
}

async fn setup() -> Setup<Shop> {
    let shop = Shop::default();
    shop.stock.lock().unwrap().extend([(SkuId(10), 50), (SkuId(30), 5), (SkuId(31), 7)]);
    start(shop).await
}

impl Peer {
    async fn buy(&mut self, sale: i64, quantity: u32, request: &str) -> Value {
        self.say(buy_message(sale, quantity, request)).await;
        loop {
            let f = self.next().await;
            if f["type"] == "flash_result" && f["request"] == request || f["type"] == "error" {
                return f;
            }
        }
    }
}

fn buy_message(sale: i64, quantity: u32, request: &str) -> Value {
    json!({"v": 1, "type": "flash_buy", "sale": sale, "quantity": quantity, "request": request,
           "address": {"name": "张三", "phone": "13800138000", "region": "浙江省杭州市", "detail": "西湖区文三路 1 号"}})
}

fn open_message(quantity: u32, per_buyer: u32, countdown_secs: u32) -> Value {
    json!({"v": 1, "type": "open_flash_sale", "product": 1, "sku": 10, "price_fen": 990,
           "quantity": quantity, "per_buyer": per_buyer, "countdown_secs": countdown_secs})
}

/// Opens a sale from a console and returns its card as viewers got it.
async fn open_sale(s: &Setup<Shop>, desk: &Peer, viewer: &mut Peer, message: Value) -> Value {
    desk.say(message).await;
    flush(s).await;
    viewer.until("flash_sale").await
}

#[tokio::test]
async fn the_countdown_holds_until_the_virtual_clock_reaches_the_start() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(5, 1, 10)).await;
    assert_eq!((card["state"].as_str(), card["left"].as_u64()), (Some("scheduled"), Some(5)));
    assert_eq!(card["starts_at_ms"].as_i64(), Some(T0.0 + 10_000));
    assert_eq!(card["now_ms"].as_i64(), Some(T0.0));
    // The whole quantity left the ledger at open.
    assert_eq!(s.data.stock.lock().unwrap()[&SkuId(10)], 45);
    let sale = card["sale"].as_i64().unwrap();

    s.clock.advance_millis(9_999);
    let early = b.buy(sale, 1, "r1").await;
    assert_eq!((early["ok"].as_bool(), early["reason"].as_str()), (Some(false), Some("not_started")));
    s.clock.advance_millis(1);
    flush(&s).await;
    let started = b.until("flash_sale").await;
    assert_eq!(started["state"], "running");
    // The same request, retried after the start, is judged again and wins.
    let won = b.buy(sale, 1, "r1").await;
    assert_eq!((won["ok"].as_bool(), won["price_fen"].as_i64()), (Some(true), Some(990)), "{won}");
    let order = won["order"].as_i64().unwrap();
    // Durable before told: the order and the event exist.
    assert_eq!(s.data.orders.lock().unwrap().iter().map(|o| o.id.0).collect::<Vec<_>>(), [order]);
    let sold = events_of(&s, "flash_sale.sold").await;
    assert_eq!(sold.len(), 1);
    assert_eq!(sold[0].payload["order"].as_i64(), Some(order));
    assert_eq!(sold[0].actor, Actor::User(UserId(101)));
    assert_eq!(sold[0].amount, Some(Fen(990)));
    // Units left reach viewers in the tick's batch.
    flush(&s).await;
    let left = b.until("flash_sale_left").await;
    assert_eq!(left["left"].as_u64(), Some(4));
}

#[tokio::test]
async fn exactly_the_quantity_wins_and_per_buyer_limits_hold_under_a_crowd() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut watcher = join(&s, buyer(999)).await;
    let card = open_sale(&s, &desk, &mut watcher, open_message(7, 2, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    // 20 buyers each send 3 requests at once, before reading any answer.
    let mut buyers = Vec::new();
    for n in 0..20 {
        buyers.push(join(&s, buyer(200 + n)).await);
    }
    for (n, b) in buyers.iter().enumerate() {
        for k in 0..3 {
            b.say(buy_message(sale, 1, &format!("b{n}-{k}"))).await;
        }
    }
    let mut won_by: HashMap<usize, u32> = HashMap::new();
    let (mut wins, mut refusals) = (0, 0);
    for (n, b) in buyers.iter_mut().enumerate() {
        // Refusals come at once, wins once committed: collect all three.
        let mut answers: HashMap<String, Value> = HashMap::new();
        while answers.len() < 3 {
            let f = b.next().await;
            if f["type"] == "flash_result" {
                answers.insert(f["request"].as_str().unwrap().to_owned(), f);
            }
        }
        for answer in answers.values() {
            if answer["ok"] == true {
                wins += 1;
                *won_by.entry(n).or_default() += 1;
            } else {
                refusals += 1;
                let reason = answer["reason"].as_str().unwrap();
                assert!(["sold_out", "limit_reached"].contains(&reason), "{answer}");
            }
        }
    }
    assert_eq!((wins, refusals), (7, 53));
    assert!(won_by.values().all(|n| *n <= 2), "{won_by:?}");
    let orders = s.data.orders.lock().unwrap().clone();
    assert_eq!(orders.iter().map(|o| o.quantity).sum::<u32>(), 7);
    assert!(orders.iter().all(|o| o.price == Fen(990)));
    assert_eq!(events_of(&s, "flash_sale.sold").await.len(), 7);
    // Every win went through a commit (bursts share one).
    let commits = s.data.commits.lock().unwrap().clone();
    assert_eq!(commits.iter().sum::<usize>(), 7);
}

#[tokio::test]
async fn a_replayed_request_answers_the_same_and_buys_nothing_more() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(5, 3, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    let first = b.buy(sale, 2, "same").await;
    let again = b.buy(sale, 2, "same").await;
    assert_eq!(first["ok"], true);
    assert_eq!(first, again);
    assert_eq!(s.data.sold(FlashSaleId(sale)), 2);
    // A refusal replays the same too, even once its reason has gone.
    let over = b.buy(sale, 2, "over").await;
    assert_eq!(over["reason"], "limit_reached");
    assert_eq!(b.buy(sale, 2, "over").await, over);
}

#[tokio::test]
async fn anonymous_viewers_and_bad_input_are_refused_and_move_nothing() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let mut anon = join(&s, viewer("a1")).await;
    let card = open_sale(&s, &desk, &mut b, open_message(5, 1, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    let refused = anon.buy(sale, 1, "x").await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "forbidden");
    assert!(refused["message"].as_str().unwrap().contains("sign in"), "{refused}");
    for (message, field) in [
        (buy_message(sale, 0, "q0"), "quantity"),
        (buy_message(sale, 1_000_000_000, "q1"), "quantity"),
        (buy_message(sale, 1, ""), "request"),
        (buy_message(99, 1, "q2"), "sale"),
    ] {
        b.say(message).await;
        let error = b.until("error").await;
        assert_eq!(error["field"].as_str(), Some(field), "{error}");
    }
    let mut bad_address = buy_message(sale, 1, "q3");
    bad_address["address"]["phone"] = json!("110");
    b.say(bad_address).await;
    assert_eq!(b.until("error").await["field"], "address.phone");
    flush(&s).await;
    assert!(s.data.orders.lock().unwrap().is_empty());
    assert!(events_of(&s, "flash_sale.sold").await.is_empty());
}

#[tokio::test]
async fn only_a_console_opens_or_stops_and_opening_needs_the_stock() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    // A viewer (even signed in) cannot open a sale.
    b.say(open_message(5, 1, 0)).await;
    assert_eq!(b.until("error").await["code"], "forbidden");
    b.say(json!({"v": 1, "type": "stop_flash_sale", "sale": 1})).await;
    assert_eq!(b.until("error").await["code"], "forbidden");
    // More than the SKU has: refused with what there is, nothing reserved.
    desk.say(open_message(51, 1, 0)).await;
    flush(&s).await;
    let short = desk.until("error").await;
    assert_eq!((short["code"].as_str(), short["field"].as_str()), (Some("insufficient_stock"), Some("quantity")));
    assert!(short["message"].as_str().unwrap().contains("50"), "{short}");
    assert_eq!(s.data.stock.lock().unwrap()[&SkuId(10)], 50);
    // Above the product's price, and a product not in the lineup.
    let mut dear = open_message(5, 1, 0);
    dear["price_fen"] = json!(9_901);
    desk.say(dear).await;
    assert_eq!(desk.until("error").await["field"], "price_fen");
    let mut elsewhere = open_message(5, 1, 0);
    elsewhere["product"] = json!(2);
    desk.say(elsewhere).await;
    assert_eq!(desk.until("error").await["code"], "not_in_lineup");
    // One sale at a time.
    open_sale(&s, &desk, &mut b, open_message(5, 1, 0)).await;
    desk.say(open_message(5, 1, 0)).await;
    assert_eq!(desk.until("error").await["code"], "conflict");
}

#[tokio::test]
async fn stopping_gives_the_unsold_units_back_and_refuses_later_attempts() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let mut c = join(&s, buyer(102)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(10, 2, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    assert_eq!(b.buy(sale, 2, "b1").await["ok"], true);
    assert_eq!(c.buy(sale, 1, "c1").await["ok"], true);
    assert_eq!(s.data.stock.lock().unwrap()[&SkuId(10)], 40);
    desk.say(json!({"v": 1, "type": "stop_flash_sale", "sale": sale})).await;
    flush(&s).await;
    let ended = b.until("flash_sale").await;
    assert_eq!((ended["state"].as_str(), ended["left"].as_u64()), (Some("ended"), Some(0)));
    // 3 sold, 7 back: the ledger holds 50 − 3.
    assert_eq!(s.data.stock.lock().unwrap()[&SkuId(10)], 47);
    let logged = events_of(&s, "flash_sale.ended").await;
    assert_eq!(logged.len(), 1);
    assert_eq!((logged[0].payload["sold"].as_u64(), logged[0].payload["returned"].as_u64()), (Some(3), Some(7)));
    assert_eq!(logged[0].payload["reason"], "stopped");
    let late = c.buy(sale, 1, "c2").await;
    assert_eq!(late["reason"], "ended");
    // Replays still answer after the end.
    assert_eq!(b.buy(sale, 2, "b1").await["ok"], true);
    // A sale with an end closes by itself on the tick once it passes.
    let mut timed = open_message(5, 1, 0);
    timed["duration_secs"] = json!(30);
    let card = open_sale(&s, &desk, &mut b, timed).await;
    assert_eq!(card["ends_at_ms"].as_i64(), Some(T0.0 + 30_000));
    s.clock.advance_secs(30);
    flush(&s).await;
    flush(&s).await;
    let auto = events_of(&s, "flash_sale.ended").await;
    assert_eq!(auto.len(), 2);
    assert_eq!((auto[1].payload["returned"].as_u64(), auto[1].payload["reason"].as_str()), (Some(5), Some("ended")));
    assert_eq!(auto[1].actor, Actor::System);
    assert_eq!(s.data.stock.lock().unwrap()[&SkuId(10)], 47);
}

#[tokio::test]
async fn a_failed_commit_answers_unavailable_and_gives_the_units_back() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let mut c = join(&s, buyer(102)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(1, 1, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    s.data.fail_next_commit.store(true, Ordering::SeqCst);
    let failed = b.buy(sale, 1, "b1").await;
    assert_eq!((failed["type"].as_str(), failed["code"].as_str()), (Some("error"), Some("unavailable")));
    assert!(s.data.orders.lock().unwrap().is_empty());
    // The unit went back: someone else can win it, and b's retry is judged anew.
    assert_eq!(c.buy(sale, 1, "c1").await["ok"], true);
    assert_eq!(b.buy(sale, 1, "b1").await["reason"], "sold_out");
}

#[tokio::test]
async fn a_restarted_room_resumes_the_sale_without_overselling() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(3, 2, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    let first = b.buy(sale, 2, "b1").await;
    assert_eq!(first["ok"], true);
    drop((desk, b));
    // A new hub: the room starts from the data source, as after a crash.
    let hub = s.restarted();
    let mut b = Peer::connect(&hub, buyer(101)).await;
    let snapshot = b.next().await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["flash_sale"]["left"].as_u64(), Some(1), "{snapshot}");
    assert_eq!(b.buy(sale, 2, "b1").await, first);
    assert_eq!(b.buy(sale, 1, "b2").await["reason"], "limit_reached");
    let mut c = Peer::join(&hub, buyer(102)).await;
    assert_eq!(c.buy(sale, 2, "c1").await["reason"], "not_enough_left");
    assert_eq!(c.buy(sale, 1, "c2").await["ok"], true);
    assert_eq!(c.buy(sale, 1, "c3").await["reason"], "sold_out");
    assert_eq!(s.data.sold(FlashSaleId(sale)), 3);
}

#[tokio::test]
async fn the_console_sees_stock_per_sku_move_and_the_sale_figures() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let view = desk.until("stock_view").await;
    let row = |v: &Value, sku: i64| v["skus"].as_array().unwrap().iter().find(|r| r["sku"] == sku).unwrap().clone();
    assert_eq!(row(&view, 10)["stock"], 50);
    assert_eq!(view["skus"].as_array().unwrap().len(), 3);
    let mut b = join(&s, buyer(101)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(10, 5, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    assert_eq!(b.buy(sale, 5, "b1").await["ok"], true);
    desk.say(json!({"v": 1, "type": "adjust_stock", "product": 3, "sku": 31, "delta": 20, "note": "补货"})).await;
    flush(&s).await;
    // The adjustment is acknowledged after this flush's tick: the next one shows it.
    flush(&s).await;
    let (mut view, mut stats) = (None, None);
    while view.is_none() || stats.is_none() {
        let f = desk.next().await;
        if f["type"] == "stock_view" && row(&f, 31)["stock"] == 27 {
            view = Some(f);
        } else if f["type"] == "flash_sale_stats" && f["sold"] == 5 {
            stats = Some(f);
        }
    }
    let (view, stats) = (view.unwrap(), stats.unwrap());
    // 50 − 10 reserved; 5 of the sale's 10 left; 5 sold in the last minute
    // with 45 available: no warning. SKU 31 got its 20.
    let r10 = row(&view, 10);
    assert_eq!(
        (r10["stock"].as_i64(), r10["flash_left"].as_u64(), r10["per_minute"].as_u64()),
        (Some(40), Some(5), Some(5))
    );
    assert_eq!(r10["warning"], false);
    assert_eq!(row(&view, 31)["stock"], 27);
    assert_eq!(
        (stats["sold"].as_u64(), stats["remaining"].as_u64(), stats["attempts"].as_u64()),
        (Some(5), Some(5), Some(1))
    );
}

#[tokio::test]
async fn checkout_orders_reported_to_the_room_move_the_stock_view_and_warn_before_a_sell_out() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.until("stock_view").await;
    let order = |kind: &str, quantity: u32| Event {
        room: ROOM,
        seq: 1,
        time: s.clock.now(),
        kind: zhibo_domain::event::EventKind::parse(kind).unwrap(),
        actor: Actor::User(UserId(101)),
        amount: Some(Fen(990)),
        payload: json!({"order": 1, "lines": [{"sku": 30, "product": 3, "quantity": quantity}], "stock": []}),
    };
    // 4 of SKU 30's 5 ordered within the minute: 1 left at 4 a minute.
    s.hub.room(ROOM).observe(order("order.placed", 4)).await;
    flush(&s).await;
    let r30 = sku_row_once(&mut desk, 30, 1).await;
    assert_eq!((r30["per_minute"].as_u64(), r30["warning"].as_bool()), (Some(4), Some(true)));
    assert_eq!(r30["sells_out_in_s"].as_i64(), Some(15));
    // Cancelled: the units are back; a minute later the rate is gone too.
    s.hub.room(ROOM).observe(order("order.cancelled", 4)).await;
    s.clock.advance_secs(60);
    flush(&s).await;
    // (The room's first tick may land between two commands: frames in between are skipped.)
    let r30 = sku_row_once(&mut desk, 30, 5).await;
    assert_eq!((r30["per_minute"].as_u64(), r30["warning"].as_bool()), (Some(0), Some(false)));
}

/// The connections answer final refusals themselves (the sale's published
/// view, zhibo_live::flash_sale::board) while the room alone decides wins.
/// A crowd on four threads, each buyer on its own task and connection with
/// all its attempts in flight at once, then every request replayed: exactly
/// the quantity wins, no buyer passes the limit, every win is an order and
/// an event, and every replay answers exactly what the request got.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_refusals_answered_at_the_edge_a_crowd_on_many_threads_never_oversells() {
    const BUYERS: i64 = 64;
    const EACH: usize = 12;
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut watcher = join(&s, buyer(999)).await;
    let card = open_sale(&s, &desk, &mut watcher, open_message(40, 2, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    let mut crowd = tokio::task::JoinSet::new();
    for n in 0..BUYERS {
        let hub = s.hub.clone();
        crowd.spawn(async move {
            let mut b = Peer::join(&hub, buyer(500 + n)).await;
            let requests: Vec<String> = (0..EACH).map(|k| format!("b{n}-{k}")).collect();
            let mut rounds = Vec::new();
            for _ in 0..2 {
                for request in &requests {
                    b.say(buy_message(sale, 1, request)).await;
                }
                let mut answers: BTreeMap<String, Value> = BTreeMap::new();
                while answers.len() < EACH {
                    let f = b.next().await;
                    assert_ne!(f["type"], "error", "{f}");
                    if f["type"] == "flash_result" {
                        answers.insert(f["request"].as_str().unwrap().to_owned(), f);
                    }
                }
                rounds.push(answers);
            }
            (n, rounds)
        });
    }
    let (mut wins, mut refusals) = (0, 0);
    let mut won_orders = Vec::new();
    while let Some(joined) = crowd.join_next().await {
        let (n, rounds) = joined.unwrap();
        assert_eq!(rounds[0], rounds[1], "buyer {n}: a replay answered differently");
        let mut mine = 0;
        for answer in rounds[0].values() {
            if answer["ok"] == true {
                mine += 1;
                won_orders.push(answer["order"].as_i64().unwrap());
            } else {
                refusals += 1;
                let reason = answer["reason"].as_str().unwrap();
                assert!(["sold_out", "limit_reached"].contains(&reason), "{answer}");
            }
        }
        assert!(mine <= 2, "buyer {n} won {mine}");
        wins += mine;
    }
    assert_eq!((wins, refusals), (40, BUYERS as usize * EACH - 40));
    let mut stored: Vec<i64> = s.data.orders.lock().unwrap().iter().map(|o| o.id.0).collect();
    won_orders.sort_unstable();
    stored.sort_unstable();
    assert_eq!(won_orders, stored, "every win told is an order, and only those");
    assert_eq!(events_of(&s, "flash_sale.sold").await.len(), 40);
    // Sold out and every unit committed: a new attempt is answered at the
    // edge, without the room.
    let late = join(&s, buyer(998)).await;
    match late.c.inbound.receive(&buy_message(sale, 1, "late").to_string()).await {
        Received::Answered(frame) => {
            let f: Value = serde_json::from_slice(&frame).unwrap();
            assert_eq!((f["ok"].as_bool(), f["reason"].as_str()), (Some(false), Some("sold_out")), "{f}");
        }
        other => panic!("the room was asked: {other:?}"),
    }
}

/// "Sold out" while wins are pending is not final: a failed commit gives
/// the units back. The edge then leaves the attempt to the room, and once
/// the commit fails, someone else wins the unit.
#[tokio::test]
async fn sold_out_with_wins_pending_is_the_rooms_to_say() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut b = join(&s, buyer(101)).await;
    let mut c = join(&s, buyer(102)).await;
    let card = open_sale(&s, &desk, &mut b, open_message(1, 1, 0)).await;
    let sale = card["sale"].as_i64().unwrap();
    let held = s.data.commit_gate.write().await;
    b.say(buy_message(sale, 1, "b1")).await;
    // b's win is pending (its commit is held): nothing is left, but c's
    // attempt goes to the room, which says sold out (to that request).
    judged(&s).await;
    let text = buy_message(sale, 1, "c1").to_string();
    assert!(matches!(c.c.inbound.receive(&text).await, Received::Sent));
    assert_eq!(c.until("flash_result").await["reason"], "sold_out");
    s.data.fail_next_commit.store(true, Ordering::SeqCst);
    drop(held);
    let failed = b.until("error").await;
    assert_eq!(failed["code"], "unavailable");
    // The unit is back: c's new request wins it.
    assert_eq!(c.buy(sale, 1, "c2").await["ok"], true);
    assert_eq!(s.data.sold(FlashSaleId(sale)), 1);
}

/// Waits until the room has judged what was sent before (it answers a
/// stats request after every earlier command).
async fn judged(s: &Setup<Shop>) {
    s.hub.room(ROOM).stats().await.unwrap();
}

/// The console's stock-view row of `sku` from the first `stock_view` frame
/// in which that SKU has `stock` units (earlier frames are skipped).
async fn sku_row_once(desk: &mut Peer, sku: i64, stock: i64) -> Value {
    loop {
        let view = desk.until("stock_view").await;
        let row = view["skus"].as_array().unwrap().iter().find(|r| r["sku"] == sku).unwrap().clone();
        if row["stock"] == stock {
            return row;
        }
    }
}
