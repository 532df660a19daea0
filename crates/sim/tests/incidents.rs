//! Each crisis drill changes the show the way it should (one seed each is
//! enough where the effect is a rule, not a tendency).

mod common;

use common::*;
use zhibo_domain::event::Event;
use zhibo_sim::scenario::Timed;
use zhibo_sim::{Incident, ScriptedOperator, play};

fn log(incident: Option<Incident>, at_s: u32, seed: u64) -> (zhibo_sim::Scenario, Vec<Event>) {
    let mut s = small();
    s.incidents = incident.map(|what| Timed { at_s, what }).into_iter().collect();
    let mut op = ScriptedOperator::new(&s, seed).with_script(on_cue());
    let mut events = Vec::new();
    play(&s, seed, &mut op, &mut |e| events.push(e));
    (s, events)
}

fn second(s: &zhibo_sim::Scenario, e: &Event) -> i64 {
    (e.time.0 - s.starts_at.0) / 1000
}

fn count(events: &[Event], s: &zhibo_sim::Scenario, kind: &str, from: i64, to: i64) -> usize {
    events.iter().filter(|e| e.kind.as_str() == kind && (from..to).contains(&second(s, e))).count()
}

#[test]
fn a_stream_drop_stops_arrivals_and_drives_viewers_out() {
    let (s, calm) = log(None, 0, 4);
    let (_, drop) = log(Some(Incident::StreamDrop { secs: 60 }), 300, 4);
    assert_eq!(count(&drop, &s, "viewer.entered", 300, 360), 0);
    assert!(count(&calm, &s, "viewer.entered", 300, 360) > 10);
    let online = |events: &[Event], at: i64| {
        count(events, &s, "viewer.entered", 0, at) as f64 - count(events, &s, "viewer.left", 0, at) as f64
    };
    // Those who were there at the drop: fewer than half remain after a minute.
    let kept = online(&drop, 360) / online(&drop, 300);
    assert!(kept < 0.5, "kept {kept:.2} of the room");
    assert!(online(&calm, 360) > 1.5 * online(&drop, 360));
    let lag = drop.iter().filter(|e| e.payload["intent"] == "complaint.lag").count();
    assert!(lag > 0, "viewers say the stream froze");
}

#[test]
fn a_dead_link_sells_nothing_and_draws_complaints() {
    let (s, events) = log(Some(Incident::DeadLink { product: 0, secs: 300 }), 240, 5);
    let tea_orders = |from, to| {
        events
            .iter()
            .filter(|e| e.kind.as_str() == "order.placed" && e.payload["product"] == "tea")
            .filter(|e| (from..to).contains(&second(&s, e)))
            .count()
    };
    assert_eq!(tea_orders(240, 540), 0);
    assert!(tea_orders(540, 780) > 0, "sales resume once the link works");
    assert!(events.iter().any(|e| e.payload["intent"] == "complaint.link"));
    assert!(events.iter().any(|e| e.kind.as_str() == "product.clicked" && e.payload["opened"] == false));
}

#[test]
fn a_stock_out_ends_sales_of_that_product() {
    let (s, events) = log(Some(Incident::StockOut { product: 0 }), 300, 6);
    let after = events
        .iter()
        .filter(|e| e.kind.as_str() == "order.placed" && e.payload["product"] == "tea" && second(&s, e) >= 300)
        .count();
    assert_eq!(after, 0);
}

#[test]
fn a_wrong_price_is_what_buyers_pay() {
    let (_, events) = log(Some(Incident::WrongPrice { product: 0, price: zhibo_domain::Fen(169) }), 200, 7);
    let cheap = events
        .iter()
        .filter(|e| e.kind.as_str() == "order.placed" && e.payload["product"] == "tea")
        .filter(|e| e.payload["unit_price_fen"] == 169)
        .count();
    // ¥1.69 for ¥169 tea: a rush of orders, the drill's point.
    assert!(cheap > 20, "{cheap}");
}

#[test]
fn a_traffic_surge_brings_more_viewers_and_a_troll_wave_brings_trolls() {
    let (s, calm) = log(None, 0, 8);
    let (_, surge) = log(Some(Incident::TrafficSurge { factor: 5.0, secs: 120 }), 600, 8);
    assert!(count(&surge, &s, "viewer.entered", 600, 720) > 3 * count(&calm, &s, "viewer.entered", 600, 720));
    let (_, trolls) = log(Some(Incident::TrollWave { trolls: 10 }), 600, 8);
    let troll_comments = trolls.iter().filter(|e| e.payload["intent"] == "troll").count();
    let calm_trolls = calm.iter().filter(|e| e.payload["intent"] == "troll").count();
    assert!(troll_comments > calm_trolls + 10, "{troll_comments} vs {calm_trolls}");
}

#[test]
fn a_flash_sale_sells_its_units_at_its_price_then_the_live_price() {
    let mut s = small();
    // Everyone wants it: ¥1 tea, 5 units, with no end of buyers.
    s.products[0].appeal = 3.0;
    let script = {
        let mut v = on_cue();
        v.push(at(
            4,
            0,
            zhibo_sim::OperatorAction::FlashSale { product: 0, price: zhibo_domain::Fen(100), units: 5, secs: 300 },
        ));
        v
    };
    let mut op = ScriptedOperator::new(&s, 9).with_script(script);
    let mut flash_units = 0;
    let mut live_after = 0;
    play(&s, 9, &mut op, &mut |e| {
        if e.kind.as_str() == "order.placed" && e.payload["product"] == "tea" {
            match e.payload["unit_price_fen"].as_i64() {
                Some(100) => flash_units += e.payload["units"].as_u64().unwrap(),
                Some(16_900) if (e.time.0 - s.starts_at.0) / 1000 >= 240 => live_after += 1,
                _ => {}
            }
        }
    });
    assert!((4..=5).contains(&flash_units), "{flash_units}");
    assert!(live_after > 0, "orders go on at the live price once the units are gone");
}

#[test]
fn the_shipped_scenarios_play_through_many_seeds() {
    // Debug builds check arithmetic: any overflow in a rare path panics here.
    for name in ["tea-evening", "crisis-drill"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/{name}.toml"));
        let s = zhibo_sim::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        for seed in 0..6 {
            let (r, stats) = zhibo_sim::play_scenario(&s, seed, &mut |_| {});
            assert!(r.uv > 1_000 && r.gmv_fen > 0, "{name} seed {seed}: {r:?}");
            assert_eq!(stats.arrivals as u64, r.uv);
        }
    }
}
