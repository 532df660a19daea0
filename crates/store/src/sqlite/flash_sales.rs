//! Flash sales on SQLite: open and close are each one `BEGIN IMMEDIATE`
//! transaction on the writer, with the sale's row and its ledger entry
//! together, so the ledger and the sale never disagree. The sold count is
//! read from `orders.flash_sale_id` inside the closing transaction; the
//! room closes a sale only after its last commit, and the single writer
//! connection orders the two anyway.

use async_trait::async_trait;
use sqlx::SqliteConnection;
use zhibo_domain::stock::{InsufficientStock, StockReason};
use zhibo_domain::{Fen, FlashSaleId, OrderId, ProductId, RoomId, ShopId, SkuId, Timestamp, UserId};

use super::SqliteStore;
use crate::flash_sales::{FlashSaleEnd, FlashSaleOrder, FlashSaleRecord, FlashSaleStore, NewFlashSale};
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
struct SaleRow {
    id: i64,
    shop_id: i64,
    show_id: i64,
    product_id: i64,
    sku_id: i64,
    price_fen: i64,
    quantity: i64,
    per_buyer: i64,
    starts_at: i64,
    ends_at: Option<i64>,
    opened_by: Option<i64>,
    opened_at: i64,
    ended_at: Option<i64>,
    sold: Option<i64>,
    returned: Option<i64>,
}

const SALE_COLUMNS: &str = "id, shop_id, show_id, product_id, sku_id, price_fen, quantity, per_buyer, starts_at, \
     ends_at, opened_by, opened_at, ended_at, sold, returned";

fn units(value: i64, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} out of range: {value}")))
}

impl TryFrom<SaleRow> for FlashSaleRecord {
    type Error = StoreError;
    fn try_from(row: SaleRow) -> Result<FlashSaleRecord> {
        let ended = match (row.ended_at, row.sold, row.returned) {
            (Some(at), Some(sold), Some(returned)) => Some(FlashSaleEnd {
                at: Timestamp(at),
                sold: units(sold, "flash sale sold")?,
                returned: units(returned, "flash sale returned")?,
            }),
            _ => None,
        };
        Ok(FlashSaleRecord {
            id: FlashSaleId(row.id),
            shop: ShopId(row.shop_id),
            show: RoomId(row.show_id),
            product: ProductId(row.product_id),
            sku: SkuId(row.sku_id),
            price: Fen(row.price_fen),
            quantity: units(row.quantity, "flash sale quantity")?,
            per_buyer: units(row.per_buyer, "flash sale per_buyer")?,
            starts_at: Timestamp(row.starts_at),
            ends_at: row.ends_at.map(Timestamp),
            opened_by: row.opened_by.map(UserId),
            opened_at: Timestamp(row.opened_at),
            ended,
        })
    }
}

/// One ledger entry inside the caller's transaction (the orders' own
/// `ledger_move`, so the rule lives once): `Err(balance)` when it would go
/// below zero (nothing written).
async fn ledger_entry(
    conn: &mut SqliteConnection,
    sku: SkuId,
    delta: i64,
    reason: StockReason,
    actor: Option<UserId>,
    note: &str,
    now: Timestamp,
) -> Result<std::result::Result<(), i64>> {
    let moved = super::orders::ledger_move(conn, sku, delta, reason, actor, note, now).await?;
    Ok(moved.map(|_| ()).map_err(|short| short.available))
}

async fn sale_row(conn: &mut SqliteConnection, shop: ShopId, id: FlashSaleId) -> Result<Option<FlashSaleRecord>> {
    let row =
        sqlx::query_as::<_, SaleRow>(&format!("SELECT {SALE_COLUMNS} FROM flash_sales WHERE id = ? AND shop_id = ?"))
            .bind(id.0)
            .bind(shop.0)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(FlashSaleRecord::try_from).transpose()
}

