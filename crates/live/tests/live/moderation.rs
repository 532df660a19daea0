//! Comment moderation end to end: the sensitive-word filter in block and
//! hold mode, the question queue and quick answers, over an in-memory
//! lineup, a virtual clock and a real SQLite event log. Batches are forced
//! out with `RoomHandle::flush`; frames are awaited with a safety timeout
//! only, and "never reached" is proven by a later frame arriving first.

use serde_json::{Value, json};
use zhibo_domain::Role;
use zhibo_domain::catalog::ProductFacts;
use zhibo_domain::moderation::ModerationMode;
use zhibo_live::{LineupEntry, ModerationSettings};

use crate::harness::{Setup, Show, T0, console, events, flush, join, product, start, viewer};

/// The shop's words, in `mode`; the scarf has its facts for quick answers,
/// the cup none.
async fn setup(mode: ModerationMode) -> Setup {
    let scarf = ProductFacts {
        material: "100%美利奴羊毛".into(),
        size_chart: "规格|长×宽\n均码|180×30cm".into(),
        shipping_hours: Some(48),
        after_sales: "7天无理由退换".into(),
    };
    start(Show {
        lineup: vec![LineupEntry { facts: Some(scarf), ..product(1, "羊毛围巾") }, product(2, "保温杯")],
        moderation: ModerationSettings { mode, words: vec!["加微信".into(), "私聊".into(), "最便宜".into()] },
        ..Show::titled("秋冬上新")
    })
    .await
}

async fn kinds(s: &Setup) -> Vec<(String, Value)> {
    events(s).await.into_iter().map(|e| (e.kind.as_str().to_owned(), e.payload)).collect()
}

