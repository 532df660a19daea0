//! The flash sale (秒杀) engine: pure rules, no I/O, owned by the room task.
//!
//! A sale is opened for one SKU of a lineup product with a price, a
//! quantity, a per-buyer limit, a start (now or after a countdown) and an
//! optional end. At open the whole quantity was already taken from the
//! stock ledger (a `reservation` entry), so deciding an attempt never needs
//! the database: the room task calls [`FlashSale::attempt`] in the order
//! attempts arrive, and because it owns this value alone, no two attempts
//! are ever judged at once. That makes "exactly min(attempts, quantity)
//! win" a property of this single-threaded code, which the property tests
//! below check; there is no interleaving for loom or shuttle to explore.
//!
//! A won attempt is *pending* until its order and its `flash_sale.sold`
//! event are committed ([`FlashSale::committed`]); a failed commit gives its
//! units back ([`FlashSale::failed`]). At every moment
//! `sold + pending + remaining == quantity`.
//!
//! Replays: a buyer's `request` id is remembered with its answer, so sending
//! the same request again answers the same result and never buys twice.
//! Wins are always remembered (there are at most `quantity` of them);
//! refusals up to [`REMEMBERED_REFUSALS`] per sale, after which a replayed
//! refusal is judged again (a sold-out sale refuses it again anyway).
//!
//! The buyers' books (units taken, remembered answers) are kept on the
//! sale's [`board::SaleBoard`], which the room shares with its
//! connections so they can answer final refusals and replays themselves
//! (see [`board`]); deciding a win stays here, on the room task alone.
//! [`wire`] reads the hot message, `flash_buy`, without the general
//! parser's copies.
//!
//! The same module holds the data-facing types the room exchanges with
//! [`crate::RoomData`] (what to open, what won, what a restart reloads) and
//! the frames viewers and consoles get.

use serde::Serialize;
use std::sync::Arc;
use zhibo_domain::event::Actor;
use zhibo_domain::order::ShippingAddress;
use zhibo_domain::{Fen, FlashSaleId, OrderId, ProductId, SkuId, Timestamp, UserId};

use crate::protocol::{ClientMessage, ErrorCode, ProtocolError};

pub mod board;
pub mod wire;

pub use board::{FlashBoards, SaleBoard};

/// Most units one sale may offer.
pub const MAX_QUANTITY: u32 = 100_000;
/// Longest countdown before a sale starts (a day).
pub const MAX_COUNTDOWN_SECS: u32 = 24 * 60 * 60;
/// Longest a sale may run when it has an end (a day).
pub const MAX_DURATION_SECS: u32 = 24 * 60 * 60;
/// Longest request id a buyer may send.
pub const MAX_REQUEST_CHARS: usize = 64;
/// Refusals remembered for replay per sale.
pub const REMEMBERED_REFUSALS: usize = 200_000;

/// The delivery address a buyer sends with `flash_buy`: the viewer page
/// asks for it before the sale, so a win is a complete order at once and
/// deciding never waits on the database for an address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    pub phone: String,
    pub region: String,
    pub detail: String,
}

impl AddressInput {
    /// The checked address; the error names the field as `address.<field>`.
    pub fn parse(&self) -> Result<ShippingAddress, ProtocolError> {
        parse_address([&self.name, &self.phone, &self.region, &self.detail])
    }
}

/// name, phone, region, detail → the checked address.
pub(crate) fn parse_address([name, phone, region, detail]: [&str; 4]) -> Result<ShippingAddress, ProtocolError> {
    ShippingAddress::parse(name, phone, region, detail).map_err(|errors| {
        let field = match errors.first().map(|e| e.field) {
            Some("name") => "address.name",
            Some("phone") => "address.phone",
            Some("region") => "address.region",
            Some("detail") => "address.detail",
            _ => "address",
        };
        let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
        ProtocolError::field(field, message)
    })
}

/// What a console asks for: checked by [`check`] before it reaches the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlashSaleOpen {
    pub product: ProductId,
    pub sku: SkuId,
    pub price: Fen,
    pub quantity: u32,
    pub per_buyer: u32,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    /// The console's account, for the ledger entry.
    pub actor: Option<UserId>,
}

