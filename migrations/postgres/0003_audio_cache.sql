-- Twin of migrations/sqlite/0003_audio_cache.sql.
CREATE TABLE audio_cache (
    cache_key      TEXT    COLLATE "C" PRIMARY KEY,
    path           TEXT    NOT NULL,
    format         TEXT    NOT NULL,
    sample_rate    BIGINT  NOT NULL,
    size_bytes     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    last_access_at BIGINT  NOT NULL,
    hits           BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX audio_cache_last_access ON audio_cache (last_access_at);
