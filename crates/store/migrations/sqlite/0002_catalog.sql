-- The product library grows up: product details and quick-answer facts,
-- SKUs with specs, the stock ledger with a per-SKU balance, and product
-- images stored in the database.
--
-- Every stock change is a row of stock_ledger; stock_balances holds the sum
-- of a SKU's rows, updated in the same transaction as each insert, so the
-- two never drift. CHECK (balance >= 0) makes overselling impossible even
-- for a writer that forgot to look. The ledger is append-only (triggers).
--
-- Images are BLOBs in the database rather than files beside it, so a backup
-- (VACUUM INTO) holds them and an upload is one transaction with its row.

ALTER TABLE products ADD COLUMN subtitle TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN brand TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'on_sale', 'off_sale'));
ALTER TABLE products ADD COLUMN material TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN size_chart TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN shipping_hours INTEGER CHECK (shipping_hours IS NULL OR shipping_hours > 0);
ALTER TABLE products ADD COLUMN after_sales TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

UPDATE products SET updated_at = created_at;

-- products.price_fen and list_price_fen now hold the cheapest SKU's prices
-- (what a list shows), kept by the store whenever SKUs are written.

-- AUTOINCREMENT: a removed SKU's id is never given to a new one, since
-- orders and promotions keep pointing at ids.
CREATE TABLE skus (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id     INTEGER NOT NULL REFERENCES products (id),
    -- Denormalised from the product so a barcode can be unique per shop.
    shop_id        INTEGER NOT NULL REFERENCES shops (id),
    position       INTEGER NOT NULL,
    -- JSON [["颜色","红"],["尺码","M"]], in the order given.
    specs          TEXT    NOT NULL,
    -- The combination regardless of order ("尺码=M;颜色=红").
    spec_key       TEXT    NOT NULL,
    list_price_fen INTEGER NOT NULL CHECK (list_price_fen >= 0),
    price_fen      INTEGER NOT NULL CHECK (price_fen >= 0),
    cost_fen       INTEGER NOT NULL CHECK (cost_fen >= 0),
    weight_g       INTEGER NOT NULL CHECK (weight_g >= 0),
    barcode        TEXT    CHECK (barcode IS NULL OR (length(barcode) BETWEEN 8 AND 14 AND barcode NOT GLOB '*[^0-9]*')),
    created_at     INTEGER NOT NULL,
    UNIQUE (product_id, spec_key),
    UNIQUE (shop_id, barcode)
) STRICT;

CREATE INDEX skus_by_product ON skus (product_id, position);

-- Products from before SKUs existed get one SKU without specs at their price.
INSERT INTO skus (product_id, shop_id, position, specs, spec_key, list_price_fen, price_fen, cost_fen, weight_g, created_at)
SELECT id, shop_id, 0, '[]', '', list_price_fen, price_fen, 0, 0, created_at FROM products;

CREATE TABLE stock_balances (
    sku_id  INTEGER PRIMARY KEY REFERENCES skus (id),
    balance INTEGER NOT NULL CHECK (balance >= 0)
) STRICT;

INSERT INTO stock_balances (sku_id, balance) SELECT id, 0 FROM skus;

CREATE TABLE stock_ledger (
    id             INTEGER PRIMARY KEY,
    sku_id         INTEGER NOT NULL REFERENCES skus (id),
    delta          INTEGER NOT NULL CHECK (delta <> 0),
    reason         TEXT    NOT NULL CHECK (reason IN
                       ('purchase', 'sale', 'reservation', 'release', 'count_adjustment', 'manual')),
    -- NULL: zhibo itself (the demo seed, a timer).
    actor_user_id  INTEGER REFERENCES users (id),
    note           TEXT    NOT NULL,
    -- The SKU's stock right after this entry.
    balance_after  INTEGER NOT NULL CHECK (balance_after >= 0),
    time_ms        INTEGER NOT NULL,
    -- The domain's direction rules, once more where no code can skip them.
    CHECK (reason NOT IN ('purchase', 'release') OR delta > 0),
    CHECK (reason NOT IN ('sale', 'reservation') OR delta < 0)
) STRICT;

CREATE INDEX stock_ledger_by_sku ON stock_ledger (sku_id, id);

CREATE TRIGGER stock_ledger_is_append_only_update BEFORE UPDATE ON stock_ledger
BEGIN
    SELECT RAISE(ABORT, 'the stock ledger is append-only');
END;

CREATE TRIGGER stock_ledger_is_append_only_delete BEFORE DELETE ON stock_ledger
BEGIN
    SELECT RAISE(ABORT, 'the stock ledger is append-only');
END;

-- AUTOINCREMENT: an image URL is cached as immutable, so a deleted image's
-- id must never name another image.
CREATE TABLE product_images (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER NOT NULL REFERENCES products (id),
    -- Checked from the bytes, never from a file name.
    mime         TEXT    NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'image/webp')),
    width        INTEGER NOT NULL CHECK (width > 0),
    height       INTEGER NOT NULL CHECK (height > 0),
    byte_size    INTEGER NOT NULL CHECK (byte_size > 0),
    -- SHA-256 of the original, hex: the ETag of both renditions.
    sha256       TEXT    NOT NULL,
    original     BLOB    NOT NULL,
    thumb_mime   TEXT    NOT NULL CHECK (thumb_mime IN ('image/jpeg', 'image/png')),
    thumb_width  INTEGER NOT NULL CHECK (thumb_width > 0),
    thumb_height INTEGER NOT NULL CHECK (thumb_height > 0),
    thumbnail    BLOB    NOT NULL,
    sort_order   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX product_images_by_product ON product_images (product_id, sort_order);
