//! Skipping quiet seconds is exact: the model that draws each viewer's
//! next possible event and decides it by thinning gives the same
//! distribution of outcomes as the same model deciding every viewer's
//! every second (`Model::deciding_every_second`). Both play the same
//! show, with every kind of input that changes viewers' rates (cards,
//! a coupon, a lottery, a flash sale, answers, a troll wave and mutes,
//! a stream drop), over many seeds; their totals must agree within a few
//! standard errors, and no second may have had chances above the bound
//! it was drawn with.

mod common;

use common::*;
use zhibo_domain::Fen;
use zhibo_sim::scenario::{Policy, ScriptAction, Timed};
use zhibo_sim::{Incident, Model, Operator, OperatorAction, ScriptedOperator, What};

/// Per-show totals, each a count of something that happened.
const FIGURES: [&str; 9] =
    ["arrivals", "viewer-seconds", "likes", "comments", "questions", "follows", "clicks", "orders", "lottery joins"];

fn script() -> Vec<Timed<ScriptAction>> {
    let mut s = on_cue();
    s.push(at(4, 0, OperatorAction::Coupon { product: Some(0), off: Fen(2000), min_price: Fen(0), secs: 300 }));
    s.push(at(10, 0, OperatorAction::Lottery { secs: 180, require_follow: true }));
    s.push(at(16, 0, OperatorAction::FlashSale { product: 1, price: Fen(29900), units: 50, secs: 120 }));
    s.push(at(25, 0, OperatorAction::UnpushCard));
    s
}

/// Plays one show and returns its totals (and the model's bound misses).
fn totals(seed: u64, every_second: bool) -> ([f64; 9], u64) {
    let mut scenario = small();
    scenario.policy = Policy { answer_share: 0.7, answer_within_s: 60, mute_trolls_after_s: Some(20) };
    let mut op = ScriptedOperator::new(&scenario, seed).with_script(script());
    let mut model = Model::new(&scenario, seed);
    if every_second {
        model = model.deciding_every_second();
    }
    let incidents = [(300, Incident::TrollWave { trolls: 12 }), (1260, Incident::StreamDrop { secs: 40 })];
    let mut t_sum = [0.0; 9];
    let (mut seen, mut actions) = (Vec::new(), Vec::new());
    while !model.is_over() {
        let t = model.second();
        for (at, incident) in &incidents {
            if *at == t {
                model.incident(incident);
            }
        }
        actions.clear();
        op.act(t, &seen, &mut actions);
        for a in &actions {
            model.apply(a);
        }
        seen.clear();
        seen.extend_from_slice(model.step());
        for h in &seen {
            let i = match h.what {
                What::Entered { .. } => 0,
                What::Like { .. } => 2,
                What::Comment { intent, .. } if intent.is_question() => {
                    t_sum[3] += 1.0;
                    4
                }
                What::Comment { .. } => 3,
                What::Follow => 5,
                What::Clicked { .. } => 6,
                What::OrderPlaced { .. } => 7,
                What::LotteryJoined { .. } => 8,
                _ => continue,
            };
            t_sum[i] += 1.0;
        }
    }
    t_sum[1] = model.agent_steps() as f64;
    (t_sum, model.bound_misses())
}

#[test]
fn skipping_quiet_seconds_gives_the_outcomes_of_deciding_every_second() {
    let seeds = 1..201u64;
    let n = seeds.clone().count() as f64;
    let mut skip: Vec<[f64; 9]> = Vec::new();
    let mut every: Vec<[f64; 9]> = Vec::new();
    for seed in seeds {
        let (s, misses) = totals(seed, false);
        assert_eq!(misses, 0, "seed {seed}: a second's chances exceeded its bound");
        skip.push(s);
        every.push(totals(seed, true).0);
    }
    for (i, name) in FIGURES.iter().enumerate() {
        let (a, b) = (column(&skip, i), column(&every, i));
        let (ma, mb) = (mean(&a), mean(&b));
        // The difference of two independent means, in standard errors.
        let se = ((var(&a, ma) + var(&b, mb)) / n).sqrt();
        let z = (ma - mb) / se;
        eprintln!(
            "{name:>15}: skipping {ma:>10.1}, every second {mb:>10.1} ({:+.1} %, z = {z:+.2})",
            100.0 * (ma / mb - 1.0)
        );
        assert!(ma > 0.0 && mb > 0.0, "{name}: nothing happened");
        assert!(z.abs() < 4.0, "{name}: skipping {ma:.1} vs every second {mb:.1}, z = {z:.2}");
    }
}

fn column(rows: &[[f64; 9]], i: usize) -> Vec<f64> {
    rows.iter().map(|r| r[i]).collect()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn var(x: &[f64], m: f64) -> f64 {
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}
