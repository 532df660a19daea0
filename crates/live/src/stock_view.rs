//! The console's live stock view (J2.3.3): sellable stock of each SKU of
//! the lineup, updated as orders arrive (flash sale wins, checkout orders),
//! as stock is added mid-show, and as flash sales take and give back their
//! units; with a warning when a SKU will sell out within a minute at the
//! rate of the last minute. Pure bookkeeping on the room's clock; the room
//! feeds it and sends its frame to consoles.

use serde::Serialize;
use std::collections::VecDeque;
use zhibo_domain::{FlashSaleId, ProductId, SkuId, Timestamp};

/// The window the sales rate is measured over.
pub const RATE_WINDOW_MS: i64 = 60_000;
/// A SKU that will sell out sooner than this at the current rate is flagged.
pub const WARN_WITHIN_MS: i64 = 60_000;

/// One SKU's sellable stock as the data source loads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkuStock {
    pub product: ProductId,
    pub sku: SkuId,
    /// The SKU's specs as people read them (颜色=红 尺码=M), or its code.
    pub label: String,
    pub stock: i64,
}

/// One row of the console's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    pub product: ProductId,
    pub sku: SkuId,
    pub label: String,
    /// Sellable stock in the ledger (a flash sale's units are out of it).
    pub stock: i64,
    /// Units a running flash sale still offers, when one does.
    pub flash_left: Option<u32>,
    /// Units ordered in the last minute.
    pub per_minute: u64,
    /// Seconds until sold out at that rate; none when nothing sells.
    pub sells_out_in_s: Option<i64>,
    /// Sells out within a minute at the current rate.
    pub warning: bool,
}

