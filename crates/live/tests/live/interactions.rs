//! The interaction tools end to end (lottery 福袋, red packets 红包): an
//! in-memory lineup, a virtual clock and a real SQLite event log in a
//! temporary folder. Batches are forced out with `RoomHandle::flush`, so
//! nothing sleeps; a lottery's end is reached by advancing the clock.

use serde_json::json;
use std::collections::HashSet;
use zhibo_domain::draw::{draw_winners, split_red_packet};
use zhibo_domain::event::Actor;
use zhibo_domain::{Fen, Role, UserId};
use zhibo_live::LiveError;
use zhibo_live::interactions::verify_lottery;

use crate::harness::{Peer, ROOM, Setup, Show, T0, console, events, join, of_kind, product, start, viewer};

async fn setup() -> Setup {
    start(Show { lineup: vec![product(1, "羊毛围巾")], ..Show::titled("福袋专场") }).await
}

#[tokio::test]
async fn a_keyword_lottery_draws_two_of_five_entrants_and_re_verifies_from_the_log() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut viewers = Vec::new();
    for id in ["a", "b", "c", "d", "e", "f"] {
        viewers.push(join(&s, viewer(id)).await);
    }
    desk.say(json!({"v": 1, "type": "open_lottery", "prize": "围巾一条", "winners": 2, "join": "comment",
        "keyword": "想要", "duration_secs": 60}))
        .await;
    s.hub.room(ROOM).flush().await;
    let opened = viewers[0].until("lottery_opened").await;
    assert_eq!(opened["prize"], "围巾一条");
    assert_eq!(opened["keyword"], "想要");
    assert_eq!(opened["winners"], 2);
    assert_eq!(opened["ends_at_ms"], T0.plus_secs(60).millis());
    let id = opened["id"].as_u64().unwrap();
    // Five comment the keyword (one twice), the sixth says something else.
    for v in &viewers[..5] {
        v.say(json!({"v": 1, "type": "comment", "text": "我想要!"})).await;
    }
    viewers[5].say(json!({"v": 1, "type": "comment", "text": "好看"})).await;
    s.hub.room(ROOM).flush().await;
    s.clock.advance_secs(3);
    viewers[0].say(json!({"v": 1, "type": "comment", "text": "想要想要"})).await;
    s.hub.room(ROOM).flush().await;
    // Before the end nothing is drawn; after it, the room's tick draws.
    s.clock.advance_secs(58);
    s.hub.room(ROOM).flush().await;
    let drawn = viewers[5].until("lottery_drawn").await;
    assert_eq!(drawn["id"], id);
    let winners: Vec<String> =
        drawn["viewers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(winners.len(), 2);
    assert_ne!(winners[0], winners[1]);
    assert!(winners.iter().all(|w| w != "viewer:f"), "{winners:?}");
    let names = drawn["winners"].as_array().unwrap();
    assert_eq!(names[0].as_str().unwrap(), format!("观众{}", &winners[0]["viewer:".len()..]));

    let log = events(&s).await;
    assert_eq!(of_kind(&log, "lottery.joined").len(), 5);
    let drawn_event = of_kind(&log, "lottery.drawn")[0];
    assert_eq!(drawn_event.actor, Actor::System);
    let entrants: Vec<String> =
        drawn_event.payload["entrants"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(entrants, ["viewer:a", "viewer:b", "viewer:c", "viewer:d", "viewer:e"]);
    // Anyone can recompute the winners from the log.
    let seed: u64 = drawn_event.payload["seed"].as_str().unwrap().parse().unwrap();
    assert_eq!(draw_winners(seed, &entrants, 2), winners);
    assert_eq!(verify_lottery(&log).unwrap(), 1);
    // The seed was committed at opening and not shown there.
    let opened_event = of_kind(&log, "lottery.opened")[0];
    assert!(opened_event.payload.get("seed").is_none());
    assert_eq!(opened_event.payload["seed_sha256"], drawn_event.payload["seed_sha256"]);

    // A doctored log fails the audit: other winners, or an entrant added.
    let mut forged = log.clone();
    let at = forged.iter().position(|e| e.kind.as_str() == "lottery.drawn").unwrap();
    forged[at].payload["winners"] = json!(["viewer:f", "viewer:a"]);
    assert!(matches!(verify_lottery(&forged), Err(LiveError::Audit(_))));
    let mut forged = log.clone();
    forged[at].payload["entrants"].as_array_mut().unwrap().push(json!("viewer:f"));
    assert!(verify_lottery(&forged).is_err());
    let mut forged = log;
    forged[at].payload["seed"] = json!((seed ^ 1).to_string());
    assert!(verify_lottery(&forged).is_err());
}

#[tokio::test]
async fn a_follow_lottery_is_drawn_early_by_the_console() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Operator)).await;
    let a = join(&s, viewer("a")).await;
    let mut b = join(&s, viewer("b")).await;
    desk.say(json!({"v": 1, "type": "open_lottery", "prize": "保温杯", "winners": 5, "join": "follow",
        "duration_secs": 600}))
        .await;
    s.hub.room(ROOM).flush().await;
    // A second lottery while one is open is refused.
    desk.say(json!({"v": 1, "type": "open_lottery", "prize": "x", "winners": 1, "join": "follow",
        "duration_secs": 60}))
        .await;
    assert_eq!(desk.until("error").await["code"], "conflict");
    a.say(json!({"v": 1, "type": "comment", "text": "hi"})).await;
    a.say(json!({"v": 1, "type": "follow"})).await;
    b.say(json!({"v": 1, "type": "follow"})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(b.until("lottery_joined").await["entrants"], 1);
    assert_eq!(b.until("lottery_joined").await["entrants"], 2);
    desk.say(json!({"v": 1, "type": "draw_lottery"})).await;
    s.hub.room(ROOM).flush().await;
    let drawn = b.until("lottery_drawn").await;
    let mut won: Vec<&str> = drawn["viewers"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    won.sort();
    assert_eq!(won, ["viewer:a", "viewer:b"]);
    let log = events(&s).await;
    assert_eq!(of_kind(&log, "lottery.drawn")[0].actor, Actor::User(UserId(3)));
    assert_eq!(verify_lottery(&log).unwrap(), 1);
    // Nothing left to draw.
    desk.say(json!({"v": 1, "type": "draw_lottery"})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");
}

#[tokio::test]
async fn red_packet_grabs_add_up_to_the_total_and_nobody_grabs_twice() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let mut viewers = Vec::new();
    for id in ["a", "b", "c", "d"] {
        viewers.push(join(&s, viewer(id)).await);
    }
    desk.say(json!({"v": 1, "type": "send_red_packet", "total_fen": 1_001, "count": 3})).await;
    s.hub.room(ROOM).flush().await;
    let sent = viewers[0].until("red_packet_sent").await;
    assert_eq!((sent["total_fen"].as_i64(), sent["count"].as_u64()), (Some(1_001), Some(3)));
    let id = sent["id"].as_u64().unwrap();
    let grab = json!({"v": 1, "type": "grab_red_packet", "id": id});
    viewers[0].say(grab.clone()).await;
    viewers[0].say(grab.clone()).await;
    assert_eq!(viewers[0].until("error").await["code"], "already_done");
    for v in &viewers[1..] {
        v.say(grab.clone()).await;
    }
    s.hub.room(ROOM).flush().await;
    assert_eq!(viewers[3].until("error").await["code"], "gone");
    let mut seen = HashSet::new();
    let mut sum = 0;
    for left in [2, 1, 0] {
        let g = desk.until("red_packet_grabbed").await;
        assert_eq!(g["left"], left);
        assert!(g["amount_fen"].as_i64().unwrap() >= 1);
        sum += g["amount_fen"].as_i64().unwrap();
        assert!(seen.insert(g["viewer"].as_str().unwrap().to_owned()));
    }
    assert_eq!(sum, 1_001);

    // The log holds the money: the grabs' amounts add up to the sent total
    // and are the split the logged seed gives.
    let log = events(&s).await;
    let sent_event = of_kind(&log, "red_packet.sent")[0];
    assert_eq!(sent_event.amount, Some(Fen(1_001)));
    let grabbed: Vec<i64> = of_kind(&log, "red_packet.grabbed").iter().map(|e| e.amount.unwrap().0).collect();
    assert_eq!(grabbed.iter().sum::<i64>(), 1_001);
    let seed: u64 = sent_event.payload["seed"].as_str().unwrap().parse().unwrap();
    let split: Vec<i64> = split_red_packet(seed, Fen(1_001), 3).unwrap().iter().map(|f| f.0).collect();
    assert_eq!(grabbed, split);
}

#[tokio::test]
async fn interaction_tools_refuse_viewers_and_bad_input_with_error_frames() {
    let s = setup().await;
    let mut v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    // Console-only on a viewer socket, and a console socket whose role may
    // not run the console.
    v.say(json!({"v": 1, "type": "send_red_packet", "total_fen": 500, "count": 2})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    v.say(json!({"v": 1, "type": "draw_lottery"})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    let mut buyer = join(&s, console(Role::Viewer)).await;
    buyer
        .say(json!({"v": 1, "type": "open_lottery", "prize": "x", "winners": 1, "join": "follow", "duration_secs": 60}))
        .await;
    assert_eq!(buyer.until("error").await["code"], "forbidden");

    let cases = [
        (json!({"v": 1, "type": "send_red_packet", "total_fen": 2, "count": 3}), "total_fen"),
        (json!({"v": 1, "type": "send_red_packet", "total_fen": 100, "count": 0}), "count"),
        (
            json!({"v": 1, "type": "open_lottery", "prize": "x", "winners": 0, "join": "follow", "duration_secs": 60}),
            "winners",
        ),
        (
            json!({"v": 1, "type": "open_lottery", "prize": "x", "winners": 1, "join": "comment",
            "keyword": "口".repeat(21), "duration_secs": 60}),
            "keyword",
        ),
        (
            json!({"v": 1, "type": "open_lottery", "prize": "x", "winners": 1, "join": "comment", "duration_secs": 60}),
            "keyword",
        ),
        (
            json!({"v": 1, "type": "open_lottery", "prize": " ", "winners": 1, "join": "follow", "duration_secs": 60}),
            "prize",
        ),
        (
            json!({"v": 1, "type": "open_lottery", "prize": "x", "winners": 1, "join": "follow", "duration_secs": 1}),
            "duration_secs",
        ),
    ];
    for (message, field) in cases {
        desk.say(message.clone()).await;
        let error = desk.until("error").await;
        assert_eq!(error["code"], "bad_message", "{message}");
        assert_eq!(error["field"], field, "{message}");
    }
    v.say(json!({"v": 1, "type": "grab_red_packet", "id": 42})).await;
    assert_eq!(v.until("error").await["code"], "not_found");
    s.hub.room(ROOM).flush().await;
    let log = events(&s).await;
    assert!(log.iter().all(|e| !e.kind.as_str().starts_with("lottery") && !e.kind.as_str().starts_with("red_packet")));
}

#[tokio::test]
async fn a_late_viewer_sees_the_running_lottery_and_open_red_packets_but_no_seed() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "open_lottery", "prize": "围巾", "winners": 1, "join": "comment",
        "keyword": "1", "duration_secs": 60}))
        .await;
    desk.say(json!({"v": 1, "type": "send_red_packet", "total_fen": 300, "count": 2})).await;
    s.hub.room(ROOM).flush().await;
    let mut late = Peer::connect(&s.hub, viewer("late")).await;
    let snapshot = late.next().await;
    assert_eq!(snapshot["lottery"]["prize"], "围巾");
    assert_eq!(snapshot["lottery"]["keyword"], "1");
    assert!(!snapshot.to_string().contains("seed"));
    assert_eq!(snapshot["red_packets"][0]["total_fen"], 300);
}

