"""Judge an episode against its task's ground truth: expected calls, answer and final state.

Checks, in order (the first failure names the verdict's error type):

1. The episode ended with a final answer; otherwise its outcome is reported (``max_steps`` and
   ``model_error`` as those error types, ``needs_user`` and ``safe_stop`` with no error type).
2. Every expected call is matched by a distinct successful call (BFCL-style, order-free unless
   ``calls_ordered``): same tool (else ``wrong_tool``), every argument one of its acceptable values
   and no argument the expected call does not list (else ``semantic_wrong_args``). An argument
   may be omitted, or passed as ``null``, only when ``""`` is acceptable. Strings compare after
   BFCL standardisation (lower case, without spaces and ``,./-_*^``); an int equals its float.
   Failed calls never match; extra successful calls are allowed (the final state catches
   harmful ones).
3. ``expected_answer`` under ``answer_match`` (``wrong_answer``); with ``answer_match: python``
   the task's ``verifier`` function is called with ``(task, episode)`` instead and returns a
   bool or ``(bool, message)`` (``wrong_answer`` when false).
4. ``expected_state`` equals the episode's final state (``wrong_answer``: the task's outcome
   in the world is wrong).

A verifier that crashes (a user function that raises, cannot be imported or returns something
else; an invalid regex; a non-numeric expected value under ``numeric``) is a *verifier failure*:
the verdict has ``success=False``, ``error_type=None`` and ``verifier_error`` set to the reason.
It is never a silent 0: rewards and metrics treat it as "not judged" (``None``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from lightclaw.schema import CallRecord, Episode, ErrorType, ExpectedCall, Task
from lightclaw.verify.answers import (
    VerifierLoadError,
    answer_matches,
    as_text,
    is_number,
    json_equal,
    load_verifier,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "Verdict",
    "answer_matches",
    "argument_problems",
    "judge",
    "match_calls",
    "run_verifier",
    "values_equal",
]

_PUNCTUATION = re.compile(r"[\s,./\-_*^]")
_OMITTED = ""
_OUTCOME_ERRORS = {"max_steps": ErrorType.MAX_STEPS, "model_error": ErrorType.MODEL_ERROR}


class Verdict(BaseModel):
    """The judgement of one episode: success, the judged error type if any, and why.

    ``verifier_error`` is set when the verifier itself failed (then ``success`` is False and
    ``error_type`` None): the episode was not judged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    success: bool
    error_type: ErrorType | None = None
    message: str
    verifier_error: str | None = None


def standardize(text: str) -> str:
    """BFCL string standardisation: lower case without spaces and ``,./-_*^``."""
    return _PUNCTUATION.sub("", text).lower()


def values_equal(got: Any, acceptable: Any) -> bool:
    """Whether an argument value equals one acceptable value (recursively for lists/objects)."""
    if isinstance(got, str) and isinstance(acceptable, str):
        return standardize(got) == standardize(acceptable)
    if is_number(got) and is_number(acceptable):
        return float(got) == float(acceptable)
    if isinstance(got, list) and isinstance(acceptable, list):
        return len(got) == len(acceptable) and all(map(values_equal, got, acceptable))
    if isinstance(got, dict) and isinstance(acceptable, dict):
        return got.keys() == acceptable.keys() and all(
            values_equal(value, acceptable[key]) for key, value in got.items()
        )
    return json_equal(acceptable, got)


def _shown(values: Sequence[Any]) -> str:
    return ", ".join("(omitted)" if value == _OMITTED else repr(value) for value in values)


def argument_problems(expected: ExpectedCall, arguments: dict[str, Any]) -> list[str]:
    """Every way ``arguments`` fail ``expected`` (same tool assumed); empty when they match."""
    problems = []
    for name, acceptable in expected.arguments.items():
        optional = _OMITTED in acceptable
        if name not in arguments or (arguments[name] is None and optional):
            if not optional:
                problems.append(f"argument {name!r} is missing; acceptable: {_shown(acceptable)}")
            continue
        got = arguments[name]
        if not any(values_equal(got, value) for value in acceptable if value != _OMITTED):
            problems.append(f"argument {name!r} is {got!r}; acceptable: {_shown(acceptable)}")
    for name in arguments:
        if name not in expected.arguments:
            problems.append(f"unexpected argument {name!r} = {arguments[name]!r}")
    return problems


def _matches(expected: ExpectedCall, call: CallRecord) -> bool:
    return (
        call.status == "ok"
        and call.tool == expected.tool
        and not argument_problems(expected, call.arguments)
    )


def _matches_any_status(expected: ExpectedCall, call: CallRecord) -> bool:
    return call.tool == expected.tool and not argument_problems(expected, call.arguments)


def match_calls(
    expected: list[ExpectedCall],
    calls: list[CallRecord],
    *,
    ordered: bool = False,
    require_ok: bool = True,
) -> list[int | None]:
    """For each expected call, the index of the distinct call matching it (or ``None``).

    Order-free matching is maximum (augmenting paths); ``ordered`` matches a subsequence.
    With ``require_ok=False`` failed calls may match too (an argument check only, as BFCL's
    AST checker, which never executes).
    """
    matches = _matches if require_ok else _matches_any_status
    if ordered:
        return _match_ordered(expected, calls, matches)
    return _match_unordered(expected, calls, matches)


