//! A small show for the tests: 30 minutes, two products, ~1,500 arrivals,
//! so dozens of seeds play in a second or two.

#![allow(dead_code)]

use zhibo_domain::event::Projection;
use zhibo_sim::scenario::{Scenario, ScriptAction, Timed};
use zhibo_sim::{OperatorAction, Report, ScriptedOperator, Summary, play};

pub const SMALL: &str = r#"
title = "测试小场"
duration_min = 30

[audience]
followers = 1000
female_share = 0.6
age_bands = { "18-24" = 0.2, "25-30" = 0.3, "31-40" = 0.3, "41-50" = 0.2 }
interests = { "茶叶" = 0.3, "家居服" = 0.25 }

[traffic.feed]
impressions_per_min = [300, 450, 700]
start_tier = 1
entry_rate = 0.1

[[products]]
key = "tea"
title = "云南古树普洱茶 357g"
category = "茶叶"
price_fen = 16900
list_price_fen = 29900
appeal = 0.7
stock = 1000

[[products]]
key = "pajamas"
title = "真丝睡衣套装"
category = "家居服"
price_fen = 39900
list_price_fen = 69900
appeal = 0.65
stock = 1000
sized = true

[[segments]]
start = "0:00"
minutes = 3
kind = "opening"
title = "开场"

[[segments]]
start = "3:00"
minutes = 10
kind = "product"
title = "普洱茶"
product = "tea"

[[segments]]
start = "13:00"
minutes = 10
kind = "product"
title = "真丝睡衣"
product = "pajamas"

[[segments]]
start = "23:00"
minutes = 7
kind = "closing"
title = "返场"

[operator]
answer_share = 0.8
answer_within_s = 30
"#;

pub fn small() -> Scenario {
    zhibo_sim::parse(SMALL).unwrap()
}

pub fn at(min: u32, sec: u32, a: OperatorAction) -> Timed<ScriptAction> {
    Timed { at_s: min * 60 + sec, what: ScriptAction::Room(a) }
}

/// Plays with the given script (replacing the scenario's) and policy.
pub fn play_with(scenario: &Scenario, seed: u64, script: Vec<Timed<ScriptAction>>) -> Report {
    let mut op = ScriptedOperator::new(scenario, seed).with_script(script);
    let mut summary = Summary::default();
    play(scenario, seed, &mut op, &mut |e| summary.apply(&e));
    summary.report()
}

pub const SEEDS: std::ops::Range<u64> = 1..41;

/// Sum of a figure over the seeds.
pub fn total(reports: &[Report], f: impl Fn(&Report) -> f64) -> f64 {
    reports.iter().map(f).sum()
}

pub fn on_cue() -> Vec<Timed<ScriptAction>> {
    vec![at(3, 0, OperatorAction::PushCard { product: 0 }), at(13, 0, OperatorAction::PushCard { product: 1 })]
}
