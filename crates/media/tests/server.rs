//! The RTMP server with a real ffmpeg publisher, an in-memory key store
//! and a virtual clock: the grace period is judged on the clock, and bad
//! input (garbage, a huge chunk size) drops only that connection while the
//! show goes on. Waits are bounded safety timeouts; nothing sleeps.

use async_trait::async_trait;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use zhibo_domain::{RoomId, ShopId, Timestamp, VirtualClock};
use zhibo_media::{MediaConfig, MediaEvent, MediaEventKind, MediaServer, keys};
use zhibo_store::{StreamKeyRecord, StreamKeyStore};

const WAIT: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Keys(Mutex<HashMap<String, RoomId>>);

#[async_trait]
impl StreamKeyStore for Keys {
    async fn replace_stream_key(&self, _: ShopId, show: RoomId, hash: &str) -> zhibo_store::Result<StreamKeyRecord> {
        let mut keys = self.0.lock().unwrap();
        keys.retain(|_, s| *s != show);
        keys.insert(hash.to_owned(), show);
        Ok(StreamKeyRecord { show, created_at: Timestamp(0) })
    }
    async fn revoke_stream_key(&self, _: ShopId, show: RoomId) -> zhibo_store::Result<bool> {
        let mut keys = self.0.lock().unwrap();
        let before = keys.len();
        keys.retain(|_, s| *s != show);
        Ok(keys.len() < before)
    }
    async fn stream_key_of(&self, _: ShopId, _: RoomId) -> zhibo_store::Result<Option<StreamKeyRecord>> {
        Ok(None)
    }
    async fn show_for_stream_key(&self, hash: &str) -> zhibo_store::Result<Option<RoomId>> {
        Ok(self.0.lock().unwrap().get(hash).copied())
    }
}

struct Setup {
    server: MediaServer,
    events: mpsc::Receiver<MediaEvent>,
    clock: VirtualClock,
    key: String,
}

async fn setup() -> Setup {
    setup_with(MediaConfig::default()).await
}

async fn setup_with(config: MediaConfig) -> Setup {
    let clock = VirtualClock::starting_at(Timestamp(1_795_608_000_000));
    let keys = Arc::new(Keys::default());
    let config = MediaConfig { rtmp_addr: "127.0.0.1:0".parse().unwrap(), tick: Duration::from_millis(50), ..config };
    let (tx, events) = mpsc::channel(1024);
    let server = MediaServer::start(config, keys.clone(), Arc::new(clock.clone()), tx).await.unwrap();
    let key = server.new_key(ShopId(1), RoomId(7)).await.unwrap();
    assert_eq!(keys.show_for_stream_key(&keys::hash(&key)).await.unwrap(), Some(RoomId(7)));
    Setup { server, events, clock, key }
}

/// The next lifecycle event (health updates skipped).
async fn next_change(events: &mut mpsc::Receiver<MediaEvent>) -> MediaEvent {
    loop {
        let e = tokio::time::timeout(WAIT, events.recv()).await.expect("an event in time").expect("open");
        if !matches!(e.kind, MediaEventKind::Live | MediaEventKind::Health) {
            return e;
        }
    }
}

fn ffmpeg(rtmp: SocketAddr, key: &str) -> Child {
    Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "30"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25", "-f", "flv"])
        .arg(format!("rtmp://{rtmp}/live/{key}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg runs (scripts/test installs it)")
}

/// Whether the server closes this connection (EOF or reset) in time.
async fn closed_by_server(mut socket: TcpStream) -> bool {
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(WAIT, socket.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn the_grace_period_is_judged_on_the_clock() {
    let Setup { server, mut events, clock, key } = setup().await;
    let rtmp = server.local_addr();

    let mut first = ffmpeg(rtmp, &key);
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Started);
    first.kill().await.unwrap();
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Dropped);
    assert_eq!(server.state(RoomId(7)), "down");

    // 29 s later on the clock: the same show resumes
    clock.advance_secs(29);
    let mut second = ffmpeg(rtmp, &key);
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Resumed);
    second.kill().await.unwrap();
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Dropped);

    // 31 s: the show's stream has stopped, and a new push starts afresh
    clock.advance_secs(31);
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Stopped);
    assert_eq!(server.state(RoomId(7)), "off");
    let mut third = ffmpeg(rtmp, &key);
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Started);
    third.kill().await.unwrap();
}

