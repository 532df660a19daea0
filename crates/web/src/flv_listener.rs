//! The web server's listener: it hands each connection whose first request
//! is `GET /live/shows/{id}/stream.flv` for a live show straight to the
//! media fan-out as a raw socket ([`zhibo_media::fanout`]), and every other
//! connection to axum.
//!
//! A video viewer is a socket written some 25 times a second for as long
//! as it watches. Served through hyper, each one kept a connection task,
//! its buffers and a wake-up per write; handed over, it costs the fan-out
//! a small entry and one vectored write per frame (BENCHMARKS.md, video
//! fan-out). The request is only peeked at until it is known to be one of
//! ours, so anything else (another path, a head split over many packets,
//! a show that is not live, which hyper answers with its usual 404) goes
//! to axum untouched.
//!
//! An FLV request on a reused keep-alive connection (a browser's, or a
//! reverse proxy's pooled one) reaches `media::flv` through axum, which
//! asks for a [takeover](Handoffs::take_over): axum's answer to it is
//! discarded, axum lets go of the connection (its reads end, its shutdown
//! is not passed on) and, as axum drops it, the socket joins the fan-out
//! with the fan-out's own response head. HTTP/1 does not pipeline in
//! browsers, so nothing of an earlier answer is still unwritten by then.

use bytes::Bytes;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use zhibo_domain::RoomId;
use zhibo_media::MediaServer;

use crate::state::AppState;

/// How long a new connection may stay silent before it goes to axum as is.
const FIRST_BYTES_WITHIN: Duration = Duration::from_secs(30);
/// A stream request's head must be complete within this many peeks, 10 ms
/// apart (heads come in one packet; a slow one is axum's).
const PEEKS: usize = 20;
/// Request heads longer than this are axum's.
const MAX_HEAD: usize = 4096;
const PREFIX: &[u8] = b"GET /live/shows/";

/// The response head the fan-out writes before the FLV stream: the body
/// runs until the connection closes.
const FLV_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-store\r\n\
Access-Control-Allow-Origin: *\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";

/// Connections for axum, after the stream requests were taken out.
#[derive(Debug)]
pub struct SplitListener {
    rest: mpsc::Receiver<(TcpStream, SocketAddr)>,
    local: SocketAddr,
    handoffs: Arc<Handoffs>,
}

/// axum's connections by peer address, so the FLV handler (which knows
/// its request's peer from `ConnectInfo`) can take its socket over.
#[derive(Debug, Default)]
pub struct Handoffs(Mutex<HashMap<SocketAddr, Arc<Takeover>>>);

#[derive(Debug, Default)]
pub struct Takeover {
    /// Set once the connection is the fan-out's: axum's I/O on it stops.
    taken: AtomicBool,
    to: Mutex<Option<(RoomId, MediaServer)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Handoffs {
    /// Gives `peer`'s connection to `show`'s fan-out once axum is done with
    /// it: answer the request with `Connection: close` and no body (the
    /// answer is not sent). `false` when the connection is not one of
    /// ours (served some other way), and then nothing changes.
    pub fn take_over(&self, peer: SocketAddr, show: RoomId, server: MediaServer) -> bool {
        let Some(takeover) = lock(&self.0).get(&peer).cloned() else { return false };
        *lock(&takeover.to) = Some((show, server));
        takeover.taken.store(true, Ordering::Release);
        true
    }
}

/// One connection axum serves.
#[derive(Debug)]
pub struct Conn {
    tcp: Option<TcpStream>,
    peer: SocketAddr,
    takeover: Arc<Takeover>,
    handoffs: Arc<Handoffs>,
}

impl Conn {
    fn new(tcp: TcpStream, peer: SocketAddr, handoffs: Arc<Handoffs>) -> Conn {
        let takeover = Arc::new(Takeover::default());
        lock(&handoffs.0).insert(peer, takeover.clone());
        Conn { tcp: Some(tcp), peer, takeover, handoffs }
    }

