//! The media bench's viewers, run in child processes (`zhibo bench
//! media-load`, hidden) so the server's process holds only the server's
//! side of each connection and its memory and CPU can be read alone.
//!
//! A child gets its [`Plan`] as one JSON line on stdin and connects half
//! its viewers, each playing the stream over HTTP-FLV (zhibo) or RTMP
//! (nginx-rtmp: handshake, `connect`, `createStream`, `play`, through
//! rml_rtmp's client session). It answers [`Ready`] once each has its
//! first keyframe (or failed), connects the other half on the bench's
//! word and answers again, then waits for [`Go`]. Every viewer notes, on
//! the machine's monotonic clock that all processes share, when each video
//! keyframe finished arriving, naming the keyframe by [`keyframe_id`];
//! at the window's end the child answers its [`Outcome`] and exits when
//! its stdin closes.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::keyframe_id;
use crate::bench::fanout::sys;

/// How long a viewer may take to connect and get its first keyframe.
const FIRST_KEYFRAME_WITHIN: Duration = Duration::from_secs(30);
/// Connections being opened at once, per process.
const CONNECTING_AT_ONCE: usize = 64;

/// How the viewers play.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Source {
    /// `GET path` on `addr`, an HTTP-FLV stream.
    HttpFlv { addr: String, path: String },
    /// RTMP `play key` in `app` on `addr`.
    Rtmp { addr: String, app: String, key: String },
}

/// One load process's share of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub source: Source,
    pub viewers: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ready {
    pub playing: usize,
    pub failed: usize,
    pub first_error: Option<String>,
}

/// The measured window, on the monotonic clock (microseconds).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Go {
    pub window_start_us: u64,
    pub window_end_us: u64,
}

/// One viewer's window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Watched {
    /// (keyframe id, microsecond its last byte arrived) within the window.
    pub keyframes: Vec<(u64, u64)>,
    pub bytes: u64,
    /// Why the stream ended before the window did.
    pub ended: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub viewers: Vec<Watched>,
    /// CPU this process used, user and system, seconds.
    pub cpu_seconds: Option<f64>,
}

/// The child's whole life; `zhibo bench media-load` calls this.
pub fn child_main() -> anyhow::Result<()> {
    sys::raise_open_files_limit();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(child())
}

fn say(what: &impl Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, what)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// One line from the bench (stdin, read on a blocking thread: tokio's
/// stdin is not compiled into this binary).
async fn next_line() -> anyhow::Result<Option<String>> {
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let read = std::io::stdin().read_line(&mut line)?;
        Ok((read > 0).then_some(line))
    })
    .await?
}

async fn child() -> anyhow::Result<()> {
    let line = next_line().await?.context("no plan on stdin")?;
    let plan: Plan = serde_json::from_str(&line).context("reading the plan")?;
    let (go_tx, go_rx) = watch::channel::<Option<Go>>(None);
    let mut handles = Vec::with_capacity(plan.viewers);
    let half = plan.viewers / 2;
    for (stage, count) in [half, plan.viewers - half].into_iter().enumerate() {
        if stage > 0 {
            let word = next_line().await?.context("the bench went away")?;
            anyhow::ensure!(word.trim() == "\"more\"", "expected \"more\", got {word}");
        }
        let (first_tx, mut first_rx) = mpsc::channel::<Result<(), String>>(count.max(1));
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(CONNECTING_AT_ONCE));
        for _ in 0..count {
            let permit = permits.clone().acquire_owned().await?;
            let (source, go, first) = (plan.source.clone(), go_rx.clone(), first_tx.clone());
            handles.push(tokio::spawn(async move { watch_stream(source, go, first, permit).await }));
        }
        drop(first_tx);
        let mut ready = Ready { playing: 0, failed: 0, first_error: None };
        while let Some(result) = first_rx.recv().await {
            match result {
                Ok(()) => ready.playing += 1,
                Err(e) => {
                    ready.failed += 1;
                    ready.first_error.get_or_insert(e);
                }
            }
        }
        say(&ready)?;
    }
    let line = next_line().await?.context("the bench went away before the window")?;
    let go: Go = serde_json::from_str(&line).context("reading the window")?;
    let _ = go_tx.send(Some(go));
    let mut viewers = Vec::with_capacity(handles.len());
    for handle in handles {
        viewers.push(handle.await.unwrap_or_else(|e| Watched { ended: Some(e.to_string()), ..Watched::default() }));
    }
    say(&Outcome { viewers, cpu_seconds: sys::cpu_seconds("self") })?;
    // stay until the bench closes stdin: the sockets close with the process
    while next_line().await?.is_some() {}
    Ok(())
}

