//! Browser tests: Debian's chromium, driven through chromedriver (WebDriver)
//! by fantoccini. The README's test command installs both; without them
//! these tests fail with a message saying so, unless SKIP_BROWSER_TESTS=1.

use crate::helpers::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub(crate) struct Browser {
    pub(crate) client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

/// Starts chromedriver on a free port and opens a headless chromium session.
pub(crate) async fn browser() -> Option<Browser> {
    browser_with(&[]).await
}

/// [`browser`] with more chromium switches (e.g. fake camera and microphone).
pub(crate) async fn browser_with(extra_args: &[&str]) -> Option<Browser> {
    if std::env::var("SKIP_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIP_BROWSER_TESTS=1: browser tests skipped");
        return None;
    }
    assert!(
        Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists(),
        "browser tests need Debian's chromium and chromium-driver: run scripts/test (it installs them) \
         or `apt-get install chromium chromium-driver`; SKIP_BROWSER_TESTS=1 skips them"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    // chromedriver says when it listens; wait for that line, not a timer
    let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains("started successfully") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let profile = tempfile::tempdir().unwrap();
    let args = [
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let args: Vec<String> = args.into_iter().chain(extra_args.iter().map(|a| (*a).to_owned())).collect();
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), serde_json::json!({ "binary": CHROMIUM, "args": args }));
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("open a chromium session");
    Some(Browser { client, _driver: driver, _profile: profile })
}

async fn text(c: &Client, css: &str) -> String {
    c.wait().for_element(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// One browser for the whole walk: starting chromium is the slow part on a
/// two-core machine.
#[tokio::test]
async fn in_a_real_browser_sign_in_reaches_the_dashboard_and_the_language_switches() {
    let app = TestApp::spawn().await;
    let Some(b) = browser().await else { return };
    let c = &b.client;

    // sign in with the demo owner
    c.goto(&app.url("/")).await.unwrap();
    c.wait().for_element(Locator::Css("#sign-in-form")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys("owner").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("zhibo-demo").await.unwrap();
    c.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    assert!(text(c, "#welcome").await.contains("店主 王芳"));
    assert_eq!(c.current_url().await.unwrap().path(), "/dashboard");

    // switch to English and back
    c.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("html[lang=en]")).await.unwrap();
    assert!(text(c, "#welcome").await.starts_with("Welcome"));
    assert_eq!(text(c, "nav.areas a[href='/products']").await, "Products");
    c.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("html[lang=zh-CN]")).await.unwrap();
    assert_eq!(text(c, "nav.areas a[href='/products']").await, "商品");

    // the settings form saves through htmx, in place
    c.goto(&app.url("/settings")).await.unwrap();
    let name = c.wait().for_element(Locator::Css("#settings-form input[name=name]")).await.unwrap();
    name.clear().await.unwrap();
    name.send_keys("浏览器里改的店名").await.unwrap();
    c.find(Locator::Css("#settings-form button[type=submit]")).await.unwrap().click().await.unwrap();
    assert_eq!(text(c, "#settings-form .ok").await, "已保存");
    use zhibo_store::ShopStore;
    assert_eq!(app.store.first_shop().await.unwrap().unwrap().name, "浏览器里改的店名");

    // sign out
    c.find(Locator::Css("#sign-out")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#sign-in-form")).await.unwrap();
    b.client.clone().close().await.unwrap();
}
