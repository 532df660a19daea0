//! 订单: an order's life and the values it is made of, with no I/O.
//!
//! - [`OrderStatus`] and its transition table: pending payment → paid →
//!   shipped → delivered → completed, with cancelled and refunded on the
//!   side, and who may make each move ([`Party`]: the buyer, the shop's
//!   staff, or zhibo itself on a timeout). The store and the web layer ask
//!   [`OrderStatus::check_move`] and never decide that themselves.
//! - [`StockEffect`]: what a move does to the units the order holds, so
//!   reserved stock goes back to the ledger exactly once.
//! - [`ShippingAddress`]: name, an 11-digit mainland mobile, region and
//!   detail, every wrong field reported at once.
//! - [`OrderSource`] (checkout or a flash sale) and [`OrderTotals`], the
//!   order's money in checked integer fen.

use std::fmt;

use crate::catalog::line;
use crate::promotion::MAX_QUANTITY;
use crate::{DomainError, Fen, FlashSaleId, UserId};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// 待付款: placed, stock held, waiting for payment until it expires.
    PendingPayment,
    /// 待发货: paid.
    Paid,
    /// 已发货: handed to the carrier, with a tracking number.
    Shipped,
    /// 已签收.
    Delivered,
    /// 已完成: closed after delivery.
    Completed,
    /// 已取消: cancelled before payment (by the buyer, the shop or the timeout).
    Cancelled,
    /// 已退款.
    Refunded,
}

/// Who makes a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// The order's own buyer.
    Buyer,
    /// The shop's staff with the orders permission.
    Staff,
    /// zhibo itself: the unpaid-order timeout, a payment confirmation.
    System,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Buyer => "buyer",
            Party::Staff => "staff",
            Party::System => "system",
        }
    }

    pub fn parse(text: &str) -> Option<Party> {
        [Party::Buyer, Party::Staff, Party::System].into_iter().find(|p| p.as_str() == text)
    }

    fn zh(self) -> &'static str {
        match self {
            Party::Buyer => "买家",
            Party::Staff => "店铺",
            Party::System => "系统",
        }
    }
}

/// Who made a move, with the account when a person made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderActor {
    Buyer(UserId),
    Staff(UserId),
    System,
}

impl OrderActor {
    pub fn party(self) -> Party {
        match self {
            OrderActor::Buyer(_) => Party::Buyer,
            OrderActor::Staff(_) => Party::Staff,
            OrderActor::System => Party::System,
        }
    }

    pub fn user(self) -> Option<UserId> {
        match self {
            OrderActor::Buyer(u) | OrderActor::Staff(u) => Some(u),
            OrderActor::System => None,
        }
    }
}

/// What a move does to the stock the order took from the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockEffect {
    /// Nothing moves.
    None,
    /// The held units are sold: the reservation becomes a sale (net zero
    /// on the sellable stock).
    Sell,
    /// The units go back to the ledger as a release (cancelled or expired
    /// before payment, or refunded before they were shipped).
    Release,
}

