//! What the engine is asked to price: cart lines, checked on entry, and the
//! figures only the store knows (flash-sale units left, what the buyer
//! bought before) passed in as plain values.
//!
//! The engine depends on none of the catalog's types: a line is a product,
//! a SKU, a unit price and a quantity, which any caller can build.

use serde::{Deserialize, Serialize};

use crate::ids::PromotionId;
use crate::promotion::check::Problems;
use crate::promotion::{Coupon, MAX_QUANTITY, Promotion};
use crate::{DomainError, Fen, ProductId, SkuId, Timestamp};

/// Most lines in one cart. With [`crate::promotion::MAX_AMOUNT`] and
/// [`MAX_QUANTITY`] this keeps every sum well inside `i64`.
pub const MAX_LINES: usize = 200;

/// One line of a cart: `quantity` units of one SKU at `unit_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartLine {
    product: ProductId,
    sku: SkuId,
    unit_price: Fen,
    quantity: u32,
    list_price: Option<Fen>,
    show: Option<i64>,
}

impl CartLine {
    /// Checks the price (0 to the maximum: a ¥0 line is allowed) and the
    /// quantity (1 to 99,999); reports every problem at once.
    pub fn new(
        product: ProductId,
        sku: SkuId,
        unit_price: Fen,
        quantity: u32,
        list_price: Option<Fen>,
    ) -> Result<CartLine, Vec<DomainError>> {
        let mut problems = Problems::default();
        problems.amount("unit_price", "单价", "unit price", unit_price);
        problems.count("quantity", "数量", "quantity", quantity, MAX_QUANTITY);
        if let Some(list) = list_price {
            problems.amount("list_price", "划线价", "list price", list);
        }
        problems.finish(CartLine { product, sku, unit_price, quantity, list_price, show: None })
    }

    /// The line was added in live show `show`: live prices and flash sales
    /// tied to that show may apply to it.
    pub fn in_show(mut self, show: i64) -> CartLine {
        self.show = Some(show);
        self
    }

    pub fn product(&self) -> ProductId {
        self.product
    }

    pub fn sku(&self) -> SkuId {
        self.sku
    }

    pub fn unit_price(&self) -> Fen {
        self.unit_price
    }

    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    pub fn list_price(&self) -> Option<Fen> {
        self.list_price
    }

    pub fn show(&self) -> Option<i64> {
        self.show
    }

    /// `unit_price × quantity`; cannot overflow within the checked limits.
    pub fn base_total(&self) -> Fen {
        Fen(self.unit_price.0 * i64::from(self.quantity))
    }

    /// The order lines are processed in, whatever order the cart lists them:
    /// product, SKU, price, quantity, show, list price. Makes the result
    /// independent of the cart's order.
    pub(super) fn canonical_key(&self) -> (ProductId, SkuId, Fen, u32, Option<i64>, Option<Fen>) {
        (self.product, self.sku, self.unit_price, self.quantity, self.show, self.list_price)
    }
}

/// The store's figures for one flash-sale SKU, for this buyer and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashSaleUsage {
    pub promotion: PromotionId,
    pub sku: SkuId,
    /// Units still unsold at the flash price.
    pub remaining: u32,
    /// Units this buyer already got at the flash price.
    pub bought_by_buyer: u32,
}

/// Everything one pricing needs. The engine reads nothing else: no clock,
/// no store.
#[derive(Debug, Clone, Copy)]
pub struct PricingInput<'a> {
    pub lines: &'a [CartLine],
    /// Candidate promotions; those outside their window at `now` are ignored.
    pub promotions: &'a [Promotion],
    /// The buyer's claimed, unused coupons; those outside their use window
    /// at `now` are ignored.
    pub coupons: &'a [Coupon],
    /// For each flash-sale SKU, what remains and what the buyer bought. A
    /// SKU without an entry counts as untouched: its whole quantity left,
    /// nothing bought.
    pub flash_sale_usage: &'a [FlashSaleUsage],
    pub now: Timestamp,
}

impl<'a> PricingInput<'a> {
    pub fn new(
        lines: &'a [CartLine],
        promotions: &'a [Promotion],
        coupons: &'a [Coupon],
        now: Timestamp,
    ) -> PricingInput<'a> {
        PricingInput { lines, promotions, coupons, flash_sale_usage: &[], now }
    }

    pub fn with_flash_sale_usage(mut self, usage: &'a [FlashSaleUsage]) -> PricingInput<'a> {
        self.flash_sale_usage = usage;
        self
    }
}
