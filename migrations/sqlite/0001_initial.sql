-- Schema of the dictation backend. Timestamps are local wall-clock text
-- `YYYY-MM-DD HH:MM:SS.ffffff` (fixed width, so text order is time order),
-- as the original service stored them.

CREATE TABLE tts_tasks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id          TEXT    NOT NULL UNIQUE,
    original_text    TEXT    NOT NULL,
    text_hash        TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    output_file_path TEXT,
    custom_filename  TEXT,
    language         TEXT    NOT NULL DEFAULT 'fi',
    created_at       TEXT    NOT NULL,
    submitted_at     TEXT,
    started_at       TEXT,
    completed_at     TEXT,
    failed_at        TEXT,
    error_message    TEXT,
    file_size        INTEGER,
    sampling_rate    INTEGER,
    device           TEXT,
    metadata         TEXT
);
CREATE INDEX tts_tasks_text_hash ON tts_tasks (text_hash, status);
CREATE INDEX tts_tasks_status ON tts_tasks (status);

CREATE TABLE items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    locale      TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    difficulty  INTEGER,
    tags_json   TEXT    NOT NULL DEFAULT '[]',
    tts_status  TEXT    NOT NULL DEFAULT 'pending',
    task_id     TEXT    REFERENCES tts_tasks (task_id) ON DELETE SET NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX items_created_at ON items (created_at);
CREATE INDEX items_locale ON items (locale);
CREATE INDEX items_task_id ON items (task_id);

CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id       INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    text          TEXT    NOT NULL,
    percentage    INTEGER NOT NULL,
    wer           REAL    NOT NULL,
    words_ref     INTEGER NOT NULL,
    words_correct INTEGER NOT NULL,
    created_at    TEXT    NOT NULL
);
CREATE INDEX attempts_item_created ON attempts (item_id, created_at);
CREATE INDEX attempts_created_at ON attempts (created_at);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