#[tokio::test]
async fn a_poll_counts_one_vote_per_viewer_exactly_and_refuses_votes_once_closed() {
    let s = setup().await;
    let desk = join(&s, console(Role::Assistant)).await;
    let mut viewers = Vec::new();
    for id in ["a", "b", "c", "d", "e"] {
        viewers.push(join(&s, viewer(id)).await);
    }
    desk.say(json!({"v": 1, "type": "open_poll", "question": "下一个讲哪款？", "options": ["围巾", "帽子", "手套"]}))
        .await;
    s.hub.room(ROOM).flush().await;
    let opened = viewers[0].until("poll_opened").await;
    assert_eq!(opened["question"], "下一个讲哪款？");
    assert_eq!(opened["options"], json!(["围巾", "帽子", "手套"]));
    assert_eq!(opened["votes"], json!([0, 0, 0]));
    let id = opened["id"].as_u64().unwrap();
    // a, b, c → option 1; d → option 0; e → option 2; a tries again.
    for (i, option) in [1, 1, 1, 0, 2].into_iter().enumerate() {
        viewers[i].say(json!({"v": 1, "type": "vote", "poll": id, "option": option})).await;
    }
    viewers[0].say(json!({"v": 1, "type": "vote", "poll": id, "option": 2})).await;
    s.hub.room(ROOM).flush().await;
    assert_eq!(viewers[0].until("error").await["code"], "already_done");
    // One tally frame for the burst, on the tick.
    let tally = viewers[4].until("poll_tally").await;
    assert_eq!((tally["votes"].clone(), tally["total"].clone()), (json!([1, 3, 1]), json!(5)));
    // A bad option is named.
    let mut late = join(&s, viewer("z")).await;
    late.say(json!({"v": 1, "type": "vote", "poll": id, "option": 3})).await;
    assert_eq!(late.until("error").await["field"], "option");

    desk.say(json!({"v": 1, "type": "close_poll"})).await;
    s.hub.room(ROOM).flush().await;
    let closed = viewers[1].until("poll_closed").await;
    assert_eq!((closed["id"].as_u64(), closed["votes"].clone()), (Some(id), json!([1, 3, 1])));
    late.say(json!({"v": 1, "type": "vote", "poll": id, "option": 0})).await;
    assert_eq!(late.until("error").await["code"], "gone");

    let log = events(&s).await;
    let voted = of_kind(&log, "poll.voted");
    assert_eq!(voted.len(), 5);
    let mut from_log = [0u64; 3];
    for e in &voted {
        from_log[e.payload["option"].as_u64().unwrap() as usize] += 1;
    }
    let closed_event = of_kind(&log, "poll.closed")[0];
    assert_eq!(closed_event.payload["votes"], json!(from_log));
    assert_eq!(closed_event.payload["total"], 5);
    assert_eq!(of_kind(&log, "poll.opened").len(), 1);
}

