//! 直播场次: a show as it is planned and run. A show IS a live room: its id
//! is the [`RoomId`](crate::RoomId) of the room's event log.
//!
//! Raw input ([`ShowInput`], from a form or a JSON body, money already in fen
//! and times already in milliseconds) is parsed by [`ShowDraft::parse`]
//! against the shop's products and their current prices, and every wrong
//! field is reported at once as a [`ShowError`] naming the field and, for
//! the lineup (货盘) and the run sheet (流程单), the row. Pages and API share
//! this one parser.
//!
//! A show's life is [`Lifecycle`]: planned → live → ended, each step a pure
//! function that refuses an illegal move (starting an ended show, ending a
//! planned one), so the store and the web layer never decide that themselves.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use crate::catalog::{line, text_block};
use crate::selection::ProductRole;
use crate::{DomainError, Fen, ProductId, Timestamp, UserId};

/// Where a show stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShowState {
    /// 未开播: being planned.
    Planned,
    /// 直播中.
    Live,
    /// 已结束.
    Ended,
}

impl ShowState {
    pub const ALL: [ShowState; 3] = [ShowState::Planned, ShowState::Live, ShowState::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            ShowState::Planned => "planned",
            ShowState::Live => "live",
            ShowState::Ended => "ended",
        }
    }

    pub fn parse(text: &str) -> Option<ShowState> {
        ShowState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn zh(self) -> &'static str {
        match self {
            ShowState::Planned => "未开播",
            ShowState::Live => "直播中",
            ShowState::Ended => "已结束",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ShowState::Planned => "planned",
            ShowState::Live => "live",
            ShowState::Ended => "ended",
        }
    }
}

impl fmt::Display for ShowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A show's state with the moments that belong to it, so a live show always
/// has a start and an ended one always has both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Planned,
    Live { started_at: Timestamp },
    Ended { started_at: Timestamp, ended_at: Timestamp },
}

impl Lifecycle {
    pub fn state(self) -> ShowState {
        match self {
            Lifecycle::Planned => ShowState::Planned,
            Lifecycle::Live { .. } => ShowState::Live,
            Lifecycle::Ended { .. } => ShowState::Ended,
        }
    }

    pub fn started_at(self) -> Option<Timestamp> {
        match self {
            Lifecycle::Planned => None,
            Lifecycle::Live { started_at } | Lifecycle::Ended { started_at, .. } => Some(started_at),
        }
    }

    pub fn ended_at(self) -> Option<Timestamp> {
        match self {
            Lifecycle::Ended { ended_at, .. } => Some(ended_at),
            _ => None,
        }
    }

    /// Planned → live at `at` (开播).
    pub fn start(self, at: Timestamp) -> Result<Lifecycle, DomainError> {
        match self {
            Lifecycle::Planned => Ok(Lifecycle::Live { started_at: at }),
            Lifecycle::Live { .. } => Err(DomainError::new("state", "本场已在直播中 / the show is already live")),
            Lifecycle::Ended { .. } => {
                Err(DomainError::new("state", "本场已结束，不能再开播 / the show has ended and cannot start again"))
            }
        }
    }

    /// Live → ended at `at` (下播). A clock that went back is clamped to
    /// the start, so an ended show never ends before it began.
    pub fn end(self, at: Timestamp) -> Result<Lifecycle, DomainError> {
        match self {
            Lifecycle::Live { started_at } => Ok(Lifecycle::Ended { started_at, ended_at: at.max(started_at) }),
            Lifecycle::Planned => {
                Err(DomainError::new("state", "本场尚未开播，不能结束 / the show has not started, so it cannot end"))
            }
            Lifecycle::Ended { .. } => Err(DomainError::new("state", "本场已结束 / the show has already ended")),
        }
    }

    /// Whether the plan may still be edited: not once the show has ended
    /// (its plan is then part of the record the review reads).
    pub fn check_editable(self) -> Result<(), DomainError> {
        match self {
            Lifecycle::Ended { .. } => {
                Err(DomainError::new("state", "已结束的场次不能修改 / an ended show can no longer be edited"))
            }
            _ => Ok(()),
        }
    }

