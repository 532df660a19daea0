-- The room's cart nudges ask for the carts of one show (waiting_carts);
-- the primary key starts with the buyer, so that was a scan of every cart.
CREATE INDEX carts_by_show ON carts (show_id, buyer_id);
