//! Hand-checked examples. Every expected figure below was worked out by
//! hand (the comment shows the arithmetic, amounts in fen unless written
//! ¥), never copied from the engine's output.

use super::*;
use crate::pricing::{DiscountDetail, DiscountSource, FlashLimit, GiftReason, bench_fixture};
use crate::promotion::PromotionKind;

/// One example: a cart, what is in force, and what must come out.
#[derive(Default)]
struct Case {
    name: &'static str,
    lines: Vec<CartLine>,
    promotions: Vec<Promotion>,
    coupons: Vec<Coupon>,
    usage: Vec<FlashSaleUsage>,
    /// `None`: [`NOW`].
    now: Option<Timestamp>,
    /// Each line's final total, in cart order.
    totals: Vec<i64>,
    payable: i64,
    /// (promotion or coupon id, amount) of every discount, in order of application.
    discounts: Vec<(i64, i64)>,
    coupon: Option<i64>,
    /// SKUs of the gifts earned.
    gifts: Vec<i64>,
    /// Promotions left out to keep a threshold.
    skipped: Vec<i64>,
}

fn usage(promotion: i64, product: i64, remaining: u32, bought_by_buyer: u32) -> FlashSaleUsage {
    FlashSaleUsage { promotion: PromotionId(promotion), sku: sku(product), remaining, bought_by_buyer }
}

