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
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

from lightclaw.files import read_user_text
from lightclaw.schema import ErrorType
from lightclaw.suites.bfcl_types import BfclDataError, category_of, decode_result
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
    question: dict[str, Any], answer: list[dict[str, Any]] | None, result: object, category: str
) -> BfclVerdict:
    """Decode one model ``result`` and judge it (a decoding failure is BFCL's decoder_failed)."""
    try:
        decoded = decode_result(result)
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
        question["function"], answer or [], cast("list[dict[str, Any]]", decoded), category
    )


def score_files(
    questions: Path, answers: Path | None, results: Path, category: str | None = None
) -> BfclScore:
    """Score ``results`` against ``questions`` and ``answers`` (``None``: irrelevance only).

    Raises :class:`UserError` for a missing or unreadable file; every bad line or id is
    skipped and listed in :attr:`BfclScore.skipped`.
    """
    skipped: list[str] = []
    asked = _by_id(questions, "question", skipped, "function")
    solved = _by_id(answers, "answer", skipped, "ground_truth") if answers else {}
    samples: list[SampleVerdict] = []
    for number, line in _objects(results, "result", skipped):
        entry_id = line["id"]
        where = f"{results}:{number}: result {entry_id!r}"
        if "result" not in line:
            skipped.append(f"{where} has no 'result'")
            continue
        if entry_id not in asked:
            skipped.append(f"{where}: id is not among the questions")
            continue
        try:
            sample_category = category_of(entry_id)
        except BfclDataError as exc:
            skipped.append(f"{where}: {exc}")
            continue
        if category is not None and sample_category != category:
            continue
        answer = solved.get(entry_id)
        if answer is None and "irrelevance" not in sample_category:
            skipped.append(f"{where}: no possible answer for this id")
            continue
        try:
            verdict = score_sample(
                asked[entry_id][1],
                None if answer is None else answer[1]["ground_truth"],
                line["result"],
                sample_category,
            )
        except BfclDataError as exc:
            skipped.append(f"{where}: {exc}")
            continue
        samples.append(SampleVerdict(id=entry_id, category=sample_category, **verdict.model_dump()))
    return BfclScore(categories=_categories(samples), samples=samples, skipped=skipped)


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
