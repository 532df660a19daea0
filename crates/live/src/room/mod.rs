//! One live room's task and the handles that reach it.
//!
//! The task owns the room's hot state outright; connections send it
//! [`Command`]s over a channel and receive frames from a broadcast of
//! `Bytes` (one serialization per batch, shared by every viewer) plus a
//! small private channel for what concerns them alone (their snapshot,
//! their error frames, a muted viewer's own comments).
//!
//! Every accepted action becomes an event appended to the room's log. The
//! state changes at once (so the next command is judged against it), but
//! the frame telling viewers goes out only when the append is acknowledged
//! durable: appends are started in order and awaited in order, so frames
//! leave in log order while the group commit batches many appends into one
//! transaction. If an append fails, its frame is never sent and the sender
//! gets an `unavailable` error.

use bytes::Bytes;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::MissedTickBehavior;
use zhibo_domain::event::{Actor, Event, EventKind, NewEvent};
use zhibo_domain::{Permission, ProductId, Role, RoomId, Timestamp};

use crate::LiveError;
use crate::data::{LineupEntry, RoomInfo, RoomStatus};
use crate::hub::Deps;
use crate::interactions::{Effect, Interactions};
use crate::limits::RateLimiter;
use crate::moderation::{HeldComment, Moderation, ModerationFrame};
use crate::protocol::{self, CardView, ClientMessage, CommentView, ErrorCode, Frame, ProtocolError};
use crate::run_sheet::RunSheet;

mod automation;
mod flash_sale;
mod highlight;
mod lifecycle;
mod orders;
mod presentation;
mod reminders;
mod stream;

pub use stream::{StreamEvent, StreamUpdate};

/// Which endpoint a connection came through. Console messages are refused
/// on a viewer connection whatever the caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    Viewer,
    Console,
}

/// Who is on the other end of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub actor: Actor,
    pub name: String,
    /// The signed-in account's role; `None` for an anonymous viewer.
    pub role: Option<Role>,
    pub kind: ConnectionKind,
}

impl Identity {
    fn may_run_console(&self) -> bool {
        self.kind == ConnectionKind::Console && self.role.is_some_and(|r| r.can(Permission::LiveConsole))
    }
}

/// The room's live figures, for the console.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoomStats {
    pub online: u64,
    pub peak: u64,
    pub entries: u64,
    pub likes: u64,
    pub comments: u64,
    /// Distinct viewers who followed (crate::figures).
    pub follows: u64,
    pub shares: u64,
    pub product_clicks: u64,
    /// Per clock minute (its first millisecond), the last hour.
    pub minutes: Vec<(Timestamp, MinuteCounters)>,
}

/// What happened in one minute of the clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MinuteCounters {
    pub entries: u64,
    pub comments: u64,
    pub likes: u64,
    pub follows: u64,
    pub shares: u64,
    pub product_clicks: u64,
}

/// Minutes of counters a room keeps.
const KEPT_MINUTES: usize = 60;

pub(crate) struct Joined {
    conn: u64,
    frames: broadcast::Receiver<Bytes>,
}

/// What a room task is asked to do.
pub(crate) enum Command {
    Join {
        identity: Identity,
        private: mpsc::Sender<Bytes>,
        reply: oneshot::Sender<Result<Joined, LiveError>>,
    },
    Leave {
        conn: u64,
    },
    Message {
        conn: u64,
        message: ClientMessage,
    },
    /// The connection fell behind the broadcast: send it a snapshot.
    Resync {
        conn: u64,
    },
    /// Wait for every started append, then send the batch now.
    Flush {
        reply: oneshot::Sender<()>,
    },
    Stats {
        reply: oneshot::Sender<RoomStats>,
    },
    /// What happened to the show's video stream (room/stream.rs).
    Stream(StreamUpdate),
    /// An order event already in the room's log (room/orders.rs).
    Observe(Event),
}

/// A room's address. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RoomHandle {
    room: RoomId,
    commands: mpsc::Sender<Command>,
    private_capacity: usize,
    /// The flash sales' published views (room/flash_sale.rs).
    edge: Arc<flash_sale::Edge>,
}

impl RoomHandle {
    pub fn room(&self) -> RoomId {
        self.room
    }

    /// Whether the room's task has stopped.
    pub fn is_closed(&self) -> bool {
        self.commands.is_closed()
    }

    /// Joins the room. The first frame the connection receives is its
    /// snapshot.
    pub async fn connect(&self, identity: Identity) -> Result<Connection, LiveError> {
        let unavailable = || LiveError::RoomUnavailable(self.room);
        let flash = flash_sale::Seat::new(self.edge.clone(), &identity.actor);
        let (private_tx, private_rx) = mpsc::channel(self.private_capacity);
        let (reply, answer) = oneshot::channel();
        let join = Command::Join { identity, private: private_tx.clone(), reply };
        self.commands.send(join).await.map_err(|_| unavailable())?;
        let joined = answer.await.map_err(|_| unavailable())??;
        let guard = Arc::new(LeaveGuard { conn: joined.conn, commands: self.commands.clone() });
        Ok(Connection {
            inbound: Inbound {
                conn: joined.conn,
                commands: self.commands.clone(),
                private: private_tx,
                flash,
                _guard: guard.clone(),
            },
            outbound: Outbound {
                conn: joined.conn,
                frames: joined.frames,
                private: private_rx,
                commands: self.commands.clone(),
                _guard: guard,
            },
        })
    }

    /// Waits until everything sent to the room so far is durable and its
    /// frames are broadcast (tests and shutdown; the room flushes by itself
    /// on its tick).
    pub async fn flush(&self) {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Flush { reply }).await.is_ok() {
            let _ = answer.await;
        }
    }

    /// Tells the room of an event the web layer already appended to its
    /// log: an order's (`order.paid`, …; the console's figures and the
    /// lineup's stock follow, room/orders.rs) or the show's start or end
    /// (room/lifecycle.rs). A stopped room ignores it.
    pub async fn observe(&self, event: Event) {
        let _ = self.commands.send(Command::Observe(event)).await;
    }

    /// The room's live figures; `None` when the room has stopped.
    pub async fn stats(&self) -> Option<RoomStats> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Stats { reply }).await.ok()?;
        answer.await.ok()
    }
}

/// Tells the room a connection is gone once both its halves are dropped.
#[derive(Debug)]
struct LeaveGuard {
    conn: u64,
    commands: mpsc::Sender<Command>,
}

