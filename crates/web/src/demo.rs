//! The demo shop that `zhibo demo` seeds: one account per role and a small
//! catalog. Seeding is idempotent: what exists is left as it is, so running
//! the demo again never duplicates or resets anything.

use zhibo_domain::account::{DisplayName, NewPassword, Username};
use zhibo_domain::catalog::ProductDraft;
use zhibo_domain::{Fen, Role, ShopId};
use zhibo_store::{NewProduct, NewUser, ShopSettings, Store};

use crate::auth::password;
use crate::error::WebError;

/// Every demo account signs in with this password. The demo listens on
/// 127.0.0.1 by default; a real deployment creates its own accounts.
pub const DEMO_PASSWORD: &str = "zhibo-demo";
pub const DEMO_SHOP: &str = "演示店铺 Demo Shop";

/// (username, display name, role)
pub const DEMO_ACCOUNTS: [(&str, &str, Role); 8] = [
    ("owner", "店主 王芳", Role::Owner),
    ("operator", "运营 李强", Role::Operator),
    ("streamer", "主播 小雨", Role::Streamer),
    ("assistant", "场控 阿杰", Role::Assistant),
    ("teacher", "教师 陈老师", Role::Teacher),
    ("student1", "学员 张三", Role::Student),
    ("student2", "学员 李四", Role::Student),
    ("viewer", "观众 小明", Role::Viewer),
];

/// (title, selling points, price in fen, list price in fen)
const DEMO_PRODUCTS: [(&str, &str, i64, i64); 5] = [
    ("云南古树普洱茶 357g", "十年陈香；古树单株；附冲泡指南", 19_900, 29_900),
    ("真丝睡衣套装", "22姆米桑蚕丝；亲肤透气；可机洗", 39_900, 69_900),
    ("五常稻花香大米 5kg", "当季新米；产地直发；真空包装", 6_990, 9_900),
    ("便携榨汁杯", "无线充电；一次充电榨15杯；可拆洗", 12_900, 19_900),
    ("羊毛混纺围巾", "30%羊毛；不扎脖；多色可选", 8_900, 15_900),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub shop: ShopId,
    pub accounts_created: usize,
    pub products_created: usize,
}

pub async fn seed(store: &dyn Store) -> Result<Seeded, WebError> {
    let shop = match store.first_shop().await? {
        Some(shop) => shop.id,
        None => store.create_shop(DEMO_SHOP, &ShopSettings::default()).await?,
    };
    let mut accounts_created = 0;
    for (username, display_name, role) in DEMO_ACCOUNTS {
        let username = Username::parse(username)?;
        if store.user_by_username(&username).await?.is_some() {
            continue;
        }
        let password_hash = password::hash(NewPassword::parse(DEMO_PASSWORD)?.expose().to_owned()).await?;
        let user = NewUser { shop, username, display_name: DisplayName::parse(display_name)?, role, password_hash };
        store.create_user(&user).await?;
        accounts_created += 1;
    }
    let mut products_created = 0;
    for (title, points, price, list_price) in DEMO_PRODUCTS {
        if store.product_by_title(shop, title).await?.is_some() {
            continue;
        }
        let draft = ProductDraft::parse(title, points, Fen(price), Fen(list_price))
            .map_err(|errors| WebError::Internal(anyhow::anyhow!("demo product {title} is invalid: {errors:?}")))?;
        let product = NewProduct {
            shop,
            title: draft.title,
            selling_points: draft.selling_points,
            price: draft.price,
            list_price: draft.list_price,
        };
        store.create_product(&product).await?;
        products_created += 1;
    }
    Ok(Seeded { shop, accounts_created, products_created })
}
