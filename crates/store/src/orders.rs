//! 订单 as the store sees them: carts, orders with their lines, every
//! status change with who made it, payments, and the [`OrderStore`] trait.
//!
//! What the store guarantees, whatever races:
//!
//! - **Placing is atomic per order, batched per call.** [`OrderStore::place_orders`]
//!   writes a whole batch in ONE `BEGIN IMMEDIATE` transaction (a flash sale
//!   group-commits many wins through it), yet judges each order on its own:
//!   an order refused for stock or a coupon leaves no trace and does not
//!   stop the others. Nothing of the batch is acknowledged before the commit.
//! - **Replays find the first order.** `(buyer, request_key)` is unique: an
//!   order whose key exists answers the existing order with
//!   [`OrderRecord::replayed`] set, and moves no stock.
//! - **Stock comes from and returns to the ledger once.** An order placed
//!   with [`StockSource::Reserve`] takes its units as `reservation` entries;
//!   [`StockSource::AlreadyReserved`] means the caller (a flash sale) took
//!   them from the ledger earlier. Either way the order then holds them
//!   ([`StockState::Held`]); payment turns the hold into a sale (a
//!   `release` and a `sale` entry, net zero on sellable stock); cancelling,
//!   expiring or refunding before shipment gives them back as one `release`
//!   entry per line. A flash-sale order's units go back to the general
//!   stock too: by then the sale is over, or the sale keeps its own count.
//! - **Transitions follow the domain's table** ([`OrderStatus::check_move`])
//!   and each is a row of `order_transitions`, in the same transaction as
//!   the status and the stock it moves.
//! - **One successful payment per order**: a second is refused and writes
//!   no row.
//! - **Budgets are drawn down with the order.** [`OrderStore::place_checkout`]
//!   adds what the order costs each promotion (its discount, a gift's cost)
//!   to the promotion's `spent` in the order's transaction, refusing the
//!   order if a budget has not enough left; cancelling gives it back
//!   (`order_promotion_spend`, migration 0012). Its gift lines (price 0)
//!   reserve and release stock like the bought ones.
//!
//! Events for the room's log are the caller's job, after the commit: the
//! store never waits on the log and the log never waits on an order.

use std::fmt;

use async_trait::async_trait;
use zhibo_domain::order::{OrderActor, OrderSource, OrderStatus, Party, ShippingAddress};
use zhibo_domain::stock::InsufficientStock;
use zhibo_domain::{DomainError, Fen, OrderId, ProductId, RoomId, ShopId, SkuId, Timestamp, UserId};

use crate::Result;

/// One line of an order to place: `quantity` units of `sku` at
/// `unit_price` (the price before order-level discounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderLine {
    pub sku: SkuId,
    pub quantity: u32,
    pub unit_price: Fen,
}

/// Where an order's units come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockSource {
    /// Take them from the ledger now (`reservation` entries); refused with
    /// [`OrderRejection::InsufficientStock`] when a SKU is short.
    Reserve,
    /// The caller (a flash sale) took them from the ledger earlier; the
    /// store moves nothing when placing.
    AlreadyReserved,
}

/// An order to place. Money is already priced by the caller (the pricing
/// engine); the store checks only that it adds up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub shop: ShopId,
    pub show: Option<RoomId>,
    pub buyer: UserId,
    pub lines: Vec<NewOrderLine>,
    /// Order-level discount: subtotal − discount is what the buyer pays.
    pub discount: Fen,
    /// A coupon claim (`coupon_claims.id`) of the buyer to use up.
    pub claim: Option<i64>,
    pub address: ShippingAddress,
    pub source: OrderSource,
    /// The caller's idempotency key, unique per buyer (1 to 128 printable
    /// ASCII characters).
    pub request_key: String,
    /// When an unpaid order gives its stock back.
    pub expires_at: Timestamp,
    pub stock: StockSource,
}

/// A gift (赠品) the pricing engine granted: an order line at price 0 whose
/// units are reserved and released like any other line's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewGiftLine {
    pub sku: SkuId,
    pub quantity: u32,
    /// The gift promotion that granted it.
    pub promotion: i64,
}

