//! The event log's group commit and its bookkeeping, apart from any SQL.
//!
//! Every append in the process goes through one [`GroupCommit`]: callers put
//! their [`NewEvent`] on a queue and wait; one writer task takes whatever is
//! queued (up to a cap), hands the whole batch to a [`BatchWriter`] that
//! stores it in ONE transaction, and only after the commit answers each
//! caller. A durable commit costs an fsync, so batching turns "one fsync per
//! event" into "one fsync per burst" without ever acknowledging an event
//! that is not on disk.
//!
//! A backend supplies only the [`BatchWriter`]; numbering and time stamping
//! are [`RoomTails`]' job, so the SQLite backend and a later PostgreSQL one
//! share the queue, the batching and the sequence rules. [`fold_room`] reads
//! a room back through any [`EventStore`].

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};
use zhibo_domain::event::{Event, NewEvent, Projection};
use zhibo_domain::{RoomId, Timestamp};

use crate::{EventStore, Result, StoreError};

/// The most events one transaction carries: big enough to absorb a burst,
/// small enough that one batch never holds the write lock for long.
pub const MAX_BATCH: usize = 512;

/// How many events [`fold_room`] reads per query.
const FOLD_PAGE: u32 = 1000;

/// The storage half of group commit.
pub trait BatchWriter: Send + 'static {
    /// Stores the whole batch in one transaction and returns its events
    /// numbered and stamped, in the batch's order — or fails and leaves
    /// nothing of the batch behind.
    fn append_batch(&mut self, batch: &[NewEvent]) -> impl Future<Output = Result<Vec<Event>>> + Send;
}

/// One caller waiting for its event to be committed.
struct Pending {
    event: NewEvent,
    reply: oneshot::Sender<Result<Event>>,
}

/// The queue in front of the one writer task. Cloning shares the queue; the
/// writer stops once every clone is dropped.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Pending>,
    commits: Arc<AtomicU64>,
}

impl GroupCommit {
    /// Spawns the writer task on the current tokio runtime.
    pub fn spawn(writer: impl BatchWriter, max_batch: usize) -> GroupCommit {
        let max_batch = max_batch.max(1);
        // Bounded, so a flood of producers waits here instead of growing
        // memory without limit; a few batches' worth keeps the writer fed.
        let (queue, pending) = mpsc::channel(4 * max_batch);
        let commits = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(writer, pending, max_batch, commits.clone()));
        GroupCommit { queue, commits }
    }

    /// Appends one event and returns it once its batch is committed. If the
    /// caller stops waiting, the event may still be committed.
    pub async fn append(&self, event: NewEvent) -> Result<Event> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Pending { event, reply }).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// How many batches the writer has committed: fewer than the events
    /// appended exactly when batching happened.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }
}

async fn run(
    mut writer: impl BatchWriter,
    mut queue: mpsc::Receiver<Pending>,
    max_batch: usize,
    commits: Arc<AtomicU64>,
) {
    let mut pending = Vec::with_capacity(max_batch);
    while queue.recv_many(&mut pending, max_batch).await > 0 {
        let (batch, replies): (Vec<NewEvent>, Vec<_>) = pending.drain(..).map(|p| (p.event, p.reply)).unzip();
        match writer.append_batch(&batch).await {
            Ok(events) => {
                // Answering with the wrong events would be worse than
                // stopping: callers then see WriterStopped.
                assert_eq!(events.len(), replies.len(), "a BatchWriter must return one event per appended event");
                // Counted before answering, so a caller holding its answer
                // already sees its commit in the count.
                commits.fetch_add(1, Ordering::SeqCst);
                for (reply, event) in replies.into_iter().zip(events) {
                    // A caller that stopped waiting no longer needs the answer.
                    let _ = reply.send(Ok(event));
                }
            }
            Err(err) => {
                // The error is not Clone; every caller gets its text.
                let why = err.to_string();
                tracing::error!(events = replies.len(), error = %why, "event batch not committed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::BatchFailed(why.clone())));
                }
            }
        }
    }
}

/// Where a room's log ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    pub seq: u64,
    pub time: Timestamp,
}

impl Tail {
    /// A room with no events: the next seq is 1 and any time is allowed.
    pub const EMPTY: Tail = Tail { seq: 0, time: Timestamp(i64::MIN) };
}

/// The writer's cache of each room's [`Tail`], so numbering a batch needs no
/// `MAX(seq)` query. Sound because one writer task is the only appender: a
/// tail read from the database once stays true as long as it is advanced
/// after every commit. After a failed batch its rooms are forgotten, so the
/// next batch reads them again instead of trusting a guess.
#[derive(Debug, Default)]
pub struct RoomTails {
    known: HashMap<RoomId, Tail>,
}

impl RoomTails {
    /// The batch's rooms whose tail must be read from storage before
    /// [`RoomTails::stamp`], each once, in id order.
    pub fn unknown(&self, batch: &[NewEvent]) -> Vec<RoomId> {
        let rooms: BTreeSet<RoomId> = batch.iter().map(|e| e.room).filter(|r| !self.known.contains_key(r)).collect();
        rooms.into_iter().collect()
    }

    pub fn learn(&mut self, room: RoomId, tail: Tail) {
        self.known.insert(room, tail);
    }

