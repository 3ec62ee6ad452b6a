-- Item-bound translations (addendum §5, §10): one cached translation per
-- item and target language, invalidated by the MD5 of the item's text,
-- deleted with the item. `task_kind` tells a task made by creation
-- (`generate`) from one made by an audio refresh (`regenerate`, §4, §7).
CREATE TABLE translations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id           INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    target_lang       TEXT    NOT NULL,
    source_lang       TEXT    NOT NULL,
    text_hash         TEXT    NOT NULL,
    translated_text   TEXT,
    provider          TEXT    NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'pending',
    error             TEXT,
    metadata          TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    last_refreshed_at TEXT,
    UNIQUE (item_id, target_lang)
);

ALTER TABLE tts_tasks ADD COLUMN task_kind TEXT NOT NULL DEFAULT 'generate';
