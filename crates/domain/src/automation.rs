//! Run-sheet automation (流程单自动化): actions a show's plan attaches to its
//! run sheet for the live room to carry out on time — push a product's card
//! when a segment starts, open a 福袋 every N minutes, pin a coupon reminder
//! at a clock time of the shop.
//!
//! This module holds the values and their rules: what a form or the API
//! typed ([`ActionInput`]) is checked into an [`ActionSpec`] with every
//! problem named by field, zh-CN first. When an action is due is decided by
//! the live room (`zhibo_live::automation`); the lottery's own limits
//! (prize, winners, keyword, duration) are the live room's too and are
//! checked there.

use serde::{Deserialize, Serialize};

use crate::localtime::{SHOP_OFFSET_MINUTES, format_shop_time, parse_shop_time};
use crate::{DomainError, ProductId, Timestamp};

/// Most actions one show may carry.
pub const MAX_ACTIONS: usize = 30;
/// Longest interval between two automatic lotteries, in minutes (10 hours).
pub const MAX_EVERY_MINUTES: u32 = 600;
/// Most times one interval action may fire.
pub const MAX_TIMES: u32 = 100;
/// Longest reminder text, in characters (the room's pinned-topic limit).
pub const MAX_TEXT_CHARS: usize = 100;

const DAY_MS: i64 = 86_400_000;

/// A time of day on the shop's clock (UTC+08:00), to the minute: `20:30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClockTime {
    /// Minutes after the shop's midnight, 0..1440.
    minutes: u32,
}

impl ClockTime {
    /// Parses `HH:MM` (24-hour) as shop time.
    pub fn parse(field: &'static str, text: &str) -> Result<ClockTime, DomainError> {
        let t = text.trim();
        let bad =
            || DomainError::new(field, format!("时间格式应为 20:30 / expected a clock time like 20:30, got {t:?}"));
        if t.is_empty() {
            return Err(DomainError::new(field, "不能为空 / must not be empty"));
        }
        let (h, m) = t.split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        // Any date will do: the calendar's own rules judge the hour and minute.
        let at = parse_shop_time(field, &format!("2000-01-01T{h:0>2}:{m}")).map_err(|_| bad())?;
        let local = at.0 + SHOP_OFFSET_MINUTES * 60_000;
        Ok(ClockTime { minutes: (local.rem_euclid(DAY_MS) / 60_000) as u32 })
    }

    /// From milliseconds after the shop's midnight, as stored.
    pub fn from_millis(ms: i64) -> Result<ClockTime, DomainError> {
        if !(0..DAY_MS).contains(&ms) || ms % 60_000 != 0 {
            return Err(DomainError::new("at", format!("不是一天中的整分钟 / not a whole minute of a day: {ms} ms")));
        }
        Ok(ClockTime { minutes: (ms / 60_000) as u32 })
    }

    /// Milliseconds after the shop's midnight.
    pub fn millis(self) -> i64 {
        i64::from(self.minutes) * 60_000
    }

    /// The first moment at or after `from` when the shop's clock reads this
    /// time: a show starting at 23:00 with a reminder at 00:30 gets it the
    /// next day.
    pub fn first_at_or_after(self, from: Timestamp) -> Timestamp {
        let date = format_shop_time(from);
        let day = date.split_once('T').map_or(date.as_str(), |(d, _)| d);
        let same_day = parse_shop_time("at", &format!("{day}T{self}")).unwrap_or(from);
        if same_day < from { same_day.plus_millis(DAY_MS) } else { same_day }
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// One automatic action of a show, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionSpec {
    /// 推送讲解卡: push `product`'s card when run-sheet segment `segment`
    /// (counted from 0, as the room's `start_segment`) starts.
    PushCard { product: ProductId, segment: u32 },
    /// 定时福袋: open a lottery `every_minutes`, counted from the show's
    /// start or from the start of `from_segment`; `times` lotteries, or
    /// until the show ends when `None`. The lottery's fields are those of
    /// the room's `open_lottery` (joined by comment when `keyword` is set,
    /// else by following).
    Lottery {
        every_minutes: u32,
        from_segment: Option<u32>,
        times: Option<u32>,
        prize: String,
        winners: u32,
        keyword: Option<String>,
        duration_secs: u32,
    },
    /// 优惠券提醒 / 公告: pin `text` for viewers at the shop's clock time
    /// `at` (the first such time at or after the show's start), naming the
    /// shop's coupon `coupon` when one is chosen.
    Reminder { at: ClockTime, text: String, coupon: Option<i64> },
}

impl ActionSpec {
    /// `push_card`, `lottery` or `reminder`.
    pub fn kind(&self) -> &'static str {
        match self {
            ActionSpec::PushCard { .. } => "push_card",
            ActionSpec::Lottery { .. } => "lottery",
            ActionSpec::Reminder { .. } => "reminder",
        }
    }
}

