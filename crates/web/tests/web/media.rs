//! Video end to end: Debian's ffmpeg publishes a test pattern with a tone
//! over RTMP to the test server's own RTMP port, ffprobe and our FLV parser
//! read the HTTP-FLV output, a wrong key and a second publisher are
//! refused, and killing the publisher is a `stream.dropped` event the
//! console hears. Waits are bounded safety timeouts; nothing sleeps.

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zhibo_domain::RoomId;
use zhibo_store::{EventStore, ShopStore, ShowStore};

use crate::helpers::{TestApp, set_cookies};

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) fn have(tool: &str) -> bool {
    std::process::Command::new(tool).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// An API sign-in: the session cookie and the CSRF token.
pub(crate) async fn sign_in(app: &TestApp, username: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": zhibo_web::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(r.headers()).into_iter().find(|c| c.starts_with("zhibo_session=")).unwrap();
    let body: Value = r.json().await.unwrap();
    (cookie.split(';').next().unwrap().to_owned(), body["csrf_token"].as_str().unwrap().to_owned())
}

pub(crate) async fn demo_show(app: &TestApp) -> RoomId {
    let shop = app.store.first_shop().await.unwrap().unwrap();
    app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap().id
}

pub(crate) async fn post(app: &TestApp, session: &(String, String), path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(path))
        .header("cookie", &session.0)
        .header("x-csrf-token", &session.1)
        .send()
        .await
        .unwrap()
}

/// Frames of one WebSocket, batches unpacked.
pub(crate) async fn until(socket: &mut Socket, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("the frame within the safety timeout")
            .expect("the socket is open")
            .unwrap();
        let Message::Text(text) = message else { continue };
        let value: Value = serde_json::from_str(text.as_str()).unwrap();
        let frames = if value["type"] == "batch" { value["frames"].as_array().unwrap().clone() } else { vec![value] };
        if let Some(found) = frames.into_iter().find(|f| want(f)) {
            return found;
        }
    }
}

pub(crate) fn publish(rtmp: std::net::SocketAddr, key: &str, seconds: u32, realtime: bool) -> Child {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin"]);
    if realtime {
        cmd.arg("-re");
    }
    cmd.args(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]);
    cmd.args(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100"]);
    cmd.args(["-t", &seconds.to_string()]);
    cmd.args(["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", "25"]);
    cmd.args(["-c:a", "aac", "-b:a", "64k", "-f", "flv"]);
    cmd.arg(format!("rtmp://{rtmp}/live/{key}"));
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    cmd.spawn().expect("ffmpeg runs")
}

/// Sends `paths` as GET requests on one connection and reads the last
/// answer's head (lower case) and at least `want` bytes of its body.
async fn raw_get(addr: &str, paths: &[&str], want: usize) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    for (i, path) in paths.iter().enumerate() {
        raw.clear();
        socket.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await.unwrap();
        let last = i + 1 == paths.len();
        loop {
            let n = tokio::time::timeout(WAIT, socket.read(&mut buf)).await.expect("data in time").unwrap();
            assert!(n > 0, "the server closed early");
            raw.extend_from_slice(&buf[..n]);
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            if !last {
                // a small answer with a length: read it whole, keep the connection
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .expect("a content-length");
                if raw.len() >= end + 4 + length {
                    break;
                }
                continue;
            }
            if raw.len() >= end + 4 + want {
                return (head, raw[end + 4..].to_vec());
            }
        }
    }
    unreachable!("the last request returns")
}

pub(crate) async fn exit_code(mut child: Child) -> Option<i32> {
    tokio::time::timeout(WAIT, child.wait()).await.expect("ffmpeg ends").unwrap().code()
}

