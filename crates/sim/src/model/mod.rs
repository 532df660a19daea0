//! The viewer model: a pure state machine. Inputs are operator actions and
//! incidents ([`Model::apply`], [`Model::incident`]) and time ([`Model::step`],
//! one second each); outputs are what viewers do ([`Happening`]s). No I/O,
//! no clock, one seeded generator drawn in a fixed order: the same
//! scenario, seed and inputs give the same outputs, bit for bit.
//!
//! Every viewer online lives every second, but most of a viewer's seconds
//! are quiet, so the model does not look at each one: it draws the second
//! of the viewer's next possible event from an upper bound on their rates
//! and decides there, by thinning, whether anything happens (`rates`,
//! `calendar`; docs/sim.md, "Skipping quiet seconds"). The outcome has the
//! same distribution as deciding every second.
//!
//! The rules, and where each number comes from, are in docs/sim.md.

mod calendar;
mod rates;

use std::collections::{BTreeMap, VecDeque};
use zhibo_domain::Fen;
use zhibo_domain::draw::draw_winners;

use crate::action::{Happening, Incident, Intent, OperatorAction, Source, What};
use crate::params::Params;
use crate::persona::Persona;
use crate::rng::Rng;
use crate::scenario::{Scenario, SegmentKind};
use crate::text;
use calendar::Calendar;
use rates::{Env, rates, stay_bound, stay_factor};

/// A second that never comes.
const NEVER: u32 = u32::MAX;

/// A viewer's pending second is drawn again when the room's change cuts
/// their bound by more than this factor (fewer seconds looked at for
/// nothing, against the cost of the draw).
const TIGHTEN: f64 = 2.0;

/// One simulated viewer's state.
#[derive(Debug, Clone)]
struct Viewer {
    persona: Persona,
    entered: u32,
    /// Leave-chance multiplier fixed at arrival (source, device).
    leave_static: f64,
    /// What the viewer would pay, as a share of a product's appeal × list price.
    wtp: f64,
    patience: u32,
    question: Option<Question>,
    /// Products (bit = index) the viewer asked about and got an answer.
    answered: u64,
    clicked: u64,
    ordered: u64,
    lottery: u32,
    muted: bool,
    /// Last review window in which the viewer interacted (for the tier score).
    interacted_window: u32,
    /// Products in categories the viewer likes (bit = index).
    liked: u64,
    /// Where in `online` the viewer is.
    pos: u32,
    /// The second the viewer is next looked at (`NEVER` once gone).
    next_at: u32,
    /// A second that must be decided exactly, not by thinning: the one in
    /// which the viewer's question outlasts their patience.
    exact_at: u32,
    /// The bound on the viewer's chance of doing anything in a second that
    /// `next_at` was drawn with.
    bound: f64,
}

#[derive(Debug, Clone, Copy)]
struct Question {
    comment: u64,
    product: Option<usize>,
    asked: u32,
    /// Past the viewer's patience: they complained and are on their way out.
    given_up: bool,
}

#[derive(Debug, Clone)]
struct ProductState {
    category: usize,
    price: Fen,
    list_price: Fen,
    appeal: f64,
    stock: u32,
    start_stock: u32,
    sized: bool,
    /// How hot the talk about it is (1 while its segment runs, fading after).
    heat: f64,
    dead_until: u32,
    /// When a question about it was last answered on air.
    answered_at: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Coupon {
    product: Option<usize>,
    off: Fen,
    min_price: Fen,
    until: u32,
}

#[derive(Debug, Clone)]
struct Lottery {
    id: u32,
    until: u32,
    require_follow: bool,
    entrants: Vec<u64>,
}

#[derive(Debug, Clone, Copy)]
struct FlashSale {
    product: usize,
    price: Fen,
    units_left: u32,
    until: u32,
}

/// Counters of the current tier-review window.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    online_at_start: u64,
    entries: u64,
    viewer_secs: u64,
    interactors: u64,
    buyers: u64,
}

