"""Expected calls against made calls: BFCL argument rules and the call matching.

An argument may be omitted, or passed as ``null``, only when ``""`` is one of its acceptable
values. Strings compare after BFCL standardisation (lower case, without spaces and ``,./-_*^``);
an int equals its float; lists and objects compare element-wise. Matching pairs each expected
call with a distinct call: a maximum matching when order is free, the earliest in-order
subsequence when ``calls_ordered``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lightclaw.verify.answers import is_number, json_equal

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lightclaw.schema import CallRecord, ExpectedCall

__all__ = ["OMITTED", "argument_problems", "match_calls", "shown", "standardize", "values_equal"]

_PUNCTUATION = re.compile(r"[\s,./\-_*^]")
OMITTED = ""
"""The acceptable value that lets an argument be left out."""


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


def shown(values: Sequence[Any]) -> str:
    """Acceptable values as a reader sees them (``""`` shown as ``(omitted)``)."""
    return ", ".join("(omitted)" if value == OMITTED else repr(value) for value in values)


def argument_problems(expected: ExpectedCall, arguments: dict[str, Any]) -> list[str]:
    """Every way ``arguments`` fail ``expected`` (same tool assumed); empty when they match."""
    problems = []
    for name, acceptable in expected.arguments.items():
        optional = OMITTED in acceptable
        if name not in arguments or (arguments[name] is None and optional):
            if not optional:
                problems.append(f"argument {name!r} is missing; acceptable: {shown(acceptable)}")
            continue
        got = arguments[name]
        if not any(values_equal(got, value) for value in acceptable if value != OMITTED):
            problems.append(f"argument {name!r} is {got!r}; acceptable: {shown(acceptable)}")
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
    expected: Sequence[ExpectedCall],
    calls: Sequence[CallRecord],
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
    expected: Sequence[ExpectedCall],
    calls: Sequence[CallRecord],
    matches: Callable[[ExpectedCall, CallRecord], bool],
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
    expected: Sequence[ExpectedCall],
    calls: Sequence[CallRecord],
    matches: Callable[[ExpectedCall, CallRecord], bool],
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
