-- Twin of migrations/sqlite/0004_task_claims.sql: claims and leases that let
-- several instances share the task table.
ALTER TABLE tts_tasks ADD COLUMN claimed_by TEXT;
ALTER TABLE tts_tasks ADD COLUMN lease_until BIGINT;
ALTER TABLE tts_tasks ADD COLUMN claims BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tts_tasks_claimable ON tts_tasks (status, lease_until);
