//! One spreadsheet cell and the ways a caller reads it: as trimmed text, as
//! a whole number, as a yes/no, or as decimal text for money, which never
//! goes through a float the caller has to round.
//!
//! CSV has no types, so every non-empty CSV field reads as [`Cell::Text`];
//! XLSX keeps Excel's types (numbers without a fraction come back as
//! [`Cell::Int`]). The helpers accept both, so an importer does not care
//! which format the file was.

use std::borrow::Cow;
use std::fmt;

use crate::error::{SheetError, ValueKind};

/// A cell's value. Readers never produce `Text("")`: an empty string is
/// [`Cell::Empty`]. Dates and times from XLSX arrive as ISO text
/// (`2026-11-05`, `2026-11-05 14:30:00`, durations `36:15:00`), and Excel
/// error values as their text (`#N/A`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Cell {
    /// Empty, or text that is only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The value as the person sees it, trimmed; `None` when blank. Numbers
    /// render as Excel shows them (15 significant digits, no exponent),
    /// booleans as `TRUE`/`FALSE`.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Empty => None,
            Cell::Text(t) => {
                let t = t.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    /// A whole number. Text may carry thousands separators (`1,200`), a
    /// leading `+`, or a zero fraction (`5.00`, as some CSV exports write
    /// it); anything else is a [`SheetError::Value`] quoting what was there.
    pub fn as_int(&self) -> Result<Option<i64>, SheetError> {
        let bad = |found: String| SheetError::Value { expected: ValueKind::Integer, found };
        match self {
            Cell::Empty => Ok(None),
            Cell::Int(i) => Ok(Some(*i)),
            // i64::MAX is not a float; 2^63 is the first float outside the range.
            Cell::Float(x) if x.fract() == 0.0 && x.abs() < 9_223_372_036_854_775_808.0 => Ok(Some(*x as i64)),
            Cell::Float(_) | Cell::Bool(_) => Err(bad(self.to_string())),
            Cell::Text(raw) => {
                let t = raw.trim();
                if t.is_empty() {
                    return Ok(None);
                }
                let plain = strip_grouping(t);
                let plain = plain.strip_prefix('+').unwrap_or(&plain);
                let whole = match plain.split_once('.') {
                    Some((whole, frac)) if frac.bytes().all(|b| b == b'0') => whole,
                    Some(_) => return Err(bad(t.to_owned())),
                    None => plain,
                };
                whole.parse::<i64>().map(Some).map_err(|_| bad(t.to_owned()))
            }
        }
    }

    /// Decimal text for an amount, exact as the spreadsheet shows it, for
    /// the caller to parse into fen (`zhibo_domain::Fen::parse_yuan`).
    /// `None` when blank.
    ///
    /// An XLSX number is a binary float: 19.9 is stored as
    /// 19.899999999999998578…, and `=0.1+0.2` as 0.30000000000000004. Excel
    /// shows 15 significant digits, so this rounds to 15 and then prints the
    /// shortest decimal that is the same float: `"19.9"`, `"0.3"`, never an
    /// exponent. Text is trimmed and loses thousands separators
    /// (`"1,299.00"` → `"1299.00"`); anything else (a `¥`, too many
    /// decimals, words) is left for the caller's parser to reject by name.
    pub fn as_decimal_text(&self) -> Option<String> {
        match self {
            Cell::Text(t) => {
                let t = t.trim();
                (!t.is_empty()).then(|| strip_grouping(t).into_owned())
            }
            other => other.as_text().map(Cow::into_owned),
        }
    }

    /// A yes/no: `TRUE`/`FALSE`, `yes`/`no`, `y`/`n`, `1`/`0`, `是`/`否`
    /// (any case). Anything else is a [`SheetError::Value`].
    pub fn as_bool(&self) -> Result<Option<bool>, SheetError> {
        let bad = |found: String| SheetError::Value { expected: ValueKind::Bool, found };
        match self {
            Cell::Empty => Ok(None),
            Cell::Bool(b) => Ok(Some(*b)),
            Cell::Int(1) => Ok(Some(true)),
            Cell::Int(0) => Ok(Some(false)),
            Cell::Int(_) | Cell::Float(_) => Err(bad(self.to_string())),
            Cell::Text(raw) => {
                let t = raw.trim();
                match t.to_lowercase().as_str() {
                    "" => Ok(None),
                    "true" | "yes" | "y" | "1" | "是" => Ok(Some(true)),
                    "false" | "no" | "n" | "0" | "否" => Ok(Some(false)),
                    _ => Err(bad(t.to_owned())),
                }
            }
        }
    }
}

