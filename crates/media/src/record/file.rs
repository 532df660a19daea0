//! A recording's file format, with no I/O of its own but `std::fs` on the
//! paths it is given (callers run it off the async threads).
//!
//! A recording is a plain FLV file (`show-N.flv`): the 13-byte header,
//! then each tag as the publisher sent it, its timestamp moved onto the
//! recording's timeline ([`SegmentWriter`]). Beside it an index
//! (`show-N.idx`, one text line per keyframe or sequence header:
//! `K|V|A <ms> <byte offset>`) lets a player seek and a clip start at a
//! keyframe without reading the file. The publisher's own `onMetaData` is
//! left out: its duration would be wrong; [`replay_prefix`] writes one with
//! the real duration and the keyframe positions when the file is served.

use bytes::Bytes;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::flv::{Tag, TagKind};

/// The FLV header (audio and video flags set) and PreviousTagSize0.
pub const FILE_HEADER: [u8; 13] = [b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0];

/// A frame's length when the stream gives no better guess (25 fps).
const DEFAULT_FRAME_MS: u32 = 40;

/// What an index line points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Keyframe,
    VideoHeader,
    AudioHeader,
}

/// One index line: a tag's kind, time on the recording's timeline and
/// byte offset in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub entry: Entry,
    pub ms: u32,
    pub offset: u64,
}

impl IndexEntry {
    pub fn line(&self) -> String {
        let letter = match self.entry {
            Entry::Keyframe => 'K',
            Entry::VideoHeader => 'V',
            Entry::AudioHeader => 'A',
        };
        format!("{letter} {} {}\n", self.ms, self.offset)
    }

    fn parse(line: &str) -> Option<IndexEntry> {
        let mut parts = line.split_ascii_whitespace();
        let entry = match parts.next()? {
            "K" => Entry::Keyframe,
            "V" => Entry::VideoHeader,
            "A" => Entry::AudioHeader,
            _ => return None,
        };
        let ms = parts.next()?.parse().ok()?;
        let offset = parts.next()?.parse().ok()?;
        Some(IndexEntry { entry, ms, offset })
    }
}

/// A tag as it sits in the file: header, body, PreviousTagSize.
pub fn tag_bytes(kind: TagKind, ms: u32, body: &[u8]) -> Vec<u8> {
    let size = body.len().min(0xFF_FFFF) as u32;
    let mut out = Vec::with_capacity(15 + body.len());
    out.push(kind as u8);
    out.extend_from_slice(&size.to_be_bytes()[1..]);
    out.extend_from_slice(&ms.to_be_bytes()[1..]);
    out.push((ms >> 24) as u8);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&body[..size as usize]);
    out.extend_from_slice(&(11 + size).to_be_bytes());
    out
}

/// One tag ready for the file and, for a keyframe or a sequence header,
/// its index line.
#[derive(Debug)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub index: Option<IndexEntry>,
}

/// Puts one publication's tags on the recording's timeline: the first
/// media tag is at `media_start`, the rest keep their distance from it;
/// video starts at a keyframe (what comes before it cannot be decoded);
/// sequence headers are written where they arrive, so a publisher that
/// returns with new settings is decoded with them.
#[derive(Debug)]
pub struct SegmentWriter {
    media_start: u32,
    base: Option<u32>,
    waiting_keyframe: bool,
    video: bool,
    last_ms: Option<u32>,
    last_video_ms: Option<u32>,
    frame_ms: u32,
    offset: u64,
}

impl SegmentWriter {
    /// A segment that starts at `media_start` ms, its first tag at byte
    /// `offset` of the file.
    pub fn new(media_start: u32, offset: u64) -> SegmentWriter {
        SegmentWriter {
            media_start,
            base: None,
            waiting_keyframe: true,
            video: false,
            last_ms: None,
            last_video_ms: None,
            frame_ms: DEFAULT_FRAME_MS,
            offset,
        }
    }

