//! SKUs: the priced, stocked combinations of a product's specs (颜色=红,
//! 尺码=M), with their prices, cost, weight and barcode.

use std::fmt;

use crate::{DomainError, Fen, SkuId};

/// A SKU's spec attributes: ordered `(name, value)` pairs such as
/// `颜色=红, 尺码=M`. A product without variants has one SKU with no specs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Specs(Vec<(String, String)>);

/// Characters that separate specs when written as text, so they cannot be
/// part of a name or a value.
const SEPARATORS: [char; 8] = ['=', ':', '：', ',', '，', ';', '；', '|'];

impl Specs {
    pub const MAX_PAIRS: usize = 4;
    pub const MAX_NAME_CHARS: usize = 10;
    pub const MAX_VALUE_CHARS: usize = 20;

    /// Checks pairs given one by one (the API's `[{name, value}]`).
    pub fn parse(pairs: &[(String, String)]) -> Result<Specs, DomainError> {
        let field = "specs";
        if pairs.len() > Self::MAX_PAIRS {
            return Err(DomainError::new(field, format!("规格项最多{0}个 / at most {0} spec names", Self::MAX_PAIRS)));
        }
        let mut checked: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let (name, value) = (name.trim(), value.trim());
            let bad_char = |s: &str| s.chars().any(|c| c.is_control() || SEPARATORS.contains(&c));
            if name.is_empty() || name.chars().count() > Self::MAX_NAME_CHARS || bad_char(name) {
                return Err(DomainError::new(
                    field,
                    format!(
                        "规格名“{name}”须为1到{0}个字符，不含 = : , ; | / spec name {name:?} must be 1 to {0} characters without = : , ; |",
                        Self::MAX_NAME_CHARS
                    ),
                ));
            }
            if value.is_empty() || value.chars().count() > Self::MAX_VALUE_CHARS || bad_char(value) {
                return Err(DomainError::new(
                    field,
                    format!(
                        "“{name}”的规格值须为1到{0}个字符，不含 = : , ; | / the value of {name} must be 1 to {0} characters without = : , ; |",
                        Self::MAX_VALUE_CHARS
                    ),
                ));
            }
            if checked.iter().any(|(n, _)| n == name) {
                return Err(DomainError::new(field, format!("规格名“{name}”重复 / spec name {name:?} appears twice")));
            }
            checked.push((name.to_owned(), value.to_owned()));
        }
        Ok(Specs(checked))
    }

    /// Parses specs as people type them: `颜色=红, 尺码=M` (also with `:`,
    /// `：`, `，`, `;`, `；` or one per line). Empty text is no specs.
    pub fn parse_text(text: &str) -> Result<Specs, DomainError> {
        let mut pairs = Vec::new();
        for part in text.split([',', '，', ';', '；', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once(['=', ':', '：']) else {
                return Err(DomainError::new(
                    "specs",
                    format!(
                        "规格须写成“名称=值”，如 颜色=红, 尺码=M；“{part}”不是 / write specs as name=value, e.g. 颜色=红, 尺码=M; {part:?} is not"
                    ),
                ));
            };
            pairs.push((name.to_owned(), value.to_owned()));
        }
        Specs::parse(&pairs)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// The combination regardless of order (`尺码=M;颜色=红`), what must be
    /// unique within a product. Unambiguous because names and values hold
    /// no separators.
    pub fn key(&self) -> String {
        let mut pairs: Vec<_> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        pairs.sort();
        pairs.join(";")
    }

    /// The values alone, for a short label: `红 / M`.
    pub fn values_label(&self) -> String {
        self.0.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / ")
    }
}

impl fmt::Display for Specs {
    /// `颜色=红, 尺码=M`, which [`Specs::parse_text`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<_> = self.0.iter().map(|(n, v)| format!("{n}={v}")).collect();
        f.write_str(&text.join(", "))
    }
}

/// A GTIN barcode (EAN-8, UPC-A, EAN-13 or GTIN-14) with a correct check
/// digit: a mistyped digit is caught when entered, not at the scanner.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Barcode(String);

