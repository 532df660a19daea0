//! One fan-out task: up to a shard's worth of one show's HTTP-FLV viewers.
//!
//! The task holds one subscription to the show's hub and groups what comes
//! in by video frame: audio waits for the next video tag (at most
//! [`MAX_HELD_AUDIO`] tags, should the video pause), so each frame is one
//! wake-up of this task and one vectored write per viewer, the way nginx
//! writes its subscribers from one event loop, instead of a wake-up of
//! every viewer's own task for every tag. It keeps its own GOP cache of
//! what it has sent, so a viewer it admits gets the cache and then exactly
//! the frames after it, with nothing missed or doubled.

use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

use super::Outlet;
use super::sink::Sink;
use crate::flv::{Tag, TagKind};
use crate::gop::GopCache;
use crate::hub::Viewer;

/// Audio tags held for the next video tag, at most (~23 ms each).
pub const MAX_HELD_AUDIO: usize = 8;
/// A viewer's backlog may hold this much beyond twice the cached GOP
/// before it counts as a lag (the GOP is what a joiner is sent at once).
const BACKLOG_SLACK: usize = 512 * 1024;

/// A socket joining a shard, and what it is sent before the FLV stream.
pub(crate) struct Join<S> {
    pub socket: S,
    pub preamble: Bytes,
}

/// Groups tags by video frame, and frames into writes spanning at least
/// `merge_ms` of stream time.
#[derive(Debug, Default)]
pub struct Framer {
    held: Vec<Tag>,
    merge_ms: u32,
    merged: Vec<Tag>,
}

impl Framer {
    /// Frames are written together until they span `merge_ms` of stream
    /// time (0: each frame as it comes). Fewer, larger writes cost the
    /// kernel much less per viewer (most of the fan-out's CPU is the TCP
    /// send path) for at most `merge_ms` more latency.
    pub fn new(merge_ms: u32) -> Framer {
        Framer { merge_ms, ..Framer::default() }
    }

    /// Takes the next tag; answers what to write now, if anything: whole
    /// frames (see [`Framer::push_frame`]) once they span the merge window,
    /// and configuration at once.
    pub fn push(&mut self, tag: Tag, has_video: bool) -> Option<Vec<Tag>> {
        let config = tag.kind == TagKind::Script || tag.info().sequence_header;
        let group = self.push_frame(tag, has_video)?;
        let first = self.merged.first().or(group.first())?;
        let last = group.last().map_or(first.timestamp, |t| t.timestamp);
        // a timestamp going back (a new publisher's clock) ends the merge too
        let span = last.wrapping_sub(first.timestamp);
        let due = config || self.merge_ms == 0 || span >= self.merge_ms;
        if self.merged.is_empty() && due {
            return Some(group);
        }
        self.merged.extend(group);
        due.then(|| std::mem::take(&mut self.merged))
    }

    /// Takes the next tag; answers a group to write when one is complete:
    /// the audio held so far and this video frame, or a configuration tag,
    /// or audio alone when the stream has no video or too much is held.
    pub fn push_frame(&mut self, tag: Tag, has_video: bool) -> Option<Vec<Tag>> {
        let hold = has_video
            && tag.kind == TagKind::Audio
            && !tag.info().sequence_header
            && self.held.len() + 1 < MAX_HELD_AUDIO;
        self.held.push(tag);
        (!hold).then(|| std::mem::take(&mut self.held))
    }
}

