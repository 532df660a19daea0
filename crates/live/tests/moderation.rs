//! Comment moderation end to end: the sensitive-word filter in block and
//! hold mode, the question queue and quick answers, over an in-memory
//! lineup, a virtual clock and a real SQLite event log. Batches are forced
//! out with `RoomHandle::flush`; frames are awaited with a safety timeout
//! only, and "never reached" is proven by a later frame arriving first.

use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use zhibo_domain::catalog::ProductFacts;
use zhibo_domain::event::Actor;
use zhibo_domain::moderation::ModerationMode;
use zhibo_domain::{Fen, ProductId, Role, RoomId, Timestamp, UserId, VirtualClock};
use zhibo_live::{
    Connection, ConnectionKind, Identity, LineupEntry, LiveError, ModerationSettings, RoomConfig, RoomData, RoomHub,
    RoomInfo, RoomStatus,
};
use zhibo_store::{EventStore, SqliteStore};

const ROOM: RoomId = RoomId(9);
const T0: Timestamp = Timestamp(1_795_608_000_000);

#[derive(Debug)]
struct Shop {
    mode: ModerationMode,
}

#[async_trait::async_trait]
impl RoomData for Shop {
    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        if room != ROOM {
            return Ok(None);
        }
        let entry = |id: i64, title: &str, facts: Option<ProductFacts>| LineupEntry {
            product: ProductId(id),
            title: title.into(),
            price: Fen(9_900),
            list_price: Fen(12_900),
            live_price: Fen(7_900),
            stock: 50,
            listed: true,
            facts,
        };
        let scarf = ProductFacts {
            material: "100%美利奴羊毛".into(),
            size_chart: "规格|长×宽\n均码|180×30cm".into(),
            shipping_hours: Some(48),
            after_sales: "7天无理由退换".into(),
        };
        Ok(Some(RoomInfo {
            title: "秋冬上新".into(),
            status: RoomStatus::Live,
            lineup: vec![entry(1, "羊毛围巾", Some(scarf)), entry(2, "保温杯", None)],
        }))
    }

    async fn moderation(&self, _room: RoomId) -> Result<ModerationSettings, LiveError> {
        Ok(ModerationSettings { mode: self.mode, words: vec!["加微信".into(), "私聊".into(), "最便宜".into()] })
    }
}

struct Setup {
    hub: RoomHub,
    clock: VirtualClock,
    store: Arc<SqliteStore>,
    _dir: TempDir,
}

async fn setup(mode: ModerationMode) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let store = Arc::new(SqliteStore::open(&dir.path().join("zhibo.db"), Arc::new(clock.clone())).await.unwrap());
    // A long tick: batches leave only when a test flushes.
    let config = RoomConfig { tick: Duration::from_secs(3600), ..RoomConfig::default() };
    let hub = RoomHub::new(store.clone(), Arc::new(Shop { mode }), Arc::new(clock.clone()), config);
    Setup { hub, clock, store, _dir: dir }
}

fn viewer(id: &str) -> Identity {
    Identity { actor: Actor::Viewer(id.into()), name: format!("观众{id}"), role: None, kind: ConnectionKind::Viewer }
}

fn console() -> Identity {
    Identity {
        actor: Actor::User(UserId(3)),
        name: "场控".into(),
        role: Some(Role::Assistant),
        kind: ConnectionKind::Console,
    }
}

struct Peer {
    c: Connection,
    queue: VecDeque<Value>,
}

async fn join(s: &Setup, who: Identity) -> Peer {
    let mut p = Peer { c: s.hub.connect(ROOM, who).await.unwrap(), queue: VecDeque::new() };
    assert_eq!(p.next().await["type"], "snapshot");
    p
}

impl Peer {
    async fn next(&mut self) -> Value {
        if let Some(f) = self.queue.pop_front() {
            return f;
        }
        let bytes: Bytes = tokio::time::timeout(Duration::from_secs(10), self.c.outbound.next())
            .await
            .expect("a frame within the safety timeout")
            .expect("the room is running");
        let message: Value = serde_json::from_slice(&bytes).unwrap();
        if message["type"] == "batch" {
            self.queue.extend(message["frames"].as_array().unwrap().iter().cloned());
            Box::pin(self.next()).await
        } else {
            message
        }
    }

