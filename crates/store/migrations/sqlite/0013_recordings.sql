-- Recordings (录制) and clips (高光剪辑). A show has at most one recording:
-- one FLV file in the recordings folder, remuxed from what the publisher
-- sent. Each publication (a start, or a return after a drop) is a segment
-- appended to the same file; the file's timeline leaves out the time the
-- stream was away, so a segment says where it begins in the file
-- (media_start_ms) and when it began on the clock (started_at): together
-- they map a moment of the room's log to a moment of the recording.

CREATE TABLE recordings (
    id          INTEGER PRIMARY KEY,
    show_id     INTEGER NOT NULL UNIQUE REFERENCES shows (id),
    -- the file's name inside the recordings folder
    file        TEXT    NOT NULL CHECK (length(file) BETWEEN 1 AND 200),
    started_at  INTEGER NOT NULL,
    -- NULL while a segment is being written
    ended_at    INTEGER,
    duration_ms INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    bytes       INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    -- times the writer fell behind and left tags out (a slow disk): the
    -- sum over the segments
    gaps        INTEGER NOT NULL DEFAULT 0 CHECK (gaps >= 0)
) STRICT;

CREATE TABLE recording_segments (
    recording_id   INTEGER NOT NULL REFERENCES recordings (id),
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    media_start_ms INTEGER NOT NULL CHECK (media_start_ms >= 0),
    duration_ms    INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    gaps           INTEGER NOT NULL DEFAULT 0 CHECK (gaps >= 0),
    PRIMARY KEY (recording_id, seq)
) STRICT;

CREATE TABLE recording_clips (
    id            INTEGER PRIMARY KEY,
    show_id       INTEGER NOT NULL REFERENCES shows (id),
    title         TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    start_ms      INTEGER NOT NULL CHECK (start_ms >= 0),
    end_ms        INTEGER NOT NULL CHECK (end_ms > start_ms),
    -- the highlight.marked event (its seq in the room's log) it was cut around
    highlight_seq INTEGER,
    created_by    INTEGER REFERENCES users (id),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX recording_clips_show ON recording_clips (show_id, id);
