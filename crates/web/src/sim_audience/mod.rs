//! The simulated audience attached to a real room (live mode of docs/sim.md).
//!
//! [`LiveAudience`] runs `zhibo-sim`'s viewer model against a live room
//! through the room's own interface, the in-process equivalent of the
//! WebSocket: every simulated viewer who enters is one
//! [`RoomHandle::connect`] as a viewer (actor `sim:N`, name
//! "模拟观众·…"), and what the model has them do becomes that connection's
//! client messages (comment, like, follow, share, product_click,
//! grab_red_packet, vote). The room judges them as it judges anyone's
//! (rate limits, the word filter, mutes, bans) and logs them with the
//! normal event kinds, so the console, the viewer page and the figures
//! show them, marked by their actor as simulated.
//!
//! One more connection, the observer (a console connection that never
//! sends anything), reads the room's frames; [`signals`] reduces them to
//! what the console did (card pushed, price changed, lottery opened,
//! question answered, troll muted or its comment hidden, flash sale,
//! stream dropped), which becomes the model's operator inputs. So the
//! audience answers whoever runs the console, person or automation.
//!
//! The model decides everything and is stepped one second at a time by
//! [`LiveAudience::step`]: a wall-clock interval in a server
//! ([`registry`]), or a test moving a virtual clock. Red packets and polls
//! are not in the model; who grabs and who votes is drawn here from the
//! audience's own seeded generator. The model's orders stay simulated: a
//! room's orders are real money and stock of signed-in buyers, so
//! simulated viewers place none. A paid order of the model is sent as the
//! viewer's `simulated_order` message instead: the room logs it as
//! `sim.order.paid` and the console shows it as 模拟订单 / 模拟 GMV, apart
//! from real orders, GMV and stock; [`AudienceStatus`] counts it too.

pub mod lineup;
pub mod pages;
pub mod registry;
pub mod signals;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use zhibo_domain::event::Actor;
use zhibo_domain::{Clock, Fen, ProductId, Role};
use zhibo_live::protocol::ClientMessage;
use zhibo_live::{ConnectionKind, Identity, Inbound, LiveError, Outbound, RoomHandle};
use zhibo_sim::rng::Rng;
use zhibo_sim::{Happening, Incident, Model, OperatorAction, Scenario, What};

pub use registry::{Audiences, Pace};
use signals::Signal;

/// How an audience is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudienceOptions {
    pub seed: u64,
    /// Simulated viewer `n` of the model is the room's actor `sim:(base + n)`,
    /// so two audiences in one room's history never share an actor.
    pub actor_base: u64,
}

/// Actor numbers a lap of the model may use: a restarted audience's
/// viewers are new actors (no show has ten million arrivals).
const ACTORS_PER_LAP: u64 = 10_000_000;
/// Share of simulated viewers online who try for a red packet.
const RED_PACKET_GRAB_SHARE: f64 = 0.3;
/// Share of simulated viewers online who vote in a poll.
const POLL_VOTE_SHARE: f64 = 0.25;
/// Comments remembered for mapping the room's comment ids to the model's.
const REMEMBERED_COMMENTS: usize = 4096;
/// A viewer's comments awaiting their frame (the rest were refused).
const PENDING_PER_VIEWER: usize = 4;

/// Names simulated viewers go by, after "模拟观众·".
const NAMES: [&str; 30] = [
    "小张", "小李", "小王", "小陈", "小刘", "小杨", "小赵", "小黄", "小周", "小吴", "小徐", "小孙", "小马", "小朱",
    "小胡", "小郭", "小何", "小林", "小高", "小罗", "阿梅", "阿强", "阿芳", "阿杰", "阿丽", "老郑", "老梁", "老谢",
    "老宋", "老唐",
];