def _match_unordered(
    expected: list[ExpectedCall],
    calls: list[CallRecord],
    matches: Callable[[ExpectedCall, CallRecord], bool] = _matches,
) -> list[int | None]:
    """A maximum matching of expected calls to distinct calls (augmenting paths)."""
    options = [[c for c, call in enumerate(calls) if matches(e, call)] for e in expected]
    owner: dict[int, int] = {}

    def augment(e: int, seen: set[int]) -> bool:
        for c in options[e]:
            if c in seen:
                continue
            seen.add(c)
            if c not in owner or augment(owner[c], seen):
                owner[c] = e
                return True
        return False

    for e in range(len(expected)):
        augment(e, set())
    assigned: list[int | None] = [None] * len(expected)
    for c, e in owner.items():
        assigned[e] = c
    return assigned


def _match_ordered(
    expected: list[ExpectedCall],
    calls: list[CallRecord],
    matches: Callable[[ExpectedCall, CallRecord], bool] = _matches,
) -> list[int | None]:
    """Earliest in-order matching (optimal for a subsequence match); stops at the first miss."""
    assigned: list[int | None] = [None] * len(expected)
    position = 0
    for e, want in enumerate(expected):
        found = next((c for c in range(position, len(calls)) if matches(want, calls[c])), None)
        if found is None:
            break
        assigned[e], position = found, found + 1
    return assigned


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
        wanted = ", ".join(
            f"{name}={_shown(values)}" for name, values in expected.arguments.items()
        )
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


def check_calls(task: Task, episode: Episode) -> Verdict | None:
    """The first expected call that no successful call of the episode matches, as a verdict."""
    calls = [call for step in episode.steps for call in step.calls]
    expected = list(task.expected_calls)
    assigned = match_calls(expected, calls, ordered=task.calls_ordered)
    used = {c for c in assigned if c is not None}
    for want, got in zip(expected, assigned, strict=True):
        if got is None:
            return _diagnose(want, calls, used)
    return None


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


def _unfinished(episode: Episode) -> Verdict:
    reason = f" ({episode.stop_reason})" if episode.stop_reason else ""
    return Verdict(
        success=False,
        error_type=_OUTCOME_ERRORS.get(episode.outcome),
        message=f"the episode ended with {episode.outcome}{reason}, not a final answer",
    )


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


def _check_answer(task: Task, episode: Episode) -> Verdict | str | None:
    """The answer check: a failing verdict, a description of what passed, or ``None``."""
    if task.answer_match == "python":
        try:
            ok, said = run_verifier(task, episode)
        except Exception as exc:
            return _failed(f"python verifier {task.verifier}", exc)
        if not ok:
            return Verdict(
                success=False,
                error_type=ErrorType.WRONG_ANSWER,
                message=said or f"the verifier {task.verifier} rejected the episode",
            )
        return f"verifier {task.verifier}" + (f" ({said})" if said else "")
    if task.expected_answer is None:
        return None
    try:
        ok = answer_matches(
            task.expected_answer, episode.final_answer, task.answer_match, task.tolerance
        )
    except Exception as exc:
        return _failed(f"answer_match {task.answer_match}", exc)
    if not ok:
        return Verdict(
            success=False,
            error_type=ErrorType.WRONG_ANSWER,
            message=f"final answer {as_text(episode.final_answer)!r} does not match "
            f"{as_text(task.expected_answer)!r} ({task.answer_match})",
        )
    return f"answer ({task.answer_match})"


def judge(task: Task, episode: Episode) -> Verdict:
    """Judge ``episode`` against ``task``'s ground truth (see the module docstring)."""
    if episode.outcome != "final_answer":
        return _unfinished(episode)
    if task.no_call_expected:
        called = next((c.tool for s in episode.steps for c in s.calls), None)
        if called is not None:
            return Verdict(
                success=False,
                error_type=ErrorType.WRONG_TOOL,
                message=f"no tool call was expected (none of the tools fits), but {called} "
                "was called",
            )
    problem = check_calls(task, episode)
    if problem is not None:
        return problem
    checked = [f"{len(task.expected_calls)} expected calls"]
    answer = _check_answer(task, episode)
    if isinstance(answer, Verdict):
        return answer
    if answer is not None:
        checked.append(answer)
    if task.expected_state is not None:
        if episode.final_state is None:
            difference: str | None = "the episode recorded no final state"
        else:
            difference = state_difference(task.expected_state, episode.final_state)
        if difference is not None:
            return Verdict(
                success=False,
                error_type=ErrorType.WRONG_ANSWER,
                message=f"final state differs: {difference}",
            )
        checked.append("final state")
    return Verdict(success=True, message="passed: " + ", ".join(checked))
