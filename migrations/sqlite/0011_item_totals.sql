-- How many items there are, kept with each insert and delete (issue 22):
-- the item list answers its total on every page, and PostgreSQL counts a
-- table by reading all of it (8 ms at 100,000 items). The service checks at
-- start that it matches the table and recounts when not.
CREATE TABLE item_totals (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    items INTEGER NOT NULL
);
INSERT INTO item_totals (id, items) SELECT 1, COUNT(*) FROM items;
