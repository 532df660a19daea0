//! What a viewer joining now must be sent first: the metadata, the AVC and
//! AAC sequence headers and every tag since the last keyframe (the GOP), so
//! its picture starts at once. The hub keeps one per publication and each
//! fan-out shard keeps its own mirror, built from the tags it has sent, so
//! a viewer it admits gets exactly the cache and then exactly the tags
//! after it.

use crate::flv::{Tag, TagKind};

/// Audio-only streams have no keyframes: this many recent tags are kept.
const AUDIO_ONLY_TAGS: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct GopCache {
    metadata: Option<Tag>,
    video_header: Option<Tag>,
    audio_header: Option<Tag>,
    gop: Vec<Tag>,
    gop_bytes: usize,
    audio: bool,
    video: bool,
    /// A GOP larger than this (keyframes very far apart) is emptied: late
    /// joiners then wait for the next keyframe.
    max_gop_bytes: usize,
}

impl GopCache {
    pub fn new(max_gop_bytes: usize) -> GopCache {
        GopCache { max_gop_bytes, ..GopCache::default() }
    }

    /// Takes note of one tag, in stream order.
    pub fn push(&mut self, tag: &Tag) {
        let info = tag.info();
        match tag.kind {
            TagKind::Script => self.metadata = Some(tag.clone()),
            TagKind::Video if info.sequence_header => {
                self.video = true;
                self.video_header = Some(tag.clone());
                self.clear_gop();
            }
            TagKind::Audio if info.sequence_header => {
                self.audio = true;
                self.audio_header = Some(tag.clone());
            }
            _ => {
                if tag.kind == TagKind::Video {
                    self.video = true;
                } else {
                    self.audio = true;
                }
                if info.keyframe {
                    self.clear_gop();
                }
                // Before the first keyframe there is nothing to start from.
                if info.keyframe || !self.gop.is_empty() || !self.video {
                    self.gop_bytes += tag.body.len();
                    self.gop.push(tag.clone());
                    if self.gop_bytes > self.max_gop_bytes || (!self.video && self.gop.len() > AUDIO_ONLY_TAGS) {
                        self.clear_gop();
                    }
                }
            }
        }
    }

    fn clear_gop(&mut self) {
        self.gop.clear();
        self.gop_bytes = 0;
    }

    /// What a viewer joining now is sent first, in order.
    pub fn initial(&self) -> Vec<Tag> {
        let mut initial: Vec<Tag> =
            [&self.metadata, &self.video_header, &self.audio_header].into_iter().flatten().cloned().collect();
        initial.extend(self.gop.iter().cloned());
        initial
    }

    /// Whether the stream has audio (for the FLV header).
    pub fn audio(&self) -> bool {
        self.audio || self.audio_header.is_some()
    }

    pub fn video(&self) -> bool {
        self.video
    }

    /// Marks the stream as having audio or video although the tags seen so
    /// far do not show it (a mirror starts from the hub's cache, which
    /// leaves out tags before the first keyframe).
    pub fn assume(&mut self, audio: bool, video: bool) {
        self.audio |= audio;
        self.video |= video;
    }

    /// A joiner must skip to the next keyframe: there is video but no
    /// cached GOP to start from.
    pub fn waiting_keyframe(&self) -> bool {
        self.video_header.is_some() && self.gop.is_empty()
    }

    /// Bytes of media in the cached GOP.
    pub fn gop_bytes(&self) -> usize {
        self.gop_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn tag(kind: TagKind, ts: u32, body: &[u8]) -> Tag {
        Tag { kind, timestamp: ts, body: Bytes::copy_from_slice(body) }
    }

    #[test]
    fn a_mirror_fed_the_initial_tags_is_the_same_cache() {
        let mut cache = GopCache::new(1 << 20);
        for t in [
            tag(TagKind::Script, 0, &[2, 0]),
            tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]),
            tag(TagKind::Audio, 0, &[0xAF, 0, 0x12]),
            tag(TagKind::Video, 0, &[0x27, 1, 0, 0, 0]),
            tag(TagKind::Video, 40, &[0x17, 1, 0, 0, 0, 5]),
            tag(TagKind::Audio, 45, &[0xAF, 1, 9]),
            tag(TagKind::Video, 80, &[0x27, 1, 0, 0, 0, 6]),
        ] {
            cache.push(&t);
        }
        let initial = cache.initial();
        assert_eq!(initial.iter().map(|t| t.timestamp).collect::<Vec<_>>(), [0, 0, 0, 40, 45, 80]);
        assert_eq!(cache.gop_bytes(), 6 + 3 + 6);
        let mut mirror = GopCache::new(1 << 20);
        for t in &initial {
            mirror.push(t);
        }
        assert_eq!(mirror.initial(), initial);
        assert!(mirror.audio() && mirror.video() && !mirror.waiting_keyframe());
        // a new sequence header empties the GOP: joiners wait for a keyframe
        mirror.push(&tag(TagKind::Video, 90, &[0x17, 0, 0, 0, 0, 2]));
        assert!(mirror.waiting_keyframe());
        // a GOP over the limit is dropped rather than grown
        let mut small = GopCache::new(8);
        small.push(&tag(TagKind::Video, 0, &[0x17, 1, 0, 0, 0]));
        small.push(&tag(TagKind::Video, 40, &[0x27, 1, 0, 0, 0]));
        assert_eq!(small.gop_bytes(), 0);
    }
}
