"""Read queries for the evaluation rooms: metric counters, attempt pairs, integrity.

Every function opens its own read-only connection and runs its queries inside one snapshot, so
the counts it returns are consistent with each other. They return plain rows and counters; the
metric definitions and their intervals live in ``evals`` and ``verify`` (the correction labels
counted here are written by :mod:`lightclaw.verify.corrections` when an episode is judged).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.schema.errors import RUNTIME_ERRORS
from lightclaw.store.migrate import connect, translated_errors

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator, Sequence

    from lightclaw.store.store import Store

__all__ = [
    "GROUP_COLUMNS",
    "AttemptPairs",
    "GroupCounts",
    "MetricCounts",
    "attempt_pairs",
    "integrity_check",
    "metric_counts",
]

GROUP_COLUMNS: dict[str, str] = {
    "suite": "e.suite",
    "policy": "e.policy",
    "source": "r.source",
    "run": "e.run_id",
}
"""SQL expression of each grouping key (``e`` = episodes, ``r`` = runs)."""
_CACHE_KIB = 65_536  # SQLite page cache of a metrics connection (64 MiB)

Key = tuple[str, ...]


@dataclass
class GroupCounts:
    """Plain counters of one group (first attempts only)."""

    episodes: int = 0
    judged: int = 0
    succeeded: int = 0
    steps: int = 0
    tool_steps: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    """Steps per recorded error type."""
    tool_errors: Counter[str] = field(default_factory=Counter)
    """Tool steps per recorded error type."""
    with_error: int = 0
    """Judged episodes with at least one runtime-error step."""
    recovered: int = 0
    """Of those, the ones that succeeded."""
    feedback_events: int = 0
    """Steps with ``correction_attempted`` set (feedback events)."""
    attempted: int = 0
    """Feedback events followed by a correction (``correction_attempted`` true)."""
    corrections: int = 0
    """Steps with ``correction_of`` set."""
    corrections_ok: int = 0
    """Corrections with ``correction_ok`` true (recovery success)."""
    over_corrections: int = 0
    """Corrections with ``over_correction`` true."""
    tasks: Counter[tuple[int, int]] = field(default_factory=Counter)
    """(judged trials n, successes c) -> number of tasks."""


@dataclass(frozen=True)
class MetricCounts:
    """:func:`metric_counts`' result: the counters of each group, keyed by its values."""

    group_by: tuple[str, ...]
    groups: dict[Key, GroupCounts]


def _sql_list(values: Sequence[str]) -> str:
    return "(" + ",".join(f"'{v}'" for v in sorted(values)) + ")"


def _queries(keys: Sequence[str], n_runs: int) -> dict[str, str]:
    cols = ", ".join(GROUP_COLUMNS[k] for k in keys)
    marks = ",".join("?" * n_runs)
    runtime = _sql_list([e.value for e in RUNTIME_ERRORS])
    # first attempts only: a two-attempt run's revisions are measured by the SCoRe metrics
    base = (
        "FROM episodes e CROSS JOIN runs r ON r.id = e.run_id"
        f" WHERE e.run_id IN ({marks}) AND e.attempt = 1"
    )
    return {
        "episodes": f"SELECT {cols}, count(*), count(e.success), coalesce(sum(e.success), 0),"
        f" sum(e.n_steps), sum(e.n_tool_steps) {base} GROUP BY {cols}",
        # one scan of the steps that failed or correct another: error counts per type, and the
        # correction labels (NULL error type: corrections that ran without an error)
        "steps": f"SELECT {cols}, s.error_type, count(*), sum(s.n_calls > 0),"
        " count(s.correction_attempted), coalesce(sum(s.correction_attempted), 0),"
        " count(s.correction_of), coalesce(sum(s.correction_ok), 0),"
        " coalesce(sum(s.over_correction), 0)"
        " FROM steps s CROSS JOIN episodes e ON e.id = s.episode_id"
        " CROSS JOIN runs r ON r.id = e.run_id"
        f" WHERE e.run_id IN ({marks}) AND e.attempt = 1"
        " AND (s.error_type IS NOT NULL OR s.correction_of IS NOT NULL)"
        f" GROUP BY {cols}, s.error_type",
        "recovery": f"SELECT {cols}, count(e.success), coalesce(sum(e.success), 0) {base}"
        " AND e.success IS NOT NULL AND e.id IN"
        f" (SELECT episode_id FROM steps WHERE error_type IN {runtime}) GROUP BY {cols}",
        "tasks": f"SELECT {cols}, count(e.success), coalesce(sum(e.success), 0) {base}"
        f" AND e.success IS NOT NULL GROUP BY {cols}, e.task_id",
    }