/// A sale as it is stored: what was opened, and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FlashSaleTerms {
    pub sale: FlashSaleId,
    pub product: ProductId,
    pub sku: SkuId,
    pub price: Fen,
    pub quantity: u32,
    pub per_buyer: u32,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
}

/// One committed win, as a restart reloads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashWinRecord {
    pub buyer: UserId,
    pub quantity: u32,
    pub order: OrderId,
    /// The request id the buyer sent, when it is known.
    pub request: Option<String>,
}

/// A sale that has not ended, with what it has sold so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningFlashSale {
    pub terms: FlashSaleTerms,
    pub wins: Vec<FlashWinRecord>,
}

/// What closing a sale did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FlashSaleClosed {
    pub sale: FlashSaleId,
    /// Units sold (committed orders).
    pub sold: u32,
    /// Units given back to sellable stock: quantity − sold.
    pub returned: u32,
}

/// A win to be made durable as an order (pending payment, at the sale's price).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashWin {
    pub sale: FlashSaleId,
    pub address: ShippingAddress,
    pub product: ProductId,
    pub sku: SkuId,
    pub buyer: UserId,
    pub quantity: u32,
    pub price: Fen,
    pub request: String,
}

/// Why an attempt did not win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    NotStarted,
    Ended,
    SoldOut,
    /// Fewer units left than asked for (some are left).
    NotEnoughLeft,
    LimitReached,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotStarted => "秒杀还没开始 / the flash sale has not started",
            Refusal::Ended => "秒杀已结束 / the flash sale has ended",
            Refusal::SoldOut => "已抢光 / sold out",
            Refusal::NotEnoughLeft => "剩余数量不足 / not that many units left",
            Refusal::LimitReached => "已达每人限购数量 / you have reached the per-buyer limit",
        }
    }
}

/// An attempt's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Won, its order not yet committed: the buyer hears once it is.
    Pending {
        quantity: u32,
    },
    /// Won and committed.
    Won {
        quantity: u32,
        order: OrderId,
    },
    Refused(Refusal),
}

/// What [`FlashSale::attempt`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A new win: commit it, then tell the buyer.
    Win { quantity: u32 },
    /// A new refusal, or the remembered answer to a replayed request.
    Answer(Outcome),
}

/// Where a sale is in its life at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    Scheduled,
    Running,
    Ended,
}

/// One sale's hot state. The buyers' books (units taken, remembered
/// answers) live on the sale's [`SaleBoard`], shared with the room's
/// connections so they can answer final refusals themselves
/// ([`board`]); only this value, on the room task, decides wins.
#[derive(Debug)]
pub struct FlashSale {
    terms: FlashSaleTerms,
    board: Arc<SaleBoard>,
    sold: u32,
    pending: u32,
    attempts: u64,
    stopped: bool,
}

impl FlashSale {
    pub fn new(terms: FlashSaleTerms) -> FlashSale {
        let board = Arc::new(SaleBoard::new(terms.clone()));
        FlashSale { terms, board, sold: 0, pending: 0, attempts: 0, stopped: false }
    }

    /// A sale reloaded after a restart: its committed wins count against
    /// the quantity and the buyers' limits, and their requests replay.
    pub fn resume(running: RunningFlashSale) -> FlashSale {
        let mut sale = FlashSale::new(running.terms);
        for win in running.wins {
            sale.sold += win.quantity;
            let mut books = sale.board.books(win.buyer);
            let book = books.entry(win.buyer).or_default();
            book.committed += win.quantity;
            book.taken += win.quantity;
            if let Some(request) = win.request {
                book.answers.insert(request, Outcome::Won { quantity: win.quantity, order: win.order });
            }
        }
        sale.publish();
        sale
    }

    pub fn terms(&self) -> &FlashSaleTerms {
        &self.terms
    }

    pub fn id(&self) -> FlashSaleId {
        self.terms.sale
    }

    /// The view the room's connections read.
    pub fn board(&self) -> &Arc<SaleBoard> {
        &self.board
    }

