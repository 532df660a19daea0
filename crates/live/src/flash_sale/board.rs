//! A running sale's published view: what a connection may read to answer
//! a `flash_buy` itself, without a hop to the room task.
//!
//! The room task stays the only one to decide a win ([`super::FlashSale`]
//! owns the units). It shares with its connections one [`SaleBoard`] per
//! sale: the terms, a few atomics (units committed, units left, stopped)
//! and every buyer's book (units committed, units taken, and the answer
//! remembered for each request), in shards locked by buyer. The room's own
//! judging reads and writes the same books under the same locks, so a
//! request has one answer wherever it is judged.
//!
//! A connection answers an attempt itself ([`SaleBoard::at_the_edge`]) only
//! when the answer cannot change:
//!
//! - a replayed request whose remembered answer is a committed win or a
//!   refusal: the same answer (a pending win goes to the room, which stays
//!   silent until the win commits, as before);
//! - `ended`: stopped, or past its end; a sale never restarts;
//! - `not_started`: before the start (judged again on every retry, never
//!   remembered, exactly as the room does);
//! - `sold_out` only once every unit is *committed*. While wins are
//!   pending, a failed commit would give units back, so "nothing left" is
//!   not final and the attempt goes to the room;
//! - `limit_reached` only from the buyer's *committed* units (orders exist,
//!   so the count never falls), and only while units are left (otherwise
//!   the room would say `sold_out` first).
//!
//! Everything else (any attempt that might win) goes to the room. None of
//! these refuses an attempt that could win at that moment or later, so
//! "exactly min(attempts, quantity) win" still rests on the room alone.
//! Refusals answered here are remembered like the room's (up to
//! [`super::REMEMBERED_REFUSALS`] per sale, shared), so a replay answers
//! the same wherever it lands.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use zhibo_domain::{FlashSaleId, Timestamp, UserId};

use super::{FlashFrame, FlashSaleTerms, Outcome, REMEMBERED_REFUSALS, Refusal};

/// Locks the buyers' books are spread over, by buyer id: two connections
/// rarely wait on the same one.
const SHARDS: usize = 16;

/// What one buyer holds in one sale.
#[derive(Debug, Default)]
pub(super) struct BuyerBook {
    /// Units won and committed (their orders exist): never falls.
    pub(super) committed: u32,
    /// Units won, committed or still pending.
    pub(super) taken: u32,
    /// The remembered answer to each of the buyer's requests.
    pub(super) answers: HashMap<String, Outcome>,
}

/// A refusal frame cut around its request id, so answering one costs a
/// copy and the id's JSON escaping, not a serialization. Cut from the
/// frame the room itself sends (`FlashFrame::result` through
/// `protocol::single`), so both are byte for byte the same.
#[derive(Debug)]
struct Cut {
    head: Vec<u8>,
    tail: Vec<u8>,
}

/// A request id no buyer can send (`request` is printable ASCII), so its
/// JSON form appears once in the frame, where the id goes.
const MARK: &str = "\u{1}";

impl Cut {
    fn new(terms: &FlashSaleTerms, refusal: Refusal) -> Cut {
        let frame = crate::protocol::single(&FlashFrame::result(terms, MARK, &Outcome::Refused(refusal)));
        let mark = serde_json::to_vec(MARK).unwrap_or_default();
        let at = frame.windows(mark.len()).position(|w| w == mark.as_slice()).unwrap_or(frame.len());
        let tail = frame.get(at + mark.len()..).unwrap_or_default();
        Cut { head: frame[..at].to_vec(), tail: tail.to_vec() }
    }

    fn frame(&self, request: &str) -> Bytes {
        let mut out = Vec::with_capacity(self.head.len() + request.len() + 8 + self.tail.len());
        out.extend_from_slice(&self.head);
        // Writing a &str to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, request);
        out.extend_from_slice(&self.tail);
        Bytes::from(out)
    }
}

const REFUSALS: [Refusal; 5] =
    [Refusal::NotStarted, Refusal::Ended, Refusal::SoldOut, Refusal::NotEnoughLeft, Refusal::LimitReached];

/// One sale as its room publishes it.
#[derive(Debug)]
pub struct SaleBoard {
    terms: FlashSaleTerms,
    /// Units committed: only grows.
    sold: AtomicU32,
    /// Units neither committed nor pending.
    remaining: AtomicU32,
    stopped: AtomicBool,
    /// Attempts answered at the edge (the room counts its own).
    edge_attempts: AtomicU64,
    refusals_kept: AtomicUsize,
    buyers: Vec<Mutex<HashMap<UserId, BuyerBook>>>,
    cuts: Vec<Cut>,
}

impl SaleBoard {
    pub(super) fn new(terms: FlashSaleTerms) -> SaleBoard {
        let cuts = REFUSALS.iter().map(|r| Cut::new(&terms, *r)).collect();
        SaleBoard {
            remaining: AtomicU32::new(terms.quantity),
            terms,
            sold: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
            edge_attempts: AtomicU64::new(0),
            refusals_kept: AtomicUsize::new(0),
            buyers: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            cuts,
        }
    }

