//! The room's flash-sale glue: crate::flash_sale decides, this persists,
//! logs and sends; and the console's live stock view (crate::stock_view).
//!
//! Deciding is in memory on the room task. Everything that must be durable
//! goes to one writer task per room, in the room's order: opening a sale
//! (the sale's row and its stock reservation), wins, and closing (unsold
//! units back to the ledger). The writer takes whatever wins are queued
//! and commits them with ONE `commit_flash_wins` call (one transaction,
//! one fsync for the whole burst, the way the event log batches), then
//! appends their `flash_sale.sold` events (group-committed too), and only
//! then answers. Each win waits in the room's in-order queue
//! (`Then::Flash`), so the buyer's success frame leaves only after the
//! order and the event are both committed. Because the writer is
//! sequential, a close always runs after every win queued before it, so
//! the sale's sold count is final when the rest goes back.
//!
//! A win whose order was refused, or whose batch failed, gives its units
//! back to the sale and the buyer an error. A win whose order committed
//! but whose event did not stays sold (the order exists and a restart
//! counts it); the buyer is told `unavailable`, and a replay of the same
//! request answers the order.
//!
//! The edge: each sale's [`crate::flash_sale::SaleBoard`] is published to
//! the room's connections ([`Edge`]), and a connection reads a plain
//! `flash_buy` itself ([`Inbound::flash_buy`]): a final refusal (ended,
//! not started, every unit committed, the buyer's committed units at the
//! limit) or the replay of a committed win is answered there, without a
//! hop to this task; every attempt that might win still comes here. Once
//! a sale sells out, that is nearly every attempt, and this task no
//! longer caps how many a room can answer.

use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};
use zhibo_domain::event::{Actor, Event, EventKind, NewEvent};
use zhibo_domain::{Clock, FlashSaleId, RoomId, SkuId, Timestamp, UserId};
use zhibo_store::StoreError;

use super::{InFlight, Inbound, Received, Room, Then};
use crate::LiveError;
use crate::flash_sale::{
    Decision, FlashBoards, FlashFrame, FlashSale, FlashSaleClosed, FlashSaleOpen, FlashSaleTerms, FlashWin, Outcome,
    RunningFlashSale, SaleBoard, SaleState,
};
use crate::hub::Deps;
use crate::protocol::{ClientMessage, ErrorCode, ProtocolError};
use crate::stock_view::{SkuStock, StockView};

/// Most wins one commit carries.
const MAX_BURST: usize = 512;

fn unavailable() -> ProtocolError {
    ProtocolError::new(ErrorCode::Unavailable, "暂时无法保存，请稍后再试 / could not be saved, try again shortly")
}

/// A sale the room knows, and whether its close is under way or done.
struct Entry {
    sale: FlashSale,
    closing: bool,
    closed: bool,
}

/// The room's flash-sale state.
#[derive(Default)]
pub(super) struct FlashDesk {
    /// Every sale of this room since the task started (ended ones stay, so
    /// a replayed request is still answered).
    sales: Vec<Entry>,
    opening: bool,
    writer: Option<mpsc::UnboundedSender<Job>>,
    /// What viewers were last told: (sale, left, state).
    announced: Option<(FlashSaleId, u32, SaleState)>,
    /// Attempts at the last console update and when, for attempts per second.
    rate_mark: Option<(Timestamp, u64)>,
    attempts_per_s: u64,
    last_stats: Option<Vec<u8>>,
    stock: StockView,
    /// The sales' published views, shared with the room's connections.
    pub(super) boards: Arc<FlashBoards>,
}

/// What a room loads at start: its running sales and its SKUs' stock.
pub(super) struct Loaded {
    running: Vec<RunningFlashSale>,
    skus: Vec<SkuStock>,
}

/// Loads what the room resumes with. A room whose running sales cannot be
/// read does not start: selling without the sold count could oversell.
pub(super) async fn load(room: RoomId, deps: &Deps) -> Result<Loaded, LiveError> {
    let running = deps.data.running_flash_sales(room).await?;
    // The stock view is a console aid: without it the room still sells.
    let skus = deps.data.sku_stock(room).await.unwrap_or_else(|error| {
        tracing::error!(%room, %error, "sku stock not loaded");
        Vec::new()
    });
    Ok(Loaded { running, skus })
}

