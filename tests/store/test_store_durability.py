"""Readers are never blocked by a writer; a killed writer loses nothing it flushed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

from store_samples import make_run, rich_episode, small_episode

from lightclaw.store import Store

HERE = Path(__file__).parent


def test_readers_are_not_blocked_by_an_open_write_transaction(tmp_path: Path) -> None:
    path = tmp_path / "lightclaw.db"
    with Store(path) as store:
        store.create_run(make_run())
        store.add_episodes([rich_episode(n=0)])
    holder = subprocess.Popen(
        [sys.executable, str(HERE / "lock_holder.py"), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with closing(sqlite3.connect(path, timeout=0)) as probe:  # the write lock is really held
            try:
                probe.execute("BEGIN IMMEDIATE")
                raise AssertionError("the lock holder does not hold the write lock")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
        for readonly in (False, True):
            with Store(path, readonly=readonly) as reader:
                assert [r.id for r in reader.list_runs()] == ["run-1"]  # uncommitted run unseen
                assert reader.get_episode(rich_episode(n=0).id) == rich_episode(n=0)
                assert list(reader.iter_episodes("run-1")) == [rich_episode(n=0)]
                assert reader.count_episodes() == 1
                assert reader.get_run("run-1") == make_run()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()  # type: ignore[union-attr]
    assert holder.returncode == 0


def test_sigkilled_writer_keeps_every_flushed_episode(tmp_path: Path) -> None:
    path = tmp_path / "lightclaw.db"
    writer = subprocess.Popen(
        [sys.executable, str(HERE / "kill_writer.py"), str(path), "run-k"],
        stdout=subprocess.PIPE,
        text=True,
    )
    flushed: list[str] = []
    try:
        assert writer.stdout is not None
        while len(flushed) < 25:
            line = writer.stdout.readline()
            assert line, f"writer died early (exit {writer.poll()})"
            flushed.append(line.strip())
        os.kill(writer.pid, signal.SIGKILL)  # mid-way: it keeps writing until killed
    finally:
        writer.kill()
        writer.wait(timeout=30)
        writer.stdout.close()  # type: ignore[union-attr]
    assert writer.returncode == -signal.SIGKILL

    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # no half-written episode: every stored episode has all of its steps and calls
        assert conn.execute(
            "SELECT count(*) FROM episodes AS e WHERE n_steps !="
            " (SELECT count(*) FROM steps AS s WHERE s.episode_id = e.id)"
            " OR (SELECT count(*) FROM calls AS c WHERE c.episode_id = e.id) != 3"
        ).fetchone() == (0,)
    with Store(path) as store:
        stored = list(store.iter_episodes("run-k"))
        assert len(stored) >= len(flushed)
        assert stored[: len(flushed)] == [rich_episode("run-k", n) for n in range(len(flushed))]
        assert [e.id for e in stored[: len(flushed)]] == flushed
        assert store.get_run("run-k").status == "running"  # the lead's resume marks it
        assert ("task-00000", "scripted", 0) in store.episode_keys("run-k")


def test_one_store_shared_by_threads(tmp_path: Path) -> None:
    with Store(tmp_path / "lightclaw.db") as store:
        store.create_run(make_run("run-t"))

        def work(offset: int) -> None:
            for n in range(offset, offset + 50):
                store.add_episodes([small_episode("run-t", n)])
                assert store.get_episode(small_episode("run-t", n).id).task_id == f"task-{n:06d}"

        threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert store.count_episodes("run-t") == 200
