//! Scenarios: a show to play, as a TOML file (scenarios/*.toml, documented
//! in docs/sim.md). Parsing turns the file into a checked [`Scenario`] or
//! a [`SimError`] naming the key and the line; nothing is half-read.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;
use zhibo_domain::localtime::parse_shop_time;
use zhibo_domain::{Fen, Timestamp};

use crate::SimError;
use crate::params::Params;

/// The built-in scenario: the demo shop's tea-and-home evening show.
pub const DEFAULT_SCENARIO: &str = include_str!("../../../scenarios/tea-evening.toml");
pub const DEFAULT_SCENARIO_NAME: &str = "scenarios/tea-evening.toml";

/// At most this many categories (a viewer's interests are a bit set).
pub const MAX_CATEGORIES: usize = 32;
/// At most this many products (what a viewer clicked is a bit set).
pub const MAX_PRODUCTS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Difficulty {
    Easy,
    Normal,
    Hard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SegmentKind {
    Opening,
    Product,
    Interaction,
    Lottery,
    Closing,
}

impl SegmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SegmentKind::Opening => "opening",
            SegmentKind::Product => "product",
            SegmentKind::Interaction => "interaction",
            SegmentKind::Lottery => "lottery",
            SegmentKind::Closing => "closing",
        }
    }
}

/// The age bands of personas, youngest first.
pub const AGE_BANDS: [&str; 5] = ["18-24", "25-30", "31-40", "41-50", "50+"];
/// Devices of personas.
pub const DEVICES: [&str; 3] = ["phone", "pad", "pc"];