/// What waits in the room's queue for a flash-sale job.
pub(super) enum Pending {
    Opened { conn: u64, refusal: Arc<OnceLock<ProtocolError>> },
    Won { conn: u64, sale: FlashSaleId, buyer: UserId, request: String, sku: SkuId, failure: Arc<OnceLock<WinFailure>> },
    Closed { conn: Option<u64>, sale: FlashSaleId },
}

/// Why a win was not confirmed.
#[derive(Debug, Clone)]
pub(super) enum WinFailure {
    /// No order was stored: the units go back to the sale.
    NotPlaced(ProtocolError),
    /// The order is stored, its event is not: the units stay sold.
    NotLogged(zhibo_domain::OrderId),
}

type Reply = oneshot::Sender<zhibo_store::Result<Event>>;

/// A job for the room's flash-sale writer.
enum Job {
    Open { open: FlashSaleOpen, actor: Actor, refusal: Arc<OnceLock<ProtocolError>>, reply: Reply },
    Win { win: FlashWin, failure: Arc<OnceLock<WinFailure>>, reply: Reply },
    Close { sale: FlashSaleId, actor: Actor, reason: &'static str, reply: Reply },
}

/// What a room's connections need to answer attempts themselves: the
/// sales' boards (the room publishes them) and the room's clock.
pub(super) struct Edge {
    pub(super) boards: Arc<FlashBoards>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge").field("boards", &self.boards).finish_non_exhaustive()
    }
}

impl Edge {
    pub(super) fn new(clock: Arc<dyn Clock>) -> Edge {
        Edge { boards: Arc::default(), clock }
    }
}

/// One connection's place at the edge: who buys, and what it looked up
/// last (the sale's board, the address it checked), so the next attempt
/// skips both. Only this connection's reader uses it: the lock is never
/// contended.
#[derive(Debug)]
pub(super) struct Seat {
    edge: Arc<Edge>,
    /// The signed-in account; anonymous viewers cannot buy.
    buyer: Option<UserId>,
    last: std::sync::Mutex<Last>,
}

#[derive(Debug, Default)]
struct Last {
    /// A sale's board never changes for its id, so it is kept for good.
    board: Option<Arc<SaleBoard>>,
    /// The last address that passed its checks, field by field.
    address: Option<[String; 4]>,
}

impl Last {
    /// Whether `fields` are the address checked last.
    fn knows(&self, fields: [&str; 4]) -> bool {
        self.address.as_ref().is_some_and(|known| known.iter().zip(fields).all(|(k, a)| k == a))
    }
}

impl Seat {
    pub(super) fn new(edge: Arc<Edge>, actor: &Actor) -> Seat {
        let buyer = match actor {
            Actor::User(id) => Some(*id),
            _ => None,
        };
        Seat { edge, buyer, last: Default::default() }
    }
}

impl Inbound {
    /// A plain `flash_buy`, read by its own parser: answered here when the
    /// answer is final, else handed to the room. `None`: the text is not
    /// one (the general parser takes it).
    pub(super) async fn flash_buy(&self, text: &str) -> Option<Received> {
        let seat = &self.flash;
        let checked = {
            let mut last = seat.last.lock().unwrap_or_else(|e| e.into_inner());
            let buy = crate::flash_sale::wire::parse(text, |address| last.knows(address.fields()))?;
            buy.map(|buy| {
                let fields = buy.address.fields();
                if !last.knows(fields) {
                    last.address = Some(fields.map(str::to_owned));
                }
                // Anonymous viewers go to the room, which tells them to sign in.
                let answer = seat.buyer.and_then(|buyer| {
                    let board = match &last.board {
                        Some(board) if board.sale() == buy.sale => board.clone(),
                        _ => {
                            let board = seat.edge.boards.find(buy.sale)?;
                            last.board = Some(board.clone());
                            board
                        }
                    };
                    board.at_the_edge(buyer, buy.quantity, buy.request, seat.edge.clock.now())
                });
                (buy, answer)
            })
        };
        Some(match checked {
            Err(error) => Received::Answered(error.to_frame()),
            Ok((_, Some(frame))) => Received::Answered(frame),
            Ok((buy, None)) => {
                if self.send(buy.into_message()).await {
                    Received::Sent
                } else {
                    Received::Closed
                }
            }
        })
    }
}