    pub fn sale(&self) -> FlashSaleId {
        self.terms.sale
    }

    /// The books of the shard holding `buyer`.
    pub(super) fn books(&self, buyer: UserId) -> MutexGuard<'_, HashMap<UserId, BuyerBook>> {
        let shard = buyer.0.rem_euclid(SHARDS as i64) as usize;
        // A panic while holding a shard leaves consistent books (every
        // update is one assignment), so a poisoned lock is still usable.
        self.buyers[shard].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The room publishes its counts after every change.
    pub(super) fn publish(&self, sold: u32, remaining: u32) {
        self.remaining.store(remaining, Ordering::Release);
        self.sold.store(sold, Ordering::Release);
    }

    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    pub(super) fn edge_attempts(&self) -> u64 {
        self.edge_attempts.load(Ordering::Relaxed)
    }

    /// Whether one more refusal may be remembered (about
    /// [`REMEMBERED_REFUSALS`]: two threads may both take the last place).
    pub(super) fn keep_refusal(&self) -> bool {
        self.refusals_kept.load(Ordering::Relaxed) < REMEMBERED_REFUSALS
            && self.refusals_kept.fetch_add(1, Ordering::Relaxed) < REMEMBERED_REFUSALS
    }

    /// The refusal frame for `request`, the same bytes the room sends.
    pub fn refusal_frame(&self, refusal: Refusal, request: &str) -> Bytes {
        let at = REFUSALS.iter().position(|r| *r == refusal).unwrap_or(0);
        self.cuts[at].frame(request)
    }

    /// Answers an attempt from the published state when its answer is
    /// final (see the module's notes); `None`: the room must judge it.
    /// `quantity` and `request` have passed `flash_buy`'s field checks.
    pub fn at_the_edge(&self, buyer: UserId, quantity: u32, request: &str, now: Timestamp) -> Option<Bytes> {
        let mut books = self.books(buyer);
        let book = books.get(&buyer);
        if let Some(previous) = book.and_then(|b| b.answers.get(request)) {
            return match previous {
                Outcome::Pending { .. } => None,
                Outcome::Refused(refusal) => Some(self.refusal_frame(*refusal, request)),
                won => Some(crate::protocol::single(&FlashFrame::result(&self.terms, request, won))),
            };
        }
        let committed = book.map_or(0, |b| b.committed);
        let t = &self.terms;
        let refusal = if self.stopped.load(Ordering::Acquire) || t.ends_at.is_some_and(|end| now >= end) {
            Refusal::Ended
        } else if now < t.starts_at {
            Refusal::NotStarted
        } else if self.sold.load(Ordering::Acquire) >= t.quantity {
            Refusal::SoldOut
        } else if committed.saturating_add(quantity) > t.per_buyer && self.remaining.load(Ordering::Acquire) > 0 {
            Refusal::LimitReached
        } else {
            return None;
        };
        self.edge_attempts.fetch_add(1, Ordering::Relaxed);
        // Before the start a retry must be judged again, not replayed.
        if refusal != Refusal::NotStarted && self.keep_refusal() {
            books.entry(buyer).or_default().answers.insert(request.to_owned(), Outcome::Refused(refusal));
        }
        Some(self.refusal_frame(refusal, request))
    }
}

/// The boards of every sale a room knows, for its connections to find by
/// sale id. Written when a sale opens or resumes; read on every attempt.
#[derive(Debug, Default)]
pub struct FlashBoards {
    sales: RwLock<Vec<Arc<SaleBoard>>>,
}

impl FlashBoards {
    pub(crate) fn publish(&self, board: Arc<SaleBoard>) {
        self.sales.write().unwrap_or_else(|e| e.into_inner()).push(board);
    }

    /// The sale's board, if the room published one. A sale's board is
    /// the same for as long as the room runs, so callers may keep it.
    pub fn find(&self, sale: FlashSaleId) -> Option<Arc<SaleBoard>> {
        let sales = self.sales.read().unwrap_or_else(|e| e.into_inner());
        sales.iter().rev().find(|b| b.sale() == sale).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Decision, FlashSale};
    use super::*;
    use zhibo_domain::{Fen, OrderId, ProductId, SkuId};

    const T: Timestamp = Timestamp(1_000_000);

    fn sale(quantity: u32, per_buyer: u32) -> FlashSale {
        FlashSale::new(FlashSaleTerms {
            sale: FlashSaleId(1),
            product: ProductId(2),
            sku: SkuId(3),
            price: Fen(990),
            quantity,
            per_buyer,
            starts_at: T,
            ends_at: Some(Timestamp(T.0 + 60_000)),
        })
    }

    fn json(frame: Option<Bytes>) -> serde_json::Value {
        serde_json::from_slice(&frame.expect("answered at the edge")).unwrap()
    }

