"""SPEC §3 metrics of recorded runs, computed in SQL from the store's tables.

Nothing is loaded whole: three aggregate queries (episodes; steps with a window for "the next
step"; episodes with a runtime error) and one streamed per-task query (pass@k) run inside one
read snapshot; Python only merges per-group sums. Each rate carries its numerator, denominator
and a percentile bootstrap interval (:mod:`lightclaw.evals.stats`); an empty denominator gives
``value=None``. Episodes whose ``success`` is NULL were never judged: they are counted as
``unjudged`` and left out of every success-based rate.

Definitions (a *tool step* is a step with at least one tool call; a step's error type is the
one the runtime recorded for it):

* task_success_rate — judged episodes with success / judged episodes.
* tool_execution_success_rate — tool steps whose calls all executed (no call error) / tool steps.
* invalid_format_rate — steps with ``invalid_format`` / steps.
* wrong_args_rate — tool steps with ``wrong_args`` / tool steps.
* recovery_rate — judged episodes with >= 1 runtime-error step that succeeded / judged episodes
  with >= 1 runtime-error step.
* correction_attempt_rate — feedback events followed by a correction attempt / feedback events.
  A feedback event is a runtime-error step that is not its episode's last step; it is followed
  by a correction attempt when the next step's ``correction_of`` names it.
* pass@k, pass^k — per task over its judged trials, averaged over the group's tasks, for
  k = 1..K where K is the fewest judged trials any task of the group has.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Sequence
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.errors import UnknownChoiceError, UserError
from lightclaw.evals.stats import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    bootstrap_ci,
    pass_at_k,
    pass_hat_k,
)
from lightclaw.schema.errors import RUNTIME_ERRORS, ErrorType
from lightclaw.schema.trajectory import RunSource
from lightclaw.store import Store
from lightclaw.store.migrate import connect

GroupKey = Literal["suite", "policy", "source", "run"]
GROUP_KEYS: tuple[GroupKey, ...] = get_args(GroupKey)
DEFAULT_GROUP_BY: tuple[GroupKey, ...] = ("suite", "policy", "source")
# SQL expression of each grouping key (e = episodes, r = runs).
_COLUMNS: dict[GroupKey, str] = {
    "suite": "e.suite",
    "policy": "e.policy",
    "source": "r.source",
    "run": "e.run_id",
}
# Errors that only a failed tool call gives a step (the executor's vocabulary). A step that
# also holds a failed GUI action is named by its call error: call errors rank first.
CALL_ERRORS: frozenset[ErrorType] = frozenset(
    {
        ErrorType.UNKNOWN_TOOL,
        ErrorType.WRONG_ARGS,
        ErrorType.TOOL_ERROR,
        ErrorType.TIMEOUT,
        ErrorType.POLICY_BLOCKED,
        ErrorType.REDUNDANT_CALL,
    }
)
_CACHE_KIB = 65_536  # SQLite page cache of the metrics connection (64 MiB)


def _sql_list(values: frozenset[ErrorType]) -> str:
    return "(" + ",".join(f"'{v.value}'" for v in sorted(values)) + ")"


class Rate(BaseModel):
    """A rate with its counts and 95% (by default) bootstrap interval; None when undefined."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float | None
    numerator: int
    denominator: int
    ci_low: float | None
    ci_high: float | None


class PassK(BaseModel):
    """pass@k (any of k trials succeeds) and pass^k (all k succeed), averaged over tasks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: int
    pass_at_k: float
    pass_hat_k: float
    tasks: int


class GroupMetrics(BaseModel):
    """The metrics of one group; a key that is not grouped on is None."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    suite: str | None = None
    policy: str | None = None
    source: RunSource | None = None
    run_id: str | None = None
    episodes: int
    judged: int
    unjudged: int
    steps: int
    tool_steps: int
    step_errors: dict[str, int] = Field(description="steps per recorded error type")
    task_success_rate: Rate
    tool_execution_success_rate: Rate
    invalid_format_rate: Rate
    wrong_args_rate: Rate
    recovery_rate: Rate
    correction_attempt_rate: Rate
    recovery_success_rate: Rate = Field(
        description="correction steps whose revision executed and is not judged wrong"
    )
    over_correction_rate: Rate = Field(
        description="corrections of a step the verifier judged correct / corrections of a "
        "judgeable step"
    )
    pass_k: list[PassK] = Field(description="k = 1..K, K = fewest judged trials of any task")


