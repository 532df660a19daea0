//! 选品: a transparent selection score over products' history, and a
//! suggested role for each product in a show (I1.1.1, I1.1.2).
//!
//! Every figure is integer: rates in per-mille (‰), review scores in tenths
//! of a star, money in fen. The score is a weighted mean of four components,
//! each scaled to 0‥1000 within the candidate set, and the breakdown says how
//! many points each component brought, so a planner can see *why* a product
//! ranks where it does and move the weights.

use serde::{Deserialize, Serialize};

use crate::{DomainError, Fen};

/// What zhibo knows of a product's past, for selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductHistory {
    pub product: i64,
    pub title: String,
    /// Units sold in the period considered.
    pub units_sold: i64,
    /// Returned or refunded units ÷ units sold, in ‰: the platform's
    /// figure entered with the product (平台数据,
    /// [`PlatformFigures`](crate::catalog::PlatformFigures)); `None` when not
    /// entered, counted as middling.
    pub return_rate_permille: Option<i64>,
    /// Average review, in tenths of a star (0‥50), the platform's figure;
    /// `None` when not entered, counted as middling.
    pub review_tenths: Option<i64>,
    pub price: Fen,
    pub cost: Fen,
}

impl ProductHistory {
    /// (price − cost) ÷ price in ‰; 0 for a free product.
    pub fn margin_permille(&self) -> i64 {
        if self.price.0 <= 0 { 0 } else { (self.price.0 - self.cost.0) * 1000 / self.price.0 }
    }
}

/// How much each component counts. Any non-negative integers; they are
/// used relative to their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionWeights {
    pub sales: i64,
    pub returns: i64,
    pub reviews: i64,
    pub margin: i64,
}

impl Default for SelectionWeights {
    /// Sales and margin lead; a return problem or poor reviews pull down.
    fn default() -> Self {
        SelectionWeights { sales: 40, returns: 20, reviews: 20, margin: 20 }
    }
}

impl SelectionWeights {
    pub fn validate(&self) -> Result<(), DomainError> {
        let all = [self.sales, self.returns, self.reviews, self.margin];
        if all.iter().any(|w| *w < 0) {
            return Err(DomainError::new("weights", "权重不能为负 / weights must not be negative"));
        }
        if all.iter().sum::<i64>() == 0 {
            return Err(DomainError::new("weights", "权重不能全为0 / at least one weight must be above 0"));
        }
        Ok(())
    }
}

/// One product's score with the points each component brought; they add up
/// to `score` exactly (each is rounded down on its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectionScore {
    pub product: i64,
    /// 0‥1000.
    pub score: i64,
    pub sales_points: i64,
    pub returns_points: i64,
    pub reviews_points: i64,
    pub margin_points: i64,
}

/// A return rate at or above this counts as the worst (30%).
const WORST_RETURN_RATE_PERMILLE: i64 = 300;
/// An unknown return rate counts as middling (15%), neither reward nor penalty.
const NEUTRAL_RETURN_RATE_PERMILLE: i64 = 150;
/// Unreviewed products get a neutral 3.5 stars rather than zero.
const NEUTRAL_REVIEW_TENTHS: i64 = 35;
/// A margin at or above this counts as the best (60%).
const BEST_MARGIN_PERMILLE: i64 = 600;

/// Scores every product, best first (ties by product id).
pub fn score(products: &[ProductHistory], weights: SelectionWeights) -> Result<Vec<SelectionScore>, DomainError> {
    weights.validate()?;
    let max_sold = products.iter().map(|p| p.units_sold.max(0)).max().unwrap_or(0);
    let total_weight = weights.sales + weights.returns + weights.reviews + weights.margin;
    let mut scores: Vec<SelectionScore> = products
        .iter()
        .map(|p| {
            // each component scaled to 0‥1000
            let sales = if max_sold == 0 { 0 } else { p.units_sold.max(0) * 1000 / max_sold };
            let returns = 1000
                - p.return_rate_permille.unwrap_or(NEUTRAL_RETURN_RATE_PERMILLE).clamp(0, WORST_RETURN_RATE_PERMILLE)
                    * 1000
                    / WORST_RETURN_RATE_PERMILLE;
            let reviews = p.review_tenths.unwrap_or(NEUTRAL_REVIEW_TENTHS).clamp(0, 50) * 1000 / 50;
            let margin = p.margin_permille().clamp(0, BEST_MARGIN_PERMILLE) * 1000 / BEST_MARGIN_PERMILLE;
            // Each component's points are rounded down on their own and the
            // score is their sum, so the breakdown adds up exactly.
            let points = |component: i64, weight: i64| component * weight / total_weight;
            let sales_points = points(sales, weights.sales);
            let returns_points = points(returns, weights.returns);
            let reviews_points = points(reviews, weights.reviews);
            let margin_points = points(margin, weights.margin);
            let total = sales_points + returns_points + reviews_points + margin_points;
            SelectionScore {
                product: p.product,
                score: total,
                sales_points,
                returns_points,
                reviews_points,
                margin_points,
            }
        })
        .collect();
    scores.sort_by(|a, b| b.score.cmp(&a.score).then(a.product.cmp(&b.product)));
    Ok(scores)
}

