//! 新建 / 编辑场次: the show form — title, intro, scheduled start (Beijing
//! time), streamer and assistant, promotion budget, the lineup (货盘) rows
//! and the run-sheet (流程单) rows.
//!
//! What is typed is read into the domain's [`ShowInput`] (money with
//! [`Fen::parse_yuan`], the start with [`parse_shop_time`], minutes as whole
//! numbers) and checked by the API's own [`check_plan`], so the page and the
//! API refuse the same plans with the same words.
//!
//! Blank rows are skipped, and the rows that are kept are numbered again
//! from 1 before anything is checked: the domain's messages say "第3行",
//! and the form shown back has its filled rows first, so row 3 in a message
//! is row 3 on screen. Nothing typed is lost; blank rows just move last.
//!
//! A field that could not be read gets its reading problem; the domain's
//! check of the placeholder put in its place is left out, as it would only
//! repeat the problem in other words.

use std::collections::BTreeSet;

use zhibo_domain::localtime::{format_shop_time, parse_shop_time};
use zhibo_domain::selection::ProductRole;
use zhibo_domain::show::{LineupInput, Section, SegmentInput, SegmentKind, ShowError, ShowInput};
use zhibo_domain::{Fen, ProductId, Timestamp, UserId};
use zhibo_store::shows::ShowDetail;

use crate::error::FieldError;
use crate::i18n::Msg;
use crate::pages::promotions::form::{Field, FormInput};

/// Lineup rows a new form offers (a longer lineup keeps all its rows).
pub const LINEUP_ROWS: usize = 8;
/// Run-sheet rows a new form offers.
pub const RUN_SHEET_ROWS: usize = 6;

/// The fields of one lineup row: `lineup_{n}_{field}`, named after the
/// domain's fields so a domain problem finds its input.
const LINEUP_FIELDS: [&str; 5] = ["product", "role", "live_price", "push_offset_minutes", "talking_points"];
/// The fields of one run-sheet row: `run_{n}_{field}`.
const RUN_FIELDS: [&str; 4] = ["kind", "title", "start_offset_minutes", "minutes"];
/// The show's own fields, in the form's order.
const SHOW_FIELDS: [&str; 6] = ["title", "intro", "scheduled_start", "streamer", "assistant", "promotion_budget"];

const EMPTY: &str = "不能为空 / must not be empty";

fn lineup_name(n: usize, field: &str) -> String {
    format!("lineup_{n}_{field}")
}

fn run_name(n: usize, field: &str) -> String {
    format!("run_{n}_{field}")
}

/// The row numbers posted for a section (`lineup_` or `run_`), in order.
fn posted_rows(input: &FormInput, prefix: &str) -> BTreeSet<usize> {
    input
        .0
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(prefix)?.split_once('_')?.0.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .collect()
}

/// The form with blank rows dropped and the kept rows numbered from 1, and
/// how many rows each section kept.
pub fn compact(input: &FormInput) -> (FormInput, usize, usize) {
    let mut out: Vec<(String, String)> =
        SHOW_FIELDS.iter().map(|f| ((*f).to_owned(), input.one(f).to_owned())).collect();
    let mut section = |prefix: &str, fields: &[&str], name: fn(usize, &str) -> String| {
        let mut kept = 0;
        for n in posted_rows(input, prefix) {
            let values: Vec<&str> = fields.iter().map(|f| input.one(&name(n, f))).collect();
            if values.iter().all(|v| v.trim().is_empty()) {
                continue;
            }
            kept += 1;
            out.extend(fields.iter().zip(values).map(|(f, v)| (name(kept, f), v.to_owned())));
        }
        kept
    };
    let lineup = section("lineup_", &LINEUP_FIELDS, lineup_name);
    let run_sheet = section("run_", &RUN_FIELDS, run_name);
    super::automation::compact_into(input, &mut out);
    (FormInput(out), lineup, run_sheet)
}

