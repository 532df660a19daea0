-- Flash sales (秒杀) opened from a show's live console.
--
-- Opening a sale takes its whole quantity out of the SKU's sellable stock
-- (one 'reservation' ledger entry, in the same transaction as this row);
-- the room then sells from that quantity in memory and each win becomes an
-- order with source 'flash_sale' and this sale's id (orders.flash_sale_id).
-- Closing counts those orders (sold), gives the rest back (one 'release'
-- entry) and records both, so sold + returned = quantity for every ended
-- sale, and for an open one sold (its orders) + remaining = quantity.

CREATE TABLE flash_sales (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    show_id     INTEGER NOT NULL REFERENCES shows (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    sku_id      INTEGER NOT NULL REFERENCES skus (id),
    price_fen   INTEGER NOT NULL CHECK (price_fen > 0),
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    per_buyer   INTEGER NOT NULL CHECK (per_buyer >= 1 AND per_buyer <= quantity),
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER CHECK (ends_at IS NULL OR ends_at > starts_at),
    state       TEXT    NOT NULL CHECK (state IN ('open', 'ended')),
    -- NULL: zhibo itself.
    opened_by   INTEGER REFERENCES users (id),
    opened_at   INTEGER NOT NULL,
    ended_at    INTEGER,
    sold        INTEGER,
    returned    INTEGER,
    CHECK ((state = 'open') = (ended_at IS NULL AND sold IS NULL AND returned IS NULL)),
    CHECK (state = 'open' OR (sold >= 0 AND returned >= 0 AND sold + returned = quantity))
) STRICT;

CREATE INDEX flash_sales_open_by_show ON flash_sales (show_id) WHERE state = 'open';
CREATE INDEX orders_by_flash_sale ON orders (flash_sale_id) WHERE flash_sale_id IS NOT NULL;

-- An ended sale's figures are final.
CREATE TRIGGER flash_sales_ended_is_final BEFORE UPDATE ON flash_sales
WHEN OLD.state = 'ended'
BEGIN
    SELECT RAISE(ABORT, 'an ended flash sale is final');
END;
