-- Promotions and coupon claims.
--
-- A promotion's rule (tiers, percentages, scope…) is the domain's
-- `zhibo_domain::promotion` value stored as JSON in `rule`: the store never
-- interprets it. What the store must enforce atomically has columns of its
-- own: the validity window, the budget and what has been spent of it, and a
-- coupon's total quantity and per-buyer limit with the running claim count.

CREATE TABLE promotions (
    id               INTEGER PRIMARY KEY,
    shop_id          INTEGER NOT NULL REFERENCES shops (id),
    -- The show a live price or flash price belongs to; NULL: shop-wide.
    show_id          INTEGER,
    kind             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER NOT NULL,
    budget_fen       INTEGER CHECK (budget_fen IS NULL OR budget_fen >= 0),
    spent_fen        INTEGER NOT NULL DEFAULT 0 CHECK (spent_fen >= 0),
    rule             TEXT    NOT NULL,
    active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- Coupons only: how many may be claimed in all, and by one buyer.
    coupon_total     INTEGER CHECK (coupon_total IS NULL OR coupon_total > 0),
    coupon_per_buyer INTEGER CHECK (coupon_per_buyer IS NULL OR coupon_per_buyer > 0),
    coupon_claimed   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (budget_fen IS NULL OR spent_fen <= budget_fen),
    CHECK (coupon_total IS NULL OR coupon_claimed <= coupon_total)
) STRICT;

CREATE INDEX promotions_by_shop ON promotions (shop_id, ends_at);

CREATE TABLE coupon_claims (
    id          INTEGER PRIMARY KEY,
    coupon_id   INTEGER NOT NULL REFERENCES promotions (id),
    buyer_id    INTEGER NOT NULL REFERENCES users (id),
    claimed_at  INTEGER NOT NULL,
    used_at     INTEGER,
    -- What the coupon was used on (an order number), set with used_at.
    used_for    TEXT
) STRICT;

CREATE INDEX coupon_claims_by_coupon_buyer ON coupon_claims (coupon_id, buyer_id);
CREATE INDEX coupon_claims_by_buyer ON coupon_claims (buyer_id, used_at);
