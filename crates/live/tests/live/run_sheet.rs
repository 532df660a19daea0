//! The run sheet timer end to end: a run sheet loaded through `RoomData`,
//! a virtual clock and a real SQLite event log in a temporary folder.
//! Nothing sleeps: batches are forced out with `RoomHandle::flush` and an
//! overrun is reached by advancing the clock.

use serde_json::{Value, json};
use zhibo_domain::automation::{ActionSpec, ClockTime, ShowAction};
use zhibo_domain::event::{Actor, Event};
use zhibo_domain::show::{Segment, SegmentKind};
use zhibo_domain::{Clock, Fen, ProductId, Role, Timestamp, UserId};
use zhibo_live::{ConnectionKind, Identity, LineupEntry, RoomStatus, RunSheetPlan};
use zhibo_store::EventStore;

use crate::harness::{Peer, ROOM, Setup, Show, T0, console, events, join, of_kind, product, start, viewer};

/// The show went live two minutes after the test's clock starts.
const STARTED: Timestamp = Timestamp(T0.0 + 120_000);
const MINUTE: i64 = 60_000;

/// Opening, the scarf, closing: 23 minutes from the actual start.
fn sheet() -> RunSheetPlan {
    let seg =
        |kind, title: &str, start, minutes| Segment { kind, title: title.into(), start_offset_minutes: start, minutes };
    RunSheetPlan {
        started_at: Some(STARTED),
        scheduled_start: Some(T0),
        segments: vec![
            seg(SegmentKind::Opening, "开场寒暄", 0, 5),
            seg(SegmentKind::Product, "围巾讲解", 5, 15),
            seg(SegmentKind::Closing, "收尾", 20, 3),
        ],
    }
}

async fn setup() -> Setup {
    start(Show { run_sheet: sheet(), ..Show::titled("流程单") }).await
}

#[tokio::test]
async fn a_console_gets_the_run_sheet_with_planned_times_from_the_actual_start() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["now"], T0.0);
    assert_eq!(sheet["started_at"], STARTED.0);
    assert_eq!(sheet["current"], Value::Null);
    let segments = sheet["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 3);
    assert_eq!(segments[1]["kind"], "product");
    assert_eq!(segments[1]["title"], "围巾讲解");
    assert_eq!(segments[1]["planned_start_ms"], STARTED.0 + 5 * MINUTE);
    assert_eq!(segments[1]["planned_end_ms"], STARTED.0 + 20 * MINUTE);
}

#[tokio::test]
async fn starting_and_ending_segments_logs_events_in_order_with_planned_and_actual_times() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.until("run_sheet").await;
    s.clock.advance_secs(120);
    desk.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["current"]["index"], 0);
    assert_eq!(sheet["current"]["started_at_ms"], STARTED.0);
    assert_eq!(sheet["current"]["left_ms"], 5 * MINUTE);
    assert_eq!(sheet["current"]["overrun"], false);
    // Four minutes in, the console moves on: segment 0 ends, 1 starts.
    s.clock.advance_secs(240);
    desk.say(json!({"v": 1, "type": "start_segment", "index": 1})).await;
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["current"]["index"], 1);
    assert_eq!(sheet["segments"][0]["done"], true);
    s.clock.advance_secs(600);
    desk.say(json!({"v": 1, "type": "end_segment"})).await;
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["current"], Value::Null);
    desk.say(json!({"v": 1, "type": "end_segment"})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");
    desk.say(json!({"v": 1, "type": "start_segment", "index": 3})).await;
    assert_eq!(desk.until("error").await["field"], "index");

    let log = events(&s).await;
    let segment_events: Vec<&Event> = log.iter().filter(|e| e.kind.as_str().starts_with("segment.")).collect();
    let kinds: Vec<(&str, u64)> =
        segment_events.iter().map(|e| (e.kind.as_str(), e.payload["index"].as_u64().unwrap())).collect();
    assert_eq!(kinds, [("segment.started", 0), ("segment.ended", 0), ("segment.started", 1), ("segment.ended", 1)]);
    let ended0 = segment_events[1];
    assert_eq!(ended0.payload["planned_start"], STARTED.0);
    assert_eq!(ended0.payload["planned_end"], STARTED.0 + 5 * MINUTE);
    assert_eq!(ended0.payload["actual_start"], STARTED.0);
    assert_eq!(ended0.payload["actual_end"], STARTED.0 + 4 * MINUTE);
    assert_eq!(ended0.payload["overrun_ms"], 0);
    let started1 = segment_events[2];
    assert_eq!(started1.payload["planned_start"], STARTED.0 + 5 * MINUTE);
    assert_eq!(started1.payload["actual_start"], STARTED.0 + 4 * MINUTE);
    assert_eq!(started1.actor, Actor::User(UserId(3)));
    assert_eq!(segment_events[3].payload["actual_ms"], 10 * MINUTE);
}