/// What one promotion or coupon (a `promotions` row) costs the shop on
/// this order: the discount it gave, or what a gift costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetSpend {
    pub promotion: i64,
    pub amount: Fen,
}

/// What a checkout order carries beyond a [`NewOrder`]: its gift lines and
/// what it spends of promotion budgets. Both are written in the order's
/// own transaction ([`OrderStore::place_checkout`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderExtras {
    pub gifts: Vec<NewGiftLine>,
    /// At most one entry per promotion; entries of 0 are ignored.
    pub spends: Vec<BudgetSpend>,
}

/// Why one order of a batch was not placed. Nothing of it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRejection {
    /// A line's SKU is short (the first short one).
    InsufficientStock(InsufficientStock),
    /// Line `line` names a SKU the shop does not have.
    UnknownSku { line: usize, sku: SkuId },
    /// The claim is not the buyer's, is another shop's, or is used.
    ClaimNotUsable(i64),
    /// The order itself is wrong (no lines, a quantity out of range, a
    /// discount above the subtotal, a bad request key); the error names
    /// the field.
    Invalid(DomainError),
    /// A promotion's budget has not `needed` left (another order spent it
    /// first); pricing again leaves the promotion out.
    BudgetSpent { promotion: i64, name: String, left: Fen, needed: Fen },
}

impl fmt::Display for OrderRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderRejection::InsufficientStock(e) => e.fmt(f),
            OrderRejection::UnknownSku { line, sku } => {
                write!(f, "第{}行：本店没有SKU {sku} / line {line}: no SKU {sku} in this shop", line + 1)
            }
            OrderRejection::ClaimNotUsable(claim) => {
                write!(
                    f,
                    "优惠券 {claim} 不可用（不是你的或已使用） / coupon claim {claim} is not yours or already used"
                )
            }
            OrderRejection::Invalid(e) => e.fmt(f),
            OrderRejection::BudgetSpent { promotion, name, left, needed } => write!(
                f,
                "活动「{name}」（#{promotion}）预算已不足（剩{left}，本单需{needed}），请重新计价 / \
                 the budget of promotion \"{name}\" (#{promotion}) is used up ({left} left, this order needs {needed}): price the cart again"
            ),
        }
    }
}

/// Where the units an order took from the ledger are now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockState {
    /// Reserved for an unpaid order.
    Held,
    /// Paid: sold, still in the warehouse.
    Sold,
    /// Given back to the ledger (cancelled, expired, refunded before shipping).
    Released,
    /// Left with the parcel.
    Shipped,
}

impl StockState {
    pub fn as_str(self) -> &'static str {
        match self {
            StockState::Held => "held",
            StockState::Sold => "sold",
            StockState::Released => "released",
            StockState::Shipped => "shipped",
        }
    }

    pub fn parse(text: &str) -> Option<StockState> {
        [StockState::Held, StockState::Sold, StockState::Released, StockState::Shipped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A stored order line, with the product as it was when ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineRecord {
    pub sku: SkuId,
    pub product: ProductId,
    pub product_title: String,
    /// `颜色=红, 尺码=M`; empty for a SKU without specs.
    pub specs: String,
    pub quantity: u32,
    pub unit_price: Fen,
    /// A gift line (price 0): the promotion that granted it.
    pub gift: Option<i64>,
}

impl OrderLineRecord {
    /// `unit_price × quantity`.
    pub fn base_total(&self) -> Fen {
        Fen(self.unit_price.0.saturating_mul(i64::from(self.quantity)))
    }
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub shop: ShopId,
    pub show: Option<RoomId>,
    pub buyer: UserId,
    pub status: OrderStatus,
    pub stock: StockState,
    pub subtotal: Fen,
    pub discount: Fen,
    pub total: Fen,
    pub claim: Option<i64>,
    pub address: ShippingAddress,
    pub source: OrderSource,
    pub request_key: String,
    pub tracking_number: Option<String>,
    pub lines: Vec<OrderLineRecord>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub shipped_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    /// When it became completed, cancelled or refunded.
    pub closed_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// Set only on an answer of [`OrderStore::place_orders`] that found an
    /// existing order for the same buyer and request key; `false` on every
    /// read.
    pub replayed: bool,
}

impl OrderRecord {
    /// Units of all lines.
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity)).sum()
    }
}

