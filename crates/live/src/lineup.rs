//! The console's lineup tools beyond push and list: changing a live price
//! (改价) and adjusting sellable stock (改库存), and the reorder suggestion
//! (I1.1.3) computed on the room's tick.
//!
//! Price and stock changes live outside the room (the show's lineup row,
//! the stock ledger), so each runs as: persist through [`RoomData`], then
//! append the event, then (when the room's in-order acknowledgement
//! reaches it) update the room's lineup and broadcast. The persist and the
//! append run on a task of their own so a slow database never stalls the
//! room; a refusal (not enough stock, a bad SKU) goes back to the console
//! that asked and changes nothing.
//!
//! The suggestion rule itself is the pure `zhibo_domain::reorder::suggest`;
//! this module keeps its inputs (recent clicks per product, the audience
//! over the window, which products have been presented) and tells the
//! consoles when the suggestion changes.

use bytes::Bytes;
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use zhibo_domain::event::{Actor, Event, EventKind, NewEvent};
use zhibo_domain::reorder::{self, Audience, Candidate, ReorderRule, Suggestion};
use zhibo_domain::stock::StockChange;
use zhibo_domain::{Fen, ProductId, RoomId, Timestamp};
use zhibo_store::StoreError;

use crate::LiveError;
use crate::data::{LineupEntry, StockAdjustment};
use crate::hub::Deps;
use crate::protocol::{self, ClientMessage, ErrorCode, ProtocolError, text_field};

/// An append the room waits on, in its order (same shape as the room's).
pub(crate) type OpFuture = Pin<Box<dyn Future<Output = zhibo_store::Result<Event>> + Send>>;

/// The field rules of `set_live_price` and `adjust_stock` that need no
/// room state.
pub(crate) fn check(message: &ClientMessage) -> Result<(), ProtocolError> {
    match message {
        ClientMessage::SetLivePrice { price_fen, .. } if *price_fen <= 0 => {
            Err(ProtocolError::field("price_fen", "直播价必须大于 0 / price_fen must be more than 0"))
        }
        ClientMessage::AdjustStock { delta, note, .. } => {
            if *delta == 0 || delta.abs() > StockChange::MAX_UNITS {
                let max = StockChange::MAX_UNITS;
                return Err(ProtocolError::field(
                    "delta",
                    format!(
                        "库存变动须为非零且不超过 {max} 件 / delta must be non-zero and at most {max} units either way"
                    ),
                ));
            }
            text_field("note", note, StockChange::MAX_NOTE_CHARS)
        }
        _ => Ok(()),
    }
}

/// What an acknowledged lineup change does to the room.
#[derive(Debug, Clone, Copy)]
enum Change {
    Price { product: ProductId, price: Fen },
    Stock { product: ProductId },
}

/// A started lineup change, waiting in the room's in-order queue.
#[derive(Debug)]
pub(crate) struct LineupOp {
    /// The console connection that asked: it hears of a refusal.
    pub conn: u64,
    change: Change,
    /// Set by the task when the change was refused before anything was
    /// written; the room's queue only carries a store result.
    refusal: Arc<OnceLock<ProtocolError>>,
}

/// Frames every viewer gets, in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LineupFrame {
    PriceChanged { product: ProductId, live_price: i64 },
    Stock { product: ProductId, stock: i64 },
}

fn not_in_lineup(product: ProductId) -> ProtocolError {
    ProtocolError {
        code: ErrorCode::NotInLineup,
        message: format!("商品 {product} 不在本场货盘中 / product {product} is not in this show's lineup"),
        field: Some("product"),
    }
}