#[tokio::test]
async fn an_overrun_is_flagged_once_the_clock_passes_the_planned_length() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.until("run_sheet").await;
    desk.say(json!({"v": 1, "type": "start_segment", "index": 2})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(desk.until("run_sheet").await["current"]["overrun"], false);
    // Exactly at the planned end it is not over yet: no frame.
    s.clock.advance_secs(180);
    s.hub.room(ROOM).flush().await;
    s.clock.advance_secs(1);
    s.hub.room(ROOM).flush().await;
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["now"], T0.0 + 181_000);
    assert_eq!(sheet["current"]["overrun"], true);
    assert_eq!(sheet["current"]["left_ms"], -1000);
    // A console joining now sees the overrun too.
    let mut other = join(&s, console(Role::Assistant)).await;
    assert_eq!(other.until("run_sheet").await["current"]["overrun"], true);
    // Ending logs how far over it ran.
    s.clock.advance_secs(29);
    desk.say(json!({"v": 1, "type": "end_segment"})).await;
    s.hub.room(ROOM).flush().await;
    let log = events(&s).await;
    let ended = log.iter().find(|e| e.kind.as_str() == "segment.ended").unwrap();
    assert_eq!(ended.payload["overrun_ms"], 30_000);
}

#[tokio::test]
async fn a_viewer_socket_cannot_start_or_end_segments() {
    let s = setup().await;
    let mut v = join(&s, viewer("a")).await;
    // Even an assistant's account on the viewer endpoint is refused.
    let mut staff_as_viewer = join(&s, Identity { kind: ConnectionKind::Viewer, ..console(Role::Assistant) }).await;
    v.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    staff_as_viewer.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    assert_eq!(staff_as_viewer.until("error").await["code"], "forbidden");
    v.say(json!({"v": 1, "type": "end_segment"})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    s.hub.room(ROOM).flush().await;
    let log = events(&s).await;
    assert!(log.iter().all(|e| !e.kind.as_str().starts_with("segment.")));
}

// ---- run-sheet automation (zhibo_live::automation)

const SCARF: ProductId = ProductId(7);
const PUSH: i64 = 1;
const LOTTERY: i64 = 2;
const REMINDER: i64 = 3;

/// The same show with a lineup and three automatic actions: the scarf's
/// card when segment 1 starts, a lottery every ten minutes from the start
/// (twice), and a coupon reminder at 20:30 shop time (T0 is 20:00).
fn auto_show() -> Show {
    let scarf = LineupEntry {
        price: Fen(19_900),
        list_price: Fen(29_900),
        live_price: Fen(15_900),
        stock: 40,
        ..product(SCARF.0, "羊绒围巾")
    };
    let automation = vec![
        ShowAction { id: PUSH, spec: ActionSpec::PushCard { product: SCARF, segment: 1 } },
        ShowAction {
            id: LOTTERY,
            spec: ActionSpec::Lottery {
                every_minutes: 10,
                from_segment: None,
                times: Some(2),
                prize: "围巾一条".into(),
                winners: 1,
                keyword: Some("好物".into()),
                duration_secs: 60,
            },
        },
        ShowAction {
            id: REMINDER,
            spec: ActionSpec::Reminder {
                at: ClockTime::parse("at", "20:30").unwrap(),
                text: "满199减30券已可领取".into(),
                coupon: None,
            },
        },
    ];
    Show { lineup: vec![scarf], run_sheet: sheet(), automation, ..Show::titled("自动化") }
}

/// Moves the clock to `at` and lets the room tick there.
async fn tick_at(s: &Setup, at: Timestamp) {
    s.clock.advance_millis(at.0 - s.clock.now().0);
    s.hub.room(ROOM).flush().await;
}

#[tokio::test]
async fn an_interval_opens_a_lottery_on_time_and_the_log_says_it_was_automatic() {
    let s = start(auto_show()).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let list = desk.until("automation").await;
    let lottery = list["actions"].as_array().unwrap().iter().find(|a| a["id"] == LOTTERY).unwrap().clone();
    assert_eq!(lottery["due_at_ms"], STARTED.0 + 10 * MINUTE);
    let mut v = join(&s, viewer("a")).await;
    tick_at(&s, Timestamp(STARTED.0 + 10 * MINUTE - 1)).await;
    assert!(of_kind(&events(&s).await, "lottery.opened").is_empty(), "not before it is due");
    tick_at(&s, Timestamp(STARTED.0 + 10 * MINUTE)).await;
    let opened = v.until("lottery_opened").await;
    assert_eq!(opened["prize"], "围巾一条");
    assert_eq!(opened["keyword"], "好物");
    let log = events(&s).await;
    let opened = of_kind(&log, "lottery.opened");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].payload["automatic"], true);
    assert_eq!(opened[0].payload["action"], LOTTERY);
    assert_eq!(opened[0].actor, Actor::System);
    let fired = of_kind(&log, "automation.fired");
    assert_eq!(fired.len(), 1);
    assert_eq!(
        (fired[0].payload["action"].as_i64(), fired[0].payload["occurrence"].as_u64()),
        (Some(LOTTERY), Some(0))
    );
    assert!(fired[0].seq > opened[0].seq, "the action's event first, then that it fired");
    // The console's list moves on to the second lottery.
    let list = desk.until("automation").await;
    let next = list["actions"].as_array().unwrap().iter().find(|a| a["id"] == LOTTERY).unwrap().clone();
    assert_eq!((next["occurrence"].as_u64(), next["due_at_ms"].as_i64()), (Some(1), Some(STARTED.0 + 20 * MINUTE)));
    // Ticking again at the same time opens nothing more.
    tick_at(&s, Timestamp(STARTED.0 + 10 * MINUTE + 500)).await;
    assert_eq!(of_kind(&events(&s).await, "lottery.opened").len(), 1);
}