/// Serves viewers until the publication ends; run as its own task.
pub(crate) async fn run<S: Outlet>(
    mut viewer: Viewer,
    mut joins: mpsc::UnboundedReceiver<Join<S>>,
    count: Arc<AtomicUsize>,
    max_gop_bytes: usize,
    merge_ms: u32,
) {
    let mut cache = GopCache::new(max_gop_bytes);
    cache.assume(viewer.audio, viewer.video);
    for tag in std::mem::take(&mut viewer.initial) {
        cache.push(&tag);
    }
    let mut sinks: Vec<Sink<S>> = Vec::new();
    let mut framer = Framer::new(merge_ms);
    loop {
        tokio::select! {
            biased;
            joined = joins.recv() => {
                let Some(Join { socket, preamble }) = joined else { break };
                let mut sink = Sink::new(socket, preamble, cache.audio(), cache.video(), cache.waiting_keyframe());
                match sink.send(&cache.initial(), limit(&cache)) {
                    Ok(()) => sinks.push(sink),
                    Err(gone) => {
                        tracing::debug!(?gone, "HTTP-FLV viewer gone at once");
                        count.fetch_sub(1, Ordering::Relaxed);
                    }
                }
            }
            tag = viewer.next() => {
                let Some(tag) = tag else { break };
                let Some(group) = framer.push(tag, cache.video()) else { continue };
                for tag in &group {
                    cache.push(tag);
                }
                let limit = limit(&cache);
                sinks.retain_mut(|sink| match sink.send(&group, limit) {
                    Ok(()) => true,
                    Err(gone) => {
                        tracing::debug!(?gone, "HTTP-FLV viewer left");
                        count.fetch_sub(1, Ordering::Relaxed);
                        false
                    }
                });
            }
        }
    }
    // no more joins; the sockets close as the sinks drop
    joins.close();
    count.fetch_sub(sinks.len(), Ordering::Relaxed);
}

fn limit(cache: &GopCache) -> usize {
    BACKLOG_SLACK + 2 * cache.gop_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(kind: TagKind, ts: u32, body: &[u8]) -> Tag {
        Tag { kind, timestamp: ts, body: Bytes::copy_from_slice(body) }
    }

    #[test]
    fn a_group_carries_exactly_a_frame_and_the_audio_before_it() {
        let mut framer = Framer::default();
        // configuration goes out at once
        let header = framer.push(tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]), true).unwrap();
        assert_eq!(header.len(), 1);
        assert_eq!(framer.push(tag(TagKind::Audio, 0, &[0xAF, 0, 0x12]), true).unwrap().len(), 1);
        // audio waits for the video frame after it
        assert!(framer.push(tag(TagKind::Audio, 10, &[0xAF, 1, 1]), true).is_none());
        assert!(framer.push(tag(TagKind::Audio, 33, &[0xAF, 1, 2]), true).is_none());
        let frame = framer.push(tag(TagKind::Video, 40, &[0x17, 1, 0, 0, 0, 9]), true).unwrap();
        let stamps: Vec<(TagKind, u32)> = frame.iter().map(|t| (t.kind, t.timestamp)).collect();
        assert_eq!(stamps, [(TagKind::Audio, 10), (TagKind::Audio, 33), (TagKind::Video, 40)]);
        // a frame with no audio before it is a group of one
        assert_eq!(framer.push(tag(TagKind::Video, 80, &[0x27, 1, 0, 0, 0]), true).unwrap().len(), 1);
        // when the video pauses, audio is held only so long
        let mut groups = Vec::new();
        for i in 0..MAX_HELD_AUDIO as u32 + 2 {
            if let Some(group) = framer.push(tag(TagKind::Audio, 100 + i * 23, &[0xAF, 1, 0]), true) {
                groups.push(group.len());
            }
        }
        assert_eq!(groups, [MAX_HELD_AUDIO]);
        // without video, audio is never held
        let mut alone = Framer::default();
        assert_eq!(alone.push(tag(TagKind::Audio, 0, &[0xAF, 1, 0]), false).unwrap().len(), 1);
    }

    #[test]
    fn frames_merge_until_they_span_the_window_and_configuration_goes_at_once() {
        let mut framer = Framer::new(80);
        let video = |ts: u32| tag(TagKind::Video, ts, &[0x27, 1, 0, 0, 0]);
        assert!(framer.push(video(1000), true).is_none());
        assert!(framer.push(tag(TagKind::Audio, 1010, &[0xAF, 1, 1]), true).is_none());
        assert!(framer.push(video(1040), true).is_none());
        let write = framer.push(video(1080), true).unwrap();
        assert_eq!(write.iter().map(|t| t.timestamp).collect::<Vec<_>>(), [1000, 1010, 1040, 1080]);
        assert!(framer.push(video(1120), true).is_none());
        // a sequence header is not held, and takes what waits with it
        let write = framer.push(tag(TagKind::Video, 1130, &[0x17, 0, 0, 0, 0, 1]), true).unwrap();
        assert_eq!(write.iter().map(|t| t.timestamp).collect::<Vec<_>>(), [1120, 1130]);
        // a clock going back (a new publisher) does not hold frames forever
        assert!(framer.push(video(5000), true).is_none());
        assert_eq!(framer.push(video(10), true).unwrap().len(), 2);
    }
}
