"""Corrections and the correction metrics (SPEC §3), defined here and nowhere else.

Over the recorded steps of an episode and each step's own verdict (``verify.judging``):

* A **feedback event** is a step with a runtime error (SPEC §2) that is not the episode's last
  step: the policy saw the error and acted again.
* A **correction** is a step with ``correction_of`` set: labelled by the runtime when it
  follows feedback and differs from the failed step, or an explicit ``self_correction``.
* A feedback event is **followed by a correction** when a later step of the episode has
  ``correction_of`` naming it.
* A correction **recovers** (recovery success) when its revision executed without a runtime
  error AND is judged correct on its own -- or, when nothing can judge the revision on its own
  (its verdict is ``None``: e.g. a final answer of a task without ``expected_answer``), when the
  episode then succeeds. A give-up answer after an error therefore never recovers: it is
  judged wrong, or unjudged in an episode that fails.
* A correction is an **over-correction** when the corrected step was already correct by the
  verifier (its own verdict is ``True``) and the revision changed it (its actions differ,
  ignoring call ids and the order of parallel calls). A step missing from the record, or one
  the verifier cannot judge, is not "already correct".
* The **transition** of a correction goes from the corrected step's correctness to the
  revision's, where a step with a runtime error is incorrect and otherwise its own verdict
  counts (``None`` when that is ``None``).

The metrics (docs/metrics.md) then are:

* ``correction_attempt_rate`` = feedback events followed by a correction / feedback events;
* ``recovery_success_rate`` = corrections that recover / corrections;
* ``over_correction_rate`` = over-corrections / corrections (the same denominator).

:func:`judge_corrections` computes all of it; the judgement stores the result and copies it
onto the steps (``correction_attempted``, ``correction_ok``, ``over_correction``), which the
store copies into step columns that the metrics SQL only counts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from lightclaw.schema import RUNTIME_ERRORS, ToolCall, effective
from lightclaw.schema.judgement import CorrectionJudgement, Transition

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lightclaw.schema import Episode, Step

__all__ = [
    "DEFINITIONS",
    "executed",
    "judge_corrections",
    "relabel",
    "signature",
    "step_correct",
    "transition",
]

DEFINITIONS: Mapping[str, str] = MappingProxyType(
    {
        "correction_attempt_rate": "feedback events followed by a correction of them / feedback "
        "events. A feedback event is a step with a runtime error (SPEC §2) that is not its "
        "episode's last step; it is followed by a correction when a later step of the episode has "
        "correction_of naming it.",
        "recovery_success_rate": "corrections whose revision succeeds / corrections. A correction "
        "is a step with correction_of set (labelled by the runtime after feedback, or an explicit "
        "self_correction). Its revision succeeds only when it executed without a runtime error AND "
        "is judged correct on its own -- or, when nothing can judge it on its own, the episode "
        "then succeeds. A give-up answer after an error is never a success.",
        "over_correction_rate": "corrections whose corrected step was already correct by the "
        "verifier (judged on its own) and which changed it (its actions differ, ignoring call ids "
        "and the order of parallel calls) / corrections -- the denominator of "
        "recovery_success_rate.",
    }
)
"""The three correction metrics in words: the report schema's field descriptions and
docs/metrics.md state exactly this; :func:`judge_corrections` implements it."""


def executed(step: Step) -> bool:
    """The step ran without a runtime error."""
    return step.error_type not in RUNTIME_ERRORS


def step_correct(step: Step, verdict: bool | None) -> bool | None:
    """A step's correctness for transitions: a runtime error makes it incorrect, otherwise
    its own verdict counts (``None``: not judged)."""
    return False if not executed(step) else verdict


def transition(before: bool | None, after: bool | None) -> Transition | None:
    """``"c->i"``, ``"i->c"``, ``"c->c"`` or ``"i->i"``; ``None`` when either is ``None``."""
    if before is None or after is None:
        return None
    return f"{'c' if before else 'i'}->{'c' if after else 'i'}"  # type: ignore[return-value]


def signature(step: Step) -> list[str]:
    """The step's effective actions as canonical JSON, without call ids, in sorted order."""
    out = []
    for action in step.actions:
        done = effective(action)
        exclude = {"call_id"} if isinstance(done, ToolCall) else set()
        out.append(json.dumps(done.model_dump(mode="json", exclude=exclude), sort_keys=True))
    return sorted(out)


def judge_corrections(
    steps: Sequence[Step], verdicts: Mapping[int, bool | None], success: bool | None
) -> tuple[dict[int, bool | None], list[CorrectionJudgement]]:
    """Feedback events and corrections of one episode (see the module docstring).

    ``verdicts`` maps step index -> the step's own verdict; ``success`` is the episode's
    (``None`` when it was not judged). Returns ``correction_attempted`` per step index (``None``
    for steps that are no feedback event) and one judgement per correction, in step order.
    """
    attempted: dict[int, bool | None] = {}
    for position, step in enumerate(steps):
        feedback = not executed(step) and position + 1 < len(steps)
        attempted[step.index] = (
            any(later.correction_of == step.index for later in steps[position + 1 :])
            if feedback
            else None
        )
    by_index = {step.index: step for step in steps}
    corrections = []
    for step in steps:
        target = step.correction_of
        if target is None:
            continue
        corrected = by_index.get(target)
        before = verdicts.get(target) if corrected is not None else None
        after = verdicts.get(step.index)
        ran = executed(step)
        changed = corrected is None or signature(corrected) != signature(step)
        corrections.append(
            CorrectionJudgement(
                step=step.index,
                corrects=target,
                before=before,
                after=after,
                executed=ran,
                changed=changed,
                recovered=ran and (after is True or (after is None and success is True)),
                over_correction=before is True and changed,
                transition=None
                if corrected is None
                else transition(step_correct(corrected, before), step_correct(step, after)),
            )
        )
    return attempted, corrections


def label_steps(
    steps: Sequence[Step],
    attempted: Mapping[int, bool | None],
    corrections: Sequence[CorrectionJudgement],
) -> None:
    """Copy the correction results onto the steps (in place)."""
    found = {c.step: c for c in corrections}
    for step in steps:
        step.correction_attempted = attempted.get(step.index)
        correction = found.get(step.index)
        step.correction_ok = None if correction is None else correction.recovered
        step.over_correction = None if correction is None else correction.over_correction


def relabel(episode: Episode) -> Episode:
    """Label the steps of a record that carries no judgement (one stored before format 2, or
    built by hand) from its recorded verdicts: ``judged_correct`` and ``success``. In place;
    returns the episode."""
    verdicts = {step.index: step.judged_correct for step in episode.steps}
    attempted, corrections = judge_corrections(episode.steps, verdicts, episode.success)
    label_steps(episode.steps, attempted, corrections)
    return episode
