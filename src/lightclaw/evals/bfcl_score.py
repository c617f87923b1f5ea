"""Score a BFCL leaderboard result file with LightClaw's BFCL checker.

Inputs are BFCL's own files, one JSON object per line: questions (``id``, ``function``),
possible answers (``id``, ``ground_truth``) and results (``id``, ``result``). A ``result`` may be
the decoded call list ``[{"func": {"param": value}}]``, a function-calling model's
``[{"func": "<JSON arguments>"}]`` or a prompting model's Python-syntax string
``"[func(param=value)]"``. Bad lines and unknown ids are skipped with a message naming the file
line or id; everything else is scored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.errors import UnknownChoiceError
from lightclaw.files import read_user_text
from lightclaw.schema import ErrorType
from lightclaw.suites.bfcl_types import (
    CATEGORIES,
    BfclDataError,
    category_of,
    decode_result,
    is_function_calling_result,
    name_styles,
)
from lightclaw.verify.bfcl_checker import BfclVerdict, check


class SampleVerdict(BaseModel):
    """The verdict on one result line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: str
    valid: bool
    error_type: str | None = None
    errors: list[str] = Field(default_factory=list)
    lightclaw_error: ErrorType | None = None


class CategoryScore(BaseModel):
    """Accuracy of one category: correct / scored (``None`` when nothing was scored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str
    correct: int
    total: int
    accuracy: float | None


class BfclScore(BaseModel):
    """Per-category accuracy, per-sample verdicts and the items that could not be scored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: list[CategoryScore]
    samples: list[SampleVerdict]
    skipped: list[str]
    underscore_to_dot: bool = False
    """Function names were compared with ``.`` as ``_`` (BFCL's ``underscore_to_dot``)."""
    function_calling: bool = False
    """Some result is in BFCL's function-calling shape, so string results are text answers."""
    underscored_calls: int = 0
    """Calls that named a dotted function with ``_`` when detection was on (0 when forced)."""
    nothing_scored: str | None = None
    """Why no line was scored (``None`` when something was)."""


