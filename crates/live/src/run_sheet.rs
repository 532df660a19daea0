//! The run sheet timer (流程单计时): which segment of the show is on now,
//! how long it has left and whether it has run over its planned length.
//!
//! The plan (segments with their planned start offset and length) and the
//! show's actual start come from [`RoomData::run_sheet`](crate::RoomData::run_sheet)
//! when the room starts. Planned times are absolute: the actual start (or,
//! before the show goes live, its scheduled start) plus the offset. The
//! console starts and ends segments by hand (`start_segment`,
//! `end_segment`); each is a `segment.started` / `segment.ended` event with
//! the planned and actual times, so the review can see where the show
//! drifted. Starting a segment while another runs ends that one first.
//!
//! The console learns the state from a `run_sheet` frame (to consoles only)
//! on connect, after every start and end, and once on the tick when the
//! current segment runs over; the page counts down from the frame's `now`
//! itself, so nothing is sent every second.

use bytes::Bytes;
use serde::Serialize;
use serde_json::json;
use zhibo_domain::Timestamp;
use zhibo_domain::event::Actor;
use zhibo_domain::show::Segment;

use crate::protocol::{self, ErrorCode, ProtocolError};

/// A show's run sheet as a room loads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSheetPlan {
    /// When the show went live (开播); `None` while it is planned.
    pub started_at: Option<Timestamp>,
    /// When it was scheduled to start: the base of planned times until it
    /// goes live.
    pub scheduled_start: Option<Timestamp>,
    /// In the run sheet's order.
    pub segments: Vec<Segment>,
}

/// One segment as the console sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentView {
    pub index: usize,
    /// `opening`, `product`, `interaction`, `lottery` or `closing`.
    pub kind: &'static str,
    pub title: String,
    pub minutes: i64,
    pub planned_start_ms: Option<i64>,
    pub planned_end_ms: Option<i64>,
    /// Whether it has been started and ended already.
    pub done: bool,
}

/// The segment on now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentSegment {
    pub index: usize,
    pub started_at_ms: i64,
    /// The actual start plus the planned length: when time runs out.
    pub ends_at_ms: i64,
    /// Milliseconds left at `now` (negative once over).
    pub left_ms: i64,
    /// 超时: the clock passed `ends_at_ms`.
    pub overrun: bool,
}

/// The `run_sheet` frame, to consoles only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename = "run_sheet")]
pub struct RunSheetFrame {
    pub started_at: Option<Timestamp>,
    pub segments: Vec<SegmentView>,
    pub current: Option<CurrentSegment>,
    /// The room's clock when sent: the page counts down from here.
    pub now: Timestamp,
}

impl RunSheetFrame {
    pub fn to_bytes(&self) -> Bytes {
        protocol::single(self)
    }
}

/// An event for the room to append (then the consoles get a fresh frame).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SegmentEvent {
    pub kind: &'static str,
    pub actor: Actor,
    pub payload: serde_json::Value,
}

/// The room's run sheet and where the show is in it.
#[derive(Debug, Default)]
pub(crate) struct RunSheet {
    plan: RunSheetPlan,
    /// Index and actual start of the segment on now.
    current: Option<(usize, Timestamp)>,
    done: Vec<bool>,
    /// Whether the current segment's overrun was already announced.
    overrun_told: bool,
}

impl RunSheet {
    pub fn new(plan: RunSheetPlan) -> RunSheet {
        let done = vec![false; plan.segments.len()];
        RunSheet { plan, current: None, done, overrun_told: false }
    }

    /// The show went live at `at` while the room ran: segments are
    /// planned from the real start from now on.
    pub fn show_started(&mut self, at: Timestamp) {
        self.plan.started_at = Some(at);
    }

    fn base(&self) -> Option<Timestamp> {
        self.plan.started_at.or(self.plan.scheduled_start)
    }

    fn planned(&self, index: usize) -> (Option<i64>, Option<i64>) {
        let segment = &self.plan.segments[index];
        let at = |minutes: i64| self.base().map(|b| b.plus_secs(minutes * 60).millis());
        (at(segment.start_offset_minutes), at(segment.end_offset_minutes()))
    }

    fn ends_at(&self, index: usize, started: Timestamp) -> Timestamp {
        started.plus_secs(self.plan.segments[index].minutes * 60)
    }

    /// The console starts segment `index` at `now`; a segment still on is
    /// ended first.
    pub fn start(&mut self, actor: &Actor, index: u32, now: Timestamp) -> Result<Vec<SegmentEvent>, ProtocolError> {
        let index = index as usize;
        let count = self.plan.segments.len();
        if index >= count {
            return Err(ProtocolError {
                code: ErrorCode::NotFound,
                message: format!(
                    "流程单没有第 {index} 段（共 {count} 段，从 0 数） / run sheet has no segment {index} ({count} segments, from 0)"
                ),
                field: Some("index"),
            });
        }
        if self.current.is_some_and(|(i, _)| i == index) {
            return Err(ProtocolError {
                code: ErrorCode::Conflict,
                message: format!("第 {index} 段已在进行中 / segment {index} is already on"),
                field: Some("index"),
            });
        }
        let mut events = Vec::new();
        if self.current.is_some() {
            events.push(self.end(actor, now)?);
        }
        let segment = &self.plan.segments[index];
        let (planned_start, planned_end) = self.planned(index);
        let payload = json!({
            "index": index,
            "kind": segment.kind.as_str(),
            "title": segment.title,
            "planned_minutes": segment.minutes,
            "planned_start": planned_start,
            "planned_end": planned_end,
            "actual_start": now.millis(),
        });
        self.current = Some((index, now));
        self.overrun_told = false;
        events.push(SegmentEvent { kind: "segment.started", actor: actor.clone(), payload });
        Ok(events)
    }

