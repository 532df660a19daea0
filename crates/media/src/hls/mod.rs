//! HLS for players without MSE (iOS Safari plays it natively): each live
//! show's tags remuxed into MPEG-TS segments in memory (no re-encoding, no
//! files), cut at the first keyframe after [`TARGET_MS`], the last
//! [`KEPT`] segments in a sliding playlist. A new publication continues the
//! numbering after an `#EXT-X-DISCONTINUITY`.

pub mod ts;

use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use zhibo_domain::RoomId;

use crate::flv::{Tag, TagKind};
use crate::hub::Viewer;
use ts::{Codecs, TsWriter};

/// A segment ends at the first keyframe this long after its start.
pub const TARGET_MS: u32 = 1000;
/// Segments in the playlist.
pub const KEPT: usize = 6;
/// A segment never grows past this (keyframes far apart): it is cut there.
const MAX_SEGMENT_BYTES: usize = 8 << 20;

#[derive(Debug, Clone)]
struct Segment {
    seq: u64,
    duration_ms: u32,
    discontinuity: bool,
    data: Bytes,
}

#[derive(Debug, Default)]
struct Playlist {
    segments: VecDeque<Segment>,
    next_seq: u64,
    live: bool,
}

/// Every show's playlist.
#[derive(Debug, Default)]
pub struct Hls {
    shows: Mutex<HashMap<RoomId, (Playlist, watch::Sender<u64>)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hls {
    /// The playlist text, `None` when the show has no segment.
    pub fn playlist(&self, show: RoomId) -> Option<String> {
        let shows = lock(&self.shows);
        let (p, _) = shows.get(&show)?;
        if p.segments.is_empty() {
            return None;
        }
        let target = p.segments.iter().map(|s| s.duration_ms.div_ceil(1000)).max().unwrap_or(1).max(1);
        let mut out = String::new();
        let _ = write!(
            out,
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{}\n",
            p.segments[0].seq
        );
        for s in &p.segments {
            if s.discontinuity {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            let _ = write!(out, "#EXTINF:{:.3},\n{}.ts\n", f64::from(s.duration_ms) / 1000.0, s.seq);
        }
        if !p.live {
            out.push_str("#EXT-X-ENDLIST\n");
        }
        Some(out)
    }

    /// One segment's bytes, while it is in the playlist.
    pub fn segment(&self, show: RoomId, seq: u64) -> Option<Bytes> {
        let shows = lock(&self.shows);
        shows.get(&show)?.0.segments.iter().find(|s| s.seq == seq).map(|s| s.data.clone())
    }

    /// Waits (bounded by the caller) until the show has a segment.
    pub async fn first_segment(&self, show: RoomId) {
        let mut rx = {
            let mut shows = lock(&self.shows);
            let (p, tx) = shows.entry(show).or_insert_with(|| (Playlist::default(), watch::channel(0).0));
            if !p.segments.is_empty() {
                return;
            }
            tx.subscribe()
        };
        let _ = rx.changed().await;
    }

    fn push(&self, show: RoomId, duration_ms: u32, discontinuity: bool, data: Vec<u8>) {
        let mut shows = lock(&self.shows);
        let (p, tx) = shows.entry(show).or_insert_with(|| (Playlist::default(), watch::channel(0).0));
        let seq = p.next_seq;
        p.next_seq += 1;
        p.live = true;
        p.segments.push_back(Segment { seq, duration_ms, discontinuity, data: Bytes::from(data) });
        while p.segments.len() > KEPT {
            p.segments.pop_front();
        }
        tx.send_replace(seq);
    }

    fn ended(&self, show: RoomId) {
        if let Some((p, _)) = lock(&self.shows).get_mut(&show) {
            p.live = false;
        }
    }

    /// Segments one publication until it ends; run as its own task.
    pub async fn run(self: Arc<Self>, show: RoomId, mut viewer: Viewer) {
        let mut codecs = Codecs::default();
        let mut writer = TsWriter::default();
        let audio = viewer.audio;
        let mut current: Option<(u32, Vec<u8>)> = None;
        let mut discontinuity = true;
        let mut last_ts = 0u32;
        // one time base for the whole publication: segments continue
        let mut base: Option<u32> = None;
        let initial = std::mem::take(&mut viewer.initial);
        let mut initial = initial.into_iter();
        loop {
            let tag: Tag = match initial.next() {
                Some(tag) => tag,
                None => match viewer.next().await {
                    Some(tag) => tag,
                    None => break,
                },
            };
            codecs.learn(&tag);
            let info = tag.info();
            if tag.kind == TagKind::Video && info.keyframe {
                let due = current.as_ref().is_none_or(|(start, data)| {
                    tag.timestamp.wrapping_sub(*start) >= TARGET_MS || data.len() > MAX_SEGMENT_BYTES
                });
                if due {
                    if let Some((start, data)) = current.take() {
                        self.push(show, tag.timestamp.wrapping_sub(start).min(60_000), discontinuity, data);
                        discontinuity = false;
                    }
                    let mut data = Vec::with_capacity(256 * 1024);
                    writer.tables(&mut data, audio);
                    current = Some((tag.timestamp, data));
                    base.get_or_insert(tag.timestamp);
                }
            }
            if let (Some((_, data)), Some(base)) = (current.as_mut(), base) {
                if data.len() <= MAX_SEGMENT_BYTES {
                    writer.tag(data, &tag, &codecs, base);
                }
                last_ts = tag.timestamp;
            }
        }
        if let Some((start, data)) = current.take() {
            self.push(show, last_ts.wrapping_sub(start).clamp(1, 60_000), discontinuity, data);
        }
        self.ended(show);
    }
}
