//! The lineup reorder suggestion (I1.1.3): when the live figures show
//! viewers wanting a product the plan presents later, suggest presenting it
//! next, with the reason in words. A pure function of the lineup and the
//! signals, so the room, tests and a later assessment compute it alike.
//!
//! The rule (hand-checkable):
//! - candidates are the lineup products not yet presented, in planned
//!   order; the first of them is the *next planned* product;
//! - each candidate's rate is its clicks in the window per viewer online
//!   now (clicks ÷ max(online, 1)); all rates share the divisor, so the
//!   best candidate is the one with the most clicks (ties: the earlier);
//! - it is suggested when it is not the next planned one, has at least
//!   `min_clicks` clicks, and beats the next planned product by the margin:
//!   `clicks × 100 ≥ next_clicks × ratio_percent` and `clicks > next_clicks`.
//!   While the audience is shrinking (online now below online at the
//!   window's start) the margin is `falling_ratio_percent` instead: holding
//!   the viewers who are left matters more than the plan.

use crate::ProductId;

/// One lineup product as the rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub product: ProductId,
    pub title: String,
    /// Card pushed at least once in this show.
    pub presented: bool,
    /// Clicks in the last `window_minutes`.
    pub clicks: u64,
}

/// The room's audience now and at the window's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    pub online_now: u64,
    pub online_at_window_start: u64,
}

/// The rule's knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReorderRule {
    pub window_minutes: u32,
    pub min_clicks: u64,
    pub ratio_percent: u64,
    pub falling_ratio_percent: u64,
}

impl Default for ReorderRule {
    fn default() -> Self {
        Self { window_minutes: 5, min_clicks: 5, ratio_percent: 200, falling_ratio_percent: 150 }
    }
}

/// Move `product` up to be presented next, instead of `instead_of`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub product: ProductId,
    pub title: String,
    pub clicks: u64,
    pub instead_of: ProductId,
    pub instead_of_title: String,
    pub instead_of_clicks: u64,
    /// Clicks per 1,000 viewers online now, for the console to show.
    pub clicks_per_thousand_viewers: u64,
    pub window_minutes: u32,
    pub online_falling: bool,
    pub reason_zh: String,
    pub reason_en: String,
}