/// 商品角色: what a product is for in a show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductRole {
    /// 引流款: low price, thin margin; brings viewers in and keeps them.
    Traffic,
    /// 利润款: the margin the show lives on.
    Profit,
    /// 形象款: premium pieces that set the brand's level and anchor prices.
    Image,
    /// 福利款: near or below cost; for lotteries and welfare moments.
    Giveaway,
}

impl ProductRole {
    pub const ALL: [ProductRole; 4] =
        [ProductRole::Traffic, ProductRole::Profit, ProductRole::Image, ProductRole::Giveaway];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductRole::Traffic => "traffic",
            ProductRole::Profit => "profit",
            ProductRole::Image => "image",
            ProductRole::Giveaway => "giveaway",
        }
    }

    pub fn parse(text: &str) -> Option<ProductRole> {
        ProductRole::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn zh(self) -> &'static str {
        match self {
            ProductRole::Traffic => "引流款",
            ProductRole::Profit => "利润款",
            ProductRole::Image => "形象款",
            ProductRole::Giveaway => "福利款",
        }
    }
}

/// Where a price sits among the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBand {
    Low,
    Middle,
    High,
}

/// A suggested role with the reason, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleSuggestion {
    pub product: i64,
    pub role: ProductRole,
    pub band: PriceBand,
    pub margin_permille: i64,
    pub reason_zh: String,
    pub reason_en: String,
}

/// Below this margin a product is a giveaway (5%).
const GIVEAWAY_MARGIN_PERMILLE: i64 = 50;
/// From this margin a product earns its keep (35%).
const PROFIT_MARGIN_PERMILLE: i64 = 350;

