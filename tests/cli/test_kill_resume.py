"""A run killed with SIGKILL keeps its completed episodes; `collect --resume` finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lightclaw.cli.main import main
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite


def test_sigkill_then_resume(home: Path, tmp_path: Path) -> None:
    # tasks whose persona waits on a hanging tool: each episode takes a real deadline, so the
    # run is still going when we kill it
    task = next(t for t in load_suite("core").tasks if "fetch_live_rates" in t.tools)
    path = tmp_path / "slow.jsonl"
    path.write_text(task.model_dump_json() + "\n")
    trials = 25
    env = dict(os.environ, LIGHTCLAW_HOME=str(home))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lightclaw.cli.main",
            "collect",
            "--suite",
            str(path),
            "--policy",
            "scripted:slow",
            "--trials",
            str(trials),
            "--concurrency",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    db = home / "lightclaw.db"
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 3:
        time.sleep(0.1)
        if db.exists():
            with Store(db) as store:
                stored = store.count_episodes()
    os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert stored >= 3, err

    with Store(db) as store:
        (run,) = store.list_runs()
        before = {e.id: e for e in store.iter_episodes(run.id)}
        assert run.status == "incomplete"
        assert 3 <= len(before) < trials
        assert store.get_run(run.id).status == "incomplete"

    assert main(["collect", "--resume", run.id]) == 0
    with Store(db) as store:
        after = {e.id: e for e in store.iter_episodes(run.id)}
        assert store.get_run(run.id).status == "complete"
    assert len(after) == trials
    assert {e.trial for e in after.values()} == set(range(trials))
    for eid, ep in before.items():  # what was stored before the kill is untouched
        assert after[eid] == ep
