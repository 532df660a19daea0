//! The event log: group commit, gap-free numbering, time stamping, rollups
//! that agree with the domain's fold, durability, and failed batches.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use zhibo_domain::event::{Event, MinuteRollups, NewEvent, Projection, fold};
use zhibo_domain::{Clock, RoomId, Timestamp, VirtualClock};
use zhibo_store::{EventStore, SqliteStore, StoreError, fold_room};

use crate::helpers::{EVER, T0, TestStore, new_event};

/// Spawns one task per event. On the current-thread runtime of
/// `#[tokio::test]` none of them (nor the log's writer task) runs until the
/// caller awaits, so they all queue before the writer wakes: one batch.
async fn append_together(store: &SqliteStore, events: Vec<NewEvent>) -> Vec<zhibo_store::Result<Event>> {
    let tasks: Vec<_> = events
        .into_iter()
        .map(|event| {
            let store = store.clone();
            tokio::spawn(async move { store.append(event).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

async fn whole_log(store: &SqliteStore, room: i64) -> Vec<Event> {
    store.events_after(RoomId(room), 0, u32::MAX).await.unwrap()
}

/// Checks what every room's log must be, whatever was appended: seqs exactly
/// 1..=n, times never going back, and the rollup table equal to the domain's
/// fold over the events.
async fn assert_log_invariants(store: &SqliteStore, room: i64) -> Vec<Event> {
    let log = whole_log(store, room).await;
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<_>>(), "room {room} has gaps");
    assert!(log.windows(2).all(|w| w[0].time <= w[1].time), "room {room} goes back in time");
    assert_eq!(store.last_seq(RoomId(room)).await.unwrap(), log.len() as u64);
    let rollups: BTreeMap<_, _> = store.rollups(RoomId(room), EVER.0, EVER.1).await.unwrap().into_iter().collect();
    assert_eq!(rollups, fold(MinuteRollups::default(), &log).cells, "room {room} rollups disagree with the fold");
    log
}

#[tokio::test]
async fn concurrent_appends_are_batched_and_numbered_without_gaps() {
    let t = TestStore::new().await;
    let events = (0..200).map(|i| new_event(1 + i % 3, "comment.posted", None)).collect();

    let before = t.store.commits();
    let appended: Vec<Event> = append_together(&t.store, events).await.into_iter().map(Result::unwrap).collect();
    let commits = t.store.commits() - before;
    assert!(commits < 200, "{commits} commits for 200 events: no batching");
    assert_eq!(commits, 1, "all 200 were queued before the writer ran");

    for room in 1..=3 {
        let log = assert_log_invariants(&t.store, room).await;
        let mine: Vec<&Event> = appended.iter().filter(|e| e.room == RoomId(room)).collect();
        assert_eq!(log.len(), mine.len());
        for event in mine {
            assert_eq!(&log[event.seq as usize - 1], event, "a caller's answer differs from the log");
        }
    }
}

#[tokio::test]
async fn each_event_is_stamped_with_the_clock_but_never_earlier_than_its_room() {
    let t = TestStore::new().await;
    let a = t.store.append(new_event(1, "viewer.entered", None)).await.unwrap();
    t.clock.advance_secs(90);
    let b = t.store.append(new_event(1, "order.paid", Some(3990))).await.unwrap();
    t.clock.advance_secs(-120);
    let c = t.store.append(new_event(1, "order.paid", Some(10))).await.unwrap();
    let other = t.store.append(new_event(2, "viewer.entered", None)).await.unwrap();

    assert_eq!((a.seq, a.time), (1, T0));
    assert_eq!((b.seq, b.time), (2, T0.plus_secs(90)));
    assert_eq!((c.seq, c.time), (3, T0.plus_secs(90)), "the clock went back; the room did not");
    assert_eq!((other.seq, other.time), (1, T0.plus_secs(-30)), "another room has its own floor");
    assert_log_invariants(&t.store, 1).await;

    let minute = T0.plus_secs(60);
    let paid = t.store.rollups(RoomId(1), minute, minute.plus_secs(60)).await.unwrap();
    assert_eq!(paid.len(), 1);
    assert_eq!((paid[0].1.count, paid[0].1.amount.0), (2, 4000));
    assert!(t.store.rollups(RoomId(1), T0, minute).await.unwrap().iter().all(|(key, _)| key.0 == T0), "[from, to)");
}

#[tokio::test]
async fn fold_room_pages_through_a_long_log() {
    let t = TestStore::new().await;
    for _ in 0..5 {
        let wave = (0..500).map(|i| new_event(7, ["viewer.entered", "order.paid"][i % 2], Some(i as i64))).collect();
        assert!(append_together(&t.store, wave).await.iter().all(Result::is_ok));
        t.clock.advance_secs(45);
    }
    assert_log_invariants(&t.store, 7).await;

    #[derive(Default)]
    struct Seqs(Vec<u64>);
    impl Projection for Seqs {
        fn apply(&mut self, event: &Event) {
            self.0.push(event.seq);
        }
    }
    let seqs = fold_room(&t.store, RoomId(7), Seqs::default()).await.unwrap();
    assert_eq!(seqs.0, (1..=2500).collect::<Vec<_>>());
    let rollups = fold_room(&t.store, RoomId(7), MinuteRollups::default()).await.unwrap();
    let table: BTreeMap<_, _> = t.store.rollups(RoomId(7), EVER.0, EVER.1).await.unwrap().into_iter().collect();
    assert_eq!(rollups.cells, table);
    assert!(fold_room(&t.store, RoomId(8), Seqs::default()).await.unwrap().0.is_empty());
}

#[tokio::test]
async fn the_log_survives_reopening_and_continues_its_sequence() {
    let t = TestStore::new().await;
    for (room, minutes) in [(1, 0), (2, 0), (1, 1), (1, 2)] {
        t.clock.set(T0.plus_secs(60 * minutes));
        t.store.append(new_event(room, "order.paid", Some(100))).await.unwrap();
    }
    let before = (whole_log(&t.store, 1).await, t.store.rollups(RoomId(1), EVER.0, EVER.1).await.unwrap());
    drop(t.store);

    // A clock behind the stored log: the stored tail still bounds the time.
    let clock = VirtualClock::starting_at(T0);
    let store = SqliteStore::open(&t.dir.path().join("zhibo.db"), Arc::new(clock)).await.unwrap();
    assert_eq!((whole_log(&store, 1).await, store.rollups(RoomId(1), EVER.0, EVER.1).await.unwrap()), before);

    let next = store.append(new_event(1, "order.paid", Some(100))).await.unwrap();
    assert_eq!((next.seq, next.time), (4, T0.plus_secs(120)));
    assert_eq!(store.append(new_event(2, "order.paid", None)).await.unwrap().seq, 2);
    assert_log_invariants(&store, 1).await;
    assert_log_invariants(&store, 2).await;
}

#[tokio::test]
async fn a_failed_batch_stores_nothing_fails_every_caller_and_skips_no_seq() {
    let t = TestStore::new().await;
    t.store.append(new_event(1, "viewer.entered", None)).await.unwrap();
    t.store.append(new_event(1, "order.paid", Some(500))).await.unwrap();
    t.store.append(new_event(2, "viewer.entered", None)).await.unwrap();
    let rollups_before = t.store.rollups(RoomId(1), EVER.0, EVER.1).await.unwrap();

    // A trigger, from a connection of the test's own, that fails one
    // particular insert in the middle of a batch.
    let mut raw = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(t.db_path())).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER boom BEFORE INSERT ON room_events WHEN NEW.kind = 'test.boom'
         BEGIN SELECT RAISE(ABORT, 'boom'); END",
    )
    .execute(&mut raw)
    .await
    .unwrap();

    let commits = t.store.commits();
    let doomed = vec![
        new_event(1, "order.paid", Some(100)),
        new_event(2, "viewer.entered", None),
        new_event(1, "test.boom", None),
        new_event(3, "viewer.entered", None),
        new_event(1, "order.paid", Some(100)),
    ];
    for result in append_together(&t.store, doomed).await {
        let err = result.unwrap_err();
        assert!(matches!(&err, StoreError::BatchFailed(why) if why.contains("boom")), "{err}");
    }
    assert_eq!(t.store.commits(), commits);
    assert_eq!(t.store.last_seq(RoomId(1)).await.unwrap(), 2);
    assert_eq!(t.store.last_seq(RoomId(3)).await.unwrap(), 0);
    assert_eq!(t.store.rollups(RoomId(1), EVER.0, EVER.1).await.unwrap(), rollups_before);

    sqlx::query("DROP TRIGGER boom").execute(&mut raw).await.unwrap();
    assert_eq!(t.store.append(new_event(1, "order.paid", Some(100))).await.unwrap().seq, 3);
    assert_eq!(t.store.append(new_event(2, "order.paid", Some(100))).await.unwrap().seq, 2);
    assert_eq!(t.store.append(new_event(3, "order.paid", Some(100))).await.unwrap().seq, 1);
    for room in 1..=3 {
        assert_log_invariants(&t.store, room).await;
    }
}

// ---------------------------------------------------------------- property

const KINDS: [&str; 4] = ["viewer.entered", "comment.posted", "order.paid", "order.refunded"];

#[derive(Debug, Clone)]
struct Append {
    room: i64,
    kind: usize,
    amount: Option<i64>,
}

#[derive(Debug, Clone)]
enum Step {
    /// Awaited before the next step.
    One(Append),
    /// Spawned together, so they share a batch.
    Together(Vec<Append>),
    /// Moves the clock, sometimes backwards.
    Clock(i64),
}

fn append() -> impl Strategy<Value = Append> {
    (1..=3i64, 0..KINDS.len(), proptest::option::of(-5_000..100_000i64)).prop_map(|(room, kind, amount)| Append {
        room,
        kind,
        amount,
    })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => append().prop_map(Step::One),
        1 => proptest::collection::vec(append(), 2..8).prop_map(Step::Together),
        2 => (-90_000..240_000i64).prop_map(Step::Clock),
    ]
}

fn to_new_event(a: &Append) -> NewEvent {
    new_event(a.room, KINDS[a.kind], a.amount)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_append_history_keeps_the_log_gap_free_and_the_rollups_equal_to_the_fold(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let t = TestStore::new().await;
            let mut answered: Vec<Event> = Vec::new();
            let mut last: BTreeMap<i64, (u64, Timestamp)> = BTreeMap::new();
            for step in steps {
                match step {
                    Step::One(a) => {
                        let event = t.store.append(to_new_event(&a)).await.unwrap();
                        let (seq, time) = last.get(&a.room).copied().unwrap_or((0, Timestamp(i64::MIN)));
                        // In append order, stamped now unless that would go back.
                        prop_assert_eq!(event.seq, seq + 1);
                        prop_assert_eq!(event.time, t.clock.now().max(time));
                        last.insert(a.room, (event.seq, event.time));
                        answered.push(event);
                    }
                    Step::Together(batch) => {
                        let events = append_together(&t.store, batch.iter().map(to_new_event).collect()).await;
                        for event in events {
                            let event = event.unwrap();
                            let tail = last.entry(event.room.0).or_insert((0, Timestamp(i64::MIN)));
                            *tail = (tail.0.max(event.seq), tail.1.max(event.time));
                            answered.push(event);
                        }
                    }
                    Step::Clock(ms) => t.clock.advance_millis(ms),
                }
            }
            for room in 1..=3 {
                let log = assert_log_invariants(&t.store, room).await;
                let mine: Vec<&Event> = answered.iter().filter(|e| e.room == RoomId(room)).collect();
                prop_assert_eq!(log.len(), mine.len());
                for event in mine {
                    prop_assert_eq!(&log[event.seq as usize - 1], event);
                }
            }
            Ok(())
        })?;
    }
}
