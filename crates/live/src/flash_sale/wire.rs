//! The hot message's own reader: `flash_buy` parsed straight from the text
//! into borrowed fields, instead of the general path (text → JSON tree →
//! message, every string copied). Thousands of these arrive per second
//! during a sale, almost all to be refused, so the copying was most of
//! their cost.
//!
//! Only a plain, well-formed `flash_buy` is read here; anything else
//! (another type, a field that is missing, unknown, repeated or written
//! with escapes, a wrong version, too large) returns `None` and goes
//! through `ClientMessage::parse`, which gives the usual error. The field
//! rules are the same function either way ([`super::check_buy`]), so both
//! paths accept exactly the same messages and refuse them alike.

use serde::Deserialize;
use zhibo_domain::FlashSaleId;

use super::AddressInput;
use crate::protocol::{ClientMessage, MAX_MESSAGE_BYTES, ProtocolError, VERSION};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    v: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    sale: FlashSaleId,
    quantity: u32,
    request: &'a str,
    #[serde(borrow)]
    address: Address<'a>,
}

/// The delivery address as sent, borrowed from the text.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address<'a> {
    pub name: &'a str,
    pub phone: &'a str,
    pub region: &'a str,
    pub detail: &'a str,
}

impl<'a> Address<'a> {
    /// name, phone, region, detail.
    pub fn fields(&self) -> [&'a str; 4] {
        [self.name, self.phone, self.region, self.detail]
    }
}

/// A `flash_buy` whose fields passed their checks.
#[derive(Debug, Clone, Copy)]
pub struct FlashBuy<'a> {
    pub sale: FlashSaleId,
    pub quantity: u32,
    pub request: &'a str,
    pub address: Address<'a>,
}

impl FlashBuy<'_> {
    /// The message the room takes, for an attempt it must judge.
    pub fn into_message(self) -> ClientMessage {
        let a = self.address;
        ClientMessage::FlashBuy {
            sale: self.sale,
            quantity: self.quantity,
            request: self.request.to_owned(),
            address: AddressInput {
                name: a.name.to_owned(),
                phone: a.phone.to_owned(),
                region: a.region.to_owned(),
                detail: a.detail.to_owned(),
            },
        }
    }
}

/// A plain `flash_buy`, checked; `None` when the text is anything else
/// (then `ClientMessage::parse` judges it). `known_address` says whether
/// this very address already passed its checks (a connection sends the
/// same one with every attempt), so it need not be checked again.
pub fn parse<'a>(
    text: &'a str,
    known_address: impl FnOnce(&Address<'a>) -> bool,
) -> Option<Result<FlashBuy<'a>, ProtocolError>> {
    if text.len() > MAX_MESSAGE_BYTES || !text.contains("\"flash_buy\"") {
        return None;
    }
    let wire: Wire<'_> = serde_json::from_str(text).ok()?;
    if wire.v != u64::from(VERSION) || wire.kind != "flash_buy" {
        return None;
    }
    let a = wire.address;
    let checked = super::check_quantity_and_request(wire.quantity, wire.request)
        .and_then(|()| if known_address(&a) { Ok(()) } else { super::parse_address(a.fields()).map(|_| ()) });
    Some(checked.map(|()| FlashBuy { sale: wire.sale, quantity: wire.quantity, request: wire.request, address: a }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUY: &str = r#"{"v":1,"type":"flash_buy","sale":4,"quantity":1,"request":"r-1","address":{"name":"张三","phone":"13800138000","region":"浙江省杭州市","detail":"西湖区文三路 1 号"}}"#;

    #[test]
    fn a_plain_flash_buy_reads_as_the_general_parser_reads_it() {
        let fast = parse(BUY, |_| false).unwrap().unwrap();
        assert_eq!(fast.into_message(), ClientMessage::parse(BUY).unwrap());
        // Field order does not matter.
        let reordered = r#"{"address":{"detail":"西湖区文三路 1 号","region":"浙江省杭州市","phone":"13800138000","name":"张三"},"request":"r-1","quantity":1,"sale":4,"type":"flash_buy","v":1}"#;
        assert_eq!(parse(reordered, |_| false).unwrap().unwrap().into_message(), ClientMessage::parse(BUY).unwrap());
    }

    #[test]
    fn anything_unusual_goes_to_the_general_parser() {
        for text in [
            r#"{"v":1,"type":"comment","text":"flash_buy"}"#,
            r#"{"v":2,"type":"flash_buy","sale":4,"quantity":1,"request":"r","address":{"name":"a","phone":"13800138000","region":"上海市","detail":"浦东新区 1 号"}}"#,
            r#"{"v":1,"type":"flash_buy","sale":4,"quantity":1,"request":"r","extra":1,"address":{"name":"a","phone":"13800138000","region":"上海市","detail":"浦东新区 1 号"}}"#,
            r#"{"v":1,"type":"flash_buy","sale":4,"quantity":1,"request":"r\"q","address":{"name":"a","phone":"13800138000","region":"上海市","detail":"浦东新区 1 号"}}"#,
            r#"{"v":1,"type":"flash_buy","sale":4,"sale":5,"quantity":1,"request":"r","address":{"name":"a","phone":"13800138000","region":"上海市","detail":"浦东新区 1 号"}}"#,
            r#"{"v":1,"type":"flash_buy","sale":4,"quantity":-1,"request":"r","address":{"name":"a","phone":"13800138000","region":"上海市","detail":"浦东新区 1 号"}}"#,
            r#"{"v":1,"type":"flash_buy","sale":4,"quantity":1,"request":"r"}"#,
            r#"{"v":1,"type":"flash_buy""#,
        ] {
            assert!(parse(text, |_| false).is_none(), "{text}");
        }
        let large = BUY.replace("r-1", &"r".repeat(crate::protocol::MAX_MESSAGE_BYTES));
        assert!(parse(&large, |_| false).is_none());
    }

    #[test]
    fn field_rules_give_the_general_parsers_errors() {
        for (from, to) in [("\"quantity\":1", "\"quantity\":0"), ("\"r-1\"", "\"抢\""), ("13800138000", "110")] {
            let text = BUY.replace(from, to);
            assert_eq!(
                parse(&text, |_| false).unwrap().unwrap_err(),
                ClientMessage::parse(&text).unwrap_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn an_address_checked_before_is_not_checked_again() {
        let bad = BUY.replace("13800138000", "110");
        assert!(parse(&bad, |_| false).unwrap().is_err());
        // Whoever says the address is known vouches for it.
        assert!(parse(&bad, |a| a.phone == "110").unwrap().is_ok());
        // The other fields are still checked.
        let zero = bad.replace("\"quantity\":1", "\"quantity\":0");
        assert_eq!(parse(&zero, |_| true).unwrap().unwrap_err().field, Some("quantity"));
    }
}
