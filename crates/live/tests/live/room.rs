//! The room engine end to end: an in-memory lineup, a virtual clock and a
//! real SQLite event log in a temporary folder. Frames are awaited with a
//! bounded timeout (a safety net, never a timing assertion); batches are
//! forced out with `RoomHandle::flush`, so nothing sleeps.

use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use zhibo_domain::event::Actor;
use zhibo_domain::{Fen, ProductId, Role, RoomId, UserId};
use zhibo_live::{Identity, LiveError, RoomConfig, RoomData, RoomHandle, RoomInfo};
use zhibo_store::EventStore;

use crate::harness::{Peer, ROOM, Setup, Show, console, join, long_tick, product, start, start_with, viewer};

/// The room's data in memory; it keeps the lineup orders a console saved
/// (`reorders`) and loads the lineup in the last of them, as a store would.
#[derive(Debug)]
struct Lineup {
    show: Show,
    reorders: Mutex<Vec<Vec<ProductId>>>,
    /// Set: saving an order fails, as a broken disk would.
    refuse_reorders: AtomicBool,
}

impl Default for Lineup {
    fn default() -> Self {
        let lineup = vec![product(1, "羊毛围巾"), product(2, "保温杯"), product(3, "手套")];
        Lineup {
            show: Show { lineup, ..Show::titled("秋冬上新") },
            reorders: Mutex::default(),
            refuse_reorders: AtomicBool::default(),
        }
    }
}

#[async_trait::async_trait]
impl RoomData for Lineup {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let mut info = self.show.load(room).await?;
        if let (Some(info), Some(order)) = (&mut info, self.reorders.lock().unwrap().last()) {
            info.lineup.sort_by_key(|e| order.iter().position(|p| *p == e.product));
        }
        Ok(info)
    }

    async fn reorder_lineup(&self, _room: RoomId, order: &[ProductId]) -> Result<(), LiveError> {
        if self.refuse_reorders.load(Ordering::SeqCst) {
            return Err(LiveError::Data("disk full".into()));
        }
        self.reorders.lock().unwrap().push(order.to_vec());
        Ok(())
    }
}

async fn setup() -> Setup<Lineup> {
    start(Lineup::default()).await
}

async fn setup_with(config: RoomConfig) -> Setup<Lineup> {
    start_with(Lineup::default(), config).await
}

/// The snapshot a newly joining viewer gets.
async fn fresh_snapshot(s: &Setup<Lineup>, id: &str) -> Value {
    Peer::connect(&s.hub, viewer(id)).await.next().await
}

fn handle(s: &Setup<Lineup>) -> RoomHandle {
    s.hub.room(ROOM)
}

#[tokio::test]
async fn a_console_push_reaches_every_connected_viewer() {
    let s = setup().await;
    let mut a = join(&s, viewer("a")).await;
    let mut b = join(&s, viewer("b")).await;
    let desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "push_card", "product": 2})).await;
    handle(&s).flush().await;
    for v in [&mut a, &mut b] {
        let card = v.until("card_pushed").await;
        assert_eq!(card["product"], 2);
        assert_eq!(card["title"], "保温杯");
        assert_eq!(card["live_price"], 7_900);
        assert_eq!(card["list_price"], 12_900);
    }
    // A viewer joining later finds the card in the snapshot.
    let snapshot = fresh_snapshot(&s, "c").await;
    assert_eq!(snapshot["card"]["product"], 2);
    assert_eq!(snapshot["online"], 3);
}

#[tokio::test]
async fn a_push_of_a_product_outside_the_lineup_is_an_error_and_changes_nothing() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Operator)).await;
    desk.say(json!({"v": 1, "type": "push_card", "product": 99})).await;
    let error = desk.until("error").await;
    assert_eq!(error["code"], "not_in_lineup");
    assert_eq!(error["field"], "product");
    let late = fresh_snapshot(&s, "x").await;
    assert!(late["card"].is_null());
}

