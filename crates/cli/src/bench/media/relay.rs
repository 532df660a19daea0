//! The media bench's publisher: ffmpeg encodes a test pattern with a tone
//! at 600 kbps in real time (`-re`) and writes FLV to a pipe; this relay
//! reads the tags and publishes each, unchanged, over RTMP (rml_rtmp's
//! client session) to every server under test, so zhibo and nginx-rtmp get
//! the very same stream. For every video keyframe it notes, per server, the
//! monotonic microsecond it wrote the keyframe to that server's socket:
//! the "publish" end of the publish-to-play latency.

use anyhow::{Context, bail};
use bytes::Bytes;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::keyframe_id;
use crate::bench::fanout::sys;

/// The stream: 640×360 at 25 fps, H.264 at 536 kbps and AAC at 64 kbps.
pub const VIDEO: &str = "640x360@25 H.264 (x264 veryfast, zerolatency, keyframe every 2 s) + AAC 64 kbps";

/// Where to publish: an RTMP server's address, app and stream key.
#[derive(Debug, Clone)]
pub struct Sink {
    pub name: &'static str,
    pub addr: std::net::SocketAddr,
    pub app: String,
    pub key: String,
}

/// A FLV tag from ffmpeg.
#[derive(Debug, Clone)]
struct Tag {
    video: bool,
    timestamp: u32,
    body: Bytes,
}

/// Keyframe send times, per sink: keyframe id → microsecond.
pub type SendLog = Arc<Mutex<Vec<HashMap<u64, u64>>>>;

pub struct Relay {
    _ffmpeg: Child,
    pub sent: SendLog,
    /// Media bytes read from ffmpeg so far.
    pub bytes: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn rtmp_err(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow::anyhow!("RTMP: {e:?}")
}

/// Connects to every sink and starts publishing, then starts ffmpeg.
pub async fn start(sinks: &[Sink]) -> anyhow::Result<Relay> {
    let sent: SendLog = Arc::new(Mutex::new(vec![HashMap::new(); sinks.len()]));
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for (i, sink) in sinks.iter().enumerate() {
        let (socket, session) = tokio::time::timeout(Duration::from_secs(10), publish(sink))
            .await
            .with_context(|| format!("{} did not accept the publisher within 10 s", sink.name))?
            .with_context(|| format!("publishing to {} at {}", sink.name, sink.addr))?;
        let (tx, rx) = mpsc::channel::<Tag>(4096);
        senders.push(tx);
        tasks.push(tokio::spawn(feed(socket, session, rx, sent.clone(), i)));
    }
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-re"]);
    ffmpeg.args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"]);
    ffmpeg.args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]);
    ffmpeg.args(["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"]);
    ffmpeg.args(["-b:v", "536k", "-maxrate", "536k", "-bufsize", "536k", "-g", "50", "-keyint_min", "50"]);
    ffmpeg.args(["-c:a", "aac", "-b:a", "64k", "-flush_packets", "1", "-f", "flv", "pipe:1"]);
    ffmpeg.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
    let mut child = ffmpeg.spawn().context("starting ffmpeg (apt-get install ffmpeg)")?;
    let stdout = child.stdout.take().context("ffmpeg's stdout")?;
    let bytes = Arc::new(AtomicU64::new(0));
    tasks.push(tokio::spawn(read_ffmpeg(stdout, senders, bytes.clone())));
    Ok(Relay { _ffmpeg: child, sent, bytes, tasks })
}

