//! RTMP chunk stream parsing with hard limits: bytes from the socket in,
//! whole messages out.
//!
//! rml_rtmp's own deserializer trusts its peer (it reserves a message's
//! announced length up front, shares one partial buffer across chunk streams
//! and accepts any chunk size up to 2³¹), so zhibo parses chunks itself and
//! hands only complete messages to rml_rtmp's message decoding. Every limit
//! here turns into an error that drops the one connection: a message longer
//! than [`Limits::max_message`], a chunk size above [`Limits::max_chunk_size`]
//! (or zero), too many chunk streams at once, or a chunk that refers to a
//! stream it never opened.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::HashMap;

use crate::MediaError;

/// The chunk size every RTMP peer starts with.
const INITIAL_CHUNK_SIZE: usize = 128;
/// A 24-bit timestamp field of this value means a 32-bit one follows.
const EXTENDED: u32 = 0xFF_FFFF;

/// What a peer may make one connection hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest chunk size a peer may ask for (OBS and ffmpeg use 4096).
    pub max_chunk_size: usize,
    /// Largest message (a keyframe of a 6 Mbps stream is well under 1 MiB).
    pub max_message: usize,
    /// Chunk streams with state at once (a publisher uses about five).
    pub max_chunk_streams: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_chunk_size: 1 << 20, max_message: 4 << 20, max_chunk_streams: 64 }
    }
}

/// One complete RTMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub timestamp: u32,
    pub type_id: u8,
    pub stream_id: u32,
    pub payload: Bytes,
}

/// The header state RTMP compresses against, per chunk stream.
#[derive(Debug, Default)]
struct StreamState {
    timestamp: u32,
    delta: u32,
    length: usize,
    type_id: u8,
    stream_id: u32,
    extended: bool,
    partial: BytesMut,
}

/// The parser for one connection's inbound chunk stream.
#[derive(Debug)]
pub struct ChunkReader {
    limits: Limits,
    chunk_size: usize,
    buffer: BytesMut,
    streams: HashMap<u32, StreamState>,
}

impl ChunkReader {
    pub fn new(limits: Limits) -> ChunkReader {
        ChunkReader { limits, chunk_size: INITIAL_CHUNK_SIZE, buffer: BytesMut::new(), streams: HashMap::new() }
    }

    /// Adds bytes read from the socket.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), MediaError> {
        // Never more than one chunk's worth is waiting unparsed, plus a read.
        let most = self.limits.max_chunk_size + 18 + 64 * 1024;
        if self.buffer.len() + bytes.len() > most {
            return Err(MediaError::Protocol("too many unparsed bytes".into()));
        }
        self.buffer.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete message, `Ok(None)` when more bytes are needed.
    /// Set-chunk-size messages are applied here (they change how the very
    /// next chunk is cut) and also returned.
    pub fn next_message(&mut self) -> Result<Option<Message>, MediaError> {
        loop {
            match self.next_chunk()? {
                Chunk::NeedMore => return Ok(None),
                Chunk::Partial => continue,
                Chunk::Complete(message) => {
                    if message.type_id == 1 {
                        self.apply_chunk_size(&message.payload)?;
                    }
                    return Ok(Some(message));
                }
            }
        }
    }

