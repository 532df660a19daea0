//! MPEG-TS muxing of FLV tags, without re-encoding: H.264 from AVCC
//! (length-prefixed NAL units) to Annex B with an access unit delimiter and
//! the SPS/PPS before each keyframe; AAC raw frames behind ADTS headers
//! built from the AudioSpecificConfig. One program, video on PID 0x100
//! (also the PCR), audio on 0x101; PAT and PMT begin every segment.
//! Malformed input is skipped, never a panic.

use crate::flv::{Tag, TagKind};

const PACKET: usize = 188;
const PMT_PID: u16 = 0x1000;
const VIDEO_PID: u16 = 0x100;
const AUDIO_PID: u16 = 0x101;
/// Timestamps start one second in, so a small negative offset never wraps.
const OFFSET_90K: u64 = 90_000;

/// What the sequence headers said.
#[derive(Debug, Clone, Default)]
pub struct Codecs {
    /// SPS and PPS as Annex B, sent before every keyframe.
    parameter_sets: Vec<u8>,
    nal_length_size: usize,
    /// AAC object type, sampling index, channels.
    aac: Option<(u8, u8, u8)>,
}

impl Codecs {
    /// Learns from a sequence header; other tags change nothing.
    pub fn learn(&mut self, tag: &Tag) {
        let info = tag.info();
        if !info.sequence_header {
            return;
        }
        match tag.kind {
            TagKind::Video => {
                if let Some(record) = tag.avc_config() {
                    self.learn_avc(record);
                }
            }
            TagKind::Audio => {
                if let (Some(&a), Some(&b)) = (tag.body.get(2), tag.body.get(3)) {
                    let object = a >> 3;
                    let rate = ((a & 0x07) << 1) | (b >> 7);
                    let channels = (b >> 3) & 0x0F;
                    self.aac = Some((object.max(1), rate, channels));
                }
            }
            TagKind::Script => {}
        }
    }

    fn learn_avc(&mut self, record: &[u8]) {
        let Some(&size) = record.get(4) else { return };
        self.nal_length_size = usize::from(size & 0x03) + 1;
        let mut sets = Vec::new();
        let mut at = 5;
        for is_sps in [true, false] {
            let Some(&count) = record.get(at) else { return };
            let count = if is_sps { count & 0x1F } else { count };
            at += 1;
            for _ in 0..count {
                let Some(len) = record.get(at..at + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
                    return;
                };
                let Some(nal) = record.get(at + 2..at + 2 + len) else { return };
                sets.extend_from_slice(&[0, 0, 0, 1]);
                sets.extend_from_slice(nal);
                at += 2 + len;
            }
        }
        self.parameter_sets = sets;
    }
}

/// Writes TS packets for one segment at a time, keeping the continuity
/// counters across segments.
#[derive(Debug, Default)]
pub struct TsWriter {
    counters: [u8; 3],
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

fn timestamp(marker: u8, t: u64) -> [u8; 5] {
    let t = t & 0x1_FFFF_FFFF;
    [
        (marker << 4) | (((t >> 30) as u8 & 0x07) << 1) | 1,
        (t >> 22) as u8,
        (((t >> 15) as u8) << 1) | 1,
        (t >> 7) as u8,
        ((t as u8) << 1) | 1,
    ]
}

impl TsWriter {
    fn counter(&mut self, pid: u16) -> u8 {
        let i = match pid {
            VIDEO_PID => 0,
            AUDIO_PID => 1,
            _ => 2,
        };
        let c = self.counters[i];
        self.counters[i] = (c + 1) & 0x0F;
        c
    }

    /// One section (PAT or PMT) in one packet.
    fn section(&mut self, out: &mut Vec<u8>, pid: u16, table: &[u8]) {
        let mut packet = vec![0x47, 0x40 | (pid >> 8) as u8, pid as u8, 0x10 | self.counter(pid), 0];
        packet.extend_from_slice(table);
        packet.extend_from_slice(&crc32(table).to_be_bytes());
        packet.resize(PACKET, 0xFF);
        out.extend_from_slice(&packet);
    }

