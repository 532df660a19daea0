//! The console's live figures (the `figures` frame, docs/protocol.md): the
//! bookkeeping the room's counters do not already hold — distinct viewers
//! and how long each has watched, the highest number online per minute —
//! and the decision when to send the frame (when a figure changed, and at
//! least once a second on the room's clock).
//!
//! The counters themselves (entries, likes, comments, follows, clicks and
//! their per-minute buckets) stay in the room's [`RoomStats`], so there is
//! one count of each thing; this module reads them to build the frame.
//! Definitions follow /work/shared/spec/metrics.md and are repeated on
//! each field below.

use bytes::Bytes;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use zhibo_domain::Timestamp;
use zhibo_domain::event::Actor;

use crate::protocol::{self, Frame};
use crate::room::{MinuteCounters, RoomStats};

/// One-minute buckets in the trend: the last hour.
pub const TREND_MINUTES: usize = 60;
/// The figures go out at least this often (ms on the room's clock).
pub const REFRESH_MS: i64 = 1000;

/// The `figures` frame: what the console shows, at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FiguresView {
    /// The room's clock when computed (ms).
    pub now: i64,
    /// 在线: viewer connections open now.
    pub online: u64,
    /// 最高在线: the most viewer connections open at once.
    pub peak: u64,
    /// 观看人次 PV: entries into the room (every viewer connection).
    pub entries: u64,
    /// 观看人数 UV: distinct viewers who entered.
    pub viewers: u64,
    /// 人均观看时长: total watch time ÷ UV, whole seconds (rounded down);
    /// a viewer online now counts up to `now`; several tabs of one viewer
    /// count once.
    pub avg_watch_secs: u64,
    /// Likes logged (the same total viewers see).
    pub likes: u64,
    /// Comments everyone saw (a muted viewer's do not count).
    pub comments: u64,
    /// 新增关注: distinct viewers who followed in this room (a viewer
    /// following twice counts once).
    pub new_followers: u64,
    /// `product_click`s on lineup products.
    pub product_clicks: u64,
    /// Paid orders the room was told of since it started (room/orders.rs).
    pub orders: u64,
    /// GMV 成交额, fen: value of those orders at payment (refunds later
    /// are not deducted).
    pub gmv_fen: i64,
    /// 整体转化率 in ‰: paying buyers ÷ UV × 1000, rounded down; 0 when
    /// nobody entered.
    pub conversion_permille: u64,
    /// 模拟订单: orders simulated viewers paid in the audience model (live
    /// mode of docs/sim.md), never in `orders` or `gmv_fen`.
    pub simulated_orders: u64,
    /// 模拟 GMV, fen: their value.
    pub simulated_gmv_fen: i64,
    pub trend: Trend,
}

/// The last [`TREND_MINUTES`] clock minutes, oldest first; the last
/// element is the minute `now` is in. Every series has one value a minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trend {
    /// The first millisecond of the oldest minute.
    pub from_ms: i64,
    /// The most viewers online at once in that minute.
    pub online: Vec<u64>,
    pub entries: Vec<u64>,
    pub comments: Vec<u64>,
    pub likes: Vec<u64>,
    pub clicks: Vec<u64>,
}

/// One viewer's watching: open connections and time watched.
#[derive(Debug, Clone, Copy, Default)]
struct Watch {
    open: u32,
    /// When the first open connection opened (ms).
    since: i64,
}

/// Online in one minute: its highest and its last value (the last carries
/// into the following minutes that saw no change).
#[derive(Debug, Clone, Copy, Default)]
struct OnlineMinute {
    max: u64,
    last: u64,
}

/// The figures' own bookkeeping, owned by the room's task.
#[derive(Debug, Default)]
pub struct Figures {
    watch: HashMap<Actor, Watch>,
    /// Watch time of visits that ended (ms).
    closed_ms: i64,
    /// Viewers with an open connection, and the sum of their `since`, so
    /// the open visits' time is `open_viewers × now − since_sum` without a
    /// pass over every viewer on each tick.
    open_viewers: i64,
    since_sum: i128,
    online: BTreeMap<Timestamp, OnlineMinute>,
    /// The counters last sent, and when.
    sent: Option<(Timestamp, [u64; 12])>,
    /// Paid orders told to the room (room/orders.rs), their value, and the
    /// distinct buyers who paid.
    paid_orders: u64,
    gmv_fen: i64,
    paying_buyers: HashSet<Actor>,
    /// Who followed in this room: 新增关注 counts each viewer once.
    followers: HashSet<Actor>,
    /// Simulated viewers' paid orders and their value, kept apart.
    simulated_orders: u64,
    simulated_gmv_fen: i64,
}