impl Barcode {
    pub fn parse(text: &str) -> Result<Barcode, DomainError> {
        let t = text.trim();
        if !t.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 13, 14].contains(&t.len()) {
            return Err(DomainError::new(
                "barcode",
                format!("条码须为8、12、13或14位数字 / a barcode is 8, 12, 13 or 14 digits, not {t:?}"),
            ));
        }
        let (body, check) = t.split_at(t.len() - 1);
        if gtin_check_digit(body) != check.bytes().next().map(|b| b - b'0') {
            return Err(DomainError::new(
                "barcode",
                format!("条码{t}的校验位不对，请核对 / the check digit of barcode {t} is wrong; check for a typo"),
            ));
        }
        Ok(Barcode(t.to_owned()))
    }

    /// A barcode from its digits without the check digit, which is added.
    pub fn with_check_digit(body: &str) -> Result<Barcode, DomainError> {
        let digit =
            gtin_check_digit(body).ok_or_else(|| DomainError::new("barcode", "条码须为数字 / a barcode is digits"))?;
        Barcode::parse(&format!("{body}{digit}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The GTIN check digit of `body` (the digits before it): weights 3 and 1
/// alternate from the right.
fn gtin_check_digit(body: &str) -> Option<u8> {
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 =
        body.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// A SKU as typed or sent, not yet checked. `id` is set when an existing
/// SKU is edited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuInput {
    pub id: Option<i64>,
    pub specs: Vec<(String, String)>,
    /// 划线价; 0 for none.
    pub list_price: Fen,
    pub price: Fen,
    pub cost: Fen,
    pub weight_g: i64,
    /// Empty for none.
    pub barcode: String,
}

/// A checked SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuDraft {
    /// The SKU being edited; `None` for a new one.
    pub id: Option<SkuId>,
    pub specs: Specs,
    /// 划线价: the reference price shown struck through; 0 for none.
    pub list_price: Fen,
    pub price: Fen,
    /// 成本: what one unit costs the shop, for margins.
    pub cost: Fen,
    /// Shipping weight in grams.
    pub weight_g: i64,
    pub barcode: Option<Barcode>,
}

impl SkuDraft {
    /// ¥10,000,000: far above any live-commerce price, low enough that
    /// sums of many lines stay far from overflow.
    pub const MAX_PRICE: Fen = Fen(1_000_000_000);
    /// One tonne.
    pub const MAX_WEIGHT_G: i64 = 1_000_000;

    /// Checks one SKU, every field at once. Fields: `id`, `specs`,
    /// `list_price`, `price`, `cost`, `weight_g`, `barcode`.
    pub fn parse(input: &SkuInput) -> Result<SkuDraft, Vec<DomainError>> {
        let mut errors = Vec::new();
        let id = match input.id {
            Some(id) if id <= 0 => {
                errors.push(DomainError::new("id", format!("没有这个SKU：{id} / no such SKU: {id}")));
                None
            }
            other => other.map(SkuId),
        };
        let specs = Specs::parse(&input.specs).unwrap_or_else(|e| {
            errors.push(e);
            Specs::default()
        });
        let money = |field: &'static str, zh: &str, en: &str, fen: Fen| -> Option<DomainError> {
            if fen.0 < 0 {
                Some(DomainError::new(field, format!("{zh}不能为负 / {en} must not be negative")))
            } else if fen > Self::MAX_PRICE {
                Some(DomainError::new(field, format!("{zh}不能超过{0} / {en} must not exceed {0}", Self::MAX_PRICE)))
            } else {
                None
            }
        };
        let list_price_error = money("list_price", "划线价", "list price", input.list_price);
        let price_error = money("price", "售价", "price", input.price);
        match list_price_error {
            Some(e) => errors.push(e),
            // A struck-through price below the selling price is a false anchor.
            None if input.list_price.0 > 0 && price_error.is_none() && input.list_price < input.price => errors
                .push(DomainError::new("list_price", "划线价不能低于售价 / list price must not be below the price")),
            None => {}
        }
        errors.extend(price_error);
        errors.extend(money("cost", "成本", "cost", input.cost));
        if !(0..=Self::MAX_WEIGHT_G).contains(&input.weight_g) {
            errors.push(DomainError::new(
                "weight_g",
                format!("重量须为0到{0}克 / weight must be 0 to {0} grams", Self::MAX_WEIGHT_G),
            ));
        }
        let barcode = if input.barcode.trim().is_empty() {
            None
        } else {
            Barcode::parse(&input.barcode).map_err(|e| errors.push(e)).ok()
        };
        if errors.is_empty() {
            Ok(SkuDraft {
                id,
                specs,
                list_price: input.list_price,
                price: input.price,
                cost: input.cost,
                weight_g: input.weight_g,
                barcode,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn specs_are_typed_as_name_value_pairs() {
        let s = Specs::parse_text(" 颜色=红， 尺码：M ;").unwrap();
        assert_eq!(s.pairs(), pairs(&[("颜色", "红"), ("尺码", "M")]).as_slice());
        assert_eq!(s.to_string(), "颜色=红, 尺码=M");
        assert_eq!(s.key(), "尺码=M;颜色=红");
        assert_eq!(s.values_label(), "红 / M");
        assert!(Specs::parse_text("").unwrap().is_empty());
        for bad in ["红色", "颜色=", "=红", "颜色=红, 颜色=蓝", "a=1,b=2,c=3,d=4,e=5"] {
            assert_eq!(Specs::parse_text(bad).unwrap_err().field, "specs", "{bad:?}");
        }
        assert!(Specs::parse(&pairs(&[("颜色", "红|蓝")])).is_err(), "a separator inside a value");
    }

    #[test]
    fn barcodes_need_a_correct_check_digit() {
        assert_eq!(Barcode::parse(" 6901234567892 ").unwrap().as_str(), "6901234567892");
        assert_eq!(Barcode::with_check_digit("690123456789").unwrap().as_str(), "6901234567892");
        assert!(Barcode::parse("96385074").is_ok(), "EAN-8");
        assert!(Barcode::parse("036000291452").is_ok(), "UPC-A");
        let typo = Barcode::parse("6901234567893").unwrap_err();
        assert!(typo.message.contains("校验位"), "{typo}");
        for bad in ["690123", "69012345678a2", "123456789"] {
            assert_eq!(Barcode::parse(bad).unwrap_err().field, "barcode");
        }
    }

    #[test]
    fn every_wrong_sku_field_is_named() {
        let input = SkuInput {
            id: Some(0),
            specs: pairs(&[("", "红")]),
            list_price: Fen(-1),
            price: Fen(SkuDraft::MAX_PRICE.0 + 1),
            cost: Fen(-1),
            weight_g: SkuDraft::MAX_WEIGHT_G + 1,
            barcode: "1".into(),
        };
        let fields: Vec<_> = SkuDraft::parse(&input).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["id", "specs", "list_price", "price", "cost", "weight_g", "barcode"]);
    }

    #[test]
    fn a_list_price_of_zero_means_none_and_may_sit_below_the_price() {
        let input = SkuInput { price: Fen(100), ..Default::default() };
        assert_eq!(SkuDraft::parse(&input).unwrap().list_price, Fen(0));
        let equal = SkuInput { price: Fen(100), list_price: Fen(100), ..Default::default() };
        assert!(SkuDraft::parse(&equal).is_ok());
    }

    proptest! {
        #[test]
        fn specs_written_out_read_back(values in proptest::collection::vec("[a-zA-Z0-9红蓝黑白大小]{1,8}", 0..4)) {
            let names = ["颜色", "尺码", "款式", "套餐"];
            let p: Vec<_> = values.iter().enumerate().map(|(i, v)| (names[i].to_owned(), v.clone())).collect();
            let specs = Specs::parse(&p).unwrap();
            prop_assert_eq!(Specs::parse_text(&specs.to_string()).unwrap(), specs);
        }

        #[test]
        fn any_body_completed_with_its_check_digit_is_a_valid_barcode(body in "[0-9]{12}") {
            let code = Barcode::with_check_digit(&body).unwrap();
            prop_assert!(Barcode::parse(code.as_str()).is_ok());
            // and changing any one digit is caught
            let last = code.as_str().as_bytes()[12];
            let changed = format!("{body}{}", (last - b'0' + 1) % 10);
            prop_assert!(Barcode::parse(&changed).is_err());
        }
    }
}