impl Room {
    /// Resumes the sales that were running when the room last stopped.
    pub(super) fn flash_resume(&mut self, loaded: Loaded) {
        self.flash.stock = StockView::new(loaded.skus);
        for running in loaded.running {
            let sale = FlashSale::resume(running);
            let t = sale.terms().clone();
            self.flash.stock.flash_opened(t.sale, t.sku, 0, sale.remaining());
            self.flash.boards.publish(sale.board().clone());
            self.flash.sales.push(Entry { sale, closing: false, closed: false });
        }
    }

    fn current_sale(&self) -> Option<&Entry> {
        self.flash.sales.iter().rev().find(|e| !e.closed)
    }

    /// A `flash_buy`, `open_flash_sale` or `stop_flash_sale`.
    pub(super) fn flash(&mut self, conn: u64, actor: Actor, message: ClientMessage) -> Result<(), ProtocolError> {
        match message {
            ClientMessage::FlashBuy { sale, quantity, request, address } => {
                let buyer = crate::flash_sale::buyer(&actor)?;
                let now = self.now();
                let Some(entry) = self.flash.sales.iter_mut().find(|e| e.sale.id() == sale) else {
                    return Err(no_sale(sale));
                };
                match entry.sale.attempt(buyer, quantity, &request, now) {
                    // A replayed pending win hears nothing now: its answer is on its way.
                    Decision::Answer(Outcome::Pending { .. }) => {}
                    Decision::Answer(Outcome::Refused(refusal)) => {
                        let frame = entry.sale.board().refusal_frame(refusal, &request);
                        self.tell(conn, frame);
                    }
                    Decision::Answer(outcome) => {
                        let frame = FlashFrame::result(entry.sale.terms(), &request, &outcome);
                        self.tell(conn, crate::protocol::single(&frame));
                    }
                    Decision::Win { quantity } => {
                        // Checked when the message was parsed; only a win
                        // needs it as a value, so refusals skip the work.
                        let address = match address.parse() {
                            Ok(address) => address,
                            Err(error) => {
                                entry.sale.failed(buyer, &request);
                                return Err(error);
                            }
                        };
                        let t = entry.sale.terms().clone();
                        let win = FlashWin {
                            sale,
                            address,
                            product: t.product,
                            sku: t.sku,
                            buyer,
                            quantity,
                            price: t.price,
                            request: request.clone(),
                        };
                        let failure = Arc::new(OnceLock::new());
                        let (reply, answer) = oneshot::channel();
                        self.flash_job(Job::Win { win, failure: failure.clone(), reply });
                        let pending = Pending::Won { conn, sale, buyer, request, sku: t.sku, failure };
                        self.flash_wait(answer, pending);
                    }
                }
            }
            ClientMessage::OpenFlashSale {
                product,
                sku,
                price_fen,
                quantity,
                per_buyer,
                countdown_secs,
                duration_secs,
            } => {
                if self.flash.opening || self.current_sale().is_some() {
                    return Err(ProtocolError::new(
                        ErrorCode::Conflict,
                        "已有一场秒杀未结束，请先停止 / a flash sale is still open: stop it first",
                    ));
                }
                let entry = self.entry(product)?;
                if price_fen > entry.price.0 {
                    let max = entry.price.0;
                    return Err(ProtocolError::field(
                        "price_fen",
                        format!(
                            "秒杀价不能高于商品售价 {max} 分 / price_fen must not be above the product's price ({max} fen)"
                        ),
                    ));
                }
                let starts_at = self.now().plus_secs(i64::from(countdown_secs));
                let ends_at = duration_secs.map(|d| starts_at.plus_secs(i64::from(d)));
                let open = FlashSaleOpen {
                    product,
                    sku,
                    price: zhibo_domain::Fen(price_fen),
                    quantity,
                    per_buyer,
                    starts_at,
                    ends_at,
                    actor: match &actor {
                        Actor::User(id) => Some(*id),
                        _ => None,
                    },
                };
                self.flash.opening = true;
                let refusal = Arc::new(OnceLock::new());
                let (reply, answer) = oneshot::channel();
                self.flash_job(Job::Open { open, actor, refusal: refusal.clone(), reply });
                self.flash_wait(answer, Pending::Opened { conn, refusal });
            }
            ClientMessage::StopFlashSale { sale } => {
                let Some(entry) = self.flash.sales.iter_mut().find(|e| e.sale.id() == sale && !e.closed) else {
                    return Err(no_sale(sale));
                };
                if entry.closing {
                    return Err(ProtocolError::new(ErrorCode::AlreadyDone, "秒杀正在结束 / the flash sale is ending"));
                }
                entry.sale.stop();
                entry.closing = true;
                let (reply, answer) = oneshot::channel();
                self.flash_job(Job::Close { sale, actor, reason: "stopped", reply });
                self.flash_wait(answer, Pending::Closed { conn: Some(conn), sale });
            }
            _ => {}
        }
        Ok(())
    }

