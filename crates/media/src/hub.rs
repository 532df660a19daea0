//! Per show, the stream viewers join: the metadata, the AVC and AAC
//! sequence headers and the GOP cache (every tag since the last keyframe),
//! then the live tags.
//!
//! Tags go out through a bounded broadcast, each tag's body one `Bytes`
//! shared by every viewer; the publisher never waits for a viewer. A viewer
//! that falls more than the channel's capacity behind skips to the next
//! keyframe, and one that keeps falling behind is dropped
//! ([`Viewer::next`]), so a slow reader costs a bounded queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use zhibo_domain::RoomId;

use crate::flv::{Tag, TagKind};
use crate::gop::GopCache;

/// Lags a viewer may have before it is dropped.
const MAX_LAGS: u32 = 4;

/// Sizes of every show's channel.
#[derive(Debug, Clone, Copy)]
pub struct HubLimits {
    /// Tags a viewer may fall behind (about 70 tags a second at 25 fps with
    /// audio, so 1024 is some 15 seconds).
    pub capacity: usize,
    /// A GOP cache larger than this (keyframes very far apart) is emptied:
    /// late joiners then wait for the next keyframe.
    pub max_gop_bytes: usize,
}

impl Default for HubLimits {
    fn default() -> Self {
        Self { capacity: 1024, max_gop_bytes: 16 << 20 }
    }
}

#[derive(Debug)]
struct Publication {
    tx: broadcast::Sender<Tag>,
    cache: GopCache,
}

/// Every show's current publication.
#[derive(Debug, Default)]
pub struct StreamHub {
    limits: HubLimits,
    shows: Mutex<HashMap<RoomId, Arc<Mutex<Publication>>>>,
}

/// The publisher's side of one publication.
#[derive(Debug)]
pub struct Publisher {
    show: RoomId,
    publication: Arc<Mutex<Publication>>,
    hub: Arc<StreamHub>,
}

/// One viewer's subscription: what to send first, then live tags.
#[derive(Debug)]
pub struct Viewer {
    pub initial: Vec<Tag>,
    pub audio: bool,
    pub video: bool,
    rx: broadcast::Receiver<Tag>,
    waiting_keyframe: bool,
    lags: u32,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StreamHub {
    pub fn new(limits: HubLimits) -> StreamHub {
        StreamHub { limits, shows: Mutex::default() }
    }

    /// Starts a new publication for `show`, ending any previous one (its
    /// viewers' streams end; they reconnect to this one).
    pub fn publish(self: &Arc<Self>, show: RoomId) -> Publisher {
        let (tx, _) = broadcast::channel(self.limits.capacity.max(1));
        let publication = Arc::new(Mutex::new(Publication { tx, cache: GopCache::new(self.limits.max_gop_bytes) }));
        lock(&self.shows).insert(show, publication.clone());
        Publisher { show, publication, hub: self.clone() }
    }

    pub fn limits(&self) -> HubLimits {
        self.limits
    }

    /// Whether `show` has a publication now.
    pub fn is_live(&self, show: RoomId) -> bool {
        lock(&self.shows).contains_key(&show)
    }

    /// Joins `show`'s stream: `None` when nobody is publishing.
    pub fn subscribe(&self, show: RoomId) -> Option<Viewer> {
        let publication = lock(&self.shows).get(&show)?.clone();
        let p = lock(&publication);
        // Under the publication's lock: no tag falls between the cache and
        // the receiver.
        let rx = p.tx.subscribe();
        Some(Viewer {
            initial: p.cache.initial(),
            audio: p.cache.audio(),
            video: p.cache.video(),
            rx,
            waiting_keyframe: p.cache.waiting_keyframe(),
            lags: 0,
        })
    }
}

impl Publisher {
    pub fn show(&self) -> RoomId {
        self.show
    }

    /// Caches and relays one tag; never waits.
    pub fn push(&self, tag: Tag) {
        let mut p = lock(&self.publication);
        p.cache.push(&tag);
        // No receivers is fine: nobody is watching.
        let _ = p.tx.send(tag);
    }
}

impl Drop for Publisher {
    /// The publication ends with its publisher, unless a newer one took the
    /// show already.
    fn drop(&mut self) {
        let mut shows = lock(&self.hub.shows);
        if shows.get(&self.show).is_some_and(|p| Arc::ptr_eq(p, &self.publication)) {
            shows.remove(&self.show);
        }
    }
}

impl Viewer {
    /// The next live tag; `None` when the publication ended or this viewer
    /// fell behind too often.
    pub async fn next(&mut self) -> Option<Tag> {
        loop {
            let received = match self.rx.recv().await {
                Ok(tag) => Ok(tag),
                Err(broadcast::error::RecvError::Lagged(n)) => Err(broadcast::error::TryRecvError::Lagged(n)),
                Err(broadcast::error::RecvError::Closed) => Err(broadcast::error::TryRecvError::Closed),
            };
            match self.take(received) {
                Taken::Tag(tag) => return Some(tag),
                Taken::Skip => continue,
                Taken::Empty | Taken::End => return None,
            }
        }
    }

