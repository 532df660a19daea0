//! Recordings of shows and the clips cut from them (migration 0013). The
//! media layer opens a segment when a publication starts and reports its
//! progress; the web layer reads a show's recording to map the room's log
//! onto it and keeps the clips staff trim around highlights. The files
//! themselves live in the recordings folder; this is their metadata.

use async_trait::async_trait;
use zhibo_domain::{RoomId, Timestamp, UserId};

use crate::Result;

/// One publication's part of a show's recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRecord {
    /// 1, 2, 3… in the order the publications started.
    pub seq: u32,
    /// When the publication started, on the store's clock.
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// Where the segment begins on the file's timeline.
    pub media_start_ms: i64,
    /// How much of the file's timeline it covers.
    pub duration_ms: i64,
}

/// A show's recording with its segments, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRecord {
    pub id: i64,
    pub show: RoomId,
    /// The file's name in the recordings folder.
    pub file: String,
    pub started_at: Timestamp,
    /// `None` while a segment is being written.
    pub ended_at: Option<Timestamp>,
    pub duration_ms: i64,
    pub bytes: i64,
    /// Times the writer fell behind and left tags out.
    pub gaps: i64,
    pub segments: Vec<SegmentRecord>,
}

impl RecordingRecord {
    /// Where the moment `at` of the clock falls in the recording: inside a
    /// segment, its offset from the segment's start; while the stream was
    /// away, the end of the segment before; before the first, 0.
    pub fn offset_of(&self, at: Timestamp) -> i64 {
        let Some(segment) = self.segments.iter().rev().find(|s| s.started_at <= at) else { return 0 };
        segment.media_start_ms + (at.0 - segment.started_at.0).clamp(0, segment.duration_ms)
    }
}

/// What a segment's writer reports as it goes and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentProgress {
    pub duration_ms: i64,
    /// The whole file's size now.
    pub bytes: i64,
    /// Gaps in this segment so far.
    pub gaps: i64,
    /// Set when the publication has ended.
    pub ended_at: Option<Timestamp>,
}

/// A clip to save: a span of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClip {
    pub title: String,
    pub start_ms: i64,
    pub end_ms: i64,
    /// The `highlight.marked` event it was cut around.
    pub highlight_seq: Option<u64>,
    pub created_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipRecord {
    pub id: i64,
    pub show: RoomId,
    pub title: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub highlight_seq: Option<u64>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait RecordingStore: Send + Sync {
    /// Starts a new segment of the show's recording at `at`, creating the
    /// recording (named `file`) on the first call; the segment begins where
    /// the recording's timeline ends, or at `min_media_start_ms` when the
    /// file says it ends later (a writer that stopped before reporting).
    /// Returns the recording with the new segment last.
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) when there is
    /// no such show.
    async fn begin_segment(
        &self,
        show: RoomId,
        file: &str,
        at: Timestamp,
        min_media_start_ms: i64,
    ) -> Result<RecordingRecord>;
    /// Records a segment's progress; the recording's duration, size, gap
    /// count and end follow.
    async fn update_segment(&self, show: RoomId, seq: u32, progress: SegmentProgress) -> Result<()>;
    /// The show's recording, if it was ever published.
    async fn recording(&self, show: RoomId) -> Result<Option<RecordingRecord>>;
    async fn add_clip(&self, show: RoomId, clip: &NewClip) -> Result<ClipRecord>;
    /// The show's clips, newest first.
    async fn clips(&self, show: RoomId) -> Result<Vec<ClipRecord>>;
    async fn clip(&self, show: RoomId, id: i64) -> Result<Option<ClipRecord>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_maps_onto_the_recording_without_the_time_away() {
        let segment = |seq, started, media_start, duration| SegmentRecord {
            seq,
            started_at: Timestamp(started),
            ended_at: None,
            media_start_ms: media_start,
            duration_ms: duration,
        };
        let recording = RecordingRecord {
            id: 1,
            show: RoomId(1),
            file: "show-1.flv".into(),
            started_at: Timestamp(1_000),
            ended_at: None,
            duration_ms: 8_000,
            bytes: 0,
            gaps: 0,
            // live 1 s–6 s, away 6 s–10 s, live again 10 s–13 s
            segments: vec![segment(1, 1_000, 0, 5_000), segment(2, 10_000, 5_000, 3_000)],
        };
        assert_eq!(recording.offset_of(Timestamp(0)), 0);
        assert_eq!(recording.offset_of(Timestamp(3_500)), 2_500);
        assert_eq!(recording.offset_of(Timestamp(8_000)), 5_000, "while away: the end of the first segment");
        assert_eq!(recording.offset_of(Timestamp(11_000)), 6_000);
        assert_eq!(recording.offset_of(Timestamp(99_000)), 8_000);
    }
}
