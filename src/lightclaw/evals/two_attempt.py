"""SCoRe two-attempt metrics (Kumar et al. 2024) from the store.

Over the (task, policy, trial) pairs whose two attempts were both judged: acc@t1 and acc@t2
are the success rates of attempt 1 and attempt 2, Δ = acc@t2 − acc@t1, Δi→c the fraction of
pairs incorrect at t1 and correct at t2, Δc→i the fraction correct at t1 and incorrect at t2
(both over all pairs, so Δ = Δi→c − Δc→i).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from lightclaw.store.migrate import connect

if TYPE_CHECKING:
    from lightclaw.store import Store

PAIRS = (
    "SELECT a.suite, a.policy, count(*), sum(a.success), sum(b.success),"
    " sum(a.success = 0 AND b.success = 1), sum(a.success = 1 AND b.success = 0)"
    " FROM episodes a JOIN episodes b ON b.run_id = a.run_id AND b.task_id = a.task_id"
    " AND b.policy = a.policy AND b.trial = a.trial AND b.attempt = 2"
    " WHERE a.run_id = ? AND a.attempt = 1 AND a.success IS NOT NULL AND b.success IS NOT NULL"
    " GROUP BY a.suite, a.policy ORDER BY a.suite, a.policy"
)


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
    store.get_run(run_id)  # unknown ids fail with the valid choices
    conn = connect(store.path, readonly=True)
    try:
        rows = conn.execute(PAIRS, (run_id,)).fetchall()
    finally:
        conn.close()
    out = []
    for suite, policy, n, s1, s2, i_to_c, c_to_i in rows:
        out.append(
            TwoAttemptMetrics(
                suite=suite,
                policy=policy,
                pairs=n,
                acc_t1=s1 / n,
                acc_t2=s2 / n,
                delta=(s2 - s1) / n,
                delta_i_to_c=i_to_c / n,
                delta_c_to_i=c_to_i / n,
            )
        )
    return out