    /// The next live tag if one is waiting already: `Some(None)` when none
    /// is, `None` when the stream is over for this viewer (as [`Viewer::next`]).
    /// Lets a writer gather what is ready into one write.
    pub fn try_next(&mut self) -> Option<Option<Tag>> {
        loop {
            let received = self.rx.try_recv();
            match self.take(received) {
                Taken::Tag(tag) => return Some(Some(tag)),
                Taken::Skip => continue,
                Taken::Empty => return Some(None),
                Taken::End => return None,
            }
        }
    }

    /// One receive's outcome under the viewer's rules: skip to a keyframe
    /// after a lag, end after too many.
    fn take(&mut self, received: Result<Tag, broadcast::error::TryRecvError>) -> Taken {
        use broadcast::error::TryRecvError;
        match received {
            Ok(tag) => {
                if self.waiting_keyframe {
                    if tag.kind == TagKind::Video && tag.info().keyframe {
                        self.waiting_keyframe = false;
                    } else if tag.kind != TagKind::Script && !tag.info().sequence_header {
                        return Taken::Skip;
                    }
                }
                Taken::Tag(tag)
            }
            Err(TryRecvError::Lagged(_)) => {
                self.lags += 1;
                if self.lags > MAX_LAGS {
                    return Taken::End;
                }
                self.waiting_keyframe = self.video;
                Taken::Skip
            }
            Err(TryRecvError::Empty) => Taken::Empty,
            Err(TryRecvError::Closed) => Taken::End,
        }
    }
}

enum Taken {
    Tag(Tag),
    Skip,
    Empty,
    End,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn tag(kind: TagKind, ts: u32, body: &[u8]) -> Tag {
        Tag { kind, timestamp: ts, body: Bytes::copy_from_slice(body) }
    }

    #[tokio::test]
    async fn a_late_joiner_gets_headers_and_the_gop_then_live_tags() {
        let hub = Arc::new(StreamHub::new(HubLimits { capacity: 8, max_gop_bytes: 1 << 20 }));
        let show = RoomId(1);
        let publisher = hub.publish(show);
        publisher.push(tag(TagKind::Video, 0, &[0x17, 0, 0, 0, 0, 1]));
        publisher.push(tag(TagKind::Audio, 0, &[0xAF, 0, 0x12, 0x10]));
        publisher.push(tag(TagKind::Video, 0, &[0x27, 1, 0, 0, 0])); // before any keyframe: not cached
        publisher.push(tag(TagKind::Video, 40, &[0x17, 1, 0, 0, 0, 7]));
        publisher.push(tag(TagKind::Audio, 45, &[0xAF, 1, 9]));
        let mut viewer = hub.subscribe(show).unwrap();
        let stamps: Vec<u32> = viewer.initial.iter().map(|t| t.timestamp).collect();
        assert_eq!(stamps, [0, 0, 40, 45]);
        assert!(viewer.audio && viewer.video);
        publisher.push(tag(TagKind::Video, 80, &[0x27, 1, 0, 0, 0]));
        assert_eq!(viewer.next().await.unwrap().timestamp, 80);
        // a viewer that lags skips to the next keyframe
        for i in 0..20 {
            publisher.push(tag(TagKind::Video, 100 + i, &[0x27, 1, 0, 0, 0]));
        }
        publisher.push(tag(TagKind::Video, 200, &[0x17, 1, 0, 0, 0]));
        publisher.push(tag(TagKind::Video, 240, &[0x27, 1, 0, 0, 0]));
        assert_eq!(viewer.next().await.unwrap().timestamp, 200);
        assert_eq!(viewer.next().await.unwrap().timestamp, 240);
        drop(publisher);
        assert!(viewer.next().await.is_none());
        assert!(hub.subscribe(show).is_none());
    }

    #[tokio::test]
    async fn a_viewer_that_keeps_lagging_is_dropped() {
        let hub = Arc::new(StreamHub::new(HubLimits { capacity: 2, max_gop_bytes: 1 << 20 }));
        let publisher = hub.publish(RoomId(2));
        publisher.push(tag(TagKind::Video, 0, &[0x17, 1, 0, 0, 0]));
        let mut viewer = hub.subscribe(RoomId(2)).unwrap();
        let mut ended = false;
        for round in 0..10u32 {
            // four frames and a keyframe each round: more than the channel holds
            for i in 0..5 {
                let first = if i == 4 { 0x17 } else { 0x27 };
                publisher.push(tag(TagKind::Video, round * 100 + i, &[first, 1, 0, 0, 0]));
            }
            if viewer.next().await.is_none() {
                ended = true;
                break;
            }
        }
        assert!(ended);
    }
}