impl Figures {
    /// A viewer connection opened at `now`; `online` is the count after it.
    pub fn entered(&mut self, viewer: &Actor, now: Timestamp, online: u64) {
        let w = self.watch.entry(viewer.clone()).or_default();
        if w.open == 0 {
            w.since = now.0;
            self.open_viewers += 1;
            self.since_sum += i128::from(now.0);
        }
        w.open += 1;
        self.record_online(now, online);
    }

    /// A viewer connection closed at `now`; `online` is the count after it.
    pub fn left(&mut self, viewer: &Actor, now: Timestamp, online: u64) {
        if let Some(w) = self.watch.get_mut(viewer)
            && w.open > 0
        {
            w.open -= 1;
            if w.open == 0 {
                self.closed_ms += (now.0 - w.since).max(0);
                self.open_viewers -= 1;
                self.since_sum -= i128::from(w.since);
            }
        }
        self.record_online(now, online);
    }

    fn record_online(&mut self, now: Timestamp, online: u64) {
        let minute = now.minute_floor();
        let carried = self.online.range(..minute).next_back().map_or(0, |(_, m)| m.last);
        let m = self.online.entry(minute).or_insert(OnlineMinute { max: carried, last: carried });
        m.max = m.max.max(online);
        m.last = online;
        // One older minute is kept to carry its last value forward.
        while self.online.len() > TREND_MINUTES + 1 {
            self.online.pop_first();
        }
    }

    /// A viewer followed; `true` the first time, when they count as a new
    /// follower (following again after unfollowing elsewhere is not new).
    pub fn followed(&mut self, viewer: &Actor) -> bool {
        self.followers.insert(viewer.clone())
    }

    /// An order of `buyer` worth `amount` fen was paid: orders, GMV (at
    /// payment; later refunds are not deducted) and paying buyers.
    pub fn order_paid(&mut self, buyer: &Actor, amount: i64) {
        self.paid_orders += 1;
        self.gmv_fen = self.gmv_fen.saturating_add(amount);
        self.paying_buyers.insert(buyer.clone());
    }

    /// A simulated viewer's order worth `amount` fen was paid in the
    /// audience model: counted apart from real orders and GMV.
    pub fn simulated_order_paid(&mut self, amount: i64) {
        self.simulated_orders += 1;
        self.simulated_gmv_fen = self.simulated_gmv_fen.saturating_add(amount);
    }

    /// Distinct viewers who entered (UV).
    pub fn viewers(&self) -> u64 {
        self.watch.len() as u64
    }

    /// Total watch time of every viewer up to `now` (ms).
    pub fn watched_ms(&self, now: Timestamp) -> i64 {
        let open = i128::from(self.open_viewers) * i128::from(now.0) - self.since_sum;
        self.closed_ms + i64::try_from(open.max(0)).unwrap_or(i64::MAX)
    }

    /// The frame's content at `now`.
    pub fn view(
        &self,
        now: Timestamp,
        stats: &RoomStats,
        minutes: &BTreeMap<Timestamp, MinuteCounters>,
    ) -> FiguresView {
        let viewers = self.viewers();
        let avg_watch_secs = match viewers {
            0 => 0,
            uv => (self.watched_ms(now).max(0) as u64) / uv / 1000,
        };
        // Selling is not there yet: no order reaches the room.
        let (orders, gmv_fen, paying_buyers) = (self.paid_orders, self.gmv_fen, self.paying_buyers.len() as u64);
        FiguresView {
            now: now.0,
            online: stats.online,
            peak: stats.peak,
            entries: stats.entries,
            viewers,
            avg_watch_secs,
            likes: stats.likes,
            comments: stats.comments,
            new_followers: stats.follows,
            product_clicks: stats.product_clicks,
            orders,
            gmv_fen,
            conversion_permille: permille(paying_buyers, viewers),
            simulated_orders: self.simulated_orders,
            simulated_gmv_fen: self.simulated_gmv_fen,
            trend: self.trend(now, minutes),
        }
    }

