//! 平台数据: a product's return rate (退货率) and review score (商品评分)
//! as its platform's shop backend (抖店, 视频号小店, 快手小店) shows them.
//!
//! zhibo does not compute these: teams copy or export them from the
//! platform, and selection scoring ([`crate::selection`]) reads them. They
//! are integers, never floats: the return rate in per-mille (12.5% is 125‰)
//! and the review score in tenths of a star (4.8★ is 48), since both
//! platforms show them with one decimal. People type them as the platform
//! shows them ("12.5", "12.5%", "4.8"); [`PlatformFigures::parse_return_rate`]
//! and [`PlatformFigures::parse_review`] read that text exactly, and a
//! second decimal is refused rather than rounded. The ranges are checked
//! by [`PlatformFigures::check`], which `ProductDraft::parse` uses.

use crate::DomainError;

/// The platform's figures for a product; `None` where the team has not
/// entered one (selection then counts it as middling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlatformFigures {
    /// 退货率 in ‰, 0‥1000 (12.5% → 125).
    pub return_rate_permille: Option<i64>,
    /// 商品评分 in tenths of a star, 0‥50 (4.8★ → 48).
    pub review_tenths: Option<i64>,
}

impl PlatformFigures {
    /// The field name of the return rate in errors, forms and sheets (the
    /// API calls it `return_rate_permille`).
    pub const RETURN_RATE_FIELD: &'static str = "return_rate";
    /// The field name of the review score (the API's `review_tenths`).
    pub const REVIEW_FIELD: &'static str = "review_score";
    /// 100%.
    pub const MAX_RETURN_RATE_PERMILLE: i64 = 1000;
    /// 5 stars.
    pub const MAX_REVIEW_TENTHS: i64 = 50;

    /// Checks values already in ‰ and tenths of a star, reporting each
    /// figure out of range.
    pub fn check(
        return_rate_permille: Option<i64>,
        review_tenths: Option<i64>,
    ) -> Result<PlatformFigures, Vec<DomainError>> {
        let mut errors = Vec::new();
        if return_rate_permille.is_some_and(|r| !(0..=Self::MAX_RETURN_RATE_PERMILLE).contains(&r)) {
            errors.push(DomainError::new(
                Self::RETURN_RATE_FIELD,
                "退货率（平台数据）须在0到100%之间，即0到1000‰ / the return rate (platform figure) must be 0 to 100%, that is 0 to 1000‰",
            ));
        }
        if review_tenths.is_some_and(|r| !(0..=Self::MAX_REVIEW_TENTHS).contains(&r)) {
            errors.push(DomainError::new(
                Self::REVIEW_FIELD,
                "商品评分（平台数据）须在0到5分之间，即0到50个0.1分 / the review score (platform figure) must be 0 to 5 stars, that is 0 to 50 tenths",
            ));
        }
        if errors.is_empty() { Ok(PlatformFigures { return_rate_permille, review_tenths }) } else { Err(errors) }
    }

    /// Reads a return rate typed as a percentage with at most one decimal
    /// ("12.5" or "12.5%") into ‰; blank is `None`. The range is left to
    /// [`PlatformFigures::check`].
    pub fn parse_return_rate(text: &str) -> Result<Option<i64>, DomainError> {
        let t = text.trim().trim_end_matches(['%', '％']).trim_end();
        tenths(t).map_err(|()| {
            DomainError::new(
                Self::RETURN_RATE_FIELD,
                format!(
                    "退货率须为百分数，最多一位小数，如 12.5，不能是“{text}” / the return rate must be a percentage with at most one decimal, e.g. 12.5, not {text:?}"
                ),
            )
        })
    }

    /// Reads a review score typed as stars with at most one decimal ("4.8",
    /// also "4.8分") into tenths; blank is `None`.
    pub fn parse_review(text: &str) -> Result<Option<i64>, DomainError> {
        let t = text.trim().trim_end_matches(['分', '星']).trim_end();
        tenths(t).map_err(|()| {
            DomainError::new(
                Self::REVIEW_FIELD,
                format!(
                    "商品评分须为分数，最多一位小数，如 4.8，不能是“{text}” / the review score must be stars with at most one decimal, e.g. 4.8, not {text:?}"
                ),
            )
        })
    }

    /// The return rate as a percentage with one decimal ("12.5"), as
    /// [`PlatformFigures::parse_return_rate`] reads it back.
    pub fn return_rate_text(self) -> Option<String> {
        self.return_rate_permille.map(one_decimal)
    }

