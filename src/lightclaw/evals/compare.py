"""Compare two runs: metric deltas with bootstrap intervals, and the tasks that flipped."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import BaseModel

from lightclaw.evals.metrics import compute_metrics
from lightclaw.evals.report import RATES, group_label
from lightclaw.evals.stats import binomial_draws, quantile

if TYPE_CHECKING:
    from lightclaw.evals.metrics import Rate
    from lightclaw.evals.report import EvalReport
    from lightclaw.store import Store


class Delta(BaseModel):
    group: str
    metric: str
    before: float | None
    after: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None


class Flip(BaseModel):
    task_id: str
    policy: str
    before: bool
    after: bool


class Comparison(BaseModel):
    base: str
    other: str
    deltas: list[Delta]
    flipped: list[Flip]


def delta_interval(
    a: Rate, b: Rate, *, n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float] | None:
    """Bootstrap interval of ``b - a`` (independent binomial resamples of each rate)."""
    if a.value is None or b.value is None:
        return None
    rng = random.Random(seed)
    da = binomial_draws(a.denominator, a.value, n_resamples, rng)
    db = binomial_draws(b.denominator, b.value, n_resamples, rng)
    diffs = sorted(y / b.denominator - x / a.denominator for x, y in zip(da, db, strict=True))
    tail = (1 - level) / 2
    return quantile(diffs, tail), quantile(diffs, 1 - tail)


def compare(store: Store, base: EvalReport, other: EvalReport) -> Comparison:
    """Deltas per (suite, policy) group; runs of different policies compare per suite."""
    same_policies = {g.policy for g in base.metrics.groups} == {
        g.policy for g in other.metrics.groups
    }
    by = ("suite", "policy", "source") if same_policies else ("suite", "source")
    a_groups = compute_metrics(store, [base.run.id], group_by=by).groups
    b_groups = compute_metrics(store, [other.run.id], group_by=by).groups
    before = {(g.suite, g.policy): g for g in a_groups}
    deltas: list[Delta] = []
    for g in b_groups:
        ref = before.get((g.suite, g.policy))
        if ref is None:
            continue
        for name in RATES:
            a, b = getattr(ref, name), getattr(g, name)
            ci = delta_interval(a, b)
            deltas.append(
                Delta(
                    group=group_label(g),
                    metric=name,
                    before=a.value,
                    after=b.value,
                    delta=None if a.value is None or b.value is None else b.value - a.value,
                    ci_low=None if ci is None else ci[0],
                    ci_high=None if ci is None else ci[1],
                )
            )
    return Comparison(
        base=base.run.id,
        other=other.run.id,
        deltas=deltas,
        flipped=flips(store, base.run.id, other.run.id, per_policy=same_policies),
    )


def flips(store: Store, base: str, other: str, *, per_policy: bool = True) -> list[Flip]:
    """Tasks whose majority verdict differs between two runs (per policy, or pooled)."""

    def verdicts(run_id: str) -> dict[tuple[str, str], bool]:
        votes: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for ep in store.iter_episodes(run_id):
            if ep.success is not None:
                votes[(ep.task_id, ep.policy if per_policy else "*")].append(ep.success)
        return {k: sum(v) * 2 > len(v) for k, v in votes.items()}

    a, b = verdicts(base), verdicts(other)
    return [
        Flip(task_id=task, policy=policy, before=a[(task, policy)], after=b[(task, policy)])
        for task, policy in sorted(a.keys() & b.keys())
        if a[(task, policy)] != b[(task, policy)]
    ]
