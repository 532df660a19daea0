//! 标记高光 (mark a highlight): a console marks "this moment" during the
//! show; the room logs `highlight.marked` with the note and the stream
//! time it measured, and tells the consoles. The stream time is the time
//! the stream has been live in this show so far (the time away after a
//! drop left out, as the recording leaves it out), from the `stream.*`
//! changes the room heard; `null` when the room has heard none (it
//! restarted mid-show). After the show the replay editor places the
//! highlight on the recording by the event's log time through the
//! recording's own segments, the same mapping as the product cards, and
//! trims clips around it.

use serde::Serialize;
use zhibo_domain::Timestamp;
use zhibo_domain::event::Actor;

use super::stream::StreamEvent;
use super::{Room, Then};
use crate::protocol::{self, ProtocolError};

/// The stream's live time, as the room hears its changes.
#[derive(Debug, Clone, Default)]
pub(super) struct StreamClock {
    live_since: Option<Timestamp>,
    before_ms: i64,
    heard: bool,
}

impl StreamClock {
    pub(super) fn changed(&mut self, event: StreamEvent, now: Timestamp) {
        match event {
            StreamEvent::Started | StreamEvent::Resumed => {
                self.heard = true;
                self.live_since.get_or_insert(now);
            }
            StreamEvent::Dropped | StreamEvent::Stopped => {
                if let Some(since) = self.live_since.take() {
                    self.before_ms += (now.0 - since.0).max(0);
                }
            }
            StreamEvent::Health | StreamEvent::Refresh => {}
        }
    }

    /// Milliseconds of stream up to `now`; `None` before any start.
    pub(super) fn at(&self, now: Timestamp) -> Option<i64> {
        self.heard.then(|| self.before_ms + self.live_since.map_or(0, |since| (now.0 - since.0).max(0)))
    }
}

#[derive(Serialize)]
struct Marked<'a> {
    r#type: &'static str,
    stream_ms: Option<i64>,
    note: Option<&'a str>,
}

impl Room {
    /// A console's `mark_highlight`: logged, then told to every console.
    pub(super) fn mark_highlight(&mut self, actor: Actor, note: Option<String>) -> Result<(), ProtocolError> {
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let stream_ms = self.stream_clock.at(self.now());
        let frame = protocol::single(&Marked { r#type: "highlight", stream_ms, note: note.as_deref() });
        let payload = serde_json::json!({ "note": note, "stream_ms": stream_ms });
        self.append("highlight.marked", actor, payload, Then::Consoles(frame));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_time_leaves_out_the_time_away() {
        let mut clock = StreamClock::default();
        assert_eq!(clock.at(Timestamp(500)), None);
        clock.changed(StreamEvent::Started, Timestamp(1_000));
        clock.changed(StreamEvent::Health, Timestamp(2_000));
        assert_eq!(clock.at(Timestamp(4_000)), Some(3_000));
        clock.changed(StreamEvent::Dropped, Timestamp(6_000));
        assert_eq!(clock.at(Timestamp(8_000)), Some(5_000), "while away the stream time stands still");
        clock.changed(StreamEvent::Resumed, Timestamp(10_000));
        assert_eq!(clock.at(Timestamp(11_500)), Some(6_500));
    }
}