#[tokio::test]
async fn a_muted_viewers_comment_reaches_nobody_but_themselves() {
    let s = setup().await;
    let mut muted = join(&s, viewer("m")).await;
    let mut other = join(&s, viewer("o")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "mute", "viewer": "viewer:m", "minutes": 10})).await;
    handle(&s).flush().await;
    muted.say(json!({"v": 1, "type": "comment", "text": "spam spam"})).await;
    other.say(json!({"v": 1, "type": "comment", "text": "好看"})).await;
    handle(&s).flush().await;
    // Order is kept, so reaching the later comment proves the earlier one
    // was never sent.
    for c in [&mut other, &mut desk] {
        let (before, comment) = c.frames_until("comment").await;
        assert_eq!(comment["text"], "好看");
        assert!(before.iter().all(|f| f["type"] != "comment"), "{before:?}");
    }
    let own = muted.until("comment").await;
    assert_eq!(own["text"], "spam spam");
    let next = muted.until("comment").await;
    assert_eq!(next["text"], "好看");
    // The mute ends on the clock.
    s.clock.advance_secs(10 * 60 + 1);
    muted.say(json!({"v": 1, "type": "comment", "text": "我回来了"})).await;
    handle(&s).flush().await;
    let back = other.until("comment").await;
    assert_eq!(back["text"], "我回来了");
    assert_eq!(back["viewer"], "viewer:m");
}

#[tokio::test]
async fn comments_and_likes_over_the_rate_limit_get_an_error_frame() {
    let s = setup().await;
    let mut v = join(&s, viewer("fast")).await;
    let mut watcher = join(&s, viewer("w")).await;
    v.say(json!({"v": 1, "type": "comment", "text": "1"})).await;
    v.say(json!({"v": 1, "type": "comment", "text": "2"})).await;
    let error = v.until("error").await;
    assert_eq!(error["code"], "rate_limited");
    s.clock.advance_secs(2);
    v.say(json!({"v": 1, "type": "comment", "text": "3"})).await;
    v.say(json!({"v": 1, "type": "like", "count": 20})).await;
    v.say(json!({"v": 1, "type": "like", "count": 1})).await;
    let error = v.until("error").await;
    assert_eq!(error["code"], "rate_limited");
    handle(&s).flush().await;
    let first = watcher.until("comment").await;
    assert_eq!(first["text"], "1");
    let (skipped, third) = watcher.frames_until("comment").await;
    assert_eq!(third["text"], "3");
    assert!(skipped.iter().all(|f| f["text"] != "2"));
    handle(&s).flush().await;
    let likes = watcher.until("likes").await;
    assert_eq!((likes["count"].as_u64(), likes["total"].as_u64()), (Some(20), Some(20)));
}

#[tokio::test]
async fn a_console_action_from_a_viewer_is_refused_and_changes_nothing() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    // Even a staff role on the viewer endpoint may not run the console,
    // nor a role without the permission on the console endpoint.
    let staff_as_viewer = Identity { role: Some(Role::Owner), ..viewer("boss") };
    let mut boss = join(&s, staff_as_viewer).await;
    let mut buyer_desk = join(&s, console(Role::Viewer)).await;
    for c in [&mut v, &mut boss, &mut buyer_desk] {
        c.say(json!({"v": 1, "type": "push_card", "product": 1})).await;
        c.say(json!({"v": 1, "type": "pin_topic", "text": "假公告"})).await;
        let error = c.until("error").await;
        assert_eq!(error["code"], "forbidden");
    }
    handle(&s).flush().await;
    let snapshot = fresh_snapshot(&s, "late").await;
    assert!(snapshot["card"].is_null());
    assert!(snapshot["topic"].is_null());
    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    assert!(events.iter().all(|e| e.kind.as_str().starts_with("viewer.")), "{events:?}");
}