fn source_id(source: DiscountSource) -> i64 {
    match source {
        DiscountSource::Promotion(id) => id.0,
        DiscountSource::Coupon(id) => id.0,
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty cart: nothing to pay, nothing applied, no coupon used",
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)])), promo(2, live(None, &[(1, 100)]))],
            coupons: vec![coupon(101, 0, 500)],
            ..Case::default()
        },
        Case {
            name: "no promotion: 2×¥100 + 1×¥50",
            lines: vec![line(1, 10000, 2), line(2, 5000, 1)],
            // 2×10000 = 20000; 1×5000 = 5000; Σ 25000
            totals: vec![20000, 5000],
            payable: 25000,
            ..Case::default()
        },
        Case {
            name: "live price ¥59 for a ¥79 product, 2 units",
            lines: vec![line(1, 7900, 2)],
            promotions: vec![promo(1, live(None, &[(1, 5900)]))],
            // 2×5900 = 11800; off 2×(7900−5900) = 4000
            totals: vec![11800],
            payable: 11800,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "live price of show 7 reaches only the line added in show 7",
            lines: vec![line(1, 7900, 1).in_show(7), line(1, 7900, 1).in_show(8), line(1, 7900, 1)],
            promotions: vec![promo(1, live(Some(7), &[(1, 5900)]))],
            // 5900 + 7900 + 7900 = 21700; off 7900−5900 = 2000 on the first line only
            totals: vec![5900, 7900, 7900],
            payable: 21700,
            discounts: vec![(1, 2000)],
            ..Case::default()
        },
        Case {
            name: "a live price above the cart's price never raises it",
            lines: vec![line(1, 5000, 1)],
            promotions: vec![promo(1, live(None, &[(1, 6000)]))],
            totals: vec![5000],
            payable: 5000,
            ..Case::default()
        },
        Case {
            name: "two live prices do not stack: the lower wins",
            lines: vec![line(1, 7900, 1)],
            promotions: vec![promo(1, live(None, &[(1, 6900)])), promo(2, live(None, &[(1, 5900)]))],
            // min(6900, 5900) = 5900; off 7900−5900 = 2000, from promotion 2
            totals: vec![5900],
            payable: 5900,
            discounts: vec![(2, 2000)],
            ..Case::default()
        },
        Case {
            name: "a SKU's own live price comes before its product's; other SKUs keep the product's",
            // the demo's tea: 单饼 SKU 11 at ¥199, 礼盒 SKU 12 at ¥379, a third SKU 13 at ¥299
            lines: vec![sku_line(1, 11, 19900, 1), sku_line(1, 12, 37900, 1), sku_line(1, 13, 29900, 1)],
            promotions: vec![promo(1, live_skus(None, &[(1, None, 16900), (1, Some(12), 34900)]))],
            // SKU 11: product item 16900 (off 3000); SKU 12: own item 34900 (off 3000);
            // SKU 13: product item 16900 (off 13000); Σ 16900 + 34900 + 16900 = 68700
            totals: vec![16900, 34900, 16900],
            payable: 68700,
            discounts: vec![(1, 3000), (1, 3000), (1, 13000)],
            ..Case::default()
        },
        Case {
            name: "a SKU's own live price wins in its rule even when its product's is lower",
            lines: vec![sku_line(1, 12, 37900, 1)],
            promotions: vec![promo(1, live_skus(None, &[(1, None, 16900), (1, Some(12), 34900)]))],
            // the SKU item is the rule's price for SKU 12: 34900, not 16900; off 3000
            totals: vec![34900],
            payable: 34900,
            discounts: vec![(1, 3000)],
            ..Case::default()
        },
        Case {
            name: "SKU items only: a SKU without one keeps its own price",
            lines: vec![sku_line(1, 11, 19900, 2), sku_line(1, 12, 37900, 1)],
            promotions: vec![promo(1, live_skus(None, &[(1, Some(11), 16900)]))],
            // SKU 11: 2×16900 = 33800 (off 2×3000 = 6000); SKU 12: 37900, untouched
            totals: vec![33800, 37900],
            payable: 71700,
            discounts: vec![(1, 6000)],
            ..Case::default()
        },
        Case {
            name: "a SKU item never raises its price",
            lines: vec![sku_line(1, 11, 19900, 1)],
            promotions: vec![promo(1, live_skus(None, &[(1, None, 10000), (1, Some(11), 25000)]))],
            // SKU 11's own item 25000 > 19900: the cart's price stands, the product item is not used
            totals: vec![19900],
            payable: 19900,
            ..Case::default()
        },
        Case {
            name: "across rules the lowest live price still wins, SKU item or not",
            lines: vec![sku_line(1, 12, 37900, 1)],
            promotions: vec![
                promo(1, live_skus(None, &[(1, Some(12), 34900)])),
                promo(2, live_skus(None, &[(1, None, 30000)])),
            ],
            // rule 1 gives SKU 12 34900, rule 2 gives it 30000: min 30000, off 7900, from rule 2
            totals: vec![30000],
            payable: 30000,
            discounts: vec![(2, 7900)],
            ..Case::default()
        },
        Case {
            name: "a SKU item of show 7 reaches only that SKU's line added in show 7",
            lines: vec![sku_line(1, 12, 37900, 1).in_show(7), sku_line(1, 12, 37900, 1)],
            promotions: vec![promo(1, live_skus(Some(7), &[(1, Some(12), 34900)]))],
            // 34900 + 37900 = 72800; off 3000 on the first line only
            totals: vec![34900, 37900],
            payable: 72800,
            discounts: vec![(1, 3000)],
            ..Case::default()
        },
        Case {
            name: "flash price within the buyer's limit",
            lines: vec![line(1, 10000, 1)],
            promotions: vec![promo(1, flash(&[(1, 6000, 10, 2)]))],
            // 1 unit ≤ limit 2: 6000; off 4000
            totals: vec![6000],
            payable: 6000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "flash limit 2 per buyer, 1 bought before: 1 of 3 units at the flash price",
            lines: vec![line(1, 10000, 3)],
            promotions: vec![promo(1, flash(&[(1, 6000, 10, 2)]))],
            usage: vec![usage(1, 1, 9, 1)],
            // allowance min(9 left, 2−1) = 1: 1×6000 + 2×10000 = 26000; off 4000
            totals: vec![26000],
            payable: 26000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "flash stock: only 1 left",
            lines: vec![line(1, 10000, 3)],
            promotions: vec![promo(1, flash(&[(1, 6000, 10, 5)]))],
            usage: vec![usage(1, 1, 1, 0)],
            // allowance min(1 left, 5−0) = 1: 6000 + 2×10000 = 26000
            totals: vec![26000],
            payable: 26000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "flash and live price: per unit the lower, never both",
            lines: vec![line(1, 10000, 3)],
            promotions: vec![promo(1, live(None, &[(1, 7000)])), promo(2, flash(&[(1, 6000, 10, 1)]))],
            // 1 unit flash 6000 (off 4000), 2 units live 7000 (off 2×3000 = 6000): 6000 + 14000 = 20000
            totals: vec![20000],
            payable: 20000,
            discounts: vec![(2, 4000), (1, 6000)],
            ..Case::default()
        },
        Case {
            name: "a flash price dearer than the live price is not used",
            lines: vec![line(1, 10000, 3)],
            promotions: vec![promo(1, live(None, &[(1, 5000)])), promo(2, flash(&[(1, 6000, 10, 3)]))],
            // live 5000 < flash 6000: 3×5000 = 15000; off 3×5000 = 15000
            totals: vec![15000],
            payable: 15000,
            discounts: vec![(1, 15000)],
            ..Case::default()
        },
        Case {
            name: "one flash limit shared by two lines of the same SKU",
            lines: vec![line(1, 10000, 1).in_show(7), line(1, 10000, 1)],
            promotions: vec![promo(1, flash(&[(1, 6000, 10, 1)]))],
            // limit 1; canonical order puts the line without a show first: it gets 6000, the other 10000
            totals: vec![10000, 6000],
            payable: 16000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "flash sold out: normal price, nothing explained",
            lines: vec![line(1, 10000, 2)],
            promotions: vec![promo(1, flash(&[(1, 6000, 10, 2)]))],
            usage: vec![usage(1, 1, 0, 0)],
            totals: vec![20000],
            payable: 20000,
            ..Case::default()
        },
        Case {
            name: "two flash sales on one SKU: cheapest units first",
            lines: vec![line(1, 10000, 3)],
            promotions: vec![promo(1, flash(&[(1, 6000, 10, 5)])), promo(2, flash(&[(1, 5000, 10, 1)]))],
            // 1×5000 (off 5000, promotion 2) + 2×6000 (off 2×4000 = 8000, promotion 1) = 17000
            totals: vec![17000],
            payable: 17000,
            discounts: vec![(2, 5000), (1, 8000)],
            ..Case::default()
        },
        Case {
            name: "满件折 2件9折 over two products",
            lines: vec![line(1, 10000, 1), line(2, 5000, 1)],
            promotions: vec![promo(1, per_items(products(&[1, 2]), &[(2, 1000)]))],
            // 2 items → 10%: 10000−1000 = 9000; 5000−500 = 4500; Σ 13500; off 1500
            totals: vec![9000, 4500],
            payable: 13500,
            discounts: vec![(1, 1500)],
            ..Case::default()
        },
        Case {
            name: "满件折 tiers: 3 items reach 3件8折",
            lines: vec![line(1, 10000, 3)],
            promotions: vec![promo(1, per_items(products(&[1]), &[(2, 1000), (3, 2000)]))],
            // 30000 × 20% = 6000 off → 24000
            totals: vec![24000],
            payable: 24000,
            discounts: vec![(1, 6000)],
            ..Case::default()
        },
        Case {
            name: "满件折 not reached with 1 item",
            lines: vec![line(1, 10000, 1)],
            promotions: vec![promo(1, per_items(products(&[1]), &[(2, 1000)]))],
            totals: vec![10000],
            payable: 10000,
            ..Case::default()
        },
        Case {
            name: "满件折 rounds down per line",
            lines: vec![line(1, 3333, 1), line(2, 3333, 1)],
            promotions: vec![promo(1, per_items(products(&[1, 2]), &[(2, 1000)]))],
            // 3333 × 10% = 333.3 → 333 per line: 3000 + 3000; off 666
            totals: vec![3000, 3000],
            payable: 6000,
            discounts: vec![(1, 666)],
            ..Case::default()
        },
        Case {
            name: "满300减40 on ¥312",
            lines: vec![line(1, 31200, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            // 31200 ≥ 30000: 31200 − 4000 = 27200
            totals: vec![27200],
            payable: 27200,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "满300减40 / 满500减80: the highest tier reached",
            lines: vec![line(1, 52000, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000), (50000, 8000)]))],
            // 52000 ≥ 50000: 52000 − 8000 = 44000
            totals: vec![44000],
            payable: 44000,
            discounts: vec![(1, 8000)],
            ..Case::default()
        },
        Case {
            name: "threshold reached exactly",
            lines: vec![line(1, 30000, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            // 30000 ≥ 30000: 26000
            totals: vec![26000],
            payable: 26000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "one fen short of the threshold",
            lines: vec![line(1, 29999, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            totals: vec![29999],
            payable: 29999,
            ..Case::default()
        },
        Case {
            name: "每满100减10 on ¥312",
            lines: vec![line(1, 31200, 1)],
            promotions: vec![promo(1, every(Scope::Shop, 10000, 1000, None))],
            // ⌊31200 / 10000⌋ = 3 → 3×1000 = 3000 off → 28200
            totals: vec![28200],
            payable: 28200,
            discounts: vec![(1, 3000)],
            ..Case::default()
        },
        Case {
            name: "每满100减10, at most 2 times, on ¥512",
            lines: vec![line(1, 51200, 1)],
            promotions: vec![promo(1, every(Scope::Shop, 10000, 1000, Some(2)))],
            // ⌊51200 / 10000⌋ = 5, capped at 2 → 2000 off → 49200
            totals: vec![49200],
            payable: 49200,
            discounts: vec![(1, 2000)],
            ..Case::default()
        },
        Case {
            name: "满减 over three equal lines: the odd fen goes to the first line in canonical order",
            lines: vec![line(3, 10000, 1), line(2, 10000, 1), line(1, 10000, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            // each 4000×10000/30000 = 1333.33 → 1333, Σ 3999, 1 fen left; equal remainders and
            // amounts → product 1 (the cart's third line) takes it: shares 1333, 1333, 1334
            totals: vec![8667, 8667, 8666],
            payable: 26000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "满减 shared in proportion, largest remainder",
            lines: vec![line(1, 20000, 1), line(2, 10000, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            // 4000×20000/30000 = 2666.67 → 2666 r .67; 4000×10000/30000 = 1333.33 → 1333 r .33;
            // 1 fen left → the larger remainder: 2667 + 1333 = 4000
            totals: vec![17333, 8667],
            payable: 26000,
            discounts: vec![(1, 4000)],
            ..Case::default()
        },
        Case {
            name: "满减 on chosen products counts only them",
            lines: vec![line(1, 25000, 1), line(2, 10000, 1)],
            promotions: vec![promo(1, tiers(products(&[1]), &[(30000, 4000)]))],
            // covered 25000 < 30000: nothing off
            totals: vec![25000, 10000],
            payable: 35000,
            ..Case::default()
        },
        Case {
            name: "everything stacks: live price, 满件折, 满减, coupon",
            lines: vec![line(1, 12000, 2), line(2, 5000, 2), line(3, 8000, 1)],
            promotions: vec![
                promo(1, live(None, &[(1, 10000)])),
                promo(2, per_items(products(&[2]), &[(2, 1000)])),
                promo(3, tiers(Scope::Shop, &[(30000, 4000)])),
            ],
            coupons: vec![coupon(101, 20000, 2000)],
            // live: 2×10000 = 20000 (off 4000); 满件折: 10000 → 9000 (off 1000); line 3: 8000
            // threshold base 20000+9000+8000 = 37000 ≥ 30000 → 4000 shared:
            //   4000×20000/37000 = 2162 r 6000; ×9000 → 972 r 36000; ×8000 → 864 r 32000; 2 fen left
            //   → line 2 (36000) and line 3 (32000): 2162, 973, 865 → 17838, 8027, 7135 (Σ 33000)
            // coupon base 37000 ≥ 20000 → 2000 shared over 33000:
            //   ×17838 → 1081 r 3000; ×8027 → 486 r 16000; ×7135 → 432 r 14000; 1 fen left → line 2
            //   → 17838−1081 = 16757; 8027−487 = 7540; 7135−432 = 6703 (Σ 31000 = 42000 − 11000)
            totals: vec![16757, 7540, 6703],
            payable: 31000,
            discounts: vec![(1, 4000), (2, 1000), (3, 4000), (101, 2000)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "the best coupon: the one taking most off",
            lines: vec![line(1, 40000, 1)],
            coupons: vec![
                coupon(101, 20000, 2000),
                coupon(102, 30000, 3500),
                coupon_rate(103, 0, 1000, Some(3800)),
                coupon(104, 50000, 10000),
            ],
            // 101: 2000; 102: 3500; 103: min(40000×10% = 4000, 3800) = 3800; 104: 40000 < 50000
            // → 103: 40000 − 3800 = 36200
            totals: vec![36200],
            payable: 36200,
            discounts: vec![(103, 3800)],
            coupon: Some(103),
            ..Case::default()
        },
        Case {
            name: "equal coupons: the one expiring first, then the lowest id",
            lines: vec![line(1, 20000, 1)],
            coupons: vec![
                coupon_with(103, Scope::Shop, 10000, CouponBenefit::AmountOff(Fen(1000)), START, END),
                coupon_with(101, Scope::Shop, 10000, CouponBenefit::AmountOff(Fen(1000)), START, END.plus_millis(5000)),
                coupon_with(102, Scope::Shop, 10000, CouponBenefit::AmountOff(Fen(1000)), START, END),
            ],
            // all 1000 off; 102 and 103 end first; 102 < 103 → 102; 20000 − 1000 = 19000
            totals: vec![19000],
            payable: 19000,
            discounts: vec![(102, 1000)],
            coupon: Some(102),
            ..Case::default()
        },
        Case {
            name: "a coupon's threshold is measured before 满减",
            lines: vec![line(1, 32000, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            coupons: vec![coupon(101, 30000, 3000)],
            // base 32000: 满减 4000 → 28000; coupon threshold 30000 ≤ 32000 → 3000 → 25000
            totals: vec![25000],
            payable: 25000,
            discounts: vec![(1, 4000), (101, 3000)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "percentage coupon with a cap",
            lines: vec![line(1, 28000, 1)],
            coupons: vec![coupon_rate(101, 20000, 1000, Some(1500))],
            // 28000 × 10% = 2800, capped at 1500 → 26500
            totals: vec![26500],
            payable: 26500,
            discounts: vec![(101, 1500)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "percentage coupon rounds the discount down",
            lines: vec![line(1, 12345, 1)],
            coupons: vec![coupon_rate(101, 0, 1000, None)],
            // 12345 × 10% = 1234.5 → 1234 → 11111
            totals: vec![11111],
            payable: 11111,
            discounts: vec![(101, 1234)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "无门槛券 worth more than the cart stops at zero",
            lines: vec![line(1, 300, 1)],
            coupons: vec![coupon(101, 0, 500)],
            // min(500, 300) = 300 → 0
            totals: vec![0],
            payable: 0,
            discounts: vec![(101, 300)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "coupon for chosen products",
            lines: vec![line(1, 20000, 1), line(2, 10000, 1)],
            coupons: vec![coupon_with(101, products(&[2]), 5000, CouponBenefit::AmountOff(Fen(1000)), START, END)],
            // covered: line 2 only, 10000 ≥ 5000 → 1000 off line 2
            totals: vec![20000, 9000],
            payable: 29000,
            discounts: vec![(101, 1000)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "coupon use window: starting now counts, ending now does not",
            lines: vec![line(1, 1000, 1)],
            coupons: vec![
                coupon_with(101, Scope::Shop, 0, CouponBenefit::AmountOff(Fen(100)), NOW, END),
                coupon_with(102, Scope::Shop, 0, CouponBenefit::AmountOff(Fen(200)), START, NOW),
            ],
            // 102 (worth more) expired at NOW; 101 starts at NOW: 1000 − 100 = 900
            totals: vec![900],
            payable: 900,
            discounts: vec![(101, 100)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "a promotion starting now applies",
            lines: vec![line(1, 1000, 1)],
            promotions: vec![promo_in(1, NOW, END, live(None, &[(1, 500)]))],
            totals: vec![500],
            payable: 500,
            discounts: vec![(1, 500)],
            ..Case::default()
        },
        Case {
            name: "a promotion ending now is ignored",
            lines: vec![line(1, 1000, 1)],
            promotions: vec![promo_in(1, START, NOW, live(None, &[(1, 500)]))],
            totals: vec![1000],
            payable: 1000,
            ..Case::default()
        },
        Case {
            name: "a promotion ending 1 ms after now applies; one starting 1 ms later does not",
            lines: vec![line(1, 1000, 1)],
            promotions: vec![
                promo_in(1, START, NOW.plus_millis(1), live(None, &[(1, 500)])),
                promo_in(2, NOW.plus_millis(1), END, live(None, &[(1, 100)])),
            ],
            // only promotion 1: 500
            totals: vec![500],
            payable: 500,
            discounts: vec![(1, 500)],
            ..Case::default()
        },
        Case {
            name: "a ¥0 line takes no share of anything",
            lines: vec![line(1, 0, 1), line(2, 30000, 1)],
            promotions: vec![promo(1, tiers(Scope::Shop, &[(30000, 4000)]))],
            coupons: vec![coupon(101, 0, 500)],
            // 满减 4000 all on line 2 → 26000; coupon 500 on line 2 → 25500
            totals: vec![0, 25500],
            payable: 25500,
            discounts: vec![(1, 4000), (101, 500)],
            coupon: Some(101),
            ..Case::default()
        },
        Case {
            name: "a live price that would lose 满300减40 is left out",
            lines: vec![line(1, 30000, 1)],
            promotions: vec![promo(1, live(None, &[(1, 29900)])), promo(2, tiers(Scope::Shop, &[(30000, 4000)]))],
            // with it: 29900 < 30000, no 满减 → 29900; without: 30000 − 4000 = 26000 → left out
            totals: vec![26000],
            payable: 26000,
            discounts: vec![(2, 4000)],
            skipped: vec![1],
            ..Case::default()
        },
        Case {
            name: "a 满件折 that would lose the coupon is left out",
            lines: vec![line(1, 10000, 1), line(2, 10000, 1)],
            promotions: vec![promo(1, per_items(products(&[1, 2]), &[(2, 1000)]))],
            coupons: vec![coupon(101, 20000, 3000)],
            // with it: 9000+9000 = 18000 < 20000, no coupon → 18000
            // without: 20000 − 3000 = 17000, shared 1500 / 1500 → left out
            totals: vec![8500, 8500],
            payable: 17000,
            discounts: vec![(101, 3000)],
            coupon: Some(101),
            skipped: vec![1],
            ..Case::default()
        },
        Case {
            name: "overlapping 满减 stop at zero",
            lines: vec![line(1, 10000, 1)],
            promotions: vec![
                promo(1, tiers(Scope::Shop, &[(10000, 6000)])),
                promo(2, tiers(Scope::Shop, &[(10000, 5000)])),
            ],
            // 10000 − 6000 = 4000; then min(5000, 4000) = 4000 → 0
            totals: vec![0],
            payable: 0,
            discounts: vec![(1, 6000), (2, 4000)],
            ..Case::default()
        },
        Case {
            name: "满300赠 on ¥312",
            lines: vec![line(1, 31200, 1)],
            promotions: vec![promo(1, gift_spend(30000, 900))],
            // 31200 ≥ 30000: gift SKU 9000, payable unchanged
            totals: vec![31200],
            payable: 31200,
            gifts: vec![9000],
            ..Case::default()
        },
        Case {
            name: "a gift's threshold is measured after the live price",
            lines: vec![line(1, 31000, 1)],
            promotions: vec![promo(1, live(None, &[(1, 29000)])), promo(2, gift_spend(30000, 900))],
            // base after live price 29000 < 30000: no gift
            totals: vec![29000],
            payable: 29000,
            discounts: vec![(1, 2000)],
            ..Case::default()
        },
        Case {
            name: "买2赠1: two bought",
            lines: vec![line(5, 1000, 2)],
            promotions: vec![promo(1, gift_buy(5, 2, 900))],
            totals: vec![2000],
            payable: 2000,
            gifts: vec![9000],
            ..Case::default()
        },
        Case {
            name: "买2赠1: one bought, no gift",
            lines: vec![line(5, 1000, 1)],
            promotions: vec![promo(1, gift_buy(5, 2, 900))],
            totals: vec![1000],
            payable: 1000,
            ..Case::default()
        },
    ]
}

#[test]
fn the_hand_checked_examples_hold() {
    let cases = cases();
    assert!(cases.len() >= 30, "the issue asks for at least 30 examples");
    for case in cases {
        let name = case.name;
        let input = PricingInput::new(&case.lines, &case.promotions, &case.coupons, case.now.unwrap_or(NOW))
            .with_flash_sale_usage(&case.usage);
        let cart = price_cart(&input).unwrap();
        check_sums(&cart);
        let totals: Vec<i64> = cart.lines.iter().map(|l| l.total.0).collect();
        assert_eq!(totals, case.totals, "{name}: line totals");
        assert_eq!(cart.payable.0, case.payable, "{name}: payable");
        let discounts: Vec<(i64, i64)> = cart.discounts.iter().map(|d| (source_id(d.source), d.amount.0)).collect();
        assert_eq!(discounts, case.discounts, "{name}: discounts");
        assert_eq!(cart.coupon.map(|c| c.0), case.coupon, "{name}: coupon");
        let gifts: Vec<i64> = cart.gifts.iter().map(|g| g.sku.0).collect();
        assert_eq!(gifts, case.gifts, "{name}: gifts");
        assert!(cart.gifts.iter().all(|g| g.price == Fen::ZERO), "{name}: gifts are free");
        let skipped: Vec<i64> = cart.skipped.iter().map(|s| s.promotion.0).collect();
        assert_eq!(skipped, case.skipped, "{name}: skipped");
        let subtotal: i64 = case.lines.iter().map(|l| l.base_total().0).sum();
        assert_eq!(cart.subtotal.0, subtotal, "{name}: subtotal");
    }
}

#[test]
fn explains_full_reduction_in_both_languages() {
    let cart = price(&[line(1, 31200, 1)], &[promo(1, tiers(Scope::Shop, &[(30000, 4000)]))], &[]);
    assert_eq!(cart.discounts[0].explain_zh(), "满300减40：已满¥312.00，减¥40.00");
    assert_eq!(cart.discounts[0].explain_en(), "Spend ¥300 save ¥40: spent ¥312.00, ¥40.00 off");
}

#[test]
fn explains_live_and_partial_flash_prices() {
    let cart = price(&[line(1, 7900, 2)], &[promo(1, live(None, &[(1, 5900)]))], &[]);
    assert_eq!(cart.discounts[0].explain_zh(), "直播间专享价：¥59.00（原价¥79.00）×2件，减¥40.00");
    assert_eq!(cart.discounts[0].explain_en(), "Live-room price: ¥59.00 (was ¥79.00) × 2, ¥40.00 off");

    let cart = price_with_usage(
        &[line(1, 10000, 3)],
        &[promo(1, flash(&[(1, 6000, 10, 2)]))],
        &[FlashSaleUsage { promotion: PromotionId(1), sku: sku(1), remaining: 9, bought_by_buyer: 1 }],
    );
    let DiscountDetail::FlashSale { units, limit, .. } = cart.discounts[0].detail else { panic!("not a flash sale") };
    assert_eq!((units, limit), (1, Some(FlashLimit::PerBuyer { limit: 2, already_bought: 1 })));
    assert_eq!(
        cart.discounts[0].explain_zh(),
        "秒杀价：¥60.00（原价¥100.00）×1件，减¥40.00；每人限购2件，已购1件，其余2件不享此秒杀价"
    );
    assert_eq!(
        cart.discounts[0].explain_en(),
        "Flash-sale price: ¥60.00 (was ¥100.00) × 1, ¥40.00 off; limit 2 per buyer, 1 bought before, so 2 more without this flash price"
    );
}

#[test]
fn explains_multi_buy_repeating_and_coupons() {
    let cart =
        price(&[line(1, 10000, 1), line(2, 5000, 1)], &[promo(1, per_items(products(&[1, 2]), &[(2, 1000)]))], &[]);
    assert_eq!(cart.discounts[0].explain_zh(), "满2件9折：共2件，¥150.00打9折，减¥15.00");
    assert_eq!(cart.discounts[0].explain_en(), "2+ items 10% off: 2 items, 10% off ¥150.00, ¥15.00 off");

    let cart = price(&[line(1, 51200, 1)], &[promo(1, every(Scope::Shop, 10000, 1000, Some(2)))], &[]);
    assert_eq!(cart.discounts[0].explain_zh(), "每满100减10（最多2次）：已满¥512.00，共2次，减¥20.00");
    assert_eq!(
        cart.discounts[0].explain_en(),
        "¥10 off every ¥100 (at most 2 times): spent ¥512.00, 2 times, ¥20.00 off"
    );

    let cart = price(&[line(1, 28000, 1)], &[], &[coupon_rate(101, 20000, 1000, Some(1500))]);
    assert_eq!(
        cart.discounts[0].explain_zh(),
        "优惠券 满200享9折（最多减15）：门槛金额¥280.00，¥280.00打9折，减¥15.00"
    );
    assert_eq!(
        cart.discounts[0].explain_en(),
        "Coupon 10% off on ¥200 or more, up to ¥15: eligible ¥280.00, 10% off ¥280.00, ¥15.00 off"
    );

    let cart = price(&[line(1, 300, 1)], &[], &[coupon(101, 0, 500)]);
    assert_eq!(cart.discounts[0].explain_zh(), "优惠券 无门槛减5：应减¥5.00，以应付金额为限减¥3.00");
    assert_eq!(
        cart.discounts[0].explain_en(),
        "Coupon ¥5 off, no minimum: ¥5.00 due, limited to the ¥3.00 left to pay"
    );
}

#[test]
fn explains_gifts_and_what_was_left_out() {
    let cart = price(&[line(1, 31200, 1)], &[promo(1, gift_spend(30000, 900))], &[]);
    assert_eq!(cart.gifts[0].reason, GiftReason::Spend { threshold: Fen(30000), base: Fen(31200) });
    assert_eq!(cart.gifts[0].explain_zh(), "赠品：满300赠1件（已满¥312.00）");
    assert_eq!(cart.gifts[0].explain_en(), "Gift: spend ¥300, get 1 free (spent ¥312.00)");

    let cart = price(
        &[line(1, 30000, 1)],
        &[promo(1, live(None, &[(1, 29900)])), promo(2, tiers(Scope::Shop, &[(30000, 4000)]))],
        &[],
    );
    // with the live price: 29900; without: 26000 → 3900 more
    assert_eq!(cart.skipped[0].kind, PromotionKind::LivePrice);
    assert_eq!(cart.skipped[0].extra_cost, Fen(3900));
    assert_eq!(
        cart.skipped[0].explain_zh(),
        "未使用直播间专享价（活动#1）：用了会使门槛金额不足，失去满减或优惠券，反而多付¥39.00"
    );
    assert!(cart.skipped[0].explain_en().starts_with("Live-room price (promotion #1) not applied"));
    assert_eq!(
        cart.explanation_zh(),
        [
            "满300减40：已满¥300.00，减¥40.00",
            "未使用直播间专享价（活动#1）：用了会使门槛金额不足，失去满减或优惠券，反而多付¥39.00",
        ]
    );
    assert_eq!(cart.explanation_en().len(), 2);
}

#[test]
fn a_line_lists_each_adjustment_with_its_share() {
    // the "everything stacks" example: line 0 carries 4000 (live) + 2162 (满减) + 1081 (coupon)
    let lines = [line(1, 12000, 2), line(2, 5000, 2), line(3, 8000, 1)];
    let promotions = [
        promo(1, live(None, &[(1, 10000)])),
        promo(2, per_items(products(&[2]), &[(2, 1000)])),
        promo(3, tiers(Scope::Shop, &[(30000, 4000)])),
    ];
    let cart = price(&lines, &promotions, &[coupon(101, 20000, 2000)]);
    let first: Vec<(PromotionKind, i64)> = cart.line_adjustments(0).map(|(d, a)| (d.kind(), a.0)).collect();
    assert_eq!(
        first,
        [(PromotionKind::LivePrice, 4000), (PromotionKind::FullReduction, 2162), (PromotionKind::Coupon, 1081)]
    );
    assert_eq!(cart.lines[0].discount, Fen(7243));
    assert_eq!(cart.total_discount, Fen(11000));
    // as docs/pricing.md's first worked example prints it
    assert_eq!(
        cart.explanation_zh(),
        [
            "直播间专享价：¥100.00（原价¥120.00）×2件，减¥40.00",
            "满2件9折：共2件，¥100.00打9折，减¥10.00",
            "满300减40：已满¥370.00，减¥40.00",
            "优惠券 满200减20：门槛金额¥370.00，减¥20.00",
        ]
    );
    assert_eq!(
        cart.explanation_en(),
        [
            "Live-room price: ¥100.00 (was ¥120.00) × 2, ¥40.00 off",
            "2+ items 10% off: 2 items, 10% off ¥100.00, ¥10.00 off",
            "Spend ¥300 save ¥40: spent ¥370.00, ¥40.00 off",
            "Coupon ¥20 off on ¥200 or more: eligible ¥370.00, ¥20.00 off",
        ]
    );
}

#[test]
fn the_benchmark_cart_is_what_the_issue_describes() {
    let (lines, promotions, coupons, now) = bench_fixture();
    assert_eq!(lines.len(), 20);
    assert_eq!(promotions.len(), 10);
    assert!(promotions.iter().all(|p| p.is_active_at(now)));
    let kinds: std::collections::BTreeSet<_> = promotions.iter().map(|p| p.kind()).collect();
    assert_eq!(kinds.len(), 5, "every kind of promotion: {kinds:?}");
    assert_eq!(coupons.len(), 5);
    assert!(coupons.iter().all(|c| c.is_usable_at(now)));
    let cart = price_at(&lines, &promotions, &coupons, now);
    // the common case: no threshold at stake, so no search
    assert!(cart.skipped.is_empty());
    assert!(cart.discounts.len() >= 8, "most promotions touch the cart: {:?}", cart.discounts);
    assert_eq!(cart.gifts.len(), 2);
    // coupon 202 (满1000减120) is the best of the five on a cart of this size
    assert_eq!(cart.coupon, Some(CouponId(202)));
}

#[test]
fn too_long_a_cart_is_refused_naming_the_field() {
    let lines = vec![line(1, 100, 1); crate::pricing::MAX_LINES + 1];
    let err = price_cart(&PricingInput::new(&lines, &[], &[], NOW)).unwrap_err();
    assert_eq!(err.field, "lines");
}

#[test]
fn a_bad_cart_line_is_refused_naming_every_field() {
    let errs = CartLine::new(ProductId(1), sku(1), Fen(-1), 0, Some(Fen(-5))).unwrap_err();
    let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["unit_price", "quantity", "list_price"]);
    assert!(errs[0].message.contains("不能为负 / unit price must not be negative"));
}