    /// The console ends the segment on now.
    pub fn end(&mut self, actor: &Actor, now: Timestamp) -> Result<SegmentEvent, ProtocolError> {
        let (index, started) = self
            .current
            .take()
            .ok_or_else(|| ProtocolError::new(ErrorCode::NotFound, "当前没有进行中的环节 / no segment is on"))?;
        let segment = &self.plan.segments[index];
        let (planned_start, planned_end) = self.planned(index);
        let ends_at = self.ends_at(index, started);
        let payload = json!({
            "index": index,
            "kind": segment.kind.as_str(),
            "title": segment.title,
            "planned_minutes": segment.minutes,
            "planned_start": planned_start,
            "planned_end": planned_end,
            "actual_start": started.millis(),
            "actual_end": now.millis(),
            "actual_ms": now.millis() - started.millis(),
            "overrun_ms": (now.millis() - ends_at.millis()).max(0),
        });
        self.done[index] = true;
        self.overrun_told = false;
        Ok(SegmentEvent { kind: "segment.ended", actor: actor.clone(), payload })
    }

    /// The room's tick: `true` once, when the segment on now first runs
    /// over, so the consoles get a frame saying so.
    pub fn overran(&mut self, now: Timestamp) -> bool {
        match self.current {
            Some((index, started)) if !self.overrun_told && now > self.ends_at(index, started) => {
                self.overrun_told = true;
                true
            }
            _ => false,
        }
    }

    pub fn frame(&self, now: Timestamp) -> RunSheetFrame {
        let segments = self
            .plan
            .segments
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let (planned_start_ms, planned_end_ms) = self.planned(index);
                SegmentView {
                    index,
                    kind: s.kind.as_str(),
                    title: s.title.clone(),
                    minutes: s.minutes,
                    planned_start_ms,
                    planned_end_ms,
                    done: self.done[index],
                }
            })
            .collect();
        let current = self.current.map(|(index, started)| {
            let ends_at = self.ends_at(index, started).millis();
            CurrentSegment {
                index,
                started_at_ms: started.millis(),
                ends_at_ms: ends_at,
                left_ms: ends_at - now.millis(),
                overrun: now.millis() > ends_at,
            }
        });
        RunSheetFrame { started_at: self.plan.started_at, segments, current, now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::show::SegmentKind;

    fn plan() -> RunSheetPlan {
        let seg = |kind, title: &str, start, minutes| Segment {
            kind,
            title: title.into(),
            start_offset_minutes: start,
            minutes,
        };
        RunSheetPlan {
            started_at: Some(Timestamp(1_000_000)),
            scheduled_start: Some(Timestamp(0)),
            segments: vec![seg(SegmentKind::Opening, "开场", 0, 5), seg(SegmentKind::Product, "讲品", 5, 10)],
        }
    }

    #[test]
    fn planned_times_count_from_the_actual_start_and_overrun_is_told_once() {
        let mut sheet = RunSheet::new(plan());
        let me = Actor::System;
        let frame = sheet.frame(Timestamp(1_000_000));
        assert_eq!(frame.segments[1].planned_start_ms, Some(1_000_000 + 5 * 60_000));
        assert_eq!(frame.segments[1].planned_end_ms, Some(1_000_000 + 15 * 60_000));
        let events = sheet.start(&me, 0, Timestamp(1_000_000)).unwrap();
        assert_eq!(events.len(), 1);
        assert!(!sheet.overran(Timestamp(1_000_000 + 5 * 60_000)));
        assert!(sheet.overran(Timestamp(1_000_000 + 5 * 60_000 + 1)));
        assert!(!sheet.overran(Timestamp(1_000_000 + 6 * 60_000)));
        // Starting the next one ends this one first, with its overrun.
        let events = sheet.start(&me, 1, Timestamp(1_000_000 + 6 * 60_000)).unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["segment.ended", "segment.started"]);
        assert_eq!(events[0].payload["overrun_ms"], 60_000);
        assert!(sheet.frame(Timestamp(0)).segments[0].done);
        assert_eq!(sheet.start(&me, 2, Timestamp(0)).unwrap_err().field, Some("index"));
        assert_eq!(sheet.start(&me, 1, Timestamp(0)).unwrap_err().code, ErrorCode::Conflict);
        sheet.end(&me, Timestamp(2_000_000)).unwrap();
        assert_eq!(sheet.end(&me, Timestamp(2_000_000)).unwrap_err().code, ErrorCode::NotFound);
    }
}