/// What an audience has done so far, for the console and the staff page.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AudienceStatus {
    pub scenario: String,
    pub seed: u64,
    pub paused: bool,
    /// Whether the audience still runs (false once stopped or its room closed).
    pub running: bool,
    /// Seconds of the model played (restarts included).
    pub seconds: u64,
    /// Simulated viewers connected to the room now.
    pub online: u64,
    pub entered: u64,
    pub comments: u64,
    pub likes: u64,
    pub follows: u64,
    pub shares: u64,
    pub clicks: u64,
    pub lottery_joins: u64,
    pub red_packet_grabs: u64,
    pub votes: u64,
    /// Messages the room refused or could not take (a stopped room).
    pub refused: u64,
    /// The model's orders: simulated only, never the room's orders.
    pub simulated_orders: u64,
    pub simulated_paid_fen: i64,
    /// Console actions the audience saw and reacted to.
    pub reactions: u64,
}

/// The open lottery, as simulated viewers join it.
#[derive(Debug, Clone)]
struct OpenLottery {
    keyword: Option<String>,
    by_follow: bool,
}

/// A comment the room has logged, as the model knows it.
#[derive(Debug, Clone, Copy)]
struct Said {
    viewer: u64,
    comment: u64,
    troll: bool,
}

/// A simulated audience attached to one room.
pub struct LiveAudience {
    room: RoomHandle,
    clock: Arc<dyn Clock>,
    scenario: Scenario,
    seed: u64,
    laps: u64,
    model: Model,
    map: lineup::ProductMap,
    actor_base: u64,
    observer: Outbound,
    observer_in: Inbound,
    /// Model viewer number → their connection, while online.
    viewers: BTreeMap<u64, Inbound>,
    /// Model viewer number → comments sent and not yet seen (text, model id, troll).
    pending: BTreeMap<u64, VecDeque<(&'static str, u64, bool)>>,
    /// Room comment id → the model's comment.
    said: BTreeMap<u64, Said>,
    lottery: Option<OpenLottery>,
    flash_product: Option<i64>,
    stream_live: bool,
    /// Second of the model → red-packet grabs and votes due then.
    scheduled: BTreeMap<u64, Vec<(u64, ClientMessage)>>,
    incident: usize,
    rng: Rng,
    signals: Vec<Signal>,
    happened: Vec<Happening>,
    status: AudienceStatus,
    closed: bool,
}

impl std::fmt::Debug for LiveAudience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveAudience").field("room", &self.room.room()).field("status", &self.status).finish()
    }
}

impl LiveAudience {
    /// Attaches an audience playing `scenario` to the room: its observer
    /// joins, reads the snapshot, and the scenario's products are fitted
    /// to the room's lineup. Nobody has entered yet: the first
    /// [`LiveAudience::step`] brings the first viewers.
    pub async fn attach(
        room: RoomHandle,
        clock: Arc<dyn Clock>,
        mut scenario: Scenario,
        options: AudienceOptions,
    ) -> Result<LiveAudience, LiveError> {
        // A simulated actor (viewer number 0, which no model viewer has), so
        // the room takes its `simulated_order` for a buyer who has left.
        let identity = Identity {
            actor: Actor::Sim(options.actor_base),
            name: "模拟观众（观察） / simulated audience (observer)".into(),
            role: Some(Role::Assistant),
            kind: ConnectionKind::Console,
        };
        let (observer_in, mut observer) = room.connect(identity).await?.split();
        let mut signals = Vec::new();
        // The first frame of a connection is its snapshot.
        if let Some(first) = observer.next().await {
            signals::read(&first, &mut signals);
        }
        let products = signals.iter().find_map(|s| match s {
            Signal::Snapshot { products, .. } => Some(products.clone()),
            _ => None,
        });
        let map = lineup::fit(&mut scenario, &products.unwrap_or_default());
        let status = AudienceStatus {
            scenario: scenario.title.clone(),
            seed: options.seed,
            running: true,
            ..AudienceStatus::default()
        };
        let mut audience = LiveAudience {
            model: Model::new(&scenario, options.seed),
            room,
            clock,
            scenario,
            seed: options.seed,
            laps: 0,
            map,
            actor_base: options.actor_base,
            observer,
            observer_in,
            viewers: BTreeMap::new(),
            pending: BTreeMap::new(),
            said: BTreeMap::new(),
            lottery: None,
            flash_product: None,
            stream_live: false,
            scheduled: BTreeMap::new(),
            incident: 0,
            rng: Rng::new(options.seed ^ 0x6C69_7665_2D61_7564),
            signals: Vec::new(),
            happened: Vec::new(),
            status,
            closed: false,
        };
        // What was already up when the audience came (a card, a lottery).
        for signal in signals {
            audience.react(signal);
        }
        Ok(audience)
    }

