"""Subprocess for the readers-never-blocked test: holds an uncommitted write transaction.

Usage: python lock_holder.py DB_PATH. Begins an IMMEDIATE transaction, inserts a run and an
episode row, prints "locked", then waits for stdin to close and exits without committing.
"""

from __future__ import annotations

import sqlite3
import sys

conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute(
    "INSERT INTO runs (id, created, source, suite, policy, status, code_version, version, record)"
    " VALUES ('uncommitted', '2030-01-01T00:00:00+00:00', 'live', 's', 'p', 'running', 'x', 1,"
    " '{}')"
)
conn.execute(
    "INSERT INTO episodes (id, run_id, task_id, suite, policy, trial, seed, outcome, n_steps,"
    " n_tool_steps, n_errors, duration_ns, started_at, version, record) VALUES"
    " ('uncommitted-ep', 'uncommitted', 't', 's', 'p', 0, 0, 'final_answer', 0, 0, 0, 0,"
    " '2030-01-01', 1, '{}')"
)
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
