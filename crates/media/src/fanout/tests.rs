//! The fan-out with sockets whose room the test controls.

use super::*;
use crate::flv::{Tag, TagKind};
use crate::hub::HubLimits;
use std::time::Duration;

/// A socket that takes at most `room` more bytes (`usize::MAX`: all).
#[derive(Clone, Default)]
struct Fake(Arc<Mutex<FakeState>>);

#[derive(Default)]
struct FakeState {
    room: usize,
    got: Vec<u8>,
    closed: bool,
}

impl Fake {
    fn with_room(room: usize) -> Fake {
        Fake(Arc::new(Mutex::new(FakeState { room, ..FakeState::default() })))
    }
    fn got(&self) -> Vec<u8> {
        lock(&self.0).got.clone()
    }
    fn open(&self, room: usize) {
        lock(&self.0).room = room;
    }
}

impl Outlet for Fake {
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut s = lock(&self.0);
        if s.closed {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if s.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut written = 0;
        for buf in bufs {
            let take = buf.len().min(s.room - written);
            s.got.extend_from_slice(&buf[..take]);
            written += take;
            if written == s.room {
                break;
            }
        }
        if s.room != usize::MAX {
            s.room -= written;
        }
        Ok(written)
    }
}

fn tag(kind: TagKind, ts: u32, body: &[u8]) -> Tag {
    Tag { kind, timestamp: ts, body: Bytes::copy_from_slice(body) }
}

/// Frames the slow-viewer test pushes.
const FRAMES: u32 = 400;

fn frame(ts: u32, key: bool, size: usize) -> Tag {
    let mut body = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
    body.resize(size, (ts % 251) as u8);
    Tag { kind: TagKind::Video, timestamp: ts, body: Bytes::from(body) }
}

/// Waits (bounded) until `done` holds, letting the shard run.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} within the safety timeout"));
}

fn body_of(bytes: &[u8], preamble: &[u8]) -> Vec<Tag> {
    if bytes.len() < preamble.len() + 13 {
        return Vec::new();
    }
    assert!(bytes.starts_with(preamble), "the preamble goes first");
    crate::flv::parse(&bytes[preamble.len()..]).unwrap()
}

#[tokio::test]
async fn joiners_get_the_gop_then_every_frame_once() {
    let hub = Arc::new(StreamHub::new(HubLimits { capacity: 256, max_gop_bytes: 1 << 20 }));
    let fanout: FlvFanout<Fake> = FlvFanout::new(hub.clone(), 2, 0);
    let show = RoomId(3);
    assert!(fanout.join(show, Fake::with_room(usize::MAX), Bytes::new()).is_err(), "nobody publishes");
    let publisher = hub.publish(show);
    publisher.push(tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]));
    publisher.push(tag(TagKind::Audio, 0, &[0xAF, 0, 0x12]));
    publisher.push(frame(1000, true, 100));
    let early = Fake::with_room(usize::MAX);
    assert!(fanout.join(show, early.clone(), Bytes::from_static(b"HEAD\r\n\r\n")).is_ok());
    until("the early joiner's first batch", || body_of(&early.got(), b"HEAD\r\n\r\n").len() == 3).await;
    publisher.push(tag(TagKind::Audio, 1010, &[0xAF, 1, 1]));
    publisher.push(frame(1040, false, 50));
    // a second and third joiner: the third opens a second shard
    let late = Fake::with_room(usize::MAX);
    let third = Fake::with_room(usize::MAX);
    until("the early joiner's live frame", || body_of(&early.got(), b"HEAD\r\n\r\n").len() == 5).await;
    fanout.join(show, late.clone(), Bytes::new()).ok().unwrap();
    fanout.join(show, third.clone(), Bytes::new()).ok().unwrap();
    assert_eq!(fanout.viewers(show), 3);
    assert_eq!(fanout.shards(show), 2);
    until("the late joiner's cache", || crate::flv::parse(&late.got()).is_ok_and(|t| t.len() == 5)).await;
    until("the third joiner's cache", || crate::flv::parse(&third.got()).is_ok_and(|t| t.len() == 5)).await;
    publisher.push(frame(1080, false, 60));
    until("the late joiner's live frame", || crate::flv::parse(&late.got()).is_ok_and(|t| t.len() == 6)).await;
    until("the third joiner's live frame", || crate::flv::parse(&third.got()).is_ok_and(|t| t.len() == 6)).await;
    until("the early joiner's every frame", || body_of(&early.got(), b"HEAD\r\n\r\n").len() == 6).await;
    // everyone has the same tags, the late ones from the cached keyframe, each once
    for got in [body_of(&early.got(), b"HEAD\r\n\r\n"), crate::flv::parse(&late.got()).unwrap()] {
        let stamps: Vec<(TagKind, u32)> = got.iter().map(|t| (t.kind, t.timestamp)).collect();
        assert_eq!(
            stamps,
            [
                (TagKind::Video, 0),
                (TagKind::Audio, 0),
                (TagKind::Video, 0),
                (TagKind::Audio, 10),
                (TagKind::Video, 40),
                (TagKind::Video, 80)
            ]
        );
    }
    // the publication ends: the streams end and the shards go
    drop(publisher);
    until("the shards' end", || fanout.shards(show) == 0).await;
    assert_eq!(fanout.viewers(show), 0);
}