class MetricsReport(BaseModel):
    """Metrics of some runs, one entry per group (sources are never mixed in one group)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_ids: list[str]
    group_by: list[GroupKey]
    level: float
    n_resamples: int
    seed: int
    groups: list[GroupMetrics]


class _Sums:
    """Per-group counters filled from the aggregate queries."""

    def __init__(self) -> None:
        self.episodes = self.judged = self.succeeded = self.steps = self.tool_steps = 0
        self.tool_failed = self.feedback = self.attempts = 0
        self.with_error = self.recovered = 0
        self.judged_corrections = self.corrections_ok = self.judged_pre = self.over_corrections = 0
        self.errors: Counter[str] = Counter()  # steps per error type
        self.tool_errors: Counter[str] = Counter()  # tool steps per error type
        self.tasks: Counter[tuple[int, int]] = Counter()  # (n judged, c successes) -> tasks


Key = tuple[str, ...]


def _validate_group_by(group_by: Sequence[str]) -> tuple[GroupKey, ...]:
    keys: list[GroupKey] = []
    for key in group_by:
        if key not in GROUP_KEYS:
            raise UnknownChoiceError("metrics grouping", key, GROUP_KEYS)
        if key not in keys:
            keys.append(key)
    if "source" not in keys and "run" not in keys:
        raise UserError(
            "metrics must be grouped by 'source' (or 'run'): a number never mixes deterministic, "
            "live and imported episodes"
        )
    return tuple(keys)


def _queries(keys: tuple[GroupKey, ...], n_runs: int) -> dict[str, str]:
    cols = ", ".join(_COLUMNS[k] for k in keys)
    marks = ",".join("?" * n_runs)
    runtime = _sql_list(RUNTIME_ERRORS)
    # first attempts only: a two-attempt run's revisions are measured by the SCoRe metrics
    base = (
        "FROM episodes e CROSS JOIN runs r ON r.id = e.run_id"
        f" WHERE e.run_id IN ({marks}) AND e.attempt = 1"
    )
    return {
        "episodes": f"SELECT {cols}, count(*), count(e.success), coalesce(sum(e.success), 0),"
        f" sum(e.n_steps), sum(e.n_tool_steps) {base} GROUP BY {cols}",
        # One row per (group, error type). The window sees every step of the chosen episodes
        # (to find each step's successor); only failed steps are aggregated.
        "steps": f"WITH w AS (SELECT episode_id, error_type, n_calls,"
        " lead(idx) OVER nxt IS NOT NULL AS has_next,"
        " coalesce(lead(correction_of) OVER nxt = idx, 0) AS corrected"
        " FROM steps WHERE episode_id IN"
        f" (SELECT id FROM episodes WHERE run_id IN ({marks}) AND attempt = 1)"
        " WINDOW nxt AS (PARTITION BY episode_id ORDER BY idx))"
        f" SELECT {cols}, w.error_type, count(*), sum(w.n_calls > 0),"
        f" sum(w.error_type IN {runtime} AND w.has_next),"
        f" sum(w.error_type IN {runtime} AND w.has_next AND w.corrected)"
        " FROM w CROSS JOIN episodes e ON e.id = w.episode_id CROSS JOIN runs r ON r.id = e.run_id"
        f" WHERE w.error_type IS NOT NULL GROUP BY {cols}, w.error_type",
        "recovery": f"SELECT {cols}, count(e.success), coalesce(sum(e.success), 0) {base}"
        " AND e.success IS NOT NULL AND e.id IN"
        f" (SELECT episode_id FROM steps WHERE error_type IN {runtime}) GROUP BY {cols}",
        "tasks": f"SELECT {cols}, count(e.success), coalesce(sum(e.success), 0) {base}"
        f" AND e.success IS NOT NULL GROUP BY {cols}, e.task_id",
        # correction steps with the verifier's independent judgements (migration 0002)
        "corrections": f"SELECT {cols}, count(s.correction_ok), coalesce(sum(s.correction_ok), 0),"
        " count(s.over_correction), coalesce(sum(s.over_correction), 0)"
        " FROM steps s CROSS JOIN episodes e ON e.id = s.episode_id"
        f" CROSS JOIN runs r ON r.id = e.run_id WHERE e.run_id IN ({marks}) AND e.attempt = 1"
        f" AND s.correction_of IS NOT NULL GROUP BY {cols}",
    }


def compute_metrics(
    store: Store,
    run_ids: list[str],
    *,
    group_by: Sequence[str] = DEFAULT_GROUP_BY,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = DEFAULT_LEVEL,
) -> MetricsReport:
    """SPEC §3 metrics of ``run_ids`` from ``store``, one :class:`GroupMetrics` per group.

    ``group_by`` is a subset of suite, policy, source and run that includes source or run.
    An unknown run id is an :class:`UnknownChoiceError`.
    """
    keys = _validate_group_by(group_by)
    runs = sorted(dict.fromkeys(run_ids))
    conn = connect(store.path, readonly=True)
    try:
        conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        conn.execute("BEGIN")  # one snapshot for every query
        known = {row[0] for row in conn.execute("SELECT id FROM runs")}
        for run_id in runs:
            if run_id not in known:
                raise UnknownChoiceError("run", run_id, known)
        sums = _aggregate(conn, keys, runs) if runs else {}
        conn.execute("COMMIT")
    finally:
        conn.close()
    groups = [
        _group(keys, key, s, n_resamples=n_resamples, seed=seed, level=level)
        for key, s in sorted(sums.items())
    ]
    return MetricsReport(
        run_ids=runs,
        group_by=list(keys),
        level=level,
        n_resamples=n_resamples,
        seed=seed,
        groups=groups,
    )


def _aggregate(
    conn: sqlite3.Connection, keys: tuple[GroupKey, ...], runs: list[str]
) -> dict[Key, _Sums]:
    q = _queries(keys, len(runs))
    width = len(keys)
    sums: dict[Key, _Sums] = {}
    for row in conn.execute(q["episodes"], runs):
        s = sums[row[:width]] = _Sums()
        s.episodes, s.judged, s.succeeded, s.steps, s.tool_steps = row[width:]
    for row in conn.execute(q["steps"], runs):
        s = sums[row[:width]]
        error, count, tool, feedback, attempts = row[width:]
        s.errors[error] += count
        s.tool_errors[error] += tool
        if error in CALL_ERRORS:
            s.tool_failed += tool
        s.feedback += feedback
        s.attempts += attempts
    for row in conn.execute(q["recovery"], runs):
        s = sums[row[:width]]
        s.with_error, s.recovered = row[width:]
    for row in conn.execute(q["tasks"], runs):
        sums[row[:width]].tasks[(row[width], row[width + 1])] += 1
    for row in conn.execute(q["corrections"], runs):
        s = sums[row[:width]]
        s.judged_corrections, s.corrections_ok, s.judged_pre, s.over_corrections = row[width:]
    return sums


def _group(
    keys: tuple[GroupKey, ...],
    key: Key,
    s: _Sums,
    *,
    n_resamples: int,
    seed: int,
    level: float,
) -> GroupMetrics:
    def rate(numerator: int, denominator: int) -> Rate:
        ci = bootstrap_ci(numerator, denominator, n_resamples=n_resamples, seed=seed, level=level)
        return Rate(
            value=numerator / denominator if denominator else None,
            numerator=numerator,
            denominator=denominator,
            ci_low=None if ci is None else ci[0],
            ci_high=None if ci is None else ci[1],
        )

    named = dict(zip(keys, key, strict=True))
    return GroupMetrics(
        suite=named.get("suite"),
        policy=named.get("policy"),
        source=named.get("source"),
        run_id=named.get("run"),
        episodes=s.episodes,
        judged=s.judged,
        unjudged=s.episodes - s.judged,
        steps=s.steps,
        tool_steps=s.tool_steps,
        step_errors=dict(sorted(s.errors.items())),
        task_success_rate=rate(s.succeeded, s.judged),
        tool_execution_success_rate=rate(s.tool_steps - s.tool_failed, s.tool_steps),
        invalid_format_rate=rate(s.errors[ErrorType.INVALID_FORMAT.value], s.steps),
        wrong_args_rate=rate(s.tool_errors[ErrorType.WRONG_ARGS.value], s.tool_steps),
        recovery_rate=rate(s.recovered, s.with_error),
        correction_attempt_rate=rate(s.attempts, s.feedback),
        recovery_success_rate=rate(s.corrections_ok, s.judged_corrections),
        over_correction_rate=rate(s.over_corrections, s.judged_pre),
        pass_k=pass_k_curve(s.tasks),
    )


def pass_k_curve(tasks: Counter[tuple[int, int]]) -> list[PassK]:
    """pass@k and pass^k for k = 1..K over tasks given as {(n trials, c successes): tasks}.

    K is the fewest trials of any task, so every task counts at every k (as in tau-bench,
    where all tasks have the same number of trials)."""
    total = sum(tasks.values())
    if not total:
        return []
    top = min(n for n, _ in tasks)
    return [
        PassK(
            k=k,
            pass_at_k=math.fsum(t * pass_at_k(n, c, k) for (n, c), t in tasks.items()) / total,
            pass_hat_k=math.fsum(t * pass_hat_k(n, c, k) for (n, c), t in tasks.items()) / total,
            tasks=total,
        )
        for k in range(1, top + 1)
    ]