#[tokio::test]
async fn bad_input_gets_an_error_frame_and_the_room_goes_on() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    let cases = [
        ("{not json".to_owned(), "bad_json"),
        (r#"{"v":1,"type":"dance"}"#.to_owned(), "unknown_type"),
        (r#"{"type":"comment","text":"hi"}"#.to_owned(), "bad_version"),
        (r#"{"v":1,"type":"like","count":-3}"#.to_owned(), "bad_message"),
        (format!(r#"{{"v":1,"type":"comment","text":"{}"}}"#, "长".repeat(201)), "bad_message"),
        (format!(r#"{{"v":1,"type":"comment","text":"{}"}}"#, "x".repeat(5_000)), "too_large"),
    ];
    for (text, code) in cases {
        assert!(v.c.inbound.send_text(&text).await);
        let error = v.until("error").await;
        assert_eq!(error["code"], code, "{text:.60}");
        assert!(error["message"].as_str().unwrap().contains(" / "), "bilingual: {error}");
    }
    v.say(json!({"v": 1, "type": "comment", "text": "还在"})).await;
    handle(&s).flush().await;
    let ok = v.until("comment").await;
    assert_eq!(ok["text"], "还在");
}

#[tokio::test]
async fn a_lagging_connection_gets_a_snapshot_instead_of_the_backlog() {
    let s = setup_with(RoomConfig { broadcast_capacity: 2, ..long_tick() }).await;
    let mut slow = join(&s, viewer("slow")).await;
    let desk = join(&s, console(Role::Assistant)).await;
    for i in 0..6 {
        desk.say(json!({"v": 1, "type": "pin_topic", "text": format!("公告{i}")})).await;
        handle(&s).flush().await;
    }
    let (missed, snapshot) = slow.frames_until("snapshot").await;
    assert!(missed.len() < 6, "the backlog was skipped: {missed:?}");
    assert_eq!(snapshot["topic"], "公告5");
}

#[tokio::test]
async fn every_action_is_in_the_log_in_order_before_it_is_seen() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    let desk = join(&s, console(Role::Assistant)).await;
    v.say(json!({"v": 1, "type": "hello", "name": "小王"})).await;
    v.say(json!({"v": 1, "type": "comment", "text": "<img src=x onerror=alert(1)>"})).await;
    v.say(json!({"v": 1, "type": "like", "count": 3})).await;
    v.say(json!({"v": 1, "type": "follow"})).await;
    v.say(json!({"v": 1, "type": "share"})).await;
    v.say(json!({"v": 1, "type": "product_click", "product": 1})).await;
    desk.say(json!({"v": 1, "type": "push_card", "product": 1})).await;
    desk.say(json!({"v": 1, "type": "unpush_card"})).await;
    desk.say(json!({"v": 1, "type": "delist", "product": 2})).await;
    desk.say(json!({"v": 1, "type": "list", "product": 2})).await;
    desk.say(json!({"v": 1, "type": "pin_topic", "text": "今晚八点抽奖"})).await;
    desk.say(json!({"v": 1, "type": "unpin_topic"})).await;
    handle(&s).flush().await;
    let comment = v.until("comment").await;
    assert_eq!(comment["name"], "小王");
    assert_eq!(comment["text"], "<img src=x onerror=alert(1)>");
    desk.say(json!({"v": 1, "type": "hide_comment", "comment": comment["id"]})).await;
    desk.say(json!({"v": 1, "type": "mute", "viewer": "viewer:v", "minutes": 5})).await;
    desk.say(json!({"v": 1, "type": "ban", "viewer": "viewer:v"})).await;
    handle(&s).flush().await;
    let hidden = v.until("comment_hidden").await;
    assert_eq!(hidden["id"], comment["id"]);
    drop(v);
    drop(desk);
    handle(&s).flush().await;
    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "viewer.entered",
            "comment.posted",
            "follow",
            "share",
            "product.clicked",
            "card.pushed",
            "card.unpushed",
            "product.delisted",
            "product.listed",
            "topic.pinned",
            "topic.unpinned",
            "like",
            "comment.hidden",
            "viewer.muted",
            "viewer.banned",
            "viewer.left",
        ]
    );
    assert_eq!(events[1].seq, comment["id"].as_u64().unwrap());
    assert_eq!(events[1].actor, Actor::Viewer("v".into()));
    assert_eq!(events[11].payload["count"], 3);
    assert_eq!(events[5].actor, Actor::User(UserId(3)));
    let stats = handle(&s).stats().await.unwrap();
    assert_eq!((stats.online, stats.peak, stats.entries, stats.likes, stats.comments), (0, 1, 1, 3, 1));
}

#[tokio::test]
async fn a_banned_viewer_is_refused_and_an_unknown_room_is_not_found() {
    let s = setup().await;
    let mut v = join(&s, viewer("b")).await;
    let desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "ban", "viewer": "viewer:b"})).await;
    handle(&s).flush().await;
    v.say(json!({"v": 1, "type": "comment", "text": "hi"})).await;
    let error = v.until("error").await;
    assert_eq!(error["code"], "banned");
    let missing = s.hub.connect(RoomId(404), viewer("z")).await;
    assert!(matches!(missing, Err(LiveError::RoomNotFound(RoomId(404)))), "{missing:?}");
}