    /// Rebuilds a lifecycle from stored columns, refusing combinations
    /// that cannot happen (live without a start, ended without an end).
    pub fn from_parts(
        state: &str,
        started_at: Option<Timestamp>,
        ended_at: Option<Timestamp>,
    ) -> Result<Lifecycle, DomainError> {
        let bad = || DomainError::new("state", format!("bad show state {state:?} ({started_at:?}, {ended_at:?})"));
        match (ShowState::parse(state).ok_or_else(bad)?, started_at, ended_at) {
            (ShowState::Planned, None, None) => Ok(Lifecycle::Planned),
            (ShowState::Live, Some(started_at), None) => Ok(Lifecycle::Live { started_at }),
            (ShowState::Ended, Some(started_at), Some(ended_at)) if ended_at >= started_at => {
                Ok(Lifecycle::Ended { started_at, ended_at })
            }
            _ => Err(bad()),
        }
    }
}

/// 流程单环节: what a run-sheet segment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// 开场
    Opening,
    /// 讲品
    Product,
    /// 互动
    Interaction,
    /// 福袋
    Lottery,
    /// 收尾
    Closing,
}

impl SegmentKind {
    pub const ALL: [SegmentKind; 5] = [
        SegmentKind::Opening,
        SegmentKind::Product,
        SegmentKind::Interaction,
        SegmentKind::Lottery,
        SegmentKind::Closing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SegmentKind::Opening => "opening",
            SegmentKind::Product => "product",
            SegmentKind::Interaction => "interaction",
            SegmentKind::Lottery => "lottery",
            SegmentKind::Closing => "closing",
        }
    }

    pub fn parse(text: &str) -> Option<SegmentKind> {
        SegmentKind::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    pub fn zh(self) -> &'static str {
        match self {
            SegmentKind::Opening => "开场",
            SegmentKind::Product => "讲品",
            SegmentKind::Interaction => "互动",
            SegmentKind::Lottery => "福袋",
            SegmentKind::Closing => "收尾",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            SegmentKind::Opening => "opening",
            SegmentKind::Product => "product",
            SegmentKind::Interaction => "interaction",
            SegmentKind::Lottery => "lottery",
            SegmentKind::Closing => "closing",
        }
    }
}

/// One lineup row as typed or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineupInput {
    pub product: ProductId,
    /// `traffic`, `profit`, `image` or `giveaway`.
    pub role: String,
    pub live_price: Option<Fen>,
    /// Minutes after the scheduled start at which the card is to be pushed.
    pub push_offset_minutes: Option<i64>,
    pub talking_points: String,
}

/// One run-sheet row as typed or sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentInput {
    /// `opening`, `product`, `interaction`, `lottery` or `closing`.
    pub kind: String,
    pub title: String,
    /// Minutes after the scheduled start.
    pub start_offset_minutes: i64,
    pub minutes: i64,
}

/// A show as someone typed or sent it, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowInput {
    pub title: String,
    pub intro: String,
    pub scheduled_start: Timestamp,
    pub streamer: Option<UserId>,
    pub assistant: Option<UserId>,
    pub promotion_budget: Option<Fen>,
    pub lineup: Vec<LineupInput>,
    pub run_sheet: Vec<SegmentInput>,
}

/// A checked lineup item (货盘的一行).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineupItem {
    pub product: ProductId,
    pub role: ProductRole,
    pub live_price: Option<Fen>,
    pub push_offset_minutes: Option<i64>,
    pub talking_points: String,
}

/// A checked run-sheet segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub kind: SegmentKind,
    pub title: String,
    pub start_offset_minutes: i64,
    pub minutes: i64,
}

impl Segment {
    /// The minute after the segment's last one.
    pub fn end_offset_minutes(&self) -> i64 {
        self.start_offset_minutes + self.minutes
    }
}

/// The part of a show a wrong field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Show,
    /// A lineup row, from 0.
    Lineup(usize),
    /// A run-sheet row, from 0.
    RunSheet(usize),
}

/// One wrong field of a show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowError {
    pub section: Section,
    pub error: DomainError,
}

impl ShowError {
    fn show(error: DomainError) -> Self {
        ShowError { section: Section::Show, error }
    }

    /// The field as a JSON-like path: `title`, `lineup[2].live_price`,
    /// `run_sheet[0].minutes` (rows from 0).
    pub fn path(&self) -> String {
        match self.section {
            Section::Show => self.error.field.to_owned(),
            Section::Lineup(row) => format!("lineup[{row}].{}", self.error.field),
            Section::RunSheet(row) => format!("run_sheet[{row}].{}", self.error.field),
        }
    }
}

