//! The demo shop that `zhibo demo` seeds: one account per role and a small
//! catalog of products with SKUs, facts for quick answers and opening stock.
//! Seeding is idempotent: what exists is left as it is, so running the demo
//! again never duplicates or resets anything.

use zhibo_domain::account::{DisplayName, NewPassword, Username};
use zhibo_domain::catalog::{Barcode, ProductDraft, ProductInput, SkuInput};
use zhibo_domain::stock::StockChange;
use zhibo_domain::{Fen, Role, ShopId};
use zhibo_store::{NewUser, ShopSettings, Store};

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

/// A demo SKU: its specs, prices in fen, weight, and opening stock.
struct DemoSku {
    specs: &'static [(&'static str, &'static str)],
    list_price: i64,
    price: i64,
    cost: i64,
    weight_g: i64,
    opening_stock: i64,
}

struct DemoProduct {
    title: &'static str,
    subtitle: &'static str,
    selling_points: &'static [&'static str],
    category: &'static str,
    brand: &'static str,
    material: &'static str,
    size_chart: &'static str,
    shipping_hours: i64,
    after_sales: &'static str,
    /// The platform's return rate in ‰ and review score in tenths (平台数据).
    figures: (Option<i64>, Option<i64>),
    skus: &'static [DemoSku],
}

const fn sku(
    specs: &'static [(&'static str, &'static str)],
    list_price: i64,
    price: i64,
    cost: i64,
    weight_g: i64,
    opening_stock: i64,
) -> DemoSku {
    DemoSku { specs, list_price, price, cost, weight_g, opening_stock }
}

