//! How likely each thing a viewer can do in a second is: the rules of
//! docs/sim.md's "Attention", "Interactions" and "Purchases" (the click),
//! for one viewer in the room as it is ([`Env`]).
//!
//! The same function gives the model two numbers. With the room as it is
//! this second, the exact chances the viewer's second is decided by. With
//! [`Env::bound`], the room with some headroom on its two drifting
//! numbers, an upper bound on the viewer's total chance of doing anything
//! in any second until the room changes kind ([`Env::bounded_by`] fails):
//! the rate the model draws the viewer's next possible event from
//! (docs/sim.md, "Skipping quiet seconds"). Every rate below grows with
//! `global` and `card_heat`, so a bound from larger ones is a bound.

use super::Viewer;
use crate::params::Params;

/// How far the drifting numbers (the common leave multiplier, the card's
/// heat) may rise before every viewer's next second is drawn again, and,
/// squared, how far they may fall before the bound is drawn tighter.
/// Wider: fewer redraws, more seconds looked at for nothing. Measured with
/// `zhibo bench sim` (BENCHMARKS.md); the log's distribution does not
/// depend on it.
const HEADROOM: f64 = 1.25;

/// What every viewer's second depends on, taken once a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Env {
    /// The leave multiplier common to everyone: segment, quiet streamer,
    /// troll toxicity, stream drop.
    pub global: f64,
    pub down: bool,
    /// The product the run sheet talks about, and its category.
    pub talk: Option<usize>,
    pub talk_cat: Option<usize>,
    pub card: Option<usize>,
    pub card_cat: Option<usize>,
    /// What viewers attend to: the talk's product, else the card's.
    pub context: Option<usize>,
    pub context_cat: Option<usize>,
    /// The card's click multiplier: heat × flash sale × coupon.
    pub card_heat: f64,
    pub card_dead: bool,
    pub too_expensive: bool,
    /// The open lottery (0: none).
    pub lottery_id: u32,
    pub flash_cat: Option<usize>,
    /// The talk's product has no card up (after a grace).
    pub no_link: bool,
}

impl Env {
    /// An env that bounds no room: the model starts with it, so its first
    /// second draws everyone.
    pub(super) const NONE: Env = Env {
        global: -1.0,
        down: false,
        talk: None,
        talk_cat: None,
        card: None,
        card_cat: None,
        context: None,
        context_cat: None,
        card_heat: -1.0,
        card_dead: false,
        too_expensive: false,
        lottery_id: 0,
        flash_cat: None,
        no_link: false,
    };

    /// This room with headroom on the drifting numbers.
    pub(super) fn bound(&self) -> Env {
        Env { global: self.global * HEADROOM, card_heat: self.card_heat * HEADROOM, ..*self }
    }

    /// Whether `self`, a bound taken earlier, still bounds the room `now`
    /// (and not so loosely that redrawing pays): the same kind of room
    /// (what decides which rates apply to whom), the drifting numbers
    /// not above it nor far below.
    pub(super) fn bounded_by(&self, now: &Env) -> bool {
        let same_kind = self.down == now.down
            && self.talk_cat == now.talk_cat
            && self.card == now.card
            && self.context_cat == now.context_cat
            && self.lottery_id == now.lottery_id
            && self.flash_cat == now.flash_cat
            && self.no_link == now.no_link;
        let slack = HEADROOM * HEADROOM;
        same_kind
            && now.global <= self.global
            && now.card_heat <= self.card_heat
            && now.global * slack >= self.global
            && now.card_heat * slack >= self.card_heat
    }
}

/// One viewer's chances in one second. The bands are laid end to end on
/// one uniform draw, in this order: leave, then like, comment, follow,
/// share, click (or, for trolls and during a stream drop, `other`).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rates {
    pub leave: f64,
    pub like: f64,
    pub comment: f64,
    pub follow: f64,
    pub share: f64,
    /// The card's click if the card waits for this viewer's click, else a
    /// look in the bag (0 when nothing there is of interest and unclicked).
    pub click: f64,
    /// A troll's comment; during a stream drop, a complaint about it.
    pub other: f64,
    /// Interested in what is on air.
    pub interested: bool,
    pub waiting_for_link: bool,
    /// The chance that anything at all happens.
    pub total: f64,
}

/// The leave multiplier for having stayed `stayed` seconds.
pub(super) fn stay_factor(p: &Params, stayed: u32) -> f64 {
    if stayed < p.early_secs {
        p.early_leave_factor
    } else if stayed >= p.settled_secs {
        p.settled_leave_factor
    } else {
        1.0
    }
}

/// The largest stay multiplier from `stayed` seconds on: the factor is
/// constant between its two thresholds, so looking at them is enough.
pub(super) fn stay_bound(p: &Params, stayed: u32) -> f64 {
    stay_factor(p, stayed).max(stay_factor(p, stayed.max(p.early_secs))).max(stay_factor(p, stayed.max(p.settled_secs)))
}

/// The viewer's chances in a room `env`, with stay multiplier `stay` and
/// `given_up` whether their question has waited past their patience.
pub(super) fn rates(p: &Params, v: &Viewer, stay: f64, given_up: bool, env: &Env) -> Rates {
    let persona = &v.persona;
    if persona.troll {
        // Trolls stay to be seen and post every `troll_comment_every_secs`
        // on average; nothing else moves them.
        let leave = v.leave_static * env.global;
        let other = (1.0 - leave).max(0.0) / f64::from(p.troll_comment_every_secs.max(1));
        return Rates { leave, other, total: leave + other, ..Rates::default() };
    }
    let mut h = env.global * v.leave_static * stay;
    let interested = env.context_cat.is_some_and(|c| persona.likes(c));
    if env.context_cat.is_some() {
        h *= if interested { p.leave_matched } else { p.leave_unmatched };
    }
    let joined = env.lottery_id != 0 && v.lottery == env.lottery_id;
    if joined {
        h *= p.leave_lottery_joined;
    }
    if env.flash_cat.is_some_and(|c| persona.likes(c)) {
        h *= p.leave_flash_sale;
    }
    if given_up {
        h *= p.leave_ignored;
    }
    let waiting_for_link = env.no_link && env.talk_cat.is_some_and(|c| persona.likes(c));
    if waiting_for_link {
        h *= p.leave_no_link;
    }
    let leave = h.min(p.leave_cap);
    if env.down {
        // Nothing but leaving or complaining while the stream is down.
        let other = (1.0 - leave) * p.comment_rate * 2.0;
        return Rates { leave, other, interested, waiting_for_link, total: leave + other, ..Rates::default() };
    }
    let lean = if interested { 1.5 } else { 1.0 };
    let like = p.like_rate * lean * if joined { 1.5 } else { 1.0 };
    let comment = p.comment_rate * lean;
    let follow = if persona.follower { 0.0 } else { p.follow_rate * lean };
    let share = p.share_rate * lean;
    let click = match env.card {
        Some(c) if v.clicked & (1 << c) == 0 => {
            let base = if env.card_cat.is_some_and(|k| persona.likes(k)) {
                p.click_rate_interested
            } else {
                p.click_rate_other
            };
            base * env.card_heat
        }
        card => {
            let card_bit = card.map_or(0, |c| 1u64 << c);
            if v.liked & !v.clicked & !card_bit != 0 { p.bag_click_rate } else { 0.0 }
        }
    };
    let total = leave + like + comment + follow + share + click;
    Rates { leave, like, comment, follow, share, click, other: 0.0, interested, waiting_for_link, total }
}
