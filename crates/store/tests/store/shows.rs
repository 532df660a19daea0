//! Shows: a plan round-trips with its lineup (joined with the product's
//! title and current price) and run sheet; a failing save leaves nothing
//! half-written; the lifecycle only moves forward and is stamped with the
//! store's clock.

use std::collections::BTreeMap;

use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::catalog::{ProductDraft, ProductInput, SkuInput};
use zhibo_domain::selection::ProductRole;
use zhibo_domain::show::{LineupInput, SegmentInput, SegmentKind, ShowDraft, ShowInput, ShowState};
use zhibo_domain::{Fen, ProductId, Role, RoomId, ShopId, UserId};
use zhibo_store::shows::ShowStore;
use zhibo_store::{AccountStore, CatalogStore, NewUser, ShopSettings, ShopStore, StoreError};

use crate::helpers::*;

struct Shop {
    id: ShopId,
    tea: ProductId,
    rice: ProductId,
    streamer: UserId,
    prices: BTreeMap<ProductId, Fen>,
}

async fn product(t: &TestStore, shop: ShopId, title: &str, price: i64) -> ProductId {
    let input = ProductInput {
        title: title.into(),
        skus: vec![SkuInput {
            id: None,
            specs: Vec::new(),
            list_price: Fen(0),
            price: Fen(price),
            cost: Fen(0),
            weight_g: 0,
            barcode: String::new(),
        }],
        ..Default::default()
    };
    t.store.create_product(shop, &ProductDraft::parse(&input).unwrap()).await.unwrap()
}

async fn shop(t: &TestStore, name: &str) -> Shop {
    let id = t.store.create_shop(name, &ShopSettings::default()).await.unwrap();
    let tea = product(t, id, "普洱茶", 19_900).await;
    let rice = product(t, id, "大米", 6_990).await;
    let user = NewUser {
        shop: id,
        username: Username::parse(&format!("streamer{}", id.0)).unwrap(),
        display_name: DisplayName::parse("主播").unwrap(),
        role: Role::Streamer,
        password_hash: "$argon2id$not-a-real-hash".into(),
    };
    let streamer = t.store.create_user(&user).await.unwrap();
    let prices = BTreeMap::from([(tea, Fen(19_900)), (rice, Fen(6_990))]);
    Shop { id, tea, rice, streamer, prices }
}

fn plan(s: &Shop, title: &str) -> ShowDraft {
    let input = ShowInput {
        title: title.into(),
        intro: "好茶好米".into(),
        scheduled_start: T0.plus_secs(3600),
        streamer: Some(s.streamer),
        assistant: None,
        promotion_budget: Some(Fen(50_000)),
        lineup: vec![
            LineupInput {
                product: s.rice,
                role: "traffic".into(),
                live_price: Some(Fen(4_990)),
                push_offset_minutes: Some(5),
                talking_points: "当季新米".into(),
            },
            LineupInput {
                product: s.tea,
                role: "profit".into(),
                live_price: None,
                push_offset_minutes: None,
                talking_points: String::new(),
            },
        ],
        run_sheet: vec![
            SegmentInput { kind: "opening".into(), title: "开场".into(), start_offset_minutes: 0, minutes: 5 },
            SegmentInput { kind: "product".into(), title: "讲大米".into(), start_offset_minutes: 5, minutes: 15 },
        ],
    };
    ShowDraft::parse(&input, &s.prices).unwrap()
}

#[tokio::test]
async fn a_show_round_trips_with_its_lineup_and_run_sheet_in_order() {
    let t = TestStore::new().await;
    let s = shop(&t, "茶店").await;
    let later = plan(&s, "晚场");
    let mut earlier = plan(&s, "早场");
    earlier.scheduled_start = T0;
    let late_id = t.store.create_show(s.id, &later).await.unwrap();
    let early_id = t.store.create_show(s.id, &earlier).await.unwrap();

    let d = t.store.show(s.id, late_id).await.unwrap().unwrap();
    assert_eq!(d.show.title, "晚场");
    assert_eq!(d.show.streamer, Some(s.streamer));
    assert_eq!(d.show.promotion_budget, Some(Fen(50_000)));
    assert_eq!(d.show.lifecycle.state(), ShowState::Planned);
    let lineup: Vec<_> =
        d.lineup.iter().map(|l| (l.product_title.as_str(), l.product_price, l.role, l.live_price)).collect();
    assert_eq!(
        lineup,
        [
            ("大米", Fen(6_990), ProductRole::Traffic, Some(Fen(4_990))),
            ("普洱茶", Fen(19_900), ProductRole::Profit, None)
        ]
    );
    assert_eq!(d.run_sheet, later.run_sheet);
    assert_eq!(d.run_sheet[1].kind, SegmentKind::Product);

    // listed by scheduled start, and only the shop's own
    let ids: Vec<RoomId> = t.store.shows_of_shop(s.id).await.unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, [early_id, late_id]);
    let other = shop(&t, "别家").await;
    assert!(t.store.show(other.id, late_id).await.unwrap().is_none());
    assert!(t.store.shows_of_shop(other.id).await.unwrap().is_empty());
    assert_eq!(t.store.show_by_title(s.id, "早场").await.unwrap().map(|r| r.id), Some(early_id));

    // an update replaces the rows as a whole
    let mut edited = plan(&s, "晚场（改）");
    edited.lineup.truncate(1);
    edited.run_sheet.reverse();
    t.store.update_show(s.id, late_id, &edited).await.unwrap().unwrap();
    let d = t.store.show(s.id, late_id).await.unwrap().unwrap();
    assert_eq!((d.show.title.as_str(), d.lineup.len()), ("晚场（改）", 1));
    assert_eq!(d.run_sheet, edited.run_sheet);
}

