//! The flash sale's side of the live rooms' data source (`RoomData` in
//! `live_ws.rs` delegates here): opening and closing through the store's
//! `FlashSaleStore`, wins as orders through `OrderStore::place_orders`
//! (one call, one transaction per burst), reloading a running sale after
//! a restart, and the SKUs' stock for the console's stock view.
//!
//! A win's order: pending payment, one line at the sale's price, the
//! address the buyer sent with `flash_buy`, `OrderSource::FlashSale`, the
//! units already reserved by the sale (`StockSource::AlreadyReserved`), and
//! the idempotency key `flash:{sale}:{request}`, so the buyer's request id
//! survives a restart (a replay finds its order) and can never make a
//! second order.

use zhibo_domain::order::OrderSource;
use zhibo_domain::{Clock, Fen, FlashSaleId, OrderId, RoomId, ShopId, UserId};
use zhibo_live::LiveError;
use zhibo_live::flash_sale::{
    FlashSaleClosed, FlashSaleOpen, FlashSaleTerms, FlashWin, FlashWinRecord, RunningFlashSale,
};
use zhibo_live::stock_view::SkuStock;
use zhibo_store::Store;
use zhibo_store::flash_sales::{FlashSaleRecord, NewFlashSale};
use zhibo_store::orders::{NewOrder, NewOrderLine, StockSource};

fn data(e: zhibo_store::StoreError) -> LiveError {
    LiveError::Data(e.to_string())
}

async fn shop(store: &dyn Store, room: RoomId) -> Result<ShopId, LiveError> {
    Ok(store.first_shop().await.map_err(data)?.ok_or(LiveError::RoomNotFound(room))?.id)
}

/// The order's idempotency key for a buyer's request in a sale.
pub fn request_key(sale: FlashSaleId, request: &str) -> String {
    format!("flash:{sale}:{request}")
}

fn terms(r: &FlashSaleRecord) -> FlashSaleTerms {
    FlashSaleTerms {
        sale: r.id,
        product: r.product,
        sku: r.sku,
        price: r.price,
        quantity: r.quantity,
        per_buyer: r.per_buyer,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
    }
}

pub(crate) async fn open(store: &dyn Store, room: RoomId, open: FlashSaleOpen) -> Result<FlashSaleTerms, LiveError> {
    let shop = shop(store, room).await?;
    let sale = NewFlashSale {
        shop,
        show: room,
        product: open.product,
        sku: open.sku,
        price: open.price,
        quantity: open.quantity,
        per_buyer: open.per_buyer,
        starts_at: open.starts_at,
        ends_at: open.ends_at,
        actor: open.actor,
    };
    match store.open_flash_sale(&sale).await {
        Ok(Ok(record)) => Ok(terms(&record)),
        Ok(Err(short)) => {
            Err(LiveError::InsufficientStock { available: short.available, delta: -i64::from(open.quantity) })
        }
        Err(zhibo_store::StoreError::NotFound(_)) => Err(LiveError::Refused {
            field: Some("sku"),
            message: format!(
                "SKU {} 不属于商品 {} / SKU {} is not one of product {}'s",
                open.sku, open.product, open.sku, open.product
            ),
        }),
        Err(e) => Err(data(e)),
    }
}

pub(crate) async fn commit(
    store: &dyn Store,
    clock: &dyn Clock,
    room: RoomId,
    wins: &[FlashWin],
) -> Result<Vec<Result<OrderId, String>>, LiveError> {
    let shop = store.first_shop().await.map_err(data)?.ok_or(LiveError::RoomNotFound(room))?;
    let minutes = shop.settings.unpaid_order_timeout_minutes.max(1);
    let expires_at = clock.now().plus_secs(minutes * 60);
    let orders = wins
        .iter()
        .map(|w| NewOrder {
            shop: shop.id,
            show: Some(room),
            buyer: w.buyer,
            lines: vec![NewOrderLine { sku: w.sku, quantity: w.quantity, unit_price: w.price }],
            discount: Fen::ZERO,
            claim: None,
            address: w.address.clone(),
            source: OrderSource::FlashSale(w.sale),
            request_key: request_key(w.sale, &w.request),
            expires_at,
            stock: StockSource::AlreadyReserved,
        })
        .collect();
    let placed = store.place_orders(orders).await.map_err(data)?;
    Ok(placed.into_iter().map(|r| r.map(|o| o.id).map_err(|e| e.to_string())).collect())
}

pub(crate) async fn close(
    store: &dyn Store,
    room: RoomId,
    sale: FlashSaleId,
    actor: Option<UserId>,
) -> Result<FlashSaleClosed, LiveError> {
    let shop = shop(store, room).await?;
    let record = store.close_flash_sale(shop, sale, actor).await.map_err(data)?;
    let end = record.ended.ok_or_else(|| LiveError::Data(format!("flash sale {sale} did not end")))?;
    Ok(FlashSaleClosed { sale, sold: end.sold, returned: end.returned })
}

pub(crate) async fn running(store: &dyn Store, room: RoomId) -> Result<Vec<RunningFlashSale>, LiveError> {
    let Some(shop) = store.first_shop().await.map_err(data)? else { return Ok(Vec::new()) };
    let mut running = Vec::new();
    for record in store.open_flash_sales(shop.id, room).await.map_err(data)? {
        let prefix = request_key(record.id, "");
        let wins = store
            .flash_sale_orders(shop.id, record.id)
            .await
            .map_err(data)?
            .into_iter()
            .map(|o| FlashWinRecord {
                buyer: o.buyer,
                quantity: o.units,
                order: o.order,
                request: o.request_key.strip_prefix(&prefix).map(str::to_owned),
            })
            .collect();
        running.push(RunningFlashSale { terms: terms(&record), wins });
    }
    Ok(running)
}

pub(crate) async fn sku_stock(store: &dyn Store, room: RoomId) -> Result<Vec<SkuStock>, LiveError> {
    let Some(shop) = store.first_shop().await.map_err(data)? else { return Ok(Vec::new()) };
    let Some(show) = store.show(shop.id, room).await.map_err(data)? else { return Ok(Vec::new()) };
    let mut skus = Vec::new();
    for item in show.lineup {
        let Some(detail) = store.product(shop.id, item.product).await.map_err(data)? else { continue };
        for sku in detail.skus {
            let specs = sku.specs.to_string();
            let label = if specs.is_empty() { format!("SKU {}", sku.id) } else { specs };
            skus.push(SkuStock { product: item.product, sku: sku.id, label, stock: sku.stock });
        }
    }
    Ok(skus)
}
