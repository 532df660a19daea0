//! The sensitive-word page (/live/moderation): the owner edits the list and
//! the mode, bad rows are named and what was typed is kept, a student is
//! refused, and the demo seed's list is there to start with.

use crate::helpers::*;
use reqwest::StatusCode;
use zhibo_domain::moderation::ModerationMode;
use zhibo_store::{ModerationStore, ShopStore};

#[tokio::test]
async fn the_owner_edits_the_word_list_and_a_student_is_refused() {
    let app = TestApp::spawn().await;
    let shop = app.store.first_shop().await.unwrap().unwrap().id;
    let owner = app.signed_in("owner").await;
    let page = owner.get(&app, "/live/moderation").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("加微信"), "the demo's words are listed");

    let r = owner.post_form(&app, "/live/moderation", &[("words", "私聊\n！！！\n"), ("mode", "hold")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("data-field=\"words\"") && page.contains("第 2 行"), "{page}");
    assert!(page.contains("！！！"), "what was typed is kept");
    assert_eq!(app.store.moderation_policy(shop).await.unwrap().mode, ModerationMode::Block, "nothing half-saved");

    let r = owner.post_form(&app, "/live/moderation", &[("words", "私聊\n\n加 V\n包过"), ("mode", "hold")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let policy = app.store.moderation_policy(shop).await.unwrap();
    assert_eq!((policy.mode, policy.words), (ModerationMode::Hold, vec!["私聊".into(), "加 V".into(), "包过".into()]));

    let student = app.signed_in("student1").await;
    assert_eq!(student.get(&app, "/live/moderation").await.status(), StatusCode::FORBIDDEN);
    let r = student.post_form(&app, "/live/moderation", &[("words", ""), ("mode", "block")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store.moderation_policy(shop).await.unwrap().words.len(), 3);
}