    /// The file's size once everything encoded so far is written.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// How much of the timeline the segment covers so far: to its last
    /// tag's time plus one frame.
    pub fn duration_ms(&self) -> u32 {
        self.last_ms.map_or(0, |last| last.saturating_sub(self.media_start) + self.frame_ms)
    }

    /// Tags were lost before the next one: video waits for a keyframe again.
    pub fn resync(&mut self) {
        self.waiting_keyframe = self.video;
    }

    /// The tag for the file, or `None` for what the recording leaves out
    /// (the publisher's metadata, video before its first keyframe).
    pub fn encode(&mut self, tag: &Tag) -> Option<Encoded> {
        let info = tag.info();
        let (ms, index) = match tag.kind {
            TagKind::Script => return None,
            _ if info.sequence_header => {
                let entry = if tag.kind == TagKind::Video {
                    self.video = true;
                    Entry::VideoHeader
                } else {
                    Entry::AudioHeader
                };
                let ms = self.last_ms.unwrap_or(self.media_start);
                (ms, Some(IndexEntry { entry, ms, offset: self.offset }))
            }
            _ => {
                let keyframe = tag.kind == TagKind::Video && info.keyframe;
                if tag.kind == TagKind::Video {
                    self.video = true;
                }
                if self.waiting_keyframe && self.video {
                    if !keyframe {
                        return None;
                    }
                    self.waiting_keyframe = false;
                }
                let base = *self.base.get_or_insert(tag.timestamp);
                let delta = tag.timestamp.wrapping_sub(base);
                // an audio tag a few ms before the keyframe it follows
                let delta = if delta > u32::MAX / 2 { 0 } else { delta };
                let ms = self.media_start.saturating_add(delta);
                if tag.kind == TagKind::Video {
                    if let Some(previous) = self.last_video_ms.filter(|p| *p < ms) {
                        let step = ms - previous;
                        if (1..=1000).contains(&step) {
                            self.frame_ms = step;
                        }
                    }
                    self.last_video_ms = Some(ms);
                }
                self.last_ms = Some(self.last_ms.map_or(ms, |l| l.max(ms)));
                (ms, keyframe.then_some(IndexEntry { entry: Entry::Keyframe, ms, offset: self.offset }))
            }
        };
        let bytes = tag_bytes(tag.kind, ms, &tag.body);
        self.offset += bytes.len() as u64;
        Some(Encoded { bytes, index })
    }
}

/// Reads an index file; lines that do not parse (a torn last line) are
/// skipped. A missing file is an empty index.
pub fn read_index(path: &Path) -> io::Result<Vec<IndexEntry>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    for line in BufReader::new(file).lines() {
        if let Some(entry) = IndexEntry::parse(&line?) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// One tag's header read from the file.
#[derive(Debug, Clone, Copy)]
struct Header {
    kind: u8,
    size: u32,
    ms: u32,
}

fn read_header(reader: &mut impl Read) -> io::Result<Option<Header>> {
    let mut h = [0u8; 11];
    match reader.read_exact(&mut h) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    Ok(Some(Header {
        kind: h[0] & 0x1F,
        size: u32::from_be_bytes([0, h[1], h[2], h[3]]),
        ms: u32::from_be_bytes([h[7], h[4], h[5], h[6]]),
    }))
}

/// What a recording file holds after [`repair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repaired {
    /// The file's length: it ends with a whole tag.
    pub len: u64,
    /// The last tag's time, if there is a tag.
    pub last_ms: Option<u32>,
}

