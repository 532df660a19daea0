//! The product library on SQLite: products with their SKUs (written all or
//! nothing, in one `BEGIN IMMEDIATE` transaction on the writer), the product
//! list and search, and product images stored as BLOBs.

use async_trait::async_trait;
use sqlx::{Sqlite, Transaction};
use zhibo_domain::catalog::{PlatformFigures, ProductDraft, ProductFacts, ProductStatus, SkuDraft, Specs};
use zhibo_domain::{Fen, ImageId, ProductId, ShopId, SkuId, Timestamp};

use super::SqliteStore;
use crate::{
    CatalogStore, ImageBytes, ImageRecord, NewImage, ProductDetail, ProductFilter, ProductRecord, ProductSummary,
    Rendition, Result, SkuRecord, StoreError,
};

/// Binds a product's own columns, in the order both the INSERT and the
/// UPDATE list them (title … price_fen), so the two statements cannot drift.
/// A macro because `query` and `query_scalar` are different builder types.
macro_rules! bind_product_columns {
    ($query:expr, $draft:expr, $price:expr, $list_price:expr) => {
        $query
            .bind(&$draft.title)
            .bind(&$draft.subtitle)
            .bind($draft.selling_points.join("\n"))
            .bind(&$draft.category)
            .bind(&$draft.brand)
            .bind($draft.status.as_str())
            .bind(&$draft.facts.material)
            .bind(&$draft.facts.size_chart)
            .bind($draft.facts.shipping_hours.map(i64::from))
            .bind(&$draft.facts.after_sales)
            .bind($draft.platform.return_rate_permille)
            .bind($draft.platform.review_tenths)
            .bind($list_price.0)
            .bind($price.0)
    };
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    shop_id: i64,
    title: String,
    subtitle: String,
    selling_points: String,
    category: String,
    brand: String,
    status: String,
    material: String,
    size_chart: String,
    shipping_hours: Option<i64>,
    after_sales: String,
    return_rate_permille: Option<i64>,
    review_tenths: Option<i64>,
    list_price_fen: i64,
    price_fen: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<ProductRow> for ProductRecord {
    type Error = StoreError;
    fn try_from(row: ProductRow) -> Result<ProductRecord> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("product {}: {what}", row.id));
        Ok(ProductRecord {
            id: ProductId(row.id),
            shop: ShopId(row.shop_id),
            status: ProductStatus::parse(&row.status).map_err(|e| corrupt(&e.message))?,
            selling_points: row.selling_points.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            facts: ProductFacts {
                material: row.material,
                size_chart: row.size_chart,
                shipping_hours: row.shipping_hours.map(u32::try_from).transpose().map_err(|_| corrupt("shipping"))?,
                after_sales: row.after_sales,
            },
            // re-checked, as every value read back is: the schema's CHECKs
            // hold the same ranges, so a failure means a corrupt file
            platform: PlatformFigures::check(row.return_rate_permille, row.review_tenths)
                .map_err(|e| corrupt(&e[0].message))?,
            title: row.title,
            subtitle: row.subtitle,
            category: row.category,
            brand: row.brand,
            list_price: Fen(row.list_price_fen),
            price: Fen(row.price_fen),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }
}

const PRODUCT_COLUMNS: &str = "p.id, p.shop_id, p.title, p.subtitle, p.selling_points, p.category, p.brand, p.status,
    p.material, p.size_chart, p.shipping_hours, p.after_sales, p.return_rate_permille, p.review_tenths,
    p.list_price_fen, p.price_fen, p.created_at, p.updated_at";

#[derive(sqlx::FromRow)]
struct SkuRow {
    id: i64,
    product_id: i64,
    specs: String,
    list_price_fen: i64,
    price_fen: i64,
    cost_fen: i64,
    weight_g: i64,
    barcode: Option<String>,
    stock: i64,
}

impl TryFrom<SkuRow> for SkuRecord {
    type Error = StoreError;
    fn try_from(row: SkuRow) -> Result<SkuRecord> {
        let corrupt = |what: String| StoreError::Corrupt(format!("sku {}: {what}", row.id));
        let pairs: Vec<(String, String)> = serde_json::from_str(&row.specs).map_err(|e| corrupt(e.to_string()))?;
        Ok(SkuRecord {
            id: SkuId(row.id),
            product: ProductId(row.product_id),
            specs: Specs::parse(&pairs).map_err(|e| corrupt(e.message))?,
            list_price: Fen(row.list_price_fen),
            price: Fen(row.price_fen),
            cost: Fen(row.cost_fen),
            weight_g: row.weight_g,
            barcode: row.barcode,
            stock: row.stock,
        })
    }
}

const SELECT_SKU: &str = "SELECT s.id, s.product_id, s.specs, s.list_price_fen, s.price_fen, s.cost_fen, s.weight_g,
    s.barcode, COALESCE(b.balance, 0) AS stock
    FROM skus s LEFT JOIN stock_balances b ON b.sku_id = s.id";

#[derive(sqlx::FromRow)]
struct ImageRow {
    id: i64,
    product_id: i64,
    mime: String,
    width: i64,
    height: i64,
    byte_size: i64,
    sha256: String,
    thumb_width: i64,
    thumb_height: i64,
    sort_order: i64,
    created_at: i64,
}

impl TryFrom<ImageRow> for ImageRecord {
    type Error = StoreError;
    fn try_from(row: ImageRow) -> Result<ImageRecord> {
        let dim = |v: i64| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("image {}: size {v}", row.id)));
        Ok(ImageRecord {
            id: ImageId(row.id),
            product: ProductId(row.product_id),
            width: dim(row.width)?,
            height: dim(row.height)?,
            thumb_width: dim(row.thumb_width)?,
            thumb_height: dim(row.thumb_height)?,
            mime: row.mime,
            byte_size: row.byte_size,
            sha256: row.sha256,
            sort_order: row.sort_order,
            created_at: Timestamp(row.created_at),
        })
    }
}

