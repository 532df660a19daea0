//! FLV: the tags zhibo relays and the per-viewer framing around them.
//!
//! An RTMP audio or video message body is already an FLV tag body, so a
//! [`Tag`] keeps the publisher's bytes as they came (one `Bytes` shared by
//! every viewer). Each viewer's [`FlvMuxer`] writes only what differs per
//! viewer: the file header and the 15 bytes around each tag (this tag's
//! header, with its timestamp rebased so a late joiner starts at 0 from the
//! cached keyframe, and after the body the tag's PreviousTagSize).
//!
//! The PreviousTagSize goes out right after its tag's body, not with the
//! next tag's header: a player such as mpegts.js waits for those 4 bytes
//! before it uses a tag, so holding them back would delay every tag by one
//! tag interval.

use bytes::{BufMut, Bytes, BytesMut};

/// FLV tag types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Audio = 8,
    Video = 9,
    Script = 18,
}

/// One media tag as received, body shared by every viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub kind: TagKind,
    /// The publisher's timestamp, milliseconds.
    pub timestamp: u32,
    pub body: Bytes,
}

/// What the first bytes of a tag body say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TagInfo {
    /// A video keyframe (not a sequence header).
    pub keyframe: bool,
    /// AVC or AAC sequence header (decoder configuration).
    pub sequence_header: bool,
    /// FLV codec id: 7 = H.264 for video, 10 = AAC for audio.
    pub codec: u8,
}

impl Tag {
    pub fn info(&self) -> TagInfo {
        let first = self.body.first().copied().unwrap_or(0);
        let second = self.body.get(1).copied();
        match self.kind {
            TagKind::Video => {
                let codec = first & 0x0F;
                let avc = codec == 7;
                let sequence_header = avc && second == Some(0);
                TagInfo { keyframe: first >> 4 == 1 && !sequence_header, sequence_header, codec }
            }
            TagKind::Audio => {
                let codec = first >> 4;
                TagInfo { keyframe: false, sequence_header: codec == 10 && second == Some(0), codec }
            }
            TagKind::Script => TagInfo::default(),
        }
    }

    /// The AVC decoder configuration record, for a video sequence header.
    pub fn avc_config(&self) -> Option<&[u8]> {
        let info = self.info();
        (self.kind == TagKind::Video && info.sequence_header).then(|| self.body.get(5..)).flatten()
    }

    /// Tag header (11 bytes) + body + previous-tag-size (4 bytes), the way
    /// FLV files and the fuzz tests read them.
    pub fn encoded_len(&self) -> usize {
        11 + self.body.len() + 4
    }
}

