//! A publisher's stream health, measured on the [`Clock`]: bitrate and
//! frame rate over a sliding window of per-second buckets (so memory stays
//! fixed however fast tags arrive or however still a virtual clock stands),
//! resolution from the AVC sequence header or the metadata, keyframe
//! interval from the stream's own timestamps, audio, uptime and the
//! publisher's address; and the warnings a console should raise.

use serde::Serialize;
use std::collections::VecDeque;
use std::net::SocketAddr;
use zhibo_domain::Timestamp;

use crate::avc;
use crate::flv::{Tag, TagKind};

/// Seconds of history bitrate and frame rate are measured over.
pub const WINDOW_SECS: i64 = 5;
/// Below this a stream looks broken to viewers (kbps).
pub const LOW_BITRATE_KBPS: u64 = 200;
/// A keyframe interval above this makes late joiners wait (OBS advice: 2 s).
pub const MAX_KEYFRAME_INTERVAL_MS: u32 = 4000;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    second: i64,
    bytes: u64,
    video_frames: u32,
    audio_frames: u32,
}

/// The health of one publication.
#[derive(Debug, Clone)]
pub struct Health {
    started: Timestamp,
    publisher: SocketAddr,
    buckets: VecDeque<Bucket>,
    width: Option<u32>,
    height: Option<u32>,
    video_codec: Option<u8>,
    audio_codec: Option<u8>,
    last_keyframe: Option<u32>,
    keyframe_interval_ms: Option<u32>,
    best_kbps: u64,
    total_bytes: u64,
}

/// What the console shows and the log keeps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    pub bitrate_kbps: u64,
    pub fps: f64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub video_codec: Option<&'static str>,
    pub audio_codec: Option<&'static str>,
    pub keyframe_interval_ms: Option<u32>,
    pub audio: bool,
    pub uptime_secs: i64,
    pub publisher: String,
    pub bytes: u64,
    pub warnings: Vec<Warning>,
}

/// A problem the console should show, with a bilingual message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

fn codec_name(kind: TagKind, id: u8) -> &'static str {
    match (kind, id) {
        (TagKind::Video, 7) => "h264",
        (TagKind::Video, 12) => "hevc",
        (TagKind::Audio, 10) => "aac",
        (TagKind::Audio, 2) => "mp3",
        _ => "other",
    }
}

impl Health {
    pub fn new(started: Timestamp, publisher: SocketAddr) -> Health {
        Health {
            started,
            publisher,
            buckets: VecDeque::new(),
            width: None,
            height: None,
            video_codec: None,
            audio_codec: None,
            last_keyframe: None,
            keyframe_interval_ms: None,
            best_kbps: 0,
            total_bytes: 0,
        }
    }

    fn bucket(&mut self, now: Timestamp) -> &mut Bucket {
        let second = now.0.div_euclid(1000);
        if self.buckets.back().is_none_or(|b| b.second != second) {
            self.buckets.push_back(Bucket { second, ..Bucket::default() });
        }
        while self.buckets.len() > (WINDOW_SECS + 1) as usize {
            self.buckets.pop_front();
        }
        self.buckets.back_mut().expect("just pushed")
    }

    /// Counts one tag received at `now`.
    pub fn observe(&mut self, tag: &Tag, now: Timestamp) {
        let info = tag.info();
        self.total_bytes += tag.body.len() as u64;
        let bucket = self.bucket(now);
        bucket.bytes += tag.body.len() as u64;
        match tag.kind {
            TagKind::Video if !info.sequence_header => bucket.video_frames += 1,
            TagKind::Audio if !info.sequence_header => bucket.audio_frames += 1,
            _ => {}
        }
        match tag.kind {
            TagKind::Video => {
                self.video_codec = Some(info.codec);
                if let Some((w, h)) = tag.avc_config().and_then(avc::resolution_from_config) {
                    (self.width, self.height) = (Some(w), Some(h));
                }
                if info.keyframe {
                    if let Some(last) = self.last_keyframe {
                        self.keyframe_interval_ms = Some(tag.timestamp.wrapping_sub(last).min(3_600_000));
                    }
                    self.last_keyframe = Some(tag.timestamp);
                }
            }
            TagKind::Audio => self.audio_codec = Some(info.codec),
            TagKind::Script => {}
        }
    }

