//! The product library and the stock ledger on SQLite: products with SKUs
//! written all or nothing, uniqueness per shop, images, search, and a stock
//! that equals the sum of its ledger under concurrent changes.

use std::collections::HashMap;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use zhibo_domain::catalog::{ProductDraft, ProductInput, ProductStatus, SkuInput};
use zhibo_domain::stock::StockChange;
use zhibo_domain::{Fen, ImageId, ProductId, ShopId, SkuId, UserId};
use zhibo_store::{
    CatalogStore, NewImage, ProductFilter, Rendition, ShopSettings, ShopStore, SqliteStore, StockStore, StoreError,
};

use crate::helpers::{T0, TestStore};

fn sku(specs: &[(&str, &str)], price: i64, barcode: &str) -> SkuInput {
    SkuInput {
        id: None,
        specs: specs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        list_price: Fen(price * 2),
        price: Fen(price),
        cost: Fen(price / 2),
        weight_g: 300,
        barcode: barcode.into(),
    }
}

fn input(title: &str, skus: Vec<SkuInput>) -> ProductInput {
    ProductInput {
        title: title.into(),
        subtitle: "亲肤透气".into(),
        selling_points: vec!["22姆米桑蚕丝".into(), "可机洗".into()],
        category: "家居服".into(),
        brand: "丝语".into(),
        status: "on_sale".into(),
        material: "桑蚕丝".into(),
        size_chart: "尺码|胸围\nM|96".into(),
        shipping_hours: Some(48),
        after_sales: "7天无理由".into(),
        return_rate_permille: Some(125),
        review_tenths: Some(48),
        skus,
    }
}

fn draft(input: &ProductInput) -> ProductDraft {
    ProductDraft::parse(input).unwrap()
}

fn pajamas() -> ProductInput {
    input(
        "真丝睡衣",
        vec![
            sku(&[("颜色", "红"), ("尺码", "M")], 39900, "6901234567892"),
            sku(&[("颜色", "红"), ("尺码", "L")], 41900, ""),
            sku(&[("颜色", "蓝"), ("尺码", "M")], 38900, ""),
        ],
    )
}

async fn shop(t: &TestStore, name: &str) -> ShopId {
    t.store.create_shop(name, &ShopSettings::default()).await.unwrap()
}

fn change(sku: SkuId, reason: &str, delta: i64) -> StockChange {
    StockChange::parse(sku, reason, delta, "测试").unwrap()
}

/// A second connection straight to the file, to check the tables themselves.
async fn raw(t: &TestStore) -> SqlitePool {
    SqlitePool::connect_with(SqliteConnectOptions::new().filename(t.db_path())).await.unwrap()
}

#[tokio::test]
async fn a_product_with_its_skus_round_trips() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let got = t.store.product(shop, id).await.unwrap().unwrap();
    let p = &got.product;
    assert_eq!((p.title.as_str(), p.subtitle.as_str(), p.status), ("真丝睡衣", "亲肤透气", ProductStatus::OnSale));
    assert_eq!(p.selling_points, ["22姆米桑蚕丝", "可机洗"]);
    assert_eq!((p.category.as_str(), p.brand.as_str()), ("家居服", "丝语"));
    assert_eq!((p.facts.material.as_str(), p.facts.shipping_hours), ("桑蚕丝", Some(48)));
    assert_eq!(p.facts.size_chart_rows()[1], ["M", "96"]);
    assert_eq!((p.platform.return_rate_permille, p.platform.review_tenths), (Some(125), Some(48)));
    assert_eq!((p.price, p.list_price), (Fen(38900), Fen(77800)), "the cheapest SKU leads");
    assert_eq!((p.created_at, p.updated_at), (T0, T0));

    let specs: Vec<String> = got.skus.iter().map(|s| s.specs.to_string()).collect();
    assert_eq!(specs, ["颜色=红, 尺码=M", "颜色=红, 尺码=L", "颜色=蓝, 尺码=M"], "in the order given");
    let first = &got.skus[0];
    assert_eq!((first.price, first.cost, first.weight_g, first.stock), (Fen(39900), Fen(19950), 300, 0));
    assert_eq!(first.barcode.as_deref(), Some("6901234567892"));
    assert_eq!(t.store.sku(shop, first.id).await.unwrap().as_ref(), Some(first));
    assert_eq!(t.store.sku_by_barcode(shop, "6901234567892").await.unwrap().unwrap().id, first.id);

    // another shop sees none of it
    let other = self::shop(&t, "别的店").await;
    assert_eq!(t.store.product(other, id).await.unwrap(), None);
    assert_eq!(t.store.sku(other, first.id).await.unwrap(), None);
    let details = t.store.product_details_of_shop(shop).await.unwrap();
    assert_eq!(details, [got]);
}