#[tokio::test]
async fn garbage_and_a_huge_chunk_size_drop_only_that_connection() {
    let Setup { server, mut events, key, .. } = setup().await;
    let rtmp = server.local_addr();
    let mut publisher = ffmpeg(rtmp, &key);
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Started);

    // garbage instead of a handshake
    let mut garbage = TcpStream::connect(rtmp).await.unwrap();
    let noise: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let _ = garbage.write_all(&noise).await;
    assert!(closed_by_server(garbage).await, "garbage is dropped");

    // a proper handshake, then a request for a 2 GiB chunk size
    use rml_rtmp::handshake::{Handshake, HandshakeProcessResult, PeerType};
    let mut socket = TcpStream::connect(rtmp).await.unwrap();
    let mut hs = Handshake::new(PeerType::Client);
    socket.write_all(&hs.generate_outbound_p0_and_p1().unwrap()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = tokio::time::timeout(WAIT, socket.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        match hs.process_bytes(&buf[..n]).unwrap() {
            HandshakeProcessResult::InProgress { response_bytes } => socket.write_all(&response_bytes).await.unwrap(),
            HandshakeProcessResult::Completed { response_bytes, .. } => {
                socket.write_all(&response_bytes).await.unwrap();
                break;
            }
        }
    }
    // chunk stream 2, type 1 (set chunk size), 4 bytes: 0x7FFFFFFF
    let mut huge = vec![0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0];
    huge.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    socket.write_all(&huge).await.unwrap();
    assert!(closed_by_server(socket).await, "a huge chunk size is refused");

    // the show went on: still live, no drop, and viewers still get tags
    assert_eq!(server.state(RoomId(7)), "live");
    let mut viewer = server.hub().subscribe(RoomId(7)).expect("the stream is up");
    let tag = tokio::time::timeout(WAIT, viewer.next()).await.unwrap();
    assert!(tag.is_some());
    while let Ok(e) = events.try_recv() {
        assert_ne!(e.kind, MediaEventKind::Dropped);
    }
    publisher.kill().await.unwrap();
}

/// The HLS remux: segments that ffmpeg decodes without a warning (no
/// continuity, PES or timestamp complaints), audio and video, in a playlist.
#[tokio::test]
async fn hls_segments_decode_cleanly() {
    let Setup { server, mut events, key, .. } = setup().await;
    let mut publisher = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "30"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25"])
        .args(["-c:a", "aac", "-b:a", "64k", "-f", "flv"])
        .arg(format!("rtmp://{}/live/{key}", server.local_addr()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    assert_eq!(next_change(&mut events).await.kind, MediaEventKind::Started);
    let hls = server.hls().clone();
    // two whole segments: wait for the second to be closed
    tokio::time::timeout(WAIT, hls.first_segment(RoomId(7))).await.unwrap();
    let playlist = loop {
        let p = hls.playlist(RoomId(7)).unwrap();
        if p.matches(".ts").count() >= 3 {
            break p;
        }
        let e = tokio::time::timeout(WAIT, events.recv()).await.unwrap().unwrap();
        assert!(matches!(e.kind, MediaEventKind::Live | MediaEventKind::Health), "{e:?}");
    };
    assert!(playlist.starts_with("#EXTM3U\n") && playlist.contains("#EXT-X-DISCONTINUITY"), "{playlist}");
    let mut joined = Vec::new();
    for seq in 0..2 {
        joined.extend_from_slice(&hls.segment(RoomId(7), seq).expect("the segment is kept"));
    }
    let mut decode = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "warning", "-f", "mpegts", "-i", "pipe:0", "-f", "null", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = decode.stdin.take().unwrap();
    stdin.write_all(&joined).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(WAIT, decode.wait_with_output()).await.unwrap().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "ffmpeg complains about the segments");
    publisher.kill().await.unwrap();
}

#[tokio::test]
async fn a_connection_that_stalls_is_dropped() {
    let config = MediaConfig { stall_after: Duration::from_millis(200), ..MediaConfig::default() };
    let Setup { server, .. } = setup_with(config).await;
    let mut socket = TcpStream::connect(server.local_addr()).await.unwrap();
    socket.write_all(&[3]).await.unwrap(); // C0, then nothing
    assert!(closed_by_server(socket).await, "a stalled peer is dropped");
}