#[tokio::test]
async fn only_a_console_opens_or_closes_a_poll_and_bad_polls_are_named() {
    let s = setup().await;
    let mut desk = join(&s, console(Role::Operator)).await;
    let mut v = join(&s, viewer("a")).await;
    v.say(json!({"v": 1, "type": "open_poll", "question": "好看吗", "options": ["好看", "一般"]})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    v.say(json!({"v": 1, "type": "close_poll"})).await;
    assert_eq!(v.until("error").await["code"], "forbidden");
    desk.say(json!({"v": 1, "type": "open_poll", "question": "好看吗", "options": ["好看"]})).await;
    assert_eq!(desk.until("error").await["field"], "options");
    let seven = ["a", "b", "c", "d", "e", "f", "g"];
    desk.say(json!({"v": 1, "type": "open_poll", "question": "好看吗", "options": seven})).await;
    assert_eq!(desk.until("error").await["field"], "options");
    desk.say(json!({"v": 1, "type": "open_poll", "question": "好看吗", "options": ["好看", " 好看 "]})).await;
    assert_eq!(desk.until("error").await["field"], "options");
    desk.say(json!({"v": 1, "type": "open_poll", "question": " ", "options": ["好看", "一般"]})).await;
    assert_eq!(desk.until("error").await["field"], "question");
    desk.say(json!({"v": 1, "type": "close_poll"})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");
    v.say(json!({"v": 1, "type": "vote", "poll": 12, "option": 0})).await;
    assert_eq!(v.until("error").await["code"], "not_found");
    desk.say(json!({"v": 1, "type": "open_poll", "question": "好看吗", "options": ["好看", "一般"]})).await;
    desk.say(json!({"v": 1, "type": "open_poll", "question": "再来", "options": ["是", "否"]})).await;
    assert_eq!(desk.until("error").await["code"], "conflict");
    s.hub.room(ROOM).flush().await;
    // A late viewer's snapshot shows the open poll.
    let mut late = Peer::connect(&s.hub, viewer("late")).await;
    let snapshot = late.next().await;
    assert_eq!(snapshot["poll"]["question"], "好看吗");
    assert_eq!(snapshot["poll"]["votes"], json!([0, 0]));
    let log = events(&s).await;
    assert_eq!(of_kind(&log, "poll.opened").len(), 1);
}