/// Handshake, `connect`, `createStream`, `publish`; waits for the server's
/// `NetStream.Publish.Start`.
async fn publish(sink: &Sink) -> anyhow::Result<(TcpStream, rml_rtmp::sessions::ClientSession)> {
    use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
    use rml_rtmp::sessions::{
        ClientSession, ClientSessionConfig, ClientSessionEvent, ClientSessionResult, PublishRequestType,
    };
    let mut socket = TcpStream::connect(sink.addr).await?;
    socket.set_nodelay(true)?;
    let mut handshake = Handshake::new(PeerType::Client);
    socket.write_all(&handshake.generate_outbound_p0_and_p1().map_err(rtmp_err)?).await?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut input = loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            bail!("closed during the handshake");
        }
        match handshake.process_bytes(&buf[..n]).map_err(rtmp_err)? {
            HandshakeProcessResult::InProgress { response_bytes } => socket.write_all(&response_bytes).await?,
            HandshakeProcessResult::Completed { response_bytes, remaining_bytes } => {
                socket.write_all(&response_bytes).await?;
                break remaining_bytes;
            }
        }
    };
    let (mut session, _) = ClientSession::new(ClientSessionConfig::new()).map_err(rtmp_err)?;
    if let ClientSessionResult::OutboundResponse(p) = session.request_connection(sink.app.clone()).map_err(rtmp_err)? {
        socket.write_all(&p.bytes).await?;
    }
    loop {
        let mut out = Vec::new();
        let mut accepted = false;
        for result in session.handle_input(&input).map_err(rtmp_err)? {
            match result {
                ClientSessionResult::OutboundResponse(p) => out.extend_from_slice(&p.bytes),
                ClientSessionResult::RaisedEvent(ClientSessionEvent::ConnectionRequestAccepted) => {
                    let r = session.request_publishing(sink.key.clone(), PublishRequestType::Live).map_err(rtmp_err)?;
                    if let ClientSessionResult::OutboundResponse(p) = r {
                        out.extend_from_slice(&p.bytes);
                    }
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::PublishRequestAccepted) => accepted = true,
                ClientSessionResult::RaisedEvent(ClientSessionEvent::ConnectionRequestRejected { description }) => {
                    bail!("connect refused: {description}")
                }
                ClientSessionResult::RaisedEvent(ClientSessionEvent::UnhandleableOnStatusCode { code }) => {
                    bail!("publish refused: {code}")
                }
                _ => {}
            }
        }
        socket.write_all(&out).await?;
        if accepted {
            return Ok((socket, session));
        }
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            bail!("the server closed the connection (a refused key?)");
        }
        input = buf[..n].to_vec();
    }
}

/// One sink: tags out as RTMP messages, the server's acknowledgements and
/// pings answered.
async fn feed(
    socket: TcpStream,
    mut session: rml_rtmp::sessions::ClientSession,
    mut tags: mpsc::Receiver<Tag>,
    sent: SendLog,
    index: usize,
) {
    use rml_rtmp::sessions::ClientSessionResult;
    use rml_rtmp::time::RtmpTimestamp;
    let (mut rd, mut wr) = socket.into_split();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let out: Vec<u8> = tokio::select! {
            tag = tags.recv() => {
                let Some(tag) = tag else { return };
                let ts = RtmpTimestamp::new(tag.timestamp);
                let keyframe = tag.video && tag.body.len() > 1 && tag.body[0] == 0x17 && tag.body[1] == 1;
                let id = keyframe.then(|| keyframe_id(&tag.body));
                let result = if tag.video {
                    session.publish_video_data(tag.body, ts, false)
                } else {
                    session.publish_audio_data(tag.body, ts, false)
                };
                let Ok(ClientSessionResult::OutboundResponse(p)) = result else { return };
                if let Some(id) = id {
                    let now = sys::monotonic_us();
                    sent.lock().unwrap_or_else(|e| e.into_inner())[index].insert(id, now);
                }
                p.bytes
            }
            n = rd.read(&mut buf) => {
                let Ok(n) = n else { return };
                if n == 0 { return; }
                let Ok(results) = session.handle_input(&buf[..n]) else { return };
                results
                    .into_iter()
                    .filter_map(|r| match r { ClientSessionResult::OutboundResponse(p) => Some(p.bytes), _ => None })
                    .flatten()
                    .collect()
            }
        };
        if !out.is_empty() && wr.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// ffmpeg's FLV, tag by tag, to every sink.
async fn read_ffmpeg(mut stdout: tokio::process::ChildStdout, sinks: Vec<mpsc::Sender<Tag>>, bytes: Arc<AtomicU64>) {
    let mut pending: Vec<u8> = Vec::with_capacity(256 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut at_header = true;
    loop {
        let n = match stdout.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        let mut at = 0;
        if at_header {
            if pending.len() < 13 {
                continue;
            }
            at = 13;
            at_header = false;
        }
        while let Some(head) = pending.get(at..at + 11) {
            let size = u32::from_be_bytes([0, head[1], head[2], head[3]]) as usize;
            let kind = head[0] & 0x1F;
            let timestamp = u32::from_be_bytes([head[7], head[4], head[5], head[6]]);
            let Some(body) = pending.get(at + 11..at + 11 + size) else { break };
            if pending.len() < at + 11 + size + 4 {
                break;
            }
            if kind == 8 || kind == 9 {
                bytes.fetch_add(size as u64, Ordering::Relaxed);
                let tag = Tag { video: kind == 9, timestamp, body: Bytes::copy_from_slice(body) };
                for sink in &sinks {
                    let _ = sink.send(tag.clone()).await;
                }
            }
            at += 11 + size + 4;
        }
        pending.drain(..at);
    }
}