/// Reads fields, collecting every reading problem by form field.
struct Reader<'a> {
    input: &'a FormInput,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn text(&self, name: &str) -> &str {
        self.input.one(name).trim()
    }

    fn wrong(&mut self, name: String, message: String) {
        self.errors.push(FieldError { field: name, message });
    }

    /// An id from a select; "" is none.
    fn id(&mut self, name: String, prefix: &str) -> Option<i64> {
        let text = self.text(&name);
        if text.is_empty() {
            return None;
        }
        match text.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                let message = format!("{prefix}不是有效的选项 / not a valid choice: {text:?}");
                self.wrong(name, message);
                None
            }
        }
    }

    /// Yuan; "" is none.
    fn money(&mut self, name: String, prefix: &str) -> Option<Fen> {
        let text = self.text(&name);
        if text.is_empty() {
            return None;
        }
        match Fen::parse_yuan("amount", text) {
            Ok(fen) => Some(fen),
            Err(e) => {
                self.wrong(name, format!("{prefix}{}", e.message));
                None
            }
        }
    }

    /// Whole minutes; "" is none.
    fn minutes(&mut self, name: String, prefix: &str) -> Option<i64> {
        let text = self.text(&name);
        if text.is_empty() {
            return None;
        }
        match text.parse::<i64>() {
            Ok(m) => Some(m),
            Err(_) => {
                let message = format!("{prefix}须为整数分钟 / must be whole minutes: {text:?}");
                self.wrong(name, message);
                None
            }
        }
    }

    /// Whole minutes that must be there; `placeholder` (one the domain
    /// refuses, and so leaves out of its overlap check) when unreadable.
    fn required_minutes(&mut self, name: String, prefix: &str, placeholder: i64) -> i64 {
        if self.text(&name).is_empty() {
            self.wrong(name, format!("{prefix}{EMPTY}"));
            return placeholder;
        }
        self.minutes(name, prefix).unwrap_or(placeholder)
    }
}

fn row_prefix(n: usize) -> String {
    format!("第{n}行 / row {n}: ")
}

fn segment_prefix(n: usize) -> String {
    format!("第{n}段 / segment {n}: ")
}

/// Reads a compacted form ([`compact`]) into the domain's input, with the
/// reading problems by form field.
pub fn read(input: &FormInput, lineup_rows: usize, run_rows: usize) -> (ShowInput, Vec<FieldError>) {
    let mut r = Reader { input, errors: Vec::new() };
    let scheduled_start = match parse_shop_time("scheduled_start", r.text("scheduled_start")) {
        Ok(t) => t,
        Err(e) => {
            let message = if r.text("scheduled_start").is_empty() { EMPTY.to_owned() } else { e.message };
            r.wrong("scheduled_start".into(), message);
            // the domain refuses this too; that repeat is left out
            Timestamp(0)
        }
    };
    let streamer = r.id("streamer".into(), "").map(UserId);
    let assistant = r.id("assistant".into(), "").map(UserId);
    let promotion_budget = r.money("promotion_budget".into(), "");
    let lineup = (1..=lineup_rows)
        .map(|n| {
            let prefix = row_prefix(n);
            let product = r.id(lineup_name(n, "product"), &prefix);
            if product.is_none() && r.text(&lineup_name(n, "product")).is_empty() {
                r.wrong(lineup_name(n, "product"), format!("{prefix}请选择商品 / choose a product"));
            }
            LineupInput {
                // no product has id 0: the domain's "not in this shop" is left out
                product: ProductId(product.unwrap_or(0)),
                role: r.text(&lineup_name(n, "role")).to_owned(),
                live_price: r.money(lineup_name(n, "live_price"), &prefix),
                push_offset_minutes: r.minutes(lineup_name(n, "push_offset_minutes"), &prefix),
                talking_points: r.input.one(&lineup_name(n, "talking_points")).to_owned(),
            }
        })
        .collect();
    let run_sheet = (1..=run_rows)
        .map(|n| {
            let prefix = segment_prefix(n);
            SegmentInput {
                kind: r.text(&run_name(n, "kind")).to_owned(),
                title: r.input.one(&run_name(n, "title")).to_owned(),
                start_offset_minutes: r.required_minutes(run_name(n, "start_offset_minutes"), &prefix, -1),
                minutes: r.required_minutes(run_name(n, "minutes"), &prefix, 0),
            }
        })
        .collect();
    let show = ShowInput {
        title: input.one("title").to_owned(),
        intro: input.one("intro").to_owned(),
        scheduled_start,
        streamer,
        assistant,
        promotion_budget,
        lineup,
        run_sheet,
    };
    (show, r.errors)
}