/// The kinds a form offers: (code, zh-CN, English).
pub const KINDS: [(&str, &str, &str); 3] = [
    ("push_card", "推送讲解卡", "push a card"),
    ("lottery", "定时福袋", "lottery every N minutes"),
    ("reminder", "定时提醒", "reminder at a time"),
];

/// A saved action: its id (stable across saves of the plan) and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowAction {
    pub id: i64,
    #[serde(flatten)]
    pub spec: ActionSpec,
}

/// What a form or the API typed for one action. Numbers that could not be
/// read are the caller's problem to report; here they are `None` or the
/// text as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionInput {
    pub kind: String,
    pub product: Option<ProductId>,
    /// The segment as the run sheet numbers it on the form: from 1.
    pub segment: Option<i64>,
    pub every_minutes: Option<i64>,
    pub times: Option<i64>,
    pub prize: String,
    pub winners: Option<i64>,
    pub keyword: String,
    pub duration_secs: Option<i64>,
    /// `HH:MM`, shop time.
    pub at: String,
    pub text: String,
    pub coupon: Option<i64>,
}

/// What an action is checked against: the show it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct ActionContext<'a> {
    /// The show's lineup.
    pub lineup: &'a [ProductId],
    /// How many segments the run sheet has.
    pub segments: usize,
    /// The shop's coupons (promotion ids).
    pub coupons: &'a [i64],
}