/// The transition table: `(from, to, who may)`. Everything not listed is
/// refused. A refund after shipping moves no stock: the goods are with the
/// buyer until a return is received (a stock receipt of its own).
const TABLE: &[(OrderStatus, OrderStatus, &[Party])] = {
    use OrderStatus::*;
    use Party::*;
    &[
        (PendingPayment, Paid, &[Buyer, System]),
        (PendingPayment, Cancelled, &[Buyer, Staff, System]),
        (Paid, Shipped, &[Staff]),
        (Paid, Refunded, &[Staff]),
        (Shipped, Delivered, &[Buyer, Staff, System]),
        (Shipped, Refunded, &[Staff]),
        (Delivered, Completed, &[Buyer, Staff, System]),
        (Delivered, Refunded, &[Staff]),
    ]
};

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Result<OrderStatus, DomainError> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == text.trim()).ok_or_else(|| {
            DomainError::new(
                "status",
                format!(
                    "订单状态须为 pending_payment、paid、shipped、delivered、completed、cancelled 或 refunded / status must be one of pending_payment, paid, shipped, delivered, completed, cancelled, refunded, not {text:?}"
                ),
            )
        })
    }

    pub fn zh(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "待付款",
            OrderStatus::Paid => "待发货",
            OrderStatus::Shipped => "已发货",
            OrderStatus::Delivered => "已签收",
            OrderStatus::Completed => "已完成",
            OrderStatus::Cancelled => "已取消",
            OrderStatus::Refunded => "已退款",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// No move leaves this status.
    pub fn is_final(self) -> bool {
        !TABLE.iter().any(|(from, _, _)| *from == self)
    }

    /// The statuses `party` may move an order in this status to.
    pub fn next_for(self, party: Party) -> impl Iterator<Item = OrderStatus> {
        TABLE.iter().filter(move |(from, _, who)| *from == self && who.contains(&party)).map(|(_, to, _)| *to)
    }

    /// Whether `party` may move an order from `self` to `to`, and what the
    /// move does to its stock; the error says why not (field `status`).
    pub fn check_move(self, to: OrderStatus, party: Party) -> Result<StockEffect, DomainError> {
        let Some((_, _, who)) = TABLE.iter().find(|(from, t, _)| *from == self && *t == to) else {
            return Err(DomainError::new(
                "status",
                format!(
                    "订单{}，不能改为{} / an order that is {} cannot become {}",
                    self.zh(),
                    to.zh(),
                    self.en(),
                    to.en()
                ),
            ));
        };
        if !who.contains(&party) {
            return Err(DomainError::new(
                "status",
                format!(
                    "{}不能把订单从{}改为{} / the {} may not move an order from {} to {}",
                    party.zh(),
                    self.zh(),
                    to.zh(),
                    party.as_str(),
                    self.en(),
                    to.en()
                ),
            ));
        }
        Ok(match (self, to) {
            (OrderStatus::PendingPayment, OrderStatus::Paid) => StockEffect::Sell,
            (OrderStatus::PendingPayment, OrderStatus::Cancelled) | (OrderStatus::Paid, OrderStatus::Refunded) => {
                StockEffect::Release
            }
            _ => StockEffect::None,
        })
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an order came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderSource {
    /// 购物车结算: the cart's checkout.
    Checkout,
    /// 秒杀: won in a flash sale, whose units were reserved by the sale.
    FlashSale(FlashSaleId),
}

impl OrderSource {
    /// `checkout` or `flash_sale` (the sale's id is stored beside it).
    pub fn kind(self) -> &'static str {
        match self {
            OrderSource::Checkout => "checkout",
            OrderSource::FlashSale(_) => "flash_sale",
        }
    }

    pub fn flash_sale(self) -> Option<FlashSaleId> {
        match self {
            OrderSource::FlashSale(id) => Some(id),
            OrderSource::Checkout => None,
        }
    }

    /// Rebuilds a source from its stored kind and sale id.
    pub fn from_parts(kind: &str, flash_sale: Option<i64>) -> Option<OrderSource> {
        match (kind, flash_sale) {
            ("checkout", None) => Some(OrderSource::Checkout),
            ("flash_sale", Some(id)) => Some(OrderSource::FlashSale(FlashSaleId(id))),
            _ => None,
        }
    }
}

/// A checked delivery address (收货地址).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShippingAddress {
    name: String,
    phone: String,
    region: String,
    detail: String,
}

impl ShippingAddress {
    pub const MAX_NAME: usize = 20;
    pub const MAX_REGION: usize = 60;
    pub const MAX_DETAIL: usize = 120;

