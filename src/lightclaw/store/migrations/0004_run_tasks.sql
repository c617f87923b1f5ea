-- 0004: each run keeps a snapshot of the task definitions it was collected on (and, for suites whose
-- tools come with the task file, such as BFCL, the tool docs each task offered). Replay, resume,
-- eval and export read this snapshot, so they never depend on the working directory or on later
-- edits of the task file.
CREATE TABLE run_tasks (
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    record TEXT NOT NULL,
    tool_docs TEXT,
    PRIMARY KEY (run_id, task_id)
) WITHOUT ROWID;
