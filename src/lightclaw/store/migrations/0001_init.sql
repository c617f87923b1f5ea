-- 0001: the initial trajectory store. An episode's record is its Pydantic JSON, steps included;
-- the other columns (and the steps and calls tables) are copies of record fields kept for SQL
-- queries (metrics over millions of episodes).

PRAGMA application_id = 1279487095;  -- "LClw": marks the file as a LightClaw store

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

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
CREATE INDEX runs_created ON runs (created);

CREATE TABLE tool_schemas (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    idx INTEGER NOT NULL,
    hash TEXT NOT NULL,
    json_schema TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

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
);
CREATE INDEX episodes_run ON episodes (run_id);
CREATE UNIQUE INDEX episodes_key ON episodes (run_id, task_id, policy, trial);

CREATE TABLE steps (
    episode_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    error_type TEXT,
    n_calls INTEGER NOT NULL,
    correction_of INTEGER,
    latency_ns INTEGER NOT NULL
);  -- append-only rowid table: inserts stay cheap; metrics scan it, lookups use the episode record

CREATE TABLE calls (
    episode_id TEXT NOT NULL,
    step_idx INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    tool TEXT NOT NULL,
    status TEXT NOT NULL,
    error_type TEXT,
    latency_ns INTEGER NOT NULL
);
