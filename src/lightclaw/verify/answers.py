"""Final-answer matching against a task's ``expected_answer`` (one function per ``answer_match``).

Modes:

* ``exact`` — equal as JSON values (numbers compare by value; a text answer is parsed as JSON
  when the expected value is not text, so ``"105"`` equals ``105``).
* ``normalized`` — equal after case folding, collapsing whitespace, and dropping surrounding
  quotes and trailing ``.``/``!``.
* ``numeric`` — the answer's number (a JSON number, or the LAST number in a text, thousands
  separators and a leading ``$``-like symbol allowed) is within ``tolerance`` of the expected one.
* ``json_subset`` — every key of the expected object is present with a matching value
  (recursively; lists must have equal length and match element-wise). Text is parsed as JSON,
  also inside a ```` ```json ```` fence.
* ``regex`` — ``re.search(expected, answer)``.
* ``contains`` — the expected text (or every text of an expected list) occurs in the answer,
  case-insensitively with collapsed whitespace.
* ``python`` — a user function judges the whole episode (see :func:`load_verifier`); it is run
  by :func:`lightclaw.verify.ground_truth.judge`, not by :func:`answer_matches`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import re
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import JsonValue

    from lightclaw.schema.tasks import AnswerMatch

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?|(?<![\w.])-?\.\d+")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def as_text(value: JsonValue) -> str:
    """An answer as text: strings as they are, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def normalize_text(text: str) -> str:
    """Case-folded, whitespace-collapsed text without surrounding quotes or a final ``.``/``!``."""
    collapsed = " ".join(text.casefold().split())
    return collapsed.strip("\"'`").rstrip(".!").strip()


def is_number(value: object) -> bool:
    """A JSON number (``bool`` is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(expected: Any, got: Any) -> bool:
    """Equality of JSON values where numbers compare by value and booleans are not numbers."""
    if is_number(expected) and is_number(got):
        return float(expected) == float(got)
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(
            json_equal(v, got[k]) for k, v in expected.items()
        )
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(map(json_equal, expected, got))
    return type(expected) is type(got) and bool(expected == got)


def _parse_json(got: JsonValue) -> tuple[bool, Any]:
    if not isinstance(got, str):
        return True, got
    text = got.strip()
    fenced = _FENCE.match(text)
    try:
        return True, json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return False, None


def last_number(got: JsonValue) -> float | None:
    """The number an answer states: itself if numeric, else the last number in its text."""
    if is_number(got):
        return float(got)  # type: ignore[arg-type]
    if not isinstance(got, str):
        return None
    found = _NUMBER.findall(got)
    return float(found[-1].replace(",", "")) if found else None


def json_subset(expected: Any, got: Any) -> bool:
    """Whether ``got`` contains ``expected``: objects by key, lists element-wise, scalars equal."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            key in got and json_subset(value, got[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(expected) == len(got)
            and all(map(json_subset, expected, got))
        )
    return json_equal(expected, got)


def answer_matches(
    expected: JsonValue, got: JsonValue, mode: AnswerMatch, tolerance: float = 1e-6
) -> bool:
    """Whether the final answer ``got`` matches ``expected`` under ``mode`` (see module doc)."""
    if mode == "exact":
        if isinstance(expected, str):
            return got == expected
        parsed, value = _parse_json(got)
        return parsed and json_equal(expected, value)
    if mode == "normalized":
        return normalize_text(as_text(expected)) == normalize_text(as_text(got))
    if mode == "numeric":
        target, number = last_number(expected), last_number(got)
        if target is None:
            raise ValueError(
                f"numeric answer_match needs a numeric expected_answer, got {expected!r}"
            )
        return number is not None and math.isclose(number, target, rel_tol=0.0, abs_tol=tolerance)
    if mode == "json_subset":
        parsed, value = _parse_json(got)
        return parsed and json_subset(expected, value)
    if mode == "regex":
        if not isinstance(expected, str):
            raise ValueError(f"regex answer_match needs a pattern string, got {expected!r}")
        return re.search(expected, as_text(got)) is not None
    if mode == "contains":
        needles = expected if isinstance(expected, list) else [expected]
        haystack = " ".join(as_text(got).casefold().split())
        return all(" ".join(as_text(n).casefold().split()) in haystack for n in needles)
    if mode == "python":
        raise ValueError("answer_match 'python' is judged by the task's verifier function")
    raise ValueError(f"unknown answer_match {mode!r}")


class VerifierLoadError(Exception):
    """A ``verifier`` spec that does not name an importable function (a verifier failure)."""


def load_verifier(spec: str) -> Callable[..., Any]:
    """The function a ``verifier`` spec names: ``package.module:function`` or ``file.py:function``.

    A spec whose module part ends in ``.py`` (or contains a path separator) is a file path,
    relative to the working directory; otherwise it is a module importable from ``sys.path``
    or the working directory. Raises :class:`VerifierLoadError` with the reason.
    """
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise VerifierLoadError(f"verifier {spec!r} is not 'module:function' or 'file.py:function'")
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where).resolve()
        if not path.is_file():
            raise VerifierLoadError(f"verifier file {where!r} does not exist")
        return _load(str(path), name, is_file=True)
    return _load(where, name, is_file=False)


@cache
def _load(where: str, name: str, *, is_file: bool) -> Callable[..., Any]:
    try:
        if is_file:
            module_name = f"_lightclaw_verifier_{Path(where).stem}_{abs(hash(where))}"
            module_spec = importlib.util.spec_from_file_location(module_name, where)
            if module_spec is None or module_spec.loader is None:
                raise VerifierLoadError(f"verifier file {where!r} is not a Python module")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[module_name] = module
            try:
                module_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
        else:
            module = _import_from_cwd(where)
    except VerifierLoadError:
        raise
    except Exception as exc:
        raise VerifierLoadError(
            f"verifier module {where!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    function = getattr(module, name, None)
    if not callable(function):
        raise VerifierLoadError(f"verifier module {where!r} has no function {name!r}")
    return function  # type: ignore[no-any-return]


def _import_from_cwd(name: str) -> Any:
    """Import ``name`` with the working directory on ``sys.path`` (as ``python -m`` would)."""
    cwd = str(Path.cwd())
    added = cwd not in sys.path
    if added:
        sys.path.append(cwd)
    try:
        return importlib.import_module(name)
    finally:
        if added:
            sys.path.remove(cwd)