const SELECT_IMAGE: &str = "SELECT id, product_id, mime, width, height, byte_size, sha256, thumb_width, thumb_height,
    sort_order, created_at FROM product_images";

/// Names what a unique constraint protects, from SQLite's message
/// ("UNIQUE constraint failed: skus.shop_id, skus.barcode").
pub(super) fn map_write_error(err: sqlx::Error, draft: Option<&ProductDraft>, shop: ShopId) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        let message = db.message();
        if db.is_unique_violation() {
            let taken = if message.contains("skus.barcode") {
                let codes: Vec<_> = draft
                    .into_iter()
                    .flat_map(|d| &d.skus)
                    .filter_map(|s| s.barcode.as_ref())
                    .map(|b| b.as_str())
                    .collect();
                format!("barcode {}", codes.join(", "))
            } else if message.contains("products.title") {
                format!("product title {:?}", draft.map(|d| d.title.as_str()).unwrap_or(""))
            } else if message.contains("skus.spec_key") {
                "spec combination".to_owned()
            } else {
                message.to_owned()
            };
            return StoreError::Conflict(taken);
        }
        if db.is_foreign_key_violation() {
            return StoreError::NotFound(format!("shop {shop}"));
        }
    }
    StoreError::Database(err)
}

fn specs_json(specs: &Specs) -> String {
    serde_json::to_string(specs.pairs()).unwrap_or_else(|_| "[]".to_owned())
}

pub(super) async fn insert_product(
    tx: &mut Transaction<'_, Sqlite>,
    shop: ShopId,
    draft: &ProductDraft,
    now: Timestamp,
) -> Result<ProductId> {
    if let Some(sku) = draft.skus.iter().find_map(|s| s.id) {
        return Err(StoreError::NotFound(format!("sku {sku} of a new product")));
    }
    let (price, list_price) = draft.lead_price();
    let insert = sqlx::query_scalar(
        "INSERT INTO products (title, subtitle, selling_points, category, brand, status, material,
             size_chart, shipping_hours, after_sales, return_rate_permille, review_tenths, list_price_fen, price_fen,
             shop_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    );
    let id: i64 = bind_product_columns!(insert, draft, price, list_price)
        .bind(shop.0)
        .bind(now.millis())
        .bind(now.millis())
        .fetch_one(&mut **tx)
        .await?;
    let product = ProductId(id);
    for (position, sku) in draft.skus.iter().enumerate() {
        insert_sku(tx, shop, product, position, sku, now).await?;
    }
    Ok(product)
}

