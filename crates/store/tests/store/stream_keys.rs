//! Stream keys: one usable key per show, replaced and revoked on the
//! store's clock, only the shop's own shows, looked up by hash.

use std::collections::BTreeMap;

use zhibo_domain::show::{ShowDraft, ShowInput};
use zhibo_domain::{RoomId, ShopId};
use zhibo_store::shows::ShowStore;
use zhibo_store::{ShopSettings, ShopStore, StoreError, StreamKeyStore};

use crate::helpers::*;

async fn show(t: &TestStore, shop: ShopId) -> RoomId {
    let input = ShowInput {
        title: "推流测试".into(),
        intro: String::new(),
        scheduled_start: T0.plus_secs(3600),
        streamer: None,
        assistant: None,
        promotion_budget: None,
        lineup: Vec::new(),
        run_sheet: Vec::new(),
    };
    t.store.create_show(shop, &ShowDraft::parse(&input, &BTreeMap::new()).unwrap()).await.unwrap()
}

fn hash(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

#[tokio::test]
async fn a_new_key_revokes_the_old_one_and_only_the_shops_shows_have_keys() {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("茶铺", &ShopSettings::default()).await.unwrap();
    let other = t.store.create_shop("米铺", &ShopSettings::default()).await.unwrap();
    let room = show(&t, shop).await;

    assert_eq!(t.store.stream_key_of(shop, room).await.unwrap(), None);
    let first = t.store.replace_stream_key(shop, room, &hash('a')).await.unwrap();
    assert_eq!(first.created_at, T0);
    assert_eq!(t.store.show_for_stream_key(&hash('a')).await.unwrap(), Some(room));

    t.clock.advance_secs(60);
    let second = t.store.replace_stream_key(shop, room, &hash('b')).await.unwrap();
    assert_eq!(second.created_at, T0.plus_secs(60));
    assert_eq!(t.store.show_for_stream_key(&hash('a')).await.unwrap(), None, "the old key is revoked");
    assert_eq!(t.store.show_for_stream_key(&hash('b')).await.unwrap(), Some(room));
    assert_eq!(t.store.stream_key_of(shop, room).await.unwrap(), Some(second));

    // another shop can neither make, see nor revoke this show's key
    let refused = t.store.replace_stream_key(other, room, &hash('c')).await;
    assert!(matches!(refused, Err(StoreError::NotFound(_))), "{refused:?}");
    assert_eq!(t.store.show_for_stream_key(&hash('c')).await.unwrap(), None);
    assert_eq!(t.store.stream_key_of(other, room).await.unwrap(), None);
    assert!(!t.store.revoke_stream_key(other, room).await.unwrap());
    assert_eq!(t.store.show_for_stream_key(&hash('b')).await.unwrap(), Some(room));

    assert!(t.store.revoke_stream_key(shop, room).await.unwrap());
    assert_eq!(t.store.show_for_stream_key(&hash('b')).await.unwrap(), None);
    assert_eq!(t.store.stream_key_of(shop, room).await.unwrap(), None);
    assert!(!t.store.revoke_stream_key(shop, room).await.unwrap());
}