    #[test]
    fn its_frames_are_the_rooms_byte_for_byte() {
        let s = sale(5, 1);
        for request in ["r-1", "a\"b\\c", "{}[]", "x"] {
            for refusal in REFUSALS {
                let room = crate::protocol::single(&FlashFrame::result(s.terms(), request, &Outcome::Refused(refusal)));
                assert_eq!(s.board().refusal_frame(refusal, request), room, "{request} {refusal:?}");
            }
        }
    }

    #[test]
    fn only_final_refusals_are_answered_at_the_edge() {
        let mut s = sale(2, 1);
        let b = s.board().clone();
        // Before the start: refused, and judged again next time.
        assert_eq!(json(b.at_the_edge(UserId(1), 1, "a", Timestamp(T.0 - 1)))["reason"], "not_started");
        assert_eq!(s.answer(UserId(1), "a"), None);
        // Units left: only the room may judge.
        assert_eq!(b.at_the_edge(UserId(1), 1, "a", T), None);
        assert_eq!(s.attempt(UserId(1), 1, "a", T), Decision::Win { quantity: 1 });
        assert_eq!(s.attempt(UserId(2), 1, "b", T), Decision::Win { quantity: 1 });
        // Nothing left, but both wins pending: a failed commit would give a
        // unit back, so "sold out" is the room's to say, and a pending
        // win's replay waits for its commit in the room.
        assert_eq!(b.at_the_edge(UserId(3), 1, "c", T), None);
        assert_eq!(b.at_the_edge(UserId(1), 1, "a", T), None);
        // Buyer 1 is at the limit only with a pending unit: not final either.
        assert_eq!(b.at_the_edge(UserId(1), 1, "a2", T), None);
        s.failed(UserId(2), "b");
        assert_eq!(s.attempt(UserId(3), 1, "c", T), Decision::Win { quantity: 1 });
        s.committed(UserId(1), "a", OrderId(7));
        // Buyer 1's unit is committed and one unit is still pending: the
        // room would say the limit is reached, and always will.
        assert_eq!(s.remaining(), 0);
        assert_eq!(b.at_the_edge(UserId(1), 1, "a3", T), None, "the room says sold_out first while none is left");
        s.committed(UserId(3), "c", OrderId(8));
        // Every unit committed: sold out for good.
        let sold_out = json(b.at_the_edge(UserId(4), 1, "d", T));
        assert_eq!((sold_out["ok"].as_bool(), sold_out["reason"].as_str()), (Some(false), Some("sold_out")));
        assert_eq!(s.answer(UserId(4), "d"), Some(Outcome::Refused(Refusal::SoldOut)));
        // A replayed win is answered with its order, as the room answers it.
        let won = b.at_the_edge(UserId(1), 1, "a", T);
        let room = Outcome::Won { quantity: 1, order: OrderId(7) };
        assert_eq!(won, Some(crate::protocol::single(&FlashFrame::result(s.terms(), "a", &room))));
        // The edge's refusal is remembered: the room replays it too.
        assert_eq!(s.attempt(UserId(4), 1, "d", T), Decision::Answer(Outcome::Refused(Refusal::SoldOut)));
        // Edge attempts count with the room's (replays do not): a at the
        // edge before the start, a, b, c in the room, d at the edge.
        assert_eq!(s.attempts(), 5);
    }

    #[test]
    fn the_limit_and_the_end_are_final_at_the_edge() {
        let mut s = sale(10, 2);
        let b = s.board().clone();
        assert_eq!(s.attempt(UserId(1), 2, "a", T), Decision::Win { quantity: 2 });
        s.committed(UserId(1), "a", OrderId(1));
        assert_eq!(json(b.at_the_edge(UserId(1), 1, "more", T))["reason"], "limit_reached");
        // Another buyer still goes to the room.
        assert_eq!(b.at_the_edge(UserId(2), 1, "x", T), None);
        // A refusal the room remembered is replayed at the edge, as is.
        assert_eq!(s.attempt(UserId(2), 3, "big", T), Decision::Answer(Outcome::Refused(Refusal::LimitReached)));
        assert_eq!(json(b.at_the_edge(UserId(2), 3, "big", T))["reason"], "limit_reached");
        // Past the end, before the room's tick stops it: ended.
        let late = Timestamp(T.0 + 60_000);
        assert_eq!(json(b.at_the_edge(UserId(3), 1, "y", late))["reason"], "ended");
        // Stopped by hand.
        s.stop();
        assert_eq!(json(b.at_the_edge(UserId(3), 1, "z", T))["reason"], "ended");
        // The replayed win still answers its order after the end.
        assert_eq!(json(b.at_the_edge(UserId(1), 2, "a", late))["order"], 1);
    }

    #[test]
    fn the_published_views_are_found_by_sale() {
        let boards = FlashBoards::default();
        let s = sale(1, 1);
        assert!(boards.find(FlashSaleId(1)).is_none());
        boards.publish(s.board().clone());
        assert!(Arc::ptr_eq(&boards.find(FlashSaleId(1)).unwrap(), s.board()));
        assert!(boards.find(FlashSaleId(2)).is_none());
    }
}
