"""SCoRe two-attempt metrics (Kumar et al. 2024) from the store.

Over the (task, policy, trial) pairs whose two attempts were both judged: acc@t1 and acc@t2
are the success rates of attempt 1 and attempt 2, Δ = acc@t2 − acc@t1, Δi→c the fraction of
pairs incorrect at t1 and correct at t2, Δc→i the fraction correct at t1 and incorrect at t2
(both over all pairs, so Δ = Δi→c − Δc→i).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from lightclaw.store.queries import attempt_pairs

if TYPE_CHECKING:
    from lightclaw.store import Store


class TwoAttemptMetrics(BaseModel):
    suite: str
    policy: str
    pairs: int
    acc_t1: float
    acc_t2: float
    delta: float
    delta_i_to_c: float
    delta_c_to_i: float


def two_attempt_metrics(store: Store, run_id: str) -> list[TwoAttemptMetrics]:
    """Per (suite, policy); empty when the run has no judged attempt pairs."""
    out = []
    for p in attempt_pairs(store, run_id):  # unknown ids fail with the valid choices
        n = p.pairs
        out.append(
            TwoAttemptMetrics(
                suite=p.suite,
                policy=p.policy,
                pairs=n,
                acc_t1=p.first_succeeded / n,
                acc_t2=p.second_succeeded / n,
                delta=(p.second_succeeded - p.first_succeeded) / n,
                delta_i_to_c=p.incorrect_to_correct / n,
                delta_c_to_i=p.correct_to_incorrect / n,
            )
        )
    return out