impl ActionInput {
    /// Checks one action; every problem at once, by field.
    pub fn parse(&self, cx: ActionContext<'_>) -> Result<ActionSpec, Vec<DomainError>> {
        let mut errors = Vec::new();
        let empty = |field| DomainError::new(field, "不能为空 / must not be empty");
        let segment = |errors: &mut Vec<DomainError>, required: bool| -> Option<u32> {
            match self.segment {
                None if required => {
                    errors
                        .push(DomainError::new("segment", "请填写流程单的段号 / give the run sheet's segment number"));
                    None
                }
                None => None,
                Some(n) if n >= 1 && (n as usize) <= cx.segments => Some((n - 1) as u32),
                Some(n) => {
                    errors.push(DomainError::new(
                        "segment",
                        format!(
                            "流程单没有第 {n} 段（共 {} 段） / the run sheet has no segment {n} ({} segments)",
                            cx.segments, cx.segments
                        ),
                    ));
                    None
                }
            }
        };
        let spec = match self.kind.trim() {
            "push_card" => {
                let product = match self.product {
                    None => {
                        errors.push(DomainError::new("product", "请选择商品 / choose a product"));
                        None
                    }
                    Some(p) if !cx.lineup.contains(&p) => {
                        errors.push(DomainError::new(
                            "product",
                            format!("商品 {p} 不在本场货盘中 / product {p} is not in this show's lineup"),
                        ));
                        None
                    }
                    p => p,
                };
                let segment = segment(&mut errors, true);
                product.zip(segment).map(|(product, segment)| ActionSpec::PushCard { product, segment })
            }
            "lottery" => {
                let every = match self.every_minutes {
                    None => {
                        errors.push(empty("every_minutes"));
                        None
                    }
                    Some(m) if m >= 1 && m <= i64::from(MAX_EVERY_MINUTES) => Some(m as u32),
                    Some(m) => {
                        errors.push(DomainError::new(
                            "every_minutes",
                            format!(
                                "间隔须在 1 到 {MAX_EVERY_MINUTES} 分钟 / every_minutes must be 1 to {MAX_EVERY_MINUTES}, got {m}"
                            ),
                        ));
                        None
                    }
                };
                let times = match self.times {
                    None => Some(None),
                    Some(t) if t >= 1 && t <= i64::from(MAX_TIMES) => Some(Some(t as u32)),
                    Some(t) => {
                        errors.push(DomainError::new(
                            "times",
                            format!("次数须在 1 到 {MAX_TIMES} / times must be 1 to {MAX_TIMES}, got {t}"),
                        ));
                        None
                    }
                };
                let from_segment = segment(&mut errors, false);
                let from_ok = self.segment.is_none() || from_segment.is_some();
                let number = |errors: &mut Vec<DomainError>, field, value: Option<i64>| match value {
                    None => {
                        errors.push(empty(field));
                        None
                    }
                    Some(v) => match u32::try_from(v) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            errors
                                .push(DomainError::new(field, format!("须为正整数 / must be a positive number: {v}")));
                            None
                        }
                    },
                };
                let winners = number(&mut errors, "winners", self.winners);
                let duration_secs = number(&mut errors, "duration_secs", self.duration_secs);
                if self.prize.trim().is_empty() {
                    errors.push(empty("prize"));
                }
                let keyword = Some(self.keyword.trim().to_owned()).filter(|k| !k.is_empty());
                match (every, times, winners, duration_secs, from_ok) {
                    (Some(every_minutes), Some(times), Some(winners), Some(duration_secs), true) => {
                        Some(ActionSpec::Lottery {
                            every_minutes,
                            from_segment,
                            times,
                            prize: self.prize.trim().to_owned(),
                            winners,
                            keyword,
                            duration_secs,
                        })
                    }
                    _ => None,
                }
            }
            "reminder" => {
                let at = ClockTime::parse("at", &self.at).map_err(|e| errors.push(e)).ok();
                let text = self.text.trim();
                let chars = text.chars().count();
                if text.is_empty() {
                    errors.push(empty("text"));
                } else if chars > MAX_TEXT_CHARS {
                    errors.push(DomainError::new(
                        "text",
                        format!(
                            "提醒太长（{chars} 字，上限 {MAX_TEXT_CHARS}） / text too long ({chars} characters, limit {MAX_TEXT_CHARS})"
                        ),
                    ));
                }
                if let Some(c) = self.coupon
                    && !cx.coupons.contains(&c)
                {
                    errors.push(DomainError::new("coupon", format!("本店没有优惠券 {c} / the shop has no coupon {c}")));
                }
                at.map(|at| ActionSpec::Reminder { at, text: text.to_owned(), coupon: self.coupon })
            }
            "" => {
                errors.push(DomainError::new("kind", "请选择动作 / choose what to do"));
                None
            }
            other => {
                errors.push(DomainError::new(
                    "kind",
                    format!("未知的动作 / unknown action {other:?}: push_card, lottery or reminder"),
                ));
                None
            }
        };
        match spec {
            Some(spec) if errors.is_empty() => Ok(spec),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CX: ActionContext<'static> = ActionContext { lineup: &[ProductId(7)], segments: 3, coupons: &[42] };

    #[test]
    fn clock_times_parse_and_land_on_the_shops_day() {
        let at = ClockTime::parse("at", "20:30").unwrap();
        assert_eq!(at.to_string(), "20:30");
        assert_eq!(ClockTime::parse("at", "9:05").unwrap().millis(), (9 * 60 + 5) * 60_000);
        for bad in ["", "24:00", "20:60", "2030", "20:3", "ab:cd", "-1:00", "20:30:00"] {
            assert_eq!(ClockTime::parse("at", bad).unwrap_err().field, "at", "{bad}");
        }
        // 2026-11-25 20:00 shop time
        let start = parse_shop_time("t", "2026-11-25T20:00").unwrap();
        assert_eq!(format_shop_time(at.first_at_or_after(start)), "2026-11-25T20:30");
        let late = ClockTime::parse("at", "00:30").unwrap();
        assert_eq!(format_shop_time(late.first_at_or_after(start)), "2026-11-26T00:30");
        assert_eq!(ClockTime::parse("at", "20:00").unwrap().first_at_or_after(start), start);
        assert_eq!(ClockTime::from_millis(at.millis()).unwrap(), at);
        assert!(ClockTime::from_millis(DAY_MS).is_err());
    }

    #[test]
    fn each_kind_checks_its_fields_by_name() {
        let push = ActionInput {
            kind: "push_card".into(),
            product: Some(ProductId(7)),
            segment: Some(2),
            ..Default::default()
        };
        assert_eq!(push.parse(CX).unwrap(), ActionSpec::PushCard { product: ProductId(7), segment: 1 });
        let bad = ActionInput { product: Some(ProductId(8)), segment: Some(4), ..push.clone() };
        let fields: Vec<_> = bad.parse(CX).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["product", "segment"]);

        let lottery = ActionInput {
            kind: "lottery".into(),
            every_minutes: Some(10),
            prize: "围巾".into(),
            winners: Some(3),
            keyword: " 好物 ".into(),
            duration_secs: Some(120),
            ..Default::default()
        };
        match lottery.parse(CX).unwrap() {
            ActionSpec::Lottery { every_minutes: 10, from_segment: None, times: None, keyword, .. } => {
                assert_eq!(keyword.as_deref(), Some("好物"))
            }
            other => panic!("{other:?}"),
        }
        let zero = ActionInput { every_minutes: Some(0), times: Some(0), prize: " ".into(), ..lottery };
        let fields: Vec<_> = zero.parse(CX).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["every_minutes", "times", "prize"]);

        let remind = ActionInput {
            kind: "reminder".into(),
            at: "20:30".into(),
            text: "领券".into(),
            coupon: Some(42),
            ..Default::default()
        };
        assert!(matches!(remind.parse(CX).unwrap(), ActionSpec::Reminder { coupon: Some(42), .. }));
        let bad = ActionInput { at: "25:00".into(), coupon: Some(1), ..remind };
        let errors = bad.parse(CX).unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["at", "coupon"]);
        assert!(errors[0].message.starts_with("时间格式"), "zh-CN first: {}", errors[0].message);
        let none = ActionInput { kind: "dance".into(), ..Default::default() };
        assert_eq!(none.parse(CX).unwrap_err()[0].field, "kind");
    }

    #[test]
    fn a_saved_action_round_trips_as_json() {
        let a = ShowAction {
            id: 5,
            spec: ActionSpec::Reminder { at: ClockTime { minutes: 1230 }, text: "x".into(), coupon: None },
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["kind"], "reminder");
        assert_eq!(serde_json::from_value::<ShowAction>(json).unwrap(), a);
    }
}
