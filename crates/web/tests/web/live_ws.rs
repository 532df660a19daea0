//! The live room over real WebSockets: two viewers and a console on the
//! test server. Frames are awaited with a bounded timeout as a safety net;
//! nothing sleeps (the room's own tick sends the batches).

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zhibo_domain::catalog::ProductStatus;
use zhibo_store::{CatalogStore, ProductFilter, ShopStore};

use crate::helpers::{TestApp, set_cookies};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct Peer {
    socket: Socket,
    queue: VecDeque<Value>,
}

impl Peer {
    pub(crate) async fn open(
        app: &TestApp,
        path: &str,
        cookie: Option<&str>,
    ) -> Result<Peer, tokio_tungstenite::tungstenite::Error> {
        let mut request = app.url(path).replacen("http://", "ws://", 1).into_client_request().unwrap();
        if let Some(cookie) = cookie {
            request.headers_mut().insert("cookie", cookie.parse().unwrap());
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        let mut peer = Peer { socket, queue: VecDeque::new() };
        assert_eq!(peer.next().await["type"], "snapshot");
        Ok(peer)
    }

    pub(crate) async fn say(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.unwrap();
    }

    pub(crate) async fn next(&mut self) -> Value {
        loop {
            if let Some(f) = self.queue.pop_front() {
                return f;
            }
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a frame within the safety timeout")
                .expect("the socket is open")
                .unwrap();
            let Message::Text(text) = message else { continue };
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if value["type"] == "batch" {
                self.queue.extend(value["frames"].as_array().unwrap().iter().cloned());
            } else {
                return value;
            }
        }
    }

    pub(crate) async fn until(&mut self, kind: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return f;
            }
        }
    }

    /// Every frame up to an error frame this socket provokes now: the
    /// room's private frames to one connection keep their order, so what
    /// the room sent this connection before is among them.
    pub(crate) async fn everything_so_far(&mut self) -> Vec<Value> {
        self.say(json!({"v": 1, "type": "dance"})).await;
        let mut seen = Vec::new();
        loop {
            let f = self.next().await;
            if f["type"] == "error" && f["code"] == "unknown_type" {
                return seen;
            }
            seen.push(f);
        }
    }
}

/// The `zhibo_session=...` cookie of a fresh API sign-in.
pub(crate) async fn session_cookie(app: &TestApp, username: &str) -> String {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies = set_cookies(r.headers());
    let session = cookies.iter().find(|c| c.starts_with("zhibo_session=")).expect("a session cookie");
    session.split(';').next().unwrap().to_owned()
}

/// The demo show (a room) and a product of its lineup.
async fn demo_room(app: &TestApp) -> (String, i64) {
    use zhibo_store::ShowStore;
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let show = app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let detail = app.store.show(shop.id, show.id).await.unwrap().unwrap();
    (format!("/ws/rooms/{}", show.id), detail.lineup[0].product.0)
}

/// A product of the shop that the demo show's lineup leaves out.
async fn a_product_off_the_lineup(app: &TestApp) -> Option<i64> {
    use zhibo_store::ShowStore;
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let show = app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let lineup: Vec<i64> =
        app.store.show(shop.id, show.id).await.unwrap().unwrap().lineup.iter().map(|l| l.product.0).collect();
    let filter = ProductFilter { status: Some(ProductStatus::OnSale), ..ProductFilter::default() };
    app.store
        .search_products(shop.id, &filter)
        .await
        .unwrap()
        .iter()
        .map(|p| p.product.id.0)
        .find(|p| !lineup.contains(p))
}

#[tokio::test]
async fn a_console_push_reaches_both_viewers_and_comments_stay_text() {
    let app = TestApp::spawn().await;
    let (room, product) = demo_room(&app).await;
    let mut a = Peer::open(&app, &format!("{room}/viewer"), None).await.unwrap();
    let mut b = Peer::open(&app, &format!("{room}/viewer"), None).await.unwrap();
    let cookie = session_cookie(&app, "assistant").await;
    let mut desk = Peer::open(&app, &format!("{room}/console"), Some(&cookie)).await.unwrap();

    desk.say(json!({"v": 1, "type": "push_card", "product": product})).await;
    for viewer in [&mut a, &mut b] {
        let card = viewer.until("card_pushed").await;
        assert_eq!(card["product"], product);
        assert!(card["title"].is_string() && card["live_price"].is_i64(), "{card}");
    }

    let attack = "<img src=x onerror=alert(1)>";
    a.say(json!({"v": 1, "type": "comment", "text": attack})).await;
    let seen = b.until("comment").await;
    assert_eq!(seen["text"], attack);
    assert!(seen["viewer"].as_str().unwrap().starts_with("viewer:"), "{seen}");
    assert_eq!(desk.until("comment").await["text"], attack);

    // A viewer's socket may not run the console.
    b.say(json!({"v": 1, "type": "push_card", "product": product})).await;
    let error = b.until("error").await;
    assert_eq!(error["code"], "forbidden");
    b.say(json!({"v": 1, "type": "nonsense"})).await;
    assert_eq!(b.until("error").await["code"], "unknown_type");
}

