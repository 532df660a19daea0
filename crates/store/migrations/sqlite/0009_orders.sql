-- Selling: buyers' carts, orders with their lines, every status change
-- with who made it, and payments.
--
-- An order holds stock from the moment it is placed: either it reserved
-- its units from the stock ledger itself, or a flash sale reserved them
-- before. stock_state says where those units are now, so they go back to
-- the ledger exactly once: 'held' (reserved, unpaid), 'sold' (paid, the
-- reservation turned into a sale), 'released' (given back), 'shipped'
-- (gone with the parcel).
--
-- UNIQUE (buyer_id, request_key): a replayed checkout or flash-sale win
-- finds its first order instead of making a second.

CREATE TABLE carts (
    buyer_id   INTEGER NOT NULL REFERENCES users (id),
    show_id    INTEGER NOT NULL REFERENCES shows (id),
    sku_id     INTEGER NOT NULL REFERENCES skus (id),
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99999),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (buyer_id, show_id, sku_id)
) STRICT;

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id          INTEGER NOT NULL REFERENCES shops (id),
    show_id          INTEGER REFERENCES shows (id),
    buyer_id         INTEGER NOT NULL REFERENCES users (id),
    status           TEXT    NOT NULL CHECK (status IN
                         ('pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'refunded')),
    stock_state      TEXT    NOT NULL CHECK (stock_state IN ('held', 'sold', 'released', 'shipped')),
    subtotal_fen     INTEGER NOT NULL CHECK (subtotal_fen >= 0),
    discount_fen     INTEGER NOT NULL CHECK (discount_fen >= 0),
    total_fen        INTEGER NOT NULL CHECK (total_fen >= 0),
    claim_id         INTEGER REFERENCES coupon_claims (id),
    address_name     TEXT    NOT NULL,
    address_phone    TEXT    NOT NULL,
    address_region   TEXT    NOT NULL,
    address_detail   TEXT    NOT NULL,
    source           TEXT    NOT NULL CHECK (source IN ('checkout', 'flash_sale')),
    flash_sale_id    INTEGER,
    request_key      TEXT    NOT NULL CHECK (length(request_key) BETWEEN 1 AND 128),
    tracking_number  TEXT,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    paid_at          INTEGER,
    shipped_at       INTEGER,
    delivered_at     INTEGER,
    closed_at        INTEGER,
    updated_at       INTEGER NOT NULL,
    UNIQUE (buyer_id, request_key),
    CHECK (subtotal_fen - discount_fen = total_fen),
    CHECK ((source = 'flash_sale') = (flash_sale_id IS NOT NULL))
) STRICT;

CREATE INDEX orders_by_shop ON orders (shop_id, created_at);
CREATE INDEX orders_by_show ON orders (show_id, created_at);
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at);
CREATE INDEX orders_unpaid ON orders (expires_at) WHERE status = 'pending_payment';

CREATE TABLE order_lines (
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    position        INTEGER NOT NULL,
    sku_id          INTEGER NOT NULL REFERENCES skus (id),
    -- What the buyer saw, kept as it was when the order was placed.
    product_id      INTEGER NOT NULL REFERENCES products (id),
    product_title   TEXT    NOT NULL,
    specs           TEXT    NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99999),
    unit_price_fen  INTEGER NOT NULL CHECK (unit_price_fen >= 0),
    PRIMARY KEY (order_id, position)
) STRICT;

CREATE INDEX order_lines_by_product ON order_lines (product_id);

CREATE TABLE order_transitions (
    id            INTEGER PRIMARY KEY,
    order_id      INTEGER NOT NULL REFERENCES orders (id),
    -- NULL for the first row: the order was placed.
    from_status   TEXT,
    to_status     TEXT    NOT NULL,
    -- buyer, staff or system
    actor_party   TEXT    NOT NULL CHECK (actor_party IN ('buyer', 'staff', 'system')),
    actor_user_id INTEGER REFERENCES users (id),
    note          TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL
) STRICT;

CREATE INDEX order_transitions_by_order ON order_transitions (order_id, id);

CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    provider    TEXT    NOT NULL,
    reference   TEXT    NOT NULL,
    amount_fen  INTEGER NOT NULL CHECK (amount_fen >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('succeeded', 'failed')),
    message     TEXT    NOT NULL,
    time_ms     INTEGER NOT NULL
) STRICT;

-- One successful payment per order, whatever races.
CREATE UNIQUE INDEX payments_one_success ON payments (order_id) WHERE status = 'succeeded';

-- The record of what happened is kept: transitions and payments are never edited.
CREATE TRIGGER order_transitions_no_update BEFORE UPDATE ON order_transitions
BEGIN SELECT RAISE(ABORT, 'order transitions are append-only'); END;
CREATE TRIGGER order_transitions_no_delete BEFORE DELETE ON order_transitions
BEGIN SELECT RAISE(ABORT, 'order transitions are append-only'); END;
CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'payments are append-only'); END;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'payments are append-only'); END;
