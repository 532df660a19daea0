-- Run-sheet automation (流程单自动化): actions a show's plan attaches to
-- its run sheet, carried out by the live room (zhibo_domain::automation).
--
-- One row per action, in the plan's order. Ids stay the same when the plan
-- is saved again (rows are updated in place, added or removed), because the
-- room's log names the action a `automation.fired` event carried out.
-- Times are INTEGER milliseconds: `every_ms` an interval, `at_ms` a time of
-- day on the shop's clock (milliseconds after its midnight, UTC+08:00).

CREATE TABLE show_actions (
    id             INTEGER PRIMARY KEY,
    show_id        INTEGER NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL CHECK (position >= 0),
    kind           TEXT    NOT NULL CHECK (kind IN ('push_card', 'lottery', 'reminder')),
    -- push_card: the card to push
    product_id     INTEGER REFERENCES products (id),
    -- push_card: the segment (from 0) whose start fires it;
    -- lottery: the segment counted from (NULL: the show's start)
    segment        INTEGER CHECK (segment IS NULL OR segment >= 0),
    -- lottery
    every_ms       INTEGER CHECK (every_ms IS NULL OR every_ms > 0),
    times          INTEGER CHECK (times IS NULL OR times > 0),
    prize          TEXT,
    winners        INTEGER CHECK (winners IS NULL OR winners > 0),
    keyword        TEXT,
    duration_secs  INTEGER CHECK (duration_secs IS NULL OR duration_secs > 0),
    -- reminder
    at_ms          INTEGER CHECK (at_ms IS NULL OR (at_ms >= 0 AND at_ms < 86400000)),
    text           TEXT,
    coupon_id      INTEGER REFERENCES promotions (id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK (kind <> 'push_card' OR (product_id IS NOT NULL AND segment IS NOT NULL)),
    CHECK (kind <> 'lottery' OR (every_ms IS NOT NULL AND prize IS NOT NULL AND winners IS NOT NULL
                                 AND duration_secs IS NOT NULL)),
    CHECK (kind <> 'reminder' OR (at_ms IS NOT NULL AND text IS NOT NULL))
) STRICT;

CREATE INDEX show_actions_by_show ON show_actions (show_id, position);