/// The form field a domain problem belongs to.
pub fn field_of(e: &ShowError) -> String {
    match e.section {
        Section::Show => e.error.field.to_owned(),
        Section::Lineup(row) => lineup_name(row + 1, e.error.field),
        Section::RunSheet(row) => run_name(row + 1, e.error.field),
    }
}

/// Reading problems and the domain's together, each once per field
/// problem, in the form's order.
pub fn merge(reading: Vec<FieldError>, domain: &[ShowError], lineup_rows: usize, run_rows: usize) -> Vec<FieldError> {
    let mut errors = reading;
    let unread: BTreeSet<String> = errors.iter().map(|e| e.field.clone()).collect();
    errors.extend(
        domain
            .iter()
            .map(|e| FieldError { field: field_of(e), message: e.error.message.clone() })
            .filter(|e| !unread.contains(&e.field)),
    );
    let order = field_order(lineup_rows, run_rows);
    errors.sort_by_key(|e| order.iter().position(|f| *f == e.field).unwrap_or(usize::MAX));
    errors
}

/// Every field name in the order the form shows them.
fn field_order(lineup_rows: usize, run_rows: usize) -> Vec<String> {
    let mut order: Vec<String> = SHOW_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    order.push("lineup".into());
    order.extend((1..=lineup_rows).flat_map(|n| LINEUP_FIELDS.iter().map(move |f| lineup_name(n, f))));
    order.push("run_sheet".into());
    order.extend((1..=run_rows).flat_map(|n| RUN_FIELDS.iter().map(move |f| run_name(n, f))));
    order
}

/// What a new form starts with: the next whole hour as the start.
pub fn defaults(now: Timestamp) -> FormInput {
    const HOUR_MS: i64 = 3_600_000;
    let start = Timestamp((now.0.div_euclid(HOUR_MS) + 1) * HOUR_MS);
    FormInput(vec![("scheduled_start".into(), format_shop_time(start))])
}

/// A stored show as the form shows it, to edit.
pub fn from_detail(d: &ShowDetail) -> FormInput {
    let s = &d.show;
    let id = |u: Option<UserId>| u.map_or_else(String::new, |u| u.0.to_string());
    let money = |f: Option<Fen>| f.map_or_else(String::new, |f| f.short().to_string());
    let mut pairs: Vec<(String, String)> = vec![
        ("title".into(), s.title.clone()),
        ("intro".into(), s.intro.clone()),
        ("scheduled_start".into(), format_shop_time(s.scheduled_start)),
        ("streamer".into(), id(s.streamer)),
        ("assistant".into(), id(s.assistant)),
        ("promotion_budget".into(), money(s.promotion_budget)),
    ];
    for (i, l) in d.lineup.iter().enumerate() {
        let n = i + 1;
        pairs.push((lineup_name(n, "product"), l.product.0.to_string()));
        pairs.push((lineup_name(n, "role"), l.role.as_str().into()));
        pairs.push((lineup_name(n, "live_price"), money(l.live_price)));
        pairs.push((
            lineup_name(n, "push_offset_minutes"),
            l.push_offset_minutes.map_or_else(String::new, |m| m.to_string()),
        ));
        pairs.push((lineup_name(n, "talking_points"), l.talking_points.clone()));
    }
    for (i, s) in d.run_sheet.iter().enumerate() {
        let n = i + 1;
        pairs.push((run_name(n, "kind"), s.kind.as_str().into()));
        pairs.push((run_name(n, "title"), s.title.clone()));
        pairs.push((run_name(n, "start_offset_minutes"), s.start_offset_minutes.to_string()));
        pairs.push((run_name(n, "minutes"), s.minutes.to_string()));
    }
    FormInput(pairs)
}

// ------------------------------------------------------------ the view

/// One option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A select with its options and its problem.
pub struct Select {
    pub name: String,
    pub error: Option<String>,
    pub options: Vec<Choice>,
}

pub struct LineupRow {
    pub n: usize,
    pub product: Select,
    pub role: Select,
    pub live_price: Field,
    pub push_offset_minutes: Field,
    pub talking_points: Field,
}

pub struct RunRow {
    pub n: usize,
    pub kind: Select,
    pub title: Field,
    pub start_offset_minutes: Field,
    pub minutes: Field,
}

