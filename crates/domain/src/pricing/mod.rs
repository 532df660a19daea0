//! 计价: the pricing engine, a pure function from a cart, the promotions in
//! force, the buyer's coupons and the time to a priced cart with a
//! line-by-line breakdown and an explanation of every discount.
//!
//! Order of application, stacking, rounding and who absorbs remainders are
//! stated in docs/pricing.md; `engine.rs` follows that page stage by stage.
//! Everything is integer fen; nothing here reads a clock or a store.

mod bench;
mod cart;
mod engine;
mod explain;
mod priced;
#[cfg(test)]
mod tests;

pub use bench::bench_fixture;
pub use cart::{CartLine, FlashSaleUsage, MAX_LINES, PricingInput};
pub use engine::{MAX_SEARCH, price_cart};
pub use priced::{
    AppliedDiscount, DiscountDetail, DiscountSource, FlashLimit, GiftLine, GiftReason, PricedCart, PricedLine, Share,
    SkippedPromotion,
};
