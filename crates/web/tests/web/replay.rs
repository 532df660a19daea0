//! Recording and shoppable replay end to end: Debian's ffmpeg publishes four
//! seconds of a 320x240 test pattern; meanwhile the console pushes a card,
//! marks a highlight and takes the card down, each a virtual-clock second
//! apart. Then: the recording file exists and ffprobe reads it (codecs,
//! duration, advancing timestamps), the served replay honours HTTP Range,
//! the timeline puts the card and the highlight where they happened, a
//! clip trimmed around the highlight is cut at keyframes and ffprobe reads
//! it as FLV and MP4, bad input is refused, and the replay page shows the
//! card at its moment in chromium. Waits are bounded safety timeouts.

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use zhibo_domain::RoomId;
use zhibo_store::{RecordingStore, ShopStore, ShowStore};

use crate::helpers::TestApp;
use crate::media::{Socket, WAIT, have, publish, sign_in, until};

async fn send(
    app: &TestApp,
    session: &(String, String),
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, app.url(path))
        .header("cookie", &session.0)
        .header("x-csrf-token", &session.1)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn socket(app: &TestApp, show: RoomId, kind: &str, cookie: Option<&str>) -> Socket {
    let ws = app.url(&format!("/ws/rooms/{show}/{kind}")).replacen("http://", "ws://", 1);
    let mut request = ws.into_client_request().unwrap();
    if let Some(cookie) = cookie {
        request.headers_mut().insert("cookie", cookie.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn say(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// ffprobe's JSON for a file or URL: streams, format and packets.
async fn probe(target: &str) -> Value {
    let run = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_streams", "-show_format", "-show_packets"])
        .arg(target)
        .output();
    let out = tokio::time::timeout(WAIT, run).await.expect("ffprobe ends").unwrap();
    assert!(out.status.success(), "ffprobe {target}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn video_pts(probed: &Value) -> Vec<f64> {
    probed["packets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["codec_type"] == "video")
        .filter_map(|p| p["pts_time"].as_str().and_then(|t| t.parse().ok()))
        .collect()
}

fn duration(probed: &Value) -> f64 {
    probed["format"]["duration"].as_str().and_then(|d| d.parse().ok()).expect("a duration")
}

fn codecs(probed: &Value) -> (String, i64, i64, String) {
    let streams = probed["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").expect("a video stream");
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").expect("an audio stream");
    (
        video["codec_name"].as_str().unwrap().to_owned(),
        video["width"].as_i64().unwrap(),
        video["height"].as_i64().unwrap(),
        audio["codec_name"].as_str().unwrap().to_owned(),
    )
}

/// The show's recording once its writer has closed `segments` segments.
async fn recorded(app: &TestApp, show: RoomId, segments: usize) -> zhibo_store::recordings::RecordingRecord {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = app.store.recording(show).await.unwrap();
        if let Some(r) = r.filter(|r| r.segments.len() == segments && r.segments.iter().all(|s| s.ended_at.is_some())) {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "segment {segments} of the recording never ended");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_show_is_recorded_highlighted_clipped_and_replayed_with_its_cards() {
    assert!(have("ffmpeg") && have("ffprobe"), "ffmpeg and ffprobe are needed (scripts/test installs them)");
    let app = TestApp::spawn().await;
    let rtmp = app.rtmp.expect("the test server listens for RTMP");
    let shop = app.store.first_shop().await.unwrap().unwrap();
    let show = app.store.show_by_title(shop.id, zhibo_web::demo::DEMO_SHOW).await.unwrap().unwrap().id;
    let detail = app.store.show(shop.id, show).await.unwrap().unwrap();
    let product = detail.lineup[0].product.0;
    let operator = sign_in(&app, "operator").await;
    use reqwest::Method;

    // nothing recorded yet: no replay
    assert_eq!(reqwest::get(app.url(&format!("/api/v1/shows/{show}/replay"))).await.unwrap().status(), 404);
    let r = send(&app, &operator, Method::POST, &format!("/api/v1/shows/{show}/start"), json!({})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = send(&app, &operator, Method::POST, &format!("/live/shows/{show}/stream-key"), json!({})).await;
    let key = r.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_owned();

    let mut console = socket(&app, show, "console", Some(&operator.0)).await;
    let mut viewer = socket(&app, show, "viewer", None).await;
    until(&mut console, |f| f["type"] == "stream_state").await;

    // four seconds of video; the console acts a clock second apart
    let publisher = publish(rtmp, &key, 4, true);
    until(&mut console, |f| f["type"] == "stream" && f["event"] == "started").await;
    app.clock.advance_secs(1);
    say(&mut console, json!({"v": 1, "type": "push_card", "product": product})).await;
    until(&mut console, |f| f["type"] == "card_pushed").await;
    app.clock.advance_secs(1);
    say(&mut console, json!({"v": 1, "type": "mark_highlight", "note": "试穿效果"})).await;
    let marked = until(&mut console, |f| f["type"] == "highlight").await;
    assert_eq!((marked["stream_ms"].as_i64(), marked["note"].as_str()), (Some(2000), Some("试穿效果")));
    // a viewer cannot mark one
    say(&mut viewer, json!({"v": 1, "type": "mark_highlight"})).await;
    assert_eq!(until(&mut viewer, |f| f["type"] == "error").await["code"], "forbidden");
    app.clock.advance_secs(1);
    say(&mut console, json!({"v": 1, "type": "unpush_card"})).await;
    until(&mut console, |f| f["type"] == "card_unpushed").await;
    let exit = tokio::time::timeout(WAIT, publisher.wait_with_output()).await.expect("ffmpeg ends").unwrap();
    assert!(exit.status.success(), "{}", String::from_utf8_lossy(&exit.stderr));
    until(&mut console, |f| f["type"] == "stream" && f["event"] == "stopped").await;

    let first = recorded(&app, show, 1).await;
    assert!((3500..=4500).contains(&first.duration_ms), "{} ms recorded", first.duration_ms);

    // the publisher comes back for one more second (pushed as fast as it
    // can): a second segment of the same file, continuing its timeline
    app.clock.advance_secs(5);
    let again = publish(rtmp, &key, 1, false);
    let exit = tokio::time::timeout(WAIT, again.wait_with_output()).await.expect("ffmpeg ends").unwrap();
    assert!(exit.status.success(), "{}", String::from_utf8_lossy(&exit.stderr));
    let recording = recorded(&app, show, 2).await;
    let (one, two) = (recording.segments[0], recording.segments[1]);
    assert_eq!(one.duration_ms, first.duration_ms);
    assert_eq!(two.media_start_ms, one.duration_ms, "the second segment starts where the first ended");
    assert_eq!(two.started_at.0 - one.started_at.0, 8_000, "on the clock");
    assert!((900..=1100).contains(&two.duration_ms), "{} ms in the second segment", two.duration_ms);
    assert_eq!(recording.duration_ms, two.media_start_ms + two.duration_ms);
    assert_eq!(recording.gaps, 0);
    let path = app.settings.recordings_dir().join(&recording.file);
    assert_eq!(std::fs::metadata(&path).unwrap().len() as i64, recording.bytes);

    // ffprobe reads the file: H.264 320x240 + AAC, about five seconds,
    // timestamps advancing across the two segments
    let file = probe(path.to_str().unwrap()).await;
    assert_eq!(codecs(&file), ("h264".into(), 320, 240, "aac".into()));
    let seconds = recording.duration_ms as f64 / 1000.0;
    assert!((duration(&file) - seconds).abs() <= 0.1 && (4.5..=5.5).contains(&seconds), "duration {}", duration(&file));
    let pts = video_pts(&file);
    assert!(pts.len() >= 115, "{} video packets", pts.len());
    assert!(pts[0] < 0.05 && pts.windows(2).all(|w| w[1] > w[0]), "timestamps advance from 0: {pts:?}");

    // before the show ends the replay is the staff's only
    let timeline_url = app.url(&format!("/api/v1/shows/{show}/replay"));
    assert_eq!(reqwest::get(&timeline_url).await.unwrap().status(), 404);
    let r = send(&app, &operator, Method::POST, &format!("/api/v1/shows/{show}/end"), json!({})).await;
    assert!(r.status().is_success(), "{}", r.status());

    // the timeline: the card from 1 s to 3 s, the highlight at 2 s
    let timeline: Value = reqwest::get(&timeline_url).await.unwrap().json().await.unwrap();
    assert_eq!(timeline["duration_ms"], recording.duration_ms);
    let cards = timeline["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 1, "{timeline}");
    assert_eq!(
        (cards[0]["product"].as_i64(), cards[0]["from_ms"].as_i64(), cards[0]["to_ms"].as_i64()),
        (Some(product), Some(1000), Some(3000))
    );
    assert_eq!(cards[0]["title"], detail.lineup[0].product_title.as_str());
    let highlight = &timeline["highlights"][0];
    assert_eq!((highlight["at_ms"].as_i64(), highlight["note"].as_str()), (Some(2000), Some("试穿效果")));
    let seq = highlight["seq"].as_u64().unwrap();

    // the served replay: ffprobe reads it; Range answers 206 and 416
    let flv_url = app.url(&format!("/live/shows/{show}/replay.flv"));
    let served = probe(&flv_url).await;
    assert_eq!(codecs(&served), ("h264".into(), 320, 240, "aac".into()));
    assert!((duration(&served) - recording.duration_ms as f64 / 1000.0).abs() < 0.1, "the metadata's duration");
    let whole = reqwest::get(&flv_url).await.unwrap();
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let total: u64 = whole.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let part = reqwest::Client::new().get(&flv_url).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], format!("bytes 0-99/{total}").as_str());
    assert_eq!(&part.bytes().await.unwrap()[..3], b"FLV");
    let tail =
        reqwest::Client::new().get(&flv_url).header("range", format!("bytes={}-", total - 10)).send().await.unwrap();
    assert_eq!(tail.bytes().await.unwrap().len(), 10);
    let beyond = reqwest::Client::new().get(&flv_url).header("range", format!("bytes={total}-")).send().await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // a clip around the highlight, cut at keyframes: about two seconds (± a GOP)
    let clips = format!("/api/v1/shows/{show}/clips");
    let r = send(&app, &operator, Method::POST, &clips, json!({"start_secs": 1.0, "end_secs": 3.0, "highlight": seq}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let clip: Value = r.json().await.unwrap();
    assert_eq!(
        (clip["title"].as_str(), clip["start_ms"].as_i64(), clip["end_ms"].as_i64()),
        (Some("试穿效果"), Some(1000), Some(3000))
    );
    let operator_client = || reqwest::Client::new();
    for (link, format) in [("flv", "flv"), ("mp4", "mov,mp4,m4a,3gp,3g2,mj2")] {
        let r = operator_client()
            .get(app.url(clip[link].as_str().unwrap()))
            .header("cookie", &operator.0)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{link}");
        assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        let dest = std::env::temp_dir().join(format!("zhibo-clip-{}-{}.{link}", std::process::id(), clip["id"]));
        std::fs::write(&dest, r.bytes().await.unwrap()).unwrap();
        let probed = probe(dest.to_str().unwrap()).await;
        std::fs::remove_file(&dest).ok();
        assert_eq!(probed["format"]["format_name"], format);
        assert_eq!(codecs(&probed), ("h264".into(), 320, 240, "aac".into()));
        assert!((duration(&probed) - 2.0).abs() <= 1.1, "{link} clip lasts {}", duration(&probed));
    }
    let listed: Value = send(&app, &operator, Method::GET, &clips, json!(null)).await.json().await.unwrap();
    assert_eq!(listed[0]["id"], clip["id"]);

    // bad input
    let bad = |body: Value| send(&app, &operator, Method::POST, &clips, body);
    let r = bad(json!({"start_secs": 3.0, "end_secs": 1.0})).await;
    let (status, error) = crate::helpers::api_error(r).await;
    assert_eq!((status, error["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("end_secs")));
    let r = bad(json!({"start_secs": 1.0, "end_secs": 60.0})).await;
    let (status, error) = crate::helpers::api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["fields"][0]["message"].as_str().unwrap().contains("beyond the recording"), "{error}");
    let r = bad(json!({"start_secs": 0.0, "end_secs": 1.0, "highlight": 99_999})).await;
    assert_eq!(crate::helpers::api_error(r).await.1["fields"][0]["field"], "highlight");
    let r =
        send(&app, &operator, Method::POST, "/api/v1/shows/99999/clips", json!({"start_secs": 0.0, "end_secs": 1.0}))
            .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(reqwest::get(app.url("/api/v1/shows/99999/replay")).await.unwrap().status(), 404);
    let r = reqwest::Client::new()
        .post(app.url(&clips))
        .json(&json!({"start_secs": 0.0, "end_secs": 1.0}))
        .send()
        .await
        .unwrap();
    assert!(r.status() == 401 || r.status() == 403, "{}", r.status());
    let r = operator_client()
        .get(app.url(&format!("/live/shows/{show}/clips/999.flv")))
        .header("cookie", &operator.0)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // the replay page, anonymous: the card is on screen at its moment and can be bought
    let page = reqwest::get(app.url(&format!("/live/shows/{show}/replay"))).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/assets/live/replay.js") && html.contains("/assets/live/cart.js"));
    let Some(b) = crate::browser::browser().await else { return };
    use fantoccini::Locator;
    let c = &b.client;
    c.goto(&app.url(&format!("/live/shows/{show}/replay?t=1.5"))).await.unwrap();
    let card = c.wait().at_most(WAIT).for_element(Locator::Css("#replay-card:not([hidden])")).await.unwrap();
    assert_eq!(card.attr("data-product").await.unwrap(), Some(product.to_string()));
    c.find(Locator::Css("#replay-buy")).await.unwrap().click().await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#product-sheet[open] #sheet-sign-in")).await.unwrap();
    // mpegts.js plays the recording when this chromium has MSE with H.264,
    // and the card follows the video's time
    let h264 = c
        .execute(
            "return !!window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.64000d\"')",
            vec![],
        )
        .await
        .unwrap();
    if h264 == Value::Bool(true) {
        c.execute("document.getElementById('product-sheet').close(); document.getElementById('replay-video').muted = true; document.getElementById('replay-video').play()", vec![]).await.unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let t = c.execute("return document.getElementById('replay-video').currentTime", vec![]).await.unwrap();
            if t.as_f64().unwrap_or(0.0) > 3.1 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the replay does not play (currentTime {t})");
            tokio::task::yield_now().await;
        }
        c.wait().at_most(WAIT).for_element(Locator::Css("#replay-card[hidden]")).await.unwrap();
    } else {
        eprintln!("this chromium has no H.264 in MSE: replay playback itself not checked");
    }
    c.goto(&app.url(&format!("/live/shows/{show}/replay?t=3.5"))).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#room[data-ready=true]")).await.unwrap();
    assert!(c.find(Locator::Css("#replay-card[hidden]")).await.is_ok(), "no card after it was taken down");

    // the console's 标记高光 button, then the replay editor trims around the highlight
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("operator").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#welcome")).await.unwrap();
    c.goto(&app.url(&format!("/live/shows/{show}/console"))).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#console[data-connection=open]")).await.unwrap();
    c.find(Locator::Css("#highlight-note")).await.unwrap().send_keys("返场").await.unwrap();
    c.find(Locator::Css("#mark-highlight")).await.unwrap().click().await.unwrap();
    let marked = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//small[@id='highlight-marked'][contains(., '返场')]"))
        .await
        .unwrap();
    assert!(marked.text().await.unwrap().contains("已标记高光"));
    c.goto(&app.url(&format!("/live/shows/{show}/replay/edit"))).await.unwrap();
    c.wait().at_most(WAIT).for_element(Locator::Css("#room[data-ready=true]")).await.unwrap();
    assert_eq!(c.find_all(Locator::Css("#replay-highlights li")).await.unwrap().len(), 2);
    c.find(Locator::Css(&format!("#replay-highlights li[data-seq='{seq}'] .trim")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(c.find(Locator::Css("#clip-start")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("0.0"));
    c.find(Locator::Css("#clip-save")).await.unwrap().click().await.unwrap();
    let saved = c.wait().at_most(WAIT).for_element(Locator::Css("#clips li:nth-child(2)")).await;
    let message = c.find(Locator::Css("#clip-message")).await.unwrap().text().await.unwrap();
    assert!(saved.is_ok() && message.contains("已保存"), "the clip is saved: {message}");
    let listed: Value = send(&app, &operator, Method::GET, &clips, json!(null)).await.json().await.unwrap();
    assert_eq!((listed[0]["start_ms"].as_i64(), listed[0]["highlight"].as_u64()), (Some(0), Some(seq)));
    b.client.clone().close().await.unwrap();
}
