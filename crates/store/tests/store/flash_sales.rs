//! Flash sales: opening reserves the whole quantity in the same
//! transaction as the sale (or refuses and writes nothing), the sale's
//! wins are orders that move no stock, and closing counts those orders and
//! gives exactly the rest back, once, so sold + returned = quantity and the
//! ledger balances.

use std::collections::BTreeMap;

use zhibo_domain::account::{DisplayName, Username};
use zhibo_domain::catalog::{ProductDraft, ProductInput, SkuInput};
use zhibo_domain::order::{OrderSource, ShippingAddress};
use zhibo_domain::show::{LineupInput, ShowDraft, ShowInput};
use zhibo_domain::stock::{StockChange, StockReason};
use zhibo_domain::{Fen, FlashSaleId, ProductId, Role, RoomId, ShopId, SkuId, UserId};
use zhibo_store::flash_sales::{FlashSaleStore, NewFlashSale};
use zhibo_store::orders::{NewOrder, NewOrderLine, OrderStore, StockSource};
use zhibo_store::shows::ShowStore;
use zhibo_store::{AccountStore, CatalogStore, NewUser, ShopSettings, ShopStore, StockStore, StoreError};

use crate::helpers::*;

struct Fixture {
    t: TestStore,
    shop: ShopId,
    show: RoomId,
    product: ProductId,
    sku: SkuId,
    buyers: Vec<UserId>,
}

async fn fixture(stock: i64) -> Fixture {
    let t = TestStore::new().await;
    let shop = t.store.create_shop("秒杀店", &ShopSettings::default()).await.unwrap();
    let sku_input = SkuInput {
        id: None,
        specs: vec![("颜色".into(), "红".into())],
        list_price: Fen(0),
        price: Fen(1000),
        cost: Fen(0),
        weight_g: 0,
        barcode: String::new(),
    };
    let input =
        ProductInput {
            title: "保温杯".into(), status: "on_sale".into(), skus: vec![sku_input], ..Default::default()
        };
    let product = t.store.create_product(shop, &ProductDraft::parse(&input).unwrap()).await.unwrap();
    let sku = t.store.product(shop, product).await.unwrap().unwrap().skus[0].id;
    let change = StockChange::parse(sku, "purchase", stock, "入库").unwrap();
    t.store.apply_stock_change(shop, &change, None).await.unwrap().unwrap();
    let show_input = ShowInput {
        title: "秒杀专场".into(),
        intro: String::new(),
        scheduled_start: T0,
        streamer: None,
        assistant: None,
        promotion_budget: None,
        lineup: vec![LineupInput {
            product,
            role: "traffic".into(),
            live_price: None,
            push_offset_minutes: None,
            talking_points: String::new(),
        }],
        run_sheet: Vec::new(),
    };
    let prices = BTreeMap::from([(product, Fen(1000))]);
    let show = t.store.create_show(shop, &ShowDraft::parse(&show_input, &prices).unwrap()).await.unwrap();
    let mut buyers = Vec::new();
    for i in 0..3 {
        let user = NewUser {
            shop,
            username: Username::parse(&format!("buyer{i}")).unwrap(),
            display_name: DisplayName::parse(&format!("买家{i}")).unwrap(),
            role: Role::Viewer,
            password_hash: "$argon2id$not-a-real-hash".into(),
        };
        buyers.push(t.store.create_user(&user).await.unwrap());
    }
    Fixture { t, shop, show, product, sku, buyers }
}

impl Fixture {
    fn sale(&self, quantity: u32) -> NewFlashSale {
        NewFlashSale {
            shop: self.shop,
            show: self.show,
            product: self.product,
            sku: self.sku,
            price: Fen(99),
            quantity,
            per_buyer: 1,
            starts_at: T0,
            ends_at: None,
            actor: None,
        }
    }

    async fn stock(&self) -> i64 {
        self.t.store.sku(self.shop, self.sku).await.unwrap().unwrap().stock
    }

    fn win(&self, sale: FlashSaleId, buyer: usize, quantity: u32, request: &str) -> NewOrder {
        NewOrder {
            shop: self.shop,
            show: Some(self.show),
            buyer: self.buyers[buyer],
            lines: vec![NewOrderLine { sku: self.sku, quantity, unit_price: Fen(99) }],
            discount: Fen(0),
            claim: None,
            address: ShippingAddress::parse("张三", "13800138000", "浙江省杭州市", "文三路100号").unwrap(),
            source: OrderSource::FlashSale(sale),
            request_key: format!("flash:{sale}:{request}"),
            expires_at: T0.plus_secs(900),
            stock: StockSource::AlreadyReserved,
        }
    }
}

