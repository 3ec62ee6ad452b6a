-- An item is now committed together with its TTS task (or as `failed`), so
-- a `pending` item without a task can only be left over from an older
-- version that linked the task in a second transaction and died in between.
-- Nothing would ever make such an item speak: mark it `failed`, so it shows
-- its state and `POST /v1/items/{id}/tts/retry` brings it back.
UPDATE items SET tts_status = 'failed' WHERE tts_status = 'pending' AND task_id IS NULL;