    async fn until(&mut self, kind: &str) -> (Vec<Value>, Value) {
        let mut seen = Vec::new();
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return (seen, f);
            }
            seen.push(f);
        }
    }
}

async fn say(p: &Peer, message: Value) {
    assert!(p.c.inbound.send_text(&message.to_string()).await);
}

async fn flush(s: &Setup) {
    s.hub.room(ROOM).flush().await;
}

async fn kinds(s: &Setup) -> Vec<(String, Value)> {
    let events = s.store.events_after(ROOM, 0, 200).await.unwrap();
    events.into_iter().map(|e| (e.kind.as_str().to_owned(), e.payload)).collect()
}

#[tokio::test]
async fn a_blocked_word_never_reaches_other_viewers_and_is_logged() {
    let s = setup(ModerationMode::Block).await;
    let mut spammer = join(&s, viewer("s")).await;
    let mut other = join(&s, viewer("o")).await;
    let mut desk = join(&s, console()).await;
    let (_, state) = desk.until("moderation").await;
    assert_eq!((state["mode"].as_str(), state["words"].as_u64()), (Some("block"), Some(3)));
    // Spaced out, full-width and zero-width: still the listed word.
    say(&spammer, json!({"v": 1, "type": "comment", "text": "便宜货 加 微\u{200b}信 ＡＢＣ"})).await;
    let (_, error) = spammer.until("error").await;
    assert_eq!(error["code"], "blocked");
    s.clock.advance_secs(5);
    say(&other, json!({"v": 1, "type": "comment", "text": "好看"})).await;
    flush(&s).await;
    for p in [&mut other, &mut desk, &mut spammer] {
        let (before, comment) = p.until("comment").await;
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
    let mut desk = join(&s, console()).await;
    say(&v, json!({"v": 1, "type": "comment", "text": "全网最便宜！"})).await;
    flush(&s).await;
    let (_, held) = desk.until("comment_held").await;
    assert_eq!(held["text"], "全网最便宜！");
    assert_eq!(held["words"], json!(["最便宜"]));
    let id = held["id"].as_u64().unwrap();
    // A second held comment, then rejected.
    s.clock.advance_secs(5);
    say(&v, json!({"v": 1, "type": "comment", "text": "私聊我"})).await;
    flush(&s).await;
    let (_, second) = desk.until("comment_held").await;
    let rejected = second["id"].as_u64().unwrap();
    // Only a console may approve.
    say(&other, json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    assert_eq!(other.until("error").await.1["code"], "forbidden");
    say(&desk, json!({"v": 1, "type": "reject_comment", "comment": rejected})).await;
    say(&desk, json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    flush(&s).await;
    for p in [&mut other, &mut v] {
        let (before, comment) = p.until("comment").await;
        assert_eq!((comment["id"].as_u64(), comment["text"].as_str()), (Some(id), Some("全网最便宜！")));
        assert!(before.iter().all(|f| f["type"] != "comment"), "{before:?}");
    }
    let (_, resolved) = desk.until("held_resolved").await;
    assert_eq!((resolved["id"].as_u64(), resolved["approved"].as_bool()), (Some(rejected), Some(false)));
    let (_, resolved) = desk.until("held_resolved").await;
    assert_eq!((resolved["id"].as_u64(), resolved["approved"].as_bool()), (Some(id), Some(true)));
    // Approving twice finds nothing.
    say(&desk, json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    assert_eq!(desk.until("error").await.1["code"], "not_found");
    let events: Vec<String> = kinds(&s).await.into_iter().map(|(k, _)| k).collect();
    let moderation: Vec<&str> = events.iter().map(String::as_str).filter(|k| k.starts_with("comment.")).collect();
    assert_eq!(moderation, ["comment.held", "comment.held", "comment.rejected", "comment.approved"]);
}

#[tokio::test]
async fn a_question_waits_in_the_queue_until_answered() {
    let s = setup(ModerationMode::Block).await;
    let mut v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console()).await;
    say(&v, json!({"v": 1, "type": "comment", "text": "有灰色吗"})).await;
    // Flushed before the clock moves: the wait counts from the comment's
    // time in the log.
    flush(&s).await;
    s.clock.advance_secs(3);
    let mut w = join(&s, viewer("w")).await;
    say(&w, json!({"v": 1, "type": "comment", "text": "主播好美"})).await;
    flush(&s).await;
    let (_, asked) = desk.until("question_asked").await;
    assert_eq!(asked["text"], "有灰色吗");
    assert_eq!(asked["asked_at"], T0.0);
    let comment = asked["comment"].as_u64().unwrap();
    // A console joining later finds it waiting, with the clock to time it.
    s.clock.advance_secs(40);
    let mut late = join(&s, console()).await;
    let (_, state) = late.until("moderation").await;
    let waiting: Vec<&str> =
        state["questions"].as_array().unwrap().iter().map(|q| q["text"].as_str().unwrap()).collect();
    assert_eq!(waiting, ["有灰色吗"]);
    assert_eq!(state["now"].as_i64().unwrap() - state["questions"][0]["asked_at"].as_i64().unwrap(), 43_000);
    // A blank reply is refused by name and the question keeps waiting.
    say(&desk, json!({"v": 1, "type": "answer_question", "comment": comment, "reply": "  "})).await;
    assert_eq!(desk.until("error").await.1["field"], "reply");
    say(&desk, json!({"v": 1, "type": "answer_question", "comment": comment, "reply": "有的，3号链接"})).await;
    flush(&s).await;
    for p in [&mut v, &mut w] {
        let (_, reply) = p.until("reply").await;
        assert_eq!((reply["question"].as_str(), reply["text"].as_str()), (Some("有灰色吗"), Some("有的，3号链接")));
    }
    let (_, answered) = late.until("question_answered").await;
    assert_eq!(answered["comment"].as_u64(), Some(comment));
    // Answered means gone: a new console sees an empty queue, a second answer is not found.
    let mut third = join(&s, console()).await;
    assert_eq!(third.until("moderation").await.1["questions"], json!([]));
    say(&desk, json!({"v": 1, "type": "answer_question", "comment": comment})).await;
    assert_eq!(desk.until("error").await.1["code"], "not_found");
    let events = kinds(&s).await;
    let (_, answered) = events.iter().find(|(k, _)| k == "question.answered").unwrap();
    assert_eq!(answered["waited_ms"], 43_000);
    assert_eq!(answered["reply"], "有的，3号链接");
}

#[tokio::test]
async fn a_material_question_gets_a_quick_answer_from_the_pushed_product() {
    let s = setup(ModerationMode::Block).await;
    let v = join(&s, viewer("v")).await;
    let mut desk = join(&s, console()).await;
    say(&desk, json!({"v": 1, "type": "push_card", "product": 1})).await;
    say(&v, json!({"v": 1, "type": "comment", "text": "这个是什么材质？"})).await;
    flush(&s).await;
    let (_, asked) = desk.until("question_asked").await;
    let suggestions = asked["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 1, "{suggestions:?}");
    assert_eq!(suggestions[0]["topic"], "material");
    assert_eq!(suggestions[0]["product"], 1);
    assert!(suggestions[0]["text"].as_str().unwrap().contains("100%美利奴羊毛"), "{suggestions:?}");
    // A product named in the question wins over the card; one with no
    // facts has only its price to offer.
    s.clock.advance_secs(5);
    say(&v, json!({"v": 1, "type": "comment", "text": "保温杯多少钱，什么材质"})).await;
    flush(&s).await;
    let (_, asked) = desk.until("question_asked").await;
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
    let mut desk = join(&s, console()).await;
    say(
        &desk,
        json!({"v": 1, "type": "open_lottery", "prize": "围巾一条", "winners": 1, "join": "comment",
        "keyword": "想要", "duration_secs": 60}),
    )
    .await;
    flush(&s).await;
    desk.until("lottery_opened").await;
    say(&v, json!({"v": 1, "type": "comment", "text": "想要！私聊我"})).await;
    flush(&s).await;
    let (_, held) = desk.until("comment_held").await;
    let id = held["id"].as_u64().unwrap();
    assert!(kinds(&s).await.iter().all(|(k, _)| k != "lottery.joined"), "held: not in the lottery yet");
    say(&desk, json!({"v": 1, "type": "approve_comment", "comment": id})).await;
    flush(&s).await;
    let (_, joined) = desk.until("lottery_joined").await;
    assert_eq!(joined["entrants"], 1);
    let log = kinds(&s).await;
    let joined: Vec<&Value> = log.iter().filter(|(k, _)| k == "lottery.joined").map(|(_, p)| p).collect();
    assert_eq!(joined.len(), 1, "{log:?}");
}
