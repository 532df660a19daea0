//! 开播前检查 (pre-flight check): the upload probe's limits (role, content
//! type, empty body, the per-request cap with and without a declared
//! length, the per-account budget on the virtual clock), the push status
//! with a real ffmpeg push, and the page in chromium with a fake camera and
//! microphone turning its checklist green.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zhibo_domain::RoomId;
use zhibo_web::api::preflight::{BUDGET_BYTES, BUDGET_WINDOW_SECS, CHUNK_MAX_BYTES};

use crate::helpers::{TestApp, api_error};
use crate::media::{WAIT, demo_show, exit_code, have, post, publish, sign_in, until};

fn upload_path(show: RoomId) -> String {
    format!("/api/v1/shows/{show}/preflight/upload")
}

async fn upload(app: &TestApp, who: &(String, String), show: RoomId, body: Vec<u8>, ct: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&upload_path(show)))
        .header("cookie", &who.0)
        .header("x-csrf-token", &who.1)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

const OCTETS: &str = "application/octet-stream";

#[tokio::test]
async fn the_upload_probe_counts_bytes_within_its_caps_and_budget() {
    let app = TestApp::spawn().await;
    let show = demo_show(&app).await;
    let streamer = sign_in(&app, "streamer").await;

    // a chunk is counted and the budget shrinks by it
    let r = upload(&app, &streamer, show, vec![7u8; 300_000], OCTETS).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["received"], 300_000);
    assert_eq!(body["budget_left"], BUDGET_BYTES - 300_000);
    assert_eq!(body["chunk_max_bytes"], CHUNK_MAX_BYTES);

    // who may not: anonymous, a viewer account
    let r = reqwest::Client::new()
        .post(app.url(&upload_path(show)))
        .header("content-type", OCTETS)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let viewer = sign_in(&app, "viewer").await;
    let (status, error) = api_error(upload(&app, &viewer, show, vec![1u8; 10], OCTETS).await).await;
    assert_eq!((status.as_u16(), error["code"].as_str()), (403, Some("forbidden")));

    // bad input: an empty body names the field, a form is not bytes, an unknown show
    let (status, error) = api_error(upload(&app, &streamer, show, Vec::new(), OCTETS).await).await;
    assert_eq!(status, 422);
    assert_eq!(error["fields"][0]["field"], "body");
    assert!(error["message"].as_str().unwrap().contains("不能为空 / the upload must not be empty"), "{error}");
    let (status, error) =
        api_error(upload(&app, &streamer, show, b"a=1".to_vec(), "application/x-www-form-urlencoded").await).await;
    assert_eq!(status, 415);
    assert!(error["message"].as_str().unwrap().contains("application/octet-stream"), "{error}");
    let (status, _) = api_error(upload(&app, &streamer, RoomId(99_999), vec![1u8; 10], OCTETS).await).await;
    assert_eq!(status, 404);

    // over the cap with a declared length: refused before reading
    let (status, error) = api_error(upload(&app, &streamer, show, vec![0u8; CHUNK_MAX_BYTES + 1], OCTETS).await).await;
    assert_eq!((status.as_u16(), error["code"].as_str()), (413, Some("too_large")));
    // over the cap without one (chunked): cut off while reading
    let head = chunked_upload(&app, &streamer, show, CHUNK_MAX_BYTES * 2).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    // the budget: the bytes the cut-off upload delivered counted too, so
    // whole-MiB chunks run out within the budget's number of them
    let mut accepted = 0u64;
    let refused = loop {
        let r = upload(&app, &streamer, show, vec![3u8; CHUNK_MAX_BYTES], OCTETS).await;
        if r.status() != 200 {
            break r;
        }
        accepted += 1;
        assert!(accepted <= BUDGET_BYTES / CHUNK_MAX_BYTES as u64, "the budget never ran out");
    };
    assert!(accepted >= BUDGET_BYTES / CHUNK_MAX_BYTES as u64 - 3, "{accepted} chunks before the limit");
    let (status, error) = api_error(refused).await;
    assert_eq!((status.as_u16(), error["code"].as_str()), (429, Some("rate_limited")));
    // another account has its own budget
    let operator = sign_in(&app, "operator").await;
    assert_eq!(upload(&app, &operator, show, vec![1u8; 1000], OCTETS).await.status(), 200);
    // once the window has passed on the server's clock, the first account may again
    app.clock.advance_secs(BUDGET_WINDOW_SECS);
    assert_eq!(upload(&app, &streamer, show, vec![1u8; 1000], OCTETS).await.status(), 200);
}

