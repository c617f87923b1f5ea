"""Judge single actions against a task's ground truth, independently of the episode.

This is how over-corrections are found without any planted label (SPEC §3): the action a
correction replaced is judged on its own, and so is the revision.

* :func:`judge_call` — ``None`` if the task has no expected calls. Otherwise ``True`` if the call
  matches one of the expected calls (same tool, every argument acceptable by
  :func:`~lightclaw.verify.matching.argument_problems`: the BFCL rules of the episode judge)
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
* :func:`combine` — a step's verdict from its actions': ``False`` if any is ``False``, else
  ``True`` if any is ``True``, else ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lightclaw.schema import (
    Action,
    FinalAnswer,
    SelfCorrection,
    ToolCall,
    effective,
)
from lightclaw.verify.answers import answer_matches
from lightclaw.verify.matching import argument_problems, values_equal

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lightclaw.schema import Step, Task

__all__ = [
    "combine",
    "judge_action",
    "judge_answer",
    "judge_call",
    "judge_step",
    "oracle_calls",
]


def judge_call(task: Task, call: ToolCall) -> bool | None:
    """Whether ``call`` matches one of ``task``'s expected calls (``None``: none expected)."""
    return judge_arguments(task, call.tool, call.arguments)


def judge_arguments(task: Task, tool: str, arguments: dict[str, Any]) -> bool | None:
    """:func:`judge_call` for a call given as its tool name and arguments."""
    if not task.expected_calls:
        return None
    named = [expected for expected in task.expected_calls if expected.tool == tool]
    if any(not argument_problems(expected, arguments) for expected in named):
        return True
    solutions = [solution for solution in oracle_calls(task) if solution.tool == tool]
    if any(_same_arguments(arguments, solution) for solution in solutions):
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


def _same_arguments(arguments: dict[str, Any], solution: ToolCall) -> bool:
    return arguments.keys() == solution.arguments.keys() and all(
        values_equal(arguments[k], v) for k, v in solution.arguments.items()
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
