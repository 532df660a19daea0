-- Comment moderation, per shop: the sensitive-word list (敏感词) the live
-- rooms filter comments with, and what a hit does.
--
-- A shop without a moderation_settings row blocks (the default) and has
-- an empty list. The list is replaced as a whole when the shop saves it;
-- position keeps the order the shop typed. Words are stored as typed: the
-- live engine normalises them (full width, case, look-alikes) itself.

CREATE TABLE moderation_settings (
    shop_id    INTEGER PRIMARY KEY REFERENCES shops (id),
    mode       TEXT    NOT NULL CHECK (mode IN ('block', 'hold')),
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sensitive_words (
    shop_id  INTEGER NOT NULL REFERENCES shops (id),
    position INTEGER NOT NULL CHECK (position >= 0),
    word     TEXT    NOT NULL CHECK (length(trim(word)) > 0),
    PRIMARY KEY (shop_id, position)
) STRICT;
