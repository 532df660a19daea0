//! Orders, carts and payments on SQLite (see [`crate::orders`] for what is
//! guaranteed).
//!
//! Every write is one `BEGIN IMMEDIATE` transaction on the single writer
//! connection, so "read the balance, then take the units" cannot be split
//! by another writer. A batch of orders is checked and written one order at
//! a time inside that one transaction: each order is first checked against
//! what the transaction sees (stock, its coupon claim, an earlier order of
//! the same batch with the same request key) and only then written, so a
//! refused order writes nothing and the next one sees exactly the state the
//! previous ones left.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::SqliteConnection;
use zhibo_domain::catalog::Specs;
use zhibo_domain::order::{
    self, OrderActor, OrderSource, OrderStatus, OrderTotals, Party, ShippingAddress, StockEffect,
};
use zhibo_domain::stock::{InsufficientStock, StockReason};
use zhibo_domain::{DomainError, Fen, OrderId, ProductId, RoomId, ShopId, SkuId, Timestamp, UserId};

use super::SqliteStore;
use crate::orders::{
    BudgetSpend, CartItem, NewOrder, NewPayment, OrderExtras, OrderFilter, OrderLineRecord, OrderRecord,
    OrderRejection, OrderStore, PaymentRecord, PaymentRefusal, StockSource, StockState, TransitionRecord, WaitingCart,
};
use crate::{Result, StoreError};

/// Most unpaid orders one `expire_unpaid` call cancels: bounds the
/// transaction so the writer is not held for long.
const EXPIRE_BATCH: i64 = 200;

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    shop_id: i64,
    show_id: Option<i64>,
    buyer_id: i64,
    status: String,
    stock_state: String,
    subtotal_fen: i64,
    discount_fen: i64,
    total_fen: i64,
    claim_id: Option<i64>,
    address_name: String,
    address_phone: String,
    address_region: String,
    address_detail: String,
    source: String,
    flash_sale_id: Option<i64>,
    request_key: String,
    tracking_number: Option<String>,
    created_at: i64,
    expires_at: i64,
    paid_at: Option<i64>,
    shipped_at: Option<i64>,
    delivered_at: Option<i64>,
    closed_at: Option<i64>,
    updated_at: i64,
}

const ORDER_COLUMNS: &str = "o.id, o.shop_id, o.show_id, o.buyer_id, o.status, o.stock_state, o.subtotal_fen, \
    o.discount_fen, o.total_fen, o.claim_id, o.address_name, o.address_phone, o.address_region, o.address_detail, \
    o.source, o.flash_sale_id, o.request_key, o.tracking_number, o.created_at, o.expires_at, o.paid_at, \
    o.shipped_at, o.delivered_at, o.closed_at, o.updated_at";

#[derive(sqlx::FromRow)]
struct LineRow {
    order_id: i64,
    sku_id: i64,
    product_id: i64,
    product_title: String,
    specs: String,
    quantity: i64,
    unit_price_fen: i64,
    gift_promotion_id: Option<i64>,
}

impl OrderRow {
    fn into_record(self, lines: Vec<OrderLineRecord>) -> Result<OrderRecord> {
        let corrupt = |what: String| StoreError::Corrupt(format!("order {}: {what}", self.id));
        let status = OrderStatus::parse(&self.status).map_err(|e| corrupt(e.message))?;
        let stock =
            StockState::parse(&self.stock_state).ok_or_else(|| corrupt(format!("stock {}", self.stock_state)))?;
        let source = OrderSource::from_parts(&self.source, self.flash_sale_id)
            .ok_or_else(|| corrupt(format!("source {}", self.source)))?;
        let address =
            ShippingAddress::parse(&self.address_name, &self.address_phone, &self.address_region, &self.address_detail)
                .map_err(|e| corrupt(format!("address {e:?}")))?;
        Ok(OrderRecord {
            id: OrderId(self.id),
            shop: ShopId(self.shop_id),
            show: self.show_id.map(RoomId),
            buyer: UserId(self.buyer_id),
            status,
            stock,
            subtotal: Fen(self.subtotal_fen),
            discount: Fen(self.discount_fen),
            total: Fen(self.total_fen),
            claim: self.claim_id,
            address,
            source,
            request_key: self.request_key,
            tracking_number: self.tracking_number,
            lines,
            created_at: Timestamp(self.created_at),
            expires_at: Timestamp(self.expires_at),
            paid_at: self.paid_at.map(Timestamp),
            shipped_at: self.shipped_at.map(Timestamp),
            delivered_at: self.delivered_at.map(Timestamp),
            closed_at: self.closed_at.map(Timestamp),
            updated_at: Timestamp(self.updated_at),
            replayed: false,
        })
    }
}