impl fmt::Display for ShowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.error.message)
    }
}

/// A checked show plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowDraft {
    pub title: String,
    pub intro: String,
    pub scheduled_start: Timestamp,
    pub streamer: Option<UserId>,
    pub assistant: Option<UserId>,
    pub promotion_budget: Option<Fen>,
    pub lineup: Vec<LineupItem>,
    pub run_sheet: Vec<Segment>,
}

/// 2000-01-01T00:00Z and 9999-12-31T23:59Z: a scheduled start outside is a
/// typing or unit mistake (seconds sent for milliseconds, say).
const EARLIEST_START_MS: i64 = 946_684_800_000;
const LATEST_START_MS: i64 = 253_402_300_740_000;

impl ShowDraft {
    pub const MAX_TITLE_CHARS: usize = 60;
    pub const MAX_INTRO_CHARS: usize = 1000;
    pub const MAX_LINEUP: usize = 50;
    pub const MAX_TALKING_POINTS_CHARS: usize = 1000;
    pub const MAX_SEGMENTS: usize = 40;
    pub const MAX_SEGMENT_TITLE_CHARS: usize = 40;
    /// A show is planned within a day of its start.
    pub const MAX_OFFSET_MINUTES: i64 = 24 * 60;

    /// Checks every field, each lineup row against `prices` (the shop's
    /// products and their current prices: an unknown product or a live
    /// price above the price is refused), and the run sheet for overlaps,
    /// reporting every problem at once.
    pub fn parse(input: &ShowInput, prices: &BTreeMap<ProductId, Fen>) -> Result<ShowDraft, Vec<ShowError>> {
        let mut errors = Vec::new();
        let mut check = |result: Result<String, DomainError>| {
            result.unwrap_or_else(|e| {
                errors.push(ShowError::show(e));
                String::new()
            })
        };
        let title = check(line("title", "场次标题", "title", &input.title, Self::MAX_TITLE_CHARS));
        let intro = check(text_block("intro", "简介", "intro", &input.intro, Self::MAX_INTRO_CHARS));
        if title.is_empty() && !errors.iter().any(|e| e.error.field == "title") {
            errors.push(ShowError::show(DomainError::new(
                "title",
                format!("场次标题需1到{0}个字符 / the title must be 1 to {0} characters", Self::MAX_TITLE_CHARS),
            )));
        }
        if !(EARLIEST_START_MS..=LATEST_START_MS).contains(&input.scheduled_start.0) {
            errors.push(ShowError::show(DomainError::new(
                "scheduled_start",
                "开播时间须在2000年到9999年之间 / the scheduled start must be between the years 2000 and 9999",
            )));
        }
        if let (Some(s), Some(a)) = (input.streamer, input.assistant)
            && s == a
        {
            errors.push(ShowError::show(DomainError::new(
                "assistant",
                "主播和场控不能是同一人 / the streamer and the assistant must be different people",
            )));
        }
        if input.promotion_budget.is_some_and(|b| b.0 < 0) {
            errors.push(ShowError::show(DomainError::new(
                "promotion_budget",
                "促销预算不能为负 / the promotion budget cannot be negative",
            )));
        }
        let lineup = parse_lineup(&input.lineup, prices, &mut errors);
        let run_sheet = parse_run_sheet(&input.run_sheet, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ShowDraft {
            title,
            intro,
            scheduled_start: input.scheduled_start,
            streamer: input.streamer,
            assistant: input.assistant,
            promotion_budget: input.promotion_budget,
            lineup,
            run_sheet,
        })
    }
}

