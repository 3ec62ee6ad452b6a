-- Statistics without scanning every attempt (issue 22). Attempts are only
-- ever added, or removed together with their item, so these aggregates are
-- kept in the same transaction as each write: per item (dropped with the
-- item by the foreign key), per local calendar day (the first ten
-- characters of created_at, as GET /v1/stats/progress groups them) and for
-- all attempts. The service checks at start that they still match the
-- attempts table and rebuilds them when not (rows written by other tools).
CREATE TABLE item_attempt_stats (
    item_id          BIGINT PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    attempts         BIGINT NOT NULL,
    percentage_sum   BIGINT NOT NULL,
    best_percentage  BIGINT NOT NULL,
    worst_percentage BIGINT NOT NULL,
    wer_sum          DOUBLE PRECISION NOT NULL,
    best_wer         DOUBLE PRECISION NOT NULL,
    worst_wer        DOUBLE PRECISION NOT NULL,
    first_attempt_at TEXT COLLATE "C" NOT NULL,
    last_attempt_at  TEXT COLLATE "C" NOT NULL
);
-- The practice log's order, and the summary's best and worst by index.
CREATE INDEX item_attempt_stats_last ON item_attempt_stats (last_attempt_at, item_id);
CREATE INDEX item_attempt_stats_best ON item_attempt_stats (best_percentage);
CREATE INDEX item_attempt_stats_worst ON item_attempt_stats (worst_percentage);

CREATE TABLE daily_attempt_stats (
    day                   TEXT COLLATE "C" PRIMARY KEY,
    attempts              BIGINT NOT NULL,
    percentage_sum        BIGINT NOT NULL,
    percentage_spoken_sum BIGINT NOT NULL,
    wer_sum               DOUBLE PRECISION NOT NULL
);

CREATE TABLE attempt_totals (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    attempts       BIGINT NOT NULL,
    items          BIGINT NOT NULL,
    percentage_sum BIGINT NOT NULL
);
INSERT INTO attempt_totals (id, attempts, items, percentage_sum) VALUES (1, 0, 0, 0);

-- Built for the attempts already stored.
INSERT INTO item_attempt_stats (item_id, attempts, percentage_sum, best_percentage,
    worst_percentage, wer_sum, best_wer, worst_wer, first_attempt_at, last_attempt_at)
SELECT item_id, COUNT(*), SUM(percentage), MAX(percentage), MIN(percentage), SUM(wer),
    MIN(wer), MAX(wer), MIN(created_at), MAX(created_at)
FROM attempts GROUP BY item_id;
INSERT INTO daily_attempt_stats (day, attempts, percentage_sum, percentage_spoken_sum, wer_sum)
SELECT substr(created_at, 1, 10), COUNT(*), SUM(percentage),
    SUM(COALESCE(percentage_spoken, percentage)), SUM(wer)
FROM attempts GROUP BY substr(created_at, 1, 10);
UPDATE attempt_totals SET attempts = (SELECT COUNT(*) FROM attempts),
    items = (SELECT COUNT(*) FROM item_attempt_stats),
    percentage_sum = (SELECT COALESCE(SUM(percentage), 0) FROM attempts)
WHERE id = 1;