    /// The review score in stars with one decimal ("4.8").
    pub fn review_text(self) -> Option<String> {
        self.review_tenths.map(one_decimal)
    }
}

/// `"12.5"` → 125, `"12"` → 120, `"12.50"` → 125 (zeros past the first
/// decimal change nothing), `"-1"` → −10, `""` → `None`; anything else (a
/// second decimal that is not 0, letters, nothing before the point) is `Err`.
fn tenths(t: &str) -> Result<Option<i64>, ()> {
    if t.is_empty() {
        return Ok(None);
    }
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let frac = if frac.len() > 1 { frac.trim_end_matches('0') } else { frac };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 1 {
        return Err(());
    }
    let whole: i64 = whole.parse().map_err(|_| ())?;
    let frac: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| ())? };
    let value = whole.checked_mul(10).and_then(|w| w.checked_add(frac)).ok_or(())?;
    Ok(Some(if negative { -value } else { value }))
}

/// A count of tenths as a decimal: 125 → `"12.5"`, 120 → `"12.0"`, −5 →
/// `"-0.5"`; how both figures are written, and read back exactly.
pub fn one_decimal(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}.{}", abs / 10, abs % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_stars_read_exactly_into_integers() {
        assert_eq!(PlatformFigures::parse_return_rate("12.5").unwrap(), Some(125));
        assert_eq!(PlatformFigures::parse_return_rate(" 3% ").unwrap(), Some(30));
        assert_eq!(PlatformFigures::parse_return_rate("0.1").unwrap(), Some(1));
        assert_eq!(PlatformFigures::parse_return_rate("12.50%").unwrap(), Some(125), "the same value exactly");
        assert_eq!(PlatformFigures::parse_return_rate("7.000").unwrap(), Some(70));
        assert_eq!(PlatformFigures::parse_return_rate("").unwrap(), None);
        assert_eq!(PlatformFigures::parse_review("4.8").unwrap(), Some(48));
        assert_eq!(PlatformFigures::parse_review("5").unwrap(), Some(50));
        assert_eq!(PlatformFigures::parse_review("4.9分").unwrap(), Some(49));
        assert_eq!(PlatformFigures::parse_review("  ").unwrap(), None);
    }

    #[test]
    fn a_second_decimal_or_garbage_is_refused_naming_the_field() {
        for bad in ["12.55", "abc", ".5", "1.2.3", "12,5", "99999999999999999999"] {
            let e = PlatformFigures::parse_return_rate(bad).unwrap_err();
            assert_eq!(e.field, "return_rate", "{bad}");
            assert!(e.message.contains("退货率") && e.message.contains(" / "), "{}", e.message);
        }
        for bad in ["4.85", "好评", "4.8★★"] {
            let e = PlatformFigures::parse_review(bad).unwrap_err();
            assert_eq!(e.field, "review_score", "{bad}");
            assert!(e.message.contains("商品评分"), "{}", e.message);
        }
    }

    #[test]
    fn ranges_are_checked_and_each_figure_named() {
        assert_eq!(
            PlatformFigures::check(Some(0), Some(50)).unwrap(),
            PlatformFigures { return_rate_permille: Some(0), review_tenths: Some(50) }
        );
        assert_eq!(PlatformFigures::check(None, None).unwrap(), PlatformFigures::default());
        assert!(PlatformFigures::check(Some(1000), Some(0)).is_ok());
        let errs = PlatformFigures::check(Some(1001), Some(51)).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.field).collect::<Vec<_>>(), ["return_rate", "review_score"]);
        let errs = PlatformFigures::check(Some(-1), Some(-1)).unwrap_err();
        assert_eq!(errs.len(), 2);
        // "-1" reads (as −10‰) so that the range message, not a format one, explains it
        assert_eq!(PlatformFigures::parse_return_rate("-1").unwrap(), Some(-10));
    }

    #[test]
    fn figures_print_as_they_are_typed() {
        let f = PlatformFigures { return_rate_permille: Some(125), review_tenths: Some(40) };
        assert_eq!((f.return_rate_text().unwrap(), f.review_text().unwrap()), ("12.5".into(), "4.0".into()));
        assert_eq!(PlatformFigures::default().return_rate_text(), None);
        for permille in [0, 1, 99, 125, 1000] {
            let text = one_decimal(permille);
            assert_eq!(PlatformFigures::parse_return_rate(&text).unwrap(), Some(permille), "{text}");
        }
        assert_eq!(one_decimal(-5), "-0.5");
    }
}
