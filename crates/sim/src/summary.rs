//! The show's figures, folded from its event log with the definitions of
//! the metrics spec (shared/spec/metrics.md): a [`Projection`] like any
//! other view of a room, so a real room's log folds the same way.

use serde::Serialize;
use std::collections::BTreeMap;
use zhibo_domain::event::{Actor, Event, Projection};

/// Per-viewer facts the ratios need.
#[derive(Debug, Clone, Default)]
struct Facts {
    entered: bool,
    online_since: Option<i64>,
    /// Position in `Summary::online` while online.
    online_pos: u32,
    watch_ms: i64,
    source: usize,
    exposed: bool,
    clicked: bool,
    ordered: bool,
    paid: bool,
    interacted: bool,
}

const SOURCES: [&str; 5] = ["feed", "follower", "paid", "shared", "other"];

#[derive(Debug, Clone, Default)]
struct SegmentAcc {
    title: String,
    kind: String,
    start_ms: i64,
    end_ms: Option<i64>,
    viewer_ms: i64,
    peak: u64,
    entries: u64,
    left: u64,
    comments: u64,
    likes: u64,
    clicks: u64,
    orders: u64,
    paid_orders: u64,
    gmv: i64,
    follows: u64,
}

/// Folds a room's log into the figures of [`Report`].
#[derive(Debug, Clone, Default)]
pub struct Summary {
    sim_index: Vec<u32>,
    other_index: BTreeMap<String, u32>,
    facts: Vec<Facts>,
    online: Vec<u32>,
    card_up: bool,
    started_ms: Option<i64>,
    ended_ms: Option<i64>,
    last_ms: i64,
    online_ms: i64,
    pv: u64,
    peak: u64,
    comments: u64,
    muted_comments: u64,
    questions: u64,
    answered: u64,
    likes: u64,
    shares: u64,
    follows: u64,
    orders: u64,
    paid_orders: u64,
    items: u64,
    gmv: i64,
    spend: i64,
    muted_viewers: u64,
    top_tier: u64,
    segments: Vec<SegmentAcc>,
    current: Option<usize>,
}

impl Summary {
    fn index(&mut self, actor: &Actor) -> usize {
        let slot = match actor {
            Actor::Sim(n) => {
                let n = *n as usize;
                if n >= self.sim_index.len() {
                    self.sim_index.resize(n + 1, 0);
                }
                if self.sim_index[n] == 0 {
                    self.facts.push(Facts::default());
                    self.sim_index[n] = self.facts.len() as u32;
                }
                self.sim_index[n]
            }
            other => {
                let key = other.to_string();
                if let Some(i) = self.other_index.get(&key) {
                    *i
                } else {
                    self.facts.push(Facts::default());
                    let i = self.facts.len() as u32;
                    self.other_index.insert(key, i);
                    i
                }
            }
        };
        slot as usize - 1
    }

    fn seg(&mut self) -> Option<&mut SegmentAcc> {
        self.current.map(|i| &mut self.segments[i])
    }

    fn advance(&mut self, now: i64) {
        let dt = (now - self.last_ms).max(0);
        let online = self.online.len() as i64;
        self.online_ms += online * dt;
        if let Some(s) = self.seg() {
            s.viewer_ms += online * dt;
        }
        self.last_ms = now.max(self.last_ms);
    }

    fn interacted(&mut self, i: usize) {
        self.facts[i].interacted = true;
    }

