//! Collecting every problem of one input before answering, so a form can
//! mark all wrong fields at once instead of one per submit.

use super::MAX_AMOUNT;
use crate::{DomainError, Fen};

#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<DomainError>);

impl Problems {
    pub(crate) fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(DomainError::new(field, message));
    }

    /// Money that may be zero (a price of ¥0 is a real 福利款 price).
    /// `zh`/`en` name the amount in the message, e.g. "门槛" / "threshold".
    pub(crate) fn amount(&mut self, field: &'static str, zh: &str, en: &str, value: Fen) {
        if value.0 < 0 {
            self.push(field, format!("{zh}不能为负 / {en} must not be negative"));
        } else if value > MAX_AMOUNT {
            self.push(field, format!("{zh}不能超过{MAX_AMOUNT} / {en} must not exceed {MAX_AMOUNT}"));
        }
    }

    /// Money that must be above zero (a threshold, an amount off).
    pub(crate) fn positive_amount(&mut self, field: &'static str, zh: &str, en: &str, value: Fen) {
        if value.0 == 0 {
            self.push(field, format!("{zh}须大于0 / {en} must be above 0"));
        } else {
            self.amount(field, zh, en, value);
        }
    }

    /// A count within `1..=max`.
    pub(crate) fn count(&mut self, field: &'static str, zh: &str, en: &str, value: u32, max: u32) {
        if value == 0 || value > max {
            self.push(field, format!("{zh}须在1到{max}之间 / {en} must be 1 to {max}"));
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<DomainError>> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }
}