    /// Units neither sold nor pending.
    pub fn remaining(&self) -> u32 {
        self.terms.quantity.saturating_sub(self.sold + self.pending)
    }

    pub fn sold(&self) -> u32 {
        self.sold
    }

    pub fn pending(&self) -> u32 {
        self.pending
    }

    /// Attempts judged so far, by the room or at the edge (replays not counted).
    pub fn attempts(&self) -> u64 {
        self.attempts + self.board.edge_attempts()
    }

    pub fn state(&self, now: Timestamp) -> SaleState {
        if self.stopped || self.terms.ends_at.is_some_and(|end| now >= end) {
            SaleState::Ended
        } else if now < self.terms.starts_at {
            SaleState::Scheduled
        } else {
            SaleState::Running
        }
    }

    /// Whether it was stopped by hand or by its end (no more wins).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Stops taking attempts; pending wins still commit or fail.
    pub fn stop(&mut self) {
        self.stopped = true;
        self.board.stop();
    }

    fn publish(&self) {
        self.board.publish(self.sold, self.remaining());
    }

    /// Judges one attempt. `quantity` has been checked to be at least 1.
    pub fn attempt(&mut self, buyer: UserId, quantity: u32, request: &str, now: Timestamp) -> Decision {
        let state = self.state(now);
        let remaining = self.remaining();
        // The buyer's shard stays locked from the look-up to the answer,
        // so an edge judging the same request waits and then replays it.
        let mut books = self.board.books(buyer);
        if let Some(previous) = books.get(&buyer).and_then(|b| b.answers.get(request)) {
            return Decision::Answer(previous.clone());
        }
        self.attempts += 1;
        let taken = books.get(&buyer).map_or(0, |b| b.taken);
        let refusal = match state {
            SaleState::Scheduled => Some(Refusal::NotStarted),
            SaleState::Ended => Some(Refusal::Ended),
            SaleState::Running if remaining == 0 => Some(Refusal::SoldOut),
            SaleState::Running if taken.saturating_add(quantity) > self.terms.per_buyer => Some(Refusal::LimitReached),
            SaleState::Running if quantity > remaining => Some(Refusal::NotEnoughLeft),
            SaleState::Running => None,
        };
        match refusal {
            Some(refusal) => {
                // Before the start a retry must be judged again, not replayed.
                if refusal != Refusal::NotStarted && self.board.keep_refusal() {
                    books.entry(buyer).or_default().answers.insert(request.to_owned(), Outcome::Refused(refusal));
                }
                Decision::Answer(Outcome::Refused(refusal))
            }
            None => {
                let book = books.entry(buyer).or_default();
                book.taken += quantity;
                book.answers.insert(request.to_owned(), Outcome::Pending { quantity });
                drop(books);
                self.pending += quantity;
                self.publish();
                Decision::Win { quantity }
            }
        }
    }

    /// A pending win's order and event are committed.
    pub fn committed(&mut self, buyer: UserId, request: &str, order: OrderId) {
        let mut books = self.board.books(buyer);
        let Some(book) = books.get_mut(&buyer) else { return };
        let Some(answer) = book.answers.get_mut(request) else { return };
        if let Outcome::Pending { quantity } = *answer {
            *answer = Outcome::Won { quantity, order };
            book.committed += quantity;
            drop(books);
            self.pending -= quantity;
            self.sold += quantity;
            self.publish();
        }
    }

    /// A pending win could not be committed: its units go back to the sale
    /// and the buyer may try again with the same request.
    pub fn failed(&mut self, buyer: UserId, request: &str) {
        let mut books = self.board.books(buyer);
        let Some(book) = books.get_mut(&buyer) else { return };
        if let Some(Outcome::Pending { quantity }) = book.answers.get(request).cloned() {
            book.answers.remove(request);
            book.taken = book.taken.saturating_sub(quantity);
            drop(books);
            self.pending -= quantity;
            self.publish();
        }
    }

    /// Units the buyer has won or has pending.
    pub fn taken_by(&self, buyer: UserId) -> u32 {
        self.board.books(buyer).get(&buyer).map_or(0, |b| b.taken)
    }

