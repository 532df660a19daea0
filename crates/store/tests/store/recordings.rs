//! Recordings: segments numbered in order, each starting where the
//! recording's timeline ends (or later, when the file says so), progress
//! moving the recording's duration, size, gaps and end; clips saved and
//! read back newest first; an unknown show is refused.

use std::collections::BTreeMap;

use zhibo_domain::show::{ShowDraft, ShowInput};
use zhibo_domain::{RoomId, ShopId};
use zhibo_store::recordings::{NewClip, SegmentProgress};
use zhibo_store::shows::ShowStore;
use zhibo_store::{RecordingStore, ShopSettings, ShopStore, StoreError};

use crate::helpers::*;

async fn show(t: &TestStore, shop: ShopId) -> RoomId {
    let input = ShowInput {
        title: "录制测试".into(),
        intro: String::new(),
        scheduled_start: T0.plus_secs(3600),
        streamer: None,
        assistant: None,
        promotion_budget: None,
        lineup: Vec::new(),
        run_sheet: Vec::new(),
    };
    t.store.create_show(shop, &ShowDraft::parse(&input, &BTreeMap::new()).unwrap()).await.unwrap()
}

#[tokio::test]
async fn segments_continue_the_recording_and_clips_are_kept() {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("茶铺", &ShopSettings::default()).await.unwrap();
    let room = show(&t, shop).await;
    assert_eq!(t.store.recording(room).await.unwrap(), None);
    let missing = t.store.begin_segment(RoomId(9999), "show-9999.flv", T0, 0).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");

    let first = t.store.begin_segment(room, "show-1.flv", T0, 0).await.unwrap();
    assert_eq!(
        (first.file.as_str(), first.started_at, first.ended_at, first.segments.len()),
        ("show-1.flv", T0, None, 1)
    );
    assert_eq!((first.segments[0].seq, first.segments[0].media_start_ms), (1, 0));
    let progress = |duration_ms, bytes, gaps, ended| SegmentProgress { duration_ms, bytes, gaps, ended_at: ended };
    t.store.update_segment(room, 1, progress(10_000, 500_000, 0, None)).await.unwrap();
    t.store.update_segment(room, 1, progress(12_000, 600_000, 1, Some(T0.plus_secs(12)))).await.unwrap();
    let r = t.store.recording(room).await.unwrap().unwrap();
    assert_eq!((r.duration_ms, r.bytes, r.gaps, r.ended_at), (12_000, 600_000, 1, Some(T0.plus_secs(12))));

    // back after a drop: the second segment starts at 12 s of the timeline
    let second = t.store.begin_segment(room, "ignored.flv", T0.plus_secs(20), 0).await.unwrap();
    assert_eq!(second.file, "show-1.flv", "the recording keeps its file");
    assert_eq!(second.ended_at, None, "recording again");
    let s = second.segments[1];
    assert_eq!((s.seq, s.started_at, s.media_start_ms), (2, T0.plus_secs(20), 12_000));
    t.store.update_segment(room, 2, progress(3_000, 700_000, 0, Some(T0.plus_secs(23)))).await.unwrap();
    // a late report of the first segment does not shorten the recording
    t.store.update_segment(room, 1, progress(12_000, 600_000, 1, Some(T0.plus_secs(12)))).await.unwrap();
    let r = t.store.recording(room).await.unwrap().unwrap();
    assert_eq!((r.duration_ms, r.bytes, r.gaps, r.ended_at), (15_000, 700_000, 1, Some(T0.plus_secs(23))));
    assert_eq!(r.offset_of(T0.plus_secs(21)), 13_000);

    // a file longer than the store knew (a writer that stopped before reporting)
    let third = t.store.begin_segment(room, "show-1.flv", T0.plus_secs(30), 16_000).await.unwrap();
    assert_eq!(third.segments[2].media_start_ms, 16_000);
    assert!(matches!(t.store.update_segment(room, 9, progress(1, 1, 0, None)).await, Err(StoreError::NotFound(_))));

    let clip =
        NewClip { title: "试穿".into(), start_ms: 1_000, end_ms: 5_000, highlight_seq: Some(7), created_by: None };
    let saved = t.store.add_clip(room, &clip).await.unwrap();
    assert_eq!(
        (saved.title.as_str(), saved.start_ms, saved.end_ms, saved.highlight_seq, saved.created_at),
        ("试穿", 1_000, 5_000, Some(7), T0)
    );
    let later = t.store.add_clip(room, &NewClip { title: "开箱".into(), highlight_seq: None, ..clip }).await.unwrap();
    let ids: Vec<i64> = t.store.clips(room).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, [later.id, saved.id]);
    assert_eq!(t.store.clip(room, saved.id).await.unwrap(), Some(saved.clone()));
    assert_eq!(t.store.clip(RoomId(9999), saved.id).await.unwrap(), None);
}
