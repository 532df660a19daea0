//! The show form's run-sheet automation rows (流程单自动化): `auto_{n}_{field}`
//! for push-a-card-when-a-segment-starts, a 福袋 every N minutes and a
//! reminder pinned at a shop clock time, each with its id in a hidden
//! `auto_{n}_id` so saving the plan again keeps the ids the room's log names.
//!
//! Rows are read like the lineup's: blank ones dropped, the rest numbered
//! from 1; numbers that cannot be read are named by field, then the domain
//! (`zhibo_domain::automation`) and the live room's lottery limits judge
//! the rest against the show being saved: its lineup, its run sheet (the
//! segment number as the form's run sheet numbers it, from 1) and the
//! shop's coupons. Every message is prefixed with the row, zh-CN first.

use zhibo_domain::automation::{ActionContext, ActionInput, ActionSpec, KINDS, ShowAction};
use zhibo_domain::show::ShowInput;
use zhibo_domain::{DomainError, ProductId};

use super::form::{FormView, Select};
use crate::error::FieldError;
use crate::i18n::Msg;
use crate::pages::promotions::form::{Field, FormInput};

/// Automation rows a form offers (more when the show has more).
pub const AUTO_ROWS: usize = 3;

/// The typed fields of a row; `id` rides along hidden and is not typed.
pub const FIELDS: [&str; 12] = [
    "kind",
    "product",
    "segment",
    "every_minutes",
    "times",
    "prize",
    "winners",
    "keyword",
    "duration_secs",
    "at",
    "text",
    "coupon",
];

pub fn name(n: usize, field: &str) -> String {
    format!("auto_{n}_{field}")
}

fn prefix(n: usize) -> String {
    format!("自动动作第{n}行 / action row {n}: ")
}

/// The row numbers posted, in order.
fn posted(input: &FormInput) -> Vec<usize> {
    let mut rows: Vec<usize> = input
        .0
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("auto_")?.split_once('_')?.0.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// Appends the automation rows of `input` to a compacted form: blank rows
/// (whatever their hidden id: clearing a row removes its action) dropped,
/// the rest numbered from 1.
pub fn compact_into(input: &FormInput, out: &mut Vec<(String, String)>) {
    let mut kept = 0;
    for n in posted(input) {
        let values: Vec<&str> = FIELDS.iter().map(|f| input.one(&name(n, f))).collect();
        if values.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        kept += 1;
        out.push((name(kept, "id"), input.one(&name(n, "id")).to_owned()));
        out.extend(FIELDS.iter().zip(values).map(|(f, v)| (name(kept, f), v.to_owned())));
    }
}

/// How many rows a compacted form holds.
pub fn rows(values: &FormInput) -> usize {
    posted(values).last().copied().unwrap_or(0)
}

/// Reads and checks the rows of a compacted form against the show being
/// saved; `(id, action)` in order, or the problems by field.
pub fn read(
    values: &FormInput,
    show: &ShowInput,
    coupons: &[i64],
) -> (Vec<(Option<i64>, ActionSpec)>, Vec<FieldError>) {
    let lineup: Vec<ProductId> = show.lineup.iter().map(|l| l.product).collect();
    let cx = ActionContext { lineup: &lineup, segments: show.run_sheet.len(), coupons };
    let mut actions = Vec::new();
    let mut errors = Vec::new();
    for n in 1..=rows(values) {
        let text = |f: &str| values.one(&name(n, f)).trim().to_owned();
        let mut wrong = |f: &str, message: String| errors.push(FieldError { field: name(n, f), message });
        let mut number = |f: &str| -> Option<i64> {
            let t = text(f);
            if t.is_empty() {
                return None;
            }
            t.parse::<i64>()
                .map_err(|_| wrong(f, format!("{}须为整数 / must be a whole number: {t:?}", prefix(n))))
                .ok()
        };
        let input = ActionInput {
            kind: text("kind"),
            product: number("product").map(ProductId),
            segment: number("segment"),
            every_minutes: number("every_minutes"),
            times: number("times"),
            prize: text("prize"),
            winners: number("winners"),
            keyword: text("keyword"),
            duration_secs: number("duration_secs"),
            at: text("at"),
            text: text("text"),
            coupon: number("coupon"),
        };
        let id = number("id");
        let unread: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        let mut problem = |e: DomainError| {
            let field = name(n, e.field);
            if !unread.contains(&field) {
                errors.push(FieldError { field, message: format!("{}{}", prefix(n), e.message) });
            }
        };
        match input.parse(cx) {
            Ok(spec) => {
                if let ActionSpec::Lottery { prize, winners, keyword, duration_secs, .. } = &spec
                    && let Err(e) =
                        zhibo_live::automation::check_lottery(prize, *winners, keyword.as_deref(), *duration_secs)
                {
                    problem(DomainError::new(e.field.unwrap_or("kind"), e.message));
                    continue;
                }
                actions.push((id, spec));
            }
            Err(problems) => problems.into_iter().for_each(&mut problem),
        }
    }
    (actions, errors)
}

/// A stored show's actions as the form shows them, to edit.
pub fn pairs(actions: &[ShowAction]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let n = i + 1;
        let mut put = |f: &str, v: String| out.push((name(n, f), v));
        put("id", a.id.to_string());
        put("kind", a.spec.kind().to_owned());
        match &a.spec {
            ActionSpec::PushCard { product, segment } => {
                put("product", product.0.to_string());
                put("segment", (segment + 1).to_string());
            }
            ActionSpec::Lottery { every_minutes, from_segment, times, prize, winners, keyword, duration_secs } => {
                put("every_minutes", every_minutes.to_string());
                put("segment", from_segment.map_or_else(String::new, |s| (s + 1).to_string()));
                put("times", times.map_or_else(String::new, |t| t.to_string()));
                put("prize", prize.clone());
                put("winners", winners.to_string());
                put("keyword", keyword.clone().unwrap_or_default());
                put("duration_secs", duration_secs.to_string());
            }
            ActionSpec::Reminder { at, text, coupon } => {
                put("at", at.to_string());
                put("text", text.clone());
                put("coupon", coupon.map_or_else(String::new, |c| c.to_string()));
            }
        }
    }
    out
}

