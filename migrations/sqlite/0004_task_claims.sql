-- Several instances may share one database (PostgreSQL): a worker claims a
-- task before synthesising it and holds a lease it keeps renewing. A task
-- whose lease ran out (its instance died) may be claimed by another worker.
-- `claims` counts how often a task was claimed (1 in a healthy run).
ALTER TABLE tts_tasks ADD COLUMN claimed_by TEXT;
ALTER TABLE tts_tasks ADD COLUMN lease_until INTEGER;
ALTER TABLE tts_tasks ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tts_tasks_claimable ON tts_tasks (status, lease_until);
