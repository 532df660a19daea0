//! The room's side of the video stream: the media layer reports what
//! happens to the show's stream (started, dropped, resumed, stopped, and
//! health); the room logs each change as a `stream.*` event, then tells
//! consoles the details (a `stream` frame: state, event, health) and
//! everyone the state (a `stream_state` frame), so the viewer page can show
//! "主播暂时离开，马上回来" while the stream is down. Health refreshes
//! between samples go to consoles only and are not logged.

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;
use zhibo_domain::event::Actor;

use super::{Command, Room, RoomHandle, Then};
use crate::protocol;

/// What the media layer reports.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamUpdate {
    pub event: StreamEvent,
    /// The publisher's health as the media layer measured it.
    pub health: Option<serde_json::Value>,
}

/// The stream's events; all but `Refresh` are logged as `stream.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamEvent {
    Started,
    Stopped,
    Dropped,
    Resumed,
    /// A periodic health sample.
    Health,
    /// A health refresh for consoles, not logged.
    Refresh,
}

impl StreamEvent {
    fn kind(self) -> Option<&'static str> {
        Some(match self {
            Self::Started => "stream.started",
            Self::Stopped => "stream.stopped",
            Self::Dropped => "stream.dropped",
            Self::Resumed => "stream.resumed",
            Self::Health => "stream.health",
            Self::Refresh => return None,
        })
    }

    /// What viewers can do after it: "live", "down" (coming back) or "off".
    /// Only a live publication is sampled, so a room that started after
    /// the stream did (a room stops when idle) learns it from a sample; once
    /// the room has heard a start, drop or stop, samples change nothing (a
    /// sample overtaken by a drop must not say "live" again).
    fn state(self, before: &'static str, heard_change: bool) -> &'static str {
        match self {
            Self::Started | Self::Resumed => "live",
            Self::Dropped => "down",
            Self::Stopped => "off",
            Self::Health | Self::Refresh if heard_change => before,
            Self::Health | Self::Refresh => "live",
        }
    }
}

/// The stream as the room last heard of it.
#[derive(Debug, Clone)]
pub(super) struct StreamView {
    state: &'static str,
    last: Option<StreamEvent>,
    heard_change: bool,
    health: Option<serde_json::Value>,
}

impl Default for StreamView {
    fn default() -> Self {
        Self { state: "off", last: None, heard_change: false, health: None }
    }
}

#[derive(Serialize)]
struct ConsoleFrame<'a> {
    r#type: &'static str,
    state: &'static str,
    event: Option<StreamEvent>,
    health: &'a Option<serde_json::Value>,
}

#[derive(Serialize)]
struct StateFrame {
    r#type: &'static str,
    state: &'static str,
}

impl RoomHandle {
    /// Reports a stream change to the room; `false` once it has stopped.
    pub async fn stream(&self, update: StreamUpdate) -> bool {
        self.commands.send(Command::Stream(update)).await.is_ok()
    }

    /// A health refresh that waits for nobody: dropped when the room is busy.
    pub fn stream_refresh(&self, update: StreamUpdate) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.commands.try_send(Command::Stream(update)) {
            tracing::debug!(room = %self.room, "stream refresh dropped: room busy");
        }
    }
}

impl Room {
    fn stream_console_frame(&self) -> Bytes {
        protocol::single(&ConsoleFrame {
            r#type: "stream",
            state: self.stream.state,
            event: self.stream.last,
            health: &self.stream.health,
        })
    }

    fn stream_state_frame(&self) -> Vec<u8> {
        serde_json::to_vec(&StateFrame { r#type: "stream_state", state: self.stream.state }).unwrap_or_default()
    }

    /// A report from the media layer.
    pub(super) fn stream_update(&mut self, update: StreamUpdate) {
        let before = self.stream.state;
        self.stream_clock.changed(update.event, self.now());
        self.stream.state = update.event.state(before, self.stream.heard_change);
        self.stream.heard_change |= !matches!(update.event, StreamEvent::Health | StreamEvent::Refresh);
        self.stream.last = Some(update.event);
        if update.health.is_some() {
            self.stream.health = update.health.clone();
        }
        let consoles = self.stream_console_frame();
        let Some(kind) = update.event.kind() else {
            self.tell_stream_consoles(&consoles);
            if self.stream.state != before {
                // a restarted room catching up: no event, the state is known
                self.out.push(self.stream_state_frame());
            }
            return;
        };
        let everyone = (self.stream.state != before).then(|| self.stream_state_frame());
        let payload = serde_json::json!({ "state": self.stream.state, "health": update.health });
        self.append(kind, Actor::System, payload, Then::Stream(consoles, everyone));
    }

    /// The event is durable: consoles get the details, everyone the state.
    pub(super) fn stream_acknowledged(&mut self, consoles: Bytes, everyone: Option<Vec<u8>>) {
        self.tell_stream_consoles(&consoles);
        self.out.extend(everyone);
    }

    fn tell_stream_consoles(&self, bytes: &Bytes) {
        for c in self.consoles() {
            let _ = c.private.try_send(bytes.clone());
        }
    }

    /// The stream, to a connection right after its snapshot.
    pub(super) fn tell_stream(&self, conn: u64) {
        let Some(c) = self.conns.get(&conn) else { return };
        if c.identity.may_run_console() {
            self.tell(conn, self.stream_console_frame());
        }
        self.tell(conn, protocol::single(&StateFrame { r#type: "stream_state", state: self.stream.state }));
    }
}