/// The simulated audience of one show.
#[derive(Debug, Clone)]
pub struct Model {
    p: Params,
    duration_s: u32,
    scenario_seed: u64,
    rng: Rng,
    /// The second being simulated next.
    t: u32,
    viewers: Vec<Viewer>,
    online: Vec<u32>,
    products: Vec<ProductState>,
    /// Categories of the lineup, once per product (paid targeting draws from it).
    lineup_categories: Vec<usize>,
    card: Option<usize>,
    card_since: u32,
    coupons: Vec<Coupon>,
    lottery: Option<Lottery>,
    lotteries: u32,
    flash: Option<FlashSale>,
    last_interaction: u32,
    toxicity: f64,
    stream_down_until: u32,
    surge: f64,
    surge_until: u32,
    /// Times of recent orders, oldest first (social proof).
    recent_orders: VecDeque<u32>,
    /// Scheduled payments: second → (viewer, order, product, amount).
    payments: BTreeMap<u32, Vec<(u64, u64, usize, Fen)>>,
    /// Scheduled arrivals from shared links: second → count.
    shared_arrivals: BTreeMap<u32, u32>,
    /// Trolls still to arrive from a troll wave: second → count.
    troll_arrivals: BTreeMap<u32, u32>,
    followers_to_notify: u32,
    paid_entries: u64,
    paid_spent_minute: Fen,
    paid_entries_minute: u32,
    tier: usize,
    window: Window,
    window_id: u32,
    comments_this_minute: u32,
    comments_last_minute: u32,
    next_comment: u64,
    next_order: u64,
    /// Question comment → asking viewer, while unanswered.
    open_questions: BTreeMap<u64, u64>,
    steps: u64,
    /// Viewer-seconds the model looked at one by one (drawn candidates
    /// and exact seconds); the rest passed quietly.
    looked_at: u64,
    /// Viewers filed under the second they are next looked at.
    calendar: Calendar,
    /// The room the viewers' bounds were drawn for (with headroom).
    bound_env: Env,
    /// How often every viewer's next second was drawn again (the room
    /// changed kind): what skipping costs.
    redraws: u64,
    /// Seconds looked at whose chances exceeded the bound they were drawn
    /// with: 0 unless a bound is wrong (tests check).
    bound_misses: u64,
    /// Decide every viewer's every second (bound 1): the reference the
    /// skipping is tested against.
    every_second: bool,
    out: Vec<Happening>,
    // The scenario's fixed parts the step needs.
    segments: Vec<crate::scenario::Segment>,
    feed: crate::scenario::Feed,
    paid: Option<crate::scenario::Paid>,
    scenario: std::sync::Arc<Scenario>,
}

/// What the console would show of the room right now (for tests, the
/// runner and a future live mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomView {
    pub second: u32,
    pub online: usize,
    pub arrivals: usize,
    pub tier: usize,
    pub card: Option<usize>,
}

impl Model {
    pub fn new(scenario: &Scenario, seed: u64) -> Model {
        let scenario = std::sync::Arc::new(scenario.clone());
        let p = scenario.params.clone();
        let products: Vec<ProductState> = scenario
            .products
            .iter()
            .map(|s| ProductState {
                category: s.category,
                price: s.price,
                list_price: s.list_price,
                appeal: s.appeal,
                stock: s.stock,
                start_stock: s.stock,
                sized: s.sized,
                heat: 0.0,
                dead_until: 0,
                answered_at: None,
            })
            .collect();
        let followers_to_notify = (f64::from(scenario.audience.followers) * p.follower_open_share) as u32;
        Model {
            duration_s: scenario.duration_s,
            scenario_seed: seed,
            rng: Rng::new(seed),
            t: 0,
            viewers: Vec::new(),
            online: Vec::new(),
            lineup_categories: products.iter().map(|p| p.category).collect(),
            products,
            card: None,
            card_since: 0,
            coupons: Vec::new(),
            lottery: None,
            lotteries: 0,
            flash: None,
            last_interaction: 0,
            toxicity: 0.0,
            stream_down_until: 0,
            surge: 1.0,
            surge_until: 0,
            recent_orders: VecDeque::new(),
            payments: BTreeMap::new(),
            shared_arrivals: BTreeMap::new(),
            troll_arrivals: BTreeMap::new(),
            followers_to_notify,
            paid_entries: 0,
            paid_spent_minute: Fen::ZERO,
            paid_entries_minute: 0,
            tier: scenario.feed.start_tier,
            window: Window::default(),
            window_id: 0,
            comments_this_minute: 0,
            comments_last_minute: 0,
            next_comment: 0,
            next_order: 0,
            open_questions: BTreeMap::new(),
            steps: 0,
            looked_at: 0,
            calendar: Calendar::new(scenario.duration_s),
            bound_env: Env::NONE,
            redraws: 0,
            bound_misses: 0,
            every_second: false,
            out: Vec::new(),
            segments: scenario.segments.clone(),
            feed: scenario.feed.clone(),
            paid: scenario.paid.clone(),
            p,
            scenario,
        }
    }

    /// The second the next [`Model::step`] simulates.
    pub fn second(&self) -> u32 {
        self.t
    }

    pub fn is_over(&self) -> bool {
        self.t >= self.duration_s
    }

    /// Viewer-seconds simulated so far (the benchmark's agent steps): each
    /// second adds the viewers online in it, whether or not the model had
    /// to look at them (docs/sim.md).
    pub fn agent_steps(&self) -> u64 {
        self.steps
    }

    /// Viewer-seconds looked at one by one: the work skipping leaves.
    pub fn looked_at(&self) -> u64 {
        self.looked_at
    }

