-- How many times an item's spoken text has changed (issue 17): the most-missed
-- words are moved on by the attempts added since their last count, and counted
-- again from scratch only when this moves (or attempts were removed), not on
-- every item update (services::word_stats).
ALTER TABLE item_totals ADD COLUMN text_changes BIGINT NOT NULL DEFAULT 0;