fn line_record(row: LineRow) -> Result<OrderLineRecord> {
    Ok(OrderLineRecord {
        sku: SkuId(row.sku_id),
        product: ProductId(row.product_id),
        product_title: row.product_title,
        specs: row.specs,
        quantity: u32::try_from(row.quantity)
            .map_err(|_| StoreError::Corrupt(format!("order {} quantity {}", row.order_id, row.quantity)))?,
        unit_price: Fen(row.unit_price_fen),
        gift: row.gift_promotion_id,
    })
}

/// Reads orders with their lines: one query for the orders, one for all
/// their lines.
async fn load_orders(conn: &mut SqliteConnection, rows: Vec<OrderRow>) -> Result<Vec<OrderRecord>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(&rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let line_rows = sqlx::query_as::<_, LineRow>(
        "SELECT order_id, sku_id, product_id, product_title, specs, quantity, unit_price_fen, gift_promotion_id
         FROM order_lines
         WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY order_id, position",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_order: BTreeMap<i64, Vec<OrderLineRecord>> = BTreeMap::new();
    for row in line_rows {
        by_order.entry(row.order_id).or_default().push(line_record(row)?);
    }
    rows.into_iter()
        .map(|row| {
            let lines = by_order.remove(&row.id).unwrap_or_default();
            row.into_record(lines)
        })
        .collect()
}

async fn load_order(conn: &mut SqliteConnection, shop: Option<ShopId>, id: OrderId) -> Result<Option<OrderRecord>> {
    let row = sqlx::query_as::<_, OrderRow>(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.id = ?1 AND (?2 IS NULL OR o.shop_id = ?2)"
    ))
    .bind(id.0)
    .bind(shop.map(|s| s.0))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(load_orders(conn, row.into_iter().collect()).await?.pop())
}