/// The shop's products and eligible people, to offer in the selects.
pub struct Options {
    /// (id, title, price)
    pub products: Vec<(i64, String, Fen)>,
    /// (id, display name, role name)
    pub people: Vec<(i64, String, &'static str)>,
    /// The shop's coupons, for automatic reminders: (promotion id, name)
    pub coupons: Vec<(i64, String)>,
}

/// Everything the form template shows.
pub struct FormView {
    /// Where the form posts: `/live/shows/new` or `/live/shows/{id}/edit`.
    pub action: String,
    pub heading: String,
    pub submit: &'static str,
    pub errors: Vec<FieldError>,
    pub no_products: bool,
    pub streamer: Select,
    pub assistant: Select,
    pub lineup: Vec<LineupRow>,
    pub run_sheet: Vec<RunRow>,
    /// Run-sheet automation rows (super::automation).
    pub automation: Vec<super::automation::AutoRow>,
    values: FormInput,
}

impl FormView {
    /// `values` is a compacted form (or defaults, or a stored show).
    pub fn new(
        t: &Msg,
        action: String,
        heading: String,
        submit: &'static str,
        values: FormInput,
        errors: Vec<FieldError>,
        options: &Options,
    ) -> FormView {
        let lineup_rows = posted_rows(&values, "lineup_").last().copied().unwrap_or(0).max(LINEUP_ROWS);
        let run_rows = posted_rows(&values, "run_").last().copied().unwrap_or(0).max(RUN_SHEET_ROWS);
        let mut view = FormView {
            action,
            heading,
            submit,
            errors,
            no_products: options.products.is_empty(),
            streamer: Select { name: String::new(), error: None, options: Vec::new() },
            assistant: Select { name: String::new(), error: None, options: Vec::new() },
            lineup: Vec::new(),
            run_sheet: Vec::new(),
            automation: Vec::new(),
            values,
        };
        let people: Vec<(String, String)> =
            options.people.iter().map(|(id, name, role)| (id.to_string(), format!("{name} · {role}"))).collect();
        view.streamer = view.select("streamer", t.show_nobody, &people);
        view.assistant = view.select("assistant", t.show_nobody, &people);
        let products: Vec<(String, String)> =
            options.products.iter().map(|(id, title, price)| (id.to_string(), format!("{title} · {price}"))).collect();
        let roles: Vec<(String, String)> =
            ProductRole::ALL.iter().map(|r| (r.as_str().to_owned(), format!("{} {}", r.zh(), r.as_str()))).collect();
        let kinds: Vec<(String, String)> =
            SegmentKind::ALL.iter().map(|k| (k.as_str().to_owned(), format!("{} {}", k.zh(), k.en()))).collect();
        view.lineup = (1..=lineup_rows)
            .map(|n| LineupRow {
                n,
                product: view.select(&lineup_name(n, "product"), t.show_choose, &products),
                role: view.select(&lineup_name(n, "role"), t.show_choose, &roles),
                live_price: view.field(&lineup_name(n, "live_price"), "decimal"),
                push_offset_minutes: view.field(&lineup_name(n, "push_offset_minutes"), "numeric"),
                talking_points: view.field(&lineup_name(n, "talking_points"), ""),
            })
            .collect();
        view.run_sheet = (1..=run_rows)
            .map(|n| RunRow {
                n,
                kind: view.select(&run_name(n, "kind"), t.show_choose, &kinds),
                title: view.field(&run_name(n, "title"), ""),
                start_offset_minutes: view.field(&run_name(n, "start_offset_minutes"), "numeric"),
                minutes: view.field(&run_name(n, "minutes"), "numeric"),
            })
            .collect();
        let coupons: Vec<(String, String)> =
            options.coupons.iter().map(|(id, name)| (id.to_string(), name.clone())).collect();
        view.automation = super::automation::view_rows(&view, &view.values, t, &products, &coupons);
        view
    }

    /// The problems of `name`, joined.
    pub fn err(&self, name: &str) -> Option<String> {
        let found: Vec<&str> = self.errors.iter().filter(|e| e.field == name).map(|e| e.message.as_str()).collect();
        (!found.is_empty()).then(|| found.join("；"))
    }

    pub(super) fn field(&self, name: &str, inputmode: &'static str) -> Field {
        Field {
            name: name.to_owned(),
            value: self.values.one(name).to_owned(),
            error: self.err(name),
            kind: "text",
            inputmode,
        }
    }