def metric_counts(store: Store, run_ids: Sequence[str], group_by: Sequence[str]) -> MetricCounts:
    """The SPEC §3 counters of the first attempts of ``run_ids``, per group of ``group_by``
    (keys of :data:`GROUP_COLUMNS`), read in one snapshot. An unknown run id is an
    :class:`UnknownChoiceError`; an unknown key a :class:`UserError`."""
    keys = tuple(group_by)
    unknown = [k for k in keys if k not in GROUP_COLUMNS]
    if unknown or not keys:
        raise UserError(f"cannot group by {unknown or '(nothing)'}; keys: {list(GROUP_COLUMNS)}")
    runs = sorted(dict.fromkeys(run_ids))
    with _reading(store) as conn:
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        conn.execute("BEGIN")  # one snapshot for every query
        known = {row[0] for row in conn.execute("SELECT id FROM runs")}
        for run_id in runs:
            if run_id not in known:
                raise UnknownChoiceError("run", run_id, known)
        groups = _count(conn, keys, runs) if runs else {}
        conn.execute("COMMIT")
    return MetricCounts(keys, groups)


@contextmanager
def _reading(store: Store) -> Iterator[sqlite3.Connection]:
    """A read-only connection of its own (closed after), its errors translated as the store's."""
    with translated_errors(store.path):
        conn = connect(store.path, readonly=True)
        try:
            yield conn
        finally:
            conn.close()


def _count(
    conn: sqlite3.Connection, keys: tuple[str, ...], runs: list[str]
) -> dict[Key, GroupCounts]:
    q = _queries(keys, len(runs))
    width = len(keys)
    groups: dict[Key, GroupCounts] = {}
    for row in conn.execute(q["episodes"], runs):
        g = groups[row[:width]] = GroupCounts()
        g.episodes, g.judged, g.succeeded, g.steps, g.tool_steps = row[width:]
    for row in conn.execute(q["steps"], runs):
        g = groups[row[:width]]
        error, count, tool, feedback, attempted, corrections, ok, over = row[width:]
        if error is not None:
            g.errors[error] += count
            g.tool_errors[error] += tool
        g.feedback_events += feedback
        g.attempted += attempted
        g.corrections += corrections
        g.corrections_ok += ok
        g.over_corrections += over
    for row in conn.execute(q["recovery"], runs):
        g = groups[row[:width]]
        g.with_error, g.recovered = row[width:]
    for row in conn.execute(q["tasks"], runs):  # streamed: folded into (n, c) -> tasks
        groups[row[:width]].tasks[(row[width], row[width + 1])] += 1
    return groups


_PAIRS = (
    "SELECT a.suite, a.policy, count(*), sum(a.success), sum(b.success),"
    " sum(a.success = 0 AND b.success = 1), sum(a.success = 1 AND b.success = 0)"
    " FROM episodes a JOIN episodes b ON b.run_id = a.run_id AND b.task_id = a.task_id"
    " AND b.policy = a.policy AND b.trial = a.trial AND b.attempt = 2"
    " WHERE a.run_id = ? AND a.attempt = 1 AND a.success IS NOT NULL AND b.success IS NOT NULL"
    " GROUP BY a.suite, a.policy ORDER BY a.suite, a.policy"
)


@dataclass(frozen=True)
class AttemptPairs:
    """Judged (attempt 1, attempt 2) pairs of one (suite, policy) of a two-attempt run."""

    suite: str
    policy: str
    pairs: int
    first_succeeded: int
    second_succeeded: int
    incorrect_to_correct: int
    correct_to_incorrect: int


def attempt_pairs(store: Store, run_id: str) -> list[AttemptPairs]:
    """Per (suite, policy): counts over the pairs whose two attempts were both judged (an
    unknown run id is an :class:`UnknownChoiceError`)."""
    store.get_run(run_id)
    with _reading(store) as conn:
        rows = conn.execute(_PAIRS, (run_id,)).fetchall()
    return [AttemptPairs(*row) for row in rows]


def integrity_check(store: Store) -> str:
    """SQLite's ``PRAGMA integrity_check`` of the store's file (``"ok"`` when intact)."""
    with _reading(store) as conn:
        (status,) = conn.execute("PRAGMA integrity_check").fetchone()
    return str(status)
