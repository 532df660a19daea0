//! Plain-language explanations of a priced cart, in zh-CN and English,
//! rendered on demand from the structured details (pricing itself builds no
//! strings). Amounts print as `¥12.50`; a rule's own figures print as the
//! shop wrote them: 满300减40, "Spend ¥300 save ¥40".

use super::priced::{AppliedDiscount, DiscountDetail, FlashLimit, GiftLine, GiftReason, SkippedPromotion};
use crate::Fen;
use crate::money::ShortYuan as Short;
use crate::promotion::{CouponBenefit, Reached};

impl AppliedDiscount {
    /// E.g. `满300减40：已满¥312.00，减¥40.00`.
    pub fn explain_zh(&self) -> String {
        let amount = self.amount;
        match self.detail {
            DiscountDetail::LivePrice { unit_price, live_price, units } => {
                format!("直播间专享价：{live_price}（原价{unit_price}）×{units}件，减{amount}")
            }
            DiscountDetail::FlashSale { unit_price, flash_price, units, quantity, limit } => {
                let mut text = format!("秒杀价：{flash_price}（原价{unit_price}）×{units}件，减{amount}");
                let rest = quantity - units;
                match limit {
                    Some(FlashLimit::PerBuyer { limit, already_bought }) => {
                        text.push_str(&format!("；每人限购{limit}件，已购{already_bought}件，其余{rest}件不享此秒杀价"))
                    }
                    Some(FlashLimit::Stock { left }) => {
                        text.push_str(&format!("；秒杀仅剩{left}件，其余{rest}件不享此秒杀价"))
                    }
                    None => {}
                }
                text
            }
            DiscountDetail::QuantityDiscount { min_items, off, items, eligible } => {
                let zhe = off.zhe();
                format!("满{min_items}件{zhe}：共{items}件，{eligible}打{zhe}，减{amount}")
            }
            DiscountDetail::FullReduction { reached, base, nominal } => {
                let head = match reached {
                    Reached::Tier { threshold, off } => format!("满{}减{}：已满{base}", Short(threshold), Short(off)),
                    Reached::Repeat { every, off, times, capped } => {
                        let cap = if capped { format!("（最多{times}次）") } else { String::new() };
                        format!("每满{}减{}{cap}：已满{base}，共{times}次", Short(every), Short(off))
                    }
                };
                format!("{head}，{}", amount_zh(amount, nominal))
            }
            DiscountDetail::Coupon { threshold, benefit, base, payable_before, nominal } => {
                let door = if threshold.0 == 0 { "无门槛".to_owned() } else { format!("满{}", Short(threshold)) };
                match benefit {
                    CouponBenefit::AmountOff(off) => {
                        let seen = if threshold.0 == 0 { String::new() } else { format!("门槛金额{base}，") };
                        format!("优惠券 {door}减{}：{seen}{}", Short(off), amount_zh(amount, nominal))
                    }
                    CouponBenefit::PercentOff { off, cap } => {
                        let zhe = off.zhe();
                        let cap = cap.map(|c| format!("（最多减{}）", Short(c))).unwrap_or_default();
                        let seen = if threshold.0 == 0 { String::new() } else { format!("门槛金额{base}，") };
                        format!(
                            "优惠券 {door}享{zhe}{cap}：{seen}{payable_before}打{zhe}，{}",
                            amount_zh(amount, nominal)
                        )
                    }
                }
            }
        }
    }