impl Drop for LeaveGuard {
    fn drop(&mut self) {
        let leave = Command::Leave { conn: self.conn };
        if let Err(mpsc::error::TrySendError::Full(leave)) = self.commands.try_send(leave) {
            // A full queue must not lose the leave (the online count would
            // drift), so it waits on a task of its own.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let commands = self.commands.clone();
                runtime.spawn(async move {
                    let _ = commands.send(leave).await;
                });
            }
        }
    }
}

/// One joined connection: what the client says and what it is sent.
#[derive(Debug)]
pub struct Connection {
    pub inbound: Inbound,
    pub outbound: Outbound,
}

impl Connection {
    pub fn split(self) -> (Inbound, Outbound) {
        (self.inbound, self.outbound)
    }
}

/// The sending half: what the client says, to the room.
#[derive(Debug)]
pub struct Inbound {
    conn: u64,
    commands: mpsc::Sender<Command>,
    private: mpsc::Sender<Bytes>,
    /// Where this connection answers flash-sale attempts itself.
    flash: flash_sale::Seat,
    _guard: Arc<LeaveGuard>,
}

/// What became of a client's text message ([`Inbound::receive`]).
#[derive(Debug)]
pub enum Received {
    /// Handed to the room, which answers on the outbound half if at all.
    Sent,
    /// Answered at once, without the room (a message that does not parse,
    /// a final flash-sale refusal): this frame is for this client alone.
    Answered(Bytes),
    /// The room has stopped.
    Closed,
}

impl Inbound {
    pub fn id(&self) -> u64 {
        self.conn
    }

    /// Parses one text message and hands it to the room; a message that
    /// does not parse is answered with an error frame to this connection
    /// alone and never reaches the room. `false` once the room has stopped.
    pub async fn send_text(&self, text: &str) -> bool {
        match self.receive(text).await {
            Received::Sent => true,
            Received::Answered(frame) => {
                let _ = self.private.try_send(frame);
                true
            }
            Received::Closed => false,
        }
    }

    /// As [`Inbound::send_text`], but an answer given at once is returned
    /// for the caller to write itself (with others, in one write) instead
    /// of queued on the outbound half.
    pub async fn receive(&self, text: &str) -> Received {
        if let Some(received) = self.flash_buy(text).await {
            return received;
        }
        match ClientMessage::parse(text) {
            Ok(message) => {
                if self.send(message).await {
                    Received::Sent
                } else {
                    Received::Closed
                }
            }
            Err(error) => Received::Answered(error.to_frame()),
        }
    }

    /// Answers this connection alone with an error frame (for input the
    /// socket layer refuses itself, such as a binary message).
    pub fn reject(&self, error: ProtocolError) {
        let _ = self.private.try_send(error.to_frame());
    }

    /// Hands an already parsed message to the room.
    pub async fn send(&self, message: ClientMessage) -> bool {
        self.commands.send(Command::Message { conn: self.conn, message }).await.is_ok()
    }
}

/// The receiving half: frames for this connection, in order.
#[derive(Debug)]
pub struct Outbound {
    conn: u64,
    frames: broadcast::Receiver<Bytes>,
    private: mpsc::Receiver<Bytes>,
    commands: mpsc::Sender<Command>,
    _guard: Arc<LeaveGuard>,
}