#[tokio::test]
async fn a_save_naming_another_shops_product_or_person_writes_nothing() {
    let t = TestStore::new().await;
    let s = shop(&t, "茶店").await;
    let other = shop(&t, "别家").await;
    // checked against this shop's prices, the other shop's product is valid
    // to the domain; the store must still refuse it
    let mut foreign = plan(&other, "串店");
    foreign.lineup.swap(0, 1);
    let err = t.store.create_show(s.id, &foreign).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound(ref what) if what.starts_with("user") || what.starts_with("product")),
        "{err}"
    );
    let mut foreign_product = plan(&s, "串货");
    foreign_product.lineup[1].product = other.tea;
    let err = t.store.create_show(s.id, &foreign_product).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(ref what) if what == &format!("product {}", other.tea)), "{err}");
    assert!(t.store.shows_of_shop(s.id).await.unwrap().is_empty(), "no show row was left behind");

    // a failing update leaves the old plan whole
    let id = t.store.create_show(s.id, &plan(&s, "原计划")).await.unwrap();
    let before = t.store.show(s.id, id).await.unwrap().unwrap();
    let mut bad = plan(&s, "新计划");
    bad.lineup[1].product = other.rice;
    assert!(t.store.update_show(s.id, id, &bad).await.is_err());
    assert_eq!(t.store.show(s.id, id).await.unwrap().unwrap(), before);
}

