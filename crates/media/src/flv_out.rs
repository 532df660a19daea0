//! What one HTTP-FLV viewer is sent, in merged writes.
//!
//! Writing each tag on its own costs a wake-up and a socket write per tag
//! per viewer, some 70 a second (25 video frames, 43 AAC frames), and the
//! writes, not the bytes, are what a server with many viewers spends its
//! CPU on. So a viewer's output goes out in batches: whatever tags are
//! waiting, and audio tags are held until the next video tag (at most
//! [`MAX_HELD_AUDIO`] of them, about 0.2 s, should the video pause), so a
//! viewer is written about once per video frame. Video is never held:
//! a frame goes out as soon as it arrives, with the audio before it.
//! Small bodies are copied into the batch's buffer; large ones (keyframes)
//! go out as the publisher's own shared bytes.

use bytes::Bytes;

use crate::flv::{Batch, FlvMuxer, Tag, TagKind};
use crate::hub::Viewer;

/// Audio tags held for the next video tag, at most (~23 ms each).
pub const MAX_HELD_AUDIO: usize = 8;
/// Bodies up to this size are copied into the batch's buffer.
pub const COPY_MAX: usize = 8 * 1024;

/// One viewer's FLV output.
#[derive(Debug)]
pub struct FlvOut {
    viewer: Viewer,
    muxer: FlvMuxer,
    initial: std::vec::IntoIter<Tag>,
    ended: bool,
}

impl FlvOut {
    pub fn new(mut viewer: Viewer) -> FlvOut {
        let muxer = FlvMuxer::new(viewer.audio, viewer.video);
        let initial = std::mem::take(&mut viewer.initial).into_iter();
        FlvOut { viewer, muxer, initial, ended: false }
    }

    /// The next bytes to write (the first batch holds the file header, the
    /// sequence headers and the GOP cache); `None` once the stream is over.
    pub async fn next_batch(&mut self) -> Option<Vec<Bytes>> {
        if self.ended {
            return None;
        }
        let mut batch = Batch::with_capacity(4096);
        if self.initial.len() > 0 {
            for tag in self.initial.by_ref() {
                self.muxer.frame(&tag, &mut batch, COPY_MAX);
            }
            return Some(batch.finish());
        }
        let mut tag = match self.viewer.next().await {
            Some(tag) => tag,
            None => {
                self.ended = true;
                return None;
            }
        };
        let mut held_audio = 0;
        loop {
            let video = tag.kind == TagKind::Video;
            held_audio += usize::from(tag.kind == TagKind::Audio);
            self.muxer.frame(&tag, &mut batch, COPY_MAX);
            let hold = self.viewer.video && !video && held_audio < MAX_HELD_AUDIO;
            tag = match self.viewer.try_next() {
                Some(Some(next)) => next,
                Some(None) if hold => match self.viewer.next().await {
                    Some(next) => next,
                    None => {
                        self.ended = true;
                        break;
                    }
                },
                Some(None) => break,
                None => {
                    self.ended = true;
                    break;
                }
            };
        }
        Some(batch.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{HubLimits, StreamHub};
    use std::sync::Arc;
    use zhibo_domain::RoomId;

    fn tag(kind: TagKind, ts: u32, body: &[u8]) -> Tag {
        Tag { kind, timestamp: ts, body: Bytes::copy_from_slice(body) }
    }

    #[tokio::test]
    async fn audio_waits_for_video_and_the_bytes_are_the_same_flv() {
        let hub = Arc::new(StreamHub::new(HubLimits { capacity: 64, max_gop_bytes: 1 << 20 }));
        let publisher = hub.publish(RoomId(1));
        publisher.push(tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]));
        publisher.push(tag(TagKind::Audio, 0, &[0xAF, 0, 0x12, 0x10]));
        publisher.push(tag(TagKind::Video, 0, &[0x17, 1, 0, 0, 0, 9]));
        let mut out = FlvOut::new(hub.subscribe(RoomId(1)).unwrap());
        let mut bytes: Vec<u8> = out.next_batch().await.unwrap().concat();
        // audio, audio, then video: one batch; a big keyframe rides as its own piece
        publisher.push(tag(TagKind::Audio, 20, &[0xAF, 1, 1]));
        publisher.push(tag(TagKind::Audio, 43, &[0xAF, 1, 2]));
        let mut big = vec![0x17, 1, 0, 0, 0];
        big.resize(COPY_MAX + 100, 7);
        publisher.push(tag(TagKind::Video, 80, &big));
        publisher.push(tag(TagKind::Video, 120, &[0x27, 1, 0, 0, 0, 3]));
        let batch = out.next_batch().await.unwrap();
        assert!(batch.iter().any(|piece| piece.len() == big.len()), "the keyframe is not copied");
        bytes.extend(batch.concat());
        let parsed = crate::flv::parse(&bytes).unwrap();
        let stamps: Vec<(TagKind, u32)> = parsed.iter().map(|t| (t.kind, t.timestamp)).collect();
        assert_eq!(
            stamps,
            [
                (TagKind::Video, 0),
                (TagKind::Audio, 0),
                (TagKind::Video, 0),
                (TagKind::Audio, 20),
                (TagKind::Audio, 43),
                (TagKind::Video, 80),
                (TagKind::Video, 120)
            ]
        );
        assert_eq!(parsed[5].body.as_ref(), big.as_slice());
        // what is waiting goes out together, however much of it
        for i in 0..3u32 {
            publisher.push(tag(TagKind::Audio, 150 + i * 23, &[0xAF, 1, i as u8]));
        }
        publisher.push(tag(TagKind::Video, 220, &[0x27, 1, 0, 0, 0, 4]));
        let count = |batch: &[Bytes], after: &[u8]| {
            let mut framed = after.to_vec();
            framed.extend_from_slice(&batch.concat());
            crate::flv::parse(&framed).unwrap().len() - crate::flv::parse(after).unwrap().len()
        };
        let batch = out.next_batch().await.unwrap();
        assert_eq!(count(&batch, &bytes), 4);
        bytes.extend(batch.concat());
        // audio arriving alone is held for video, but not past the cap
        let pushing = async {
            for i in 0..MAX_HELD_AUDIO as u32 + 3 {
                publisher.push(tag(TagKind::Audio, 300 + i * 23, &[0xAF, 1, i as u8]));
                tokio::task::yield_now().await;
            }
        };
        let (held, ()) = tokio::join!(out.next_batch(), pushing);
        let held = held.unwrap();
        let first = count(&held, &bytes);
        assert!((1..=MAX_HELD_AUDIO).contains(&first), "{first} audio tags in one batch");
        bytes.extend(held.concat());
        drop(publisher);
        // the rest, then the end
        let rest = out.next_batch().await.unwrap();
        assert_eq!(first + count(&rest, &bytes), MAX_HELD_AUDIO + 3);
        assert!(out.next_batch().await.is_none());
        assert!(out.next_batch().await.is_none());
    }
}