    /// How many times every online viewer's next second was drawn again
    /// because the room changed kind.
    pub fn redraws(&self) -> u64 {
        self.redraws
    }

    /// Seconds decided whose chances were above the bound their viewer's
    /// next second was drawn with. Skipping is exact only while this is 0.
    pub fn bound_misses(&self) -> u64 {
        self.bound_misses
    }

    /// The same model deciding every viewer's every second with one draw,
    /// as before skipping: slower, same distribution of outcomes (another
    /// log for a seed). The reference `tests/skipping.rs` compares with.
    pub fn deciding_every_second(mut self) -> Model {
        self.every_second = true;
        self
    }

    pub fn view(&self) -> RoomView {
        RoomView {
            second: self.t,
            online: self.online.len(),
            arrivals: self.viewers.len(),
            tier: self.tier,
            card: self.card,
        }
    }

    /// The live price of a product now.
    pub fn price(&self, product: usize) -> Fen {
        self.products[product].price
    }

    /// An operator action, taking effect from the current second.
    pub fn apply(&mut self, action: &OperatorAction) {
        let t = self.t;
        self.last_interaction = t;
        match *action {
            OperatorAction::PushCard { product } => {
                if self.card != Some(product) {
                    self.card = Some(product);
                    self.card_since = t;
                }
            }
            OperatorAction::UnpushCard => self.card = None,
            OperatorAction::SetPrice { product, price } => self.products[product].price = price,
            OperatorAction::Coupon { product, off, min_price, secs } => {
                self.coupons.push(Coupon { product, off, min_price, until: t + secs });
            }
            OperatorAction::Lottery { secs, require_follow } => {
                if self.lottery.is_none() {
                    self.lotteries += 1;
                    let lottery = Lottery { id: self.lotteries, until: t + secs, require_follow, entrants: Vec::new() };
                    self.lottery = Some(lottery);
                    // Everyone in the room hears of it now.
                    for i in 0..self.online.len() {
                        let v = self.online[i];
                        self.maybe_join_lottery(v);
                    }
                }
            }
            OperatorAction::FlashSale { product, price, units, secs } => {
                let units = units.min(self.products[product].stock);
                self.flash = Some(FlashSale { product, price, units_left: units, until: t + secs });
            }
            OperatorAction::Answer { comment } => {
                if let Some(viewer) = self.open_questions.remove(&comment) {
                    let v = &mut self.viewers[(viewer - 1) as usize];
                    if let Some(q) = v.question.take_if(|q| q.comment == comment)
                        && let Some(p) = q.product
                    {
                        v.answered |= 1 << p;
                        self.products[p].answered_at = Some(t);
                    }
                }
            }
            OperatorAction::Mute { viewer } => {
                if let Some(v) = self.viewers.get_mut((viewer as usize).wrapping_sub(1)) {
                    v.muted = true;
                }
            }
        }
    }

    /// An incident, from the current second.
    pub fn incident(&mut self, incident: &Incident) {
        let t = self.t;
        match *incident {
            Incident::StreamDrop { secs } => self.stream_down_until = t + secs,
            Incident::DeadLink { product, secs } => self.products[product].dead_until = t + secs,
            Incident::WrongPrice { product, price } => self.products[product].price = price,
            Incident::TrollWave { trolls } => {
                for i in 0..trolls {
                    *self.troll_arrivals.entry(t + i * 30 / trolls.max(1)).or_default() += 1;
                }
            }
            Incident::StockOut { product } => self.products[product].stock = 0,
            Incident::TrafficSurge { factor, secs } => {
                self.surge = factor;
                self.surge_until = t + secs;
            }
        }
    }

    /// Simulates one second and returns what happened in it.
    pub fn step(&mut self) -> &[Happening] {
        self.out.clear();
        if self.is_over() {
            return &self.out;
        }
        let t = self.t;
        self.housekeeping(t);
        let env = self.env(t);
        if !self.bound_env.bounded_by(&env) {
            // The room changed kind (or drifted past the headroom): every
            // viewer's pending second was drawn for another room.
            self.bound_env = env.bound();
            self.redraws += 1;
            for i in 0..self.online.len() {
                let v = self.online[i];
                self.redraw(v, t);
            }
        }
        self.arrivals(t);
        self.viewers_act(t, &env);
        self.payments_due(t);
        if self.p.tier_review_secs > 0 && (t + 1).is_multiple_of(self.p.tier_review_secs) {
            self.review_tier(t);
        }
        self.t += 1;
        if self.t == self.duration_s {
            self.everyone_leaves();
        }
        &self.out
    }

    fn emit(&mut self, viewer: u64, what: What) {
        self.out.push(Happening { viewer, what });
    }

    fn segment(&self, t: u32) -> Option<&crate::scenario::Segment> {
        self.segments.iter().find(|s| s.start_s <= t && t < s.end_s)
    }