/// Makes a recording ready to append to: creates it with its header, or
/// cuts a tag torn by a crash off its end (walking from the last indexed
/// tag, so only the tail is read) and drops index lines past the end.
pub fn repair(path: &Path, index_path: &Path) -> io::Result<Repaired> {
    let mut file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    let len = file.metadata()?.len();
    if len < FILE_HEADER.len() as u64 {
        file.set_len(0)?;
        file.write_all(&FILE_HEADER)?;
        file.sync_data()?;
        std::fs::write(index_path, b"")?;
        return Ok(Repaired { len: FILE_HEADER.len() as u64, last_ms: None });
    }
    let index = read_index(index_path)?;
    let kept: Vec<IndexEntry> = index.iter().copied().filter(|e| e.offset < len).collect();
    let mut at = kept.last().map_or(FILE_HEADER.len() as u64, |e| e.offset);
    file.seek(SeekFrom::Start(at))?;
    let mut reader = BufReader::new(&mut file);
    let mut last_ms = None;
    while let Some(h) = read_header(&mut reader)? {
        let end = at + 11 + u64::from(h.size) + 4;
        if end > len || !matches!(h.kind, 8 | 9 | 18) {
            break;
        }
        reader.seek_relative(i64::from(h.size) + 4)?;
        last_ms = Some(h.ms);
        at = end;
    }
    drop(reader);
    if at < len {
        file.set_len(at)?;
    }
    if kept.len() < index.len() {
        let mut out = BufWriter::new(File::create(index_path)?);
        for e in kept.iter().filter(|e| e.offset < at) {
            out.write_all(e.line().as_bytes())?;
        }
        out.flush()?;
    }
    Ok(Repaired { len: at, last_ms })
}

// ---------------------------------------------------------------- AMF0 for onMetaData

fn amf_string(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u16).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn amf_number(out: &mut Vec<u8>, value: f64) {
    out.push(0x00);
    out.extend_from_slice(&value.to_be_bytes());
}

fn amf_numbers(out: &mut Vec<u8>, values: &[f64]) {
    out.push(0x0A);
    out.extend_from_slice(&(values.len() as u32).to_be_bytes());
    for v in values {
        amf_number(out, *v);
    }
}

fn metadata_body(duration_ms: u32, times: &[f64], positions: &[f64]) -> Vec<u8> {
    let mut out = vec![0x02];
    amf_string(&mut out, "onMetaData");
    out.push(0x08);
    out.extend_from_slice(&4u32.to_be_bytes());
    amf_string(&mut out, "duration");
    amf_number(&mut out, f64::from(duration_ms) / 1000.0);
    amf_string(&mut out, "hasVideo");
    out.extend_from_slice(&[0x01, 1]);
    amf_string(&mut out, "hasAudio");
    out.extend_from_slice(&[0x01, 1]);
    amf_string(&mut out, "keyframes");
    out.push(0x03);
    amf_string(&mut out, "times");
    amf_numbers(&mut out, times);
    amf_string(&mut out, "filepositions");
    amf_numbers(&mut out, positions);
    out.extend_from_slice(&[0, 0, 9]);
    out.extend_from_slice(&[0, 0, 9]);
    out
}

/// What goes before the file's tags when a recording is served: the FLV
/// header and an `onMetaData` with the duration and every keyframe's time
/// and position in the served bytes (flv.js and mpegts.js seek with it by
/// HTTP Range; like yamdi, the first entry is the video sequence header,
/// which those players skip). The served stream is this prefix followed
/// by the file from byte 13.
pub fn replay_prefix(index: &[IndexEntry], duration_ms: u32) -> Bytes {
    let mut entries: Vec<&IndexEntry> = Vec::new();
    if let Some(header) = index.iter().find(|e| e.entry == Entry::VideoHeader) {
        entries.push(header);
    }
    entries.extend(index.iter().filter(|e| e.entry == Entry::Keyframe));
    let times: Vec<f64> = entries.iter().map(|e| f64::from(e.ms) / 1000.0).collect();
    // the prefix's length does not depend on the positions' values
    let prefix_len = (FILE_HEADER.len() + 15 + metadata_body(duration_ms, &times, &times).len()) as u64;
    let positions: Vec<f64> =
        entries.iter().map(|e| (prefix_len + e.offset - FILE_HEADER.len() as u64) as f64).collect();
    let mut out = FILE_HEADER.to_vec();
    out.extend_from_slice(&tag_bytes(TagKind::Script, 0, &metadata_body(duration_ms, &times, &positions)));
    debug_assert_eq!(out.len() as u64, prefix_len);
    Bytes::from(out)
}