// ---- presentation: welcome line, manual lineup order, pinned comment

/// Every frame up to and including the first `topic` frame, which the
/// caller's console pinned as a marker after what is being checked.
async fn up_to_marker(p: &mut Peer) -> Vec<Value> {
    let (seen, _) = p.frames_until("topic").await;
    seen
}

async fn marker(s: &Setup<Lineup>, desk: &Peer) {
    desk.say(json!({"v": 1, "type": "pin_topic", "text": "marker"})).await;
    handle(s).flush().await;
}

#[tokio::test]
async fn a_welcome_line_names_the_first_arrivals_of_a_tick_and_counts_the_rest() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let mut watcher = join(&s, viewer("w")).await;
    handle(&s).flush().await;
    // The console's own entry is nobody to welcome.
    let line = watcher.until("welcome").await;
    assert_eq!(line["text"], "欢迎 观众w 来到直播间");
    assert_eq!((line["count"].as_u64(), line["names"].as_array().map(Vec::len)), (Some(1), Some(1)));

    let mut crowd = Vec::new();
    for id in ["a", "b", "c", "d", "e"] {
        crowd.push(join(&s, viewer(id)).await);
    }
    handle(&s).flush().await;
    marker(&s, &desk).await;
    let lines: Vec<Value> = up_to_marker(&mut watcher).await.into_iter().filter(|f| f["type"] == "welcome").collect();
    assert_eq!(lines.len(), 1, "one line for the whole tick: {lines:?}");
    assert_eq!(lines[0]["text"], "欢迎 观众a、观众b、观众c 等 5 人 来到直播间");
    assert_eq!(lines[0]["count"], 5);
    // Nobody new, no line.
    marker(&s, &desk).await;
    assert!(up_to_marker(&mut watcher).await.iter().all(|f| f["type"] != "welcome"));

    // The console sets a template; a name chosen right after entering is used,
    // and stays text (the page puts it in with textContent).
    desk.say(json!({"v": 1, "type": "set_welcome", "template": " {name}，欢迎来到秋冬上新！ "})).await;
    handle(&s).flush().await;
    let template = desk.until("welcome_template").await;
    assert_eq!(template["template"], "{name}，欢迎来到秋冬上新！");
    let newcomer = join(&s, viewer("n")).await;
    newcomer.say(json!({"v": 1, "type": "hello", "name": "<b>小王</b>"})).await;
    handle(&s).flush().await;
    let line = watcher.until("welcome").await;
    assert_eq!(line["text"], "<b>小王</b>，欢迎来到秋冬上新！");

    // A template without the placeholder, or too long, is refused by field.
    for bad in ["欢迎光临".to_owned(), format!("{{name}}{}", "好".repeat(40))] {
        desk.say(json!({"v": 1, "type": "set_welcome", "template": bad})).await;
        let error = desk.until("error").await;
        assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("bad_message"), Some("template")));
    }
    let snapshot = fresh_snapshot(&s, "late").await;
    assert_eq!(snapshot["welcome_template"], "{name}，欢迎来到秋冬上新！");
    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    let set: Vec<&Value> = events.iter().filter(|e| e.kind.as_str() == "welcome.set").map(|e| &e.payload).collect();
    assert_eq!(set.len(), 1);
    assert_eq!(set[0]["template"], "{name}，欢迎来到秋冬上新！");
}