    fn trend(&self, now: Timestamp, minutes: &BTreeMap<Timestamp, MinuteCounters>) -> Trend {
        let last = now.minute_floor();
        let from = Timestamp(last.0 - (TREND_MINUTES as i64 - 1) * Timestamp::MINUTE_MS);
        let mut trend = Trend {
            from_ms: from.0,
            online: Vec::with_capacity(TREND_MINUTES),
            entries: Vec::with_capacity(TREND_MINUTES),
            comments: Vec::with_capacity(TREND_MINUTES),
            likes: Vec::with_capacity(TREND_MINUTES),
            clicks: Vec::with_capacity(TREND_MINUTES),
        };
        let mut carried = self.online.range(..from).next_back().map_or(0, |(_, m)| m.last);
        for i in 0..TREND_MINUTES as i64 {
            let minute = Timestamp(from.0 + i * Timestamp::MINUTE_MS);
            let online = match self.online.get(&minute) {
                Some(m) => {
                    carried = m.last;
                    m.max
                }
                None => carried,
            };
            let c = minutes.get(&minute).copied().unwrap_or_default();
            trend.online.push(online);
            trend.entries.push(c.entries);
            trend.comments.push(c.comments);
            trend.likes.push(c.likes);
            trend.clicks.push(c.product_clicks);
        }
        trend
    }

    /// On the room's tick: the standalone frame for the consoles when a
    /// figure changed since the last one sent, or when a second of the
    /// room's clock has passed since (the watch time grows with the clock,
    /// so it alone does not count as a change, or a room with viewers
    /// would send on every tick).
    pub fn tick(
        &mut self,
        now: Timestamp,
        stats: &RoomStats,
        minutes: &BTreeMap<Timestamp, MinuteCounters>,
    ) -> Option<Bytes> {
        let counters = [
            stats.online,
            stats.peak,
            stats.entries,
            self.viewers(),
            stats.likes,
            stats.comments,
            stats.follows,
            stats.product_clicks,
            self.paid_orders,
            self.gmv_fen.max(0) as u64,
            self.simulated_orders,
            self.simulated_gmv_fen.max(0) as u64,
        ];
        let due = match self.sent {
            None => true,
            Some((at, sent)) => sent != counters || now.0 - at.0 >= REFRESH_MS,
        };
        if !due {
            return None;
        }
        self.sent = Some((now, counters));
        Some(self.frame(now, stats, minutes))
    }

    /// The standalone frame as it is now (a console that just joined).
    pub fn frame(&self, now: Timestamp, stats: &RoomStats, minutes: &BTreeMap<Timestamp, MinuteCounters>) -> Bytes {
        protocol::single(&Frame::Figures(self.view(now, stats, minutes)))
    }
}

/// `part ÷ whole` in ‰, rounded down; 0 when `whole` is 0.
pub fn permille(part: u64, whole: u64) -> u64 {
    part.saturating_mul(1000).checked_div(whole).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::UserId;

    const T0: Timestamp = Timestamp(1_795_608_000_000);

    fn viewer(n: u8) -> Actor {
        Actor::User(UserId(i64::from(n)))
    }

    #[test]
    fn permille_rounds_down_and_is_zero_without_a_divisor() {
        assert_eq!(permille(1, 3), 333);
        assert_eq!(permille(0, 0), 0);
        assert_eq!(permille(5, 0), 0);
        assert_eq!(permille(2, 2), 1000);
    }

    #[test]
    fn two_tabs_of_one_viewer_count_their_time_once() {
        let mut f = Figures::default();
        f.entered(&viewer(1), T0, 1);
        f.entered(&viewer(1), T0.plus_secs(10), 2);
        f.left(&viewer(1), T0.plus_secs(20), 1);
        assert_eq!(f.watched_ms(T0.plus_secs(30)), 30_000);
        f.left(&viewer(1), T0.plus_secs(40), 0);
        assert_eq!(f.watched_ms(T0.plus_secs(100)), 40_000);
        assert_eq!(f.viewers(), 1);
    }

    #[test]
    fn online_carries_into_minutes_without_a_change() {
        let mut f = Figures::default();
        f.entered(&viewer(1), T0.plus_secs(5), 1);
        f.entered(&viewer(2), T0.plus_secs(6), 2);
        f.left(&viewer(2), T0.plus_secs(7), 1);
        let now = T0.plus_secs(3 * 60 + 1);
        let trend = f.trend(now, &BTreeMap::new());
        let n = TREND_MINUTES;
        assert_eq!(trend.online[n - 4..], [2, 1, 1, 1]);
        assert_eq!(trend.online[n - 5], 0);
        assert_eq!(trend.from_ms, now.minute_floor().0 - 59 * 60_000);
    }
}
