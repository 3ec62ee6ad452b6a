-- A failed task now stores why it failed as a class (`unsupported_voice`,
-- `engine_timeout`, `disk_full`, ...), set by the pipeline from the typed
-- error, instead of the API guessing it from the words of `error_message`
-- on every read. Tasks that failed before this version get the class those
-- words gave under the old rule, so what items report does not change.
ALTER TABLE tts_tasks ADD COLUMN error_class TEXT;
UPDATE tts_tasks SET error_class = CASE
    WHEN LOWER(error_message) LIKE '%no space%' OR LOWER(error_message) LIKE '%disk full%'
        OR LOWER(error_message) LIKE '%quota%' THEN 'disk_full'
    WHEN LOWER(error_message) LIKE '%nothing the model can speak%' THEN 'unspeakable_text'
    WHEN LOWER(error_message) LIKE '%voice%' THEN 'unsupported_voice'
    WHEN LOWER(error_message) LIKE '%timed out%' OR LOWER(error_message) LIKE '%timeout%'
        THEN 'engine_timeout'
    WHEN LOWER(error_message) LIKE '%circuit%' OR LOWER(error_message) LIKE '%not initialized%'
        OR LOWER(error_message) LIKE '%unavailable%' THEN 'engine_unavailable'
    ELSE 'engine_failed'
END
WHERE status = 'failed' AND error_message IS NOT NULL;