    /// E.g. `Spend ¥300 save ¥40: spent ¥312.00, ¥40.00 off`.
    pub fn explain_en(&self) -> String {
        let amount = self.amount;
        match self.detail {
            DiscountDetail::LivePrice { unit_price, live_price, units } => {
                format!("Live-room price: {live_price} (was {unit_price}) × {units}, {amount} off")
            }
            DiscountDetail::FlashSale { unit_price, flash_price, units, quantity, limit } => {
                let mut text = format!("Flash-sale price: {flash_price} (was {unit_price}) × {units}, {amount} off");
                let rest = quantity - units;
                match limit {
                    Some(FlashLimit::PerBuyer { limit, already_bought }) => text.push_str(&format!(
                        "; limit {limit} per buyer, {already_bought} bought before, so {rest} more without this flash price"
                    )),
                    Some(FlashLimit::Stock { left }) => text.push_str(&format!(
                        "; only {left} left at the flash price, so {rest} more without this flash price"
                    )),
                    None => {}
                }
                text
            }
            DiscountDetail::QuantityDiscount { min_items, off, items, eligible } => {
                let pct = off.percent();
                format!("{min_items}+ items {pct} off: {items} items, {pct} off {eligible}, {amount} off")
            }
            DiscountDetail::FullReduction { reached, base, nominal } => {
                let head = match reached {
                    Reached::Tier { threshold, off } => {
                        format!("Spend ¥{} save ¥{}: spent {base}", Short(threshold), Short(off))
                    }
                    Reached::Repeat { every, off, times, capped } => {
                        let cap = if capped { format!(" (at most {times} times)") } else { String::new() };
                        format!("¥{} off every ¥{}{cap}: spent {base}, {times} times", Short(off), Short(every))
                    }
                };
                format!("{head}, {}", amount_en(amount, nominal))
            }
            DiscountDetail::Coupon { threshold, benefit, base, payable_before, nominal } => {
                let door = if threshold.0 == 0 {
                    ", no minimum".to_owned()
                } else {
                    format!(" on ¥{} or more", Short(threshold))
                };
                let seen = if threshold.0 == 0 { String::new() } else { format!("eligible {base}, ") };
                match benefit {
                    CouponBenefit::AmountOff(off) => {
                        format!("Coupon ¥{} off{door}: {seen}{}", Short(off), amount_en(amount, nominal))
                    }
                    CouponBenefit::PercentOff { off, cap } => {
                        let pct = off.percent();
                        let cap = cap.map(|c| format!(", up to ¥{}", Short(c))).unwrap_or_default();
                        format!(
                            "Coupon {pct} off{door}{cap}: {seen}{pct} off {payable_before}, {}",
                            amount_en(amount, nominal)
                        )
                    }
                }
            }
        }
    }
}

/// `减¥40.00`, or, when the discount was limited to what was left to pay,
/// `应减¥40.00，以应付金额为限减¥25.00`.
fn amount_zh(amount: Fen, nominal: Fen) -> String {
    if amount < nominal {
        format!("应减{nominal}，以应付金额为限减{amount}")
    } else {
        format!("减{amount}")
    }
}

fn amount_en(amount: Fen, nominal: Fen) -> String {
    if amount < nominal {
        format!("{nominal} due, limited to the {amount} left to pay")
    } else {
        format!("{amount} off")
    }
}

impl GiftLine {
    pub fn explain_zh(&self) -> String {
        let q = self.quantity;
        match self.reason {
            GiftReason::Spend { threshold, base } => format!("赠品：满{}赠{q}件（已满{base}）", Short(threshold)),
            GiftReason::Bought { product, min_quantity, bought } => {
                format!("赠品：买{min_quantity}件商品#{product}赠{q}件（已买{bought}件）")
            }
        }
    }

    pub fn explain_en(&self) -> String {
        let q = self.quantity;
        match self.reason {
            GiftReason::Spend { threshold, base } => {
                format!("Gift: spend ¥{}, get {q} free (spent {base})", Short(threshold))
            }
            GiftReason::Bought { product, min_quantity, bought } => {
                format!("Gift: buy {min_quantity} of product #{product}, get {q} free (bought {bought})")
            }
        }
    }
}

impl SkippedPromotion {
    pub fn explain_zh(&self) -> String {
        let cost = if self.extra_cost.0 > 0 { format!("，反而多付{}", self.extra_cost) } else { String::new() };
        format!(
            "未使用{}（活动#{}）：用了会使门槛金额不足，失去满减或优惠券{cost}",
            self.kind.name_zh(),
            self.promotion
        )
    }

    pub fn explain_en(&self) -> String {
        let cost = if self.extra_cost.0 > 0 { format!(", costing {} more", self.extra_cost) } else { String::new() };
        let kind = self.kind.name_en();
        let mut kind = kind.to_owned();
        if let Some(first) = kind.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        format!(
            "{kind} (promotion #{}) not applied: it would drop the order below a spend threshold and lose a spend-and-save or coupon discount{cost}",
            self.promotion
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_figures_print_without_needless_decimals() {
        assert_eq!(Short(Fen(30000)).to_string(), "300");
        assert_eq!(Short(Fen(29950)).to_string(), "299.5");
        assert_eq!(Short(Fen(29999)).to_string(), "299.99");
        assert_eq!(Short(Fen(5)).to_string(), "0.05");
    }
}