    fn apply_chunk_size(&mut self, payload: &[u8]) -> Result<(), MediaError> {
        let Some(raw) = payload.get(..4) else {
            return Err(MediaError::Protocol("short set-chunk-size message".into()));
        };
        let size = (u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) & 0x7FFF_FFFF) as usize;
        if size == 0 || size > self.limits.max_chunk_size {
            return Err(MediaError::Protocol(format!(
                "chunk size {size} refused (1..={})",
                self.limits.max_chunk_size
            )));
        }
        self.chunk_size = size;
        Ok(())
    }

    /// Parses one chunk if all of it is buffered; consumes nothing otherwise.
    fn next_chunk(&mut self) -> Result<Chunk, MediaError> {
        let buf = &self.buffer[..];
        let Some(&first) = buf.first() else { return Ok(Chunk::NeedMore) };
        let format = first >> 6;
        let (csid, mut at) = match first & 0x3F {
            0 => match buf.get(1) {
                Some(&b) => (u32::from(b) + 64, 2),
                None => return Ok(Chunk::NeedMore),
            },
            1 => match (buf.get(1), buf.get(2)) {
                (Some(&lo), Some(&hi)) => (u32::from(hi) * 256 + u32::from(lo) + 64, 3),
                _ => return Ok(Chunk::NeedMore),
            },
            n => (u32::from(n), 1),
        };
        let header_len = [11, 7, 3, 0][usize::from(format)];
        let Some(header) = buf.get(at..at + header_len) else { return Ok(Chunk::NeedMore) };
        at += header_len;
        if !self.streams.contains_key(&csid) {
            if format != 0 {
                return Err(MediaError::Protocol(format!("chunk stream {csid} continued before it began")));
            }
            if self.streams.len() >= self.limits.max_chunk_streams {
                return Err(MediaError::Protocol("too many chunk streams".into()));
            }
        }
        let previous = self.streams.get(&csid);
        let starting = previous.is_none_or(|s| s.partial.is_empty());
        if format != 3 && !starting {
            return Err(MediaError::Protocol(format!("new header on chunk stream {csid} inside a message")));
        }
        let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
        let field = if format == 3 { None } else { Some(u24(&header[0..3])) };
        let extended = match field {
            Some(f) => f == EXTENDED,
            None => previous.is_some_and(|s| s.extended),
        };
        let mut ext_value = None;
        if extended {
            let Some(b) = buf.get(at..at + 4) else { return Ok(Chunk::NeedMore) };
            ext_value = Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            at += 4;
        }
        let mut state = previous.map(|s| StreamState {
            timestamp: s.timestamp,
            delta: s.delta,
            length: s.length,
            type_id: s.type_id,
            stream_id: s.stream_id,
            extended: s.extended,
            partial: BytesMut::new(),
        });
        let state = state.get_or_insert_with(StreamState::default);
        let value = |f: u32| if f == EXTENDED { ext_value.unwrap_or(f) } else { f };
        match format {
            0 => {
                state.timestamp = value(field.unwrap_or(0));
                state.delta = 0;
                state.length = u24(&header[3..6]) as usize;
                state.type_id = header[6];
                state.stream_id = u32::from_le_bytes([header[7], header[8], header[9], header[10]]);
            }
            1 | 2 => {
                state.delta = value(field.unwrap_or(0));
                state.timestamp = state.timestamp.wrapping_add(state.delta);
                if format == 1 {
                    state.length = u24(&header[3..6]) as usize;
                    state.type_id = header[6];
                }
            }
            _ => {
                if starting {
                    // a new message repeating the previous header: its delta again
                    state.timestamp = state.timestamp.wrapping_add(state.delta);
                }
            }
        }
        state.extended = extended;
        if state.length > self.limits.max_message {
            return Err(MediaError::Protocol(format!(
                "message of {} bytes refused (at most {})",
                state.length, self.limits.max_message
            )));
        }
        let have = self.streams.get(&csid).map_or(0, |s| s.partial.len());
        let take = (state.length - have).min(self.chunk_size);
        if buf.len() < at + take {
            return Ok(Chunk::NeedMore);
        }
        // The whole chunk is here: commit the header and consume it.
        let mut partial = self.streams.remove(&csid).map(|s| s.partial).unwrap_or_default();
        self.buffer.advance(at);
        partial.extend_from_slice(&self.buffer.split_to(take));
        let complete = partial.len() == state.length;
        let message = complete.then(|| Message {
            timestamp: state.timestamp,
            type_id: state.type_id,
            stream_id: state.stream_id,
            payload: std::mem::take(&mut partial).freeze(),
        });
        let StreamState { timestamp, delta, length, type_id, stream_id, extended, .. } = *state;
        self.streams.insert(csid, StreamState { timestamp, delta, length, type_id, stream_id, extended, partial });
        Ok(match message {
            Some(m) => Chunk::Complete(m),
            None => Chunk::Partial,
        })
    }
}

