-- What a local engine speaks can differ from the written text ("8.30" is
-- spoken "kahdeksan kolmekymmentä"). Items may carry a teacher's override;
-- tasks record the text actually synthesised.
ALTER TABLE items ADD COLUMN spoken_text TEXT;
ALTER TABLE tts_tasks ADD COLUMN spoken_text TEXT;
-- The lenient score that accepts either the written or the spoken form.
ALTER TABLE attempts ADD COLUMN percentage_spoken INTEGER;
-- A voice chosen per item (e.g. a Piper voice name); NULL = the engine's default.
ALTER TABLE items ADD COLUMN voice TEXT;
ALTER TABLE tts_tasks ADD COLUMN voice TEXT;
