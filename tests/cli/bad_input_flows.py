# ruff: noqa: E501  (the case tables keep one case per line)
"""Corpus cases that need more than one command or a special environment: read-only and full file
systems (E03, E04, F13, Z01: a tmpfs mount or an immutable flag, as root — skipped otherwise) and
runs that are killed or interrupted (K1–K10)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from bad_input_cases import ORACLE, TINY
from bad_input_corpus import (
    GOOD,
    Case,
    Flow,
    Outcome,
    Place,
    cli_command,
    cli_env,
    outcomes,
    recorded,
    run_cli,
)

# -- special file systems ---------------------------------------------------------------------


def _root_or_skip(what: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"needs root to {what} (CI runs as root)")


def mount_tmpfs(path: Path, size: str = "16m") -> None:
    """Mount a small tmpfs on ``path`` (skip the case where mounting is not possible)."""
    _root_or_skip("mount a tmpfs")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def unmount(path: Path) -> None:
    if path.is_mount():
        subprocess.run(["umount", str(path)], check=True)


def read_only_mount(path: Path, fill: Callable[[Path], None] = lambda path: None) -> None:
    """A tmpfs on ``path``, filled by ``fill``, then remounted read-only."""
    mount_tmpfs(path)
    fill(path)
    remount(path, "ro")


def immutable(path: Path) -> None:
    _root_or_skip("make a directory immutable")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {done.stderr.strip()}")


def mutable(path: Path) -> None:
    if path.exists():
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def ro_store(place: Place) -> None:
    """HOME is a read-only mount holding a copy of the session's store."""

    def fill(home: Path) -> None:
        shutil.copy(place.shared.db, home / "lightclaw.db")

    read_only_mount(place.home, fill)


def ro_work(place: Place) -> None:
    read_only_mount(place.work / "ro")


def immutable_home(place: Place) -> None:
    immutable(place.home)


def kept_empty(name: str) -> Callable[[Place, Outcome], None]:
    def after(place: Place, out: Outcome) -> None:
        assert list((place.work / name).iterdir()) == [], f"{name} is not empty"

    return after


FILE_SYSTEMS = [
    Case("E03a", ("runs", "list"), 1, "not writable", store="none", prepare=immutable_home, cleanup=lambda p: mutable(p.home)),
    Case("E03b", ("runs", "list"), 1, "read-only", store="none", prepare=ro_work, cleanup=lambda p: unmount(p.work / "ro"), env={"LIGHTCLAW_HOME": "@WORK@/ro/home"}),
    Case("E03c", ("runs", "list"), 1, "read-only", store="none", prepare=ro_work, cleanup=lambda p: unmount(p.work / "ro"), env={"LIGHTCLAW_HOME": "@WORK@/ro"}),
    Case("E04a", ("runs", "list"), 0, "@RUN@", store="none", prepare=ro_store, cleanup=lambda p: unmount(p.home)),
    Case("E04b", ("collect", "--suite", "@WORK@/tiny.jsonl", *ORACLE), 1, "read-only", store="none", files=TINY, prepare=ro_store, cleanup=lambda p: unmount(p.home)),
    Case("E04c", ("eval", "@RUN@"), 1, "reports.*read-only", store="none", prepare=ro_store, cleanup=lambda p: unmount(p.home)),
    Case("E04d", ("eval", "@RUN@", "--out", "@WORK@/report"), 0, "report: ", store="none", prepare=ro_store, cleanup=lambda p: unmount(p.home)),
    Case("E04e", ("replay", "@EPISODE@"), 0, "replay identical", store="none", prepare=ro_store, cleanup=lambda p: unmount(p.home)),
    Case("F13", ("export", "--out", "@WORK@/ro/out"), 1, "ro/out", prepare=ro_work, cleanup=lambda p: unmount(p.work / "ro"), refusal_ok="ro/out", after=kept_empty("ro")),
]  # fmt: skip
"""The store file is on the read-only mount in E04: its sha256 is checked like any other."""


# -- runs that are killed ---------------------------------------------------------------------

KILL_PLAN = (
    "collect", "--suite", "core", "--policy", "scripted:oracle", "--policy", "scripted:sloppy",
    "--trials", "3", "--seed", "3",
)  # fmt: skip
KILL_PLANNED = 59 * 2 * 3


def count(db: Path, where: str = "", params: tuple[object, ...] = ()) -> int:
    if not db.is_file():
        return 0
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute(f"SELECT count(*) FROM episodes {where}", params).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        conn.close()


def only_run(db: Path) -> tuple[str, str]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, status FROM runs ORDER BY created DESC").fetchall()
    finally:
        conn.close()
    assert rows, "no run was stored"
    return rows[0][0], rows[0][1]


