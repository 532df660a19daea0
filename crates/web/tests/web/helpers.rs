//! `TestApp`: a real zhibo server on a free port with a fresh database, the
//! demo shop seeded, and a client that keeps cookies.

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Client, Response, StatusCode, redirect};
use std::sync::Arc;
use tempfile::TempDir;
use zhibo_domain::{Timestamp, VirtualClock};
use zhibo_store::{SqliteStore, Store};
use zhibo_web::auth::Access;
use zhibo_web::demo::{DEMO_PASSWORD, seed};
use zhibo_web::{Application, Settings};

pub struct TestApp {
    pub base: String,
    pub clock: VirtualClock,
    pub store: Arc<SqliteStore>,
    pub routes: Vec<(&'static str, Access)>,
    pub settings: Settings,
    /// Where RTMP publishers connect (a free port per test).
    pub rtmp: Option<std::net::SocketAddr>,
    _dir: TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// 2026-11-25 12:00:00 UTC: tests run on this virtual time, not the machine's.
pub const T0: Timestamp = Timestamp(1_795_608_000_000);

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let clock = VirtualClock::starting_at(T0);
        let mut settings = Settings::default();
        settings.server.port = 0;
        settings.media.rtmp_port = 0;
        settings.data.dir = dir.path().to_owned();
        tweak(&mut settings);
        let store = Arc::new(SqliteStore::open(&settings.database_path(), Arc::new(clock.clone())).await.unwrap());
        seed(store.as_ref()).await.unwrap();
        let app = Application::build(settings.clone(), store.clone() as Arc<dyn Store>, Arc::new(clock.clone()))
            .await
            .unwrap();
        let base = format!("http://{}", app.local_addr());
        let routes = app.route_table().to_vec();
        let rtmp = app.state().media.rtmp_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        TestApp { base, clock, store, routes, settings, rtmp, _dir: dir, _shutdown: tx }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (so
    /// tests can see them).
    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
    }

    /// Signs `username` in through the real sign-in form; returns the
    /// client holding the session and the page's CSRF token.
    pub async fn signed_in(&self, username: &str) -> Signed {
        let client = self.client();
        let token = self.login_form_token(&client).await;
        let r = client
            .post(self.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", username), ("password", DEMO_PASSWORD), ("next", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {username} failed: {}", r.text().await.unwrap());
        let page = client.get(self.url("/account")).send().await.unwrap().text().await.unwrap();
        let csrf = hidden_input(&page, "csrf").expect("signed-in pages carry a csrf token");
        Signed { client, csrf }
    }

    /// Opens the sign-in page and returns its form's CSRF token.
    pub async fn login_form_token(&self, client: &Client) -> String {
        let page = client.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        hidden_input(&page, "csrf").expect("the sign-in form has a csrf field")
    }

    /// Signs in through the API; returns the client and its CSRF token.
    pub async fn api_signed_in(&self, username: &str) -> Signed {
        let client = self.client();
        let r = client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"username": username, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: serde_json::Value = r.json().await.unwrap();
        Signed { client, csrf: body["csrf_token"].as_str().unwrap().to_owned() }
    }
}

pub struct Signed {
    pub client: Client,
    pub csrf: String,
}

impl Signed {
    pub async fn post_form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.client.post(app.url(path)).form(&all).send().await.unwrap()
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Response {
        self.client.get(app.url(path)).send().await.unwrap()
    }

    /// An API call with a JSON body (raw, so tests can send broken JSON).
    pub async fn send_json(&self, app: &TestApp, method: reqwest::Method, path: &str, body: &str) -> Response {
        self.client
            .request(method, app.url(path))
            .header(CONTENT_TYPE, "application/json")
            .header("x-csrf-token", &self.csrf)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }
}

/// The value of `<input name=NAME value=...>` in a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr("value")).map(str::to_owned)
}

/// Text of the first element matching `css`.
pub fn text_of(html: &str, css: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel).next().map(|e| e.text().collect::<String>().trim().to_owned())
}

/// The `{"error": {...}}` body of an API error, checked for its shape.
pub async fn api_error(r: Response) -> (StatusCode, serde_json::Value) {
    let status = r.status();
    let ct = r.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(ct.starts_with("application/json"), "error body is not JSON: {ct}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{body}");
    (status, body["error"].clone())
}

pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}
