-- PostgreSQL twin of migrations/sqlite/0006_translations.sql.
CREATE TABLE translations (
    id                BIGSERIAL PRIMARY KEY,
    item_id           BIGINT  NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    target_lang       TEXT    COLLATE "C" NOT NULL,
    source_lang       TEXT    COLLATE "C" NOT NULL,
    text_hash         TEXT    COLLATE "C" NOT NULL,
    translated_text   TEXT,
    provider          TEXT    COLLATE "C" NOT NULL,
    status            TEXT    COLLATE "C" NOT NULL DEFAULT 'pending',
    error             TEXT,
    metadata          TEXT,
    created_at        TEXT    COLLATE "C" NOT NULL,
    updated_at        TEXT    COLLATE "C" NOT NULL,
    last_refreshed_at TEXT    COLLATE "C",
    UNIQUE (item_id, target_lang)
);

ALTER TABLE tts_tasks ADD COLUMN task_kind TEXT COLLATE "C" NOT NULL DEFAULT 'generate';
