//! Orders: placing takes stock from the ledger (or trusts a flash sale's
//! reservation), replays find the first order, a batch judges each order
//! on its own, payments happen once, and cancel / expiry / refund give the
//! stock back exactly once. Checkout orders carry gift lines (price 0,
//! stock reserved and released like the rest) and draw promotion budgets
//! down in their own transaction, given back on cancel. A property test runs random interleavings of
//! place, pay, cancel and expire and checks the books after every step.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::json;
use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::catalog::{ProductDraft, ProductInput, SkuInput};
use zhibo_domain::order::{OrderActor, OrderSource, OrderStatus, ShippingAddress};
use zhibo_domain::show::{LineupInput, ShowDraft, ShowInput};
use zhibo_domain::stock::{StockChange, StockReason};
use zhibo_domain::{Clock, Fen, FlashSaleId, OrderId, ProductId, Role, RoomId, ShopId, SkuId, UserId};
use zhibo_store::orders::{
    BudgetSpend, NewGiftLine, NewOrder, NewOrderLine, NewPayment, OrderExtras, OrderFilter, OrderRecord,
    OrderRejection, OrderStore, PaymentRefusal, StockSource, StockState,
};
use zhibo_store::promotions::{ClaimOutcome, CouponLimits, NewPromotion, PromotionStore};
use zhibo_store::shows::ShowStore;
use zhibo_store::{AccountStore, CatalogStore, NewUser, ShopSettings, ShopStore, StockStore};

use crate::helpers::*;

struct Fixture {
    t: TestStore,
    shop: ShopId,
    show: RoomId,
    product: ProductId,
    skus: Vec<SkuId>,
    buyers: Vec<UserId>,
    staff: UserId,
}

async fn user(t: &TestStore, shop: ShopId, name: &str, role: Role) -> UserId {
    let user = NewUser {
        shop,
        username: Username::parse(name).unwrap(),
        display_name: DisplayName::parse(name).unwrap(),
        role,
        password_hash: "$argon2id$not-a-real-hash".into(),
    };
    t.store.create_user(&user).await.unwrap()
}

/// A shop with one product of `stocks.len()` SKUs (stock as given, ¥10.00
/// each), a show selling it, `buyers` buyers and an operator.
async fn fixture(stocks: &[i64], buyers: usize) -> Fixture {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("订单店", &ShopSettings::default()).await.unwrap();
    let skus_in = (0..stocks.len())
        .map(|i| SkuInput {
            id: None,
            specs: vec![("颜色".into(), format!("色{i}"))],
            list_price: Fen(0),
            price: Fen(1000),
            cost: Fen(0),
            weight_g: 0,
            barcode: String::new(),
        })
        .collect();
    let input =
        ProductInput { title: "真丝睡衣".into(), status: "on_sale".into(), skus: skus_in, ..Default::default() };
    let product = t.store.create_product(shop, &ProductDraft::parse(&input).unwrap()).await.unwrap();
    let detail = t.store.product(shop, product).await.unwrap().unwrap();
    let skus: Vec<SkuId> = detail.skus.iter().map(|s| s.id).collect();
    for (&sku, &stock) in skus.iter().zip(stocks) {
        if stock > 0 {
            let change = StockChange::parse(sku, "purchase", stock, "入库").unwrap();
            t.store.apply_stock_change(shop, &change, None).await.unwrap().unwrap();
        }
    }
    let show_input = ShowInput {
        title: "睡衣专场".into(),
        intro: String::new(),
        scheduled_start: T0,
        streamer: None,
        assistant: None,
        promotion_budget: None,
        lineup: vec![LineupInput {
            product,
            role: "profit".into(),
            live_price: None,
            push_offset_minutes: None,
            talking_points: String::new(),
        }],
        run_sheet: Vec::new(),
    };
    let prices = BTreeMap::from([(product, Fen(1000))]);
    let show = t.store.create_show(shop, &ShowDraft::parse(&show_input, &prices).unwrap()).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..buyers {
        ids.push(user(&t, shop, &format!("buyer{i}"), Role::Viewer).await);
    }
    let staff = user(&t, shop, "operator", Role::Operator).await;
    Fixture { t, shop, show, product, skus, buyers: ids, staff }
}

fn address() -> ShippingAddress {
    ShippingAddress::parse("张三", "13800138000", "浙江省杭州市西湖区", "文三路100号").unwrap()
}

