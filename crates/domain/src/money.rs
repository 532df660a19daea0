//! Money as integer fen (分). There is no floating point money anywhere in
//! zhibo: a price is a whole number of fen, and sums are checked.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::DomainError;

/// An amount of money in fen (1 yuan = 100 fen). May be negative only as the
/// result of arithmetic (a refund, a discount); prices are validated to be
/// non-negative where they are entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Fen> {
        self.0.checked_mul(quantity).map(Fen)
    }

    /// Parses what a person types as a price in yuan: `12`, `12.5`, `12.50`,
    /// `¥12.50`. More than two decimals is refused rather than rounded, since
    /// a silently rounded price is a pricing incident.
    pub fn parse_yuan(field: &'static str, text: &str) -> Result<Fen, DomainError> {
        let t = text.trim().trim_start_matches(['¥', '￥']).trim();
        let bad = || DomainError::new(field, format!("不是有效金额 / not a valid amount: {text:?}"));
        if t.is_empty() {
            return Err(DomainError::new(field, "不能为空 / must not be empty"));
        }
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(DomainError::new(field, "最多两位小数 / at most two decimals (fen)"));
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac_fen: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let fen = whole.checked_mul(100).and_then(|w| w.checked_add(frac_fen)).ok_or_else(bad)?;
        Ok(Fen(if negative { -fen } else { fen }))
    }
}

/// An amount as a shop writes it in a rule: yuan without needless decimals,
/// no currency sign (30000 → `300`, 29950 → `299.5`, 5 → `0.05`), as in
/// 满300减40. Built by [`Fen::short`].
#[derive(Debug, Clone, Copy)]
pub struct ShortYuan(pub Fen);

impl Fen {
    pub fn short(self) -> ShortYuan {
        ShortYuan(self)
    }
}

impl fmt::Display for ShortYuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0.0 < 0 { "-" } else { "" };
        let abs = self.0.0.unsigned_abs();
        let (yuan, fen) = (abs / 100, abs % 100);
        match fen {
            0 => write!(f, "{sign}{yuan}"),
            _ if fen % 10 == 0 => write!(f, "{sign}{yuan}.{}", fen / 10),
            _ => write!(f, "{sign}{yuan}.{fen:02}"),
        }
    }
}

impl fmt::Display for Fen {
    /// `¥12.50`; negative amounts as `-¥12.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_as_yuan_with_two_decimals() {
        assert_eq!(Fen(1250).to_string(), "¥12.50");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-199).to_string(), "-¥1.99");
    }

    #[test]
    fn short_yuan_drops_needless_decimals() {
        let shown: Vec<String> = [30000, 29950, 5, -120, 0].map(|f| Fen(f).short().to_string()).into();
        assert_eq!(shown, ["300", "299.5", "0.05", "-1.2", "0"]);
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Fen::parse_yuan("p", "12").unwrap(), Fen(1200));
        assert_eq!(Fen::parse_yuan("p", "12.5").unwrap(), Fen(1250));
        assert_eq!(Fen::parse_yuan("p", " ¥0.05 ").unwrap(), Fen(5));
        assert_eq!(Fen::parse_yuan("p", "￥99.90").unwrap(), Fen(9990));
    }

    #[test]
    fn refuses_rounding_and_garbage_naming_the_field() {
        for bad in ["", "1.234", "abc", "1,00", ".5", "1e3", "99999999999999999999"] {
            let err = Fen::parse_yuan("price", bad).unwrap_err();
            assert_eq!(err.field, "price", "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(fen in -1_000_000_000_000i64..1_000_000_000_000) {
            let shown = Fen(fen).to_string().replace('¥', "");
            prop_assert_eq!(Fen::parse_yuan("p", &shown).unwrap(), Fen(fen));
        }
    }
}