    fn housekeeping(&mut self, t: u32) {
        // The talk heats its product; other products cool minute by minute.
        let talk = self.segment(t).and_then(|s| s.product);
        let minute_edge = t.is_multiple_of(60);
        for (i, p) in self.products.iter_mut().enumerate() {
            if talk == Some(i) {
                p.heat = 1.0;
            } else if minute_edge {
                p.heat *= self.p.heat_keep_per_min;
            }
        }
        if minute_edge {
            self.comments_last_minute = self.comments_this_minute;
            self.comments_this_minute = 0;
            if self.paid_entries_minute > 0 {
                let (amount, entries) = (self.paid_spent_minute, self.paid_entries_minute);
                self.emit(0, What::TrafficSpent { amount, entries });
                self.paid_spent_minute = Fen::ZERO;
                self.paid_entries_minute = 0;
            }
        }
        self.coupons.retain(|c| c.until > t);
        if self.flash.is_some_and(|f| f.until <= t) {
            self.flash = None;
        }
        if self.surge_until <= t {
            self.surge = 1.0;
        }
        if let Some(l) = self.lottery.as_ref().filter(|l| l.until <= t) {
            let entrants: Vec<String> = l.entrants.iter().map(|v| v.to_string()).collect();
            let seed = self.scenario_seed ^ (u64::from(l.id) << 32) ^ u64::from(t);
            let winners = draw_winners(seed, &entrants, 1).iter().filter_map(|w| w.parse().ok()).collect();
            let (lottery, n) = (l.id, l.entrants.len());
            self.lottery = None;
            self.emit(0, What::LotteryDrawn { lottery, winners, entrants: n });
        }
        let window = t.saturating_sub(self.p.social_window_secs);
        while self.recent_orders.front().is_some_and(|o| *o < window) {
            self.recent_orders.pop_front();
        }
        self.toxicity *= self.p.toxicity_keep;
    }

    fn arrivals(&mut self, t: u32) {
        if t < self.stream_down_until {
            return;
        }
        // Recommendation feed: impressions of the tier, entry rate raised by
        // a lively room.
        let impressions = f64::from(self.feed.impressions_per_min[self.tier]) * self.surge / 60.0;
        let lively = 1.0 + self.p.liveliness_boost * (f64::from(self.comments_last_minute) / 100.0).min(1.0);
        let feed = self.rng.round(impressions * self.feed.entry_rate * lively);
        for _ in 0..feed {
            let troll = self.rng.chance(self.scenario.audience.troll_share);
            self.enter(t, Source::Feed, troll);
        }
        // Followers notified at the start.
        if t < self.p.follower_arrival_secs && self.followers_to_notify > 0 {
            let per_sec = f64::from(self.followers_to_notify) / f64::from(self.p.follower_arrival_secs - t);
            let n = self.rng.round(per_sec).min(self.followers_to_notify);
            self.followers_to_notify -= n;
            for _ in 0..n {
                self.enter(t, Source::Follower, false);
            }
        }
        // Paid traffic: the budget spent evenly over its window, in whole
        // entries (integer fen, exact).
        if let Some(paid) = self.paid.clone()
            && t >= paid.from_s
            && t < paid.to_s
        {
            let span = i64::from(paid.to_s - paid.from_s);
            let spend_due = paid.budget.0 * i64::from(t + 1 - paid.from_s) / span;
            let due = (spend_due / paid.cost_per_entry.0) as u64;
            let n = due.saturating_sub(self.paid_entries);
            self.paid_entries += n;
            self.paid_entries_minute += n as u32;
            self.paid_spent_minute = Fen(self.paid_spent_minute.0 + n as i64 * paid.cost_per_entry.0);
            for _ in 0..n {
                self.enter(t, Source::Paid, false);
            }
        }
        if let Some(n) = self.shared_arrivals.remove(&t) {
            for _ in 0..n {
                self.enter(t, Source::Shared, false);
            }
        }
        if let Some(n) = self.troll_arrivals.remove(&t) {
            for _ in 0..n {
                self.enter(t, Source::Feed, true);
            }
        }
    }

