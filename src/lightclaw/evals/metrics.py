"""SPEC §3 metrics of recorded runs, from counters the store computes in SQL.

Nothing is loaded whole: :func:`lightclaw.store.queries.metric_counts` runs four aggregate
queries (episodes; failed and correcting steps; episodes with a runtime error; per-task trials)
inside one read snapshot; Python only turns the per-group sums into rates. Each rate carries its
numerator, denominator and a percentile bootstrap interval (:mod:`lightclaw.evals.stats`); an
empty denominator gives ``value=None``. Episodes whose ``success`` is NULL were never judged:
they are counted as ``unjudged`` and left out of every success-based rate.

Definitions (a *tool step* is a step with at least one tool call; a step's error type is the
one the runtime recorded for it):

* task_success_rate — judged episodes with success / judged episodes.
* tool_execution_success_rate — tool steps whose calls all executed (no call error) / tool steps.
* invalid_format_rate — steps with ``invalid_format`` / steps.
* wrong_args_rate — tool steps with ``wrong_args`` / tool steps.
* recovery_rate — judged episodes with >= 1 runtime-error step that succeeded / judged episodes
  with >= 1 runtime-error step.
* correction_attempt_rate, recovery_success_rate, over_correction_rate — defined once in
  :mod:`lightclaw.verify.corrections` (its ``DEFINITIONS`` are these fields' descriptions):
  the judge labels each step when the episode is judged, and these rates only count labels.
* pass@k, pass^k — per task over its judged trials, averaged over the group's tasks, for
  k = 1..K where K is the fewest judged trials any task of the group has.
"""

from __future__ import annotations

import math
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
from lightclaw.schema.errors import CALL_ERRORS, ErrorType
from lightclaw.schema.trajectory import RunSource
from lightclaw.store import Store
from lightclaw.store.queries import GroupCounts, metric_counts
from lightclaw.verify.corrections import DEFINITIONS

GroupKey = Literal["suite", "policy", "source", "run"]
GROUP_KEYS: tuple[GroupKey, ...] = get_args(GroupKey)
DEFAULT_GROUP_BY: tuple[GroupKey, ...] = ("suite", "policy", "source")


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
    correction_attempt_rate: Rate = Field(description=DEFINITIONS["correction_attempt_rate"])
    recovery_success_rate: Rate = Field(description=DEFINITIONS["recovery_success_rate"])
    over_correction_rate: Rate = Field(description=DEFINITIONS["over_correction_rate"])
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
    counts = metric_counts(store, runs, keys)
    groups = [
        _group(keys, key, s, n_resamples=n_resamples, seed=seed, level=level)
        for key, s in sorted(counts.groups.items())
    ]
    return MetricsReport(
        run_ids=runs,
        group_by=list(keys),
        level=level,
        n_resamples=n_resamples,
        seed=seed,
        groups=groups,
    )


def _group(
    keys: tuple[GroupKey, ...],
    key: Key,
    s: GroupCounts,
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
    tool_failed = sum(n for error, n in s.tool_errors.items() if error in CALL_ERRORS)
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
        tool_execution_success_rate=rate(s.tool_steps - tool_failed, s.tool_steps),
        invalid_format_rate=rate(s.errors[ErrorType.INVALID_FORMAT.value], s.steps),
        wrong_args_rate=rate(s.tool_errors[ErrorType.WRONG_ARGS.value], s.tool_steps),
        recovery_rate=rate(s.recovered, s.with_error),
        correction_attempt_rate=rate(s.attempted, s.feedback_events),
        recovery_success_rate=rate(s.corrections_ok, s.corrections),
        over_correction_rate=rate(s.over_corrections, s.corrections),
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