    /// Numbers and stamps a batch after the known tails, without moving them
    /// (that waits for the commit). Each room continues its own sequence;
    /// time is `now`, except that it never goes back within a room, so a
    /// clock stepped backwards cannot reorder a log by time.
    pub fn stamp(&self, batch: &[NewEvent], now: Timestamp) -> Vec<Event> {
        let mut tails: HashMap<RoomId, Tail> = HashMap::new();
        batch
            .iter()
            .map(|e| {
                let tail = tails.entry(e.room).or_insert_with(|| {
                    debug_assert!(self.known.contains_key(&e.room), "learn room {} before stamping", e.room);
                    self.known.get(&e.room).copied().unwrap_or(Tail::EMPTY)
                });
                *tail = Tail { seq: tail.seq + 1, time: now.max(tail.time) };
                Event {
                    room: e.room,
                    seq: tail.seq,
                    time: tail.time,
                    kind: e.kind.clone(),
                    actor: e.actor.clone(),
                    amount: e.amount,
                    payload: e.payload.clone(),
                }
            })
            .collect()
    }

    /// Moves the tails past a committed batch.
    pub fn advance(&mut self, committed: &[Event]) {
        for e in committed {
            self.known.insert(e.room, Tail { seq: e.seq, time: e.time });
        }
    }

    /// Drops what is known about the batch's rooms after it failed.
    pub fn forget(&mut self, batch: &[NewEvent]) {
        for e in batch {
            self.known.remove(&e.room);
        }
    }
}

/// Folds a room's whole log into `projection`, reading it in pages so a long
/// show never sits in memory at once.
pub async fn fold_room<P: Projection + Send>(
    store: &(impl EventStore + ?Sized),
    room: RoomId,
    mut projection: P,
) -> Result<P> {
    let mut after = 0;
    loop {
        let page = store.events_after(room, after, FOLD_PAGE).await?;
        for event in &page {
            projection.apply(event);
        }
        match page.last() {
            Some(last) if page.len() == FOLD_PAGE as usize => after = last.seq,
            _ => return Ok(projection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use zhibo_domain::event::{Actor, EventKind};

    fn new_event(room: i64) -> NewEvent {
        NewEvent {
            room: RoomId(room),
            kind: EventKind::parse("test.event").unwrap(),
            actor: Actor::System,
            amount: None,
            payload: json!({}),
        }
    }

    /// Keeps the log in a Vec and fails the batches it is told to.
    #[derive(Default)]
    struct FakeWriter {
        stored: Vec<Event>,
        tails: RoomTails,
        fail_batches: Vec<usize>,
        batches: usize,
    }

    impl BatchWriter for FakeWriter {
        async fn append_batch(&mut self, batch: &[NewEvent]) -> Result<Vec<Event>> {
            self.batches += 1;
            for room in self.tails.unknown(batch) {
                let last = self.stored.iter().rev().find(|e| e.room == room);
                self.tails.learn(room, last.map_or(Tail::EMPTY, |e| Tail { seq: e.seq, time: e.time }));
            }
            let events = self.tails.stamp(batch, Timestamp(0));
            if self.fail_batches.contains(&self.batches) {
                self.tails.forget(batch);
                return Err(StoreError::Corrupt("disk on fire".into()));
            }
            self.tails.advance(&events);
            self.stored.extend(events.iter().cloned());
            Ok(events)
        }
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_caller_in_it_and_the_next_batch_skips_no_seq() {
        let log = GroupCommit::spawn(FakeWriter { fail_batches: vec![2], ..FakeWriter::default() }, 64);
        assert_eq!(log.append(new_event(1)).await.unwrap().seq, 1);

        // Spawned before the writer can run (current-thread runtime), so all
        // ten land in batch 2, which fails.
        let doomed: Vec<_> = (0..10)
            .map(|i| {
                tokio::spawn({
                    let log = log.clone();
                    async move { log.append(new_event(1 + i % 2)).await }
                })
            })
            .collect();
        for task in doomed {
            let err = task.await.unwrap().unwrap_err();
            assert!(matches!(&err, StoreError::BatchFailed(why) if why.contains("disk on fire")), "{err}");
        }

        assert_eq!(log.append(new_event(1)).await.unwrap().seq, 2);
        assert_eq!(log.append(new_event(2)).await.unwrap().seq, 1);
        assert_eq!(log.commits(), 3);
    }

    #[test]
    fn stamping_continues_each_room_and_never_moves_time_back() {
        let mut tails = RoomTails::default();
        tails.learn(RoomId(1), Tail { seq: 7, time: Timestamp(5_000) });
        tails.learn(RoomId(2), Tail::EMPTY);
        let batch = [new_event(1), new_event(2), new_event(1)];
        let stamped = tails.stamp(&batch, Timestamp(1_000));
        let got: Vec<_> = stamped.iter().map(|e| (e.room.0, e.seq, e.time.0)).collect();
        assert_eq!(got, [(1, 8, 5_000), (2, 1, 1_000), (1, 9, 5_000)]);
        // Not moved until the commit.
        assert_eq!(tails.stamp(&batch[..1], Timestamp(0))[0].seq, 8);
        tails.advance(&stamped);
        assert_eq!(tails.stamp(&batch[..1], Timestamp(0))[0].seq, 10);
        tails.forget(&batch[..1]);
        assert_eq!(tails.unknown(&batch), [RoomId(1)]);
    }
}