/// Suggests a role per product from its margin and its price band (thirds
/// of the candidates by price).
pub fn suggest_roles(products: &[ProductHistory]) -> Vec<RoleSuggestion> {
    let mut prices: Vec<i64> = products.iter().map(|p| p.price.0).collect();
    prices.sort_unstable();
    let band_of = |price: i64| {
        if prices.len() < 3 {
            return PriceBand::Middle;
        }
        let low_top = prices[prices.len() / 3 - 1];
        let high_bottom = prices[prices.len() - prices.len() / 3];
        if price <= low_top {
            PriceBand::Low
        } else if price >= high_bottom {
            PriceBand::High
        } else {
            PriceBand::Middle
        }
    };
    products
        .iter()
        .map(|p| {
            let margin = p.margin_permille();
            let band = band_of(p.price.0);
            let pct = format!("{}.{}%", margin / 10, (margin % 10).abs());
            let (role, zh, en) = if margin < GIVEAWAY_MARGIN_PERMILLE {
                (
                    ProductRole::Giveaway,
                    format!("毛利率仅{pct}，适合做福利"),
                    format!("margin only {pct}: suits a giveaway"),
                )
            } else if band == PriceBand::High && margin >= PROFIT_MARGIN_PERMILLE {
                (
                    ProductRole::Image,
                    format!("价格处于高位且毛利率{pct}，适合树立形象、做价格锚点"),
                    format!("high price band with {pct} margin: sets the brand level and anchors prices"),
                )
            } else if margin >= PROFIT_MARGIN_PERMILLE {
                (
                    ProductRole::Profit,
                    format!("毛利率{pct}，是利润来源"),
                    format!("{pct} margin: where the profit comes from"),
                )
            } else {
                (
                    ProductRole::Traffic,
                    format!("毛利率{pct}、价格不高，适合引流留人"),
                    format!("{pct} margin at a modest price: draws and keeps viewers"),
                )
            };
            RoleSuggestion { product: p.product, role, band, margin_permille: margin, reason_zh: zh, reason_en: en }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(product: i64, sold: i64, returns: i64, review: Option<i64>, price: i64, cost: i64) -> ProductHistory {
        ProductHistory {
            product,
            title: format!("p{product}"),
            units_sold: sold,
            return_rate_permille: Some(returns),
            review_tenths: review,
            price: Fen(price),
            cost: Fen(cost),
        }
    }

    #[test]
    fn a_hand_checked_score_and_its_breakdown() {
        // best seller: sales 1000; returns 30‰ → 1000 − 30·1000/300 = 900;
        // 4.5★ → 900; margin (10000−6000)/10000 = 400‰ → 400·1000/600 = 666.
        // weights 40/20/20/20 → (1000·40 + 900·20 + 900·20 + 666·20)/100 = 893
        let products = [h(1, 200, 30, Some(45), 10_000, 6_000), h(2, 100, 0, None, 5_000, 5_000)];
        let s = score(&products, SelectionWeights::default()).unwrap();
        assert_eq!(s[0].product, 1);
        assert_eq!(s[0].score, 893);
        assert_eq!((s[0].returns_points, s[0].reviews_points, s[0].margin_points), (180, 180, 133));
        assert_eq!(s[0].sales_points, 400);
        // second: sales 500, returns 1000, reviews 3.5★ → 700, margin 0
        // (500·40 + 1000·20 + 700·20 + 0)/100 = 540
        assert_eq!(s[1].score, 540);
    }

    #[test]
    fn points_always_add_up_to_the_score() {
        let products = [h(1, 7, 13, Some(41), 999, 333), h(2, 3, 250, Some(12), 12_345, 9_999), h(3, 0, 0, None, 1, 0)];
        for weights in [SelectionWeights::default(), SelectionWeights { sales: 1, returns: 7, reviews: 0, margin: 3 }] {
            for s in score(&products, weights).unwrap() {
                assert_eq!(s.sales_points + s.returns_points + s.reviews_points + s.margin_points, s.score);
                assert!((0..=1000).contains(&s.score));
            }
        }
    }

    #[test]
    fn moving_a_weight_moves_the_ranking() {
        let seller = h(1, 1000, 100, Some(40), 5_000, 4_500); // sells, thin margin
        let earner = h(2, 100, 0, Some(48), 5_000, 1_500); // sells less, fat margin
        let by_sales = score(
            &[seller.clone(), earner.clone()],
            SelectionWeights { sales: 100, returns: 0, reviews: 0, margin: 0 },
        )
        .unwrap();
        let by_margin =
            score(&[seller, earner], SelectionWeights { sales: 0, returns: 0, reviews: 0, margin: 100 }).unwrap();
        assert_eq!((by_sales[0].product, by_margin[0].product), (1, 2));
    }

    #[test]
    fn poor_reviews_and_many_returns_sink_a_best_seller_when_they_weigh_most() {
        // the best seller has 35% returns and 2.9★; the other sells half as
        // much with 2% returns and 4.9★, at the same price and cost
        let troubled = h(1, 400, 350, Some(29), 9_900, 4_900);
        let loved = h(2, 200, 20, Some(49), 9_900, 4_900);
        let products = [troubled, loved];
        let by_sales = score(&products, SelectionWeights { sales: 100, returns: 0, reviews: 0, margin: 0 }).unwrap();
        assert_eq!(by_sales.iter().map(|s| s.product).collect::<Vec<_>>(), [1, 2]);
        let by_quality = score(&products, SelectionWeights { sales: 10, returns: 45, reviews: 45, margin: 0 }).unwrap();
        assert_eq!(by_quality.iter().map(|s| s.product).collect::<Vec<_>>(), [2, 1]);
        // troubled: sales 1000·10 + returns 0 (35% is past the worst) + reviews 580·45 = 36,100 / 100
        assert_eq!((by_quality[1].score, by_quality[1].returns_points, by_quality[1].reviews_points), (361, 0, 261));
        // loved: 500·10 + (1000 − 20·1000/300 = 934)·45 + 980·45 = 91,130 / 100
        assert_eq!(by_quality[0].score, 911);
    }

    #[test]
    fn unknown_returns_and_reviews_count_as_middling() {
        let mut p = h(1, 10, 0, None, 1000, 500);
        p.return_rate_permille = None;
        // sales 1000·40 + returns 500·20 + reviews 700·20 + margin (500‰→833)·20 = 80,660 / 100
        assert_eq!(score(&[p], SelectionWeights::default()).unwrap()[0].score, 806);
    }

    #[test]
    fn bad_weights_are_refused() {
        assert!(score(&[], SelectionWeights { sales: -1, ..Default::default() }).is_err());
        assert!(score(&[], SelectionWeights { sales: 0, returns: 0, reviews: 0, margin: 0 }).is_err());
    }

    #[test]
    fn roles_follow_margin_and_price_band() {
        let products = [
            h(1, 0, 0, None, 990, 960),       // 3.0% margin → giveaway
            h(2, 0, 0, None, 1_990, 1_490),   // low band, 25.1% → traffic
            h(3, 0, 0, None, 9_900, 4_900),   // middle band, 50.5% → profit
            h(4, 0, 0, None, 59_900, 29_900), // high band, 50.0% → image
            h(5, 0, 0, None, 39_900, 29_900), // high band, 25.0% → traffic
            h(6, 0, 0, None, 4_900, 2_900),   // middle, 40.8% → profit
        ];
        let roles: Vec<_> = suggest_roles(&products).into_iter().map(|s| s.role).collect();
        use ProductRole::*;
        assert_eq!(roles, [Giveaway, Traffic, Profit, Image, Traffic, Profit]);
        let s = &suggest_roles(&products)[0];
        assert!(s.reason_zh.contains("3.0%") && s.reason_en.contains("giveaway"), "{s:?}");
    }
}
