-- PostgreSQL twin of migrations/sqlite/0001_initial.sql: the same tables,
-- columns and indexes, in PostgreSQL types. Timestamps stay text
-- `YYYY-MM-DD HH:MM:SS.ffffff` so both backends store and compare them alike;
-- COLLATE "C" keeps text order byte order, as in SQLite.

CREATE TABLE tts_tasks (
    id               BIGSERIAL PRIMARY KEY,
    task_id          TEXT    COLLATE "C" NOT NULL UNIQUE,
    original_text    TEXT    NOT NULL,
    text_hash        TEXT    COLLATE "C" NOT NULL,
    status           TEXT    COLLATE "C" NOT NULL,
    output_file_path TEXT,
    custom_filename  TEXT,
    language         TEXT    NOT NULL DEFAULT 'fi',
    created_at       TEXT    COLLATE "C" NOT NULL,
    submitted_at     TEXT    COLLATE "C",
    started_at       TEXT    COLLATE "C",
    completed_at     TEXT    COLLATE "C",
    failed_at        TEXT    COLLATE "C",
    error_message    TEXT,
    file_size        BIGINT,
    sampling_rate    BIGINT,
    device           TEXT    COLLATE "C",
    metadata         TEXT
);
CREATE INDEX tts_tasks_text_hash ON tts_tasks (text_hash, status);
CREATE INDEX tts_tasks_status ON tts_tasks (status);

CREATE TABLE items (
    id          BIGSERIAL PRIMARY KEY,
    locale      TEXT    COLLATE "C" NOT NULL,
    text        TEXT    NOT NULL,
    difficulty  BIGINT,
    tags_json   TEXT    NOT NULL DEFAULT '[]',
    tts_status  TEXT    COLLATE "C" NOT NULL DEFAULT 'pending',
    task_id     TEXT    COLLATE "C" REFERENCES tts_tasks (task_id) ON DELETE SET NULL,
    created_at  TEXT    COLLATE "C" NOT NULL,
    updated_at  TEXT    COLLATE "C" NOT NULL
);
CREATE INDEX items_created_at ON items (created_at);
CREATE INDEX items_locale ON items (locale);
CREATE INDEX items_task_id ON items (task_id);

CREATE TABLE attempts (
    id            BIGSERIAL PRIMARY KEY,
    item_id       BIGINT  NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    text          TEXT    NOT NULL,
    percentage    BIGINT  NOT NULL,
    wer           DOUBLE PRECISION NOT NULL,
    words_ref     BIGINT  NOT NULL,
    words_correct BIGINT  NOT NULL,
    created_at    TEXT    COLLATE "C" NOT NULL
);
CREATE INDEX attempts_item_created ON attempts (item_id, created_at);
CREATE INDEX attempts_created_at ON attempts (created_at);

CREATE TABLE tags (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
