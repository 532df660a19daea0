//! HTTP-FLV fan-out: each show's viewers are written by a few shared tasks
//! instead of one task per viewer.
//!
//! A viewer's socket [joins](FlvFanout::join) a shard of its show (a task
//! serving up to [`FlvFanout::per_shard`] viewers, see [`shard`]); the shard
//! writes every video frame, with the audio before it, to each of its
//! viewers' sockets with non-blocking writes ([`sink`]). The web layer hands
//! over the raw TCP socket of a `GET .../stream.flv` with its HTTP response
//! head as the preamble, so no per-connection HTTP machinery stays behind.
//! Several shards per show spread a large audience over the runtime's
//! threads.

pub mod shard;
pub mod sink;

use bytes::Bytes;
use std::collections::HashMap;
use std::io::{self, IoSlice};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use zhibo_domain::RoomId;

use crate::hub::StreamHub;
use shard::Join;

/// Viewers per shard by default.
pub const PER_SHARD: usize = 512;

/// Where a shard writes: a socket that takes what it can without waiting.
pub trait Outlet: Send + 'static {
    /// Writes what fits now; `WouldBlock` when nothing does.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
}

impl Outlet for tokio::net::TcpStream {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        tokio::net::TcpStream::try_write_vectored(self, bufs)
    }
}

struct ShardHandle<S> {
    joins: mpsc::UnboundedSender<Join<S>>,
    viewers: Arc<AtomicUsize>,
}

/// Every show's shards.
pub struct FlvFanout<S: Outlet = tokio::net::TcpStream> {
    hub: Arc<StreamHub>,
    per_shard: usize,
    merge_ms: u32,
    shows: Mutex<HashMap<RoomId, Vec<ShardHandle<S>>>>,
}

impl<S: Outlet> std::fmt::Debug for FlvFanout<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlvFanout").field("per_shard", &self.per_shard).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<S: Outlet> FlvFanout<S> {
    /// `merge_ms`: frames are written together until they span this much
    /// stream time ([`shard::Framer::new`]).
    pub fn new(hub: Arc<StreamHub>, per_shard: usize, merge_ms: u32) -> FlvFanout<S> {
        FlvFanout { hub, per_shard: per_shard.max(1), merge_ms, shows: Mutex::default() }
    }

    pub fn per_shard(&self) -> usize {
        self.per_shard
    }

    /// Starts `show`'s stream on `socket`: `preamble`, then the FLV header,
    /// the sequence headers and the GOP cache, then live frames. Gives the
    /// socket back when nobody is publishing. Must run inside a tokio
    /// runtime (a new shard is a task).
    pub fn join(&self, show: RoomId, socket: S, preamble: Bytes) -> Result<(), S> {
        let mut shows = lock(&self.shows);
        let shards = shows.entry(show).or_default();
        shards.retain(|s| !s.joins.is_closed());
        let mut join = Join { socket, preamble };
        for shard in shards.iter() {
            if shard.viewers.load(Ordering::Relaxed) >= self.per_shard {
                continue;
            }
            shard.viewers.fetch_add(1, Ordering::Relaxed);
            match shard.joins.send(join) {
                Ok(()) => return Ok(()),
                Err(back) => {
                    shard.viewers.fetch_sub(1, Ordering::Relaxed);
                    join = back.0;
                }
            }
        }
        let Some(viewer) = self.hub.subscribe(show) else {
            if shards.is_empty() {
                shows.remove(&show);
            }
            return Err(join.socket);
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let viewers = Arc::new(AtomicUsize::new(1));
        let max_gop = self.hub.limits().max_gop_bytes;
        tokio::spawn(shard::run(viewer, rx, viewers.clone(), max_gop, self.merge_ms));
        // a fresh receiver is open: the send cannot fail
        let _ = tx.send(join);
        shards.push(ShardHandle { joins: tx, viewers });
        Ok(())
    }

    /// `show`'s viewers being served now (joined and not yet gone).
    pub fn viewers(&self, show: RoomId) -> usize {
        lock(&self.shows).get(&show).map_or(0, |shards| {
            shards.iter().filter(|s| !s.joins.is_closed()).map(|s| s.viewers.load(Ordering::Relaxed)).sum()
        })
    }

    /// Shards serving `show` now.
    pub fn shards(&self, show: RoomId) -> usize {
        lock(&self.shows).get(&show).map_or(0, |shards| shards.iter().filter(|s| !s.joins.is_closed()).count())
    }
}

#[cfg(test)]
mod tests;
