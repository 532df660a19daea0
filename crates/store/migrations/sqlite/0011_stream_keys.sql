-- RTMP stream keys (推流码), per show. A key is shown once when it is made
-- and only its SHA-256 is kept, so a copy of the database publishes to no
-- show. Making a new key revokes the show's previous one; a revoked key
-- stays as a record of who could publish when.

CREATE TABLE stream_keys (
    key_hash   TEXT    PRIMARY KEY CHECK (length(key_hash) = 64),
    show_id    INTEGER NOT NULL REFERENCES shows (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

-- at most one usable key per show
CREATE UNIQUE INDEX stream_keys_one_active ON stream_keys (show_id) WHERE revoked_at IS NULL;
