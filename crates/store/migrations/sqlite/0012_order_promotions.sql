-- What a checkout order took from promotion budgets, and its gift lines.
--
-- order_promotion_spend: each promotion or coupon (both are rows of
-- promotions) the order used and what it cost the shop: the discount it
-- gave, or for a gift what the gift SKU costs. promotions.spent_fen grows
-- by these amounts in the same transaction as the order, and shrinks by
-- them again when the order is cancelled (by the buyer, the shop or the
-- unpaid timeout). Cancelling is final, so an order gives its spend back
-- at most once.
--
-- order_lines.gift_promotion_id: set on a gift line (赠品, price 0), naming
-- the promotion that granted it; NULL on a bought line. Gift lines reserve
-- and release stock like any other line.

CREATE TABLE order_promotion_spend (
    order_id     INTEGER NOT NULL REFERENCES orders (id),
    promotion_id INTEGER NOT NULL REFERENCES promotions (id),
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (order_id, promotion_id)
) STRICT;

ALTER TABLE order_lines ADD COLUMN gift_promotion_id INTEGER REFERENCES promotions (id);