/// The untrimmed value: text as stored, numbers as [`Cell::as_text`]
/// renders them, empty as nothing. This is what a CSV writer puts in a field.
impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cell::Empty => Ok(()),
            Cell::Text(t) => f.write_str(t),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Float(x) => f.write_str(&excel_decimal(*x)),
            Cell::Bool(true) => f.write_str("TRUE"),
            Cell::Bool(false) => f.write_str("FALSE"),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        if text.is_empty() { Cell::Empty } else { Cell::Text(text) }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::from(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Int(value)
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Float(value)
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Cell::Bool(value)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// A float as Excel shows it: 15 significant digits (Excel's precision),
/// then the shortest decimal that round-trips, never in exponent form
/// (Rust's `Display` for `f64` never uses one).
pub(crate) fn excel_decimal(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let rounded: f64 = format!("{x:.14e}").parse().unwrap_or(x);
    if rounded == 0.0 {
        // also turns -0 into 0
        return "0".to_owned();
    }
    rounded.to_string()
}

/// `1,299.50` → `1299.50`, but only when the commas group digits in
/// threes, so that `1,2` (a European decimal, or a typo) is left alone for
/// the caller to reject rather than silently becoming 12.
fn strip_grouping(t: &str) -> Cow<'_, str> {
    if !t.contains(',') {
        return Cow::Borrowed(t);
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let int_part = unsigned.split_once('.').map_or(unsigned, |(w, _)| w);
    let frac_ok = unsigned.split_once('.').is_none_or(|(_, f)| f.bytes().all(|b| b.is_ascii_digit()));
    let mut groups = int_part.split(',');
    let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if first_ok && rest_ok && frac_ok { Cow::Owned(t.replace(',', "")) } else { Cow::Borrowed(t) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_the_spreadsheet_shows_them() {
        assert_eq!(Cell::Float(19.9).as_decimal_text().unwrap(), "19.9");
        assert_eq!(Cell::Float(0.1 + 0.2).as_decimal_text().unwrap(), "0.3");
        assert_eq!(Cell::Float(1.1 * 3.0).as_decimal_text().unwrap(), "3.3");
        assert_eq!(Cell::Float(99.99).as_decimal_text().unwrap(), "99.99");
        assert_eq!(Cell::Float(0.05).as_decimal_text().unwrap(), "0.05");
        assert_eq!(Cell::Float(-12.5).as_decimal_text().unwrap(), "-12.5");
        assert_eq!(Cell::Float(1e21).as_decimal_text().unwrap(), "1000000000000000000000");
        assert_eq!(Cell::Float(0.0000001).as_decimal_text().unwrap(), "0.0000001");
        assert_eq!(Cell::Float(-0.0).as_decimal_text().unwrap(), "0");
        assert_eq!(Cell::Int(1990).as_decimal_text().unwrap(), "1990");
    }

    #[test]
    fn decimal_text_drops_only_real_thousands_separators() {
        assert_eq!(Cell::from(" 1,299.00 ").as_decimal_text().unwrap(), "1299.00");
        assert_eq!(Cell::from("-12,345,678").as_decimal_text().unwrap(), "-12345678");
        assert_eq!(Cell::from("1,2").as_decimal_text().unwrap(), "1,2");
        assert_eq!(Cell::from("12,34.5").as_decimal_text().unwrap(), "12,34.5");
        assert_eq!(Cell::from("¥19.9").as_decimal_text().unwrap(), "¥19.9");
        assert_eq!(Cell::from("   ").as_decimal_text(), None);
        assert_eq!(Cell::Empty.as_decimal_text(), None);
    }

    #[test]
    fn integers_from_text_and_numbers() {
        assert_eq!(Cell::from(" 42 ").as_int().unwrap(), Some(42));
        assert_eq!(Cell::from("+7").as_int().unwrap(), Some(7));
        assert_eq!(Cell::from("1,200").as_int().unwrap(), Some(1200));
        assert_eq!(Cell::from("5.00").as_int().unwrap(), Some(5));
        assert_eq!(Cell::from("-3").as_int().unwrap(), Some(-3));
        assert_eq!(Cell::Float(12.0).as_int().unwrap(), Some(12));
        assert_eq!(Cell::Empty.as_int().unwrap(), None);
        assert_eq!(Cell::from(" ").as_int().unwrap(), None);
        for bad in [Cell::from("2.5"), Cell::from("abc"), Cell::Float(2.5), Cell::Bool(true), Cell::from("1e3")] {
            let err = bad.as_int().unwrap_err();
            assert!(matches!(err, SheetError::Value { expected: ValueKind::Integer, .. }), "{bad:?}");
        }
        assert_eq!(
            Cell::from("十").as_int().unwrap_err().to_string(),
            "应为整数，实际为 \"十\" / expected a whole number, found \"十\""
        );
    }

    #[test]
    fn booleans_in_both_languages() {
        assert_eq!(Cell::from("是").as_bool().unwrap(), Some(true));
        assert_eq!(Cell::from("No").as_bool().unwrap(), Some(false));
        assert_eq!(Cell::Bool(true).as_bool().unwrap(), Some(true));
        assert_eq!(Cell::Int(0).as_bool().unwrap(), Some(false));
        assert!(Cell::from("maybe").as_bool().is_err());
        assert!(Cell::Int(2).as_bool().is_err());
    }

    #[test]
    fn text_is_trimmed_and_blank_is_none() {
        assert_eq!(Cell::from("  连衣裙 ").as_text().unwrap(), "连衣裙");
        assert_eq!(Cell::from(" \t").as_text(), None);
        assert_eq!(Cell::Bool(false).as_text().unwrap(), "FALSE");
        assert_eq!(Cell::Float(2.5).as_text().unwrap(), "2.5");
        assert!(Cell::from(" ").is_blank());
        assert!(!Cell::Int(0).is_blank());
        assert_eq!(Cell::from(String::new()), Cell::Empty);
        assert_eq!(Cell::from(None::<i64>), Cell::Empty);
    }
}