/// One row of an order's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRecord {
    /// `None`: the order was placed.
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
    pub party: Party,
    pub user: Option<UserId>,
    pub note: String,
    pub at: Timestamp,
}

/// A payment attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub order: OrderId,
    /// e.g. `sandbox`.
    pub provider: String,
    /// The provider's reference for the attempt.
    pub reference: String,
    pub amount: Fen,
    /// A failed attempt is recorded and leaves the order unpaid.
    pub succeeded: bool,
    /// The provider's words (a decline reason), may be empty.
    pub message: String,
    /// Who paid: the buyer, or zhibo confirming a provider's callback.
    pub actor: OrderActor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: i64,
    pub order: OrderId,
    pub provider: String,
    pub reference: String,
    pub amount: Fen,
    pub succeeded: bool,
    pub message: String,
    pub at: Timestamp,
}

/// Why a payment was refused. No payment row was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRefusal {
    /// The order has been paid already.
    AlreadyPaid,
    /// The order cannot be paid in its status (cancelled, refunded…).
    NotPayable(OrderStatus),
    /// The unpaid order's time ran out (the sweeper will cancel it).
    Expired,
    /// The amount is not the order's total.
    AmountMismatch { expected: Fen, got: Fen },
    /// The payer is not the order's buyer.
    NotTheBuyer,
}

impl fmt::Display for PaymentRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentRefusal::AlreadyPaid => f.write_str("订单已支付，不能重复支付 / this order is already paid"),
            PaymentRefusal::NotPayable(s) => {
                write!(f, "订单{}，不能支付 / an order that is {} cannot be paid", s.zh(), s.en())
            }
            PaymentRefusal::Expired => f.write_str("订单已超时未支付 / the time to pay this order has run out"),
            PaymentRefusal::AmountMismatch { expected, got } => {
                write!(
                    f,
                    "支付金额{got}与订单金额{expected}不符 / the amount {got} is not the order's total {expected}"
                )
            }
            PaymentRefusal::NotTheBuyer => f.write_str("只有下单的买家可以支付 / only the order's buyer can pay it"),
        }
    }
}

/// Which orders to list; every field narrows. Newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFilter {
    pub show: Option<RoomId>,
    pub status: Option<OrderStatus>,
    pub buyer: Option<UserId>,
    /// Orders with a line of this product.
    pub product: Option<ProductId>,
    /// The order placed with this request key (with `buyer`: finds a replay
    /// before pricing it again).
    pub request_key: Option<String>,
    /// Placed at or after.
    pub from: Option<Timestamp>,
    /// Placed before.
    pub to: Option<Timestamp>,
    pub offset: u32,
    /// At most this many (capped at [`OrderFilter::MAX_LIMIT`]).
    pub limit: u32,
}

impl OrderFilter {
    pub const MAX_LIMIT: u32 = 10_000;
}

impl Default for OrderFilter {
    fn default() -> Self {
        OrderFilter {
            show: None,
            status: None,
            buyer: None,
            product: None,
            request_key: None,
            from: None,
            to: None,
            offset: 0,
            limit: 50,
        }
    }
}