impl Fixture {
    fn order(&self, buyer: usize, key: &str, lines: &[(usize, u32)]) -> NewOrder {
        NewOrder {
            shop: self.shop,
            show: Some(self.show),
            buyer: self.buyers[buyer],
            lines: lines
                .iter()
                .map(|&(sku, quantity)| NewOrderLine { sku: self.skus[sku], quantity, unit_price: Fen(1000) })
                .collect(),
            discount: Fen(0),
            claim: None,
            address: address(),
            source: OrderSource::Checkout,
            request_key: key.into(),
            expires_at: T0.plus_secs(15 * 60),
            stock: StockSource::Reserve,
        }
    }

    async fn stock(&self, sku: usize) -> i64 {
        self.t.store.sku(self.shop, self.skus[sku]).await.unwrap().unwrap().stock
    }

    async fn ledger_len(&self, sku: usize) -> usize {
        self.t.store.sku_ledger(self.shop, self.skus[sku], None, 1000).await.unwrap().len()
    }

    async fn place(&self, o: NewOrder) -> Result<OrderRecord, OrderRejection> {
        self.t.store.place_order(o).await.unwrap()
    }

    async fn pay(&self, o: &OrderRecord, succeeded: bool) -> Result<OrderRecord, PaymentRefusal> {
        let p = NewPayment {
            order: o.id,
            provider: "sandbox".into(),
            reference: format!("SBX-{}", o.id),
            amount: o.total,
            succeeded,
            message: String::new(),
            actor: OrderActor::Buyer(o.buyer),
        };
        self.t.store.record_payment(self.shop, &p).await.unwrap().map(|(o, _)| o)
    }

    async fn cancel(&self, o: &OrderRecord) -> Result<OrderRecord, zhibo_domain::DomainError> {
        self.t
            .store
            .transition(self.shop, o.id, OrderStatus::Cancelled, OrderActor::Buyer(o.buyer), "不想要了")
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn placing_reserves_stock_through_the_ledger_and_keeps_what_the_buyer_saw() {
    let f = fixture(&[5, 3], 1).await;
    let placed = f.place(f.order(0, "k1", &[(0, 2), (1, 1), (0, 1)])).await.unwrap();
    assert_eq!((placed.status, placed.stock, placed.replayed), (OrderStatus::PendingPayment, StockState::Held, false));
    assert_eq!((placed.subtotal, placed.discount, placed.total), (Fen(4000), Fen(0), Fen(4000)));
    assert_eq!((f.stock(0).await, f.stock(1).await), (2, 2));
    let ledger = f.t.store.sku_ledger(f.shop, f.skus[0], None, 10).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta), (StockReason::Reservation, -3), "one entry per SKU");