/// The suggestion for `lineup` (in planned order), if the figures favour one.
pub fn suggest(lineup: &[Candidate], audience: Audience, rule: &ReorderRule) -> Option<Suggestion> {
    let waiting: Vec<&Candidate> = lineup.iter().filter(|c| !c.presented).collect();
    let next = *waiting.first()?;
    // max_by_key keeps the last of equals; scanning reversed keeps the earliest.
    let best = *waiting.iter().rev().max_by_key(|c| c.clicks)?;
    if best.product == next.product || best.clicks < rule.min_clicks.max(1) || best.clicks <= next.clicks {
        return None;
    }
    let falling = audience.online_now < audience.online_at_window_start;
    let ratio = if falling { rule.falling_ratio_percent } else { rule.ratio_percent };
    if u128::from(best.clicks) * 100 < u128::from(next.clicks) * u128::from(ratio) {
        return None;
    }
    let n = rule.window_minutes;
    let (trend_zh, trend_en) = if falling {
        (
            format!("；在线人数从 {} 降到 {}", audience.online_at_window_start, audience.online_now),
            format!("; viewers online fell from {} to {}", audience.online_at_window_start, audience.online_now),
        )
    } else {
        (String::new(), String::new())
    };
    let reason_zh = format!(
        "「{}」近{n}分钟点击{}次，高于下一个计划讲解的「{}」（{}次），建议提前讲解{trend_zh}",
        best.title, best.clicks, next.title, next.clicks
    );
    let reason_en = format!(
        "\"{}\" had {} clicks in the last {n} minutes, more than \"{}\" planned next ({}): present it earlier{trend_en}",
        best.title, best.clicks, next.title, next.clicks
    );
    Some(Suggestion {
        product: best.product,
        title: best.title.clone(),
        clicks: best.clicks,
        instead_of: next.product,
        instead_of_title: next.title.clone(),
        instead_of_clicks: next.clicks,
        clicks_per_thousand_viewers: best.clicks * 1000 / audience.online_now.max(1),
        window_minutes: n,
        online_falling: falling,
        reason_zh,
        reason_en,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, title: &str, presented: bool, clicks: u64) -> Candidate {
        Candidate { product: ProductId(id), title: title.into(), presented, clicks }
    }
    const STEADY: Audience = Audience { online_now: 300, online_at_window_start: 300 };

    #[test]
    fn a_later_product_with_far_more_clicks_is_suggested_with_its_reason() {
        let lineup = [c(1, "保温杯", true, 40), c(2, "五常大米", false, 3), c(3, "羊毛围巾", false, 18)];
        let s = suggest(&lineup, STEADY, &ReorderRule::default()).unwrap();
        assert_eq!((s.product, s.instead_of, s.clicks, s.instead_of_clicks), (ProductId(3), ProductId(2), 18, 3));
        assert_eq!(s.reason_zh, "「羊毛围巾」近5分钟点击18次，高于下一个计划讲解的「五常大米」（3次），建议提前讲解");
        assert!(s.reason_en.contains("18 clicks in the last 5 minutes"), "{}", s.reason_en);
        // 18 clicks over 300 viewers = 60 per thousand.
        assert_eq!(s.clicks_per_thousand_viewers, 60);
        assert!(!s.online_falling);
    }

    #[test]
    fn no_suggestion_when_the_next_planned_leads_or_the_margin_is_not_met() {
        let rule = ReorderRule::default();
        // The next planned product is itself the most clicked.
        assert_eq!(suggest(&[c(1, "a", false, 9), c(2, "b", false, 8)], STEADY, &rule), None);
        // 10 vs 6: 1000 < 1200 (200%), not enough.
        assert_eq!(suggest(&[c(1, "a", false, 6), c(2, "b", false, 10)], STEADY, &rule), None);
        // 12 vs 6: exactly 200%: suggested.
        assert_eq!(suggest(&[c(1, "a", false, 6), c(2, "b", false, 12)], STEADY, &rule).unwrap().product, ProductId(2));
        // Below min_clicks, even against zero.
        assert_eq!(suggest(&[c(1, "a", false, 0), c(2, "b", false, 4)], STEADY, &rule), None);
        // Presented products are neither candidates nor "next".
        assert_eq!(suggest(&[c(1, "a", true, 0), c(2, "b", true, 50)], STEADY, &rule), None);
        assert_eq!(suggest(&[c(1, "a", true, 0), c(2, "b", true, 50), c(3, "c", false, 0)], STEADY, &rule), None);
        // Equal clicks: the earlier wins, which is the next planned.
        assert_eq!(suggest(&[c(1, "a", false, 7), c(2, "b", false, 7)], STEADY, &rule), None);
    }

    #[test]
    fn a_falling_audience_lowers_the_margin_and_says_so() {
        let rule = ReorderRule::default();
        let lineup = [c(1, "a", false, 6), c(2, "b", false, 10)];
        // 10 vs 6 = 167%: enough at 150% while viewers leave.
        let falling = Audience { online_now: 90, online_at_window_start: 120 };
        let s = suggest(&lineup, falling, &rule).unwrap();
        assert!(s.online_falling);
        assert!(s.reason_zh.ends_with("；在线人数从 120 降到 90"), "{}", s.reason_zh);
        // Of several later products, the most clicked is picked.
        let lineup = [c(1, "a", false, 1), c(2, "b", false, 6), c(3, "c", false, 9)];
        assert_eq!(suggest(&lineup, STEADY, &rule).unwrap().product, ProductId(3));
    }
}
