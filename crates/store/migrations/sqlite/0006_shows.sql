-- Shows (直播场次), their lineups (货盘) and run sheets (流程单).
--
-- A show IS a live room: shows.id is the room_id of its events in
-- room_events. The state columns hold the domain's Lifecycle (planned →
-- live → ended); the CHECKs make a live show without a start or an ended
-- one without an end unrepresentable here too. Money is fen, times ms.

CREATE TABLE shows (
    id                   INTEGER PRIMARY KEY,
    shop_id              INTEGER NOT NULL REFERENCES shops (id),
    title                TEXT    NOT NULL,
    intro                TEXT    NOT NULL,
    scheduled_start      INTEGER NOT NULL,
    streamer_id          INTEGER REFERENCES users (id),
    assistant_id         INTEGER REFERENCES users (id),
    promotion_budget_fen INTEGER CHECK (promotion_budget_fen IS NULL OR promotion_budget_fen >= 0),
    state                TEXT    NOT NULL CHECK (state IN ('planned', 'live', 'ended')),
    started_at           INTEGER,
    ended_at             INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    CHECK ((state = 'planned') = (started_at IS NULL)),
    CHECK ((state = 'ended') = (ended_at IS NOT NULL)),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
) STRICT;

CREATE INDEX shows_by_shop ON shows (shop_id, scheduled_start);

-- The lineup in show order. Replaced as a whole when the plan is saved.
CREATE TABLE lineup_items (
    show_id             INTEGER NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
    position            INTEGER NOT NULL CHECK (position >= 0),
    product_id          INTEGER NOT NULL REFERENCES products (id),
    role                TEXT    NOT NULL CHECK (role IN ('traffic', 'profit', 'image', 'giveaway')),
    live_price_fen      INTEGER CHECK (live_price_fen IS NULL OR live_price_fen > 0),
    push_offset_minutes INTEGER CHECK (push_offset_minutes IS NULL OR push_offset_minutes >= 0),
    talking_points      TEXT    NOT NULL,
    PRIMARY KEY (show_id, position),
    UNIQUE (show_id, product_id)
) STRICT;

-- The run sheet in order; replaced as a whole with the lineup.
CREATE TABLE run_sheet_segments (
    show_id              INTEGER NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
    position             INTEGER NOT NULL CHECK (position >= 0),
    kind                 TEXT    NOT NULL CHECK (kind IN ('opening', 'product', 'interaction', 'lottery', 'closing')),
    title                TEXT    NOT NULL,
    start_offset_minutes INTEGER NOT NULL CHECK (start_offset_minutes >= 0),
    minutes              INTEGER NOT NULL CHECK (minutes > 0),
    PRIMARY KEY (show_id, position)
) STRICT;