/// One ledger entry inside the caller's transaction: the same rule as
/// `StockStore::apply_stock_change` (refused below zero, balance and entry
/// together), for changes that must commit with an order.
pub(super) async fn ledger_move(
    conn: &mut SqliteConnection,
    sku: SkuId,
    delta: i64,
    reason: StockReason,
    actor: Option<UserId>,
    note: &str,
    now: Timestamp,
) -> Result<std::result::Result<i64, InsufficientStock>> {
    let balance: Option<i64> = sqlx::query_scalar("SELECT balance FROM stock_balances WHERE sku_id = ?")
        .bind(sku.0)
        .fetch_optional(&mut *conn)
        .await?;
    let balance = balance.ok_or_else(|| StoreError::NotFound(format!("stock of sku {sku}")))?;
    let after =
        balance.checked_add(delta).ok_or_else(|| StoreError::Corrupt(format!("stock of sku {sku} overflows")))?;
    if after < 0 {
        return Ok(Err(InsufficientStock { sku, available: balance, wanted: -delta }));
    }
    sqlx::query("UPDATE stock_balances SET balance = ? WHERE sku_id = ?")
        .bind(after)
        .bind(sku.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO stock_ledger (sku_id, delta, reason, actor_user_id, note, balance_after, time_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(sku.0)
    .bind(delta)
    .bind(reason.as_str())
    .bind(actor.map(|a| a.0))
    .bind(note)
    .bind(after)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(Ok(after))
}

async fn record_transition(
    conn: &mut SqliteConnection,
    order: OrderId,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: OrderActor,
    note: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_transitions (order_id, from_status, to_status, actor_party, actor_user_id, note, time_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(order.0)
    .bind(from.map(OrderStatus::as_str))
    .bind(to.as_str())
    .bind(actor.party().as_str())
    .bind(actor.user().map(|u| u.0))
    .bind(note)
    .bind(now.millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn valid_request_key(key: &str) -> std::result::Result<(), DomainError> {
    if (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(DomainError::new(
            "request_key",
            "请求键须为1到128个可见ASCII字符 / the request key must be 1 to 128 printable ASCII characters",
        ))
    }
}

/// A SKU of the shop as an order line keeps it.
struct LineFacts {
    product: ProductId,
    title: String,
    specs: String,
}

async fn line_facts(conn: &mut SqliteConnection, shop: ShopId, sku: SkuId) -> Result<Option<LineFacts>> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT s.product_id, p.title, s.specs FROM skus s JOIN products p ON p.id = s.product_id
         WHERE s.id = ? AND s.shop_id = ?",
    )
    .bind(sku.0)
    .bind(shop.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((product, title, specs)) = row else { return Ok(None) };
    let pairs: Vec<(String, String)> =
        serde_json::from_str(&specs).map_err(|e| StoreError::Corrupt(format!("sku {sku} specs: {e}")))?;
    let specs = Specs::parse(&pairs).map_err(|e| StoreError::Corrupt(format!("sku {sku} specs: {}", e.message)))?;
    Ok(Some(LineFacts { product: ProductId(product), title, specs: specs.to_string() }))
}

/// Checks and writes one order inside the batch's transaction, with its
/// gift lines and budget spends (empty for a flash sale's win).
async fn place_one(
    conn: &mut SqliteConnection,
    o: &NewOrder,
    extras: &OrderExtras,
    now: Timestamp,
) -> Result<std::result::Result<OrderRecord, OrderRejection>> {
    use OrderRejection as R;
    if let Err(e) = valid_request_key(&o.request_key) {
        return Ok(Err(R::Invalid(e)));
    }
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM orders WHERE buyer_id = ? AND request_key = ?")
        .bind(o.buyer.0)
        .bind(&o.request_key)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = existing {
        let mut record = load_order(conn, None, OrderId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("order {id} vanished")))?;
        record.replayed = true;
        return Ok(Ok(record));
    }
    if o.lines.is_empty() {
        return Ok(Err(R::Invalid(DomainError::new(
            "lines",
            "订单至少要有一件商品 / an order needs at least one line",
        ))));
    }
    let mut facts = Vec::with_capacity(o.lines.len());
    let mut wanted: BTreeMap<SkuId, i64> = BTreeMap::new();
    for (i, line) in o.lines.iter().enumerate() {
        if let Err(e) = order::quantity(u64::from(line.quantity)) {
            return Ok(Err(R::Invalid(e)));
        }
        let Some(f) = line_facts(conn, o.shop, line.sku).await? else {
            return Ok(Err(R::UnknownSku { line: i, sku: line.sku }));
        };
        facts.push(f);
        *wanted.entry(line.sku).or_default() += i64::from(line.quantity);
    }
    // Gift lines follow the bought ones and are checked the same way.
    let mut gift_facts = Vec::with_capacity(extras.gifts.len());
    for (i, gift) in extras.gifts.iter().enumerate() {
        if let Err(e) = order::quantity(u64::from(gift.quantity)) {
            return Ok(Err(R::Invalid(e)));
        }
        let Some(f) = line_facts(conn, o.shop, gift.sku).await? else {
            return Ok(Err(R::UnknownSku { line: o.lines.len() + i, sku: gift.sku }));
        };
        gift_facts.push(f);
        *wanted.entry(gift.sku).or_default() += i64::from(gift.quantity);
    }
    let priced: Vec<(Fen, u32)> = o.lines.iter().map(|l| (l.unit_price, l.quantity)).collect();
    let totals = match OrderTotals::compute(&priced, o.discount) {
        Ok(t) => t,
        Err(e) => return Ok(Err(R::Invalid(e))),
    };
    if let Some(claim) = o.claim {
        let usable: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM coupon_claims c JOIN promotions p ON p.id = c.coupon_id
             WHERE c.id = ? AND c.buyer_id = ? AND p.shop_id = ? AND c.used_at IS NULL)",
        )
        .bind(claim)
        .bind(o.buyer.0)
        .bind(o.shop.0)
        .fetch_one(&mut *conn)
        .await?;
        if !usable {
            return Ok(Err(R::ClaimNotUsable(claim)));
        }
    }
    let spends = match check_spends(conn, o.shop, &extras.spends).await? {
        Ok(spends) => spends,
        Err(rejection) => return Ok(Err(rejection)),
    };
    if o.stock == StockSource::Reserve {
        for (&sku, &units) in &wanted {
            let balance: i64 = sqlx::query_scalar("SELECT balance FROM stock_balances WHERE sku_id = ?")
                .bind(sku.0)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or(0);
            if balance < units {
                return Ok(Err(R::InsufficientStock(InsufficientStock { sku, available: balance, wanted: units })));
            }
        }
    }
    // Checked: from here on only a database failure stops this order, and
    // that fails the whole batch.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (shop_id, show_id, buyer_id, status, stock_state, subtotal_fen, discount_fen, total_fen,
             claim_id, address_name, address_phone, address_region, address_detail, source, flash_sale_id,
             request_key, created_at, expires_at, updated_at)
         VALUES (?, ?, ?, 'pending_payment', 'held', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(o.shop.0)
    .bind(o.show.map(|s| s.0))
    .bind(o.buyer.0)
    .bind(totals.subtotal.0)
    .bind(totals.discount.0)
    .bind(totals.total.0)
    .bind(o.claim)
    .bind(o.address.name())
    .bind(o.address.phone())
    .bind(o.address.region())
    .bind(o.address.detail())
    .bind(o.source.kind())
    .bind(o.source.flash_sale().map(|f| f.0))
    .bind(&o.request_key)
    .bind(now.millis())
    .bind(o.expires_at.millis())
    .bind(now.millis())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| super::constraint_error(e, || format!("order {}", o.request_key), || "buyer, show or shop".into()))?;
    let order_id = OrderId(id);
    for (i, (line, f)) in o.lines.iter().zip(&facts).enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (order_id, position, sku_id, product_id, product_title, specs, quantity,
                 unit_price_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(line.sku.0)
        .bind(f.product.0)
        .bind(&f.title)
        .bind(&f.specs)
        .bind(i64::from(line.quantity))
        .bind(line.unit_price.0)
        .execute(&mut *conn)
        .await?;
    }
    for (i, (gift, f)) in extras.gifts.iter().zip(&gift_facts).enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (order_id, position, sku_id, product_id, product_title, specs, quantity,
                 unit_price_fen, gift_promotion_id) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
        )
        .bind(id)
        .bind((o.lines.len() + i) as i64)
        .bind(gift.sku.0)
        .bind(f.product.0)
        .bind(&f.title)
        .bind(&f.specs)
        .bind(i64::from(gift.quantity))
        .bind(gift.promotion)
        .execute(&mut *conn)
        .await?;
    }
    for spend in &spends {
        let done = sqlx::query(
            "UPDATE promotions SET spent_fen = spent_fen + ?1
             WHERE id = ?2 AND (budget_fen IS NULL OR spent_fen + ?1 <= budget_fen)",
        )
        .bind(spend.amount.0)
        .bind(spend.promotion)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            // checked above in this same transaction
            return Err(StoreError::Corrupt(format!(
                "budget of promotion {} changed under the writer",
                spend.promotion
            )));
        }
        sqlx::query("INSERT INTO order_promotion_spend (order_id, promotion_id, amount_fen) VALUES (?, ?, ?)")
            .bind(id)
            .bind(spend.promotion)
            .bind(spend.amount.0)
            .execute(&mut *conn)
            .await?;
    }
    if o.stock == StockSource::Reserve {
        let note = format!("订单 {id} 预占 / order {id} reserved");
        for (&sku, &units) in &wanted {
            if let Err(short) = ledger_move(conn, sku, -units, StockReason::Reservation, None, &note, now).await? {
                // checked above in this same transaction; reaching here means the check is wrong
                return Err(StoreError::Corrupt(format!("stock changed under the writer: {short}")));
            }
        }
    }
    if let Some(claim) = o.claim {
        sqlx::query("UPDATE coupon_claims SET used_at = ?, used_for = ? WHERE id = ?")
            .bind(now.millis())
            .bind(id.to_string())
            .bind(claim)
            .execute(&mut *conn)
            .await?;
    }
    let placed = match o.source {
        OrderSource::Checkout => "下单 / placed".to_owned(),
        OrderSource::FlashSale(sale) => format!("秒杀 {sale} 下单 / placed in flash sale {sale}"),
    };
    record_transition(conn, order_id, None, OrderStatus::PendingPayment, OrderActor::Buyer(o.buyer), &placed, now)
        .await?;
    let bought = o.lines.iter().zip(facts).map(|(l, f)| OrderLineRecord {
        sku: l.sku,
        product: f.product,
        product_title: f.title,
        specs: f.specs,
        quantity: l.quantity,
        unit_price: l.unit_price,
        gift: None,
    });
    let gifts = extras.gifts.iter().zip(gift_facts).map(|(g, f)| OrderLineRecord {
        sku: g.sku,
        product: f.product,
        product_title: f.title,
        specs: f.specs,
        quantity: g.quantity,
        unit_price: Fen::ZERO,
        gift: Some(g.promotion),
    });
    let lines = bought.chain(gifts).collect();
    Ok(Ok(OrderRecord {
        id: order_id,
        shop: o.shop,
        show: o.show,
        buyer: o.buyer,
        status: OrderStatus::PendingPayment,
        stock: StockState::Held,
        subtotal: totals.subtotal,
        discount: totals.discount,
        total: totals.total,
        claim: o.claim,
        address: o.address.clone(),
        source: o.source,
        request_key: o.request_key.clone(),
        tracking_number: None,
        lines,
        created_at: now,
        expires_at: o.expires_at,
        paid_at: None,
        shipped_at: None,
        delivered_at: None,
        closed_at: None,
        updated_at: now,
        replayed: false,
    }))
}