#[tokio::test]
async fn the_console_socket_needs_the_console_permission() {
    let app = TestApp::spawn().await;
    let (room, _) = demo_room(&app).await;
    assert!(Peer::open(&app, &format!("{room}/console"), None).await.is_err());
    let buyer = session_cookie(&app, "viewer").await;
    assert!(Peer::open(&app, &format!("{room}/console"), Some(&buyer)).await.is_err());
    // A room that is no show does not exist.
    assert!(Peer::open(&app, "/ws/rooms/987654/viewer", None).await.is_err());
    // A signed-in buyer watches under their account.
    let mut watcher = Peer::open(&app, &format!("{room}/viewer"), Some(&buyer)).await.unwrap();
    watcher.say(json!({"v": 1, "type": "comment", "text": "在吗"})).await;
    assert!(watcher.until("comment").await["viewer"].as_str().unwrap().starts_with("user:"));
}

#[tokio::test]
async fn only_products_of_the_shows_lineup_can_be_pushed() {
    let app = TestApp::spawn().await;
    let (room, _) = demo_room(&app).await;
    let cookie = session_cookie(&app, "assistant").await;
    let mut desk = Peer::open(&app, &format!("{room}/console"), Some(&cookie)).await.unwrap();
    let outside = a_product_off_the_lineup(&app).await.unwrap_or(987_654);
    desk.say(json!({"v": 1, "type": "push_card", "product": outside})).await;
    let error = desk.until("error").await;
    assert!(error["message"].as_str().is_some(), "{error}");
}

#[tokio::test]
async fn a_console_live_price_change_is_kept_on_the_show_and_seen_after_reconnecting() {
    use zhibo_store::ShowStore;
    let app = TestApp::spawn().await;
    let (room, product) = demo_room(&app).await;
    let cookie = session_cookie(&app, "assistant").await;
    let mut desk = Peer::open(&app, &format!("{room}/console"), Some(&cookie)).await.unwrap();
    let mut viewer = Peer::open(&app, &format!("{room}/viewer"), None).await.unwrap();

    desk.say(json!({"v": 1, "type": "set_live_price", "product": product, "price_fen": 1})).await;
    let changed = viewer.until("price_changed").await;
    assert_eq!((changed["product"].as_i64(), changed["live_price"].as_i64()), (Some(product), Some(1)));

    // Stored on the show's lineup row, so a restarted room keeps it.
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let show = app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let detail = app.store.show(shop.id, show.id).await.unwrap().unwrap();
    let row = detail.lineup.iter().find(|l| l.product.0 == product).unwrap();
    assert_eq!(row.live_price, Some(zhibo_domain::Fen(1)));

    drop(viewer);
    let request = app.url(&format!("{room}/viewer")).replacen("http://", "ws://", 1).into_client_request().unwrap();
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut again = Peer { socket, queue: VecDeque::new() };
    let snapshot = again.next().await;
    let entry = snapshot["products"].as_array().unwrap().iter().find(|p| p["product"] == product).unwrap().clone();
    assert_eq!(entry["live_price"], 1);

    // Above the product's price: refused, naming the field.
    desk.say(json!({"v": 1, "type": "set_live_price", "product": product, "price_fen": i64::MAX})).await;
    let error = desk.until("error").await;
    assert_eq!(error["field"], "price_fen", "{error}");
}

#[tokio::test]
async fn a_console_reorder_is_kept_on_the_show_and_a_restarted_room_loads_it() {
    use zhibo_store::ShowStore;
    let app = TestApp::spawn().await;
    let (room, _) = demo_room(&app).await;
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let show = app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap();
    let planned: Vec<i64> =
        app.store.show(shop.id, show.id).await.unwrap().unwrap().lineup.iter().map(|l| l.product.0).collect();
    assert!(planned.len() >= 3, "the demo lineup has room to move: {planned:?}");
    let last = *planned.last().unwrap();
    let cookie = session_cookie(&app, "assistant").await;
    let mut desk = Peer::open(&app, &format!("{room}/console"), Some(&cookie)).await.unwrap();
    let mut viewer = Peer::open(&app, &format!("{room}/viewer"), None).await.unwrap();

    desk.say(json!({"v": 1, "type": "reorder_lineup", "product": last, "position": 0})).await;
    let frame = viewer.until("lineup_reordered").await;
    let mut expected = vec![last];
    expected.extend(&planned[..planned.len() - 1]);
    let order: Vec<i64> = frame["products"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).collect();
    assert_eq!(order, expected);

    // Kept on the show's lineup rows...
    let stored: Vec<i64> =
        app.store.show(shop.id, show.id).await.unwrap().unwrap().lineup.iter().map(|l| l.product.0).collect();
    assert_eq!(stored, expected);
    // ...so a room started afresh over the same store (a server restart) loads it.
    let restarted = zhibo_web::live_ws::Live::new(app.store.clone(), std::sync::Arc::new(app.clock.clone()));
    let who = zhibo_live::Identity {
        actor: zhibo_domain::event::Actor::Viewer("after-restart".into()),
        name: "观众".into(),
        role: None,
        kind: zhibo_live::ConnectionKind::Viewer,
    };
    let mut connection = restarted.hub.connect(show.id, who).await.unwrap();
    let snapshot: Value = serde_json::from_slice(&connection.outbound.next().await.unwrap()).unwrap();
    let loaded: Vec<i64> =
        snapshot["products"].as_array().unwrap().iter().map(|p| p["product"].as_i64().unwrap()).collect();
    assert_eq!(loaded, expected);
}