def start(place: Place, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args),
        cwd=cwd or place.work,
        env=cli_env(place.home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_once_stored(place: Place, proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    """Send ``sig`` as soon as the first episodes are stored; the stored count and stderr.

    A run that ends before anything was stored cannot be interrupted mid-way: that fails."""
    deadline = time.monotonic() + 120
    while count(place.db) == 0:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(
                f"the run ended (exit {proc.returncode}) before it stored an episode: {err}"
            )
        assert time.monotonic() < deadline, "nothing stored after 120 s"
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return count(place.db), err


def expect_ok(done: Outcome) -> None:
    assert done.code == 0 and "Traceback" not in done.out + done.err, done.err[-3000:]


def interrupted_then_resumed(place: Place, sig: int) -> tuple[subprocess.Popen[str], str]:
    proc = start(place, *KILL_PLAN)
    stored, err = stop_once_stored(place, proc, sig)
    run, status = only_run(place.db)
    before = recorded(place.db)
    assert 0 < stored < KILL_PLANNED, f"stored {stored} of {KILL_PLANNED}"
    assert status == "incomplete"
    expect_ok(run_cli(["collect", "--resume", run], home=place.home, cwd=place.work))
    assert only_run(place.db) == (run, "complete")
    assert count(place.db) == KILL_PLANNED
    after = recorded(place.db)
    assert {k: after.get(k) for k in before if k != run} == {
        k: v for k, v in before.items() if k != run
    }
    assert outcomes(place.db, run) == place.shared.reference(KILL_PLAN)
    return proc, err


def k1_sigkill_then_resume(place: Place) -> None:
    proc, _ = interrupted_then_resumed(place, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL


def k2_task_file_sigkill(place: Place) -> None:
    tasks = "".join(GOOD.replace("good-task", f"mine-{n}") for n in range(3))
    (place.work / "my_tasks.jsonl").write_text(tasks, encoding="utf-8")
    trials, planned = 100, 3 * 2 * 100
    proc = start(
        place, "collect", "--suite", "my_tasks.jsonl", "--policy", "scripted:sloppy",
        "--policy", "scripted:stubborn", "--trials", str(trials),
    )  # fmt: skip
    stored, _ = stop_once_stored(place, proc, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < stored < planned, f"stored {stored} of {planned} when killed"
    run, _ = only_run(place.db)
    expect_ok(run_cli(["collect", "--resume", run], home=place.home, cwd=place.work))
    assert only_run(place.db) == (run, "complete") and count(place.db) == planned


def k3_sigint_then_resume(place: Place) -> None:
    proc, err = interrupted_then_resumed(place, signal.SIGINT)
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["lightclaw: interrupted; completed episodes are stored"]


def k4_concurrent_writers_and_reader(place: Place) -> None:
    shutil.copy(place.shared.db, place.db)
    (place.work / "tiny.jsonl").write_text(GOOD, encoding="utf-8")
    before = recorded(place.db)
    writers = [
        start(
            place, "collect", "--suite", "tiny.jsonl", *ORACLE, "--trials", "40", "--seed", str(n)
        )
        for n in range(3)
    ]
    reads = [run_cli(["runs", "list"], home=place.home, cwd=place.work) for _ in range(3)]
    for proc in writers:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0 and not err.strip(), err
    for done in reads:
        expect_ok(done)
    conn = sqlite3.connect(place.db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = conn.execute("SELECT id, status FROM runs").fetchall()
    finally:
        conn.close()
    new = [run for run, status in runs if run not in before]
    assert len(new) == 3 and all(status == "complete" for run, status in runs)
    assert all(count(place.db, "WHERE run_id = ?", (run,)) == 40 for run in new)
    after = recorded(place.db)
    assert {k: after.get(k) for k in before} == before


def k5_concurrent_resumes(place: Place) -> None:
    proc = start(place, "collect", "--suite", "core", *ORACLE, "--trials", "4")
    stop_once_stored(place, proc, signal.SIGKILL)
    run, _ = only_run(place.db)
    resumes = [start(place, "collect", "--resume", run) for _ in range(2)]
    for resume in resumes:
        _, err = resume.communicate(timeout=180)
        lines = err.strip().splitlines()
        assert "Traceback" not in err
        assert resume.returncode == 0 or (
            resume.returncode == 2 and len(lines) == 1 and lines[0].startswith("lightclaw: error: ")
        ), err
    expect_ok(run_cli(["collect", "--resume", run], home=place.home, cwd=place.work))
    assert only_run(place.db) == (run, "complete") and count(place.db) == 59 * 4


def k6_two_attempt_sigkill(place: Place) -> None:
    proc = start(place, "eval", "--protocol", "two-attempt", "--policy", "scripted:sloppy", "--trials", "3")  # fmt: skip
    stop_once_stored(place, proc, signal.SIGKILL)
    run, status = only_run(place.db)
    assert status == "incomplete"
    expect_ok(run_cli(["collect", "--resume", run], home=place.home, cwd=place.work))
    assert only_run(place.db) == (run, "complete")
    assert count(place.db, "WHERE attempt = 1") == count(place.db, "WHERE attempt = 2") == 59 * 3


def k7_export_sigkill(place: Place) -> None:
    shutil.copy(place.shared.db, place.db)
    out = place.work / "out"
    proc = start(place, "export", "--out", str(out))
    deadline = time.monotonic() + 120
    while not any(p.is_file() and p.stat().st_size > 0 for p in place.work.rglob("*")):
        assert proc.poll() is None, "the export ended before it wrote any row"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    if out.exists():  # a partial export never looks complete
        refused = run_cli(["train-check", str(out)], home=place.home, cwd=place.work)
        lines = refused.err.strip().splitlines()
        assert refused.code == 2 and len(lines) == 1, refused.err[-3000:]
    expect_ok(
        run_cli(["export", "--out", str(out), "--overwrite"], home=place.home, cwd=place.work)
    )
    assert (out / "data_card.json").is_file()
    assert [p.name for p in place.work.iterdir()] == ["out"], "a temporary export was left behind"


def k8_replay_elsewhere(place: Place) -> None:
    first, second = place.work / "first", place.work / "second"
    first.mkdir()
    second.mkdir()
    (first / "my_tasks.jsonl").write_text(GOOD, encoding="utf-8")
    expect_ok(
        run_cli(["collect", "--suite", "my_tasks.jsonl", *ORACLE], home=place.home, cwd=first)
    )
    (first / "my_tasks.jsonl").unlink()
    conn = sqlite3.connect(place.db)
    episode = conn.execute("SELECT id FROM episodes").fetchone()[0]
    conn.close()
    done = run_cli(["replay", episode], home=place.home, cwd=second)
    expect_ok(done)
    assert "replay identical" in done.out


def k9_closed_stdout(place: Place) -> None:
    shutil.copy(place.shared.db, place.db)
    proc = subprocess.Popen(
        cli_command("replay", place.shared.episode),
        cwd=place.work,
        env=cli_env(place.home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # as `| head -1` does, before anything was written
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + signal.SIGPIPE, (proc.returncode, err)
    assert err == "", err


def k10_without_transformers(place: Place) -> None:
    shutil.copytree(place.shared.export, place.work / "export")
    shadow = place.work / "shadow"
    shadow.mkdir()
    (shadow / "sitecustomize.py").write_text(
        "import sys\n\n\nclass _Absent:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        if name == 'transformers' or name.startswith('transformers.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n\n\n"
        "sys.meta_path.insert(0, _Absent)\n",
        encoding="utf-8",
    )
    env = cli_env(place.home, PYTHONPATH=str(shadow))
    done = run_cli(["train-check", str(place.work / "export")], home=place.home, cwd=place.work, env=env)  # fmt: skip
    lines = done.err.strip().splitlines()
    assert "Traceback" not in done.out + done.err, done.err[-3000:]
    assert done.code == 2 and len(lines) == 1, done.err[-3000:]
    assert lines[0].startswith("lightclaw: error: transformers is not installed")


def z01_disk_full(place: Place) -> None:
    mount_tmpfs(place.home, "1m")
    try:
        full = run_cli(["demo"], home=place.home, cwd=place.work)
        lines = full.err.strip().splitlines()
        assert "Traceback" not in full.out + full.err, full.err[-3000:]
        assert full.code == 1 and len(lines) == 1, full.err[-3000:]
        assert lines[0].startswith("lightclaw: error: ") and "disk is full" in lines[0]
        run, status = only_run(place.db)
        kept = recorded(place.db)
        assert status == "incomplete" and count(place.db) > 0
        assert f"collect --resume {run}" in lines[0]
        remount(place.home, "size=64m")  # space freed
        expect_ok(run_cli(["collect", "--resume", run], home=place.home, cwd=place.work))
        assert only_run(place.db) == (run, "complete") and count(place.db) == 59 * 7
        after = recorded(place.db)
        assert {k: after.get(k) for k in kept if k != run} == {
            k: v for k, v in kept.items() if k != run
        }
    finally:
        unmount(place.home)


FLOWS = [
    Flow("K1", k1_sigkill_then_resume, cost=12),
    Flow("K2", k2_task_file_sigkill, cost=10),
    Flow("K3", k3_sigint_then_resume, cost=8),
    Flow("K4", k4_concurrent_writers_and_reader, cost=6),
    Flow("K5", k5_concurrent_resumes, cost=8),
    Flow("K6", k6_two_attempt_sigkill, cost=8),
    Flow("K7", k7_export_sigkill, cost=12),
    Flow("K8", k8_replay_elsewhere, cost=2),
    Flow("K9", k9_closed_stdout, cost=1),
    Flow("K10", k10_without_transformers, cost=10),
    Flow("Z01", z01_disk_full, cost=8),
]

ITEMS: list[Case | Flow] = [*FILE_SYSTEMS, *FLOWS]
CASES: dict[str, Case | Flow] = {item.id: item for item in ITEMS}
