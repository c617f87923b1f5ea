-- 0003: two-attempt (SCoRe) protocol: an episode is attempt 1 or 2 of its (task, policy, trial).
ALTER TABLE episodes ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
DROP INDEX episodes_key;
CREATE UNIQUE INDEX episodes_key ON episodes (run_id, task_id, policy, trial, attempt);
