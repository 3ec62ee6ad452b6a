-- Twin of migrations/sqlite/0002_spoken_text.sql.
ALTER TABLE items ADD COLUMN spoken_text TEXT;
ALTER TABLE tts_tasks ADD COLUMN spoken_text TEXT;
ALTER TABLE attempts ADD COLUMN percentage_spoken BIGINT;
ALTER TABLE items ADD COLUMN voice TEXT;
ALTER TABLE tts_tasks ADD COLUMN voice TEXT;
