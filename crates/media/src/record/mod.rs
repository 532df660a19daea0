//! Recording (录制): every publication of a show is written to the show's
//! recording file as it arrives, remuxed, never re-encoded.
//!
//! The publisher's path only hands each tag to a [`RecordFeed`], which puts
//! it on a bounded channel without waiting: a disk slower than the stream
//! fills the channel, and then the feed leaves tags out until the next
//! keyframe (so what is written still decodes) and the writer logs a
//! `recording.gap` event in the room's log and counts the gap in the
//! recording's row. The publisher and the viewers never wait for the disk.
//!
//! One writer task per publication appends to `show-N.flv` in the
//! recordings folder (format: [`file`]); a drop and a return, or a stop and
//! a new start of the same show, is a new segment of the same file that
//! continues its timeline (the time away is left out), each segment's
//! clock start and place on the timeline kept by the store
//! ([`zhibo_store::RecordingStore`]) so the room's log maps onto the
//! recording. A show's writers take turns (a per-show lock), so a quick
//! return waits for the previous writer to finish its file.

pub mod file;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_domain::{Clock, RoomId, Timestamp};
use zhibo_store::recordings::SegmentProgress;
use zhibo_store::{EventStore, RecordingStore};

use crate::MediaError;
use crate::flv::{Tag, TagKind};
use file::SegmentWriter;

/// Tags a writer may fall behind before the feed leaves some out (about
/// 30 seconds of a 25 fps stream with audio).
pub const DEFAULT_CAPACITY: usize = 2048;

/// The writer reports its progress to the store this often (timeline ms).
const REPORT_EVERY_MS: u32 = 10_000;

/// Where a show's recording and its index are kept.
pub fn file_name(show: RoomId) -> String {
    format!("show-{}.flv", show.0)
}