#[tokio::test]
async fn a_stalled_viewer_is_skipped_then_dropped_and_never_holds_up_the_others() {
    let hub = Arc::new(StreamHub::new(HubLimits { capacity: 4096, max_gop_bytes: 1 << 20 }));
    let fanout: FlvFanout<Fake> = FlvFanout::new(hub.clone(), 16, 0);
    let show = RoomId(4);
    let publisher = hub.publish(show);
    publisher.push(tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]));
    publisher.push(frame(0, true, 20_000));
    let fast = Fake::with_room(usize::MAX);
    // the stalled one takes the first 1,000 bytes, then nothing
    let stalled = Fake::with_room(1000);
    // the slow one stalls for a while, then reads again
    let slow = Fake::with_room(0);
    for socket in [&fast, &stalled, &slow] {
        fanout.join(show, socket.clone(), Bytes::new()).ok().unwrap();
    }
    let mut pushed = 2;
    let mut ts = 0;
    // 40 KB frames, a keyframe every 10: some 16 MB, far past any backlog limit
    for i in 1..FRAMES {
        ts += 40;
        publisher.push(frame(ts, i % 10 == 0, 40_000));
        pushed += 1;
        if i % 50 == 0 {
            until("the fast viewer's frames so far", || {
                crate::flv::parse(&fast.got()).is_ok_and(|t| t.len() == pushed)
            })
            .await;
        }
        if i == 60 {
            // lagged once or twice by now, not enough to be dropped
            assert_eq!(fanout.viewers(show), 3);
            slow.open(usize::MAX);
        }
    }
    until("the fast viewer's every frame", || crate::flv::parse(&fast.got()).is_ok_and(|t| t.len() == pushed)).await;
    until("the stalled viewer's drop", || fanout.viewers(show) == 2).await;
    // the fast viewer got every frame, in order
    let fast_tags = crate::flv::parse(&fast.got()).unwrap();
    let stamps: Vec<u32> = fast_tags.iter().skip(1).map(|t| t.timestamp).collect();
    assert_eq!(stamps, (0..FRAMES).map(|i| i * 40).collect::<Vec<_>>());
    // the stalled one holds at most its partial first write
    assert_eq!(stalled.got().len(), 1000);
    // the slow one skipped ahead: valid FLV, a gap, and play resumed at a keyframe
    until("the slow viewer's catching up", || {
        crate::flv::parse(&slow.got()).is_ok_and(|t| t.last().is_some_and(|t| t.timestamp == (FRAMES - 1) * 40))
    })
    .await;
    let slow_tags = crate::flv::parse(&slow.got()).unwrap();
    assert!(slow_tags.len() < fast_tags.len(), "the slow viewer skipped frames");
    let media: Vec<&Tag> = slow_tags.iter().skip(1).collect();
    let gap = media.windows(2).position(|w| w[1].timestamp > w[0].timestamp + 40).expect("a gap");
    assert!(media[gap + 1].info().keyframe, "after a skip, play resumes at a keyframe");
    drop(publisher);
}