/// Milliseconds until `available` units are gone when `sold_in_window`
/// units sold over the last `window_ms`; `None` when nothing sold.
pub fn sell_out_in_ms(available: i64, sold_in_window: u64, window_ms: i64) -> Option<i64> {
    if sold_in_window == 0 || window_ms <= 0 {
        return None;
    }
    // Integer arithmetic: available × window ÷ sold, rounded down.
    let ms = i128::from(available.max(0)) * i128::from(window_ms) / i128::from(sold_in_window);
    Some(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Whether a SKU deserves the "sells out within a minute" warning.
pub fn will_sell_out_soon(available: i64, sold_in_window: u64, window_ms: i64) -> bool {
    sell_out_in_ms(available, sold_in_window, window_ms).is_some_and(|ms| ms < WARN_WITHIN_MS)
}

#[derive(Debug, Clone)]
struct Sku {
    stock: SkuStock,
    flash: Option<(FlashSaleId, u32)>,
}

/// The view's state: rows and the recent orders that make the rate.
#[derive(Debug, Default)]
pub struct StockView {
    skus: Vec<Sku>,
    /// Units ordered, oldest first, within the rate window.
    recent: VecDeque<(Timestamp, SkuId, u32)>,
    sent: Option<Vec<StockRow>>,
}

/// The `stock_view` frame for consoles.
#[derive(Serialize)]
struct StockFrame<'a> {
    r#type: &'static str,
    skus: &'a [StockRow],
}

impl StockView {
    pub fn new(skus: Vec<SkuStock>) -> StockView {
        StockView { skus: skus.into_iter().map(|stock| Sku { stock, flash: None }).collect(), ..Default::default() }
    }

    fn sku(&mut self, sku: SkuId) -> Option<&mut Sku> {
        self.skus.iter_mut().find(|s| s.stock.sku == sku)
    }

    /// Units ordered through checkout: out of sellable stock, into the rate.
    pub fn ordered(&mut self, sku: SkuId, units: u32, now: Timestamp) {
        if let Some(s) = self.sku(sku) {
            s.stock.stock -= i64::from(units);
        }
        self.recent.push_back((now, sku, units));
    }

    /// Units given back to sellable stock (an order cancelled).
    pub fn returned(&mut self, sku: SkuId, units: u32) {
        if let Some(s) = self.sku(sku) {
            s.stock.stock += i64::from(units);
        }
    }

    /// A manual change through the ledger (stock added mid-show); `sku`
    /// may be left out for a product with one SKU.
    pub fn adjusted(&mut self, product: ProductId, sku: Option<SkuId>, delta: i64) {
        let mut of_product = self.skus.iter_mut().filter(|s| s.stock.product == product);
        let target = match sku {
            Some(sku) => of_product.find(|s| s.stock.sku == sku),
            None => {
                let first = of_product.next();
                if of_product.next().is_some() { None } else { first }
            }
        };
        if let Some(s) = target {
            s.stock.stock += delta;
        }
    }

    /// A flash sale opened: its quantity left sellable stock for the sale.
    pub fn flash_opened(&mut self, sale: FlashSaleId, sku: SkuId, quantity: u32, left: u32) {
        if let Some(s) = self.sku(sku) {
            s.stock.stock -= i64::from(quantity);
            s.flash = Some((sale, left));
        }
    }

    /// A flash sale's units left, after wins.
    pub fn flash_left(&mut self, sale: FlashSaleId, sku: SkuId, left: u32) {
        if let Some(s) = self.sku(sku)
            && s.flash.is_some_and(|(id, _)| id == sale)
        {
            s.flash = Some((sale, left));
        }
    }

    /// Units a flash sale sold: into the rate (stock was already out).
    pub fn flash_sold(&mut self, sku: SkuId, units: u32, now: Timestamp) {
        self.recent.push_back((now, sku, units));
    }

    /// A flash sale closed: what it did not sell is sellable again.
    pub fn flash_closed(&mut self, sale: FlashSaleId, sku: SkuId, returned: u32) {
        if let Some(s) = self.sku(sku) {
            s.stock.stock += i64::from(returned);
            if s.flash.is_some_and(|(id, _)| id == sale) {
                s.flash = None;
            }
        }
    }

    /// The rows at `now`.
    pub fn rows(&mut self, now: Timestamp) -> Vec<StockRow> {
        while self.recent.front().is_some_and(|(t, _, _)| now.millis() - t.millis() >= RATE_WINDOW_MS) {
            self.recent.pop_front();
        }
        self.skus
            .iter()
            .map(|s| {
                let per_minute: u64 =
                    self.recent.iter().filter(|(_, sku, _)| *sku == s.stock.sku).map(|(_, _, n)| u64::from(*n)).sum();
                let available = s.stock.stock + s.flash.map_or(0, |(_, left)| i64::from(left));
                let ms = sell_out_in_ms(available, per_minute, RATE_WINDOW_MS);
                StockRow {
                    product: s.stock.product,
                    sku: s.stock.sku,
                    label: s.stock.label.clone(),
                    stock: s.stock.stock,
                    flash_left: s.flash.map(|(_, left)| left),
                    per_minute,
                    sells_out_in_s: ms.map(|ms| ms / 1000),
                    warning: will_sell_out_soon(available, per_minute, RATE_WINDOW_MS),
                }
            })
            .collect()
    }

    /// The frame when the rows changed since last sent.
    pub fn tick(&mut self, now: Timestamp) -> Option<bytes::Bytes> {
        if self.skus.is_empty() {
            return None;
        }
        let rows = self.rows(now);
        if self.sent.as_ref() == Some(&rows) {
            return None;
        }
        let frame = crate::protocol::single(&StockFrame { r#type: "stock_view", skus: &rows });
        self.sent = Some(rows);
        Some(frame)
    }

    /// The current frame, for a console that just joined.
    pub fn frame(&mut self, now: Timestamp) -> bytes::Bytes {
        let rows = self.rows(now);
        let frame = crate::protocol::single(&StockFrame { r#type: "stock_view", skus: &rows });
        // Other consoles already have these rows or get them on the tick.
        self.sent = Some(rows);
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sell_out_estimate_is_stock_over_rate() {
        // 30 units sold in the last minute, 20 left: gone in 40 s.
        assert_eq!(sell_out_in_ms(20, 30, 60_000), Some(40_000));
        assert!(will_sell_out_soon(20, 30, 60_000));
        // 60 left at 60 a minute: exactly a minute, not "within" one.
        assert_eq!(sell_out_in_ms(60, 60, 60_000), Some(60_000));
        assert!(!will_sell_out_soon(60, 60, 60_000));
        assert!(will_sell_out_soon(59, 60, 60_000));
        // Nothing sold: no estimate, no warning, however little is left.
        assert_eq!(sell_out_in_ms(1, 0, 60_000), None);
        assert!(!will_sell_out_soon(0, 0, 60_000));
        // Already out while still selling: warned.
        assert!(will_sell_out_soon(0, 5, 60_000));
    }

    #[test]
    fn orders_stock_changes_and_flash_sales_move_the_rows() {
        let t = Timestamp(1_000_000);
        let mut view = StockView::new(vec![
            SkuStock { product: ProductId(1), sku: SkuId(10), label: "红".into(), stock: 100 },
            SkuStock { product: ProductId(1), sku: SkuId(11), label: "蓝".into(), stock: 5 },
            SkuStock { product: ProductId(2), sku: SkuId(20), label: "默认".into(), stock: 8 },
        ]);
        view.ordered(SkuId(11), 3, t);
        view.adjusted(ProductId(2), None, 12);
        view.adjusted(ProductId(1), None, 7); // two SKUs: which one is unknown, nothing moves
        view.flash_opened(FlashSaleId(1), SkuId(10), 50, 50);
        view.flash_sold(SkuId(10), 10, t);
        view.flash_left(FlashSaleId(1), SkuId(10), 40);
        let rows = view.rows(Timestamp(t.0 + 1_000));
        let row = |sku: i64| rows.iter().find(|r| r.sku == SkuId(sku)).unwrap().clone();
        assert_eq!((row(10).stock, row(10).flash_left, row(10).per_minute), (50, Some(40), 10));
        // 90 available at 10 a minute: no warning; 2 left at 3 a minute: warned.
        assert!(!row(10).warning);
        assert_eq!((row(11).stock, row(11).warning, row(11).sells_out_in_s), (2, true, Some(40)));
        assert_eq!(row(20).stock, 20);
        view.flash_closed(FlashSaleId(1), SkuId(10), 40);
        // A minute later the rate has gone: no warning any more.
        let later = view.rows(Timestamp(t.0 + RATE_WINDOW_MS));
        let r10 = later.iter().find(|r| r.sku == SkuId(10)).unwrap();
        assert_eq!((r10.stock, r10.flash_left, r10.per_minute), (90, None, 0));
        assert!(later.iter().all(|r| !r.warning));
        // The frame goes out when something changed, not on every tick.
        assert!(view.tick(Timestamp(t.0 + RATE_WINDOW_MS)).is_some());
        assert!(view.tick(Timestamp(t.0 + RATE_WINDOW_MS + 100)).is_none());
    }
}