    fn enter(&mut self, t: u32, source: Source, troll: bool) {
        let persona = Persona::draw(&mut self.rng, &self.scenario, source, troll, &self.lineup_categories);
        let p = &self.p;
        let mut leave_static = match source {
            Source::Feed => p.leave_feed,
            Source::Follower => p.leave_follower,
            Source::Paid => p.leave_paid,
            Source::Shared => p.leave_shared,
        };
        if persona.device == 2 {
            leave_static *= p.leave_pc;
        }
        if troll {
            // Trolls stay to be seen.
            leave_static *= 0.4;
        }
        let wtp = (0.6 + 0.8 * self.rng.unit()) * (1.3 - 0.6 * persona.price_sensitivity);
        let patience = self.rng.between(p.patience_min_secs, p.patience_max_secs.max(p.patience_min_secs));
        let id = self.viewers.len() as u64 + 1;
        let liked = self
            .products
            .iter()
            .enumerate()
            .filter(|(_, pr)| persona.likes(pr.category))
            .fold(0u64, |m, (k, _)| m | 1 << k);
        self.viewers.push(Viewer {
            persona,
            entered: t,
            leave_static,
            wtp,
            patience,
            question: None,
            answered: 0,
            clicked: 0,
            ordered: 0,
            lottery: 0,
            muted: false,
            interacted_window: u32::MAX,
            liked,
            pos: self.online.len() as u32,
            next_at: NEVER,
            exact_at: NEVER,
            bound: 0.0,
        });
        self.online.push((id - 1) as u32);
        self.window.entries += 1;
        self.emit(id, What::Entered { source, persona });
        if self.lottery.is_some() {
            self.maybe_join_lottery((id - 1) as u32);
        }
        // A newcomer's first second is this one.
        self.schedule((id - 1) as u32, t);
    }

    fn maybe_join_lottery(&mut self, v: u32) {
        let Some(lottery) = &self.lottery else { return };
        let (id, require_follow) = (lottery.id, lottery.require_follow);
        let viewer = &self.viewers[v as usize];
        if viewer.persona.troll || viewer.lottery == id || !self.rng.chance(self.p.lottery_join_share) {
            return;
        }
        let follow = require_follow && !viewer.persona.follower;
        let viewer = &mut self.viewers[v as usize];
        viewer.lottery = id;
        if follow {
            viewer.persona.follower = true;
        }
        let vid = u64::from(v) + 1;
        if let Some(l) = self.lottery.as_mut() {
            l.entrants.push(vid);
        }
        self.mark_interacted(v);
        if follow {
            self.emit(vid, What::Follow);
        }
        self.emit(vid, What::LotteryJoined { lottery: id });
    }

    fn mark_interacted(&mut self, v: u32) {
        let viewer = &mut self.viewers[v as usize];
        if viewer.interacted_window != self.window_id {
            viewer.interacted_window = self.window_id;
            self.window.interactors += 1;
        }
    }

    /// The room as every viewer's second this second depends on it.
    fn env(&self, t: u32) -> Env {
        let p = &self.p;
        let segment = self.segment(t);
        let seg_factor = match segment.map(|s| s.kind) {
            None => 1.0,
            Some(SegmentKind::Opening) => p.leave_opening,
            Some(SegmentKind::Product) => p.leave_product,
            Some(SegmentKind::Interaction) => p.leave_interaction,
            Some(SegmentKind::Lottery) => p.leave_lottery,
            Some(SegmentKind::Closing) => p.leave_closing,
        };
        let quiet =
            f64::from((t - self.last_interaction.min(t)).min(p.quiet_full_secs)) / f64::from(p.quiet_full_secs.max(1));
        let down = t < self.stream_down_until;
        let mut global = p.leave_base
            * seg_factor
            * (1.0 + p.quiet_extra * quiet)
            * (1.0 + p.troll_leave_per_toxicity * self.toxicity.min(8.0));
        if down {
            global *= p.leave_stream_down;
        }
        let talk = segment.and_then(|s| s.product);
        // The talk is on a product whose card is not up (after a grace of 20 s).
        let no_link = talk.is_some_and(|tp| self.card != Some(tp) && t >= segment.map_or(0, |s| s.start_s) + 20);
        let card = self.card;
        let card_cat = card.map(|c| self.products[c].category);
        let talk_cat = talk.map(|c| self.products[c].category);
        let card_heat = card.map_or(0.0, |c| {
            let h = self.products[c].heat.max(p.heat_floor);
            let flash = if self.flash.is_some_and(|f| f.product == c) { 1.5 } else { 1.0 };
            let coupon = if self.coupon_for(c, self.products[c].price).0 > 0 { 1.3 } else { 1.0 };
            h * flash * coupon
        });
        // What viewers attend to: the product being talked about, else the card.
        let context = talk.or(card);
        Env {
            global,
            down,
            talk,
            talk_cat,
            card,
            card_cat,
            context,
            context_cat: talk_cat.or(card_cat),
            card_heat,
            card_dead: card.is_some_and(|c| self.products[c].dead_until > t),
            too_expensive: context.is_some_and(|c| {
                let pr = &self.products[c];
                pr.price.0 as f64 > pr.list_price.0 as f64 * pr.appeal * 1.2
            }),
            lottery_id: self.lottery.as_ref().map_or(0, |l| l.id),
            flash_cat: self.flash.map(|f| self.products[f.product].category),
            no_link,
        }
    }