    pub fn status(&self) -> AudienceStatus {
        self.status.clone()
    }

    /// Whether the room has stopped under the audience.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// A paused audience keeps its viewers in the room but nobody acts,
    /// arrives or leaves, and its model's time stands still.
    pub fn set_paused(&mut self, paused: bool) {
        self.status.paused = paused;
    }

    /// How many scenario products were fitted to the room's lineup.
    pub fn products_matched(&self) -> usize {
        self.map.matched()
    }

    /// One second of the audience: reads what the room showed since the
    /// last step, lets the model react, steps it, and sends what its
    /// viewers do through their connections, in the model's order.
    pub async fn step(&mut self) {
        if self.closed {
            return;
        }
        self.signals.clear();
        while let Some(frame) = self.observer.try_next() {
            signals::read(&frame, &mut self.signals);
        }
        for signal in std::mem::take(&mut self.signals) {
            self.react(signal);
        }
        if self.status.paused {
            return;
        }
        if self.model.is_over() {
            // A show's audience is a show long; the room goes on, so a new
            // audience (the next seed) starts.
            self.laps += 1;
            self.model = Model::new(&self.scenario, self.seed.wrapping_add(self.laps));
            self.actor_base += ACTORS_PER_LAP;
            self.incident = 0;
            self.lottery = None;
            self.pending.clear();
            self.said.clear();
        }
        let t = self.model.second();
        while let Some(i) = self.scenario.incidents.get(self.incident).filter(|i| i.at_s <= t) {
            self.model.incident(&i.what);
            self.incident += 1;
        }
        self.happened.clear();
        self.happened.extend_from_slice(self.model.step());
        let happened = std::mem::take(&mut self.happened);
        let mut followed_now: Option<u64> = None;
        for h in &happened {
            self.carry_out(h, &mut followed_now).await;
            if self.closed {
                return;
            }
        }
        self.happened = happened;
        let second = self.status.seconds;
        if let Some(due) = self.scheduled.remove(&second) {
            for (viewer, message) in due {
                if self.viewers.contains_key(&viewer) {
                    self.send(viewer, message).await;
                }
            }
        }
        self.status.seconds += 1;
        self.status.online = self.viewers.len() as u64;
    }

    /// Every simulated viewer leaves the room (their connections close, so
    /// the room logs `viewer.left` for each); the observer goes too.
    pub fn stop(mut self) -> AudienceStatus {
        self.viewers.clear();
        self.status.online = 0;
        self.status.running = false;
        self.status.clone()
    }

    fn actor(&self, viewer: u64) -> Actor {
        Actor::Sim(self.actor_base + viewer)
    }

    fn viewer_of(&self, actor: &str) -> Option<u64> {
        match Actor::parse(actor).ok()? {
            Actor::Sim(n) if n > self.actor_base => Some(n - self.actor_base),
            _ => None,
        }
    }