/// POSTs `total` bytes with `Transfer-Encoding: chunked` (no length given)
/// over a raw socket; returns the response's status line and headers.
async fn chunked_upload(app: &TestApp, who: &(String, String), show: RoomId, total: usize) -> String {
    let addr = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\nContent-Type: {OCTETS}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        upload_path(show),
        who.0,
        who.1
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let piece = vec![5u8; 64 * 1024];
    let mut sent = 0;
    while sent < total {
        // the server may answer and close before it has read everything
        let frame = [format!("{:x}\r\n", piece.len()).into_bytes(), piece.clone(), b"\r\n".to_vec()].concat();
        if socket.write_all(&frame).await.is_err() {
            break;
        }
        sent += piece.len();
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(WAIT, socket.read_to_end(&mut answer)).await.expect("an answer");
    String::from_utf8_lossy(&answer).lines().take_while(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

async fn push_status(app: &TestApp, who: &(String, String), show: RoomId) -> Value {
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/shows/{show}/preflight/push")))
        .header("cookie", &who.0)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_push_status_shows_a_real_test_push_and_remembers_it() {
    assert!(have("ffmpeg"), "ffmpeg is needed (scripts/test installs it)");
    let app = TestApp::spawn().await;
    let rtmp = app.rtmp.expect("the test server listens for RTMP");
    let show = demo_show(&app).await;
    let assistant = sign_in(&app, "assistant").await;

    let s = push_status(&app, &assistant, show).await;
    assert_eq!((s["ingest"].as_bool(), s["rtmp_port"].as_u64()), (Some(true), Some(u64::from(rtmp.port()))));
    assert_eq!(
        (s["has_key"].as_bool(), s["state"].as_str(), s["received"].as_bool()),
        (Some(false), Some("off"), Some(false))
    );
    assert!(s["health"].is_null() && s["last_push"].is_null());
    // a viewer account may not look
    let viewer = sign_in(&app, "viewer").await;
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/shows/{show}/preflight/push")))
        .header("cookie", &viewer.0)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let made: Value = post(&app, &assistant, &format!("/live/shows/{show}/stream-key")).await.json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_owned();
    assert_eq!(push_status(&app, &assistant, show).await["has_key"], true);

    // the console's frames pace the test: each health refresh moves the
    // virtual clock a second, so the bitrate window fills
    let ws = app.url(&format!("/ws/rooms/{show}/console")).replacen("http://", "ws://", 1);
    let mut request = ws.into_client_request().unwrap();
    request.headers_mut().insert("cookie", assistant.0.parse().unwrap());
    let (mut console, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let pusher = publish(rtmp, &key, 8, true);
    until(&mut console, |f| f["type"] == "stream" && f["event"] == "started").await;
    for _ in 0..3 {
        until(&mut console, |f| f["type"] == "stream" && f["health"]["width"] == 320).await;
        app.clock.advance_secs(1);
    }
    until(&mut console, |f| f["type"] == "stream" && f["health"]["bitrate_kbps"].as_u64() > Some(0)).await;
    let s = push_status(&app, &assistant, show).await;
    assert_eq!((s["state"].as_str(), s["received"].as_bool()), (Some("live"), Some(true)), "{s}");
    let h = &s["health"];
    assert_eq!((h["video_codec"].as_str(), h["audio_codec"].as_str()), (Some("h264"), Some("aac")), "{s}");
    assert_eq!((h["width"].as_u64(), h["height"].as_u64()), (Some(320), Some(240)));
    assert!(h["bitrate_kbps"].as_u64().unwrap() > 0, "{s}");
    assert!(h["publisher"].as_str().unwrap().starts_with("127.0.0.1:"));

    // the push ends cleanly: still received, remembered with its figures
    assert_eq!(exit_code(pusher).await, Some(0));
    until(&mut console, |f| f["type"] == "stream" && f["event"] == "stopped").await;
    let s = push_status(&app, &assistant, show).await;
    assert_eq!((s["state"].as_str(), s["received"].as_bool()), (Some("off"), Some(true)), "{s}");
    assert!(s["health"].is_null());
    assert_eq!(s["last_push"]["health"]["video_codec"], "h264");
    assert_eq!(s["last_push"]["health"]["width"], 320);
    assert!(s["last_push"]["at"].as_i64().unwrap() >= crate::helpers::T0.0);
}

/// The page in chromium with Chromium's fake camera and microphone: the
/// resolution and level read-outs fill, the upload test passes, and after
/// an ffmpeg push with the show's key every row is green.
#[tokio::test]
async fn the_preflight_page_turns_green_with_fake_devices_and_a_push() {
    use fantoccini::Locator;
    assert!(have("ffmpeg"), "ffmpeg is needed (scripts/test installs it)");
    let app = TestApp::spawn().await;
    let fake = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required",
    ];
    let Some(b) = crate::browser::browser_with(&fake).await else { return };
    let c = &b.client;
    let rtmp = app.rtmp.unwrap();
    let show = demo_show(&app).await;

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("streamer").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();
    // reached from the show's page
    c.goto(&app.url(&format!("/live/shows/{show}"))).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#open-preflight")).await.unwrap().click().await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#preflight")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), format!("/live/shows/{show}/preflight"));
    // no key yet: that row fails, the push row waits
    c.wait().at_most(WAIT).for_element(Locator::Css("#check-key[data-state=fail]")).await.unwrap();
    assert!(c.find(Locator::Css("#check-push[data-state=wait]")).await.is_ok());

    // camera and microphone, by keyboard: focus the button, press Enter
    let start = c.find(Locator::Css("#devices-start")).await.unwrap();
    start.send_keys("\u{E007}").await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#check-camera[data-state=ok]")).await.unwrap();
    let resolution = c.find(Locator::Css("#camera-resolution")).await.unwrap().text().await.unwrap();
    let (w, h) = resolution.split_once('×').expect("a W×H read-out");
    assert!(w.parse::<u32>().unwrap() > 0 && h.parse::<u32>().unwrap() > 0, "{resolution}");
    assert!(c.find(Locator::Css("#camera-fps")).await.unwrap().text().await.unwrap().ends_with("fps"));
    c.wait().at_most(WAIT).for_element(Locator::Css("#check-mic[data-state=ok]")).await.unwrap();
    let level = c.execute("return document.getElementById('mic-level').dataset.level", vec![]).await.unwrap();
    assert!(level.as_str().and_then(|l| l.parse::<f64>().ok()).is_some(), "the meter moves: {level}");
    assert!(c.find(Locator::Css("#devices-error[hidden]")).await.is_ok());

    // the upload test: loopback is fast, so the rule caps the advice at 6000 kbps
    c.find(Locator::Css("#bandwidth-start")).await.unwrap().click().await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#check-bandwidth[data-state=ok]")).await.unwrap();
    let kbps = c.find(Locator::Css("#bandwidth-kbps")).await.unwrap().text().await.unwrap();
    assert_eq!(kbps, "6000 kbps");
    assert!(c.find(Locator::Css("#bandwidth-mbps")).await.unwrap().text().await.unwrap().ends_with("Mbps"));

    // a key (made on the console's endpoint) and a push with it
    let streamer = sign_in(&app, "streamer").await;
    let made: Value = post(&app, &streamer, &format!("/live/shows/{show}/stream-key")).await.json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_owned();
    c.wait().at_most(WAIT).for_element(Locator::Css("#check-key[data-state=ok]")).await.unwrap();
    let mut pusher = publish(rtmp, &key, 30, true);
    c.wait().at_most(WAIT).for_element(Locator::Css("#check-push[data-state=ok]")).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::XPath("//dd[@id='push-resolution'][. = '320×240']")).await.unwrap();
    assert_eq!(c.find(Locator::Css("#push-codec")).await.unwrap().text().await.unwrap(), "h264 + aac");
    let all = c.wait().at_most(WAIT).for_element(Locator::Css("#all-passed:not([hidden])")).await.unwrap();
    assert!(all.text().await.unwrap().contains("全部通过"));
    pusher.kill().await.unwrap();
    b.client.clone().close().await.unwrap();
}
