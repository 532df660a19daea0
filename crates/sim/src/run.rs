//! A headless show: the model, an operator and the scenario's incidents,
//! played second by second on a [`VirtualClock`], written as the room's
//! event log (the domain's [`Event`]s, numbered from 1, stamped by the
//! clock). The log is handed to a sink one event at a time, so a long show
//! needs no memory for it.
//!
//! Within a second, events are spread over its thousand milliseconds in
//! the order they happened, so the log's times never go back and a viewer
//! who arrives and leaves in one second still has a watch time.

use serde_json::{Value, json};
use zhibo_domain::event::{Actor, Event, EventKind};
use zhibo_domain::{Clock, Fen, RoomId, Timestamp, VirtualClock};

use crate::action::{Happening, OperatorAction, What};
use crate::model::Model;
use crate::operator::Operator;
use crate::scenario::{AGE_BANDS, DEVICES, Scenario};

/// The room id headless logs carry (no real room behind them).
pub const HEADLESS_ROOM: RoomId = RoomId(0);

/// What a finished run reports besides its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunStats {
    pub events: u64,
    pub arrivals: usize,
    /// Viewer-seconds simulated: every viewer online, every second.
    pub agent_steps: u64,
    /// Of those, the ones the model looked at one by one (the others
    /// passed quietly, skipped; docs/sim.md).
    pub looked_at: u64,
}

/// Plays the whole show, handing every event of the log to `sink`.
pub fn play(scenario: &Scenario, seed: u64, operator: &mut dyn Operator, sink: &mut dyn FnMut(Event)) -> RunStats {
    let mut model = Model::new(scenario, seed);
    let clock = VirtualClock::starting_at(scenario.starts_at);
    let mut log = Log { scenario, clock: clock.clone(), seq: 0, sink };
    let mut pending: Vec<(&'static str, Option<Fen>, Value)> = Vec::new();
    let mut seen: Vec<Happening> = Vec::new();
    let mut actions: Vec<OperatorAction> = Vec::new();
    let mut incident = 0;
    let mut segment_open: Option<usize> = None;
    let mut arrivals = 0;
    log.at(0);
    log.write(&[("show.started", None, json!({ "title": scenario.title, "seed": seed, "headless": true }))], &[]);
    while !model.is_over() {
        let t = model.second();
        pending.clear();
        // The run sheet's segments, as the room's timer would log them.
        if let Some(open) = segment_open
            && scenario.segments[open].end_s <= t
        {
            pending.push(("segment.ended", None, json!({ "index": open })));
            segment_open = None;
        }
        if segment_open.is_none()
            && let Some(i) = scenario.segments.iter().position(|s| s.start_s == t)
        {
            let s = &scenario.segments[i];
            let product = s.product.map(|p| scenario.products[p].key.clone());
            pending.push((
                "segment.started",
                None,
                json!({ "index": i, "title": s.title, "kind": s.kind.as_str(), "product": product }),
            ));
            segment_open = Some(i);
        }
        while let Some(inc) = scenario.incidents.get(incident).filter(|i| i.at_s <= t) {
            model.incident(&inc.what);
            pending.push(("incident.started", None, incident_payload(scenario, &inc.what)));
            incident += 1;
        }
        actions.clear();
        operator.act(t, &seen, &mut actions);
        for a in &actions {
            pending.push(operator_event(scenario, &model, a));
            model.apply(a);
        }
        let happened = model.step();
        seen.clear();
        seen.extend_from_slice(happened);
        arrivals = model.view().arrivals;
        log.at(t);
        log.write(&pending, &seen);
    }
    log.at(scenario.duration_s);
    let mut closing = Vec::new();
    if let Some(open) = segment_open {
        closing.push(("segment.ended", None, json!({ "index": open })));
    }
    closing.push(("show.ended", None, json!({})));
    // Both at the show's last instant, not spread over a second after it.
    for event in closing {
        log.write(&[event], &[]);
    }
    RunStats { events: log.seq, arrivals, agent_steps: model.agent_steps(), looked_at: model.looked_at() }
}

/// Plays the show like [`play`] but writes no log: the model, the
/// operator and the incidents only (the benchmark's like-for-like figure
/// beside a peer that keeps no log).
pub fn play_silent(scenario: &Scenario, seed: u64, operator: &mut dyn Operator) -> RunStats {
    let mut model = Model::new(scenario, seed);
    let mut seen: Vec<Happening> = Vec::new();
    let mut actions: Vec<OperatorAction> = Vec::new();
    let mut incident = 0;
    let mut events = 0u64;
    while !model.is_over() {
        let t = model.second();
        while let Some(inc) = scenario.incidents.get(incident).filter(|i| i.at_s <= t) {
            model.incident(&inc.what);
            incident += 1;
        }
        actions.clear();
        operator.act(t, &seen, &mut actions);
        for a in &actions {
            model.apply(a);
        }
        let happened = model.step();
        events += happened.len() as u64;
        seen.clear();
        seen.extend_from_slice(happened);
    }
    RunStats { events, arrivals: model.view().arrivals, agent_steps: model.agent_steps(), looked_at: model.looked_at() }
}

struct Log<'a> {
    scenario: &'a Scenario,
    clock: VirtualClock,
    seq: u64,
    sink: &'a mut dyn FnMut(Event),
}

