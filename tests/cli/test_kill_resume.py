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


def test_sigkill_of_a_user_task_file_collect_keeps_finished_episodes(
    home: Path, tmp_path: Path
) -> None:
    """No tool of this file ever waits: episodes must still reach the store as they finish."""
    tasks = [t for t in load_suite("core").tasks if t.id.startswith("units-")][:2]
    path = tmp_path / "my_tasks.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    trials = 1500  # ~3x2x1500 episodes: far longer than it takes to see the first ones stored
    env = dict(os.environ, LIGHTCLAW_HOME=str(home))
    cmd = [sys.executable, "-m", "lightclaw.cli.main", "collect", "--suite", str(path)]
    cmd += ["--policy", "scripted:sloppy", "--policy", "scripted:stubborn"]
    proc = subprocess.Popen(
        [*cmd, "--trials", str(trials)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    db = home / "lightclaw.db"
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and stored == 0 and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            with Store(db) as store:
                stored = store.count_episodes()
    os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err
    planned = 2 * len(tasks) * trials
    with Store(db) as store:
        (run,) = store.list_runs()
        before = {e.id: e for e in store.iter_episodes(run.id)}
    assert 0 < len(before) < planned
    assert run.status == "incomplete"

    assert main(["collect", "--resume", run.id]) == 0
    with Store(db) as store:
        after = {e.id: e for e in store.iter_episodes(run.id)}
        assert store.get_run(run.id).status == "complete"
        keys = {(e.task_id, e.policy, e.trial) for e in after.values()}
    assert len(after) == planned == len(keys)
    for eid, ep in before.items():  # what was stored before the kill is untouched
        assert after[eid] == ep


def test_two_concurrent_resumes_of_one_run_both_finish_without_duplicates(
    home: Path, tmp_path: Path
) -> None:
    tasks = [t for t in load_suite("core").tasks if t.id.startswith("units-")][:2]
    path = tmp_path / "my_tasks.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    with Store(home / "lightclaw.db") as store:
        from lightclaw.rollouts.collect import start_run

        run = start_run(store, str(path), ["scripted:sloppy", "scripted:stubborn"], trials=600)
    env = dict(os.environ, LIGHTCLAW_HOME=str(home))
    cmd = [sys.executable, "-m", "lightclaw.cli.main", "collect", "--resume", run.id]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with Store(home / "lightclaw.db") as store:
        episodes = list(store.iter_episodes(run.id))
        assert store.get_run(run.id).status == "complete"
    keys = {(e.task_id, e.policy, e.trial, e.attempt) for e in episodes}
    assert len(episodes) == len(keys) == 2 * len(tasks) * 600