/// What a cut clip holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub duration_ms: u32,
    pub bytes: u64,
}

/// Cuts `[start_ms, end_ms]` of a recording into a new FLV file at `dest`
/// by remuxing: it starts at the last keyframe at or before `start_ms`
/// (so it may begin up to one GOP early), with the sequence headers in
/// force there, and ends with the last tag before `end_ms`; timestamps
/// start at 0. `None` when the recording has no keyframe to start from.
pub fn cut(src: &Path, index: &[IndexEntry], start_ms: u32, end_ms: u32, dest: &Path) -> io::Result<Option<Cut>> {
    let Some(from) = index.iter().rev().find(|e| e.entry == Entry::Keyframe && e.ms <= start_ms).copied() else {
        return Ok(None);
    };
    let header_before = |kind: Entry| index.iter().rev().find(|e| e.entry == kind && e.offset < from.offset).copied();
    let mut file = File::open(src)?;
    let len = file.metadata()?.len();
    let mut out = BufWriter::new(File::create(dest)?);
    out.write_all(&FILE_HEADER)?;
    let mut written = FILE_HEADER.len() as u64;
    for header in [header_before(Entry::VideoHeader), header_before(Entry::AudioHeader)].into_iter().flatten() {
        file.seek(SeekFrom::Start(header.offset))?;
        let Some(h) = read_header(&mut file)? else { continue };
        let mut body = vec![0u8; h.size as usize];
        file.read_exact(&mut body)?;
        let kind = if h.kind == 9 { TagKind::Video } else { TagKind::Audio };
        let bytes = tag_bytes(kind, 0, &body);
        out.write_all(&bytes)?;
        written += bytes.len() as u64;
    }
    file.seek(SeekFrom::Start(from.offset))?;
    let mut reader = BufReader::new(file);
    let mut at = from.offset;
    let mut last = 0u32;
    let mut body = Vec::new();
    while let Some(h) = read_header(&mut reader)? {
        let end = at + 11 + u64::from(h.size) + 4;
        if end > len {
            break;
        }
        at = end;
        body.resize(h.size as usize, 0);
        reader.read_exact(&mut body)?;
        reader.seek_relative(4)?;
        let kind = match h.kind {
            8 => TagKind::Audio,
            9 => TagKind::Video,
            _ => continue,
        };
        if h.ms >= end_ms {
            break;
        }
        // audio a few ms before the keyframe it follows
        let ms = h.ms.saturating_sub(from.ms);
        last = last.max(ms);
        let bytes = tag_bytes(kind, ms, &body);
        out.write_all(&bytes)?;
        written += bytes.len() as u64;
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_data()?;
    Ok(Some(Cut { duration_ms: last + DEFAULT_FRAME_MS, bytes: written }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flv;

    fn tag(kind: TagKind, ms: u32, body: &[u8]) -> Tag {
        Tag { kind, timestamp: ms, body: Bytes::copy_from_slice(body) }
    }

    /// Two publications: 0–2 s and, after a drop, one more second that
    /// continues the timeline; then the index, the served prefix and a cut.
    #[test]
    fn segments_continue_the_timeline_and_cuts_start_at_a_keyframe() {
        let dir = tempfile_dir();
        let (path, idx) = (dir.join("show-1.flv"), dir.join("show-1.idx"));
        let fresh = repair(&path, &idx).unwrap();
        assert_eq!(fresh, Repaired { len: 13, last_ms: None });
        let mut data = std::fs::read(&path).unwrap();
        let mut lines = String::new();
        let mut write_segment = |w: &mut SegmentWriter, base: u32, frames: u32| {
            let mut tags = vec![
                tag(TagKind::Script, 0, b"\x02meta"),
                tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]),
                tag(TagKind::Audio, 0, &[0xAF, 0, 0x12]),
                tag(TagKind::Video, base, &[0x27, 1, 0, 0, 0, 9]), // before any keyframe: left out
            ];
            for i in 0..frames {
                let key = if i.is_multiple_of(25) { 0x17 } else { 0x27 };
                tags.push(tag(TagKind::Video, base + 40 + i * 40, &[key, 1, 0, 0, 0, i as u8]));
                tags.push(tag(TagKind::Audio, base + 40 + i * 40, &[0xAF, 1, 7]));
            }
            for t in &tags {
                if let Some(e) = w.encode(t) {
                    data.extend_from_slice(&e.bytes);
                    if let Some(i) = e.index {
                        lines.push_str(&i.line());
                    }
                }
            }
        };
        let mut first = SegmentWriter::new(0, 13);
        write_segment(&mut first, 5_000, 50);
        assert_eq!(first.duration_ms(), 49 * 40 + 40);
        let mut second = SegmentWriter::new(first.duration_ms(), first.offset());
        write_segment(&mut second, 90_000, 25);
        std::fs::write(&path, &data).unwrap();
        std::fs::write(&idx, &lines).unwrap();

        let tags = flv::parse(&data).unwrap();
        assert!(tags.iter().all(|t| t.kind != TagKind::Script), "the publisher's metadata is left out");
        let video: Vec<u32> = tags
            .iter()
            .filter(|t| t.kind == TagKind::Video && !t.info().sequence_header)
            .map(|t| t.timestamp)
            .collect();
        assert_eq!(video.len(), 75);
        assert_eq!(video[0], 0);
        assert_eq!(video[49], 49 * 40);
        assert_eq!(video[50], 2000, "the second publication continues where the first ended");
        assert!(video.windows(2).all(|w| w[0] < w[1]));

        let index = read_index(&idx).unwrap();
        let keyframes: Vec<u32> = index.iter().filter(|e| e.entry == Entry::Keyframe).map(|e| e.ms).collect();
        assert_eq!(keyframes, [0, 1000, 2000]);

        // a torn tag at the end is cut off before appending
        let mut torn = data.clone();
        torn.extend_from_slice(&[9, 0, 0, 50, 0, 0]);
        std::fs::write(&path, &torn).unwrap();
        assert_eq!(repair(&path, &idx).unwrap(), Repaired { len: data.len() as u64, last_ms: Some(2000 + 24 * 40) });
        assert_eq!(std::fs::read(&path).unwrap(), data);

        // served: the prefix's metadata points at the keyframes in the served bytes
        let prefix = replay_prefix(&index, 3000);
        let mut served = prefix.to_vec();
        served.extend_from_slice(&data[13..]);
        let meta = &flv::parse(&served).unwrap()[0];
        assert_eq!(meta.kind, TagKind::Script);
        let at = prefix.len() + (index.iter().find(|e| e.ms == 1000).unwrap().offset as usize - 13);
        assert_eq!(served[at], 9, "a keyframe's position is a video tag");
        assert_eq!(served[at + 11], 0x17);

        // a cut from 1.5 s to 2.5 s starts at the keyframe at 1 s
        let clip = dir.join("clip.flv");
        let cut = cut(&path, &index, 1500, 2500, &clip).unwrap().unwrap();
        let tags = flv::parse(&std::fs::read(&clip).unwrap()).unwrap();
        assert!(tags[0].info().sequence_header && tags[1].info().sequence_header);
        let first_media = tags.iter().find(|t| t.kind == TagKind::Video && !t.info().sequence_header).unwrap();
        assert!(first_media.info().keyframe && first_media.timestamp == 0);
        assert_eq!(cut.duration_ms, 2480 - 1000 + 40, "the last tag before 2.5 s, one frame long");
        assert_eq!(cut.bytes, std::fs::metadata(&clip).unwrap().len());
        assert!(super::cut(&path, &[], 0, 10, &clip).unwrap().is_none());
        std::fs::remove_dir_all(&dir).ok();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("zhibo-record-{}-{}", std::process::id(), rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