fn ids(frame: &Value) -> Vec<i64> {
    frame.as_array().unwrap().iter().map(|p| p["product"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn a_console_reorder_is_saved_broadcast_and_kept_by_a_restarted_room() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console(Role::Operator)).await;
    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": 3, "position": 0})).await;
    handle(&s).flush().await;
    let frame = v.until("lineup_reordered").await;
    assert_eq!(frame["products"], json!([3, 1, 2]));
    assert_eq!(*s.data.reorders.lock().unwrap(), [vec![ProductId(3), ProductId(1), ProductId(2)]]);

    // Two moves in a row are saved in the room's order, each as the whole lineup.
    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": 1, "position": 2})).await;
    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": 2, "position": 0})).await;
    handle(&s).flush().await;
    let first = v.until("lineup_reordered").await;
    let second = v.until("lineup_reordered").await;
    assert_eq!((first["products"].clone(), second["products"].clone()), (json!([3, 2, 1]), json!([2, 3, 1])));
    let saved: Vec<Vec<i64>> =
        s.data.reorders.lock().unwrap().iter().map(|o| o.iter().map(|p| p.0).collect()).collect();
    assert_eq!(saved, [vec![3, 1, 2], vec![3, 2, 1], vec![2, 3, 1]]);

    // Outside the lineup, or past its end: an error naming the field, nothing saved.
    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": 99, "position": 0})).await;
    let error = desk.until("error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_in_lineup"), Some("product")));
    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": 1, "position": 3})).await;
    let error = desk.until("error").await;
    assert_eq!(error["field"], "position");
    assert_eq!(s.data.reorders.lock().unwrap().len(), 3);
    assert_eq!(ids(&fresh_snapshot(&s, "x").await["products"]), [2, 3, 1]);

    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    let moves: Vec<&Value> =
        events.iter().filter(|e| e.kind.as_str() == "lineup.reordered").map(|e| &e.payload).collect();
    assert_eq!(moves.len(), 3);
    assert_eq!(
        (moves[0]["product"].as_i64(), moves[0]["from"].as_u64(), moves[0]["to"].as_u64()),
        (Some(3), Some(2), Some(0))
    );
    assert_eq!(moves[2]["order"], json!([2, 3, 1]));

    // A save that fails is told to the console alone; viewers hear nothing.
    s.data.refuse_reorders.store(true, Ordering::SeqCst);
    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": 1, "position": 0})).await;
    handle(&s).flush().await;
    let error = desk.until("error").await;
    assert_eq!(error["code"], "unavailable");
    marker(&s, &desk).await;
    assert!(up_to_marker(&mut v).await.iter().all(|f| f["type"] != "lineup_reordered"));
    s.data.refuse_reorders.store(false, Ordering::SeqCst);

    // A room started afresh over the same data loads the saved order.
    let again = s.restarted();
    let mut p = Peer::connect(&again, viewer("r")).await;
    assert_eq!(ids(&p.next().await["products"]), [2, 3, 1]);
}

