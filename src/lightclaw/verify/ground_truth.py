"""The episode-level checks against a task's ground truth, and the verdict they give.

Checks, in order (the first failure names the verdict's error type):

1. The episode ended with a final answer; otherwise its outcome is reported (``max_steps`` and
   ``model_error`` as those error types, ``needs_user`` and ``safe_stop`` with no error type).
   Under ``answer_match: python`` a ``safe_stop`` is an ending too: the verifier judges it (the
   recruiting dry-run ends every episode with a typed stop).
2. On irrelevance tasks (``no_call_expected``) no tool was called (else ``wrong_tool``).
3. Every expected call is matched by a distinct successful call (BFCL-style, order-free unless
   ``calls_ordered``; see :mod:`lightclaw.verify.matching`): same tool (else ``wrong_tool``),
   every argument one of its acceptable values and no argument the expected call does not list
   (else ``semantic_wrong_args``). Failed calls never match; extra successful calls are allowed
   (the final state catches harmful ones).
4. ``expected_answer`` under ``answer_match`` (``wrong_answer``); with ``answer_match: python``
   the task's ``verifier`` function is called with ``(task, episode)`` instead and returns a
   bool or ``(bool, message)`` (``wrong_answer`` when false). The user function only runs when
   checks 1-3 passed.
5. ``expected_state`` equals the episode's final state (``wrong_answer``: the task's outcome
   in the world is wrong).

The answer and state checks are recorded whatever the verdict (:class:`EpisodeChecks`), so
the judgement keeps each check's own result.

A verifier that crashes (a user function that raises, cannot be imported or returns something
else; an invalid regex; a non-numeric expected value under ``numeric``) is a *verifier failure*:
the verdict has ``success=False``, ``error_type=None`` and ``verifier_error`` set to the reason.
It is never a silent 0: rewards and metrics treat it as "not judged" (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lightclaw.schema import ErrorType
from lightclaw.schema.judgement import Verdict
from lightclaw.verify.answers import (
    VerifierLoadError,
    answer_matches,
    as_text,
    json_equal,
    load_verifier,
)
from lightclaw.verify.matching import (
    argument_problems,
    match_calls,
    shown,
    standardize,
    values_equal,
)

if TYPE_CHECKING:
    from lightclaw.schema import CallRecord, Episode, ExpectedCall, Task

__all__ = [
    "EpisodeChecks",
    "Verdict",
    "answer_matches",
    "argument_problems",
    "check_episode",
    "judge",
    "match_calls",
    "run_verifier",
    "standardize",
    "state_difference",
    "values_equal",
]

_OUTCOME_ERRORS = {"max_steps": ErrorType.MAX_STEPS, "model_error": ErrorType.MODEL_ERROR}


@dataclass(frozen=True)
class EpisodeChecks:
    """The episode-level checks: the verdict and each check's own result.

    ``matched`` and ``by_arguments`` give, per expected call, the index of the call (in the
    episode's calls, step by step) that fulfils it -- among successful calls, and on arguments
    alone (any execution status) -- or ``None``.
    """

    verdict: Verdict
    matched: list[int | None]
    by_arguments: list[int | None]
    answer: bool | None
    state: bool | None


def _diagnose(expected: ExpectedCall, calls: list[CallRecord], used: set[int]) -> Verdict:
    """Why ``expected`` matched no call: the closest call of the same tool, else wrong tool."""
    same = [c for c, call in enumerate(calls) if call.tool == expected.tool]
    free = [c for c in same if c not in used]
    if not free:
        if same:
            got = f"all {len(same)} calls to {expected.tool} match other expected calls"
        else:
            others = sorted({calls[c].tool for c in range(len(calls)) if c not in used})
            got = "got " + (", ".join(others) if others else "no other tool call")
        wanted = ", ".join(f"{name}={shown(values)}" for name, values in expected.arguments.items())
        return Verdict(
            success=False,
            error_type=ErrorType.WRONG_TOOL,
            message=f"expected a call to {expected.tool}({wanted}); {got}",
        )
    closest = min(
        free,
        key=lambda c: (
            len(argument_problems(expected, calls[c].arguments)),
            calls[c].status != "ok",
        ),
    )
    call = calls[closest]
    problems = argument_problems(expected, call.arguments)
    if problems:
        return Verdict(
            success=False,
            error_type=ErrorType.SEMANTIC_WRONG_ARGS,
            message=f"{expected.tool}: {'; '.join(problems)}",
        )
    if call.status != "ok":
        return Verdict(
            success=False,
            error_type=call.error_type or ErrorType.TOOL_ERROR,
            message=f"the call to {expected.tool} with acceptable arguments failed: "
            f"{call.error_message or call.error_type}",
        )
    return Verdict(
        success=False,
        error_type=ErrorType.WRONG_TOOL,
        message=f"the call to {expected.tool} is out of the expected order",
    )


def state_difference(expected: Any, got: Any, path: str = "state") -> str | None:
    """Where two JSON values first differ, in words; ``None`` if they are equal."""
    if isinstance(expected, dict) and isinstance(got, dict):
        missing = [key for key in expected if key not in got]
        if missing:
            return f"{path}.{missing[0]} is missing (expected {expected[missing[0]]!r})"
        extra = [key for key in got if key not in expected]
        if extra:
            return f"{path}.{extra[0]} is unexpected ({got[extra[0]]!r})"
        for key in expected:
            found = state_difference(expected[key], got[key], f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"{path} has {len(got)} items; expected {len(expected)}"
        for index, (want, have) in enumerate(zip(expected, got, strict=True)):
            found = state_difference(want, have, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    return None if json_equal(expected, got) else f"{path} is {got!r}; expected {expected!r}"


def run_verifier(task: Task, episode: Episode) -> tuple[bool, str | None]:
    """Call the task's user verifier; its result as ``(ok, message)``.

    Raises :class:`VerifierLoadError` (or whatever the function raises) on a verifier failure.
    """
    if task.verifier is None:
        raise VerifierLoadError(f"task {task.id!r} has answer_match 'python' but no verifier")
    result = load_verifier(task.verifier)(task, episode)
    if isinstance(result, bool):
        return result, None
    if (
        isinstance(result, tuple)
        and len(result) == 2
        and isinstance(result[0], bool)
        and isinstance(result[1], str | None)
    ):
        return result[0], result[1]
    raise VerifierLoadError(
        f"verifier {task.verifier!r} returned {type(result).__name__}; "
        "expected a bool or (bool, message)"
    )


def _failed(what: str, exc: BaseException) -> Verdict:
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    reason = str(exc) if isinstance(exc, VerifierLoadError) else f"{name}: {exc}"
    return Verdict(
        success=False,
        message=f"verifier failure ({what}): {reason}",
        verifier_error=reason,
    )


@dataclass(frozen=True)
class _Check:
    """One check's result: ``ok`` (None: not checked), the failing verdict, what passed."""

    ok: bool | None
    failure: Verdict | None = None
    passed: str | None = None


def _python_answer(task: Task, episode: Episode) -> _Check:
    try:
        ok, said = run_verifier(task, episode)
    except Exception as exc:
        return _Check(None, _failed(f"python verifier {task.verifier}", exc))
    if not ok:
        message = said or f"the verifier {task.verifier} rejected the episode"
        failure = Verdict(success=False, error_type=ErrorType.WRONG_ANSWER, message=message)
        return _Check(False, failure)
    return _Check(True, passed=f"verifier {task.verifier}" + (f" ({said})" if said else ""))


def _answer(task: Task, episode: Episode) -> _Check:
    """The final answer against ``expected_answer`` (not the python verifier)."""
    if episode.outcome != "final_answer" or task.expected_answer is None:
        return _Check(None)
    try:
        ok = answer_matches(
            task.expected_answer, episode.final_answer, task.answer_match, task.tolerance
        )
    except Exception as exc:
        return _Check(None, _failed(f"answer_match {task.answer_match}", exc))
    if not ok:
        message = (
            f"final answer {as_text(episode.final_answer)!r} does not match "
            f"{as_text(task.expected_answer)!r} ({task.answer_match})"
        )
        failure = Verdict(success=False, error_type=ErrorType.WRONG_ANSWER, message=message)
        return _Check(False, failure)
    return _Check(True, passed=f"answer ({task.answer_match})")


def _state(task: Task, episode: Episode) -> _Check:
    if task.expected_state is None:
        return _Check(None)
    if episode.final_state is None:
        difference: str | None = "the episode recorded no final state"
    else:
        difference = state_difference(task.expected_state, episode.final_state)
    if difference is not None:
        failure = Verdict(
            success=False,
            error_type=ErrorType.WRONG_ANSWER,
            message=f"final state differs: {difference}",
        )
        return _Check(False, failure)
    return _Check(True, passed="final state")


def _unfinished(episode: Episode) -> Verdict:
    reason = f" ({episode.stop_reason})" if episode.stop_reason else ""
    return Verdict(
        success=False,
        error_type=_OUTCOME_ERRORS.get(episode.outcome),
        message=f"the episode ended with {episode.outcome}{reason}, not a final answer",
    )


def _call_problem(task: Task, calls: list[CallRecord], matched: list[int | None]) -> Verdict | None:
    if task.no_call_expected and calls:
        return Verdict(
            success=False,
            error_type=ErrorType.WRONG_TOOL,
            message=f"no tool call was expected (none of the tools fits), but {calls[0].tool} "
            "was called",
        )
    used = {c for c in matched if c is not None}
    for want, got in zip(task.expected_calls, matched, strict=True):
        if got is None:
            return _diagnose(want, calls, used)
    return None


def check_episode(task: Task, episode: Episode) -> EpisodeChecks:
    """Run every episode-level check of ``task`` on ``episode`` (see the module docstring)."""
    calls = [call for step in episode.steps for call in step.calls]
    expected = list(task.expected_calls)
    matched = match_calls(expected, calls, ordered=task.calls_ordered)
    by_arguments = match_calls(expected, calls, ordered=task.calls_ordered, require_ok=False)
    state = _state(task, episode)
    answer = _answer(task, episode) if task.answer_match != "python" else _Check(None)
    ended = episode.outcome == "final_answer" or (
        episode.outcome == "safe_stop" and task.answer_match == "python"
    )
    if not ended:
        verdict = _unfinished(episode)
    elif (problem := _call_problem(task, calls, matched)) is not None:
        verdict = problem
    else:
        if task.answer_match == "python":
            answer = _python_answer(task, episode)
        verdict = _verdict(len(expected), answer, state)
    return EpisodeChecks(verdict, matched, by_arguments, answer.ok, state.ok)


def _verdict(expected: int, answer: _Check, state: _Check) -> Verdict:
    """The verdict once the calls passed: the answer's failure, else the state's, else success."""
    for check in (answer, state):
        if check.failure is not None:
            return check.failure
    checked = [f"{expected} expected calls"]
    checked += [c.passed for c in (answer, state) if c.passed is not None]
    return Verdict(success=True, message="passed: " + ", ".join(checked))


def judge(task: Task, episode: Episode) -> Verdict:
    """The verdict of ``episode`` against ``task``'s ground truth (see the module docstring).

    Collection judges each episode once with :func:`lightclaw.verify.judge_episode`, which
    stores this verdict in the episode's judgement; this is its episode-level part."""
    return check_episode(task, episode).verdict