    pub fn text(&self, name: &str) -> Field {
        self.field(name, "")
    }

    pub fn money(&self, name: &str) -> Field {
        self.field(name, "decimal")
    }

    pub fn time(&self, name: &str) -> Field {
        Field { kind: "datetime-local", ..self.field(name, "") }
    }

    /// A select with an empty first option labelled `none`; a value typed
    /// that is no longer offered (a product since deleted) stays chosen.
    pub(super) fn select(&self, name: &str, none: &str, options: &[(String, String)]) -> Select {
        let current = self.values.one(name).trim();
        let mut choices = vec![Choice { value: String::new(), label: none.to_owned(), selected: current.is_empty() }];
        choices.extend(options.iter().map(|(value, label)| Choice {
            value: value.clone(),
            label: label.clone(),
            selected: value == current,
        }));
        if !current.is_empty() && !options.iter().any(|(v, _)| v == current) {
            choices.push(Choice { value: current.to_owned(), label: current.to_owned(), selected: true });
        }
        Select { name: name.to_owned(), error: self.err(name), options: choices }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> FormInput {
        FormInput(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn blank_rows_are_dropped_and_the_rest_numbered_from_one() {
        let form = input(&[
            ("title", "专场"),
            ("lineup_1_product", ""),
            ("lineup_1_role", ""),
            ("lineup_3_product", "7"),
            ("lineup_3_role", "profit"),
            ("lineup_3_live_price", "19.9"),
            ("run_2_kind", "opening"),
            ("run_2_title", "开场"),
            ("run_2_start_offset_minutes", "0"),
            ("run_2_minutes", "5"),
            ("run_4_title", "  "),
        ]);
        let (compacted, lineup, run) = compact(&form);
        assert_eq!((lineup, run), (1, 1));
        assert_eq!(compacted.one("lineup_1_product"), "7");
        assert_eq!(compacted.one("run_1_title"), "开场");
        let (show, errors) = read(&compacted, lineup, run);
        assert!(errors.iter().all(|e| e.field == "scheduled_start"), "{errors:?}");
        assert_eq!(show.lineup[0].product, ProductId(7));
        assert_eq!(show.lineup[0].live_price, Some(Fen(1_990)));
        assert_eq!(show.run_sheet[0].minutes, 5);
    }

    #[test]
    fn unreadable_fields_are_named_once_and_their_placeholders_are_not_judged() {
        let form = input(&[
            ("title", "专场"),
            ("scheduled_start", "明晚八点"),
            ("promotion_budget", "12.345"),
            ("lineup_1_role", "traffic"),
            ("lineup_1_live_price", "abc"),
            ("run_1_kind", "opening"),
            ("run_1_title", "开场"),
            ("run_1_start_offset_minutes", "x"),
            ("run_1_minutes", "5"),
            ("run_2_kind", "closing"),
            ("run_2_title", "收尾"),
            ("run_2_start_offset_minutes", "0"),
            ("run_2_minutes", ""),
        ]);
        let (compacted, lineup, run) = compact(&form);
        let (show, reading) = read(&compacted, lineup, run);
        let prices = std::collections::BTreeMap::new();
        let domain = zhibo_domain::show::ShowDraft::parse(&show, &prices).unwrap_err();
        let errors = merge(reading, &domain, lineup, run);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "scheduled_start",
                "promotion_budget",
                "lineup_1_product",
                "lineup_1_live_price",
                "run_1_start_offset_minutes",
                "run_2_minutes"
            ]
        );
        assert!(errors[2].message.contains("第1行 / row 1: 请选择商品"), "{}", errors[2].message);
        assert!(errors[5].message.contains("不能为空 / must not be empty"));
    }

    #[test]
    fn domain_paths_find_their_form_fields() {
        use zhibo_domain::DomainError;
        let e = |section, field| ShowError { section, error: DomainError::new(field, "x") };
        assert_eq!(field_of(&e(Section::Lineup(2), "live_price")), "lineup_3_live_price");
        assert_eq!(field_of(&e(Section::RunSheet(0), "minutes")), "run_1_minutes");
        assert_eq!(field_of(&e(Section::Show, "streamer")), "streamer");
    }
}
