//! Opening, migrating, health and backups.

use std::sync::Arc;

use tokio::sync::oneshot;
use zhibo_domain::{RoomId, VirtualClock};
use zhibo_store::{AdminStore, EventStore, SqliteStore, StoreError};

use crate::helpers::{T0, TestStore, new_event};

/// The versions of every migration in the folder, in order: what a fresh
/// database ends up with.
fn all_migrations() -> Vec<i64> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut versions: Vec<i64> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.split('_').next()?.parse().ok())
        .collect();
    versions.sort();
    versions
}

#[tokio::test]
async fn migrations_apply_once_and_reopening_changes_nothing() {
    let t = TestStore::new().await;
    assert_eq!(t.store.applied_migrations().await.unwrap(), all_migrations());
    assert_eq!(t.store.migrate().await.unwrap(), Vec::<i64>::new());
    t.store.ping().await.unwrap();

    let clock = Arc::new(VirtualClock::starting_at(T0));
    let again = SqliteStore::open(&t.db_path(), clock.clone()).await.unwrap();
    assert_eq!(again.applied_migrations().await.unwrap(), all_migrations());

    let fresh = SqliteStore::open_without_migrating(&t.dir.path().join("fresh.db"), clock).await.unwrap();
    assert_eq!(fresh.applied_migrations().await.unwrap(), Vec::<i64>::new());
    assert_eq!(fresh.migrate().await.unwrap(), all_migrations());
    assert_eq!(fresh.migrate().await.unwrap(), Vec::<i64>::new());
    assert_eq!(fresh.applied_migrations().await.unwrap(), all_migrations());
    fresh.integrity_check().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_events_are_appended_holds_a_gap_free_prefix() {
    let t = TestStore::new().await;
    const TOTAL: u64 = 300;
    let (started, has_started) = oneshot::channel();
    let appender = tokio::spawn({
        let store = t.store.clone();
        async move {
            let mut started = Some(started);
            for i in 0..TOTAL {
                store.append(new_event(1, "comment.posted", None)).await.unwrap();
                if i == 49 {
                    started.take().unwrap().send(()).unwrap();
                }
            }
        }
    });
    // Taken once 50 events are in, while the rest keep coming.
    has_started.await.unwrap();
    let backup = t.dir.path().join("backup.db");
    t.store.backup_to(&backup).await.unwrap();
    appender.await.unwrap();

    let err = t.store.backup_to(&backup).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "an existing file is never overwritten: {err}");

    let copy = SqliteStore::open(&backup, Arc::new(VirtualClock::starting_at(T0))).await.unwrap();
    copy.integrity_check().await.unwrap();
    assert_eq!(copy.applied_migrations().await.unwrap(), all_migrations());
    let copied = copy.events_after(RoomId(1), 0, u32::MAX).await.unwrap();
    let original = t.store.events_after(RoomId(1), 0, u32::MAX).await.unwrap();
    assert_eq!(original.len() as u64, TOTAL);
    assert!(copied.len() >= 50, "only {} events in the backup", copied.len());
    assert_eq!(copied[..], original[..copied.len()], "the backup is a prefix of the log");

    // The copy is a working store: its log goes on from where it was cut.
    let next = copy.append(new_event(1, "comment.posted", None)).await.unwrap();
    assert_eq!(next.seq, copied.len() as u64 + 1);
}

#[tokio::test]
async fn a_closed_store_refuses_work_and_the_file_reopens() {
    let t = TestStore::new().await;
    t.store.append(new_event(1, "viewer.entered", None)).await.unwrap();
    t.store.close().await;
    assert!(t.store.ping().await.is_err());
    let err = t.store.append(new_event(1, "viewer.entered", None)).await.unwrap_err();
    assert!(matches!(err, StoreError::BatchFailed(_)), "{err}");

    let store = SqliteStore::open(&t.db_path(), Arc::new(VirtualClock::starting_at(T0))).await.unwrap();
    assert_eq!(store.append(new_event(1, "viewer.entered", None)).await.unwrap().seq, 2);
}
