//! Shops, accounts and sessions: plain rows with uniqueness rules the web
//! layer relies on. (The catalog has its own module.)

use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::{Role, ShopId, Timestamp, UserId};
use zhibo_store::{AccountStore, NewUser, SessionRecord, SessionStore, ShopSettings, ShopStore, StoreError};

use crate::helpers::{T0, TestStore};

fn new_user(shop: ShopId, name: &str, role: Role) -> NewUser {
    NewUser {
        shop,
        username: Username::parse(name).unwrap(),
        display_name: DisplayName::parse("小王 Wang").unwrap(),
        role,
        password_hash: "$argon2id$v=19$fake".into(),
    }
}

fn session(token: &str, user: UserId, expires_at: Timestamp) -> SessionRecord {
    SessionRecord { token_hash: token.into(), user, csrf_token: format!("csrf-{token}"), created_at: T0, expires_at }
}

#[tokio::test]
async fn shops_are_created_read_and_updated() {
    let t = TestStore::new().await;
    assert_eq!(t.store.first_shop().await.unwrap(), None);

    let first = t.store.create_shop("一号店", &ShopSettings::default()).await.unwrap();
    t.clock.advance_secs(1);
    let second = t.store.create_shop("二号店", &ShopSettings::default()).await.unwrap();

    let shop = t.store.shop(first).await.unwrap().unwrap();
    assert_eq!((shop.name.as_str(), shop.created_at), ("一号店", T0));
    assert_eq!(shop.settings, ShopSettings::default());
    assert_eq!(t.store.first_shop().await.unwrap().unwrap().id, first);

    let settings = ShopSettings { unpaid_order_timeout_minutes: 30, default_language: "en".into() };
    t.store.update_shop(second, "Shop Two", &settings).await.unwrap();
    let shop = t.store.shop(second).await.unwrap().unwrap();
    assert_eq!((shop.name.as_str(), shop.settings), ("Shop Two", settings.clone()));

    assert!(matches!(t.store.update_shop(ShopId(99), "x", &settings).await, Err(StoreError::NotFound(_))));
    assert_eq!(t.store.shop(ShopId(99)).await.unwrap(), None);
}

#[tokio::test]
async fn usernames_are_unique_across_shops_and_roles_round_trip() {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("店", &ShopSettings::default()).await.unwrap();
    let other = t.store.create_shop("别的店", &ShopSettings::default()).await.unwrap();

    let mut ids = Vec::new();
    for (i, role) in Role::ALL.into_iter().enumerate() {
        ids.push(t.store.create_user(&new_user(shop, &format!("user{i}"), role)).await.unwrap());
    }
    let users = t.store.users_of_shop(shop).await.unwrap();
    assert_eq!(users.iter().map(|u| u.role).collect::<Vec<_>>(), Role::ALL);
    assert_eq!(users.iter().map(|u| u.id).collect::<Vec<_>>(), ids);

    let owner = t.store.user_by_username(&Username::parse("USER0").unwrap()).await.unwrap().unwrap();
    let got = (owner.shop, owner.role, owner.display_name.as_str(), owner.created_at);
    assert_eq!(got, (shop, Role::Owner, "小王 Wang", T0));
    assert_eq!(t.store.user_by_id(owner.id).await.unwrap(), Some(owner.clone()));

    let err = t.store.create_user(&new_user(other, "user0", Role::Viewer)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(what) if what.contains("username")), "{err}");
    let err = t.store.create_user(&new_user(ShopId(99), "nobody", Role::Viewer)).await.unwrap_err();
    assert!(matches!(&err, StoreError::NotFound(what) if what.contains("shop")), "{err}");
    assert!(t.store.users_of_shop(other).await.unwrap().is_empty());
    assert_eq!(t.store.user_by_username(&Username::parse("nobody").unwrap()).await.unwrap(), None);
}

#[tokio::test]
async fn a_password_hash_can_be_replaced() {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("店", &ShopSettings::default()).await.unwrap();
    let id = t.store.create_user(&new_user(shop, "owner", Role::Owner)).await.unwrap();
    t.store.set_password_hash(id, "$argon2id$new").await.unwrap();
    assert_eq!(t.store.user_by_id(id).await.unwrap().unwrap().password_hash, "$argon2id$new");
    assert!(matches!(t.store.set_password_hash(UserId(99), "h").await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
async fn sessions_expire_and_can_be_signed_out_everywhere_but_one() {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("店", &ShopSettings::default()).await.unwrap();
    let alice = t.store.create_user(&new_user(shop, "alice", Role::Operator)).await.unwrap();
    let bob = t.store.create_user(&new_user(shop, "bob", Role::Streamer)).await.unwrap();
    let hour = T0.plus_secs(3600);

    for token in ["a1", "a2", "a3"] {
        t.store.create_session(&session(token, alice, hour)).await.unwrap();
    }
    t.store.create_session(&session("b1", bob, hour)).await.unwrap();
    t.store.create_session(&session("short", bob, T0.plus_secs(60))).await.unwrap();
    let err = t.store.create_session(&session("a1", alice, hour)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");

    assert_eq!(t.store.live_session("a1", T0).await.unwrap(), Some(session("a1", alice, hour)));
    assert!(t.store.live_session("short", T0.plus_secs(59)).await.unwrap().is_some());
    // Expiry is exclusive: at expires_at the session is gone.
    assert_eq!(t.store.live_session("short", T0.plus_secs(60)).await.unwrap(), None);
    assert_eq!(t.store.live_session("nope", T0).await.unwrap(), None);

    assert_eq!(t.store.delete_other_sessions(alice, "a2").await.unwrap(), 2);
    assert_eq!(t.store.live_session("a1", T0).await.unwrap(), None);
    assert!(t.store.live_session("a2", T0).await.unwrap().is_some());
    assert!(t.store.live_session("b1", T0).await.unwrap().is_some(), "another user's session stays");

    assert_eq!(t.store.purge_expired_sessions(T0.plus_secs(60)).await.unwrap(), 1);
    t.store.delete_session("a2").await.unwrap();
    assert_eq!(t.store.live_session("a2", T0).await.unwrap(), None);
    assert_eq!(t.store.purge_expired_sessions(hour).await.unwrap(), 1, "only b1 was left");
}
