//! The recorder over a real SQLite store, fed straight from the test: a
//! writer that cannot keep up (its queue holds 8 tags and the test pushes
//! without yielding) never makes the publisher wait; the feed leaves tags
//! out up to the next keyframe, the writer logs one `recording.gap` event
//! and counts the gap, and every tag pushed is either in the file or
//! counted as left out. Nothing sleeps: waits are bounded yields.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use zhibo_domain::show::{ShowDraft, ShowInput};
use zhibo_domain::{Timestamp, VirtualClock};
use zhibo_media::flv::{self, Tag, TagKind};
use zhibo_media::record::{self, Recorder};
use zhibo_store::shows::ShowStore;
use zhibo_store::{EventStore, RecordingStore, ShopSettings, ShopStore, SqliteStore};

const T0: Timestamp = Timestamp(1_795_608_000_000);

fn tag(kind: TagKind, ms: u32, body: &[u8]) -> Tag {
    Tag { kind, timestamp: ms, body: Bytes::copy_from_slice(body) }
}

/// Frame `i` of a 25 fps stream with a keyframe every second, and its audio.
fn frame(i: u32) -> [Tag; 2] {
    let key = if i.is_multiple_of(25) { 0x17 } else { 0x27 };
    [tag(TagKind::Video, i * 40, &[key, 1, 0, 0, 0, i as u8]), tag(TagKind::Audio, i * 40, &[0xAF, 1, 7])]
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what} within the safety timeout");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_writer_that_falls_behind_leaves_a_gap_and_never_blocks_the_publisher() {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    let shop = store.create_shop("茶铺", &ShopSettings::default()).await.unwrap();
    let input = ShowInput {
        title: "录制".into(),
        intro: String::new(),
        scheduled_start: T0,
        streamer: None,
        assistant: None,
        promotion_budget: None,
        lineup: Vec::new(),
        run_sheet: Vec::new(),
    };
    let show = store.create_show(shop, &ShowDraft::parse(&input, &BTreeMap::new()).unwrap()).await.unwrap();
    let recordings = dir.path().join("recordings");
    let recorder = Arc::new(
        Recorder::new(recordings.clone(), store.clone(), store.clone(), Arc::new(clock.clone())).with_capacity(8),
    );

    let mut feed = recorder.begin(show, T0);
    let mut pushed = 0u64;
    let mut push = |feed: &mut record::RecordFeed, t: Tag| {
        feed.push(&t);
        pushed += 1;
    };
    push(&mut feed, tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1, 2]));
    push(&mut feed, tag(TagKind::Audio, 0, &[0xAF, 0, 0x12, 0x10]));
    // 1.2 s pushed without yielding: the writer's queue overflows
    for i in 0..30 {
        for t in frame(i) {
            push(&mut feed, t);
        }
    }
    assert!(feed.dropped() > 0, "the queue overflowed");
    until("the writer to catch up", || feed.drained()).await;
    // the rest arrives at the writer's pace; what follows the gap starts at a keyframe
    for i in 30..75 {
        for t in frame(i) {
            push(&mut feed, t);
            until("the writer to take it", || feed.drained()).await;
        }
    }
    assert_eq!(feed.dropped(), 0);
    drop(feed);
    let mut recording = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while recording.is_none() {
        recording = store.recording(show).await.unwrap().filter(|r| r.ended_at.is_some());
        assert!(tokio::time::Instant::now() < deadline, "the segment ends");
        tokio::task::yield_now().await;
    }
    let recording = recording.unwrap();
    assert_eq!(recording.gaps, 1);

    let events = store.events_after(show, 0, 100).await.unwrap();
    let gaps: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "recording.gap").collect();
    assert_eq!(gaps.len(), 1);
    let dropped = gaps[0].payload["dropped_tags"].as_u64().unwrap();

    let data = std::fs::read(recordings.join(&recording.file)).unwrap();
    assert_eq!(data.len() as i64, recording.bytes);
    let tags = flv::parse(&data).unwrap();
    assert_eq!(tags.len() as u64 + dropped, pushed, "every tag is in the file or counted as left out");
    // after the gap the video goes on from a keyframe (at 2 s), not mid-GOP
    let video: Vec<&Tag> = tags.iter().filter(|t| t.kind == TagKind::Video && !t.info().sequence_header).collect();
    let jump =
        video.windows(2).find(|w| w[1].timestamp - w[0].timestamp > 40).expect("a jump where tags were left out");
    assert!(jump[1].info().keyframe && jump[1].timestamp == 2000, "resumes at the keyframe at 2 s");
    assert_eq!(video.last().unwrap().timestamp, 74 * 40);
    assert_eq!(recording.duration_ms, 74 * 40 + 40);
}
