-- Which reference words each attempt got (JSON, see domain::word_outcomes),
-- written when the attempt is scored, so the most-missed words are counted
-- without aligning 2,000 attempts again on every call (issue 22). Older
-- attempts get theirs from a background pass after start.
ALTER TABLE attempts ADD COLUMN word_outcomes TEXT;
-- The background pass finds attempts still without outcomes through this
-- (empty once it is done), instead of reading every attempt on each start.
CREATE INDEX attempts_without_word_outcomes ON attempts (id) WHERE word_outcomes IS NULL;
