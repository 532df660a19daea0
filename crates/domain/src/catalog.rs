//! Product input rules. The catalog work grows this into SKUs, specs and
//! stock; what is here already guards every way a product is created.

use crate::{DomainError, Fen};

/// A product as someone asks to create it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub title: String,
    pub selling_points: String,
    pub price: Fen,
    pub list_price: Fen,
}

impl ProductDraft {
    pub const MAX_TITLE_CHARS: usize = 60;
    pub const MAX_SELLING_POINTS_CHARS: usize = 500;

    /// Checks every field and reports every problem at once, so a form can
    /// mark all wrong fields in one go.
    pub fn parse(
        title: &str,
        selling_points: &str,
        price: Fen,
        list_price: Fen,
    ) -> Result<ProductDraft, Vec<DomainError>> {
        let mut errors = Vec::new();
        let title = title.trim();
        let n = title.chars().count();
        if n == 0 || n > Self::MAX_TITLE_CHARS {
            errors.push(DomainError::new("title", "商品名称需1到60个字符 / title must be 1 to 60 characters"));
        }
        if selling_points.chars().count() > Self::MAX_SELLING_POINTS_CHARS {
            errors
                .push(DomainError::new("selling_points", "卖点最多500个字符 / selling points: at most 500 characters"));
        }
        if price.0 < 0 {
            errors.push(DomainError::new("price", "售价不能为负 / price must not be negative"));
        }
        if list_price.0 < 0 {
            errors.push(DomainError::new("list_price", "划线价不能为负 / list price must not be negative"));
        } else if list_price.0 > 0 && list_price < price {
            // A struck-through price below the selling price is a false anchor.
            errors.push(DomainError::new("list_price", "划线价不能低于售价 / list price must not be below the price"));
        }
        if errors.is_empty() {
            Ok(ProductDraft {
                title: title.to_owned(),
                selling_points: selling_points.trim().to_owned(),
                price,
                list_price,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_product_passes() {
        let p = ProductDraft::parse(" 真丝睡衣 ", "100%桑蚕丝", Fen(19900), Fen(39900)).unwrap();
        assert_eq!(p.title, "真丝睡衣");
    }

    #[test]
    fn every_problem_is_reported() {
        let errs = ProductDraft::parse("", "", Fen(-1), Fen(-5)).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "price", "list_price"]);
    }

    #[test]
    fn a_list_price_below_the_price_is_a_false_anchor() {
        let errs = ProductDraft::parse("袜子", "", Fen(1000), Fen(900)).unwrap_err();
        assert_eq!(errs[0].field, "list_price");
    }
}
