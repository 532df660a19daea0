//! A promotion's rule in words, as the shop would say it on a poster:
//! 满300减40、满500减80; 2件9折; 满100减15券 ×100张 每人1张; 直播价 ¥199.00.
//!
//! Like the pricing engine's explanations these sentences are built from the
//! rule's figures, one builder per language, rather than catalogue rows:
//! each is a different word order around the figures. Products are named by
//! their titles where the catalog still has them, else by number.

use std::collections::BTreeMap;

use zhibo_domain::money::ShortYuan as Short;
use zhibo_domain::promotion::{
    Coupon, CouponBenefit, FlashSale, FullReduction, Gift, GiftTrigger, LivePrice, PromotionRule, QuantityDiscount,
    ReductionForm, Scope,
};
use zhibo_domain::{ProductId, SkuId};

use crate::i18n::Lang;

/// Product and SKU names for the summaries, from the shop's catalog.
#[derive(Debug, Default)]
pub struct Names {
    pub products: BTreeMap<ProductId, String>,
    /// `title（颜色=红）`, or the title alone for a SKU without specs.
    pub skus: BTreeMap<SkuId, String>,
}

impl Names {
    fn product(&self, id: ProductId) -> String {
        self.products.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    fn sku(&self, id: SkuId) -> String {
        self.skus.get(&id).cloned().unwrap_or_else(|| format!("SKU#{id}"))
    }
}

/// The rule of a promotion (any kind but a coupon) in words.
pub fn promotion(rule: &PromotionRule, lang: Lang, names: &Names) -> String {
    match rule {
        PromotionRule::FullReduction(r) => full_reduction(r, lang, names),
        PromotionRule::QuantityDiscount(r) => quantity_discount(r, lang, names),
        PromotionRule::LivePrice(r) => live_price(r, lang, names),
        PromotionRule::FlashSale(r) => flash_sale(r, lang, names),
        PromotionRule::Gift(r) => gift(r, lang, names),
    }
}

fn full_reduction(r: &FullReduction, lang: Lang, names: &Names) -> String {
    let zh = lang == Lang::ZhCn;
    let rule = match &r.form {
        ReductionForm::Tiers(tiers) => {
            let parts: Vec<String> = tiers
                .iter()
                .map(|t| match zh {
                    true => format!("满{}减{}", Short(t.threshold), Short(t.off)),
                    false => format!("spend ¥{} save ¥{}", Short(t.threshold), Short(t.off)),
                })
                .collect();
            parts.join(if zh { "、" } else { "; " })
        }
        ReductionForm::Repeating { every, off, max_times } => match (zh, max_times) {
            (true, None) => format!("每满{}减{}", Short(*every), Short(*off)),
            (true, Some(n)) => format!("每满{}减{}，最多{n}次", Short(*every), Short(*off)),
            (false, None) => format!("¥{} off every ¥{}", Short(*off), Short(*every)),
            (false, Some(n)) => format!("¥{} off every ¥{}, at most {n} times", Short(*off), Short(*every)),
        },
    };
    rule + &scope(&r.scope, lang, names)
}

fn quantity_discount(r: &QuantityDiscount, lang: Lang, names: &Names) -> String {
    let parts: Vec<String> = r
        .tiers
        .iter()
        .map(|t| match lang {
            Lang::ZhCn => format!("{}件{}", t.min_items, t.off.zhe()),
            Lang::En => format!("{}+ items {} off", t.min_items, t.off.percent()),
        })
        .collect();
    parts.join(if lang == Lang::ZhCn { "、" } else { "; " }) + &scope(&r.scope, lang, names)
}

fn live_price(r: &LivePrice, lang: Lang, names: &Names) -> String {
    let parts: Vec<String> = r
        .items
        .iter()
        .map(|i| {
            // a SKU's own item names the SKU (its name carries the product's title)
            let what = i.sku.map_or_else(|| names.product(i.product), |sku| names.sku(sku));
            match lang {
                Lang::ZhCn => format!("{what} 直播价 {}", i.price),
                Lang::En => format!("{what}: live price {}", i.price),
            }
        })
        .collect();
    parts.join(if lang == Lang::ZhCn { "；" } else { "; " }) + &show(r.show, lang)
}

fn flash_sale(r: &FlashSale, lang: Lang, names: &Names) -> String {
    let parts: Vec<String> = r
        .items
        .iter()
        .map(|i| match lang {
            Lang::ZhCn => {
                format!("{} 秒杀价 {} ×{}件 每人限{}件", names.sku(i.sku), i.price, i.quantity, i.per_buyer_limit)
            }
            Lang::En => format!(
                "{}: flash price {} × {}, limit {} per buyer",
                names.sku(i.sku),
                i.price,
                i.quantity,
                i.per_buyer_limit
            ),
        })
        .collect();
    parts.join(if lang == Lang::ZhCn { "；" } else { "; " }) + &show(r.show, lang)
}

fn gift(r: &Gift, lang: Lang, names: &Names) -> String {
    let (gift, q) = (names.sku(r.gift_sku), r.quantity);
    match (&r.trigger, lang) {
        (GiftTrigger::Spend { threshold, scope: s }, Lang::ZhCn) => {
            format!("满{}赠 {gift} ×{q}", Short(*threshold)) + &scope(s, lang, names)
        }
        (GiftTrigger::Spend { threshold, scope: s }, Lang::En) => {
            format!("spend ¥{}, get {gift} × {q} free", Short(*threshold)) + &scope(s, lang, names)
        }
        (GiftTrigger::Buy { product, min_quantity }, Lang::ZhCn) => {
            format!("买{} {min_quantity}件赠 {gift} ×{q}", names.product(*product))
        }
        (GiftTrigger::Buy { product, min_quantity }, Lang::En) => {
            format!("buy {min_quantity} × {}, get {gift} × {q} free", names.product(*product))
        }
    }
}

/// A coupon: 满100减15券 ×100张 每人1张.
pub fn coupon(c: &Coupon, lang: Lang, names: &Names) -> String {
    let (total, per) = (c.total_quantity(), c.per_buyer_limit());
    let threshold = c.threshold();
    let text = match lang {
        Lang::ZhCn => {
            let door = if threshold.0 == 0 { "无门槛".to_owned() } else { format!("满{}", Short(threshold)) };
            let benefit = match c.benefit() {
                CouponBenefit::AmountOff(off) => format!("{door}减{}券", Short(off)),
                CouponBenefit::PercentOff { off, cap: None } => format!("{door}享{}券", off.zhe()),
                CouponBenefit::PercentOff { off, cap: Some(cap) } => {
                    format!("{door}享{}券（最多减{}）", off.zhe(), Short(cap))
                }
            };
            format!("{benefit} ×{total}张 每人{per}张")
        }
        Lang::En => {
            let door =
                if threshold.0 == 0 { "no minimum".to_owned() } else { format!("on ¥{} or more", Short(threshold)) };
            let benefit = match c.benefit() {
                CouponBenefit::AmountOff(off) => format!("¥{} off {door}", Short(off)),
                CouponBenefit::PercentOff { off, cap: None } => format!("{} off {door}", off.percent()),
                CouponBenefit::PercentOff { off, cap: Some(cap) } => {
                    format!("{} off {door}, up to ¥{}", off.percent(), Short(cap))
                }
            };
            format!("coupon {benefit} × {total}, {per} per buyer")
        }
    };
    text + &scope(c.scope(), lang, names)
}

/// `（全店）` or `（限：普洱茶、大米）`; more than three products are counted.
fn scope(scope: &Scope, lang: Lang, names: &Names) -> String {
    match (scope, lang) {
        (Scope::Shop, Lang::ZhCn) => "（全店）".to_owned(),
        (Scope::Shop, Lang::En) => " (shop-wide)".to_owned(),
        (Scope::Products(list), _) if list.len() > 3 => match lang {
            Lang::ZhCn => format!("（限{}个商品）", list.len()),
            Lang::En => format!(" ({} products)", list.len()),
        },
        (Scope::Products(list), _) => {
            let titles: Vec<String> = list.iter().map(|p| names.product(*p)).collect();
            match lang {
                Lang::ZhCn => format!("（限：{}）", titles.join("、")),
                Lang::En => format!(" (only {})", titles.join(", ")),
            }
        }
    }
}

fn show(show: Option<i64>, lang: Lang) -> String {
    match (show, lang) {
        (None, _) => String::new(),
        (Some(s), Lang::ZhCn) => format!("（仅场次#{s}）"),
        (Some(s), Lang::En) => format!(" (show #{s} only)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhibo_domain::ids::CouponId;
    use zhibo_domain::promotion::{CouponDraft, LivePriceItem, QuantityTier, Rate, ReductionTier};
    use zhibo_domain::{Fen, Timestamp};

    fn names() -> Names {
        let mut n = Names::default();
        n.products.insert(ProductId(1), "普洱茶".into());
        n.products.insert(ProductId(2), "大米".into());
        n.skus.insert(SkuId(7), "普洱茶（规格=单饼）".into());
        n
    }

    #[test]
    fn tiers_and_repeats_read_as_the_shop_writes_them() {
        let r = PromotionRule::FullReduction(FullReduction {
            scope: Scope::Shop,
            form: ReductionForm::Tiers(vec![
                ReductionTier { threshold: Fen(30_000), off: Fen(4_000) },
                ReductionTier { threshold: Fen(50_000), off: Fen(8_050) },
            ]),
        });
        assert_eq!(promotion(&r, Lang::ZhCn, &names()), "满300减40、满500减80.5（全店）");
        assert_eq!(promotion(&r, Lang::En, &names()), "spend ¥300 save ¥40; spend ¥500 save ¥80.5 (shop-wide)");
        let r = PromotionRule::FullReduction(FullReduction {
            scope: Scope::Products(vec![ProductId(1), ProductId(9)]),
            form: ReductionForm::Repeating { every: Fen(10_000), off: Fen(1_000), max_times: Some(5) },
        });
        assert_eq!(promotion(&r, Lang::ZhCn, &names()), "每满100减10，最多5次（限：普洱茶、#9）");
    }

    #[test]
    fn multi_buy_live_price_and_gift() {
        let r = PromotionRule::QuantityDiscount(QuantityDiscount {
            scope: Scope::Shop,
            tiers: vec![
                QuantityTier { min_items: 2, off: Rate::zhe_tenths(90) },
                QuantityTier { min_items: 3, off: Rate::zhe_tenths(85) },
            ],
        });
        assert_eq!(promotion(&r, Lang::ZhCn, &names()), "2件9折、3件8.5折（全店）");
        assert_eq!(promotion(&r, Lang::En, &names()), "2+ items 10% off; 3+ items 15% off (shop-wide)");
        let r = PromotionRule::LivePrice(LivePrice {
            show: Some(3),
            items: vec![LivePriceItem::product(ProductId(1), Fen(19_900))],
        });
        assert_eq!(promotion(&r, Lang::ZhCn, &names()), "普洱茶 直播价 ¥199.00（仅场次#3）");
        // a SKU's own item is named by the SKU
        let r = PromotionRule::LivePrice(LivePrice {
            show: None,
            items: vec![
                LivePriceItem::product(ProductId(1), Fen(16_900)),
                LivePriceItem::sku(ProductId(1), SkuId(7), Fen(15_900)),
            ],
        });
        assert_eq!(promotion(&r, Lang::ZhCn, &names()), "普洱茶 直播价 ¥169.00；普洱茶（规格=单饼） 直播价 ¥159.00");
        assert_eq!(
            promotion(&r, Lang::En, &names()),
            "普洱茶: live price ¥169.00; 普洱茶（规格=单饼）: live price ¥159.00"
        );
        let r = PromotionRule::Gift(Gift {
            trigger: GiftTrigger::Spend { threshold: Fen(19_900), scope: Scope::Shop },
            gift_product: ProductId(1),
            gift_sku: SkuId(7),
            quantity: 1,
        });
        assert_eq!(promotion(&r, Lang::ZhCn, &names()), "满199赠 普洱茶（规格=单饼） ×1（全店）");
    }

    #[test]
    fn coupons_say_threshold_benefit_quantity_and_limit() {
        let draft = |threshold, benefit| CouponDraft {
            id: CouponId(1),
            name: "券".into(),
            scope: Scope::Shop,
            threshold: Fen(threshold),
            benefit,
            total_quantity: 100,
            per_buyer_limit: 1,
            claim_starts_at: Timestamp(0),
            claim_ends_at: Timestamp(1000),
            use_starts_at: Timestamp(0),
            use_ends_at: Timestamp(1000),
            budget: None,
        };
        let c = Coupon::new(draft(10_000, CouponBenefit::AmountOff(Fen(1_500)))).unwrap();
        assert_eq!(coupon(&c, Lang::ZhCn, &names()), "满100减15券 ×100张 每人1张（全店）");
        assert_eq!(coupon(&c, Lang::En, &names()), "coupon ¥15 off on ¥100 or more × 100, 1 per buyer (shop-wide)");
        let c = Coupon::new(draft(0, CouponBenefit::PercentOff { off: Rate::percent_off(10), cap: Some(Fen(2_000)) }))
            .unwrap();
        assert_eq!(coupon(&c, Lang::ZhCn, &names()), "无门槛享9折券（最多减20） ×100张 每人1张（全店）");
    }
}