impl Log<'_> {
    fn at(&mut self, second: u32) {
        self.clock.set(self.scenario.starts_at.plus_secs(i64::from(second)));
    }

    fn write(&mut self, system: &[(&'static str, Option<Fen>, Value)], viewers: &[Happening]) {
        let base = self.clock.now();
        let n = (system.len() + viewers.len()).max(1) as i64;
        let mut k = 0i64;
        for (kind, amount, payload) in system {
            self.emit(base, k, n, kind, Actor::System, *amount, payload.clone());
            k += 1;
        }
        for h in viewers {
            let (kind, amount, payload) = happening_event(self.scenario, h);
            let actor = if h.viewer == 0 { Actor::System } else { Actor::Sim(h.viewer) };
            self.emit(base, k, n, kind, actor, amount, payload);
            k += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(&mut self, base: Timestamp, k: i64, n: i64, kind: &str, actor: Actor, amount: Option<Fen>, payload: Value) {
        self.seq += 1;
        let kind = EventKind::parse(kind).expect("the simulator's kinds are valid");
        (self.sink)(Event {
            room: HEADLESS_ROOM,
            seq: self.seq,
            time: base.plus_millis(k * 1000 / n),
            kind,
            actor,
            amount,
            payload,
        });
    }
}

fn product_key(scenario: &Scenario, product: usize) -> &str {
    &scenario.products[product].key
}

fn sim_actor(viewer: u64) -> String {
    Actor::Sim(viewer).to_string()
}

/// A viewer's (or the platform's) action as the room's event.
fn happening_event(scenario: &Scenario, h: &Happening) -> (&'static str, Option<Fen>, Value) {
    match &h.what {
        What::Entered { source, persona } => {
            let interests: Vec<&str> = scenario
                .categories
                .iter()
                .enumerate()
                .filter(|(c, _)| persona.likes(*c))
                .map(|(_, name)| name.as_str())
                .collect();
            let payload = json!({
                "name": format!("观众{}", h.viewer),
                "source": source.as_str(),
                "age": AGE_BANDS[persona.age_band as usize],
                "gender": if persona.female { "f" } else { "m" },
                "device": DEVICES[persona.device as usize],
                "follower": persona.follower,
                "price_sensitivity": (persona.price_sensitivity * 100.0).round() / 100.0,
                "interests": interests,
                "troll": persona.troll,
            });
            ("viewer.entered", None, payload)
        }
        What::Left { stayed_s } => ("viewer.left", None, json!({ "stayed_s": stayed_s })),
        What::Comment { id, intent, text, product, muted } => (
            "comment.posted",
            None,
            json!({
                "name": format!("观众{}", h.viewer),
                "text": text,
                "muted": muted,
                "comment": id,
                "intent": intent.as_str(),
                "product": product.map(|p| product_key(scenario, p)),
            }),
        ),
        What::Like { count } => ("like", None, json!({ "count": count })),
        What::Follow => ("follow", None, json!({})),
        What::Share => ("share", None, json!({})),
        What::LotteryJoined { lottery } => ("lottery.joined", None, json!({ "lottery": lottery })),
        What::Clicked { product, opened } => {
            ("product.clicked", None, json!({ "product": product_key(scenario, *product), "opened": opened }))
        }
        What::OrderPlaced { order, product, units, unit_price, coupon, amount } => (
            "order.placed",
            None,
            json!({
                "order": order,
                "product": product_key(scenario, *product),
                "units": units,
                "unit_price_fen": unit_price.0,
                "coupon_fen": coupon.0,
                "amount_fen": amount.0,
            }),
        ),
        What::OrderPaid { order, product, amount } => {
            ("order.paid", Some(*amount), json!({ "order": order, "product": product_key(scenario, *product) }))
        }
        What::LotteryDrawn { lottery, winners, entrants } => {
            let winners: Vec<String> = winners.iter().map(|w| sim_actor(*w)).collect();
            ("lottery.drawn", None, json!({ "lottery": lottery, "winners": winners, "entrants": entrants }))
        }
        What::TrafficSpent { amount, entries } => ("traffic.spent", Some(*amount), json!({ "entries": entries })),
        What::TierChanged { from, to, score } => {
            ("traffic.tier_changed", None, json!({ "from": from, "to": to, "score": score }))
        }
    }
}

/// An operator action as the room would log it.
fn operator_event(scenario: &Scenario, model: &Model, a: &OperatorAction) -> (&'static str, Option<Fen>, Value) {
    let key = |p: usize| product_key(scenario, p).to_owned();
    match *a {
        OperatorAction::PushCard { product } => {
            ("card.pushed", None, json!({ "product": key(product), "live_price": model.price(product).0 }))
        }
        OperatorAction::UnpushCard => ("card.unpushed", None, json!({})),
        OperatorAction::SetPrice { product, price } => {
            ("price.changed", None, json!({ "product": key(product), "old": model.price(product).0, "new": price.0 }))
        }
        OperatorAction::Coupon { product, off, min_price, secs } => (
            "coupon.issued",
            None,
            json!({ "product": product.map(key), "off_fen": off.0, "min_price_fen": min_price.0, "seconds": secs }),
        ),
        OperatorAction::Lottery { secs, require_follow } => {
            ("lottery.opened", None, json!({ "seconds": secs, "require_follow": require_follow }))
        }
        OperatorAction::FlashSale { product, price, units, secs } => (
            "flash_sale.started",
            None,
            json!({ "product": key(product), "price_fen": price.0, "units": units, "seconds": secs }),
        ),
        OperatorAction::Answer { comment } => ("question.answered", None, json!({ "comment": comment })),
        OperatorAction::Mute { viewer } => ("viewer.muted", None, json!({ "viewer": sim_actor(viewer) })),
    }
}

fn incident_payload(scenario: &Scenario, i: &crate::Incident) -> Value {
    use crate::Incident as I;
    let key = |p: usize| product_key(scenario, p).to_owned();
    match *i {
        I::StreamDrop { secs } => json!({ "incident": i.kind(), "seconds": secs }),
        I::DeadLink { product, secs } => json!({ "incident": i.kind(), "product": key(product), "seconds": secs }),
        I::WrongPrice { product, price } => {
            json!({ "incident": i.kind(), "product": key(product), "price_fen": price.0 })
        }
        I::TrollWave { trolls } => json!({ "incident": i.kind(), "trolls": trolls }),
        I::StockOut { product } => json!({ "incident": i.kind(), "product": key(product) }),
        I::TrafficSurge { factor, secs } => json!({ "incident": i.kind(), "factor": factor, "seconds": secs }),
    }
}