#[tokio::test]
async fn a_blocked_word_never_reaches_other_viewers_and_is_logged() {
    let s = setup(ModerationMode::Block).await;
    let mut spammer = join(&s, viewer("s")).await;
    let mut other = join(&s, viewer("o")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    let state = desk.until("moderation").await;
    assert_eq!((state["mode"].as_str(), state["words"].as_u64()), (Some("block"), Some(3)));
    // Spaced out, full-width and zero-width: still the listed word.
    spammer.say(json!({"v": 1, "type": "comment", "text": "便宜货 加 微\u{200b}信 ＡＢＣ"})).await;
    let error = spammer.until("error").await;
    assert_eq!(error["code"], "blocked");
    s.clock.advance_secs(5);
    other.say(json!({"v": 1, "type": "comment", "text": "好看"})).await;
    flush(&s).await;
    for p in [&mut other, &mut desk, &mut spammer] {
        let (before, comment) = p.frames_until("comment").await;
        assert_eq!(comment["text"], "好看");
        assert!(before.iter().all(|f| f["type"] != "comment"), "{before:?}");
    }
    let events = kinds(&s).await;
    let blocked: Vec<&Value> = events.iter().filter(|(k, _)| k == "comment.blocked").map(|(_, p)| p).collect();
    assert_eq!(blocked.len(), 1, "{events:?}");
    assert_eq!(blocked[0]["words"], json!(["加微信"]));
    assert_eq!(blocked[0]["hits"][0]["found"], "加 微\u{200b}信");
    assert!(events.iter().filter(|(k, _)| k == "comment.posted").all(|(_, p)| p["text"] == "好看"));
}

#[tokio::test]
async fn a_held_comment_reaches_only_the_console_until_approved() {
    let s = setup(ModerationMode::Hold).await;
    let mut v = join(&s, viewer("v")).await;
    let mut other = join(&s, viewer("o")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    v.say(json!({"v": 1, "type": "comment", "text": "全网最便宜！"})).await;
    flush(&s).await;
    let held = desk.until("comment_held").await;
    assert_eq!(held["text"], "全网最便宜！");
    assert_eq!(held["words"], json!(["最便宜"]));
    let id = held["id"].as_u64().unwrap();
    // A second held comment, then rejected.
    s.clock.advance_secs(5);
    v.say(json!({"v": 1, "type": "comment", "text": "私聊我"})).await;
    flush(&s).await;
    let second = desk.until("comment_held").await;
    let rejected = second["id"].as_u64().unwrap();
    // Only a console may approve.
    other.say(json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    assert_eq!(other.until("error").await["code"], "forbidden");
    desk.say(json!({"v": 1, "type": "reject_comment", "comment": rejected})).await;
    desk.say(json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    flush(&s).await;
    for p in [&mut other, &mut v] {
        let (before, comment) = p.frames_until("comment").await;
        assert_eq!((comment["id"].as_u64(), comment["text"].as_str()), (Some(id), Some("全网最便宜！")));
        assert!(before.iter().all(|f| f["type"] != "comment"), "{before:?}");
    }
    let resolved = desk.until("held_resolved").await;
    assert_eq!((resolved["id"].as_u64(), resolved["approved"].as_bool()), (Some(rejected), Some(false)));
    let resolved = desk.until("held_resolved").await;
    assert_eq!((resolved["id"].as_u64(), resolved["approved"].as_bool()), (Some(id), Some(true)));
    // Approving twice finds nothing.
    desk.say(json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");
    let events: Vec<String> = kinds(&s).await.into_iter().map(|(k, _)| k).collect();
    let moderation: Vec<&str> = events.iter().map(String::as_str).filter(|k| k.starts_with("comment.")).collect();
    assert_eq!(moderation, ["comment.held", "comment.held", "comment.rejected", "comment.approved"]);
}

#[tokio::test]
async fn a_question_waits_in_the_queue_until_answered() {
    let s = setup(ModerationMode::Block).await;
    let mut v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    v.say(json!({"v": 1, "type": "comment", "text": "有灰色吗"})).await;
    // Flushed before the clock moves: the wait counts from the comment's
    // time in the log.
    flush(&s).await;
    s.clock.advance_secs(3);
    let mut w = join(&s, viewer("w")).await;
    w.say(json!({"v": 1, "type": "comment", "text": "主播好美"})).await;
    flush(&s).await;
    let asked = desk.until("question_asked").await;
    assert_eq!(asked["text"], "有灰色吗");
    assert_eq!(asked["asked_at"], T0.0);
    let comment = asked["comment"].as_u64().unwrap();
    // A console joining later finds it waiting, with the clock to time it.
    s.clock.advance_secs(40);
    let mut late = join(&s, console(Role::Assistant)).await;
    let state = late.until("moderation").await;
    let waiting: Vec<&str> =
        state["questions"].as_array().unwrap().iter().map(|q| q["text"].as_str().unwrap()).collect();
    assert_eq!(waiting, ["有灰色吗"]);
    assert_eq!(state["now"].as_i64().unwrap() - state["questions"][0]["asked_at"].as_i64().unwrap(), 43_000);
    // A blank reply is refused by name and the question keeps waiting.
    desk.say(json!({"v": 1, "type": "answer_question", "comment": comment, "reply": "  "})).await;
    assert_eq!(desk.until("error").await["field"], "reply");
    desk.say(json!({"v": 1, "type": "answer_question", "comment": comment, "reply": "有的，3号链接"})).await;
    flush(&s).await;
    for p in [&mut v, &mut w] {
        let reply = p.until("reply").await;
        assert_eq!((reply["question"].as_str(), reply["text"].as_str()), (Some("有灰色吗"), Some("有的，3号链接")));
    }
    let answered = late.until("question_answered").await;
    assert_eq!(answered["comment"].as_u64(), Some(comment));
    // Answered means gone: a new console sees an empty queue, a second answer is not found.
    let mut third = join(&s, console(Role::Assistant)).await;
    assert_eq!(third.until("moderation").await["questions"], json!([]));
    desk.say(json!({"v": 1, "type": "answer_question", "comment": comment})).await;
    assert_eq!(desk.until("error").await["code"], "not_found");
    let events = kinds(&s).await;
    let (_, answered) = events.iter().find(|(k, _)| k == "question.answered").unwrap();
    assert_eq!(answered["waited_ms"], 43_000);
    assert_eq!(answered["reply"], "有的，3号链接");
}

#[tokio::test]
async fn a_material_question_gets_a_quick_answer_from_the_pushed_product() {
    let s = setup(ModerationMode::Block).await;
    let v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "push_card", "product": 1})).await;
    v.say(json!({"v": 1, "type": "comment", "text": "这个是什么材质？"})).await;
    flush(&s).await;
    let asked = desk.until("question_asked").await;
    let suggestions = asked["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 1, "{suggestions:?}");
    assert_eq!(suggestions[0]["topic"], "material");
    assert_eq!(suggestions[0]["product"], 1);
    assert!(suggestions[0]["text"].as_str().unwrap().contains("100%美利奴羊毛"), "{suggestions:?}");
    // A product named in the question wins over the card; one with no
    // facts has only its price to offer.
    s.clock.advance_secs(5);
    v.say(json!({"v": 1, "type": "comment", "text": "保温杯多少钱，什么材质"})).await;
    flush(&s).await;
    let asked = desk.until("question_asked").await;
    let topics: Vec<(&str, i64)> = asked["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["topic"].as_str().unwrap(), s["product"].as_i64().unwrap()))
        .collect();
    assert_eq!(topics, [("price", 2)]);
}

/// A comment held for review and then approved counts as shown from then
/// on: it joins a keyword lottery as a comment shown at once would.
#[tokio::test]
async fn an_approved_comment_joins_a_keyword_lottery() {
    let s = setup(ModerationMode::Hold).await;
    let v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console(Role::Assistant)).await;
    desk.say(json!({"v": 1, "type": "open_lottery", "prize": "围巾一条", "winners": 1, "join": "comment",
        "keyword": "想要", "duration_secs": 60}))
        .await;
    flush(&s).await;
    desk.until("lottery_opened").await;
    v.say(json!({"v": 1, "type": "comment", "text": "想要！私聊我"})).await;
    flush(&s).await;
    let held = desk.until("comment_held").await;
    let id = held["id"].as_u64().unwrap();
    assert!(kinds(&s).await.iter().all(|(k, _)| k != "lottery.joined"), "held: not in the lottery yet");
    desk.say(json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    flush(&s).await;
    let joined = desk.until("lottery_joined").await;
    assert_eq!(joined["entrants"], 1);
    let log = kinds(&s).await;
    let joined: Vec<&Value> = log.iter().filter(|(k, _)| k == "lottery.joined").map(|(_, p)| p).collect();
    assert_eq!(joined.len(), 1, "{log:?}");
}