    let read = f.t.store.order(f.shop, placed.id).await.unwrap().unwrap();
    assert_eq!(read, placed);
    assert_eq!(read.lines.len(), 3);
    assert_eq!((read.lines[0].product, read.lines[0].product_title.as_str()), (f.product, "真丝睡衣"));
    assert_eq!(read.lines[1].specs, "颜色=色1");
    assert_eq!(read.address.phone(), "13800138000");
    let history = f.t.store.order_transitions(f.shop, placed.id).await.unwrap();
    assert_eq!((history.len(), history[0].from, history[0].to), (1, None, OrderStatus::PendingPayment));
    // another shop sees nothing
    let other = f.t.store.create_shop("别家", &ShopSettings::default()).await.unwrap();
    assert!(f.t.store.order(other, placed.id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_replayed_request_key_answers_the_first_order_and_moves_nothing() {
    let f = fixture(&[5], 2).await;
    let first = f.place(f.order(0, "same-key", &[(0, 2)])).await.unwrap();
    let entries = f.ledger_len(0).await;
    let again = f.place(f.order(0, "same-key", &[(0, 4)])).await.unwrap();
    assert!(again.replayed);
    assert_eq!((again.id, again.lines[0].quantity), (first.id, 2));
    assert_eq!((f.stock(0).await, f.ledger_len(0).await), (3, entries));
    // the key is the buyer's own: another buyer's same key is a new order
    let other = f.place(f.order(1, "same-key", &[(0, 1)])).await.unwrap();
    assert!(!other.replayed && other.id != first.id);
}

#[tokio::test]
async fn a_batch_judges_each_order_alone_in_one_transaction() {
    let f = fixture(&[3], 3).await;
    let answers =
        f.t.store
            .place_orders(vec![
                f.order(0, "a", &[(0, 2)]),
                f.order(1, "b", &[(0, 2)]), // only 1 left
                f.order(2, "c", &[(0, 1)]),
                f.order(0, "a", &[(0, 2)]), // the first again, in the same batch
                f.order(1, "", &[(0, 1)]),
                f.order(1, "d", &[]),
                f.order(1, "e", &[(0, 0)]),
            ])
            .await
            .unwrap();
    assert_eq!(answers.len(), 7);
    let a = answers[0].clone().unwrap();
    match &answers[1] {
        Err(OrderRejection::InsufficientStock(s)) => assert_eq!((s.available, s.wanted), (1, 2)),
        other => panic!("{other:?}"),
    }
    assert!(answers[2].is_ok());
    let replay = answers[3].clone().unwrap();
    assert!(replay.replayed && replay.id == a.id);
    let field = |i: usize| match &answers[i] {
        Err(OrderRejection::Invalid(e)) => e.field,
        other => panic!("{other:?}"),
    };
    assert_eq!((field(4), field(5), field(6)), ("request_key", "lines", "quantity"));
    assert_eq!(f.stock(0).await, 0);
    let all = f.t.store.orders(f.shop, &OrderFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2, "refused orders leave nothing");
}

#[tokio::test]
async fn an_unknown_sku_or_a_discount_above_the_subtotal_is_refused_without_a_trace() {
    let f = fixture(&[3], 1).await;
    let mut o = f.order(0, "x", &[(0, 1)]);
    o.lines.push(NewOrderLine { sku: SkuId(9999), quantity: 1, unit_price: Fen(1) });
    assert!(matches!(f.place(o).await, Err(OrderRejection::UnknownSku { line: 1, .. })));
    let mut o = f.order(0, "y", &[(0, 1)]);
    o.discount = Fen(1001);
    assert!(matches!(f.place(o).await, Err(OrderRejection::Invalid(e)) if e.field == "discount"));
    assert_eq!((f.stock(0).await, f.ledger_len(0).await), (3, 1));
}

#[tokio::test]
async fn paying_sells_the_hold_once_and_a_second_payment_is_refused_without_a_row() {
    let f = fixture(&[5], 1).await;
    let o = f.place(f.order(0, "p", &[(0, 2)])).await.unwrap();
    // a declined attempt is recorded and leaves the order unpaid
    let declined = f.pay(&o, false).await.unwrap();
    assert_eq!(declined.status, OrderStatus::PendingPayment);
    let paid = f.pay(&o, true).await.unwrap();
    assert_eq!((paid.status, paid.stock, paid.paid_at), (OrderStatus::Paid, StockState::Sold, Some(T0)));
    assert_eq!(f.stock(0).await, 3, "sellable stock does not move again on payment");
    let reasons: Vec<_> =
        f.t.store.sku_ledger(f.shop, f.skus[0], None, 10).await.unwrap().iter().map(|e| (e.reason, e.delta)).collect();
    assert_eq!(reasons[..2], [(StockReason::Sale, -2), (StockReason::Release, 2)]);
    assert_eq!(f.pay(&o, true).await.unwrap_err(), PaymentRefusal::AlreadyPaid);
    let payments = f.t.store.payments(f.shop, o.id).await.unwrap();
    assert_eq!(payments.iter().map(|p| p.succeeded).collect::<Vec<_>>(), [false, true]);
    // a wrong amount is refused too
    let o2 = f.place(f.order(0, "p2", &[(0, 1)])).await.unwrap();
    let wrong = NewPayment {
        order: o2.id,
        provider: "sandbox".into(),
        reference: "r".into(),
        amount: Fen(1),
        succeeded: true,
        message: String::new(),
        actor: OrderActor::Buyer(o2.buyer),
    };
    let refused = f.t.store.record_payment(f.shop, &wrong).await.unwrap().unwrap_err();
    assert_eq!(refused, PaymentRefusal::AmountMismatch { expected: Fen(1000), got: Fen(1) });
}

#[tokio::test]
async fn cancelling_gives_stock_and_coupon_back_exactly_once() {
    let f = fixture(&[5], 2).await;
    let coupon = NewPromotion {
        shop: f.shop,
        show: None,
        kind: "coupon".into(),
        name: "券".into(),
        starts_at: T0,
        ends_at: T0.plus_secs(3600),
        budget: None,
        rule: json!({}),
        coupon: Some(CouponLimits { total: 10, per_buyer: 1 }),
    };
    let coupon = f.t.store.create_promotion(&coupon).await.unwrap();
    let ClaimOutcome::Claimed { claim_id } = f.t.store.claim_coupon(coupon, f.buyers[0], T0).await.unwrap() else {
        panic!()
    };
    // someone else's claim is refused, and nothing moves
    let mut stolen = f.order(1, "s", &[(0, 1)]);
    stolen.claim = Some(claim_id);
    assert_eq!(f.place(stolen).await.unwrap_err(), OrderRejection::ClaimNotUsable(claim_id));
    assert_eq!(f.stock(0).await, 5);

    let mut o = f.order(0, "c", &[(0, 2)]);
    o.claim = Some(claim_id);
    o.discount = Fen(500);
    let o = f.place(o).await.unwrap();
    assert_eq!(o.total, Fen(1500));
    assert!(f.t.store.unused_claims(f.buyers[0]).await.unwrap().is_empty());
    let mut again = f.order(0, "c2", &[(0, 1)]);
    again.claim = Some(claim_id);
    assert_eq!(f.place(again).await.unwrap_err(), OrderRejection::ClaimNotUsable(claim_id), "a claim is used once");

    let cancelled = f.cancel(&o).await.unwrap();
    assert_eq!((cancelled.status, cancelled.stock), (OrderStatus::Cancelled, StockState::Released));
    assert_eq!(f.stock(0).await, 5);
    assert_eq!(f.t.store.unused_claims(f.buyers[0]).await.unwrap().len(), 1, "the coupon comes back");
    let entries = f.ledger_len(0).await;
    assert_eq!(f.cancel(&o).await.unwrap_err().field, "status");
    assert_eq!(f.pay(&o, true).await.unwrap_err(), PaymentRefusal::NotPayable(OrderStatus::Cancelled));
    assert_eq!((f.stock(0).await, f.ledger_len(0).await), (5, entries));
    // not the buyer's own order
    let theirs = f.place(f.order(1, "t", &[(0, 1)])).await.unwrap();
    let wrong =
        f.t.store
            .transition(f.shop, theirs.id, OrderStatus::Cancelled, OrderActor::Buyer(f.buyers[0]), "")
            .await
            .unwrap();
    assert_eq!(wrong.unwrap_err().field, "order");
}

#[tokio::test]
async fn unpaid_orders_expire_on_the_clock_and_give_their_stock_back() {
    let f = fixture(&[4], 2).await;
    let early = f.place(f.order(0, "e1", &[(0, 1)])).await.unwrap();
    let mut later = f.order(1, "e2", &[(0, 2)]);
    later.expires_at = T0.plus_secs(30 * 60);
    let later = f.place(later).await.unwrap();
    assert!(f.t.store.expire_unpaid(T0.plus_secs(15 * 60 - 1)).await.unwrap().is_empty());
    f.t.clock.advance_secs(15 * 60);
    assert_eq!(f.pay(&early, true).await.unwrap_err(), PaymentRefusal::Expired, "its time ran out");
    let expired = f.t.store.expire_unpaid(f.t.clock.now()).await.unwrap();
    assert_eq!(expired.iter().map(|o| o.id).collect::<Vec<_>>(), [early.id]);
    assert_eq!(f.stock(0).await, 2);
    let history = f.t.store.order_transitions(f.shop, early.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.to, last.party, last.user), (OrderStatus::Cancelled, zhibo_domain::order::Party::System, None));
    assert!(f.t.store.expire_unpaid(f.t.clock.now()).await.unwrap().is_empty(), "once only");
    f.pay(&later, true).await.unwrap();
    assert!(f.t.store.expire_unpaid(T0.plus_secs(3600)).await.unwrap().is_empty(), "a paid order never expires");
}

#[tokio::test]
async fn a_flash_sale_order_moves_no_stock_when_placed_and_returns_its_unit_when_cancelled() {
    let f = fixture(&[10], 1).await;
    // the sale took its units earlier
    let change = StockChange::parse(f.skus[0], "reservation", -3, "秒杀预占").unwrap();
    f.t.store.apply_stock_change(f.shop, &change, None).await.unwrap().unwrap();
    let mut o = f.order(0, "flash-1", &[(0, 1)]);
    o.stock = StockSource::AlreadyReserved;
    o.source = OrderSource::FlashSale(FlashSaleId(7));
    let o = f.place(o).await.unwrap();
    assert_eq!((o.source, f.stock(0).await), (OrderSource::FlashSale(FlashSaleId(7)), 7));
    f.cancel(&o).await.unwrap();
    assert_eq!(f.stock(0).await, 8);
}

#[tokio::test]
async fn the_shop_ships_with_a_tracking_number_and_a_refund_after_shipping_moves_no_stock() {
    let f = fixture(&[5], 1).await;
    let staff = OrderActor::Staff(f.staff);
    let o = f.place(f.order(0, "s", &[(0, 1)])).await.unwrap();
    f.pay(&o, true).await.unwrap();
    let bad = f.t.store.transition(f.shop, o.id, OrderStatus::Shipped, staff, "x").await.unwrap();
    assert_eq!(bad.unwrap_err().field, "tracking_number");
    let by_buyer =
        f.t.store.transition(f.shop, o.id, OrderStatus::Shipped, OrderActor::Buyer(o.buyer), "SF123456").await;
    assert_eq!(by_buyer.unwrap().unwrap_err().field, "status");
    let shipped = f.t.store.transition(f.shop, o.id, OrderStatus::Shipped, staff, "SF1234567").await.unwrap().unwrap();
    assert_eq!((shipped.tracking_number.as_deref(), shipped.stock), (Some("SF1234567"), StockState::Shipped));
    let refunded = f.t.store.transition(f.shop, o.id, OrderStatus::Refunded, staff, "破损").await.unwrap().unwrap();
    assert_eq!((refunded.status, refunded.stock), (OrderStatus::Refunded, StockState::Shipped));
    assert_eq!(f.stock(0).await, 4);
    // refunded while still in the warehouse: the unit comes back
    let o2 = f.place(f.order(0, "s2", &[(0, 1)])).await.unwrap();
    f.pay(&o2, true).await.unwrap();
    f.t.store.transition(f.shop, o2.id, OrderStatus::Refunded, staff, "缺货").await.unwrap().unwrap();
    assert_eq!(f.stock(0).await, 4);
    let history = f.t.store.order_transitions(f.shop, o.id).await.unwrap();
    let path: Vec<_> = history.iter().map(|h| h.to).collect();
    assert_eq!(path, [OrderStatus::PendingPayment, OrderStatus::Paid, OrderStatus::Shipped, OrderStatus::Refunded]);
    assert_eq!(history[3].user, Some(f.staff));
}

#[tokio::test]
async fn the_list_filters_by_show_status_product_time_and_pages() {
    let f = fixture(&[20], 2).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        f.t.clock.advance_secs(60);
        let mut o = f.order(i % 2, &format!("f{i}"), &[(0, 1)]);
        if i == 4 {
            o.show = None;
        }
        ids.push(f.place(o).await.unwrap());
    }
    f.pay(&ids[1], true).await.unwrap();
    let list = |filter: OrderFilter| {
        let store = f.t.store.clone();
        let shop = f.shop;
        async move { store.orders(shop, &filter).await.unwrap().iter().map(|o| o.id).collect::<Vec<OrderId>>() }
    };
    assert_eq!(list(OrderFilter::default()).await, ids.iter().rev().map(|o| o.id).collect::<Vec<_>>());
    assert_eq!(list(OrderFilter { show: Some(f.show), ..Default::default() }).await.len(), 4);
    assert_eq!(list(OrderFilter { status: Some(OrderStatus::Paid), ..Default::default() }).await, [ids[1].id]);
    assert_eq!(list(OrderFilter { buyer: Some(f.buyers[1]), ..Default::default() }).await, [ids[3].id, ids[1].id]);
    assert_eq!(list(OrderFilter { product: Some(f.product), ..Default::default() }).await.len(), 5);
    assert!(list(OrderFilter { product: Some(ProductId(999)), ..Default::default() }).await.is_empty());
    let window = OrderFilter { from: Some(ids[1].created_at), to: Some(ids[3].created_at), ..Default::default() };
    assert_eq!(list(window.clone()).await, [ids[2].id, ids[1].id]);
    assert_eq!(f.t.store.count_orders(f.shop, &window).await.unwrap(), 2);
    assert_eq!(list(OrderFilter { offset: 1, limit: 2, ..Default::default() }).await, [ids[3].id, ids[2].id]);
    assert_eq!(f.t.store.count_orders(f.shop, &OrderFilter { limit: 1, ..Default::default() }).await.unwrap(), 5);
}

#[tokio::test]
async fn a_cart_keeps_quantities_per_show_in_the_order_added() {
    let f = fixture(&[5, 5], 1).await;
    let (b, s) = (f.buyers[0], f.show);
    f.t.store.set_cart_quantity(b, s, f.skus[1], 2).await.unwrap();
    f.t.store.set_cart_quantity(b, s, f.skus[0], 1).await.unwrap();
    f.t.store.set_cart_quantity(b, s, f.skus[1], 3).await.unwrap();
    let cart = f.t.store.cart(b, s).await.unwrap();
    assert_eq!(cart.iter().map(|c| (c.sku, c.quantity)).collect::<Vec<_>>(), [(f.skus[1], 3), (f.skus[0], 1)]);
    f.t.store.set_cart_quantity(b, s, f.skus[1], 0).await.unwrap();
    assert_eq!(f.t.store.cart(b, s).await.unwrap().len(), 1);
    f.t.store.clear_cart(b, s).await.unwrap();
    assert!(f.t.store.cart(b, s).await.unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_buyers_never_take_more_than_there_is() {
    let f = fixture(&[7], 20).await;
    let f = Arc::new(f);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move { f.place(f.order(i, &format!("r{i}"), &[(0, 1)])).await.is_ok() }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!((won, f.stock(0).await), (7, 0));
}

// ------------------------------------------------ random interleavings

#[derive(Debug, Clone)]
enum Op {
    /// buyer, key number, lines (sku index, quantity)
    Place(usize, u8, Vec<(usize, u32)>),
    /// the n-th acknowledged order (modulo how many there are)
    Pay(usize),
    Cancel(usize),
    Ship(usize),
    Refund(usize),
    /// move the clock this many minutes, then sweep
    Expire(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 0u8..6, proptest::collection::vec((0usize..3, 1u32..4), 1..3))
            .prop_map(|(b, k, l)| Op::Place(b, k, l)),
        3 => (0usize..64).prop_map(Op::Pay),
        2 => (0usize..64).prop_map(Op::Cancel),
        1 => (0usize..64).prop_map(Op::Ship),
        1 => (0usize..64).prop_map(Op::Refund),
        2 => (0u8..20).prop_map(Op::Expire),
    ]
}

const INITIAL: [i64; 3] = [4, 6, 3];

/// sold + held + remaining == initial for every SKU, stock never negative,
/// and every acknowledged order reads back as the model says.
async fn check_books(f: &Fixture, acknowledged: &BTreeMap<OrderId, OrderStatus>) {
    let all = f.t.store.orders(f.shop, &OrderFilter { limit: 10_000, ..Default::default() }).await.unwrap();
    let by_id: BTreeMap<OrderId, &OrderRecord> = all.iter().map(|o| (o.id, o)).collect();
    for (id, status) in acknowledged {
        let o = by_id.get(id).unwrap_or_else(|| panic!("acknowledged order {id} is lost"));
        assert_eq!(o.status, *status, "order {id}");
    }
    assert_eq!(by_id.len(), acknowledged.len(), "no order the model does not know");
    for (i, &initial) in INITIAL.iter().enumerate() {
        let sku = f.skus[i];
        let mut out = 0i64;
        for o in &all {
            if matches!(o.stock, StockState::Held | StockState::Sold | StockState::Shipped) {
                out += o.lines.iter().filter(|l| l.sku == sku).map(|l| i64::from(l.quantity)).sum::<i64>();
            }
        }
        let remaining = f.stock(i).await;
        assert!(remaining >= 0);
        assert_eq!(out + remaining, initial, "sku {i}: sold + held + remaining");
        let ledger: i64 = f.t.store.sku_ledger(f.shop, sku, None, 10_000).await.unwrap().iter().map(|e| e.delta).sum();
        assert_eq!(ledger, remaining, "sku {i}: stock is the sum of its ledger");
    }
}

async fn run_ops(ops: Vec<Op>) {
    let f = fixture(&INITIAL, 3).await;
    let staff = OrderActor::Staff(f.staff);
    let mut acknowledged: BTreeMap<OrderId, OrderStatus> = BTreeMap::new();
    let mut order_ids: Vec<OrderId> = Vec::new();
    for op in ops {
        let pick = |n: usize| (!order_ids.is_empty()).then(|| order_ids[n % order_ids.len()]);
        match op {
            Op::Place(buyer, key, lines) => {
                let mut o = f.order(buyer, &format!("k{key}"), &lines);
                o.expires_at = f.t.clock.now().plus_secs(15 * 60);
                if let Ok(placed) = f.place(o).await {
                    if !placed.replayed {
                        order_ids.push(placed.id);
                    }
                    let known = acknowledged.insert(placed.id, placed.status);
                    assert_eq!(known.is_some(), placed.replayed);
                }
            }
            Op::Pay(n) | Op::Cancel(n) | Op::Ship(n) | Op::Refund(n) => {
                let Some(id) = pick(n) else { continue };
                let o = f.t.store.order(f.shop, id).await.unwrap().unwrap();
                let done = match op {
                    Op::Pay(_) => f.pay(&o, true).await.ok(),
                    Op::Cancel(_) => f.cancel(&o).await.ok(),
                    Op::Ship(_) => {
                        f.t.store.transition(f.shop, id, OrderStatus::Shipped, staff, "YT00000001").await.unwrap().ok()
                    }
                    _ => f.t.store.transition(f.shop, id, OrderStatus::Refunded, staff, "").await.unwrap().ok(),
                };
                if let Some(o) = done {
                    acknowledged.insert(id, o.status);
                }
            }
            Op::Expire(minutes) => {
                f.t.clock.advance_secs(i64::from(minutes) * 60);
                for o in f.t.store.expire_unpaid(f.t.clock.now()).await.unwrap() {
                    assert_eq!(acknowledged.insert(o.id, o.status), Some(OrderStatus::PendingPayment));
                }
            }
        }
        check_books(&f, &acknowledged).await;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_interleavings_never_oversell_or_lose_an_order(ops in proptest::collection::vec(op(), 1..30)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run_ops(ops));
    }
}

/// A promotion row of the fixture's shop with `budget` (the store reads
/// only its columns, not the rule).
async fn promotion(f: &Fixture, kind: &str, name: &str, budget: Option<i64>) -> i64 {
    let p = NewPromotion {
        shop: f.shop,
        show: None,
        kind: kind.into(),
        name: name.into(),
        starts_at: T0,
        ends_at: T0.plus_secs(3600),
        budget: budget.map(Fen),
        rule: json!({}),
        coupon: None,
    };
    f.t.store.create_promotion(&p).await.unwrap()
}

async fn spent(f: &Fixture, promotion: i64) -> i64 {
    f.t.store.promotion(promotion).await.unwrap().unwrap().spent.0
}

fn spends(list: &[(i64, i64)]) -> OrderExtras {
    OrderExtras {
        gifts: Vec::new(),
        spends: list.iter().map(|&(promotion, amount)| BudgetSpend { promotion, amount: Fen(amount) }).collect(),
    }
}

#[tokio::test]
async fn gift_lines_are_price_zero_lines_whose_stock_is_reserved_and_released_with_the_order() {
    let f = fixture(&[5, 2], 1).await;
    let gift = promotion(&f, "gift", "买就送", None).await;
    let extras =
        OrderExtras { gifts: vec![NewGiftLine { sku: f.skus[1], quantity: 1, promotion: gift }], spends: Vec::new() };
    let placed = f.t.store.place_checkout(f.order(0, "g1", &[(0, 2)]), extras.clone()).await.unwrap().unwrap();
    assert_eq!(placed.lines.len(), 2);
    let g = &placed.lines[1];
    assert_eq!((g.sku, g.quantity, g.unit_price, g.gift), (f.skus[1], 1, Fen(0), Some(gift)));
    assert_eq!(placed.lines[0].gift, None);
    assert_eq!((placed.subtotal, placed.total), (Fen(2000), Fen(2000)), "a gift costs the buyer nothing");
    assert_eq!((f.stock(0).await, f.stock(1).await), (3, 1), "the gift's unit is reserved too");
    assert_eq!(f.t.store.order(f.shop, placed.id).await.unwrap().unwrap(), placed);
    let ledger = f.t.store.sku_ledger(f.shop, f.skus[1], None, 10).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta), (StockReason::Reservation, -1));