    /// The remembered answer to a buyer's request, if any.
    pub fn answer(&self, buyer: UserId, request: &str) -> Option<Outcome> {
        self.board.books(buyer).get(&buyer).and_then(|b| b.answers.get(request).cloned())
    }

    /// The card viewers see.
    pub fn view(&self, now: Timestamp) -> FlashSaleView {
        FlashSaleView {
            sale: self.terms.sale,
            product: self.terms.product,
            sku: self.terms.sku,
            price_fen: self.terms.price.0,
            quantity: self.terms.quantity,
            per_buyer: self.terms.per_buyer,
            // Nothing can be bought from an ended sale, whatever it did not sell.
            left: if self.state(now) == SaleState::Ended { 0 } else { self.remaining() },
            state: self.state(now),
            starts_at_ms: self.terms.starts_at.millis(),
            ends_at_ms: self.terms.ends_at.map(|t| t.millis()),
            now_ms: now.millis(),
        }
    }
}

/// The sale card: sent when it opens, starts, ends, and in snapshots.
/// `now_ms` is the server's clock, so a browser counts down against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlashSaleView {
    pub sale: FlashSaleId,
    pub product: ProductId,
    pub sku: SkuId,
    pub price_fen: i64,
    pub quantity: u32,
    pub per_buyer: u32,
    pub left: u32,
    pub state: SaleState,
    pub starts_at_ms: i64,
    pub ends_at_ms: Option<i64>,
    pub now_ms: i64,
}

/// The flash sale's frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FlashFrame {
    /// To everyone: the card (opened, started, ended).
    FlashSale(FlashSaleView),
    /// To everyone, in the tick batch: units left changed.
    FlashSaleLeft { sale: FlashSaleId, left: u32 },
    /// To the buyer alone: the answer to one `flash_buy`.
    FlashResult {
        sale: FlashSaleId,
        request: String,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        order: Option<OrderId>,
        quantity: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        price_fen: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<Refusal>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'static str>,
    },
    /// To consoles, on the tick while a sale is open: its figures.
    FlashSaleStats {
        sale: FlashSaleId,
        state: SaleState,
        quantity: u32,
        sold: u32,
        pending: u32,
        remaining: u32,
        attempts: u64,
        attempts_per_s: u64,
    },
}

impl FlashFrame {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The answer frame for an outcome.
    pub fn result(terms: &FlashSaleTerms, request: &str, outcome: &Outcome) -> FlashFrame {
        let (ok, order, quantity, reason) = match outcome {
            Outcome::Won { quantity, order } => (true, Some(*order), *quantity, None),
            Outcome::Pending { quantity } => (true, None, *quantity, None),
            Outcome::Refused(r) => (false, None, 0, Some(*r)),
        };
        FlashFrame::FlashResult {
            sale: terms.sale,
            request: request.to_owned(),
            ok,
            order,
            quantity,
            price_fen: ok.then_some(terms.price.0),
            reason,
            message: reason.map(Refusal::message),
        }
    }
}