#[async_trait]
impl FlashSaleStore for SqliteStore {
    async fn open_flash_sale(&self, sale: &NewFlashSale) -> Result<Result<FlashSaleRecord, InsufficientStock>> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let show: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shows WHERE id = ? AND shop_id = ?)")
            .bind(sale.show.0)
            .bind(sale.shop.0)
            .fetch_one(&mut *tx)
            .await?;
        if !show {
            return Err(StoreError::NotFound(format!("show {}", sale.show)));
        }
        let of_product: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM skus WHERE id = ? AND product_id = ? AND shop_id = ?)")
                .bind(sale.sku.0)
                .bind(sale.product.0)
                .bind(sale.shop.0)
                .fetch_one(&mut *tx)
                .await?;
        if !of_product {
            return Err(StoreError::NotFound(format!("sku {} of product {}", sale.sku, sale.product)));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO flash_sales (shop_id, show_id, product_id, sku_id, price_fen, quantity, per_buyer,
                                      starts_at, ends_at, state, opened_by, opened_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
        )
        .bind(sale.shop.0)
        .bind(sale.show.0)
        .bind(sale.product.0)
        .bind(sale.sku.0)
        .bind(sale.price.0)
        .bind(i64::from(sale.quantity))
        .bind(i64::from(sale.per_buyer))
        .bind(sale.starts_at.millis())
        .bind(sale.ends_at.map(|t| t.millis()))
        .bind(sale.actor.map(|a| a.0))
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| super::constraint_error(e, || "flash sale".into(), || "user or product".into()))?;
        let note = format!("秒杀 #{id} 预占 / flash sale #{id} reserved");
        let wanted = i64::from(sale.quantity);
        if let Err(available) =
            ledger_entry(&mut tx, sale.sku, -wanted, StockReason::Reservation, sale.actor, &note, now).await?
        {
            // Dropping the transaction rolls the sale's row back too.
            return Ok(Err(InsufficientStock { sku: sale.sku, available, wanted }));
        }
        let record = sale_row(&mut tx, sale.shop, FlashSaleId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("flash sale {id} vanished")))?;
        tx.commit().await?;
        Ok(Ok(record))
    }

    async fn flash_sale(&self, shop: ShopId, id: FlashSaleId) -> Result<Option<FlashSaleRecord>> {
        let mut conn = self.reader.acquire().await?;
        sale_row(&mut conn, shop, id).await
    }

    async fn open_flash_sales(&self, shop: ShopId, show: RoomId) -> Result<Vec<FlashSaleRecord>> {
        let rows = sqlx::query_as::<_, SaleRow>(&format!(
            "SELECT {SALE_COLUMNS} FROM flash_sales WHERE shop_id = ? AND show_id = ? AND state = 'open' ORDER BY id"
        ))
        .bind(shop.0)
        .bind(show.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(FlashSaleRecord::try_from).collect()
    }

    async fn flash_sale_orders(&self, shop: ShopId, id: FlashSaleId) -> Result<Vec<FlashSaleOrder>> {
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT o.id, o.buyer_id, (SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id),
                    o.request_key
             FROM orders o WHERE o.flash_sale_id = ? AND o.shop_id = ? ORDER BY o.id",
        )
        .bind(id.0)
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(order, buyer, n, request_key)| {
                Ok(FlashSaleOrder {
                    order: OrderId(order),
                    buyer: UserId(buyer),
                    units: units(n, "order units")?,
                    request_key,
                })
            })
            .collect()
    }

    async fn close_flash_sale(&self, shop: ShopId, id: FlashSaleId, actor: Option<UserId>) -> Result<FlashSaleRecord> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let sale =
            sale_row(&mut tx, shop, id).await?.ok_or_else(|| StoreError::NotFound(format!("flash sale {id}")))?;
        if sale.ended.is_some() {
            return Ok(sale);
        }
        let sold: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id
             WHERE o.flash_sale_id = ?",
        )
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await?;
        let returned = i64::from(sale.quantity) - sold;
        if returned < 0 {
            return Err(StoreError::Corrupt(format!("flash sale {id} sold {sold} of {}", sale.quantity)));
        }
        if returned > 0 {
            let note = format!("秒杀 #{id} 结束，退回未售 / flash sale #{id} ended: unsold units back");
            ledger_entry(&mut tx, sale.sku, returned, StockReason::Release, actor, &note, now)
                .await?
                .map_err(|_| StoreError::Corrupt("a release cannot go below zero".into()))?;
        }
        sqlx::query("UPDATE flash_sales SET state = 'ended', ended_at = ?, sold = ?, returned = ? WHERE id = ?")
            .bind(now.millis())
            .bind(sold)
            .bind(returned)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let record = sale_row(&mut tx, shop, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("flash sale {id} vanished")))?;
        tx.commit().await?;
        Ok(record)
    }
}
