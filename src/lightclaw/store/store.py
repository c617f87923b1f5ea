"""The SQLite trajectory store: runs, episodes, steps and calls (SPEC §6)."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self

from lightclaw.errors import RuntimeBug, UnknownChoiceError, UserError
from lightclaw.store.migrate import check_sound, connect, translated_errors
from lightclaw.store.records import (
    CALL_INSERT,
    EPISODE_INSERT,
    RUN_INSERT,
    RUN_TASK_INSERT,
    STEP_INSERT,
    TOOL_SCHEMA_INSERT,
    Row,
    assemble_episode,
    assemble_run,
    assemble_task,
    episode_rows,
    run_rows,
    task_snapshot_rows,
)
from lightclaw.store.summary import RunSummary
from lightclaw.store.writer import EpisodeWriter

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import TracebackType

    from lightclaw.schema.tasks import TaskSnapshot
    from lightclaw.schema.trajectory import Episode, Run, RunStatus

_RECENT_IDS = 20


def default_db_path() -> Path:
    """``$LIGHTCLAW_HOME/lightclaw.db``; LIGHTCLAW_HOME defaults to ``./lightclaw-data``."""
    return Path(os.environ.get("LIGHTCLAW_HOME") or "lightclaw-data") / "lightclaw.db"


class Store:
    """A trajectory store in one SQLite file (WAL: readers never wait for a writer).

    Safe to share between threads; each method is one transaction.
    """

    def __init__(self, path: Path | str | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path if path is not None else default_db_path()).expanduser().absolute()
        self.readonly = readonly
        self._lock = threading.RLock()
        self._conn = connect(self.path, readonly=readonly)
        self._sound = False  # checked once, before this process first writes

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}{', readonly=True' if self.readonly else ''})"

    @contextmanager
    def _write(self, then: str | None = None) -> Iterator[sqlite3.Connection]:
        with self._lock, self._translated(then):
            if self.readonly:
                raise RuntimeBug(f"{self!r} was opened read-only")
            if not self._sound:
                check_sound(self._conn, self.path)  # never write into a damaged store
                self._sound = True
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:  # SQLite may have rolled back already (disk full)
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot; never blocks or is blocked by a writer (WAL)."""
        with self._lock, self._translated():
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def _translated(self, then: str | None = None) -> AbstractContextManager[None]:
        """SQLite errors that are not LightClaw's fault leave the store as one-line errors
        (``then``: what to do once the environment is fixed); see ``translated_errors``."""
        return translated_errors(self.path, then)

    # -- runs ---------------------------------------------------------------------------------

    def create_run(self, run: Run, tasks: Sequence[TaskSnapshot] = ()) -> None:
        """Store a new run with its tool schemas and the snapshot of its task definitions
        (one transaction); an existing id is a UserError."""
        row, schemas = run_rows(run)
        task_rows = task_snapshot_rows(run.id, tasks)
        try:
            with self._write() as conn:
                conn.execute(RUN_INSERT, row)
                conn.executemany(TOOL_SCHEMA_INSERT, schemas)
                if task_rows:
                    conn.executemany(RUN_TASK_INSERT, task_rows)
        except sqlite3.IntegrityError as exc:
            if "runs.id" in str(exc):
                raise UserError(f"run {run.id!r} already exists in {self.path}") from exc
            names = [s.name for s in run.tool_schemas]
            raise RuntimeBug(f"run {run.id!r} offers a tool name twice: {names}") from exc

    def set_run_status(self, run_id: str, status: RunStatus) -> None:
        """Mark a run running / complete / incomplete (unknown id: UnknownChoiceError)."""
        with self._write() as conn:
            updated = conn.execute("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))
            if updated.rowcount == 0:
                raise UnknownChoiceError("run", run_id, self._run_ids(conn))

    def get_run(self, run_id: str) -> Run:
        """The stored run with its status and tool schemas (unknown id: UnknownChoiceError)."""
        with self._read() as conn:
            row = conn.execute("SELECT record, status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise UnknownChoiceError("run", run_id, self._run_ids(conn))
            schemas = conn.execute(
                "SELECT name, hash, json_schema FROM tool_schemas WHERE run_id = ? ORDER BY idx",
                (run_id,),
            ).fetchall()
        return assemble_run(row[0], row[1], schemas)

    def run_tasks(self, run_id: str) -> list[TaskSnapshot]:
        """The task definitions snapshotted with the run, in suite order (empty for a run
        stored before snapshots existed; unknown id: UnknownChoiceError)."""
        with self._read() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise UnknownChoiceError("run", run_id, self._run_ids(conn))
            rows = conn.execute(
                "SELECT record, tool_docs FROM run_tasks WHERE run_id = ? ORDER BY idx", (run_id,)
            ).fetchall()
        return [assemble_task(record, docs) for record, docs in rows]

    def list_runs(self, limit: int | None = None) -> list[RunSummary]:
        """Runs newest first, with episode and step counts."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT r.id, r.created, r.source, r.suite, r.policy, r.status,"
                " count(e.id), coalesce(sum(e.n_steps), 0)"
                " FROM (SELECT rowid AS rid, * FROM runs ORDER BY created DESC, rowid DESC"
                "       LIMIT ?) AS r"
                " LEFT JOIN episodes AS e ON e.run_id = r.id"
                " GROUP BY r.rid ORDER BY r.created DESC, r.rid DESC",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [
            RunSummary(
                id=r[0],
                created=datetime.fromisoformat(r[1]),
                source=r[2],
                suite=r[3],
                policy=r[4],
                status=r[5],
                episodes=r[6],
                steps=r[7],
            )
            for r in rows
        ]

    @staticmethod
    def _run_ids(conn: sqlite3.Connection) -> list[str]:
        rows = conn.execute("SELECT id FROM runs ORDER BY created DESC, rowid DESC")
        return [r[0] for r in rows]

    # -- episodes -----------------------------------------------------------------------------

    def add_episodes(self, episodes: Sequence[Episode], *, skip_stored: bool = False) -> int:
        """Store episodes (with steps and calls) in one transaction: all or nothing; returns
        how many were written.

        Their runs must exist; an episode id or (run, task, policy, trial, attempt) already
        stored is a UserError and nothing of the batch is written — unless ``skip_stored``,
        which leaves out the episodes whose key is already stored (checked inside the write
        transaction, so two writers never both store one key).
        """
        if not episodes:
            return 0
        run_ids = sorted({ep.run_id for ep in episodes})
        resume = " and ".join(f"`lightclaw collect --resume {run_id}`" for run_id in run_ids)
        try:
            with self._write(then=f"finish the run with {resume}") as conn:
                if skip_stored:
                    episodes = [ep for ep in episodes if not self._stored(conn, ep)]
                    if not episodes:
                        return 0
                ep_rows, step_rows, call_rows = episode_rows(episodes)
                marks = ",".join("?" * len(run_ids))
                known = {
                    r[0]
                    for r in conn.execute(f"SELECT id FROM runs WHERE id IN ({marks})", run_ids)
                }
                for run_id in run_ids:
                    if run_id not in known:
                        raise UnknownChoiceError("run", run_id, self._run_ids(conn))
                conn.executemany(EPISODE_INSERT, ep_rows)
                conn.executemany(STEP_INSERT, step_rows)
                conn.executemany(CALL_INSERT, call_rows)
        except sqlite3.IntegrityError as exc:
            raise UserError(self._conflict(episodes, exc)) from exc
        return len(episodes)

    @staticmethod
    def _stored(conn: sqlite3.Connection, ep: Episode) -> bool:
        return (
            conn.execute(
                "SELECT 1 FROM episodes WHERE run_id = ? AND task_id = ? AND policy = ?"
                " AND trial = ? AND attempt = ?",
                (ep.run_id, ep.task_id, ep.policy, ep.trial, ep.attempt),
            ).fetchone()
            is not None
        )

    def add_rows(self, episodes: Sequence[Row], steps: Sequence[Row], calls: Sequence[Row]) -> None:
        """Insert rows made by the :mod:`lightclaw.store.records` builders (``episode_row``,
        ``step_row``, ``call_row``) in one transaction, without validating them: for synthetic
        stores (benchmarks). Episodes go through :meth:`add_episodes`."""
        with self._write() as conn:
            conn.executemany(EPISODE_INSERT, episodes)
            conn.executemany(STEP_INSERT, steps)
            conn.executemany(CALL_INSERT, calls)

    def _conflict(self, episodes: Sequence[Episode], exc: sqlite3.IntegrityError) -> str:
        """Name the episode that made a batch fail."""
        seen_ids: set[str] = set()
        seen_keys: set[tuple[str, str, str, int, int]] = set()
        with self._read() as conn:
            for ep in episodes:
                key = (ep.run_id, ep.task_id, ep.policy, ep.trial, ep.attempt)
                stored = conn.execute(
                    "SELECT id FROM episodes WHERE id = ? OR (run_id = ? AND task_id = ?"
                    " AND policy = ? AND trial = ? AND attempt = ?)",
                    (ep.id, *key),
                ).fetchone()
                if stored is not None or ep.id in seen_ids or key in seen_keys:
                    return (
                        f"episode {ep.id!r} (run {ep.run_id!r}, task {ep.task_id!r}, policy "
                        f"{ep.policy!r}, trial {ep.trial}, attempt {ep.attempt}) is already "
                        "stored or repeated in the "
                        f"batch; nothing of the batch was written"
                    )
                seen_ids.add(ep.id)
                seen_keys.add(key)
        return f"episodes not stored ({exc}); nothing of the batch was written"

    def writer(
        self, batch_size: int = 256, flush_interval: float = 1.0, *, skip_stored: bool = False
    ) -> EpisodeWriter:
        """A buffered writer: flushes every ``batch_size`` episodes or ``flush_interval`` s."""
        return EpisodeWriter(
            self, batch_size=batch_size, flush_interval=flush_interval, skip_stored=skip_stored
        )

    def get_episode(self, episode_id: str) -> Episode:
        """The episode with its steps in order, equal to the one stored."""
        with self._read() as conn:
            row = conn.execute("SELECT record FROM episodes WHERE id = ?", (episode_id,)).fetchone()
            if row is None:
                recent = conn.execute(
                    "SELECT id FROM episodes ORDER BY rowid DESC LIMIT ?", (_RECENT_IDS,)
                )
                raise UnknownChoiceError("episode", episode_id, [r[0] for r in recent])
        return assemble_episode(row[0])

    def iter_episodes(self, run_id: str | None = None, *, batch: int = 500) -> Iterator[Episode]:
        """All episodes (of one run, or all runs) in insertion order, ``batch`` at a time.

        Memory stays bounded by one batch; no transaction is held open between batches.
        """
        if batch < 1:
            raise RuntimeBug(f"iter_episodes batch must be >= 1, got {batch}")
        where = "" if run_id is None else "run_id = ? AND "
        scope: tuple[str, ...] = () if run_id is None else (run_id,)
        last = 0
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    f"SELECT rowid, id, record FROM episodes WHERE {where}rowid > ?"
                    " ORDER BY rowid LIMIT ?",
                    (*scope, last, batch),
                ).fetchall()
            if not rows:
                return
            for _, _, record in rows:
                yield assemble_episode(record)
            last = rows[-1][0]

    def episode_keys(self, run_id: str) -> set[tuple[str, str, int]]:
        """(task_id, policy, trial) already stored for a run (for resume).

        Only first attempts count: a two-attempt pair is always stored in one transaction.
        """
        with self._read() as conn:
            rows = conn.execute(
                "SELECT task_id, policy, trial FROM episodes WHERE run_id = ? AND attempt = 1",
                (run_id,),
            )
            return {(r[0], r[1], r[2]) for r in rows}

    def count_episodes(self, run_id: str | None = None) -> int:
        """Episodes stored for a run (0 for an unknown run), or in the whole store."""
        with self._read() as conn:
            if run_id is None:
                row = conn.execute("SELECT count(*) FROM episodes").fetchone()
            else:
                row = conn.execute(
                    "SELECT count(*) FROM episodes WHERE run_id = ?", (run_id,)
                ).fetchone()
        return int(row[0])