/// Judges a `set_live_price` or `adjust_stock` against the lineup and
/// starts it: persist, then append. `actor` is the console's account.
pub(crate) fn start(
    room: RoomId,
    deps: &Deps,
    lineup: &[LineupEntry],
    actor: Actor,
    conn: u64,
    message: ClientMessage,
) -> Result<(OpFuture, LineupOp), ProtocolError> {
    let refusal = Arc::new(OnceLock::new());
    let data = deps.data.clone();
    let store = deps.store.clone();
    let slot = refusal.clone();
    let (change, task): (Change, OpFuture) = match message {
        ClientMessage::SetLivePrice { product, price_fen } => {
            let entry = lineup.iter().find(|e| e.product == product).ok_or_else(|| not_in_lineup(product))?;
            if price_fen > entry.price.0 {
                let max = entry.price.0;
                return Err(ProtocolError::field(
                    "price_fen",
                    format!(
                        "直播价不能高于商品售价 {max} 分 / price_fen must not be above the product's price ({max} fen)"
                    ),
                ));
            }
            let old = entry.live_price.0;
            let price = Fen(price_fen);
            let task = Box::pin(async move {
                data.set_live_price(room, product, price).await.map_err(|e| refuse(&slot, e))?;
                let payload = serde_json::json!({ "product": product, "old": old, "new": price_fen });
                store.append(new_event(room, "price.changed", actor, payload)?).await
            });
            (Change::Price { product, price }, task)
        }
        ClientMessage::AdjustStock { product, sku, delta, note } => {
            lineup.iter().find(|e| e.product == product).ok_or_else(|| not_in_lineup(product))?;
            let user = match &actor {
                Actor::User(id) => Some(*id),
                _ => None,
            };
            let note = note.trim().to_owned();
            let change = StockAdjustment { product, sku, delta, note: note.clone(), actor: user };
            let task = Box::pin(async move {
                let stock = data.adjust_stock(room, change).await.map_err(|e| refuse(&slot, e))?;
                let payload =
                    serde_json::json!({ "product": product, "sku": sku, "delta": delta, "note": note, "stock": stock });
                store.append(new_event(room, "stock.changed", actor, payload)?).await
            });
            (Change::Stock { product }, task)
        }
        _ => return Err(ProtocolError::new(ErrorCode::BadMessage, "不是货盘操作 / not a lineup action")),
    };
    // Its own task: the persist makes progress even while other appends
    // are ahead of it in the room's queue.
    let handle = tokio::spawn(task);
    let future: OpFuture = Box::pin(async move {
        handle.await.unwrap_or_else(|e| Err(StoreError::Corrupt(format!("lineup task failed: {e}"))))
    });
    Ok((future, LineupOp { conn, change, refusal }))
}

fn new_event(room: RoomId, kind: &str, actor: Actor, payload: serde_json::Value) -> zhibo_store::Result<NewEvent> {
    let kind = EventKind::parse(kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(NewEvent { room, kind, actor, amount: None, payload })
}

/// Keeps why a change was refused for the console, and fails the op so
/// the room neither logs nor broadcasts it.
fn refuse(slot: &OnceLock<ProtocolError>, error: LiveError) -> StoreError {
    let frame = match &error {
        LiveError::Refused { field, message } => {
            ProtocolError { code: ErrorCode::BadMessage, message: message.clone(), field: *field }
        }
        LiveError::InsufficientStock { .. } => {
            ProtocolError { code: ErrorCode::InsufficientStock, message: error.to_string(), field: Some("delta") }
        }
        LiveError::Unsupported(_) => ProtocolError::new(ErrorCode::Unavailable, error.to_string()),
        other => {
            tracing::error!(error = %other, "lineup change not persisted");
            ProtocolError::new(
                ErrorCode::Unavailable,
                "暂时无法保存，请稍后再试 / could not be saved, try again shortly",
            )
        }
    };
    let _ = slot.set(frame);
    StoreError::Conflict(error.to_string())
}

impl LineupOp {
    /// The error frame for the console when the op failed.
    pub(crate) fn refused(&self, error: &StoreError) -> Bytes {
        match self.refusal.get() {
            Some(frame) => frame.to_frame(),
            None => {
                tracing::error!(%error, "lineup change not logged; its frame is not sent");
                ProtocolError::new(
                    ErrorCode::Unavailable,
                    "暂时无法保存，请稍后再试 / could not be saved, try again shortly",
                )
                .to_frame()
            }
        }
    }

    /// The change is persisted and logged: the room's lineup takes it and
    /// every viewer hears of it (the frame to batch).
    pub(crate) fn applied(&self, lineup: &mut [LineupEntry], event: &Event) -> Vec<u8> {
        let frame = match self.change {
            Change::Price { product, price } => {
                if let Some(e) = lineup.iter_mut().find(|e| e.product == product) {
                    e.live_price = price;
                }
                LineupFrame::PriceChanged { product, live_price: price.0 }
            }
            Change::Stock { product } => {
                let stock = event.payload["stock"].as_i64().unwrap_or_default();
                if let Some(e) = lineup.iter_mut().find(|e| e.product == product) {
                    e.stock = stock;
                }
                LineupFrame::Stock { product, stock }
            }
        };
        serde_json::to_vec(&frame).unwrap_or_default()
    }
}

/// The suggestion's inputs and what the consoles were last told.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    rule: ReorderRule,
    /// Product clicks within the window, oldest first.
    clicks: VecDeque<(Timestamp, ProductId)>,
    /// Online counts sampled on the tick (at most one a second), oldest first.
    online: VecDeque<(Timestamp, u64)>,
    presented: HashSet<ProductId>,
    current: Option<Suggestion>,
}