impl Outbound {
    /// The next message to send to the client; `None` once the room has
    /// stopped. A connection that fell behind the broadcast skips what it
    /// missed and gets a fresh snapshot instead, so a slow client costs a
    /// bounded queue, never an ever-growing one. Cancel-safe: dropping the
    /// future loses nothing, so a socket task may `select!` on it.
    pub async fn next(&mut self) -> Option<Bytes> {
        loop {
            tokio::select! {
                biased;
                Some(frame) = self.private.recv() => return Some(frame),
                received = self.frames.recv() => match received {
                    Ok(frame) => return Some(frame),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !self.ask_resync() {
                            return None;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return self.private.try_recv().ok(),
                },
            }
        }
    }

    /// The next message if one is ready now, without waiting: a writer
    /// that fell behind hands the socket several in one write. Same order
    /// and same resync on lag as [`Outbound::next`].
    pub fn try_next(&mut self) -> Option<Bytes> {
        if let Ok(frame) = self.private.try_recv() {
            return Some(frame);
        }
        loop {
            match self.frames.try_recv() {
                Ok(frame) => return Some(frame),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    if !self.ask_resync() {
                        return None;
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Asks the room for a snapshot for this connection, which missed
    /// frames; `false` once the room has stopped. Never waits: a full
    /// queue must not lose the request, so it then waits on a task of its
    /// own (as a leave does).
    fn ask_resync(&self) -> bool {
        match self.commands.try_send(Command::Resync { conn: self.conn }) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(resync)) => {
                let commands = self.commands.clone();
                tokio::spawn(async move {
                    let _ = commands.send(resync).await;
                });
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Starts a room's task and returns its handle.
pub(crate) fn start(room: RoomId, deps: Deps) -> RoomHandle {
    let (commands, inbox) = mpsc::channel(deps.config.command_capacity.max(1));
    let private_capacity = deps.config.private_capacity.max(1);
    let edge = Arc::new(flash_sale::Edge::new(deps.clock.clone()));
    tokio::spawn(run(room, deps, inbox, edge.boards.clone()));
    RoomHandle { room, commands, private_capacity, edge }
}

async fn run(
    room: RoomId,
    deps: Deps,
    mut inbox: mpsc::Receiver<Command>,
    boards: Arc<crate::flash_sale::FlashBoards>,
) {
    let info = match deps.data.load(room).await {
        Ok(Some(info)) => info,
        Ok(None) => return refuse(inbox, LiveError::RoomNotFound(room)).await,
        Err(error) => {
            tracing::error!(%room, %error, "room data not loaded");
            return refuse(inbox, error).await;
        }
    };
    // A room whose word list cannot be read does not start: running it
    // unfiltered would show what the shop asked to keep out.
    let moderation = match deps.data.moderation(room).await {
        Ok(settings) => Moderation::new(&settings),
        Err(error) => {
            tracing::error!(%room, %error, "moderation settings not loaded");
            return refuse(inbox, error).await;
        }
    };
    // Without its run sheet the room still runs; the console's timer is
    // then empty.
    let run_sheet = deps.data.run_sheet(room).await.unwrap_or_else(|error| {
        tracing::error!(%room, %error, "run sheet not loaded");
        Default::default()
    });
    let automation = automation::load(room, &deps, info.status, &run_sheet).await;
    let mut state = Room::new(room, info, deps);
    state.restore_presentation().await;
    state.moderation = moderation;
    state.run_sheet = RunSheet::new(run_sheet);
    state.flash.boards = boards;
    match flash_sale::load(room, &state.deps).await {
        Ok(loaded) => state.flash_resume(loaded),
        Err(error) => {
            tracing::error!(%room, %error, "flash sales not loaded");
            return refuse(inbox, error).await;
        }
    }
    state.automation = automation;
    let mut tick = tokio::time::interval(state.deps.config.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Idleness is counted in ticks, so the engine never reads a clock of
    // its own: the room stops after `idle_after` worth of empty ticks.
    let idle_limit = (state.deps.config.idle_after.as_millis() / state.deps.config.tick.as_millis().max(1)).max(1);
    let mut idle_ticks: u128 = 0;
    loop {
        tokio::select! {
            command = inbox.recv() => match command {
                Some(Command::Flush { reply }) => {
                    state.interactions_tick();
                    state.start_like_appends();
                    while !state.inflight.is_empty() {
                        let result = next_ack(&mut state.inflight).await;
                        state.acknowledged(result);
                    }
                    state.send_batch();
                    let _ = reply.send(());
                }
                Some(command) => state.handle(command),
                None => break,
            },
            result = next_ack(&mut state.inflight), if !state.inflight.is_empty() => state.acknowledged(result),
            _ = tick.tick() => {
                state.interactions_tick();
                state.start_like_appends();
                state.send_batch();
                // An open lottery, red packet or poll keeps the room: its
                // state is only here (a lottery is drawn on its tick).
                if !state.conns.is_empty() || !state.inflight.is_empty() || state.interactions.anything_open() {
                    idle_ticks = 0;
                } else {
                    idle_ticks += 1;
                    if idle_ticks >= idle_limit {
                        break;
                    }
                }
            }
        }
    }
    // Whatever was started still becomes durable and is announced.
    while !state.inflight.is_empty() {
        let result = next_ack(&mut state.inflight).await;
        state.acknowledged(result);
    }
    state.send_batch();
}

/// A room that cannot start answers the joins already queued, then stops.
async fn refuse(mut inbox: mpsc::Receiver<Command>, error: LiveError) {
    inbox.close();
    while let Some(command) = inbox.recv().await {
        if let Command::Join { reply, .. } = command {
            let _ = reply.send(Err(error.clone()));
        }
    }
}

type AppendFuture = Pin<Box<dyn Future<Output = zhibo_store::Result<Event>> + Send>>;

/// An append that was started and what to do once it is durable.
struct InFlight {
    future: AppendFuture,
    done: Option<zhibo_store::Result<Event>>,
    then: Then,
}

/// What to release once an append is durable. `Held`: a comment held for
/// review, to consoles (crate::moderation). `Moderated`: frames for
/// consoles, frames for everyone, and a comment now shown (an approved
/// one), in that order.
enum Then {
    Nothing,
    Broadcast(Frame),
    Comment {
        conn: u64,
        viewer: String,
        name: String,
        text: String,
        shadow: bool,
    },
    Likes(u64),
    Held(HeldComment),
    /// A price or stock change (crate::lineup), persisted then logged.
    Lineup(crate::lineup::LineupOp),
    /// A standalone frame for every console (the run sheet's).
    Consoles(Bytes),
    /// A stream change (room/stream.rs): details to consoles, state to everyone.
    Stream(Bytes, Option<Vec<u8>>),
    Moderated(Vec<ModerationFrame>, Vec<Vec<u8>>, Option<CommentView>),
    /// A frame for everyone (room/presentation.rs); a failure is told to `conn`.
    Presented {
        conn: u64,
        frame: Vec<u8>,
    },
    /// A flash sale's open, win or close (room/flash_sale.rs).
    Flash(flash_sale::Pending),
    /// A coupon reminder or cart nudge (room/reminders.rs).
    Reminder(reminders::Sending),
}

/// The oldest started append's result, once it has one.
async fn next_ack(inflight: &mut VecDeque<InFlight>) -> zhibo_store::Result<Event> {
    poll_fn(|cx| {
        let Some(front) = inflight.front_mut() else { return Poll::Pending };
        if let Some(done) = front.done.take() {
            return Poll::Ready(done);
        }
        front.future.as_mut().poll(cx)
    })
    .await
}

struct Conn {
    identity: Identity,
    private: mpsc::Sender<Bytes>,
}

/// The room's hot state, owned by its task alone.
struct Room {
    id: RoomId,
    deps: Deps,
    title: String,
    status: RoomStatus,
    lineup: Vec<LineupEntry>,
    card: Option<ProductId>,
    topic: Option<String>,
    muted: HashMap<Actor, Timestamp>,
    banned: HashSet<Actor>,
    conns: HashMap<u64, Conn>,
    /// The connections that may run the console, so that per-tick console
    /// work never walks every viewer of a large room.
    console_conns: std::collections::BTreeSet<u64>,
    next_conn: u64,
    stats: RoomStats,
    minutes: BTreeMap<Timestamp, MinuteCounters>,
    limiter: RateLimiter,
    likes_pending: HashMap<Actor, u64>,
    likes_acked: u64,
    recent: VecDeque<CommentView>,
    out: Vec<Vec<u8>>,
    announced_online: u64,
    broadcast: broadcast::Sender<Bytes>,
    inflight: VecDeque<InFlight>,
    moderation: Moderation,
    interactions: Interactions,
    run_sheet: RunSheet,
    lineup_signals: crate::lineup::Signals,
    figures: crate::figures::Figures,
    stream: stream::StreamView,
    stream_clock: highlight::StreamClock,
    presentation: presentation::Presentation,
    flash: flash_sale::FlashDesk,
    automation: crate::automation::Schedule,
    reminders: reminders::ReminderDesk,
}

impl Room {
    fn new(id: RoomId, info: RoomInfo, deps: Deps) -> Room {
        let (broadcast, _) = broadcast::channel(deps.config.broadcast_capacity.max(1));
        let limiter = RateLimiter::new(deps.config.limits);
        Room {
            id,
            title: info.title,
            status: info.status,
            lineup: info.lineup,
            deps,
            card: None,
            topic: None,
            muted: HashMap::new(),
            banned: HashSet::new(),
            conns: HashMap::new(),
            console_conns: Default::default(),
            next_conn: 1,
            stats: RoomStats::default(),
            minutes: BTreeMap::new(),
            limiter,
            likes_pending: HashMap::new(),
            likes_acked: 0,
            recent: VecDeque::new(),
            out: Vec::new(),
            announced_online: 0,
            broadcast,
            inflight: VecDeque::new(),
            moderation: Moderation::default(),
            interactions: Interactions::default(),
            run_sheet: RunSheet::default(),
            lineup_signals: crate::lineup::Signals::default(),
            figures: crate::figures::Figures::default(),
            stream: stream::StreamView::default(),
            stream_clock: highlight::StreamClock::default(),
            presentation: presentation::Presentation::default(),
            flash: flash_sale::FlashDesk::default(),
            automation: crate::automation::Schedule::default(),
            reminders: reminders::ReminderDesk::default(),
        }
    }

    fn now(&self) -> Timestamp {
        self.deps.clock.now()
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Join { identity, private, reply } => self.join(identity, private, reply),
            Command::Leave { conn } => self.leave(conn),
            Command::Message { conn, message } => {
                if let Err(error) = self.message(conn, message) {
                    self.tell(conn, error.to_frame());
                }
            }
            Command::Resync { conn } => {
                if let Some(snapshot) = self.snapshot(conn) {
                    self.tell(conn, snapshot);
                    self.tell_moderation(conn);
                    self.tell_run_sheet(conn);
                    self.tell_figures(conn);
                    self.tell_flash(conn);
                    self.tell_stream(conn);
                    self.tell_reminders(conn);
                }
            }
            Command::Stream(update) => self.stream_update(update),
            Command::Observe(event) => {
                self.observe_show(&event);
                self.observe_order(&event);
                self.flash_observe(&event);
            }
            Command::Stats { reply } => {
                let mut stats = self.stats.clone();
                stats.minutes = self.minutes.iter().map(|(m, c)| (*m, *c)).collect();
                let _ = reply.send(stats);
            }
            // handled by the loop, which can wait
            Command::Flush { reply } => {
                let _ = reply.send(());
            }
        }
    }

    /// To one connection only; dropped when its queue is full, which only
    /// a client flooding the room (and not reading) ever reaches.
    fn tell(&self, conn: u64, frame: Bytes) {
        if let Some(c) = self.conns.get(&conn) {
            let _ = c.private.try_send(frame);
        }
    }

    fn join(
        &mut self,
        identity: Identity,
        private: mpsc::Sender<Bytes>,
        reply: oneshot::Sender<Result<Joined, LiveError>>,
    ) {
        // What is already acknowledged goes out first, so the snapshot
        // below and the batches after it never repeat a comment. A join
        // alone sends nothing: the online count goes out on the tick, or a
        // crowd of N joins would be N batches to every viewer already in.
        if !self.out.is_empty() || self.likes_acked > 0 {
            self.send_batch();
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        let frames = self.broadcast.subscribe();
        if reply.send(Ok(Joined { conn, frames })).is_err() {
            return;
        }
        let viewer = identity.kind == ConnectionKind::Viewer;
        let event = viewer.then(|| (identity.actor.clone(), serde_json::json!({ "name": identity.name })));
        self.limiter.connected(&identity.actor);
        if identity.may_run_console() {
            self.console_conns.insert(conn);
        }
        self.conns.insert(conn, Conn { identity, private });
        if let Some((actor, payload)) = event {
            self.stats.online += 1;
            self.stats.peak = self.stats.peak.max(self.stats.online);
            self.stats.entries += 1;
            self.count(|m| m.entries += 1);
            self.figures.entered(&actor, self.now(), self.stats.online);
            self.arrived(conn);
            self.append("viewer.entered", actor, payload, Then::Nothing);
        }
        if let Some(snapshot) = self.snapshot(conn) {
            self.tell(conn, snapshot);
            self.tell_moderation(conn);
            self.tell_run_sheet(conn);
            self.tell_figures(conn);
            self.tell_flash(conn);
            self.tell_stream(conn);
            self.tell_reminders(conn);
        }
    }

    fn leave(&mut self, conn: u64) {
        let Some(c) = self.conns.remove(&conn) else { return };
        self.console_conns.remove(&conn);
        let last = self.limiter.disconnected(&c.identity.actor);
        if c.identity.kind == ConnectionKind::Viewer {
            self.stats.online = self.stats.online.saturating_sub(1);
            let actor = c.identity.actor;
            self.figures.left(&actor, self.now(), self.stats.online);
            if last {
                self.limiter.forget(&actor);
            }
            self.append("viewer.left", actor, serde_json::json!({}), Then::Nothing);
        }
    }

    /// The connections that may run the console.
    fn consoles(&self) -> impl Iterator<Item = &Conn> + '_ {
        self.console_conns.iter().filter_map(|id| self.conns.get(id))
    }

    fn count(&mut self, add: impl FnOnce(&mut MinuteCounters)) {
        let minute = self.now().minute_floor();
        add(self.minutes.entry(minute).or_default());
        while self.minutes.len() > KEPT_MINUTES {
            self.minutes.pop_first();
        }
    }

    fn entry(&self, product: ProductId) -> Result<&LineupEntry, ProtocolError> {
        self.lineup.iter().find(|e| e.product == product).ok_or_else(|| ProtocolError {
            code: ErrorCode::NotInLineup,
            message: format!("商品 {product} 不在本场货盘中 / product {product} is not in this show's lineup"),
            field: Some("product"),
        })
    }

    fn card_view(entry: &LineupEntry) -> CardView {
        CardView {
            product: entry.product,
            title: entry.title.clone(),
            price: entry.price.0,
            list_price: entry.list_price.0,
            live_price: entry.live_price.0,
            stock: entry.stock,
        }
    }

    /// Judges one message against the room's state and the sender's role;
    /// on success the state has changed and the event's append has started.
    fn message(&mut self, conn: u64, message: ClientMessage) -> Result<(), ProtocolError> {
        let Some(c) = self.conns.get(&conn) else { return Ok(()) };
        if message.is_console() && !c.identity.may_run_console() {
            return Err(ProtocolError::new(
                ErrorCode::Forbidden,
                "只有中控台可以执行此操作 / only the live console may do this",
            ));
        }
        let actor = c.identity.actor.clone();
        let name = c.identity.name.clone();
        self.act(conn, actor, name, message)
    }

    /// Carries out a message already judged allowed for `actor`: a
    /// connection's, or the room's own automation's with `conn` 0, which
    /// no connection has (room/automation.rs), so both take one path.
    fn act(&mut self, conn: u64, actor: Actor, name: String, message: ClientMessage) -> Result<(), ProtocolError> {
        let now = self.now();
        let banned = || ProtocolError::new(ErrorCode::Banned, "你已被本直播间封禁 / you are banned from this room");
        match message {
            ClientMessage::Hello { name: name_choice } => {
                // Only anonymous viewers choose a name; accounts keep theirs.
                if let (Some(chosen), Actor::Viewer(_), Some(c)) = (name_choice, &actor, self.conns.get_mut(&conn)) {
                    c.identity.name = chosen.trim().to_owned();
                }
            }
            ClientMessage::Comment { text } => {
                if self.banned.contains(&actor) {
                    return Err(banned());
                }
                if let Err(wait_ms) = self.limiter.comment(&actor, now) {
                    let secs = (wait_ms + 999) / 1000;
                    return Err(ProtocolError::new(
                        ErrorCode::RateLimited,
                        format!("评论太快了，请 {secs} 秒后再试 / commenting too fast: try again in {secs} s"),
                    ));
                }
                let shadow = self.muted.get(&actor).is_some_and(|until| *until > now);
                // A muted viewer's comment reaches nobody anyway, so only
                // the others are screened (a held one could be approved).
                if !shadow && self.screen(&actor, &name, text.trim())? {
                    return Ok(());
                }
                if !shadow {
                    self.stats.comments += 1;
                    self.count(|m| m.comments += 1);
                }
                let text = text.trim().to_owned();
                let payload = serde_json::json!({ "name": name, "text": text, "muted": shadow });
                let viewer = actor.to_string();
                self.append("comment.posted", actor, payload, Then::Comment { conn, viewer, name, text, shadow });
            }
            ClientMessage::Like { count } => {
                if self.banned.contains(&actor) {
                    return Err(banned());
                }
                if let Err(left) = self.limiter.likes(&actor, count, now) {
                    return Err(ProtocolError::new(
                        ErrorCode::RateLimited,
                        format!(
                            "点赞太快了（这一秒还可点 {left} 次） / liking too fast ({left} more allowed this second)"
                        ),
                    ));
                }
                *self.likes_pending.entry(actor).or_default() += u64::from(count);
                self.count(|m| m.likes += u64::from(count));
            }
            ClientMessage::Follow {} => {
                if self.figures.followed(&actor) {
                    self.stats.follows += 1;
                    self.count(|m| m.follows += 1);
                }
                let joined = self.interactions.on_follow(&actor.to_string(), &name, now);
                self.append("follow", actor, serde_json::json!({}), Then::Nothing);
                self.apply_effects(joined);
            }
            interaction @ (ClientMessage::OpenLottery { .. }
            | ClientMessage::DrawLottery {}
            | ClientMessage::SendRedPacket { .. }
            | ClientMessage::GrabRedPacket { .. }
            | ClientMessage::OpenPoll { .. }
            | ClientMessage::ClosePoll {}
            | ClientMessage::Vote { .. }) => {
                let effects = self.interactions.handle(&actor, &name, interaction, now)?;
                self.apply_effects(effects);
            }
            ClientMessage::Share {} => {
                self.stats.shares += 1;
                self.count(|m| m.shares += 1);
                self.append("share", actor, serde_json::json!({}), Then::Nothing);
            }
            ClientMessage::ProductClick { product } => {
                self.entry(product)?;
                self.stats.product_clicks += 1;
                self.lineup_signals.clicked(product, now);
                self.count(|m| m.product_clicks += 1);
                self.append("product.clicked", actor, serde_json::json!({ "product": product }), Then::Nothing);
            }
            ClientMessage::SimulatedOrder { product, amount_fen } => {
                self.simulated_order(actor, product, amount_fen)?
            }
            ClientMessage::PushCard { product } => {
                let view = Self::card_view(self.entry(product)?);
                self.card = Some(product);
                self.lineup_signals.presented(product);
                let payload = serde_json::json!({ "product": product, "live_price": view.live_price });
                self.append("card.pushed", actor, payload, Then::Broadcast(Frame::CardPushed(view)));
            }
            ClientMessage::UnpushCard {} => {
                let Some(product) = self.card.take() else {
                    return Err(ProtocolError::new(ErrorCode::NotFound, "当前没有讲解中的商品 / no card is pushed"));
                };
                let frame = Frame::CardUnpushed { product };
                self.append("card.unpushed", actor, serde_json::json!({ "product": product }), Then::Broadcast(frame));
            }
            ClientMessage::List { product } | ClientMessage::Delist { product } => {
                let listed = matches!(message, ClientMessage::List { .. });
                self.entry(product)?;
                if let Some(e) = self.lineup.iter_mut().find(|e| e.product == product) {
                    e.listed = listed;
                }
                let (kind, frame) = if listed {
                    ("product.listed", Frame::Listed { product })
                } else {
                    ("product.delisted", Frame::Delisted { product })
                };
                self.append(kind, actor, serde_json::json!({ "product": product }), Then::Broadcast(frame));
            }
            ClientMessage::PinTopic { text } => {
                let text = text.trim().to_owned();
                self.topic = Some(text.clone());
                let frame = Frame::Topic { text: Some(text.clone()) };
                self.append("topic.pinned", actor, serde_json::json!({ "text": text }), Then::Broadcast(frame));
            }
            ClientMessage::UnpinTopic {} => {
                self.topic = None;
                self.append(
                    "topic.unpinned",
                    actor,
                    serde_json::json!({}),
                    Then::Broadcast(Frame::Topic { text: None }),
                );
            }
            ClientMessage::HideComment { comment } => {
                let Some(at) = self.recent.iter().position(|c| c.id == comment) else {
                    return Err(ProtocolError {
                        code: ErrorCode::NotFound,
                        message: format!(
                            "找不到评论 {comment}（只能隐藏最近的评论） / comment {comment} not found (only recent comments can be hidden)"
                        ),
                        field: Some("comment"),
                    });
                };
                self.recent.remove(at);
                self.moderation.questions.forget(comment);
                self.unpin_hidden(comment, &actor);
                let frame = Frame::CommentHidden { id: comment };
                self.append("comment.hidden", actor, serde_json::json!({ "comment": comment }), Then::Broadcast(frame));
            }
            ClientMessage::Mute { viewer, minutes } => {
                let target = Actor::parse(&viewer).map_err(|e| ProtocolError::field("viewer", e.to_string()))?;
                let until = now.plus_secs(i64::from(minutes) * 60);
                self.muted.insert(target, until);
                let payload = serde_json::json!({ "viewer": viewer, "minutes": minutes, "until": until });
                let frame = protocol::single(&Frame::ViewerMuted { viewer, minutes });
                self.append("viewer.muted", actor, payload, Then::Consoles(frame));
            }
            ClientMessage::ApproveComment { .. }
            | ClientMessage::RejectComment { .. }
            | ClientMessage::AnswerQuestion { .. } => self.moderate(actor, message)?,
            ClientMessage::StartSegment { .. } | ClientMessage::EndSegment {} => self.segment(actor, message)?,
            ClientMessage::SetLivePrice { .. } | ClientMessage::AdjustStock { .. } => {
                let (future, op) = crate::lineup::start(self.id, &self.deps, &self.lineup, actor, conn, message)?;
                self.start_lineup_op(future, op);
            }
            ClientMessage::SetWelcome { .. }
            | ClientMessage::ReorderLineup { .. }
            | ClientMessage::PinComment { .. }
            | ClientMessage::UnpinComment {} => self.present(conn, actor, message)?,
            ClientMessage::FlashBuy { .. }
            | ClientMessage::OpenFlashSale { .. }
            | ClientMessage::StopFlashSale { .. } => self.flash(conn, actor, message)?,
            ClientMessage::CancelAction { .. } | ClientMessage::FireAction { .. } => {
                self.automation_message(actor, name, message)?
            }
            ClientMessage::RemindCoupon { .. } | ClientMessage::NudgeCarts {} => self.remind(conn, actor, message)?,
            ClientMessage::MarkHighlight { note } => self.mark_highlight(actor, note)?,
            ClientMessage::Ban { viewer } => {
                let target = Actor::parse(&viewer).map_err(|e| ProtocolError::field("viewer", e.to_string()))?;
                self.banned.insert(target);
                let frame = protocol::single(&Frame::ViewerBanned { viewer: viewer.clone() });
                self.append("viewer.banned", actor, serde_json::json!({ "viewer": viewer }), Then::Consoles(frame));
            }
        }
        Ok(())
    }

    /// Starts appending an event. The append is polled once right here so
    /// it takes its place in the log's queue now, in the order the room
    /// decided (the group commit's queue is first come, first served).
    fn append(&mut self, kind: &'static str, actor: Actor, payload: serde_json::Value, then: Then) {
        self.append_with_amount(kind, actor, None, payload, then);
    }

    /// [`Room::append`] for an event that moves money (red packets).
    fn append_with_amount(
        &mut self,
        kind: &'static str,
        actor: Actor,
        amount: Option<zhibo_domain::Fen>,
        payload: serde_json::Value,
        then: Then,
    ) {
        let Ok(kind) = EventKind::parse(kind) else {
            tracing::error!(kind, "bad event kind in the room engine");
            return;
        };
        let payload = self.automation.mark(payload);
        let event = NewEvent { room: self.id, kind, actor, amount, payload };
        let store = self.deps.store.clone();
        let mut future: AppendFuture = Box::pin(async move { store.append(event).await });
        let mut cx = Context::from_waker(Waker::noop());
        let done = match future.as_mut().poll(&mut cx) {
            Poll::Ready(result) => Some(result),
            Poll::Pending => None,
        };
        self.inflight.push_back(InFlight { future, done, then });
    }

    /// Appends what an interaction tool asked for; each frame is
    /// broadcast once its event is durable.
    fn apply_effects(&mut self, effects: Vec<Effect>) {
        for e in effects {
            let then = e.frame.map_or(Then::Nothing, Then::Broadcast);
            self.append_with_amount(e.kind, e.actor, e.amount, e.payload, then);
        }
    }

    /// The interaction tools' timers (a lottery's end), on the room's tick.
    fn interactions_tick(&mut self) {
        let effects = self.interactions.tick(self.now());
        self.apply_effects(effects);
        self.out.extend(self.interactions.tallies().map(|f| f.to_json()));
        self.run_sheet_tick();
        self.lineup_tick();
        self.figures_tick();
        self.welcome_tick();
        self.flash_tick();
        self.automation_tick();
        self.reminders_tick();
    }

    /// The oldest append is durable (or failed): release what waited on it.
    fn acknowledged(&mut self, result: zhibo_store::Result<Event>) {
        let Some(done) = self.inflight.pop_front() else { return };
        let event = match result {
            Ok(event) => event,
            Err(error) => {
                if let Then::Lineup(op) = &done.then {
                    self.tell(op.conn, op.refused(&error));
                    return;
                }
                if let Then::Presented { conn, .. } = done.then {
                    return self.presentation_refused(conn, &error);
                }
                if let Then::Flash(pending) = done.then {
                    return self.flash_failed(pending, &error);
                }
                if let Then::Reminder(sending) = done.then {
                    return self.reminder_failed(sending, &error);
                }
                tracing::error!(room = %self.id, %error, "room event not stored; its frame is not sent");
                if let Then::Comment { conn, .. } = done.then {
                    let error = ProtocolError::new(
                        ErrorCode::Unavailable,
                        "暂时无法保存，请稍后再试 / could not be saved, try again shortly",
                    );
                    self.tell(conn, error.to_frame());
                }
                return;
            }
        };
        self.flash_observe(&event);
        match done.then {
            Then::Nothing => {}
            Then::Broadcast(frame) => self.out.push(frame.to_json()),
            Then::Flash(pending) => self.flash_acknowledged(pending, &event),
            Then::Reminder(sending) => self.reminder_acknowledged(sending, &event),
            Then::Presented { frame, .. } => self.out.push(frame),
            Then::Lineup(op) => {
                let frame = op.applied(&mut self.lineup, &event);
                self.out.push(frame);
            }
            Then::Stream(consoles, everyone) => self.stream_acknowledged(consoles, everyone),
            Then::Consoles(bytes) => {
                for c in self.consoles() {
                    let _ = c.private.try_send(bytes.clone());
                }
            }
            Then::Likes(count) => {
                self.stats.likes += count;
                self.likes_acked += count;
            }
            Then::Held(mut held) => {
                held.id = event.seq;
                self.moderation.hold(held.clone());
                self.tell_consoles(&ModerationFrame::CommentHeld(held));
            }
            Then::Moderated(consoles, everyone, shown) => {
                for frame in &consoles {
                    self.tell_consoles(frame);
                }
                self.out.extend(everyone);
                if let Some(view) = shown {
                    self.show_comment(view, event.time);
                }
            }
            Then::Comment { conn, viewer, name, text, shadow } => {
                let view = CommentView { id: event.seq, viewer, name, text };
                let frame = Frame::Comment(view.clone());
                if shadow {
                    // A muted viewer sees their own comment, nobody else does.
                    self.tell(conn, protocol::single(&frame));
                } else {
                    self.show_comment(view, event.time);
                }
            }
        }
    }

    /// A comment everyone sees now, at once or approved after review: out
    /// in the batch, into the question queue if it asks something, into a
    /// keyword lottery if it carries the keyword, and among the recent.
    fn show_comment(&mut self, view: CommentView, logged: Timestamp) {
        let joined = self.interactions.on_comment(&view.viewer, &view.name, &view.text, self.now());
        self.out.push(Frame::Comment(view.clone()).to_json());
        self.observe_question(&view, logged);
        self.recent.push_back(view);
        self.apply_effects(joined);
        while self.recent.len() > self.deps.config.recent_comments {
            self.recent.pop_front();
        }
    }

    /// Likes are logged once per viewer per tick, with the count.
    fn start_like_appends(&mut self) {
        let pending: Vec<(Actor, u64)> = self.likes_pending.drain().collect();
        for (actor, count) in pending {
            self.append("like", actor, serde_json::json!({ "count": count }), Then::Likes(count));
        }
    }

    /// Sends what is ready as one batch, serialized once for everyone.
    fn send_batch(&mut self) {
        if self.likes_acked > 0 {
            let frame = Frame::Likes { count: self.likes_acked, total: self.stats.likes };
            self.out.push(frame.to_json());
            self.likes_acked = 0;
        }
        if self.stats.online != self.announced_online {
            self.out.push(Frame::ViewerCount { online: self.stats.online }.to_json());
            self.announced_online = self.stats.online;
        }
        if self.out.is_empty() {
            return;
        }
        let batch = protocol::batch(&self.out);
        self.out.clear();
        // No receivers is fine: nobody is watching.
        let _ = self.broadcast.send(batch);
    }

    /// The full state as one connection should see it.
    fn snapshot(&self, conn: u64) -> Option<Bytes> {
        let c = self.conns.get(&conn)?;
        let card = self.card.and_then(|p| self.lineup.iter().find(|e| e.product == p)).map(Self::card_view);
        let console = c.identity.may_run_console();
        let stats = console.then(|| {
            let mut stats = self.stats.clone();
            stats.minutes = self.minutes.iter().map(|(m, c)| (*m, *c)).collect();
            stats
        });
        #[derive(Serialize)]
        struct You<'a> {
            viewer: String,
            name: &'a str,
            console: bool,
        }
        #[derive(Serialize)]
        struct Snapshot<'a> {
            r#type: &'static str,
            room: RoomId,
            title: &'a str,
            status: RoomStatus,
            online: u64,
            likes: u64,
            card: Option<CardView>,
            products: &'a [LineupEntry],
            topic: &'a Option<String>,
            comments: &'a VecDeque<CommentView>,
            you: You<'a>,
            #[serde(flatten)]
            interactions: crate::interactions::Snapshot,
            #[serde(flatten)]
            presentation: crate::presentation::Snapshot<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            flash_sale: Option<crate::flash_sale::FlashSaleView>,
            #[serde(skip_serializing_if = "Option::is_none")]
            stats: Option<RoomStats>,
        }
        let snapshot = Snapshot {
            r#type: "snapshot",
            room: self.id,
            title: &self.title,
            status: self.status,
            online: self.stats.online,
            likes: self.stats.likes,
            card,
            products: &self.lineup,
            topic: &self.topic,
            comments: &self.recent,
            you: You { viewer: c.identity.actor.to_string(), name: &c.identity.name, console },
            interactions: self.interactions.snapshot(),
            presentation: self.presentation.snapshot(),
            flash_sale: self.flash_view(),
            stats,
        };
        Some(protocol::single(&snapshot))
    }
}

// ---- comment moderation (crate::moderation decides; this logs and sends)
impl Room {
    /// Runs the word filter over a comment about to be posted. `Ok(true)`
    /// when the comment was held for review and must not be posted; an
    /// error frame for the sender when it is blocked. Either way the hit
    /// is logged with the words it matched.
    fn screen(&mut self, actor: &Actor, name: &str, text: &str) -> Result<bool, ProtocolError> {
        use crate::moderation::Screen;
        match self.moderation.screen(text) {
            Screen::Pass => Ok(false),
            Screen::Block(hits) => {
                let words: Vec<&str> = hits.iter().map(|h| h.word.as_str()).collect();
                let payload = serde_json::json!({ "name": name, "text": text, "words": words, "hits": hits });
                self.append("comment.blocked", actor.clone(), payload, Then::Nothing);
                Err(ProtocolError::new(
                    ErrorCode::Blocked,
                    "评论含有本直播间不允许的内容，未发出 / the comment contains words this room does not allow and was not posted",
                ))
            }
            Screen::Hold(hits) => {
                let words: Vec<String> = hits.iter().map(|h| h.word.clone()).collect();
                let payload = serde_json::json!({ "name": name, "text": text, "words": words, "hits": hits });
                let held = HeldComment {
                    id: 0,
                    viewer: actor.to_string(),
                    name: name.to_owned(),
                    text: text.to_owned(),
                    words,
                    held_at: self.now(),
                };
                self.append("comment.held", actor.clone(), payload, Then::Held(held));
                Ok(true)
            }
        }
    }

    /// A console approves or rejects a held comment, or answers a question.
    fn moderate(&mut self, actor: Actor, message: ClientMessage) -> Result<(), ProtocolError> {
        let not_found = |what: &str, comment: u64| ProtocolError {
            code: ErrorCode::NotFound,
            message: format!(
                "找不到{what} {comment} / no such {} {comment}",
                if what == "待审评论" { "held comment" } else { "waiting question" }
            ),
            field: Some("comment"),
        };
        match message {
            ClientMessage::ApproveComment { comment } | ClientMessage::RejectComment { comment } => {
                let approved = matches!(message, ClientMessage::ApproveComment { .. });
                let held = self.moderation.release(comment).ok_or_else(|| not_found("待审评论", comment))?;
                let resolved = ModerationFrame::HeldResolved { id: comment, approved };
                if approved {
                    let view = CommentView { id: held.id, viewer: held.viewer, name: held.name, text: held.text };
                    self.stats.comments += 1;
                    self.count(|m| m.comments += 1);
                    let payload = serde_json::json!({ "comment": comment, "viewer": view.viewer, "text": view.text });
                    let then = Then::Moderated(vec![resolved], Vec::new(), Some(view));
                    self.append("comment.approved", actor, payload, then);
                } else {
                    let then = Then::Moderated(vec![resolved], Vec::new(), None);
                    self.append("comment.rejected", actor, serde_json::json!({ "comment": comment }), then);
                }
            }
            ClientMessage::AnswerQuestion { comment, reply } => {
                let question =
                    self.moderation.questions.answer(comment).ok_or_else(|| not_found("待回答问题", comment))?;
                let reply = reply.map(|r| r.trim().to_owned());
                let waited_ms = self.now().0 - question.asked_at.0;
                let payload = serde_json::json!({
                    "comment": comment, "viewer": question.viewer, "question": question.text,
                    "reply": reply, "waited_ms": waited_ms,
                });
                let everyone = reply
                    .clone()
                    .map(|text| {
                        ModerationFrame::Reply { comment, name: question.name, question: question.text, text }.to_json()
                    })
                    .into_iter()
                    .collect();
                let consoles = vec![ModerationFrame::QuestionAnswered { comment, reply }];
                self.append("question.answered", actor, payload, Then::Moderated(consoles, everyone, None));
            }
            _ => {}
        }
        Ok(())
    }

    /// A comment everyone now sees: if it asks something, it joins the
    /// queue (asked when its event was logged) and the consoles hear of it
    /// with its quick answers.
    fn observe_question(&mut self, view: &CommentView, logged: Timestamp) {
        if let Some(question) = self.moderation.observe(view, logged, self.card, &self.lineup) {
            self.tell_consoles(&ModerationFrame::QuestionAsked(question));
        }
    }

    /// To every console connection, each on its own channel.
    fn tell_consoles(&self, frame: &ModerationFrame) {
        let bytes = frame.to_bytes();
        for c in self.consoles() {
            let _ = c.private.try_send(bytes.clone());
        }
    }

    /// The moderation state, to a console right after its snapshot.
    fn tell_moderation(&self, conn: u64) {
        if self.conns.get(&conn).is_some_and(|c| c.identity.may_run_console()) {
            self.tell(conn, self.moderation.state_frame(self.now()).to_bytes());
            // and the lineup suggestion (crate::lineup), null when none
            self.tell(conn, self.lineup_signals.frame());
        }
    }
}

// ---- the run sheet timer (crate::run_sheet decides; this logs and sends)
impl Room {
    /// A console starts or ends a segment: each event is logged, and the
    /// consoles get the new run sheet once the last one is durable.
    fn segment(&mut self, actor: Actor, message: ClientMessage) -> Result<(), ProtocolError> {
        let now = self.now();
        let events = match message {
            ClientMessage::StartSegment { index } => self.run_sheet.start(&actor, index, now)?,
            ClientMessage::EndSegment {} => vec![self.run_sheet.end(&actor, now)?],
            _ => return Ok(()),
        };
        self.automation_segments(&events, now);
        let last = events.len().saturating_sub(1);
        for (i, e) in events.into_iter().enumerate() {
            let then = if i == last { Then::Consoles(self.run_sheet.frame(now).to_bytes()) } else { Then::Nothing };
            self.append(e.kind, e.actor, e.payload, then);
        }
        Ok(())
    }

    /// On the tick: the consoles hear at once when a segment runs over.
    fn run_sheet_tick(&mut self) {
        let now = self.now();
        if self.run_sheet.overran(now) {
            let bytes = self.run_sheet.frame(now).to_bytes();
            for c in self.consoles() {
                let _ = c.private.try_send(bytes.clone());
            }
        }
    }

    /// The run sheet, to a console right after its snapshot.
    fn tell_run_sheet(&self, conn: u64) {
        if self.conns.get(&conn).is_some_and(|c| c.identity.may_run_console()) {
            self.tell(conn, self.run_sheet.frame(self.now()).to_bytes());
        }
        self.tell_automation(conn);
    }
}

// ---- lineup tools (crate::lineup decides and persists; this queues and sends)
impl Room {
    /// Queues a price or stock change in the room's order; its frame goes
    /// out once it is persisted and logged.
    fn start_lineup_op(&mut self, mut future: crate::lineup::OpFuture, op: crate::lineup::LineupOp) {
        let mut cx = Context::from_waker(Waker::noop());
        let done = match future.as_mut().poll(&mut cx) {
            Poll::Ready(result) => Some(result),
            Poll::Pending => None,
        };
        self.inflight.push_back(InFlight { future, done, then: Then::Lineup(op) });
    }

    /// On the tick: the consoles hear when the reorder suggestion changes.
    fn lineup_tick(&mut self) {
        let now = self.now();
        if let Some(bytes) = self.lineup_signals.tick(now, &self.lineup, self.stats.online) {
            for c in self.consoles() {
                let _ = c.private.try_send(bytes.clone());
            }
        }
    }
}

// ---- live figures (crate::figures keeps the books; this sends)
impl Room {
    /// On the tick: the consoles get the figures when one changed, and at
    /// least once a second of the room's clock.
    fn figures_tick(&mut self) {
        if !!self.console_conns.is_empty() {
            return;
        }
        let now = self.now();
        if let Some(bytes) = self.figures.tick(now, &self.stats, &self.minutes) {
            for c in self.consoles() {
                let _ = c.private.try_send(bytes.clone());
            }
        }
    }

    /// The figures, to a console right after its snapshot.
    fn tell_figures(&self, conn: u64) {
        if self.conns.get(&conn).is_some_and(|c| c.identity.may_run_console()) {
            self.tell(conn, self.figures.frame(self.now(), &self.stats, &self.minutes));
        }
    }
}
