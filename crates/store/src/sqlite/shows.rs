//! Shows on SQLite. Saving a plan is one `BEGIN IMMEDIATE` transaction on
//! the writer: the show's row, then its lineup and run sheet replaced as a
//! whole, so a failure anywhere leaves the previous plan (or no show) in
//! place. Lineup products and the streamer and assistant are checked to
//! belong to the shop inside the same transaction. Starting and ending read
//! the state, ask the domain's [`Lifecycle`] whether the move is legal, and
//! write it with an UPDATE guarded by the state it read.

use async_trait::async_trait;
use sqlx::{Sqlite, Transaction};
use zhibo_domain::automation::{ActionSpec, ClockTime, ShowAction};
use zhibo_domain::selection::ProductRole;
use zhibo_domain::show::{Lifecycle, Segment, SegmentKind, ShowDraft};
use zhibo_domain::{DomainError, Fen, ProductId, RoomId, ShopId, Timestamp, UserId};

use super::SqliteStore;
use crate::shows::{LineupRecord, ShowDetail, ShowRecord, ShowStore};
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
struct ShowRow {
    id: i64,
    shop_id: i64,
    title: String,
    intro: String,
    scheduled_start: i64,
    streamer_id: Option<i64>,
    assistant_id: Option<i64>,
    promotion_budget_fen: Option<i64>,
    state: String,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ShowRow> for ShowRecord {
    type Error = StoreError;
    fn try_from(row: ShowRow) -> Result<ShowRecord> {
        let lifecycle = Lifecycle::from_parts(&row.state, row.started_at.map(Timestamp), row.ended_at.map(Timestamp))
            .map_err(|e| StoreError::Corrupt(format!("show {}: {}", row.id, e.message)))?;
        Ok(ShowRecord {
            id: RoomId(row.id),
            shop: ShopId(row.shop_id),
            title: row.title,
            intro: row.intro,
            scheduled_start: Timestamp(row.scheduled_start),
            streamer: row.streamer_id.map(UserId),
            assistant: row.assistant_id.map(UserId),
            promotion_budget: row.promotion_budget_fen.map(Fen),
            lifecycle,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

const SELECT_SHOW: &str = "SELECT id, shop_id, title, intro, scheduled_start, streamer_id, assistant_id, \
     promotion_budget_fen, state, started_at, ended_at, created_at, updated_at FROM shows";

#[derive(sqlx::FromRow)]
struct LineupRow {
    product_id: i64,
    product_title: String,
    product_price: i64,
    role: String,
    live_price_fen: Option<i64>,
    push_offset_minutes: Option<i64>,
    talking_points: String,
}

#[derive(sqlx::FromRow)]
struct SegmentRow {
    kind: String,
    title: String,
    start_offset_minutes: i64,
    minutes: i64,
}

/// Refuses a streamer or assistant who is not an account of the shop.
async fn check_people(tx: &mut Transaction<'_, Sqlite>, shop: ShopId, draft: &ShowDraft) -> Result<()> {
    for user in [draft.streamer, draft.assistant].into_iter().flatten() {
        let ours: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND shop_id = ?)")
            .bind(user.0)
            .bind(shop.0)
            .fetch_one(&mut **tx)
            .await?;
        if !ours {
            return Err(StoreError::NotFound(format!("user {user}")));
        }
    }
    Ok(())
}

/// Replaces the lineup and run sheet of show `id` inside `tx`.
async fn write_rows(tx: &mut Transaction<'_, Sqlite>, shop: ShopId, id: i64, draft: &ShowDraft) -> Result<()> {
    sqlx::query("DELETE FROM lineup_items WHERE show_id = ?").bind(id).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM run_sheet_segments WHERE show_id = ?").bind(id).execute(&mut **tx).await?;
    for (position, item) in draft.lineup.iter().enumerate() {
        // INSERT … SELECT from the shop's products: another shop's product
        // inserts nothing and is refused below.
        let done = sqlx::query(
            "INSERT INTO lineup_items (show_id, position, product_id, role, live_price_fen, push_offset_minutes,
                                       talking_points)
             SELECT ?, ?, id, ?, ?, ?, ? FROM products WHERE id = ? AND shop_id = ?",
        )
        .bind(id)
        .bind(position as i64)
        .bind(item.role.as_str())
        .bind(item.live_price.map(|p| p.0))
        .bind(item.push_offset_minutes)
        .bind(&item.talking_points)
        .bind(item.product.0)
        .bind(shop.0)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            super::constraint_error(e, || format!("product {} twice in the lineup", item.product), String::new)
        })?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("product {}", item.product)));
        }
    }
    for (position, s) in draft.run_sheet.iter().enumerate() {
        sqlx::query(
            "INSERT INTO run_sheet_segments (show_id, position, kind, title, start_offset_minutes, minutes)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(s.kind.as_str())
        .bind(&s.title)
        .bind(s.start_offset_minutes)
        .bind(s.minutes)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl SqliteStore {
    async fn show_row(&self, shop: ShopId, id: RoomId) -> Result<Option<ShowRecord>> {
        let row = sqlx::query_as::<_, ShowRow>(&format!("{SELECT_SHOW} WHERE id = ? AND shop_id = ?"))
            .bind(id.0)
            .bind(shop.0)
            .fetch_optional(&self.reader)
            .await?;
        row.map(ShowRecord::try_from).transpose()
    }

    /// Moves show `id` along its lifecycle with `step`, in one IMMEDIATE
    /// transaction; the UPDATE is guarded by the state it read.
    async fn transition(
        &self,
        shop: ShopId,
        id: RoomId,
        step: impl FnOnce(Lifecycle, Timestamp) -> Result<Lifecycle, DomainError> + Send,
    ) -> Result<Result<ShowRecord, DomainError>> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query_as::<_, ShowRow>(&format!("{SELECT_SHOW} WHERE id = ? AND shop_id = ?"))
            .bind(id.0)
            .bind(shop.0)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(StoreError::NotFound(format!("show {id}"))) };
        let before = ShowRecord::try_from(row)?;
        let now = self.clock.now();
        let after = match step(before.lifecycle, now) {
            Ok(after) => after,
            Err(e) => return Ok(Err(e)),
        };
        let done = sqlx::query(
            "UPDATE shows SET state = ?, started_at = ?, ended_at = ?, updated_at = ? WHERE id = ? AND state = ?",
        )
        .bind(after.state().as_str())
        .bind(after.started_at().map(Timestamp::millis))
        .bind(after.ended_at().map(Timestamp::millis))
        .bind(now.millis())
        .bind(id.0)
        .bind(before.lifecycle.state().as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!("show {id} changed under an IMMEDIATE transaction")));
        }
        tx.commit().await?;
        Ok(Ok(ShowRecord { lifecycle: after, updated_at: now, ..before }))
    }
}