    /// Checks every field at once. Fields: `name`, `phone`, `region`,
    /// `detail`. The phone may be typed with spaces, dashes or a `+86`
    /// prefix; it is kept as its 11 digits.
    pub fn parse(name: &str, phone: &str, region: &str, detail: &str) -> Result<ShippingAddress, Vec<DomainError>> {
        let mut errors = Vec::new();
        let mut required = |field: &'static str, zh: &str, en: &str, text: &str, min: usize, max: usize| match line(
            field, zh, en, text, max,
        ) {
            Ok(t) if t.chars().count() >= min => Some(t),
            Ok(_) if min <= 1 => {
                errors.push(DomainError::new(field, format!("{zh}不能为空 / {en} must not be empty")));
                None
            }
            Ok(_) => {
                errors.push(DomainError::new(
                    field,
                    format!("{zh}至少{min}个字符 / {en} must be at least {min} characters"),
                ));
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let name = required("name", "收货人", "name", name, 1, Self::MAX_NAME);
        let region = required("region", "所在地区", "region", region, 2, Self::MAX_REGION);
        let detail = required("detail", "详细地址", "detail", detail, 4, Self::MAX_DETAIL);
        let phone = mobile(phone).map_err(|e| errors.push(e)).ok();
        match (name, phone, region, detail) {
            (Some(name), Some(phone), Some(region), Some(detail)) if errors.is_empty() => {
                Ok(ShippingAddress { name, phone, region, detail })
            }
            _ => Err(errors),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// 11 digits.
    pub fn phone(&self) -> &str {
        &self.phone
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// `138****8000`: what lists and exports show of the phone.
    pub fn masked_phone(&self) -> String {
        format!("{}****{}", &self.phone[..3], &self.phone[7..])
    }
}

/// An 11-digit mainland mobile number: 1, then 3–9, then 9 digits.
fn mobile(text: &str) -> Result<String, DomainError> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = compact.strip_prefix("+86").or_else(|| compact.strip_prefix("0086")).unwrap_or(&compact);
    if digits.is_empty() {
        return Err(DomainError::new("phone", "手机号不能为空 / phone must not be empty"));
    }
    let b = digits.as_bytes();
    let ok = b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    if !ok {
        return Err(DomainError::new(
            "phone",
            format!("手机号须为11位中国大陆手机号 / phone must be an 11-digit mainland mobile number, not {text:?}"),
        ));
    }
    Ok(digits.to_owned())
}

/// Checks a tracking number (运单号) for shipping: 6 to 40 letters, digits
/// or dashes. Field `tracking_number`.
pub fn tracking_number(text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    let ok = (6..=40).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(t.to_owned())
    } else {
        Err(DomainError::new(
            "tracking_number",
            "运单号须为6到40位字母、数字或短横线 / the tracking number must be 6 to 40 letters, digits or dashes",
        ))
    }
}

/// Checks a note on a status change (a refund reason): one line, at most
/// 200 characters, may be empty. Field `note`.
pub fn note(text: &str) -> Result<String, DomainError> {
    line("note", "备注", "note", text, 200)
}

/// Checks an order line's quantity: 1 to [`MAX_QUANTITY`]. Field `quantity`.
pub fn quantity(quantity: u64) -> Result<u32, DomainError> {
    match u32::try_from(quantity) {
        Ok(q) if (1..=MAX_QUANTITY).contains(&q) => Ok(q),
        _ => Err(DomainError::new(
            "quantity",
            format!("数量须在1到{MAX_QUANTITY}之间 / quantity must be from 1 to {MAX_QUANTITY}, not {quantity}"),
        )),
    }
}

/// An order's money: Σ unit price × quantity, the discount, and what is
/// payable. Built only through [`OrderTotals::compute`], so
/// `subtotal - discount == total` and nothing is negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTotals {
    pub subtotal: Fen,
    pub discount: Fen,
    pub total: Fen,
}

impl OrderTotals {
    /// Lines are `(unit price, quantity)`. Refuses a negative price or
    /// discount, a discount above the subtotal, and any overflow.
    pub fn compute(lines: &[(Fen, u32)], discount: Fen) -> Result<OrderTotals, DomainError> {
        let overflow = || DomainError::new("total", "金额超出范围 / the amount is out of range");
        let mut subtotal = Fen::ZERO;
        for &(price, qty) in lines {
            if price.0 < 0 {
                return Err(DomainError::new("unit_price", "单价不能为负 / the unit price must not be negative"));
            }
            let line = price.checked_mul(i64::from(qty)).ok_or_else(overflow)?;
            subtotal = subtotal.checked_add(line).ok_or_else(overflow)?;
        }
        if discount.0 < 0 {
            return Err(DomainError::new("discount", "优惠不能为负 / the discount must not be negative"));
        }
        let total = subtotal.checked_sub(discount).ok_or_else(overflow)?;
        if total.0 < 0 {
            return Err(DomainError::new(
                "discount",
                format!(
                    "优惠{discount}超过商品金额{subtotal} / the discount {discount} exceeds the subtotal {subtotal}"
                ),
            ));
        }
        Ok(OrderTotals { subtotal, discount, total })
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn statuses_round_trip_and_unknown_names_the_field() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(OrderStatus::parse("lost").unwrap_err().field, "status");
    }

    #[test]
    fn the_happy_path_and_who_walks_it() {
        assert_eq!(PendingPayment.check_move(Paid, Party::Buyer), Ok(StockEffect::Sell));
        assert_eq!(Paid.check_move(Shipped, Party::Staff), Ok(StockEffect::None));
        assert!(Paid.check_move(Shipped, Party::Buyer).is_err());
        assert_eq!(Shipped.check_move(Delivered, Party::Buyer), Ok(StockEffect::None));
        assert_eq!(Delivered.check_move(Completed, Party::System), Ok(StockEffect::None));
    }

    #[test]
    fn stock_returns_only_when_it_never_left() {
        assert_eq!(PendingPayment.check_move(Cancelled, Party::System), Ok(StockEffect::Release));
        assert_eq!(PendingPayment.check_move(Cancelled, Party::Buyer), Ok(StockEffect::Release));
        assert_eq!(Paid.check_move(Refunded, Party::Staff), Ok(StockEffect::Release));
        assert_eq!(Shipped.check_move(Refunded, Party::Staff), Ok(StockEffect::None));
        // a buyer cannot refund themselves, nor cancel a paid order
        assert!(Paid.check_move(Refunded, Party::Buyer).is_err());
        assert!(Paid.check_move(Cancelled, Party::Buyer).is_err());
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        for s in [Completed, Cancelled, Refunded] {
            assert!(s.is_final());
            for to in OrderStatus::ALL {
                for p in [Party::Buyer, Party::Staff, Party::System] {
                    assert!(s.check_move(to, p).is_err(), "{s} -> {to} by {p:?}");
                }
            }
        }
        assert!(!PendingPayment.is_final());
        assert_eq!(PendingPayment.next_for(Party::System).collect::<Vec<_>>(), [Paid, Cancelled]);
        assert_eq!(Paid.next_for(Party::Staff).collect::<Vec<_>>(), [Shipped, Refunded]);
    }