/// The `suggestion` frame for consoles: the suggestion, or null when there
/// is none (any more).
#[derive(Serialize)]
struct SuggestionFrame<'a> {
    r#type: &'static str,
    suggestion: &'a Option<Suggestion>,
}

impl Signals {
    fn window_ms(&self) -> i64 {
        i64::from(self.rule.window_minutes) * Timestamp::MINUTE_MS
    }

    pub(crate) fn clicked(&mut self, product: ProductId, now: Timestamp) {
        self.clicks.push_back((now, product));
    }

    pub(crate) fn presented(&mut self, product: ProductId) {
        self.presented.insert(product);
    }

    /// Re-evaluates on the room's tick; the frame for consoles when the
    /// suggestion changed.
    pub(crate) fn tick(&mut self, now: Timestamp, lineup: &[LineupEntry], online: u64) -> Option<Bytes> {
        let since = now.millis() - self.window_ms();
        while self.clicks.front().is_some_and(|(t, _)| t.millis() <= since) {
            self.clicks.pop_front();
        }
        if self.online.back().is_none_or(|(t, _)| now.millis() - t.millis() >= 1000) {
            self.online.push_back((now, online));
        }
        // Keep one sample at or before the window's start: the "before".
        while self.online.len() > 1 && self.online.get(1).is_some_and(|(t, _)| t.millis() <= since) {
            self.online.pop_front();
        }
        let candidates: Vec<Candidate> = lineup
            .iter()
            .map(|e| Candidate {
                product: e.product,
                title: e.title.clone(),
                presented: self.presented.contains(&e.product),
                clicks: self.clicks.iter().filter(|(_, p)| *p == e.product).count() as u64,
            })
            .collect();
        let before = self.online.front().map_or(online, |(_, n)| *n);
        let audience = Audience { online_now: online, online_at_window_start: before };
        let next = reorder::suggest(&candidates, audience, &self.rule);
        // News only when what to do or its reason changed, not the per-viewer rate.
        let same = match (&next, &self.current) {
            (Some(a), Some(b)) => (a.product, a.instead_of, &a.reason_zh) == (b.product, b.instead_of, &b.reason_zh),
            (None, None) => true,
            _ => false,
        };
        if same {
            return None;
        }
        self.current = next;
        Some(self.frame())
    }

    /// The current suggestion as a standalone frame.
    pub(crate) fn frame(&self) -> Bytes {
        protocol::single(&SuggestionFrame { r#type: "suggestion", suggestion: &self.current })
    }
}