#[tokio::test]
async fn opening_reserves_the_whole_quantity_or_writes_nothing() {
    let f = fixture(10).await;
    let short = f.t.store.open_flash_sale(&f.sale(11)).await.unwrap().unwrap_err();
    assert_eq!((short.available, short.wanted), (10, 11));
    assert_eq!(f.stock().await, 10);
    assert!(f.t.store.open_flash_sales(f.shop, f.show).await.unwrap().is_empty());

    let sale = f.t.store.open_flash_sale(&f.sale(6)).await.unwrap().unwrap();
    assert_eq!((sale.quantity, sale.per_buyer, sale.price, sale.ended), (6, 1, Fen(99), None));
    assert_eq!(f.stock().await, 4);
    let ledger = f.t.store.sku_ledger(f.shop, f.sku, None, 10).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta), (StockReason::Reservation, -6));
    assert_eq!(f.t.store.open_flash_sales(f.shop, f.show).await.unwrap(), vec![sale.clone()]);

    // A SKU that is not the product's is refused.
    let mut wrong = f.sale(1);
    wrong.sku = SkuId(9_999);
    assert!(matches!(f.t.store.open_flash_sale(&wrong).await, Err(StoreError::NotFound(_))));
}

#[tokio::test]
async fn closing_counts_the_orders_and_gives_exactly_the_rest_back_once() {
    let f = fixture(10).await;
    let sale = f.t.store.open_flash_sale(&f.sale(6)).await.unwrap().unwrap();
    let placed = f.t.store.place_orders(vec![f.win(sale.id, 0, 1, "a"), f.win(sale.id, 1, 2, "b")]).await.unwrap();
    assert!(placed.iter().all(Result::is_ok));
    // The wins moved no stock: the sale had reserved it.
    assert_eq!(f.stock().await, 4);
    let orders = f.t.store.flash_sale_orders(f.shop, sale.id).await.unwrap();
    assert_eq!(orders.iter().map(|o| (o.buyer, o.units)).collect::<Vec<_>>(), [(f.buyers[0], 1), (f.buyers[1], 2)]);
    assert_eq!(orders[1].request_key, format!("flash:{}:b", sale.id));

    f.t.clock.advance_secs(60);
    let closed = f.t.store.close_flash_sale(f.shop, sale.id, None).await.unwrap();
    let end = closed.ended.unwrap();
    assert_eq!((end.sold, end.returned, end.at), (3, 3, T0.plus_secs(60)));
    assert_eq!(f.stock().await, 7);
    let ledger = f.t.store.sku_ledger(f.shop, f.sku, None, 10).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta, ledger[0].balance_after), (StockReason::Release, 3, 7));
    // Closing again changes nothing.
    assert_eq!(f.t.store.close_flash_sale(f.shop, sale.id, None).await.unwrap(), closed);
    assert_eq!(f.stock().await, 7);
    assert!(f.t.store.open_flash_sales(f.shop, f.show).await.unwrap().is_empty());
    assert_eq!(f.t.store.flash_sale(f.shop, sale.id).await.unwrap(), Some(closed));
}

#[tokio::test]
async fn a_sold_out_sale_gives_nothing_back_and_another_shop_sees_no_sale() {
    let f = fixture(5).await;
    let sale = f.t.store.open_flash_sale(&f.sale(2)).await.unwrap().unwrap();
    f.t.store.place_orders(vec![f.win(sale.id, 0, 1, "a"), f.win(sale.id, 1, 1, "b")]).await.unwrap();
    let ledger_before = f.t.store.sku_ledger(f.shop, f.sku, None, 10).await.unwrap().len();
    let end = f.t.store.close_flash_sale(f.shop, sale.id, None).await.unwrap().ended.unwrap();
    assert_eq!((end.sold, end.returned), (2, 0));
    assert_eq!(f.t.store.sku_ledger(f.shop, f.sku, None, 10).await.unwrap().len(), ledger_before);
    assert_eq!(f.stock().await, 3);
    let other = f.t.store.create_shop("别家", &ShopSettings::default()).await.unwrap();
    assert_eq!(f.t.store.flash_sale(other, sale.id).await.unwrap(), None);
    assert!(matches!(f.t.store.close_flash_sale(other, sale.id, None).await, Err(StoreError::NotFound(_))));
}