/// What a viewer does with each received video tag body and byte count.
struct Watcher {
    go: watch::Receiver<Option<Go>>,
    first: Option<(mpsc::Sender<Result<(), String>>, tokio::sync::OwnedSemaphorePermit)>,
    watched: Watched,
    done: bool,
}

impl Watcher {
    fn bytes(&mut self, n: usize) {
        if let Some(go) = *self.go.borrow()
            && (go.window_start_us..go.window_end_us).contains(&sys::monotonic_us())
        {
            self.watched.bytes += n as u64;
        }
    }

    fn video(&mut self, body: &[u8]) {
        // an AVC keyframe NALU (not the sequence header)
        if body.len() < 2 || body[0] != 0x17 || body[1] != 1 {
            return;
        }
        if let Some((first, _permit)) = self.first.take() {
            let _ = first.try_send(Ok(()));
        }
        let now = sys::monotonic_us();
        if let Some(go) = *self.go.borrow()
            && now >= go.window_start_us
            && now < go.window_end_us
        {
            self.watched.keyframes.push((keyframe_id(body), now));
        }
    }

    /// Whether the window is over (checked as data arrives).
    fn over(&mut self) -> bool {
        if let Some(go) = *self.go.borrow() {
            self.done = sys::monotonic_us() >= go.window_end_us;
        }
        self.done
    }

    fn end(mut self, why: Option<String>) -> Watched {
        self.over();
        if let Some((first, _permit)) = self.first.take() {
            let _ = first.try_send(Err(why.clone().unwrap_or_else(|| "no keyframe".into())));
        }
        if !self.done {
            self.watched.ended = Some(why.unwrap_or_else(|| "the stream ended".into()));
        }
        self.watched
    }
}

