//! Same scenario, seed and operator actions → the same event log, byte for
//! byte; another seed → another log.

mod common;

use common::*;
use zhibo_sim::{ScriptedOperator, play};

fn log_bytes(scenario: &zhibo_sim::Scenario, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut op = ScriptedOperator::new(scenario, seed).with_script(on_cue());
    play(scenario, seed, &mut op, &mut |e| {
        out.extend(serde_json::to_vec(&e).unwrap());
        out.push(b'\n');
    });
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[test]
fn the_same_seed_gives_the_same_log_and_another_seed_another() {
    let mut s = small();
    // Incidents and policies too, so every input kind is exercised.
    s.incidents = zhibo_sim::parse(&format!(
        "{SMALL}\n[[incidents]]\nat = \"5:00\"\nkind = \"troll_wave\"\ntrolls = 5\n\n[[incidents]]\nat = \"15:00\"\nkind = \"stream_drop\"\nseconds = 20\n"
    ))
    .unwrap()
    .incidents;
    s.policy.mute_trolls_after_s = Some(10);
    let a = log_bytes(&s, 7);
    let b = log_bytes(&s, 7);
    let c = log_bytes(&s, 8);
    assert!(a.len() > 10_000, "a real show was played");
    assert_eq!(fnv1a(&a), fnv1a(&b));
    assert_eq!(a, b);
    assert_ne!(fnv1a(&a), fnv1a(&c));
}

#[test]
fn the_log_is_numbered_without_gaps_and_its_time_never_goes_back() {
    let s = small();
    let mut op = ScriptedOperator::new(&s, 3).with_script(on_cue());
    let mut last = (0u64, i64::MIN);
    let mut kinds = std::collections::BTreeSet::new();
    play(&s, 3, &mut op, &mut |e| {
        assert_eq!(e.seq, last.0 + 1);
        assert!(e.time.0 >= last.1);
        last = (e.seq, e.time.0);
        kinds.insert(e.kind.as_str().to_owned());
    });
    for k in [
        "show.started",
        "viewer.entered",
        "viewer.left",
        "comment.posted",
        "like",
        "product.clicked",
        "order.placed",
        "order.paid",
        "card.pushed",
        "segment.started",
        "show.ended",
    ] {
        assert!(kinds.contains(k), "no {k} in {kinds:?}");
    }
    assert_eq!(last.1, s.starts_at.0 + i64::from(s.duration_s) * 1000);
}

#[test]
fn everyone_who_enters_leaves_and_figures_add_up() {
    let s = small();
    let r = play_with(&s, 11, on_cue());
    assert!(r.uv > 500, "{}", r.uv);
    assert_eq!(r.pv, r.uv);
    assert!(r.peak_online as f64 >= r.average_online);
    assert!(r.paying_buyers <= r.orders_placed && r.orders_paid <= r.orders_placed);
    assert!(r.gmv_fen > 0);
    assert_eq!(r.uv_value_fen, r.gmv_fen / r.uv as i64);
    let seg_gmv: i64 = r.segments.iter().map(|s| s.gmv_fen).sum();
    assert_eq!(seg_gmv, r.gmv_fen);
    let entries: u64 = r.segments.iter().map(|s| s.entries).sum();
    assert_eq!(entries, r.pv);
    let exits: u64 = r.segments.iter().map(|s| s.exits).sum();
    assert_eq!(exits, r.pv, "everyone left by the end");
}
