"""Judge single actions against a task's ground truth, independently of the episode.

This is how over-corrections are found without any planted label (SPEC §3): the action a
correction replaced is judged on its own, and so is the revision.

* :func:`judge_call` — ``None`` if the task has no expected calls. Otherwise ``True`` if the call
  matches one of the expected calls (same tool, every argument acceptable by
  :func:`~lightclaw.verify.ground_truth.argument_problems`: the BFCL rules of the episode judge)
  or repeats a call of the task's oracle solution (same tool, same argument names, values equal
  under the same rules). ``None`` for a differing call to an *auxiliary* tool: one the oracle
  uses but no expected call names (e.g. ``calculate`` between lookups), whose arguments the
  ground truth does not pin down (the episode judge allows extra calls too). ``False``
  otherwise: a tool an expected call names but with unacceptable arguments, or a tool the
  ground truth never uses (BFCL's wrong function). Execution status is not considered: this
  judges the *action*.
* :func:`judge_answer` — :func:`~lightclaw.verify.answers.answer_matches` against
  ``expected_answer``; ``None`` without an expected answer, under ``answer_match: python``
  (the user verifier judges whole episodes) or when the matcher itself fails.
* :func:`judge_action` — dispatches; a ``self_correction`` is judged by its revised action;
  ``ask_user`` and GUI actions have no ground truth here (``None``).

:func:`annotate` judges every step of an episode. A step's ``judged`` combines the judgements
of its actions: ``False`` if any is ``False``, else ``True`` if any is ``True``, else ``None``
(no parsed actions, or nothing with ground truth). For a correction step
(``step.correction_of is not None``):

* ``pre_correct`` — ``judged`` of the corrected step;
* ``post_ok`` — the correcting step executed without a runtime error and is not judged ``False``;
* ``over_correction`` — the corrected step was already correct (``pre_correct is True``) and
  the correction changed it: its actions differ from the corrected step's (compared as JSON,
  ignoring call ids and the order of parallel calls). A revision judged ``False`` always
  differs. ``None`` when ``pre_correct`` is ``None`` (nothing to judge the corrected step by).
* ``transition`` — ``"c->i"``, ``"i->c"``, ``"c->c"`` or ``"i->i"`` from ``pre_correct`` to the
  correcting step's ``judged``; ``None`` when either is ``None``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, JsonValue

from lightclaw.schema import (
    Action,
    FinalAnswer,
    SelfCorrection,
    ToolCall,
    effective,
)
from lightclaw.schema.errors import RUNTIME_ERRORS
from lightclaw.verify.answers import answer_matches
from lightclaw.verify.ground_truth import argument_problems, values_equal

if TYPE_CHECKING:
    from lightclaw.schema import Episode, Step, Task

Transition = Literal["c->i", "i->c", "c->c", "i->i"]

__all__ = [
    "StepJudgement",
    "Transition",
    "annotate",
    "judge_action",
    "judge_answer",
    "judge_call",
    "judge_step",
]


class StepJudgement(BaseModel):
    """The independent judgement of one step, and of the correction it makes, if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: int
    judged: bool | None
    correction_of: int | None = None
    pre_correct: bool | None = None
    post_ok: bool | None = None
    over_correction: bool | None = None
    transition: Transition | None = None


def judge_call(task: Task, call: ToolCall) -> bool | None:
    """Whether ``call`` matches one of ``task``'s expected calls (``None``: none expected)."""
    if not task.expected_calls:
        return None
    named = [expected for expected in task.expected_calls if expected.tool == call.tool]
    if any(not argument_problems(expected, call.arguments) for expected in named):
        return True
    solutions = [solution for solution in oracle_calls(task) if solution.tool == call.tool]
    if any(_same_call(call, solution) for solution in solutions):
        return True
    return None if solutions and not named else False


def oracle_calls(task: Task) -> list[ToolCall]:
    """Every tool call of the task's oracle solution (self-corrections by their revision)."""
    return [
        done
        for step in task.oracle
        for action in step
        if isinstance(done := effective(action), ToolCall)
    ]


def _same_call(call: ToolCall, solution: ToolCall) -> bool:
    return call.arguments.keys() == solution.arguments.keys() and all(
        values_equal(call.arguments[k], v) for k, v in solution.arguments.items()
    )


def judge_answer(task: Task, content: JsonValue) -> bool | None:
    """Whether ``content`` matches ``task.expected_answer`` (``None``: cannot be judged alone)."""
    if task.expected_answer is None or task.answer_match == "python":
        return None
    try:
        return answer_matches(task.expected_answer, content, task.answer_match, task.tolerance)
    except Exception:
        return None  # a verifier failure: the judge records it; here the action is not judged


def judge_action(task: Task, action: Action) -> bool | None:
    """Judge one action on its own (a self-correction by its revision)."""
    if isinstance(action, SelfCorrection):
        return judge_action(task, action.revised)
    if isinstance(action, ToolCall):
        return judge_call(task, action)
    if isinstance(action, FinalAnswer):
        return judge_answer(task, action.content)
    return None


def combine(judgements: list[bool | None]) -> bool | None:
    """``False`` if any is ``False``, else ``True`` if any is ``True``, else ``None``."""
    if False in judgements:
        return False
    return True if True in judgements else None


def judge_step(task: Task, step: Step) -> bool | None:
    """The combined judgement of a step's parsed actions (``None`` if it has none)."""
    return combine([judge_action(task, action) for action in step.actions])


def _signature(step: Step) -> list[str]:
    """The step's effective actions as canonical JSON, without call ids, in sorted order."""
    shown = []
    for action in step.actions:
        done = effective(action)
        exclude = {"call_id"} if isinstance(done, ToolCall) else set()
        shown.append(json.dumps(done.model_dump(mode="json", exclude=exclude), sort_keys=True))
    return sorted(shown)


def _transition(before: bool | None, after: bool | None) -> Transition | None:
    if before is None or after is None:
        return None
    return f"{'c' if before else 'i'}->{'c' if after else 'i'}"  # type: ignore[return-value]


def annotate(task: Task, episode: Episode) -> list[StepJudgement]:
    """Judge every step of ``episode`` independently (see the module docstring)."""
    judged = {step.index: judge_step(task, step) for step in episode.steps}
    by_index = {step.index: step for step in episode.steps}
    out = []
    for step in episode.steps:
        mine = judged[step.index]
        target = step.correction_of
        if target is None:
            out.append(StepJudgement(index=step.index, judged=mine))
            continue
        pre = judged.get(target)
        corrected = by_index.get(target)
        post_ok = step.error_type not in RUNTIME_ERRORS and mine is not False
        over: bool | None = None
        if pre is not None and corrected is not None:
            over = pre and _signature(corrected) != _signature(step)
        out.append(
            StepJudgement(
                index=step.index,
                judged=mine,
                correction_of=target,
                pre_correct=pre,
                post_ok=post_ok,
                over_correction=over,
                transition=_transition(pre, mine),
            )
        )
    return out