#[tokio::test]
async fn ffmpeg_publishes_viewers_play_http_flv_and_a_drop_is_an_event() {
    assert!(have("ffmpeg") && have("ffprobe"), "ffmpeg and ffprobe are needed (scripts/test installs them)");
    let app = TestApp::spawn().await;
    let rtmp = app.rtmp.expect("the test server listens for RTMP");
    let show = demo_show(&app).await;
    let operator = sign_in(&app, "operator").await;

    // no key yet: nothing plays, and a made-up key is refused
    let flv_url = app.url(&format!("/live/shows/{show}/stream.flv"));
    assert_eq!(reqwest::get(&flv_url).await.unwrap().status(), 404);
    assert_ne!(exit_code(publish(rtmp, "zb-made-up", 1, false)).await, Some(0), "a wrong key is refused");

    // anonymous visitors cannot make keys
    let r = reqwest::Client::new().post(app.url(&format!("/live/shows/{show}/stream-key"))).send().await.unwrap();
    assert!(r.status() == 401 || r.status() == 303 || r.status() == 403, "{}", r.status());
    let r = post(&app, &operator, &format!("/live/shows/{show}/stream-key")).await;
    assert_eq!(r.status(), 200);
    let made: Value = r.json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_owned();
    assert_eq!(made["rtmp_port"], rtmp.port());

    // the console listens
    let ws = app.url(&format!("/ws/rooms/{show}/console")).replacen("http://", "ws://", 1);
    let mut request = ws.into_client_request().unwrap();
    request.headers_mut().insert("cookie", operator.0.parse().unwrap());
    let (mut console, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    until(&mut console, |f| f["type"] == "stream_state" && f["state"] == "off").await;

    let mut first = publish(rtmp, &key, 30, true);
    let started = until(&mut console, |f| f["type"] == "stream" && f["event"] == "started").await;
    assert_eq!(started["state"], "live");
    assert!(started["health"]["publisher"].as_str().unwrap().starts_with("127.0.0.1:"));

    // ffprobe reads the HTTP-FLV: H.264 320x240 and AAC
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_streams", "-show_packets", "-read_intervals", "%+1.5"])
        .arg(&flv_url)
        .output();
    let probe = tokio::time::timeout(WAIT, probe).await.expect("ffprobe ends").unwrap();
    assert!(probe.status.success(), "{}", String::from_utf8_lossy(&probe.stderr));
    let probed: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let streams = probed["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").expect("a video stream");
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").expect("an audio stream");
    assert_eq!(
        (video["codec_name"].as_str(), video["width"].as_i64(), video["height"].as_i64()),
        (Some("h264"), Some(320), Some(240))
    );
    assert_eq!(audio["codec_name"], "aac");
    let video_pts: Vec<f64> = probed["packets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["codec_type"] == "video")
        .filter_map(|p| p["pts_time"].as_str().and_then(|t| t.parse().ok()))
        .collect();
    assert!(video_pts.len() >= 10, "{} video packets", video_pts.len());
    assert!(video_pts[0] < 0.1, "a late joiner starts near 0, not at {}", video_pts[0]);
    assert!(video_pts.last().unwrap() > &(video_pts[0] + 0.5), "timestamps advance: {video_pts:?}");

    // the same stream as HLS, remuxed in memory: ffprobe reads the playlist
    let hls_url = app.url(&format!("/live/shows/{show}/hls/index.m3u8"));
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_streams", "-show_packets", "-read_intervals", "%+1"])
        .arg(&hls_url)
        .output();
    let probe = tokio::time::timeout(WAIT, probe).await.expect("ffprobe ends").unwrap();
    assert!(probe.status.success(), "{}", String::from_utf8_lossy(&probe.stderr));
    let probed: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let streams = probed["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").expect("a video stream in HLS");
    assert_eq!((video["codec_name"].as_str(), video["width"].as_i64()), (Some("h264"), Some(320)));
    assert!(streams.iter().any(|s| s["codec_type"] == "audio" && s["codec_name"] == "aac"), "{streams:?}");
    let hls_pts: Vec<f64> = probed["packets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["codec_type"] == "video")
        .filter_map(|p| p["pts_time"].as_str().and_then(|t| t.parse().ok()))
        .collect();
    assert!(
        hls_pts.len() >= 10 && hls_pts.last().unwrap() > &(hls_pts[0] + 0.3),
        "HLS timestamps advance: {hls_pts:?}"
    );

    // our own reader: the first media tag after the headers is a keyframe at 0
    let mut body = reqwest::get(&flv_url).await.unwrap();
    assert_eq!(body.headers()["content-type"], "video/x-flv");
    let mut bytes = Vec::new();
    while bytes.len() < 64 * 1024 {
        let chunk = tokio::time::timeout(WAIT, body.chunk()).await.unwrap().unwrap().unwrap();
        bytes.extend_from_slice(&chunk);
    }
    drop(body);
    let tags = zhibo_media::flv::parse(&bytes).unwrap();
    let media: Vec<_> =
        tags.iter().filter(|t| !t.info().sequence_header && t.kind != zhibo_media::flv::TagKind::Script).collect();
    let first_video = media.iter().find(|t| t.kind == zhibo_media::flv::TagKind::Video).unwrap();
    assert!(first_video.info().keyframe && first_video.timestamp == 0);

    // a fresh connection is handed to the fan-out: its body runs to the
    // close, not chunked; each tag arrives whole with its PreviousTagSize
    let addr = app.base.trim_start_matches("http://").to_owned();
    let path = format!("/live/shows/{show}/stream.flv");
    let (head, body) = raw_get(&addr, &[&path], 64 * 1024).await;
    assert!(head.starts_with("http/1.1 200") && head.contains("connection: close"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert!(head.contains("content-type: video/x-flv"), "{head}");
    let tags = zhibo_media::flv::parse(&body).unwrap();
    assert!(tags.len() > 10 && tags.iter().any(|t| t.info().keyframe), "{} tags", tags.len());
    let mut at = 13;
    for t in &tags {
        at += 11 + t.body.len();
        if at + 4 > body.len() {
            break;
        }
        assert_eq!(body[at..at + 4], (11 + t.body.len() as u32).to_be_bytes(), "a PreviousTagSize after its tag");
        at += 4;
    }
    // on a reused keep-alive connection axum answers first, then hands the
    // socket over: the same fan-out stream, and nothing of axum's answer
    let (head, body) = raw_get(&addr, &["/healthz", &path], 16 * 1024).await;
    assert!(head.starts_with("http/1.1 200") && head.contains("connection: close"), "{head}");
    assert!(head.contains("content-type: video/x-flv") && !head.contains("transfer-encoding"), "{head}");
    assert!(head.matches("http/1.1").count() == 1, "one response head: {head}");
    let tags = zhibo_media::flv::parse(&body).unwrap();
    assert!(tags.iter().any(|t| t.info().keyframe), "{} tags", tags.len());
    // and the site itself goes on as before on kept-alive connections
    let (head, _) = raw_get(&addr, &["/healthz", "/healthz"], 1).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");

    // a second publisher for the same show is refused
    assert_ne!(exit_code(publish(rtmp, &key, 1, false)).await, Some(0), "one publisher per show");

    // the console sees the health: the SPS's size, codecs, audio
    let health = until(&mut console, |f| f["type"] == "stream" && f["health"]["width"] == 320).await;
    assert_eq!(health["health"]["height"], 240);
    assert_eq!(health["health"]["video_codec"], "h264");
    assert_eq!(health["health"]["audio_codec"], "aac");

    // the publisher dies: a drop, consoles and viewers hear it
    first.kill().await.unwrap();
    let dropped = until(&mut console, |f| f["type"] == "stream" && f["event"] == "dropped").await;
    assert_eq!(dropped["state"], "down");
    until(&mut console, |f| f["type"] == "stream_state" && f["state"] == "down").await;
    assert_eq!(reqwest::get(&flv_url).await.unwrap().status(), 404);

    // back within the grace period: the same show resumes; then a clean stop
    let again = publish(rtmp, &key, 1, false);
    until(&mut console, |f| f["type"] == "stream" && f["event"] == "resumed").await;
    assert_eq!(exit_code(again).await, Some(0));
    until(&mut console, |f| f["type"] == "stream" && f["event"] == "stopped").await;

    // a revoked key is refused
    let r = post(&app, &operator, &format!("/live/shows/{show}/stream-key/revoke")).await;
    assert_eq!(r.status(), 200);
    assert_ne!(exit_code(publish(rtmp, &key, 1, false)).await, Some(0), "a revoked key is refused");

    // all of it is in the room's log, in order
    let kinds: Vec<String> = app
        .store
        .events_after(show, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind.to_string())
        .filter(|k| k.starts_with("stream.") && k != "stream.health")
        .collect();
    assert_eq!(kinds, ["stream.started", "stream.dropped", "stream.resumed", "stream.stopped"]);
}

/// The console's stream panel and the viewer page in chromium: a key made
/// on the console publishes, the viewer page plays HTTP-FLV with mpegts.js,
/// and killing the publisher shows the viewer "主播暂时离开，马上回来".
#[tokio::test]
async fn the_viewer_page_plays_the_stream_and_says_when_the_host_is_away() {
    use fantoccini::Locator;
    assert!(have("ffmpeg"), "ffmpeg is needed (scripts/test installs it)");
    let app = TestApp::spawn().await;
    let Some(b) = crate::browser::browser().await else { return };
    let c = &b.client;
    let rtmp = app.rtmp.unwrap();
    let show = demo_show(&app).await;

    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("operator").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{show}/console"))).await.unwrap();
    let server = c.wait().at_most(WAIT).for_element(Locator::Css("#stream-server")).await.unwrap();
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//code[@id='stream-server'][starts-with(., 'rtmp://')]"))
        .await
        .unwrap();
    assert_eq!(server.text().await.unwrap(), format!("rtmp://127.0.0.1:{}/live", rtmp.port()));
    c.find(Locator::Css("#stream-key-new")).await.unwrap().click().await.unwrap();
    let key = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//code[@id='stream-key'][starts-with(., 'zb-')]"))
        .await
        .unwrap();
    let key = key.text().await.unwrap();
    let console = c.window().await.unwrap();

    let viewer = c.new_window(false).await.unwrap().handle;
    c.switch_to_window(viewer.clone()).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{show}/watch"))).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css(".stage-note[data-stream=off]")).await.unwrap();

    let mut publisher = publish(rtmp, &key, 30, true);
    c.wait().at_most(WAIT).for_element(Locator::Css("#stage-video:not([hidden])")).await.unwrap();
    // mpegts.js plays when this chromium has MSE with H.264; the picture moves
    let h264 = c
        .execute(
            "return !!window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.64000d\"')",
            vec![],
        )
        .await
        .unwrap();
    if h264 == serde_json::Value::Bool(true) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let t = c.execute("return document.getElementById('stage-video').currentTime", vec![]).await.unwrap();
            if t.as_f64().unwrap_or(0.0) > 0.3 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the video does not play (currentTime {t})");
            tokio::task::yield_now().await;
        }
    } else {
        eprintln!("this chromium has no H.264 in MSE: playback itself not checked");
    }

    // the console shows the health
    c.switch_to_window(console).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::XPath("//dd[@id='stream-resolution'][. = '320×240']")).await.unwrap();

    // the publisher dies: the viewer page says the host will be right back
    publisher.kill().await.unwrap();
    c.switch_to_window(viewer).await.unwrap();
    let note = c.wait().at_most(WAIT).for_element(Locator::Css(".stage-note[data-stream=down]")).await.unwrap();
    assert!(note.text().await.unwrap().contains("主播暂时离开，马上回来"));
    assert!(c.find(Locator::Css("#stage-video[hidden]")).await.is_ok());
    b.client.clone().close().await.unwrap();
}