#[async_trait]
impl ShowStore for SqliteStore {
    async fn create_show(&self, shop: ShopId, draft: &ShowDraft) -> Result<RoomId> {
        let now = self.clock.now().millis();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        check_people(&mut tx, shop, draft).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO shows (shop_id, title, intro, scheduled_start, streamer_id, assistant_id,
                                promotion_budget_fen, state, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?) RETURNING id",
        )
        .bind(shop.0)
        .bind(&draft.title)
        .bind(&draft.intro)
        .bind(draft.scheduled_start.millis())
        .bind(draft.streamer.map(|u| u.0))
        .bind(draft.assistant.map(|u| u.0))
        .bind(draft.promotion_budget.map(|b| b.0))
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| super::constraint_error(e, || format!("show {}", draft.title), || format!("shop {shop}")))?;
        write_rows(&mut tx, shop, id, draft).await?;
        tx.commit().await?;
        Ok(RoomId(id))
    }

    async fn update_show(&self, shop: ShopId, id: RoomId, draft: &ShowDraft) -> Result<Result<(), DomainError>> {
        let now = self.clock.now().millis();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query_as::<_, ShowRow>(&format!("{SELECT_SHOW} WHERE id = ? AND shop_id = ?"))
            .bind(id.0)
            .bind(shop.0)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(StoreError::NotFound(format!("show {id}"))) };
        if let Err(e) = ShowRecord::try_from(row)?.lifecycle.check_editable() {
            return Ok(Err(e));
        }
        check_people(&mut tx, shop, draft).await?;
        sqlx::query(
            "UPDATE shows SET title = ?, intro = ?, scheduled_start = ?, streamer_id = ?, assistant_id = ?,
                              promotion_budget_fen = ?, updated_at = ?
             WHERE id = ? AND shop_id = ?",
        )
        .bind(&draft.title)
        .bind(&draft.intro)
        .bind(draft.scheduled_start.millis())
        .bind(draft.streamer.map(|u| u.0))
        .bind(draft.assistant.map(|u| u.0))
        .bind(draft.promotion_budget.map(|b| b.0))
        .bind(now)
        .bind(id.0)
        .bind(shop.0)
        .execute(&mut *tx)
        .await?;
        write_rows(&mut tx, shop, id.0, draft).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn shows_of_shop(&self, shop: ShopId) -> Result<Vec<ShowRecord>> {
        let rows =
            sqlx::query_as::<_, ShowRow>(&format!("{SELECT_SHOW} WHERE shop_id = ? ORDER BY scheduled_start, id"))
                .bind(shop.0)
                .fetch_all(&self.reader)
                .await?;
        rows.into_iter().map(ShowRecord::try_from).collect()
    }

    async fn show(&self, shop: ShopId, id: RoomId) -> Result<Option<ShowDetail>> {
        let Some(show) = self.show_row(shop, id).await? else { return Ok(None) };
        let lineup = sqlx::query_as::<_, LineupRow>(
            "SELECT l.product_id, p.title AS product_title, p.price_fen AS product_price, l.role, l.live_price_fen,
                    l.push_offset_minutes, l.talking_points
             FROM lineup_items l JOIN products p ON p.id = l.product_id
             WHERE l.show_id = ? ORDER BY l.position",
        )
        .bind(id.0)
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|r| {
            let role = ProductRole::parse(&r.role)
                .ok_or_else(|| StoreError::Corrupt(format!("show {id}: lineup role {:?}", r.role)))?;
            Ok(LineupRecord {
                product: ProductId(r.product_id),
                product_title: r.product_title,
                product_price: Fen(r.product_price),
                role,
                live_price: r.live_price_fen.map(Fen),
                push_offset_minutes: r.push_offset_minutes,
                talking_points: r.talking_points,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let run_sheet = sqlx::query_as::<_, SegmentRow>(
            "SELECT kind, title, start_offset_minutes, minutes FROM run_sheet_segments
             WHERE show_id = ? ORDER BY position",
        )
        .bind(id.0)
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|r| {
            let kind = SegmentKind::parse(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("show {id}: segment kind {:?}", r.kind)))?;
            Ok(Segment { kind, title: r.title, start_offset_minutes: r.start_offset_minutes, minutes: r.minutes })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(ShowDetail { show, lineup, run_sheet }))
    }

    async fn show_by_title(&self, shop: ShopId, title: &str) -> Result<Option<ShowRecord>> {
        let row = sqlx::query_as::<_, ShowRow>(&format!("{SELECT_SHOW} WHERE shop_id = ? AND title = ? ORDER BY id"))
            .bind(shop.0)
            .bind(title)
            .fetch_optional(&self.reader)
            .await?;
        row.map(ShowRecord::try_from).transpose()
    }

    async fn start_show(&self, shop: ShopId, id: RoomId) -> Result<Result<ShowRecord, DomainError>> {
        self.transition(shop, id, |l, now| l.start(now)).await
    }

    async fn end_show(&self, shop: ShopId, id: RoomId) -> Result<Result<ShowRecord, DomainError>> {
        self.transition(shop, id, |l, now| l.end(now)).await
    }

    async fn set_live_price(&self, shop: ShopId, id: RoomId, product: ProductId, price: Fen) -> Result<()> {
        // The shop is checked in the same statement, so another shop's
        // show is simply not found.
        let changed = sqlx::query(
            "UPDATE lineup_items SET live_price_fen = ?
             WHERE show_id = (SELECT id FROM shows WHERE id = ? AND shop_id = ?) AND product_id = ?",
        )
        .bind(price.0)
        .bind(id.0)
        .bind(shop.0)
        .bind(product.0)
        .execute(&self.writer)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("show {id} lineup product {product}")));
        }
        Ok(())
    }

    async fn reorder_lineup(&self, shop: ShopId, id: RoomId, order: &[ProductId]) -> Result<()> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let ours: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shows WHERE id = ? AND shop_id = ?)")
            .bind(id.0)
            .bind(shop.0)
            .fetch_one(&mut *tx)
            .await?;
        if !ours {
            return Err(StoreError::NotFound(format!("show {id}")));
        }
        let current: Vec<i64> =
            sqlx::query_scalar("SELECT product_id FROM lineup_items WHERE show_id = ? ORDER BY position")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await?;
        let mut next: Vec<i64> = Vec::with_capacity(current.len());
        for product in order {
            if !current.contains(&product.0) {
                return Err(StoreError::NotFound(format!("show {id} lineup product {product}")));
            }
            if next.contains(&product.0) {
                return Err(StoreError::Conflict(format!("product {product} twice in the lineup order")));
            }
            next.push(product.0);
        }
        let rest: Vec<i64> = current.iter().copied().filter(|p| !next.contains(p)).collect();
        next.extend(rest);
        // (show, position) is the key: every row moves past the highest
        // position first, so no two rows ever share one on the way.
        sqlx::query(
            "UPDATE lineup_items SET position = position + 1 + (SELECT MAX(position) FROM lineup_items WHERE show_id = ?)
             WHERE show_id = ?",
        )
        .bind(id.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        for (position, product) in next.iter().enumerate() {
            sqlx::query("UPDATE lineup_items SET position = ? WHERE show_id = ? AND product_id = ?")
                .bind(position as i64)
                .bind(id.0)
                .bind(product)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn show_actions(&self, shop: ShopId, id: RoomId) -> Result<Vec<ShowAction>> {
        let rows = sqlx::query_as::<_, ActionRow>(
            "SELECT a.id, a.kind, a.product_id, a.segment, a.every_ms, a.times, a.prize, a.winners, a.keyword,
                    a.duration_secs, a.at_ms, a.text, a.coupon_id
             FROM show_actions a JOIN shows s ON s.id = a.show_id
             WHERE a.show_id = ? AND s.shop_id = ? ORDER BY a.position",
        )
        .bind(id.0)
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(ShowAction::try_from).collect()
    }

    async fn save_show_actions(
        &self,
        shop: ShopId,
        id: RoomId,
        actions: &[(Option<i64>, ActionSpec)],
    ) -> Result<Vec<i64>> {
        let now = self.clock.now().millis();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let ours: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM shows WHERE id = ? AND shop_id = ?)")
            .bind(id.0)
            .bind(shop.0)
            .fetch_one(&mut *tx)
            .await?;
        if !ours {
            return Err(StoreError::NotFound(format!("show {id}")));
        }
        let existing: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM show_actions WHERE show_id = ?").bind(id.0).fetch_all(&mut *tx).await?;
        let kept: Vec<i64> = actions.iter().filter_map(|(a, _)| *a).collect();
        for action in &kept {
            if !existing.contains(action) {
                return Err(StoreError::NotFound(format!("show {id} action {action}")));
            }
        }
        for gone in existing.iter().filter(|e| !kept.contains(e)) {
            sqlx::query("DELETE FROM show_actions WHERE id = ?").bind(gone).execute(&mut *tx).await?;
        }
        let mut ids = Vec::with_capacity(actions.len());
        for (position, (action, spec)) in actions.iter().enumerate() {
            let c = ActionColumns::of(spec);
            let query = match action {
                Some(_) => {
                    "UPDATE show_actions SET position = ?, kind = ?, product_id = ?, segment = ?, every_ms = ?,
                        times = ?, prize = ?, winners = ?, keyword = ?, duration_secs = ?, at_ms = ?, text = ?,
                        coupon_id = ?, updated_at = ? WHERE id = ? RETURNING id"
                }
                None => {
                    "INSERT INTO show_actions (position, kind, product_id, segment, every_ms, times, prize, winners,
                        keyword, duration_secs, at_ms, text, coupon_id, updated_at, show_id, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                }
            };
            let mut q = sqlx::query_scalar::<_, i64>(query)
                .bind(position as i64)
                .bind(spec.kind())
                .bind(c.product)
                .bind(c.segment)
                .bind(c.every_ms)
                .bind(c.times)
                .bind(c.prize)
                .bind(c.winners)
                .bind(c.keyword)
                .bind(c.duration_secs)
                .bind(c.at_ms)
                .bind(c.text)
                .bind(c.coupon)
                .bind(now);
            q = match action {
                Some(action) => q.bind(action),
                None => q.bind(id.0).bind(now),
            };
            ids.push(q.fetch_one(&mut *tx).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: i64,
    kind: String,
    product_id: Option<i64>,
    segment: Option<i64>,
    every_ms: Option<i64>,
    times: Option<i64>,
    prize: Option<String>,
    winners: Option<i64>,
    keyword: Option<String>,
    duration_secs: Option<i64>,
    at_ms: Option<i64>,
    text: Option<String>,
    coupon_id: Option<i64>,
}

impl TryFrom<ActionRow> for ShowAction {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> Result<ShowAction> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("show action {}: {what}", r.id));
        let small = |v: Option<i64>, what: &str| v.and_then(|v| u32::try_from(v).ok()).ok_or_else(|| corrupt(what));
        let spec = match r.kind.as_str() {
            "push_card" => ActionSpec::PushCard {
                product: ProductId(r.product_id.ok_or_else(|| corrupt("no product"))?),
                segment: small(r.segment, "bad segment")?,
            },
            "lottery" => ActionSpec::Lottery {
                every_minutes: small(r.every_ms.map(|ms| ms / 60_000), "bad every_ms")?,
                from_segment: r.segment.map(|s| small(Some(s), "bad segment")).transpose()?,
                times: r.times.map(|t| small(Some(t), "bad times")).transpose()?,
                prize: r.prize.clone().ok_or_else(|| corrupt("no prize"))?,
                winners: small(r.winners, "bad winners")?,
                keyword: r.keyword.clone(),
                duration_secs: small(r.duration_secs, "bad duration_secs")?,
            },
            "reminder" => ActionSpec::Reminder {
                at: ClockTime::from_millis(r.at_ms.ok_or_else(|| corrupt("no at_ms"))?)
                    .map_err(|e| corrupt(&e.message))?,
                text: r.text.clone().ok_or_else(|| corrupt("no text"))?,
                coupon: r.coupon_id,
            },
            other => return Err(corrupt(&format!("unknown kind {other:?}"))),
        };
        Ok(ShowAction { id: r.id, spec })
    }
}

/// An action's columns; those of other kinds stay NULL.
#[derive(Default)]
struct ActionColumns<'a> {
    product: Option<i64>,
    segment: Option<i64>,
    every_ms: Option<i64>,
    times: Option<i64>,
    prize: Option<&'a str>,
    winners: Option<i64>,
    keyword: Option<&'a str>,
    duration_secs: Option<i64>,
    at_ms: Option<i64>,
    text: Option<&'a str>,
    coupon: Option<i64>,
}

impl<'a> ActionColumns<'a> {
    fn of(spec: &'a ActionSpec) -> ActionColumns<'a> {
        match spec {
            ActionSpec::PushCard { product, segment } => {
                ActionColumns { product: Some(product.0), segment: Some(i64::from(*segment)), ..Default::default() }
            }
            ActionSpec::Lottery { every_minutes, from_segment, times, prize, winners, keyword, duration_secs } => {
                ActionColumns {
                    segment: from_segment.map(i64::from),
                    every_ms: Some(i64::from(*every_minutes) * 60_000),
                    times: times.map(i64::from),
                    prize: Some(prize),
                    winners: Some(i64::from(*winners)),
                    keyword: keyword.as_deref(),
                    duration_secs: Some(i64::from(*duration_secs)),
                    ..Default::default()
                }
            }
            ActionSpec::Reminder { at, text, coupon } => {
                ActionColumns { at_ms: Some(at.millis()), text: Some(text), coupon: *coupon, ..Default::default() }
            }
        }
    }
}