enum Chunk {
    NeedMore,
    Partial,
    Complete(Message),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full_header(csid: u8, ts: u32, len: usize, type_id: u8, stream: u32) -> Vec<u8> {
        let mut v = vec![csid];
        v.extend_from_slice(&ts.to_be_bytes()[1..]);
        v.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        v.push(type_id);
        v.extend_from_slice(&stream.to_le_bytes());
        v
    }

    #[test]
    fn a_message_split_over_chunks_comes_out_whole() {
        let payload: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let mut bytes = full_header(4, 40, 300, 9, 1);
        bytes.extend_from_slice(&payload[..128]);
        bytes.push(0xC4); // format 3, csid 4
        bytes.extend_from_slice(&payload[128..256]);
        bytes.push(0xC4);
        bytes.extend_from_slice(&payload[256..]);
        let mut reader = ChunkReader::new(Limits::default());
        // byte by byte: nothing is lost between reads
        let mut out = Vec::new();
        for b in &bytes {
            reader.push(&[*b]).unwrap();
            while let Some(m) = reader.next_message().unwrap() {
                out.push(m);
            }
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].payload[..], payload[..]);
        assert_eq!((out[0].timestamp, out[0].type_id, out[0].stream_id), (40, 9, 1));
    }

    #[test]
    fn deltas_accumulate_and_format_three_repeats_the_delta() {
        let mut bytes = full_header(6, 1000, 2, 8, 1);
        bytes.extend_from_slice(&[1, 2]);
        bytes.extend_from_slice(&[0x86, 0, 0, 23]); // format 2, delta 23
        bytes.extend_from_slice(&[3, 4]);
        bytes.push(0xC6); // format 3: another message, same delta
        bytes.extend_from_slice(&[5, 6]);
        let mut reader = ChunkReader::new(Limits::default());
        reader.push(&bytes).unwrap();
        let stamps: Vec<u32> = std::iter::from_fn(|| reader.next_message().unwrap()).map(|m| m.timestamp).collect();
        assert_eq!(stamps, [1000, 1023, 1046]);
    }

    #[test]
    fn a_huge_chunk_size_or_message_drops_the_connection() {
        let mut reader = ChunkReader::new(Limits::default());
        let mut bytes = full_header(2, 0, 4, 1, 0);
        bytes.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        reader.push(&bytes).unwrap();
        assert!(reader.next_message().is_err());

        let mut reader = ChunkReader::new(Limits::default());
        reader.push(&full_header(4, 0, 0xFF_FFFF, 9, 1)).unwrap();
        assert!(reader.next_message().is_err());
    }

    #[test]
    fn a_continuation_of_an_unknown_stream_is_refused() {
        let mut reader = ChunkReader::new(Limits::default());
        reader.push(&[0xC5, 1, 2, 3]).unwrap();
        assert!(reader.next_message().is_err());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic_and_stay_bounded(data in proptest::collection::vec(any::<u8>(), 0..4096), cut in 1usize..64) {
            let limits = Limits { max_chunk_size: 4096, max_message: 64 * 1024, max_chunk_streams: 8 };
            let mut reader = ChunkReader::new(limits);
            'outer: for piece in data.chunks(cut) {
                if reader.push(piece).is_err() { break; }
                loop {
                    match reader.next_message() {
                        Ok(Some(m)) => prop_assert!(m.payload.len() <= limits.max_message),
                        Ok(None) => break,
                        Err(_) => break 'outer,
                    }
                }
                prop_assert!(reader.streams.len() <= limits.max_chunk_streams);
                prop_assert!(reader.buffer.len() <= limits.max_chunk_size + 18 + 64 * 1024);
            }
        }
    }
}
