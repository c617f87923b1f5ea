"""A run killed with SIGKILL keeps its completed episodes; `collect --resume` finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lightclaw.cli.main import main
from lightclaw.rollouts.collect import start_run
from lightclaw.schema import Episode
from lightclaw.store import Store
from lightclaw.suites.loader import load_suite

CLI = [sys.executable, "-m", "lightclaw.cli.main", "collect"]


def kill_once_stored(home: Path, args: list[str], at_least: int) -> dict[str, Episode]:
    """Start ``lightclaw collect ARGS``, SIGKILL it once ``at_least`` episodes are stored, and
    return what the store then holds of its (only) run, which must be incomplete."""
    env = dict(os.environ, LIGHTCLAW_HOME=str(home))
    proc = subprocess.Popen(
        [*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    db = home / "lightclaw.db"
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and stored < at_least and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            with Store(db) as store:
                stored = store.count_episodes()
    os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err
    assert stored >= at_least, err
    with Store(db) as store:
        (run,) = store.list_runs()
        assert run.status == "incomplete"
        return {e.id: e for e in store.iter_episodes(run.id)}


def resume_keeps_and_completes(home: Path, before: dict[str, Episode], planned: int) -> None:
    """`collect --resume` finishes the plan, once per (task, policy, trial), and leaves what was
    stored before the kill untouched."""
    run_id = next(iter(before.values())).run_id
    assert main(["collect", "--resume", run_id]) == 0
    with Store(home / "lightclaw.db") as store:
        after = {e.id: e for e in store.iter_episodes(run_id)}
        assert store.get_run(run_id).status == "complete"
    keys = {(e.task_id, e.policy, e.trial) for e in after.values()}
    assert len(after) == planned == len(keys)
    for eid, ep in before.items():
        assert after[eid] == ep


def units_file(tmp_path: Path) -> tuple[Path, int]:
    """A user task file of two core tasks whose tools never wait, and its task count."""
    tasks = [t for t in load_suite("core").tasks if t.id.startswith("units-")][:2]
    path = tmp_path / "my_tasks.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks))
    return path, len(tasks)


def test_sigkill_then_resume(home: Path, tmp_path: Path) -> None:
    # a task whose persona waits on a hanging tool: each episode takes a real deadline, so the
    # run is still going when we kill it
    task = next(t for t in load_suite("core").tasks if "fetch_live_rates" in t.tools)
    path = tmp_path / "slow.jsonl"
    path.write_text(task.model_dump_json() + "\n")
    trials = 25
    args = ["--suite", str(path), "--policy", "scripted:slow", "--trials", str(trials)]
    before = kill_once_stored(home, [*args, "--concurrency", "1"], at_least=3)
    assert 3 <= len(before) < trials
    resume_keeps_and_completes(home, before, trials)


def test_sigkill_of_a_user_task_file_collect_keeps_finished_episodes(
    home: Path, tmp_path: Path
) -> None:
    """No tool of this file ever waits: episodes must still reach the store as they finish."""
    path, n_tasks = units_file(tmp_path)
    trials = 1500  # 2x2x1500 episodes: far longer than it takes to see the first ones stored
    args = ["--suite", str(path), "--policy", "scripted:sloppy", "--policy", "scripted:stubborn"]
    before = kill_once_stored(home, [*args, "--trials", str(trials)], at_least=1)
    planned = 2 * n_tasks * trials
    assert 0 < len(before) < planned
    resume_keeps_and_completes(home, before, planned)


def test_two_concurrent_resumes_of_one_run_both_finish_without_duplicates(
    home: Path, tmp_path: Path
) -> None:
    path, n_tasks = units_file(tmp_path)
    with Store(home / "lightclaw.db") as store:
        run = start_run(store, str(path), ["scripted:sloppy", "scripted:stubborn"], trials=600)
    env = dict(os.environ, LIGHTCLAW_HOME=str(home))
    procs = [
        subprocess.Popen(
            [*CLI, "--resume", run.id], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    with Store(home / "lightclaw.db") as store:
        episodes = list(store.iter_episodes(run.id))
        assert store.get_run(run.id).status == "complete"
    keys = {(e.task_id, e.policy, e.trial, e.attempt) for e in episodes}
    assert len(episodes) == len(keys) == 2 * n_tasks * 600