    fn flash_job(&mut self, job: Job) {
        let writer = self.flash.writer.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(writer(self.id, self.deps.clone(), rx));
            tx
        });
        if let Err(mpsc::error::SendError(job)) = writer.send(job) {
            // The writer is gone (it never stops while the room runs): fail the job.
            let reply = match job {
                Job::Open { reply, .. } | Job::Win { reply, .. } | Job::Close { reply, .. } => reply,
            };
            let _ = reply.send(Err(StoreError::WriterStopped));
        }
    }

    /// Queues the job's answer in the room's order.
    fn flash_wait(&mut self, answer: oneshot::Receiver<zhibo_store::Result<Event>>, pending: Pending) {
        let future = Box::pin(async move { answer.await.unwrap_or(Err(StoreError::WriterStopped)) });
        self.inflight.push_back(InFlight { future, done: None, then: Then::Flash(pending) });
    }

    /// A flash-sale job is durable and logged.
    pub(super) fn flash_acknowledged(&mut self, pending: Pending, event: &Event) {
        let now = self.now();
        match pending {
            Pending::Opened { conn, .. } => {
                self.flash.opening = false;
                match serde_json::from_value::<FlashSaleTerms>(event.payload.clone()) {
                    Ok(terms) => {
                        let sale = FlashSale::new(terms);
                        let t = sale.terms();
                        self.flash.stock.flash_opened(t.sale, t.sku, t.quantity, t.quantity);
                        self.out.push(FlashFrame::FlashSale(sale.view(now)).to_json());
                        self.flash.announced = Some((sale.id(), sale.remaining(), sale.state(now)));
                        self.flash.boards.publish(sale.board().clone());
                        self.flash.sales.push(Entry { sale, closing: false, closed: false });
                    }
                    Err(error) => {
                        tracing::error!(room = %self.id, %error, "flash_sale.opened event unreadable");
                        self.tell(conn, unavailable().to_frame());
                    }
                }
            }
            Pending::Won { conn, sale, buyer, request, sku, .. } => {
                let order = event.payload["order"].as_i64().map(zhibo_domain::OrderId);
                let Some(entry) = self.flash.sales.iter_mut().find(|e| e.sale.id() == sale) else { return };
                if let Some(order) = order {
                    entry.sale.committed(buyer, &request, order);
                }
                let quantity = event.payload["quantity"].as_u64().unwrap_or_default() as u32;
                let outcome = match order {
                    Some(order) => Outcome::Won { quantity, order },
                    None => Outcome::Pending { quantity },
                };
                let frame = FlashFrame::result(entry.sale.terms(), &request, &outcome);
                let left = entry.sale.remaining();
                self.tell(conn, crate::protocol::single(&frame));
                self.flash.stock.flash_sold(sku, quantity, now);
                self.flash.stock.flash_left(sale, sku, left);
            }
            Pending::Closed { sale, .. } => {
                let closed: Option<FlashSaleClosed> = serde_json::from_value(event.payload.clone()).ok();
                let Some(entry) = self.flash.sales.iter_mut().find(|e| e.sale.id() == sale) else { return };
                entry.closed = true;
                entry.sale.stop();
                let t = entry.sale.terms().clone();
                let view = entry.sale.view(now);
                let returned = closed.map_or(0, |c| c.returned);
                self.flash.stock.flash_closed(sale, t.sku, returned);
                self.out.push(FlashFrame::FlashSale(view).to_json());
                self.flash.announced = Some((sale, 0, SaleState::Ended));
            }
        }
    }

    /// A flash-sale job failed: tell who asked and undo what the room assumed.
    pub(super) fn flash_failed(&mut self, pending: Pending, error: &StoreError) {
        match pending {
            Pending::Opened { conn, refusal } => {
                self.flash.opening = false;
                let frame = refusal.get().cloned().unwrap_or_else(|| {
                    tracing::error!(room = %self.id, %error, "flash sale not opened");
                    unavailable()
                });
                self.tell(conn, frame.to_frame());
            }
            Pending::Won { conn, sale, buyer, request, failure, .. } => {
                let Some(entry) = self.flash.sales.iter_mut().find(|e| e.sale.id() == sale) else { return };
                let frame = match failure.get() {
                    Some(WinFailure::NotLogged(order)) => {
                        entry.sale.committed(buyer, &request, *order);
                        unavailable()
                    }
                    Some(WinFailure::NotPlaced(frame)) => {
                        entry.sale.failed(buyer, &request);
                        frame.clone()
                    }
                    None => {
                        tracing::error!(room = %self.id, %error, "flash sale win not committed");
                        entry.sale.failed(buyer, &request);
                        unavailable()
                    }
                };
                self.tell(conn, frame.to_frame());
            }
            Pending::Closed { conn, sale } => {
                tracing::error!(room = %self.id, %sale, %error, "flash sale not closed");
                // Stopped in memory, still open in the store: the next tick
                // (or a restart) tries again.
                if let Some(entry) = self.flash.sales.iter_mut().find(|e| e.sale.id() == sale) {
                    entry.closing = false;
                }
                if let Some(conn) = conn {
                    self.tell(conn, unavailable().to_frame());
                }
            }
        }
    }

    /// On the tick: a sale whose end came (or whose close failed) is
    /// closed; viewers hear the units left once per tick, not per
    /// purchase; consoles get the sale's figures and the stock view.
    pub(super) fn flash_tick(&mut self) {
        let now = self.now();
        let mut close = None;
        if let Some(entry) = self.flash.sales.iter_mut().rev().find(|e| !e.closed) {
            let state = entry.sale.state(now);
            if state == SaleState::Ended && !entry.closing {
                entry.sale.stop();
                entry.closing = true;
                close = Some(entry.sale.id());
            }
            let (sale, left) = (entry.sale.id(), entry.sale.remaining());
            match self.flash.announced {
                Some((s, l, st)) if s == sale && st == state => {
                    if l != left {
                        self.out.push(FlashFrame::FlashSaleLeft { sale, left }.to_json());
                    }
                }
                // A new state (started, ended) or a sale not yet announced: the whole card.
                _ => self.out.push(FlashFrame::FlashSale(entry.sale.view(now)).to_json()),
            }
            self.flash.announced = Some((sale, left, state));
            let attempts = entry.sale.attempts();
            match self.flash.rate_mark {
                Some((at, before)) if now.millis() - at.millis() >= 1000 => {
                    let ms = (now.millis() - at.millis()) as u64;
                    self.flash.attempts_per_s = (attempts.saturating_sub(before)) * 1000 / ms;
                    self.flash.rate_mark = Some((now, attempts));
                }
                None => self.flash.rate_mark = Some((now, attempts)),
                _ => {}
            }
            let stats = FlashFrame::FlashSaleStats {
                sale,
                state,
                quantity: entry.sale.terms().quantity,
                sold: entry.sale.sold(),
                pending: entry.sale.pending(),
                remaining: left,
                attempts,
                attempts_per_s: self.flash.attempts_per_s,
            };
            let bytes = stats.to_json();
            if self.flash.last_stats.as_ref() != Some(&bytes) {
                self.flash.last_stats = Some(bytes);
                let frame = crate::protocol::single(&stats);
                for c in self.consoles() {
                    let _ = c.private.try_send(frame.clone());
                }
            }
        }
        if let Some(sale) = close {
            let (reply, answer) = oneshot::channel();
            self.flash_job(Job::Close { sale, actor: Actor::System, reason: "ended", reply });
            self.flash_wait(answer, Pending::Closed { conn: None, sale });
        }
        if !self.console_conns.is_empty()
            && let Some(frame) = self.flash.stock.tick(now)
        {
            for c in self.consoles() {
                let _ = c.private.try_send(frame.clone());
            }
        }
    }

    /// The current sale's card, for snapshots.
    pub(super) fn flash_view(&self) -> Option<crate::flash_sale::FlashSaleView> {
        self.current_sale().map(|e| e.sale.view(self.now()))
    }

    /// To a console right after its snapshot: the stock view.
    pub(super) fn tell_flash(&mut self, conn: u64) {
        if self.conns.get(&conn).is_some_and(|c| c.identity.may_run_console()) {
            let frame = self.flash.stock.frame(self.now());
            self.tell(conn, frame);
        }
    }

    /// Every acknowledged event, and every order event the web layer
    /// reports (`RoomHandle::observe`), passes here: stock moved by hand,
    /// checkout orders and cancelled orders move the stock view.
    pub(super) fn flash_observe(&mut self, event: &Event) {
        let p = &event.payload;
        match event.kind.as_str() {
            "stock.changed" => {
                if let (Some(product), Some(delta)) = (p["product"].as_i64(), p["delta"].as_i64()) {
                    let sku = p["sku"].as_i64().map(SkuId);
                    self.flash.stock.adjusted(zhibo_domain::ProductId(product), sku, delta);
                }
            }
            "order.placed" | "order.cancelled" => {
                for line in p["lines"].as_array().into_iter().flatten() {
                    if let (Some(sku), Some(n)) = (line["sku"].as_i64(), line["quantity"].as_u64()) {
                        let n = u32::try_from(n).unwrap_or(u32::MAX);
                        if event.kind.as_str() == "order.placed" {
                            self.flash.stock.ordered(SkuId(sku), n, event.time);
                        } else {
                            // A cancelled order's units are sellable again.
                            self.flash.stock.returned(SkuId(sku), n);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn no_sale(sale: FlashSaleId) -> ProtocolError {
    ProtocolError {
        code: ErrorCode::NotFound,
        message: format!("本直播间没有秒杀 {sale} / no flash sale {sale} in this room"),
        field: Some("sale"),
    }
}

fn new_event(
    room: RoomId,
    kind: &str,
    actor: Actor,
    amount: Option<zhibo_domain::Fen>,
    payload: serde_json::Value,
) -> NewEvent {
    // The kinds are this module's constants: always valid.
    let kind = EventKind::parse(kind).unwrap_or_else(|_| unreachable!("flash sale event kinds are valid"));
    NewEvent { room, kind, actor, amount, payload }
}

/// The room's flash-sale writer: jobs in the room's order; consecutive
/// wins committed together.
async fn writer(room: RoomId, deps: Deps, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BURST);
    let mut wins = Vec::new();
    while jobs.recv_many(&mut batch, MAX_BURST).await > 0 {
        for job in batch.drain(..) {
            match job {
                Job::Win { win, failure, reply } => wins.push((win, failure, reply)),
                other => {
                    commit_wins(room, &deps, std::mem::take(&mut wins)).await;
                    run_job(room, &deps, other).await;
                }
            }
        }
        commit_wins(room, &deps, std::mem::take(&mut wins)).await;
    }
}

/// The account behind an actor, for a ledger entry.
fn account_of(actor: &Actor) -> Option<UserId> {
    match actor {
        Actor::User(id) => Some(*id),
        _ => None,
    }
}

async fn run_job(room: RoomId, deps: &Deps, job: Job) {
    match job {
        Job::Open { open, actor, refusal, reply } => {
            let result = match deps.data.open_flash_sale(room, open).await {
                Ok(terms) => {
                    let payload = serde_json::to_value(&terms).unwrap_or_default();
                    let user = account_of(&actor);
                    let appended = deps.store.append(new_event(room, "flash_sale.opened", actor, None, payload)).await;
                    if appended.is_err() {
                        // Nobody was told of the sale: close it at once so
                        // its units go back rather than wait for a restart.
                        if let Err(error) = deps.data.close_flash_sale(room, terms.sale, user).await {
                            tracing::error!(%room, sale = %terms.sale, %error, "unannounced flash sale not closed");
                        }
                    }
                    appended
                }
                Err(error) => {
                    let frame = match &error {
                        LiveError::InsufficientStock { available, .. } => ProtocolError {
                            code: ErrorCode::InsufficientStock,
                            message: format!(
                                "库存不足：该 SKU 现有 {available} 件 / not enough stock: the SKU has {available}"
                            ),
                            field: Some("quantity"),
                        },
                        LiveError::Refused { field, message } => {
                            ProtocolError { code: ErrorCode::BadMessage, message: message.clone(), field: *field }
                        }
                        other => {
                            tracing::error!(%room, error = %other, "flash sale not opened");
                            unavailable()
                        }
                    };
                    let _ = refusal.set(frame);
                    Err(StoreError::Conflict(error.to_string()))
                }
            };
            let _ = reply.send(result);
        }
        Job::Close { sale, actor, reason, reply } => {
            let user = account_of(&actor);
            let result = match deps.data.close_flash_sale(room, sale, user).await {
                Ok(closed) => {
                    let mut payload = serde_json::to_value(closed).unwrap_or_default();
                    payload["reason"] = reason.into();
                    deps.store.append(new_event(room, "flash_sale.ended", actor, None, payload)).await
                }
                Err(error) => Err(StoreError::Conflict(error.to_string())),
            };
            let _ = reply.send(result);
        }
        Job::Win { win, failure, reply } => commit_wins(room, deps, vec![(win, failure, reply)]).await,
    }
}

/// One commit for the whole burst, then its events, then the answers.
async fn commit_wins(room: RoomId, deps: &Deps, wins: Vec<(FlashWin, Arc<OnceLock<WinFailure>>, Reply)>) {
    if wins.is_empty() {
        return;
    }
    let orders: Vec<FlashWin> = wins.iter().map(|(w, _, _)| w.clone()).collect();
    let placed = match deps.data.commit_flash_wins(room, &orders).await {
        Ok(placed) if placed.len() == wins.len() => placed,
        Ok(_) | Err(_) => {
            tracing::error!(%room, wins = wins.len(), "flash sale wins not committed");
            for (_, failure, reply) in wins {
                let _ = failure.set(WinFailure::NotPlaced(unavailable()));
                let _ = reply.send(Err(StoreError::BatchFailed("flash sale wins not committed".into())));
            }
            return;
        }
    };
    // Every event is queued before any is awaited, so they share a commit.
    let mut appends = Vec::with_capacity(wins.len());
    for ((win, failure, reply), result) in wins.into_iter().zip(placed) {
        match result {
            Ok(order) => {
                let amount = zhibo_domain::Fen(win.price.0 * i64::from(win.quantity));
                let payload = serde_json::json!({
                    "sale": win.sale, "order": order, "buyer": Actor::User(win.buyer).to_string(),
                    "product": win.product, "sku": win.sku, "quantity": win.quantity,
                    "price_fen": win.price.0, "request": win.request,
                });
                let event = new_event(room, "flash_sale.sold", Actor::User(win.buyer), Some(amount), payload);
                let store = deps.store.clone();
                let task = tokio::spawn(async move { store.append(event).await });
                appends.push((order, failure, reply, task));
            }
            Err(message) => {
                let _ = failure.set(WinFailure::NotPlaced(ProtocolError::new(ErrorCode::Unavailable, message)));
                let _ = reply.send(Err(StoreError::Conflict("flash sale order refused".into())));
            }
        }
    }
    for (order, failure, reply, task) in appends {
        let result = task.await.unwrap_or_else(|e| Err(StoreError::Corrupt(format!("append task failed: {e}"))));
        if result.is_err() {
            let _ = failure.set(WinFailure::NotLogged(order));
        }
        let _ = reply.send(result);
    }
}