/// The field rules of `open_flash_sale` and `flash_buy` that need no room
/// state.
pub(crate) fn check(message: &ClientMessage) -> Result<(), ProtocolError> {
    match message {
        ClientMessage::FlashBuy { quantity, request, address, .. } => {
            check_buy(*quantity, request, [&address.name, &address.phone, &address.region, &address.detail])
        }
        ClientMessage::OpenFlashSale { price_fen, quantity, per_buyer, countdown_secs, duration_secs, .. } => {
            if *price_fen <= 0 {
                return Err(ProtocolError::field("price_fen", "秒杀价必须大于 0 / price_fen must be more than 0"));
            }
            if *quantity == 0 || *quantity > MAX_QUANTITY {
                return Err(ProtocolError::field(
                    "quantity",
                    format!("秒杀数量须在 1 到 {MAX_QUANTITY} 之间 / quantity must be 1 to {MAX_QUANTITY}"),
                ));
            }
            if *per_buyer == 0 || per_buyer > quantity {
                return Err(ProtocolError::field(
                    "per_buyer",
                    "每人限购须至少 1 件且不超过秒杀数量 / per_buyer must be at least 1 and at most the quantity",
                ));
            }
            if *countdown_secs > MAX_COUNTDOWN_SECS {
                return Err(ProtocolError::field(
                    "countdown_secs",
                    format!("倒计时最长 {MAX_COUNTDOWN_SECS} 秒 / countdown_secs: at most {MAX_COUNTDOWN_SECS}"),
                ));
            }
            if duration_secs.is_some_and(|d| d == 0 || d > MAX_DURATION_SECS) {
                return Err(ProtocolError::field(
                    "duration_secs",
                    format!(
                        "时长须在 1 到 {MAX_DURATION_SECS} 秒之间 / duration_secs must be 1 to {MAX_DURATION_SECS}"
                    ),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `flash_buy`'s field rules, for the general parser and for the hot
/// path's own ([`wire`]) alike. `address` is name, phone, region, detail.
pub(crate) fn check_buy(quantity: u32, request: &str, address: [&str; 4]) -> Result<(), ProtocolError> {
    check_quantity_and_request(quantity, request)?;
    parse_address(address).map(|_| ())
}

/// `flash_buy`'s rules for everything but the address, checked first.
pub(crate) fn check_quantity_and_request(quantity: u32, request: &str) -> Result<(), ProtocolError> {
    if quantity == 0 || quantity > MAX_QUANTITY {
        return Err(ProtocolError::field(
            "quantity",
            format!("购买数量须在 1 到 {MAX_QUANTITY} 之间 / quantity must be 1 to {MAX_QUANTITY}"),
        ));
    }
    crate::protocol::text_field("request", request, MAX_REQUEST_CHARS)?;
    // It becomes part of the order's idempotency key: printable ASCII.
    if !request.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProtocolError::field(
            "request",
            "request 只能含字母、数字和符号 / request: printable ASCII without spaces only",
        ));
    }
    Ok(())
}

/// Buying needs an account: the order is the buyer's.
pub(crate) fn buyer(actor: &Actor) -> Result<UserId, ProtocolError> {
    match actor {
        Actor::User(id) => Ok(*id),
        _ => Err(ProtocolError::new(ErrorCode::Forbidden, "请先登录再抢购 / sign in to buy in a flash sale")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    const T: Timestamp = Timestamp(1_000_000);

    fn address(phone: &str) -> AddressInput {
        AddressInput {
            name: "张三".into(),
            phone: phone.into(),
            region: "浙江省杭州市".into(),
            detail: "西湖区文三路 1 号".into(),
        }
    }

    fn terms(quantity: u32, per_buyer: u32) -> FlashSaleTerms {
        FlashSaleTerms {
            sale: FlashSaleId(1),
            product: ProductId(2),
            sku: SkuId(3),
            price: Fen(990),
            quantity,
            per_buyer,
            starts_at: T,
            ends_at: Some(Timestamp(T.0 + 60_000)),
        }
    }

    #[test]
    fn the_countdown_and_the_end_are_respected() {
        let mut sale = FlashSale::new(terms(5, 1));
        let early = Timestamp(T.0 - 1);
        assert_eq!(sale.attempt(UserId(1), 1, "a", early), Decision::Answer(Outcome::Refused(Refusal::NotStarted)));
        // A refusal before the start is judged again, not replayed.
        assert_eq!(sale.attempt(UserId(1), 1, "a", T), Decision::Win { quantity: 1 });
        let late = Timestamp(T.0 + 60_000);
        assert_eq!(sale.attempt(UserId(2), 1, "b", late), Decision::Answer(Outcome::Refused(Refusal::Ended)));
        assert_eq!(sale.state(late), SaleState::Ended);
    }

    #[test]
    fn a_replay_answers_the_same_and_buys_nothing_more() {
        let mut sale = FlashSale::new(terms(5, 2));
        assert_eq!(sale.attempt(UserId(1), 1, "r1", T), Decision::Win { quantity: 1 });
        assert_eq!(sale.attempt(UserId(1), 1, "r1", T), Decision::Answer(Outcome::Pending { quantity: 1 }));
        sale.committed(UserId(1), "r1", OrderId(9));
        assert_eq!(
            sale.attempt(UserId(1), 1, "r1", T),
            Decision::Answer(Outcome::Won { quantity: 1, order: OrderId(9) })
        );
        assert_eq!((sale.sold(), sale.remaining(), sale.attempts()), (1, 4, 1));
        // Another buyer's same request id is another request.
        assert_eq!(sale.attempt(UserId(2), 1, "r1", T), Decision::Win { quantity: 1 });
    }

    #[test]
    fn a_failed_commit_gives_the_units_back_and_the_request_may_retry() {
        let mut sale = FlashSale::new(terms(1, 1));
        assert_eq!(sale.attempt(UserId(1), 1, "x", T), Decision::Win { quantity: 1 });
        assert_eq!(sale.attempt(UserId(2), 1, "y", T), Decision::Answer(Outcome::Refused(Refusal::SoldOut)));
        sale.failed(UserId(1), "x");
        assert_eq!((sale.remaining(), sale.pending(), sale.sold()), (1, 0, 0));
        assert_eq!(sale.attempt(UserId(1), 1, "x", T), Decision::Win { quantity: 1 });
    }

    #[test]
    fn a_resumed_sale_counts_its_wins() {
        let running = RunningFlashSale {
            terms: terms(3, 2),
            wins: vec![FlashWinRecord { buyer: UserId(1), quantity: 2, order: OrderId(4), request: Some("q".into()) }],
        };
        let mut sale = FlashSale::resume(running);
        assert_eq!((sale.sold(), sale.remaining()), (2, 1));
        assert_eq!(sale.attempt(UserId(1), 1, "new", T), Decision::Answer(Outcome::Refused(Refusal::LimitReached)));
        assert_eq!(
            sale.attempt(UserId(1), 1, "q", T),
            Decision::Answer(Outcome::Won { quantity: 2, order: OrderId(4) })
        );
        assert_eq!(sale.attempt(UserId(2), 2, "z", T), Decision::Answer(Outcome::Refused(Refusal::NotEnoughLeft)));
        assert_eq!(sale.attempt(UserId(2), 1, "z2", T), Decision::Win { quantity: 1 });
        sale.stop();
        assert_eq!(sale.attempt(UserId(3), 1, "w", T), Decision::Answer(Outcome::Refused(Refusal::Ended)));
    }

    #[test]
    fn bad_fields_are_named() {
        let open = |price_fen, quantity, per_buyer, countdown_secs, duration_secs| ClientMessage::OpenFlashSale {
            product: ProductId(1),
            sku: SkuId(1),
            price_fen,
            quantity,
            per_buyer,
            countdown_secs,
            duration_secs,
        };
        let field = |m: ClientMessage| check(&m).unwrap_err().field;
        assert_eq!(field(open(0, 1, 1, 0, None)), Some("price_fen"));
        assert_eq!(field(open(1, 0, 1, 0, None)), Some("quantity"));
        assert_eq!(field(open(1, MAX_QUANTITY + 1, 1, 0, None)), Some("quantity"));
        assert_eq!(field(open(1, 5, 6, 0, None)), Some("per_buyer"));
        assert_eq!(field(open(1, 5, 0, 0, None)), Some("per_buyer"));
        assert_eq!(field(open(1, 5, 1, MAX_COUNTDOWN_SECS + 1, None)), Some("countdown_secs"));
        assert_eq!(field(open(1, 5, 1, 0, Some(0))), Some("duration_secs"));
        assert!(check(&open(1, 5, 1, 10, Some(60))).is_ok());
        let buy = |quantity, request: &str| ClientMessage::FlashBuy {
            sale: FlashSaleId(1),
            quantity,
            request: request.into(),
            address: address("13800138000"),
        };
        assert_eq!(field(buy(0, "a")), Some("quantity"));
        assert_eq!(field(buy(1_000_000_000, "a")), Some("quantity"));
        assert_eq!(field(buy(1, " ")), Some("request"));
        assert_eq!(field(buy(1, &"r".repeat(65))), Some("request"));
        assert_eq!(field(buy(1, "抢")), Some("request"));
        assert!(check(&buy(1, "req-1")).is_ok());
        let mut bad = buy(1, "r");
        if let ClientMessage::FlashBuy { address: a, .. } = &mut bad {
            *a = address("12345");
        }
        assert_eq!(field(bad), Some("address.phone"));
        assert_eq!(buyer(&Actor::Viewer("v".into())).unwrap_err().code, ErrorCode::Forbidden);
    }

    /// One step of a random run: an attempt, or the oldest pending win
    /// committing or failing.
    #[derive(Debug, Clone)]
    enum Step {
        Attempt { buyer: i64, quantity: u32, request: u8 },
        Commit,
        Fail,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (1..8i64, 1..4u32, 0..6u8).prop_map(|(buyer, quantity, request)| Step::Attempt { buyer, quantity, request }),
            2 => Just(Step::Commit),
            1 => Just(Step::Fail),
        ]
    }

    proptest! {
        /// Unit attempts that all commit: exactly min(quantity, Σ per buyer
        /// min(attempts, limit)) win, whatever the order of arrival.
        #[test]
        fn exactly_the_possible_number_of_attempts_win(
            quantity in 1..50u32,
            per_buyer in 1..5u32,
            buyers in proptest::collection::vec(0..20i64, 0..200),
        ) {
            let per_buyer = per_buyer.min(quantity);
            let mut sale = FlashSale::new(terms(quantity, per_buyer));
            let mut winners = 0u32;
            let mut attempts_by: HashMap<i64, u32> = HashMap::new();
            for (i, b) in buyers.iter().enumerate() {
                *attempts_by.entry(*b).or_default() += 1;
                if let Decision::Win { quantity } = sale.attempt(UserId(*b), 1, &format!("r{i}"), T) {
                    winners += quantity;
                    sale.committed(UserId(*b), &format!("r{i}"), OrderId(i as i64));
                }
            }
            let possible: u32 = attempts_by.values().map(|a| (*a).min(per_buyer)).sum();
            prop_assert_eq!(winners, quantity.min(possible));
            prop_assert_eq!(sale.sold() + sale.remaining(), quantity);
        }

        /// Multi-unit attempts, replays, commits and failures in any order:
        /// never oversold, never past a buyer's limit, the books balance,
        /// and a replayed request never wins twice.
        #[test]
        fn never_oversells_nor_passes_a_limit(
            quantity in 1..30u32,
            per_buyer in 1..6u32,
            steps in proptest::collection::vec(step(), 0..300),
        ) {
            let per_buyer = per_buyer.min(quantity);
            let mut sale = FlashSale::new(terms(quantity, per_buyer));
            let mut pending: std::collections::VecDeque<(UserId, String)> = Default::default();
            let mut committed_by: HashMap<UserId, u32> = HashMap::new();
            let mut won_requests = std::collections::HashSet::new();
            let mut next_order = 0;
            for s in steps {
                match s {
                    Step::Attempt { buyer, quantity: q, request } => {
                        let (buyer, request) = (UserId(buyer), format!("q{request}"));
                        if let Decision::Win { .. } = sale.attempt(buyer, q, &request, T) {
                            prop_assert!(!won_requests.contains(&(buyer, request.clone())), "a request won twice");
                            pending.push_back((buyer, request));
                        }
                    }
                    Step::Commit => if let Some((buyer, request)) = pending.pop_front() {
                        if let Some(Outcome::Pending { quantity }) = sale.answer(buyer, &request) {
                            *committed_by.entry(buyer).or_default() += quantity;
                        }
                        next_order += 1;
                        sale.committed(buyer, &request, OrderId(next_order));
                        won_requests.insert((buyer, request));
                    },
                    Step::Fail => if let Some((buyer, request)) = pending.pop_front() {
                        sale.failed(buyer, &request);
                    },
                }
                prop_assert_eq!(sale.sold() + sale.pending() + sale.remaining(), quantity);
                prop_assert!(sale.sold() + sale.pending() <= quantity);
                for buyer in 1..8 {
                    let n = sale.taken_by(UserId(buyer));
                    prop_assert!(n <= per_buyer, "buyer {buyer} holds {n} > {per_buyer}");
                }
            }
            prop_assert_eq!(committed_by.values().sum::<u32>(), sale.sold());
        }
    }
}