/// Applies a checked move to a loaded order inside the caller's
/// transaction: the stock it moves, the status and its time column, the
/// history row. Returns the order as it is now.
async fn apply_move(
    conn: &mut SqliteConnection,
    current: &OrderRecord,
    to: OrderStatus,
    effect: StockEffect,
    actor: OrderActor,
    note: &str,
    now: Timestamp,
) -> Result<OrderRecord> {
    // Shipping's note is its checked tracking number (see `transition`).
    let tracking = (to == OrderStatus::Shipped).then_some(note);
    let id = current.id;
    let mut per_sku: BTreeMap<SkuId, i64> = BTreeMap::new();
    for l in &current.lines {
        *per_sku.entry(l.sku).or_default() += i64::from(l.quantity);
    }
    let user = actor.user();
    let stock_state = match (effect, current.stock) {
        (StockEffect::Sell, StockState::Held) => {
            let note = format!("订单 {id} 已支付 / order {id} paid");
            for (&sku, &units) in &per_sku {
                // The hold becomes a sale: back in as a release, out as a sale.
                ledger_move(conn, sku, units, StockReason::Release, user, &note, now).await?.map_err(corrupt_short)?;
                ledger_move(conn, sku, -units, StockReason::Sale, user, &note, now).await?.map_err(corrupt_short)?;
            }
            StockState::Sold
        }
        (StockEffect::Release, StockState::Held | StockState::Sold) => {
            let note = format!("订单 {id} {} / order {id} {}", to.zh(), to.en());
            for (&sku, &units) in &per_sku {
                ledger_move(conn, sku, units, StockReason::Release, user, &note, now).await?.map_err(corrupt_short)?;
            }
            StockState::Released
        }
        _ if to == OrderStatus::Shipped => StockState::Shipped,
        (_, state) => state,
    };
    let time_column = match to {
        OrderStatus::Paid => "paid_at",
        OrderStatus::Shipped => "shipped_at",
        OrderStatus::Delivered => "delivered_at",
        OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Refunded => "closed_at",
        OrderStatus::PendingPayment => "updated_at",
    };
    // The guard on the old status makes a lost race visible instead of silent.
    let done = sqlx::query(&format!(
        "UPDATE orders SET status = ?, stock_state = ?, {time_column} = ?, updated_at = ?,
             tracking_number = COALESCE(?, tracking_number)
         WHERE id = ? AND status = ?"
    ))
    .bind(to.as_str())
    .bind(stock_state.as_str())
    .bind(now.millis())
    .bind(now.millis())
    .bind(tracking)
    .bind(id.0)
    .bind(current.status.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Corrupt(format!("order {id} changed under the writer")));
    }
    if to == OrderStatus::Cancelled
        && let Some(claim) = current.claim
    {
        // The coupon was not spent: the buyer gets it back.
        sqlx::query("UPDATE coupon_claims SET used_at = NULL, used_for = NULL WHERE id = ? AND used_for = ?")
            .bind(claim)
            .bind(id.0.to_string())
            .execute(&mut *conn)
            .await?;
    }
    if to == OrderStatus::Cancelled {
        // The discounts were never given: the budgets get them back.
        return_spends(conn, id).await?;
    }
    record_transition(conn, id, Some(current.status), to, actor, note, now).await?;
    load_order(conn, None, id).await?.ok_or_else(|| StoreError::Corrupt(format!("order {id} vanished")))
}

