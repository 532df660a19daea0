//! The console's interaction tools: the lottery (福袋), red packets
//! (红包) and polls (投票). Each tool keeps its own state and answers the room with
//! [`Effect`]s — events to append and the frame each one releases — so the
//! room task stays the only one touching the log and the sockets.
//!
//! The draws themselves are pure functions in `zhibo_domain::draw`; this
//! module decides when they run, records their inputs in the log, and can
//! re-verify a room's lotteries from that log ([`lottery::verify_lottery`]).

pub mod lottery;
pub mod poll;
pub mod red_packet;

use serde::Serialize;
use zhibo_domain::event::Actor;
use zhibo_domain::{Fen, Timestamp};

use crate::protocol::{ClientMessage, ErrorCode, Frame, ProtocolError};
pub use lottery::{LotteryJoin, verify_lottery};

/// One event for the room to append, and the frame (if any: a poll vote
/// has none, its tally goes out on the tick) to broadcast once the event
/// is durable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Effect {
    pub kind: &'static str,
    pub actor: Actor,
    pub amount: Option<Fen>,
    pub payload: serde_json::Value,
    pub frame: Option<Frame>,
}

/// Where seeds come from: the operating system's CSPRNG, so nobody (the
/// console included) can predict a draw.
pub(crate) fn fresh_seed() -> u64 {
    rand::random::<u64>()
}

/// A fresh id for a lottery or a red packet: random and below 2^53, so
/// JavaScript reads it exactly; unique enough within one room.
pub(crate) fn fresh_id() -> u64 {
    rand::random::<u64>() >> 11
}

/// The interaction tools of one room.
#[derive(Debug, Default)]
pub(crate) struct Interactions {
    pub lottery: lottery::Lotteries,
    pub red_packets: red_packet::RedPackets,
    pub polls: poll::Polls,
}

/// What a snapshot shows of the interactions.
#[derive(Debug, Serialize)]
pub(crate) struct Snapshot {
    /// The running lottery, if any (never its seed).
    pub lottery: Option<Frame>,
    /// Red packets with shares left.
    pub red_packets: Vec<Frame>,
    /// The open poll with its tallies, if any.
    pub poll: Option<Frame>,
}

impl Interactions {
    /// Handles one interaction message from `actor` (already role-checked).
    pub fn handle(
        &mut self,
        actor: &Actor,
        name: &str,
        message: ClientMessage,
        now: Timestamp,
    ) -> Result<Vec<Effect>, ProtocolError> {
        match message {
            ClientMessage::OpenLottery { prize, winners, join, keyword, duration_secs } => {
                self.lottery.open(actor, prize, winners, join, keyword, duration_secs, now).map(|e| vec![e])
            }
            ClientMessage::DrawLottery {} => self.lottery.draw(actor.clone()).map(|e| vec![e]),
            ClientMessage::SendRedPacket { total_fen, count } => {
                self.red_packets.send(actor, total_fen, count).map(|e| vec![e])
            }
            ClientMessage::GrabRedPacket { id } => self.red_packets.grab(actor, name, id).map(|e| vec![e]),
            ClientMessage::OpenPoll { question, options } => self.polls.open(actor, question, options).map(|e| vec![e]),
            ClientMessage::Vote { poll, option } => self.polls.vote(actor, poll, option).map(|e| vec![e]),
            ClientMessage::ClosePoll {} => self.polls.close(actor).map(|e| vec![e]),
            _ => Ok(Vec::new()),
        }
    }

    /// A comment everyone saw: it may join the lottery by its keyword.
    pub fn on_comment(&mut self, viewer: &str, name: &str, text: &str, now: Timestamp) -> Vec<Effect> {
        self.lottery.join(viewer, name, lottery::Entry::Comment(text), now).into_iter().collect()
    }

    /// A follow: it may join a lottery entered by following.
    pub fn on_follow(&mut self, viewer: &str, name: &str, now: Timestamp) -> Vec<Effect> {
        self.lottery.join(viewer, name, lottery::Entry::Follow, now).into_iter().collect()
    }

    /// The room's tick: a lottery whose time is up is drawn by the room.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        self.lottery.due(now).into_iter().collect()
    }

    /// The room's tick: the open poll's tallies when votes came in.
    pub fn tallies(&mut self) -> Option<Frame> {
        self.polls.tally()
    }

    /// Whether a lottery, red packet or poll is open. They live only in
    /// the room's memory, so a room with one open does not stop for being
    /// idle (it would lose them).
    pub fn anything_open(&self) -> bool {
        let open = self.snapshot();
        open.lottery.is_some() || !open.red_packets.is_empty() || open.poll.is_some()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            lottery: self.lottery.opened_frame(),
            red_packets: self.red_packets.open_frames(),
            poll: self.polls.opened_frame(),
        }
    }
}

/// Field checks for the interaction messages (called from the protocol's
/// parser, so bad input never reaches the room).
pub(crate) fn check(message: &ClientMessage) -> Result<(), ProtocolError> {
    match message {
        ClientMessage::OpenLottery { prize, winners, join, keyword, duration_secs } => {
            lottery::check(prize, *winners, join, keyword.as_deref(), *duration_secs)
        }
        ClientMessage::SendRedPacket { total_fen, count } => red_packet::check(*total_fen, *count),
        ClientMessage::OpenPoll { question, options } => poll::check(question, options),
        _ => Ok(()),
    }
}

fn not_found(what: &str) -> ProtocolError {
    ProtocolError::new(ErrorCode::NotFound, what.to_owned())
}