async fn insert_sku(
    tx: &mut Transaction<'_, Sqlite>,
    shop: ShopId,
    product: ProductId,
    position: usize,
    sku: &SkuDraft,
    now: Timestamp,
) -> Result<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO skus (product_id, shop_id, position, specs, spec_key, list_price_fen, price_fen, cost_fen,
             weight_g, barcode, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(product.0)
    .bind(shop.0)
    .bind(position as i64)
    .bind(specs_json(&sku.specs))
    .bind(sku.specs.key())
    .bind(sku.list_price.0)
    .bind(sku.price.0)
    .bind(sku.cost.0)
    .bind(sku.weight_g)
    .bind(sku.barcode.as_ref().map(|b| b.as_str()))
    .bind(now.millis())
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO stock_balances (sku_id, balance) VALUES (?, 0)").bind(id).execute(&mut **tx).await?;
    Ok(())
}

async fn update_in(
    tx: &mut Transaction<'_, Sqlite>,
    shop: ShopId,
    id: ProductId,
    draft: &ProductDraft,
    now: Timestamp,
) -> Result<()> {
    let (price, list_price) = draft.lead_price();
    let update = sqlx::query(
        "UPDATE products SET title = ?, subtitle = ?, selling_points = ?, category = ?, brand = ?, status = ?,
             material = ?, size_chart = ?, shipping_hours = ?, after_sales = ?, return_rate_permille = ?,
             review_tenths = ?, list_price_fen = ?, price_fen = ?, updated_at = ?
         WHERE id = ? AND shop_id = ?",
    );
    let done = bind_product_columns!(update, draft, price, list_price)
        .bind(now.millis())
        .bind(id.0)
        .bind(shop.0)
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("product {id}")));
    }

    let existing: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, specs FROM skus WHERE product_id = ?").bind(id.0).fetch_all(&mut **tx).await?;
    for sku in draft.skus.iter().filter_map(|s| s.id) {
        if !existing.iter().any(|(e, _)| *e == sku.0) {
            return Err(StoreError::NotFound(format!("sku {sku} of product {id}")));
        }
    }
    for (gone, specs) in existing.iter().filter(|(e, _)| !draft.skus.iter().any(|s| s.id == Some(SkuId(*e)))) {
        let has_history: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM stock_ledger WHERE sku_id = ?)")
            .bind(gone)
            .fetch_one(&mut **tx)
            .await?;
        if has_history {
            let pairs: Vec<(String, String)> = serde_json::from_str(specs).unwrap_or_default();
            let label = Specs::parse(&pairs).map(|s| s.to_string()).unwrap_or_default();
            return Err(StoreError::Conflict(format!(
                "SKU {gone} ({label}) 已有库存记录，不能删除 / SKU {gone} ({label}) has stock history and cannot be removed"
            )));
        }
        sqlx::query("DELETE FROM stock_balances WHERE sku_id = ?").bind(gone).execute(&mut **tx).await?;
        sqlx::query("DELETE FROM skus WHERE id = ?").bind(gone).execute(&mut **tx).await?;
    }
    // Free every kept SKU's combination and barcode first, so two SKUs may
    // swap them without tripping the unique constraints halfway.
    sqlx::query("UPDATE skus SET spec_key = '#' || id, barcode = NULL WHERE product_id = ?")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    for (position, sku) in draft.skus.iter().enumerate() {
        match sku.id {
            Some(sku_id) => {
                sqlx::query(
                    "UPDATE skus SET position = ?, specs = ?, spec_key = ?, list_price_fen = ?, price_fen = ?,
                         cost_fen = ?, weight_g = ?, barcode = ?
                     WHERE id = ? AND product_id = ?",
                )
                .bind(position as i64)
                .bind(specs_json(&sku.specs))
                .bind(sku.specs.key())
                .bind(sku.list_price.0)
                .bind(sku.price.0)
                .bind(sku.cost.0)
                .bind(sku.weight_g)
                .bind(sku.barcode.as_ref().map(|b| b.as_str()))
                .bind(sku_id.0)
                .bind(id.0)
                .execute(&mut **tx)
                .await?;
            }
            None => insert_sku(tx, shop, id, position, sku, now).await?,
        }
    }
    Ok(())
}

impl SqliteStore {
    async fn skus_of(&self, product: ProductId) -> Result<Vec<SkuRecord>> {
        let rows =
            sqlx::query_as::<_, SkuRow>(&format!("{SELECT_SKU} WHERE s.product_id = ? ORDER BY s.position, s.id"))
                .bind(product.0)
                .fetch_all(&self.reader)
                .await?;
        rows.into_iter().map(SkuRecord::try_from).collect()
    }