    /// Draws the next second, from `from` on, in which viewer `v` might do
    /// something, and files the viewer under it. Each second has a chance
    /// of at most `bound` (the viewer's rates in the bounding room), so the
    /// quiet seconds before the next candidate are a geometric skip; the
    /// candidate is decided by thinning in [`Model::visit`]. Drawing again
    /// at any time is exact: the skip has no memory.
    fn schedule(&mut self, v: u32, from: u32) {
        let bound = self.bound(v, from);
        self.schedule_with(v, from, bound);
    }

    /// Viewer `v`'s bound from second `from` on, in the bounding room.
    fn bound(&self, v: u32, from: u32) -> f64 {
        if self.every_second {
            return 1.0;
        }
        let viewer = &self.viewers[v as usize];
        let stay = stay_bound(&self.p, from - viewer.entered);
        let given_up = viewer.question.is_some_and(|q| q.given_up);
        rates(&self.p, viewer, stay, given_up, &self.bound_env).total.min(1.0)
    }

    /// The room changed kind at second `t`. A viewer whose pending second
    /// was drawn with a bound at least their new one keeps it (seconds
    /// drawn at a higher rate and thinned are still exact); one whose
    /// rates rose past it, or fell far below it, is drawn again.
    fn redraw(&mut self, v: u32, t: u32) {
        let bound = self.bound(v, t);
        let old = self.viewers[v as usize].bound;
        if bound > old || bound * TIGHTEN < old {
            self.schedule_with(v, t, bound);
        }
    }

    fn schedule_with(&mut self, v: u32, from: u32, bound: f64) {
        let exact_at = self.viewers[v as usize].exact_at;
        let mut at = from.saturating_add(self.rng.skip(bound));
        if exact_at >= from && exact_at < at {
            at = exact_at;
        }
        let viewer = &mut self.viewers[v as usize];
        viewer.bound = bound;
        viewer.next_at = at;
        self.calendar.file(at, v);
    }

    /// This second for the viewers filed under it: leave or stay,
    /// interact, click, buy. Everyone else online lives the second quietly.
    fn viewers_act(&mut self, t: u32, env: &Env) {
        // Every viewer online now lives this second, leavers included,
        // looked at or not.
        let stepping = self.online.len() as u64;
        self.steps += stepping;
        self.window.viewer_secs += stepping;
        let due = self.calendar.take(t);
        for &v in &due {
            // A viewer drawn again since being filed here is elsewhere now.
            if self.viewers[v as usize].next_at == t {
                self.looked_at += 1;
                self.visit(v, t, env);
            }
        }
        self.calendar.give_back(due);
    }