async fn watch_stream(
    source: Source,
    go: watch::Receiver<Option<Go>>,
    first: mpsc::Sender<Result<(), String>>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Watched {
    let mut w = Watcher { go, first: Some((first, permit)), watched: Watched::default(), done: false };
    let played = match &source {
        Source::HttpFlv { addr, path } => play_http_flv(addr, path, &mut w).await,
        Source::Rtmp { addr, app, key } => play_rtmp(addr, app, key, &mut w).await,
    };
    let why = played.err().map(|e| format!("{e:#}"));
    w.end(why)
}

/// Reads with a deadline: the first keyframe must come in time, and a
/// stalled stream must not hold the window open.
async fn read_some(socket: &mut (impl AsyncReadExt + Unpin), buf: &mut [u8], w: &Watcher) -> anyhow::Result<usize> {
    let limit = if w.first.is_some() { FIRST_KEYFRAME_WITHIN } else { Duration::from_secs(10) };
    let limit = match *w.go.borrow() {
        Some(go) => Duration::from_micros(go.window_end_us.saturating_sub(sys::monotonic_us())).min(limit),
        None => limit,
    };
    match tokio::time::timeout(limit, socket.read(buf)).await {
        Ok(read) => Ok(read?),
        Err(_) if w.go.borrow().is_some_and(|go| sys::monotonic_us() >= go.window_end_us) => Ok(usize::MAX),
        Err(_) => bail!("no data for {limit:?}"),
    }
}

// ---- HTTP-FLV

async fn play_http_flv(addr: &str, path: &str, w: &mut Watcher) -> anyhow::Result<()> {
    let mut socket = TcpStream::connect(addr).await.context("connecting")?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: zhibo-bench\r\n\r\n");
    socket.write_all(request.as_bytes()).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut raw: Vec<u8> = Vec::with_capacity(64 * 1024);
    // the response head
    let (chunked, body_at) = loop {
        let n = read_some(&mut socket, &mut buf, w).await?;
        if n == 0 || n == usize::MAX {
            bail!("the server closed before answering");
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|x| x == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let status = head.lines().next().unwrap_or_default().to_owned();
            if !status.contains(" 200") {
                bail!("HTTP answer {status}");
            }
            break (head.contains("transfer-encoding: chunked"), end + 4);
        }
        if raw.len() > 16 * 1024 {
            bail!("an HTTP head over 16 KiB");
        }
    };
    raw.drain(..body_at);
    let mut flv = FlvStream::default();
    let mut dechunk = Dechunk::default();
    loop {
        if chunked {
            dechunk.feed(&raw, &mut flv.pending)?;
        } else {
            flv.pending.extend_from_slice(&raw);
        }
        raw.clear();
        flv.parse(w)?;
        if w.over() {
            return Ok(());
        }
        let n = read_some(&mut socket, &mut buf, w).await?;
        if n == usize::MAX {
            return Ok(());
        }
        if n == 0 {
            bail!("the server closed the stream");
        }
        w.bytes(n);
        raw.extend_from_slice(&buf[..n]);
    }
}

/// HTTP/1.1 chunked transfer coding, undone incrementally.
#[derive(Default)]
struct Dechunk {
    /// Data bytes left in the current chunk.
    left: usize,
    /// Bytes of a size line (or a chunk's trailing CRLF) not yet complete.
    line: Vec<u8>,
    /// The CRLF after a chunk's data is still to come.
    crlf: bool,
}

impl Dechunk {
    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> anyhow::Result<()> {
        while !input.is_empty() {
            if self.left > 0 {
                let take = self.left.min(input.len());
                out.extend_from_slice(&input[..take]);
                self.left -= take;
                input = &input[take..];
                if self.left == 0 {
                    self.crlf = true;
                }
                continue;
            }
            let Some(nl) = input.iter().position(|b| *b == b'\n') else {
                self.line.extend_from_slice(input);
                anyhow::ensure!(self.line.len() < 256, "a chunk size line over 256 bytes");
                return Ok(());
            };
            self.line.extend_from_slice(&input[..nl]);
            input = &input[nl + 1..];
            let line = std::mem::take(&mut self.line);
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            if self.crlf {
                anyhow::ensure!(text.is_empty(), "no CRLF after a chunk");
                self.crlf = false;
                continue;
            }
            let size = text.split(';').next().unwrap_or_default();
            self.left = usize::from_str_radix(size, 16).with_context(|| format!("chunk size {text:?}"))?;
            if self.left == 0 {
                bail!("the stream ended (last chunk)");
            }
        }
        Ok(())
    }
}

/// FLV tags from a byte stream: only video bodies are looked at. A tag
/// counts as arrived when its 4-byte PreviousTagSize has, as for a player
/// like mpegts.js, which waits for those bytes before it uses a tag.
#[derive(Default)]
struct FlvStream {
    pending: Vec<u8>,
    header_done: bool,
}

impl FlvStream {
    fn parse(&mut self, w: &mut Watcher) -> anyhow::Result<()> {
        let mut at = 0;
        if !self.header_done {
            if self.pending.len() < 13 {
                return Ok(());
            }
            anyhow::ensure!(&self.pending[..3] == b"FLV", "not an FLV stream");
            at = 13;
            self.header_done = true;
        }
        while let Some(head) = self.pending.get(at..at + 11) {
            let size = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
            let kind = head[0] & 0x1F;
            let end = at + 11 + size;
            // the whole tag, its PreviousTagSize included
            let Some(trailer) = self.pending.get(end..end + 4) else { break };
            let expected = u32::try_from(11 + size).unwrap_or(u32::MAX).to_be_bytes();
            anyhow::ensure!(trailer == expected, "a PreviousTagSize of {trailer:?} after a {size}-byte tag");
            if kind == 9 {
                w.video(&self.pending[at + 11..end]);
            }
            at = end + 4;
        }
        self.pending.drain(..at);
        Ok(())
    }
}

// ---- RTMP

async fn play_rtmp(addr: &str, app: &str, key: &str, w: &mut Watcher) -> anyhow::Result<()> {
    use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
    use rml_rtmp::sessions::{ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult};

    let mut socket = TcpStream::connect(addr).await.context("connecting")?;
    let mut handshake = Handshake::new(PeerType::Client);
    socket.write_all(&handshake.generate_outbound_p0_and_p1().map_err(|e| anyhow::anyhow!("{e:?}"))?).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let rest = loop {
        let n = read_some(&mut socket, &mut buf, w).await?;
        if n == 0 || n == usize::MAX {
            bail!("closed during the handshake");
        }
        match handshake.process_bytes(&buf[..n]).map_err(|e| anyhow::anyhow!("handshake: {e:?}"))? {
            HandshakeProcessResult::InProgress { response_bytes } => socket.write_all(&response_bytes).await?,
            HandshakeProcessResult::Completed { response_bytes, remaining_bytes } => {
                socket.write_all(&response_bytes).await?;
                break remaining_bytes;
            }
        }
    };
    let (mut session, _) = ClientSession::new(ClientSessionConfig::new()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut out: Vec<u8> = Vec::new();
    let push = |r: ClientSessionResult, out: &mut Vec<u8>| {
        if let ClientSessionResult::OutboundResponse(p) = r {
            out.extend_from_slice(&p.bytes);
        }
    };
    push(session.request_connection(app.to_owned()).map_err(|e| anyhow::anyhow!("{e:?}"))?, &mut out);
    socket.write_all(&out).await?;
    out.clear();
    let mut input = rest;
    loop {
        let results = session.handle_input(&input).map_err(|e| anyhow::anyhow!("RTMP: {e:?}"))?;
        for result in results {
            match result {
                ClientSessionResult::OutboundResponse(p) => out.extend_from_slice(&p.bytes),
                ClientSessionResult::RaisedEvent(event) => match event {
                    ClientSessionEvent::ConnectionRequestAccepted => {
                        push(session.request_playback(key.to_owned()).map_err(|e| anyhow::anyhow!("{e:?}"))?, &mut out)
                    }
                    ClientSessionEvent::ConnectionRequestRejected { description } => {
                        bail!("connect refused: {description}")
                    }
                    ClientSessionEvent::VideoDataReceived { data, .. } => w.video(&data),
                    _ => {}
                },
                ClientSessionResult::UnhandleableMessageReceived(_) => {}
            }
        }
        if !out.is_empty() {
            socket.write_all(&out).await?;
            out.clear();
        }
        if w.over() {
            return Ok(());
        }
        let n = read_some(&mut socket, &mut buf, w).await?;
        if n == usize::MAX {
            return Ok(());
        }
        if n == 0 {
            bail!("the server closed the stream");
        }
        w.bytes(n);
        input = buf[..n].to_vec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyframe_arrives_with_its_previous_tag_size_and_a_wrong_one_is_an_error() {
        let now = sys::monotonic_us();
        let (_go_tx, go) = watch::channel(Some(Go { window_start_us: now, window_end_us: now + 60_000_000 }));
        let mut w = Watcher { go, first: None, watched: Watched::default(), done: false };
        let body = [0x17u8, 1, 0, 0, 0, 9, 9, 9];
        let mut tag = vec![9u8, 0, 0, body.len() as u8, 0, 0, 0, 0, 0, 0, 0];
        tag.extend_from_slice(&body);
        let mut flv = FlvStream::default();
        flv.pending.extend_from_slice(b"FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00");
        flv.pending.extend_from_slice(&tag);
        flv.parse(&mut w).unwrap();
        assert!(w.watched.keyframes.is_empty(), "the body alone is not the tag yet");
        flv.pending.extend_from_slice(&(11 + body.len() as u32).to_be_bytes());
        flv.parse(&mut w).unwrap();
        assert_eq!(w.watched.keyframes.len(), 1);
        assert_eq!(w.watched.keyframes[0].0, keyframe_id(&body));
        assert!(flv.pending.is_empty());
        // the old layout's trailer-less tag followed by the next header is caught
        flv.pending.extend_from_slice(&tag);
        flv.pending.extend_from_slice(&tag[..4]);
        assert!(flv.parse(&mut w).is_err());
    }

    #[test]
    fn chunked_coding_is_undone_across_any_split() {
        let body: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let mut coded = Vec::new();
        for piece in body.chunks(700) {
            coded.extend_from_slice(format!("{:X}\r\n", piece.len()).as_bytes());
            coded.extend_from_slice(piece);
            coded.extend_from_slice(b"\r\n");
        }
        for split in [1, 2, 3, 5, 64, 699, 701, 4096] {
            let mut d = Dechunk::default();
            let mut out = Vec::new();
            for part in coded.chunks(split) {
                d.feed(part, &mut out).unwrap();
            }
            assert_eq!(out, body, "split {split}");
        }
        let mut d = Dechunk::default();
        assert!(d.feed(b"zz\r\n", &mut Vec::new()).is_err());
    }
}
