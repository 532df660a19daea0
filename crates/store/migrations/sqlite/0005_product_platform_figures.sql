-- The platform's figures for a product (平台数据): its return rate (退货率)
-- and review score (商品评分) as the platform's shop backend (抖店,
-- 视频号小店, 快手小店) shows them, copied or imported by the team, so
-- selection can score on them. zhibo does not compute them.
--
-- Integers, as everywhere: the return rate in per-mille (12.5% is 125) and
-- the review score in tenths of a star (4.8 is 48). NULL: not entered,
-- which selection counts as middling. Existing products start with NULL.

ALTER TABLE products ADD COLUMN return_rate_permille INTEGER
    CHECK (return_rate_permille IS NULL OR return_rate_permille BETWEEN 0 AND 1000);
ALTER TABLE products ADD COLUMN review_tenths INTEGER
    CHECK (review_tenths IS NULL OR review_tenths BETWEEN 0 AND 50);