def _read_lines(path: Path, what: str) -> list[tuple[int, str]]:
    text = read_user_text(path, what)
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _objects(path: Path, what: str, skipped: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """The JSON objects of a JSONL file that have a string ``id``; the others are skipped."""
    out = []
    for number, line in _read_lines(path, what):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append(f"{path}:{number}: invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            skipped.append(f"{path}:{number}: invalid JSON: nested too deeply")
            continue
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            skipped.append(f"{path}:{number}: expected an object with a string 'id'")
            continue
        out.append((number, data))
    return out


def _by_id(
    path: Path, what: str, skipped: list[str], field: str
) -> dict[str, tuple[int, dict[str, Any]]]:
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, data in _objects(path, what, skipped):
        if field not in data:
            skipped.append(f"{path}:{number}: {what} {data['id']!r} has no {field!r}")
        elif data["id"] in found:
            skipped.append(f"{path}:{number}: duplicate {what} id {data['id']!r}")
        else:
            found[data["id"]] = (number, data)
    return found


def score_sample(
    question: dict[str, Any],
    answer: list[dict[str, Any]] | None,
    result: object,
    category: str,
    *,
    underscore_to_dot: bool = False,
    function_calling: bool = False,
) -> BfclVerdict:
    """Decode one model ``result`` and judge it (a decoding failure is BFCL's decoder_failed).

    ``underscore_to_dot``: the model saw ``.`` in function names as ``_`` (BFCL's setting of
    that name for function-calling models). ``function_calling``: the result comes from a
    function-calling model's file, so a string result is its text answer, not call syntax.
    """
    try:
        decoded = decode_result(result, function_calling=function_calling)
    except (ValueError, RecursionError) as exc:
        if "irrelevance" in category:
            return BfclVerdict(valid=True)
        return BfclVerdict(
            valid=False,
            error_type="ast_decoder:decoder_failed",
            errors=[f"Invalid syntax. Failed to decode AST. {exc}"],
            lightclaw_error=ErrorType.INVALID_FORMAT,
        )
    return check(
        question["function"],
        answer or [],
        cast("list[dict[str, Any]]", decoded),
        category,
        underscore_names=underscore_to_dot,
    )


@dataclass
class _Line:
    """A result line that names a known question, with what scoring it needs."""

    where: str
    entry_id: str
    category: str
    result: object


def _result_lines(
    results: Path, asked: dict[str, tuple[int, dict[str, Any]]], skipped: list[str]
) -> tuple[list[_Line], int, int]:
    """The result lines that name a question, the number of lines read and of unknown ids."""
    before = len(skipped)
    rows = _objects(results, "result", skipped)
    read = len(rows) + len(skipped) - before
    lines: list[_Line] = []
    unknown = 0
    for number, row in rows:
        entry_id = row["id"]
        where = f"{results}:{number}: result {entry_id!r}"
        if "result" not in row:
            skipped.append(f"{where} has no 'result'")
        elif entry_id not in asked:
            skipped.append(f"{where}: id is not among the questions")
            unknown += 1
        else:
            try:
                lines.append(_Line(where, entry_id, category_of(entry_id), row["result"]))
            except BfclDataError as exc:
                skipped.append(f"{where}: {exc}")
    return lines, read, unknown


def score_files(
    questions: Path,
    answers: Path | None,
    results: Path,
    category: str | None = None,
    *,
    underscore_to_dot: bool | None = None,
) -> BfclScore:
    """Score ``results`` against ``questions`` and ``answers`` (``None``: irrelevance only).

    ``category`` keeps only that category (one of :data:`CATEGORIES`). ``underscore_to_dot``
    forces BFCL's function-calling name convention on or off; ``None`` detects it from the
    result file (:func:`lightclaw.suites.bfcl_types.name_styles`: more calls name a dotted
    function with ``_`` than as documented). Raises :class:`UserError` for a missing or
    unreadable file or an unknown category; every bad line or id is skipped and listed in
    :attr:`BfclScore.skipped`, and :attr:`BfclScore.nothing_scored` says why when no line
    could be scored.
    """
    if category is not None and category not in CATEGORIES:
        raise UnknownChoiceError("BFCL category", category, CATEGORIES)
    skipped: list[str] = []
    asked = _by_id(questions, "question", skipped, "function")
    solved = _by_id(answers, "answer", skipped, "ground_truth") if answers else {}
    before = len(skipped)
    lines, read, unknown = _result_lines(results, asked, skipped)
    counts = [name_styles(asked[line.entry_id][1]["function"], line.result) for line in lines]
    underscored = sum(u for u, _ in counts)
    detected = underscored > sum(d for _, d in counts)
    dots = detected if underscore_to_dot is None else underscore_to_dot
    function_calling = any(is_function_calling_result(line.result) for line in lines)
    samples: list[SampleVerdict] = []
    other: list[str] = []
    for line in lines:
        if line.category not in CATEGORIES:
            skipped.append(
                f"{line.where}: category {line.category!r} is not scored "
                f"(BFCL's Python AST categories are {', '.join(CATEGORIES)})"
            )
            continue
        if category is not None and line.category != category:
            other.append(line.category)
            continue
        answer = solved.get(line.entry_id)
        if answer is None and "irrelevance" not in line.category:
            skipped.append(f"{line.where}: no possible answer for this id")
            continue
        try:
            verdict = score_sample(
                asked[line.entry_id][1],
                None if answer is None else answer[1]["ground_truth"],
                line.result,
                line.category,
                underscore_to_dot=dots,
                function_calling=function_calling,
            )
        except BfclDataError as exc:
            skipped.append(f"{line.where}: {exc}")
            continue
        samples.append(
            SampleVerdict(id=line.entry_id, category=line.category, **verdict.model_dump())
        )
    reason = None
    if not samples:
        reason = _nothing_scored(
            results, questions, read, unknown, other, skipped[before:], category
        )
    return BfclScore(
        categories=_categories(samples),
        samples=samples,
        skipped=skipped,
        underscore_to_dot=dots,
        function_calling=function_calling,
        underscored_calls=underscored if underscore_to_dot is None else 0,
        nothing_scored=reason,
    )


def _nothing_scored(
    results: Path,
    questions: Path,
    read: int,
    unknown: int,
    other: list[str],
    skipped: list[str],
    category: str | None,
) -> str:
    """One line saying why no result line of ``results`` was scored."""
    if read == 0:
        return f"{results} has no result lines"
    if unknown == read:
        return f"none of the {read} result ids in {results} is among the questions in {questions}"
    parts = []
    if other:
        found = ", ".join(sorted(set(other)))
        parts.append(f"{len(other)} in categories other than {category!r} ({found})")
    if skipped:
        parts.append(f"{len(skipped)} skipped (first: {skipped[0]})")
    return f"none of the {read} result lines of {results} was scored: {'; '.join(parts)}"


def _categories(samples: list[SampleVerdict]) -> list[CategoryScore]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for sample in samples:
        counts[sample.category][0] += sample.valid
        counts[sample.category][1] += 1
    return [
        CategoryScore(
            category=name,
            correct=correct,
            total=total,
            accuracy=correct / total if total else None,
        )
        for name, (correct, total) in sorted(counts.items())
    ]