#[tokio::test]
async fn a_pinned_comment_is_in_frames_and_snapshots_until_unpinned_or_hidden() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    v.say(json!({"v": 1, "type": "comment", "text": "<i>几点开抽？</i>"})).await;
    handle(&s).flush().await;
    let comment = desk.until("comment").await;
    let id = comment["id"].clone();

    desk.say(json!({"v": 1, "type": "pin_comment", "comment": id})).await;
    handle(&s).flush().await;
    let pinned = v.until("pinned_comment").await;
    assert_eq!(
        (pinned["comment"]["id"].clone(), pinned["comment"]["text"].as_str()),
        (id.clone(), Some("<i>几点开抽？</i>"))
    );
    assert_eq!(fresh_snapshot(&s, "a").await["pinned_comment"]["id"], id);

    desk.say(json!({"v": 1, "type": "pin_comment", "comment": 9_999})).await;
    let error = desk.until("error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_found"), Some("comment")));

    desk.say(json!({"v": 1, "type": "unpin_comment"})).await;
    handle(&s).flush().await;
    let unpinned = v.until("pinned_comment").await;
    assert!(unpinned["comment"].is_null());
    assert!(fresh_snapshot(&s, "b").await["pinned_comment"].is_null());
    desk.say(json!({"v": 1, "type": "unpin_comment"})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");

    // Hiding the pinned comment takes it down too.
    desk.say(json!({"v": 1, "type": "pin_comment", "comment": id})).await;
    desk.say(json!({"v": 1, "type": "hide_comment", "comment": id})).await;
    handle(&s).flush().await;
    let pinned_again = v.until("pinned_comment").await;
    assert_eq!(pinned_again["comment"]["id"], id);
    let down = v.until("pinned_comment").await;
    assert!(down["comment"].is_null());
    assert!(fresh_snapshot(&s, "c").await["pinned_comment"].is_null());

    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).filter(|k| k.starts_with("comment.")).collect();
    assert_eq!(
        kinds,
        [
            "comment.posted",
            "comment.pinned",
            "comment.unpinned",
            "comment.pinned",
            "comment.unpinned",
            "comment.hidden"
        ]
    );
    let first_pin = events.iter().find(|e| e.kind.as_str() == "comment.pinned").unwrap();
    assert_eq!((first_pin.payload["comment"].clone(), first_pin.actor.clone()), (id, Actor::User(UserId(3))));
}

#[tokio::test]
async fn a_viewer_following_twice_counts_once_as_a_new_follower() {
    let s = setup().await;
    let v = join(&s, viewer("v")).await;
    let second_tab = join(&s, viewer("v")).await;
    let w = join(&s, viewer("w")).await;
    v.say(json!({"v": 1, "type": "follow"})).await;
    v.say(json!({"v": 1, "type": "follow"})).await;
    second_tab.say(json!({"v": 1, "type": "follow"})).await;
    w.say(json!({"v": 1, "type": "follow"})).await;
    handle(&s).flush().await;
    let stats = handle(&s).stats().await.unwrap();
    assert_eq!(stats.follows, 2);
    assert_eq!(stats.minutes.iter().map(|(_, m)| m.follows).sum::<u64>(), 2);
    let mut desk = join(&s, console(Role::Assistant)).await;
    let figures = desk.until("figures").await;
    assert_eq!(figures["new_followers"], 2);
    // Every follow is still an event of the log.
    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind.as_str() == "follow").count(), 4);
}

#[tokio::test]
async fn presentation_messages_from_a_viewer_socket_are_forbidden() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    let desk = join(&s, console(Role::Assistant)).await;
    v.say(json!({"v": 1, "type": "comment", "text": "置顶我"})).await;
    handle(&s).flush().await;
    let comment = v.until("comment").await;
    let messages = [
        json!({"v": 1, "type": "set_welcome", "template": "{name} 快来"}),
        json!({"v": 1, "type": "reorder_lineup", "product": 2, "position": 0}),
        json!({"v": 1, "type": "pin_comment", "comment": comment["id"]}),
        json!({"v": 1, "type": "unpin_comment"}),
    ];
    for m in &messages {
        assert!(zhibo_live::protocol::ClientMessage::parse(&m.to_string()).unwrap().is_console(), "{m}");
        v.say(m.clone()).await;
        let error = v.until("error").await;
        assert_eq!(error["code"], "forbidden", "{m}");
    }
    drop(desk);
    handle(&s).flush().await;
    let snapshot = fresh_snapshot(&s, "late").await;
    assert!(snapshot["pinned_comment"].is_null());
    assert_eq!(snapshot["welcome_template"], "欢迎 {name} 来到直播间");
    assert_eq!(ids(&snapshot["products"]), [1, 2, 3]);
    assert!(s.data.reorders.lock().unwrap().is_empty());
    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    assert!(events.iter().all(|e| ["viewer.entered", "viewer.left", "comment.posted"].contains(&e.kind.as_str())));
}

