//! Role checks on every route: walks the server's own route table, so a new
//! route is covered the moment it is added.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use zhibo_domain::Role;
use zhibo_web::auth::Access;
use zhibo_web::demo::DEMO_ACCOUNTS;

/// A concrete path for a route pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{room}", "1")
        .replace("{code}", "en")
        .replace("{*path}", "app.css")
        .replace("{id}", "1")
        .replace("{image}", "1")
        .replace("{sku}", "1")
        .replace("{kind}", "coupon")
}

/// Sends the route's method (the first of GET, POST, PUT, DELETE it answers to)
/// with a valid CSRF token and an empty body, so only the access rule and
/// later validation can refuse it.
async fn call(app: &TestApp, who: Option<&Signed>, path: &str) -> (StatusCode, String) {
    let anonymous = app.client();
    let (client, csrf) = match who {
        Some(s) => (&s.client, s.csrf.as_str()),
        None => (&anonymous, ""),
    };
    for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
        let mut req = client.request(method.clone(), app.url(path));
        if method != Method::GET {
            req = req.header("x-csrf-token", csrf).header("content-type", "application/x-www-form-urlencoded");
        }
        let r = req.send().await.unwrap();
        if r.status() == StatusCode::METHOD_NOT_ALLOWED {
            continue;
        }
        let status = r.status();
        return (status, r.text().await.unwrap());
    }
    panic!("{path} answers none of GET, POST, PUT, DELETE");
}

fn is_forbidden(status: StatusCode, body: &str) -> bool {
    status == StatusCode::FORBIDDEN && (body.contains("\"forbidden\"") || body.contains("你的角色无权访问此页面"))
}

#[tokio::test]
async fn every_route_admits_exactly_the_roles_its_permission_names() {
    let app = TestApp::spawn().await;
    let guarded: Vec<_> = app
        .routes
        .iter()
        .filter_map(|(p, a)| match a {
            Access::Needs(perm) => Some((*p, *perm)),
            Access::Public => None,
        })
        .collect();
    assert!(guarded.len() >= 15, "the route table looks too small: {guarded:?}");
    for (username, _, role) in DEMO_ACCOUNTS {
        let who = app.signed_in(username).await;
        for (pattern, permission) in &guarded {
            // signing out would end the session the rest of the walk needs
            if pattern.contains("logout") || pattern.ends_with("/session/current") {
                continue;
            }
            let (status, body) = call(&app, Some(&who), &concrete(pattern)).await;
            assert_eq!(
                is_forbidden(status, &body),
                !role.can(*permission),
                "{role:?} on {pattern} needing {permission:?}: {status} {body:.200}"
            );
            assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{role:?} on {pattern}: 500");
        }
    }
}

#[tokio::test]
async fn strangers_are_sent_to_sign_in_or_told_to_sign_in() {
    let app = TestApp::spawn().await;
    for (pattern, access) in &app.routes {
        if *access == Access::Public {
            continue;
        }
        let path = concrete(pattern);
        let (status, body) = call(&app, None, &path).await;
        if pattern.starts_with("/api/") {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{pattern}");
            assert!(body.contains("\"unauthenticated\""), "{pattern}: {body}");
        } else {
            // pages: GET redirects to the sign-in page; forms are refused
            assert!(
                matches!(status, StatusCode::SEE_OTHER | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                "{pattern}: {status}"
            );
        }
    }
}

#[tokio::test]
async fn a_student_cannot_open_the_owners_settings() {
    let app = TestApp::spawn().await;
    let student = app.signed_in("student1").await;
    let r = student.get(&app, "/settings").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("你的角色无权访问此页面"));
    let r = student
        .post_form(
            &app,
            "/settings",
            &[("name", "x"), ("unpaid_order_timeout_minutes", "5"), ("default_language", "en")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // and the navigation does not offer it
    let page = student.get(&app, "/dashboard").await.text().await.unwrap();
    assert!(!page.contains("href=\"/settings\""));
}

#[tokio::test]
async fn a_viewer_cannot_call_the_console_or_any_back_office_page() {
    let app = TestApp::spawn().await;
    let viewer = app.signed_in("viewer").await;
    for path in ["/live", "/dashboard", "/products", "/orders"] {
        assert_eq!(viewer.get(&app, path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let api = app.api_signed_in("viewer").await;
    let r = api.send_json(&app, Method::POST, "/api/v1/products", r#"{"title":"x","price_fen":1}"#).await;
    assert_eq!(api_error(r).await.1["code"], "forbidden");
    // a viewer account lands on its own account page
    assert_eq!(viewer.get(&app, "/account").await.status(), StatusCode::OK);
    let r = viewer.get(&app, "/").await;
    assert_eq!(r.headers()["location"], "/account");
    let _ = Role::Viewer;
}