/// The FLV file header plus the zero PreviousTagSize0.
fn file_header(audio: bool, video: bool) -> [u8; 13] {
    let flags = (u8::from(audio) << 2) | u8::from(video);
    [b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// One viewer's framing state.
#[derive(Debug)]
pub struct FlvMuxer {
    base: Option<u32>,
    header: Option<(bool, bool)>,
}

impl FlvMuxer {
    pub fn new(audio: bool, video: bool) -> FlvMuxer {
        FlvMuxer { base: None, header: Some((audio, video)) }
    }

    /// Appends what goes before `tag`'s body: the file header the first
    /// time, then the tag's 11-byte header. Configuration tags (metadata
    /// and sequence headers) go out at time 0; the first media tag fixes
    /// the base every later timestamp is measured from.
    pub fn tag_header(&mut self, tag: &Tag, out: &mut BytesMut) {
        if let Some((audio, video)) = self.header.take() {
            out.put_slice(&file_header(audio, video));
        }
        let config = tag.kind == TagKind::Script || tag.info().sequence_header;
        let ts = if config {
            0
        } else {
            let base = *self.base.get_or_insert(tag.timestamp);
            let delta = tag.timestamp.wrapping_sub(base);
            // an audio tag a few ms before the keyframe it follows
            if delta > u32::MAX / 2 { 0 } else { delta }
        };
        out.put_u8(tag.kind as u8);
        out.put_slice(&body_size(tag).to_be_bytes()[1..]);
        out.put_slice(&ts.to_be_bytes()[1..]);
        out.put_u8((ts >> 24) as u8);
        out.put_slice(&[0, 0, 0]);
    }

    /// Appends `tag` framed: header, body, PreviousTagSize. Bodies up to
    /// `copy_max` bytes are copied into `batch`'s buffer; larger ones
    /// (keyframes) go in as the publisher's own shared bytes.
    pub fn frame(&mut self, tag: &Tag, batch: &mut Batch, copy_max: usize) {
        self.tag_header(tag, &mut batch.buf);
        if tag.body.len() <= copy_max {
            batch.buf.put_slice(&tag.body);
        } else {
            if !batch.buf.is_empty() {
                batch.pieces.push(batch.buf.split().freeze());
            }
            batch.pieces.push(tag.body.clone());
        }
        batch.buf.put_slice(&previous_tag_size(tag));
    }
}

/// A tag's body size as its header says it (FLV's 24 bits).
fn body_size(tag: &Tag) -> u32 {
    tag.body.len().min(0xFF_FFFF) as u32
}

/// The PreviousTagSize that follows `tag`'s body: header plus body.
pub fn previous_tag_size(tag: &Tag) -> [u8; 4] {
    (11 + body_size(tag)).to_be_bytes()
}

/// Bytes for one write under construction: small pieces copied together,
/// large bodies shared.
#[derive(Debug, Default)]
pub struct Batch {
    buf: BytesMut,
    pieces: Vec<Bytes>,
}

impl Batch {
    pub fn with_capacity(capacity: usize) -> Batch {
        Batch { buf: BytesMut::with_capacity(capacity), pieces: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.pieces.is_empty()
    }

    /// The pieces, in order.
    pub fn finish(mut self) -> Vec<Bytes> {
        if !self.buf.is_empty() {
            self.pieces.push(self.buf.freeze());
        }
        self.pieces
    }
}

/// Reads an FLV byte stream back into tags (tests, and the fuzzing of the
/// framing). Stops at the first malformed or truncated tag.
pub fn parse(data: &[u8]) -> Result<Vec<Tag>, String> {
    if data.len() < 13 || &data[..3] != b"FLV" {
        return Err("not an FLV stream".into());
    }
    let offset = u32::from_be_bytes([data[5], data[6], data[7], data[8]]) as usize;
    let mut at = offset.checked_add(4).ok_or("bad header")?;
    let mut tags = Vec::new();
    while let Some(header) = data.get(at..at + 11) {
        let kind = match header[0] & 0x1F {
            8 => TagKind::Audio,
            9 => TagKind::Video,
            18 => TagKind::Script,
            other => return Err(format!("unknown tag type {other}")),
        };
        let size = u32::from_be_bytes([0, header[1], header[2], header[3]]) as usize;
        let timestamp = u32::from_be_bytes([header[7], header[4], header[5], header[6]]);
        let Some(body) = data.get(at + 11..at + 11 + size) else { break };
        tags.push(Tag { kind, timestamp, body: Bytes::copy_from_slice(body) });
        at += 11 + size + 4;
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tag(kind: TagKind, timestamp: u32, body: &[u8]) -> Tag {
        Tag { kind, timestamp, body: Bytes::copy_from_slice(body) }
    }

    #[test]
    fn a_late_joiner_starts_at_zero_and_round_trips() {
        let tags = [
            tag(TagKind::Video, 5000, &[0x17, 0, 0, 0, 0, 1, 2]),
            tag(TagKind::Video, 9000, &[0x17, 1, 0, 0, 0, 9]),
            tag(TagKind::Audio, 8990, &[0xAF, 1, 7]),
            tag(TagKind::Video, 9040, &[0x27, 1, 0, 0, 0, 8]),
        ];
        let mut mux = FlvMuxer::new(true, true);
        let mut batch = Batch::default();
        for t in &tags {
            mux.frame(t, &mut batch, 4);
        }
        let pieces = batch.finish();
        assert!(pieces.iter().any(|p| p == &tags[0].body), "a body over copy_max is shared, not copied");
        let out = pieces.concat();
        let back = parse(&out).unwrap();
        let stamps: Vec<u32> = back.iter().map(|t| t.timestamp).collect();
        assert_eq!(stamps, [0, 0, 0, 40]);
        assert_eq!(
            back.iter().map(|t| t.body.clone()).collect::<Vec<_>>(),
            tags.iter().map(|t| t.body.clone()).collect::<Vec<_>>()
        );
        assert!(tags[0].info().sequence_header && !tags[0].info().keyframe);
        assert!(tags[1].info().keyframe);
        assert!(!tags[3].info().keyframe);
    }

    #[test]
    fn each_tag_is_complete_with_its_previous_tag_size() {
        // a tag framed alone ends with its own PreviousTagSize, so a player
        // that waits for it never waits for the next tag
        let t = tag(TagKind::Video, 40, &[0x17, 1, 0, 0, 0, 7, 7]);
        let mut mux = FlvMuxer::new(false, true);
        let mut first = Batch::default();
        mux.frame(&t, &mut first, 1024);
        let first = first.finish().concat();
        assert_eq!(first.len(), 13 + 11 + t.body.len() + 4);
        assert_eq!(&first[first.len() - 4..], &(11 + t.body.len() as u32).to_be_bytes());
        let mut second = Batch::default();
        mux.frame(&tag(TagKind::Video, 80, &[0x27, 1, 0, 0, 0]), &mut second, 1024);
        let second = second.finish().concat();
        // the next tag starts with its own header: no size carried over
        assert_eq!(second[0], TagKind::Video as u8);
        assert_eq!(second.len(), 11 + 5 + 4);
        let all = [first, second].concat();
        assert_eq!(parse(&all).unwrap().iter().map(|t| t.timestamp).collect::<Vec<_>>(), [0, 40]);
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), kind in 0u8..3) {
            let _ = parse(&data);
            let mut framed = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
            framed.extend_from_slice(&data);
            let _ = parse(&framed);
            let kind = [TagKind::Audio, TagKind::Video, TagKind::Script][usize::from(kind)];
            let t = Tag { kind, timestamp: 0, body: Bytes::from(data) };
            let _ = t.info();
            let _ = t.avc_config();
        }
    }
}