#[derive(Debug, Clone, PartialEq)]
pub struct Audience {
    pub followers: u32,
    pub female_share: f64,
    /// Weights in [`AGE_BANDS`] order.
    pub age_bands: [f64; 5],
    /// Weights in [`DEVICES`] order.
    pub devices: [f64; 3],
    /// Share of viewers interested in each category (index = category).
    pub interests: Vec<f64>,
    /// Share of feed arrivals who come to troll.
    pub troll_share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Feed {
    /// Impressions per minute at each tier of the recommendation feed.
    pub impressions_per_min: Vec<u32>,
    pub start_tier: usize,
    /// 曝光-进入率: share of impressions that enter.
    pub entry_rate: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Paid {
    pub budget: Fen,
    pub cost_per_entry: Fen,
    pub from_s: u32,
    pub to_s: u32,
    /// Share of paid viewers targeted at the lineup's categories.
    pub targeting: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub key: String,
    pub title: String,
    pub category: usize,
    pub price: Fen,
    pub list_price: Fen,
    /// How much viewers value it, as a share of its list price on average.
    pub appeal: f64,
    pub stock: u32,
    /// Sold in sizes (so viewers ask about sizes).
    pub sized: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start_s: u32,
    pub end_s: u32,
    pub kind: SegmentKind,
    pub title: String,
    pub product: Option<usize>,
}

/// How the scripted operator handles questions and trolls, until a
/// scripted action changes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Share of questions answered, and within how many seconds.
    pub answer_share: f64,
    pub answer_within_s: u32,
    /// Mute a troll this many seconds after their first troll comment.
    pub mute_trolls_after_s: Option<u32>,
}

/// What the operator does at a scripted time.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptAction {
    /// A room action the model sees.
    Room(crate::OperatorAction),
    /// A change of the operator's own policy.
    Policy(PolicyChange),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PolicyChange {
    AnswerQuestions { share: f64, within_s: u32 },
    IgnoreQuestions,
    MuteTrolls { after_s: u32 },
    IgnoreTrolls,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timed<T> {
    pub at_s: u32,
    pub what: T,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub title: String,
    pub duration_s: u32,
    pub starts_at: Timestamp,
    pub difficulty: Difficulty,
    pub categories: Vec<String>,
    pub audience: Audience,
    pub feed: Feed,
    pub paid: Option<Paid>,
    pub products: Vec<Product>,
    pub segments: Vec<Segment>,
    pub policy: Policy,
    pub script: Vec<Timed<ScriptAction>>,
    pub incidents: Vec<Timed<crate::Incident>>,
    /// The model's parameters, with the difficulty applied.
    pub params: Params,
}

// ---- the file's shape ---------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    title: String,
    duration_min: Spanned<u32>,
    starts_at: Option<Spanned<String>>,
    difficulty: Option<Spanned<String>>,
    audience: AudienceDef,
    #[serde(default)]
    traffic: TrafficDef,
    products: Vec<ProductDef>,
    #[serde(default)]
    segments: Vec<SegmentDef>,
    #[serde(default)]
    operator: OperatorDef,
    #[serde(default)]
    actions: Vec<EntryDef>,
    #[serde(default)]
    incidents: Vec<EntryDef>,
    #[serde(default)]
    model: Params,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AudienceDef {
    followers: u32,
    female_share: Spanned<f64>,
    age_bands: Spanned<BTreeMap<String, f64>>,
    #[serde(default)]
    devices: Option<Spanned<BTreeMap<String, f64>>>,
    interests: Spanned<BTreeMap<String, f64>>,
    #[serde(default)]
    troll_share: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrafficDef {
    #[serde(default)]
    feed: Option<FeedDef>,
    #[serde(default)]
    paid: Option<PaidDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedDef {
    impressions_per_min: Spanned<Vec<u32>>,
    #[serde(default)]
    start_tier: Option<Spanned<usize>>,
    entry_rate: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaidDef {
    budget_fen: Spanned<i64>,
    cost_per_entry_fen: Spanned<i64>,
    from: Spanned<String>,
    to: Spanned<String>,
    targeting: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductDef {
    key: Spanned<String>,
    title: String,
    category: String,
    price_fen: Spanned<i64>,
    list_price_fen: Spanned<i64>,
    appeal: Spanned<f64>,
    stock: u32,
    #[serde(default)]
    sized: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentDef {
    start: Spanned<String>,
    minutes: Spanned<u32>,
    kind: Spanned<String>,
    title: String,
    product: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorDef {
    answer_share: Option<Spanned<f64>>,
    answer_within_s: Option<u32>,
    mute_trolls_after_s: Option<u32>,
}

/// One `[[actions]]` or `[[incidents]]` table: `at`, what (`do` or
/// `kind`), and the fields that kind takes. Flat rather than a serde enum
/// so every field keeps its line for error messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDef {
    at: Spanned<String>,
    #[serde(rename = "do")]
    action: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    product: Option<Spanned<String>>,
    price_fen: Option<Spanned<i64>>,
    off_fen: Option<Spanned<i64>>,
    min_price_fen: Option<Spanned<i64>>,
    minutes: Option<Spanned<u32>>,
    seconds: Option<Spanned<u32>>,
    units: Option<Spanned<u32>>,
    share: Option<Spanned<f64>>,
    within_s: Option<Spanned<u32>>,
    after_s: Option<Spanned<u32>>,
    require_follow: Option<Spanned<bool>>,
    trolls: Option<Spanned<u32>>,
    factor: Option<Spanned<f64>>,
}

// ---- parsing ------------------------------------------------------------

/// Parses and checks a scenario file's text.
pub fn parse(text: &str) -> Result<Scenario, SimError> {
    let file: FileDef = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    Checker { text }.build(file)
}

/// The default scenario, parsed (it is checked by a test).
pub fn default_scenario() -> Scenario {
    parse(DEFAULT_SCENARIO).expect("the built-in scenario parses")
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

fn toml_error(text: &str, e: &toml::de::Error) -> SimError {
    let line = e.span().map(|s| line_of(text, s.start));
    // The key is what stands before `=` on that line, when there is one.
    let key = line
        .and_then(|l| text.lines().nth(l - 1))
        .and_then(|l| l.split_once('=').map(|(k, _)| k.trim().trim_matches('"').to_owned()))
        .filter(|k| !k.is_empty() && !k.starts_with('['))
        .map(|k| match line.and_then(|l| table_at(text, l)) {
            Some(table) => format!("{table}.{k}"),
            None => k,
        })
        .unwrap_or_else(|| "(file)".to_owned());
    let message = e.message().trim().to_owned();
    SimError::new(key, line, format!("格式错误 / {message}"))
}

/// The `[table]` or `[[table]]` header a line falls under, if any.
fn table_at(text: &str, line: usize) -> Option<String> {
    text.lines().take(line).collect::<Vec<_>>().into_iter().rev().find_map(|l| {
        let l = l.trim();
        l.starts_with('[').then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    })
}

struct Checker<'a> {
    text: &'a str,
}

impl Checker<'_> {
    fn err<T>(&self, key: impl Into<String>, at: &Spanned<T>, message: impl Into<String>) -> SimError {
        SimError::new(key, Some(line_of(self.text, at.span().start)), message)
    }

    fn share(&self, key: &str, v: &Spanned<f64>) -> Result<f64, SimError> {
        let x = *v.get_ref();
        if !(0.0..=1.0).contains(&x) {
            return Err(self.err(key, v, format!("应在 0 到 1 之间 / must be between 0 and 1, got {x}")));
        }
        Ok(x)
    }

    fn clock(&self, key: &str, v: &Spanned<String>, duration_s: u32) -> Result<u32, SimError> {
        let secs = parse_clock(v.get_ref()).ok_or_else(|| {
            self.err(
                key,
                v,
                format!(
                    "时间应写成 分:秒 如 \"15:00\" / expected a time like \"15:00\" (min:sec) or \"1:05:00\", got {:?}",
                    v.get_ref()
                ),
            )
        })?;
        if secs > duration_s {
            return Err(self.err(
                key,
                v,
                format!(
                    "{} 晚于直播结束（{} 分钟） / {} is after the show ends ({} min)",
                    v.get_ref(),
                    duration_s / 60,
                    v.get_ref(),
                    duration_s / 60
                ),
            ));
        }
        Ok(secs)
    }

    fn money(&self, key: &str, v: &Spanned<i64>, allow_zero: bool) -> Result<Fen, SimError> {
        let x = *v.get_ref();
        if x < 0 || (!allow_zero && x == 0) {
            return Err(self.err(key, v, format!("金额（分）须为正数 / amount in fen must be positive, got {x}")));
        }
        Ok(Fen(x))
    }

    fn product(&self, key: &str, v: &Spanned<String>, products: &[Product]) -> Result<usize, SimError> {
        products.iter().position(|p| p.key == *v.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = products.iter().map(|p| p.key.as_str()).collect();
            self.err(
                key,
                v,
                format!("没有这个商品 / no product with key {:?} (known: {})", v.get_ref(), known.join(", ")),
            )
        })
    }

    fn build(&self, f: FileDef) -> Result<Scenario, SimError> {
        let duration_min = *f.duration_min.get_ref();
        if duration_min == 0 || duration_min > 24 * 60 {
            return Err(self.err(
                "duration_min",
                &f.duration_min,
                "应在 1 到 1440 分钟之间 / must be 1 to 1440 minutes",
            ));
        }
        let duration_s = duration_min * 60;
        let starts_at = match &f.starts_at {
            None => parse_shop_time("starts_at", "2026-11-25T20:00").expect("a valid time"),
            Some(s) => parse_shop_time("starts_at", s.get_ref()).map_err(|e| self.err("starts_at", s, e.message))?,
        };
        let difficulty = match f.difficulty.as_ref().map(|d| d.get_ref().as_str()) {
            None | Some("normal") => Difficulty::Normal,
            Some("easy") => Difficulty::Easy,
            Some("hard") => Difficulty::Hard,
            Some(other) => {
                let at = f.difficulty.as_ref().expect("present");
                return Err(self.err(
                    "difficulty",
                    at,
                    format!("应为 easy、normal 或 hard / must be easy, normal or hard, got {other:?}"),
                ));
            }
        };

        // Categories: the products' first, in file order, then interests.
        let mut categories: Vec<String> = Vec::new();
        for p in &f.products {
            if !categories.contains(&p.category) {
                categories.push(p.category.clone());
            }
        }
        for c in f.audience.interests.get_ref().keys() {
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
        if categories.len() > MAX_CATEGORIES {
            return Err(self.err(
                "audience.interests",
                &f.audience.interests,
                format!("最多 {MAX_CATEGORIES} 个品类 / at most {MAX_CATEGORIES} categories"),
            ));
        }
        let audience = self.audience(&f.audience, &categories)?;

        let mut products = Vec::new();
        if f.products.is_empty() {
            return Err(SimError::new("products", None, "至少一个商品 / at least one [[products]] entry"));
        }
        if f.products.len() > MAX_PRODUCTS {
            let at = &f.products[MAX_PRODUCTS].key;
            return Err(self.err(
                format!("products[{MAX_PRODUCTS}]"),
                at,
                format!("最多 {MAX_PRODUCTS} 个商品 / at most {MAX_PRODUCTS} products"),
            ));
        }
        for (i, p) in f.products.iter().enumerate() {
            let key = |k: &str| format!("products[{i}].{k}");
            if p.key.get_ref().trim().is_empty() {
                return Err(self.err(key("key"), &p.key, "不能为空 / must not be empty"));
            }
            if products.iter().any(|q: &Product| q.key == *p.key.get_ref()) {
                return Err(self.err(
                    key("key"),
                    &p.key,
                    format!("商品键重复 / duplicate product key {:?}", p.key.get_ref()),
                ));
            }
            let price = self.money(&key("price_fen"), &p.price_fen, false)?;
            let list_price = self.money(&key("list_price_fen"), &p.list_price_fen, false)?;
            if list_price < price {
                return Err(self.err(
                    key("list_price_fen"),
                    &p.list_price_fen,
                    "划线价不能低于售价 / list price must not be below the price",
                ));
            }
            let appeal = *p.appeal.get_ref();
            if !(0.0..=5.0).contains(&appeal) {
                return Err(self.err(
                    key("appeal"),
                    &p.appeal,
                    format!("应在 0 到 5 之间 / must be between 0 and 5, got {appeal}"),
                ));
            }
            products.push(Product {
                key: p.key.get_ref().clone(),
                title: p.title.clone(),
                category: categories.iter().position(|c| *c == p.category).expect("collected above"),
                price,
                list_price,
                appeal,
                stock: p.stock,
                sized: p.sized,
            });
        }

        let feed = match &f.traffic.feed {
            None => Feed { impressions_per_min: vec![0], start_tier: 0, entry_rate: 0.0 },
            Some(d) => {
                let tiers = d.impressions_per_min.get_ref().clone();
                if tiers.is_empty() {
                    return Err(self.err(
                        "traffic.feed.impressions_per_min",
                        &d.impressions_per_min,
                        "至少一档 / at least one tier",
                    ));
                }
                let start_tier = match &d.start_tier {
                    None => 0,
                    Some(t) if *t.get_ref() < tiers.len() => *t.get_ref(),
                    Some(t) => {
                        return Err(self.err(
                            "traffic.feed.start_tier",
                            t,
                            format!(
                                "只有 {} 档（从 0 数） / there are {} tiers, counted from 0",
                                tiers.len(),
                                tiers.len()
                            ),
                        ));
                    }
                };
                Feed {
                    impressions_per_min: tiers,
                    start_tier,
                    entry_rate: self.share("traffic.feed.entry_rate", &d.entry_rate)?,
                }
            }
        };
        let paid = match &f.traffic.paid {
            None => None,
            Some(d) => {
                let budget = self.money("traffic.paid.budget_fen", &d.budget_fen, true)?;
                let cost_per_entry = self.money("traffic.paid.cost_per_entry_fen", &d.cost_per_entry_fen, false)?;
                let from_s = self.clock("traffic.paid.from", &d.from, duration_s)?;
                let to_s = self.clock("traffic.paid.to", &d.to, duration_s)?;
                if to_s <= from_s {
                    return Err(self.err("traffic.paid.to", &d.to, "结束须晚于开始 / must be after `from`"));
                }
                let targeting = self.share("traffic.paid.targeting", &d.targeting)?;
                Some(Paid { budget, cost_per_entry, from_s, to_s, targeting })
            }
        };

        let mut segments: Vec<Segment> = Vec::new();
        for (i, s) in f.segments.iter().enumerate() {
            let key = |k: &str| format!("segments[{i}].{k}");
            let start_s = self.clock(&key("start"), &s.start, duration_s)?;
            let minutes = *s.minutes.get_ref();
            let end_s = start_s + minutes * 60;
            if minutes == 0 || end_s > duration_s {
                return Err(self.err(
                    key("minutes"),
                    &s.minutes,
                    "须大于 0 且不超过直播结束 / must be > 0 and end by the show's end",
                ));
            }
            if let Some(prev) = segments.last()
                && start_s < prev.end_s
            {
                return Err(self.err(
                    key("start"),
                    &s.start,
                    "与上一段重叠或顺序颠倒 / overlaps or precedes the previous segment",
                ));
            }
            let kind = match s.kind.get_ref().as_str() {
                "opening" => SegmentKind::Opening,
                "product" => SegmentKind::Product,
                "interaction" => SegmentKind::Interaction,
                "lottery" => SegmentKind::Lottery,
                "closing" => SegmentKind::Closing,
                other => {
                    return Err(self.err(
                        key("kind"),
                        &s.kind,
                        format!(
                            "未知环节类型 / unknown kind {other:?}: opening, product, interaction, lottery or closing"
                        ),
                    ));
                }
            };
            let product = match &s.product {
                None => None,
                Some(p) => Some(self.product(&key("product"), p, &products)?),
            };
            segments.push(Segment { start_s, end_s, kind, title: s.title.clone(), product });
        }

        let mut policy = Policy { answer_share: 0.0, answer_within_s: 30, mute_trolls_after_s: None };
        if let Some(s) = &f.operator.answer_share {
            policy.answer_share = self.share("operator.answer_share", s)?;
        }
        if let Some(w) = f.operator.answer_within_s {
            policy.answer_within_s = w.max(1);
        }
        policy.mute_trolls_after_s = f.operator.mute_trolls_after_s;

        let mut script = Vec::new();
        for (i, e) in f.actions.iter().enumerate() {
            script.push(self.action(i, e, duration_s, &products)?);
        }
        script.sort_by_key(|t: &Timed<ScriptAction>| t.at_s);
        let mut incidents = Vec::new();
        for (i, e) in f.incidents.iter().enumerate() {
            incidents.push(self.incident(i, e, duration_s, &products)?);
        }
        incidents.sort_by_key(|t: &Timed<crate::Incident>| t.at_s);

        let params = apply_difficulty(f.model, difficulty);
        let mut audience = audience;
        audience.troll_share *= match difficulty {
            Difficulty::Easy => 0.5,
            Difficulty::Normal => 1.0,
            Difficulty::Hard => 2.0,
        };
        Ok(Scenario {
            title: f.title,
            duration_s,
            starts_at,
            difficulty,
            categories,
            audience,
            feed,
            paid,
            products,
            segments,
            policy,
            script,
            incidents,
            params,
        })
    }

    fn audience(&self, a: &AudienceDef, categories: &[String]) -> Result<Audience, SimError> {
        let female_share = self.share("audience.female_share", &a.female_share)?;
        let mut age_bands = [0.0; 5];
        for (band, w) in a.age_bands.get_ref() {
            let Some(i) = AGE_BANDS.iter().position(|b| b == band) else {
                return Err(self.err(
                    format!("audience.age_bands.{band}"),
                    &a.age_bands,
                    format!("未知年龄段 / unknown age band {band:?}: {}", AGE_BANDS.join(", ")),
                ));
            };
            if *w < 0.0 {
                return Err(self.err(
                    format!("audience.age_bands.{band}"),
                    &a.age_bands,
                    "权重不能为负 / weight must not be negative",
                ));
            }
            age_bands[i] = *w;
        }
        if age_bands.iter().sum::<f64>() <= 0.0 {
            return Err(self.err("audience.age_bands", &a.age_bands, "至少一个正权重 / needs a positive weight"));
        }
        let mut devices = [0.95, 0.02, 0.03];
        if let Some(d) = &a.devices {
            devices = [0.0; 3];
            for (name, w) in d.get_ref() {
                let Some(i) = DEVICES.iter().position(|x| x == name) else {
                    return Err(self.err(
                        format!("audience.devices.{name}"),
                        d,
                        format!("未知设备 / unknown device {name:?}: {}", DEVICES.join(", ")),
                    ));
                };
                if *w < 0.0 {
                    return Err(self.err(
                        format!("audience.devices.{name}"),
                        d,
                        "权重不能为负 / weight must not be negative",
                    ));
                }
                devices[i] = *w;
            }
            if devices.iter().sum::<f64>() <= 0.0 {
                return Err(self.err("audience.devices", d, "至少一个正权重 / needs a positive weight"));
            }
        }
        let mut interests = vec![0.0; categories.len()];
        for (c, share) in a.interests.get_ref() {
            if !(0.0..=1.0).contains(share) {
                return Err(self.err(
                    format!("audience.interests.{c}"),
                    &a.interests,
                    format!("应在 0 到 1 之间 / must be between 0 and 1, got {share}"),
                ));
            }
            interests[categories.iter().position(|x| x == c).expect("collected")] = *share;
        }
        let troll_share = match &a.troll_share {
            None => 0.002,
            Some(t) => self.share("audience.troll_share", t)?,
        };
        Ok(Audience { followers: a.followers, female_share, age_bands, devices, interests, troll_share })
    }

    fn action(
        &self,
        i: usize,
        e: &EntryDef,
        duration_s: u32,
        products: &[Product],
    ) -> Result<Timed<ScriptAction>, SimError> {
        use crate::OperatorAction as A;
        let at_s = self.clock(&format!("actions[{i}].at"), &e.at, duration_s)?;
        let fields = Fields { c: self, e, base: format!("actions[{i}]") };
        let Some(what) = &e.action else {
            return Err(self.err(format!("actions[{i}].do"), &e.at, "缺少 `do` / missing `do` (push_card, unpush_card, set_price, coupon, lottery, flash_sale, answer_questions, ignore_questions, mute_trolls, ignore_trolls)"));
        };
        if let Some(k) = &e.kind {
            return Err(self.err(
                format!("actions[{i}].kind"),
                k,
                "动作用 `do`，`kind` 用于突发事件 / actions use `do`; `kind` is for [[incidents]]",
            ));
        }
        let action = match what.get_ref().as_str() {
            "push_card" => {
                fields.only(&["product"])?;
                ScriptAction::Room(A::PushCard { product: fields.product(products)? })
            }
            "unpush_card" => {
                fields.only(&[])?;
                ScriptAction::Room(A::UnpushCard)
            }
            "set_price" => {
                fields.only(&["product", "price_fen"])?;
                ScriptAction::Room(A::SetPrice {
                    product: fields.product(products)?,
                    price: fields.money("price_fen")?,
                })
            }
            "coupon" => {
                fields.only(&["product", "off_fen", "min_price_fen", "minutes"])?;
                let product = match &e.product {
                    None => None,
                    Some(_) => Some(fields.product(products)?),
                };
                let min_price = match &e.min_price_fen {
                    None => Fen::ZERO,
                    Some(m) => self.money(&format!("actions[{i}].min_price_fen"), m, true)?,
                };
                ScriptAction::Room(A::Coupon {
                    product,
                    off: fields.money("off_fen")?,
                    min_price,
                    secs: fields.minutes()? * 60,
                })
            }
            "lottery" => {
                fields.only(&["minutes", "require_follow"])?;
                let require_follow = e.require_follow.as_ref().is_none_or(|r| *r.get_ref());
                ScriptAction::Room(A::Lottery { secs: fields.minutes()? * 60, require_follow })
            }
            "flash_sale" => {
                fields.only(&["product", "price_fen", "units", "minutes"])?;
                let units = fields.req(&e.units, "units")?;
                ScriptAction::Room(A::FlashSale {
                    product: fields.product(products)?,
                    price: fields.money("price_fen")?,
                    units,
                    secs: fields.minutes()? * 60,
                })
            }
            "answer_questions" => {
                fields.only(&["share", "within_s"])?;
                let share = match &e.share {
                    None => 1.0,
                    Some(s) => self.share(&format!("actions[{i}].share"), s)?,
                };
                let within_s = e.within_s.as_ref().map_or(20, |w| (*w.get_ref()).max(1));
                ScriptAction::Policy(PolicyChange::AnswerQuestions { share, within_s })
            }
            "ignore_questions" => {
                fields.only(&[])?;
                ScriptAction::Policy(PolicyChange::IgnoreQuestions)
            }
            "mute_trolls" => {
                fields.only(&["after_s"])?;
                ScriptAction::Policy(PolicyChange::MuteTrolls {
                    after_s: e.after_s.as_ref().map_or(15, |a| *a.get_ref()),
                })
            }
            "ignore_trolls" => {
                fields.only(&[])?;
                ScriptAction::Policy(PolicyChange::IgnoreTrolls)
            }
            other => {
                return Err(self.err(format!("actions[{i}].do"), what, format!("未知动作 / unknown action {other:?}: push_card, unpush_card, set_price, coupon, lottery, flash_sale, answer_questions, ignore_questions, mute_trolls, ignore_trolls")));
            }
        };
        Ok(Timed { at_s, what: action })
    }

    fn incident(
        &self,
        i: usize,
        e: &EntryDef,
        duration_s: u32,
        products: &[Product],
    ) -> Result<Timed<crate::Incident>, SimError> {
        use crate::Incident as I;
        let at_s = self.clock(&format!("incidents[{i}].at"), &e.at, duration_s)?;
        let fields = Fields { c: self, e, base: format!("incidents[{i}]") };
        let Some(kind) = &e.kind else {
            return Err(self.err(format!("incidents[{i}].kind"), &e.at, "缺少 `kind` / missing `kind` (stream_drop, dead_link, wrong_price, troll_wave, stock_out, traffic_surge)"));
        };
        if let Some(d) = &e.action {
            return Err(self.err(
                format!("incidents[{i}].do"),
                d,
                "突发事件用 `kind` / incidents use `kind`; `do` is for [[actions]]",
            ));
        }
        let incident = match kind.get_ref().as_str() {
            "stream_drop" => {
                fields.only(&["seconds"])?;
                I::StreamDrop { secs: fields.req(&e.seconds, "seconds")? }
            }
            "dead_link" => {
                fields.only(&["product", "minutes"])?;
                I::DeadLink { product: fields.product(products)?, secs: fields.minutes()? * 60 }
            }
            "wrong_price" => {
                fields.only(&["product", "price_fen"])?;
                I::WrongPrice { product: fields.product(products)?, price: fields.money("price_fen")? }
            }
            "troll_wave" => {
                fields.only(&["trolls"])?;
                I::TrollWave { trolls: fields.req(&e.trolls, "trolls")? }
            }
            "stock_out" => {
                fields.only(&["product"])?;
                I::StockOut { product: fields.product(products)? }
            }
            "traffic_surge" => {
                fields.only(&["factor", "minutes"])?;
                let factor = fields.req(&e.factor, "factor")?;
                if !(factor > 0.0 && factor <= 100.0) {
                    let at = e.factor.as_ref().expect("required above");
                    return Err(self.err(
                        format!("incidents[{i}].factor"),
                        at,
                        "应在 0 到 100 之间 / must be above 0 and at most 100",
                    ));
                }
                I::TrafficSurge { factor, secs: fields.minutes()? * 60 }
            }
            other => {
                return Err(self.err(format!("incidents[{i}].kind"), kind, format!("未知突发事件 / unknown incident {other:?}: stream_drop, dead_link, wrong_price, troll_wave, stock_out, traffic_surge")));
            }
        };
        Ok(Timed { at_s, what: incident })
    }
}

/// The optional fields of one `[[actions]]`/`[[incidents]]` entry.
struct Fields<'a, 'b> {
    c: &'a Checker<'b>,
    e: &'a EntryDef,
    base: String,
}

impl Fields<'_, '_> {
    /// Refuses fields that the entry's kind does not take.
    fn only(&self, allowed: &[&str]) -> Result<(), SimError> {
        let e = self.e;
        let present: [(&str, Option<std::ops::Range<usize>>); 13] = [
            ("product", e.product.as_ref().map(|v| v.span())),
            ("price_fen", e.price_fen.as_ref().map(|v| v.span())),
            ("off_fen", e.off_fen.as_ref().map(|v| v.span())),
            ("min_price_fen", e.min_price_fen.as_ref().map(|v| v.span())),
            ("minutes", e.minutes.as_ref().map(|v| v.span())),
            ("seconds", e.seconds.as_ref().map(|v| v.span())),
            ("units", e.units.as_ref().map(|v| v.span())),
            ("share", e.share.as_ref().map(|v| v.span())),
            ("within_s", e.within_s.as_ref().map(|v| v.span())),
            ("after_s", e.after_s.as_ref().map(|v| v.span())),
            ("require_follow", e.require_follow.as_ref().map(|v| v.span())),
            ("trolls", e.trolls.as_ref().map(|v| v.span())),
            ("factor", e.factor.as_ref().map(|v| v.span())),
        ];
        for (name, span) in present {
            if let Some(span) = span
                && !allowed.contains(&name)
            {
                return Err(SimError::new(
                    format!("{}.{name}", self.base),
                    Some(line_of(self.c.text, span.start)),
                    format!(
                        "这一项不用 `{name}` / `{name}` does not apply here (takes: {})",
                        if allowed.is_empty() { "nothing".to_owned() } else { allowed.join(", ") }
                    ),
                ));
            }
        }
        Ok(())
    }

    fn missing(&self, name: &str) -> SimError {
        SimError::new(
            format!("{}.{name}", self.base),
            Some(line_of(self.c.text, self.e.at.span().start)),
            format!("缺少 `{name}` / missing `{name}`"),
        )
    }

    fn req<T: Copy>(&self, v: &Option<Spanned<T>>, name: &str) -> Result<T, SimError> {
        v.as_ref().map(|s| *s.get_ref()).ok_or_else(|| self.missing(name))
    }

    fn product(&self, products: &[Product]) -> Result<usize, SimError> {
        let p = self.e.product.as_ref().ok_or_else(|| self.missing("product"))?;
        self.c.product(&format!("{}.product", self.base), p, products)
    }

    fn money(&self, name: &str) -> Result<Fen, SimError> {
        let v = match name {
            "price_fen" => &self.e.price_fen,
            _ => &self.e.off_fen,
        };
        let v = v.as_ref().ok_or_else(|| self.missing(name))?;
        self.c.money(&format!("{}.{name}", self.base), v, false)
    }

    fn minutes(&self) -> Result<u32, SimError> {
        let m = self.e.minutes.as_ref().ok_or_else(|| self.missing("minutes"))?;
        if *m.get_ref() == 0 {
            return Err(self.c.err(format!("{}.minutes", self.base), m, "须大于 0 / must be above 0"));
        }
        Ok(*m.get_ref())
    }
}

/// `M:SS` or `H:MM:SS` into seconds.
pub fn parse_clock(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let num = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match parts.as_slice() {
        [m, s] => {
            let (m, s) = (num(m)?, num(s)?);
            (s < 60).then_some(m * 60 + s)
        }
        [h, m, s] => {
            let (h, m, s) = (num(h)?, num(m)?, num(s)?);
            (m < 60 && s < 60).then_some(h * 3600 + m * 60 + s)
        }
        _ => None,
    }
}

/// Difficulty scales a few of the model's numbers (docs/sim.md).
fn apply_difficulty(mut p: Params, d: Difficulty) -> Params {
    let (leave, order, patience) = match d {
        Difficulty::Easy => (0.85, 1.2, 1.3),
        Difficulty::Normal => return p,
        Difficulty::Hard => (1.2, 0.8, 0.75),
    };
    p.leave_base *= leave;
    p.order_base *= order;
    p.patience_min_secs = (f64::from(p.patience_min_secs) * patience) as u32;
    p.patience_max_secs = (f64::from(p.patience_max_secs) * patience) as u32;
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse() {
        assert_eq!(parse_clock("15:00"), Some(900));
        assert_eq!(parse_clock("0:05"), Some(5));
        assert_eq!(parse_clock("1:05:00"), Some(3900));
        for bad in ["", "15", "1:60", "a:00", "-1:00", "1:2:3:4"] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_default_scenario_parses() {
        let s = default_scenario();
        assert!(!s.products.is_empty());
        assert!(!s.segments.is_empty());
        assert!(!s.script.is_empty());
    }
}
