-- Index of the content-addressed speech cache (files under AUDIO_DIR/cache/).
-- Times are Unix seconds: eviction compares them with "now - max age" and
-- orders by them, which integers make cheap and unambiguous.
CREATE TABLE audio_cache (
    cache_key      TEXT    PRIMARY KEY,
    path           TEXT    NOT NULL,
    format         TEXT    NOT NULL,
    sample_rate    INTEGER NOT NULL,
    size_bytes     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    last_access_at INTEGER NOT NULL,
    hits           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audio_cache_last_access ON audio_cache (last_access_at);