    // more gift units than are left: the whole order is refused, nothing moves
    let greedy =
        OrderExtras { gifts: vec![NewGiftLine { sku: f.skus[1], quantity: 2, promotion: gift }], spends: Vec::new() };
    match f.t.store.place_checkout(f.order(0, "g2", &[(0, 1)]), greedy).await.unwrap() {
        Err(OrderRejection::InsufficientStock(s)) => assert_eq!((s.sku, s.available, s.wanted), (f.skus[1], 1, 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!((f.stock(0).await, f.stock(1).await), (3, 1));
    // an unknown gift SKU names the line after the bought ones
    let unknown =
        OrderExtras { gifts: vec![NewGiftLine { sku: SkuId(9999), quantity: 1, promotion: gift }], spends: Vec::new() };
    let r = f.t.store.place_checkout(f.order(0, "g3", &[(0, 1)]), unknown).await.unwrap();
    assert!(matches!(r, Err(OrderRejection::UnknownSku { line: 1, .. })), "{r:?}");

    // cancelling gives the gift back with the bought units
    let cancelled = f.cancel(&placed).await.unwrap();
    assert_eq!(cancelled.stock, StockState::Released);
    assert_eq!((f.stock(0).await, f.stock(1).await), (5, 2));
    // paying sells the gift too; the sale nets to zero on sellable stock
    let again = f.t.store.place_checkout(f.order(0, "g4", &[(0, 1)]), extras).await.unwrap().unwrap();
    f.pay(&again, true).await.unwrap();
    assert_eq!((f.stock(0).await, f.stock(1).await), (4, 1));
    let ledger = f.t.store.sku_ledger(f.shop, f.skus[1], None, 10).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta), (StockReason::Sale, -1));
}

#[tokio::test]
async fn checkout_draws_budgets_down_in_its_transaction_and_cancelling_or_expiry_gives_them_back() {
    let f = fixture(&[20], 2).await;
    let capped = promotion(&f, "full_reduction", "满减", Some(1000)).await;
    let open = promotion(&f, "quantity_discount", "满件折", None).await;

    let a = f.t.store.place_checkout(f.order(0, "a", &[(0, 1)]), spends(&[(capped, 600), (open, 50)])).await;
    let a = a.unwrap().unwrap();
    assert_eq!((spent(&f, capped).await, spent(&f, open).await), (600, 50));
    let mut mine = f.t.store.order_spends(f.shop, a.id).await.unwrap();
    mine.sort_by_key(|s| s.promotion);
    assert_eq!(
        mine,
        vec![BudgetSpend { promotion: capped, amount: Fen(600) }, BudgetSpend { promotion: open, amount: Fen(50) }]
    );

    // 400 left, 500 needed: refused, and neither the stock nor any budget moves
    let r = f.t.store.place_checkout(f.order(1, "b", &[(0, 1)]), spends(&[(open, 70), (capped, 300), (capped, 200)]));
    match r.await.unwrap() {
        Err(OrderRejection::BudgetSpent { promotion, name, left, needed }) => {
            assert_eq!((promotion, name.as_str(), left, needed), (capped, "满减", Fen(400), Fen(500)));
            let text = OrderRejection::BudgetSpent { promotion, name, left, needed }.to_string();
            assert!(text.contains("满减") && text.contains("budget"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((spent(&f, capped).await, spent(&f, open).await, f.stock(0).await), (600, 50, 19));
    // exactly what is left is fine
    let b = f.t.store.place_checkout(f.order(1, "b2", &[(0, 1)]), spends(&[(capped, 400)])).await.unwrap().unwrap();
    assert_eq!(spent(&f, capped).await, 1000);
    // a replay spends nothing more
    let replay = f.t.store.place_checkout(f.order(1, "b2", &[(0, 1)]), spends(&[(capped, 400)])).await.unwrap();
    assert!(replay.unwrap().replayed);
    assert_eq!(spent(&f, capped).await, 1000);

    // the buyer cancels: the budgets get it back, once
    f.cancel(&a).await.unwrap();
    assert_eq!((spent(&f, capped).await, spent(&f, open).await), (400, 0));
    assert!(f.cancel(&a).await.is_err());
    assert_eq!(spent(&f, capped).await, 400);

    // the unpaid timeout gives it back too
    f.t.clock.advance_secs(16 * 60);
    let expired = f.t.store.expire_unpaid(f.t.clock.now()).await.unwrap();
    assert_eq!(expired.iter().map(|o| o.id).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(spent(&f, capped).await, 0);

    // a refund keeps the spend: the discount was given
    let mut c = f.order(0, "c", &[(0, 1)]);
    c.expires_at = f.t.clock.now().plus_secs(600);
    let c = f.t.store.place_checkout(c, spends(&[(capped, 300)])).await.unwrap().unwrap();
    let c = f.pay(&c, true).await.unwrap();
    let refunded = f.t.store.transition(f.shop, c.id, OrderStatus::Refunded, OrderActor::Staff(f.staff), "退款");
    assert_eq!(refunded.await.unwrap().unwrap().status, OrderStatus::Refunded);
    assert_eq!(spent(&f, capped).await, 300);

    // another shop's promotion is not this order's to spend
    let other = f.t.store.create_shop("别家", &ShopSettings::default()).await.unwrap();
    let record = NewPromotion {
        shop: other,
        show: None,
        kind: "full_reduction".into(),
        name: "别家满减".into(),
        starts_at: T0,
        ends_at: T0.plus_secs(3600),
        budget: None,
        rule: json!({}),
        coupon: None,
    };
    let theirs = f.t.store.create_promotion(&record).await.unwrap();
    let r = f.t.store.place_checkout(f.order(0, "d", &[(0, 1)]), spends(&[(theirs, 10)])).await.unwrap();
    assert!(matches!(r, Err(OrderRejection::Invalid(ref e)) if e.field == "spends"), "{r:?}");
    assert_eq!(spent(&f, theirs).await, 0);
}