    #[test]
    fn refusals_say_why_in_both_languages() {
        let e = Cancelled.check_move(Paid, Party::Buyer).unwrap_err();
        assert!(e.message.contains("已取消") && e.message.contains("cancelled"), "{e}");
        let e = Paid.check_move(Shipped, Party::Buyer).unwrap_err();
        assert!(e.message.contains("买家") && e.message.contains("buyer may not"), "{e}");
    }

    fn fields(r: Result<ShippingAddress, Vec<DomainError>>) -> Vec<&'static str> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_address_is_checked_field_by_field() {
        let a = ShippingAddress::parse(" 张三 ", "+86 138-0013-8000", "浙江省 杭州市 西湖区", "文三路 100 号").unwrap();
        assert_eq!((a.name(), a.phone(), a.masked_phone().as_str()), ("张三", "13800138000", "138****8000"));
        assert_eq!(fields(ShippingAddress::parse("", "", "", "")), ["name", "region", "detail", "phone"]);
        assert_eq!(fields(ShippingAddress::parse("张三", "12800138000", "浙江", "文三路100号")), ["phone"]);
        assert_eq!(fields(ShippingAddress::parse("张三", "1380013800", "浙江", "文三路100号")), ["phone"]);
        assert_eq!(fields(ShippingAddress::parse("张三", "1380013800a", "浙江", "路")), ["detail", "phone"]);
        assert_eq!(
            fields(ShippingAddress::parse(&"名".repeat(21), "13800138000", "浙", "文三路100号")),
            ["name", "region"]
        );
        let e = ShippingAddress::parse("张\n三", "13800138000", "浙江", "文三路100号").unwrap_err();
        assert!(e[0].message.contains("一行"), "{:?}", e);
    }

    #[test]
    fn sources_round_trip() {
        for s in [OrderSource::Checkout, OrderSource::FlashSale(FlashSaleId(7))] {
            assert_eq!(OrderSource::from_parts(s.kind(), s.flash_sale().map(|f| f.0)), Some(s));
        }
        assert_eq!(OrderSource::from_parts("flash_sale", None), None);
        assert_eq!(OrderSource::from_parts("checkout", Some(1)), None);
    }

    #[test]
    fn quantities_and_tracking_numbers() {
        assert_eq!(quantity(1), Ok(1));
        assert_eq!(quantity(0).unwrap_err().field, "quantity");
        assert_eq!(quantity(1_000_000_000).unwrap_err().field, "quantity");
        assert_eq!(tracking_number(" SF1234567890 ").unwrap(), "SF1234567890");
        assert_eq!(tracking_number("12").unwrap_err().field, "tracking_number");
        assert!(tracking_number("SF 123 456").is_err());
    }

    #[test]
    fn totals_refuse_what_cannot_be() {
        let t = OrderTotals::compute(&[(Fen(1999), 2), (Fen(500), 1)], Fen(498)).unwrap();
        assert_eq!((t.subtotal, t.discount, t.total), (Fen(4498), Fen(498), Fen(4000)));
        assert_eq!(OrderTotals::compute(&[(Fen(100), 1)], Fen(101)).unwrap_err().field, "discount");
        assert_eq!(OrderTotals::compute(&[(Fen(100), 1)], Fen(-1)).unwrap_err().field, "discount");
        assert_eq!(OrderTotals::compute(&[(Fen(-1), 1)], Fen(0)).unwrap_err().field, "unit_price");
        assert_eq!(OrderTotals::compute(&[(Fen(i64::MAX), 2)], Fen(0)).unwrap_err().field, "total");
    }

    proptest! {
        #[test]
        fn totals_add_up(lines in proptest::collection::vec((0i64..10_000_000, 1u32..1000), 0..20), d in 0i64..1_000_000) {
            let subtotal: i64 = lines.iter().map(|(p, q)| p * i64::from(*q)).sum();
            let lines: Vec<(Fen, u32)> = lines.into_iter().map(|(p, q)| (Fen(p), q)).collect();
            match OrderTotals::compute(&lines, Fen(d)) {
                Ok(t) => {
                    prop_assert_eq!(t.subtotal.0, subtotal);
                    prop_assert_eq!(t.total.0 + t.discount.0, t.subtotal.0);
                    prop_assert!(t.total.0 >= 0);
                }
                Err(e) => prop_assert!(d > subtotal && e.field == "discount"),
            }
        }
    }
}