#[tokio::test]
async fn try_next_takes_only_what_is_ready_and_a_lagging_connection_still_gets_its_snapshot() {
    let s = setup_with(RoomConfig { broadcast_capacity: 2, ..long_tick() }).await;
    let mut slow = join(&s, viewer("slow")).await;
    // whatever followed the snapshot (a welcome line, say) is not the point here
    while slow.c.outbound.try_next().is_some() {}
    let desk = join(&s, console(Role::Assistant)).await;
    for i in 0..6 {
        desk.say(json!({"v": 1, "type": "pin_topic", "text": format!("公告{i}")})).await;
        handle(&s).flush().await;
    }
    // The test runtime has one thread: the room cannot answer while this loop runs.
    let mut ready = Vec::new();
    while let Some(bytes) = slow.c.outbound.try_next() {
        ready.push(bytes);
    }
    assert!(!ready.is_empty() && ready.len() < 6, "the backlog was skipped: {ready:?}");
    let snapshot = slow.until("snapshot").await;
    assert_eq!(snapshot["topic"], "公告5");
}

#[tokio::test]
async fn a_simulated_viewers_order_is_counted_apart_from_real_ones_and_nobody_else_may_send_one() {
    let s = setup().await;
    let sim = Identity { actor: Actor::Sim(42), ..viewer("模拟") };
    let before = fresh_snapshot(&s, "before").await;
    let mut bot = join(&s, sim).await;
    let mut person = join(&s, viewer("v")).await;
    bot.say(json!({"v": 1, "type": "simulated_order", "product": 2, "amount_fen": 7_900})).await;
    bot.say(json!({"v": 1, "type": "simulated_order", "product": 2, "amount_fen": 15_800})).await;
    // A person cannot claim a simulated order, nor anyone an unknown product.
    person.say(json!({"v": 1, "type": "simulated_order", "product": 2, "amount_fen": 100})).await;
    let error = person.until("error").await;
    assert_eq!(error["code"], "forbidden");
    bot.say(json!({"v": 1, "type": "simulated_order", "product": 99, "amount_fen": 100})).await;
    let error = bot.until("error").await;
    assert_eq!(error["code"], "not_in_lineup");
    handle(&s).flush().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let figures = desk.until("figures").await;
    assert_eq!((figures["simulated_orders"].clone(), figures["simulated_gmv_fen"].clone()), (json!(2), json!(23_700)));
    // Real orders, GMV and conversion know nothing of them; stock is untouched.
    assert_eq!((figures["orders"].clone(), figures["gmv_fen"].clone()), (json!(0), json!(0)));
    assert_eq!(figures["conversion_permille"], 0);
    let after = fresh_snapshot(&s, "after").await;
    assert!(before["products"].as_array().is_some_and(|p| !p.is_empty()));
    assert_eq!(before["products"], after["products"]);
    let events = s.store.events_after(ROOM, 0, 100).await.unwrap();
    let simulated: Vec<_> = events.iter().filter(|e| e.kind.as_str() == "sim.order.paid").collect();
    assert_eq!(simulated.iter().map(|e| e.amount).collect::<Vec<_>>(), vec![Some(Fen(7_900)), Some(Fen(15_800))]);
    assert!(simulated.iter().all(|e| e.actor == Actor::Sim(42) && e.payload["simulated"] == true));
    assert!(!events.iter().any(|e| e.kind.as_str().starts_with("order.")), "no real order event");
}
