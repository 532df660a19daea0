//! Red packets (红包): the console sends a total in fen and a number of
//! shares; the room splits it at once with `zhibo_domain::draw::
//! split_red_packet` (the double-mean rule) under a fresh random seed,
//! logged in `red_packet.sent` so the split can be recomputed. Viewers grab
//! first come, first served, each at most once per packet, until the
//! shares run out; each grab is a `red_packet.grabbed` event whose
//! `amount` is the share, so the log's rollups add the money up.

use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use zhibo_domain::Fen;
use zhibo_domain::draw::split_red_packet;
use zhibo_domain::event::Actor;

use super::{Effect, fresh_id, fresh_seed, not_found};
use crate::protocol::{ErrorCode, Frame, ProtocolError};

/// Most shares in one packet.
pub const MAX_SHARES: u32 = 500;
/// Largest packet: 20,000 元.
pub const MAX_TOTAL_FEN: i64 = 2_000_000;
/// Packets a room remembers (finished ones are forgotten first).
const KEPT_PACKETS: usize = 50;

#[derive(Debug)]
struct RedPacket {
    total: Fen,
    shares: Vec<Fen>,
    taken: usize,
    grabbed: HashSet<Actor>,
}

impl RedPacket {
    fn left(&self) -> u32 {
        (self.shares.len() - self.taken) as u32
    }
}

/// The room's red packets by id.
#[derive(Debug, Default)]
pub(crate) struct RedPackets {
    packets: BTreeMap<u64, RedPacket>,
}

pub(crate) fn check(total_fen: i64, count: u32) -> Result<(), ProtocolError> {
    if count == 0 || count > MAX_SHARES {
        return Err(ProtocolError::field(
            "count",
            format!("红包个数须在 1 到 {MAX_SHARES} 之间 / count must be 1 to {MAX_SHARES}"),
        ));
    }
    if total_fen < i64::from(count) {
        return Err(ProtocolError::field(
            "total_fen",
            format!("红包总额须至少每个 1 分（{count} 分） / total_fen must be at least one fen per share ({count})"),
        ));
    }
    if total_fen > MAX_TOTAL_FEN {
        return Err(ProtocolError::field(
            "total_fen",
            format!("红包总额上限 {MAX_TOTAL_FEN} 分 / total_fen is at most {MAX_TOTAL_FEN}"),
        ));
    }
    Ok(())
}

impl RedPackets {
    pub fn send(&mut self, actor: &Actor, total_fen: i64, count: u32) -> Result<Effect, ProtocolError> {
        check(total_fen, count)?;
        let seed = fresh_seed();
        let shares = split_red_packet(seed, Fen(total_fen), count as usize)
            .map_err(|e| ProtocolError::field(e.field, e.message))?;
        let id = fresh_id();
        while self.packets.len() >= KEPT_PACKETS {
            // Forget a finished packet first, else the oldest.
            let victim = self
                .packets
                .iter()
                .find(|(_, p)| p.left() == 0)
                .map(|(id, _)| *id)
                .or_else(|| self.packets.keys().next().copied());
            match victim {
                Some(v) => self.packets.remove(&v),
                None => break,
            };
        }
        self.packets.insert(id, RedPacket { total: Fen(total_fen), shares, taken: 0, grabbed: HashSet::new() });
        let payload = json!({
            "red_packet": id,
            "seed": seed.to_string(),
            "total_fen": total_fen,
            "count": count,
            "algorithm": "splitmix64-double-mean-v1",
        });
        Ok(Effect {
            kind: "red_packet.sent",
            actor: actor.clone(),
            amount: Some(Fen(total_fen)),
            payload,
            frame: Some(Frame::RedPacketSent { id, total_fen, count }),
        })
    }

    pub fn grab(&mut self, actor: &Actor, name: &str, id: u64) -> Result<Effect, ProtocolError> {
        let packet = self
            .packets
            .get_mut(&id)
            .ok_or_else(|| not_found(&format!("找不到红包 {id} / red packet {id} not found")))?;
        if packet.grabbed.contains(actor) {
            return Err(ProtocolError::new(
                ErrorCode::AlreadyDone,
                "你已经抢过这个红包了 / you already grabbed this red packet",
            ));
        }
        let Some(share) = packet.shares.get(packet.taken).copied() else {
            return Err(ProtocolError::new(ErrorCode::Gone, "红包已被抢完 / this red packet is all taken"));
        };
        packet.taken += 1;
        packet.grabbed.insert(actor.clone());
        let left = packet.left();
        let payload = json!({ "red_packet": id, "name": name, "share": packet.taken, "amount_fen": share.0 });
        let frame =
            Frame::RedPacketGrabbed { id, viewer: actor.to_string(), name: name.to_owned(), amount_fen: share.0, left };
        let frame = Some(frame);
        Ok(Effect { kind: "red_packet.grabbed", actor: actor.clone(), amount: Some(share), payload, frame })
    }

    /// Packets with shares left, for snapshots.
    pub fn open_frames(&self) -> Vec<Frame> {
        self.packets
            .iter()
            .filter(|(_, p)| p.left() > 0)
            .map(|(id, p)| Frame::RedPacketSent { id: *id, total_fen: p.total.0, count: p.shares.len() as u32 })
            .collect()
    }
}
