//! The simulated audience in live mode (web/src/sim_audience): simulated
//! viewers attached to the demo show's real room through the room's own
//! connections, stepped second by second on a virtual clock.

use std::collections::BTreeMap;
use std::sync::Arc;
use tempfile::TempDir;
use zhibo_domain::event::{Actor, Event};
use zhibo_domain::{Role, RoomId, UserId, VirtualClock};
use zhibo_live::protocol::ClientMessage;
use zhibo_live::{ConnectionKind, Identity, Inbound, RoomHandle};
use zhibo_sim::Scenario;
use zhibo_store::{CatalogStore, EventStore, ShopStore, ShowStore, SqliteStore, Store};
use zhibo_web::demo::{DEMO_SHOW, seed};
use zhibo_web::sim_audience::{AudienceOptions, LiveAudience, Pace};
use zhibo_web::state::AppState;
use zhibo_web::{Settings, sim_audience};

use crate::helpers::T0;

/// The demo show's room on a fresh database, with the server's state (no
/// HTTP: the audience uses the room's in-process interface).
struct Rig {
    state: AppState,
    clock: VirtualClock,
    store: Arc<SqliteStore>,
    room: RoomId,
    _dir: TempDir,
}

async fn rig(tweak: impl FnOnce(&mut Settings)) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let clock = VirtualClock::starting_at(T0);
    let mut settings = Settings::default();
    settings.data.dir = dir.path().to_owned();
    tweak(&mut settings);
    let store = Arc::new(SqliteStore::open(&settings.database_path(), Arc::new(clock.clone())).await.unwrap());
    seed(store.as_ref()).await.unwrap();
    let shop = store.first_shop().await.unwrap().unwrap();
    let room = store.show_by_title(shop.id, DEMO_SHOW).await.unwrap().unwrap().id;
    let state = AppState::new(settings, store.clone() as Arc<dyn Store>, Arc::new(clock.clone()));
    Rig { state, clock, store, room, _dir: dir }
}

impl Rig {
    fn handle(&self) -> RoomHandle {
        self.state.live.hub.room(self.room)
    }

    async fn attach(&self, scenario: Scenario, seed: u64) -> LiveAudience {
        let options = AudienceOptions { seed, actor_base: 0 };
        LiveAudience::attach(self.handle(), Arc::new(self.clock.clone()), scenario, options).await.unwrap()
    }

    /// `secs` seconds: the clock moves, the audience steps, the room makes
    /// everything durable and sends its frames before the next second.
    async fn play(&self, audience: &mut LiveAudience, secs: u32) {
        for _ in 0..secs {
            self.clock.advance_secs(1);
            audience.step().await;
            self.handle().flush().await;
        }
    }

    async fn console(&self) -> Inbound {
        let identity = Identity {
            actor: Actor::User(UserId(1)),
            name: "主播".into(),
            role: Some(Role::Streamer),
            kind: ConnectionKind::Console,
        };
        let (inbound, _outbound) = self.handle().connect(identity).await.unwrap().split();
        inbound
    }

