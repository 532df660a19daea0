//! The product library, in its smallest form.

use async_trait::async_trait;
use zhibo_domain::{Fen, ShopId, Timestamp};

use super::{SqliteStore, constraint_error};
use crate::{CatalogStore, NewProduct, ProductRecord, Result};

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    shop_id: i64,
    title: String,
    selling_points: String,
    list_price_fen: i64,
    price_fen: i64,
    created_at: i64,
}

impl From<ProductRow> for ProductRecord {
    fn from(row: ProductRow) -> ProductRecord {
        ProductRecord {
            id: row.id,
            shop: ShopId(row.shop_id),
            title: row.title,
            selling_points: row.selling_points,
            list_price: Fen(row.list_price_fen),
            price: Fen(row.price_fen),
            created_at: Timestamp(row.created_at),
        }
    }
}

const SELECT_PRODUCT: &str =
    "SELECT id, shop_id, title, selling_points, list_price_fen, price_fen, created_at FROM products";

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn create_product(&self, product: &NewProduct) -> Result<i64> {
        sqlx::query_scalar(
            "INSERT INTO products (shop_id, title, selling_points, list_price_fen, price_fen, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(product.shop.0)
        .bind(&product.title)
        .bind(&product.selling_points)
        .bind(product.list_price.0)
        .bind(product.price.0)
        .bind(self.clock.now().millis())
        .fetch_one(&self.writer)
        .await
        .map_err(|err| {
            constraint_error(err, || format!("product title {:?}", product.title), || format!("shop {}", product.shop))
        })
    }

    async fn products_of_shop(&self, shop: ShopId) -> Result<Vec<ProductRecord>> {
        let rows = sqlx::query_as::<_, ProductRow>(&format!("{SELECT_PRODUCT} WHERE shop_id = ? ORDER BY id"))
            .bind(shop.0)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(ProductRecord::from).collect())
    }

    async fn product_by_title(&self, shop: ShopId, title: &str) -> Result<Option<ProductRecord>> {
        let row = sqlx::query_as::<_, ProductRow>(&format!("{SELECT_PRODUCT} WHERE shop_id = ? AND title = ?"))
            .bind(shop.0)
            .bind(title)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(ProductRecord::from))
    }
}
