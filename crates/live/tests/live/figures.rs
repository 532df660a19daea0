//! The console's live figures end to end: a virtual clock and a real
//! SQLite event log in a temporary folder. Nothing sleeps: the room's tick
//! is an hour long and batches are forced out with `RoomHandle::flush`;
//! time passes only when the test advances the clock, so every watch time
//! below is checked by hand.

use serde_json::{Value, json};
use zhibo_domain::Role;

use crate::harness::{Peer, Setup, Show, T0, console, flush, join, product, start, viewer};

async fn setup() -> Setup {
    assert_eq!(T0.minute_floor(), T0);
    start(Show { lineup: vec![product(7, "羊毛围巾")], ..Show::titled("数据") }).await
}

impl Peer {
    /// The newest `figures` frame already delivered, if any.
    fn figures(&mut self) -> Option<Value> {
        self.drain().into_iter().rfind(|f| f["type"] == "figures")
    }
}

#[tokio::test]
async fn entries_viewers_and_average_watch_time_follow_who_entered_and_left_when() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let first = desk.figures().expect("figures right after the console's snapshot");
    assert_eq!((first["online"].as_u64(), first["entries"].as_u64()), (Some(0), Some(0)));
    assert_eq!((first["avg_watch_secs"].as_u64(), first["conversion_permille"].as_u64()), (Some(0), Some(0)));

    // 0 s: A enters. 10 s: B enters. 20 s: A opens a second tab.
    let a1 = join(&s, viewer("a")).await;
    s.clock.advance_secs(10);
    let b = join(&s, viewer("b")).await;
    s.clock.advance_secs(10);
    let a2 = join(&s, viewer("a")).await;
    // 30 s: A closes the first tab (still watching in the second).
    s.clock.advance_secs(10);
    drop(a1);
    flush(&s).await;
    // 70 s: B leaves after 60 s.
    s.clock.advance_secs(40);
    drop(b);
    flush(&s).await;
    // 100 s: A has watched 100 s (one visit, two tabs), B 60 s: 160 s ÷ 2.
    s.clock.advance_secs(30);
    flush(&s).await;
    let f = desk.figures().expect("figures after the leaves");
    assert_eq!(f["now"].as_i64(), Some(T0.0 + 100_000));
    assert_eq!(f["entries"], 3, "PV counts every entry");
    assert_eq!(f["viewers"], 2, "UV counts A once");
    assert_eq!(f["online"], 1);
    assert_eq!(f["peak"], 3);
    assert_eq!(f["avg_watch_secs"], 80);
    // 130 s: A, still online, counts up to now: (130 + 60) ÷ 2 = 95.
    s.clock.advance_secs(30);
    flush(&s).await;
    assert_eq!(desk.figures().expect("a figures frame a second later")["avg_watch_secs"], 95);
    // A leaves at 135 s: (135 + 60) ÷ 2 = 97.5, rounded down; time stops.
    s.clock.advance_secs(5);
    drop(a2);
    flush(&s).await;
    s.clock.advance_secs(600);
    flush(&s).await;
    let f = desk.figures().expect("figures");
    assert_eq!((f["online"].as_u64(), f["avg_watch_secs"].as_u64()), (Some(0), Some(97)));
    assert_eq!((f["orders"].as_u64(), f["gmv_fen"].as_i64()), (Some(0), Some(0)), "no orders before selling");
}

#[tokio::test]
async fn figures_go_out_when_something_changed_and_at_least_once_a_second() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let v = join(&s, viewer("v")).await;
    flush(&s).await;
    assert_eq!(desk.figures().expect("the entry changed the figures")["online"], 1);
    // Same instant, nothing new: no frame.
    flush(&s).await;
    assert_eq!(desk.figures(), None);
    // Half a second later, still nothing new: no frame yet.
    s.clock.advance_millis(500);
    flush(&s).await;
    assert_eq!(desk.figures(), None);
    // A comment is a change: a frame at once.
    v.say(json!({"v": 1, "type": "comment", "text": "好看"})).await;
    flush(&s).await;
    assert_eq!(desk.figures().expect("the comment changed the figures")["comments"], 1);
    // A full second with nothing new: the refresh.
    s.clock.advance_millis(1000);
    flush(&s).await;
    let f = desk.figures().expect("a refresh once a second");
    assert_eq!(f["now"].as_i64(), Some(T0.0 + 1500));
    assert_eq!(f["avg_watch_secs"], 1);
}

#[tokio::test]
async fn a_viewer_never_gets_the_figures() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let mut v = join(&s, viewer("v")).await;
    v.say(json!({"v": 1, "type": "like", "count": 3})).await;
    v.say(json!({"v": 1, "type": "follow"})).await;
    v.say(json!({"v": 1, "type": "product_click", "product": 7})).await;
    for _ in 0..3 {
        s.clock.advance_secs(1);
        flush(&s).await;
    }
    let seen = v.drain();
    assert!(seen.iter().any(|f| f["type"] == "likes"), "the viewer does get the room's frames: {seen:?}");
    assert!(seen.iter().all(|f| f["type"] != "figures"), "no figures on a viewer socket: {seen:?}");
    let f = desk.figures().expect("the console gets them");
    assert_eq!(
        (f["likes"].as_u64(), f["new_followers"].as_u64(), f["product_clicks"].as_u64()),
        (Some(3), Some(1), Some(1))
    );
}

#[tokio::test]
async fn the_trend_buckets_by_clock_minute() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    // minute 0: A enters at 5 s and comments; minute 1: B enters at 65 s,
    // likes 4 and clicks; B leaves at 100 s; minute 2: nothing happens.
    s.clock.advance_secs(5);
    let a = join(&s, viewer("a")).await;
    a.say(json!({"v": 1, "type": "comment", "text": "来了"})).await;
    flush(&s).await;
    s.clock.advance_secs(60);
    let b = join(&s, viewer("b")).await;
    b.say(json!({"v": 1, "type": "like", "count": 4})).await;
    b.say(json!({"v": 1, "type": "product_click", "product": 7})).await;
    flush(&s).await;
    s.clock.advance_secs(35);
    drop(b);
    flush(&s).await;
    s.clock.advance_secs(40); // 140 s: minute 2
    flush(&s).await;
    let f = desk.figures().expect("figures");
    let t = &f["trend"];
    let tail = |series: &str| -> Vec<u64> {
        let all = t[series].as_array().unwrap();
        assert_eq!(all.len(), 60, "{series}: one value a minute for an hour");
        all[57..].iter().map(|v| v.as_u64().unwrap()).collect()
    };
    assert_eq!(t["from_ms"].as_i64(), Some(T0.0 + 2 * 60_000 - 59 * 60_000));
    assert_eq!(tail("online"), [1, 2, 1], "the most online in each minute; minute 2 carries the one still online");
    assert_eq!(tail("entries"), [1, 1, 0]);
    assert_eq!(tail("comments"), [1, 0, 0]);
    assert_eq!(tail("likes"), [0, 4, 0]);
    assert_eq!(tail("clicks"), [0, 1, 0]);
    assert!(t["online"].as_array().unwrap()[..57].iter().all(|v| v == 0), "before the show: nobody");
    drop(a);
}
