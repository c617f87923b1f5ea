PRAGMA application_id = 1279487095;
PRAGMA user_version = 5;
PRAGMA page_size = 16384;
PRAGMA journal_mode = wal;
CREATE TABLE calls (
    episode_id TEXT NOT NULL,
    step_idx INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    tool TEXT NOT NULL,
    status TEXT NOT NULL,
    error_type TEXT,
    latency_ns INTEGER NOT NULL
);
CREATE TABLE episodes (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    suite TEXT NOT NULL,
    policy TEXT NOT NULL,
    trial INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    stop_reason TEXT,
    success INTEGER,
    reward REAL,
    n_steps INTEGER NOT NULL,
    n_tool_steps INTEGER NOT NULL,
    n_errors INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    record TEXT NOT NULL
, attempt INTEGER NOT NULL DEFAULT 1);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE run_tasks (
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    record TEXT NOT NULL,
    tool_docs TEXT,
    PRIMARY KEY (run_id, task_id)
) WITHOUT ROWID;
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    source TEXT NOT NULL,
    suite TEXT NOT NULL,
    policy TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL,
    code_version TEXT NOT NULL,
    version INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE steps (
    episode_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    error_type TEXT,
    n_calls INTEGER NOT NULL,
    correction_of INTEGER,
    latency_ns INTEGER NOT NULL
, judged_correct INTEGER, over_correction INTEGER, correction_ok INTEGER, correction_attempted INTEGER);
CREATE TABLE tool_schemas (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    idx INTEGER NOT NULL,
    hash TEXT NOT NULL,
    json_schema TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE UNIQUE INDEX episodes_key ON episodes (run_id, task_id, policy, trial, attempt);
CREATE INDEX episodes_run ON episodes (run_id);
CREATE INDEX runs_created ON runs (created);