fn parse_lineup(
    inputs: &[LineupInput],
    prices: &BTreeMap<ProductId, Fen>,
    errors: &mut Vec<ShowError>,
) -> Vec<LineupItem> {
    if inputs.len() > ShowDraft::MAX_LINEUP {
        errors.push(ShowError::show(DomainError::new(
            "lineup",
            format!("货盘最多{0}个商品 / at most {0} products in the lineup", ShowDraft::MAX_LINEUP),
        )));
        return Vec::new();
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for (row, input) in inputs.iter().enumerate() {
        let n = row + 1;
        let mut wrong = |field: &'static str, message: String| {
            errors.push(ShowError { section: Section::Lineup(row), error: DomainError::new(field, message) })
        };
        let price = prices.get(&input.product).copied();
        if price.is_none() {
            wrong(
                "product",
                format!("第{n}行：本店没有商品 {0} / row {n}: product {0} is not in this shop", input.product),
            );
        } else if !seen.insert(input.product) {
            wrong("product", format!("第{n}行：商品重复 / row {n}: the product is already in the lineup"));
        }
        let role = ProductRole::parse(input.role.trim());
        if role.is_none() {
            wrong(
                "role",
                format!(
                    "第{n}行：角色须为 traffic、profit、image 或 giveaway / row {n}: the role must be traffic, profit, image or giveaway, not {:?}",
                    input.role
                ),
            );
        }
        if let Some(live) = input.live_price {
            if live.0 <= 0 {
                wrong("live_price", format!("第{n}行：直播价须大于0 / row {n}: the live price must be above 0"));
            } else if let Some(price) = price
                && live > price
            {
                wrong(
                    "live_price",
                    format!(
                        "第{n}行：直播价{live}高于售价{price} / row {n}: the live price {live} is above the price {price}"
                    ),
                );
            }
        }
        if let Some(offset) = input.push_offset_minutes
            && !(0..=ShowDraft::MAX_OFFSET_MINUTES).contains(&offset)
        {
            wrong(
                "push_offset_minutes",
                format!(
                    "第{n}行：讲解时间须为开播后0到{0}分钟 / row {n}: the push time must be 0 to {0} minutes after the start",
                    ShowDraft::MAX_OFFSET_MINUTES
                ),
            );
        }
        let talking_points = text_block(
            "talking_points",
            "话术要点",
            "talking points",
            &input.talking_points,
            ShowDraft::MAX_TALKING_POINTS_CHARS,
        )
        .unwrap_or_else(|e| {
            wrong(e.field, format!("第{n}行 / row {n}: {}", e.message));
            String::new()
        });
        if let (Some(role), true) = (role, price.is_some()) {
            items.push(LineupItem {
                product: input.product,
                role,
                live_price: input.live_price,
                push_offset_minutes: input.push_offset_minutes,
                talking_points,
            });
        }
    }
    items
}

