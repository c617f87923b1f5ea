"""A per-policy summary of a stored run, computed from its recorded episodes."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from lightclaw.schema import ErrorType

if TYPE_CHECKING:
    from lightclaw.store import Store


class PolicySummary(BaseModel):
    policy: str
    episodes: int = 0
    succeeded: int = Field(default=0, description="judged episodes that the verifier passed")
    unjudged: int = Field(
        default=0, description="episodes whose verifier failed: no success recorded (NULL)"
    )
    steps: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    errors: dict[str, int] = Field(default_factory=dict)
    corrections: int = 0


def summarize(store: Store, run_id: str) -> list[PolicySummary]:
    """Stream the run's episodes; count outcomes, step errors, the verifier's successes and the
    episodes it could not judge."""
    store.get_run(run_id)  # an unknown id fails with the valid choices
    rows: dict[str, PolicySummary] = {}
    outcomes: dict[str, Counter[str]] = {}
    errors: dict[str, Counter[str]] = {}
    for ep in store.iter_episodes(run_id):
        row = rows.setdefault(ep.policy, PolicySummary(policy=ep.policy))
        row.episodes += 1
        row.steps += len(ep.steps)
        outcomes.setdefault(ep.policy, Counter())[ep.outcome] += 1
        errs = errors.setdefault(ep.policy, Counter())
        for step in ep.steps:
            if step.error_type is not None:
                errs[step.error_type.value] += 1
            row.corrections += step.correction_of is not None
        if ep.outcome == "max_steps":
            errs[ErrorType.MAX_STEPS.value] += 1
        if ep.success is None:  # judged at collection; None = the verifier failed
            row.unjudged += 1
        else:
            row.succeeded += ep.success
    for policy, row in rows.items():
        row.outcomes = dict(outcomes[policy])
        row.errors = dict(errors[policy])
    return sorted(rows.values(), key=lambda r: r.policy)