    /// The figures as the metrics spec defines them.
    pub fn report(&self) -> Report {
        let streamed_ms = match (self.started_ms, self.ended_ms) {
            (Some(a), Some(b)) if b > a => b - a,
            (Some(a), None) if self.last_ms > a => self.last_ms - a,
            _ => 0,
        };
        let viewers: Vec<&Facts> = self.facts.iter().filter(|f| f.entered).collect();
        let uv = viewers.len() as u64;
        let count = |pred: &dyn Fn(&Facts) -> bool| viewers.iter().filter(|f| pred(f)).count() as u64;
        let exposed = count(&|f| f.exposed);
        let clickers = count(&|f| f.clicked);
        let orderers = count(&|f| f.ordered);
        let payers = count(&|f| f.paid);
        let interactors = count(&|f| f.interacted);
        let watch_ms: i64 = viewers.iter().map(|f| f.watch_ms).sum();
        let mut by_source = Vec::new();
        for (i, name) in SOURCES.iter().enumerate() {
            let group: Vec<&&Facts> = viewers.iter().filter(|f| f.source == i).collect();
            if group.is_empty() {
                continue;
            }
            let n = group.len() as u64;
            let payers = group.iter().filter(|f| f.paid).count() as u64;
            by_source.push(SourceFigures {
                source: name,
                uv: n,
                average_watch_s: round(group.iter().map(|f| f.watch_ms).sum::<i64>() as f64 / 1000.0 / n as f64, 1),
                paying_buyers: payers,
                conversion: ratio(payers, n),
            });
        }
        let segments = self
            .segments
            .iter()
            .map(|s| {
                let ms = s.end_ms.unwrap_or(self.last_ms) - s.start_ms;
                SegmentFigures {
                    title: s.title.clone(),
                    kind: s.kind.clone(),
                    minutes: round(ms as f64 / 60_000.0, 2),
                    average_online: if ms > 0 { round(s.viewer_ms as f64 / ms as f64, 1) } else { 0.0 },
                    peak_online: s.peak,
                    entries: s.entries,
                    exits: s.left,
                    comments: s.comments,
                    likes: s.likes,
                    new_followers: s.follows,
                    product_clicks: s.clicks,
                    orders_placed: s.orders,
                    orders_paid: s.paid_orders,
                    gmv_fen: s.gmv,
                }
            })
            .collect();
        Report {
            minutes_streamed: round(streamed_ms as f64 / 60_000.0, 2),
            pv: self.pv,
            uv,
            peak_online: self.peak,
            average_online: if streamed_ms > 0 { round(self.online_ms as f64 / streamed_ms as f64, 1) } else { 0.0 },
            average_watch_s: if uv > 0 { round(watch_ms as f64 / 1000.0 / uv as f64, 1) } else { 0.0 },
            comments: self.comments,
            muted_comments: self.muted_comments,
            questions: self.questions,
            questions_answered: self.answered,
            likes: self.likes,
            shares: self.shares,
            new_followers: self.follows,
            follow_rate: ratio(self.follows, uv),
            interaction_rate: ratio(interactors, uv),
            product_exposure_rate: ratio(exposed, uv),
            product_ctr: ratio(clickers, exposed),
            click_to_order: ratio(orderers, clickers),
            order_to_pay: ratio(payers, orderers),
            conversion: ratio(payers, uv),
            orders_placed: self.orders,
            orders_paid: self.paid_orders,
            paying_buyers: payers,
            items_sold: self.items,
            gmv_fen: self.gmv,
            gmv_after_refunds_fen: self.gmv,
            gpm_fen: if self.pv > 0 { self.gmv * 1000 / self.pv as i64 } else { 0 },
            uv_value_fen: if uv > 0 { self.gmv / uv as i64 } else { 0 },
            average_order_value_fen: if payers > 0 { self.gmv / payers as i64 } else { 0 },
            paid_traffic_spend_fen: self.spend,
            roi: if self.spend > 0 { round(self.gmv as f64 / self.spend as f64, 2) } else { 0.0 },
            trolls_muted: self.muted_viewers,
            top_feed_tier: self.top_tier,
            by_source,
            segments,
        }
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { round(a as f64 / b as f64, 4) }
}

fn round(x: f64, places: i32) -> f64 {
    let m = [1.0, 10.0, 100.0, 1000.0, 10_000.0][places as usize];
    (x * m).round() / m
}

impl Projection for Summary {
    fn apply(&mut self, e: &Event) {
        let now = e.time.0;
        if self.started_ms.is_none() {
            self.started_ms = Some(now);
            self.last_ms = now;
        }
        self.advance(now);
        let p = &e.payload;
        match e.kind.as_str() {
            "show.ended" => self.ended_ms = Some(now),
            "segment.started" => {
                self.segments.push(SegmentAcc {
                    title: p["title"].as_str().unwrap_or_default().to_owned(),
                    kind: p["kind"].as_str().unwrap_or_default().to_owned(),
                    start_ms: now,
                    peak: self.online.len() as u64,
                    ..SegmentAcc::default()
                });
                self.current = Some(self.segments.len() - 1);
            }
            "segment.ended" => {
                if let Some(s) = self.seg() {
                    s.end_ms = Some(now);
                }
                self.current = None;
            }
            "viewer.entered" => {
                let i = self.index(&e.actor);
                let f = &mut self.facts[i];
                f.entered = true;
                if f.online_since.is_none() {
                    f.online_since = Some(now);
                    f.online_pos = self.online.len() as u32;
                    f.source = SOURCES.iter().position(|s| Some(*s) == p["source"].as_str()).unwrap_or(4);
                    f.exposed |= self.card_up;
                    self.online.push(i as u32);
                }
                self.pv += 1;
                self.peak = self.peak.max(self.online.len() as u64);
                let online = self.online.len() as u64;
                if let Some(s) = self.seg() {
                    s.entries += 1;
                    s.peak = s.peak.max(online);
                }
            }
            "viewer.left" => {
                let i = self.index(&e.actor);
                if let Some(since) = self.facts[i].online_since.take() {
                    self.facts[i].watch_ms += now - since;
                    let pos = self.facts[i].online_pos as usize;
                    self.online.swap_remove(pos);
                    if let Some(&moved) = self.online.get(pos) {
                        self.facts[moved as usize].online_pos = pos as u32;
                    }
                }
                if let Some(s) = self.seg() {
                    s.left += 1;
                }
            }
            "card.pushed" => {
                self.card_up = true;
                for &i in &self.online {
                    self.facts[i as usize].exposed = true;
                }
            }
            "card.unpushed" => self.card_up = false,
            "comment.posted" => {
                let i = self.index(&e.actor);
                if p["muted"].as_bool() == Some(true) {
                    self.muted_comments += 1;
                    return;
                }
                self.interacted(i);
                self.comments += 1;
                if p["intent"].as_str().is_some_and(|s| s.starts_with("question.")) {
                    self.questions += 1;
                }
                if let Some(s) = self.seg() {
                    s.comments += 1;
                }
            }
            "question.answered" => self.answered += 1,
            "viewer.muted" => self.muted_viewers += 1,
            "like" => {
                let i = self.index(&e.actor);
                self.interacted(i);
                let n = p["count"].as_u64().unwrap_or(1);
                self.likes += n;
                if let Some(s) = self.seg() {
                    s.likes += n;
                }
            }
            "share" => {
                let i = self.index(&e.actor);
                self.interacted(i);
                self.shares += 1;
            }
            "follow" => {
                let i = self.index(&e.actor);
                self.interacted(i);
                self.follows += 1;
                if let Some(s) = self.seg() {
                    s.follows += 1;
                }
            }
            "product.clicked" => {
                let i = self.index(&e.actor);
                self.facts[i].clicked = true;
                if let Some(s) = self.seg() {
                    s.clicks += 1;
                }
            }
            "order.placed" => {
                let i = self.index(&e.actor);
                self.facts[i].ordered = true;
                self.orders += 1;
                self.items += p["units"].as_u64().unwrap_or(1);
                if let Some(s) = self.seg() {
                    s.orders += 1;
                }
            }
            "order.paid" => {
                let i = self.index(&e.actor);
                self.facts[i].paid = true;
                let amount = e.amount.map_or(0, |a| a.0);
                self.paid_orders += 1;
                self.gmv += amount;
                if let Some(s) = self.seg() {
                    s.paid_orders += 1;
                    s.gmv += amount;
                }
            }
            "traffic.spent" => self.spend += e.amount.map_or(0, |a| a.0),
            "traffic.tier_changed" => self.top_tier = self.top_tier.max(p["to"].as_u64().unwrap_or(0)),
            _ => {}
        }
    }
}

/// A show's figures (money in fen; ratios as fractions, 4 decimals).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub minutes_streamed: f64,
    /// 观看人次: entries.
    pub pv: u64,
    /// 观看人数: distinct viewers who entered.
    pub uv: u64,
    /// 最高在线.
    pub peak_online: u64,
    /// 平均在线: minutes watched ÷ minutes streamed.
    pub average_online: f64,
    /// 人均观看时长: watch time ÷ UV.
    pub average_watch_s: f64,
    pub comments: u64,
    /// Comments of muted viewers (nobody else saw them).
    pub muted_comments: u64,
    pub questions: u64,
    pub questions_answered: u64,
    pub likes: u64,
    pub shares: u64,
    pub new_followers: u64,
    /// 转粉率: new followers ÷ UV.
    pub follow_rate: f64,
    /// 互动率: viewers who commented, liked, shared or followed ÷ UV.
    pub interaction_rate: f64,
    /// 商品曝光率: viewers shown a product card ÷ UV.
    pub product_exposure_rate: f64,
    /// 商品点击率: clickers ÷ viewers shown a card.
    pub product_ctr: f64,
    /// 点击-下单率: viewers who ordered ÷ clickers.
    pub click_to_order: f64,
    /// 下单-成交率: paying buyers ÷ viewers who ordered.
    pub order_to_pay: f64,
    /// 整体转化率: paying buyers ÷ UV (viewers who entered).
    pub conversion: f64,
    pub orders_placed: u64,
    pub orders_paid: u64,
    pub paying_buyers: u64,
    pub items_sold: u64,
    /// GMV: orders paid during the show.
    pub gmv_fen: i64,
    /// The simulator models no refunds, so this equals GMV.
    pub gmv_after_refunds_fen: i64,
    /// GPM: GMV × 1000 ÷ PV.
    pub gpm_fen: i64,
    /// UV价值: GMV ÷ UV.
    pub uv_value_fen: i64,
    /// 客单价: GMV ÷ paying buyers.
    pub average_order_value_fen: i64,
    pub paid_traffic_spend_fen: i64,
    /// ROI: GMV ÷ paid-traffic spend.
    pub roi: f64,
    pub trolls_muted: u64,
    pub top_feed_tier: u64,
    pub by_source: Vec<SourceFigures>,
    pub segments: Vec<SegmentFigures>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceFigures {
    pub source: &'static str,
    pub uv: u64,
    pub average_watch_s: f64,
    pub paying_buyers: u64,
    pub conversion: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentFigures {
    pub title: String,
    pub kind: String,
    pub minutes: f64,
    pub average_online: f64,
    pub peak_online: u64,
    pub entries: u64,
    pub exits: u64,
    pub comments: u64,
    pub likes: u64,
    pub new_followers: u64,
    pub product_clicks: u64,
    pub orders_placed: u64,
    pub orders_paid: u64,
    pub gmv_fen: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::event::{EventKind, fold};
    use zhibo_domain::{Fen, RoomId, Timestamp};

    fn ev(seq: u64, secs: i64, kind: &str, actor: Actor, amount: Option<i64>, payload: serde_json::Value) -> Event {
        Event {
            room: RoomId(1),
            seq,
            time: Timestamp(secs * 1000),
            kind: EventKind::parse(kind).unwrap(),
            actor,
            amount: amount.map(Fen),
            payload,
        }
    }

    #[test]
    fn figures_follow_the_metric_definitions() {
        use serde_json::json;
        let (a, b) = (Actor::Sim(1), Actor::Viewer("web-7".into()));
        let log = [
            ev(1, 0, "show.started", Actor::System, None, json!({})),
            ev(2, 0, "viewer.entered", a.clone(), None, json!({ "source": "feed" })),
            ev(3, 10, "card.pushed", Actor::System, None, json!({ "product": "tea" })),
            ev(4, 20, "viewer.entered", b.clone(), None, json!({})),
            ev(5, 30, "product.clicked", a.clone(), None, json!({ "product": "tea" })),
            ev(6, 31, "order.placed", a.clone(), None, json!({ "units": 2 })),
            ev(7, 40, "order.paid", a.clone(), Some(1_000), json!({})),
            ev(8, 50, "like", b.clone(), None, json!({ "count": 5 })),
            ev(9, 60, "viewer.left", a.clone(), None, json!({})),
            ev(10, 80, "viewer.left", b.clone(), None, json!({})),
            ev(11, 120, "show.ended", Actor::System, None, json!({})),
        ];
        let r = fold(Summary::default(), &log).report();
        assert_eq!((r.pv, r.uv, r.peak_online), (2, 2, 2));
        assert_eq!(r.minutes_streamed, 2.0);
        // 60 s + 60 s watched over 120 s streamed.
        assert_eq!(r.average_online, 1.0);
        assert_eq!(r.average_watch_s, 60.0);
        assert_eq!(r.product_exposure_rate, 1.0, "b entered with the card up");
        assert_eq!(r.product_ctr, 0.5);
        assert_eq!((r.click_to_order, r.order_to_pay, r.conversion), (1.0, 1.0, 0.5));
        assert_eq!((r.gmv_fen, r.uv_value_fen, r.gpm_fen, r.average_order_value_fen), (1_000, 500, 500_000, 1_000));
        assert_eq!((r.items_sold, r.likes), (2, 5));
        assert_eq!(r.interaction_rate, 0.5, "a click is not an interaction");
        assert_eq!(r.by_source.iter().map(|s| (s.source, s.uv)).collect::<Vec<_>>(), vec![("feed", 1), ("other", 1)]);
    }
}