    /// The socket while axum still has it.
    fn axum(&mut self) -> Option<&mut TcpStream> {
        if self.takeover.taken.load(Ordering::Acquire) { None } else { self.tcp.as_mut() }
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().axum() {
            Some(tcp) => Pin::new(tcp).poll_read(cx, buf),
            // taken over: the end of axum's part
            None => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut().axum() {
            Some(tcp) => Pin::new(tcp).poll_write(cx, buf),
            // axum's answer to the taken-over request goes nowhere
            None => Poll::Ready(Ok(buf.len())),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().axum() {
            Some(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().axum() {
            Some(tcp) => Pin::new(tcp).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().axum() {
            Some(tcp) => Pin::new(tcp).poll_shutdown(cx),
            // the socket stays open for the fan-out
            None => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for Conn {
    /// axum is done: a taken-over socket joins its show's fan-out.
    fn drop(&mut self) {
        {
            // only our own entry: a new connection may have the same peer already
            let mut handoffs = lock(&self.handoffs.0);
            if handoffs.get(&self.peer).is_some_and(|t| Arc::ptr_eq(t, &self.takeover)) {
                handoffs.remove(&self.peer);
            }
        }
        if !self.takeover.taken.load(Ordering::Acquire) {
            return;
        }
        let (Some(tcp), Some((show, server))) = (self.tcp.take(), lock(&self.takeover.to).take()) else { return };
        // a shard is a task: only inside the runtime (not while it shuts down)
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        if let Err(tcp) = server.fanout().join(show, tcp, Bytes::from_static(FLV_HEAD)) {
            // the publication ended in between: say so if the socket takes it
            let _ = tcp.try_write(not_live().as_bytes());
        }
    }
}

/// Accepts on `listener` from now on (a task that ends with the returned
/// listener).
pub fn split(listener: TcpListener, state: AppState) -> io::Result<SplitListener> {
    let local = listener.local_addr()?;
    let (tx, rest) = mpsc::channel(256);
    let handoffs = state.media.handoffs.clone();
    tokio::spawn(accept(listener, state, tx));
    Ok(SplitListener { rest, local, handoffs })
}

impl axum::serve::Listener for SplitListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        match self.rest.recv().await {
            Some((tcp, peer)) => (Conn::new(tcp, peer, self.handoffs.clone()), peer),
            // the accepting task stopped: no more connections, ever
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

async fn accept(listener: TcpListener, state: AppState, rest: mpsc::Sender<(TcpStream, SocketAddr)>) {
    loop {
        let accepted = tokio::select! {
            () = rest.closed() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, addr)) => {
                // No Nagle: a frame's bytes go out at once, not after the
                // peer's delayed ACK.
                let _ = tcp.set_nodelay(true);
                tokio::spawn(sort(tcp, addr, state.clone(), rest.clone()));
            }
            // the peer gave up before we accepted: nothing to do
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // out of file descriptors, say: wait rather than spin (as axum does)
                tracing::error!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// A stream request goes to the fan-out, anything else to axum.
async fn sort(tcp: TcpStream, addr: SocketAddr, state: AppState, rest: mpsc::Sender<(TcpStream, SocketAddr)>) {
    let tcp = match stream_request(&tcp).await {
        Some((show, head_len)) => match serve_flv(&state, tcp, show, head_len).await {
            Ok(()) => return,
            Err(tcp) => tcp,
        },
        None => tcp,
    };
    let _ = rest.send((tcp, addr)).await;
}

/// Peeks at the first request: the show id and the head's length when it
/// is a complete `GET /live/shows/{id}/stream.flv`.
async fn stream_request(tcp: &TcpStream) -> Option<(i64, usize)> {
    tokio::time::timeout(FIRST_BYTES_WITHIN, tcp.readable()).await.ok()?.ok()?;
    let mut buf = [0u8; MAX_HEAD];
    for _ in 0..PEEKS {
        let n = tcp.peek(&mut buf).await.ok()?;
        let seen = &buf[..n];
        let k = n.min(PREFIX.len());
        if n == 0 || seen[..k] != PREFIX[..k] {
            return None;
        }
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            return request_line(&seen[..end]).map(|show| (show, end + 4));
        }
        if n == MAX_HEAD {
            return None;
        }
        // peeking again at once would see the same bytes
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// The show a stream request's head names.
fn request_line(head: &[u8]) -> Option<i64> {
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method != "GET" || parts.next().is_some() || !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return None;
    }
    let path = target.split('?').next()?;
    let id = path.strip_prefix("/live/shows/")?.strip_suffix("/stream.flv")?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Hands a live show's stream request to the fan-out; gives the socket
/// back, its request unread, when the show is unknown or not live.
async fn serve_flv(state: &AppState, mut tcp: TcpStream, id: i64, head_len: usize) -> Result<(), TcpStream> {
    let Some(server) = state.media.server() else { return Err(tcp) };
    let Ok(show) = crate::pages::room::show(state, id).await else { return Err(tcp) };
    if !server.hub().is_live(show.id) {
        return Err(tcp);
    }
    // the head was only peeked at: take it off the socket now
    let mut head = vec![0u8; head_len];
    match tokio::time::timeout(Duration::from_secs(5), tcp.read_exact(&mut head)).await {
        Ok(Ok(_)) => {}
        _ => return Ok(()),
    }
    if let Err(mut tcp) = server.fanout().join(show.id, tcp, Bytes::from_static(FLV_HEAD)) {
        // the publication ended in between
        let _ = tcp.write_all(not_live().as_bytes()).await;
    }
    Ok(())
}

/// The answer when the stream ended between the check and the join.
fn not_live() -> String {
    let text = "直播画面尚未开始 / the stream has not started";
    format!(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::request_line;

    #[test]
    fn only_a_plain_stream_request_is_taken() {
        assert_eq!(request_line(b"GET /live/shows/12/stream.flv HTTP/1.1\r\nHost: x"), Some(12));
        assert_eq!(request_line(b"GET /live/shows/7/stream.flv?t=1 HTTP/1.0"), Some(7));
        for other in [
            &b"POST /live/shows/12/stream.flv HTTP/1.1"[..],
            b"GET /live/shows/12/stream.flvx HTTP/1.1",
            b"GET /live/shows/12/hls/index.m3u8 HTTP/1.1",
            b"GET /live/shows//stream.flv HTTP/1.1",
            b"GET /live/shows/-1/stream.flv HTTP/1.1",
            b"GET /live/shows/99999999999999999999/stream.flv HTTP/1.1",
            b"GET /live/shows/1/stream.flv HTTP/2",
            b"GET /live/shows/1/stream.flv HTTP/1.1 extra",
            b"GET /live/shows/\xff/stream.flv HTTP/1.1",
        ] {
            assert_eq!(request_line(other), None, "{}", String::from_utf8_lossy(other));
        }
    }
}