    /// Width and height announced in onMetaData, used until the SPS says.
    pub fn metadata_size(&mut self, width: Option<f64>, height: Option<f64>) {
        let px = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0 && *v <= 16384.0).map(|v| v as u32);
        if self.width.is_none() {
            (self.width, self.height) = (px(width), px(height));
        }
    }

    /// The report at `now`: the window is the last [`WINDOW_SECS`] whole
    /// seconds (fewer while the stream is younger).
    pub fn report(&mut self, now: Timestamp) -> HealthReport {
        let second = now.0.div_euclid(1000);
        let from = second - WINDOW_SECS;
        let recent: Vec<Bucket> =
            self.buckets.iter().filter(|b| b.second >= from && b.second < second).copied().collect();
        let uptime_ms = (now.0 - self.started.0).max(0);
        let span_secs = (uptime_ms / 1000).clamp(1, WINDOW_SECS);
        let bytes: u64 = recent.iter().map(|b| b.bytes).sum();
        let frames: u32 = recent.iter().map(|b| b.video_frames).sum();
        let audio_frames: u32 = self.buckets.iter().filter(|b| b.second >= from).map(|b| b.audio_frames).sum();
        let bitrate_kbps = bytes * 8 / 1000 / span_secs as u64;
        let fps = (f64::from(frames) / span_secs as f64 * 10.0).round() / 10.0;
        let settled = uptime_ms >= WINDOW_SECS * 1000;
        if settled {
            self.best_kbps = self.best_kbps.max(bitrate_kbps);
        }
        let mut warnings = Vec::new();
        if settled && (bitrate_kbps < LOW_BITRATE_KBPS || bitrate_kbps * 4 < self.best_kbps) {
            warnings.push(Warning {
                code: "bitrate_low",
                message: format!(
                    "码率过低（{bitrate_kbps} kbps），检查上行网络 / bitrate collapsed to {bitrate_kbps} kbps: check the upload"
                ),
            });
        }
        if let Some(ms) = self.keyframe_interval_ms.filter(|ms| *ms > MAX_KEYFRAME_INTERVAL_MS) {
            warnings.push(Warning {
                code: "keyframe_interval",
                message: format!(
                    "关键帧间隔 {:.1} 秒过长，OBS 设为 2 秒 / keyframes {:.1} s apart: set 2 s in OBS",
                    f64::from(ms) / 1000.0,
                    f64::from(ms) / 1000.0
                ),
            });
        }
        HealthReport {
            bitrate_kbps,
            fps,
            width: self.width,
            height: self.height,
            video_codec: self.video_codec.map(|c| codec_name(TagKind::Video, c)),
            audio_codec: self.audio_codec.map(|c| codec_name(TagKind::Audio, c)),
            keyframe_interval_ms: self.keyframe_interval_ms,
            audio: audio_frames > 0,
            uptime_secs: uptime_ms / 1000,
            publisher: self.publisher.to_string(),
            bytes: self.total_bytes,
            warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn video(ts: u32, key: bool, len: usize) -> Tag {
        let mut body = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        body.resize(len, 0);
        Tag { kind: TagKind::Video, timestamp: ts, body: Bytes::from(body) }
    }

    #[test]
    fn bitrate_fps_and_warnings_follow_the_clock() {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut h = Health::new(Timestamp(0), addr);
        // 10 s at 25 fps, 5000 bytes a frame = 1000 kbps, keyframe every 2 s
        for i in 0..250u32 {
            let t = i * 40;
            h.observe(&video(t, i % 50 == 0, 5000), Timestamp(i64::from(t)));
        }
        let r = h.report(Timestamp(10_000));
        assert_eq!(r.bitrate_kbps, 1000);
        assert_eq!(r.fps, 25.0);
        assert_eq!(r.keyframe_interval_ms, Some(2000));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert!(!r.audio);
        assert_eq!(r.uptime_secs, 10);
        // then the upload collapses: 500 bytes a frame, keyframes 6 s apart
        for i in 250..500u32 {
            let t = i * 40;
            h.observe(&video(t, i == 350, 500), Timestamp(i64::from(t)));
        }
        let r = h.report(Timestamp(20_000));
        assert_eq!(r.bitrate_kbps, 100);
        assert_eq!(r.keyframe_interval_ms, Some(6000));
        let codes: Vec<&str> = r.warnings.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["bitrate_low", "keyframe_interval"]);
        // a stall: nothing arrives, the bitrate falls to zero
        assert_eq!(h.report(Timestamp(40_000)).bitrate_kbps, 0);
    }
}
