-- zhibo's first SQLite schema: shops, accounts, sessions, the smallest
-- catalog, and the room event log with its per-minute rollups.
--
-- Money is INTEGER fen and times are INTEGER milliseconds since the Unix
-- epoch everywhere, so no value ever passes through floating point. Tables
-- are STRICT so a wrongly typed bind fails loudly instead of being stored as
-- text. Migrations are append-only: never edit this file once released, add
-- 0002_… instead (sqlx checks each applied file's checksum).

CREATE TABLE shops (
    id                           INTEGER PRIMARY KEY,
    name                         TEXT    NOT NULL,
    unpaid_order_timeout_minutes INTEGER NOT NULL CHECK (unpaid_order_timeout_minutes > 0),
    -- Not CHECKed: adding a language must not need a table rebuild.
    default_language             TEXT    NOT NULL,
    created_at                   INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    shop_id       INTEGER NOT NULL REFERENCES shops (id),
    -- Stored lower-cased by the domain's Username, so UNIQUE is case-blind.
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN
                      ('owner', 'operator', 'streamer', 'assistant', 'teacher', 'student', 'viewer')),
    -- An argon2 PHC string, never a password.
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX users_by_shop ON users (shop_id);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a copy of the database opens no session.
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- "Sign out everywhere else" and the expiry purge.
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    shop_id        INTEGER NOT NULL REFERENCES shops (id),
    title          TEXT    NOT NULL,
    selling_points TEXT    NOT NULL,
    list_price_fen INTEGER NOT NULL CHECK (list_price_fen >= 0),
    price_fen      INTEGER NOT NULL CHECK (price_fen >= 0),
    created_at     INTEGER NOT NULL,
    UNIQUE (shop_id, title)
) STRICT;

-- The only truth about a show. Append-only; seq is 1, 2, 3… per room with no
-- gaps. WITHOUT ROWID clusters rows by (room_id, seq), so reading a room from
-- a sequence number on is one range scan and an append writes one b-tree.
CREATE TABLE room_events (
    room_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    time_ms    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    amount_fen INTEGER,
    payload    TEXT    NOT NULL,  -- JSON
    PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;

-- Per-minute counts and money by kind, kept up to date in the same
-- transaction as the events they count, so reports cost O(minutes).
CREATE TABLE room_minute_rollups (
    room_id    INTEGER NOT NULL,
    minute_ms  INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    count      INTEGER NOT NULL CHECK (count >= 0),
    amount_fen INTEGER NOT NULL,
    PRIMARY KEY (room_id, minute_ms, kind)
) STRICT, WITHOUT ROWID;
