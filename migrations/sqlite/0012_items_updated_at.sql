-- The newest item change, found by index (issue 22): the most-missed words
-- are kept per version of the data, and an item's spoken text changing is
-- one of the things that changes them (services::word_stats).
CREATE INDEX items_updated_at ON items (updated_at);