#[tokio::test]
async fn a_show_starts_then_ends_on_the_stores_clock_and_never_goes_back() {
    let t = TestStore::new().await;
    let s = shop(&t, "茶店").await;
    let id = t.store.create_show(s.id, &plan(&s, "今晚")).await.unwrap();

    let refused = t.store.end_show(s.id, id).await.unwrap().unwrap_err();
    assert!(refused.message.contains("has not started"), "{refused}");

    t.clock.advance_secs(60);
    let live = t.store.start_show(s.id, id).await.unwrap().unwrap();
    assert_eq!((live.lifecycle.state(), live.lifecycle.started_at()), (ShowState::Live, Some(T0.plus_secs(60))));
    assert!(t.store.start_show(s.id, id).await.unwrap().is_err(), "a live show does not start twice");

    t.clock.advance_secs(3600);
    let ended = t.store.end_show(s.id, id).await.unwrap().unwrap();
    assert_eq!(ended.lifecycle.ended_at(), Some(T0.plus_secs(3660)));
    let stored = t.store.show(s.id, id).await.unwrap().unwrap().show;
    assert_eq!(stored.lifecycle, ended.lifecycle);

    assert!(t.store.start_show(s.id, id).await.unwrap().unwrap_err().message.contains("cannot start again"));
    assert!(t.store.update_show(s.id, id, &plan(&s, "改")).await.unwrap().is_err(), "an ended show is not edited");
    assert!(matches!(t.store.start_show(s.id, RoomId(999)).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
async fn a_live_price_change_is_kept_on_the_lineup_row_of_the_shops_show_only() {
    let t = TestStore::new().await;
    let s = shop(&t, "茶店").await;
    let id = t.store.create_show(s.id, &plan(&s, "晚场")).await.unwrap();
    t.store.set_live_price(s.id, id, s.tea, Fen(15_900)).await.unwrap();
    let d = t.store.show(s.id, id).await.unwrap().unwrap();
    let prices: Vec<_> = d.lineup.iter().map(|l| (l.product, l.live_price)).collect();
    assert_eq!(prices, [(s.rice, Some(Fen(4_990))), (s.tea, Some(Fen(15_900)))]);

    // another shop's show, or a product not in the lineup: not found, nothing written
    let other = shop(&t, "别家").await;
    let err = t.store.set_live_price(other.id, id, s.tea, Fen(100)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let err = t.store.set_live_price(s.id, id, other.tea, Fen(100)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let d = t.store.show(s.id, id).await.unwrap().unwrap();
    assert_eq!(d.lineup[1].live_price, Some(Fen(15_900)));
}

#[tokio::test]
async fn a_lineup_reorder_is_kept_with_each_rows_own_columns_and_refused_whole_when_wrong() {
    let t = TestStore::new().await;
    let s = shop(&t, "茶店").await;
    let id = t.store.create_show(s.id, &plan(&s, "晚场")).await.unwrap();
    let order = |d: &zhibo_store::shows::ShowDetail| d.lineup.iter().map(|l| l.product).collect::<Vec<_>>();

    t.store.reorder_lineup(s.id, id, &[s.tea, s.rice]).await.unwrap();
    let d = t.store.show(s.id, id).await.unwrap().unwrap();
    assert_eq!(order(&d), [s.tea, s.rice]);
    // each row keeps its own price and role: the rows moved, not the columns
    assert_eq!((d.lineup[1].live_price, d.lineup[1].role), (Some(Fen(4_990)), ProductRole::Traffic));

    // a partial order puts the named first, the rest after in their order
    t.store.reorder_lineup(s.id, id, &[s.rice]).await.unwrap();
    assert_eq!(order(&t.store.show(s.id, id).await.unwrap().unwrap()), [s.rice, s.tea]);

    // another shop's show, a product outside the lineup, a product twice: nothing written
    let other = shop(&t, "别家").await;
    let err = t.store.reorder_lineup(other.id, id, &[s.tea]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let err = t.store.reorder_lineup(s.id, id, &[s.tea, other.tea]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let err = t.store.reorder_lineup(s.id, id, &[s.tea, s.tea]).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(order(&t.store.show(s.id, id).await.unwrap().unwrap()), [s.rice, s.tea]);
}

#[tokio::test]
async fn automatic_actions_keep_their_ids_when_saved_again_and_a_wrong_id_changes_nothing() {
    use zhibo_domain::automation::{ActionSpec, ClockTime};
    let t = TestStore::new().await;
    let s = shop(&t, "茶店").await;
    let other = shop(&t, "别家").await;
    let id = t.store.create_show(s.id, &plan(&s, "自动化")).await.unwrap();
    let push = ActionSpec::PushCard { product: s.tea, segment: 1 };
    let lottery = ActionSpec::Lottery {
        every_minutes: 10,
        from_segment: Some(0),
        times: None,
        prize: "茶饼".into(),
        winners: 2,
        keyword: None,
        duration_secs: 90,
    };
    let remind =
        ActionSpec::Reminder { at: ClockTime::parse("at", "20:30").unwrap(), text: "领券".into(), coupon: None };
    let ids = t
        .store
        .save_show_actions(s.id, id, &[(None, push.clone()), (None, lottery.clone()), (None, remind.clone())])
        .await
        .unwrap();
    let saved = t.store.show_actions(s.id, id).await.unwrap();
    assert_eq!(
        saved.iter().map(|a| (a.id, a.spec.clone())).collect::<Vec<_>>(),
        [(ids[0], push.clone()), (ids[1], lottery.clone()), (ids[2], remind.clone())]
    );
    // Saved again: the reminder first and changed, the card kept, the lottery gone.
    let remind2 =
        ActionSpec::Reminder { at: ClockTime::parse("at", "21:00").unwrap(), text: "再领券".into(), coupon: None };
    let again = t
        .store
        .save_show_actions(s.id, id, &[(Some(ids[2]), remind2.clone()), (Some(ids[0]), push.clone())])
        .await
        .unwrap();
    assert_eq!(again, [ids[2], ids[0]]);
    let saved = t.store.show_actions(s.id, id).await.unwrap();
    assert_eq!(
        saved.iter().map(|a| (a.id, a.spec.clone())).collect::<Vec<_>>(),
        [(ids[2], remind2), (ids[0], push.clone())]
    );
    // An id that is not this show's, or another shop's show: refused whole.
    let err = t.store.save_show_actions(s.id, id, &[(Some(ids[1]), lottery.clone())]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    assert!(t.store.save_show_actions(other.id, id, &[(None, lottery)]).await.is_err());
    assert_eq!(t.store.show_actions(s.id, id).await.unwrap(), saved, "nothing changed");
    assert!(t.store.show_actions(other.id, id).await.unwrap().is_empty(), "not another shop's to read");
}
