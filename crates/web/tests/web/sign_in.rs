//! Sign-in, sessions, CSRF, rate limiting, sign-out and password change.

use crate::helpers::*;
use reqwest::StatusCode;
use zhibo_web::demo::DEMO_PASSWORD;

#[tokio::test]
async fn the_printed_demo_logins_sign_in_and_land_on_the_dashboard() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let token = app.login_form_token(&client).await;
    let r = client
        .post(app.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", "owner"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/dashboard");
    let session_cookie = set_cookies(r.headers()).into_iter().find(|c| c.starts_with("zhibo_session=")).unwrap();
    assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
    assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
    let page = client.get(app.url("/dashboard")).send().await.unwrap().text().await.unwrap();
    assert!(text_of(&page, "#welcome").unwrap().contains("店主 王芳"));
    assert_eq!(text_of(&page, "#role").unwrap(), "店主");
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let token = app.login_form_token(&client).await;
    for (user, pass) in [("owner", "wrong-password"), ("nobody", DEMO_PASSWORD)] {
        let r = client
            .post(app.url("/login"))
            .form(&[("csrf", token.as_str()), ("username", user), ("password", pass)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let page = r.text().await.unwrap();
        assert_eq!(text_of(&page, "#sign-in-error").unwrap(), "用户名或密码不正确");
        // what was typed is kept, but never the password
        assert_eq!(hidden_input(&page, "username").unwrap(), user);
        assert!(!page.contains(pass) || pass == DEMO_PASSWORD && !page.contains("zhibo-demo"));
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_opens_again_after_the_window() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let token = app.login_form_token(&client).await;
    let attempt = |password: &'static str| {
        let client = client.clone();
        let token = token.clone();
        let url = app.url("/login");
        async move {
            client
                .post(url)
                .form(&[("csrf", token.as_str()), ("username", "owner"), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for _ in 0..app.settings.auth.max_failed_sign_ins {
        assert_eq!(attempt("wrong-password").await, StatusCode::UNAUTHORIZED);
    }
    // even the right password is refused while locked
    assert_eq!(attempt(DEMO_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance_secs(app.settings.auth.failed_sign_in_window_minutes * 60);
    assert_eq!(attempt(DEMO_PASSWORD).await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_api_sign_in_is_rate_limited_too() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let mut last = StatusCode::OK;
    for _ in 0..=app.settings.auth.max_failed_sign_ins {
        let r = client
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"username": "operator", "password": "nope-nope"}))
            .send()
            .await
            .unwrap();
        last = r.status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.headers().contains_key("retry-after"));
            let (_, e) = api_error(r).await;
            assert_eq!(e["code"], "rate_limited");
            break;
        }
        assert_eq!(api_error(r).await.1["code"], "wrong_credentials");
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn every_form_needs_its_csrf_token() {
    let app = TestApp::spawn().await;
    // the sign-in form without, or with a forged, token
    let client = app.client();
    let _ = app.login_form_token(&client).await;
    for token in [None, Some("forged")] {
        let mut form = vec![("username", "owner"), ("password", DEMO_PASSWORD)];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let r = client.post(app.url("/login")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "token {token:?}");
    }
    // a signed-in form without its token changes nothing
    let owner = app.signed_in("owner").await;
    let r = owner
        .client
        .post(app.url("/settings"))
        .form(&[("name", "被篡改"), ("unpaid_order_timeout_minutes", "5"), ("default_language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let shop = zhibo_store::ShopStore::first_shop(app.store.as_ref()).await.unwrap().unwrap();
    assert_ne!(shop.name, "被篡改");
    // a signed-in JSON call without the header is refused as well
    let r = owner
        .client
        .post(app.url("/api/v1/products"))
        .json(&serde_json::json!({"title": "x", "price_fen": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(r).await.1["code"], "csrf");
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    let r = op.post_form(&app, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = op.get(&app, "/dashboard").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fdashboard");
}

#[tokio::test]
async fn sessions_expire_on_the_clock() {
    let app = TestApp::spawn().await;
    let op = app.signed_in("operator").await;
    assert_eq!(op.get(&app, "/dashboard").await.status(), StatusCode::OK);
    app.clock.advance_secs(app.settings.auth.session_hours * 3600);
    assert_eq!(op.get(&app, "/dashboard").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn changing_the_password_checks_it_and_signs_out_other_devices() {
    let app = TestApp::spawn().await;
    let here = app.signed_in("streamer").await;
    let elsewhere = app.signed_in("streamer").await;
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let (here, app) = (&here, &app);
        async move {
            here.post_form(
                app,
                "/account/password",
                &[("current_password", current), ("new_password", new), ("confirm_password", confirm)],
            )
            .await
        }
    };
    let r = change("not-it-at-all", "a-new-secret", "a-new-secret").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = change(DEMO_PASSWORD, "a-new-secret", "another-one").await;
    assert!(r.text().await.unwrap().contains("两次输入的新密码不一致"));
    let r = change(DEMO_PASSWORD, "short", "short").await;
    assert!(r.text().await.unwrap().contains("至少8个字符"));
    let r = change(DEMO_PASSWORD, "a-new-secret", "a-new-secret").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("密码已修改"));
    // this session goes on; the other device is signed out
    assert_eq!(here.get(&app, "/dashboard").await.status(), StatusCode::OK);
    assert_eq!(elsewhere.get(&app, "/dashboard").await.status(), StatusCode::SEE_OTHER);
    // the new password signs in, the old one does not
    let ok = app
        .client()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username":"streamer","password":"a-new-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let old = app
        .client()
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username":"streamer","password":DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_password_form_answers_htmx_with_the_form_alone() {
    let app = TestApp::spawn().await;
    let s = app.signed_in("assistant").await;
    let r = s
        .client
        .post(app.url("/account/password"))
        .header("hx-request", "true")
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("current_password", "wrong-wrong"),
            ("new_password", "abcdefgh"),
            ("confirm_password", "abcdefgh"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "htmx swaps only 2xx answers");
    let html = r.text().await.unwrap();
    assert!(html.trim_start().starts_with("<form"), "{html}");
    assert!(html.contains("当前密码不正确"));
}