const DEMO_PRODUCTS: [DemoProduct; 5] = [
    DemoProduct {
        title: "云南古树普洱茶 357g",
        subtitle: "2016年春茶压制，十年陈香",
        selling_points: &["十年陈香", "古树单株", "附冲泡指南"],
        category: "茶叶",
        brand: "云岭",
        material: "云南大叶种晒青毛茶",
        size_chart: "",
        shipping_hours: 48,
        after_sales: "未拆封7天无理由退货",
        figures: (Some(21), Some(48)),
        skus: &[
            sku(&[("规格", "单饼357g")], 29_900, 19_900, 8_000, 420, 120),
            sku(&[("规格", "礼盒双饼")], 55_900, 37_900, 16_500, 950, 40),
        ],
    },
    DemoProduct {
        title: "真丝睡衣套装",
        subtitle: "22姆米桑蚕丝，亲肤透气",
        selling_points: &["22姆米桑蚕丝", "亲肤透气", "可机洗"],
        category: "家居服",
        brand: "丝语",
        material: "100%桑蚕丝（22姆米）",
        size_chart: "尺码|身高cm|胸围cm|衣长cm\nM|160-165|96|64\nL|165-170|100|66\nXL|170-175|104|68",
        shipping_hours: 24,
        after_sales: "7天无理由退换；赠运费险",
        figures: (Some(186), Some(46)),
        skus: &[
            sku(&[("颜色", "香槟"), ("尺码", "M")], 69_900, 39_900, 15_800, 350, 30),
            sku(&[("颜色", "香槟"), ("尺码", "L")], 69_900, 39_900, 15_800, 360, 25),
            sku(&[("颜色", "香槟"), ("尺码", "XL")], 69_900, 39_900, 15_800, 370, 12),
            sku(&[("颜色", "墨绿"), ("尺码", "M")], 69_900, 39_900, 15_800, 350, 18),
            sku(&[("颜色", "墨绿"), ("尺码", "L")], 69_900, 39_900, 15_800, 360, 20),
            sku(&[("颜色", "墨绿"), ("尺码", "XL")], 69_900, 39_900, 15_800, 370, 8),
        ],
    },
    DemoProduct {
        title: "五常稻花香大米 5kg",
        subtitle: "当季新米，产地直发",
        selling_points: &["当季新米", "产地直发", "真空包装"],
        category: "粮油",
        brand: "黑土地",
        material: "五常稻花香2号粳米",
        size_chart: "",
        shipping_hours: 48,
        after_sales: "破损包赔",
        figures: (Some(12), Some(49)),
        skus: &[sku(&[], 9_900, 6_990, 3_800, 5_200, 300)],
    },
    DemoProduct {
        title: "便携榨汁杯",
        subtitle: "无线充电，随身鲜榨",
        selling_points: &["无线充电", "一次充电榨15杯", "可拆洗"],
        category: "小家电",
        brand: "鲜活",
        material: "食品级Tritan杯体，304不锈钢刀头",
        size_chart: "",
        shipping_hours: 24,
        after_sales: "一年保修，7天无理由退换",
        figures: (Some(94), Some(45)),
        skus: &[
            sku(&[("颜色", "奶白")], 19_900, 12_900, 5_200, 650, 80),
            sku(&[("颜色", "樱粉")], 19_900, 12_900, 5_200, 650, 60),
        ],
    },
    DemoProduct {
        title: "羊毛混纺围巾",
        subtitle: "30%羊毛，柔软不扎",
        selling_points: &["30%羊毛", "不扎脖", "多色可选"],
        category: "服饰配件",
        brand: "暖冬",
        material: "30%羊毛，70%腈纶",
        size_chart: "长|宽\n180cm|35cm",
        shipping_hours: 72,
        after_sales: "7天无理由退换",
        figures: (None, None),
        skus: &[
            sku(&[("颜色", "驼色")], 15_900, 8_900, 3_100, 200, 50),
            sku(&[("颜色", "灰色")], 15_900, 8_900, 3_100, 200, 45),
            sku(&[("颜色", "酒红")], 15_900, 8_900, 3_100, 200, 35),
        ],
    },
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
    for (n, demo) in DEMO_PRODUCTS.iter().enumerate() {
        if store.product_by_title(shop, demo.title).await?.is_some() {
            continue;
        }
        let invalid =
            |what: String| WebError::Internal(anyhow::anyhow!("demo product {} is invalid: {what}", demo.title));
        let draft = ProductDraft::parse(&demo_input(n, demo)?).map_err(|errors| invalid(format!("{errors:?}")))?;
        let id = store.create_product(shop, &draft).await?;
        // Opening stock goes in through the ledger like any other change.
        let detail = store.product(shop, id).await?.ok_or_else(|| invalid("vanished".into()))?;
        for (sku, demo_sku) in detail.skus.iter().zip(demo.skus) {
            let change = StockChange::parse(sku.id, "purchase", demo_sku.opening_stock, "期初库存 / opening stock")
                .map_err(|errors| invalid(format!("{errors:?}")))?;
            store.apply_stock_change(shop, &change, None).await?.map_err(|e| invalid(e.to_string()))?;
        }
        products_created += 1;
    }
    seed_show(store, shop).await?;
    seed_moderation(store, shop).await?;
    Ok(Seeded { shop, accounts_created, products_created })
}

fn demo_input(n: usize, demo: &DemoProduct) -> Result<ProductInput, WebError> {
    let mut skus = Vec::new();
    for (i, s) in demo.skus.iter().enumerate() {
        // 690… is China's GS1 prefix; the check digit is computed.
        let barcode = Barcode::with_check_digit(&format!("6901234{n:02}{i:03}"))?;
        skus.push(SkuInput {
            id: None,
            specs: s.specs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            list_price: Fen(s.list_price),
            price: Fen(s.price),
            cost: Fen(s.cost),
            weight_g: s.weight_g,
            barcode: barcode.as_str().to_owned(),
        });
    }
    Ok(ProductInput {
        title: demo.title.into(),
        subtitle: demo.subtitle.into(),
        selling_points: demo.selling_points.iter().map(|p| (*p).to_owned()).collect(),
        category: demo.category.into(),
        brand: demo.brand.into(),
        status: "on_sale".into(),
        material: demo.material.into(),
        size_chart: demo.size_chart.into(),
        shipping_hours: Some(demo.shipping_hours),
        after_sales: demo.after_sales.into(),
        return_rate_permille: demo.figures.0,
        review_tenths: demo.figures.1,
        skus,
    })
}

/// The demo's planned show. Skipped when a show of that title exists.
pub const DEMO_SHOW: &str = "今晚8点 茶与家居专场";