#[tokio::test]
async fn titles_and_barcodes_are_unique_per_shop_and_a_refused_write_leaves_nothing() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let other = self::shop(&t, "别的店").await;
    t.store.create_product(shop, &draft(&pajamas())).await.unwrap();

    let same_title = input("真丝睡衣", vec![sku(&[], 100, "")]);
    let err = t.store.create_product(shop, &draft(&same_title)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(w) if w.contains("真丝睡衣")), "{err}");

    let same_barcode =
        input("丝巾", vec![sku(&[("颜色", "红")], 100, ""), sku(&[("颜色", "蓝")], 100, "6901234567892")]);
    let err = t.store.create_product(shop, &draft(&same_barcode)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(w) if w.contains("6901234567892")), "{err}");
    assert_eq!(t.store.product_by_title(shop, "丝巾").await.unwrap(), None, "the product row was rolled back");

    // another shop may use both
    t.store.create_product(other, &draft(&same_barcode)).await.unwrap();
    t.store.create_product(other, &draft(&pajamas())).await.unwrap_err(); // its barcode is now taken there

    // a batch is all or nothing: the second product's conflict undoes the first
    let batch = [draft(&input("枕套", vec![sku(&[], 100, "")])), draft(&same_title)];
    assert!(matches!(t.store.create_products(shop, &batch).await, Err(StoreError::Conflict(_))));
    assert_eq!(t.store.product_by_title(shop, "枕套").await.unwrap(), None);
    let pool = raw(&t).await;
    let skus: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM skus WHERE shop_id = ?").bind(shop.0).fetch_one(&pool).await.unwrap();
    assert_eq!(skus, 3, "only the pajamas' SKUs");
    assert!(matches!(t.store.create_product(ShopId(99), &draft(&pajamas())).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
async fn an_update_replaces_the_skus_all_or_nothing_and_keeps_their_stock() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let before = t.store.product(shop, id).await.unwrap().unwrap();
    let [red_m, red_l, blue_m] = [0, 1, 2].map(|i| before.skus[i].id);
    t.store.apply_stock_change(shop, &change(red_m, "purchase", 7), None).await.unwrap().unwrap();

    // red M and red L swap their specs, blue M goes, green M comes; prices change
    t.clock.advance_secs(60);
    let mut edit = pajamas();
    edit.title = "真丝睡衣套装".into();
    edit.skus = vec![
        SkuInput { id: Some(red_m.0), ..sku(&[("颜色", "红"), ("尺码", "L")], 45900, "6901234567892") },
        SkuInput { id: Some(red_l.0), ..sku(&[("颜色", "红"), ("尺码", "M")], 44900, "") },
        sku(&[("颜色", "绿"), ("尺码", "M")], 42900, ""),
    ];
    t.store.update_product(shop, id, &draft(&edit)).await.unwrap();
    let after = t.store.product(shop, id).await.unwrap().unwrap();
    assert_eq!(after.product.title, "真丝睡衣套装");
    assert_eq!((after.product.price, after.product.updated_at), (Fen(42900), T0.plus_secs(60)));
    assert_eq!(after.product.created_at, T0);
    let rows: Vec<_> = after.skus.iter().map(|s| (s.id, s.specs.to_string(), s.price, s.stock)).collect();
    assert_eq!(rows[0], (red_m, "颜色=红, 尺码=L".into(), Fen(45900), 7), "same SKU, same stock");
    assert_eq!(rows[1], (red_l, "颜色=红, 尺码=M".into(), Fen(44900), 0));
    assert!(!after.skus.iter().any(|s| s.id == blue_m));
    assert_eq!(t.store.sku(shop, blue_m).await.unwrap(), None);

    // leaving out a SKU with stock history is refused, and nothing changes
    t.clock.advance_secs(60);
    let mut drop_red_m = edit.clone();
    drop_red_m.title = "改了名字".into();
    drop_red_m.skus = vec![SkuInput { id: Some(red_l.0), ..sku(&[("颜色", "红"), ("尺码", "M")], 1, "") }];
    let err = t.store.update_product(shop, id, &draft(&drop_red_m)).await.unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(w) if w.contains("stock history")), "{err}");
    assert_eq!(t.store.product(shop, id).await.unwrap().unwrap(), after, "nothing half-saved");

    // a SKU id of another product, or a product of another shop, is not found
    let other_product = t.store.create_product(shop, &draft(&input("枕套", vec![sku(&[], 100, "")]))).await.unwrap();
    let foreign = t.store.product(shop, other_product).await.unwrap().unwrap().skus[0].id;
    let mut steal = edit.clone();
    steal.skus.push(SkuInput { id: Some(foreign.0), ..sku(&[("颜色", "黑"), ("尺码", "M")], 100, "") });
    assert!(matches!(t.store.update_product(shop, id, &draft(&steal)).await, Err(StoreError::NotFound(_))));
    let other_shop = self::shop(&t, "别的店").await;
    assert!(matches!(t.store.update_product(other_shop, id, &draft(&edit)).await, Err(StoreError::NotFound(_))));
    assert_eq!(t.store.product(shop, id).await.unwrap().unwrap(), after);

    t.store.set_product_status(shop, id, ProductStatus::OffSale).await.unwrap();
    assert_eq!(t.store.product(shop, id).await.unwrap().unwrap().product.status, ProductStatus::OffSale);
    assert!(matches!(
        t.store.set_product_status(other_shop, id, ProductStatus::OnSale).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn the_list_filters_by_status_and_finds_text_and_barcodes() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let pajamas = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let mut tea = input("普洱茶 100%古树", vec![sku(&[], 19900, "")]);
    tea.status = "draft".into();
    tea.brand = "云岭".into();
    let tea = t.store.create_product(shop, &draft(&tea)).await.unwrap();
    let sku = t.store.product(shop, pajamas).await.unwrap().unwrap().skus[1].id;
    t.store.apply_stock_change(shop, &change(sku, "purchase", 12), None).await.unwrap().unwrap();

    let find = |status: Option<ProductStatus>, text: &str| {
        let filter = ProductFilter { status, text: text.into() };
        let store = t.store.clone();
        async move {
            store.search_products(shop, &filter).await.unwrap().into_iter().map(|s| s.product.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(find(None, "").await, [pajamas, tea]);
    assert_eq!(find(Some(ProductStatus::Draft), "").await, [tea]);
    assert_eq!(find(Some(ProductStatus::OffSale), "").await, []);
    assert_eq!(find(None, "睡衣").await, [pajamas]);
    assert_eq!(find(None, "云岭").await, [tea], "the brand");
    assert_eq!(find(None, "6901234567892").await, [pajamas], "a barcode");
    assert_eq!(find(None, "100%").await, [tea], "% is a character, not a wildcard");
    assert_eq!(find(None, "0%古").await, [tea]);
    assert_eq!(find(None, "%").await, [tea]);
    assert_eq!(find(Some(ProductStatus::Draft), "睡衣").await, []);

    let all = t.store.search_products(shop, &ProductFilter::default()).await.unwrap();
    assert_eq!((all[0].sku_count, all[0].stock, all[0].cover), (3, 12, None));
}

fn image(tag: u8) -> NewImage {
    NewImage {
        mime: "image/png",
        width: 800,
        height: 600,
        original: vec![tag; 1000],
        sha256: format!("{tag:064x}"),
        thumb_mime: "image/jpeg",
        thumb_width: 400,
        thumb_height: 300,
        thumbnail: vec![tag; 100],
    }
}

#[tokio::test]
async fn images_are_kept_in_order_with_both_renditions_and_stay_in_their_shop() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let other = self::shop(&t, "别的店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let first = t.store.add_product_image(shop, id, &image(1)).await.unwrap();
    let second = t.store.add_product_image(shop, id, &image(2)).await.unwrap();
    assert_eq!((first.sort_order, second.sort_order), (0, 1));
    assert_eq!((first.width, first.height, first.byte_size, first.thumb_width), (800, 600, 1000, 400));
    assert_eq!(t.store.product_images(shop, id).await.unwrap(), [first.clone(), second.clone()]);

    let original = t.store.image_bytes(shop, id, second.id, Rendition::Original).await.unwrap().unwrap();
    assert_eq!((original.mime.as_str(), original.bytes.len(), original.bytes[0]), ("image/png", 1000, 2));
    let thumb = t.store.image_bytes(shop, id, second.id, Rendition::Thumbnail).await.unwrap().unwrap();
    assert_eq!((thumb.mime.as_str(), thumb.bytes.len(), thumb.sha256), ("image/jpeg", 100, format!("{:064x}", 2)));
    let summary = &t.store.search_products(shop, &ProductFilter::default()).await.unwrap()[0];
    assert_eq!(summary.cover, Some(first.id));

    assert_eq!(t.store.image_bytes(other, id, first.id, Rendition::Original).await.unwrap(), None);
    assert!(matches!(t.store.add_product_image(other, id, &image(3)).await, Err(StoreError::NotFound(_))));
    assert!(matches!(t.store.product_images(other, id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(t.store.delete_product_image(other, id, first.id).await, Err(StoreError::NotFound(_))));
    t.store.delete_product_image(shop, id, first.id).await.unwrap();
    assert_eq!(t.store.product_images(shop, id).await.unwrap(), [second]);
    assert!(matches!(t.store.delete_product_image(shop, id, ImageId(first.id.0)).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
async fn each_stock_change_is_a_ledger_entry_and_overselling_is_refused_without_a_trace() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let sku = t.store.product(shop, id).await.unwrap().unwrap().skus[0].id;

    let bought = t.store.apply_stock_change(shop, &change(sku, "purchase", 10), None).await.unwrap().unwrap();
    assert_eq!((bought.delta, bought.balance_after, bought.time, bought.actor), (10, 10, T0, None));
    t.clock.advance_secs(5);
    let sold = t.store.apply_stock_change(shop, &change(sku, "sale", -4), None).await.unwrap().unwrap();
    assert_eq!((sold.balance_after, sold.time), (6, T0.plus_secs(5)));

    let refused = t.store.apply_stock_change(shop, &change(sku, "reservation", -7), None).await.unwrap().unwrap_err();
    assert_eq!((refused.sku, refused.available, refused.wanted), (sku, 6, 7));
    let emptied = t.store.apply_stock_change(shop, &change(sku, "count_adjustment", -6), None).await.unwrap().unwrap();
    assert_eq!(emptied.balance_after, 0, "down to exactly zero is fine");

    let ledger = t.store.sku_ledger(shop, sku, None, 10).await.unwrap();
    assert_eq!(ledger.iter().map(|e| e.delta).collect::<Vec<_>>(), [-6, -4, 10], "newest first, the refusal absent");
    assert_eq!(t.store.sku_ledger(shop, sku, Some(ledger[1].id), 10).await.unwrap(), ledger[2..].to_vec());
    assert_eq!(t.store.product_ledger(shop, id, 2).await.unwrap(), ledger[..2].to_vec());
    assert_eq!(t.store.sku(shop, sku).await.unwrap().unwrap().stock, 0);

    let other = self::shop(&t, "别的店").await;
    assert!(matches!(
        t.store.apply_stock_change(other, &change(sku, "purchase", 1), None).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(t.store.sku_ledger(other, sku, None, 10).await, Err(StoreError::NotFound(_))));
    assert!(t.store.product_ledger(other, id, 10).await.unwrap().is_empty());
    let ghost = t.store.apply_stock_change(shop, &change(sku, "purchase", 1), Some(UserId(999))).await;
    assert!(matches!(ghost, Err(StoreError::NotFound(_))), "an unknown actor");
    assert_eq!(t.store.sku(shop, sku).await.unwrap().unwrap().stock, 0, "and that wrote nothing either");
}

#[tokio::test]
async fn the_schema_itself_refuses_negative_stock_and_edits_of_the_ledger() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let sku = t.store.product(shop, id).await.unwrap().unwrap().skus[0].id;
    t.store.apply_stock_change(shop, &change(sku, "purchase", 3), None).await.unwrap().unwrap();
    let pool = raw(&t).await;
    for sql in [
        "UPDATE stock_balances SET balance = -1",
        "UPDATE skus SET price_fen = -1",
        "UPDATE skus SET barcode = '69012345x7892'",
        "UPDATE stock_ledger SET delta = 300",
        "DELETE FROM stock_ledger",
        "INSERT INTO stock_ledger (sku_id, delta, reason, note, balance_after, time_ms) VALUES (1, 5, 'sale', '', 8, 0)",
        "INSERT INTO stock_ledger (sku_id, delta, reason, note, balance_after, time_ms) VALUES (1, -5, 'purchase', '', 0, 0)",
    ] {
        assert!(sqlx::query(sql).execute(&pool).await.is_err(), "{sql}");
    }
    assert_eq!(t.store.sku(shop, sku).await.unwrap().unwrap().stock, 3);
}

#[tokio::test]
async fn platform_figures_are_updated_cleared_and_kept_in_range_by_the_schema() {
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let figures = |p: &zhibo_store::ProductRecord| (p.platform.return_rate_permille, p.platform.review_tenths);

    let mut edit = pajamas();
    edit.return_rate_permille = Some(300);
    edit.review_tenths = None;
    t.store.update_product(shop, id, &draft(&edit)).await.unwrap();
    let got = t.store.product(shop, id).await.unwrap().unwrap();
    assert_eq!(figures(&got.product), (Some(300), None), "an update writes both, a blank one as NULL");
    let listed = t.store.search_products(shop, &ProductFilter::default()).await.unwrap();
    assert_eq!(figures(&listed[0].product), (Some(300), None), "the list reads them too");

    edit.return_rate_permille = None;
    edit.review_tenths = Some(0);
    t.store.update_product(shop, id, &draft(&edit)).await.unwrap();
    assert_eq!(figures(&t.store.product(shop, id).await.unwrap().unwrap().product), (None, Some(0)));

    let pool = raw(&t).await;
    for sql in [
        "UPDATE products SET return_rate_permille = 1001",
        "UPDATE products SET return_rate_permille = -1",
        "UPDATE products SET review_tenths = 51",
        "UPDATE products SET review_tenths = -1",
        "UPDATE products SET review_tenths = '4.8'",
    ] {
        assert!(sqlx::query(sql).execute(&pool).await.is_err(), "{sql}");
    }
    sqlx::query("UPDATE products SET return_rate_permille = 1000, review_tenths = 50").execute(&pool).await.unwrap();
    assert_eq!(figures(&t.store.product(shop, id).await.unwrap().unwrap().product), (Some(1000), Some(50)));
}

/// A small deterministic generator, so the test needs no extra crate and
/// each task's plan is the same on every run.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stock_equals_the_sum_of_its_ledger_under_concurrent_changes_and_never_goes_negative() {
    const TASKS: u64 = 8;
    const CHANGES: usize = 40;
    let t = TestStore::new().await;
    let shop = shop(&t, "店").await;
    let id = t.store.create_product(shop, &draft(&pajamas())).await.unwrap();
    let skus: Vec<SkuId> = t.store.product(shop, id).await.unwrap().unwrap().skus.iter().map(|s| s.id).collect();
    for &sku in &skus {
        t.store.apply_stock_change(shop, &change(sku, "purchase", 20), None).await.unwrap().unwrap();
    }

    // Each task's changes are fixed by its seed; more is taken than can come
    // in, so some changes must be refused whatever the interleaving.
    let plans: Vec<Vec<StockChange>> = (0..TASKS)
        .map(|task| {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (task + 1));
            (0..CHANGES)
                .map(|_| {
                    let sku = skus[rng.next(3) as usize];
                    let n = 1 + rng.next(6) as i64;
                    match rng.next(8) {
                        0 | 1 => change(sku, "purchase", n),
                        2 => change(sku, "release", n),
                        3 => change(sku, "reservation", -n),
                        4 => StockChange::parse(sku, "manual", if n % 2 == 0 { n } else { -n }, "样品").unwrap(),
                        _ => change(sku, "sale", -n - 2),
                    }
                })
                .collect()
        })
        .collect();
    let supply: i64 = 60 + plans.iter().flatten().filter(|c| c.delta > 0).map(|c| c.delta).sum::<i64>();
    let demand: i64 = plans.iter().flatten().filter(|c| c.delta < 0).map(|c| -c.delta).sum();
    assert!(demand > supply, "the plan must oversell: demand {demand}, supply {supply}");

    let mut handles = Vec::new();
    for plan in plans {
        let store: SqliteStore = t.store.clone();
        handles.push(tokio::spawn(async move {
            let (mut applied, mut refused) = (Vec::new(), 0usize);
            for c in plan {
                match store.apply_stock_change(shop, &c, None).await.unwrap() {
                    Ok(entry) => {
                        assert_eq!((entry.sku, entry.delta), (c.sku, c.delta));
                        assert!(entry.balance_after >= 0);
                        applied.push(entry);
                    }
                    Err(short) => {
                        assert!(short.available < short.wanted, "refused with enough stock: {short:?}");
                        refused += 1;
                    }
                }
            }
            (applied, refused)
        }));
    }
    let mut applied = Vec::new();
    let mut refused = 0;
    for h in handles {
        let (a, r) = h.await.unwrap();
        applied.extend(a);
        refused += r;
    }
    assert!(refused > 0 && !applied.is_empty(), "applied {} refused {refused}", applied.len());
    assert_eq!(applied.len() + refused, TASKS as usize * CHANGES);

    let pool = raw(&t).await;
    let rows: Vec<(i64, i64, i64, i64)> =
        sqlx::query_as("SELECT id, sku_id, delta, balance_after FROM stock_ledger ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        rows.len(),
        applied.len() + skus.len(),
        "one row per applied change (and the opening stock), none for a refusal"
    );
    let mut running: HashMap<i64, i64> = HashMap::new();
    for (id, sku, delta, balance_after) in &rows {
        let b = running.entry(*sku).or_default();
        *b += delta;
        assert!(*b >= 0, "entry {id} took sku {sku} below zero");
        assert_eq!(*b, *balance_after, "entry {id}: balance_after is the running sum");
    }
    for &sku in &skus {
        let (balance, sum): (i64, i64) = sqlx::query_as(
            "SELECT b.balance, (SELECT SUM(delta) FROM stock_ledger WHERE sku_id = b.sku_id) FROM stock_balances b WHERE b.sku_id = ?",
        )
        .bind(sku.0)
        .fetch_one(&pool)
        .await
        .unwrap();
        let applied_sum: i64 = 20 + applied.iter().filter(|e| e.sku == sku).map(|e| e.delta).sum::<i64>();
        assert_eq!((balance, sum), (applied_sum, applied_sum), "sku {sku}");
        assert!(balance >= 0);
        assert_eq!(t.store.sku(shop, sku).await.unwrap().unwrap().stock, balance);
    }
}

#[tokio::test]
async fn products_from_before_skus_get_one_sku_at_their_price() {
    let t = TestStore::new().await;
    // a database at migration 1 with a product in it, then the full store opened on it
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("old.db");
    let migrations = tempfile::TempDir::new().unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite/0001_init.sql");
    std::fs::copy(source, migrations.path().join("0001_init.sql")).unwrap();
    let pool =
        SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path).create_if_missing(true)).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.path()).await.unwrap().run(&pool).await.unwrap();
    sqlx::query("INSERT INTO shops (name, unpaid_order_timeout_minutes, default_language, created_at) VALUES ('店', 15, 'zh-CN', 0)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO products (shop_id, title, selling_points, list_price_fen, price_fen, created_at) VALUES (1, '老商品', '好用', 500, 300, 7)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&path, std::sync::Arc::new(t.clock.clone())).await.unwrap();
    let old = store.product(ShopId(1), ProductId(1)).await.unwrap().unwrap();
    assert_eq!(
        (old.product.title.as_str(), old.product.status, old.product.updated_at.0),
        ("老商品", ProductStatus::Draft, 7)
    );
    assert_eq!(old.product.selling_points, ["好用"]);
    assert_eq!(old.product.platform, Default::default(), "no platform figures until entered");
    assert_eq!(old.skus.len(), 1);
    let s = &old.skus[0];
    assert_eq!((s.specs.is_empty(), s.price, s.list_price, s.stock), (true, Fen(300), Fen(500), 0));
    store.apply_stock_change(ShopId(1), &change(s.id, "purchase", 2), None).await.unwrap().unwrap();
}

#[tokio::test]
async fn units_sold_count_only_sales_since_the_given_time() {
    let t = TestStore::new().await;
    let mine = shop(&t, "销量店").await;
    let id = t.store.create_product(mine, &draft(&pajamas())).await.unwrap();
    let skus = t.store.product(mine, id).await.unwrap().unwrap().skus;
    let (a, b) = (skus[0].id, skus[1].id);
    for sku in [a, b] {
        t.store.apply_stock_change(mine, &change(sku, "purchase", 50), None).await.unwrap().unwrap();
    }
    t.store.apply_stock_change(mine, &change(a, "sale", -3), None).await.unwrap().unwrap();
    t.clock.advance_secs(3600);
    let since = zhibo_domain::Clock::now(&t.clock);
    t.store.apply_stock_change(mine, &change(a, "sale", -2), None).await.unwrap().unwrap();
    t.store.apply_stock_change(mine, &change(b, "sale", -4), None).await.unwrap().unwrap();
    // a reservation is not a sale
    t.store.apply_stock_change(mine, &change(b, "reservation", -5), None).await.unwrap().unwrap();
    assert_eq!(t.store.units_sold_since(mine, since).await.unwrap(), [(id, 6)]);
    assert_eq!(t.store.units_sold_since(mine, T0).await.unwrap(), [(id, 9)]);
    let other = shop(&t, "别的店").await;
    assert!(t.store.units_sold_since(other, T0).await.unwrap().is_empty());
}
