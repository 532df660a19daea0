//! Polls (投票): one at a time per room. The console opens a poll with a
//! question and 2 to 6 options; each viewer votes once for one option
//! until the console closes it. Every vote is a `poll.voted` event, but the
//! tallies are not broadcast per vote: the room sends a `poll_tally` frame
//! on its tick when they changed, so a burst of votes costs one frame.
//! `poll.closed` logs the final tallies, which the `poll.voted` events of
//! the log add up to.

use serde_json::json;
use std::collections::{HashSet, VecDeque};
use zhibo_domain::event::Actor;

use super::{Effect, fresh_id, not_found};
use crate::protocol::{ErrorCode, Frame, ProtocolError, text_field};

/// Longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 60;
/// Longest option, in characters.
pub const MAX_OPTION_CHARS: usize = 20;
/// Fewest and most options.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 6;
/// Closed polls a room remembers, to tell a late voter it has closed.
const KEPT_CLOSED: usize = 20;

#[derive(Debug)]
struct Poll {
    id: u64,
    question: String,
    options: Vec<String>,
    votes: Vec<u64>,
    voted: HashSet<Actor>,
    /// Whether the tallies changed since the last `poll_tally` frame.
    changed: bool,
}

/// The room's poll: at most one open.
#[derive(Debug, Default)]
pub(crate) struct Polls {
    open: Option<Poll>,
    closed: VecDeque<u64>,
}

pub(crate) fn check(question: &str, options: &[String]) -> Result<(), ProtocolError> {
    text_field("question", question, MAX_QUESTION_CHARS)?;
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&options.len()) {
        return Err(ProtocolError::field(
            "options",
            format!(
                "选项须有 {MIN_OPTIONS} 到 {MAX_OPTIONS} 个（现有 {}） / options must be {MIN_OPTIONS} to {MAX_OPTIONS} (got {})",
                options.len(),
                options.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for (i, option) in options.iter().enumerate() {
        text_field("options", option, MAX_OPTION_CHARS).map_err(|mut e| {
            e.message = format!("第 {} 个选项 / option {}: {}", i + 1, i + 1, e.message);
            e
        })?;
        if !seen.insert(option.trim()) {
            return Err(ProtocolError::field(
                "options",
                format!("第 {} 个选项重复 / option {} repeats {:?}", i + 1, i + 1, option.trim()),
            ));
        }
    }
    Ok(())
}

impl Polls {
    pub fn open(&mut self, actor: &Actor, question: String, options: Vec<String>) -> Result<Effect, ProtocolError> {
        check(&question, &options)?;
        if let Some(open) = &self.open {
            return Err(ProtocolError::new(
                ErrorCode::Conflict,
                format!("已有进行中的投票 {}，请先结束 / poll {} is still open: close it first", open.id, open.id),
            ));
        }
        let options: Vec<String> = options.iter().map(|o| o.trim().to_owned()).collect();
        let poll = Poll {
            id: fresh_id(),
            question: question.trim().to_owned(),
            votes: vec![0; options.len()],
            options,
            voted: HashSet::new(),
            changed: false,
        };
        let payload = json!({ "poll": poll.id, "question": poll.question, "options": poll.options });
        let frame = opened_frame(&poll);
        self.open = Some(poll);
        Ok(Effect { kind: "poll.opened", actor: actor.clone(), amount: None, payload, frame: Some(frame) })
    }

    /// A viewer's vote: once per poll, while it is open. The tally frame
    /// follows on the tick.
    pub fn vote(&mut self, actor: &Actor, id: u64, option: u32) -> Result<Effect, ProtocolError> {
        let Some(poll) = self.open.as_mut().filter(|p| p.id == id) else {
            if self.closed.contains(&id) {
                return Err(ProtocolError::new(ErrorCode::Gone, format!("投票 {id} 已结束 / poll {id} is closed")));
            }
            return Err(not_found(&format!("找不到投票 {id} / poll {id} not found")));
        };
        let Some(count) = poll.votes.get_mut(option as usize) else {
            return Err(ProtocolError {
                code: ErrorCode::BadMessage,
                message: format!(
                    "选项 {option} 不存在（共 {} 个，从 0 数） / no option {option} ({} options, from 0)",
                    poll.options.len(),
                    poll.options.len()
                ),
                field: Some("option"),
            });
        };
        if !poll.voted.insert(actor.clone()) {
            return Err(ProtocolError::new(ErrorCode::AlreadyDone, "你已经投过票了 / you already voted in this poll"));
        }
        *count += 1;
        poll.changed = true;
        let payload = json!({ "poll": id, "option": option });
        Ok(Effect { kind: "poll.voted", actor: actor.clone(), amount: None, payload, frame: None })
    }

    /// The console closes the open poll; the final tallies go out with it.
    pub fn close(&mut self, actor: &Actor) -> Result<Effect, ProtocolError> {
        let poll = self.open.take().ok_or_else(|| not_found("没有进行中的投票 / no poll is open"))?;
        self.closed.push_back(poll.id);
        while self.closed.len() > KEPT_CLOSED {
            self.closed.pop_front();
        }
        let total: u64 = poll.votes.iter().sum();
        let payload = json!({ "poll": poll.id, "question": poll.question, "options": poll.options, "votes": poll.votes, "total": total });
        let frame = Frame::PollClosed { id: poll.id, votes: poll.votes, total };
        Ok(Effect { kind: "poll.closed", actor: actor.clone(), amount: None, payload, frame: Some(frame) })
    }

    /// The room's tick: the open poll's tallies, if they changed.
    pub fn tally(&mut self) -> Option<Frame> {
        let poll = self.open.as_mut().filter(|p| p.changed)?;
        poll.changed = false;
        Some(Frame::PollTally { id: poll.id, votes: poll.votes.clone(), total: poll.votes.iter().sum() })
    }

    pub fn opened_frame(&self) -> Option<Frame> {
        self.open.as_ref().map(opened_frame)
    }
}

fn opened_frame(p: &Poll) -> Frame {
    Frame::PollOpened {
        id: p.id,
        question: p.question.clone(),
        options: p.options.clone(),
        votes: p.votes.clone(),
        total: p.votes.iter().sum(),
    }
}