/// (product title, role, live price in fen, push minutes after the start, talking points)
const DEMO_LINEUP: [(&str, &str, Option<i64>, i64, &str); 5] = [
    ("五常稻花香大米 5kg", "traffic", Some(4_990), 5, "开场福利：当季新米，产地直发，49.9元到手"),
    ("云南古树普洱茶 357g", "profit", Some(16_900), 15, "十年陈香，古树单株；演示冲泡，讲清存放"),
    ("真丝睡衣套装", "image", None, 35, "22姆米桑蚕丝，上身展示，讲尺码表"),
    ("便携榨汁杯", "profit", Some(9_900), 55, "现场榨汁演示，一次充电榨15杯"),
    ("羊毛混纺围巾", "giveaway", Some(5_900), 75, "福袋款：关注主播参与，三色可选"),
];

/// (kind, title, start minute, minutes)
const DEMO_RUN_SHEET: [(&str, &str, i64, i64); 6] = [
    ("opening", "开场暖场，介绍今晚福利", 0, 5),
    ("product", "引流款：五常大米", 5, 10),
    ("product", "利润款：普洱茶与榨汁杯", 15, 45),
    ("interaction", "答疑与互动", 60, 10),
    ("lottery", "福袋：羊毛围巾", 70, 10),
    ("closing", "返场与下播预告", 80, 10),
];

async fn seed_show(store: &dyn Store, shop: ShopId) -> Result<(), WebError> {
    use zhibo_domain::localtime::parse_shop_time;
    use zhibo_domain::show::{LineupInput, SegmentInput, ShowDraft, ShowInput};
    if store.show_by_title(shop, DEMO_SHOW).await?.is_some() {
        return Ok(());
    }
    let invalid = |what: String| WebError::Internal(anyhow::anyhow!("demo show is invalid: {what}"));
    let mut lineup = Vec::new();
    let mut prices = std::collections::BTreeMap::new();
    for (title, role, live_price, push, points) in DEMO_LINEUP {
        let product = store.product_by_title(shop, title).await?.ok_or_else(|| invalid(format!("no {title}")))?;
        prices.insert(product.id, product.price);
        lineup.push(LineupInput {
            product: product.id,
            role: role.into(),
            live_price: live_price.map(Fen),
            push_offset_minutes: Some(push),
            talking_points: points.into(),
        });
    }
    let user = |name: &'static str| async move {
        Ok::<_, WebError>(store.user_by_username(&Username::parse(name)?).await?.map(|u| u.id))
    };
    let input = ShowInput {
        title: DEMO_SHOW.into(),
        intro: "茶与家居好物专场：普洱、真丝、小家电，福袋送围巾。".into(),
        scheduled_start: parse_shop_time("scheduled_start", "2026-11-25T20:00")?,
        streamer: user("streamer").await?,
        assistant: user("assistant").await?,
        promotion_budget: Some(Fen::from_yuan(2_000)),
        lineup,
        run_sheet: DEMO_RUN_SHEET
            .iter()
            .map(|(kind, title, start, minutes)| SegmentInput {
                kind: (*kind).into(),
                title: (*title).into(),
                start_offset_minutes: *start,
                minutes: *minutes,
            })
            .collect(),
    };
    let draft = ShowDraft::parse(&input, &prices).map_err(|errors| invalid(format!("{errors:?}")))?;
    store.create_show(shop, &draft).await?;
    Ok(())
}

/// Words live-commerce platforms forbid in comments: taking the trade off
/// the platform (加微信, 私聊, 加V) and absolute claims (最便宜, 全网最低).
pub const DEMO_SENSITIVE_WORDS: &[&str] = &["加微信", "加V", "私聊", "最便宜", "全网最低"];

/// The demo's word list, only for a shop that never saved a policy (so a
/// shop's own edits, even an empty list, are never overwritten).
async fn seed_moderation(store: &dyn Store, shop: ShopId) -> Result<(), WebError> {
    if store.moderation_policy(shop).await?.updated_at.is_some() {
        return Ok(());
    }
    let words: Vec<String> = DEMO_SENSITIVE_WORDS.iter().map(|w| (*w).to_owned()).collect();
    store.save_moderation_policy(shop, zhibo_domain::moderation::ModerationMode::Block, &words).await?;
    Ok(())
}