fn parse_run_sheet(inputs: &[SegmentInput], errors: &mut Vec<ShowError>) -> Vec<Segment> {
    if inputs.len() > ShowDraft::MAX_SEGMENTS {
        errors.push(ShowError::show(DomainError::new(
            "run_sheet",
            format!("流程单最多{0}段 / at most {0} segments in the run sheet", ShowDraft::MAX_SEGMENTS),
        )));
        return Vec::new();
    }
    let mut segments: Vec<Option<Segment>> = Vec::new();
    for (row, input) in inputs.iter().enumerate() {
        let n = row + 1;
        let mut wrong = |field: &'static str, message: String| {
            errors.push(ShowError { section: Section::RunSheet(row), error: DomainError::new(field, message) })
        };
        let kind = SegmentKind::parse(&input.kind);
        if kind.is_none() {
            wrong(
                "kind",
                format!(
                    "第{n}段：环节须为 opening、product、interaction、lottery 或 closing / segment {n}: the kind must be opening, product, interaction, lottery or closing, not {:?}",
                    input.kind
                ),
            );
        }
        let max = ShowDraft::MAX_SEGMENT_TITLE_CHARS;
        let title = match line("title", "环节名称", "title", &input.title, max) {
            Ok(t) if !t.is_empty() => t,
            Ok(_) => {
                wrong(
                    "title",
                    format!("第{n}段：环节名称需1到{max}个字符 / segment {n}: the title must be 1 to {max} characters"),
                );
                String::new()
            }
            Err(e) => {
                wrong(e.field, format!("第{n}段 / segment {n}: {}", e.message));
                String::new()
            }
        };
        let start_ok = (0..=ShowDraft::MAX_OFFSET_MINUTES).contains(&input.start_offset_minutes);
        if !start_ok {
            wrong(
                "start_offset_minutes",
                format!(
                    "第{n}段：开始时间须为开播后0到{0}分钟 / segment {n}: the start must be 0 to {0} minutes after the show's start",
                    ShowDraft::MAX_OFFSET_MINUTES
                ),
            );
        }
        let minutes_ok = (1..=ShowDraft::MAX_OFFSET_MINUTES).contains(&input.minutes);
        if !minutes_ok {
            wrong(
                "minutes",
                format!(
                    "第{n}段：时长须为1到{0}分钟 / segment {n}: the length must be 1 to {0} minutes",
                    ShowDraft::MAX_OFFSET_MINUTES
                ),
            );
        }
        segments.push(match (kind, start_ok && minutes_ok) {
            (Some(kind), true) => {
                Some(Segment { kind, title, start_offset_minutes: input.start_offset_minutes, minutes: input.minutes })
            }
            _ => None,
        });
    }
    // Overlaps, among the rows whose times are sound: a later row is named,
    // with the earlier row it runs into.
    let times: Vec<Option<(i64, i64)>> = inputs
        .iter()
        .map(|i| {
            let ok = (0..=ShowDraft::MAX_OFFSET_MINUTES).contains(&i.start_offset_minutes)
                && (1..=ShowDraft::MAX_OFFSET_MINUTES).contains(&i.minutes);
            ok.then_some((i.start_offset_minutes, i.start_offset_minutes + i.minutes))
        })
        .collect();
    for (j, b) in times.iter().enumerate() {
        let Some((b_start, b_end)) = *b else { continue };
        let clash =
            times[..j].iter().position(|a| a.is_some_and(|(a_start, a_end)| a_start < b_end && b_start < a_end));
        if let Some(i) = clash {
            let (n, m) = (j + 1, i + 1);
            errors.push(ShowError {
                section: Section::RunSheet(j),
                error: DomainError::new(
                    "start_offset_minutes",
                    format!("第{n}段与第{m}段时间重叠 / segment {n} overlaps segment {m}"),
                ),
            });
        }
    }
    segments.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25 20:00 Beijing.
    const START: Timestamp = Timestamp(1_795_608_000_000);

    fn prices() -> BTreeMap<ProductId, Fen> {
        BTreeMap::from([(ProductId(1), Fen(19_900)), (ProductId(2), Fen(6_990))])
    }

    fn item(product: i64, role: &str, live: Option<i64>) -> LineupInput {
        LineupInput {
            product: ProductId(product),
            role: role.into(),
            live_price: live.map(Fen),
            push_offset_minutes: Some(5),
            talking_points: "十年陈香\n附冲泡指南".into(),
        }
    }

    fn seg(kind: &str, title: &str, start: i64, minutes: i64) -> SegmentInput {
        SegmentInput { kind: kind.into(), title: title.into(), start_offset_minutes: start, minutes }
    }

    fn input() -> ShowInput {
        ShowInput {
            title: " 今晚8点 茶与家居专场 ".into(),
            intro: "好茶好物".into(),
            scheduled_start: START,
            streamer: Some(UserId(3)),
            assistant: Some(UserId(4)),
            promotion_budget: Some(Fen(50_000)),
            lineup: vec![item(2, "traffic", Some(5_990)), item(1, "profit", None)],
            run_sheet: vec![seg("opening", "开场暖场", 0, 5), seg("product", "讲普洱", 5, 15)],
        }
    }

    fn paths(errors: &[ShowError]) -> Vec<String> {
        errors.iter().map(ShowError::path).collect()
    }

    #[test]
    fn a_sound_show_parses_trimmed_with_its_rows_in_order() {
        let draft = ShowDraft::parse(&input(), &prices()).unwrap();
        assert_eq!(draft.title, "今晚8点 茶与家居专场");
        assert_eq!(draft.lineup.iter().map(|i| i.product).collect::<Vec<_>>(), [ProductId(2), ProductId(1)]);
        assert_eq!(draft.lineup[0].role, ProductRole::Traffic);
        assert_eq!(draft.run_sheet[1].kind, SegmentKind::Product);
        assert_eq!(draft.run_sheet[1].end_offset_minutes(), 20);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let mut bad = input();
        bad.title = "  ".into();
        bad.scheduled_start = Timestamp(1_795_608_000); // seconds sent as milliseconds
        bad.assistant = bad.streamer;
        bad.promotion_budget = Some(Fen(-1));
        bad.lineup = vec![
            item(9, "traffic", None),
            item(1, "hero", Some(20_000)),
            item(2, "giveaway", Some(0)),
            LineupInput { push_offset_minutes: Some(-3), ..item(2, "profit", None) },
        ];
        bad.run_sheet = vec![seg("dance", "", 0, 0), seg("closing", "收尾", 10, -5)];
        let errors = ShowDraft::parse(&bad, &prices()).unwrap_err();
        assert_eq!(
            paths(&errors),
            [
                "title",
                "scheduled_start",
                "assistant",
                "promotion_budget",
                "lineup[0].product",
                "lineup[1].role",
                "lineup[1].live_price",
                "lineup[2].live_price",
                "lineup[3].product",
                "lineup[3].push_offset_minutes",
                "run_sheet[0].kind",
                "run_sheet[0].title",
                "run_sheet[0].minutes",
                "run_sheet[1].minutes",
            ]
        );
        let live = errors.iter().find(|e| e.path() == "lineup[1].live_price").unwrap();
        assert!(live.error.message.contains("高于售价") && live.error.message.contains("above the price"), "{live}");
    }

    #[test]
    fn overlapping_segments_name_both_rows_and_touching_ones_pass() {
        let mut show = input();
        show.run_sheet = vec![
            seg("opening", "开场", 0, 10),
            seg("product", "讲普洱", 10, 20),
            seg("lottery", "福袋", 25, 5),
            seg("closing", "收尾", 30, 5),
        ];
        let errors = ShowDraft::parse(&show, &prices()).unwrap_err();
        assert_eq!(paths(&errors), ["run_sheet[2].start_offset_minutes"]);
        assert!(errors[0].error.message.contains("第3段与第2段时间重叠"), "{}", errors[0]);
        assert!(errors[0].error.message.contains("segment 3 overlaps segment 2"));
        show.run_sheet[2].start_offset_minutes = 30;
        show.run_sheet[3].start_offset_minutes = 35;
        assert!(ShowDraft::parse(&show, &prices()).is_ok());
    }

    #[test]
    fn a_live_price_equal_to_the_price_is_allowed() {
        let mut show = input();
        show.lineup = vec![item(1, "image", Some(19_900))];
        assert!(ShowDraft::parse(&show, &prices()).is_ok());
    }

    #[test]
    fn the_lifecycle_moves_only_forward() {
        let t1 = Timestamp(1_000);
        let t2 = Timestamp(2_000);
        let live = Lifecycle::Planned.start(t1).unwrap();
        assert_eq!(live, Lifecycle::Live { started_at: t1 });
        assert_eq!(live.start(t2).unwrap_err().field, "state");
        let ended = live.end(t2).unwrap();
        assert_eq!((ended.state(), ended.started_at(), ended.ended_at()), (ShowState::Ended, Some(t1), Some(t2)));
        assert!(ended.start(t2).unwrap_err().message.contains("cannot start again"));
        assert!(ended.end(t2).is_err());
        assert!(Lifecycle::Planned.end(t2).unwrap_err().message.contains("has not started"));
        assert!(ended.check_editable().is_err() && live.check_editable().is_ok());
        // a clock that went back never makes a show end before it began
        assert_eq!(live.end(Timestamp(500)).unwrap().ended_at(), Some(t1));
    }

    #[test]
    fn stored_parts_round_trip_and_impossible_ones_are_refused() {
        for l in [
            Lifecycle::Planned,
            Lifecycle::Live { started_at: Timestamp(5) },
            Lifecycle::Ended { started_at: Timestamp(5), ended_at: Timestamp(9) },
        ] {
            assert_eq!(Lifecycle::from_parts(l.state().as_str(), l.started_at(), l.ended_at()), Ok(l));
        }
        assert!(Lifecycle::from_parts("live", None, None).is_err());
        assert!(Lifecycle::from_parts("ended", Some(Timestamp(9)), Some(Timestamp(5))).is_err());
        assert!(Lifecycle::from_parts("paused", None, None).is_err());
    }

    #[test]
    fn kinds_and_states_round_trip() {
        for k in SegmentKind::ALL {
            assert_eq!(SegmentKind::parse(k.as_str()), Some(k));
        }
        for s in ShowState::ALL {
            assert_eq!(ShowState::parse(s.as_str()), Some(s));
        }
    }
}