/// One SKU in a buyer's cart for a show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartItem {
    pub sku: SkuId,
    pub quantity: u32,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Places a batch of orders in ONE `BEGIN IMMEDIATE` transaction, each
    /// judged on its own: the answer has one entry per order, in order.
    /// `Err` only when the transaction itself failed; then nothing of the
    /// batch is stored.
    async fn place_orders(&self, orders: Vec<NewOrder>) -> Result<Vec<Result<OrderRecord, OrderRejection>>>;

    /// One order: [`OrderStore::place_orders`] with a batch of one.
    async fn place_order(&self, order: NewOrder) -> Result<Result<OrderRecord, OrderRejection>> {
        let mut answers = self.place_orders(vec![order]).await?;
        answers.pop().ok_or_else(|| crate::StoreError::Corrupt("place_orders answered nothing".into()))
    }

    /// One checkout order with its gift lines (stock reserved with the
    /// bought lines) and its promotion spends, all in one `BEGIN IMMEDIATE`
    /// transaction: each spend is checked against what is left of its
    /// budget and added to `spent`, or the whole order is refused with
    /// [`OrderRejection::BudgetSpent`] and nothing moves. Cancelling the
    /// order later gives the spends back; a refund keeps them (the
    /// discount was given, as a used coupon stays used).
    async fn place_checkout(&self, order: NewOrder, extras: OrderExtras)
    -> Result<Result<OrderRecord, OrderRejection>>;

    /// What an order spent of each promotion's budget, by promotion id.
    async fn order_spends(&self, shop: ShopId, id: OrderId) -> Result<Vec<BudgetSpend>>;

    /// The order if it is this shop's.
    async fn order(&self, shop: ShopId, id: OrderId) -> Result<Option<OrderRecord>>;

    /// The shop's orders matching `filter`, newest first, a page at a time.
    async fn orders(&self, shop: ShopId, filter: &OrderFilter) -> Result<Vec<OrderRecord>>;

    /// How many orders match `filter` (ignoring its offset and limit).
    async fn count_orders(&self, shop: ShopId, filter: &OrderFilter) -> Result<u64>;

    /// An order's history, oldest first; empty for another shop's order.
    async fn order_transitions(&self, shop: ShopId, id: OrderId) -> Result<Vec<TransitionRecord>>;

    /// An order's payment attempts, oldest first.
    async fn payments(&self, shop: ShopId, id: OrderId) -> Result<Vec<PaymentRecord>>;

    /// Moves an order to `to` if the domain's table lets `actor` do it (a
    /// buyer only their own order), moving its stock as the move says, in
    /// one transaction. Shipping needs the tracking number as `note`.
    /// Cancelling gives the buyer's coupon claim and the order's promotion
    /// spends back. `Ok(Err(..))`: not
    /// a legal move, nothing written. [`StoreError::NotFound`](crate::StoreError::NotFound)
    /// for an order that is not the shop's.
    async fn transition(
        &self,
        shop: ShopId,
        order: OrderId,
        to: OrderStatus,
        actor: OrderActor,
        note: &str,
    ) -> Result<Result<OrderRecord, DomainError>>;

    /// Records a payment attempt at the store's clock. A successful one
    /// also moves the order to paid (its stock sold) in the same
    /// transaction; a failed one leaves it pending. `Ok(Err(..))`: refused,
    /// no row written.
    async fn record_payment(
        &self,
        shop: ShopId,
        payment: &NewPayment,
    ) -> Result<Result<(OrderRecord, PaymentRecord), PaymentRefusal>>;

    /// Cancels every unpaid order (of any shop) whose `expires_at` is at or
    /// before `now`, as zhibo, giving its stock and coupon back; at most a
    /// few hundred per call (call again while it returns some). The
    /// cancelled orders, oldest expiry first.
    async fn expire_unpaid(&self, now: Timestamp) -> Result<Vec<OrderRecord>>;

    /// A buyer's cart in a show, in the order SKUs were first added.
    async fn cart(&self, buyer: UserId, show: RoomId) -> Result<Vec<CartItem>>;

    /// Sets one SKU's quantity in the cart; 0 removes it. The caller checks
    /// the SKU is on sale in the show.
    async fn set_cart_quantity(&self, buyer: UserId, show: RoomId, sku: SkuId, quantity: u32) -> Result<()>;

    async fn clear_cart(&self, buyer: UserId, show: RoomId) -> Result<()>;

    /// The buyers of a show whose cart holds something and who placed no
    /// order in the show at or after their cart's last change (加购未下单):
    /// whom the live room's cart nudge reminds. By buyer id.
    async fn waiting_carts(&self, show: RoomId) -> Result<Vec<WaitingCart>>;
}

/// A buyer's cart in a show that is waiting for an order
/// ([`OrderStore::waiting_carts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingCart {
    pub buyer: UserId,
    /// Units over all the cart's SKUs.
    pub units: u64,
    /// The latest `updated_at` of the cart's lines.
    pub changed_at: Timestamp,
}