    /// Turns what the room showed into the model's operator inputs.
    fn react(&mut self, signal: Signal) {
        let action = match signal {
            Signal::Snapshot { card, .. } => {
                card.and_then(|c| self.map.index(c)).map(|product| OperatorAction::PushCard { product })
            }
            Signal::CardPushed { product } => {
                self.map.index(product).map(|product| OperatorAction::PushCard { product })
            }
            Signal::CardUnpushed => Some(OperatorAction::UnpushCard),
            Signal::PriceChanged { product, live_price } => self
                .map
                .index(product)
                .map(|product| OperatorAction::SetPrice { product, price: Fen(live_price.max(1)) }),
            Signal::Comment { seq, viewer, text } => {
                if let Some(v) = self.viewer_of(&viewer)
                    && let Some(queue) = self.pending.get_mut(&v)
                    && let Some(at) = queue.iter().position(|(t, _, _)| *t == text)
                {
                    let (_, comment, troll) = queue[at];
                    queue.drain(..=at);
                    self.said.insert(seq, Said { viewer: v, comment, troll });
                    while self.said.len() > REMEMBERED_COMMENTS {
                        self.said.pop_first();
                    }
                }
                None
            }
            Signal::CommentHidden { seq } => {
                // Hiding a troll's comment is the console dealing with the
                // troll: the model's viewers see it as a mute.
                self.said.get(&seq).filter(|s| s.troll).map(|s| OperatorAction::Mute { viewer: s.viewer })
            }
            Signal::Silenced { viewer } => self.viewer_of(&viewer).map(|viewer| OperatorAction::Mute { viewer }),
            Signal::QuestionAnswered { seq } => {
                self.said.get(&seq).map(|s| OperatorAction::Answer { comment: s.comment })
            }
            Signal::LotteryOpened { keyword, by_follow, ends_at_ms } => {
                let secs = ((ends_at_ms - self.clock.now().millis()) / 1000).clamp(1, 24 * 3600) as u32;
                self.lottery = Some(OpenLottery { keyword, by_follow });
                Some(OperatorAction::Lottery { secs, require_follow: by_follow })
            }
            Signal::RedPacketSent { id } => {
                self.schedule_each(RED_PACKET_GRAB_SHARE, 1, 8, |_| ClientMessage::GrabRedPacket { id });
                self.status.reactions += 1;
                None
            }
            Signal::PollOpened { id, options } => {
                if options > 0 {
                    self.schedule_each(POLL_VOTE_SHARE, 2, 30, |rng| ClientMessage::Vote {
                        poll: id,
                        option: rng.below(u64::from(options)) as u32,
                    });
                    self.status.reactions += 1;
                }
                None
            }
            Signal::FlashSale { product, price_fen, quantity, running, ends_at_ms, now_ms } => {
                if !running {
                    self.flash_product = None;
                    None
                } else if self.flash_product == Some(product) {
                    None
                } else {
                    self.flash_product = Some(product);
                    let secs = ends_at_ms.map_or(600, |end| ((end - now_ms) / 1000).clamp(1, 24 * 3600) as u32);
                    self.map.index(product).map(|product| OperatorAction::FlashSale {
                        product,
                        price: Fen(price_fen.max(1)),
                        units: quantity,
                        secs,
                    })
                }
            }
            Signal::Stream { state } => {
                let live = state == "live";
                let incident = match (self.stream_live, live) {
                    // Only a stream that was up can drop: a room without
                    // video (the demo) is not a dropped stream.
                    (true, false) => Some(Incident::StreamDrop { secs: 24 * 3600 }),
                    (false, true) => Some(Incident::StreamDrop { secs: 0 }),
                    _ => None,
                };
                self.stream_live = live;
                if let Some(incident) = incident {
                    self.model.incident(&incident);
                    self.status.reactions += 1;
                }
                None
            }
        };
        if let Some(action) = action {
            self.model.apply(&action);
            self.status.reactions += 1;
        }
    }

    /// Schedules one message for a share of the viewers online, each at a
    /// random second `lo..=hi` from now (red packets, polls).
    fn schedule_each(&mut self, share: f64, lo: u32, hi: u32, mut message: impl FnMut(&mut Rng) -> ClientMessage) {
        let now = self.status.seconds;
        let online: Vec<u64> = self.viewers.keys().copied().collect();
        for viewer in online {
            if self.rng.chance(share) {
                let at = now + u64::from(self.rng.between(lo, hi));
                let m = message(&mut self.rng);
                self.scheduled.entry(at).or_default().push((viewer, m));
            }
        }
    }

