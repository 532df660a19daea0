//! The show's life (planned → live → ended) as a running room hears it.
//! Starting and ending a show is the web layer's (it commits the state,
//! then appends `show.started` / `show.ended`) and it tells the room the
//! event it appended. Without this, a room opened before the show (a
//! console getting ready) kept "planned" until it restarted: the run sheet
//! and automatic actions counted from the scheduled start, not the real
//! one, and an ended show's room could still fire automatic actions.

use zhibo_domain::Timestamp;
use zhibo_domain::event::Event;

use super::Room;
use crate::RoomStatus;
use crate::protocol::Frame;

impl Room {
    pub(super) fn observe_show(&mut self, event: &Event) {
        let status = match event.kind.as_str() {
            "show.started" => {
                let at = event.payload["started_at_ms"].as_i64().map_or(event.time, Timestamp);
                self.run_sheet.show_started(at);
                self.automation.show_started(at);
                RoomStatus::Live
            }
            "show.ended" => {
                // Nothing automatic after the show (as a room loaded for an
                // ended show runs nothing).
                self.automation = crate::automation::Schedule::default();
                RoomStatus::Ended
            }
            _ => return,
        };
        self.status = status;
        self.out.push(Frame::Status { status }.to_json());
        for &conn in &self.console_conns {
            self.tell_run_sheet(conn);
        }
    }
}