    /// Viewer `v`'s second `t`. One draw decides it: the viewer's chances
    /// (`rates`) are laid end to end, leave first, on a uniform draw
    /// stretched to the bound the second was drawn with; past their sum
    /// nothing happens (thinning: so each second has exactly its own
    /// chance of each thing). A second that must be exact uses bound 1.
    fn visit(&mut self, v: u32, t: u32, env: &Env) {
        let vid = u64::from(v) + 1;
        let viewer = &self.viewers[v as usize];
        let exact = viewer.exact_at == t;
        let bound = if exact { 1.0 } else { viewer.bound };
        let persona = viewer.persona;
        let muted = viewer.muted;
        let mut question = viewer.question;
        let mut giving_up = false;
        if let Some(q) = question.as_mut()
            && !q.given_up
            && t >= q.asked + viewer.patience
        {
            q.given_up = true;
            giving_up = true;
        }
        let given_up = question.is_some_and(|q| q.given_up);
        let r = rates(&self.p, viewer, stay_factor(&self.p, t - viewer.entered), given_up, env);
        if exact {
            self.viewers[v as usize].exact_at = NEVER;
        } else if r.total > bound {
            self.bound_misses += 1;
        }
        let x = self.rng.unit() * bound;
        if x < r.leave {
            let pos = self.viewers[v as usize].pos as usize;
            self.leave(pos, t);
            return;
        }
        let x = x - r.leave;

        if persona.troll {
            if x < r.other {
                if !muted {
                    self.toxicity += 1.0;
                }
                self.comment(vid, Intent::Troll, None, muted);
            }
            self.schedule(v, t + 1);
            return;
        }
        if giving_up && let Some(q) = question {
            // The moment patience runs out, some say so.
            self.viewers[v as usize].question = question;
            self.open_questions.remove(&q.comment);
            if self.rng.chance(0.5) {
                self.comment(vid, Intent::Ignored, q.product, false);
            }
        }
        if env.down {
            if x < r.other {
                self.comment(vid, Intent::Lag, None, false);
            }
            self.schedule(v, t + 1);
            return;
        }

        // --- interactions, then the card or the bag: bands of `x` ---
        // Band ends, cumulative.
        let like = r.like;
        let comment = like + r.comment;
        let follow = comment + r.follow;
        let share = follow + r.share;
        if x < like {
            let count = self.rng.between(1, self.p.like_burst_max.max(1));
            self.mark_interacted(v);
            self.emit(vid, What::Like { count });
        } else if x < comment {
            self.mark_interacted(v);
            let question_share = self.p.question_share;
            let intent = if r.waiting_for_link {
                Intent::NoLink
            } else if r.interested && env.too_expensive && self.rng.chance(0.5) {
                Intent::TooExpensive
            } else if r.interested && self.viewers[v as usize].question.is_none() && self.rng.chance(question_share) {
                let sized = env.context.is_some_and(|c| self.products[c].sized);
                let choices: &[Intent] = if sized {
                    &[Intent::AskPrice, Intent::AskSize, Intent::AskSize, Intent::AskShipping, Intent::AskMaterial]
                } else {
                    &[Intent::AskPrice, Intent::AskShipping, Intent::AskMaterial]
                };
                choices[self.rng.below(choices.len() as u64) as usize]
            } else {
                Intent::Praise
            };
            let product = if intent == Intent::NoLink { env.talk } else { env.context };
            let id = self.comment(vid, intent, product, false);
            if intent.is_question() {
                let viewer = &mut self.viewers[v as usize];
                viewer.question = Some(Question { comment: id, product, asked: t, given_up: false });
                // The second patience runs out changes the viewer's rates
                // and may bring a complaint: it is decided exactly.
                viewer.exact_at = t.saturating_add(viewer.patience);
                self.open_questions.insert(id, vid);
            }
        } else if x < follow {
            self.viewers[v as usize].persona.follower = true;
            self.mark_interacted(v);
            self.emit(vid, What::Follow);
        } else if x < share {
            self.mark_interacted(v);
            self.emit(vid, What::Share);
            let (per_share, delay_max) = (self.p.entries_per_share, self.p.share_delay_max_secs);
            let n = self.rng.round(per_share);
            for _ in 0..n {
                let at = t + self.rng.between(30, delay_max.max(30));
                *self.shared_arrivals.entry(at).or_default() += 1;
            }
        } else if x < share + r.click {
            let clicked = self.viewers[v as usize].clicked;
            match env.card {
                // The card, waiting for this viewer's click.
                Some(c) if clicked & (1 << c) == 0 => self.click(v, c, t, env.card_dead),
                // No card waiting: a look in the bag (小黄车) for a product
                // of interest not clicked yet (`rates` gives this band no
                // width when there is none).
                card => {
                    let card_bit = card.map_or(0, |c| 1u64 << c);
                    let choices = self.viewers[v as usize].liked & !clicked & !card_bit;
                    let n = u64::from(choices.count_ones());
                    if n > 0 {
                        let k = nth_bit(choices, self.rng.below(n) as u32);
                        let dead = self.products[k].dead_until > t;
                        self.click(v, k, t, dead);
                    }
                }
            }
        }
        if self.viewers[v as usize].next_at == t {
            self.schedule(v, t + 1);
        }
    }

    fn coupon_for(&self, product: usize, price: Fen) -> Fen {
        self.coupons
            .iter()
            .filter(|c| c.product.is_none_or(|p| p == product) && price >= c.min_price)
            .map(|c| c.off)
            .max()
            .map_or(Fen::ZERO, |off| Fen(off.0.min(price.0)))
    }