#[tokio::test]
async fn starting_a_segment_pushes_its_card_as_a_console_would() {
    let s = start(auto_show()).await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut v = join(&s, viewer("a")).await;
    desk.say(json!({"v": 1, "type": "start_segment", "index": 0})).await;
    s.hub.room(ROOM).flush().await;
    assert!(of_kind(&events(&s).await, "card.pushed").is_empty(), "segment 0 pushes nothing");
    s.clock.advance_secs(60);
    desk.say(json!({"v": 1, "type": "start_segment", "index": 1})).await;
    s.hub.room(ROOM).flush().await;
    let automatic = v.until("card_pushed").await;
    let log = events(&s).await;
    let pushed = of_kind(&log, "card.pushed");
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].payload["automatic"], true);
    assert_eq!(pushed[0].payload["action"], PUSH);
    assert_eq!(pushed[0].payload["product"], SCARF.0);
    let started = of_kind(&log, "segment.started");
    assert!(started[1].seq < pushed[0].seq);
    // By hand the same product gives the same frame and event kind.
    desk.say(json!({"v": 1, "type": "push_card", "product": SCARF.0})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(v.until("card_pushed").await, automatic);
    let log = events(&s).await;
    let pushed = of_kind(&log, "card.pushed");
    assert_eq!(pushed.len(), 2);
    assert_eq!(pushed[1].payload.get("automatic"), None);
    // Starting it again does not push again.
    desk.say(json!({"v": 1, "type": "start_segment", "index": 2})).await;
    desk.say(json!({"v": 1, "type": "start_segment", "index": 1})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(of_kind(&events(&s).await, "card.pushed").len(), 2);
}

#[tokio::test]
async fn a_clock_time_reminder_pins_at_its_minute_and_not_before() {
    let s = start(auto_show()).await;
    let mut v = join(&s, viewer("a")).await;
    // T0 is 20:00 shop time: 20:29:59 is too early.
    tick_at(&s, Timestamp(T0.0 + 30 * MINUTE - 1000)).await;
    assert!(of_kind(&events(&s).await, "topic.pinned").is_empty());
    tick_at(&s, Timestamp(T0.0 + 30 * MINUTE)).await;
    let topic = v.until("topic").await;
    assert_eq!(topic["text"], "满199减30券已可领取");
    let log = events(&s).await;
    let pinned = of_kind(&log, "topic.pinned");
    assert_eq!(pinned.len(), 1);
    assert_eq!(
        (pinned[0].payload["automatic"].as_bool(), pinned[0].payload["action"].as_i64()),
        (Some(true), Some(REMINDER))
    );
    assert_eq!(pinned[0].time, Timestamp(T0.0 + 30 * MINUTE));
    tick_at(&s, Timestamp(T0.0 + 90 * MINUTE)).await;
    assert_eq!(of_kind(&events(&s).await, "topic.pinned").len(), 1, "once");
}

#[tokio::test]
async fn a_cancelled_action_never_fires_and_the_console_list_drops_it() {
    let s = start(auto_show()).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let list = desk.until("automation").await;
    let ids: Vec<i64> = list["actions"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [LOTTERY, REMINDER, PUSH], "soonest first, the one waiting for its segment last");
    assert_eq!(list["actions"][1]["due_at_ms"], T0.0 + 30 * MINUTE);
    assert_eq!(list["actions"][2]["waiting_for_segment"], 1);
    assert_eq!(list["now"], T0.0);
    desk.say(json!({"v": 1, "type": "cancel_action", "action": REMINDER})).await;
    s.hub.room(ROOM).flush().await;
    let list = desk.until("automation").await;
    assert!(list["actions"].as_array().unwrap().iter().all(|a| a["id"] != REMINDER));
    desk.say(json!({"v": 1, "type": "cancel_action", "action": REMINDER})).await;
    assert_eq!(desk.until("error").await["code"], "already_done");
    desk.say(json!({"v": 1, "type": "fire_action", "action": 99})).await;
    let error = desk.until("error").await;
    assert_eq!((error["code"].as_str(), error["field"].as_str()), (Some("not_found"), Some("action")));
    tick_at(&s, Timestamp(T0.0 + 40 * MINUTE)).await;
    let log = events(&s).await;
    assert!(of_kind(&log, "topic.pinned").is_empty());
    let cancelled = of_kind(&log, "automation.cancelled");
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].payload["action"], REMINDER);
    assert_eq!(cancelled[0].actor, Actor::User(UserId(3)));
}

