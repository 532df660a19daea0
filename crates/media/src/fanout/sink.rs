//! One HTTP-FLV viewer's socket as a fan-out shard writes to it: framing
//! with the viewer's own timestamps around the shared tag bodies, written
//! with non-blocking vectored writes, and a bounded backlog for when the
//! socket would block.
//!
//! The shard never waits for a viewer. What a socket does not take goes to
//! the backlog and is retried with the next frame (tokio remembers the
//! socket's readiness, so a retry while it is still full costs no system
//! call). A backlog over the shard's limit is a lag: whole frames not yet
//! started are dropped and the viewer skips to the next keyframe, so its
//! stream stays valid FLV; after [`MAX_LAGS`] lags it is dropped.

use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::io::{self, IoSlice};

use super::Outlet;
use crate::flv::{Batch, FlvMuxer, Tag, TagKind};

/// Lags a viewer may have before it is dropped (as the hub's viewers).
pub const MAX_LAGS: u32 = 4;
/// Bodies up to this size are copied into the viewer's framing buffer
/// (audio, small frames); larger ones are written from the shared bytes.
const COPY_MAX: usize = 1024;
/// Slices in one vectored write, at most.
const MAX_SLICES: usize = 64;

/// Why a viewer left the shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gone {
    /// The socket failed (the viewer went away).
    Closed(io::ErrorKind),
    /// It lagged more than [`MAX_LAGS`] times.
    TooSlow,
}

pub(crate) struct Sink<S> {
    socket: S,
    muxer: FlvMuxer,
    video: bool,
    /// Pieces not yet written, each marked when it ends a batch (a batch
    /// holds whole tags, so dropping whole batches keeps the FLV valid).
    backlog: VecDeque<(Bytes, bool)>,
    backlog_bytes: usize,
    /// The backlog's first batch is partly written and must be finished.
    partial: bool,
    /// Batches at the backlog's front no lag may drop: the preamble and the
    /// first FLV batch (file header, sequence headers), until written.
    vital: usize,
    waiting_keyframe: bool,
    lags: u32,
}

impl<S: Outlet> Sink<S> {
    /// A viewer whose socket gets `preamble` (an HTTP response head, say)
    /// before the FLV stream.
    pub fn new(socket: S, preamble: Bytes, audio: bool, video: bool, waiting_keyframe: bool) -> Sink<S> {
        let mut sink = Sink {
            socket,
            muxer: FlvMuxer::new(audio, video),
            video,
            backlog: VecDeque::new(),
            backlog_bytes: 0,
            partial: false,
            vital: 1,
            waiting_keyframe,
            lags: 0,
        };
        if !preamble.is_empty() {
            sink.backlog_bytes = preamble.len();
            sink.backlog.push_back((preamble, true));
            sink.vital += 1;
        }
        sink
    }

    /// Frames `tags` for this viewer and writes what the socket takes now.
    /// `limit` bounds the backlog, in bytes.
    pub fn send(&mut self, tags: &[Tag], limit: usize) -> Result<(), Gone> {
        let mut batch = Batch::with_capacity(32 + 16 * tags.len());
        for tag in tags {
            if self.accepts(tag) {
                self.muxer.frame(tag, &mut batch, COPY_MAX);
            }
        }
        if !batch.is_empty() {
            let pieces = batch.finish();
            let last = pieces.len() - 1;
            for (i, piece) in pieces.into_iter().enumerate() {
                self.backlog_bytes += piece.len();
                self.backlog.push_back((piece, i == last));
            }
        }
        self.flush().map_err(|e| Gone::Closed(e.kind()))?;
        if self.backlog_bytes > limit {
            self.lag()?;
        }
        Ok(())
    }

    /// Whether the viewer wants `tag`: after a lag (or a join with no GOP
    /// to start from) only configuration until the next keyframe.
    fn accepts(&mut self, tag: &Tag) -> bool {
        if !self.waiting_keyframe {
            return true;
        }
        let info = tag.info();
        if tag.kind == TagKind::Video && info.keyframe {
            self.waiting_keyframe = false;
            return true;
        }
        tag.kind == TagKind::Script || info.sequence_header
    }

    /// Writes from the backlog until it is empty or the socket is full.
    fn flush(&mut self) -> io::Result<()> {
        while !self.backlog.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut count = 0;
            let mut asked = 0;
            for ((piece, _), slot) in self.backlog.iter().zip(slices.iter_mut()) {
                *slot = IoSlice::new(piece);
                asked += piece.len();
                count += 1;
            }
            match self.socket.try_write_vectored(&slices[..count]) {
                Ok(0) => return Ok(()),
                Ok(written) => {
                    self.advance(written);
                    // a short write means the socket is full: no second try now
                    if written < asked {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn advance(&mut self, mut written: usize) {
        self.backlog_bytes -= written;
        while written > 0 {
            let Some((piece, ends)) = self.backlog.front_mut() else { return };
            if piece.len() <= written {
                written -= piece.len();
                self.partial = !*ends;
                if *ends {
                    self.vital = self.vital.saturating_sub(1);
                }
                self.backlog.pop_front();
            } else {
                piece.advance(written);
                self.partial = true;
                written = 0;
            }
        }
    }

    /// Too far behind: keep only the batch being written (and the vital
    /// ones), then wait for a keyframe; too often, and the viewer is dropped.
    fn lag(&mut self) -> Result<(), Gone> {
        self.lags += 1;
        if self.lags > MAX_LAGS {
            return Err(Gone::TooSlow);
        }
        let mut batches = self.vital.max(usize::from(self.partial));
        let mut keep = 0;
        for (_, ends) in &self.backlog {
            if batches == 0 {
                break;
            }
            keep += 1;
            if *ends {
                batches -= 1;
            }
        }
        self.backlog.truncate(keep);
        self.backlog_bytes = self.backlog.iter().map(|(p, _)| p.len()).sum();
        self.waiting_keyframe = self.video;
        Ok(())
    }
}