/// One automation row of the form.
pub struct AutoRow {
    pub n: usize,
    pub id: String,
    pub kind: Select,
    pub product: Select,
    pub segment: Field,
    pub every_minutes: Field,
    pub times: Field,
    pub prize: Field,
    pub winners: Field,
    pub keyword: Field,
    pub duration_secs: Field,
    pub at: Field,
    pub text: Field,
    pub coupon: Select,
}

/// The rows the form shows: those typed or stored, and blank ones up to
/// [`AUTO_ROWS`].
pub fn view_rows(
    v: &FormView,
    values: &FormInput,
    t: &Msg,
    products: &[(String, String)],
    coupons: &[(String, String)],
) -> Vec<AutoRow> {
    let kinds: Vec<(String, String)> =
        KINDS.iter().map(|(code, zh, en)| ((*code).to_owned(), format!("{zh} / {en}"))).collect();
    let count = rows(values).max(AUTO_ROWS);
    (1..=count)
        .map(|n| AutoRow {
            n,
            id: values.one(&name(n, "id")).to_owned(),
            kind: v.select(&name(n, "kind"), t.show_choose, &kinds),
            product: v.select(&name(n, "product"), t.show_choose, products),
            segment: v.field(&name(n, "segment"), "numeric"),
            every_minutes: v.field(&name(n, "every_minutes"), "numeric"),
            times: v.field(&name(n, "times"), "numeric"),
            prize: v.field(&name(n, "prize"), ""),
            winners: v.field(&name(n, "winners"), "numeric"),
            keyword: v.field(&name(n, "keyword"), ""),
            duration_secs: v.field(&name(n, "duration_secs"), "numeric"),
            at: Field { kind: "time", ..v.field(&name(n, "at"), "") },
            text: v.field(&name(n, "text"), ""),
            coupon: v.select(&name(n, "coupon"), t.show_nobody, coupons),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::Timestamp;
    use zhibo_domain::show::{LineupInput, SegmentInput};

    fn input(pairs: &[(&str, &str)]) -> FormInput {
        FormInput(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    fn show() -> ShowInput {
        ShowInput {
            title: "专场".into(),
            intro: String::new(),
            scheduled_start: Timestamp(0),
            streamer: None,
            assistant: None,
            promotion_budget: None,
            lineup: vec![LineupInput {
                product: ProductId(7),
                role: "profit".into(),
                live_price: None,
                push_offset_minutes: None,
                talking_points: String::new(),
            }],
            run_sheet: vec![SegmentInput {
                kind: "opening".into(),
                title: "开场".into(),
                start_offset_minutes: 0,
                minutes: 5,
            }],
        }
    }

    #[test]
    fn rows_compact_read_and_name_their_fields() {
        let form = input(&[
            ("auto_1_id", "9"),
            ("auto_1_kind", ""),
            ("auto_2_kind", "push_card"),
            ("auto_2_product", "7"),
            ("auto_2_segment", "1"),
            ("auto_3_id", "4"),
            ("auto_3_kind", "lottery"),
            ("auto_3_every_minutes", "0"),
            ("auto_3_prize", "围巾"),
            ("auto_3_winners", "x"),
            ("auto_3_duration_secs", "60"),
            ("auto_4_kind", "reminder"),
            ("auto_4_at", "20:30"),
            ("auto_4_text", "领券"),
        ]);
        let mut out = Vec::new();
        compact_into(&form, &mut out);
        let values = FormInput(out);
        assert_eq!(rows(&values), 3, "the blank first row is dropped though it had an id");
        let (actions, errors) = read(&values, &show(), &[]);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["auto_2_winners", "auto_2_every_minutes"]);
        assert!(errors[1].message.starts_with("自动动作第2行 / action row 2: "), "{}", errors[1].message);
        assert_eq!(actions.len(), 2);
        assert_eq!(actions[0], (None, ActionSpec::PushCard { product: ProductId(7), segment: 0 }));
        // Stored actions come back as the same fields.
        let stored = vec![ShowAction { id: 5, spec: actions[1].1.clone() }];
        let again = FormInput(pairs(&stored));
        let (read_again, errors) = read(&again, &show(), &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(read_again, [(Some(5), actions[1].1.clone())]);
    }

    #[test]
    fn the_rooms_lottery_limits_apply() {
        let form = input(&[
            ("auto_1_kind", "lottery"),
            ("auto_1_every_minutes", "10"),
            ("auto_1_prize", "围巾"),
            ("auto_1_winners", "1"),
            ("auto_1_duration_secs", "5"),
        ]);
        let (actions, errors) = read(&form, &show(), &[]);
        assert!(actions.is_empty());
        assert_eq!(errors[0].field, "auto_1_duration_secs");
    }
}