    async fn log(&self) -> Vec<Event> {
        let mut all = Vec::new();
        loop {
            let after = all.last().map_or(0, |e: &Event| e.seq);
            let page = self.store.events_after(self.room, after, 1000).await.unwrap();
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    async fn product(&self, title: &str) -> i64 {
        let shop = self.store.first_shop().await.unwrap().unwrap();
        self.store.product_by_title(shop.id, title).await.unwrap().unwrap().id.0
    }
}

/// The demo evening with a busier feed, so a minute has a crowd.
fn busy() -> Scenario {
    let mut s = zhibo_sim::default_scenario();
    s.feed.impressions_per_min = vec![6000; s.feed.impressions_per_min.len()];
    s
}

/// Simulated actors' events by kind.
fn sim_kinds(log: &[Event]) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for e in log.iter().filter(|e| matches!(e.actor, Actor::Sim(_))) {
        *kinds.entry(e.kind.as_str().to_owned()).or_default() += 1;
    }
    kinds
}

#[tokio::test]
async fn simulated_viewers_enter_and_comment_through_the_room_and_leave_when_stopped() {
    let rig = rig(|_| {}).await;
    let mut audience = rig.attach(busy(), 7).await;
    assert_eq!(audience.products_matched(), 5, "the demo scenario's products are the demo show's lineup");
    rig.play(&mut audience, 60).await;
    let stats = rig.handle().stats().await.unwrap();
    let status = audience.status();
    assert!(stats.online > 20, "a crowd is in the room: {stats:?}");
    assert_eq!(stats.online, status.online, "every simulated viewer online is one room connection");
    let log = rig.log().await;
    let kinds = sim_kinds(&log);
    assert!(kinds.get("viewer.entered").copied().unwrap_or(0) > 50, "{kinds:?}");
    assert!(kinds.get("comment.posted").copied().unwrap_or(0) > 3, "{kinds:?}");
    assert!(kinds.get("like").copied().unwrap_or(0) > 3, "{kinds:?}");
    // Named as simulated, in the log and in what the room shows.
    let entered = log.iter().find(|e| e.kind.as_str() == "viewer.entered").unwrap();
    assert!(entered.payload["name"].as_str().unwrap().starts_with("模拟观众·"), "{entered:?}");
    assert!(entered.actor.to_string().starts_with("sim:"));

    audience.stop();
    rig.handle().flush().await;
    let stats = rig.handle().stats().await.unwrap();
    assert_eq!(stats.online, 0, "everyone simulated left");
    let kinds = sim_kinds(&rig.log().await);
    assert_eq!(kinds["viewer.entered"], kinds["viewer.left"], "each entry has its leave: {kinds:?}");
}

/// Product clicks by simulated viewers in a minute, with or without the
/// console pushing the rice (the demo scenario's widest interest).
async fn clicks(seed: u64, push: bool) -> usize {
    let rig = rig(|_| {}).await;
    let mut audience = rig.attach(busy(), seed).await;
    let _console = if push {
        let console = rig.console().await;
        let rice = rig.product("五常稻花香大米 5kg").await;
        assert!(console.send(ClientMessage::PushCard { product: zhibo_domain::ProductId(rice) }).await);
        rig.handle().flush().await;
        Some(console)
    } else {
        None
    };
    rig.play(&mut audience, 90).await;
    sim_kinds(&rig.log().await).get("product.clicked").copied().unwrap_or(0)
}

#[tokio::test]
async fn a_pushed_card_gets_more_clicks_than_no_card() {
    let (mut pushed, mut not) = (0, 0);
    for seed in [1, 2, 3] {
        let (with, without) = (clicks(seed, true).await, clicks(seed, false).await);
        assert!(with > without, "seed {seed}: {with} clicks with the card, {without} without");
        pushed += with;
        not += without;
    }
    assert!(pushed >= 2 * not.max(1), "the card at least doubles clicks: {pushed} vs {not}");
}

/// The same seed and the same console actions give the same log, kind by kind.
async fn run_with_console(seed: u64) -> BTreeMap<String, usize> {
    let rig = rig(|_| {}).await;
    let mut audience = rig.attach(busy(), seed).await;
    let console = rig.console().await;
    rig.play(&mut audience, 20).await;
    let rice = rig.product("五常稻花香大米 5kg").await;
    console.send(ClientMessage::PushCard { product: zhibo_domain::ProductId(rice) }).await;
    rig.handle().flush().await;
    rig.play(&mut audience, 20).await;
    let open = ClientMessage::parse(
        r#"{"v":1,"type":"open_lottery","prize":"围巾","winners":1,"join":"comment","keyword":"想要围巾","duration_secs":60}"#,
    )
    .unwrap();
    console.send(open).await;
    rig.handle().flush().await;
    rig.play(&mut audience, 30).await;
    audience.stop();
    rig.handle().flush().await;
    let mut kinds = sim_kinds(&rig.log().await);
    let all = rig.log().await;
    kinds.insert("(all events)".into(), all.len());
    kinds
}

#[tokio::test]
async fn the_same_seed_and_console_actions_give_the_same_log_and_the_audience_joins_a_keyword_lottery() {
    let a = run_with_console(11).await;
    let b = run_with_console(11).await;
    assert_eq!(a, b);
    assert!(a.get("lottery.joined").copied().unwrap_or(0) > 0, "simulated viewers joined by the keyword: {a:?}");
    let c = run_with_console(12).await;
    assert_ne!(a, c, "another seed, another audience");
}

#[tokio::test]
async fn a_muted_or_hidden_troll_is_seen_by_the_audience_and_answers_reach_the_model() {
    // A troll wave at once, so there are trolls to mute.
    let mut scenario = busy();
    scenario.incidents =
        vec![zhibo_sim::scenario::Timed { at_s: 0, what: zhibo_sim::Incident::TrollWave { trolls: 10 } }];
    let rig = rig(|_| {}).await;
    let mut audience = rig.attach(scenario, 5).await;
    let console = rig.console().await;
    rig.play(&mut audience, 40).await;
    let log = rig.log().await;
    let troll = log
        .iter()
        .find(|e| {
            e.kind.as_str() == "comment.posted"
                && zhibo_sim::text::templates(zhibo_sim::Intent::Troll)
                    .contains(&e.payload["text"].as_str().unwrap_or_default())
        })
        .expect("a troll commented");
    let before = audience.status().reactions;
    let mute = ClientMessage::Mute { viewer: troll.actor.to_string(), minutes: 10 };
    assert!(console.send(mute).await);
    rig.handle().flush().await;
    rig.play(&mut audience, 1).await;
    assert_eq!(audience.status().reactions, before + 1, "the mute reached the model");
}

#[tokio::test]
async fn a_demo_style_start_with_the_audience_on_fills_the_room() {
    let rig = rig(|s| s.sim.demo_audience = true).await;
    let started = sim_audience::pages::start_configured(&rig.state, Pace::Manual).await.unwrap();
    assert!(started.is_some(), "the demo show gets an audience");
    for _ in 0..20 {
        rig.clock.advance_secs(1);
        assert!(rig.state.audiences.step(rig.room).await);
    }
    rig.handle().flush().await;
    let stats = rig.handle().stats().await.unwrap();
    assert!(stats.online > 0, "{stats:?}");
    let status = rig.state.audiences.status(rig.room).unwrap();
    assert_eq!(status.online, stats.online, "the console's simulated count is the room's");
    assert!(rig.state.audiences.pause(rig.room, true).await);
    let seconds = rig.state.audiences.status(rig.room).unwrap().seconds;
    rig.state.audiences.step(rig.room).await;
    assert_eq!(rig.state.audiences.status(rig.room).unwrap().seconds, seconds, "paused: time stands still");
    let last = rig.state.audiences.stop(rig.room).await.unwrap();
    assert!(!last.running);
    rig.handle().flush().await;
    assert_eq!(rig.handle().stats().await.unwrap().online, 0);

    // Off (as for `zhibo serve`): nothing starts.
    let off = rig_off().await;
    assert!(sim_audience::pages::start_configured(&off.state, Pace::Manual).await.unwrap().is_none());
}

async fn rig_off() -> Rig {
    rig(|_| {}).await
}

#[tokio::test]
async fn staff_attach_pause_and_stop_an_audience_from_a_scenario_file_and_bad_input_is_named() {
    use crate::helpers::TestApp;
    use reqwest::StatusCode;
    let scenarios = tempfile::tempdir().unwrap();
    std::fs::write(scenarios.path().join("typo.toml"), "title = \"x\"\nduration_min = 30\nfolowers = 5\n").unwrap();
    let dir = scenarios.path().to_owned();
    let app = TestApp::spawn_with(move |s| s.sim.scenarios_dir = dir).await;
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let room = app.store.show_by_title(shop.id, DEMO_SHOW).await.unwrap().unwrap().id.0;
    let page = format!("/live/shows/{room}/audience");
    let status_path = format!("{page}/status");

    let viewer = app.signed_in("viewer").await;
    assert_eq!(viewer.get(&app, &page).await.status(), StatusCode::FORBIDDEN);

    let teacher = app.signed_in("teacher").await;
    let html = teacher.get(&app, &page).await.text().await.unwrap();
    assert!(html.contains("typo.toml") && html.contains(sim_audience::pages::BUILT_IN), "{html}");
    let status = |r: reqwest::Response| async move { r.json::<serde_json::Value>().await.unwrap() };
    assert_eq!(status(teacher.get(&app, &status_path).await).await["running"], false);

    // A scenario with a typo'd key: refused, naming the key and the line; nothing starts.
    let r = teacher.post_form(&app, &page, &[("action", "start"), ("scenario", "typo.toml"), ("seed", "1")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("folowers") && body.contains("第 3 行"), "{body}");
    let r = teacher.post_form(&app, &page, &[("action", "start"), ("seed", "abc")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("seed must be a whole number"));
    let r = teacher.post_form(&app, &page, &[("action", "start"), ("scenario", "../Cargo.toml")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "only listed files can be chosen");
    assert_eq!(status(teacher.get(&app, &status_path).await).await["running"], false);

    let built_in = sim_audience::pages::BUILT_IN;
    let r = teacher.post_form(&app, &page, &[("action", "start"), ("scenario", built_in), ("seed", "3")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = status(teacher.get(&app, &status_path).await).await;
    assert_eq!((s["running"].as_bool(), s["seed"].as_u64(), s["paused"].as_bool()), (Some(true), Some(3), Some(false)));
    teacher.post_form(&app, &page, &[("action", "pause")]).await;
    assert_eq!(status(teacher.get(&app, &status_path).await).await["paused"], true);
    let r = teacher.post_form(&app, &page, &[("action", "dance")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    teacher.post_form(&app, &page, &[("action", "stop")]).await;
    assert_eq!(status(teacher.get(&app, &status_path).await).await["running"], false);
}

/// The `figures` frame a console joining now gets (right after its snapshot).
async fn console_figures(rig: &Rig) -> serde_json::Value {
    let identity = Identity {
        actor: Actor::User(UserId(1)),
        name: "场控".into(),
        role: Some(Role::Assistant),
        kind: ConnectionKind::Console,
    };
    let (_inbound, mut outbound) = rig.handle().connect(identity).await.unwrap().split();
    loop {
        let bytes = outbound.next().await.expect("the room is running");
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let frames = if value["type"] == "batch" { value["frames"].as_array().cloned().unwrap() } else { vec![value] };
        if let Some(f) = frames.into_iter().find(|f| f["type"] == "figures") {
            return f;
        }
    }
}

#[tokio::test]
async fn simulated_purchases_reach_the_console_as_simulated_orders_and_never_as_real_ones() {
    let rig = rig(|_| {}).await;
    let mut audience = rig.attach(busy(), 5).await;
    let console = rig.console().await;
    let rice = rig.product("五常稻花香大米 5kg").await;
    assert!(console.send(ClientMessage::PushCard { product: zhibo_domain::ProductId(rice) }).await);
    rig.handle().flush().await;
    rig.play(&mut audience, 180).await;
    let status = audience.status();
    assert!(status.simulated_paid_fen > 0, "the model's viewers paid for something: {status:?}");
    let log = rig.log().await;
    let simulated: Vec<&Event> = log.iter().filter(|e| e.kind.as_str() == "sim.order.paid").collect();
    let logged: i64 = simulated.iter().map(|e| e.amount.unwrap().0).sum();
    assert_eq!(logged, status.simulated_paid_fen, "every paid order of the model is in the room's log");
    assert!(simulated.iter().all(|e| matches!(e.actor, Actor::Sim(_)) && e.payload["simulated"] == true));
    assert!(!log.iter().any(|e| e.kind.as_str().starts_with("order.")), "no real order was made");
    let figures = console_figures(&rig).await;
    assert_eq!(figures["simulated_orders"], simulated.len());
    assert_eq!(figures["simulated_gmv_fen"], logged);
    assert_eq!((figures["orders"].clone(), figures["gmv_fen"].clone()), (serde_json::json!(0), serde_json::json!(0)));
}