    fn click(&mut self, v: u32, product: usize, t: u32, dead: bool) {
        let vid = u64::from(v) + 1;
        self.viewers[v as usize].clicked |= 1 << product;
        self.mark_interacted(v);
        self.emit(vid, What::Clicked { product, opened: !dead });
        if dead {
            if self.rng.chance(0.5) {
                self.comment(vid, Intent::LinkBroken, Some(product), false);
            }
            return;
        }
        let p = &self.p;
        let viewer = &self.viewers[v as usize];
        let pr = &self.products[product];
        let flash = self.flash.filter(|f| f.product == product && f.units_left > 0);
        let price = flash.map_or(pr.price, |f| f.price);
        let off = self.coupon_for(product, price);
        let pay = Fen((price.0 - off.0).max(1));
        let list = pr.list_price.0 as f64;
        let value = list * pr.appeal * viewer.wtp;
        let pay_f = pay.0 as f64;
        // Value for money, plus the list-price anchor (the "deal" feeling)
        // and, for price-sensitive viewers, the pleasure of a coupon.
        let x = (value - pay_f) / pay_f
            + p.anchor_weight * (list - price.0 as f64).max(0.0) / list
            + p.coupon_bonus * viewer.persona.price_sensitivity * off.0 as f64 / price.0.max(1) as f64;
        let kx = p.value_steepness * x;
        let g = 1.0 + kx / (1.0 + kx.abs());
        let mut chance = p.order_base * g;
        if flash.is_some() {
            chance *= p.scarcity_flash;
        }
        if (pr.stock as f64) <= pr.start_stock as f64 * p.low_stock_share {
            chance *= p.scarcity_low_stock;
        }
        let recent = self.recent_orders.len() as f64;
        chance *= 1.0 + p.social_max * recent / (recent + p.social_half);
        if viewer.question.is_some_and(|q| q.product == Some(product)) {
            chance *= p.unanswered_factor;
        } else if viewer.answered & (1 << product) != 0 {
            chance *= p.answered_factor;
        }
        // Others wondered the same: an answer on air helps every viewer.
        if pr.answered_at.is_some_and(|a| t < a + p.answer_spillover_secs) {
            chance *= p.answer_spillover;
        }
        if !self.rng.chance(chance) {
            return;
        }
        let units = if self.rng.chance(p.two_units_share) { 2 } else { 1 };
        let available = flash.map_or(pr.stock, |f| f.units_left.min(pr.stock));
        if available < units {
            if self.rng.chance(0.5) {
                self.comment(vid, Intent::SoldOut, Some(product), false);
            }
            return;
        }
        let amount = Fen(pay.0 * i64::from(units));
        self.products[product].stock -= units;
        // Only an order at the flash price takes flash-sale units; once they
        // are gone, orders go at the live price.
        if flash.is_some()
            && let Some(f) = self.flash.as_mut()
        {
            f.units_left -= units;
        }
        self.next_order += 1;
        let order = self.next_order;
        let viewer = &mut self.viewers[v as usize];
        if viewer.ordered == 0 {
            self.window.buyers += 1;
        }
        viewer.ordered |= 1 << product;
        self.recent_orders.push_back(t);
        self.emit(vid, What::OrderPlaced { order, product, units, unit_price: price, coupon: off, amount });
        if self.rng.chance(self.p.pay_share) {
            let at = t + self.rng.between(self.p.pay_min_secs, self.p.pay_max_secs.max(self.p.pay_min_secs));
            self.payments.entry(at).or_default().push((vid, order, product, amount));
        }
    }

    fn comment(&mut self, viewer: u64, intent: Intent, product: Option<usize>, muted: bool) -> u64 {
        self.next_comment += 1;
        let id = self.next_comment;
        if !muted {
            self.comments_this_minute += 1;
        }
        let text = text::pick(&mut self.rng, intent);
        self.emit(viewer, What::Comment { id, intent, text, product, muted });
        id
    }

    fn leave(&mut self, index: usize, t: u32) {
        let v = self.online.swap_remove(index);
        if let Some(&moved) = self.online.get(index) {
            self.viewers[moved as usize].pos = index as u32;
        }
        let viewer = &mut self.viewers[v as usize];
        viewer.next_at = NEVER;
        let stayed_s = t + 1 - viewer.entered;
        if let Some(q) = viewer.question.take() {
            self.open_questions.remove(&q.comment);
        }
        self.emit(u64::from(v) + 1, What::Left { stayed_s });
    }

    fn payments_due(&mut self, t: u32) {
        if let Some(due) = self.payments.remove(&t) {
            for (viewer, order, product, amount) in due {
                self.emit(viewer, What::OrderPaid { order, product, amount });
            }
        }
    }

    fn review_tier(&mut self, _t: u32) {
        let w = std::mem::take(&mut self.window);
        self.window_id += 1;
        // Everyone the window saw: those there at its start and those who came.
        let present = (w.entries + w.online_at_start).max(1) as f64;
        self.window.online_at_start = self.online.len() as u64;
        let entries = present;
        let stay = w.viewer_secs as f64 / entries;
        let score = ((stay / self.p.target_stay_secs).min(2.0)
            + (w.interactors as f64 / entries / self.p.target_interaction_rate).min(2.0)
            + (w.buyers as f64 / entries / self.p.target_buyer_rate).min(2.0))
            / 3.0;
        let from = self.tier;
        if score > self.p.tier_up && self.tier + 1 < self.feed.impressions_per_min.len() {
            self.tier += 1;
        } else if score < self.p.tier_down && self.tier > 0 {
            self.tier -= 1;
        }
        if self.tier != from {
            let to = self.tier;
            self.emit(0, What::TierChanged { from, to, score: (score * 1000.0).round() / 1000.0 });
        }
    }

    /// The show ends: everyone still there leaves, and orders placed but
    /// not yet paid are paid now if they were going to be.
    fn everyone_leaves(&mut self) {
        let t = self.duration_s - 1;
        while !self.online.is_empty() {
            self.leave(self.online.len() - 1, t);
        }
        let due: Vec<u32> = self.payments.keys().copied().collect();
        for at in due {
            self.payments_due(at);
        }
    }
}

/// The index of the `n`-th set bit of `mask` (from 0, lowest first).
fn nth_bit(mut mask: u64, n: u32) -> usize {
    for _ in 0..n {
        mask &= mask - 1;
    }
    mask.trailing_zeros() as usize
}