    /// PAT and PMT, at the start of every segment.
    pub fn tables(&mut self, out: &mut Vec<u8>, audio: bool) {
        let pat = [0x00, 0xB0, 13, 0, 1, 0xC1, 0, 0, 0, 1, 0xE0 | (PMT_PID >> 8) as u8, PMT_PID as u8];
        self.section(out, 0, &pat);
        let mut streams = vec![0x1B, 0xE0 | (VIDEO_PID >> 8) as u8, VIDEO_PID as u8, 0xF0, 0];
        if audio {
            streams.extend_from_slice(&[0x0F, 0xE0 | (AUDIO_PID >> 8) as u8, AUDIO_PID as u8, 0xF0, 0]);
        }
        let length = 9 + streams.len() + 4;
        let mut pmt = vec![0x02, 0xB0 | (length >> 8) as u8, length as u8, 0, 1, 0xC1, 0, 0];
        pmt.extend_from_slice(&[0xE0 | (VIDEO_PID >> 8) as u8, VIDEO_PID as u8, 0xF0, 0]);
        pmt.extend_from_slice(&streams);
        self.section(out, PMT_PID, &pmt);
    }

    /// One tag as a PES; `false` when it carries nothing to mux.
    pub fn tag(&mut self, out: &mut Vec<u8>, tag: &Tag, codecs: &Codecs, base_ms: u32) -> bool {
        let info = tag.info();
        let delta = tag.timestamp.wrapping_sub(base_ms);
        // an audio frame a little before the segment's first keyframe
        let delta = if delta > u32::MAX / 2 { 0 } else { delta };
        let dts = u64::from(delta) * 90 + OFFSET_90K;
        match tag.kind {
            TagKind::Video if info.codec == 7 && !info.sequence_header => {
                let Some(b) = tag.body.get(2..5) else { return false };
                // composition time: signed 24 bits
                let cts = (i32::from_be_bytes([0, b[0], b[1], b[2]]) << 8) >> 8;
                let pts = (dts as i64 + i64::from(cts) * 90).max(0) as u64;
                let mut es = vec![0, 0, 0, 1, 0x09, 0xF0];
                if info.keyframe {
                    es.extend_from_slice(&codecs.parameter_sets);
                }
                let mut at = 5;
                let n = codecs.nal_length_size.max(1);
                while let Some(len) = tag.body.get(at..at + n) {
                    let len = len.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
                    let Some(nal) = tag.body.get(at + n..at + n + len) else { break };
                    es.extend_from_slice(&[0, 0, 0, 1]);
                    es.extend_from_slice(nal);
                    at += n + len;
                }
                self.pes(out, VIDEO_PID, 0xE0, &es, pts, Some(dts), info.keyframe);
                true
            }
            TagKind::Audio if info.codec == 10 && !info.sequence_header => {
                let (Some((object, rate, channels)), Some(raw)) = (codecs.aac, tag.body.get(2..)) else { return false };
                let len = raw.len() + 7;
                if len > 0x1FFF {
                    return false;
                }
                let mut es = vec![
                    0xFF,
                    0xF1,
                    ((object - 1) << 6) | ((rate & 0x0F) << 2) | ((channels >> 2) & 1),
                    ((channels & 3) << 6) | ((len >> 11) as u8 & 3),
                    (len >> 3) as u8,
                    (((len & 7) as u8) << 5) | 0x1F,
                    0xFC,
                ];
                es.extend_from_slice(raw);
                self.pes(out, AUDIO_PID, 0xC0, &es, dts, None, false);
                true
            }
            _ => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pes(&mut self, out: &mut Vec<u8>, pid: u16, stream: u8, es: &[u8], pts: u64, dts: Option<u64>, key: bool) {
        let mut header = vec![0, 0, 1, stream, 0, 0, 0x80];
        match dts {
            Some(dts) if dts != pts => {
                header.extend_from_slice(&[0xC0, 10]);
                header.extend_from_slice(&timestamp(3, pts));
                header.extend_from_slice(&timestamp(1, dts));
            }
            _ => {
                header.extend_from_slice(&[0x80, 5]);
                header.extend_from_slice(&timestamp(2, pts));
            }
        }
        let pes_len = header.len() - 6 + es.len();
        // video may leave the length open (0); audio PES are small
        if stream != 0xE0 && pes_len <= 0xFFFF {
            header[4] = (pes_len >> 8) as u8;
            header[5] = pes_len as u8;
        }
        let mut payload = header;
        payload.extend_from_slice(es);
        let pcr = (pid == VIDEO_PID).then(|| dts.unwrap_or(pts));
        let mut first = true;
        let mut rest = &payload[..];
        while !rest.is_empty() {
            let mut packet = Vec::with_capacity(PACKET);
            packet.push(0x47);
            packet.push(if first { 0x40 } else { 0 } | (pid >> 8) as u8);
            packet.push(pid as u8);
            let counter = self.counter(pid);
            let mut adaptation = Vec::new();
            if first && (pcr.is_some() || key) {
                let mut flags = 0u8;
                if key {
                    flags |= 0x40; // random access
                }
                adaptation.push(0);
                if let Some(pcr) = pcr {
                    flags |= 0x10;
                    let base = pcr & 0x1_FFFF_FFFF;
                    adaptation.extend_from_slice(&[
                        (base >> 25) as u8,
                        (base >> 17) as u8,
                        (base >> 9) as u8,
                        (base >> 1) as u8,
                        ((base as u8 & 1) << 7) | 0x7E,
                        0,
                    ]);
                }
                adaptation[0] = flags;
            }
            let room = PACKET - 4 - if adaptation.is_empty() { 0 } else { 1 + adaptation.len() };
            if rest.len() < room {
                // stuff the adaptation field so the packet ends with the payload
                let need = room - rest.len();
                if adaptation.is_empty() {
                    // one byte of length, then flags and 0xFF stuffing
                    if need == 1 {
                        packet.push(0x20 | 0x10 | counter);
                        packet.push(0);
                    } else {
                        packet.push(0x30 | counter);
                        packet.push((need - 1) as u8);
                        packet.push(0);
                        packet.extend(std::iter::repeat_n(0xFF, need - 2));
                    }
                } else {
                    packet.push(0x30 | counter);
                    packet.push((adaptation.len() + need) as u8);
                    packet.extend_from_slice(&adaptation);
                    packet.extend(std::iter::repeat_n(0xFF, need));
                }
            } else if adaptation.is_empty() {
                packet.push(0x10 | counter);
            } else {
                packet.push(0x30 | counter);
                packet.push(adaptation.len() as u8);
                packet.extend_from_slice(&adaptation);
            }
            let take = (PACKET - packet.len()).min(rest.len());
            packet.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            debug_assert_eq!(packet.len(), PACKET);
            out.extend_from_slice(&packet);
            first = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use proptest::prelude::*;

    #[test]
    fn every_packet_is_188_bytes_with_a_sync_byte() {
        let mut codecs = Codecs::default();
        let config = Tag {
            kind: TagKind::Video,
            timestamp: 0,
            body: Bytes::from_static(&[
                0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x0D, 0xFF, 0xE1, 0, 2, 0x67, 0x64, 1, 0, 2, 0x68, 0xEE,
            ]),
        };
        codecs.learn(&config);
        assert_eq!(codecs.parameter_sets, [0, 0, 0, 1, 0x67, 0x64, 0, 0, 0, 1, 0x68, 0xEE]);
        codecs.learn(&Tag { kind: TagKind::Audio, timestamp: 0, body: Bytes::from_static(&[0xAF, 0, 0x12, 0x10]) });
        assert_eq!(codecs.aac, Some((2, 4, 2)));
        let mut w = TsWriter::default();
        let mut out = Vec::new();
        w.tables(&mut out, true);
        for len in [1usize, 170, 176, 177, 178, 182, 183, 184, 400, 5000] {
            let mut body = vec![0x17, 1, 0, 0, 0];
            body.extend_from_slice(&(len as u32).to_be_bytes());
            body.extend(std::iter::repeat_n(0x65, len));
            assert!(w.tag(&mut out, &Tag { kind: TagKind::Video, timestamp: 40, body: Bytes::from(body) }, &codecs, 0));
            let audio = Tag { kind: TagKind::Audio, timestamp: 40, body: Bytes::from(vec![0xAF; len.min(3000)]) };
            w.tag(&mut out, &audio, &codecs, 0);
        }
        assert_eq!(out.len() % PACKET, 0);
        assert!(out.chunks(PACKET).all(|p| p[0] == 0x47));
    }

    proptest! {
        #[test]
        fn random_tags_never_panic(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 0..20)) {
            let mut codecs = Codecs::default();
            let mut w = TsWriter::default();
            let mut out = Vec::new();
            for (i, body) in bodies.into_iter().enumerate() {
                let kind = if i % 2 == 0 { TagKind::Video } else { TagKind::Audio };
                let tag = Tag { kind, timestamp: i as u32 * 40, body: Bytes::from(body) };
                codecs.learn(&tag);
                w.tag(&mut out, &tag, &codecs, 0);
            }
            prop_assert_eq!(out.len() % PACKET, 0);
        }
    }
}