#[tokio::test]
async fn fire_now_fires_early_and_not_again_when_due() {
    let s = start(auto_show()).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let mut v = join(&s, viewer("a")).await;
    s.clock.advance_secs(60);
    desk.say(json!({"v": 1, "type": "fire_action", "action": REMINDER})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(v.until("topic").await["text"], "满199减30券已可领取");
    let log = events(&s).await;
    let fired = of_kind(&log, "automation.fired");
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].payload["by"], "console");
    assert_eq!(fired[0].actor, Actor::User(UserId(3)));
    assert_eq!(of_kind(&log, "topic.pinned")[0].payload["automatic"], true);
    desk.say(json!({"v": 1, "type": "fire_action", "action": REMINDER})).await;
    assert_eq!(desk.until("error").await["code"], "already_done");
    tick_at(&s, Timestamp(T0.0 + 45 * MINUTE)).await;
    assert_eq!(of_kind(&events(&s).await, "topic.pinned").len(), 1, "not again at 20:30");
}

#[tokio::test]
async fn a_viewer_socket_cannot_cancel_or_fire_actions() {
    let s = start(auto_show()).await;
    let mut v = join(&s, viewer("a")).await;
    let mut staff_as_viewer = join(&s, Identity { kind: ConnectionKind::Viewer, ..console(Role::Assistant) }).await;
    v.say(json!({"v": 1, "type": "cancel_action", "action": REMINDER})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    staff_as_viewer.say(json!({"v": 1, "type": "cancel_action", "action": REMINDER})).await;
    assert_eq!(staff_as_viewer.until("error").await["code"], "forbidden");
    v.say(json!({"v": 1, "type": "fire_action", "action": LOTTERY})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    tick_at(&s, Timestamp(T0.0 + 30 * MINUTE)).await;
    let log = events(&s).await;
    assert!(of_kind(&log, "automation.cancelled").is_empty());
    assert_eq!(of_kind(&log, "topic.pinned").len(), 1, "the reminder still fires");
}

#[tokio::test]
async fn a_restarted_room_does_not_fire_again_what_its_log_says_fired() {
    let s = start(auto_show()).await;
    {
        let _desk = join(&s, console(Role::Assistant)).await;
        tick_at(&s, Timestamp(T0.0 + 30 * MINUTE)).await;
    }
    assert_eq!(of_kind(&events(&s).await, "topic.pinned").len(), 1);
    // A second hub over the same log is a room starting again.
    let hub = s.restarted();
    let mut desk = Peer::connect(&hub, console(Role::Assistant)).await;
    let list = desk.until("automation").await;
    assert!(list["actions"].as_array().unwrap().iter().all(|a| a["id"] != REMINDER));
    s.clock.advance_secs(60);
    hub.room(ROOM).flush().await;
    assert_eq!(of_kind(&events(&s).await, "topic.pinned").len(), 1);
}

/// The automatic show, planned when its room started (a console opened
/// early): the room learns the real start from `show.started` without a
/// restart, and nothing automatic fires after `show.ended`.
fn planned_auto_show() -> Show {
    let show = auto_show();
    Show { status: RoomStatus::Planned, run_sheet: RunSheetPlan { started_at: None, ..show.run_sheet.clone() }, ..show }
}

/// What the web layer does on 开播 / 下播: log the event, tell the room.
async fn lifecycle(s: &Setup, kind: &str, started: Timestamp) {
    let event = zhibo_domain::event::NewEvent {
        room: ROOM,
        kind: zhibo_domain::event::EventKind::parse(kind).unwrap(),
        actor: Actor::User(UserId(1)),
        amount: None,
        payload: json!({"started_at_ms": started.0}),
    };
    let logged = s.store.append(event).await.unwrap();
    s.hub.running(ROOM).expect("the room is running").observe(logged).await;
}

#[tokio::test]
async fn a_room_opened_before_the_show_counts_from_the_real_start_and_stops_automating_at_the_end() {
    let s = start(planned_auto_show()).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let mut v = join(&s, viewer("a")).await;
    let list = desk.until("automation").await;
    let lottery = list["actions"].as_array().unwrap().iter().find(|a| a["id"] == LOTTERY).unwrap().clone();
    assert_eq!(lottery["due_at_ms"], T0.0 + 10 * MINUTE, "planned: from the scheduled start");

    // The show goes live five minutes late.
    let late = Timestamp(T0.0 + 5 * MINUTE);
    s.clock.advance_millis(late.0 - s.clock.now().0);
    lifecycle(&s, "show.started", late).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(v.until("status").await["status"], "live");
    let sheet = desk.until("run_sheet").await;
    assert_eq!(sheet["started_at"], late.0, "the console's run sheet is planned from the real start");
    let list = desk.until("automation").await;
    let lottery = list["actions"].as_array().unwrap().iter().find(|a| a["id"] == LOTTERY).unwrap().clone();
    assert_eq!(lottery["due_at_ms"], late.0 + 10 * MINUTE);
    tick_at(&s, Timestamp(T0.0 + 10 * MINUTE)).await;
    assert!(of_kind(&events(&s).await, "lottery.opened").is_empty(), "not at the scheduled start's time");
    tick_at(&s, Timestamp(late.0 + 10 * MINUTE)).await;
    assert_eq!(of_kind(&events(&s).await, "lottery.opened").len(), 1);

    // Ended: the second lottery (due 10 minutes later) never opens.
    lifecycle(&s, "show.ended", late).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(v.until("status").await["status"], "ended");
    tick_at(&s, Timestamp(late.0 + 30 * MINUTE)).await;
    assert_eq!(of_kind(&events(&s).await, "lottery.opened").len(), 1);
    assert!(of_kind(&events(&s).await, "automation.fired").iter().all(|e| e.payload["occurrence"] == 0));
}