/// Checks an order's budget spends inside the caller's transaction: merged
/// per promotion (zero amounts dropped), each a promotion of the shop with
/// enough budget left. The spends to write, or the first refusal.
async fn check_spends(
    conn: &mut SqliteConnection,
    shop: ShopId,
    spends: &[BudgetSpend],
) -> Result<std::result::Result<Vec<BudgetSpend>, OrderRejection>> {
    let mut merged: BTreeMap<i64, Fen> = BTreeMap::new();
    for spend in spends {
        if spend.amount.0 < 0 {
            return Ok(Err(OrderRejection::Invalid(DomainError::new(
                "spends",
                format!("活动#{}的花费为负 / a negative spend on promotion #{}", spend.promotion, spend.promotion),
            ))));
        }
        let total = merged.entry(spend.promotion).or_insert(Fen::ZERO);
        *total = total.checked_add(spend.amount).ok_or_else(|| StoreError::Corrupt("spend overflows".into()))?;
    }
    let mut out = Vec::with_capacity(merged.len());
    for (promotion, amount) in merged {
        if amount.0 == 0 {
            continue;
        }
        let row: Option<(String, Option<i64>, i64)> =
            sqlx::query_as("SELECT name, budget_fen, spent_fen FROM promotions WHERE id = ? AND shop_id = ?")
                .bind(promotion)
                .bind(shop.0)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((name, budget, spent)) = row else {
            return Ok(Err(OrderRejection::Invalid(DomainError::new(
                "spends",
                format!("本店没有活动#{promotion} / no promotion #{promotion} in this shop"),
            ))));
        };
        if let Some(budget) = budget {
            let left = Fen(budget.saturating_sub(spent).max(0));
            if left < amount {
                return Ok(Err(OrderRejection::BudgetSpent { promotion, name, left, needed: amount }));
            }
        }
        out.push(BudgetSpend { promotion, amount });
    }
    Ok(Ok(out))
}

