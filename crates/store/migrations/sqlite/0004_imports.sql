-- Spreadsheet imports waiting for their confirmation.
--
-- An import is previewed first and written only when confirmed. The file
-- that was previewed is kept here between the two steps, so the confirm
-- writes exactly what the person saw (not a file picked again, which may
-- differ) and the confirm is a plain form post. A row belongs to one person
-- of one shop, expires on the store's clock, and is deleted by the very
-- transaction that writes the import, so a double-clicked confirm cannot
-- import twice.

CREATE TABLE pending_imports (
    -- AUTOINCREMENT: a confirmed or expired import's id never names another file.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    -- As the browser sent it; shown on the preview, never used to decide the type.
    file_name   TEXT    NOT NULL,
    content     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX pending_imports_by_user ON pending_imports (user_id, id);
