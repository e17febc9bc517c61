-- `stats` and `/metrics` ask for the last finished run of each maintenance task (`token_cleanup`,
-- `backup`): one index seek per task instead of a scan of every run ever recorded.
CREATE INDEX idx_maintenance_runs_task_finished ON maintenance_runs (task, finished_at);