/// Gives a cancelled order's promotion spends back to their budgets, inside
/// the caller's transaction. Cancelling is final, so this runs once per order.
async fn return_spends(conn: &mut SqliteConnection, order: OrderId) -> Result<()> {
    sqlx::query(
        "UPDATE promotions SET spent_fen = spent_fen - s.amount_fen
         FROM order_promotion_spend s WHERE s.order_id = ? AND promotions.id = s.promotion_id",
    )
    .bind(order.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn corrupt_short(short: InsufficientStock) -> StoreError {
    StoreError::Corrupt(format!("an order's held stock is not there: {short}"))
}

/// Pushes the filter's conditions onto a query of `orders o`.
fn push_filter<'a>(q: &mut sqlx::QueryBuilder<'a, sqlx::Sqlite>, shop: ShopId, f: &'a OrderFilter) {
    q.push(" WHERE o.shop_id = ").push_bind(shop.0);
    if let Some(show) = f.show {
        q.push(" AND o.show_id = ").push_bind(show.0);
    }
    if let Some(status) = f.status {
        q.push(" AND o.status = ").push_bind(status.as_str());
    }
    if let Some(buyer) = f.buyer {
        q.push(" AND o.buyer_id = ").push_bind(buyer.0);
    }
    if let Some(product) = f.product {
        q.push(" AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.product_id = ")
            .push_bind(product.0)
            .push(")");
    }
    if let Some(key) = &f.request_key {
        q.push(" AND o.request_key = ").push_bind(key.as_str());
    }
    if let Some(from) = f.from {
        q.push(" AND o.created_at >= ").push_bind(from.millis());
    }
    if let Some(to) = f.to {
        q.push(" AND o.created_at < ").push_bind(to.millis());
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn place_orders(
        &self,
        orders: Vec<NewOrder>,
    ) -> Result<Vec<std::result::Result<OrderRecord, OrderRejection>>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now = self.clock.now();
        let mut answers = Vec::with_capacity(orders.len());
        let none = OrderExtras::default();
        for o in &orders {
            answers.push(place_one(&mut tx, o, &none, now).await?);
        }
        tx.commit().await?;
        Ok(answers)
    }

    async fn place_checkout(
        &self,
        order: NewOrder,
        extras: OrderExtras,
    ) -> Result<std::result::Result<OrderRecord, OrderRejection>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now = self.clock.now();
        let answer = place_one(&mut tx, &order, &extras, now).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn order_spends(&self, shop: ShopId, id: OrderId) -> Result<Vec<BudgetSpend>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT s.promotion_id, s.amount_fen FROM order_promotion_spend s JOIN orders o ON o.id = s.order_id
             WHERE s.order_id = ? AND o.shop_id = ? ORDER BY s.promotion_id",
        )
        .bind(id.0)
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|(promotion, amount)| BudgetSpend { promotion, amount: Fen(amount) }).collect())
    }

    async fn order(&self, shop: ShopId, id: OrderId) -> Result<Option<OrderRecord>> {
        let mut conn = self.reader.acquire().await?;
        load_order(&mut conn, Some(shop), id).await
    }

    async fn orders(&self, shop: ShopId, filter: &OrderFilter) -> Result<Vec<OrderRecord>> {
        let mut q = sqlx::QueryBuilder::new(format!("SELECT {ORDER_COLUMNS} FROM orders o"));
        push_filter(&mut q, shop, filter);
        q.push(" ORDER BY o.id DESC LIMIT ")
            .push_bind(i64::from(filter.limit.min(OrderFilter::MAX_LIMIT)))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        let mut conn = self.reader.acquire().await?;
        let rows = q.build_query_as::<OrderRow>().fetch_all(&mut *conn).await?;
        load_orders(&mut conn, rows).await
    }

    async fn count_orders(&self, shop: ShopId, filter: &OrderFilter) -> Result<u64> {
        let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM orders o");
        push_filter(&mut q, shop, filter);
        let n: i64 = q.build_query_scalar().fetch_one(&self.reader).await?;
        super::to_u64(n, "order count")
    }

    async fn order_transitions(&self, shop: ShopId, id: OrderId) -> Result<Vec<TransitionRecord>> {
        let rows: Vec<(Option<String>, String, String, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT t.from_status, t.to_status, t.actor_party, t.actor_user_id, t.note, t.time_ms
             FROM order_transitions t JOIN orders o ON o.id = t.order_id
             WHERE t.order_id = ? AND o.shop_id = ? ORDER BY t.id",
        )
        .bind(id.0)
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        let corrupt = |what: String| StoreError::Corrupt(format!("order {id} history: {what}"));
        rows.into_iter()
            .map(|(from, to, party, user, note, at)| {
                Ok(TransitionRecord {
                    from: from.map(|f| OrderStatus::parse(&f)).transpose().map_err(|e| corrupt(e.message))?,
                    to: OrderStatus::parse(&to).map_err(|e| corrupt(e.message))?,
                    party: Party::parse(&party).ok_or_else(|| corrupt(party.clone()))?,
                    user: user.map(UserId),
                    note,
                    at: Timestamp(at),
                })
            })
            .collect()
    }

    async fn payments(&self, shop: ShopId, id: OrderId) -> Result<Vec<PaymentRecord>> {
        let rows: Vec<(i64, String, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT p.id, p.provider, p.reference, p.amount_fen, p.status, p.message, p.time_ms
             FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.order_id = ? AND o.shop_id = ? ORDER BY p.id",
        )
        .bind(id.0)
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(pid, provider, reference, amount, status, message, at)| PaymentRecord {
                id: pid,
                order: id,
                provider,
                reference,
                amount: Fen(amount),
                succeeded: status == "succeeded",
                message,
                at: Timestamp(at),
            })
            .collect())
    }

    async fn transition(
        &self,
        shop: ShopId,
        id: OrderId,
        to: OrderStatus,
        actor: OrderActor,
        note: &str,
    ) -> Result<std::result::Result<OrderRecord, DomainError>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let current =
            load_order(&mut tx, Some(shop), id).await?.ok_or_else(|| StoreError::NotFound(format!("order {id}")))?;
        if let OrderActor::Buyer(buyer) = actor
            && buyer != current.buyer
        {
            return Ok(Err(DomainError::new("order", "只能操作自己的订单 / this is not your order")));
        }
        let effect = match current.status.check_move(to, actor.party()) {
            Ok(effect) => effect,
            Err(e) => return Ok(Err(e)),
        };
        // Shipping's note is the tracking number, checked as one.
        let checked = if to == OrderStatus::Shipped { order::tracking_number(note) } else { order::note(note) };
        let note = match checked {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        let now = self.clock.now();
        let record = apply_move(&mut tx, &current, to, effect, actor, &note, now).await?;
        tx.commit().await?;
        Ok(Ok(record))
    }

    async fn record_payment(
        &self,
        shop: ShopId,
        p: &NewPayment,
    ) -> Result<std::result::Result<(OrderRecord, PaymentRecord), PaymentRefusal>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let current = load_order(&mut tx, Some(shop), p.order)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("order {}", p.order)))?;
        let now = self.clock.now();
        if let OrderActor::Buyer(buyer) = p.actor
            && buyer != current.buyer
        {
            return Ok(Err(PaymentRefusal::NotTheBuyer));
        }
        match current.status {
            OrderStatus::PendingPayment => {}
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Completed => {
                return Ok(Err(PaymentRefusal::AlreadyPaid));
            }
            other => return Ok(Err(PaymentRefusal::NotPayable(other))),
        }
        if now >= current.expires_at {
            return Ok(Err(PaymentRefusal::Expired));
        }
        if p.amount != current.total {
            return Ok(Err(PaymentRefusal::AmountMismatch { expected: current.total, got: p.amount }));
        }
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO payments (order_id, provider, reference, amount_fen, status, message, time_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(p.order.0)
        .bind(&p.provider)
        .bind(&p.reference)
        .bind(p.amount.0)
        .bind(if p.succeeded { "succeeded" } else { "failed" })
        .bind(&p.message)
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| super::constraint_error(e, || format!("payment of order {}", p.order), || "order".into()))?;
        let record = if p.succeeded {
            let effect = current
                .status
                .check_move(OrderStatus::Paid, p.actor.party())
                .map_err(|e| StoreError::Corrupt(format!("paying order {}: {e}", p.order)))?;
            let note = format!("{} {}", p.provider, p.reference);
            apply_move(&mut tx, &current, OrderStatus::Paid, effect, p.actor, &note, now).await?
        } else {
            current
        };
        tx.commit().await?;
        let payment = PaymentRecord {
            id: pid,
            order: p.order,
            provider: p.provider.clone(),
            reference: p.reference.clone(),
            amount: p.amount,
            succeeded: p.succeeded,
            message: p.message.clone(),
            at: now,
        };
        Ok(Ok((record, payment)))
    }

    async fn expire_unpaid(&self, now: Timestamp) -> Result<Vec<OrderRecord>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query_as::<_, OrderRow>(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders o WHERE o.status = 'pending_payment' AND o.expires_at <= ?
             ORDER BY o.expires_at, o.id LIMIT ?"
        ))
        .bind(now.millis())
        .bind(EXPIRE_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let due = load_orders(&mut tx, rows).await?;
        let mut expired = Vec::with_capacity(due.len());
        for current in &due {
            let effect = current
                .status
                .check_move(OrderStatus::Cancelled, Party::System)
                .map_err(|e| StoreError::Corrupt(format!("expiring order {}: {e}", current.id)))?;
            let note = "超时未支付，自动取消 / not paid in time, cancelled";
            expired.push(
                apply_move(&mut tx, current, OrderStatus::Cancelled, effect, OrderActor::System, note, now).await?,
            );
        }
        tx.commit().await?;
        Ok(expired)
    }

    async fn cart(&self, buyer: UserId, show: RoomId) -> Result<Vec<CartItem>> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT sku_id, quantity, updated_at FROM carts WHERE buyer_id = ? AND show_id = ? ORDER BY rowid",
        )
        .bind(buyer.0)
        .bind(show.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(sku, quantity, at)| {
                Ok(CartItem {
                    sku: SkuId(sku),
                    quantity: u32::try_from(quantity)
                        .map_err(|_| StoreError::Corrupt(format!("cart quantity {quantity}")))?,
                    updated_at: Timestamp(at),
                })
            })
            .collect()
    }

    async fn set_cart_quantity(&self, buyer: UserId, show: RoomId, sku: SkuId, quantity: u32) -> Result<()> {
        if quantity == 0 {
            sqlx::query("DELETE FROM carts WHERE buyer_id = ? AND show_id = ? AND sku_id = ?")
                .bind(buyer.0)
                .bind(show.0)
                .bind(sku.0)
                .execute(&self.writer)
                .await?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO carts (buyer_id, show_id, sku_id, quantity, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (buyer_id, show_id, sku_id) DO UPDATE SET quantity = excluded.quantity,
                 updated_at = excluded.updated_at",
        )
        .bind(buyer.0)
        .bind(show.0)
        .bind(sku.0)
        .bind(i64::from(quantity))
        .bind(self.clock.now().millis())
        .execute(&self.writer)
        .await
        .map_err(|e| super::constraint_error(e, || "cart line".into(), || "buyer, show or sku".into()))?;
        Ok(())
    }

    async fn clear_cart(&self, buyer: UserId, show: RoomId) -> Result<()> {
        sqlx::query("DELETE FROM carts WHERE buyer_id = ? AND show_id = ?")
            .bind(buyer.0)
            .bind(show.0)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn waiting_carts(&self, show: RoomId) -> Result<Vec<WaitingCart>> {
        // An order at the same millisecond as the change counts as after
        // it: a checkout that emptied part of a cart is not "waiting".
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "WITH c AS (SELECT buyer_id, SUM(quantity) AS units, MAX(updated_at) AS changed
                        FROM carts WHERE show_id = ?1 GROUP BY buyer_id)
             SELECT buyer_id, units, changed FROM c
             WHERE NOT EXISTS (SELECT 1 FROM orders o
                               WHERE o.buyer_id = c.buyer_id AND o.show_id = ?1 AND o.created_at >= c.changed)
             ORDER BY buyer_id",
        )
        .bind(show.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(buyer, units, changed)| {
                Ok(WaitingCart {
                    buyer: UserId(buyer),
                    units: u64::try_from(units).map_err(|_| StoreError::Corrupt(format!("cart units {units}")))?,
                    changed_at: Timestamp(changed),
                })
            })
            .collect()
    }
}
