//! The lottery (福袋): one at a time per room. The console opens it with a
//! prize, a number of winners, how viewers join (a comment holding the
//! keyword, or following) and how long it runs; the room draws it when the
//! clock passes its end, or the console draws it early.
//!
//! Fair and auditable by commit and reveal: at opening the room draws a
//! random `u64` seed and logs only its SHA-256 (`seed_sha256`, of the 8
//! big-endian bytes) in `lottery.opened`, so nobody — the console included —
//! can steer the entrants towards a known seed. `lottery.drawn` reveals the
//! seed with the ordered entrant list and the winners, and
//! [`verify_lottery`] re-checks every draw of a log: the seed matches its
//! commitment, the entrants are exactly those of the `lottery.joined`
//! events in log order, and `zhibo_domain::draw::draw_winners` over them
//! gives the recorded winners.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use zhibo_domain::Timestamp;
use zhibo_domain::draw::draw_winners;
use zhibo_domain::event::{Actor, Event};

use super::{Effect, fresh_id, fresh_seed, not_found};
use crate::LiveError;
use crate::protocol::{ErrorCode, Frame, ProtocolError};

/// Longest prize text, in characters.
pub const MAX_PRIZE_CHARS: usize = 50;
/// Longest join keyword (口令), in characters.
pub const MAX_KEYWORD_CHARS: usize = 20;
/// Most winners of one lottery.
pub const MAX_WINNERS: u32 = 100;
/// Shortest and longest lottery, in seconds.
pub const MIN_DURATION_SECS: u32 = 10;
pub const MAX_DURATION_SECS: u32 = 3600;

/// How viewers join a lottery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotteryJoin {
    /// By a comment holding the keyword.
    Comment,
    /// By following the shop while it runs.
    Follow,
}

/// What a viewer did that may join them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry<'a> {
    Comment(&'a str),
    Follow,
}

#[derive(Debug)]
struct Lottery {
    id: u64,
    prize: String,
    winners: u32,
    join: LotteryJoin,
    keyword: Option<String>,
    ends_at: Timestamp,
    seed: u64,
    /// Viewer ids in the order they joined: the draw's input.
    entrants: Vec<String>,
    entered: HashSet<String>,
    names: HashMap<String, String>,
}

/// The room's lottery: at most one open.
#[derive(Debug, Default)]
pub(crate) struct Lotteries {
    open: Option<Lottery>,
}