    async fn product_exists(&self, shop: ShopId, product: ProductId) -> Result<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE id = ? AND shop_id = ?)")
            .bind(product.0)
            .bind(shop.0)
            .fetch_one(&self.reader)
            .await?)
    }
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn create_product(&self, shop: ShopId, draft: &ProductDraft) -> Result<ProductId> {
        let ids = self.create_products(shop, std::slice::from_ref(draft)).await?;
        ids.into_iter().next().ok_or_else(|| StoreError::Corrupt("no product id came back".into()))
    }

    async fn create_products(&self, shop: ShopId, drafts: &[ProductDraft]) -> Result<Vec<ProductId>> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut ids = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let id = insert_product(&mut tx, shop, draft, now).await.map_err(|e| match e {
                StoreError::Database(err) => map_write_error(err, Some(draft), shop),
                other => other,
            })?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn update_product(&self, shop: ShopId, id: ProductId, draft: &ProductDraft) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        update_in(&mut tx, shop, id, draft, now).await.map_err(|e| match e {
            StoreError::Database(err) => map_write_error(err, Some(draft), shop),
            other => other,
        })?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_product_status(&self, shop: ShopId, id: ProductId, status: ProductStatus) -> Result<()> {
        let done = sqlx::query("UPDATE products SET status = ?, updated_at = ? WHERE id = ? AND shop_id = ?")
            .bind(status.as_str())
            .bind(self.clock.now().millis())
            .bind(id.0)
            .bind(shop.0)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("product {id}")));
        }
        Ok(())
    }

    async fn product(&self, shop: ShopId, id: ProductId) -> Result<Option<ProductDetail>> {
        let row = sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = ? AND p.shop_id = ?"
        ))
        .bind(id.0)
        .bind(shop.0)
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let product = ProductRecord::try_from(row)?;
        let skus = self.skus_of(id).await?;
        Ok(Some(ProductDetail { product, skus }))
    }

    async fn products_of_shop(&self, shop: ShopId) -> Result<Vec<ProductRecord>> {
        let rows = sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.shop_id = ? ORDER BY p.id"
        ))
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(ProductRecord::try_from).collect()
    }

    async fn product_details_of_shop(&self, shop: ShopId) -> Result<Vec<ProductDetail>> {
        let products = self.products_of_shop(shop).await?;
        let rows = sqlx::query_as::<_, SkuRow>(&format!(
            "{SELECT_SKU} WHERE s.shop_id = ? ORDER BY s.product_id, s.position, s.id"
        ))
        .bind(shop.0)
        .fetch_all(&self.reader)
        .await?;
        let mut skus: Vec<SkuRecord> = rows.into_iter().map(SkuRecord::try_from).collect::<Result<_>>()?;
        Ok(products
            .into_iter()
            .map(|product| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut skus).into_iter().partition(|s| s.product == product.id);
                skus = rest;
                ProductDetail { product, skus: mine }
            })
            .collect())
    }

    async fn search_products(&self, shop: ShopId, filter: &ProductFilter) -> Result<Vec<ProductSummary>> {
        #[derive(sqlx::FromRow)]
        struct SummaryRow {
            #[sqlx(flatten)]
            product: ProductRow,
            sku_count: i64,
            stock: i64,
            cover: Option<i64>,
        }
        let text = filter.text.trim();
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let status = filter.status.map(ProductStatus::as_str);
        let rows = sqlx::query_as::<_, SummaryRow>(&format!(
            "SELECT {PRODUCT_COLUMNS},
                 (SELECT COUNT(*) FROM skus s WHERE s.product_id = p.id) AS sku_count,
                 (SELECT COALESCE(SUM(b.balance), 0) FROM skus s JOIN stock_balances b ON b.sku_id = s.id
                   WHERE s.product_id = p.id) AS stock,
                 (SELECT i.id FROM product_images i WHERE i.product_id = p.id ORDER BY i.sort_order, i.id LIMIT 1)
                   AS cover
             FROM products p
             WHERE p.shop_id = ?
               AND (? IS NULL OR p.status = ?)
               AND (? = '' OR p.title LIKE ? ESCAPE '\\' OR p.subtitle LIKE ? ESCAPE '\\'
                    OR p.brand LIKE ? ESCAPE '\\' OR p.category LIKE ? ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM skus s WHERE s.product_id = p.id AND s.barcode = ?))
             ORDER BY p.id"
        ))
        .bind(shop.0)
        .bind(status)
        .bind(status)
        .bind(text)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(text)
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(ProductSummary {
                    product: ProductRecord::try_from(row.product)?,
                    sku_count: row.sku_count,
                    stock: row.stock,
                    cover: row.cover.map(ImageId),
                })
            })
            .collect()
    }

    async fn product_by_title(&self, shop: ShopId, title: &str) -> Result<Option<ProductRecord>> {
        let row = sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.shop_id = ? AND p.title = ?"
        ))
        .bind(shop.0)
        .bind(title)
        .fetch_optional(&self.reader)
        .await?;
        row.map(ProductRecord::try_from).transpose()
    }

    async fn sku(&self, shop: ShopId, id: SkuId) -> Result<Option<SkuRecord>> {
        let row = sqlx::query_as::<_, SkuRow>(&format!("{SELECT_SKU} WHERE s.id = ? AND s.shop_id = ?"))
            .bind(id.0)
            .bind(shop.0)
            .fetch_optional(&self.reader)
            .await?;
        row.map(SkuRecord::try_from).transpose()
    }

    async fn sku_by_barcode(&self, shop: ShopId, barcode: &str) -> Result<Option<SkuRecord>> {
        let row = sqlx::query_as::<_, SkuRow>(&format!("{SELECT_SKU} WHERE s.shop_id = ? AND s.barcode = ?"))
            .bind(shop.0)
            .bind(barcode)
            .fetch_optional(&self.reader)
            .await?;
        row.map(SkuRecord::try_from).transpose()
    }

    async fn add_product_image(&self, shop: ShopId, product: ProductId, image: &NewImage) -> Result<ImageRecord> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE id = ? AND shop_id = ?)")
            .bind(product.0)
            .bind(shop.0)
            .fetch_one(&mut *tx)
            .await?;
        if !exists {
            return Err(StoreError::NotFound(format!("product {product}")));
        }
        let row = sqlx::query_as::<_, ImageRow>(
            "INSERT INTO product_images (product_id, mime, width, height, byte_size, sha256, original, thumb_mime,
                 thumb_width, thumb_height, thumbnail, sort_order, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                 (SELECT COALESCE(MAX(sort_order) + 1, 0) FROM product_images WHERE product_id = ?), ?)
             RETURNING id, product_id, mime, width, height, byte_size, sha256, thumb_width, thumb_height,
                 sort_order, created_at",
        )
        .bind(product.0)
        .bind(image.mime)
        .bind(i64::from(image.width))
        .bind(i64::from(image.height))
        .bind(image.original.len() as i64)
        .bind(&image.sha256)
        .bind(&image.original)
        .bind(image.thumb_mime)
        .bind(i64::from(image.thumb_width))
        .bind(i64::from(image.thumb_height))
        .bind(&image.thumbnail)
        .bind(product.0)
        .bind(self.clock.now().millis())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        ImageRecord::try_from(row)
    }

    async fn product_images(&self, shop: ShopId, product: ProductId) -> Result<Vec<ImageRecord>> {
        if !self.product_exists(shop, product).await? {
            return Err(StoreError::NotFound(format!("product {product}")));
        }
        let rows =
            sqlx::query_as::<_, ImageRow>(&format!("{SELECT_IMAGE} WHERE product_id = ? ORDER BY sort_order, id"))
                .bind(product.0)
                .fetch_all(&self.reader)
                .await?;
        rows.into_iter().map(ImageRecord::try_from).collect()
    }

    async fn image_bytes(
        &self,
        shop: ShopId,
        product: ProductId,
        image: ImageId,
        rendition: Rendition,
    ) -> Result<Option<ImageBytes>> {
        let (mime, bytes) = match rendition {
            Rendition::Original => ("i.mime", "i.original"),
            Rendition::Thumbnail => ("i.thumb_mime", "i.thumbnail"),
        };
        let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(&format!(
            "SELECT {mime}, i.sha256, {bytes} FROM product_images i JOIN products p ON p.id = i.product_id
             WHERE i.id = ? AND i.product_id = ? AND p.shop_id = ?"
        ))
        .bind(image.0)
        .bind(product.0)
        .bind(shop.0)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(mime, sha256, bytes)| ImageBytes { mime, sha256, bytes }))
    }

    async fn delete_product_image(&self, shop: ShopId, product: ProductId, image: ImageId) -> Result<()> {
        let done = sqlx::query(
            "DELETE FROM product_images WHERE id = ? AND product_id = ?
               AND product_id IN (SELECT id FROM products WHERE shop_id = ?)",
        )
        .bind(image.0)
        .bind(product.0)
        .bind(shop.0)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("image {image}")));
        }
        Ok(())
    }
}