#[tokio::test]
async fn a_banned_viewer_gets_the_banned_error_for_comments_and_likes_over_the_socket() {
    let app = TestApp::spawn().await;
    let (room, _) = demo_room(&app).await;
    let cookie = session_cookie(&app, "assistant").await;
    let mut desk = Peer::open(&app, &format!("{room}/console"), Some(&cookie)).await.unwrap();
    let mut troll = Peer::open(&app, &format!("{room}/viewer"), None).await.unwrap();
    let mut other = Peer::open(&app, &format!("{room}/viewer"), None).await.unwrap();

    troll.say(json!({"v": 1, "type": "comment", "text": "刷屏刷屏"})).await;
    let comment = desk.until("comment").await;
    desk.say(json!({"v": 1, "type": "ban", "viewer": comment["viewer"]})).await;
    // The ban has no frame of its own; a topic pinned after it on the same
    // socket tells the troll's side the ban is in.
    desk.say(json!({"v": 1, "type": "pin_topic", "text": "文明发言"})).await;
    troll.until("topic").await;

    troll.say(json!({"v": 1, "type": "comment", "text": "再来"})).await;
    assert_eq!(troll.until("error").await["code"], "banned");
    troll.say(json!({"v": 1, "type": "like", "count": 3})).await;
    assert_eq!(troll.until("error").await["code"], "banned");
    // The room goes on for everyone else.
    other.say(json!({"v": 1, "type": "comment", "text": "主播好"})).await;
    let seen = desk.until("comment").await;
    assert_eq!(seen["text"], "主播好");

    // The console's presentation messages are refused on a viewer socket.
    for m in [
        json!({"v": 1, "type": "set_welcome", "template": "{name} 来了"}),
        json!({"v": 1, "type": "reorder_lineup", "product": 1, "position": 0}),
        json!({"v": 1, "type": "pin_comment", "comment": seen["id"]}),
        json!({"v": 1, "type": "unpin_comment"}),
    ] {
        other.say(m.clone()).await;
        assert_eq!(other.until("error").await["code"], "forbidden", "{m}");
    }
}

/// The room's sockets are framed by zhibo itself (src/websocket): a
/// client that breaks RFC 6455 is closed with the code that says why, a
/// ping is answered, and a binary message gets an error frame while the
/// socket stays open.
#[tokio::test]
async fn protocol_breaches_close_the_socket_with_their_code_and_pings_are_answered() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let app = TestApp::spawn().await;
    let (room, _) = demo_room(&app).await;
    let path = format!("{room}/viewer");

    // ping → pong; binary → error frame, the socket goes on
    let mut peer = Peer::open(&app, &path, None).await.unwrap();
    peer.socket.send(Message::Ping(b"hi".to_vec().into())).await.unwrap();
    let pong = loop {
        match tokio::time::timeout(Duration::from_secs(10), peer.socket.next()).await.unwrap().unwrap().unwrap() {
            Message::Pong(payload) => break payload,
            _ => continue,
        }
    };
    assert_eq!(&pong[..], b"hi");
    peer.socket.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    let error = peer.until("error").await;
    assert_eq!(error["code"], "bad_json");
    peer.say(json!({"v": 1, "type": "like", "count": 1})).await;

    // a message over 64 KiB → 1009
    let mut big = Peer::open(&app, &path, None).await.unwrap();
    big.socket.send(Message::text("x".repeat(70 * 1024))).await.unwrap();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), big.socket.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|c| c.code), Some(CloseCode::Size));

    // an unmasked client frame (raw bytes after a hand-made handshake) → 1002
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp =
        tokio::net::TcpStream::connect(app.url("").trim_start_matches("http://").trim_end_matches('/')).await.unwrap();
    let handshake = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut buf)).await.unwrap().unwrap();
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "the accept key of RFC 6455's example: {text}");
    // the last frame is a close with 1002
    assert!(seen.ends_with(&[0x88, 0x02, 0x03, 0xEA]), "close 1002 at the end: {:?}", &seen[seen.len() - 4..]);

    // a handshake without the WebSocket headers is a 400, not a hang
    let r = reqwest::get(app.url(&path)).await.unwrap();
    assert_eq!(r.status(), 400);
}