/// The index file beside a recording file.
pub fn index_path(recording: &Path) -> PathBuf {
    recording.with_extension("idx")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records every show published to the server it is given to
/// ([`crate::MediaServer::record_to`]).
pub struct Recorder {
    dir: PathBuf,
    store: Arc<dyn RecordingStore>,
    events: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    capacity: usize,
    turns: Mutex<HashMap<RoomId, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// One tag for the writer, and how many were left out before it.
#[derive(Debug)]
struct Item {
    tag: Tag,
    dropped_before: u64,
}

/// The publisher's end of a recording: [`RecordFeed::push`] never waits.
/// Dropping it ends the segment.
#[derive(Debug)]
pub struct RecordFeed {
    tx: mpsc::Sender<Item>,
    dropped: u64,
    waiting_keyframe: bool,
    video: bool,
}

impl RecordFeed {
    fn new(tx: mpsc::Sender<Item>) -> RecordFeed {
        RecordFeed { tx, dropped: 0, waiting_keyframe: false, video: false }
    }

    /// Hands one tag to the writer. When the writer's queue is full the
    /// tag is left out, and so is everything after it up to the next
    /// keyframe; the next tag sent carries the count.
    pub fn push(&mut self, tag: &Tag) {
        let info = tag.info();
        let config = tag.kind == TagKind::Script || info.sequence_header;
        if tag.kind == TagKind::Video {
            self.video = true;
        }
        let keyframe = tag.kind == TagKind::Video && info.keyframe;
        if self.waiting_keyframe && self.video && !config && !keyframe {
            self.dropped += 1;
            return;
        }
        match self.tx.try_send(Item { tag: tag.clone(), dropped_before: self.dropped }) {
            Ok(()) => {
                self.dropped = 0;
                if !config {
                    self.waiting_keyframe = false;
                }
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped += 1;
                self.waiting_keyframe = true;
            }
            // the writer stopped (it logged why): the show goes on unrecorded
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Tags left out since the last one the writer got.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether the writer has taken everything handed to it so far.
    pub fn drained(&self) -> bool {
        self.tx.capacity() == self.tx.max_capacity()
    }
}

impl Recorder {
    /// Records into `dir` (created when needed).
    pub fn new(
        dir: PathBuf,
        store: Arc<dyn RecordingStore>,
        events: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
    ) -> Recorder {
        Recorder { dir, store, events, clock, capacity: DEFAULT_CAPACITY, turns: Mutex::default() }
    }

    /// The writer's queue, in tags.
    pub fn with_capacity(mut self, capacity: usize) -> Recorder {
        self.capacity = capacity.max(1);
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts recording a publication of `show` that began at `at` on the
    /// clock; returns the feed the publisher pushes tags into.
    pub fn begin(self: &Arc<Self>, show: RoomId, at: Timestamp) -> RecordFeed {
        let (tx, rx) = mpsc::channel(self.capacity);
        tokio::spawn(self.clone().write(show, at, rx));
        RecordFeed::new(tx)
    }

    fn turn(&self, show: RoomId) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.turns).entry(show).or_default().clone()
    }

    async fn write(self: Arc<Self>, show: RoomId, at: Timestamp, mut rx: mpsc::Receiver<Item>) {
        let turn = self.turn(show);
        let _turn = turn.lock().await;
        if let Err(error) = self.write_segment(show, at, &mut rx).await {
            tracing::error!(%show, %error, "录制失败，直播照常 / recording failed; the show goes on unrecorded");
            rx.close();
        }
    }

    async fn write_segment(
        &self,
        show: RoomId,
        at: Timestamp,
        rx: &mut mpsc::Receiver<Item>,
    ) -> Result<(), MediaError> {
        let name = file_name(show);
        let path = self.dir.join(&name);
        let index_path = index_path(&path);
        let repaired = {
            let (dir, path, index_path) = (self.dir.clone(), path.clone(), index_path.clone());
            tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(&dir)?;
                file::repair(&path, &index_path)
            })
            .await
            .map_err(|e| MediaError::Io(std::io::Error::other(e)))??
        };
        let min_start = repaired.last_ms.map_or(0, |ms| i64::from(ms) + 40);
        let recording = self.store.begin_segment(show, &name, at, min_start).await?;
        let segment = *recording.segments.last().ok_or_else(|| MediaError::Protocol("no segment".into()))?;
        let mut writer = SegmentWriter::new(u32::try_from(segment.media_start_ms).unwrap_or(u32::MAX), repaired.len);
        let data = tokio::fs::OpenOptions::new().append(true).open(&path).await?;
        let mut data = tokio::io::BufWriter::with_capacity(256 * 1024, data);
        let index = tokio::fs::OpenOptions::new().append(true).create(true).open(&index_path).await?;
        let mut index = tokio::io::BufWriter::new(index);
        tracing::info!(%show, file = %path.display(), segment = segment.seq, "recording");
        let mut gaps = 0i64;
        let mut next_report = REPORT_EVERY_MS;
        let written: Result<(), MediaError> = async {
            while let Some(item) = rx.recv().await {
                if item.dropped_before > 0 {
                    gaps += 1;
                    writer.resync();
                    self.gap(show, item.dropped_before, writer.duration_ms() + writer_start(&segment)).await;
                }
                let Some(encoded) = writer.encode(&item.tag) else { continue };
                data.write_all(&encoded.bytes).await?;
                if let Some(entry) = encoded.index {
                    // what the index points at is in the file first
                    data.flush().await?;
                    index.write_all(entry.line().as_bytes()).await?;
                    index.flush().await?;
                }
                if writer.duration_ms() >= next_report {
                    next_report = writer.duration_ms() + REPORT_EVERY_MS;
                    let progress = SegmentProgress {
                        duration_ms: i64::from(writer.duration_ms()),
                        bytes: writer.offset() as i64,
                        gaps,
                        ended_at: None,
                    };
                    self.store.update_segment(show, segment.seq, progress).await?;
                }
            }
            Ok(())
        }
        .await;
        // whatever happened, what was written is flushed and reported
        let _ = data.flush().await;
        let _ = data.get_ref().sync_data().await;
        let _ = index.flush().await;
        let progress = SegmentProgress {
            duration_ms: i64::from(writer.duration_ms()),
            bytes: writer.offset() as i64,
            gaps,
            ended_at: Some(self.clock.now()),
        };
        self.store.update_segment(show, segment.seq, progress).await?;
        tracing::info!(%show, duration_ms = writer.duration_ms(), gaps, "recording segment ended");
        written
    }

    /// A gap is an event in the show's log (best effort: the recording
    /// goes on if the log cannot take it).
    async fn gap(&self, show: RoomId, dropped: u64, at_ms: u32) {
        tracing::warn!(%show, dropped, "录制写盘跟不上，已跳过 / recording fell behind; tags left out");
        let Ok(kind) = EventKind::parse("recording.gap") else { return };
        let payload = serde_json::json!({ "dropped_tags": dropped, "at_ms": at_ms });
        let event = NewEvent { room: show, kind, actor: Actor::System, amount: None, payload };
        if let Err(error) = self.events.append(event).await {
            tracing::error!(%show, %error, "recording.gap not logged");
        }
    }
}

fn writer_start(segment: &zhibo_store::recordings::SegmentRecord) -> u32 {
    u32::try_from(segment.media_start_ms).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn video(ms: u32, key: bool) -> Tag {
        Tag {
            kind: TagKind::Video,
            timestamp: ms,
            body: Bytes::from_static(if key { &[0x17, 1, 0] } else { &[0x27, 1, 0] }),
        }
    }

    /// A writer that does not keep up: the feed never waits, leaves tags
    /// out up to the next keyframe and tells the writer how many.
    #[test]
    fn a_full_queue_leaves_tags_out_until_a_keyframe() {
        let (tx, mut rx) = mpsc::channel(2);
        let mut feed = RecordFeed::new(tx);
        feed.push(&video(0, true));
        feed.push(&video(40, false));
        feed.push(&video(80, false)); // full: left out
        feed.push(&video(120, false));
        assert_eq!(feed.dropped(), 2);
        assert_eq!(rx.try_recv().unwrap().tag.timestamp, 0);
        assert_eq!(rx.try_recv().unwrap().tag.timestamp, 40);
        feed.push(&video(160, false)); // room again, but not a keyframe
        assert_eq!(feed.dropped(), 3);
        assert!(rx.try_recv().is_err());
        feed.push(&video(200, true));
        let item = rx.try_recv().unwrap();
        assert_eq!((item.tag.timestamp, item.dropped_before), (200, 3));
        feed.push(&video(240, false));
        assert_eq!(rx.try_recv().unwrap().dropped_before, 0);
    }
}