/// The SHA-256 of a seed's 8 big-endian bytes, in lower-case hex: the
/// commitment logged at opening.
pub fn seed_commitment(seed: u64) -> String {
    Sha256::digest(seed.to_be_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn check(
    prize: &str,
    winners: u32,
    join: &LotteryJoin,
    keyword: Option<&str>,
    duration_secs: u32,
) -> Result<(), ProtocolError> {
    crate::protocol::text_field("prize", prize, MAX_PRIZE_CHARS)?;
    if winners == 0 || winners > MAX_WINNERS {
        return Err(ProtocolError::field(
            "winners",
            format!("中奖人数须在 1 到 {MAX_WINNERS} 之间 / winners must be 1 to {MAX_WINNERS}"),
        ));
    }
    if !(MIN_DURATION_SECS..=MAX_DURATION_SECS).contains(&duration_secs) {
        return Err(ProtocolError::field(
            "duration_secs",
            format!(
                "时长须在 {MIN_DURATION_SECS} 到 {MAX_DURATION_SECS} 秒 / duration_secs must be {MIN_DURATION_SECS} to {MAX_DURATION_SECS}"
            ),
        ));
    }
    match (join, keyword) {
        (LotteryJoin::Comment, None) => {
            Err(ProtocolError::field("keyword", "评论参与需要口令 / keyword is required when joining by comment"))
        }
        (LotteryJoin::Comment, Some(k)) => crate::protocol::text_field("keyword", k, MAX_KEYWORD_CHARS),
        (LotteryJoin::Follow, Some(_)) => {
            Err(ProtocolError::field("keyword", "关注参与不需要口令 / keyword is only for joining by comment"))
        }
        (LotteryJoin::Follow, None) => Ok(()),
    }
}

impl Lotteries {
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        &mut self,
        actor: &Actor,
        prize: String,
        winners: u32,
        join: LotteryJoin,
        keyword: Option<String>,
        duration_secs: u32,
        now: Timestamp,
    ) -> Result<Effect, ProtocolError> {
        if let Some(open) = &self.open {
            return Err(ProtocolError::new(
                ErrorCode::Conflict,
                format!("已有进行中的福袋 {}，请先开奖 / lottery {} is still open: draw it first", open.id, open.id),
            ));
        }
        let seed = fresh_seed();
        let lottery = Lottery {
            id: fresh_id(),
            prize: prize.trim().to_owned(),
            winners,
            join,
            keyword: keyword.map(|k| k.trim().to_owned()),
            ends_at: now.plus_secs(i64::from(duration_secs)),
            seed,
            entrants: Vec::new(),
            entered: HashSet::new(),
            names: HashMap::new(),
        };
        let payload = json!({
            "lottery": lottery.id,
            "prize": lottery.prize,
            "winners": winners,
            "join": join,
            "keyword": lottery.keyword,
            "duration_secs": duration_secs,
            "ends_at": lottery.ends_at,
            "seed_sha256": seed_commitment(seed),
        });
        let frame = opened_frame(&lottery);
        self.open = Some(lottery);
        Ok(Effect { kind: "lottery.opened", actor: actor.clone(), amount: None, payload, frame: Some(frame) })
    }

    /// A viewer's comment or follow; joins them when it fits the open
    /// lottery and they have not joined yet.
    pub fn join(&mut self, viewer: &str, name: &str, entry: Entry<'_>, now: Timestamp) -> Option<Effect> {
        let lottery = self.open.as_mut()?;
        if now >= lottery.ends_at || lottery.entered.contains(viewer) {
            return None;
        }
        let fits = match (lottery.join, entry, lottery.keyword.as_deref()) {
            (LotteryJoin::Comment, Entry::Comment(text), Some(keyword)) => text.contains(keyword),
            (LotteryJoin::Follow, Entry::Follow, _) => true,
            _ => false,
        };
        let actor = Actor::parse(viewer).ok()?;
        if !fits || matches!(actor, Actor::System) {
            return None;
        }
        lottery.entered.insert(viewer.to_owned());
        lottery.entrants.push(viewer.to_owned());
        lottery.names.insert(viewer.to_owned(), name.to_owned());
        let payload = json!({ "lottery": lottery.id, "name": name, "via": lottery.join });
        let frame = Frame::LotteryJoined { id: lottery.id, entrants: lottery.entrants.len() as u64 };
        Some(Effect { kind: "lottery.joined", actor, amount: None, payload, frame: Some(frame) })
    }

    /// The console draws the open lottery now.
    pub fn draw(&mut self, actor: Actor) -> Result<Effect, ProtocolError> {
        let lottery = self.open.take().ok_or_else(|| not_found("没有进行中的福袋 / no lottery is open"))?;
        Ok(drawn(lottery, actor))
    }

    /// The room's tick: draws the open lottery once the clock passes its end.
    pub fn due(&mut self, now: Timestamp) -> Option<Effect> {
        if self.open.as_ref().is_some_and(|l| now >= l.ends_at) {
            return self.open.take().map(|l| drawn(l, Actor::System));
        }
        None
    }

    pub fn opened_frame(&self) -> Option<Frame> {
        self.open.as_ref().map(opened_frame)
    }
}

fn opened_frame(l: &Lottery) -> Frame {
    Frame::LotteryOpened {
        id: l.id,
        prize: l.prize.clone(),
        join: l.join,
        keyword: l.keyword.clone(),
        winners: l.winners,
        ends_at_ms: l.ends_at.millis(),
        entrants: l.entrants.len() as u64,
    }
}

fn drawn(l: Lottery, actor: Actor) -> Effect {
    let winners = draw_winners(l.seed, &l.entrants, l.winners as usize);
    let names: Vec<String> = winners.iter().map(|w| l.names.get(w).cloned().unwrap_or_default()).collect();
    let payload = json!({
        "lottery": l.id,
        "prize": l.prize,
        "seed": l.seed.to_string(),
        "seed_sha256": seed_commitment(l.seed),
        "count": l.winners,
        "entrants": l.entrants,
        "winners": winners,
        "names": names,
        "algorithm": "splitmix64-fisher-yates-v1",
    });
    let frame = Frame::LotteryDrawn { id: l.id, prize: l.prize, winners: names, viewers: winners };
    Effect { kind: "lottery.drawn", actor, amount: None, payload, frame: Some(frame) }
}

/// Re-verifies every drawn lottery of a room's log, in log order: each
/// `lottery.drawn` must follow its `lottery.opened`, reveal the seed whose
/// SHA-256 was committed there, list exactly the viewers of its
/// `lottery.joined` events in their log order, and name the winners that
/// `draw_winners(seed, entrants, count)` gives. Answers how many draws
/// were verified.
pub fn verify_lottery(events: &[Event]) -> Result<usize, LiveError> {
    let bad = |seq: u64, why: String| LiveError::Audit(format!("事件 {seq} / event {seq}: {why}"));
    // lottery id → (commitment, winners count, joined viewers in order)
    let mut open: HashMap<u64, (String, usize, Vec<String>)> = HashMap::new();
    let mut verified = 0;
    for e in events {
        let id = || e.payload["lottery"].as_u64().ok_or_else(|| bad(e.seq, "no lottery id".into()));
        match e.kind.as_str() {
            "lottery.opened" => {
                let commitment = e.payload["seed_sha256"].as_str().unwrap_or_default().to_owned();
                let count = e.payload["winners"].as_u64().unwrap_or_default() as usize;
                open.insert(id()?, (commitment, count, Vec::new()));
            }
            "lottery.joined" => {
                let lottery = open.get_mut(&id()?).ok_or_else(|| bad(e.seq, "joined a lottery not open".into()))?;
                lottery.2.push(e.actor.to_string());
            }
            "lottery.drawn" => {
                let (commitment, count, joined) =
                    open.remove(&id()?).ok_or_else(|| bad(e.seq, "drew a lottery never opened".into()))?;
                let seed: u64 = e.payload["seed"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad(e.seq, "no seed revealed".into()))?;
                if seed_commitment(seed) != commitment {
                    return Err(bad(e.seq, "the seed does not match its commitment".into()));
                }
                let strings = |key: &str| -> Vec<String> {
                    e.payload[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                };
                let entrants = strings("entrants");
                if entrants != joined {
                    return Err(bad(e.seq, "the entrants differ from the lottery.joined events".into()));
                }
                let expected = draw_winners(seed, &entrants, count);
                if strings("winners") != expected {
                    return Err(bad(e.seq, format!("the winners should be {expected:?}")));
                }
                verified += 1;
            }
            _ => {}
        }
    }
    Ok(verified)
}
