//! The stock ledger's rules. Every change of a SKU's stock is a ledger entry
//! with a reason; current stock is the sum of the entries and is never
//! written any other way. This module says which reasons move stock which
//! way and what a change must carry; the store applies it atomically and
//! refuses a change that would take stock below zero.
//!
//! Stock here is what can still be sold (可售库存): a reservation (预占)
//! takes units out for an unpaid order, a release (释放) puts them back, a
//! sale (销售) takes them out for good.

use std::fmt;

use crate::{DomainError, SkuId};

/// Why stock changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StockReason {
    /// 采购入库: goods received; adds.
    Purchase,
    /// 销售: sold; takes away.
    Sale,
    /// 预占: held for an order not yet paid; takes away.
    Reservation,
    /// 释放: a hold given back (order cancelled or timed out); adds.
    Release,
    /// 盘点调整: a stock count found a difference; either way.
    CountAdjustment,
    /// 手工调整: anything else, with a note saying why; either way.
    Manual,
}

/// Which way a reason may move stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    Either,
}

impl StockReason {
    pub const ALL: [StockReason; 6] = [
        StockReason::Purchase,
        StockReason::Sale,
        StockReason::Reservation,
        StockReason::Release,
        StockReason::CountAdjustment,
        StockReason::Manual,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StockReason::Purchase => "purchase",
            StockReason::Sale => "sale",
            StockReason::Reservation => "reservation",
            StockReason::Release => "release",
            StockReason::CountAdjustment => "count_adjustment",
            StockReason::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Result<StockReason, DomainError> {
        StockReason::ALL.into_iter().find(|r| r.as_str() == text.trim()).ok_or_else(|| {
            DomainError::new(
                "reason",
                format!(
                    "原因须为 purchase、sale、reservation、release、count_adjustment 或 manual / reason must be purchase, sale, reservation, release, count_adjustment or manual, not {text:?}"
                ),
            )
        })
    }

    pub fn direction(self) -> Direction {
        match self {
            StockReason::Purchase | StockReason::Release => Direction::In,
            StockReason::Sale | StockReason::Reservation => Direction::Out,
            StockReason::CountAdjustment | StockReason::Manual => Direction::Either,
        }
    }

    /// A manual change says why in its note; the other reasons say it by
    /// themselves.
    pub fn needs_note(self) -> bool {
        self == StockReason::Manual
    }
}

impl fmt::Display for StockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A checked change of one SKU's stock, not yet applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub sku: SkuId,
    /// Units added (positive) or taken away (negative); never 0.
    pub delta: i64,
    pub reason: StockReason,
    pub note: String,
}

impl StockChange {
    /// The most one entry may move: a typo of a few extra digits is caught.
    pub const MAX_UNITS: i64 = 1_000_000;
    pub const MAX_NOTE_CHARS: usize = 200;

    /// Checks a change, every field at once. Fields: `reason`, `delta`, `note`.
    pub fn parse(sku: SkuId, reason: &str, delta: i64, note: &str) -> Result<StockChange, Vec<DomainError>> {
        let mut errors = Vec::new();
        let reason = StockReason::parse(reason).map_err(|e| errors.push(e)).ok();
        if delta == 0 {
            errors.push(DomainError::new("delta", "数量不能为0 / the quantity must not be 0"));
        } else if delta.unsigned_abs() > Self::MAX_UNITS as u64 {
            errors.push(DomainError::new(
                "delta",
                format!("一次最多变动{0}件 / at most {0} units in one change", Self::MAX_UNITS),
            ));
        } else if let Some(reason) = reason {
            match (reason.direction(), delta > 0) {
                (Direction::In, false) => errors.push(DomainError::new(
                    "delta",
                    format!("{reason}只能增加库存，数量须为正数 / {reason} adds stock: the quantity must be positive"),
                )),
                (Direction::Out, true) => errors.push(DomainError::new(
                    "delta",
                    format!(
                        "{reason}只能减少库存，数量须为负数 / {reason} takes stock away: the quantity must be negative"
                    ),
                )),
                _ => {}
            }
        }
        let note = note.trim();
        if note.chars().count() > Self::MAX_NOTE_CHARS {
            errors.push(DomainError::new(
                "note",
                format!("备注最多{0}个字符 / note: at most {0} characters", Self::MAX_NOTE_CHARS),
            ));
        } else if note.chars().any(|c| c.is_control()) {
            errors.push(DomainError::new("note", "备注须为一行文字 / the note must be one line of text"));
        } else if note.is_empty() && reason.is_some_and(StockReason::needs_note) {
            errors.push(DomainError::new("note", "手工调整须写明原因 / a manual change needs a note saying why"));
        }
        match reason {
            Some(reason) if errors.is_empty() => Ok(StockChange { sku, delta, reason, note: note.to_owned() }),
            _ => Err(errors),
        }
    }
}

/// A change refused because it would take stock below zero: nothing was
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "库存不足：SKU {sku} 现有 {available} 件，无法减少 {wanted} 件 / not enough stock: SKU {sku} has {available}, cannot take {wanted}"
)]
pub struct InsufficientStock {
    pub sku: SkuId,
    pub available: i64,
    /// Units the change wanted to take away.
    pub wanted: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<StockChange, Vec<DomainError>>) -> Vec<&'static str> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn reasons_round_trip() {
        for r in StockReason::ALL {
            assert_eq!(StockReason::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(StockReason::parse("theft").unwrap_err().field, "reason");
    }

    #[test]
    fn each_reason_moves_stock_its_own_way() {
        let sku = SkuId(1);
        for (reason, delta, ok) in [
            ("purchase", 10, true),
            ("purchase", -10, false),
            ("release", 2, true),
            ("release", -2, false),
            ("sale", -1, true),
            ("sale", 1, false),
            ("reservation", -3, true),
            ("reservation", 3, false),
            ("count_adjustment", -4, true),
            ("count_adjustment", 4, true),
            ("manual", 5, true),
            ("manual", -5, true),
        ] {
            let parsed = StockChange::parse(sku, reason, delta, "盘点");
            assert_eq!(parsed.is_ok(), ok, "{reason} {delta}");
            if let Err(errs) = parsed {
                assert_eq!(errs[0].field, "delta");
            }
        }
    }

    #[test]
    fn zero_huge_and_unexplained_changes_are_refused() {
        let sku = SkuId(1);
        assert_eq!(fields(StockChange::parse(sku, "purchase", 0, "")), ["delta"]);
        assert_eq!(fields(StockChange::parse(sku, "purchase", 1_000_001, "")), ["delta"]);
        assert_eq!(fields(StockChange::parse(sku, "manual", 3, "  ")), ["note"]);
        assert_eq!(fields(StockChange::parse(sku, "nope", 3, &"长".repeat(201))), ["reason", "note"]);
        let ok = StockChange::parse(sku, "manual", -2, " 样品寄给主播 ").unwrap();
        assert_eq!((ok.delta, ok.reason, ok.note.as_str()), (-2, StockReason::Manual, "样品寄给主播"));
    }

    #[test]
    fn insufficient_stock_says_how_much_there_is() {
        let e = InsufficientStock { sku: SkuId(3), available: 2, wanted: 5 };
        assert!(e.to_string().contains("现有 2 件") && e.to_string().contains("has 2"), "{e}");
    }
}