    /// One thing the model's viewer did, through their connection.
    async fn carry_out(&mut self, h: &Happening, followed_now: &mut Option<u64>) {
        let v = h.viewer;
        match &h.what {
            What::Entered { .. } => {
                let identity = Identity {
                    actor: self.actor(v),
                    name: format!("模拟观众·{}", NAMES[((v - 1) % NAMES.len() as u64) as usize]),
                    role: None,
                    kind: ConnectionKind::Viewer,
                };
                match self.room.connect(identity).await {
                    Ok(connection) => {
                        // Simulated viewers read nothing: the observer reads
                        // for all of them, so each costs the room no frames.
                        let (inbound, _outbound) = connection.split();
                        self.viewers.insert(v, inbound);
                        self.status.entered += 1;
                    }
                    Err(_) => self.closed = true,
                }
            }
            What::Left { .. } => {
                self.viewers.remove(&v);
                self.pending.remove(&v);
            }
            What::Comment { id, intent, text, .. } => {
                let queue = self.pending.entry(v).or_default();
                queue.push_back((text, *id, *intent == zhibo_sim::Intent::Troll));
                if queue.len() > PENDING_PER_VIEWER {
                    queue.pop_front();
                }
                if self.send(v, ClientMessage::Comment { text: (*text).to_owned() }).await {
                    self.status.comments += 1;
                }
            }
            What::Like { count } => {
                if self.send(v, ClientMessage::Like { count: (*count).clamp(1, 100) }).await {
                    self.status.likes += u64::from(*count);
                }
            }
            What::Follow => {
                *followed_now = Some(v);
                if self.send(v, ClientMessage::Follow {}).await {
                    self.status.follows += 1;
                }
            }
            What::Share => {
                if self.send(v, ClientMessage::Share {}).await {
                    self.status.shares += 1;
                }
            }
            What::LotteryJoined { .. } => {
                let Some(lottery) = self.lottery.clone() else { return };
                let message = if lottery.by_follow {
                    // A viewer who had to follow to join has just followed.
                    if *followed_now == Some(v) {
                        self.status.lottery_joins += 1;
                        return;
                    }
                    ClientMessage::Follow {}
                } else {
                    ClientMessage::Comment { text: lottery.keyword.unwrap_or_else(|| "参与".to_owned()) }
                };
                if self.send(v, message).await {
                    self.status.lottery_joins += 1;
                }
            }
            What::Clicked { product, .. } => {
                if let Some(room_product) = self.map.room(*product)
                    && self.send(v, ClientMessage::ProductClick { product: ProductId(room_product) }).await
                {
                    self.status.clicks += 1;
                }
            }
            What::OrderPlaced { .. } => self.status.simulated_orders += 1,
            What::OrderPaid { product, amount, .. } => {
                self.status.simulated_paid_fen += amount.0;
                // The console sees it as simulated (模拟订单), never as a
                // real order: the room counts it apart.
                if let Some(room_product) = self.map.room(*product) {
                    let message =
                        ClientMessage::SimulatedOrder { product: ProductId(room_product), amount_fen: amount.0 };
                    if self.viewers.contains_key(&v) {
                        self.send(v, message).await;
                    } else if !self.observer_in.send(message).await {
                        // (Paid after the buyer left: the observer sent it,
                        // or, as here, found the room stopped.)
                        self.closed = true;
                    }
                }
            }
            // The platform's own doings (draws, paid traffic, feed tiers)
            // are the model's, not the room's.
            What::LotteryDrawn { .. } | What::TrafficSpent { .. } | What::TierChanged { .. } => {}
        }
    }

    /// Sends a viewer's message; `false` when they are not online or the
    /// room has stopped.
    async fn send(&mut self, viewer: u64, message: ClientMessage) -> bool {
        if let ClientMessage::GrabRedPacket { .. } = message {
            self.status.red_packet_grabs += 1;
        }
        if let ClientMessage::Vote { .. } = message {
            self.status.votes += 1;
        }
        let Some(inbound) = self.viewers.get(&viewer) else { return false };
        if inbound.send(message).await {
            true
        } else {
            self.status.refused += 1;
            self.closed = true;
            false
        }
    }
}
